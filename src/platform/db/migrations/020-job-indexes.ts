import { type Kysely, sql } from 'kysely';

// Indexes for hourly jobs, which read by time or state rather than by organisation: without them each run
// read whole tables, however little was due (measured at a tenth of the country: docs/benchmarks.md).
//
// The expiry of messages (messaging/repository.ts, expireMessages) scanned every copy and every message
// (6 million copies and 5 million messages at national scale), holding SQLite's one write lock as it did:
// - messages sent before a time, in order (the 31 days unread, and the deletion of a message whose copies
//   have all gone);
// - copies still in a mailbox that were read before a time (14 days after reading): only those copies,
//   so the index stays the size of what mailboxes hold read, not of every copy ever sent. (Not the
//   unread ones: a search for unread copies of some messages would find this index tempting and read
//   every unread copy; both engines know that `read_at <= ?` implies `read_at IS NOT NULL`.)
//
// The purge of files' content (transfers/jobs.ts, purge-files) walks the transfers by id looking for
// content past its time: only those whose content is still held, a few per cent of every transfer ever
// made (the rest keep their metadata for reports and audit, for years).
//
// The daily sweep of the file store (transfers/jobs.ts, sweepOrphanFiles) asks, 500 stored objects at a
// time, which of them a transfer or a census return refers to: each question read the whole table
// (at national scale, a million lost pupils' files among two million transfers: thousands of scans).
//
// The hourly sweep of sign-in sessions (auth/session-sweep.ts) also forgets the sign-in attempts older
// than the throttle's window, by age.
//
// The retention of the email outbox (notifications/retention.ts, purge-notifications) deletes by age;
// the Notifications page lists the newest first.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createIndex('transfers_held')
    .on('transfers')
    .column('id')
    .where(sql.ref('storage_key'), 'is not', null)
    .execute();
  await db.schema
    .createIndex('transfers_storage_key')
    .on('transfers')
    .column('storage_key')
    .where(sql.ref('storage_key'), 'is not', null)
    .execute();
  await db.schema
    .createIndex('census_returns_storage_key')
    .on('census_returns')
    .column('storage_key')
    .execute();
  await db.schema
    .createIndex('notification_outbox_created')
    .on('notification_outbox')
    .column('created_at')
    .execute();
  await db.schema.createIndex('sign_in_attempts_at').on('sign_in_attempts').column('attempted_at').execute();
  await db.schema.createIndex('messages_sent').on('messages').columns(['sent_at', 'id']).execute();
  await db.schema
    .createIndex('message_recipients_read_live')
    .on('message_recipients')
    .column('read_at')
    .where(sql.ref('removed_at'), 'is', null)
    .where('read_at', 'is not', null)
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const index of [
    'transfers_held',
    'transfers_storage_key',
    'census_returns_storage_key',
    'notification_outbox_created',
    'sign_in_attempts_at',
    'messages_sent',
    'message_recipients_read_live',
  ]) {
    await db.schema.dropIndex(index).execute();
  }
}
