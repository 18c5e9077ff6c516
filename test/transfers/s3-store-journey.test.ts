// The whole service on the S3 store, selected by configuration (FILE_STORE=s3) against a real s3rver:
// school A sends a CTF through the API, school B downloads it byte for byte; the bucket holds only
// ciphertext; an object altered, cut short or missing in the bucket is refused rather than served;
// /healthz follows the bucket.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, test } from 'node:test';
import { DeleteObjectCommand, GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import type { Db, EstablishmentRow, UserRow } from '../../src/platform/db/schema.ts';
import { S3FileStore } from '../../src/platform/storage/s3-store.ts';
import { api, makeToken, uploadFiles } from '../api/support.ts';
import { ctfBetween, syntheticPupil } from '../fixtures/ctf/generate.ts';
import { describeEachEngine } from '../support/databases.ts';
import { makeLa, makeSchool, makeUser } from '../support/factories.ts';
import { s3ForTests, type TestS3 } from '../support/s3.ts';
import { createTestApp, type TestApp } from '../support/web.ts';

describeEachEngine('transfers on the S3 store', (database) => {
  const server = s3ForTests();
  let s3: TestS3;
  let t: TestApp;
  let db: Db;
  const prefix = `s2s-${randomUUID()}`;
  let schoolA: EstablishmentRow;
  let schoolB: EstablishmentRow;
  let tokenA: string;
  let tokenB: string;
  let sequence = 0;

  before(async () => {
    s3 = server();
    db = database().db;
    t = await createTestApp(db, { ...s3.env, S3_PREFIX: prefix, HEALTH_CHECK_TIMEOUT_SECONDS: '1' });
    const la = await makeLa(db);
    schoolA = await makeSchool(db, la.number, { name: 'Hillside Primary School' });
    schoolB = await makeSchool(db, la.number, { name: 'Riverside Primary School' });
    const user = (school: EstablishmentRow): Promise<UserRow> =>
      makeUser(db, 'school', { laNumber: la.number, establishmentNumber: school.number });
    tokenA = await makeToken(db, await user(schoolA), 'transfer', t.clock);
    tokenB = await makeToken(db, await user(schoolB), 'transfer', t.clock);
  });
  after(async () => {
    await t.app.close();
  });

  /** School A sends school B a CTF through the API: its id, content and the object's name in the bucket. */
  async function sendCtf(pupilCount = 3) {
    sequence += 1;
    const filename = `${schoolA.number}_CTF_${schoolB.number}_${String(sequence).padStart(3, '0')}.XML`;
    const pupils = Array.from({ length: pupilCount }, (_, n) =>
      syntheticPupil(n + sequence * 100, { lea: schoolA.number.slice(0, 3), estab: schoolA.number.slice(3) }),
    );
    const content = ctfBetween(schoolA.number, schoolB.number, pupils);
    const response = await uploadFiles(t.app, tokenA, [{ filename, content }]);
    assert.equal(response.statusCode, 201, response.body);
    const id: string = response.json().results[0].transferId;
    const row = await db
      .selectFrom('transfers')
      .select('storage_key')
      .where('id', '=', id)
      .executeTakeFirstOrThrow();
    return { id, content, surname: pupils[0]?.surname as string, objectKey: `${prefix}/${row.storage_key}` };
  }

  async function storedObject(objectKey: string): Promise<Buffer> {
    const object = await s3.client.send(new GetObjectCommand({ Bucket: s3.bucket, Key: objectKey }));
    return Buffer.from((await object.Body?.transformToByteArray()) ?? []);
  }

  test('a CTF sent by one school downloads byte for byte at the other; the bucket holds only ciphertext', async () => {
    assert.ok(t.deps.fileStore instanceof S3FileStore, 'FILE_STORE=s3 selects the S3 store');
    const sent = await sendCtf();

    const stored = await storedObject(sent.objectKey);
    assert.ok(stored.length > sent.content.length, 'the object is the encrypted file');
    for (const plaintext of [sent.surname, '<CTfile>', schoolA.number]) {
      assert.equal(
        stored.includes(Buffer.from(plaintext)),
        false,
        `${plaintext} is not readable in the bucket`,
      );
    }

    const download = await api(t.app, { url: `/api/v1/files/${sent.id}/content`, token: tokenB });
    assert.equal(download.statusCode, 200, download.body);
    assert.equal(download.body, sent.content, 'byte-identical');
  });

  test('an object altered in the bucket is refused, never served', async () => {
    const sent = await sendCtf();
    const stored = await storedObject(sent.objectKey);
    const at = stored.length - 100;
    stored[at] = (stored[at] ?? 0) ^ 0x01;
    await s3.client.send(new PutObjectCommand({ Bucket: s3.bucket, Key: sent.objectKey, Body: stored }));
    // A file this small is one segment: the check fails before anything is sent (a larger one is cut
    // off part-way, as download-routes.test.ts shows on the disk store).
    const download = await api(t.app, { url: `/api/v1/files/${sent.id}/content`, token: tokenB });
    assert.equal(download.statusCode, 500);
    assert.match(download.body, /Something went wrong in s2s/);
    assert.doesNotMatch(download.body, /CTfile|Surname/);
  });

  test('an object cut short in the bucket at the end of a segment is refused, never delivered whole', async () => {
    const sent = await sendCtf(30);
    const stored = await storedObject(sent.objectKey);
    // The header (13 bytes), then two whole segments of 64 KiB and their tags: neither marked last.
    const cut = 13 + 2 * (64 * 1024 + 16);
    assert.ok(stored.length > cut + 64 * 1024, 'the file has more than three segments');
    await s3.client.send(
      new PutObjectCommand({ Bucket: s3.bucket, Key: sent.objectKey, Body: stored.subarray(0, cut) }),
    );
    // Two segments' plaintext may have gone out before the end shows the cut: the response is broken
    // off (through fastify.inject, an error rather than a response), as on the disk store
    // (download-routes.test.ts).
    await assert.rejects(
      api(t.app, { url: `/api/v1/files/${sent.id}/content`, token: tokenB }),
      /response destroyed before completion/,
    );
  });

  test('an object missing from the bucket: a server error, no content and no stack trace, as on disk', async () => {
    const sent = await sendCtf();
    await s3.client.send(new DeleteObjectCommand({ Bucket: s3.bucket, Key: sent.objectKey }));
    const download = await api(t.app, { url: `/api/v1/files/${sent.id}/content`, token: tokenB });
    assert.equal(download.statusCode, 500);
    assert.match(download.body, /Something went wrong in s2s/);
    assert.doesNotMatch(download.body, /NoSuchKey|at .*\.ts|CTfile/);
    const row = await db
      .selectFrom('transfers')
      .select(['status', 'first_downloaded_at'])
      .where('id', '=', sent.id)
      .executeTakeFirstOrThrow();
    assert.deepEqual(row, { status: 'available', first_downloaded_at: null }, 'no download recorded');
  });

  // Not a measure of speed: the answer comes after HEALTH_CHECK_TIMEOUT_SECONDS (1 s here) or, without
  // it, after the S3 client's retries have all timed out (about 99 s); the test's own limit tells the two
  // apart with a wide margin.
  const WELL_BEFORE_THE_CLIENTS_RETRIES = { timeout: 30_000 };
  test(
    '/healthz reports a frozen S3 service unreachable within HEALTH_CHECK_TIMEOUT_SECONDS, and well again once it answers',
    WELL_BEFORE_THE_CLIENTS_RETRIES,
    async () => {
      assert.equal((await t.app.inject({ method: 'GET', url: '/healthz' })).statusCode, 200);
      s3.freeze();
      try {
        const health = await t.app.inject({ method: 'GET', url: '/healthz' });
        assert.equal(health.statusCode, 503);
        assert.deepEqual(health.json(), { status: 'unavailable', database: 'ok', fileStore: 'unreachable' });
      } finally {
        s3.thaw();
      }
      assert.equal((await t.app.inject({ method: 'GET', url: '/healthz' })).statusCode, 200);
    },
  );

  test('/healthz reports the file store unreachable once the S3 service stops', async () => {
    assert.equal((await t.app.inject({ method: 'GET', url: '/healthz' })).statusCode, 200);
    await s3.stop();
    const health = await t.app.inject({ method: 'GET', url: '/healthz' });
    assert.equal(health.statusCode, 503);
    assert.deepEqual(health.json(), { status: 'unavailable', database: 'ok', fileStore: 'unreachable' });
  });
});
