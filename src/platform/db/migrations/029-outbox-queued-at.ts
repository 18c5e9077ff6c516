import type { Kysely } from 'kysely';

// When a notification was last put in the queue: null while it is the first time (created_at), and the
// moment an administrator sends it again (notifications/outbox.ts, requeue). Delivery gives up on a
// notification still failing 72 hours after it was queued (notifications/delivery.ts): counted from
// created_at, a notification sent again after giving up had one attempt left, however temporary the
// failure.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('notification_outbox').addColumn('queued_at', 'varchar(30)').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('notification_outbox').dropColumn('queued_at').execute();
}
