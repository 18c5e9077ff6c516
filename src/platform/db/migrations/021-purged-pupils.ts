import { type Kysely, sql } from 'kysely';

// A file's pupils' details (UPN, names, date of birth, sex) were kept in transfer_pupils after its content
// was deleted, for ever. They now go with the content (transfers/download-repository.ts, markPurged);
// this deletes those of the files purged before. Measured at a tenth of the country: docs/operations.md.
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`delete from transfer_pupils
    where transfer_id in (select id from transfers where purged_at is not null)`.execute(db);
}

export async function down(): Promise<void> {
  // What was deleted cannot come back: going down leaves the table as it is.
}
