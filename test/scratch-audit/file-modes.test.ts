// Scratch audit (to be deleted): the modes of what s2s writes to disk, under the usual umask (022).
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { createDatabase, migrateToLatest } from '../../src/platform/db/database.ts';
import { MasterKey } from '../../src/platform/storage/envelope.ts';
import { DiskFileStore } from '../../src/platform/storage/file-store.ts';
import { loadMasterKeyring } from '../../src/platform/storage/master-key.ts';

const mode = (path: string) => (statSync(path).mode & 0o777).toString(8);

test('the SQLite database (pupil names, UPNs, dates of birth, messages) is readable only by its owner', async () => {
  process.umask(0o022);
  const dir = join(mkdtempSync(join(tmpdir(), 's2s-scratch-')), 'data');
  const file = join(dir, 's2s.sqlite');
  const db = createDatabase(`sqlite:${file}`);
  await migrateToLatest(db);
  await db.destroy();
  assert.equal(mode(file), '600', `the database file is ${mode(file)}`);
  assert.equal(mode(dir), '700', `its folder is ${mode(dir)}`);
});

test('the file store folder is not listable by others', async () => {
  process.umask(0o022);
  const dir = join(mkdtempSync(join(tmpdir(), 's2s-scratch-')), 'files');
  const store = new DiskFileStore(dir);
  await store.putBatches('abc', [[Buffer.from('x')]]);
  assert.equal(mode(join(dir, 'abc')), '600', 'each stored file is 600');
  assert.equal(mode(dir), '700', `the folder is ${mode(dir)}`);
});

test('a master key file others can read is refused (as s2s-client refuses its token file)', () => {
  const file = join(mkdtempSync(join(tmpdir(), 's2s-scratch-')), 'master.key');
  writeFileSync(file, `${MasterKey.generate().toBase64()}\n`);
  chmodSync(file, 0o644);
  assert.throws(
    () => loadMasterKeyring({ file, mayGenerate: false, previous: { values: [], files: [] } }),
    /read by other users|chmod 600/,
  );
});
