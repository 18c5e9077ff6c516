// The purge-job-history job: a job run's record goes JOB_HISTORY_DAYS after it started if its job has run
// since; a job that has not keeps its record, and a run still holding its lease stays.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { test } from 'node:test';
import { ManualClock } from '../../src/platform/clock.ts';
import { daysBefore } from '../../src/platform/dates.ts';
import type { Db, JobRunRow } from '../../src/platform/db/schema.ts';
import {
  deleteJobRunsBefore,
  JOB_HISTORY_DAYS,
  JOB_HISTORY_JOB,
  jobHistoryJob,
} from '../../src/platform/jobs/history-retention.ts';
import { Scheduler } from '../../src/platform/jobs/scheduler.ts';
import { createLogger } from '../../src/platform/logger.ts';
import { describeEachEngine } from '../support/databases.ts';

/** A run of `job` started `daysAgo` before `now`: finished, unless a lease is given. */
async function ran(db: Db, now: Date, job: string, daysAgo: number, leaseUntil?: string): Promise<string> {
  const startedAt = daysBefore(now, daysAgo);
  const row: JobRunRow = {
    id: randomUUID(),
    job,
    slot: startedAt,
    trigger: 'schedule',
    owner: 'test',
    started_at: startedAt,
    lease_until: leaseUntil ?? startedAt,
    finished_at: leaseUntil ? null : startedAt,
    status: leaseUntil ? 'running' : 'succeeded',
    attempts: 1,
    summary: `${job} ${daysAgo} days ago`,
    summary_message: null,
    error: null,
  };
  await db.insertInto('job_runs').values(row).execute();
  return row.summary as string;
}

const left = async (db: Db, jobs: string[]) =>
  (
    await db.selectFrom('job_runs').select('summary').where('job', 'in', jobs).orderBy('started_at').execute()
  ).map((row) => row.summary);

describeEachEngine('purge-job-history job', (database) => {
  test(`runs daily at 4:20am and deletes the runs started ${JOB_HISTORY_DAYS} days before, in batches, of the jobs that have run since, but never one holding its lease`, async () => {
    const { db } = database();
    // Thursday 3 December 2026, 4:20am in London (GMT).
    const runAt = new Date('2026-12-03T04:20:00.000Z');
    const [often, rare, once, stuck] = ['often', 'rare', 'once', 'stuck'].map(
      (j) => `${j}-${randomUUID().slice(0, 8)}`,
    ) as [string, string, string, string];
    const days = JOB_HISTORY_DAYS;
    const gone = [
      await ran(db, runAt, often, days + 200),
      await ran(db, runAt, often, days + 30),
      await ran(db, runAt, often, days + 0.01),
      await ran(db, runAt, rare, days + 300),
    ];
    const kept = [
      await ran(db, runAt, often, days - 0.01),
      await ran(db, runAt, often, 1),
      // Its job has not run within the days kept: the jobs page can still say when it last ran.
      await ran(db, runAt, rare, days + 100),
      await ran(db, runAt, once, days + 400),
      // Started long ago and still renewing its lease: not history yet.
      await ran(db, runAt, stuck, days + 10, new Date(runAt.getTime() + 60_000).toISOString()),
      await ran(db, runAt, stuck, 2),
    ];
    const jobs = [often, rare, once, stuck];

    const clock = new ManualClock('2026-12-03T04:19:00.000Z');
    const scheduler = new Scheduler({ db, clock, logger: createLogger('silent') }, [
      jobHistoryJob({ db, jobs }),
    ]);
    assert.equal(scheduler.nextRun(JOB_HISTORY_JOB, clock.now())?.toISOString(), runAt.toISOString());
    // A backlog goes in batches, oldest first, job by job: the two runs older than days + 100 whose jobs
    // ran since (not once's), each job's in a batch of 1 and one that finds nothing more.
    assert.equal(await deleteJobRunsBefore(db, jobs, daysBefore(runAt, days + 100), { batch: 1 }), 2);
    assert.deepEqual((await left(db, jobs)).sort(), [gone[1], gone[2], ...kept].sort());
    clock.advanceMinutes(1);
    const [run] = await scheduler.tick();
    assert.equal(run?.status, 'succeeded');
    assert.equal(run?.summary, 'Deleted the record of 2 old job runs.');
    assert.deepEqual((await left(db, jobs)).sort(), kept.sort());
  });
});
