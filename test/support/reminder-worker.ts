// A worker process for the multi-process tests of the weekly reminder: it opens the database, says
// "ready" on stdout, waits for "go" on stdin (so that every worker starts at the same moment), then
// either ticks its scheduler at the given time ("tick": as `serve` does) or runs the job by hand
// ("manual": as `s2s jobs run weekly-reminder` does), and prints the runs it made as one line of JSON.
//
// node --import tsx test/support/reminder-worker.ts DATABASE_URL SCHEMA|- ISO_TIME tick|manual
import { createInterface } from 'node:readline';
import { sql } from 'kysely';
import { weeklyReminderJob } from '../../src/notifications/reminders.ts';
import { ManualClock } from '../../src/platform/clock.ts';
import { createDatabase } from '../../src/platform/db/database.ts';
import { type FinishedRun, Scheduler } from '../../src/platform/jobs/scheduler.ts';
import { createLogger } from '../../src/platform/logger.ts';

const [url, schema, at, mode] = process.argv.slice(2);
if (!url || !schema || !at || (mode !== 'tick' && mode !== 'manual')) {
  process.stderr.write('usage: reminder-worker.ts DATABASE_URL SCHEMA|- ISO_TIME tick|manual\n');
  process.exit(2);
}

const db = createDatabase(url, schema === '-' ? {} : { schema });
try {
  await sql`select 1`.execute(db); // connected before the start
  const scheduler = new Scheduler({ db, clock: new ManualClock(at), logger: createLogger('silent') }, [
    weeklyReminderJob({ db }),
  ]);
  const lines = createInterface({ input: process.stdin });
  process.stdout.write('ready\n');
  for await (const line of lines) if (line.trim() === 'go') break;
  lines.close();
  const runs: FinishedRun[] =
    mode === 'tick' ? await scheduler.tick() : [await scheduler.runNow('weekly-reminder')];
  process.stdout.write(
    `${JSON.stringify(runs.map((run) => ({ job: run.job, status: run.status, summary: run.summary, counts: run.counts })))}\n`,
  );
} finally {
  await db.destroy();
}
