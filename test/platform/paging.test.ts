// A list read a window at a time (windowPage): any page number a link or a hand-typed address can hold
// gives a page of the list, read through a real LIMIT and OFFSET on both engines, never a database error.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { windowPage } from '../../src/platform/paging.ts';
import { describeEachEngine } from '../support/databases.ts';
import { makeLa } from '../support/factories.ts';

describeEachEngine('a list read a window at a time', (database) => {
  /** Page `page` of five LAs made for the test, two to a page, by number. */
  async function pageOfLas(page: number) {
    const { db } = database();
    const numbers: string[] = [];
    for (let n = 0; n < 5; n += 1) numbers.push((await makeLa(db)).number);
    const windows: number[] = [];
    const found = await windowPage(page, 2, async (window) => {
      windows.push(window.offset);
      const rows = await db
        .selectFrom('local_authorities')
        .select('number')
        .where('number', 'in', numbers)
        .orderBy('number')
        .limit(window.limit)
        .offset(window.offset)
        .execute();
      return { rows: rows.map((row) => row.number), total: numbers.length };
    });
    return { found, windows, numbers: numbers.sort() };
  }

  test('a page that exists is read in one window', async () => {
    const { found, windows, numbers } = await pageOfLas(2);
    assert.deepEqual(found.rows, numbers.slice(2, 4));
    assert.deepEqual([found.page, found.pages, found.total], [2, 3, 5]);
    assert.deepEqual(windows, [2]);
  });

  test('a page past the end, however far, is the last page; one before the first is the first', async () => {
    // 10^23 and 2^57 + 1 ask for offsets beyond a 64-bit integer (the databases refused them); 2^53 + 1
    // is past what a number holds exactly.
    for (const page of [4, 1e23, 2 ** 57 + 1, 2 ** 53 + 1, Number.MAX_VALUE, Number.POSITIVE_INFINITY]) {
      const { found, windows, numbers } = await pageOfLas(page);
      assert.deepEqual(found.rows, numbers.slice(4), `page ${page}`);
      assert.deepEqual([found.page, found.pages], [3, 3], `page ${page}`);
      assert.ok(windows.every(Number.isSafeInteger), `page ${page}: offsets ${windows.join(', ')}`);
    }
    for (const page of [0, -1, -1e23, Number.NaN, Number.NEGATIVE_INFINITY]) {
      const { found, numbers } = await pageOfLas(page);
      assert.deepEqual(found.rows, numbers.slice(0, 2), `page ${page}`);
      assert.equal(found.page, 1, `page ${page}`);
    }
  });
});
