// The API's rate-limit counters in the database, on both engines: one atomic count per request, fixed
// windows, ended windows deleted.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { test } from 'node:test';
import { countRequest } from '../../src/platform/web/rate-limit-store.ts';
import { describeEachEngine } from '../support/databases.ts';

const MINUTE = 60_000;

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
});
