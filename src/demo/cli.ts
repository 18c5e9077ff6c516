// `s2s seed-scale [--fraction F] [--json]`: the demo data inside a share of a country's synthetic data
// (scale.ts), into an empty database outside production. Exit codes: 0 loaded, 1 refused or failed,
// 2 usage. Progress goes to standard error, the summary to standard output.
import type { Config } from '../config.ts';
import type { Deps } from '../deps.ts';
import { type CommandOutput, parseCommand, processOutput } from '../platform/cli.ts';
import { NATIONAL_SCALE, seedScale } from './scale.ts';

const count = (n: number) => n.toLocaleString('en-GB');

export const SEED_SCALE_USAGE = `  seed-scale [--fraction F] [--json]
                                 load the demo data inside F (default 1) of a country's synthetic
                                 data into an empty database outside production: at 1, ${count(NATIONAL_SCALE.schools)}
                                 schools, ${count(NATIONAL_SCALE.transfers)} transfers, ${count(NATIONAL_SCALE.lostPupils)} lost pupils,
                                 ${count(NATIONAL_SCALE.messages)} messages (for load tests; files have no content)
`;

export async function runSeedScaleCommand(
  args: string[],
  config: () => Promise<Config>,
  open: () => Promise<Pick<Deps, 'db' | 'clock'> & { close(): Promise<void> }>,
  io: CommandOutput = processOutput,
): Promise<number> {
  const parsed = parseCommand(args, {
    name: 'seed-scale',
    options: { fraction: { type: 'string' }, json: { type: 'boolean' } },
    usage: SEED_SCALE_USAGE,
    io,
  });
  if (typeof parsed === 'number') return parsed;
  const values = parsed.values as { fraction?: string; json?: boolean };
  const fraction = Number(values.fraction ?? '1');
  if (!(fraction > 0 && fraction <= 1)) {
    return parsed.usage(
      `--fraction must be a number above 0 and at most 1 (1 is national scale, 0.01 is 1%), not "${values.fraction}".`,
    );
  }
  if ((await config()).env === 'production') {
    io.err('Demo data is never loaded in production (S2S_ENV=production).\n');
    return 1;
  }
  const deps = await open();
  try {
    const started = Date.now();
    const summary = await seedScale(deps.db, deps.clock, {
      fraction,
      progress: (line) => io.err(`${line}\n`),
    });
    if (!summary) {
      io.err(
        'The database already holds organisations or users; nothing was loaded. seed-scale only loads into an empty database.\n',
      );
      return 1;
    }
    const seconds = Math.round((Date.now() - started) / 1000);
    if (values.json) io.out(`${JSON.stringify({ fraction, ...summary, seconds })}\n`);
    else
      io.out(
        `Loaded the demo data and ${fraction} of the country in ${seconds} s: ${count(summary.las)} LAs, ` +
          `${count(summary.schools)} schools, ${count(summary.users)} users, ${count(summary.transfers)} transfers ` +
          `(${count(summary.transferPupils)} pupils listed), ${count(summary.lostPupils)} lost pupils, ` +
          `${count(summary.messages)} messages (${count(summary.messageRecipients)} copies). ` +
          'Sign in as the demo users (README) to see it.\n',
      );
    return 0;
  } finally {
    await deps.close();
  }
}
