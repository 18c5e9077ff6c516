import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { chmodSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { test } from 'node:test';
import { DECRYPT_SLICE_BYTES, EncryptedFileStore } from '../../src/platform/storage/encrypted-store.ts';
import {
  DecryptStream,
  EncryptStream,
  MasterKey,
  newDataKey,
  TamperedFileError,
} from '../../src/platform/storage/envelope.ts';
import { DiskFileStore, type FileStore } from '../../src/platform/storage/file-store.ts';
import { MasterKeyring, MissingMasterKeyError } from '../../src/platform/storage/keyring.ts';
import { loadMasterKeyring, type MasterKeySettings } from '../../src/platform/storage/master-key.ts';

function freshStore(masterKey = MasterKey.generate()) {
  const dir = mkdtempSync(join(tmpdir(), 's2s-enc-'));
  return {
    dir,
    masterKey,
    files: new EncryptedFileStore(new DiskFileStore(dir), new MasterKeyring(masterKey)),
  };
}

/** Splits bytes into uneven chunks, as a network upload arrives. */
function chunked(bytes: Buffer): Readable {
  const parts: Buffer[] = [];
  for (let i = 0, size = 1; i < bytes.length; i += size, size = (size * 7 + 3) % 9000 || 1) {
    parts.push(bytes.subarray(i, i + size));
  }
  return Readable.from(parts);
}

test('files of every size round-trip, with their size and SHA-256 recorded', async () => {
  const { files } = freshStore();
  // The last is read from the disk in more than one piece.
  for (const size of [0, 1, 65_535, 65_536, 65_537, 131_072, 300_001, 2_500_003]) {
    const plain = randomBytes(size);
    const stored = await files.put(chunked(plain));
    assert.equal(stored.size, size);
    assert.equal(
      stored.sha256,
      (await import('node:crypto')).createHash('sha256').update(plain).digest('hex'),
    );
    const back = await buffer(await files.get(stored));
    assert.ok(back.equals(plain), `size ${size}`);
  }
});

test('bytes in memory are stored as a stream of them would be, at every size', async () => {
  const { dir, files } = freshStore();
  // Around a segment, and around a batch of four segments.
  for (const size of [0, 1, 65_535, 65_536, 65_537, 262_144, 262_145, 589_824, 2_500_003]) {
    const plain = randomBytes(size);
    const stored = await files.put(plain);
    assert.equal(stored.size, size);
    assert.equal(stored.sha256, createHash('sha256').update(plain).digest('hex'));
    assert.ok((await buffer(await files.get(stored))).equals(plain), `size ${size}`);
    const streamed = await files.put(Readable.from([plain]));
    assert.equal(
      statSync(join(dir, stored.storageKey)).size,
      statSync(join(dir, streamed.storageKey)).size,
      `size ${size}`,
    );
  }
});

test('a store that takes only streams is given the bytes as one', async () => {
  const dir = mkdtempSync(join(tmpdir(), 's2s-enc-'));
  const disk = new DiskFileStore(dir);
  const streamsOnly: FileStore = {
    put: (key, content) => disk.put(key, content),
    get: (key) => disk.get(key),
    remove: (key) => disk.remove(key),
    removePartial: (name) => disk.removePartial(name),
    exists: (key) => disk.exists(key),
    isReachable: () => disk.isReachable(),
    checkWritable: () => disk.checkWritable(),
    list: () => disk.list(),
  };
  const files = new EncryptedFileStore(streamsOnly, new MasterKeyring(MasterKey.generate()));
  const plain = randomBytes(300_001);
  const stored = await files.put(plain);
  assert.equal(stored.sha256, createHash('sha256').update(plain).digest('hex'));
  assert.ok((await buffer(await files.get(stored))).equals(plain));
});

test('what is on disk is not the plaintext and is named by a random key, not the filename', async () => {
  const { dir, files } = freshStore();
  const plain = Buffer.from('<CTfile><Surname>Harris</Surname><Forename>James</Forename></CTfile>');
  const stored = await files.put(Readable.from([plain]));
  const onDisk = readFileSync(join(dir, stored.storageKey));
  assert.equal(onDisk.includes(Buffer.from('Harris')), false);
  assert.match(stored.storageKey, /^[0-9a-f-]{36}$/);
  assert.equal(statSync(join(dir, stored.storageKey)).mode & 0o777, 0o600);
});

test('any altered byte, a truncation at a segment boundary or the wrong key is detected, never served', async () => {
  const { dir, files, masterKey } = freshStore();
  const plain = randomBytes(200_000);
  const stored = await files.put(Readable.from([plain]));
  const path = join(dir, stored.storageKey);
  const original = readFileSync(path);

  for (const position of [5, 20, 70_000, original.length - 1]) {
    const altered = Buffer.from(original);
    altered[position] = (altered[position] ?? 0) ^ 0x01;
    writeFileSync(path, altered);
    await assert.rejects(async () => buffer(await files.get(stored)), TamperedFileError, `byte ${position}`);
  }
  // Cut after the second full segment (header 13 bytes + 2 x (64 KiB + 16-byte tag)).
  writeFileSync(path, original.subarray(0, 13 + 2 * (65_536 + 16)));
  await assert.rejects(async () => buffer(await files.get(stored)), TamperedFileError, 'truncated');

  writeFileSync(path, original);
  const otherKey = new EncryptedFileStore(new DiskFileStore(dir), new MasterKeyring(MasterKey.generate()));
  await assert.rejects(
    async () => otherKey.get(stored),
    MissingMasterKeyError,
    'another master key is not tried',
  );
  await assert.rejects(
    async () => files.get({ ...stored, wrappedKey: MasterKey.generate().wrap(newDataKey()) }),
    'a data key wrapped by another key, under this key id, does not unwrap',
  );
  assert.ok((await buffer(await files.get(stored))).equals(plain), 'the intact file still reads');
  assert.equal(masterKey.id.length, 16);
});

test('a failed upload stream stores nothing', async () => {
  const { dir, files } = freshStore();
  const failing = new Readable({
    read() {
      this.push(randomBytes(100_000));
      this.destroy(new Error('client went away'));
    },
  });
  await assert.rejects(files.put(failing), /client went away/);
  assert.deepEqual(readdirSync(dir), []);
});

const NO_PREVIOUS: MasterKeySettings['previous'] = { values: [], files: [] };

test('the master key file is created outside production and required in production', () => {
  const dir = mkdtempSync(join(tmpdir(), 's2s-key-'));
  const file = join(dir, 'keys', 'master.key');
  const load = (settings: Partial<MasterKeySettings>) =>
    loadMasterKeyring({ file, mayGenerate: false, previous: NO_PREVIOUS, ...settings });
  const first = load({ mayGenerate: true });
  assert.equal(first.generated, true);
  assert.equal(statSync(file).mode & 0o777, 0o600);
  assert.equal(statSync(join(dir, 'keys')).mode & 0o777, 0o700, 'the folder made for it too');
  const again = load({ mayGenerate: true });
  assert.equal(again.generated, false);
  assert.equal(again.keyring.current.id, first.keyring.current.id);
  assert.throws(() => load({ file: join(dir, 'missing.key') }), /No master key/);
  assert.throws(() => load({ value: 'dG9vIHNob3J0' }), /MASTER_KEY must be 32 bytes/);
  assert.equal(
    load({ value: first.keyring.current.toBase64(), file: 'unused' }).keyring.current.id,
    first.keyring.current.id,
  );
});

test('a master key file other users can read is refused, current or previous', () => {
  const dir = mkdtempSync(join(tmpdir(), 's2s-key-'));
  const file = join(dir, 'master.key');
  writeFileSync(file, `${MasterKey.generate().toBase64()}\n`, { mode: 0o600 });
  chmodSync(file, 0o644);
  const refusal = new RegExp(`${file} can be read by other users \\(mode 644\\)\\. Run: chmod 600 ${file}`);
  assert.throws(() => loadMasterKeyring({ file, mayGenerate: true, previous: NO_PREVIOUS }), refusal);
  assert.throws(
    () =>
      loadMasterKeyring({
        value: MasterKey.generate().toBase64(),
        file: 'unused',
        mayGenerate: false,
        previous: { values: [], files: [file] },
      }),
    refusal,
  );
  chmodSync(file, 0o600);
  assert.doesNotThrow(() => loadMasterKeyring({ file, mayGenerate: false, previous: NO_PREVIOUS }));
});

test('previous master keys come from MASTER_KEY_PREVIOUS and MASTER_KEY_PREVIOUS_FILES; a bad one stops the load', () => {
  const dir = mkdtempSync(join(tmpdir(), 's2s-key-'));
  const [current, fromValue, fromFile] = [MasterKey.generate(), MasterKey.generate(), MasterKey.generate()];
  const previousFile = join(dir, 'previous.key');
  writeFileSync(previousFile, `${fromFile.toBase64()}\n`, { mode: 0o600 });
  const load = (previous: MasterKeySettings['previous']) =>
    loadMasterKeyring({ value: current.toBase64(), file: 'unused', mayGenerate: false, previous });

  const { keyring } = load({ values: [fromValue.toBase64(), current.toBase64()], files: [previousFile] });
  assert.equal(keyring.current.id, current.id);
  assert.deepEqual(keyring.ids, [current.id, fromValue.id, fromFile.id], 'the current key is not held twice');

  assert.throws(
    () => load({ values: [fromValue.toBase64(), 'dG9vIHNob3J0'], files: [] }),
    /MASTER_KEY_PREVIOUS: key 2 of 2 must be 32 bytes/,
  );
  assert.throws(
    () => load({ values: [], files: [join(dir, 'gone.key')] }),
    new RegExp(`MASTER_KEY_PREVIOUS_FILES: ${join(dir, 'gone.key')} does not exist`),
  );
});

test('the keyring wraps under the current key and unwraps with the key named beside the wrapped key', () => {
  const [older, newer] = [MasterKey.generate(), MasterKey.generate()];
  const dataKey = newDataKey();
  const underOlder = new MasterKeyring(older).wrap(dataKey);
  assert.equal(underOlder.masterKeyId, older.id);

  const keyring = new MasterKeyring(newer, [older]);
  assert.ok(keyring.unwrap(underOlder).equals(dataKey));
  const underNewer = keyring.wrap(dataKey);
  assert.equal(underNewer.masterKeyId, newer.id);
  assert.ok(new MasterKeyring(newer).unwrap(underNewer).equals(dataKey));

  assert.throws(
    () => new MasterKeyring(newer).unwrap(underOlder),
    (error: unknown) =>
      error instanceof MissingMasterKeyError &&
      error.masterKeyId === older.id &&
      error.message.includes(`master key ${older.id}, which is not configured`),
  );
  assert.throws(() => keyring.unwrap({ ...underOlder, masterKeyId: null }), MissingMasterKeyError);
  // The id is bound into the wrapping: a wrapped key relabelled with another id does not unwrap.
  assert.throws(() => keyring.unwrap({ ...underOlder, masterKeyId: newer.id }));
});

test('decryption reads the stored bytes in chunks of any size, aligned with the segments or not', async () => {
  const dataKey = newDataKey();
  for (const size of [0, 1, 65_536, 65_537, 3 * 65_536, 200_000]) {
    const plain = randomBytes(size);
    const encrypt = new EncryptStream(dataKey);
    const sealed = await buffer(Readable.from([plain]).pipe(encrypt));
    // 1-byte chunks, chunks that split tags, disk-sized chunks, segment-sized chunks, and all at once.
    for (const chunk of [1, 7, 4_099, 65_536, 65_552, 65_565, sealed.length]) {
      // One-byte chunks across one segment's end (65,537) show all they can: over every segment of the
      // larger sizes they took ten seconds.
      if (chunk === 1 && size > 65_537) continue;
      const parts: Buffer[] = [];
      for (let at = 0; at < sealed.length; at += chunk) parts.push(sealed.subarray(at, at + chunk));
      const decrypt = new DecryptStream(dataKey, { sha256: encrypt.sha256 });
      const back = await buffer(Readable.from(parts).pipe(decrypt));
      assert.ok(back.equals(plain), `size ${size}, chunks of ${chunk}`);
      // Lent chunks of one byte would add seconds and nothing that seven-byte ones (the header) do not.
      if (chunk > 1) {
        assert.ok((await decryptLent(dataKey, encrypt.sha256, parts)).equals(plain), `lent, size ${size}`);
      }
    }
  }
});

test('a download read slowly holds no more than a slice of its plaintext waiting', async () => {
  const { files } = freshStore();
  const plain = randomBytes(3_000_000);
  const download = await files.get(await files.put(Readable.from([plain])));
  // Nothing reads it: the first slice is decrypted, and the next waits for a reader.
  while (download.readableLength === 0) await new Promise((resolve) => setImmediate(resolve));
  for (let turn = 0; turn < 20; turn += 1) await new Promise((resolve) => setImmediate(resolve));
  assert.ok(download.readableLength > 0 && download.readableLength <= DECRYPT_SLICE_BYTES);
  assert.ok((await buffer(download)).equals(plain), 'and then it reads whole');
});

/**
 * Decrypts `parts` written one at a time from one buffer, as the disk store's pieces come, written over
 * as soon as each write has called back: what the stream kept of a part must be its own copy.
 */
async function decryptLent(dataKey: Buffer, sha256: string, parts: Buffer[]): Promise<Buffer> {
  const decrypt = new DecryptStream(dataKey, { sha256, borrowedChunks: true });
  const out = buffer(decrypt);
  const lent = Buffer.alloc(parts.reduce((longest, part) => Math.max(longest, part.length), 1));
  for (const part of parts) {
    part.copy(lent);
    await new Promise<void>((resolve, reject) =>
      decrypt.write(lent.subarray(0, part.length), (error) => (error ? reject(error) : resolve())),
    );
    lent.fill(0xaa);
  }
  decrypt.end();
  return out;
}

test('files read at the same time each come back whole, and a download broken off stops reading', async () => {
  const { dir, masterKey } = freshStore();
  const disk = new DiskFileStore(dir);
  let piecesEnded = 0;
  let onPiecesEnded = () => {};
  // The disk store, telling when a reading of pieces has ended (its file closed, its buffer free).
  const watched: DiskFileStore = Object.assign(Object.create(disk), {
    async readPieces(key: string) {
      const pieces = await disk.readPieces(key);
      return {
        [Symbol.asyncIterator]: () =>
          (async function* () {
            try {
              yield* pieces;
            } finally {
              piecesEnded += 1;
              onPiecesEnded();
            }
          })(),
        close: () => pieces.close(),
      };
    },
  });
  const files = new EncryptedFileStore(watched, new MasterKeyring(masterKey));
  const plains = [randomBytes(3_000_000), randomBytes(2_200_000), randomBytes(1_100_000)];
  const stored = await Promise.all(plains.map((plain) => files.put(Readable.from([plain]))));
  const backs = await Promise.all(stored.map(async (file) => buffer(await files.get(file))));
  for (const [index, back] of backs.entries())
    assert.ok(back.equals(plains[index] as Buffer), `file ${index}`);
  assert.equal(piecesEnded, 3);

  const ended = new Promise<void>((resolve) => {
    onPiecesEnded = resolve;
  });
  const download = await files.get(stored[0] as (typeof stored)[0]);
  await new Promise((resolve) => download.once('data', resolve));
  download.destroy();
  await ended;
  assert.equal(piecesEnded, 4);
  assert.ok((await buffer(await files.get(stored[1] as (typeof stored)[1]))).equals(plains[1] as Buffer));
});

test('a file whose SHA-256 does not match its record fails before its last segment is released', async () => {
  const dataKey = newDataKey();
  const plain = randomBytes(150_000);
  const sealed = await buffer(Readable.from([plain]).pipe(new EncryptStream(dataKey)));
  const received: Buffer[] = [];
  const decrypt = new DecryptStream(dataKey, { sha256: '0'.repeat(64) });
  decrypt.on('data', (piece: Buffer) => received.push(piece));
  await assert.rejects(
    new Promise((resolve, reject) => {
      decrypt.on('end', resolve);
      decrypt.on('error', reject);
      Readable.from([sealed]).pipe(decrypt);
    }),
    TamperedFileError,
  );
  const released = received.reduce((sum, piece) => sum + piece.length, 0);
  assert.ok(released < plain.length, 'the end of the file was held back');
  assert.ok(Buffer.concat(received).equals(plain.subarray(0, released)), 'only authenticated bytes');
});

test('a secret derived from the master key is the same for the same key and purpose, and only then', () => {
  const bytes = randomBytes(32);
  const [one, same, other] = [new MasterKey(bytes), new MasterKey(Buffer.from(bytes)), MasterKey.generate()];
  const secret = one.deriveSecret('s2s cookie secret');
  assert.match(secret, /^[0-9a-f]{64}$/);
  assert.equal(same.deriveSecret('s2s cookie secret'), secret, 'every process with the key derives it');
  assert.notEqual(one.deriveSecret('another purpose'), secret);
  assert.notEqual(other.deriveSecret('s2s cookie secret'), secret);
  assert.ok(!secret.includes(bytes.toString('hex').slice(0, 16)), 'not the key itself');
});
