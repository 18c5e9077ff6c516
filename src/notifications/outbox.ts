// The transactional outbox: a notification is a row written in the same transaction as the event that
// causes it, so it is sent if and only if the event happened. The delivery worker reads these rows.
import { randomUUID } from 'node:crypto';
import type { Executor, NotificationOutboxTable, OutboxRow } from '../platform/db/schema.ts';

export interface Notification {
  at: Date;
  template: string;
  recipientKind: NotificationOutboxTable['recipient_kind'];
  /** An establishment number, an LA number or a user id, as recipientKind says. */
  recipient: string;
  /** Facts for the email: filenames, organisation names, reasons. Never pupil data. */
  payload: Record<string, string | number | null>;
}

export async function enqueueNotification(db: Executor, notification: Notification): Promise<void> {
  const at = notification.at.toISOString();
  await db
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
    })
    .execute();
}

/** Notifications waiting to be sent whose time has come, oldest first. */
export async function dueNotifications(db: Executor, now: Date, limit: number): Promise<OutboxRow[]> {
  return db
    .selectFrom('notification_outbox')
    .selectAll()
    .where('status', '=', 'pending')
    .where('next_attempt_at', '<=', now.toISOString())
    .orderBy('created_at')
    .orderBy('id')
    .limit(limit)
    .execute();
}
