// The S3 store against a real S3-compatible server (s3rver, test/support/s3.ts) over HTTP: the file
// store contract, multipart uploads for large files and their abort on failure, listing page by page,
// the key prefix, the sweep of abandoned uploads (one a killed process left), credentials limited to the
// prefix, an unreachable service, a service that stops answering, and a service without multipart listing.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { existsSync, readdirSync } from 'node:fs';
import { createServer, type Socket } from 'node:net';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { buffer, text } from 'node:stream/consumers';
import { describe, test } from 'node:test';
import {
  CreateMultipartUploadCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  NoSuchKey,
  PutObjectCommand,
  type S3Client,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { ManualClock } from '../../src/platform/clock.ts';
import { EncryptedFileStore, type StoredFile } from '../../src/platform/storage/encrypted-store.ts';
import { MasterKey } from '../../src/platform/storage/envelope.ts';
import { MasterKeyring } from '../../src/platform/storage/keyring.ts';
import { S3FileStore, WRITE_CHECK_KEY } from '../../src/platform/storage/s3-store.ts';
import { ORPHAN_GRACE_HOURS, sweepOrphanFiles } from '../../src/transfers/jobs.ts';
import { describeEachEngine } from '../support/databases.ts';
import { chunked, failingSource, fileStoreContract, listAll } from '../support/file-store-contract.ts';
import { s3ForTests, startS3, type TestS3 } from '../support/s3.ts';
import { signal } from '../support/signals.ts';

/** The smallest part S3 takes (lib-storage refuses less): a file of 11 MiB goes up in three. */
const PART = 5 * 1024 * 1024;
const LARGE = 11 * 1024 * 1024;

const server = s3ForTests({ multipartUploads: true });

/** A store of its own in the bucket (a new prefix); two objects a page, so lists take several. */
function freshStore(prefix = `${randomUUID()}/`): S3FileStore {
  return new S3FileStore(server().storeConfig(prefix), { partSizeBytes: PART, pageSize: 2 });
}

/** The requests the server receives while `action` runs. */
async function requestsOf(s3: TestS3, action: () => Promise<unknown>): Promise<string[]> {
  const from = (await s3.requests()).length;
  await action();
  return (await s3.requests()).slice(from);
}

const requestsDuring = (action: () => Promise<unknown>) => requestsOf(server(), action);

/** Starts a multipart upload and sends one part, then stops: what a process killed mid-upload leaves. */
async function abandonUpload(objectKey: string): Promise<void> {
  const s3 = server();
  const { UploadId } = await s3.client.send(
    new CreateMultipartUploadCommand({ Bucket: s3.bucket, Key: objectKey }),
  );
  await s3.client.send(
    new UploadPartCommand({
      Bucket: s3.bucket,
      Key: objectKey,
      UploadId,
      PartNumber: 1,
      Body: Buffer.from('the first part'),
    }),
  );
}

describe('the S3 store keeps the file store contract', () => {
  fileStoreContract(async () => freshStore(), { largeBytes: LARGE });
});

test('a large file goes up as a multipart upload; a small one in a single request', async () => {
  const store = freshStore();
  const large = await requestsDuring(() => store.put('large', chunked(Buffer.alloc(LARGE, 7))));
  assert.deepEqual(large, [
    'CreateMultipartUpload',
    'UploadPart',
    'UploadPart',
    'UploadPart',
    'CompleteMultipartUpload',
  ]);
  const small = await requestsDuring(() => store.put('small', Readable.from(['a few bytes'])));
  assert.deepEqual(small, ['PutObject']);
});

test('a large file stored encrypted, as uploads, forwards and returns are, goes up in parts and reads back as it was', async () => {
  const files = new EncryptedFileStore(freshStore(), new MasterKeyring(MasterKey.generate()));
  const plain = randomBytes(LARGE);
  for (const content of [plain, chunked(plain)]) {
    let stored: StoredFile | undefined;
    const sent = await requestsDuring(async () => {
      stored = await files.put(content);
    });
    assert.equal(sent.filter((request) => request === 'UploadPart').length, 3, sent.join());
    assert.deepEqual(
      [stored?.size, stored?.sha256],
      [LARGE, createHash('sha256').update(plain).digest('hex')],
    );
    assert.ok(plain.equals(await buffer(await files.get(stored as StoredFile))), 'the same bytes');
  }
});

test('a multipart upload that fails part-way is aborted: no object, no unfinished upload', async () => {
  const store = freshStore();
  const sent = await requestsDuring(() =>
    assert.rejects(store.put('broken', failingSource(LARGE)), /connection lost/),
  );
  assert.ok(sent.includes('UploadPart'), 'parts were sent before the source failed');
  assert.equal(sent.at(-1), 'AbortMultipartUpload');
  assert.ok(!sent.includes('CompleteMultipartUpload'));
  assert.deepEqual(await listAll(store), [], 'neither an object nor an unfinished upload');
});

test('lists page by page: its objects, then its unfinished uploads', async () => {
  const prefix = `${randomUUID()}/`;
  const store = freshStore(prefix);
  for (const key of ['a-1', 'b-2', 'c-3', 'd-4', 'e-5']) await store.put(key, Readable.from([key]));
  for (const key of ['f-6', 'g-7', 'h-8']) await abandonUpload(`${prefix}${key}`);
  let listed: Awaited<ReturnType<typeof listAll>> = [];
  const sent = await requestsDuring(async () => {
    listed = await listAll(store);
  });
  assert.deepEqual(sent, [
    'ListObjectsV2',
    'ListObjectsV2',
    'ListObjectsV2',
    'ListMultipartUploads',
    'ListMultipartUploads',
  ]);
  assert.deepEqual(
    listed.map((object) => (object.partial ? object.key.split('/')[1] : object.key)),
    ['a-1', 'b-2', 'c-3', 'd-4', 'e-5', 'f-6', 'g-7', 'h-8'],
  );
});

test('the prefix keeps the store to its own folder of the bucket', async () => {
  const ours = freshStore('s2s/');
  const neighbour = freshStore('elsewhere/');
  await ours.put('file-1', Readable.from(['ours']));
  await neighbour.put('file-1', Readable.from(['theirs']));
  await abandonUpload('s2s/deeper/file-2');
  const s3 = server();
  const listed = await s3.client.send(new ListObjectsV2Command({ Bucket: s3.bucket, Prefix: 's2s/' }));
  assert.deepEqual(
    listed.Contents?.map((object) => object.Key),
    ['s2s/file-1'],
  );
  assert.deepEqual(
    (await listAll(ours)).map((object) => object.key),
    ['file-1'],
    'neither the neighbour nor what lies deeper',
  );
  assert.equal(await text(await ours.get('file-1')), 'ours');
  await ours.remove('file-1');
  assert.equal(await text(await neighbour.get('file-1')), 'theirs');
});

test('the object of a write check a stopped process left is not one of the files, and a check goes on beside it', async () => {
  const s3 = server();
  // What a process stopped between the check's write and its removal leaves.
  const prefix = `${randomUUID()}/`;
  const leftover = `${prefix}${WRITE_CHECK_KEY}${randomUUID()}`;
  await s3.client.send(new PutObjectCommand({ Bucket: s3.bucket, Key: leftover, Body: 'left' }));
  const ours = freshStore(prefix);
  assert.deepEqual(await listAll(ours), [], 'the sweep of unreferenced files never sees it');
  await ours.checkWritable();
  assert.deepEqual(await listAll(ours), []);
});

test('nodes starting at once each check the bucket with an object of their own, and none is refused', async () => {
  const s3 = server();
  const prefix = `${randomUUID()}/`;
  const [first, second] = [freshStore(prefix), freshStore(prefix)];
  // The first node is held between writing its object and reading it while the second checks whole:
  // had they one object, the second would remove it and the first be refused (NotFound).
  const { fired: firstWrote, fire: written } = signal();
  const { fired: secondChecked, fire: secondDone } = signal();
  (first as unknown as { client: S3Client }).client.middlewareStack.add(
    (next, context) => async (args) => {
      if (context.commandName === 'HeadObjectCommand') {
        written();
        await secondChecked;
      }
      return next(args);
    },
    { step: 'initialize' },
  );
  const checking = first.checkWritable();
  await firstWrote;
  await second.checkWritable().finally(secondDone);
  await checking;
  const left = await s3.client.send(new ListObjectsV2Command({ Bucket: s3.bucket, Prefix: prefix }));
  assert.equal(left.KeyCount, 0, 'each check removed its own object');
});

describeEachEngine('the sweep of an S3 store', (database) => {
  test('a process killed in the middle of a multipart upload leaves no object; the sweep aborts its upload', async () => {
    const prefix = `${randomUUID()}/`;
    const s3 = server();
    const from = (await s3.requests()).length;
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        join(import.meta.dirname, '../support/s3-put-process.ts'),
        JSON.stringify(s3.storeConfig(prefix)),
        String(PART),
        'killed',
      ],
      { stdio: 'ignore' },
    );
    const exited = once(child, 'exit');
    // Killed once its upload is under way: a part has reached the service.
    while (!(await s3.requests()).slice(from).includes('UploadPart')) {
      assert.equal(child.exitCode, null, 'the process is still storing');
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    child.kill('SIGKILL');
    await exited;

    const store = freshStore(prefix);
    assert.equal(await store.exists('killed'), false, 'no object, whole or part');
    const left = await listAll(store);
    assert.deepEqual(
      left.map((object) => [object.key.split('/')[1], object.partial]),
      [['killed', true]],
      'its unfinished upload, and nothing else',
    );
    const tomorrow = new ManualClock(new Date(Date.now() + (ORPHAN_GRACE_HOURS + 1) * 3_600_000));
    assert.deepEqual(await sweepOrphanFiles(database().db, store, tomorrow), {
      removed: 0,
      partials: 1,
      checked: 1,
    });
    assert.deepEqual(await listAll(store), []);
  });

  test('aborts multipart uploads abandoned a day ago, and removes unreferenced objects', async () => {
    const prefix = `${randomUUID()}/`;
    const store = freshStore(prefix);
    for (const name of ['abandoned-1', 'abandoned-2', 'abandoned-3']) await abandonUpload(`${prefix}${name}`);
    await store.put(randomUUID(), Readable.from(['left by a crash between storing and recording']));

    const listed = await listAll(store);
    assert.equal(listed.filter((object) => object.partial).length, 3, 'every page of unfinished uploads');
    const partial = listed.find((object) => object.partial);
    assert.match(partial?.key ?? '', /^\.multipart\/abandoned-1\/.+/);

    const today = new ManualClock(new Date());
    assert.deepEqual(await sweepOrphanFiles(database().db, store, today), {
      removed: 0,
      partials: 0,
      checked: 4,
    });
    const tomorrow = new ManualClock(new Date(Date.now() + (ORPHAN_GRACE_HOURS + 1) * 3_600_000));
    const sent = await requestsDuring(async () => {
      assert.deepEqual(await sweepOrphanFiles(database().db, store, tomorrow), {
        removed: 1,
        partials: 3,
        checked: 4,
      });
    });
    assert.equal(sent.filter((request) => request === 'AbortMultipartUpload').length, 3);
    assert.deepEqual(await listAll(store), []);
    // Aborted already (by another process's sweep, say): removing it again is no error.
    await store.removePartial(partial?.key as string);
  });
});

test('is unreachable without its bucket, and once the service stops', async () => {
  const missing = new S3FileStore({ ...server().storeConfig(), bucket: 'no-such-bucket' });
  assert.equal(await missing.isReachable(), false);

  const own = await startS3();
  const store = new S3FileStore(own.storeConfig());
  assert.equal(await store.isReachable(), true);
  await own.remove();
  assert.equal(await store.isReachable(), false);
  await assert.rejects(store.exists('file-1'), 'an unreachable service is not a missing file');
});

test('is reachable with only the permissions on its objects: ListBucket limited to its prefix, no HeadBucket', async () => {
  const own = await startS3({ onlyPrefix: 's2s/' });
  try {
    const store = new S3FileStore(own.storeConfig('s2s/'));
    // What such a policy allows: the store's own work.
    await store.put('file-1', Readable.from(['a few bytes']));
    assert.equal(await text(await store.get('file-1')), 'a few bytes');
    assert.deepEqual(
      (await listAll(store)).map((object) => object.key),
      ['file-1'],
    );
    await assert.rejects(
      own.client.send(new HeadBucketCommand({ Bucket: own.bucket })),
      (error: { $metadata?: { httpStatusCode?: number } }) => error.$metadata?.httpStatusCode === 403,
      'HeadBucket is refused',
    );

    // The first check writes a small object of its own under the prefix (a HEAD of a missing object is
    // refused, not "not found", without ListBucket on the bucket); later checks only read it.
    const first = await requestsOf(own, async () => assert.equal(await store.isReachable(), true));
    assert.deepEqual(first, [
      `HEAD /${own.bucket}/s2s/.s2s-health-check`,
      'PutObject',
      `HEAD /${own.bucket}/s2s/.s2s-health-check`,
    ]);
    const later = await requestsOf(own, async () => assert.equal(await store.isReachable(), true));
    assert.deepEqual(later, [`HEAD /${own.bucket}/s2s/.s2s-health-check`]);
    assert.deepEqual(
      (await listAll(store)).map((object) => object.key),
      ['file-1'],
      'it is not one of the files (the sweep of unreferenced files never sees it)',
    );
    // Another node, whose first check finds it written.
    const another = new S3FileStore(own.storeConfig('s2s/'));
    const theirs = await requestsOf(own, async () => assert.equal(await another.isReachable(), true));
    assert.deepEqual(theirs, [`HEAD /${own.bucket}/s2s/.s2s-health-check`]);

    // Credentials that cannot write or read there are not healthy.
    const outside = new S3FileStore(own.storeConfig('elsewhere/'));
    assert.equal(await outside.isReachable(), false);
  } finally {
    await own.remove();
  }
});

test('with only the permissions on its objects, a missing object is not held, though S3 refuses its HEAD', async () => {
  const own = await startS3({ onlyPrefix: 's2s/' });
  try {
    const store = new S3FileStore(own.storeConfig('s2s/'));
    await store.put('file-1', Readable.from(['a few bytes']));
    await store.put('file-10', Readable.from(['a few bytes']));
    await store.remove('file-1');
    await assert.rejects(
      own.client.send(new HeadObjectCommand({ Bucket: own.bucket, Key: 's2s/file-1' })),
      (error: { $metadata?: { httpStatusCode?: number } }) => error.$metadata?.httpStatusCode === 403,
      'S3 answers 403, not 404, to a caller without ListBucket on the whole bucket',
    );
    assert.equal(await store.exists('file-1'), false, 'not the neighbour whose name it begins');
    assert.equal(await store.exists('file-10'), true);
    await assert.rejects(store.get('file-1'), 'a missing object cannot be read');
  } finally {
    await own.remove();
  }
});

test('with only the permissions on its objects, a missing object is read as not found, though S3 refuses its GET', async () => {
  const own = await startS3({ onlyPrefix: 's2s/' });
  try {
    const store = new S3FileStore(own.storeConfig('s2s/'));
    await store.put('file-10', Readable.from(['a neighbour whose name begins with the missing one']));
    await assert.rejects(
      own.client.send(new GetObjectCommand({ Bucket: own.bucket, Key: 's2s/file-1' })),
      { name: 'AccessDenied' },
      'S3 answers 403, not 404, to a caller without ListBucket on the whole bucket',
    );
    // What a store whose credentials may list the whole bucket is told: S3's own "not found".
    const missing = await store.get('file-1').then(
      () => assert.fail('a missing object cannot be read'),
      (error: unknown) => error,
    );
    assert.ok(missing instanceof NoSuchKey, `not found, not ${(missing as Error).name}`);
    await assert.rejects(freshStore().get('file-1'), { name: 'NoSuchKey', message: missing.message });
  } finally {
    await own.remove();
  }
});

test('a refused read of an object the store holds stays a refusal that says access was denied', async () => {
  // Credentials without GetObject: S3 refuses every read, of an object held or not.
  const own = await startS3({ onlyPrefix: 's2s/', withoutGetObject: true });
  try {
    const store = new S3FileStore(own.storeConfig('s2s/'));
    await store.put('file-1', Readable.from(['a few bytes']));
    assert.equal(await store.exists('file-1'), true, 'a listing shows it is there');
    await assert.rejects(store.get('file-1'), { name: 'AccessDenied', message: 'Access Denied' });
    await assert.rejects(store.get('file-2'), NoSuchKey, 'one that is not there is still not found');
  } finally {
    await own.remove();
  }
});

test('a request the service takes and never answers fails once nothing has moved for a while', async () => {
  // A service that accepts connections and then says nothing: the connect timeout does not apply.
  const silent: Socket[] = [];
  const service = createServer((socket) => silent.push(socket));
  service.listen(0, '127.0.0.1');
  await once(service, 'listening');
  const { port } = service.address() as { port: number };
  const store = new S3FileStore(
    { ...server().storeConfig(), endpoint: `http://127.0.0.1:${port}` },
    { socketTimeoutMs: 200 },
  );
  /** Rejects if `request` has not settled within 10 s (the SDK tries three times, 200 ms each). */
  const settled = <T>(request: Promise<T>) => {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error('still waiting after 10 s')), 10_000);
    });
    return Promise.race([request, late]).finally(() => clearTimeout(timer));
  };
  try {
    await assert.rejects(settled(store.get('file-1')), { name: 'TimeoutError' });
    await assert.rejects(settled(store.put('file-1', Readable.from(['a few bytes']))), {
      name: 'TimeoutError',
    });
    assert.ok(silent.length > 0, 'the requests reached the silent service');
  } finally {
    for (const socket of silent) socket.destroy();
    service.close();
  }
});

describe('a service without multipart listing or abort (s3rver as it is)', () => {
  const plainServer = s3ForTests();

  test('lists its objects; a failed upload reports its own failure and leaves no object', async () => {
    const plain = plainServer();
    const store = new S3FileStore(plain.storeConfig(), { partSizeBytes: PART, pageSize: 2 });
    await store.put('file-1', Readable.from(['kept']));
    const sent = await requestsOf(plain, () =>
      assert.rejects(store.put('broken', failingSource(LARGE)), /connection lost/),
    );
    assert.equal(sent.at(-1), 'AbortMultipartUpload', 'the abort was tried (and refused)');
    assert.equal(await store.exists('broken'), false);
    const listed = await listAll(store);
    assert.deepEqual(
      listed.map((object) => [object.key, object.partial]),
      [['file-1', false]],
    );
    // The parts stay on such a service until its own expiry removes them (decision 25).
    const uploads = join(plain.directory, plain.bucket, '._S3rver_uploads');
    assert.ok(existsSync(uploads) && readdirSync(uploads).length === 1, 'the unfinished upload is there');
  });
});
