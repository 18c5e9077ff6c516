// Every repository test runs on both engines: an SQLite file in a temporary folder, and a schema of its
// own in the PostgreSQL server on this machine.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  copyFileSync,
  existsSync,
  mkdtempSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe } from 'node:test';
import SqliteDatabase from 'better-sqlite3';
import {
  AliasNode,
  CompiledQuery,
  DeleteQueryNode,
  InsertQueryNode,
  type Kysely,
  type KyselyPlugin,
  PrimitiveValueListNode,
  type QueryId,
  type QueryResult,
  type RootOperationNode,
  SelectQueryNode,
  sql,
  TableNode,
  UpdateQueryNode,
  ValueListNode,
  ValuesNode,
} from 'kysely';
import pg from 'pg';
import { AuditKeys, withAuditKeys } from '../../src/audit/keys.ts';
import {
  createDatabase,
  type Engine,
  MIGRATION_LOCK_ID,
  migrateTo,
  migrateToLatest,
} from '../../src/platform/db/database.ts';
import {
  guardKeyedSealing,
  unguardKeyedSealing,
} from '../../src/platform/db/migrations/036-keyed-audit-chain.ts';
import type { Db } from '../../src/platform/db/schema.ts';
import { MasterKey } from '../../src/platform/storage/envelope.ts';
import { MasterKeyring } from '../../src/platform/storage/keyring.ts';
import { signal } from './signals.ts';

export const POSTGRES_URL = process.env.TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

/**
 * The audit keys of the tests' handles: s2s refuses to write an audit event through a handle without
 * them (recordAudit), as every way into s2s gives them. A test that seals or verifies under keys of its
 * own gives them to its handle (withAuditKeys: the last given wins).
 */
export const TEST_AUDIT_KEYS = AuditKeys.fromKeyring(new MasterKeyring(MasterKey.generate()));

/** `db` as s2s opens it: carrying the audit keys (TEST_AUDIT_KEYS). */
export function withTestAuditKeys(db: Db): Db {
  return withAuditKeys(db, TEST_AUDIT_KEYS);
}

const MAC_COLUMNS = new Set(['mac', 'mac_version', 'mac_key_id']);

/**
 * `db` (at a schema level before 036-keyed-audit-chain) with its audit events written as that version
 * wrote them, without the MAC columns it did not have: for tests that run today's services on an old
 * schema to test a later migration.
 */
export function withAuditEventsBefore036(db: Db): Db {
  const plugin: KyselyPlugin = {
    transformQuery({ node }) {
      if (!InsertQueryNode.is(node) || node.into?.table.identifier.name !== 'audit_events') return node;
      const columns = node.columns ?? [];
      const kept = columns.map((column) => !MAC_COLUMNS.has(column.column.name));
      if (kept.every(Boolean) || !node.values || !ValuesNode.is(node.values)) return node;
      const values = node.values.values.map((row) =>
        PrimitiveValueListNode.is(row)
          ? PrimitiveValueListNode.create(row.values.filter((_, i) => kept[i]))
          : ValueListNode.create(row.values.filter((_, i) => kept[i])),
      );
      return {
        ...node,
        columns: columns.filter((_, i) => kept[i]),
        values: ValuesNode.create(values),
      } as InsertQueryNode;
    },
    async transformResult({ result }) {
      return result;
    },
  };
  return db.withPlugin(plugin);
}

export interface TestDatabase {
  engine: Engine;
  /** The database, carrying the audit keys (TEST_AUDIT_KEYS). */
  db: Db;
  /** The same database without audit keys: for tests of what s2s does without them. */
  unkeyedDb: Db;
  /** A DATABASE_URL that reaches this same database (for processes started by the test). */
  url: string;
  /** PostgreSQL schema, when the engine is PostgreSQL. */
  schema?: string;
  drop(): Promise<void>;
}

/**
 * The same request made twice at once: the first held at `hold` (`whileHeld` runs then), the second
 * made meanwhile and let run until it ends or waits for a lock the first holds
 * (doneOrWaitingForLock), then the first released. Both answers, the first's first.
 */
export async function twiceAtOnce<T>(
  database: TestDatabase,
  hold: Hold,
  request: () => Promise<T>,
  whileHeld: () => void = () => {},
): Promise<[T, T]> {
  return firstHeldThenAnother(database, hold, request, () => {
    whileHeld();
    return request();
  });
}

/**
 * Two requests at once that differ (another record, another app node): `first` held at `hold`, `second`
 * made meanwhile and let run until it ends or waits for a lock the first holds, then the first released,
 * as twiceAtOnce. Both answers, the first's first.
 */
export async function firstHeldThenAnother<T>(
  database: TestDatabase,
  hold: Pick<Hold, 'reached' | 'release'>,
  first: () => Promise<T>,
  second: () => Promise<T>,
): Promise<[T, T]> {
  const one = first();
  await hold.reached;
  let secondDone = false;
  const two = second().finally(() => {
    secondDone = true;
  });
  await doneOrWaitingForLock(database, () => secondDone);
  hold.release();
  return Promise.all([one, two]);
}

/**
 * Runs a change of tables (drop, alter) as a migration does, holding the migration lock: another test
 * process's migrator lists every schema's tables and columns, and fails on one dropped as it reads
 * (database.ts, MIGRATION_LOCK_ID).
 */
export async function asMigration(client: pg.Client, statement: string): Promise<void> {
  await client.query('select pg_advisory_lock($1)', [MIGRATION_LOCK_ID]);
  try {
    await client.query(statement);
  } finally {
    await client.query('select pg_advisory_unlock($1)', [MIGRATION_LOCK_ID]);
  }
}

/**
 * Where a test run keeps what its processes share: the run's own bundle folder (scripts/run-tests.js makes
 * a new one for each run, so what is kept there was made by this run's code). Undefined outside a run.
 */
function runFile(name: string): string | undefined {
  const dir = process.env.S2S_BUNDLE_DIR;
  return dir ? join(dir, name) : undefined;
}

/** Writes `content` to `file` whole or not at all: another process may read it at any moment. */
function writeWhole(file: string, content: string | Buffer): void {
  const partial = `${file}.${process.pid}.${randomBytes(4).toString('hex')}`;
  writeFileSync(partial, content);
  renameSync(partial, file);
}

/**
 * A fresh database at the latest level is the migrations' result, made once per test run and copied for
 * each test: running the 45 migrations took about 70 ms of CPU for each SQLite file and half a second for
 * each PostgreSQL schema (holding the migration lock, so the run's two processes waited for each other),
 * several hundred times a run. A test of a migration asks for a level and is migrated as before.
 *
 * SQLite: a migrated file, closed (so its write-ahead log is in it), copied.
 */
let sqliteLatest: Promise<string> | undefined;
function sqliteAtLatest(): Promise<string> {
  sqliteLatest ??= (async () => {
    const shared = runFile('sqlite-latest.sqlite');
    if (shared && existsSync(shared)) return shared;
    const dir = mkdtempSync(join(tmpdir(), 's2s-test-latest-'));
    const file = join(dir, 'latest.sqlite');
    const db = createDatabase(`sqlite:${file}`);
    await migrateToLatest(db);
    await db.destroy();
    if (!shared) {
      process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
      return file;
    }
    writeWhole(shared, readFileSync(file));
    rmSync(dir, { recursive: true, force: true });
    return shared;
  })();
  return sqliteLatest;
}

/** Stands for the schema's name in the PostgreSQL template's statements. */
const SCHEMA_MARK = '__s2s_test_schema__';

/**
 * PostgreSQL: the statements pg_dump writes for a schema migrated to the latest level (its tables, their
 * rows such as Kysely's record of the migrations, indexes, constraints, triggers), the schema's name
 * marked. Undefined where pg_dump cannot be run: each schema is then migrated.
 */
let postgresLatest: Promise<string | undefined> | undefined;
function postgresAtLatest(): Promise<string | undefined> {
  postgresLatest ??= (async () => {
    const shared = runFile('postgres-latest.sql');
    if (shared && existsSync(shared)) return readFileSync(shared, 'utf8');
    const template = `t_${randomBytes(6).toString('hex')}`;
    const admin = new pg.Client({ connectionString: POSTGRES_URL });
    await admin.connect();
    try {
      await admin.query(`create schema ${template}`);
      const db = createDatabase(POSTGRES_URL, { schema: template });
      try {
        await migrateToLatest(db, template);
      } finally {
        await db.destroy();
      }
      const dump = spawnSync(
        'pg_dump',
        ['--dbname', POSTGRES_URL, '--schema', template, '--no-owner', '--no-privileges', '--inserts'],
        { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 },
      );
      if (dump.error || dump.status !== 0) return undefined;
      const statements = dump.stdout
        .split('\n')
        .filter((line) => !line.startsWith('\\')) // psql's own commands (\restrict)
        .join('\n')
        .replaceAll(template, SCHEMA_MARK);
      if (shared) writeWhole(shared, statements);
      return statements;
    } finally {
      await asMigration(admin, `drop schema if exists ${template} cascade`);
      await admin.end();
    }
  })();
  return postgresLatest;
}

/** A fresh database, migrated to the latest level, or to `level` (a migration's name) to test the next. */
export async function createTestDatabase(engine: Engine, level?: string): Promise<TestDatabase> {
  const migrate = (db: Db, schema?: string) =>
    level ? migrateTo(db, level, schema) : migrateToLatest(db, schema);
  if (engine === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), 's2s-test-'));
    const file = join(dir, 'test.sqlite');
    if (!level) copyFileSync(await sqliteAtLatest(), file);
    const url = `sqlite:${file}`;
    const db = createDatabase(url);
    if (level) await migrate(db);
    return {
      engine,
      db: withTestAuditKeys(db),
      unkeyedDb: db,
      url,
      drop: async () => {
        await db.destroy();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  }
  const schema = `t_${randomBytes(6).toString('hex')}`;
  const statements = level ? undefined : await postgresAtLatest();
  const admin = new pg.Client({ connectionString: POSTGRES_URL });
  await admin.connect();
  // One batch of statements runs as one transaction: the schema is made whole or not at all.
  await admin.query(statements ? statements.replaceAll(SCHEMA_MARK, schema) : `create schema ${schema}`);
  await admin.end();
  const db = createDatabase(POSTGRES_URL, { schema });
  const dropSchema = async () => {
    await db.destroy();
    const cleanup = new pg.Client({ connectionString: POSTGRES_URL });
    await cleanup.connect();
    await asMigration(cleanup, `drop schema ${schema} cascade`);
    await cleanup.end();
  };
  if (!statements) {
    try {
      await migrate(db, schema);
    } catch (error) {
      await dropSchema();
      throw error;
    }
  }
  return {
    engine,
    db: withTestAuditKeys(db),
    unkeyedDb: db,
    url: POSTGRES_URL,
    schema,
    drop: dropSchema,
  };
}

export const ENGINES: Engine[] = ['sqlite', 'postgres'];

/**
 * Declares the suite once per engine. `body` receives a getter for the current database, which is
 * fresh for each engine's suite; tests isolate their data with factories (unique numbers and names).
 */
export function describeEachEngine(name: string, body: (database: () => TestDatabase) => void): void {
  for (const engine of ENGINES) {
    describe(`${name} [${engine}]`, () => {
      let current: TestDatabase | undefined;
      before(async () => {
        current = await createTestDatabase(engine);
      });
      after(async () => {
        await current?.drop();
      });
      body(() => {
        if (!current) throw new Error('database not ready');
        return current;
      });
    });
  }
}

/**
 * A connection of its own to the test database, as another process of s2s has (on SQLite this process's
 * one connection stays free while a statement of it is held): for a job running on another node. Destroy
 * it after.
 */
export function anotherProcessDb(database: TestDatabase): Db {
  return withTestAuditKeys(
    database.schema === undefined
      ? createDatabase(database.url)
      : createDatabase(database.url, { schema: database.schema }),
  );
}

/** A query's result held, its transaction open, until `release`; `reached` settles when one is. */
interface Hold {
  db: Db;
  reached: Promise<void>;
  release: () => void;
}

/**
 * `db` with the queries `holds` picks held once they have run, their transaction open, until `release`:
 * a fixed point inside another transaction, to interleave a second one with it deterministically. With
 * `holdsResult`, only those whose result it picks are held.
 */
function holdingAfter(
  db: Db,
  holds: (node: RootOperationNode) => boolean,
  holdsResult: (result: QueryResult<unknown>) => boolean = () => true,
): Hold {
  const held = new WeakSet<QueryId>();
  const { fired: reached, fire: arrived } = signal();
  const { fired: released, fire: release } = signal();
  const plugin: KyselyPlugin = {
    transformQuery({ node, queryId }) {
      if (holds(node)) held.add(queryId);
      return node;
    },
    async transformResult({ queryId, result }) {
      if (held.has(queryId) && holdsResult(result)) {
        arrived();
        await released;
      }
      return result;
    },
  };
  return { db: db.withPlugin(plugin), reached, release };
}

/**
 * `db` with its first insert into `table` held once it has run (holdingAfter): `reached` settles then.
 * Only the first: a second request's insert beside it goes on (to wait for a lock the first holds, or to
 * commit a duplicate the test then finds), rather than being held too and never done.
 */
export function holdingAfterInsertInto(db: Db, table: string): Hold {
  let first = true;
  return holdingAfter(db, (node) => {
    if (!first || !InsertQueryNode.is(node) || node.into?.table.identifier.name !== table) return false;
    first = false;
    return true;
  });
}

/**
 * `db` with its first update of `table` that changed a row held once it has run (holdingAfter): `reached`
 * settles then. Only the first, as holdingAfterInsertInto. Outside a transaction the update is committed
 * while it is held (on SQLite the write lock is then free for another process's writes).
 */
export function holdingAfterUpdateOf(db: Db, table: string): Hold {
  let first = true;
  return holdingAfter(
    db,
    (node) =>
      UpdateQueryNode.is(node) &&
      node.table !== undefined &&
      TableNode.is(node.table) &&
      node.table.table.identifier.name === table,
    (result) => {
      if (!first || (result.numAffectedRows ?? 0n) === 0n) return false;
      first = false;
      return true;
    },
  );
}

/**
 * `db` with its deletes from `table` that removed rows held once they have run (holdingAfter). `reached`
 * settles when the first such delete has run: between the statements of a delete made in batches.
 */
export function holdingAfterDeleteFrom(db: Db, table: string): Hold {
  return holdingAfter(
    db,
    (node) =>
      DeleteQueryNode.is(node) &&
      node.from.froms.some((from) => TableNode.is(from) && from.table.identifier.name === table),
    (result) => (result.numAffectedRows ?? 0n) > 0n,
  );
}

/**
 * `db` with its reads of `table` (under its own name or an alias) held once they have run (holdingAfter),
 * those made once `armed()` is true: the reads a transaction makes, where others of the same table come
 * before it.
 */
export function holdingAfterSelectFrom(db: Db, table: string, armed: () => boolean): Hold {
  return holdingAfter(
    db,
    (node) =>
      armed() &&
      SelectQueryNode.is(node) &&
      (node.from?.froms ?? []).some((from) => {
        const named = AliasNode.is(from) ? from.node : from;
        return TableNode.is(named) && named.table.identifier.name === table;
      }),
  );
}

/**
 * Whether a transaction (of any connection, any process) holds the SQLite database's one write lock:
 * asked of a connection of its own that does not wait for it.
 */
function sqliteWriteLockHeld(database: TestDatabase): boolean {
  const probe = new SqliteDatabase(database.url.slice('sqlite:'.length), { timeout: 0 });
  try {
    probe.exec('begin immediate');
    probe.exec('rollback');
    return false;
  } catch (error) {
    if ((error as { code?: string }).code === 'SQLITE_BUSY') return true;
    throw error;
  } finally {
    probe.close();
  }
}

/**
 * Waits until `done()` or until a statement of another connection must wait for what a transaction
 * holds: how far that statement can go meanwhile. On PostgreSQL, until one of this test database's
 * connections waits for a lock; on SQLite, until the write lock is held, which every write of another
 * connection (another process's) waits for. Within one process s2s has one SQLite connection, and a
 * transaction takes it until its end.
 */
export async function doneOrWaitingForLock(database: TestDatabase, done: () => boolean): Promise<void> {
  if (database.engine === 'sqlite') {
    while (!done() && !sqliteWriteLockHeld(database)) await new Promise((resolve) => setTimeout(resolve, 10));
    return;
  }
  const client = new pg.Client({ connectionString: POSTGRES_URL });
  await client.connect();
  try {
    for (;;) {
      if (done()) return;
      const waiting = await client.query(
        `select 1 from pg_stat_activity where application_name = $1 and wait_event_type = 'Lock'`,
        [`s2s ${database.schema}`],
      );
      if ((waiting.rowCount ?? 0) > 0) return;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  } finally {
    await client.end();
  }
}

/**
 * Runs `change` as someone who can write to the database would: without the triggers that stop an older
 * version's sealer (migration 036), which such a person could drop. For tests of what the MACs catch.
 */
export async function asDatabaseWriter<T>(db: Db, change: () => Promise<T>): Promise<T> {
  const schemaOwner = db as unknown as Kysely<unknown>;
  await unguardKeyedSealing(schemaOwner);
  try {
    return await change();
  } finally {
    await guardKeyedSealing(schemaOwner);
  }
}

/**
 * How a plan (queryPlan) says it reads `index` alone, never the table: SQLite's covering index,
 * PostgreSQL's index-only scan, either way along it (which it chooses once the table is vacuumed:
 * allVisible first).
 */
export function readsIndexAlone(engine: Engine, index: string): RegExp {
  return engine === 'sqlite'
    ? new RegExp(`USING COVERING INDEX ${index}\\b`)
    : new RegExp(`Index Only Scan (Backward )?using ${index}\\b`);
}

/** How a plan (queryPlan) says it reads rows of `table` itself, rather than only an index of it. */
export function readsTable(engine: Engine, table: string): RegExp {
  return engine === 'sqlite'
    ? new RegExp(`(SCAN|SEARCH) ${table}\\b(?! USING COVERING INDEX)`)
    : new RegExp(`(Seq Scan|Bitmap Heap Scan|(?<!Only )Index Scan)[^\\n]* on ${table}\\b`);
}

/**
 * Vacuums `table` on PostgreSQL until all its pages count as visible to all (nothing to do on SQLite).
 * A vacuum cannot mark a page so while a transaction older than its rows is open anywhere in the database
 * (another test file's, running at the same time): then the planner counts on reading the table for every
 * row, and may as well read it through another index. Such transactions are short: it tries again.
 */
export async function allVisible(db: Db, engine: Engine, table: string): Promise<void> {
  if (engine !== 'postgres') return;
  for (let attempt = 0; ; attempt += 1) {
    await sql`vacuum analyze ${sql.table(table)}`.execute(db);
    const { rows } = await sql<{ pages: number; visible: number }>`
      select relpages as pages, relallvisible as visible from pg_class
      where oid = to_regclass(${table})`.execute(db);
    const counted = rows[0];
    if (!counted || counted.visible >= counted.pages) return;
    if (attempt === 200) {
      throw new Error(
        `${table}: ${counted.visible} of ${counted.pages} pages visible to all after 200 vacuums`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/**
 * The engine's plan for a compiled query, as text (SQLite's EXPLAIN QUERY PLAN details, PostgreSQL's
 * EXPLAIN lines), for tests that a query reads through the index meant for it.
 */
export async function queryPlan(db: Db, engine: Engine, query: CompiledQuery): Promise<string> {
  return db.transaction().execute(async (tx) => {
    const explain = engine === 'sqlite' ? 'explain query plan' : 'explain';
    // A handful of rows: without this, PostgreSQL rightly reads the table itself.
    if (engine === 'postgres') await sql`set local enable_seqscan = off`.execute(tx);
    const { rows } = await tx.executeQuery<Record<string, unknown>>(
      CompiledQuery.raw(`${explain} ${query.sql}`, [...query.parameters]),
    );
    return rows.map((row) => String(row.detail ?? row['QUERY PLAN'])).join('\n');
  });
}
