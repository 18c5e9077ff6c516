// The DBA users list's SQL: each page read from the index that holds the list's order, on both engines.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { userCountQuery, userPageQuery } from '../../src/accounts/repository.ts';
import { describeEachEngine, queryPlan } from '../support/databases.ts';

describeEachEngine('accounts repository', (database) => {
  test("a page of the users list, everyone's or one LA's, and its count are read through users_list_order, not sorted in full", async () => {
    // Without the index each page sorted every account of the country to show 50 (118-162 ms at a
    // tenth of the country for the national administrator's list).
    const { db, engine } = database();
    for (const filter of [{}, { laNumber: '916' }]) {
      for (const window of [
        { limit: 50, offset: 0 },
        { limit: 50, offset: 950 },
      ]) {
        const plan = await queryPlan(db, engine, userPageQuery(db, filter, window).compile());
        assert.match(plan, /users_list_order/, plan);
        // The window is read in the index's order: only its own rows are sorted, after their join.
        if (engine === 'postgres')
          assert.match(plan, /Limit .*\n\s*->\s+Index Scan using users_list_order/, plan);
        else assert.ok((plan.match(/TEMP B-TREE/g) ?? []).length <= 1, plan);
      }
      const count = await queryPlan(db, engine, userCountQuery(db, filter).compile());
      assert.match(count, /users_list_order/, count);
    }
  });
});
