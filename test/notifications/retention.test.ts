// The purge-notifications job: emails with an outcome (sent, failed, no address) leave the outbox
// FINISHED_RETENTION_DAYS after they were written; those still to be sent stay, however old.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  deleteFinishedNotifications,
  enqueueNotification,
  FINISHED_RETENTION_DAYS,
} from '../../src/notifications/outbox.ts';
import { NOTIFICATION_RETENTION_JOB, notificationRetentionJob } from '../../src/notifications/retention.ts';
import { ManualClock } from '../../src/platform/clock.ts';
import type { Db, OutboxStatus } from '../../src/platform/db/schema.ts';
import { Scheduler } from '../../src/platform/jobs/scheduler.ts';
import { createLogger } from '../../src/platform/logger.ts';
import { describeEachEngine } from '../support/databases.ts';

const DAY = 24 * 60 * 60 * 1000;

/** A notification written `daysAgo` before `at`, now in `status`; its template names the case. */
async function written(db: Db, at: Date, daysAgo: number, status: OutboxStatus, label: string) {
  await enqueueNotification(db, {
    at: new Date(at.getTime() - daysAgo * DAY),
    template: label,
    recipientKind: 'la',
    recipient: '916',
    payload: {},
  });
  await db.updateTable('notification_outbox').set({ status }).where('template', '=', label).execute();
}

const left = async (db: Db, labels: string[]) =>
  (await db.selectFrom('notification_outbox').select('template').where('template', 'in', labels).execute())
    .map((row) => row.template)
    .sort();

describeEachEngine('purge-notifications job', (database) => {
  test(`runs hourly at 35 past and deletes the emails with an outcome written ${FINISHED_RETENTION_DAYS} days before, keeping those to send`, async () => {
    const { db } = database();
    const runAt = new Date('2026-12-02T10:35:00.000Z');
    const cases: [number, OutboxStatus, string][] = [
      [FINISHED_RETENTION_DAYS + 9, 'sent', 'old-sent'],
      [FINISHED_RETENTION_DAYS + 1, 'failed', 'old-failed'],
      [FINISHED_RETENTION_DAYS + 0.01, 'no-address', 'old-no-address'],
      [FINISHED_RETENTION_DAYS + 9, 'pending', 'old-pending'],
      [FINISHED_RETENTION_DAYS - 0.01, 'sent', 'recent-sent'],
      [2, 'failed', 'recent-failed'],
    ];
    for (const [days, status, label] of cases) await written(db, runAt, days, status, label);
    const labels = cases.map(([, , label]) => label);

    const clock = new ManualClock('2026-12-02T10:34:00.000Z');
    const scheduler = new Scheduler({ db, clock, logger: createLogger('silent') }, [
      notificationRetentionJob({ db }),
    ]);
    assert.equal(
      scheduler.nextRun(NOTIFICATION_RETENTION_JOB, clock.now())?.toISOString(),
      runAt.toISOString(),
    );
    clock.advanceMinutes(1);
    const [run] = await scheduler.tick();
    assert.equal(run?.status, 'succeeded');
    assert.equal(run?.summary, 'Deleted 3 old emails from the outbox.');
    assert.deepEqual(await left(db, labels), ['old-pending', 'recent-failed', 'recent-sent']);
  });

  test('a backlog goes in batches, oldest first, every one of them', async () => {
    const { db } = database();
    const at = new Date('2025-06-01T00:00:00.000Z');
    const labels = ['b1', 'b2', 'b3', 'b4', 'b5'];
    for (const [i, label] of labels.entries()) await written(db, at, 100 + i, 'sent', label);
    await written(db, at, 100, 'pending', 'b-pending');
    assert.equal(await deleteFinishedNotifications(db, at.toISOString(), { batch: 2 }), 5);
    assert.deepEqual(await left(db, [...labels, 'b-pending']), ['b-pending']);
  });
});
