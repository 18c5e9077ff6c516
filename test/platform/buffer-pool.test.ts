// Buffers used again: what is given back is lent to the next taker of about its size, once only, and
// only what the pool lent; memory moved to another thread and back is the pool's again once adopted.
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { test } from 'node:test';
import { readBounded } from '../../src/platform/bounded-read.ts';
import { BufferPool, poolOf } from '../../src/platform/buffer-pool.ts';

const MiB = 1024 * 1024;

test('a buffer given back is lent again to the next taker of about its size, and a new one otherwise', () => {
  const pool = new BufferPool(8 * MiB);
  const first = pool.take(3 * MiB + 5);
  assert.equal(first.length, 3 * MiB + 5);
  assert.equal(first.byteOffset, 0);
  assert.equal(first.buffer.byteLength, 4 * MiB, 'rounded up to a MiB');
  assert.equal(poolOf(first.buffer), pool);
  pool.give(first);
  assert.equal(poolOf(first.buffer), undefined, 'no longer lent');
  assert.equal(pool.spare, 4 * MiB);

  const again = pool.take(4 * MiB);
  assert.equal(again.buffer, first.buffer, 'the same memory, for a size rounding to the same');
  assert.equal(pool.spare, 0);
  const other = pool.take(MiB);
  assert.notEqual(other.buffer, first.buffer, 'another size: new memory');
  assert.equal(pool.take(0).length, 0);
});

test('a buffer given back twice, or as another view of its memory, is kept once, so two takers never share it', () => {
  const pool = new BufferPool(8 * MiB);
  const lent = pool.take(MiB);
  pool.give(lent.subarray(0, 10));
  assert.equal(pool.spare, 0, 'not the Buffer lent');
  pool.give(lent);
  pool.give(lent);
  assert.equal(pool.spare, MiB);
  const a = pool.take(MiB);
  const b = pool.take(MiB);
  assert.notEqual(a.buffer, b.buffer);
  // Given back by its first taker after the second took it: still the second's.
  pool.give(lent);
  assert.equal(pool.spare, 0);
});

test("only the pool's own buffers are kept, within its bound, and none moved away", () => {
  const pool = new BufferPool(2 * MiB);
  pool.give(Buffer.allocUnsafeSlow(MiB));
  pool.give(new BufferPool(8 * MiB).take(MiB));
  assert.equal(pool.spare, 0, 'not lent by this pool');

  const [a, b, c] = [pool.take(MiB), pool.take(MiB), pool.take(MiB)];
  for (const buffer of [a, b, c]) pool.give(buffer);
  assert.equal(pool.spare, 2 * MiB, 'two kept, the third over the bound');

  const moved = pool.take(MiB);
  structuredClone(moved, { transfer: [moved.buffer as ArrayBuffer] });
  pool.give(moved);
  assert.equal(pool.spare, MiB, 'memory moved to another thread is not kept (one spare was taken)');
});

test('memory moved to another thread and back is lent still once adopted, and kept when given back', () => {
  const pool = new BufferPool(8 * MiB);
  const lent = pool.take(MiB + 1);
  lent.fill(7);
  const back = structuredClone(lent, { transfer: [lent.buffer as ArrayBuffer] });
  assert.equal(lent.length, 0, 'moved');
  assert.equal(poolOf(back.buffer), undefined, 'a new object: unknown until adopted');
  pool.give(back);
  assert.equal(pool.spare, 0);
  pool.adopt(back);
  assert.equal(poolOf(back.buffer), pool);
  assert.equal(back.length, MiB + 1);
  pool.give(back);
  assert.equal(pool.spare, 2 * MiB);
  assert.equal(pool.take(2 * MiB).buffer, back.buffer);
});

test('readBounded joins a stream in a buffer of the pool when given one', async () => {
  const pool = new BufferPool(8 * MiB);
  const pieces = [Buffer.alloc(70_000, 1), Buffer.from('middle'), Buffer.alloc(65_536, 2)];
  const read = await readBounded(Readable.from(pieces), 4 * MiB, pool);
  assert.ok(read.ok);
  assert.ok(read.data.equals(Buffer.concat(pieces)));
  assert.equal(poolOf(read.data.buffer), pool);
  // Memory used before: the bytes are this stream's, whatever was there.
  pool.give(read.data);
  const next = await readBounded(Readable.from([Buffer.from('short')]), 4 * MiB, pool);
  assert.ok(next.ok);
  assert.equal(next.data.buffer, read.data.buffer);
  assert.equal(next.data.toString(), 'short');
});
