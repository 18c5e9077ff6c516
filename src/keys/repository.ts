// The SQL of master key rotation: the three tables that hold data keys wrapped by a master key, each
// beside the id of the key that wrapped it.
import { sql } from 'kysely';
import { toCount } from '../platform/db/database.ts';
import { type Columns, sameValue, updateFromRows } from '../platform/db/rows-table.ts';
import type { Executor } from '../platform/db/schema.ts';

export const SEALED_TABLES = ['transfers', 'census_returns', 'two_factor_secrets'] as const;
export type SealedTable = (typeof SEALED_TABLES)[number];

/** Each table's primary key: rows are read in its order, a batch at a time. */
const KEY_COLUMN: Record<SealedTable, string> = {
  transfers: 'id',
  census_returns: 'id',
  two_factor_secrets: 'user_id',
};

export interface WrappedKeyCount {
  masterKeyId: string | null;
  count: number;
}

/** How many wrapped data keys each master key holds in the table (a purged file holds none). */
export async function countWrappedKeys(db: Executor, table: SealedTable): Promise<WrappedKeyCount[]> {
  const rows = await db
    .selectFrom(table)
    .select(['master_key_id', (eb) => eb.fn.countAll<string | number>().as('count')])
    .where('wrapped_key', 'is not', null)
    .groupBy('master_key_id')
    .orderBy('master_key_id')
    .execute();
  return rows.map((row) => ({ masterKeyId: row.master_key_id, count: toCount(row.count) }));
}

export interface WrappedKeyRow {
  key: string;
  wrappedKey: string;
  masterKeyId: string | null;
}

/** The next rows, after `after` in key order, whose data key is not wrapped by the master key `current`. */
export async function wrappedKeysNotUnder(
  db: Executor,
  table: SealedTable,
  current: string,
  after: string | null,
  limit: number,
): Promise<WrappedKeyRow[]> {
  const key = sql.ref<string>(KEY_COLUMN[table]);
  let query = db
    .selectFrom(table)
    .select([key.as('key'), 'wrapped_key', 'master_key_id'])
    .where('wrapped_key', 'is not', null)
    .where((eb) => eb.or([eb('master_key_id', 'is', null), eb('master_key_id', '!=', current)]));
  if (after !== null) query = query.where(key, '>', after);
  const rows = await query.orderBy(key).limit(limit).execute();
  return rows.map((row) => ({
    key: row.key,
    wrappedKey: row.wrapped_key as string,
    masterKeyId: row.master_key_id,
  }));
}

/** A row's data key wrapped again: the row as it was read, and its new wrapping. */
export interface Rewrap {
  row: WrappedKeyRow;
  next: { wrappedKey: string; masterKeyId: string };
}

interface RewrapCells {
  key: string;
  read_wrapped: string;
  read_master: string | null;
  wrapped: string;
  master: string;
}

const REWRAP_COLUMNS: Columns<RewrapCells> = {
  key: 'text',
  read_wrapped: 'text',
  read_master: 'text',
  wrapped: 'text',
  master: 'text',
};

/**
 * Replaces the rows' wrapped data keys in one statement, each only if it is still the one read (under
 * the same master key): a run at the same moment that re-wrapped it first, or a purge that removed it,
 * wins, and that row is left. Returns the keys of the rows changed.
 */
export async function replaceWrappedKeys(
  db: Executor,
  table: SealedTable,
  rewraps: readonly Rewrap[],
): Promise<Set<string>> {
  if (rewraps.length === 0) return new Set();
  const cells = rewraps.map(({ row, next }) => ({
    key: row.key,
    read_wrapped: row.wrappedKey,
    read_master: row.masterKeyId,
    wrapped: next.wrappedKey,
    master: next.masterKeyId,
  }));
  const key = sql.ref(`${table}.${KEY_COLUMN[table]}`);
  const update = updateFromRows(db, {
    table,
    alias: 'rewrap',
    columns: REWRAP_COLUMNS,
    rows: cells,
    set: { wrapped_key: 'wrapped', master_key_id: 'master' },
    where: sql<boolean>`${key} = rewrap.key and ${sql.ref(`${table}.wrapped_key`)} = rewrap.read_wrapped
      and ${sameValue(sql.ref(`${table}.master_key_id`), sql.ref('rewrap.read_master'))}`,
  });
  const result = await sql<{ key: string }>`${update} returning ${key} as key`.execute(db);
  return new Set(result.rows.map((row) => row.key));
}
