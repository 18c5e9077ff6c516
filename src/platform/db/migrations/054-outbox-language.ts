import type { Kysely } from 'kysely';

// The language an email was sent in ('en', 'cy' or 'bilingual': notifications/email.ts), recorded with its
// subject when it is sent (docs/decisions.md, 75). The mail log showed every email written again in its
// recipient's language now: one sent in English to a user who chose Welsh since was shown in Welsh. An
// email's subject tells its language for most templates, but not a message sent as an email, whose
// subject is the message's own in every language. Emails sent before this migration have none (null): the
// mail log tells their language from their subject where it can.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('notification_outbox').addColumn('language', 'varchar(9)').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('notification_outbox').dropColumn('language').execute();
}
