// The zip of several files (download-zip.ts): every file it holds is opened before it starts, and a zip
// that ends before it comes to a file (its reader went away, or an earlier entry failed) lets that file go.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { test } from 'node:test';
import { EncryptedFileStore } from '../../src/platform/storage/encrypted-store.ts';
import { MasterKey } from '../../src/platform/storage/envelope.ts';
import { DiskFileStore } from '../../src/platform/storage/file-store.ts';
import { MasterKeyring } from '../../src/platform/storage/keyring.ts';
import { zipStream } from '../../src/transfers/download-zip.ts';
import { openFilesUnder } from '../support/file-store-contract.ts';

test('a zip its reader abandons lets go of the files it did not come to', async () => {
  const dir = mkdtempSync(join(tmpdir(), 's2s-zip-'));
  const files = new EncryptedFileStore(new DiskFileStore(dir), new MasterKeyring(MasterKey.generate()));
  const stored = [];
  for (let i = 0; i < 3; i += 1) stored.push(await files.put(Readable.from([randomBytes(100_000)])));
  const opened = [];
  for (const file of stored) opened.push(await files.open(file));
  assert.equal(openFilesUnder(dir).length, 3);
  const zip = zipStream(
    opened.map((content, index) => ({ name: `F${index}.XML`, size: 100_000, mtime: new Date(), content })),
  );
  const closed = new Promise((resolve) => zip.once('close', resolve));
  zip.destroy();
  await closed;
  // Each file's closing is a step of the file system's own: waited for a turn at a time, not a time.
  for (let turn = 0; turn < 1000 && openFilesUnder(dir).length > 0; turn += 1) {
    await new Promise((resolve) => setImmediate(resolve));
  }
  assert.deepEqual(openFilesUnder(dir), []);
});
