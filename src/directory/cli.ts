// `s2s import establishments`: loads a GIAS extract into the directory from the command line.
import { parseArgs } from 'node:util';
import type { Deps } from '../deps.ts';
import { GiasImportError, importEstablishments } from './gias-import.ts';

export const IMPORT_USAGE = `  import establishments FILE [--json]
                                 load a GIAS "edubasealldata" CSV extract into the school directory:
                                 adds new establishments and LAs, updates the details GIAS owns
`;

/** `import establishments FILE [--json]`: 0 the file was read (rows may be skipped), 1 refused, 2 usage. */
export async function runImportCommand(args: string[], buildDeps: () => Promise<Deps>): Promise<number> {
  const usage = (problem: string) => {
    process.stderr.write(`${problem}\n\nUsage:\n${IMPORT_USAGE}`);
    return 2;
  };
  let parsed: { values: { json?: boolean }; positionals: string[] };
  try {
    parsed = parseArgs({
      args,
      strict: true,
      allowPositionals: true,
      options: { json: { type: 'boolean' } },
    });
  } catch (error) {
    return usage(error instanceof Error ? error.message : String(error));
  }
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
      process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
      return 0;
    }
    const las = report.localAuthoritiesAdded;
    process.stdout.write(
      `Imported ${file}: ${report.rows} rows read; ${report.added} added, ${report.updated} updated, ` +
        `${report.unchanged} unchanged, ${report.skipped} skipped; ${las} local ${las === 1 ? 'authority' : 'authorities'} added.\n`,
    );
    for (const skipped of report.skippedRows) {
      const urn = skipped.urn ? ` (URN ${skipped.urn})` : '';
      process.stdout.write(`Skipped line ${skipped.line}${urn}: ${skipped.reason}\n`);
    }
    return 0;
  } catch (error) {
    if (error instanceof GiasImportError) {
      process.stderr.write(`${error.message}\n`);
      return 1;
    }
    throw error;
  } finally {
    await deps.db.destroy();
  }
}
