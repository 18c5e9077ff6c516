// Named jobs on a schedule, in every app process, with a database deciding who runs what.
//
// - An exclusive job (the weekly reminder, the purge) runs once per scheduled time, however many
//   processes tick: each inserts a job_runs row for (job, scheduled time) and the unique index lets one
//   insert in. The runner renews a lease while it works; if its process stops, another process takes
//   the run over once the lease has passed (jobs must be safe to run again: they are). A run whose
//   lease has passed and that no process will take over (a newer time is due, or it was run by hand)
//   is marked abandoned.
// - A shared job (outbox delivery) runs in every process on its schedule; its work is shared out row by
//   row (each notification is claimed). Its runs are recorded only when they did something.
// - A scheduled time missed while no process was running is caught up if it is less than
//   CATCH_UP_HOURS old; older ones are skipped (the next one comes). A job whose run does work no later
//   run does (the monthly Lost Pupils review emails its month's records) catches up its latest time
//   however late, until the next one.
// - `s2s jobs run NAME` runs a job by hand, now, recorded as a manual run.
// Schedules are cron patterns in Europe/London time (croner), so "Monday 7am" stays 7am in summer.
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { Cron } from 'croner';
import { sql } from 'kysely';
import type { Clock } from '../clock.ts';
import { rowsInserted } from '../db/insert-once.ts';
import type { Db, JobRunRow } from '../db/schema.ts';
import { isMessage, type Message, message, textIn } from '../i18n/catalogue.ts';
import type { Logger } from '../logger.ts';
import type { JobRunMetric } from '../metrics.ts';

export interface JobContext {
  now: Date;
  trigger: 'schedule' | 'manual';
  /**
   * The scheduled time a scheduled run is for (absent for a run by hand): `now` may be hours later, on a
   * run caught up or taken over, even in the next period.
   */
  scheduledFor?: Date;
  logger: Logger;
  /**
   * Aborted when the process is stopping. A job that works in batches stops after the one in hand (by
   * throwing the reason: the run is recorded as failed, and the next run goes on from there).
   */
  signal: AbortSignal;
}

export interface JobOutcome {
  /**
   * What it did, in a sentence: a message, so the jobs page says it in the reader's language (the log, the
   * command line and the job history's `summary` keep its English).
   */
  summary: string | Message;
  /** False when part of the work could not be done (it will be tried again on the next run). */
  ok: boolean;
  /** For shared jobs: whether the run did anything worth recording. */
  didWork?: boolean;
  /** Why it stopped, when it threw. */
  error?: string;
  /** What it counted (for `s2s jobs run NAME --json`). */
  counts?: Record<string, number>;
}

export interface JobDefinition {
  /** What operators type (`s2s jobs run purge-files`): the same in every language. */
  name: string;
  /** What it does: a message, for the jobs page in the reader's language. */
  description: string | Message;
  /** A cron pattern in Europe/London time (seconds optional, first). */
  schedule: string;
  /** In words, for people: "every Monday at 7am". */
  scheduleText: string | Message;
  exclusive: boolean;
  /**
   * How late a missed scheduled time is still run: within CATCH_UP_HOURS (the default: the next run does
   * the same work, so an old one is skipped), or at any time until the next scheduled time (a run that
   * does work for its own period, which no later run does). Only the latest time is ever run.
   */
  catchUp?: 'within-a-day' | 'until-the-next-run';
  /** It deletes stored files: `s2s jobs run` refuses to start it on a file store it cannot write. */
  deletesFiles?: boolean;
  run(context: JobContext): Promise<JobOutcome>;
}

/** A recorded run, with what the job counted. */
export type FinishedRun = JobRunRow & { counts?: Record<string, number> };

/** A run's summary for a page: its message, else (a run recorded before messages were kept) its English. */
export function summaryOf(run: Pick<JobRunRow, 'summary' | 'summary_message'>): string | Message | null {
  const kept: unknown = run.summary_message ? JSON.parse(run.summary_message) : null;
  return isMessage(kept) ? kept : run.summary;
}

export const TIME_ZONE = 'Europe/London';
export const CATCH_UP_HOURS = 24;
export const LEASE_MINUTES = 10;
const HEARTBEAT_MS = (LEASE_MINUTES * 60_000) / 3;

export interface SchedulerDeps {
  db: Db;
  clock: Clock;
  logger: Logger;
  /** Counts the runs this process records, for /metrics; null or absent when off. */
  metrics?: { jobRun(job: string, outcome: JobRunMetric): void } | null;
  /** This process's name in job_runs: processOwner() unless told. */
  owner?: string;
}

/**
 * A host name is cut to this many characters in a process's name, so that the name fits job_runs.owner,
 * a shared run's slot (its time, a slash, the name) and the outbox's lease_owner, all varchar(80): an
 * EC2 instance's host name alone is 47 characters. The beginning says which host it is.
 */
const OWNER_HOST_CHARS = 32;

/** A process's name as the owner of job runs and outbox leases: host:pid:random, at most 49 characters. */
export function processOwner(host = hostname()): string {
  return `${host.slice(0, OWNER_HOST_CHARS)}:${process.pid}:${randomUUID().slice(0, 8)}`;
}

export class UnknownJob extends Error {}

export class Scheduler {
  readonly owner: string;
  private readonly crons = new Map<string, Cron>();
  private readonly sharedDone = new Map<string, string>();
  private timer: NodeJS.Timeout | undefined;
  private ticking: Promise<unknown> | undefined;
  /** The jobs this process is running, by name. */
  private readonly running = new Map<Promise<unknown>, string>();
  private readonly stopped = new AbortController();

  constructor(
    private readonly deps: SchedulerDeps,
    readonly jobs: readonly JobDefinition[],
  ) {
    this.owner = deps.owner ?? processOwner();
    for (const job of jobs)
      this.crons.set(job.name, new Cron(job.schedule, { timezone: TIME_ZONE, paused: true }));
  }

  job(name: string): JobDefinition {
    const job = this.jobs.find((candidate) => candidate.name === name);
    if (!job)
      throw new UnknownJob(`Unknown job "${name}": the jobs are ${this.jobs.map((j) => j.name).join(', ')}.`);
    return job;
  }

  /** The latest scheduled time at or before `now`. */
  latestSlot(name: string, now: Date): Date | undefined {
    return this.crons.get(name)?.previousRuns(1, new Date(now.getTime() + 1))[0];
  }

  /** The scheduled time a tick at `now` runs (or takes over): the latest, unless too old to catch up. */
  private dueSlot(job: JobDefinition, now: Date): Date | undefined {
    const slot = this.latestSlot(job.name, now);
    if (!slot || job.catchUp === 'until-the-next-run') return slot;
    return now.getTime() - slot.getTime() <= CATCH_UP_HOURS * 3_600_000 ? slot : undefined;
  }

  nextRun(name: string, now: Date): Date | null {
    return this.crons.get(name)?.nextRun(now) ?? null;
  }

  /** Checks every `intervalMs` for due jobs. */
  start(intervalMs = 15_000): void {
    if (this.timer) return;
    const tick = () => {
      if (this.ticking) return;
      this.ticking = this.tick()
        .catch((error) =>
          this.deps.logger.error({ err: error }, 'the scheduler could not check for due jobs'),
        )
        .finally(() => {
          this.ticking = undefined;
        });
    };
    this.timer = setInterval(tick, intervalMs);
    tick();
  }

  /**
   * Stops ticking, starts no more jobs, and waits for those this process is running, for `waitMs` at
   * most: the names of the jobs still running then. A process that stops without them is as one that
   * stopped suddenly: another takes each run over once its lease has passed.
   */
  async stop(waitMs = Number.POSITIVE_INFINITY): Promise<string[]> {
    this.stopped.abort(
      new Error('s2s was stopping: the job stopped between two steps; its next run goes on'),
    );
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    const settled = Promise.allSettled([this.ticking, ...this.running.keys()]).then(() => true);
    if (waitMs === Number.POSITIVE_INFINITY) await settled;
    else {
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<false>((resolve) => {
        timer = setTimeout(() => resolve(false), waitMs);
      });
      if (await Promise.race([settled, late])) clearTimeout(timer);
    }
    return [...this.running.values()];
  }

  /**
   * Runs every job that is due now and not yet run (by any process, for exclusive jobs). A job that
   * cannot be claimed or recorded (the database refused) is logged, and the jobs after it still run.
   */
  async tick(): Promise<FinishedRun[]> {
    const now = this.deps.clock.now();
    const runs: FinishedRun[] = [];
    if (this.stopped.signal.aborted) return runs;
    await this.markAbandoned(now).catch((error) =>
      this.deps.logger.error({ err: error }, 'could not mark abandoned the job runs whose process stopped'),
    );
    for (const job of this.jobs) {
      if (this.stopped.signal.aborted) break;
      // The tick's scheduled time, however long the jobs before this one took.
      const slot = this.dueSlot(job, now);
      if (!slot) continue;
      try {
        const run = job.exclusive ? await this.runExclusive(job, slot) : await this.runShared(job, slot);
        if (run) runs.push(run);
      } catch (error) {
        this.deps.logger.error(
          { err: error, job: job.name },
          'a job could not be claimed or its run recorded',
        );
      }
    }
    return runs;
  }

  /** Runs a job now, by hand. */
  async runNow(name: string): Promise<FinishedRun> {
    const ran = await this.runNowOnce(name, randomUUID());
    if (ran.already) throw new Error('a new manual run could not be recorded');
    return ran.run;
  }

  /**
   * Runs a job now, by hand, once for the form `formId` (its page's id for it): the run's slot is
   * `manual:` and that id, so the same form posted again (a double click, Back and Run now, a browser
   * resending; at once, on this node or another) claims nothing and gets the run the first post made,
   * running or finished, as `already`.
   */
  async runNowOnce(
    name: string,
    formId: string,
  ): Promise<{ run: FinishedRun; already: false } | { run: JobRunRow; already: true }> {
    const job = this.job(name);
    const slot = `manual:${formId}`;
    const run = await this.insertRun(job.name, slot, 'manual');
    if (run) return { run: await this.execute(job, run, 'manual'), already: false };
    const earlier = await this.deps.db
      .selectFrom('job_runs')
      .selectAll()
      .where('job', '=', job.name)
      .where('slot', '=', slot)
      .executeTakeFirst();
    if (!earlier) throw new Error('a manual run was neither recorded nor found');
    return { run: earlier, already: true };
  }

  /** The latest runs, newest first. */
  async history(limit = 50, job?: string): Promise<JobRunRow[]> {
    let q = this.deps.db.selectFrom('job_runs').selectAll();
    if (job) q = q.where('job', '=', job);
    return q.orderBy('started_at', 'desc').orderBy('id').limit(limit).execute();
  }

  /**
   * Marks abandoned, in one statement, the runs of these jobs whose process stopped without finishing
   * them (their lease has passed) and that no process will take over: all but each job's due time, which
   * a tick takes over. Without it they showed as running for ever.
   */
  private async markAbandoned(now: Date): Promise<void> {
    const names = this.jobs.map((job) => job.name);
    if (names.length === 0) return;
    const takeable = this.jobs.flatMap((job) => {
      const slot = job.exclusive ? this.dueSlot(job, now) : undefined;
      return slot ? [{ job: job.name, slot: slot.toISOString() }] : [];
    });
    await this.deps.db
      .updateTable('job_runs')
      .set({ status: 'abandoned' })
      // A literal, so that both engines use the index of running runs (migration 032).
      .where('status', '=', sql.lit('running'))
      .where('lease_until', '<', now.toISOString())
      .where('job', 'in', names)
      .where((eb) =>
        eb.not(eb.or(takeable.map(({ job, slot }) => eb.and([eb('job', '=', job), eb('slot', '=', slot)])))),
      )
      .execute();
  }

  private async runExclusive(job: JobDefinition, slot: Date): Promise<FinishedRun | undefined> {
    const slotKey = slot.toISOString();
    const claimed = await this.insertRun(job.name, slotKey, 'schedule');
    if (claimed) return this.execute(job, claimed, 'schedule');
    // Someone has it: take it over only if its runner stopped without finishing.
    const existing = await this.deps.db
      .selectFrom('job_runs')
      .selectAll()
      .where('job', '=', job.name)
      .where('slot', '=', slotKey)
      .executeTakeFirst();
    const now = this.deps.clock.now();
    if (existing?.status !== 'running' || existing.lease_until >= now.toISOString()) return undefined;
    const taken = await this.deps.db
      .updateTable('job_runs')
      .set({ owner: this.owner, lease_until: this.leaseFrom(now), attempts: existing.attempts + 1 })
      .where('id', '=', existing.id)
      .where('status', '=', 'running')
      .where('lease_until', '=', existing.lease_until)
      .executeTakeFirst();
    if (Number(taken.numUpdatedRows) !== 1) return undefined;
    this.deps.logger.warn({ job: job.name, slot: slotKey }, 'taking over a job run whose process stopped');
    return this.execute(job, { ...existing, owner: this.owner, attempts: existing.attempts + 1 }, 'schedule');
  }

  private async runShared(job: JobDefinition, slot: Date): Promise<FinishedRun | undefined> {
    const slotKey = slot.toISOString();
    if (this.sharedDone.get(job.name) === slotKey) return undefined;
    this.sharedDone.set(job.name, slotKey);
    const now = this.deps.clock.now();
    const outcome = await this.perform(job, 'schedule', now, slot);
    if (!outcome.didWork && outcome.ok) return undefined;
    // Recorded afterwards: shared runs are not claimed, only kept for the history.
    const run = await this.insertRun(job.name, `${slotKey}/${this.owner}`, 'schedule', now.toISOString());
    return run ? this.finish(run, outcome) : undefined;
  }

  private leaseFrom(now: Date): string {
    return new Date(now.getTime() + LEASE_MINUTES * 60_000).toISOString();
  }

  /**
   * Inserts a running row; undefined when (job, slot) has one already. Its lease runs from now, not from
   * the tick's start: a claim made after the jobs before it in a long tick had otherwise expired at
   * once, and another process took the run over while this one still ran it.
   */
  private async insertRun(
    job: string,
    slot: string,
    trigger: JobRunRow['trigger'],
    startedAt?: string,
  ): Promise<JobRunRow | undefined> {
    const now = this.deps.clock.now();
    const row: JobRunRow = {
      id: randomUUID(),
      job,
      slot,
      trigger,
      owner: this.owner,
      started_at: startedAt ?? now.toISOString(),
      lease_until: this.leaseFrom(now),
      finished_at: null,
      status: 'running',
      attempts: 1,
      summary: null,
      summary_message: null,
      error: null,
    };
    const result = await this.deps.db
      .insertInto('job_runs')
      .values(row)
      .onConflict((oc) => oc.columns(['job', 'slot']).doNothing())
      .executeTakeFirst();
    return rowsInserted(result) === 1 ? row : undefined;
  }

  private async execute(
    job: JobDefinition,
    run: JobRunRow,
    trigger: JobRunRow['trigger'],
  ): Promise<JobRunRow> {
    const heartbeat = setInterval(() => {
      this.whileClaimed(run)
        .set({ lease_until: this.leaseFrom(this.deps.clock.now()) })
        .execute()
        .catch((error) =>
          this.deps.logger.warn({ err: error, job: job.name }, 'could not renew a job lease'),
        );
    }, HEARTBEAT_MS);
    heartbeat.unref();
    // Running until its outcome is recorded: stop() waits for that too, before the database is closed.
    const scheduledFor = trigger === 'schedule' ? new Date(run.slot) : undefined;
    const work = this.perform(job, trigger, this.deps.clock.now(), scheduledFor).then((outcome) =>
      this.finish(run, outcome),
    );
    this.running.set(work, job.name);
    try {
      return await work;
    } finally {
      clearInterval(heartbeat);
      this.running.delete(work);
    }
  }

  private async perform(
    job: JobDefinition,
    trigger: JobRunRow['trigger'],
    now: Date,
    scheduledFor?: Date,
  ): Promise<JobOutcome> {
    const logger = this.deps.logger.child({ job: job.name });
    try {
      const outcome = await job.run({ now, trigger, scheduledFor, logger, signal: this.stopped.signal });
      logger.info({ ok: outcome.ok, trigger }, textIn('en', outcome.summary));
      return outcome;
    } catch (error) {
      logger.error({ err: error, trigger }, 'a job failed');
      const reason = error instanceof Error ? error.message : String(error);
      return { ok: false, summary: message('jobs.stopped'), error: reason };
    }
  }

  private async finish(run: JobRunRow, outcome: JobOutcome): Promise<FinishedRun> {
    const finished: Partial<JobRunRow> = {
      status: outcome.ok ? 'succeeded' : 'failed',
      finished_at: this.deps.clock.now().toISOString(),
      summary: textIn('en', outcome.summary).slice(0, 1000),
      summary_message: typeof outcome.summary === 'string' ? null : JSON.stringify(outcome.summary),
      error: outcome.error ? outcome.error.slice(0, 1000) : null,
    };
    const recorded = await this.whileClaimed(run).set(finished).executeTakeFirst();
    if (Number(recorded.numUpdatedRows) === 1) {
      this.deps.metrics?.jobRun(run.job, outcome.ok ? 'succeeded' : 'failed');
    } else {
      this.deps.logger.warn(
        { job: run.job, slot: run.slot },
        'a job finished after another process had taken its run over: that process records the outcome',
      );
    }
    return { ...run, ...finished, counts: outcome.counts };
  }

  /**
   * An update of the run's row while it is still the claim `run` holds: not taken over since, by another
   * process or by this one again (each claim counts an attempt).
   */
  private whileClaimed(run: JobRunRow) {
    return this.deps.db
      .updateTable('job_runs')
      .where('id', '=', run.id)
      .where('owner', '=', this.owner)
      .where('attempts', '=', run.attempts);
  }
}
