// Rows made in JavaScript as a table in SQL (rows-table.ts): an array per column on PostgreSQL, one JSON
// text on SQLite; either way the same rows come back, typed, in order, with their NULLs, and text that
// looks like JSON stays text. A column tested against a list of values (one array on PostgreSQL, one JSON
// text on SQLite) finds what is listed. Many rows go in one statement, inserted or updated; an update
// changes only the rows that still hold what they were read with.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { sql } from 'kysely';
import {
  insertRows,
  isAnyOf,
  rowsTable,
  sameValue,
  updateFromRows,
} from '../../src/platform/db/rows-table.ts';
import { describeEachEngine } from '../support/databases.ts';

describeEachEngine('rows table', (database) => {
  test('the rows come back as they were: text and integers, NULL for a missing value, in order', async () => {
    const { db } = database();
    const rows = [
      { name: 'O\'Brien, "Jr" {x}', count: 3 },
      { name: 'NULL', count: null },
      { name: null, count: -7 },
      { count: 0 },
      { name: 'Zoë\\', count: 2_000_000_000 },
      { name: '[1, "two"]', count: 1 },
      { name: '"quoted" \u{1F600}\n', count: 2 },
    ];
    const table = rowsTable(db, { name: 'text', count: 'integer' }, rows);
    const { rows: back } = await sql<{ name: string | null; count: number | null; n: number }>`
      with t (name, count) as (${table})
      select name, count, count + 1 as n from t`.execute(db);
    assert.deepEqual(
      back.map((row) => ({ ...row, n: row.n === null ? null : Number(row.n) })),
      [
        { name: 'O\'Brien, "Jr" {x}', count: 3, n: 4 },
        { name: 'NULL', count: null, n: null },
        { name: null, count: -7, n: -6 },
        { name: null, count: 0, n: 1 },
        { name: 'Zoë\\', count: 2_000_000_000, n: 2_000_000_001 },
        { name: '[1, "two"]', count: 1, n: 2 },
        { name: '"quoted" \u{1F600}\n', count: 2, n: 3 },
      ],
    );
  });

  test('a table of no rows is refused before any SQL', () => {
    assert.throws(() => rowsTable(database().db, { name: 'text' }, []), /at least one row/);
  });

  test('a column is tested against a list of values, however many and however awkward', async () => {
    const { db } = database();
    const names = ['O\'Brien, "Jr" {x}', 'NULL', 'Zoë\\', 'plain', ''];
    const table = rowsTable(
      db,
      { name: 'text' },
      names.map((name) => ({ name })),
    );
    const matching = async (values: string[]) => {
      const { rows } = await sql<{ name: string }>`
        with t (name) as (${table})
        select name from t where ${isAnyOf(db, 'name', values)} order by name`.execute(db);
      return rows.map((row) => row.name);
    };
    assert.deepEqual(await matching(['NULL', 'Zoë\\', 'absent']), ['NULL', 'Zoë\\']);
    const many = Array.from({ length: 500 }, (_, n) => `value ${n}`);
    assert.deepEqual(await matching([...many, 'O\'Brien, "Jr" {x}', '']), ['', 'O\'Brien, "Jr" {x}']);
    assert.deepEqual(await matching(many), []);
    assert.throws(() => isAnyOf(db, 'name', []), /at least one value/);
  });

  test('thousands of rows are inserted in one statement', async () => {
    const { db } = database();
    // Left for the throwaway schema's drop: dropping it here, without the migration lock, fails another
    // process's migrator listing every schema's tables at that moment (database.ts, MIGRATION_LOCK_ID).
    await sql`create table rows_inserted (name text, count integer)`.execute(db);
    const rows = Array.from({ length: 5000 }, (_, n) => ({
      name: n % 7 === 0 ? null : `pupil ${n}`,
      count: n,
    }));
    // A table of the test's own, outside the schema's types.
    await insertRows(
      db,
      'rows_inserted' as 'transfer_pupils',
      { name: 'text', count: 'integer' } as never,
      rows as never,
    );
    const { rows: back } = await sql<{
      rows: number | string;
      total: number | string;
      nulls: number | string;
    }>`
      select count(*) as rows, sum(count) as total, sum(case when name is null then 1 else 0 end) as nulls
      from rows_inserted where count >= 0`.execute(db);
    assert.deepEqual(
      back.map((row) => ({ rows: Number(row.rows), total: Number(row.total), nulls: Number(row.nulls) })),
      [{ rows: 5000, total: (4999 * 5000) / 2, nulls: 715 }],
    );
  });

  test('rows are updated from a rows table in one statement, each only if it meets the condition', async () => {
    const { db } = database();
    await sql`create table rows_updated (id text, value text, note text, count integer)`.execute(db);
    await sql`insert into rows_updated (id, value, note, count) values
      ('a', 'old a', null, 1), ('b', 'old b', 'kept', 2), ('c', 'old c', null, 3), ('d', 'old d', null, 4)`.execute(
      db,
    );
    const update = updateFromRows(db, {
      table: 'rows_updated',
      alias: 'change',
      columns: { id: 'text', read_value: 'text', read_note: 'text', value: 'text', count: 'integer' },
      rows: [
        // Still as read (a NULL read as NULL): changed.
        { id: 'a', read_value: 'old a', read_note: null, value: 'new a', count: 10 },
        // Its note is no longer what was read: left.
        { id: 'b', read_value: 'old b', read_note: null, value: 'new b', count: 20 },
        { id: 'c', read_value: 'old c', read_note: null, value: 'new c', count: null },
        // No such row.
        { id: 'x', read_value: 'old x', read_note: null, value: 'new x', count: 0 },
      ],
      set: { value: 'value', count: 'count' },
      where: sql<boolean>`rows_updated.id = change.id and rows_updated.value = change.read_value
        and ${sameValue(sql.ref('rows_updated.note'), sql.ref('change.read_note'))}`,
    });
    const { rows: changed } = await sql<{ id: string }>`${update} returning rows_updated.id as id`.execute(
      db,
    );
    assert.deepEqual(changed.map((row) => row.id).sort(), ['a', 'c']);
    const { rows: after } = await sql<{ id: string; value: string; count: number | null }>`
      select id, value, count from rows_updated order by id`.execute(db);
    assert.deepEqual(after, [
      { id: 'a', value: 'new a', count: 10 },
      { id: 'b', value: 'old b', count: 2 },
      { id: 'c', value: 'new c', count: null },
      { id: 'd', value: 'old d', count: 4 },
    ]);
  });
});
