// `s2s upn check UPN... [--json]`: checks UPNs against the DfE rules, without a database. Characters
// 2-4 are checked against the built-in LA numbers (la-codes.ts).
import { parseArgs } from 'node:util';
import { FORMER_LAS, KNOWN_LA_NUMBERS, laName } from './la-codes.ts';
import { checkUpn, type UpnCheck } from './upn.ts';

const INDENT = ' '.repeat(33);

export const UPN_USAGE = `  upn check UPN... [--json]      check Unique Pupil Numbers: the check letter, the LA number
${INDENT}and the format (school census rules 1500-1550)
`;

export interface UpnCommandOutput {
  out(text: string): void;
  err(text: string): void;
}

const processOutput: UpnCommandOutput = {
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
};

function describe(check: UpnCheck): string {
  const shown = check.upn === '' ? '(empty)' : check.upn;
  if (check.valid) {
    const laNumber = check.laNumber ?? '';
    const name = laName(laNumber);
    const former = FORMER_LAS.get(laNumber);
    const la = `LA ${laNumber}${name ? ` ${name}` : ''}${former ? `, abolished ${former.abolished}` : ''}`;
    return `${shown} valid (${check.temporary ? 'temporary' : 'permanent'}, ${la})\n`;
  }
  const lines = check.problems.map((problem) => `  rule ${problem.rule}: ${problem.message}`);
  return `${shown} not valid:\n${lines.join('\n')}\n`;
}

/** Runs `upn SUBCOMMAND ...`. Exit codes: 0 every UPN valid, 1 any invalid, 2 usage. */
export function runUpnCommand(args: string[], io: UpnCommandOutput = processOutput): number {
  const usage = (problem: string) => {
    io.err(`${problem}\n\nUsage:\n${UPN_USAGE}`);
    return 2;
  };
  const [subcommand, ...rest] = args;
  if (subcommand !== 'check') {
    return usage(subcommand ? `Unknown upn command "${subcommand}".` : 'Name a upn command: check.');
  }
  let parsed: { values: { json?: boolean }; positionals: string[] };
  try {
    parsed = parseArgs({
      args: rest,
      strict: true,
      allowPositionals: true,
      options: { json: { type: 'boolean' } },
    });
  } catch (error) {
    return usage(error instanceof Error ? error.message : String(error));
  }
  if (parsed.positionals.length === 0) return usage('Give one or more UPNs to check.');

  const checks = parsed.positionals.map((input) => ({
    input,
    ...checkUpn(input, { knownLaNumbers: KNOWN_LA_NUMBERS }),
  }));
  const valid = checks.every((check) => check.valid);
  if (parsed.values.json) {
    io.out(`${JSON.stringify({ valid, upns: checks }, null, 2)}\n`);
  } else {
    io.out(checks.map(describe).join(''));
  }
  return valid ? 0 : 1;
}
