// Rows made in JavaScript, as a table in SQL: to insert many rows in one statement, and to join a query
// to many keys at once; and a list of values to test a column against.
//
// On PostgreSQL the rows go as one array per column, unnested: a statement of a few parameters whose
// text never changes. A VALUES list of 200 rows (2,000 parameters) cost PostgreSQL more to parse and
// plan than to run: about 8 ms of its CPU for the pupils of a 4 MB CTF, more than a quarter of all it
// did for the upload (docs/benchmarks.md, "Transfers"). On SQLite, a VALUES list: its statements are
// prepared once and kept (database.ts), so the list's length costs nothing after the first time.
import { type Insertable, type RawBuilder, sql } from 'kysely';
import { engineOfDb } from './database.ts';
import type { Database, Executor } from './schema.ts';

/** How a column's values are typed in SQL (PostgreSQL needs the arrays' types). */
export type ColumnType = 'text' | 'integer';

/** The columns of a rows table, in order, with their types. */
export type Columns<Row> = { readonly [K in keyof Row & string]?: ColumnType };

/** Parameters in one SQLite statement of an insert: well under its limit, as it always was here. */
const SQLITE_PARAMETERS = 2000;

/**
 * A query whose result is `rows` (at least one), one column for each of `columns` in their order (a
 * row's missing value is NULL): `select * from unnest(...)` on PostgreSQL, `values (...), ...` on SQLite.
 * Name its columns where it is used (`with t (a, b) as (...)`, `insert into t (a, b) ...`).
 */
export function rowsTable<Row>(
  db: Executor,
  columns: Columns<Row>,
  rows: readonly Row[],
): RawBuilder<unknown> {
  if (rows.length === 0) throw new Error('A rows table needs at least one row');
  const names = Object.keys(columns) as (keyof Row & string)[];
  const cellValue = (row: Row, name: keyof Row & string) => row[name] ?? null;
  if (engineOfDb(db) === 'postgres') {
    const arrays = names.map(
      (name) => sql`${rows.map((row) => cellValue(row, name))}::${sql.raw(columns[name] as ColumnType)}[]`,
    );
    return sql`select * from unnest(${sql.join(arrays)})`;
  }
  const cell = (row: Row, name: keyof Row & string) =>
    columns[name] === 'integer'
      ? sql`cast(${cellValue(row, name)} as integer)`
      : sql`${cellValue(row, name)}`;
  return sql`values ${sql.join(rows.map((row) => sql`(${sql.join(names.map((name) => cell(row, name)))})`))}`;
}

/**
 * `column` is one of `values` (at least one): on PostgreSQL `column = any($1::text[])`, one parameter
 * whatever the number of values, so the statement is the same each time and stays prepared
 * (prepared-statements.ts), where an IN list of each length was planned afresh; on SQLite `column in
 * (...)`, whose statements are kept whatever their length.
 */
export function isAnyOf(db: Executor, column: string, values: readonly string[]): RawBuilder<boolean> {
  if (values.length === 0) throw new Error('A list of values needs at least one value');
  return engineOfDb(db) === 'postgres'
    ? sql<boolean>`${sql.ref(column)} = any(${values}::text[])`
    : sql<boolean>`${sql.ref(column)} in (${sql.join(values)})`;
}

/** Inserts `rows` into `table`: one statement on PostgreSQL, statements of a few hundred rows on SQLite. */
export async function insertRows<T extends keyof Database & string>(
  db: Executor,
  table: T,
  columns: Columns<Insertable<Database[T]>>,
  rows: readonly Insertable<Database[T]>[],
): Promise<void> {
  const names = Object.keys(columns);
  const perStatement =
    engineOfDb(db) === 'postgres' ? rows.length : Math.floor(SQLITE_PARAMETERS / Math.max(1, names.length));
  for (let start = 0; start < rows.length; start += perStatement) {
    const batch = rows.slice(start, start + perStatement);
    await sql`insert into ${sql.table(table)} (${sql.join(names.map((name) => sql.ref(name)))})
      ${rowsTable(db, columns, batch)}`.execute(db);
  }
}
