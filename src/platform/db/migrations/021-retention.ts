import { type Kysely, sql } from 'kysely';

// Retention of what had been kept for ever.
//
// A file's pupils' details (UPN, names, date of birth, sex) stayed in transfer_pupils after its content
// was deleted. They now go with the content (transfers/download-repository.ts, markPurged); this deletes
// those of the files purged before. Measured at a tenth of the country: docs/operations.md.
//
// The jobs' history (job_runs) is now kept for 90 days (platform/jobs/history-retention.ts), job by job:
// an index by job and start finds a job's old runs, and whether it has run since, with one seek each (and
// a job's last run for the jobs page). The index by start alone led SQLite to read every run of the job.
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`delete from transfer_pupils
    where transfer_id in (select id from transfers where purged_at is not null)`.execute(db);
  await db.schema.createIndex('job_runs_job_started').on('job_runs').columns(['job', 'started_at']).execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  // The pupils' details deleted cannot come back: going down leaves them as they are.
  await db.schema.dropIndex('job_runs_job_started').execute();
}
