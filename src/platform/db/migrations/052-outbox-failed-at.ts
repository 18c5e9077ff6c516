import type { Kysely } from 'kysely';

// When a notification failed (or was found to have no address), and when the failure it was last sent
// again from happened (docs/decisions.md, 63). Send all failed emails again puts back only the failures
// its page showed, those at or before the page was shown, and counts as "failed again" only those the
// page showed that someone sent again since: the failure a Send again took back to the queue. Neither
// can be told from when the email was queued alone (notifications/outbox.ts, requeue).
//
// A notification that failed before this migration has its failure's time as well as it can be known:
// when its last attempt was due (`next_attempt_at`, which a final failure leaves as it was), which the
// failure followed within a run of the sender. The failure a Send again took back before it is not known
// (null), nor is that of a failure an earlier version records while both run (a rolling release): Send
// all then reads them as decision 62 did.
interface Tables {
  notification_outbox: { status: string; next_attempt_at: string; failed_at: string | null };
}

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('notification_outbox').addColumn('failed_at', 'varchar(30)').execute();
  await db.schema.alterTable('notification_outbox').addColumn('previous_failed_at', 'varchar(30)').execute();
  await (db as unknown as Kysely<Tables>)
    .updateTable('notification_outbox')
    .set((eb) => ({ failed_at: eb.ref('next_attempt_at') }))
    .where('status', 'in', ['failed', 'no-address'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('notification_outbox').dropColumn('previous_failed_at').execute();
  await db.schema.alterTable('notification_outbox').dropColumn('failed_at').execute();
}
