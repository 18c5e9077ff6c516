// The `s2s` command. Exit codes: 0 success, 1 invalid input or failure, 2 usage error.
import { runUsersCommand, USERS_USAGE } from './accounts/cli.ts';
import { createApp } from './app.ts';
import { CENSUS_USAGE, runCensusCommand } from './collect/cli.ts';
import { type Config, ConfigError, loadConfig } from './config.ts';
import { CTF_USAGE, runCtfCommand } from './ctf/cli.ts';
import { runUpnCommand, UPN_USAGE } from './ctf/upn-cli.ts';
import { seedDemoData } from './demo/seed.ts';
import { buildDeps } from './deps.ts';
import { IMPORT_USAGE, runImportCommand } from './directory/cli.ts';
import { JOB_NAMES, scheduledJobs } from './jobs.ts';
import { JOBS_USAGE, runJobsCommand } from './platform/jobs/cli.ts';
import { Scheduler } from './platform/jobs/scheduler.ts';
import { FILENAME_USAGE, runFilenameCommand } from './transfers/cli.ts';

const USAGE = `Usage: s2s <command>

Commands:
  serve                          run the web service (migrates, and loads demo data into an empty
                                 database outside production)
  migrate                        bring the database schema up to date
  seed-demo                      load the demo organisations and accounts into an empty database
${USERS_USAGE}${IMPORT_USAGE}${FILENAME_USAGE}${UPN_USAGE}${CTF_USAGE}${CENSUS_USAGE}${JOBS_USAGE}`;

async function main(argv: string[]): Promise<number> {
  const [command] = argv;
  if (!command || command === '--help' || command === 'help') {
    process.stdout.write(USAGE);
    return command ? 0 : 2;
  }
  // Only commands that need the database or the service read the configuration, so the file tools
  // (filename, upn, ctf, census) work whatever the environment holds.
  let loaded: Config | undefined;
  const configuration = (): Config => {
    loaded ??= loadConfig();
    return loaded;
  };
  switch (command) {
    case 'serve': {
      const config = configuration();
      const deps = await buildDeps(config);
      if (config.seedDemoData && (await seedDemoData(deps.db, deps.clock))) {
        deps.logger.info('loaded demo data: sign in as demo-school-a with password demo-password-2026');
      }
      // Every process may run the scheduler: the database decides which one runs each due job. The
      // administrators' Run now uses the same instance.
      const scheduler = new Scheduler(deps, scheduledJobs(deps));
      const app = await createApp(deps, { scheduler });
      const stop = async () => {
        await scheduler.stop();
        await app.close();
        deps.mailer.close();
        await deps.db.destroy();
        process.exit(0);
      };
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
      await app.listen({ port: config.port, host: config.host });
      if (config.scheduler) scheduler.start();
      return -1;
    }
    case 'migrate': {
      const deps = await buildDeps(configuration());
      await deps.db.destroy();
      process.stdout.write('The database schema is up to date.\n');
      return 0;
    }
    case 'seed-demo': {
      const config = configuration();
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
      return runUsersCommand(argv.slice(1), () => buildDeps(configuration()));
    case 'import':
      return runImportCommand(argv.slice(1), () => buildDeps(configuration()));
    case 'upn':
      return runUpnCommand(argv.slice(1));
    case 'ctf':
      return runCtfCommand(argv.slice(1));
    case 'census':
      return runCensusCommand(argv.slice(1));
    case 'filename':
      return runFilenameCommand(argv.slice(1), () => buildDeps(configuration()));
    case 'jobs':
      return runJobsCommand(argv.slice(1), JOB_NAMES, async () => {
        const deps = await buildDeps(configuration());
        return {
          scheduler: new Scheduler(deps, scheduledJobs(deps)),
          clock: deps.clock,
          close: async () => {
            deps.mailer.close();
            await deps.db.destroy();
          },
        };
      });
    default:
      process.stderr.write(`Unknown command "${command}".\n\n${USAGE}`);
      return 2;
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
