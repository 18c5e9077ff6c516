// Rows made in JavaScript as a table in SQL (rows-table.ts): an array per column on PostgreSQL, a VALUES
// list on SQLite; either way the same rows come back, typed, in order, with their NULLs.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { sql } from 'kysely';
import { rowsTable } from '../../src/platform/db/rows-table.ts';
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
      ],
    );
  });

  test('a table of no rows is refused before any SQL', () => {
    assert.throws(() => rowsTable(database().db, { name: 'text' }, []), /at least one row/);
  });
});
