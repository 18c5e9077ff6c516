// The one place that knows which SQL engine runs.
import { createHash, randomUUID } from 'node:crypto';
import {
  accessSync,
  closeSync,
  constants,
  existsSync,
  fsyncSync,
  openSync,
  rmSync,
  statSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { dirname, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import SqliteDatabase from 'better-sqlite3';
import {
  CompiledQuery,
  type DatabaseConnection,
  type DatabaseIntrospector,
  DEFAULT_MIGRATION_TABLE,
  type Driver,
  type Expression,
  Kysely,
  type KyselyConfig,
  type Migration,
  type MigrationResultSet,
  Migrator,
  PostgresAdapter,
  PostgresDialect,
  type SelectQueryBuilder,
  SqliteAdapter,
  SqliteDialect,
  type SqliteDialectConfig,
  type SqliteDatabase as SqliteDialectDatabase,
  SqliteDriver,
  sql,
  type Transaction,
  type TransactionSettings,
} from 'kysely';
import pg from 'pg';
import { PRIVATE_FILE_MODE } from '../file-modes.ts';
import { makePrivateFoldersSync } from '../folders.ts';
import { Unwritable, unwritable } from '../unwritable.ts';
import * as foundation from './migrations/001-foundation.ts';
import * as transfers from './migrations/002-transfers.ts';
import * as notificationsJobs from './migrations/003-notifications-jobs.ts';
import * as lostPupils from './migrations/004-lost-pupils.ts';
import * as lostPupilMatches from './migrations/005-lost-pupil-matches.ts';
import * as messaging from './migrations/006-messaging.ts';
import * as reportIndexes from './migrations/007-report-indexes.ts';
import * as collect from './migrations/008-collect.ts';
import * as twoFactor from './migrations/009-two-factor.ts';
import * as apiTokens from './migrations/010-api-tokens.ts';
import * as oidcIdentities from './migrations/011-oidc-identities.ts';
import * as auditChain from './migrations/012-audit-chain.ts';
import * as malwareScan from './migrations/013-malware-scan.ts';
import * as rateLimits from './migrations/014-rate-limits.ts';
import * as userLanguage from './migrations/015-user-language.ts';
import * as sweepIndexes from './migrations/016-sweep-indexes.ts';
import * as findingMessages from './migrations/017-finding-messages.ts';
import * as jobRunSummaryMessage from './migrations/018-job-run-summary-message.ts';
import * as censusReturnMatches from './migrations/019-census-return-matches.ts';
import * as jobIndexes from './migrations/020-job-indexes.ts';
import * as retention from './migrations/021-retention.ts';
import * as lostPupilMatchLas from './migrations/022-lost-pupil-match-las.ts';
import * as lostPupilsDueByLa from './migrations/023-lost-pupils-due-by-la.ts';
import * as punctuationFreeSearch from './migrations/024-punctuation-free-search.ts';
import * as forwardedTransfers from './migrations/025-forwarded-transfers.ts';
import * as censusApprovedKept from './migrations/026-census-approved-kept.ts';
import * as lostPupilSearchIndexes from './migrations/027-lost-pupil-search-indexes.ts';
import * as waitingNames from './migrations/028-waiting-names.ts';
import * as outboxQueuedAt from './migrations/029-outbox-queued-at.ts';
import * as accentFreeSearch from './migrations/030-accent-free-search.ts';
import * as spelledOutNameLetters from './migrations/031-spelled-out-name-letters.ts';
import * as runningJobRuns from './migrations/032-running-job-runs.ts';
import * as unsealedAuditEvents from './migrations/033-unsealed-audit-events.ts';
import * as reportOrderIndexes from './migrations/034-report-order-indexes.ts';
import * as spelledOutSearchLetters from './migrations/035-spelled-out-search-letters.ts';
import * as keyedAuditChain from './migrations/036-keyed-audit-chain.ts';
import * as latinExtendedBLetters from './migrations/037-latin-extended-b-letters.ts';
import * as forwardingLa from './migrations/038-forwarding-la.ts';
import * as auditChainBreaks from './migrations/039-audit-chain-breaks.ts';
import * as lostPupilFilesKept from './migrations/040-lost-pupil-files-kept.ts';
import * as auditBreakKeptDigest from './migrations/041-audit-break-kept-digest.ts';
import * as establishmentImportRows from './migrations/042-establishment-import-rows.ts';
import * as transfersLaUploaded from './migrations/043-transfers-la-uploaded.ts';
import * as messageCopiesSent from './migrations/044-message-copies-sent.ts';
import * as usersListOrder from './migrations/045-users-list-order.ts';
import * as transfersReportCovering from './migrations/046-transfers-report-covering.ts';
import * as lostPupilsSourceCovering from './migrations/047-lost-pupils-source-covering.ts';
import * as reportTablesVacuumedSooner from './migrations/048-report-tables-vacuumed-sooner.ts';
import * as transfersLaCtfPages from './migrations/049-transfers-la-ctf-pages.ts';
import * as lostPupilsUploadedCovering from './migrations/050-lost-pupils-uploaded-covering.ts';
import * as groupNamesCaseInsensitive from './migrations/051-group-names-case-insensitive.ts';
import * as outboxFailedAt from './migrations/052-outbox-failed-at.ts';
import * as lostPupilMatchSeenPupil from './migrations/053-lost-pupil-match-seen-pupil.ts';
import * as outboxLanguage from './migrations/054-outbox-language.ts';
import * as auditFilterIndexes from './migrations/055-audit-filter-indexes.ts';
import * as auditLaIndexes from './migrations/056-audit-la-indexes.ts';
import * as lostPupilDownloads from './migrations/057-lost-pupil-downloads.ts';
import { preparingPool } from './prepared-statements.ts';
import type { Database, Db } from './schema.ts';

export type Engine = 'sqlite' | 'postgres';

// SQLite takes `file:` URIs as file names (openSqliteFileForReading opens a database `immutable` so): a
// setting better-sqlite3 reads once, as it loads, which it does at the first database opened. s2s gives
// SQLite absolute paths otherwise (resolve), never a name starting with `file:`.
process.env.SQLITE_USE_URI = '1';

const migrations: Record<string, Migration> = {
  '001-foundation': foundation,
  '002-transfers': transfers,
  '003-notifications-jobs': notificationsJobs,
  '004-lost-pupils': lostPupils,
  '005-lost-pupil-matches': lostPupilMatches,
  '006-messaging': messaging,
  '007-report-indexes': reportIndexes,
  '008-collect': collect,
  '009-two-factor': twoFactor,
  '010-api-tokens': apiTokens,
  '011-oidc-identities': oidcIdentities,
  '012-audit-chain': auditChain,
  '013-malware-scan': malwareScan,
  '014-rate-limits': rateLimits,
  '015-user-language': userLanguage,
  '016-sweep-indexes': sweepIndexes,
  '017-finding-messages': findingMessages,
  '018-job-run-summary-message': jobRunSummaryMessage,
  '019-census-return-matches': censusReturnMatches,
  '020-job-indexes': jobIndexes,
  '021-retention': retention,
  '022-lost-pupil-match-las': lostPupilMatchLas,
  '023-lost-pupils-due-by-la': lostPupilsDueByLa,
  '024-punctuation-free-search': punctuationFreeSearch,
  '025-forwarded-transfers': forwardedTransfers,
  '026-census-approved-kept': censusApprovedKept,
  '027-lost-pupil-search-indexes': lostPupilSearchIndexes,
  '028-waiting-names': waitingNames,
  '029-outbox-queued-at': outboxQueuedAt,
  '030-accent-free-search': accentFreeSearch,
  '031-spelled-out-name-letters': spelledOutNameLetters,
  '032-running-job-runs': runningJobRuns,
  '033-unsealed-audit-events': unsealedAuditEvents,
  '034-report-order-indexes': reportOrderIndexes,
  '035-spelled-out-search-letters': spelledOutSearchLetters,
  '036-keyed-audit-chain': keyedAuditChain,
  '037-latin-extended-b-letters': latinExtendedBLetters,
  '038-forwarding-la': forwardingLa,
  '039-audit-chain-breaks': auditChainBreaks,
  '040-lost-pupil-files-kept': lostPupilFilesKept,
  '041-audit-break-kept-digest': auditBreakKeptDigest,
  '042-establishment-import-rows': establishmentImportRows,
  '043-transfers-la-uploaded': transfersLaUploaded,
  '044-message-copies-sent': messageCopiesSent,
  '045-users-list-order': usersListOrder,
  '046-transfers-report-covering': transfersReportCovering,
  '047-lost-pupils-source-covering': lostPupilsSourceCovering,
  '048-report-tables-vacuumed-sooner': reportTablesVacuumedSooner,
  '049-transfers-la-ctf-pages': transfersLaCtfPages,
  '050-lost-pupils-uploaded-covering': lostPupilsUploadedCovering,
  '051-group-names-case-insensitive': groupNamesCaseInsensitive,
  '052-outbox-failed-at': outboxFailedAt,
  '053-lost-pupil-match-seen-pupil': lostPupilMatchSeenPupil,
  '054-outbox-language': outboxLanguage,
  '055-audit-filter-indexes': auditFilterIndexes,
  '056-audit-la-indexes': auditLaIndexes,
  '057-lost-pupil-downloads': lostPupilDownloads,
};

export interface DatabaseOptions {
  /** PostgreSQL only: run in this schema (tests use one schema each). */
  schema?: string;
  /**
   * PostgreSQL only: an idle connection broke (the server restarted, or the network failed). The pool
   * has already dropped it and the next query opens a new one; without a listener Node would stop the
   * whole process on the pool's 'error' event.
   */
  onConnectionLost?: (error: Error) => void;
  /**
   * SQLite only: read the database, never write it (`s2s backup`): an existing file s2s may read is
   * enough, though it may not write it or its folder (openSqliteFileForReading).
   */
  readOnly?: boolean;
}

export function engineOf(url: string): Engine {
  return url.startsWith('sqlite:') ? 'sqlite' : 'postgres';
}

/** Prepared statements kept per SQLite database, the least recently used dropped first. */
export const KEPT_STATEMENTS = 500;

/**
 * The SQLite connection for Kysely, keeping its prepared statements: Kysely prepares a query's SQL again
 * every time it runs it, and preparing cost as much as running (half the database's time in the
 * transfers benchmark). Kysely runs one query at a time on the connection, streams included, so a
 * kept statement is never in use twice at once.
 */
export function keepingStatements(connection: SqliteDatabase.Database): SqliteDialectDatabase {
  const statements = new Map<string, SqliteDatabase.Statement>();
  return {
    close: () => connection.close(),
    prepare(sql) {
      let statement = statements.get(sql);
      if (statement === undefined) {
        statement = connection.prepare(sql);
        if (statements.size >= KEPT_STATEMENTS) statements.delete(statements.keys().next().value as string);
      } else statements.delete(sql);
      statements.set(sql, statement);
      return statement;
    },
  };
}

/**
 * SQLite, whose transactions take the write lock as they begin (BEGIN IMMEDIATE), but for those declared
 * read only (inSnapshot). Kysely begins them DEFERRED: a transaction that read, then wrote after another
 * process (a second node on the same file, a command) had committed, failed at once with SQLITE_BUSY
 * (its snapshot stale: the busy timeout does not help), so a load that had read its collection open
 * failed on a close committed meanwhile. Taken at the start, the lock makes the other process's write
 * wait (busy_timeout) until this transaction commits, and this one reads what is committed. Within one
 * process nothing changes: a transaction already holds the one connection until its end.
 */
class ImmediateSqliteDialect extends SqliteDialect {
  readonly #config: SqliteDialectConfig;
  readonly #beforeCommit: (() => void) | undefined;

  /** `beforeCommit` may refuse what a transaction read, by throwing: it is then rolled back. */
  constructor(config: SqliteDialectConfig, beforeCommit?: () => void) {
    super(config);
    this.#config = config;
    this.#beforeCommit = beforeCommit;
  }

  override createDriver(): Driver {
    return new ImmediateSqliteDriver(this.#config, this.#beforeCommit);
  }

  override createAdapter(): SqliteAdapter {
    return new TransactionalDdlSqliteAdapter();
  }
}

/**
 * SQLite changes its schema inside a transaction as it changes rows, and undoes both on rollback; Kysely
 * says it cannot, so its Migrator ran each migration's statements one by one, outside any transaction: a
 * migration of several statements stopped part of the way (a full disk, a crash, a kill) left the first
 * ones done and the migration unrecorded, and every later run failed on them ("duplicate column name").
 * Said so, the Migrator runs the pending migrations in one transaction, as on PostgreSQL: all or nothing.
 */
class TransactionalDdlSqliteAdapter extends SqliteAdapter {
  override get supportsTransactionalDdl(): boolean {
    return true;
  }
}

class ImmediateSqliteDriver extends SqliteDriver {
  readonly #beforeCommit: (() => void) | undefined;

  constructor(config: SqliteDialectConfig, beforeCommit?: () => void) {
    super(config);
    this.#beforeCommit = beforeCommit;
  }

  override async beginTransaction(
    connection: DatabaseConnection,
    settings?: TransactionSettings,
  ): Promise<void> {
    const begin = settings?.accessMode === 'read only' ? 'begin deferred' : 'begin immediate';
    await connection.executeQuery(CompiledQuery.raw(begin));
  }

  override async commitTransaction(connection: DatabaseConnection): Promise<void> {
    this.#beforeCommit?.();
    await super.commitTransaction(connection);
  }
}

/**
 * Kysely closes an SQLite connection as it is destroyed only once a query has used it (its driver starts
 * at the first query), and s2s opens the connection before that, to refuse a file it cannot use at once:
 * destroyed unused (a command stopped before its first query), the file stayed open, with its -wal file,
 * until the process ended.
 */
class SqliteKysely extends Kysely<Database> {
  readonly #connection: SqliteDatabase.Database;

  constructor(config: KyselyConfig, connection: SqliteDatabase.Database) {
    super(config);
    this.#connection = connection;
  }

  override async destroy(): Promise<void> {
    await super.destroy();
    if (this.#connection.open) this.#connection.close();
  }
}

/**
 * A new database file, and any folder it needs, for s2s's user alone: better-sqlite3 would create the file
 * by the umask (0644 as a rule), readable by every user of the machine. SQLite gives its -wal and -shm
 * files the main file's mode, and takes an empty file for a new database. An existing file or folder is
 * left as it is.
 */
function createPrivateFile(path: string): void {
  makePrivateFoldersSync(dirname(path));
  try {
    writeFileSync(path, '', { flag: 'wx', mode: PRIVATE_FILE_MODE });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
}

/** What the messages about the SQLite database file say of it (unwritable.ts). */
const SQLITE_PLACE = {
  what: 'The SQLite database',
  kind: 'file',
  setting: 'DATABASE_URL',
} as const;

/** The errors of a database file or folder s2s cannot write: Node's, and SQLite's (which carry no errno). */
const UNWRITABLE =
  /^(E(ACCES|PERM|ROFS|NOENT|NOTDIR|EXIST|ISDIR|NOSPC|DQUOT)|SQLITE_(CANTOPEN|READONLY|PERM|FULL))/;

/**
 * Whether the disk of the database `path` takes a write now: a page, as SQLite writes, into a new file
 * beside it, synced, then removed; throws the write's error (ENOSPC on a full disk). SQLite says a full
 * disk only as it writes the database: an existing one opened on a full disk failed with "disk I/O
 * error" as SQLite made its -shm file, or, the -shm file there already (another process has it open, or
 * one was killed), opened and started the service, which then failed every write.
 */
function probeDisk(path: string): void {
  const probe = `${path}-probe-${randomUUID()}`;
  try {
    const fd = openSync(probe, 'wx', PRIVATE_FILE_MODE);
    try {
      writeSync(fd, Buffer.alloc(SQLITE_PAGE_BYTES));
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  } finally {
    rmSync(probe, { force: true });
  }
}

/** SQLite's page size (its default, which s2s keeps): what a write of the database needs at least. */
const SQLITE_PAGE_BYTES = 4096;

/**
 * The SQLite database file, created if need be, in WAL mode, refused in plain words (which file or
 * folder, why, what to do) when s2s cannot write it: SQLite opens a file it may only read all the same
 * and fails at the first write, so a service started and then failed every sign-in. It writes its -wal
 * and -shm files beside the database, so the folder must be writable too, and the disk not full
 * (probeDisk).
 */
function openSqliteFile(path: string): SqliteDatabase.Database {
  let connection: SqliteDatabase.Database | undefined;
  try {
    createPrivateFile(path);
    accessSync(dirname(path), constants.W_OK | constants.X_OK);
    accessSync(path, constants.R_OK | constants.W_OK);
    probeDisk(path);
    connection = new SqliteDatabase(path);
    connection.pragma('journal_mode = WAL');
    return connection;
  } catch (error) {
    connection?.close();
    if (NOT_A_DATABASE.test(codeOf(error))) throw notADatabase(path);
    if (!UNWRITABLE.test((error as { code?: string }).code ?? '')) throw error;
    throw unwritable(
      {
        ...SQLITE_PLACE,
        path,
        loss: 'the database cannot be written',
        otherwise: 'set DATABASE_URL to sqlite:PATH in a folder s2s can write',
      },
      error,
    );
  }
}

/**
 * An existing SQLite database opened to be read alone (`s2s backup`), where s2s may read the file but not
 * write it or its folder (a file of mode 0444, a folder of another user's, a read-only disk). A read-only
 * connection still needs the -shm file beside a WAL database (the index of the -wal file's pages), and
 * makes it (and an empty -wal) when it is missing, so:
 * - a -wal file there (a process has the database open, or one stopped without closing it): opened read
 *   only, reading the -wal's changes through the -shm file, which must be there or made;
 * - no -wal file, and s2s may write both the file and its folder: opened read only, as the service would
 *   open it (the -wal and -shm it makes are the service's own);
 * - otherwise `immutable`: SQLite reads the file alone, makes no file and takes no lock. Every change is
 *   in it (no -wal), but another process may open the database and write it meanwhile: a transaction
 *   then fails as it ends (the file is no longer as it was opened) rather than give what it read.
 * The first read is made here, so that a database SQLite cannot read is refused at once, in plain words.
 */
function openSqliteFileForReading(path: string): {
  connection: SqliteDatabase.Database;
  beforeCommit?: () => void;
} {
  const place = {
    ...SQLITE_PLACE,
    path,
    access: 'read',
    loss: 'it cannot be read',
    otherwise: 'set DATABASE_URL to sqlite:PATH of a database s2s can read',
  } as const;
  const subject = `${place.what} ${path} (${place.setting})`;
  if (!existsSync(path) && nearestFolderExists(path)) {
    throw new Unwritable(
      `${subject} does not exist. Set DATABASE_URL to sqlite:PATH of the database to read.`,
    );
  }
  const writable = (target: string, mode: number) => {
    try {
      accessSync(target, mode);
      return true;
    } catch {
      return false;
    }
  };
  const wal = existsSync(`${path}-wal`);
  const immutable =
    !wal && !(writable(dirname(path), constants.W_OK | constants.X_OK) && writable(path, constants.W_OK));
  let connection: SqliteDatabase.Database | undefined;
  try {
    accessSync(path, constants.R_OK);
    const opened = immutable ? statSync(path, { bigint: true }) : undefined;
    connection = new SqliteDatabase(immutable ? `${pathToFileURL(path).href}?immutable=1` : path, {
      readonly: true,
      fileMustExist: true,
    });
    connection.prepare('select count(*) from sqlite_master').get();
    if (!opened) return { connection };
    return {
      connection,
      beforeCommit: () => {
        const now = statSync(path, { bigint: true });
        if (now.mtimeNs !== opened.mtimeNs || now.size !== opened.size || now.ino !== opened.ino) {
          throw new Unwritable(
            `${subject} was written by another process while s2s read it. s2s read the file without locks, as it may ` +
              'not write it or its folder, so what it read may mix the database before and after that write; nothing ' +
              'read is used. Run the command again when no other process has the database open, or as the user s2s runs as.',
          );
        }
      },
    };
  } catch (error) {
    connection?.close();
    if (error instanceof Unwritable) throw error;
    if (wal && !existsSync(`${path}-shm`) && /^SQLITE_(CANTOPEN|READONLY)/.test(codeOf(error))) {
      throw new Unwritable(
        `${subject} cannot be read: its -wal file ${path}-wal holds changes not yet written into the database file, ` +
          `and SQLite reads them through a -shm file beside it, which is missing and which the user s2s runs as may not ` +
          `make in ${dirname(path)}. Run the command as the user s2s runs as (which may write that folder), or start and ` +
          'stop s2s once, which writes those changes into the database file.',
      );
    }
    if (NOT_A_DATABASE.test(codeOf(error))) throw notADatabase(path);
    if (!UNWRITABLE.test(codeOf(error))) throw error;
    throw unwritable(place, error);
  }
}

/**
 * Why a PostgreSQL server could not be used, in words an operator can act on, or null for another error.
 * Never the URL itself, which may hold a password: the server's address, which the error carries.
 */
export function postgresConnectionProblem(error: unknown): string | null {
  const e = error as { code?: string; address?: string; port?: number; hostname?: string } | undefined;
  const where = e?.address ? `${e.address}${e.port ? `:${e.port}` : ''}` : e?.hostname;
  const server = `The PostgreSQL server${where ? ` at ${where}` : ''} (DATABASE_URL)`;
  switch (e?.code) {
    case 'ECONNREFUSED':
      return `${server} refused the connection: start it, or set DATABASE_URL to the server s2s should use.`;
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `${server} could not be found by its name: correct the host in DATABASE_URL.`;
    case 'ETIMEDOUT':
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return `${server} could not be reached: check the network to it, or set DATABASE_URL to the server s2s should use.`;
    case '3D000':
      return 'The PostgreSQL database named in DATABASE_URL does not exist: create it (createdb), or correct DATABASE_URL.';
    case '28P01':
    case '28000':
      return 'The PostgreSQL server (DATABASE_URL) refused its user: correct the user and password in DATABASE_URL, or give that user access (pg_hba.conf).';
    default:
      // pg's words when the server closed (or reset) the connection before answering as PostgreSQL does.
      if (
        error instanceof Error &&
        (error.message === 'Connection terminated unexpectedly' || e?.code === 'ECONNRESET')
      ) {
        return (
          'The server at the host and port in DATABASE_URL closed the connection without answering: it is ' +
          'probably not a PostgreSQL server (or it stopped). Correct the host and port in DATABASE_URL.'
        );
      }
      return null;
  }
}

/** SQLite's codes for a file that is not a database, or one whose pages make no sense. */
const NOT_A_DATABASE = /^SQLITE_(NOTADB|CORRUPT)/;

function notADatabase(path: string): Unwritable {
  return new Unwritable(
    `${SQLITE_PLACE.what} ${path} (${SQLITE_PLACE.setting}) is not an SQLite database, or is damaged. ` +
      "Set DATABASE_URL to sqlite:PATH of s2s's database, or restore it from a backup (s2s restore).",
  );
}

function codeOf(error: unknown): string {
  return (error as { code?: string } | undefined)?.code ?? '';
}

/** Whether the folder `path` would be in exists (then a missing file is missing, not unreachable). */
function nearestFolderExists(path: string): boolean {
  try {
    return statSync(dirname(path)).isDirectory();
  } catch {
    return false;
  }
}

export function createDatabase(url: string, options: DatabaseOptions = {}): Db {
  if (engineOf(url) === 'sqlite') {
    const file = url.slice('sqlite:'.length);
    let beforeCommit: (() => void) | undefined;
    let connection: SqliteDatabase.Database;
    // (An in-memory database has no WAL.)
    if (file === ':memory:') connection = new SqliteDatabase(':memory:');
    else if (options.readOnly) ({ connection, beforeCommit } = openSqliteFileForReading(resolve(file)));
    else connection = openSqliteFile(resolve(file));
    // Every commit reaches the disk before s2s answers (a school told "uploaded" must not lose the
    // record to a power cut). Said explicitly: better-sqlite3 builds SQLite with NORMAL as the default
    // for a database already in WAL mode, so without it only the first start, which creates the file,
    // ran with FULL.
    if (!options.readOnly) connection.pragma('synchronous = FULL');
    connection.pragma('foreign_keys = ON');
    connection.pragma('busy_timeout = 5000');
    return new SqliteKysely(
      { dialect: new ImmediateSqliteDialect({ database: keepingStatements(connection) }, beforeCommit) },
      connection,
    );
  }
  const pool = new pg.Pool({
    connectionString: url,
    max: 10,
    // Seen in pg_stat_activity: which connections are s2s's (and, in tests, which test's).
    application_name: options.schema ? `s2s ${options.schema}` : 's2s',
    ...(options.schema ? { options: `-c search_path=${options.schema}` } : {}),
  });
  pool.on('error', (error) => options.onConnectionLost?.(error));
  // A connection in use (between two queries of a request) breaks too: its query fails, and the
  // error its client emits must not stop the process either.
  pool.on('connect', (client) => client.on('error', (error) => options.onConnectionLost?.(error)));
  return new Kysely<Database>({ dialect: new TableNamesPostgresDialect({ pool: preparingPool(pool) }) });
}

/**
 * PostgreSQL, with an introspection that gives only the names of schemas and tables: all Kysely's
 * migrator asks of it (is its own table there?). Kysely's own calls has_schema_privilege and
 * pg_get_serial_sequence on every table of every schema, and those fail ("schema ... does not exist",
 * "column ... of relation ... does not exist") when another session drops a schema or a column at that
 * moment: reading which migrations have run could fail because of another application's, or another
 * test's, schema change. Plain catalog reads see one snapshot and never fail so.
 */
class TableNamesPostgresDialect extends PostgresDialect {
  override createIntrospector(db: Kysely<unknown>): DatabaseIntrospector {
    const tables = async () => {
      const { rows } = await sql<{ name: string; schema: string; kind: string }>`
        select c.relname as name, ns.nspname as schema, c.relkind as kind
        from pg_catalog.pg_class c join pg_catalog.pg_namespace ns on ns.oid = c.relnamespace
        where c.relkind in ('r', 'v', 'p') and ns.nspname !~ '^pg_' and ns.nspname <> 'information_schema'
        order by ns.nspname, c.relname`.execute(db);
      return rows.map((row) => ({
        name: row.name,
        schema: row.schema,
        isView: row.kind === 'v',
        columns: [],
      }));
    };
    return {
      getSchemas: async () =>
        (await sql<{ name: string }>`select nspname as name from pg_catalog.pg_namespace`.execute(db)).rows,
      getTables: tables,
      getMetadata: async () => ({ tables: await tables() }),
    };
  }
}

/**
 * A PostgreSQL advisory lock every migration holds, so that several processes starting at once do not
 * migrate side by side; whatever drops a schema (the tests' throwaway schemas: test/support/databases.ts)
 * takes it first too. (Reading which migrations have run no longer fails when a schema is dropped at the
 * same moment: TableNamesPostgresDialect.)
 */
export const MIGRATION_LOCK_ID = 5_302_317_001;

/** The migrations this version of s2s knows, in the order they run. */
export const MIGRATION_NAMES: readonly string[] = Object.keys(migrations).sort();

function migratorOf(db: Db, schema?: string): Migrator {
  return new Migrator({
    db,
    provider: { getMigrations: async () => migrations },
    ...(schema ? { migrationTableSchema: schema } : {}),
  });
}

/** Runs `migrate` holding the PostgreSQL migration lock (see MIGRATION_LOCK_ID); on SQLite, just runs it. */
async function withMigrationLock(db: Db, migrate: () => Promise<void>): Promise<void> {
  if (!(db.getExecutor().adapter instanceof PostgresAdapter)) return migrate();
  // The lock belongs to one connection's session, held while the migrator works on others.
  await db.connection().execute(async (connection) => {
    await sql`select pg_advisory_lock(${MIGRATION_LOCK_ID})`.execute(connection);
    try {
      await migrate();
    } finally {
      await sql`select pg_advisory_unlock(${MIGRATION_LOCK_ID})`.execute(connection);
    }
  });
}

function checkMigrationResult({ error, results }: MigrationResultSet): void {
  const failed = results?.find((r) => r.status === 'Error');
  if (error || failed) {
    const reason = error instanceof Error ? error.message : String(error ?? 'unknown error');
    throw new Error(`Database migration ${failed?.migrationName ?? ''} failed: ${reason}`);
  }
}

/** What migrateToLatest found. */
export interface MigrationOutcome {
  /**
   * Migrations the database has run that this version does not know: a newer version ran them, and
   * this one was rolled back onto its schema (which only adds, so it runs on it).
   */
  unknown: string[];
}

/** Every migration the database has run, known to this version or not (the table exists). */
async function executedMigrationNames(db: Db, schema?: string): Promise<string[]> {
  const table = schema ? `${schema}.${DEFAULT_MIGRATION_TABLE}` : DEFAULT_MIGRATION_TABLE;
  const { rows } = await sql<{ name: string }>`select name from ${sql.table(table)}`.execute(db);
  return rows.map((row) => row.name);
}

/**
 * Runs the migrations the database has not run yet. Kysely refuses a database that has run a migration
 * it is not given, so a database a newer version has migrated is checked first: when it has run all of
 * this version's migrations too, nothing is migrated and the newer ones are returned (`s2s serve` says
 * so and carries on: operations.md, rolling back); when it lacks some of this version's, the two are
 * different lines of releases and nothing is done.
 *
 * `schema` (PostgreSQL) keeps Kysely's own bookkeeping tables in that schema: without it, Kysely looks
 * for them in every schema of the database and can find another schema's.
 */
export async function migrateToLatest(db: Db, schema?: string): Promise<MigrationOutcome> {
  const unknown: string[] = [];
  await withMigrationLock(db, async () => {
    const migrator = migratorOf(db, schema);
    const known = await migrator.getMigrations();
    const pending = known.filter((migration) => migration.executedAt === undefined).map((m) => m.name);
    // Kysely's table exists once a migration has run (a new database may not have it yet).
    if (pending.length < known.length) {
      const executed = await executedMigrationNames(db, schema);
      unknown.push(...executed.filter((name) => !MIGRATION_NAMES.includes(name)).sort());
    }
    if (unknown.length > 0 && pending.length > 0) {
      throw new Error(
        `This version of s2s does not know the migration${unknown.length > 1 ? 's' : ''} ${unknown.join(', ')}, ` +
          `which the database has run, and the database has not run ${pending.join(', ')}, which this version ` +
          'needs: they come from different releases. Nothing was migrated. Run the version that migrated the ' +
          'database, or one later that includes both.',
      );
    }
    if (pending.length > 0) checkMigrationResult(await migrator.migrateToLatest());
  });
  return { unknown };
}

/**
 * Brings the schema to exactly the migration `name`: up, or down when the database is further on
 * (backup/restore.ts restores a backup at its own level; only ever on an empty database).
 */
export async function migrateTo(db: Db, name: string, schema?: string): Promise<void> {
  await withMigrationLock(db, async () => checkMigrationResult(await migratorOf(db, schema).migrateTo(name)));
}

/** The migrations the database has run, in order (none for a database never migrated). */
export async function appliedMigrations(db: Db, schema?: string): Promise<string[]> {
  const all = await migratorOf(db, schema).getMigrations();
  return all.filter((migration) => migration.executedAt !== undefined).map((migration) => migration.name);
}

/** The engine a database handle runs on. */
export function engineOfDb(db: Db): Engine {
  return db.getExecutor().adapter instanceof PostgresAdapter ? 'postgres' : 'sqlite';
}

/**
 * The tables of the database (in PostgreSQL, of the current schema), without Kysely's migration
 * bookkeeping and the engine's own.
 */
export async function listTables(db: Db): Promise<string[]> {
  const rows =
    engineOfDb(db) === 'postgres'
      ? await sql<{ name: string }>`select table_name as name from information_schema.tables
          where table_schema = current_schema() and table_type = 'BASE TABLE'`.execute(db)
      : await sql<{ name: string }>`select name from sqlite_master
          where type = 'table' and substr(name, 1, 7) <> 'sqlite_'`.execute(db);
  return rows.rows
    .map((row) => row.name)
    .filter((name) => !name.startsWith('kysely_migration'))
    .sort();
}

/**
 * Runs `read` in one transaction that sees a single consistent snapshot of the whole database, while
 * other processes go on writing: on PostgreSQL REPEATABLE READ, READ ONLY; on SQLite (WAL) a read
 * transaction (deferred, not holding the write lock: ImmediateSqliteDialect), whose snapshot is taken at
 * its first read.
 */
export async function inSnapshot<T>(db: Db, read: (trx: Transaction<Database>) => Promise<T>): Promise<T> {
  if (engineOfDb(db) === 'postgres') {
    return db.transaction().setIsolationLevel('repeatable read').setAccessMode('read only').execute(read);
  }
  return db.transaction().setAccessMode('read only').execute(read);
}

/**
 * Makes the transactions that take the same `name` run one after another from here to their end, so a
 * check that nothing of that name exists, then an insert, cannot interleave with another's. PostgreSQL:
 * a transaction-level advisory lock on a 64-bit hash of the name (released at commit or rollback; two
 * names sharing a hash only wait for each other). SQLite: nothing to take, since one write transaction
 * runs at a time (one connection per process, and a transaction takes the write lock as it begins, so
 * another process's waits for it: ImmediateSqliteDialect).
 */
export async function serialiseOn(tx: Transaction<Database>, name: string): Promise<void> {
  if (engineOfDb(tx) !== 'postgres') return;
  const key = createHash('sha256').update(`s2s:${name}`).digest().readBigInt64BE(0);
  await sql`select pg_advisory_xact_lock(${key.toString()}::bigint)`.execute(tx);
}

/**
 * `query`, whose rows are then held against change until the end of `tx`: a check made on them (a
 * collection still open) stays true until this transaction commits. PostgreSQL: SELECT ... FOR SHARE (an
 * UPDATE of a row read waits for this transaction's end; this read waits for an UPDATE not yet committed,
 * then reads what it committed; shared readers do not wait for each other). SQLite: the query as it is,
 * since one write transaction runs at a time, from its start (see serialiseOn).
 */
export function heldUntilCommit<DB, TB extends keyof DB, O>(
  tx: Transaction<Database>,
  query: SelectQueryBuilder<DB, TB, O>,
): SelectQueryBuilder<DB, TB, O> {
  return engineOfDb(tx) === 'postgres' ? query.forShare() : query;
}

/**
 * `expression` (text) ordered character by character, as JavaScript compares strings of ASCII: SQLite's own
 * order (BINARY); on PostgreSQL the collation "C", since a database made with a locale's collation
 * (en_GB.UTF-8, say) sorts punctuation before digits and lower case beside upper.
 */
export function inCharacterOrder(db: Db, expression: Expression<string>): Expression<string> {
  return engineOfDb(db) === 'postgres' ? sql<string>`${expression} collate "C"` : expression;
}

/** True when the database answers a trivial query. */
export async function databaseIsReachable(db: Db): Promise<boolean> {
  try {
    await sql`select 1`.execute(db);
    return true;
  } catch {
    return false;
  }
}

/** PostgreSQL returns count(*) as a string (bigint); SQLite as a number. */
export function toCount(value: string | number | bigint | null | undefined): number {
  return Number(value ?? 0);
}

/**
 * Refreshes the planner's statistics of every table (ANALYZE on both engines), after a bulk load: the
 * plans of the first queries then fit the data loaded rather than the empty tables.
 *
 * On SQLite, ANALYZE reads every index whole, holding the write lock throughout: 8.2 s at a tenth of the
 * country, past the 5 s another process's write waits (decision 43). So a table at a time, each reading
 * at most 1,000 rows of each index (SQLite's analysis_limit, the estimate SQLite recommends): 0.16 s at
 * most, whatever the size.
 */
export async function analyzeTables(db: Db): Promise<void> {
  if (engineOfDb(db) === 'postgres') {
    await sql`analyze`.execute(db);
    return;
  }
  await sql`pragma analysis_limit = 1000`.execute(db);
  try {
    for (const table of await listTables(db)) await sql`analyze ${sql.table(table)}`.execute(db);
  } finally {
    await sql`pragma analysis_limit = 0`.execute(db);
  }
}
