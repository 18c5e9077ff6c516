// SQLite commits are durable on every start, not only the first: better-sqlite3's SQLite defaults to
// synchronous=NORMAL (no sync at commit) when it opens a database that is already in WAL mode.
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readlinkSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { sql } from 'kysely';
import { createDatabase } from '../../src/platform/db/database.ts';

/** SQLite's numbers for the setting: 0 OFF, 1 NORMAL, 2 FULL, 3 EXTRA. */
const FULL = 2;

async function synchronousOf(url: string): Promise<{ synchronous: number; journal: string }> {
  const db = createDatabase(url);
  try {
    const [mode] = (await sql<{ synchronous: number }>`pragma synchronous`.execute(db)).rows;
    const [journal] = (await sql<{ journal_mode: string }>`pragma journal_mode`.execute(db)).rows;
    await sql`create table if not exists kept (n integer)`.execute(db);
    return { synchronous: mode?.synchronous ?? -1, journal: journal?.journal_mode ?? '' };
  } finally {
    await db.destroy();
  }
}

test('a database file syncs each commit when it is created and when it is opened again', async () => {
  const directory = mkdtempSync(join(tmpdir(), 's2s-durability-'));
  try {
    const url = `sqlite:${join(directory, 's2s.db')}`;
    assert.deepEqual(await synchronousOf(url), { synchronous: FULL, journal: 'wal' }, 'created');
    assert.deepEqual(await synchronousOf(url), { synchronous: FULL, journal: 'wal' }, 'opened again');
  } finally {
    rmSync(directory, { recursive: true, force: true });
  }
});

test('a new database file, its WAL files and its folder are for the owner alone, whatever the umask', async () => {
  const directory = mkdtempSync(join(tmpdir(), 's2s-modes-'));
  const umask = process.umask(0o022);
  try {
    const file = join(directory, 'data', 's2s.db');
    const db = createDatabase(`sqlite:${file}`);
    await sql`create table kept (n integer)`.execute(db);
    const modeOf = (path: string) => (statSync(path).mode & 0o777).toString(8);
    assert.deepEqual(
      [modeOf(join(directory, 'data')), modeOf(file), modeOf(`${file}-wal`), modeOf(`${file}-shm`)],
      ['700', '600', '600', '600'],
    );
    await db.destroy();
  } finally {
    process.umask(umask);
    rmSync(directory, { recursive: true, force: true });
  }
});

/** The descriptors this process holds open on `file` (Linux: /proc/self/fd). */
function openDescriptorsOf(file: string): number {
  return readdirSync('/proc/self/fd').filter((fd) => {
    try {
      return readlinkSync(`/proc/self/fd/${fd}`) === file;
    } catch {
      return false; // closed meanwhile (readdir's own descriptor)
    }
  }).length;
}

test('a database destroyed before any query closes its file, as one that ran a query does', async () => {
  const directory = mkdtempSync(join(tmpdir(), 's2s-unused-'));
  try {
    const file = join(directory, 's2s.db');
    const unused = createDatabase(`sqlite:${file}`);
    assert.ok(openDescriptorsOf(file) > 0, 'opened');
    await unused.destroy();
    assert.equal(openDescriptorsOf(file), 0, 'closed, though no query ran');
    const used = createDatabase(`sqlite:${file}`);
    await sql`select 1`.execute(used);
    await used.destroy();
    assert.equal(openDescriptorsOf(file), 0, 'closed after a query');
  } finally {
    rmSync(directory, { recursive: true, force: true });
  }
});
