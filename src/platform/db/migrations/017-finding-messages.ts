import type { Kysely } from 'kysely';

// Welsh language (issue 13): a census finding's message, guidance and detail as catalogue keys with their
// parameters (JSON), so that a return's page shows them in the reader's language. Findings stored before
// have none and keep showing their English (the message, guidance and detail columns, which the REST
// API goes on reading).
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('census_return_findings').addColumn('messages', 'text').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('census_return_findings').dropColumn('messages').execute();
}
