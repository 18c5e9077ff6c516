import type { Kysely } from 'kysely';

// Possible sightings of lost pupils: an incoming CTF or census return holding a pupil who matches a
// record of the Lost Pupils Database (by UPN, former UPN, or surname, forename and date of birth). One
// row per record and file; the LA that uploaded the record follows it up and closes it.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('lost_pupil_matches')
    .addColumn('id', 'varchar(36)', (c) => c.primaryKey())
    .addColumn('lost_pupil_id', 'varchar(36)', (c) => c.notNull().references('lost_pupils.id'))
    .addColumn('transfer_id', 'varchar(36)', (c) => c.notNull().references('transfers.id'))
    .addColumn('matched_on', 'varchar(12)', (c) => c.notNull())
    .addColumn('seen_at_la', 'varchar(3)')
    .addColumn('seen_at_school', 'varchar(7)')
    .addColumn('matched_at', 'varchar(30)', (c) => c.notNull())
    .addColumn('status', 'varchar(10)', (c) => c.notNull())
    .addColumn('closed_at', 'varchar(30)')
    .addColumn('closed_by', 'varchar(36)')
    .addColumn('outcome', 'varchar(30)')
    .addUniqueConstraint('lost_pupil_matches_once', ['lost_pupil_id', 'transfer_id'])
    .execute();
  await db.schema
    .createIndex('lost_pupil_matches_open')
    .on('lost_pupil_matches')
    .columns(['status', 'matched_at'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('lost_pupil_matches').execute();
}
