import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buffer } from 'node:stream/consumers';
import { describe, test } from 'node:test';
import { DiskFileStore } from '../../src/platform/storage/file-store.ts';
import { chunked, failingSource, fileStoreContract, openFilesUnder } from '../support/file-store-contract.ts';

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

test('batches are stored in order, whole, and a failure before the last leaves no partial file', async () => {
  const { dir, store } = freshStore();
  const pieces = [randomBytes(70_000), randomBytes(3), randomBytes(0), randomBytes(200_000)];
  await store.putBatches('file-1', [pieces.slice(0, 2), pieces.slice(2)]);
  assert.ok((await buffer(await store.get('file-1'))).equals(Buffer.concat(pieces)));
  function* failing() {
    yield [randomBytes(100_000)];
    throw new Error('sealing failed');
  }
  await assert.rejects(store.putBatches('file-2', failing()), /sealing failed/);
  assert.deepEqual(readdirSync(dir), ['file-1']);
});

test('reports whether it can be written to', async () => {
  const { dir } = freshStore();
  const notADirectory = join(dir, 'plain-file');
  writeFileSync(notADirectory, 'x');
  assert.equal(await new DiskFileStore(join(notADirectory, 'store')).isReachable(), false);
});

test('reads a file in pieces, all read into one buffer, for a reader done with each before the next', async () => {
  const { store } = freshStore();
  const content = randomBytes(2_500_003);
  await store.put('file-3', chunked(content));
  const copies: Buffer[] = [];
  const buffers = new Set<ArrayBufferLike>();
  for await (const piece of await store.readPieces('file-3')) {
    copies.push(Buffer.from(piece));
    buffers.add(piece.buffer);
  }
  assert.ok(Buffer.concat(copies).equals(content));
  assert.ok(copies.length > 1, 'more than one piece');
  assert.equal(buffers.size, 1, 'every piece in the same buffer');
  // Missing: refused when asked, before any piece.
  await assert.rejects(store.readPieces('file-4'), { code: 'ENOENT' });
});

test('a file opened to be read in pieces is read whole once deleted; one closed unread is let go', async () => {
  const { dir, store } = freshStore();
  const content = randomBytes(2_500_003);
  await store.put('file-5', chunked(content));
  await store.put('file-6', chunked(content));
  const opened = await store.readPieces('file-5');
  await store.remove('file-5');
  assert.equal(await store.exists('file-5'), false);
  const copies: Buffer[] = [];
  for await (const piece of opened) copies.push(Buffer.from(piece));
  assert.ok(Buffer.concat(copies).equals(content), 'read whole after its deletion');

  const unread = await store.readPieces('file-6');
  assert.deepEqual(openFilesUnder(dir), [join(dir, 'file-6')]);
  await unread.close();
  assert.deepEqual(openFilesUnder(dir), []);
});

test('the folder it creates is for the owner alone, whatever the umask; so is each file', async () => {
  const umask = process.umask(0o022);
  try {
    const root = join(mkdtempSync(join(tmpdir(), 's2s-files-')), 'files');
    await new DiskFileStore(root).putBatches('a-key', [[Buffer.from('record')]]);
    assert.equal(statSync(root).mode & 0o777, 0o700);
    assert.equal(statSync(join(root, 'a-key')).mode & 0o777, 0o600);
  } finally {
    process.umask(umask);
  }
});

// Node's own mkdir(path, { recursive: true }) never returns for a new folder under /proc (the kernel
// answers ENOENT, libuv makes /proc again and retries): the store was used at full CPU for ever.
test('a folder under /proc, which cannot be created, is refused with a message naming it', {
  skip: existsSync('/proc') ? false : 'this system has no /proc',
}, async () => {
  const root = join('/proc', `s2s-files-${process.pid}`, 'files');
  const store = new DiskFileStore(root);
  await assert.rejects(store.checkWritable(), (error: unknown) => {
    assert.ok(error instanceof Error);
    assert.equal(
      error.message,
      `The file store folder ${root} (FILE_STORE_DIR) does not exist and cannot be created: ` +
        '/proc takes no new folders. Set FILE_STORE_DIR to a folder s2s can write.',
    );
    return true;
  });
  assert.equal(await store.isReachable(), false);
  await assert.rejects(store.put('a-key', chunked(Buffer.from('record'))), { code: 'ENOENT' });
});
