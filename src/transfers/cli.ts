// `s2s filename check NAME... [--json] [--directory]`: checks file names against the s2s formats
// (filenames.ts) and, with --directory, the schools and LAs they name against the database (routing.ts).
import { type CommandOutput, parseCommand, processOutput } from '../platform/cli.ts';
import type { Db } from '../platform/db/schema.ts';
import { type ClassifiedFilename, classifyFilename, describeFile } from './filenames.ts';

const INDENT = ' '.repeat(33);

export const FILENAME_USAGE = `  filename check NAME... [--json] [--directory]
${INDENT}check s2s file names (CTF, census, admissions, generic) against
${INDENT}the handbook formats; --directory also checks the schools and LAs
${INDENT}they name against the database
`;

export interface FilenameCheck {
  name: string;
  valid: boolean;
  /** The classification in words, when the name's form is valid. */
  summary: string | null;
  file: ClassifiedFilename | null;
  problems: string[];
}

/** A name as typed, safe to print on a terminal: anything but visible ASCII is shown as \u{...}. */
function printable(name: string): string {
  if (name === '') return '(empty)';
  let text = '';
  for (const ch of name) {
    const code = ch.codePointAt(0) ?? 0;
    text += code > 0x20 && code < 0x7f ? ch : `\\u{${code.toString(16).toUpperCase()}}`;
  }
  return text;
}

/**
 * Runs `filename SUBCOMMAND ...`. `open` is only called with --directory, once the arguments are known
 * to be usable; the database it returns is closed before returning. Exit codes: 0 every name valid,
 * 1 any invalid, 2 usage.
 */
export async function runFilenameCommand(
  args: string[],
  open: () => Promise<{ db: Db }>,
  io: CommandOutput = processOutput,
): Promise<number> {
  const parsed = parseCommand(args, {
    name: 'filename',
    subcommand: 'check',
    options: { json: { type: 'boolean' }, directory: { type: 'boolean' } },
    positionals: { missing: 'Give one or more file names to check, like 9165402_CTF_8171234_003.XML.' },
    usage: FILENAME_USAGE,
    io,
  });
  if (typeof parsed === 'number') return parsed;

  const checks: FilenameCheck[] = parsed.positionals.map((name) => {
    const result = classifyFilename(name);
    return result.ok
      ? { name, valid: true, summary: describeFile(result.file), file: result.file, problems: [] }
      : { name, valid: false, summary: null, file: null, problems: result.problems };
  });

  if (parsed.values.directory && checks.some((check) => check.file)) {
    // Loaded here: the database code is only needed with --directory.
    const [{ db }, { checkParties }] = await Promise.all([open(), import('./routing.ts')]);
    try {
      for (const check of checks) {
        if (!check.file) continue;
        check.problems = await checkParties(db, check.file);
        check.valid = check.problems.length === 0;
      }
    } finally {
      await db.destroy();
    }
  }

  const valid = checks.every((check) => check.valid);
  if (parsed.values.json) {
    io.out(
      `${JSON.stringify({ valid, directoryChecked: parsed.values.directory === true, results: checks }, null, 2)}\n`,
    );
  } else {
    for (const check of checks) {
      const name = printable(check.name);
      if (check.valid) io.out(`${name}: valid: ${check.summary}\n`);
      for (const problem of check.problems) io.out(`${name}: ${problem}\n`);
    }
  }
  return valid ? 0 : 1;
}
