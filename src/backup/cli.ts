// `s2s backup --to DIR` and `s2s restore --from DIR`: a consistent snapshot of the database and the
// stored files, and its restoration into an empty instance (backup.ts, restore.ts; the folder's format
// in format.ts). Exit codes: 0 done, 1 failed (nothing half-done is left), 2 usage.
import { type Config, ConfigError } from '../config.ts';
import { type CommandOutput, parseCommand, processOutput } from '../platform/cli.ts';
import { createDatabase, postgresConnectionProblem } from '../platform/db/database.ts';
import { loadMasterKeyring, MasterKeyError } from '../platform/storage/master-key.ts';
import { openFileStore, openFileStoreForWriting } from '../platform/storage/open-store.ts';
import { Unwritable } from '../platform/unwritable.ts';
import { createBackup, SETTLE_SECONDS } from './backup.ts';
import { BackupError, type Instance } from './instance.ts';
import { refuseUnlessEmpty, restoreBackup } from './restore.ts';

/** The longest --settle-seconds: a purge records a deletion within moments; an hour is past any doubt. */
const MAX_SETTLE_SECONDS = 3600;

export const BACKUP_USAGE = `  backup --to DIR [--settle-seconds N] [--json]
                                 write a consistent snapshot of the database and every stored
                                 file into DIR (a new or empty folder); the master key is NOT
                                 in it: keep the key safe apart, without it nothing can be read;
                                 a stored file gone while its record still names it is given N
                                 seconds (default ${SETTLE_SECONDS}, at most ${MAX_SETTLE_SECONDS}) to be recorded as
                                 purged before the backup fails
  restore --from DIR [--unsigned] [--json]
                                 check a backup's manifest against its MAC (made under the
                                 master key) and every file against the manifest, then
                                 restore it into an empty instance (DATABASE_URL, and
                                 FILE_STORE_DIR or the S3 bucket), all or nothing;
                                 --unsigned accepts a backup of an earlier s2s (format
                                 version 1 or 2), which has no MAC: only one you are sure
                                 has not been altered
`;

/**
 * The configured instance, as it is: not migrated, and no master key made up if none is set. With
 * `writesFiles` (a restore), a file store it cannot write, or one not empty, is refused before anything is
 * read or written (the database not opened).
 * With `readsDatabase` (a backup), an SQLite database is opened read only: one s2s may read but not write
 * (its mode, its folder's, a read-only disk) will do, and one missing is not made.
 */
export async function openInstance(
  config: Config,
  { writesFiles = false, readsDatabase = false }: { writesFiles?: boolean; readsDatabase?: boolean } = {},
): Promise<Instance> {
  const { keyring } = loadMasterKeyring({ ...config.masterKey, mayGenerate: false });
  const store = writesFiles
    ? await openFileStoreForWriting(config.fileStore)
    : await openFileStore(config.fileStore);
  // Before the database is opened, which makes an SQLite file that is missing: a refused restore changes nothing.
  if (writesFiles) await refuseUnlessEmpty(store);
  const db = createDatabase(config.databaseUrl, { readOnly: readsDatabase });
  return {
    db,
    store,
    keyring,
    close: () => db.destroy(),
  };
}

function megabytes(bytes: number): string {
  return bytes < 100_000
    ? `${Math.max(1, Math.round(bytes / 1000))} kB`
    : `${(bytes / 1_000_000).toFixed(1)} MB`;
}

/** What a failure says: the reason, never a stack trace. */
function failure(io: CommandOutput, what: string, error: unknown): number {
  // A bad setting is the top level's to report (exit code 2, as every command).
  if (error instanceof ConfigError) throw error;
  // Unwritable: a file store, or an SQLite database, it cannot write.
  if (error instanceof BackupError || error instanceof MasterKeyError || error instanceof Unwritable) {
    io.err(`${error.message}\n`);
  } else if (postgresConnectionProblem(error) !== null) {
    // A database server it could not use: which setting, and what to do (as every command says).
    io.err(`${postgresConnectionProblem(error)}\n`);
  } else {
    io.err(`${what} failed: ${error instanceof Error ? error.message : String(error)}\n`);
  }
  return 1;
}

export async function runBackupCommand(
  args: string[],
  open: () => Promise<Instance>,
  io: CommandOutput = processOutput,
  now: () => Date = () => new Date(),
): Promise<number> {
  const parsed = parseCommand(args, {
    name: 'backup',
    options: { to: { type: 'string' }, 'settle-seconds': { type: 'string' }, json: { type: 'boolean' } },
    usage: BACKUP_USAGE,
    io,
  });
  if (typeof parsed === 'number') return parsed;
  const values = parsed.values as { to?: string; 'settle-seconds'?: string; json?: boolean };
  if (!values.to) return parsed.usage('Say where to write the backup: --to DIR (a new or empty folder).');
  const settle = values['settle-seconds'];
  const settleSeconds = settle === undefined ? SETTLE_SECONDS : Number(settle);
  if (!/^\d+$/.test(settle ?? '0') || settleSeconds > MAX_SETTLE_SECONDS) {
    return parsed.usage(
      `--settle-seconds must be a whole number of seconds from 0 to ${MAX_SETTLE_SECONDS}, not "${settle}": how long ` +
        `a stored file may be missing while its record still names it before the backup fails (default ${SETTLE_SECONDS}).`,
    );
  }

  let instance: Instance;
  try {
    instance = await open();
  } catch (error) {
    return failure(io, 'The backup', error);
  }
  try {
    const summary = await createBackup(instance, values.to, now(), { settleMs: settleSeconds * 1000 });
    const several = summary.masterKeyIds.length > 1;
    const warning =
      `IMPORTANT: the master key is NOT in the backup. Its rows and stored files are encrypted under the master ` +
      `${several ? 'keys' : 'key'} ${summary.masterKeyIds.join(', ')} ` +
      `(${several ? 'MASTER_KEY and MASTER_KEY_PREVIOUS' : 'MASTER_KEY or MASTER_KEY_FILE'}): without ${several ? 'them' : 'that key'} ` +
      `this backup can be neither read nor restored. Keep a copy of ${several ? 'each' : 'the key'} somewhere safe, apart from the backup.\n`;
    if (values.json) {
      io.out(`${JSON.stringify({ ...summary, masterKeyInBackup: false })}\n`);
      io.err(warning);
    } else {
      io.out(
        `Backed up the database (${summary.engine}, schema level ${summary.level}) as it was at ${summary.createdAt}, ` +
          `and its stored files, into ${summary.dir}:\n` +
          `  ${summary.tables} tables, ${summary.rows} rows, ${summary.blobs} stored files; ${megabytes(summary.bytes)} in all.\n` +
          (summary.purged > 0
            ? `  ${summary.purged} stored ${summary.purged === 1 ? 'file was' : 'files were'} purged or removed while it ran: ` +
              `${summary.purged === 1 ? 'it is' : 'they are'} in the backup as purged (the record, not the content).\n`
            : '') +
          '\n' +
          warning,
      );
    }
    return 0;
  } catch (error) {
    return failure(io, 'The backup', error);
  } finally {
    await instance.close();
  }
}

export async function runRestoreCommand(
  args: string[],
  open: () => Promise<Instance>,
  io: CommandOutput = processOutput,
): Promise<number> {
  const parsed = parseCommand(args, {
    name: 'restore',
    options: { from: { type: 'string' }, unsigned: { type: 'boolean' }, json: { type: 'boolean' } },
    usage: BACKUP_USAGE,
    io,
  });
  if (typeof parsed === 'number') return parsed;
  const values = parsed.values as { from?: string; unsigned?: boolean; json?: boolean };
  if (!values.from)
    return parsed.usage('Say which backup to restore: --from DIR (a folder s2s backup wrote).');

  let instance: Instance;
  try {
    instance = await open();
  } catch (error) {
    return failure(io, 'The restore', error);
  }
  // Stopped by a signal, the restore removes what it copied and says so (the default would leave the
  // files copied in the store, and say nothing); a second signal stops it at once.
  const stop = new AbortController();
  const onSignal = (signal: NodeJS.Signals) => stop.abort(signal);
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    const summary = await restoreBackup(instance, values.from, {
      unsigned: values.unsigned === true,
      signal: stop.signal,
    });
    if (values.json) {
      io.out(`${JSON.stringify(summary)}\n`);
    } else {
      io.out(
        `Restored the backup made at ${summary.createdAt} (${summary.engine}, schema level ${summary.level}): ` +
          `${summary.tables} tables, ${summary.rows} rows, ${summary.blobs} stored files. ` +
          'The database schema is up to date.\n',
      );
    }
    return 0;
  } catch (error) {
    if (error instanceof BackupError || postgresConnectionProblem(error) !== null) {
      return failure(io, 'The restore', error);
    }
    if (error instanceof Unwritable) {
      return failure(
        io,
        'The restore',
        new BackupError(
          `${error.message} Nothing was restored: the database holds no rows and the files copied were removed.`,
        ),
      );
    }
    return failure(
      io,
      'The restore',
      new BackupError(
        `The restore failed: ${error instanceof Error ? error.message : String(error)}. ` +
          'Nothing was restored: the database holds no rows and the files copied were removed.',
      ),
    );
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await instance.close();
  }
}
