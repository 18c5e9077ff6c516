import { type Kysely, sql } from 'kysely';

// The jobs' runs still running, by the end of their lease: every tick of the scheduler, in every node,
// marks abandoned those whose lease has passed (platform/jobs/scheduler.ts, markAbandoned). Only running
// runs are in it, a handful, where the history holds a million runs a year; the scheduler writes the
// status as a literal, so both engines see that its query wants only these.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createIndex('job_runs_running')
    .on('job_runs')
    .column('lease_until')
    .where(sql.ref('status'), '=', 'running')
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('job_runs_running').execute();
}
