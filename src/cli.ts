// The `s2s` command. Exit codes: 0 success, 1 invalid input or failure, 2 usage error.
// Each command loads only its own feature's code: the file tools (upn, ctf, census, filename) start
// without loading the web service, and `serve` without the command-line tools.
import type { Config } from './config.ts';
import type { DepsOverrides } from './deps.ts';

/**
 * How long `serve` waits for its running jobs when told to stop (SIGTERM, SIGINT): within the 30 s an
 * orchestrator usually allows before it kills a process, so the service closes cleanly either way.
 */
const SHUTDOWN_JOB_WAIT_MS = 20_000;
/**
 * Then how long it lets the requests in progress finish before it closes their connections: without a
 * bound, a connection busy at that moment held the process for up to Fastify's keep-alive timeout (72 s),
 * and a request whose body never ends for ever, past what an orchestrator allows.
 */
const SHUTDOWN_REQUEST_WAIT_MS = 5_000;

async function usage(): Promise<string> {
  const [accounts, directory, transfers, upn, ctf, census, jobs, audit, backup, keys, demo] =
    await Promise.all([
      import('./accounts/cli.ts'),
      import('./directory/cli.ts'),
      import('./transfers/cli.ts'),
      import('./ctf/upn-cli.ts'),
      import('./ctf/cli.ts'),
      import('./collect/cli.ts'),
      import('./platform/jobs/cli.ts'),
      import('./audit/cli.ts'),
      import('./backup/cli.ts'),
      import('./keys/cli.ts'),
      import('./demo/cli.ts'),
    ]);
  return `Usage: s2s <command>

Commands:
  serve                          run the web service (migrates, and loads demo data into an empty
                                 database outside production)
  migrate                        bring the database schema up to date
  seed-demo                      load the demo organisations and accounts into an empty database
${demo.SEED_SCALE_USAGE}${accounts.USERS_USAGE}${directory.IMPORT_USAGE}${transfers.FILENAME_USAGE}${upn.UPN_USAGE}${ctf.CTF_USAGE}${census.CENSUS_USAGE}${jobs.JOBS_USAGE}${audit.AUDIT_USAGE}${backup.BACKUP_USAGE}${keys.KEYS_USAGE}`;
}

/**
 * The service's parts for a command other than `serve`: its log goes to standard error, since standard
 * output is the command's answer (its JSON, the audit CSV) for a program or a file to read.
 */
async function buildDeps(config: Config, overrides?: DepsOverrides) {
  const [{ buildDeps: build }, { createLogger, standardError }] = await Promise.all([
    import('./deps.ts'),
    import('./platform/logger.ts'),
  ]);
  return build(config, { logger: createLogger(config.logLevel, standardError()), ...overrides });
}

async function main(argv: string[]): Promise<number> {
  const [command] = argv;
  if (!command || command === '--help' || command === 'help') {
    process.stdout.write(await usage());
    return command ? 0 : 2;
  }
  // Only commands that need the database or the service read the configuration, so the file tools
  // (filename, upn, ctf, census) work whatever the environment holds, and start without loading its
  // validation (zod: about 100 modules).
  let loaded: Config | undefined;
  const configuration = async (): Promise<Config> => {
    loaded ??= (await import('./config.ts')).loadConfig();
    return loaded;
  };
  switch (command) {
    case 'serve': {
      const config = await configuration();
      const [{ createApp }, { seedDemoData }, { scheduledJobs }, { Scheduler }, { openFileStoreForWriting }] =
        await Promise.all([
          import('./app.ts'),
          import('./demo/seed.ts'),
          import('./jobs.ts'),
          import('./platform/jobs/scheduler.ts'),
          import('./platform/storage/open-store.ts'),
        ]);
      // Before anything else: a store it cannot write stops the service, saying why, rather than every
      // upload failing. On a full disk it starts all the same (downloads, and the purge that frees space,
      // still work) and says so.
      let fullDisk: Error | undefined;
      const fileStore = await openFileStoreForWriting(config.fileStore, (problem) => {
        fullDisk = problem;
      });
      // The service logs to standard output, as services do.
      const deps = await (await import('./deps.ts')).buildDeps(config, { fileStore });
      // Before it takes a request: a node given another master key than the rest would store files they
      // cannot read, and audit events they would seal as inserted without the audit key.
      const headKey = await (await import('./audit/chain.ts')).headKeyMissing(deps.db, deps.auditKeys);
      if (headKey !== null) {
        throw new Error(
          `This database's audit trail is sealed under the master key ${headKey}, which this node is not given: ` +
            'every node of one database needs the same master key. Set MASTER_KEY_FILE (or MASTER_KEY) to the ' +
            "other nodes' key; after a rotation, give the earlier key in MASTER_KEY_PREVIOUS_FILES (or " +
            'MASTER_KEY_PREVIOUS) too. Nothing was changed.',
        );
      }
      if (fullDisk)
        deps.logger.warn(`${fullDisk.message} s2s starts all the same: files can be downloaded, not stored`);
      // Production settings that weaken it (config.ts: no TRUST_PROXY, an http address, SMTP without TLS).
      for (const warning of config.warnings) deps.logger.warn(warning);
      if (config.seedDemoData && (await seedDemoData(deps.db, deps.clock))) {
        deps.logger.info('loaded demo data: sign in as demo-school-a with password demo-password-2026');
      }
      // Every process may run the scheduler: the database decides which one runs each due job. The
      // administrators' Run now uses the same instance.
      const scheduler = new Scheduler(deps, scheduledJobs(deps));
      const app = await createApp(deps, { scheduler });
      const stop = async () => {
        const unfinished = await scheduler.stop(SHUTDOWN_JOB_WAIT_MS);
        if (unfinished.length > 0) {
          deps.logger.warn(
            { jobs: unfinished },
            `stopping with jobs still running after ${SHUTDOWN_JOB_WAIT_MS / 1000} s: another process takes each over once its lease has passed`,
          );
        }
        const closing = app.close();
        const cutOff = setTimeout(() => {
          deps.logger.warn(
            `closing the connections still open after ${SHUTDOWN_REQUEST_WAIT_MS / 1000} s of stopping`,
          );
          app.server.closeAllConnections();
        }, SHUTDOWN_REQUEST_WAIT_MS);
        await closing;
        clearTimeout(cutOff);
        deps.mailer.close();
        // A job still running holds a database connection, which would hold up destroy().
        if (unfinished.length === 0) await deps.db.destroy();
        process.exit(0);
      };
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
      try {
        await app.listen({ port: config.port, host: config.host });
      } catch (error) {
        throw listenProblem(error, config) ?? error;
      }
      if (config.scheduler) scheduler.start();
      return -1;
    }
    case 'migrate': {
      // The database alone: no file store or master key is needed to migrate.
      const config = await configuration();
      const [{ createDatabase }, { runMigrateCommand }, { processOutput }] = await Promise.all([
        import('./platform/db/database.ts'),
        import('./platform/db/migrate-command.ts'),
        import('./platform/cli.ts'),
      ]);
      const db = createDatabase(config.databaseUrl);
      try {
        return await runMigrateCommand(db, processOutput);
      } finally {
        await db.destroy();
      }
    }
    case 'seed-demo': {
      const config = await configuration();
      if (config.env === 'production') {
        process.stderr.write('Demo data is never loaded in production (S2S_ENV=production).\n');
        return 1;
      }
      const { seedDemoData } = await import('./demo/seed.ts');
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
    case 'seed-scale':
      return (await import('./demo/cli.ts')).runSeedScaleCommand(argv.slice(1), configuration, async () => {
        const deps = await buildDeps(await configuration());
        return {
          db: deps.db,
          clock: deps.clock,
          close: async () => {
            deps.mailer.close();
            await deps.db.destroy();
          },
        };
      });
    case 'users':
      return (await import('./accounts/cli.ts')).runUsersCommand(argv.slice(1), async () =>
        buildDeps(await configuration()),
      );
    case 'import':
      return (await import('./directory/cli.ts')).runImportCommand(argv.slice(1), async () =>
        buildDeps(await configuration()),
      );
    case 'upn':
      return (await import('./ctf/upn-cli.ts')).runUpnCommand(argv.slice(1));
    case 'ctf':
      return (await import('./ctf/cli.ts')).runCtfCommand(argv.slice(1));
    case 'census':
      return (await import('./collect/cli.ts')).runCensusCommand(argv.slice(1));
    case 'filename':
      return (await import('./transfers/cli.ts')).runFilenameCommand(argv.slice(1), async () =>
        buildDeps(await configuration()),
      );
    case 'audit':
      return (await import('./audit/cli.ts')).runAuditCommand(argv.slice(1), async ({ keyRequired }) => {
        const config = await configuration();
        return buildDeps(
          keyRequired ? { ...config, masterKey: { ...config.masterKey, mayGenerate: false } } : config,
        );
      });
    case 'backup':
    case 'restore': {
      const backup = await import('./backup/cli.ts');
      // A restore writes into the file store; a backup only reads it and the database (read-only copies
      // will do).
      const open = async () =>
        backup.openInstance(await configuration(), {
          writesFiles: command === 'restore',
          readsDatabase: command === 'backup',
        });
      return command === 'backup'
        ? backup.runBackupCommand(argv.slice(1), open)
        : backup.runRestoreCommand(argv.slice(1), open);
    }
    case 'keys': {
      const keys = await import('./keys/cli.ts');
      return keys.runKeysCommand(argv.slice(1), async () => keys.openKeys(await configuration()));
    }
    case 'jobs': {
      const [{ runJobsCommand }, { JOB_NAMES, scheduledJobs }, { Scheduler }] = await Promise.all([
        import('./platform/jobs/cli.ts'),
        import('./jobs.ts'),
        import('./platform/jobs/scheduler.ts'),
      ]);
      return runJobsCommand(argv.slice(1), JOB_NAMES, async () => {
        const deps = await buildDeps(await configuration());
        return {
          scheduler: new Scheduler(deps, scheduledJobs(deps)),
          clock: deps.clock,
          checkFileStore: () => deps.fileStore.checkWritable(),
          close: async () => {
            deps.mailer.close();
            await deps.db.destroy();
          },
        };
      });
    }
    default:
      process.stderr.write(`Unknown command "${command}".\n\n${await usage()}`);
      return 2;
  }
}

/** Why `serve` could not listen, naming PORT and HOST and what to do; null for another error. */
function listenProblem(error: unknown, config: Config): Error | null {
  const where = `Port ${config.port} on ${config.host} (PORT, HOST)`;
  switch ((error as NodeJS.ErrnoException | undefined)?.code) {
    case 'EADDRINUSE':
      return new Error(`${where} is in use by another program: stop it, or set PORT to a free port.`);
    case 'EACCES':
      return new Error(
        `${where} may not be used by this user (a port below 1024 needs privileges): set PORT to 1024 or above, behind the load balancer.`,
      );
    case 'EADDRNOTAVAIL':
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return new Error(
        `HOST ${config.host} is not an address of this machine: set HOST to one of its addresses, or leave it out (0.0.0.0: all of them).`,
      );
    default:
      return null;
  }
}

try {
  const code = await main(process.argv.slice(2));
  if (code >= 0) process.exit(code);
} catch (error) {
  if (error instanceof (await import('./config.ts')).ConfigError) {
    process.stderr.write(`${error.message}\n`);
    process.exit(2);
  }
  // A database server that could not be used: which setting, and what to do.
  const problem = (await import('./platform/db/database.ts')).postgresConnectionProblem(error);
  process.stderr.write(`s2s: ${problem ?? (error instanceof Error ? error.message : String(error))}\n`);
  process.exit(1);
}
