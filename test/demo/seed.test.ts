// The demo data, loaded by several processes starting at once on an empty database (two `s2s serve`).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DEMO_ACCOUNTS, seedDemoData } from '../../src/demo/seed.ts';
import { ManualClock } from '../../src/platform/clock.ts';
import { describeEachEngine } from '../support/databases.ts';

describeEachEngine('demo data', (database) => {
  test('loaded at the same moment twice, it is loaded once and neither fails', async () => {
    const { db } = database();
    const clock = new ManualClock();
    const loaded = await Promise.all([seedDemoData(db, clock), seedDemoData(db, clock)]);
    assert.deepEqual(loaded.sort(), [false, true]);
    const users = await db.selectFrom('users').select('username').execute();
    assert.equal(users.length, DEMO_ACCOUNTS.length);
    assert.equal(await seedDemoData(db, clock), false, 'and not again later');
  });
});
