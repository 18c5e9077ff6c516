// The SQL of messages: the messages themselves, each mailbox's copy, and the counts of what is unread.
import type { ExpressionBuilder } from 'kysely';
import { daysBefore } from '../platform/dates.ts';
import { BATCH_ROWS, inBatches } from '../platform/db/batches.ts';
import { toCount } from '../platform/db/database.ts';
import { rowsInserted } from '../platform/db/insert-once.ts';
import type {
  Database,
  Db,
  Executor,
  MessageRecipientRow,
  MessageRecipientTable,
  MessageRow,
  MessageTable,
} from '../platform/db/schema.ts';

export interface NewMessage {
  /** The id of the form that sent it (formId), when it came from one; a new id otherwise. */
  id: string;
  senderUserId: string;
  senderMailbox: string;
  senderLabel: string;
  description: string;
  body: string;
  delivery: MessageRow['delivery'];
  inReplyTo: string | null;
  sentAt: string;
  recipients: {
    mailbox: string;
    label: string;
    laNumber: string | null;
    establishmentNumber: string | null;
  }[];
}

/** Writes the message and its copies; false, writing nothing, when one with its `id` is there already. */
export async function insertMessage(db: Executor, message: NewMessage): Promise<boolean> {
  const { id } = message;
  const inserted = await db
    .insertInto('messages')
    .values({
      id,
      sender_user_id: message.senderUserId,
      sender_mailbox: message.senderMailbox,
      sender_label: message.senderLabel,
      description: message.description,
      body: message.body,
      delivery: message.delivery,
      in_reply_to: message.inReplyTo,
      sent_at: message.sentAt,
    })
    .onConflict((oc) => oc.column('id').doNothing())
    .executeTakeFirst();
  if (rowsInserted(inserted) === 0) return false;
  await db
    .insertInto('message_recipients')
    .values(
      message.recipients.map((r) => ({
        message_id: id,
        mailbox: r.mailbox,
        label: r.label,
        la_number: r.laNumber,
        establishment_number: r.establishmentNumber,
        delivery: message.delivery,
        sent_at: message.sentAt,
        read_at: null,
        read_by: null,
        removed_at: null,
        removed_reason: null,
      })),
    )
    .execute();
  return true;
}

export interface ReceivedMessage {
  id: string;
  senderLabel: string;
  senderMailbox: string;
  description: string;
  sentAt: string;
  readAt: string | null;
}

/** How long a mailbox's copy of a message is kept (handbook §11; service.ts). */
export interface Retention {
  unreadDays: number;
  readDays: number;
}

/** The copies past these have expired: unread, of a message sent then or before; read then or before. */
function expiryCutoffs(now: Date, rules: Retention): { unreadBefore: string; readBefore: string } {
  return { unreadBefore: daysBefore(now, rules.unreadDays), readBefore: daysBefore(now, rules.readDays) };
}

type Received = Database & { r: MessageRecipientTable; m: MessageTable };

/**
 * A copy not yet expired. The message-expiry job removes the expired ones within the hour (or later, if
 * it is held up); until then they are neither listed, nor counted, nor opened: opening an unread one
 * would mark it read and keep it 14 days more.
 */
function notExpired(eb: ExpressionBuilder<Received, 'r' | 'm'>, now: Date, rules: Retention) {
  const { unreadBefore, readBefore } = expiryCutoffs(now, rules);
  return eb.or([
    eb('r.read_at', '>', readBefore),
    eb.and([eb('r.read_at', 'is', null), eb('m.sent_at', '>', unreadBefore)]),
  ]);
}

/** The messages waiting in a mailbox (not deleted, not expired), newest first. */
export async function listInbox(
  db: Executor,
  mailbox: string,
  now: Date,
  rules: Retention,
): Promise<ReceivedMessage[]> {
  const rows = await db
    .selectFrom('message_recipients as r')
    .innerJoin('messages as m', 'm.id', 'r.message_id')
    .select(['m.id', 'm.sender_label', 'm.sender_mailbox', 'm.description', 'm.sent_at', 'r.read_at'])
    .where('r.mailbox', '=', mailbox)
    .where('r.removed_at', 'is', null)
    .where('m.delivery', '=', 'message')
    .where((eb) => notExpired(eb, now, rules))
    .orderBy('m.sent_at', 'desc')
    .orderBy('m.id')
    .execute();
  return rows.map((row) => ({
    id: row.id,
    senderLabel: row.sender_label,
    senderMailbox: row.sender_mailbox,
    description: row.description,
    sentAt: row.sent_at,
    readAt: row.read_at,
  }));
}

/** How many messages in a mailbox have not been read (nor expired). */
export async function countUnread(
  db: Executor,
  mailbox: string,
  now: Date,
  rules: Retention,
): Promise<number> {
  const row = await db
    .selectFrom('message_recipients as r')
    .innerJoin('messages as m', 'm.id', 'r.message_id')
    .select((eb) => eb.fn.countAll<string | number>().as('unread'))
    .where('r.mailbox', '=', mailbox)
    .where('r.removed_at', 'is', null)
    .where('r.read_at', 'is', null)
    .where('m.delivery', '=', 'message')
    .where((eb) => notExpired(eb, now, rules))
    .executeTakeFirst();
  return toCount(row?.unread);
}

/** A message as its mailbox sees it: only while it is there (not deleted, not expired). */
export async function findReceived(
  db: Executor,
  mailbox: string,
  messageId: string,
  now: Date,
  rules: Retention,
): Promise<{ message: MessageRow; copy: MessageRecipientRow } | undefined> {
  const copy = await db
    .selectFrom('message_recipients as r')
    .innerJoin('messages as m', 'm.id', 'r.message_id')
    .selectAll('r')
    .where('r.message_id', '=', messageId)
    .where('r.mailbox', '=', mailbox)
    .where('r.removed_at', 'is', null)
    .where('m.delivery', '=', 'message')
    .where((eb) => notExpired(eb, now, rules))
    .executeTakeFirst();
  if (!copy) return undefined;
  // Gone since the copy was read, when the expiry job deleted it (its last copy due a moment later).
  const message = await db.selectFrom('messages').selectAll().where('id', '=', messageId).executeTakeFirst();
  return message ? { message, copy } : undefined;
}

/** The message, if the mailbox's copy of it was deleted (not expired). */
export async function findDeleted(
  db: Executor,
  mailbox: string,
  messageId: string,
): Promise<MessageRow | undefined> {
  return db
    .selectFrom('messages as m')
    .innerJoin('message_recipients as r', 'r.message_id', 'm.id')
    .selectAll('m')
    .where('m.id', '=', messageId)
    .where('r.mailbox', '=', mailbox)
    .where('r.removed_reason', '=', 'deleted')
    .executeTakeFirst();
}

/** Marks the mailbox's copy read, the first time only. */
export async function markRead(
  db: Executor,
  messageId: string,
  mailbox: string,
  userId: string,
  at: string,
): Promise<boolean> {
  const result = await db
    .updateTable('message_recipients')
    .set({ read_at: at, read_by: userId })
    .where('message_id', '=', messageId)
    .where('mailbox', '=', mailbox)
    .where('read_at', 'is', null)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}

export async function removeCopy(
  db: Executor,
  messageId: string,
  mailbox: string,
  at: string,
  reason: 'deleted' | 'expired',
): Promise<boolean> {
  const result = await db
    .updateTable('message_recipients')
    .set({ removed_at: at, removed_reason: reason })
    .where('message_id', '=', messageId)
    .where('mailbox', '=', mailbox)
    .where('removed_at', 'is', null)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}

export interface SentMessage {
  id: string;
  description: string;
  sentAt: string;
  delivery: MessageRow['delivery'];
  recipients: number;
  unread: number;
}

/** What a mailbox has sent and can still see, newest first, with how many recipients have not read each. */
export async function listSent(db: Executor, mailbox: string): Promise<SentMessage[]> {
  const rows = await db
    .selectFrom('messages as m')
    .innerJoin('message_recipients as r', 'r.message_id', 'm.id')
    .select((eb) => [
      'm.id',
      'm.description',
      'm.sent_at',
      'm.delivery',
      eb.fn.countAll<string | number>().as('recipients'),
      eb.fn.sum<string | number>(eb.case().when('r.read_at', 'is', null).then(1).else(0).end()).as('unread'),
    ])
    .where('m.sender_mailbox', '=', mailbox)
    .groupBy(['m.id', 'm.description', 'm.sent_at', 'm.delivery'])
    .orderBy('m.sent_at', 'desc')
    .orderBy('m.id')
    .execute();
  return rows.map((row) => ({
    id: row.id,
    description: row.description,
    sentAt: row.sent_at,
    delivery: row.delivery,
    recipients: toCount(row.recipients),
    unread: row.delivery === 'message' ? toCount(row.unread) : 0,
  }));
}

export async function findSent(
  db: Executor,
  mailbox: string,
  messageId: string,
): Promise<{ message: MessageRow; recipients: MessageRecipientRow[] } | undefined> {
  const message = await db
    .selectFrom('messages')
    .selectAll()
    .where('id', '=', messageId)
    .where('sender_mailbox', '=', mailbox)
    .executeTakeFirst();
  if (!message) return undefined;
  const recipients = await db
    .selectFrom('message_recipients')
    .selectAll()
    .where('message_id', '=', messageId)
    .orderBy('label')
    .execute();
  return { message, recipients };
}

/**
 * Expiry (handbook §11): a copy left unread for 31 days, or read 14 days ago, leaves its mailbox. A
 * message whose copies have all gone, and that is at least 31 days old, is deleted with its content.
 * Read by the indexes of live read copies and of messages by time (migration 020), in batches; when
 * `signal` is aborted, it stops after the batch in hand by throwing its reason.
 */
export async function expireMessages(
  db: Db,
  now: Date,
  rules: Retention,
  { batch = BATCH_ROWS, signal }: { batch?: number; signal?: AbortSignal } = {},
): Promise<{ expired: number; deleted: number }> {
  const { unreadBefore, readBefore } = expiryCutoffs(now, rules);
  const expiry = { removed_at: now.toISOString(), removed_reason: 'expired' } as const;
  let deleted = 0;

  // Read copies first, so that a message whose last copy goes now is deleted below in the same run.
  // Each batch leaves the index it is read from, so the next starts where it stopped.
  let expired = await inBatches(
    batch,
    async () => {
      const result = await db
        .updateTable('message_recipients')
        .set(expiry)
        .where((eb) =>
          eb(
            eb.refTuple('message_id', 'mailbox'),
            'in',
            eb
              .selectFrom('message_recipients as r')
              .select(['r.message_id', 'r.mailbox'])
              .where('r.removed_at', 'is', null)
              .where('r.read_at', '<=', readBefore)
              // The oldest first, in the index's order: without an order PostgreSQL, which cannot tell
              // how few of the read copies are due, may scan the whole table for the first `batch`.
              .orderBy('r.read_at')
              .limit(batch)
              .$asTuple('message_id', 'mailbox'),
          ),
        )
        .executeTakeFirst();
      return Number(result.numUpdatedRows);
    },
    signal,
  );

  // Messages sent before the unread limit, in order from the oldest: their unread copies expire, and
  // each message with no copy left goes. Those still kept (a copy read in the last 14 days) are passed
  // over by the cursor, not read again in this run. It starts before every message ('' sorts first).
  let after = { sent_at: '', id: '' };
  for (;;) {
    const old = await db
      .selectFrom('messages')
      .select(['sent_at', 'id'])
      .where('sent_at', '<=', unreadBefore)
      .where((eb) => eb(eb.refTuple('sent_at', 'id'), '>', eb.tuple(after.sent_at, after.id)))
      .orderBy('sent_at')
      .orderBy('id')
      .limit(batch)
      .execute();
    if (old.length === 0) break;
    const ids = old.map((m) => m.id);
    await db.transaction().execute(async (trx) => {
      const unread = await trx
        .updateTable('message_recipients')
        .set(expiry)
        .where('message_id', 'in', ids)
        .where('removed_at', 'is', null)
        .where('read_at', 'is', null)
        .executeTakeFirst();
      expired += Number(unread.numUpdatedRows);
      const gone = await trx
        .deleteFrom('messages')
        .where('id', 'in', ids)
        .where((eb) =>
          eb.not(
            eb.exists(
              eb
                .selectFrom('message_recipients as r')
                .select('r.message_id')
                .whereRef('r.message_id', '=', 'messages.id')
                .where('r.removed_at', 'is', null),
            ),
          ),
        )
        .executeTakeFirst();
      deleted += Number(gone.numDeletedRows);
    });
    if (old.length < batch) break;
    signal?.throwIfAborted();
    after = old.at(-1) ?? after;
  }
  return { expired, deleted };
}

export interface SchoolMessages {
  establishmentNumber: string;
  name: string;
  /** Messages sent to the school in the dates. */
  received: number;
  read: number;
  unread: number;
  /** When the oldest of those not read was sent. */
  oldestUnread: string | null;
}

/** The Message Report's count of each school's copies of the LA's messages in the range (one row a school). */
export function schoolMessageCounts(
  db: Executor,
  laNumber: string,
  range: { since: string | null; until: string },
) {
  // Each copy carries its message's delivery and time (migration 044): the LA's copies of the period are
  // one range of `message_recipients_la_sent`, however many messages the rest of the country sent.
  let copies = db
    .selectFrom('message_recipients')
    .select(['establishment_number', 'read_at', 'sent_at'])
    .where('la_number', '=', laNumber)
    .where('delivery', '=', 'message')
    .where('sent_at', '<', range.until)
    .where('establishment_number', 'is not', null);
  // Copies written by a node of the previous version while the nodes rolled have neither: read through
  // their message (the same index finds them, normally none).
  let olderCopies = db
    .selectFrom('message_recipients as r')
    .innerJoin('messages as m', 'm.id', 'r.message_id')
    .select(['r.establishment_number', 'r.read_at', 'm.sent_at'])
    .where('r.la_number', '=', laNumber)
    .where('r.delivery', 'is', null)
    .where('m.delivery', '=', 'message')
    .where('m.sent_at', '<', range.until)
    .where('r.establishment_number', 'is not', null);
  if (range.since) {
    copies = copies.where('sent_at', '>=', range.since);
    olderCopies = olderCopies.where('m.sent_at', '>=', range.since);
  }
  return db
    .selectFrom(copies.unionAll(olderCopies).as('c'))
    .select((eb) => [
      'c.establishment_number',
      eb.fn.countAll<string | number>().as('received'),
      eb.fn
        .sum<string | number>(eb.case().when('c.read_at', 'is not', null).then(1).else(0).end())
        .as('read'),
      eb.fn.min(eb.case().when('c.read_at', 'is', null).then(eb.ref('c.sent_at')).end()).as('oldest'),
    ])
    .groupBy('c.establishment_number');
}

/**
 * LEA Administrator – Message Report (LA notes §7.7, "Details of messages sent within the LEA"): each open
 * school of the LA with the messages sent to it in the dates (by when they were sent): how many, how many
 * its users have read, how many not, and when the oldest not read was sent. A message deleted from the
 * mailbox, or expired, unread counts as not read. No content, no sender. Emails sent through the
 * messages pages are not in a mailbox, so not counted.
 */
export async function messagesBySchool(
  db: Executor,
  laNumber: string,
  range: { since: string | null; until: string },
): Promise<SchoolMessages[]> {
  const [schools, received] = await Promise.all([
    db
      .selectFrom('establishments')
      .select(['number', 'name'])
      .where('la_number', '=', laNumber)
      .where('status', '=', 'open')
      .orderBy('name')
      .orderBy('number')
      .execute(),
    schoolMessageCounts(db, laNumber, range).execute(),
  ]);
  const bySchool = new Map(received.map((row) => [row.establishment_number, row]));
  return schools.map((school) => {
    const row = bySchool.get(school.number);
    const all = toCount(row?.received);
    const read = toCount(row?.read);
    return {
      establishmentNumber: school.number,
      name: school.name,
      received: all,
      read,
      unread: all - read,
      oldestUnread: (row?.oldest as string | null | undefined) ?? null,
    };
  });
}
