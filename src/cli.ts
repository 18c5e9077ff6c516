// The `s2s` command. Exit codes: 0 success, 1 invalid input or failure, 2 usage error.
import { parseArgs } from 'node:util';
import { runUsersCommand, USERS_USAGE } from './accounts/cli.ts';
import { createApp } from './app.ts';
import { type Config, ConfigError, loadConfig } from './config.ts';
import { seedDemoData } from './demo/seed.ts';
import { buildDeps } from './deps.ts';
import { GiasImportError, importEstablishments } from './directory/gias-import.ts';

const IMPORT_USAGE = `  import establishments FILE [--json]
                                 load a GIAS "edubasealldata" CSV extract into the school directory:
                                 adds new establishments and LAs, updates the details GIAS owns
`;

const USAGE = `Usage: s2s <command>

Commands:
  serve                          run the web service (migrates, and loads demo data into an empty
                                 database outside production)
  migrate                        bring the database schema up to date
  seed-demo                      load the demo organisations and accounts into an empty database
${USERS_USAGE}${IMPORT_USAGE}`;

async function main(argv: string[]): Promise<number> {
  const [command] = argv;
  if (!command || command === '--help' || command === 'help') {
    process.stdout.write(USAGE);
    return command ? 0 : 2;
  }
  const config = loadConfig();
  switch (command) {
    case 'serve': {
      const deps = await buildDeps(config);
      if (config.seedDemoData && (await seedDemoData(deps.db, deps.clock))) {
        deps.logger.info('loaded demo data: sign in as demo-school-a with password demo-password-2026');
      }
      const app = await createApp(deps);
      const stop = async () => {
        await app.close();
        await deps.db.destroy();
        process.exit(0);
      };
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
      await app.listen({ port: config.port, host: config.host });
      return -1;
    }
    case 'migrate': {
      const deps = await buildDeps(config);
      await deps.db.destroy();
      process.stdout.write('The database schema is up to date.\n');
      return 0;
    }
    case 'seed-demo': {
      if (config.env === 'production') {
        process.stderr.write('Demo data is never loaded in production (S2S_ENV=production).\n');
        return 1;
      }
      const deps = await buildDeps(config);
      const loaded = await seedDemoData(deps.db, deps.clock);
      await deps.db.destroy();
      process.stdout.write(
        loaded
          ? 'Loaded the demo data.\n'
          : 'The database already holds organisations or users; nothing was loaded.\n',
      );
      return loaded ? 0 : 1;
    }
    case 'users':
      return runUsersCommand(argv.slice(1), () => buildDeps(config));
    case 'import':
      return runImportCommand(argv.slice(1), config);
    default:
      process.stderr.write(`Unknown command "${command}".\n\n${USAGE}`);
      return 2;
  }
}

/** `import establishments FILE [--json]`: 0 the file was read (rows may be skipped), 1 refused, 2 usage. */
async function runImportCommand(args: string[], config: Config): Promise<number> {
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
  const deps = await buildDeps(config);
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

try {
  const code = await main(process.argv.slice(2));
  if (code >= 0) process.exit(code);
} catch (error) {
  if (error instanceof ConfigError) {
    process.stderr.write(`${error.message}\n`);
    process.exit(2);
  }
  process.stderr.write(`s2s: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
}
