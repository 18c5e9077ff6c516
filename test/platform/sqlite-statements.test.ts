// The SQLite connection keeps its prepared statements (database.ts): a statement is prepared once and
// run again, the least recently used dropped past the limit, and what runs is unchanged by it: fresh
// rows, a changed table, a stream left early and the same query again.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import SqliteDatabase from 'better-sqlite3';
import { Kysely, SqliteDialect, sql } from 'kysely';
import { KEPT_STATEMENTS, keepingStatements } from '../../src/platform/db/database.ts';

test('a statement is prepared once and kept, the least recently used dropped past the limit', () => {
  const connection = new SqliteDatabase(':memory:');
  const kept = keepingStatements(connection);
  try {
    const first = kept.prepare('select 1');
    const often = kept.prepare('select 2');
    assert.equal(kept.prepare('select 1'), first);
    for (let n = 0; n < KEPT_STATEMENTS - 2; n += 1) {
      kept.prepare(`select ${n + 10}`);
      kept.prepare('select 2');
    }
    // Now full: 'select 1' is the least recently used, and goes first.
    kept.prepare('select -1');
    assert.notEqual(kept.prepare('select 1'), first);
    assert.equal(kept.prepare('select 2'), often);
  } finally {
    kept.close();
  }
  assert.equal(connection.open, false, 'closing closes the connection');
});

test('queries through kept statements read what is there now: new rows, a changed table, a stream left early', async () => {
  const db = new Kysely<{ t: { a: number; b?: string } }>({
    dialect: new SqliteDialect({ database: keepingStatements(new SqliteDatabase(':memory:')) }),
  });
  try {
    await sql`create table t (a integer)`.execute(db);
    const all = () => db.selectFrom('t').selectAll().orderBy('a').execute();
    assert.deepEqual(await all(), []);
    await db.insertInto('t').values({ a: 1 }).execute();
    await db.insertInto('t').values({ a: 2 }).execute();
    assert.deepEqual(await all(), [{ a: 1 }, { a: 2 }]);
    await sql`alter table t add column b text default 'x'`.execute(db);
    assert.deepEqual(await all(), [
      { a: 1, b: 'x' },
      { a: 2, b: 'x' },
    ]);
    for await (const row of db.selectFrom('t').selectAll().orderBy('a').stream()) {
      assert.deepEqual(row, { a: 1, b: 'x' });
      break;
    }
    const again = [];
    for await (const row of db.selectFrom('t').selectAll().orderBy('a').stream()) again.push(row.a);
    assert.deepEqual(again, [1, 2]);
  } finally {
    await db.destroy();
  }
});
