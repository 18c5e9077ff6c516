// `s2s jobs list` and `s2s jobs run NAME [--json]`: the scheduled jobs, and running one now, by hand
// (operators may also call it from cron instead of letting `serve` schedule it). Exit codes: 0 done,
// 1 the job could not finish everything (it is safe to run again), 2 usage.
import { type CommandOutput, parseCommand, processOutput } from '../cli.ts';
import type { Clock } from '../clock.ts';
import { textIn } from '../i18n/catalogue.ts';
import { FileStoreUnusable } from '../storage/file-store.ts';
import type { Scheduler } from './scheduler.ts';

export const JOBS_USAGE = `  jobs list [--json]             the scheduled jobs: what each does, when it runs, its last run
  jobs run NAME [--json]         run a scheduled job now (names as in jobs list)
`;

export interface JobsCommandDeps {
  scheduler: Scheduler;
  clock: Clock;
  /** Throws FileStoreUnusable when the file store cannot be written (file-store.ts, checkWritable). */
  checkFileStore(): Promise<void>;
  close(): Promise<void>;
}

export async function runJobsCommand(
  args: string[],
  jobNames: readonly string[],
  open: () => Promise<JobsCommandDeps>,
  io: CommandOutput = processOutput,
): Promise<number> {
  const list = args[0] === 'list';
  const parsed = parseCommand(args, {
    name: 'jobs',
    subcommand: list ? 'list' : 'run',
    noSubcommand: 'Name a jobs command: list or run.',
    options: { json: { type: 'boolean' } },
    positionals: list
      ? undefined
      : { missing: `Name the job to run: ${jobNames.join(', ')}.`, single: 'run one job at a time' },
    usage: JOBS_USAGE,
    io,
  });
  if (typeof parsed === 'number') return parsed;
  const [name] = parsed.positionals;
  if (!list && (!name || !jobNames.includes(name))) {
    return parsed.usage(`Unknown job "${name}": the jobs are ${jobNames.join(', ')}.`);
  }

  const deps = await open();
  try {
    if (list) {
      const now = deps.clock.now();
      const history = await deps.scheduler.history(500);
      const rows = deps.scheduler.jobs.map((job) => {
        const last = history.find((run) => run.job === job.name);
        return {
          job: job.name,
          schedule: textIn('en', job.scheduleText),
          next: deps.scheduler.nextRun(job.name, now)?.toISOString() ?? null,
          lastRun: last ? { startedAt: last.started_at, status: last.status, summary: last.summary } : null,
          description: textIn('en', job.description),
        };
      });
      if (parsed.values.json) {
        io.out(`${JSON.stringify(rows)}\n`);
      } else {
        for (const row of rows) {
          const last = row.lastRun
            ? `${row.lastRun.startedAt} ${row.lastRun.status}: ${row.lastRun.summary}`
            : 'never';
          io.out(
            `${row.job}\n  ${row.description}\n  Runs ${row.schedule}; next ${row.next ?? 'never'}.\n  Last run: ${last}\n`,
          );
        }
      }
      return 0;
    }
    if (deps.scheduler.jobs.find((job) => job.name === name)?.deletesFiles) {
      try {
        await deps.checkFileStore();
      } catch (error) {
        if (!(error instanceof FileStoreUnusable)) throw error;
        // A full disk still lets files be deleted, which frees space.
        if (!error.full) {
          io.err(`${error.message} ${name} deletes stored files, so it was not run.\n`);
          return 1;
        }
      }
    }
    const run = await deps.scheduler.runNow(name as string);
    const ok = run.status === 'succeeded';
    if (parsed.values.json) {
      io.out(`${JSON.stringify({ job: run.job, ok, summary: run.summary, ...run.counts })}\n`);
    } else if (ok) {
      io.out(`${run.job}: ${run.summary}\n`);
    } else {
      io.err(
        `${run.job}: ${run.summary}${run.error ? ` (${run.error})` : ''} Run it again; the log says more.\n`,
      );
    }
    return ok ? 0 : 1;
  } finally {
    await deps.close();
  }
}
