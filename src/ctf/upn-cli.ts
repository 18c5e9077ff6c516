// `s2s upn check UPN... [--json]`: checks UPNs against the DfE rules, without a database. Characters
// 2-4 are checked against the built-in LA numbers (la-codes.ts).
import { type CommandOutput, parseCommand, processOutput } from '../platform/cli.ts';
import { FORMER_LAS, KNOWN_LA_NUMBERS, laName } from './la-codes.ts';
import { checkUpn, type UpnCheck } from './upn.ts';

const INDENT = ' '.repeat(33);

export const UPN_USAGE = `  upn check UPN... [--json]      check Unique Pupil Numbers: the check letter, the LA number
${INDENT}and the format (school census rules 1500-1550)
`;

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
export function runUpnCommand(args: string[], io: CommandOutput = processOutput): number {
  const parsed = parseCommand(args, {
    name: 'upn',
    subcommand: 'check',
    options: { json: { type: 'boolean' } },
    positionals: { missing: 'Give one or more UPNs to check.' },
    usage: UPN_USAGE,
    io,
  });
  if (typeof parsed === 'number') return parsed;

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
