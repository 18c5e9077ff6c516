import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { DiskFileStore } from '../../src/platform/storage/file-store.ts';
import { failingSource, fileStoreContract } from '../support/file-store-contract.ts';

const freshStore = () => {
  const dir = mkdtempSync(join(tmpdir(), 's2s-store-'));
  return { dir, store: new DiskFileStore(dir) };
};

describe('the disk store keeps the file store contract', () => {
  fileStoreContract(async () => freshStore().store, { largeBytes: 3 * 1024 * 1024 });
});

test('a failed write leaves no partial file in the folder', async () => {
  const { dir, store } = freshStore();
  await assert.rejects(store.put('file-2', failingSource(100_000)), /connection lost/);
  assert.deepEqual(readdirSync(dir), []);
});

test('reports whether it can be written to', async () => {
  const { dir } = freshStore();
  const notADirectory = join(dir, 'plain-file');
  writeFileSync(notADirectory, 'x');
  assert.equal(await new DiskFileStore(join(notADirectory, 'store')).isReachable(), false);
});
