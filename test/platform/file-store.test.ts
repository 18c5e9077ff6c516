import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { text } from 'node:stream/consumers';
import { test } from 'node:test';
import { DiskFileStore } from '../../src/platform/storage/file-store.ts';

const freshStore = () => {
  const dir = mkdtempSync(join(tmpdir(), 's2s-store-'));
  return { dir, store: new DiskFileStore(dir) };
};

test('stores, reads back and removes a file', async () => {
  const { store } = freshStore();
  await store.put('file-1', Readable.from(['hello ', 'world']));
  assert.equal(await store.exists('file-1'), true);
  assert.equal(await text(await store.get('file-1')), 'hello world');
  await store.remove('file-1');
  assert.equal(await store.exists('file-1'), false);
  await assert.rejects(store.get('file-1'));
});

test('a failed write leaves nothing behind: not the file, not a partial file', async () => {
  const { dir, store } = freshStore();
  const failing = new Readable({
    read() {
      this.push('some bytes');
      this.destroy(new Error('connection lost'));
    },
  });
  await assert.rejects(store.put('file-2', failing), /connection lost/);
  assert.equal(await store.exists('file-2'), false);
  assert.deepEqual(readdirSync(dir), []);
});

test('keys that could escape the store are refused', async () => {
  const { store } = freshStore();
  for (const key of ['../etc/passwd', 'a/b', '', '.hidden']) {
    await assert.rejects(store.put(key, Readable.from(['x'])), /Invalid storage key/, key);
  }
});

test('reports whether it can be written to', async () => {
  assert.equal(await freshStore().store.isReachable(), true);
  const { dir } = freshStore();
  const notADirectory = join(dir, 'plain-file');
  writeFileSync(notADirectory, 'x');
  assert.equal(await new DiskFileStore(join(notADirectory, 'store')).isReachable(), false);
});
