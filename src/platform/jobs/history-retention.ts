// The jobs' history (job_runs) keeps each run for JOB_HISTORY_DAYS, then this job deletes it: seal-audit
// and scan-files alone record a run a minute, about a million rows a year. A job's latest run always
// stays, so the jobs page can say when a job that runs rarely, or has not run for a while, last ran; so
// does a run still holding its lease. Runs are only claimed for the last CATCH_UP_HOURS, so older rows
// are history and nothing else.
import { daysBefore } from '../dates.ts';
import { BATCH_ROWS, inBatches } from '../db/batches.ts';
import type { Db } from '../db/schema.ts';
import { message } from '../i18n/catalogue.ts';
import type { JobDefinition } from './scheduler.ts';

export const JOB_HISTORY_JOB = 'purge-job-history';
export const JOB_HISTORY_DAYS = 90;

/** Deletes the runs started before `before`, but not a job's latest nor one whose lease runs on. */
export async function deleteJobRunsBefore(
  db: Db,
  before: string,
  { batch = BATCH_ROWS, signal }: { batch?: number; signal?: AbortSignal } = {},
): Promise<number> {
  return inBatches(
    batch,
    async () => {
      const result = await db
        .deleteFrom('job_runs')
        .where('id', 'in', (eb) =>
          eb
            .selectFrom('job_runs as r')
            .select('r.id')
            .where('r.started_at', '<', before)
            .where('r.lease_until', '<', before)
            .where(({ exists, selectFrom }) =>
              exists(
                selectFrom('job_runs as later')
                  .select('later.id')
                  .whereRef('later.job', '=', 'r.job')
                  .whereRef('later.started_at', '>', 'r.started_at'),
              ),
            )
            .orderBy('r.started_at')
            .limit(batch),
        )
        .executeTakeFirst();
      return Number(result.numDeletedRows);
    },
    signal,
  );
}

export function jobHistoryJob(deps: { db: Db }): JobDefinition {
  return {
    name: JOB_HISTORY_JOB,
    description: message('jobs.purge-job-history.description', { days: JOB_HISTORY_DAYS }),
    schedule: '20 4 * * *',
    scheduleText: message('jobs.purge-job-history.schedule'),
    exclusive: true,
    run: async ({ now, signal }) => {
      const deleted = await deleteJobRunsBefore(deps.db, daysBefore(now, JOB_HISTORY_DAYS), { signal });
      return {
        ok: true,
        didWork: deleted > 0,
        summary: message('jobs.purge-job-history.summary', { count: deleted }),
        counts: { deleted },
      };
    },
  };
}
