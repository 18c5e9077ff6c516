// Scratch audit (to be deleted): what a sign-in form's username field holds goes into the audit trail
// as it was typed, for names that are no account; a long one breaks the sign-in on PostgreSQL.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { sealAudit } from '../../src/audit/chain.ts';
import type { Db } from '../../src/platform/db/schema.ts';
import { describeEachEngine } from '../support/databases.ts';
import { Agent, createTestApp, type TestApp } from '../support/web.ts';

describeEachEngine('scratch: sign-in usernames in the audit trail', (database) => {
  let t: TestApp;
  let db: Db;
  before(async () => {
    db = database().db;
    t = await createTestApp(db);
  });
  after(async () => {
    await t.app.close();
  });

  test('a password typed into the username field is not kept in the audit trail', async () => {
    // The everyday slip: the password typed in the first box, Enter pressed.
    const password = 'Tr0ub4dor&3-horse-staple';
    const agent = new Agent(t.app);
    const response = await agent.post('/sign-in', { username: password, password: '' }, { formPage: '/sign-in' });
    // An empty password is refused before anything is checked; so type something in both.
    if (response.statusCode === 400)
      await agent.post('/sign-in', { username: password, password: 'x' }, { formPage: '/sign-in' });
    await sealAudit(db);
    const kept = await db
      .selectFrom('audit_events')
      .select(['action', 'subject_id', 'seq'])
      .where('subject_id', '=', password)
      .execute();
    assert.deepEqual(kept, [], 'the typed password is sealed into the permanent audit trail');
  });

  test('a long username is refused as any wrong one, not with a server error', async () => {
    const agent = new Agent(t.app);
    const response = await agent.post(
      '/sign-in',
      { username: 'a'.repeat(65), password: 'whatever-it-is' },
      { formPage: '/sign-in' },
    );
    assert.equal(response.statusCode, 400, `answered ${response.statusCode}`);
  });
});
