import type { Kysely } from 'kysely';

// Welsh language (issue 13): a job run's summary as a catalogue message (its key and parameters, JSON), so
// the jobs page writes it in the reader's language. The English summary stays beside it for the command
// line and the log; runs recorded before have no message and show their English.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('job_runs').addColumn('summary_message', 'text').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('job_runs').dropColumn('summary_message').execute();
}
