// Rows made in JavaScript, as a table in SQL: to insert or update many rows in one statement, and to join
// a query to many keys at once; and a list of values to test a column against.
//
// The rows go as one parameter or one per column, whatever their number, so a statement's text never
// changes and it stays prepared: on PostgreSQL one array per column, unnested; on SQLite one JSON text
// of all the rows, read by json_each. A VALUES list of 200 rows (2,000 parameters) cost PostgreSQL more
// to parse and plan than to run: about 8 ms of its CPU for the pupils of a 4 MB CTF, more than a quarter
// of all it did for the upload; and on either engine Kysely built and compiled it value by value, about
// 5 ms of the event loop for the three such statements of each such upload (docs/benchmarks.md,
// "Transfers").
import { type Expression, type Insertable, type RawBuilder, sql } from 'kysely';
import { engineOfDb } from './database.ts';
import type { Database, Executor } from './schema.ts';

/** How a column's values are typed in SQL (PostgreSQL needs the arrays' types). */
export type ColumnType = 'text' | 'integer';

/** The columns of a rows table, in order, with their types. */
export type Columns<Row> = { readonly [K in keyof Row & string]?: ColumnType };

/**
 * A query whose result is `rows` (at least one), one column for each of `columns` in their order (a
 * row's missing value is NULL): `select * from unnest(...)` on PostgreSQL, `select ... from json_each(...)`
 * on SQLite.
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
  // Each row a JSON array of its values in the columns' order; `value ->> n` is the nth.
  const cells = names.map((name, n) =>
    columns[name] === 'integer' ? `cast(value ->> ${n} as integer)` : `value ->> ${n}`,
  );
  const json = JSON.stringify(rows.map((row) => names.map((name) => cellValue(row, name))));
  return sql`select ${sql.raw(cells.join(', '))} from json_each(${json})`;
}

/**
 * `column` is one of `values` (at least one), given as one parameter whatever their number, so the
 * statement is the same each time and stays prepared (prepared-statements.ts), where an IN list of each
 * length was planned afresh: on PostgreSQL `column = any($1::text[])`, on SQLite `column in (select
 * value from json_each($1))`.
 */
export function isAnyOf(db: Executor, column: string, values: readonly string[]): RawBuilder<boolean> {
  if (values.length === 0) throw new Error('A list of values needs at least one value');
  return engineOfDb(db) === 'postgres'
    ? sql<boolean>`${sql.ref(column)} = any(${values}::text[])`
    : sql<boolean>`${sql.ref(column)} in (select value from json_each(${JSON.stringify(values)}))`;
}

/** `a` and `b` are equal or both null: the test of a column against a rows table's value that may be null. */
export function sameValue(a: Expression<unknown>, b: Expression<unknown>): RawBuilder<boolean> {
  return sql<boolean>`(${a} = ${b} or (${a} is null and ${b} is null))`;
}

/** Inserts `rows` into `table`, in one statement. */
export async function insertRows<T extends keyof Database & string>(
  db: Executor,
  table: T,
  columns: Columns<Insertable<Database[T]>>,
  rows: readonly Insertable<Database[T]>[],
): Promise<void> {
  const names = Object.keys(columns);
  await sql`insert into ${sql.table(table)} (${sql.join(names.map((name) => sql.ref(name)))})
    ${rowsTable(db, columns, rows)}`.execute(db);
}

/**
 * Updates `table` from `rows` in one statement: `with alias (columns) as (rows) update table set ... from
 * alias where ...`. `set` names each column to change and the rows' column it takes; `where` joins the
 * table to the rows (by `alias.column`) and holds any condition a row must meet to be changed. Add
 * `returning ...` after it to learn which rows were.
 */
export function updateFromRows<Row>(
  db: Executor,
  update: {
    table: string;
    alias: string;
    columns: Columns<Row>;
    rows: readonly Row[];
    set: Record<string, keyof Row & string>;
    where: Expression<boolean>;
  },
): RawBuilder<unknown> {
  const names = Object.keys(update.columns);
  const set = Object.entries(update.set).map(
    ([column, from]) => sql`${sql.ref(column)} = ${sql.ref(`${update.alias}.${from}`)}`,
  );
  return sql`with ${sql.id(update.alias)} (${sql.join(names.map((name) => sql.ref(name)))}) as (${rowsTable(db, update.columns, update.rows)})
    update ${sql.table(update.table)} set ${sql.join(set)}
    from ${sql.id(update.alias)} where ${update.where}`;
}
