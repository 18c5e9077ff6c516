// `s2s import establishments`: loads a GIAS extract into the directory from the command line.
import type { Deps } from '../deps.ts';
import { type CommandOutput, parseCommand, processOutput } from '../platform/cli.ts';
import { GiasImportError, importEstablishments } from './gias-import.ts';

export const IMPORT_USAGE = `  import establishments FILE [--json]
                                 load a GIAS "edubasealldata" CSV extract into the school directory:
                                 adds new establishments and LAs, updates the details GIAS owns
`;

/** `import establishments FILE [--json]`: 0 the file was read (rows may be skipped), 1 refused, 2 usage. */
export async function runImportCommand(
  args: string[],
  buildDeps: () => Promise<Deps>,
  io: CommandOutput = processOutput,
): Promise<number> {
  // What to import is the first positional argument, so `import --json establishments FILE` works too.
  const parsed = parseCommand(args, {
    name: 'import',
    options: { json: { type: 'boolean' } },
    positionals: {},
    usage: IMPORT_USAGE,
    io,
  });
  if (typeof parsed === 'number') return parsed;
  const { usage } = parsed;
  const [what, file, ...extra] = parsed.positionals;
  if (what !== 'establishments') {
    return usage(what ? `Unknown import "${what}".` : 'Say what to import: establishments.');
  }
  if (!file) return usage('Name the GIAS extract to import, like edubasealldata20260101.csv.');
  if (extra.length > 0) return usage(`Unexpected argument "${extra[0]}".`);
  const deps = await buildDeps();
  try {
    const report = await importEstablishments(deps.db, deps.clock, file);
    if (parsed.values.json) {
      io.out(`${JSON.stringify(report, null, 2)}\n`);
      return 0;
    }
    const las = report.localAuthoritiesAdded;
    io.out(
      `Imported ${file}: ${report.rows} rows read; ${report.added} added, ${report.updated} updated, ` +
        `${report.unchanged} unchanged, ${report.skipped} skipped; ${las} local ${las === 1 ? 'authority' : 'authorities'} added.\n`,
    );
    for (const skipped of report.skippedRows) {
      const urn = skipped.urn ? ` (URN ${skipped.urn})` : '';
      io.out(`Skipped line ${skipped.line}${urn}: ${skipped.reason}\n`);
    }
    return 0;
  } catch (error) {
    if (error instanceof GiasImportError) {
      io.err(`${error.message}\n`);
      return 1;
    }
    throw error;
  } finally {
    await deps.db.destroy();
  }
}
