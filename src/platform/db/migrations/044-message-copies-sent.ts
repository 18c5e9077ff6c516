import { type Kysely, sql } from 'kysely';

// Decision 44. The LA's Message Report counts its schools' copies of the messages sent in a period
// (messaging/repository.ts, messagesBySchool). It joined the LA's copies to every message of the period,
// the whole country's (with no From date, all of them), so it grew with the country: 380-450 ms at a
// tenth of it against 40-64 ms at a twentieth. Each copy now carries its message's delivery and sending
// time, which never change, so the report is one range of an index of the LA's own copies. This index
// replaces `message_recipients_la` (LA and school), which only the report read. Copies written by a node
// of the previous version while the nodes roll have neither, and are read through their message (the
// report finds those, normally none, by the same index).
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('message_recipients').addColumn('delivery', 'varchar(10)').execute();
  await db.schema.alterTable('message_recipients').addColumn('sent_at', 'varchar(30)').execute();
  await sql`update message_recipients set delivery = m.delivery, sent_at = m.sent_at
    from messages as m where m.id = message_recipients.message_id`.execute(db);
  await db.schema
    .createIndex('message_recipients_la_sent')
    .on('message_recipients')
    .columns(['la_number', 'delivery', 'sent_at', 'establishment_number', 'read_at'])
    .execute();
  await db.schema.dropIndex('message_recipients_la').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createIndex('message_recipients_la')
    .on('message_recipients')
    .columns(['la_number', 'establishment_number'])
    .execute();
  await db.schema.dropIndex('message_recipients_la_sent').execute();
  await db.schema.alterTable('message_recipients').dropColumn('sent_at').execute();
  await db.schema.alterTable('message_recipients').dropColumn('delivery').execute();
}
