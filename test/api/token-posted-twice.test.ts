// The new API token form posted twice (a double click, Back and Create again, a browser resending):
// one token, one audit event, and a second answer that says it was made already (its value cannot be
// shown again). Revoke posted again says the token was revoked already, where it answered 404.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { test } from 'node:test';
import type { Db, UserRow } from '../../src/platform/db/schema.ts';
import {
  describeEachEngine,
  holdingAfterInsertInto,
  type TestDatabase,
  twiceAtOnce,
} from '../support/databases.ts';
import { makeLa, makeUser } from '../support/factories.ts';
import { Agent, createTestApp, hiddenFields, type TestApp, textOf } from '../support/web.ts';

async function signedIn(t: TestApp, db: Db): Promise<{ agent: Agent; user: UserRow }> {
  const la = await makeLa(db);
  const user = await makeUser(db, 'la_user', { laNumber: la.number });
  const agent = new Agent(t.app);
  assert.equal((await agent.signIn(user.username)).statusCode, 302);
  return { agent, user };
}

async function madeTokens(db: Db, user: UserRow) {
  const tokens = await db.selectFrom('api_tokens').select('id').where('user_id', '=', user.id).execute();
  const audits = await db
    .selectFrom('audit_events')
    .select('id')
    .where('actor_user_id', '=', user.id)
    .where('action', '=', 'token-created')
    .execute();
  return { tokens: tokens.length, audits: audits.length };
}

describeEachEngine('API token forms posted twice', (database: () => TestDatabase) => {
  async function newTokenForm(agent: Agent) {
    const page = await agent.get('/account/api-tokens/new');
    const name = `MIS ${randomUUID().slice(0, 8)}`;
    return { ...hiddenFields(page.body, '/account/api-tokens/new'), name, scope: 'read', expiry: '90' };
  }

  test('Create posted again: one token, and the second answer says it was made already', async () => {
    const t = await createTestApp(database().db);
    try {
      const { agent, user } = await signedIn(t, database().db);
      const form = await newTokenForm(agent);
      const first = await agent.post('/account/api-tokens/new', form);
      assert.equal(first.statusCode, 200);
      assert.match(first.body, /id="api-token">s2s_/);
      const again = await agent.post('/account/api-tokens/new', form);
      assert.equal(again.statusCode, 302);
      assert.equal(again.headers.location, '/account/api-tokens');
      assert.match(
        textOf((await agent.get('/account/api-tokens')).body),
        new RegExp(
          `The token ${form.name} \\(s2s_[\\w-]{4}\\.\\.\\.\\) was made already, when you first pressed Create token\\. Its value was shown then and cannot be shown again: if you did not copy it, revoke it and make another\\.`,
        ),
      );
      assert.deepEqual(await madeTokens(database().db, user), { tokens: 1, audits: 1 });
    } finally {
      await t.app.close();
    }
  });

  test('Create posted twice at once: one token', async () => {
    const hold = holdingAfterInsertInto(database().db, 'api_tokens');
    const t = await createTestApp(hold.db);
    try {
      const { agent, user } = await signedIn(t, database().db);
      const form = await newTokenForm(agent);
      const answers = await twiceAtOnce(database(), hold, () => agent.post('/account/api-tokens/new', form));
      assert.deepEqual(
        answers.map((a) => a.statusCode),
        [200, 302],
      );
      assert.deepEqual(await madeTokens(database().db, user), { tokens: 1, audits: 1 });
    } finally {
      await t.app.close();
    }
  });

  test('Revoke posted again: the second answer says the token was revoked already, not that it is missing', async () => {
    const t = await createTestApp(database().db);
    try {
      const { agent, user } = await signedIn(t, database().db);
      const form = await newTokenForm(agent);
      await agent.post('/account/api-tokens/new', form);
      const [token] = await database()
        .db.selectFrom('api_tokens')
        .selectAll()
        .where('user_id', '=', user.id)
        .execute();
      assert.ok(token);
      await agent.get('/account/api-tokens');
      const first = await agent.post('/account/api-tokens/revoke', { tokenId: token.id });
      assert.equal(first.statusCode, 302);
      await agent.get('/account/api-tokens');
      const again = await agent.post('/account/api-tokens/revoke', { tokenId: token.id });
      assert.equal(again.statusCode, 302);
      assert.equal(again.headers.location, '/account/api-tokens');
      assert.match(
        textOf((await agent.get('/account/api-tokens')).body),
        new RegExp(
          `The token ${form.name} \\(${token.prefix}\\.\\.\\.\\) was revoked already: it no longer works\\.`,
        ),
      );
    } finally {
      await t.app.close();
    }
  });
});
