// The sweep-sessions job: deletes the sessions that AuthService would refuse (idle for the limit or past
// their absolute expiry), on its hourly schedule, and keeps the others.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import {
  deleteExpiredSessions,
  ENDED_SESSION_MINUTES,
  endSession,
  insertSession,
  recordSignInAttempt,
  type SessionEnd,
} from '../../src/auth/repository.ts';
import { SESSION_SWEEP_JOB, sessionSweepJob } from '../../src/auth/session-sweep.ts';
import { ManualClock } from '../../src/platform/clock.ts';
import { Scheduler } from '../../src/platform/jobs/scheduler.ts';
import { createLogger } from '../../src/platform/logger.ts';
import { describeEachEngine } from '../support/databases.ts';
import { makeUser } from '../support/factories.ts';

const IDLE_MINUTES = 30;
const LOCK_MINUTES = 15;

describeEachEngine('sweep-sessions job', (database) => {
  test('runs hourly at 50 past and deletes the sessions idle for the limit or past their expiry, keeping the rest, and the sign-in attempts older than the lock', async () => {
    const { db } = database();
    const user = await makeUser(db, 'la_user');
    const clock = new ManualClock('2026-12-02T10:49:00.000Z');
    const runAt = new Date('2026-12-02T10:50:00.000Z').getTime();
    const minutesBefore = (minutes: number) => new Date(runAt - minutes * 60_000).toISOString();
    const session = async (lastSeenMinutesAgo: number, expiresInMinutes: number) => {
      const id = randomBytes(16).toString('hex');
      await insertSession(db, {
        id,
        user_id: user.id,
        created_at: minutesBefore(60),
        last_seen_at: minutesBefore(lastSeenMinutesAgo),
        expires_at: minutesBefore(-expiresInMinutes),
      });
      return id;
    };
    const inUse = await session(10, 60);
    const nearlyIdle = await session(IDLE_MINUTES - 1, 60);
    const idle = await session(IDLE_MINUTES, 60);
    const longIdle = await session(600, 60);
    const pastExpiry = await session(1, 0);
    const attempt = (minutesAgo: number, address: string) =>
      recordSignInAttempt(db, {
        username: user.username,
        address,
        at: minutesBefore(minutesAgo),
        succeeded: false,
      });
    await attempt(LOCK_MINUTES - 1, '192.0.2.1');
    await attempt(LOCK_MINUTES, '192.0.2.2');
    await attempt(60 * 24 * 400, '192.0.2.3');

    const scheduler = new Scheduler({ db, clock, logger: createLogger('silent') }, [
      sessionSweepJob({
        db,
        config: { session: { idleMinutes: IDLE_MINUTES }, signIn: { lockMinutes: LOCK_MINUTES } },
      }),
    ]);
    assert.equal(
      scheduler.nextRun(SESSION_SWEEP_JOB, clock.now())?.toISOString(),
      '2026-12-02T10:50:00.000Z',
    );
    clock.advanceMinutes(1);
    const [run] = await scheduler.tick();
    assert.equal(run?.status, 'succeeded');
    assert.equal(run?.summary, 'Deleted 3 expired sessions; forgot 1 old sign-in attempt.');
    const left = await db.selectFrom('sessions').select('id').where('user_id', '=', user.id).execute();
    assert.deepEqual(left.map((s) => s.id).sort(), [inUse, nearlyIdle].sort());
    assert.ok(![idle, longIdle, pastExpiry].some((id) => left.some((s) => s.id === id)));
    const attempts = await db
      .selectFrom('sign_in_attempts')
      .select('address')
      .where('username', '=', user.username)
      .orderBy('address')
      .execute();
    assert.deepEqual(
      attempts.map((a) => a.address),
      ['192.0.2.1', '192.0.2.2'],
      'those within the lock window stay (the throttle counts them)',
    );
  });

  test('keeps a session ended on purpose for ENDED_SESSION_MINUTES after its end, to say why it ended (decisions 59, 62), then deletes it', async () => {
    const { db } = database();
    const user = await makeUser(db, 'la_user');
    const now = new Date('2026-12-02T10:50:00.000Z');
    const before = (minutes: number) => new Date(now.getTime() - minutes * 60_000).toISOString();
    const ended = async (minutesAgo: number, reason: SessionEnd = 'password-changed') => {
      const id = randomBytes(16).toString('hex');
      await insertSession(db, {
        id,
        user_id: user.id,
        created_at: before(60),
        last_seen_at: before(20),
        expires_at: before(-60),
      });
      assert.equal(await endSession(db, id, reason, before(minutesAgo)), true);
      return id;
    };
    const recent = await ended(ENDED_SESSION_MINUTES - 1);
    await ended(ENDED_SESSION_MINUTES);
    // A reason decision 59's version does not know (marked `ended-by:`) is kept as long.
    const recentlyDeleted = await ended(ENDED_SESSION_MINUTES - 1, 'account-deleted');
    await ended(ENDED_SESSION_MINUTES, 'account-deleted');
    assert.equal(await deleteExpiredSessions(db, now, IDLE_MINUTES), 2);
    const left = await db.selectFrom('sessions').select('id').where('user_id', '=', user.id).execute();
    assert.deepEqual(left.map((s) => s.id).sort(), [recent, recentlyDeleted].sort());
  });
});
