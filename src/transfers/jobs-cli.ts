// `s2s jobs run NAME [--json]`: runs a scheduled job once, now (operators call it from cron or a
// scheduler). Exit codes: 0 done, 1 the job could not finish everything (it is safe to run again),
// 2 usage.
import { type CommandOutput, parseCommand, processOutput } from '../platform/cli.ts';
import type { Clock } from '../platform/clock.ts';
import type { Db } from '../platform/db/schema.ts';
import type { Logger } from '../platform/logger.ts';
import type { EncryptedFileStore } from '../platform/storage/encrypted-store.ts';
import { REDOWNLOAD_DAYS } from './download-listing.ts';
import { purgeExpiredContent, REJECTED_RETENTION_DAYS } from './jobs.ts';

const INDENT = ' '.repeat(33);

export const JOBS = ['purge-files'] as const;

export const JOBS_USAGE = `  jobs run NAME [--json]         run a scheduled job now. purge-files deletes the content of
${INDENT}collected files ${REDOWNLOAD_DAYS} days after their last download, of rejected files
${INDENT}${REJECTED_RETENTION_DAYS} days after the rejection, and of removed files (their records
${INDENT}stay, for reports)
`;

export interface JobDeps {
  db: Db;
  files: Pick<EncryptedFileStore, 'remove'>;
  clock: Clock;
  logger: Logger;
}

/** Runs `jobs SUBCOMMAND ...`; `open` is only called once the arguments are known to be usable. */
export async function runJobsCommand(
  args: string[],
  open: () => Promise<JobDeps>,
  io: CommandOutput = processOutput,
): Promise<number> {
  const parsed = parseCommand(args, {
    name: 'jobs',
    subcommand: 'run',
    options: { json: { type: 'boolean' } },
    positionals: { missing: `Name the job to run: ${JOBS.join(', ')}.`, single: 'run one job at a time' },
    usage: JOBS_USAGE,
    io,
  });
  if (typeof parsed === 'number') return parsed;
  const [name] = parsed.positionals;
  if (name !== 'purge-files') return parsed.usage(`Unknown job "${name}": the jobs are ${JOBS.join(', ')}.`);

  const deps = await open();
  try {
    const result = await purgeExpiredContent(deps.db, deps.files, deps.clock, deps.logger);
    if (parsed.values.json) {
      io.out(`${JSON.stringify({ job: name, ...result })}\n`);
    } else {
      const files = (n: number) => `${n} ${n === 1 ? 'file' : 'files'}`;
      io.out(`purge-files: deleted the content of ${files(result.purged)}.\n`);
      if (result.failed > 0) {
        io.err(
          `purge-files: the content of ${files(result.failed)} could not be deleted; run the job again (the log says why).\n`,
        );
      }
    }
    return result.failed > 0 ? 1 : 0;
  } finally {
    await deps.db.destroy();
  }
}
