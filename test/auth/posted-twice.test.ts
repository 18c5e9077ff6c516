// The account's own forms posted twice (a double click, Back and submit again, a browser resending; at
// once, the first held inside its transaction while the second runs). Turn on two-factor sign-in: set up
// once, audited once, and the second answer says it was turned on already and that the recovery codes,
// shown to the first, cannot be shown again, where it answered with a redirect carrying the 400 status
// of the error page it had meant to show again. Change password posted again: changed once, and the second
// answer says it was changed already, where it said the current password was wrong and counted a failed
// sign-in against the account (a step towards locking it). Make new recovery codes posted again says they
// were made already, where it took the code (used once already) for a wrong one, counted as a failed sign-in.
// Turn off two-factor sign-in posted again says it was turned off already, where it said nothing.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { totpCodeAt } from '../../src/auth/two-factor-secrets.ts';
import type { Db } from '../../src/platform/db/schema.ts';
import {
  describeEachEngine,
  holdingAfterDeleteFrom,
  holdingAfterInsertInto,
  type TestDatabase,
  twiceAtOnce,
} from '../support/databases.ts';
import { makeLa, makeUser, TEST_PASSWORD } from '../support/factories.ts';
import { Agent, createTestApp, hiddenFields, type TestApp, textOf } from '../support/web.ts';

/** The secret as the set-up page shows it (groups of four), without its spaces. */
function secretOf(html: string): string {
  const match = /id="secret">([A-Z2-7 ]+)</.exec(html);
  assert.ok(match, 'the set-up page shows the secret as text');
  return (match[1] ?? '').replace(/ /g, '');
}

async function setUpForm(t: TestApp, db: Db) {
  const la = await makeLa(db);
  const user = await makeUser(db, 'la_user', { laNumber: la.number });
  const agent = new Agent(t.app);
  assert.equal((await agent.signIn(user.username)).statusCode, 302);
  const page = await agent.get('/two-factor/set-up');
  assert.equal(page.statusCode, 200);
  return { agent, user, form: { code: await totpCodeAt(secretOf(page.body), t.clock.now()) } };
}

async function enrolments(db: Db, username: string): Promise<number> {
  const rows = await db
    .selectFrom('audit_events')
    .select('id')
    .where('action', '=', 'two-factor-enrolled')
    .where('actor_username', '=', username)
    .execute();
  return rows.length;
}

const DONE_ALREADY =
  /Two-factor sign-in was turned on already, when you first pressed Turn on two-factor sign-in: this form was sent twice\. Your recovery codes were shown then and cannot be shown again\./;

describeEachEngine('the account forms posted twice', (database: () => TestDatabase) => {
  test('Turn on two-factor sign-in posted again: the second answer says it was turned on already', async () => {
    const t = await createTestApp(database().db);
    try {
      const { agent, user, form } = await setUpForm(t, database().db);
      const first = await agent.post('/two-factor/set-up', form);
      assert.equal(first.statusCode, 200);
      const again = await agent.post('/two-factor/set-up', form);
      assert.equal(again.statusCode, 302);
      assert.equal(again.headers.location, '/two-factor');
      assert.match(textOf((await agent.get('/two-factor')).body), DONE_ALREADY);
      assert.equal(await enrolments(database().db, user.username), 1);
    } finally {
      await t.app.close();
    }
  });

  test('Turn on two-factor sign-in posted twice at once: set up once; the second says so', async () => {
    const hold = holdingAfterInsertInto(database().db, 'two_factor_recovery_codes');
    const t = await createTestApp(hold.db);
    try {
      const { agent, user, form } = await setUpForm(t, database().db);
      const answers = await twiceAtOnce(database(), hold, () => agent.post('/two-factor/set-up', form));
      assert.deepEqual(
        answers.map((a) => [a.statusCode, a.headers.location]),
        [
          [200, undefined],
          [302, '/two-factor'],
        ],
      );
      assert.equal(await enrolments(database().db, user.username), 1);
    } finally {
      await t.app.close();
    }
  });

  const OWN = 'lantern-meadow-quartz';

  async function changePasswordForm(t: TestApp, db: Db) {
    const la = await makeLa(db);
    const user = await makeUser(db, 'la_user', { laNumber: la.number });
    const agent = new Agent(t.app);
    assert.equal((await agent.signIn(user.username)).statusCode, 302);
    const page = await agent.get('/change-password');
    return {
      agent,
      user,
      form: {
        ...hiddenFields(page.body, '/change-password'),
        currentPassword: TEST_PASSWORD,
        newPassword: OWN,
        confirmPassword: OWN,
      },
    };
  }

  async function passwordEvents(db: Db, username: string) {
    const rows = await db
      .selectFrom('audit_events')
      .select('action')
      .where('action', 'in', ['password-changed', 'sign-in-failed'])
      .where('subject_id', '=', username)
      .execute();
    return {
      changed: rows.filter((r) => r.action === 'password-changed').length,
      failed: rows.filter((r) => r.action === 'sign-in-failed').length,
    };
  }

  const CHANGED_ALREADY =
    /Your password was changed already, after you opened the page to change it: this form may have been sent twice\. Nothing was changed this time\./;

  test('Change password posted again: changed once, and the second answer says so, counting no failed sign-in', async () => {
    const t = await createTestApp(database().db);
    try {
      const { agent, user, form } = await changePasswordForm(t, database().db);
      assert.equal((await agent.post('/change-password', form)).statusCode, 302);
      const again = await agent.post('/change-password', form);
      assert.equal(again.statusCode, 302);
      assert.equal(again.headers.location, '/');
      assert.match(textOf((await agent.get('/')).body), CHANGED_ALREADY);
      assert.deepEqual(await passwordEvents(database().db, user.username), { changed: 1, failed: 0 });
      assert.equal((await new Agent(t.app).signIn(user.username, OWN)).headers.location, '/');
    } finally {
      await t.app.close();
    }
  });

  test('Change password posted twice at once: changed once', async () => {
    // Held as the user's sessions are ended, after its update.
    const hold = holdingAfterDeleteFrom(database().db, 'sessions');
    const t = await createTestApp(hold.db);
    try {
      const { agent, user, form } = await changePasswordForm(t, database().db);
      const answers = await twiceAtOnce(database(), hold, () => agent.post('/change-password', form));
      // The first ends every session of the user, the second's too. On PostgreSQL the second read its
      // session before then, and its update, having waited for the first's, changes nothing and says so;
      // on SQLite (one connection) it reads its session after, finds it ended, and is asked to sign in.
      assert.deepEqual(
        answers.map((a) => [a.statusCode, a.headers.location]),
        [
          [302, '/'],
          [302, database().engine === 'postgres' ? '/' : '/sign-in?expired=1'],
        ],
      );
      assert.deepEqual(await passwordEvents(database().db, user.username), { changed: 1, failed: 0 });
      assert.equal((await new Agent(t.app).signIn(user.username, OWN)).headers.location, '/');
    } finally {
      await t.app.close();
    }
  });

  test('Make new recovery codes posted again: made once, and the second answer says so, counting no failed sign-in', async () => {
    const t = await createTestApp(database().db);
    try {
      const { agent, user, form: setUp } = await setUpForm(t, database().db);
      const secret = secretOf((await agent.get('/two-factor/set-up')).body);
      assert.equal((await agent.post('/two-factor/set-up', setUp)).statusCode, 200);
      t.clock.advanceMinutes(0.5);
      const page = await agent.get('/two-factor/recovery-codes');
      const form = {
        ...hiddenFields(page.body, '/two-factor/recovery-codes'),
        code: await totpCodeAt(secret, t.clock.now()),
      };
      assert.equal((await agent.post('/two-factor/recovery-codes', form)).statusCode, 200);
      const again = await agent.post('/two-factor/recovery-codes', form);
      assert.equal(again.statusCode, 302);
      assert.equal(again.headers.location, '/two-factor');
      assert.match(
        textOf((await agent.get('/two-factor')).body),
        /New recovery codes were made already, after you opened the page to make them: this form may have been sent twice\. They were shown once and cannot be shown again, and nothing was changed this time\./,
      );
      const rows = await database()
        .db.selectFrom('audit_events')
        .select('action')
        .where('action', 'in', ['recovery-codes-replaced', 'sign-in-failed'])
        .where('subject_id', '=', user.username)
        .execute();
      assert.deepEqual(
        rows.map((r) => r.action),
        ['recovery-codes-replaced'],
      );
    } finally {
      await t.app.close();
    }
  });

  test('Turn off two-factor sign-in posted again: the second answer says it was turned off already', async () => {
    const t = await createTestApp(database().db);
    try {
      const { agent, user, form: setUp } = await setUpForm(t, database().db);
      const secret = secretOf((await agent.get('/two-factor/set-up')).body);
      assert.equal((await agent.post('/two-factor/set-up', setUp)).statusCode, 200);
      t.clock.advanceMinutes(0.5);
      await agent.get('/two-factor/turn-off');
      const form = { code: await totpCodeAt(secret, t.clock.now()) };
      assert.equal((await agent.post('/two-factor/turn-off', form)).statusCode, 302);
      const again = await agent.post('/two-factor/turn-off', form);
      assert.equal(again.statusCode, 302);
      assert.equal(again.headers.location, '/two-factor');
      assert.match(
        textOf((await agent.get('/two-factor')).body),
        /Two-factor sign-in was turned off already: this form may have been sent twice\. Nothing was changed this time\./,
      );
      const rows = await database()
        .db.selectFrom('audit_events')
        .select('action')
        .where('action', 'in', ['two-factor-turned-off', 'sign-in-failed'])
        .where('subject_id', '=', user.username)
        .execute();
      assert.deepEqual(
        rows.map((r) => r.action),
        ['two-factor-turned-off'],
      );
    } finally {
      await t.app.close();
    }
  });
});
