// The Audit Log's filters read the national trail through an index (migration 055), not along every event
// of the country in time order until a page of the one user or the one action is found.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { auditPageQuery } from '../../src/audit/repository.ts';
import { describeEachEngine, queryPlan } from '../support/databases.ts';

describeEachEngine('audit log filters', (database) => {
  test("one user's events are read through the index of usernames, whatever their case", async () => {
    const { db, engine } = database();
    const query = auditPageQuery(db, { filter: { username: 'Alice' }, limit: 51, offset: 0 }).compile();
    const plan = await queryPlan(db, engine, query);
    assert.match(plan, /audit_events_actor_username/, plan);
  });

  test("one action's events are read through the index of actions", async () => {
    const { db, engine } = database();
    const query = auditPageQuery(db, {
      filter: { action: 'user-deleted', since: '2026-10-01T00:00:00.000Z' },
      limit: 51,
      offset: 0,
    }).compile();
    const plan = await queryPlan(db, engine, query);
    assert.match(plan, /audit_events_action/, plan);
  });
});
