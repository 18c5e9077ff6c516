// The one place that knows which SQL engine runs.
import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import {
  Kysely,
  type Migration,
  Migrator,
  PostgresAdapter,
  PostgresDialect,
  SqliteDialect,
  sql,
} from 'kysely';
import pg from 'pg';
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
import type { Database, Db } from './schema.ts';

export type Engine = 'sqlite' | 'postgres';

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
};

export interface DatabaseOptions {
  /** PostgreSQL only: run in this schema (tests use one schema each). */
  schema?: string;
}

export function engineOf(url: string): Engine {
  return url.startsWith('sqlite:') ? 'sqlite' : 'postgres';
}

export function createDatabase(url: string, options: DatabaseOptions = {}): Db {
  if (engineOf(url) === 'sqlite') {
    const file = url.slice('sqlite:'.length);
    if (file !== ':memory:') mkdirSync(dirname(resolve(file)), { recursive: true });
    const connection = new SqliteDatabase(file === ':memory:' ? ':memory:' : resolve(file));
    connection.pragma('journal_mode = WAL');
    connection.pragma('foreign_keys = ON');
    connection.pragma('busy_timeout = 5000');
    return new Kysely<Database>({ dialect: new SqliteDialect({ database: connection }) });
  }
  const pool = new pg.Pool({
    connectionString: url,
    max: 10,
    ...(options.schema ? { options: `-c search_path=${options.schema}` } : {}),
  });
  return new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
}

/**
 * A PostgreSQL advisory lock every migration holds. Kysely's migrator first lists the tables of every
 * schema of the database (to find its own), and PostgreSQL fails that listing with "schema ... does not
 * exist" when a schema is dropped at the same moment. Migrations hold this lock, and whatever drops a
 * schema (the tests' throwaway schemas: test/support/databases.ts) takes it first. It also keeps several
 * processes starting at once from migrating side by side.
 */
export const MIGRATION_LOCK_ID = 5_302_317_001;

/**
 * `schema` (PostgreSQL) keeps Kysely's own bookkeeping tables in that schema: without it, Kysely looks
 * for them in every schema of the database and can find another schema's.
 */
export async function migrateToLatest(db: Db, schema?: string): Promise<void> {
  const migrate = async () => {
    const migrator = new Migrator({
      db,
      provider: { getMigrations: async () => migrations },
      ...(schema ? { migrationTableSchema: schema } : {}),
    });
    const { error, results } = await migrator.migrateToLatest();
    const failed = results?.find((r) => r.status === 'Error');
    if (error || failed) {
      const reason = error instanceof Error ? error.message : String(error ?? 'unknown error');
      throw new Error(`Database migration ${failed?.migrationName ?? ''} failed: ${reason}`);
    }
  };
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
