// The message-expiry job as the scheduler runs it: on its hourly schedule, and by hand.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MESSAGE_EXPIRY_JOB, messageExpiryJob } from '../../src/messaging/jobs.ts';
import { ManualClock } from '../../src/platform/clock.ts';
import { Scheduler } from '../../src/platform/jobs/scheduler.ts';
import { createLogger } from '../../src/platform/logger.ts';
import { describeEachEngine } from '../support/databases.ts';
import { makeLa, makeSchool, makeUser } from '../support/factories.ts';
import { makeMessage } from '../support/messages.ts';

describeEachEngine('message-expiry job', (database) => {
  test('runs hourly at 25 past, takes unread messages out after 31 days and deletes them once gone from every mailbox', async () => {
    const { db } = database();
    const la = await makeLa(db);
    const school = await makeSchool(db, la.number);
    const sender = await makeUser(db, 'la_user', { laNumber: la.number });
    const clock = new ManualClock('2026-12-02T10:24:00.000Z');
    const old = await makeMessage(db, sender, [`school:${school.number}`], {
      sentAt: new Date('2026-11-01T10:00:00.000Z'),
    });
    const recent = await makeMessage(db, sender, [`school:${school.number}`], {
      sentAt: new Date('2026-11-30T10:00:00.000Z'),
    });
    const scheduler = new Scheduler({ db, clock, logger: createLogger('silent') }, [
      messageExpiryJob({ db }),
    ]);
    assert.equal(
      scheduler.nextRun(MESSAGE_EXPIRY_JOB, clock.now())?.toISOString(),
      '2026-12-02T10:25:00.000Z',
    );
    clock.advanceMinutes(1);
    const [run] = await scheduler.tick();
    assert.equal(run?.status, 'succeeded');
    // Other tests' messages share this database: only this test's two are checked.
    assert.match(
      run?.summary ?? '',
      /^Took \d+ messages? out of recipients' lists; deleted \d+ messages? with (its|their) text\.$/,
    );
    const left = await db.selectFrom('messages').select('id').where('id', 'in', [old, recent]).execute();
    assert.deepEqual(
      left.map((m) => m.id),
      [recent],
      'the 31-day-old unread message is gone with its text',
    );
    const copy = await db
      .selectFrom('message_recipients')
      .selectAll()
      .where('message_id', '=', recent)
      .executeTakeFirstOrThrow();
    assert.equal(copy.removed_at, null);
  });
});
