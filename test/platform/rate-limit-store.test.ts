// The rate-limit counters in the database, on both engines: one atomic count per request (the API's),
// or a take of several, all or nothing (Send Message's emails an hour), fixed windows, ended ones deleted.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { test } from 'node:test';
import { countRequest, takeFromWindow } from '../../src/platform/rate-limits.ts';
import { describeEachEngine } from '../support/databases.ts';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

describeEachEngine('rate-limit counters', (database) => {
  test('requests counted at once from many connections each get their own count', async () => {
    const { db } = database();
    const key = randomUUID();
    const now = new Date('2026-11-23T09:00:10.000Z');
    const counts = await Promise.all(Array.from({ length: 40 }, () => countRequest(db, key, now, MINUTE)));
    assert.deepEqual(
      counts.map((c) => c.current).sort((a, b) => a - b),
      Array.from({ length: 40 }, (_, i) => i + 1),
    );
    assert.ok(
      counts.every((c) => c.ttl === 50_000),
      'the window ends at 09:01:00',
    );
  });

  test('each key has its own count, and a new window starts again at 1', async () => {
    const { db } = database();
    const [busy, calm] = [randomUUID(), randomUUID()];
    await countRequest(db, busy, new Date('2026-11-23T10:00:00.000Z'), MINUTE);
    const second = await countRequest(db, busy, new Date('2026-11-23T10:00:59.999Z'), MINUTE);
    assert.deepEqual(second, { current: 2, ttl: 1 });
    assert.equal((await countRequest(db, calm, new Date('2026-11-23T10:00:30.000Z'), MINUTE)).current, 1);
    const next = await countRequest(db, busy, new Date('2026-11-23T10:01:00.000Z'), MINUTE);
    assert.deepEqual(next, { current: 1, ttl: MINUTE });
  });

  test("a window's rows are deleted once it has ended, when a new window opens", async () => {
    const { db } = database();
    const [old, current] = [randomUUID(), randomUUID()];
    await countRequest(db, old, new Date('2026-11-23T11:00:00.000Z'), MINUTE);
    await countRequest(db, current, new Date('2026-11-23T11:05:00.000Z'), MINUTE);
    const keys = await db
      .selectFrom('rate_limits')
      .select('key')
      .where('key', 'in', [old, current])
      .execute();
    assert.deepEqual(
      keys.map((row) => row.key),
      [current],
    );
  });

  test('takes of several at once from many connections: all or nothing each, never past the most', async () => {
    const { db } = database();
    const key = randomUUID();
    const now = new Date('2026-11-23T12:20:00.000Z');
    const takes = await Promise.all(
      Array.from({ length: 20 }, () => takeFromWindow(db, key, now, HOUR, 3, 31)),
    );
    assert.equal(takes.filter((t) => t.taken).length, 10, '10 takes of 3 fit in 31; the 11th would make 33');
    const refused = takes.filter((t) => !t.taken);
    assert.ok(
      refused.every((t) => t.current === 30 && t.ttl === 40 * MINUTE),
      JSON.stringify(refused),
    );
    assert.deepEqual(await takeFromWindow(db, key, now, HOUR, 1, 31), {
      taken: true,
      current: 31,
      ttl: 40 * MINUTE,
    });
    assert.equal((await takeFromWindow(db, key, now, HOUR, 32, 31)).taken, false, 'more than a window holds');
    const next = await takeFromWindow(db, key, new Date('2026-11-23T13:00:00.000Z'), HOUR, 31, 31);
    assert.deepEqual(next, { taken: true, current: 31, ttl: HOUR });
    const rows = await db.selectFrom('rate_limits').select('window_start').where('key', '=', key).execute();
    assert.deepEqual(
      rows.map((r) => r.window_start),
      ['2026-11-23T13:00:00.000Z'],
      'the ended hour deleted',
    );
  });

  test('a take in a transaction rolled back is not counted', async () => {
    const { db } = database();
    const key = randomUUID();
    const now = new Date('2026-11-23T12:20:00.000Z');
    await db
      .transaction()
      .execute(async (tx) => {
        assert.equal((await takeFromWindow(tx, key, now, HOUR, 5, 10)).taken, true);
        throw new Error('refused later');
      })
      .catch(() => undefined);
    assert.deepEqual(await takeFromWindow(db, key, now, HOUR, 10, 10), {
      taken: true,
      current: 10,
      ttl: 40 * MINUTE,
    });
  });
});
