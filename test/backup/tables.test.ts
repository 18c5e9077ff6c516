// The backup's table list is the migrations' tables, in an order that inserts every row after the rows
// it refers to.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { sql } from 'kysely';
import { TABLE_ORDER, TABLES } from '../../src/backup/tables.ts';
import { listTables } from '../../src/platform/db/database.ts';
import { createTestDatabase, type TestDatabase } from '../support/databases.ts';

let database: TestDatabase;
before(async () => {
  database = await createTestDatabase('sqlite');
});
after(async () => {
  await database?.drop();
});

test('every table the migrations create is backed up, and nothing else', async () => {
  assert.deepEqual([...TABLE_ORDER].sort(), await listTables(database.db));
});

test('each table refers only to tables before it, or to itself through its declared column', async () => {
  for (const [index, table] of TABLE_ORDER.entries()) {
    const keys = await sql<{
      table: string;
      from: string;
    }>`select * from pragma_foreign_key_list(${table})`.execute(database.db);
    for (const key of keys.rows) {
      if (key.table === table) {
        assert.equal(
          (TABLES[table] as { selfReference?: string }).selfReference,
          key.from,
          `${table}.${key.from}`,
        );
        continue;
      }
      assert.ok(
        TABLE_ORDER.indexOf(key.table as never) < index,
        `${table}.${key.from} refers to ${key.table}, listed later`,
      );
    }
  }
});

test("the primary keys the backup pages by are the tables' primary keys", async () => {
  for (const table of TABLE_ORDER) {
    const columns = await sql<{
      name: string;
      pk: number;
    }>`select name, pk from pragma_table_info(${table})`.execute(database.db);
    const key = columns.rows
      .filter((column) => column.pk > 0)
      .sort((a, b) => a.pk - b.pk)
      .map((column) => column.name);
    assert.deepEqual(key, [...TABLES[table].key], table);
  }
});

test("the rows a purge deletes with a file's content refer to the table whose file it is", async () => {
  let checked = 0;
  for (const table of TABLE_ORDER) {
    const purgedWith = (TABLES[table] as { purgedWith?: { table: string; column: string } }).purgedWith;
    if (!purgedWith) continue;
    assert.ok((TABLES[table] as { files?: true }).files, `${table} has stored files`);
    const keys = await sql<{
      table: string;
      from: string;
    }>`select * from pragma_foreign_key_list(${purgedWith.table})`.execute(database.db);
    assert.ok(
      keys.rows.some((key) => key.table === table && key.from === purgedWith.column),
      `${purgedWith.table}.${purgedWith.column} refers to ${table}`,
    );
    checked += 1;
  }
  assert.equal(checked, 1, 'transfers: their pupils go with the content');
});
