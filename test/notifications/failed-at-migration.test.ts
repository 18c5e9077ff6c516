// Migration 052: when a notification failed (failed_at), and when the failure it was last sent again from
// happened (previous_failed_at), on both engines. A notification that failed before it takes the time its
// last attempt was due, which its failure followed; one waiting or sent has none. Send all failed emails
// again then acts on them by that time; a failure whose time is not recorded (an earlier version's, while
// both run) is read as decision 62 read every failure.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { countStillFailed, requeue } from '../../src/notifications/outbox.ts';
import { migrateToLatest } from '../../src/platform/db/database.ts';
import type { Db, OutboxStatus } from '../../src/platform/db/schema.ts';
import { createTestDatabase, ENGINES, type TestDatabase } from '../support/databases.ts';

/** A notification as the previous version stored it: no time of failure. */
async function stored(db: Db, status: OutboxStatus, dueAt: string, queuedAt: string | null = null) {
  const id = randomUUID();
  await db
    .insertInto('notification_outbox')
    .values({
      id,
      created_at: '2026-11-20T09:00:00.000Z',
      template: 'new-message',
      recipient_kind: 'la',
      recipient: '916',
      payload: '{}',
      status,
      attempts: status === 'pending' ? 0 : 1,
      next_attempt_at: dueAt,
      queued_at: queuedAt,
      last_error: status === 'sent' ? null : '550 mailbox unavailable',
      sent_at: status === 'sent' ? dueAt : null,
      dedupe_key: null,
    })
    .execute();
  return id;
}

async function timesOf(db: Db, id: string) {
  return db
    .selectFrom('notification_outbox')
    .select(['status', 'failed_at', 'previous_failed_at'])
    .where('id', '=', id)
    .executeTakeFirstOrThrow();
}

for (const engine of ENGINES) {
  describe(`migration 052 records when each notification failed [${engine}]`, () => {
    let database: TestDatabase;
    before(async () => {
      database = await createTestDatabase(engine, '051-group-names-case-insensitive');
    });
    after(async () => {
      await database.drop();
    });

    test('a failure stored before it takes the time its last attempt was due; one waiting or sent none; Send all then acts on them by it', async () => {
      const { db } = database;
      const failed = await stored(db, 'failed', '2026-11-20T10:00:00.000Z');
      const sentAgainFailed = await stored(
        db,
        'failed',
        '2026-11-21T13:00:00.000Z',
        '2026-11-21T10:00:00.000Z',
      );
      const noAddress = await stored(db, 'no-address', '2026-11-20T11:00:00.000Z');
      const later = await stored(db, 'failed', '2026-11-22T10:00:00.000Z');
      const waiting = await stored(db, 'pending', '2026-11-20T09:00:00.000Z');
      const sent = await stored(db, 'sent', '2026-11-20T09:00:00.000Z');

      await migrateToLatest(db, database.schema);

      assert.deepEqual(
        await Promise.all(
          [failed, sentAgainFailed, noAddress, later, waiting, sent].map((id) => timesOf(db, id)),
        ),
        [
          { status: 'failed', failed_at: '2026-11-20T10:00:00.000Z', previous_failed_at: null },
          { status: 'failed', failed_at: '2026-11-21T13:00:00.000Z', previous_failed_at: null },
          { status: 'no-address', failed_at: '2026-11-20T11:00:00.000Z', previous_failed_at: null },
          { status: 'failed', failed_at: '2026-11-22T10:00:00.000Z', previous_failed_at: null },
          { status: 'pending', failed_at: null, previous_failed_at: null },
          { status: 'sent', failed_at: null, previous_failed_at: null },
        ],
      );

      // A page shown on the 22nd at 9:00: the failure after it was never shown, and stays.
      const shownAt = '2026-11-22T09:00:00.000Z';
      // A failure the previous version records meanwhile, during a rolling release: its time not recorded.
      const byPrevious = await stored(db, 'pending', '2026-11-22T09:30:00.000Z');
      await db
        .updateTable('notification_outbox')
        .set({ status: 'failed' })
        .where('id', '=', byPrevious)
        .execute();
      const now = new Date('2026-11-22T12:00:00.000Z');
      assert.equal(await requeue(db, now, { status: 'failed', shownAt }), 3);
      assert.deepEqual(
        await Promise.all([failed, sentAgainFailed, later, byPrevious].map((id) => timesOf(db, id))),
        [
          { status: 'pending', failed_at: null, previous_failed_at: '2026-11-20T10:00:00.000Z' },
          { status: 'pending', failed_at: null, previous_failed_at: '2026-11-21T13:00:00.000Z' },
          { status: 'failed', failed_at: '2026-11-22T10:00:00.000Z', previous_failed_at: null },
          // Taken as the page showed it, as decision 62 took every failure.
          { status: 'pending', failed_at: null, previous_failed_at: null },
        ],
      );
      // None the page showed was sent again and failed again since.
      assert.equal(await countStillFailed(db, { statuses: ['failed'], shownAt }), 0);
    });
  });
}
