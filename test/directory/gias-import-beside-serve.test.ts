// `s2s import establishments` run by another process on the same database while this one, as `s2s serve`
// does, goes on storing uploads: every upload must succeed. On SQLite a write waits for the other
// process's write lock for at most the busy timeout (5 s); an import that held the lock for its whole
// national-size file (decision 43) made the uploads meanwhile fail with SQLITE_BUSY ("database is locked").
// The command is made long by the size of its file, not by waiting.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { after, before, test } from 'node:test';
import { ManualClock } from '../../src/platform/clock.ts';
import type { Engine } from '../../src/platform/db/database.ts';
import { UploadService } from '../../src/transfers/upload-service.ts';
import { ctfBetween, syntheticPupil } from '../fixtures/ctf/generate.ts';
import { s2sEnv } from '../support/cli.ts';
import { describeEachEngine, type TestDatabase } from '../support/databases.ts';
import { makeLa, makeSchool, makeUser } from '../support/factories.ts';
import { syntheticExtract } from '../support/gias.ts';
import { actorOf, makeFileStores } from '../support/transfers.ts';

const ROOT = join(import.meta.dirname, '..', '..');

/**
 * Rows in the extract. On SQLite three national extracts' worth, so that writing them in one transaction
 * would hold the lock well over the busy timeout (about 2.5 s for 50,000 rows on the development
 * machine). PostgreSQL locks rows, not the database: there the size only has to make the import overlap
 * the uploads.
 */
const ROWS: Record<Engine, number> = { sqlite: 150_000, postgres: 20_000 };

let dir: string;
before(() => {
  dir = mkdtempSync(join(tmpdir(), 's2s-gias-beside-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

/** The extract of `rows` rows, written on first use. */
function extractOf(rows: number): string {
  const file = join(dir, `edubasealldata-${rows}.csv`);
  if (!existsSync(file)) syntheticExtract(file, rows);
  return file;
}

/** DATABASE_URL for the command: on PostgreSQL, the test's schema as its search path. */
function commandUrl(database: TestDatabase): string {
  if (!database.schema) return database.url;
  const url = new URL(database.url);
  url.searchParams.set('options', `-c search_path=${database.schema}`);
  return url.toString();
}

/** Starts `s2s import establishments FILE` in another process; resolves with its exit code and output. */
function importInAnotherProcess(
  database: TestDatabase,
  extract: string,
): Promise<{ code: number | null; output: string }> {
  const child = spawn(process.execPath, ['bin/s2s.js', 'import', 'establishments', extract], {
    cwd: ROOT,
    env: { ...s2sEnv(dir), DATABASE_URL: commandUrl(database) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk) => {
    output += String(chunk);
  });
  child.stderr.on('data', (chunk) => {
    output += String(chunk);
  });
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, output })));
}

describeEachEngine('a GIAS import beside the service', (database) => {
  test('every upload stored while another process imports a national extract succeeds', async () => {
    const { db, engine } = database();
    const rows = ROWS[engine];
    const extract = extractOf(rows);
    const la = await makeLa(db);
    const school = await makeSchool(db, la.number);
    const destinations = [];
    for (let i = 0; i < 10; i += 1) destinations.push(await makeSchool(db, la.number));
    const sender = actorOf(
      await makeUser(db, 'school', { laNumber: la.number, establishmentNumber: school.number }),
    );
    const service = new UploadService({
      db,
      files: makeFileStores().files,
      clock: new ManualClock('2026-11-23T10:00:00.000Z'),
    });
    const from = { lea: la.number, estab: school.number.slice(3) };
    const pupil = [syntheticPupil(0, from, false)];

    let finished = false;
    const command = importInAnotherProcess(database(), extract).finally(() => {
      finished = true;
    });
    // Uploads one after another, as schools do, until the import has finished.
    const failures: string[] = [];
    let stored = 0;
    for (let n = 0; !finished; n += 1) {
      const dest = destinations[Math.floor(n / 999)];
      assert.ok(dest, 'more uploads than the test has names for');
      const name = `${school.number}_CTF_${dest.number}_${String((n % 999) + 1).padStart(3, '0')}.XML`;
      const content = ctfBetween(school.number, dest.number, pupil);
      try {
        const outcome = await service.upload(sender, 'ctf', name, Readable.from([Buffer.from(content)]));
        assert.equal(outcome.status, 'accepted', JSON.stringify(outcome));
        stored += 1;
      } catch (error) {
        failures.push(error instanceof Error ? error.message : String(error));
      }
    }
    const { code, output } = await command;
    assert.equal(code, 0, output);
    assert.match(output, new RegExp(`${rows} rows read; ${rows} added`));
    assert.deepEqual(failures, [], `${failures.length} of ${failures.length + stored} uploads failed`);
    assert.ok(stored > 0);
    const imported = await db
      .selectFrom('establishments')
      .select((eb) => eb.fn.countAll<number>().as('count'))
      .where('la_number', '>=', '201')
      .where('la_number', '<=', '350')
      .executeTakeFirstOrThrow();
    assert.equal(Number(imported.count), rows);
    const staged = await db.selectFrom('establishment_import_rows').select('number').execute();
    assert.deepEqual(staged, [], 'the staged rows are deleted once applied');
  });
});
