// The transactional outbox: a notification is a row written in the same transaction as the event that
// causes it, so it is sent if and only if the event happened. The delivery worker (delivery.ts) claims
// due rows for a while (a lease, so several processes never send one row at once), sends them, and
// records the outcome on the row.
import { randomUUID } from 'node:crypto';
import { BATCH_ROWS, inBatches } from '../platform/db/batches.ts';
import { rowsInserted } from '../platform/db/insert-once.ts';
import type { Executor, NotificationOutboxTable, OutboxRow, OutboxStatus } from '../platform/db/schema.ts';
import type { Message } from '../platform/i18n/catalogue.ts';
import type { EmailLanguage } from './email.ts';

/** JSON facts for a template; a message is written in the recipient's language (templates.ts). */
export type PayloadValue =
  | string
  | number
  | boolean
  | null
  | Message
  | PayloadValue[]
  | { [key: string]: PayloadValue };

export interface Notification {
  at: Date;
  template: string;
  recipientKind: NotificationOutboxTable['recipient_kind'];
  /** An establishment number, an LA number or a user id, as recipientKind says. */
  recipient: string;
  /** Facts for the email: filenames, organisation names, reasons. Never pupil data. */
  payload: Record<string, PayloadValue>;
  /** A notification with a key is written once only: a second one with the same key is ignored. */
  dedupeKey?: string;
}

/** Writes a notification; false if one with the same dedupe key exists already. */
export async function enqueueNotification(db: Executor, notification: Notification): Promise<boolean> {
  const at = notification.at.toISOString();
  const result = await db
    .insertInto('notification_outbox')
    .values({
      id: randomUUID(),
      created_at: at,
      template: notification.template,
      recipient_kind: notification.recipientKind,
      recipient: notification.recipient,
      payload: JSON.stringify(notification.payload),
      status: 'pending',
      attempts: 0,
      next_attempt_at: at,
      last_error: null,
      sent_at: null,
      dedupe_key: notification.dedupeKey ?? null,
    })
    .onConflict((oc) => oc.column('dedupe_key').doNothing())
    .executeTakeFirst();
  return rowsInserted(result) === 1;
}

/** Notifications waiting to be sent whose time has come, oldest first. */
export async function dueNotifications(db: Executor, now: Date, limit: number): Promise<OutboxRow[]> {
  return db
    .selectFrom('notification_outbox')
    .selectAll()
    .where('status', '=', 'pending')
    .where('next_attempt_at', '<=', now.toISOString())
    .where((eb) => eb.or([eb('lease_until', 'is', null), eb('lease_until', '<', now.toISOString())]))
    .orderBy('next_attempt_at')
    .orderBy('id')
    .limit(limit)
    .execute();
}

/**
 * Claims up to `limit` due notifications for `owner` until `leaseUntil`: each row is taken with a
 * conditional update, so of several processes claiming at once exactly one gets it.
 */
export async function claimDueNotifications(
  db: Executor,
  now: Date,
  owner: string,
  leaseUntil: Date,
  limit: number,
): Promise<OutboxRow[]> {
  const claimed: OutboxRow[] = [];
  for (const row of await dueNotifications(db, now, limit)) {
    const result = await db
      .updateTable('notification_outbox')
      .set({ lease_owner: owner, lease_until: leaseUntil.toISOString() })
      .where('id', '=', row.id)
      .where('status', '=', 'pending')
      .where((eb) =>
        row.lease_until === null ? eb('lease_until', 'is', null) : eb('lease_until', '=', row.lease_until),
      )
      .executeTakeFirst();
    if (Number(result.numUpdatedRows) === 1) {
      claimed.push({ ...row, lease_owner: owner, lease_until: leaseUntil.toISOString() });
    }
  }
  return claimed;
}

/**
 * Renews this process's lease on one notification it claimed, just before sending it: false when the
 * lease ran out meanwhile (a batch sent to a slow mail server), when another process may have claimed
 * and sent it, so this one must not send it too.
 */
export async function renewLease(
  db: Executor,
  id: string,
  owner: string,
  now: Date,
  leaseUntil: Date,
): Promise<boolean> {
  const result = await db
    .updateTable('notification_outbox')
    .set({ lease_until: leaseUntil.toISOString() })
    .where('id', '=', id)
    .where('status', '=', 'pending')
    .where('lease_owner', '=', owner)
    .where('lease_until', '>', now.toISOString())
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

/** The outcome of one attempt, recorded only by the process that holds the lease. */
export type DeliveryOutcome =
  | {
      status: 'sent';
      at: Date;
      toAddress: string;
      subject: string;
      /** The language it was written in: the mail log shows it so, whatever the recipient chooses later. */
      language: EmailLanguage;
      serverResponse: string;
    }
  | { status: 'pending'; at: Date; error: string; nextAttemptAt: Date; toAddress: string | null }
  | { status: 'failed' | 'no-address'; at: Date; error: string; toAddress: string | null };

export async function recordDelivery(
  db: Executor,
  row: Pick<OutboxRow, 'id' | 'attempts'>,
  owner: string,
  outcome: DeliveryOutcome,
): Promise<boolean> {
  const failed = outcome.status === 'failed' || outcome.status === 'no-address';
  const common = {
    status: outcome.status,
    attempts: row.attempts + 1,
    lease_owner: null,
    lease_until: null,
    to_address: outcome.toAddress,
    // When it failed: Send all failed emails again puts back only failures its page showed (requeue).
    failed_at: failed ? outcome.at.toISOString() : null,
  };
  const changes =
    outcome.status === 'sent'
      ? {
          ...common,
          sent_at: outcome.at.toISOString(),
          subject: outcome.subject.slice(0, 200),
          language: outcome.language,
          server_response: outcome.serverResponse.slice(0, 1000),
          last_error: null,
        }
      : outcome.status === 'pending'
        ? {
            ...common,
            last_error: outcome.error.slice(0, 1000),
            next_attempt_at: outcome.nextAttemptAt.toISOString(),
          }
        : { ...common, last_error: outcome.error.slice(0, 1000) };
  const result = await db
    .updateTable('notification_outbox')
    .set(changes)
    .where('id', '=', row.id)
    .where('lease_owner', '=', owner)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

/** How many notifications are in each state. */
export async function outboxCounts(db: Executor): Promise<Record<OutboxStatus, number>> {
  const rows = await db
    .selectFrom('notification_outbox')
    .select((eb) => ['status', eb.fn.countAll().as('n')])
    .groupBy('status')
    .execute();
  const counts: Record<OutboxStatus, number> = { pending: 0, sent: 0, failed: 0, 'no-address': 0 };
  for (const row of rows) counts[row.status] = Number(row.n);
  return counts;
}

/** The newest notifications in a state (or all), newest first. */
export async function listOutbox(
  db: Executor,
  query: { status?: OutboxStatus; limit: number },
): Promise<OutboxRow[]> {
  let q = db.selectFrom('notification_outbox').selectAll();
  if (query.status) q = q.where('status', '=', query.status);
  return q.orderBy('created_at', 'desc').orderBy('id').limit(query.limit).execute();
}

export async function getNotification(db: Executor, id: string): Promise<OutboxRow | undefined> {
  return db.selectFrom('notification_outbox').selectAll().where('id', '=', id).executeTakeFirst();
}

/**
 * Puts failed (or undeliverable) notifications back in the queue, due now; all of them when no ids
 * are given. Returns how many. The failure each is put back from is kept (`previous_failed_at`), for
 * countStillFailed.
 *
 * The failure a page showed is known by when the email was last queued (`queued_at`, null if never sent
 * again): every Send again sets it, and only Send again takes a failed email back to the queue, so a
 * failure seen is still the one there while `queued_at` is unchanged. With `seen` (an id's `queued_at` as
 * shown; ids without one are taken as they are), an email sent again since (and failed again) is left as
 * it is. With `shownAt` (when the page was shown, for every failed email), only the failures it showed
 * are put back: not sent again since it was shown, and failed at or before it (`failed_at`). An email
 * waiting to be sent as the page was shown (written, or sent again, before it) that failed after it is
 * left: the page never showed that failure. A failure whose time was not recorded (by an earlier version,
 * or before migration 052 took it as when its last attempt was due), or that is older than its queueing
 * (an earlier version's Send again, which left `failed_at` as it was), is taken as the page showed it, as
 * decision 62 took every failure.
 */
export async function requeue(
  db: Executor,
  now: Date,
  query: {
    status: 'failed' | 'no-address';
    ids?: readonly string[];
    seen?: ReadonlyMap<string, string | null>;
    shownAt?: string;
  },
): Promise<number> {
  if (query.ids && query.ids.length === 0) return 0;
  let q = db
    .updateTable('notification_outbox')
    // Queued afresh: its attempts, and the time it is tried for before it is given up, start again.
    .set((eb) => ({
      status: 'pending',
      next_attempt_at: now.toISOString(),
      queued_at: now.toISOString(),
      attempts: 0,
      lease_owner: null,
      lease_until: null,
      previous_failed_at: eb.ref('failed_at'),
      failed_at: null,
    }))
    .where('status', '=', query.status);
  const { ids, seen, shownAt } = query;
  if (ids) {
    // Each id with the failure shown for it, if one was: its own `queued_at` (null: never sent again).
    q = q.where((eb) =>
      eb.or(
        ids.map((id) => {
          if (!seen?.has(id)) return eb('id', '=', id);
          const queuedAt = seen.get(id) ?? null;
          return eb.and([
            eb('id', '=', id),
            queuedAt === null ? eb('queued_at', 'is', null) : eb('queued_at', '=', queuedAt),
          ]);
        }),
      ),
    );
  }
  if (shownAt !== undefined) {
    q = q
      .where((eb) => eb.or([eb('queued_at', 'is', null), eb('queued_at', '<', shownAt)]))
      .where((eb) =>
        eb.or([
          eb('failed_at', 'is', null),
          eb('failed_at', '<=', shownAt),
          eb('failed_at', '<', eb.ref('queued_at')),
        ]),
      );
  }
  const result = await q.executeTakeFirst();
  return Number(result.numUpdatedRows);
}

/**
 * How many of these notifications (all, without ids) have failed, or had no address: not sent again.
 * With `shownAt` (when a list was shown), only those it showed that were sent again since, and failed
 * again: queued again at or after it (requeue's `shownAt` leaves them), from a failure at or before it
 * (`previous_failed_at`). One waiting to be sent as the list was shown, that failed after it, was sent
 * again and failed again, is not counted: the list never showed it. Where the failure it was sent again
 * from was not recorded (an earlier version's), one written by then is counted, as decision 62 counted.
 */
export async function countStillFailed(
  db: Executor,
  query: { statuses: readonly ('failed' | 'no-address')[]; ids?: readonly string[]; shownAt?: string },
): Promise<number> {
  let q = db
    .selectFrom('notification_outbox')
    .select((eb) => eb.fn.countAll().as('n'))
    .where('status', 'in', query.statuses);
  if (query.ids) q = q.where('id', 'in', query.ids);
  const { shownAt } = query;
  if (shownAt !== undefined) {
    q = q
      .where('queued_at', '>=', shownAt)
      .where((eb) =>
        eb.or([
          eb('previous_failed_at', '<=', shownAt),
          eb.and([eb('previous_failed_at', 'is', null), eb('created_at', '<=', shownAt)]),
        ]),
      );
  }
  const row = await q.executeTakeFirst();
  return Number(row?.n ?? 0);
}

/**
 * Days a notification is kept once it has an outcome (sent, failed, or no address), from when it was
 * written: long enough to answer "did they get the email?" and to send again one that failed, and no
 * longer than the longest a message stays in s2s (an email sent in place of a message holds its text).
 */
export const FINISHED_RETENTION_DAYS = 31;

/**
 * Deletes the notifications with an outcome written before `before` (ISO), oldest first, in batches;
 * those still to be sent stay, however old. When `signal` is aborted, stops after the batch in hand by
 * throwing its reason.
 */
export async function deleteFinishedNotifications(
  db: Executor,
  before: string,
  { batch = BATCH_ROWS, signal }: { batch?: number; signal?: AbortSignal } = {},
): Promise<number> {
  return inBatches(
    batch,
    async () => {
      const result = await db
        .deleteFrom('notification_outbox')
        .where('id', 'in', (eb) =>
          eb
            .selectFrom('notification_outbox as o')
            .select('o.id')
            .where('o.created_at', '<', before)
            .where('o.status', 'in', ['sent', 'failed', 'no-address'])
            .orderBy('o.created_at')
            .limit(batch),
        )
        .executeTakeFirst();
      return Number(result.numDeletedRows);
    },
    signal,
  );
}
