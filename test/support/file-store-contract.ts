// What every FileStore must do, run against each (test/platform/file-store.test.ts for the disk,
// s3-store.test.ts for S3): a round trip, large files, a failed write that leaves nothing, idempotent
// removal, keys that could name another place refused, and a listing of everything stored.
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { readdirSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { text } from 'node:stream/consumers';
import { test } from 'node:test';
import type { FileStore, StoredObject } from '../../src/platform/storage/file-store.ts';
import { readAll } from './transfers.ts';

/** Bytes in chunks of 64 KiB, as an upload arrives. */
export function chunked(content: Buffer): Readable {
  return Readable.from(
    (function* () {
      for (let at = 0; at < content.length; at += 64 * 1024) yield content.subarray(at, at + 64 * 1024);
    })(),
  );
}

/** The files under `dir` this process holds open (Linux's /proc), a deleted one under its old path. */
export function openFilesUnder(dir: string): string[] {
  const fds = '/proc/self/fd';
  return readdirSync(fds)
    .flatMap((fd) => {
      try {
        return [readlinkSync(join(fds, fd)).replace(/ \(deleted\)$/, '')];
      } catch {
        return []; // closed since it was listed (the listing's own descriptor)
      }
    })
    .filter((target) => target.startsWith(`${dir}/`))
    .sort();
}

/** A source that sends `bytes` and then fails, as a dropped connection does. */
export function failingSource(bytes: number): Readable {
  let sent = 0;
  return new Readable({
    read() {
      if (sent >= bytes) {
        this.destroy(new Error('connection lost'));
        return;
      }
      const chunk = Math.min(1024 * 1024, bytes - sent);
      sent += chunk;
      this.push(Buffer.alloc(chunk, 1));
    },
  });
}

export async function listAll(store: FileStore): Promise<StoredObject[]> {
  const objects: StoredObject[] = [];
  for await (const object of store.list()) objects.push(object);
  return objects;
}

/**
 * The contract's tests, each on a new empty store from `fresh`. `largeBytes`: a size the store writes in
 * more than one piece (S3: more than one part of a multipart upload).
 */
export function fileStoreContract(fresh: () => Promise<FileStore>, options: { largeBytes: number }): void {
  test('stores, reads back and removes a file; removing it again is no error', async () => {
    const store = await fresh();
    await store.put('file-1', Readable.from(['hello ', 'world']));
    assert.equal(await store.exists('file-1'), true);
    assert.equal(await text(await store.get('file-1')), 'hello world');
    await store.remove('file-1');
    assert.equal(await store.exists('file-1'), false);
    await assert.rejects(store.get('file-1'));
    await store.remove('file-1');
    assert.deepEqual(await listAll(store), []);
  });

  test('a file stored in several pieces reads back byte for byte', async () => {
    const store = await fresh();
    const content = randomBytes(options.largeBytes);
    await store.put('large', chunked(content));
    assert.deepEqual(await readAll(await store.get('large')), content);
  });

  test('a write that fails part-way leaves nothing: no object, nothing listed, the failure reported', async () => {
    const store = await fresh();
    await assert.rejects(store.put('file-2', failingSource(options.largeBytes)), /connection lost/);
    assert.equal(await store.exists('file-2'), false);
    assert.deepEqual(await listAll(store), []);
  });

  test('replacing a file gives the new content whole', async () => {
    const store = await fresh();
    await store.put('file-3', Readable.from(['first']));
    await store.put('file-3', Readable.from(['second']));
    assert.equal(await text(await store.get('file-3')), 'second');
  });

  test('keys that could name another place, or a piece of an unfinished write, are refused', async () => {
    const store = await fresh();
    // The last two are the names list() gives the pieces of unfinished writes (disk, S3): only the sweep
    // removes those (removePartial), never a record's key.
    const pieces = [`.partial-${randomUUID()}`, `.multipart/file-1/${randomUUID()}`];
    for (const key of ['../etc/passwd', 'a/b', '', '.hidden', `${'x'.repeat(201)}`, ...pieces]) {
      await assert.rejects(store.put(key, Readable.from(['x'])), /Invalid storage key/, key);
      await assert.rejects(store.get(key), /Invalid storage key/, key);
      await assert.rejects(store.remove(key), /Invalid storage key/, key);
    }
  });

  test('lists every stored object once, with when it was written', async () => {
    const store = await fresh();
    const keys = ['a-1', 'b-2', 'c-3', 'd-4', 'e-5'];
    for (const key of keys) await store.put(key, Readable.from([key]));
    const listed = await listAll(store);
    assert.deepEqual(listed.map((object) => object.key).sort(), keys);
    for (const object of listed) {
      assert.equal(object.partial, false);
      assert.ok(Math.abs(object.modifiedAt.getTime() - Date.now()) < 60_000, 'written just now');
    }
  });

  test('is reachable', async () => {
    assert.equal(await (await fresh()).isReachable(), true);
  });

  test('checks that it can be written, and leaves nothing of the check listed', async () => {
    const store = await fresh();
    await store.put('file-1', Readable.from(['kept']));
    await store.checkWritable();
    assert.deepEqual(
      (await listAll(store)).map((object) => object.key),
      ['file-1'],
    );
  });
}
