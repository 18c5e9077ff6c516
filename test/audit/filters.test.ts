// The Audit Log's filters read the national trail through an index (migration 055), not along every event
// of the country in time order until a page of the one user or the one action is found. An LA's DBA reads
// the LA's events through the index of the LA each organisation belongs to (migration 056), filtered by
// action or not, rather than the country's until a page of the LA's is found; and they are the same events
// as before.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ExpressionBuilder } from 'kysely';
import { auditPageQuery, ofLa, recordAudit } from '../../src/audit/repository.ts';
import type { Database } from '../../src/platform/db/schema.ts';
import { describeEachEngine, queryPlan } from '../support/databases.ts';

/** The LA's scope as decision 77 wrote it: the LA's number, or an establishment number of the LA's. */
function ofLaBefore056(laNumber: string) {
  return (eb: ExpressionBuilder<Database, 'audit_events'>) =>
    eb.or([eb('organisation', '=', laNumber), eb('organisation', 'like', `${laNumber}____`)]);
}

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

  test("an LA's page is read through the index of LAs, newest first", async () => {
    const { db, engine } = database();
    const query = auditPageQuery(db, { laNumber: '916', limit: 51, offset: 0 }).compile();
    const plan = await queryPlan(db, engine, query);
    assert.match(plan, /audit_events_la\b/, plan);
    // The index gives the order: read backwards, not every event of the LA's sorted (ties of time are
    // put in order of id, as before).
    if (engine === 'sqlite') assert.doesNotMatch(plan, /USE TEMP B-TREE FOR ORDER BY/, plan);
    else assert.match(plan, /Index Scan Backward using audit_events_la\b/, plan);
  });

  test("an LA's page of one action is read through the index of LAs and actions", async () => {
    const { db, engine } = database();
    for (const action of ['sign-in', 'user-deleted']) {
      const query = auditPageQuery(db, {
        laNumber: '916',
        filter: { action },
        limit: 51,
        offset: 0,
      }).compile();
      const plan = await queryPlan(db, engine, query);
      assert.match(plan, /audit_events_la_action/, plan);
    }
  });

  test("an LA's scope is the events it was before: the LA's own and its schools', no other LA's", async () => {
    const { db } = database();
    const organisations = [
      null,
      '916',
      '9161234',
      '9160000',
      '917',
      '9171234',
      '91',
      '9',
      '',
      '0916',
      '9916123',
      '916123',
      '91612345',
      '9161',
      '196',
      '1961234',
      '916abcd',
    ];
    const at = new Date('2026-11-01T09:00:00.000Z');
    for (const [i, organisation] of organisations.entries()) {
      await recordAudit(db, {
        at: new Date(at.getTime() + i * 1000),
        organisation,
        action: 'school-updated',
        subjectType: 'scope-test',
        subjectId: String(i),
      });
    }
    const selected = async (scope: typeof ofLaBefore056) =>
      Object.fromEntries(
        await Promise.all(
          ['916', '917', '196', '091', '991', '91', '9_6'].map(async (la) => {
            const rows = await db
              .selectFrom('audit_events')
              .select('organisation')
              .where('subject_type', '=', 'scope-test')
              .where(scope(la))
              .orderBy('occurred_at')
              .execute();
            return [la, rows.map((row) => row.organisation)];
          }),
        ),
      );
    const before = await selected(ofLaBefore056);
    assert.deepEqual(before['916'], ['916', '9161234', '9160000', '916abcd']);
    assert.deepEqual(await selected(ofLa), before);
  });
});
