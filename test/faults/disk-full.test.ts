// The blob store's disk full (issue 12.4): a real filesystem with no room (an 8 MB tmpfs, mounted by
// the test, which runs as root on the development and CI machines). An upload through the page and
// through the API is refused with what to do, nothing is recorded and nothing is left in the store;
// once there is room again the same upload succeeds, without restarting s2s.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { makeToken, uploadFiles } from '../api/support.ts';
import { ctfBetween, syntheticPupil } from '../fixtures/ctf/generate.ts';
import { createTestDatabase, type TestDatabase } from '../support/databases.ts';
import { makeLa, makeSchool, makeUser } from '../support/factories.ts';
import { Agent, createTestApp, type TestApp } from '../support/web.ts';

function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}

describe('the blob store disk full', () => {
  const mount = mkdtempSync(join(tmpdir(), 's2s-full-'));
  let database: TestDatabase;
  let t: TestApp;
  before(async () => {
    try {
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=8m', 'tmpfs', mount]);
    } catch (error) {
      throw new Error(
        `This test mounts a small tmpfs to fill a real disk, which needs root (as on the development and CI machines): ${(error as Error).message}`,
      );
    }
    database = await createTestDatabase('sqlite');
    t = await createTestApp(database.db, { FILE_STORE_DIR: join(mount, 'files') });
  });
  after(async () => {
    await t?.app.close();
    await database?.drop();
    execFileSync('umount', [mount]);
    rmSync(mount, { recursive: true, force: true });
  });

  test('uploads are refused and nothing is recorded; with room again they succeed', async () => {
    const db = database.db;
    const la = await makeLa(db);
    const source = await makeSchool(db, la.number);
    const destination = await makeSchool(db, la.number);
    const user = await makeUser(db, 'school', { laNumber: la.number, establishmentNumber: source.number });
    const pupils = Array.from({ length: 300 }, (_, n) =>
      syntheticPupil(n, { lea: la.number, estab: source.number.slice(3) }, true),
    );
    const content = ctfBetween(source.number, destination.number, pupils);
    assert.ok(content.length > 300_000, 'a file larger than the room left');
    const filename = (n: number) => `${source.number}_CTF_${destination.number}_00${n}.XML`;

    // Fill the disk, leaving less room than the file needs.
    const filler = join(mount, 'filler');
    writeFileSync(filler, Buffer.alloc(8 * 1024 * 1024 - 100_000));
    const before = filesUnder(join(mount, 'files'));

    const agent = new Agent(t.app);
    await agent.signIn(user.username);
    await agent.get('/upload/ctf');
    const page = await agent.postMultipart('/upload/ctf', [{ filename: filename(1), content }]);
    assert.equal(page.statusCode, 200);
    assert.match(page.body, /Not uploaded/);
    assert.match(page.body, /A problem in s2s stopped this file being uploaded\. Nothing was kept\./);
    assert.match(page.body, /Upload the file again/);

    const token = await makeToken(db, user, 'transfer', t.clock);
    const viaApi = await uploadFiles(t.app, token, [{ filename: filename(2), content }]);
    // A fault of s2s's, not of the file: 500, so a client sends it again later rather than change it.
    assert.equal(viaApi.statusCode, 500, viaApi.body);
    assert.equal(viaApi.json().type, '/api/docs#problem-server-error');
    assert.match(viaApi.json().detail, /could not store the file because of a fault of its own/);
    assert.equal(viaApi.json().results[0].status, 'failed');
    assert.match(viaApi.json().results[0].whatToDo, /Send it again later/);

    assert.equal((await db.selectFrom('transfers').select('id').execute()).length, 0, 'nothing recorded');
    assert.deepEqual(filesUnder(join(mount, 'files')), before, 'nothing left in the store');
    assert.equal((await agent.get('/')).statusCode, 200, 's2s still answers');

    rmSync(filler);
    await agent.get('/upload/ctf');
    const again = await agent.postMultipart('/upload/ctf', [{ filename: filename(1), content }]);
    assert.match(again.body, /The file was uploaded\./);
    assert.equal((await db.selectFrom('transfers').select('id').execute()).length, 1);
  });
});
