import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { test } from 'node:test';
import { ManualClock } from '../../src/platform/clock.ts';
import type { Db } from '../../src/platform/db/schema.ts';
import {
  CATCH_UP_HOURS,
  type JobDefinition,
  LEASE_MINUTES,
  processOwner,
  Scheduler,
} from '../../src/platform/jobs/scheduler.ts';
import { createLogger } from '../../src/platform/logger.ts';
import { createTestDatabase, describeEachEngine } from '../support/databases.ts';
import { signal } from '../support/signals.ts';

const logger = createLogger('silent');

/** The row a node leaves when it claimed a run at `claimedAt` and then stopped: 'running', its lease held. */
async function insertRunOfStoppedNode(db: Db, job: string, slot: string, claimedAt: Date): Promise<void> {
  await db
    .insertInto('job_runs')
    .values({
      id: randomUUID(),
      job,
      slot,
      trigger: 'schedule',
      owner: 'gone:1:dead',
      started_at: claimedAt.toISOString(),
      lease_until: new Date(claimedAt.getTime() + LEASE_MINUTES * 60_000).toISOString(),
      status: 'running',
      attempts: 1,
    })
    .execute();
}

/** A job that counts its runs; exclusive unless told otherwise. */
function countingJob(overrides: Partial<JobDefinition> = {}): JobDefinition & { runs: Date[] } {
  const runs: Date[] = [];
  return {
    name: `job-${randomUUID().slice(0, 8)}`,
    description: 'counts its runs',
    // Mondays at 7am, London time.
    schedule: '0 7 * * 1',
    scheduleText: 'every Monday at 7am',
    exclusive: true,
    runs,
    run: async ({ now }) => {
      runs.push(now);
      return { ok: true, summary: `Run ${runs.length}.` };
    },
    ...overrides,
  };
}

describeEachEngine('scheduler', (database) => {
  test('a due exclusive job runs once for its scheduled time, however many schedulers tick', async () => {
    const { db } = database();
    // Monday 23 November 2026, 7:00:30 in London (GMT).
    const clock = new ManualClock('2026-11-23T07:00:30.000Z');
    const job = countingJob();
    const [first, second, third] = [1, 2, 3].map(() => new Scheduler({ db, clock, logger }, [job])) as [
      Scheduler,
      Scheduler,
      Scheduler,
    ];
    const schedulers = [first, second, third];
    const ticks = await Promise.all(schedulers.map((s) => s.tick()));
    assert.equal(job.runs.length, 1);
    assert.equal(ticks.flat().length, 1);
    // Later the same week: nothing more.
    clock.advanceMinutes(60 * 24 * 3);
    await Promise.all(schedulers.map((s) => s.tick()));
    assert.equal(job.runs.length, 1);
    const [run] = await first.history(10, job.name);
    assert.equal(run?.slot, '2026-11-23T07:00:00.000Z');
    assert.equal(run?.status, 'succeeded');
    assert.equal(run?.summary, 'Run 1.');
    assert.equal(run?.trigger, 'schedule');
    // The next Monday it runs again.
    clock.advanceMinutes(60 * 24 * 4);
    await second.tick();
    assert.equal(job.runs.length, 2);
  });

  test('schedules are London time: in summer "7am" is 6:00 UTC', async () => {
    const { db } = database();
    const clock = new ManualClock('2026-06-01T05:59:00.000Z');
    const job = countingJob();
    const scheduler = new Scheduler({ db, clock, logger }, [job]);
    assert.equal(scheduler.nextRun(job.name, clock.now())?.toISOString(), '2026-06-01T06:00:00.000Z');
    await scheduler.tick();
    assert.equal(job.runs.length, 0, 'not due before 7am London time');
    clock.advanceMinutes(1);
    await scheduler.tick();
    assert.equal(job.runs.length, 1);
  });

  test(`a scheduled time missed by less than ${CATCH_UP_HOURS} hours is caught up; an older one is skipped`, async () => {
    const { db } = database();
    const job = countingJob();
    const late = new ManualClock('2026-11-24T06:00:00.000Z'); // 23 hours after Monday 7am
    await new Scheduler({ db, clock: late, logger }, [job]).tick();
    assert.equal(job.runs.length, 1);
    const other = countingJob();
    const tooLate = new ManualClock('2026-11-24T07:30:00.000Z');
    await new Scheduler({ db, clock: tooLate, logger }, [other]).tick();
    assert.equal(other.runs.length, 0);
  });

  test('a job that catches up until its next run runs its latest missed time however late, and only that one', async () => {
    const { db } = database();
    // The 1st of each month at 6am, London time; missed on 1 November and 1 December.
    const job = countingJob({ schedule: '0 6 1 * *', catchUp: 'until-the-next-run' });
    const clock = new ManualClock('2026-12-31T23:00:00.000Z');
    const scheduler = new Scheduler({ db, clock, logger }, [job]);
    await scheduler.tick();
    assert.deepEqual(
      job.runs.map((at) => at.toISOString()),
      ['2026-12-31T23:00:00.000Z'],
    );
    const [run] = await scheduler.history(10, job.name);
    assert.equal(run?.slot, '2026-12-01T06:00:00.000Z');
    clock.advanceMinutes(30);
    await scheduler.tick();
    assert.equal(job.runs.length, 1, 'once');
  });

  test('a run whose process stopped is taken over once its lease has passed, and not before', async () => {
    const { db } = database();
    const clock = new ManualClock('2026-11-23T07:00:00.000Z');
    const job = countingJob();
    // A process claimed the run and then stopped: its row stays 'running'.
    await insertRunOfStoppedNode(db, job.name, '2026-11-23T07:00:00.000Z', clock.now());
    const scheduler = new Scheduler({ db, clock, logger }, [job]);
    clock.advanceMinutes(LEASE_MINUTES - 1);
    await scheduler.tick();
    assert.equal(job.runs.length, 0, 'the lease still holds');
    clock.advanceMinutes(2);
    await scheduler.tick();
    assert.equal(job.runs.length, 1);
    const [run] = await scheduler.history(10, job.name);
    assert.equal(run?.status, 'succeeded');
    assert.equal(run?.attempts, 2);
    assert.equal(run?.owner, scheduler.owner);
  });

  test('stopping waits for a running job for the time given at most, names it, and starts no other', async () => {
    const { db } = database();
    const clock = new ManualClock('2026-11-23T07:00:30.000Z');
    let finish: (() => void) | undefined;
    const slow = countingJob({
      run: () =>
        new Promise((resolve) => {
          finish = () => resolve({ ok: true, summary: 'Done.' });
        }),
    });
    const next = countingJob();
    const scheduler = new Scheduler({ db, clock, logger }, [slow, next]);
    const ticking = scheduler.tick();
    // The tick starts the slow job and waits for it before looking at the next.
    while (!finish) await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(await scheduler.stop(20), [slow.name]);
    finish();
    await ticking;
    assert.deepEqual(await scheduler.stop(20), [], 'none left once it finished');
    assert.equal(next.runs.length, 0, 'no job starts once stopping');
    const [run] = await scheduler.history(10, slow.name);
    assert.equal(run?.status, 'succeeded');
  });

  test('stopping tells a running job by its signal: a job working in batches ends after the one in hand, recorded as failed with the reason', async () => {
    const { db } = database();
    const clock = new ManualClock('2026-11-23T07:00:30.000Z');
    let batches = 0;
    const batched = countingJob({
      run: async ({ signal }) => {
        for (;;) {
          batches += 1;
          await new Promise((resolve) => setImmediate(resolve));
          signal.throwIfAborted();
        }
      },
    });
    const scheduler = new Scheduler({ db, clock, logger }, [batched]);
    const ticking = scheduler.tick();
    while (batches < 3) await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(await scheduler.stop(10_000), [], 'the job ended: nothing left running');
    await ticking;
    const [run] = await scheduler.history(10, batched.name);
    assert.equal(run?.status, 'failed');
    assert.match(run?.error ?? '', /stopping.*next run goes on/);
  });

  test('a job that throws is recorded as failed with its error, and the scheduler carries on', async () => {
    const { db } = database();
    const clock = new ManualClock('2026-11-23T07:00:00.000Z');
    const broken = countingJob({
      run: async () => {
        throw new Error('the store is unreachable');
      },
    });
    const fine = countingJob();
    const scheduler = new Scheduler({ db, clock, logger }, [broken, fine]);
    const runs = await scheduler.tick();
    assert.deepEqual(
      runs.map((r) => [r.job, r.status, r.error]),
      [
        [broken.name, 'failed', 'the store is unreachable'],
        [fine.name, 'succeeded', null],
      ],
    );
  });

  test('a job run by hand runs now, whatever the schedule, and is recorded as manual', async () => {
    const { db } = database();
    const clock = new ManualClock('2026-11-25T12:00:00.000Z');
    const job = countingJob({
      run: async () => ({ ok: true, summary: 'Did 3 things.', counts: { things: 3 } }),
    });
    const scheduler = new Scheduler({ db, clock, logger }, [job]);
    const run = await scheduler.runNow(job.name);
    assert.equal(run.trigger, 'manual');
    assert.match(run.slot, /^manual:/);
    assert.deepEqual(run.counts, { things: 3 });
    assert.throws(() => scheduler.job('nonsense'), /Unknown job "nonsense": the jobs are job-/);
  });

  test('a shared job runs in every process on its schedule and is recorded only when it did something', async () => {
    const { db } = database();
    const clock = new ManualClock('2026-11-23T07:00:05.000Z');
    let work = 0;
    const shared = countingJob({
      schedule: '*/20 * * * * *',
      exclusive: false,
      run: async () => ({ ok: true, didWork: work > 0, summary: `Sent ${work}.` }),
    });
    const a = new Scheduler({ db, clock, logger }, [shared]);
    const b = new Scheduler({ db, clock, logger }, [shared]);
    assert.deepEqual(await a.tick(), []);
    assert.deepEqual(await a.tick(), [], 'once per scheduled time in a process');
    clock.advanceMinutes(1);
    work = 2;
    const [ranA] = await a.tick();
    const [ranB] = await b.tick();
    assert.equal(ranA?.summary, 'Sent 2.');
    assert.equal(ranB?.summary, 'Sent 2.');
    assert.equal((await a.history(10, shared.name)).length, 2);
  });
});

/** A shared job that sends the outbox, and did something each time. */
function deliveryJob(overrides: Partial<JobDefinition> = {}): JobDefinition {
  return countingJob({
    name: `deliver-${randomUUID().slice(0, 8)}`,
    schedule: '*/20 * * * * *',
    scheduleText: 'every 20 seconds',
    exclusive: false,
    run: async () => ({ ok: true, didWork: true, summary: 'Sent 3 emails.' }),
    ...overrides,
  });
}

describeEachEngine('exclusive jobs on two nodes', (database) => {
  test('a run claimed late in a long tick is not taken over by another node while its claimer still works on it', async () => {
    const { db } = database();
    const clock = new ManualClock('2026-11-23T10:00:05.000Z');
    let slowOnce = true;
    // The first delivery of node A's tick takes longer than a lease, before it reaches the hourly job.
    const deliver = deliveryJob({
      run: async () => {
        if (slowOnce) {
          slowOnce = false;
          clock.advanceMinutes(LEASE_MINUTES + 5);
        }
        return { ok: true, didWork: true, summary: 'Sent.' };
      },
    });
    let running = 0;
    let overlapped = 0;
    const { fired: released, fire: release } = signal();
    const { fired: aClaimed, fire: claimedByA } = signal();
    const hourly = countingJob({
      schedule: '0 * * * *',
      scheduleText: 'every hour',
      run: async () => {
        running += 1;
        if (running > 1) overlapped += 1;
        claimedByA();
        await released;
        running -= 1;
        return { ok: true, summary: 'Done.' };
      },
    });
    const nodeA = new Scheduler({ db, clock, logger }, [deliver, hourly]);
    const nodeB = new Scheduler({ db, clock, logger }, [deliver, hourly]);
    const tickA = nodeA.tick();
    await aClaimed;
    clock.advanceMinutes(1 / 60);
    const tickB = nodeB.tick();
    await new Promise((resolve) => setTimeout(resolve, 500));
    release();
    await Promise.all([tickA, tickB]);
    assert.equal(overlapped, 0);
    const [run] = await nodeA.history(10, hourly.name);
    assert.equal(run?.owner, nodeA.owner);
    assert.equal(run?.attempts, 1);
    assert.equal(run?.status, 'succeeded');
  });

  test('a run taken over records the outcome of the node that took it, not of the one that lost it', async () => {
    const { db } = database();
    const clock = new ManualClock('2026-11-23T07:00:30.000Z');
    const { fired: released, fire: release } = signal();
    const { fired: aStarted, fire: started } = signal();
    let runs = 0;
    const job = countingJob({
      run: async () => {
        runs += 1;
        if (runs === 1) {
          // Node A's run: it hangs past its lease (its heartbeat could not reach the database, say).
          started();
          await released;
          return { ok: false, summary: 'Late and failed.', error: 'too late' };
        }
        return { ok: true, summary: 'Done by B.' };
      },
    });
    const nodeA = new Scheduler({ db, clock, logger }, [job]);
    const nodeB = new Scheduler({ db, clock, logger }, [job]);
    const tickA = nodeA.tick();
    await aStarted;
    clock.advanceMinutes(LEASE_MINUTES + 1);
    await nodeB.tick();
    release();
    await tickA;
    const [run] = await nodeB.history(10, job.name);
    assert.equal(run?.owner, nodeB.owner);
    assert.equal(run?.status, 'succeeded');
    assert.equal(run?.summary, 'Done by B.');
  });

  test('a run left by a node that died is marked abandoned once its lease has passed, not shown as running for ever', async () => {
    const { db } = database();
    const clock = new ManualClock('2026-11-23T10:00:30.000Z');
    const job = countingJob({ schedule: '0 * * * * *', scheduleText: 'every minute' });
    const slot = '2026-11-23T10:00:00.000Z';
    await insertRunOfStoppedNode(db, job.name, slot, clock.now());
    const survivor = new Scheduler({ db, clock, logger }, [job]);
    const statusOfDeadRun = async () =>
      (
        await db
          .selectFrom('job_runs')
          .select('status')
          .where('job', '=', job.name)
          .where('slot', '=', slot)
          .executeTakeFirstOrThrow()
      ).status;
    for (let minute = 1; minute < LEASE_MINUTES; minute += 1) {
      clock.advanceMinutes(1);
      await survivor.tick();
    }
    assert.equal(await statusOfDeadRun(), 'running', 'its lease still holds');
    for (let minute = 0; minute < 2; minute += 1) {
      clock.advanceMinutes(1);
      await survivor.tick();
    }
    assert.equal(await statusOfDeadRun(), 'abandoned');
    assert.equal(job.runs.length, LEASE_MINUTES + 1, 'the later minutes ran');
  });

  test('the latest scheduled time of a run whose lease has passed is taken over, not abandoned', async () => {
    const { db } = database();
    const clock = new ManualClock('2026-11-23T07:00:00.000Z');
    const job = countingJob();
    const other = countingJob();
    await insertRunOfStoppedNode(db, job.name, '2026-11-23T07:00:00.000Z', clock.now());
    clock.advanceMinutes(LEASE_MINUTES + 1);
    // A node whose first job is another: it marks abandoned runs before it reaches this one's.
    await new Scheduler({ db, clock, logger }, [other, job]).tick();
    assert.equal(job.runs.length, 1);
    const [run] = await db.selectFrom('job_runs').selectAll().where('job', '=', job.name).execute();
    assert.equal(run?.status, 'succeeded');
    assert.equal(run?.attempts, 2);
  });
});

/** An EC2 instance's host name: longer than a job run's owner may be. */
const EC2_HOST = 'i-0123456789abcdef0.eu-west-2.compute.internal';

test("a process's name in job runs and the outbox is bounded, and still says which host it is", () => {
  const owner = processOwner(EC2_HOST);
  assert.ok(owner.length <= 49, owner);
  assert.match(owner, /^i-0123456789abcdef0\.eu-west-2\.co:\d+:[0-9a-f]{8}$/);
  assert.match(processOwner('s2s-1'), /^s2s-1:\d+:[0-9a-f]{8}$/);
});

test('on a host with an EC2-style name, a shared run is recorded and the exclusive jobs after it run [postgres]', async () => {
  const database = await createTestDatabase('postgres');
  try {
    const { db } = database;
    const clock = new ManualClock('2026-11-23T10:00:30.000Z');
    const deliver = deliveryJob();
    const scan = countingJob({ schedule: '15 * * * * *', scheduleText: 'every minute' });
    const node = new Scheduler({ db, clock, logger, owner: processOwner(EC2_HOST) }, [deliver, scan]);
    const runs = await node.tick();
    assert.deepEqual(
      runs.map((run) => run.job),
      [deliver.name, scan.name],
    );
  } finally {
    await database.drop();
  }
});

test('a job whose run cannot be recorded does not stop the jobs after it in the tick [postgres]', async () => {
  const database = await createTestDatabase('postgres');
  try {
    const { db } = database;
    const clock = new ManualClock('2026-11-23T10:00:30.000Z');
    // Its name is too long for job_runs.job (varchar(40)): its run cannot be recorded.
    const deliver = deliveryJob({ name: `deliver-${'x'.repeat(40)}` });
    const scan = countingJob({ schedule: '15 * * * * *', scheduleText: 'every minute' });
    const runs = await new Scheduler({ db, clock, logger }, [deliver, scan]).tick();
    assert.equal(scan.runs.length, 1);
    assert.deepEqual(
      runs.map((run) => run.job),
      [scan.name],
    );
  } finally {
    await database.drop();
  }
});
