// Two connections on one SQLite file, as two `s2s serve` nodes or a node and a command have: a transaction
// takes the write lock as it begins, so another connection's write waits for it rather than committing
// between its read and its write (which failed it with SQLITE_BUSY, its snapshot stale); a snapshot
// (inSnapshot) takes no lock, and other connections write while it is read.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { sql } from 'kysely';
import { createDatabase, inSnapshot } from '../../src/platform/db/database.ts';
import type { Db } from '../../src/platform/db/schema.ts';

let dir: string;
let first: Db;
let second: Db;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 's2s-sqlite-transactions-'));
  const url = `sqlite:${join(dir, 'two.sqlite')}`;
  first = createDatabase(url);
  second = createDatabase(url);
  await sql`create table counters (name text primary key, value integer not null)`.execute(first);
  await sql`insert into counters values ('a', 0)`.execute(first);
  // The second connection does not wait for the lock (both are in this one thread): a write it may not
  // make now fails at once, where another process would wait for the busy timeout.
  await sql`pragma busy_timeout = 0`.execute(second);
});

after(async () => {
  await first.destroy();
  await second.destroy();
  rmSync(dir, { recursive: true, force: true });
});

const counterOf = async (db: Db) =>
  (await sql<{ value: number }>`select value from counters where name = 'a'`.execute(db)).rows[0]?.value;
const add = (db: Db, by: number) =>
  sql`update counters set value = value + ${by} where name = 'a'`.execute(db);

test("a transaction that reads, then writes, holds the write lock from its start: another connection's write waits for it", async () => {
  let secondWrite: 'committed' | 'waits' | undefined;
  await first.transaction().execute(async (tx) => {
    const read = await counterOf(tx);
    try {
      await add(second, 100);
      secondWrite = 'committed';
    } catch (error) {
      if ((error as { code?: string }).code !== 'SQLITE_BUSY') throw error;
      secondWrite = 'waits';
    }
    await sql`update counters set value = ${(read ?? 0) + 1} where name = 'a'`.execute(tx);
  });
  assert.equal(secondWrite, 'waits', 'the other connection cannot commit between the read and the write');
  assert.equal(await counterOf(second), 1, 'the transaction committed what it read and wrote');
  await add(second, 100);
  assert.equal(await counterOf(first), 101, 'the other connection writes once it has committed');
});

test('a snapshot read takes no write lock: another connection writes meanwhile, and the snapshot does not see it', async () => {
  const before = await counterOf(first);
  const seen = await inSnapshot(first, async (trx) => {
    const start = await counterOf(trx);
    await add(second, 5);
    return [start, await counterOf(trx)];
  });
  assert.deepEqual(seen, [before, before]);
  assert.equal(await counterOf(first), (before ?? 0) + 5);
});
