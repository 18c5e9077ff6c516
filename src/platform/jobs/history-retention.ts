// The jobs' history (job_runs) keeps each run for JOB_HISTORY_DAYS, then this job deletes it: seal-audit
// and scan-files alone record a run a minute, about a million rows a year. A job that has not run within
// those days keeps its old runs, so the jobs page can still say when it last ran; a run still holding its
// lease stays too. Runs are only claimed for the last CATCH_UP_HOURS (a monthly job's, until its next
// time: far within those days), so older rows are history and nothing else. It goes job by job, through the index by job and start (migration 021): asking of each
// old run whether its job had run later made PostgreSQL plan a correlated search per row (0.6 s a batch,
// most of it compiling the plan), and a filter on several jobs made SQLite read all their runs.
import { daysBefore } from '../dates.ts';
import { BATCH_ROWS, inBatches } from '../db/batches.ts';
import type { Db } from '../db/schema.ts';
import { message } from '../i18n/catalogue.ts';
import type { JobDefinition } from './scheduler.ts';

export const JOB_HISTORY_JOB = 'purge-job-history';
export const JOB_HISTORY_DAYS = 90;

/**
 * Deletes the runs of `jobs` started before `before`, of each job that has run since, but not one whose
 * lease runs on.
 */
export async function deleteJobRunsBefore(
  db: Db,
  jobs: readonly string[],
  before: string,
  { batch = BATCH_ROWS, signal }: { batch?: number; signal?: AbortSignal } = {},
): Promise<number> {
  let deleted = 0;
  for (const job of jobs) {
    const ranSince = await db
      .selectFrom('job_runs')
      .select('id')
      .where('job', '=', job)
      .where('started_at', '>=', before)
      .limit(1)
      .executeTakeFirst();
    if (!ranSince) continue;
    deleted += await inBatches(
      batch,
      async () => {
        const result = await db
          .deleteFrom('job_runs')
          .where('id', 'in', (eb) =>
            eb
              .selectFrom('job_runs')
              .select('id')
              .where('job', '=', job)
              .where('started_at', '<', before)
              .where('lease_until', '<', before)
              .orderBy('started_at')
              .limit(batch),
          )
          .executeTakeFirst();
        return Number(result.numDeletedRows);
      },
      signal,
    );
  }
  return deleted;
}

/** The job that keeps the history of `jobs` (the names of every scheduled job, its own included). */
export function jobHistoryJob(deps: { db: Db; jobs: readonly string[] }): JobDefinition {
  return {
    name: JOB_HISTORY_JOB,
    description: message('jobs.purge-job-history.description', { days: JOB_HISTORY_DAYS }),
    schedule: '20 4 * * *',
    scheduleText: message('jobs.purge-job-history.schedule'),
    exclusive: true,
    run: async ({ now, signal }) => {
      const before = daysBefore(now, JOB_HISTORY_DAYS);
      const deleted = await deleteJobRunsBefore(deps.db, deps.jobs, before, { signal });
      return {
        ok: true,
        didWork: deleted > 0,
        summary: message('jobs.purge-job-history.summary', { count: deleted }),
        counts: { deleted },
      };
    },
  };
}
