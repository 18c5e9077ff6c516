import type { Kysely } from 'kysely';

// Decision 87. Who has downloaded a lost pupil's file from the database, for "Was the file downloaded
// correctly?": the transfer's `downloaded_by` names only the last downloader, so an LA user whose download
// was followed by another's (another LA, a colleague) was refused their Yes. A row per record and user,
// its latest download; written in the download's transaction.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('lost_pupil_downloads')
    .addColumn('lost_pupil_id', 'varchar(36)', (c) =>
      c.notNull().references('lost_pupils.id').onDelete('cascade'),
    )
    .addColumn('user_id', 'varchar(36)', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('downloaded_at', 'varchar(30)', (c) => c.notNull())
    .addPrimaryKeyConstraint('lost_pupil_downloads_pk', ['lost_pupil_id', 'user_id'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('lost_pupil_downloads').execute();
}
