// An SQLite database opened to be read alone (createDatabase's readOnly, for `s2s backup`) where s2s may
// not write: on a read-only view of the folder (a read-only bind mount, which stops root too), SQLite
// reads the file `immutable`, without locks, while another process may still write it through the
// writable path. A read that another process's write overlapped is refused as it ends. Needs root.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { sql } from 'kysely';
import { createDatabase, inSnapshot } from '../../src/platform/db/database.ts';

let dir: string;
let view: string;
before(() => {
  assert.equal(
    process.getuid?.(),
    0,
    'A read-only bind mount needs root (as on the development and CI machines)',
  );
  dir = mkdtempSync(join(tmpdir(), 's2s-read-only-'));
  mkdirSync(join(dir, 'data'));
  view = join(dir, 'view');
  mkdirSync(view);
  execFileSync('mount', ['--bind', join(dir, 'data'), view]);
  execFileSync('mount', ['-o', 'remount,bind,ro', view]);
});
after(() => {
  execFileSync('umount', [view]);
  rmSync(dir, { recursive: true, force: true });
});

/** A database of one table of `rows` rows in the writable folder, closed (so no -wal file is left). */
async function madeWith(name: string, rows: number): Promise<void> {
  const db = createDatabase(`sqlite:${join(dir, 'data', name)}`);
  await sql`create table kept (n integer)`.execute(db);
  for (let n = 0; n < rows; n++) await sql`insert into kept values (${n})`.execute(db);
  await db.destroy();
}

async function count(db: Parameters<typeof inSnapshot>[0]): Promise<number> {
  const { rows } = await sql<{ n: number }>`select count(*) as n from kept`.execute(db);
  return Number(rows[0]?.n);
}

test('a database in a folder s2s may not write is read whole, and nothing is made beside it', async () => {
  await madeWith('quiet.sqlite', 3);
  const reader = createDatabase(`sqlite:${join(view, 'quiet.sqlite')}`, { readOnly: true });
  try {
    assert.equal(await inSnapshot(reader, count), 3);
  } finally {
    await reader.destroy();
  }
  assert.deepEqual(
    readdirSync(view).filter((name) => name.startsWith('quiet')),
    ['quiet.sqlite'],
  );
});

test('a read that another process wrote the file during is refused as it ends, saying what to do', async () => {
  await madeWith('busy.sqlite', 3);
  const reader = createDatabase(`sqlite:${join(view, 'busy.sqlite')}`, { readOnly: true });
  try {
    await assert.rejects(
      inSnapshot(reader, async (trx) => {
        const before = await count(trx);
        // The service, started meanwhile: a write, and its close writes it into the database file.
        const writer = createDatabase(`sqlite:${join(dir, 'data', 'busy.sqlite')}`);
        await sql`insert into kept values (99)`.execute(writer);
        await writer.destroy();
        assert.equal(existsSync(join(dir, 'data', 'busy.sqlite-wal')), false, 'written into the file');
        return before;
      }),
      {
        message:
          `The SQLite database ${join(view, 'busy.sqlite')} (DATABASE_URL) was written by another process while s2s read it. ` +
          's2s read the file without locks, as it may not write it or its folder, so what it read may mix the database ' +
          'before and after that write; nothing read is used. Run the command again when no other process has the ' +
          'database open, or as the user s2s runs as.',
      },
    );
  } finally {
    await reader.destroy();
  }
});
