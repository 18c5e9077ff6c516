// Reading an upload's stream within a limit, and settling a multipart file stream: what each says when
// the stream ends, is cut at the parser's limit, or breaks off (before or while it is read).
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { PassThrough, Readable } from 'node:stream';
import { test } from 'node:test';
import { IncompleteFile, readBounded, settleFile } from '../../src/platform/bounded-read.ts';

/** A multipart file stream as the parser hands it over: `truncated` once cut at its file size limit. */
function fileStream(): PassThrough & { truncated?: boolean } {
  return new PassThrough();
}

test('readBounded keeps a stream within its limit, and says how large one past it was', async () => {
  assert.deepEqual(await readBounded(Readable.from([Buffer.from('abc'), Buffer.from('de')]), 5), {
    ok: true,
    data: Buffer.from('abcde'),
  });
  const large = await readBounded(Readable.from([Buffer.alloc(4), Buffer.alloc(4)]), 5);
  assert.deepEqual(large, {
    ok: false,
    size: 8,
    head: { bytes: 6, sha256: createHash('sha256').update(Buffer.alloc(6)).digest('hex') },
  });
});

test('readBounded knows a stream past its limit by its first limit + 1 bytes, however they were cut', async () => {
  const file = Buffer.from('0123456789abcdef');
  const heads = await Promise.all(
    [[16], [3, 13], [1, 1, 1, 1, 1, 1, 10], [10, 6]].map(async (cuts) => {
      const chunks = cuts.map((length, i) => {
        const at = cuts.slice(0, i).reduce((sum, cut) => sum + cut, 0);
        return file.subarray(at, at + length);
      });
      const read = await readBounded(Readable.from(chunks), 9);
      assert.equal(read.ok, false);
      return read.ok ? undefined : read.head;
    }),
  );
  const expected = { bytes: 10, sha256: createHash('sha256').update(file.subarray(0, 10)).digest('hex') };
  for (const head of heads) assert.deepEqual(head, expected);
  // Another byte within them is another file; one after them is not read, so not known.
  const other = await readBounded(Readable.from([Buffer.from('0123456789abcdeX')]), 9);
  assert.deepEqual(!other.ok && other.head, expected);
  const within = await readBounded(Readable.from([Buffer.from('X123456789abcdef')]), 9);
  assert.notDeepEqual(!within.ok && within.head, expected);
});

test('readBounded rejects a stream that breaks off, even one broken before it was called', async () => {
  const broken = fileStream();
  broken.on('error', () => {});
  broken.destroy(new Error('Unexpected end of multipart data'));
  await new Promise((resolve) => setImmediate(resolve));
  await assert.rejects(readBounded(broken, 100), IncompleteFile, 'already destroyed');

  const closing = fileStream();
  const reading = readBounded(closing, 100);
  closing.write('part of it');
  closing.destroy();
  await assert.rejects(reading, IncompleteFile, 'closed without an end');
});

test('readBounded calls a stream cut at the parser limit too large, not incomplete', async () => {
  const cut = fileStream();
  const reading = readBounded(cut, 100);
  cut.write('a little');
  cut.truncated = true;
  cut.destroy();
  assert.deepEqual(await reading, { ok: false, size: 101 });
  // Its bytes never reached the reader: nothing to know it by.
});

test('settleFile: read to its end, cut at the limit (and destroyed), or incomplete', async () => {
  const whole = fileStream();
  const settling = settleFile(whole);
  whole.end('the rest');
  assert.equal(await settling, 'read');

  const cut = fileStream();
  const settlingCut = settleFile(cut);
  cut.write('far too much');
  cut.truncated = true;
  cut.emit('limit');
  assert.equal(await settlingCut, 'too-large');
  assert.ok(cut.destroyed, 'the rest is not read');

  const broken = fileStream();
  const settlingBroken = settleFile(broken);
  broken.on('error', () => {});
  broken.destroy(new Error('Part terminated early'));
  assert.equal(await settlingBroken, 'incomplete');

  const ended = fileStream();
  ended.end();
  ended.resume();
  await new Promise((resolve) => ended.on('end', resolve));
  assert.equal(await settleFile(ended), 'read', 'already ended');
});
