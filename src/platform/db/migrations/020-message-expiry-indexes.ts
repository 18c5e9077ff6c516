import { type Kysely, sql } from 'kysely';

// The hourly expiry of messages (messaging/repository.ts, expireMessages) reads by time, not by mailbox:
// without these it scanned every copy and every message each hour (6 million copies and 5 million
// messages at national scale), holding SQLite's one write lock while it did.
// - messages sent before a time, in order (the 31 days unread, and the deletion of a message whose copies
//   have all gone);
// - copies still in a mailbox that were read before a time (14 days after reading): only those copies,
//   so the index stays the size of what mailboxes hold read, not of every copy ever sent. (Not the
//   unread ones: a search for unread copies of some messages would find this index tempting and read
//   every unread copy; both engines know that `read_at <= ?` implies `read_at IS NOT NULL`.)
export async function up(db: Kysely<unknown>): Promise<void> {
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
  for (const index of ['messages_sent', 'message_recipients_read_live']) {
    await db.schema.dropIndex(index).execute();
  }
}
