import type { Kysely } from 'kysely';

// Indexes the reports need (issue 8): the Lost Pupil (downloaded pupils) Report lists the records an LA
// found in a date range.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createIndex('lost_pupils_found')
    .on('lost_pupils')
    .columns(['found_by_la', 'found_at'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('lost_pupils_found').execute();
}
