// The account's own forms posted twice (a double click, Back and submit again, a browser resending; at
// once, the first held inside its transaction while the second runs). Turn on two-factor sign-in: set up
// once, audited once, and the second answer says it was turned on already and that the recovery codes,
// shown to the first, cannot be shown again, where it answered with a redirect carrying the 400 status
// of the error page it had meant to show again. Change password posted again: changed once, and the second
// answer says it was changed already, where it said the current password was wrong and counted a failed
// sign-in against the account (a step towards locking it); since decision 84 a second post sent after the
// first's answer is refused as a form of the session the change replaced, the first's banner shown. Make new recovery codes posted again says they
// were made already, where it took the code (used once already) for a wrong one, counted as a failed sign-in.
// Turn off two-factor sign-in posted again says it was turned off already, where it said nothing. Both
// posted twice at once (on one app node or two) are made once and the second says so, where its code,
// whose time step the first had just used, was answered as wrong and counted as a failed sign-in.
// Sign-in's second step posted twice (a double click on Continue; again or at once, on one node or two):
// signed in once, the second sent on to '/' with no session of its own and no failed sign-in counted,
// where at once it said 'wrong code' and counted one, and again it said the user had timed out. Change
// password posted again with the session cookie the first ended: told the password was changed and to sign
// in with it (decision 59), where it was told it had timed out.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { totpCodeAt } from '../../src/auth/two-factor-secrets.ts';
import type { Db } from '../../src/platform/db/schema.ts';
import { MasterKey } from '../../src/platform/storage/envelope.ts';
import {
  describeEachEngine,
  firstHeldThenAnother,
  holdingAfterDeleteFrom,
  holdingAfterInsertInto,
  holdingAfterUpdateOf,
  type TestDatabase,
  twiceAtOnce,
} from '../support/databases.ts';
import { makeLa, makeUser, TEST_PASSWORD } from '../support/factories.ts';
import { Agent, anotherNode, createTestApp, hiddenFields, type TestApp, textOf } from '../support/web.ts';

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

/**
 * A form posted as a browser that still holds `as` (its cookies and CSRF token): the same browser's
 * second post, sent before the first's answer set a new session cookie.
 */
function postAs(
  app: TestApp['app'],
  as: { cookie: string; csrfToken: string },
  url: string,
  form: Record<string, string | string[]>,
) {
  const fields = new URLSearchParams({ _csrf: as.csrfToken });
  for (const [key, value] of Object.entries(form)) {
    for (const v of Array.isArray(value) ? value : [value]) fields.append(key, v);
  }
  return app.inject({
    method: 'POST',
    url,
    headers: { cookie: as.cookie, 'content-type': 'application/x-www-form-urlencoded' },
    payload: fields.toString(),
  });
}

/** Whether an answer sets (or clears) the session cookie. */
function sessionCookieSet(answer: { cookies: { name: string }[] }): boolean {
  return answer.cookies.some((c) => c.name === 's2s_session');
}

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

  test("Change password posted again after the first's answer: changed once; the second, a form of the session the change replaced, is refused and shows the first's banner, counting no failed sign-in", async () => {
    const t = await createTestApp(database().db);
    try {
      const { agent, user, form } = await changePasswordForm(t, database().db);
      assert.equal((await agent.post('/change-password', form)).statusCode, 302);
      // With the first's new session (and CSRF) cookies, the page's token is of the session it replaced
      // (decision 84): the form has expired, and the banner says the password was changed.
      const again = await agent.post('/change-password', form);
      assert.equal(again.statusCode, 403);
      assert.match(textOf(again.body), /The form has expired/);
      assert.match(textOf(again.body), /Your password has been changed/);
      assert.deepEqual(await passwordEvents(database().db, user.username), { changed: 1, failed: 0 });
      assert.equal((await new Agent(t.app).signIn(user.username, OWN)).headers.location, '/');
    } finally {
      await t.app.close();
    }
  });

  const PASSWORD_CHANGED = /Your password was changed\. Sign in with your new password\./;

  test('Change password posted again with the session cookie it ended (a double click): not counted, not changed twice, the old session not revived, and told to sign in with the new password', async () => {
    const t = await createTestApp(database().db);
    try {
      const { agent, user, form } = await changePasswordForm(t, database().db);
      const before = agent.session();
      assert.equal((await agent.post('/change-password', form)).statusCode, 302);
      const again = await postAs(t.app, before, '/change-password', form);
      assert.equal(again.statusCode, 302);
      assert.equal(again.headers.location, '/sign-in?password-changed=1');
      assert.equal(sessionCookieSet(again), false);
      const page = await t.app.inject({
        method: 'GET',
        url: again.headers.location,
        headers: { cookie: before.cookie },
      });
      assert.equal(page.statusCode, 200);
      assert.match(textOf(page.body), PASSWORD_CHANGED);
      // The old session stays ended: it opens nothing.
      const home = await t.app.inject({ method: 'GET', url: '/', headers: { cookie: before.cookie } });
      assert.equal(home.statusCode, 302);
      assert.match(String(home.headers.location), /^\/sign-in/);
      assert.deepEqual(await passwordEvents(database().db, user.username), { changed: 1, failed: 0 });
      // The browser that got the first answer is signed in with the new session.
      assert.equal((await agent.get('/')).statusCode, 200);
      assert.equal((await new Agent(t.app).signIn(user.username, OWN)).headers.location, '/');
    } finally {
      await t.app.close();
    }
  });

  test('Change password posted twice at once: changed once', async () => {
    // Held as the user's session is ended (kept to say why), after its update of the password.
    const hold = holdingAfterUpdateOf(database().db, 'sessions');
    const t = await createTestApp(hold.db);
    try {
      const { agent, user, form } = await changePasswordForm(t, database().db);
      const before = agent.session();
      const answers = await twiceAtOnce(database(), hold, () => agent.post('/change-password', form));
      // The first ends every session of the user, the second's too, on purpose (other devices are signed
      // out). On PostgreSQL the second read its session before then, and its update, having waited for the
      // first's, changes nothing; on SQLite (one connection) it reads its session after, and finds it ended
      // by the change. Either way it is told that the password was changed, and to sign in with the new one.
      assert.deepEqual(
        answers.map((a) => [a.statusCode, a.headers.location]),
        [
          [302, '/'],
          [302, '/sign-in?password-changed=1'],
        ],
      );
      // The browser that holds the ended session's cookie (the first's answer lost to the second click).
      const page = await t.app.inject({
        method: 'GET',
        url: '/sign-in?password-changed=1',
        headers: { cookie: before.cookie },
      });
      assert.match(textOf(page.body), PASSWORD_CHANGED);
      assert.equal((await agent.get('/')).statusCode, 200, 'the first answer signed this browser in');
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

  /**
   * Two app nodes of one service (one master key, one database): `held` with `hold`'s database, where the
   * posts at once are made, and `other`, unheld, where the user signs in and sets up two-factor sign-in
   * (so that the hold is not spent on the set-up). The clocks of both are moved on together.
   */
  async function twoNodesSetUp(hold: { db: Db }) {
    const env = { MASTER_KEY: MasterKey.generate().toBase64() };
    const held = await createTestApp(hold.db, env);
    const other = await anotherNode(database(), env);
    const la = await makeLa(database().db);
    const user = await makeUser(database().db, 'la_user', { laNumber: la.number });
    const agent = new Agent(other.app);
    assert.equal((await agent.signIn(user.username)).statusCode, 302);
    const secret = secretOf((await agent.get('/two-factor/set-up')).body);
    const setUp = { code: await totpCodeAt(secret, other.clock.now()) };
    const codesPage = await agent.post('/two-factor/set-up', setUp);
    assert.equal(codesPage.statusCode, 200);
    const recoveryCodes = [
      ...codesPage.body.matchAll(/<code class="govuk-!-font-size-24">([0-9a-z-]+)<\/code>/g),
    ].map((m) => m[1] ?? '');
    assert.ok(recoveryCodes.length > 0, 'the set-up shows the recovery codes');
    const later = () => {
      held.clock.advanceMinutes(0.5);
      other.clock.advanceMinutes(0.5);
    };
    later();
    return {
      held,
      other,
      agent,
      user,
      recoveryCodes,
      /** The code the app shows now (a step not used yet). */
      code: () => totpCodeAt(secret, held.clock.now()),
      close: async () => {
        await held.app.close();
        await other.close();
      },
    };
  }

  async function eventsOf(username: string, actions: string[]): Promise<string[]> {
    const rows = await database()
      .db.selectFrom('audit_events')
      .select('action')
      .where('action', 'in', actions)
      .where('subject_id', '=', username)
      .execute();
    return rows.map((r) => r.action);
  }

  /** The page the second post's browser shows next (its flash cookie before the session's). */
  async function shownAfter(
    agent: Agent,
    app: TestApp['app'],
    answer: { cookies: { name: string; value: string }[] },
  ) {
    const cookie = [
      ...answer.cookies.map((c) => `${c.name}=${encodeURIComponent(c.value)}`),
      agent.session().cookie,
    ].join('; ');
    return textOf((await app.inject({ method: 'GET', url: '/two-factor', headers: { cookie } })).body);
  }

  const CODES_MADE_ALREADY =
    /New recovery codes were made already, after you opened the page to make them: this form may have been sent twice\. They were shown once and cannot be shown again, and nothing was changed this time\./;

  /**
   * Where the first post is held. On two nodes, as it marks the code's time step used (so the other node
   * can check the same code then, even on SQLite, where that update took no write lock before the change's
   * transaction began). On one node, inside the change's transaction (`inTransaction`): on SQLite that
   * node's one connection is the transaction's until its end, so the second post runs after it whole
   * (SQLite cannot show the race on one node; PostgreSQL, with a pool of connections, does).
   */
  function heldAt(
    nodes: 'one app node' | 'two app nodes',
    inTransaction: () => ReturnType<typeof holdingAfterInsertInto>,
  ) {
    return nodes === 'two app nodes'
      ? holdingAfterUpdateOf(database().db, 'two_factor_secrets')
      : inTransaction();
  }

  const SIGNED_IN_TWICE =
    /You signed in a moment ago, but this browser did not keep the sign-in: the code was sent twice \(Continue may have been pressed twice\)\. Sign in again\./;

  /** A new browser of the user at the second step of signing in (its password taken on the unheld node). */
  async function atSecondStep(n: Awaited<ReturnType<typeof twoNodesSetUp>>) {
    const browser = new Agent(n.other.app);
    assert.equal((await browser.signIn(n.user.username)).headers.location, '/sign-in/two-factor');
    assert.equal((await browser.get('/sign-in/two-factor')).statusCode, 200);
    return browser;
  }

  async function signInEvents(username: string): Promise<string[]> {
    const rows = await database()
      .db.selectFrom('audit_events')
      .select('action')
      .where('action', 'in', ['sign-in', 'sign-in-failed'])
      .where((eb) => eb.or([eb('actor_username', '=', username), eb('subject_id', '=', username)]))
      .execute();
    return rows.map((r) => r.action);
  }

  /**
   * After the second post: the first's session opens the home page; the second's cookie (the pending
   * sign-in's, which it held) opens nothing and is sent to sign in, told why.
   */
  async function afterSecondStepTwice(
    app: TestApp['app'],
    pending: { cookie: string },
    first: { cookies: { name: string; value: string }[] },
  ) {
    const session = first.cookies.find((c) => c.name === 's2s_session');
    assert.ok(session, 'the first answer sets the signed-in session');
    const home = await app.inject({
      method: 'GET',
      url: '/',
      headers: { cookie: `s2s_session=${session.value}` },
    });
    assert.equal(home.statusCode, 200);
    const stale = await app.inject({ method: 'GET', url: '/', headers: { cookie: pending.cookie } });
    assert.equal(stale.statusCode, 302);
    assert.equal(stale.headers.location, '/sign-in?signed-in-twice=1');
    const page = await app.inject({
      method: 'GET',
      url: '/sign-in?signed-in-twice=1',
      headers: { cookie: pending.cookie },
    });
    assert.equal(page.statusCode, 200);
    assert.match(textOf(page.body), SIGNED_IN_TWICE);
  }

  test("The code of sign-in's second step posted again (a double click): signed in once; the second is sent on as signed in, given no session and counting no failed sign-in", async () => {
    const n = await twoNodesSetUp({ db: database().db });
    try {
      const browser = await atSecondStep(n);
      const pending = browser.session();
      const form = { code: await n.code() };
      const first = await postAs(n.other.app, pending, '/sign-in/two-factor', form);
      assert.deepEqual([first.statusCode, first.headers.location], [302, '/']);
      const again = await postAs(n.other.app, pending, '/sign-in/two-factor', form);
      assert.deepEqual([again.statusCode, again.headers.location], [302, '/']);
      assert.equal(sessionCookieSet(again), false);
      await afterSecondStepTwice(n.other.app, pending, first);
      assert.deepEqual(await signInEvents(n.user.username), ['sign-in', 'sign-in']);
    } finally {
      await n.close();
    }
  });

  for (const nodes of ['one app node', 'two app nodes'] as const) {
    test(`The code of sign-in's second step posted twice at once, on ${nodes}: signed in once; the second is sent on as signed in, given no session and counting no failed sign-in`, async () => {
      // Held as the code's time step is marked used.
      const hold = holdingAfterUpdateOf(database().db, 'two_factor_secrets');
      const n = await twoNodesSetUp(hold);
      try {
        const browser = await atSecondStep(n);
        const pending = browser.session();
        const form = { code: await n.code() };
        const second = nodes === 'one app node' ? n.held.app : n.other.app;
        const answers = await firstHeldThenAnother(
          database(),
          hold,
          () => postAs(n.held.app, pending, '/sign-in/two-factor', form),
          () => postAs(second, pending, '/sign-in/two-factor', form),
        );
        assert.deepEqual(
          answers.map((a) => [a.statusCode, a.headers.location]),
          [
            [302, '/'],
            [302, '/'],
          ],
        );
        assert.deepEqual(answers.map(sessionCookieSet), [true, false]);
        await afterSecondStepTwice(n.other.app, pending, answers[0]);
        // One sign-in by the set-up's browser, one by this one's first post; no failed one.
        assert.deepEqual(await signInEvents(n.user.username), ['sign-in', 'sign-in']);
      } finally {
        await n.close();
      }
    });

    test(`A recovery code at sign-in's second step posted twice at once, on ${nodes}: signed in once, the code used once; the second is sent on as signed in, given no session and counting no failed sign-in`, async () => {
      // Held as the recovery code is marked used.
      const hold = holdingAfterUpdateOf(database().db, 'two_factor_recovery_codes');
      const n = await twoNodesSetUp(hold);
      try {
        const browser = await atSecondStep(n);
        const pending = browser.session();
        const form = { recoveryCode: n.recoveryCodes[0] ?? '' };
        const second = nodes === 'one app node' ? n.held.app : n.other.app;
        const answers = await firstHeldThenAnother(
          database(),
          hold,
          () => postAs(n.held.app, pending, '/sign-in/recovery-code', form),
          () => postAs(second, pending, '/sign-in/recovery-code', form),
        );
        assert.deepEqual(
          answers.map((a) => [a.statusCode, a.headers.location]),
          [
            [302, '/'],
            [302, '/'],
          ],
        );
        assert.deepEqual(answers.map(sessionCookieSet), [true, false]);
        await afterSecondStepTwice(n.other.app, pending, answers[0]);
        assert.deepEqual(await signInEvents(n.user.username), ['sign-in', 'sign-in']);
        assert.deepEqual(await eventsOf(n.user.username, ['recovery-code-used']), ['recovery-code-used']);
      } finally {
        await n.close();
      }
    });

    test(`Make new recovery codes posted twice at once, on ${nodes}: made once; the second says so, counting no failed sign-in`, async () => {
      const hold = heldAt(nodes, () => holdingAfterInsertInto(database().db, 'two_factor_recovery_codes'));
      const n = await twoNodesSetUp(hold);
      try {
        const page = await n.agent.get('/two-factor/recovery-codes');
        const form = {
          ...hiddenFields(page.body, '/two-factor/recovery-codes'),
          code: await n.code(),
        };
        const second = nodes === 'one app node' ? n.held.app : n.other.app;
        const answers = await firstHeldThenAnother(
          database(),
          hold,
          () => n.agent.post('/two-factor/recovery-codes', form, { node: n.held.app }),
          () => n.agent.post('/two-factor/recovery-codes', form, { node: second }),
        );
        assert.deepEqual(
          answers.map((a) => [a.statusCode, a.headers.location]),
          [
            [200, undefined],
            [302, '/two-factor'],
          ],
        );
        assert.match(await shownAfter(n.agent, n.other.app, answers[1]), CODES_MADE_ALREADY);
        assert.deepEqual(await eventsOf(n.user.username, ['recovery-codes-replaced', 'sign-in-failed']), [
          'recovery-codes-replaced',
        ]);
      } finally {
        await n.close();
      }
    });

    test(`Turn off two-factor sign-in posted twice at once, on ${nodes}: turned off once; the second says so, counting no failed sign-in`, async () => {
      const hold = heldAt(nodes, () => holdingAfterDeleteFrom(database().db, 'two_factor_secrets'));
      const n = await twoNodesSetUp(hold);
      try {
        await n.agent.get('/two-factor/turn-off');
        const form = { code: await n.code() };
        const second = nodes === 'one app node' ? n.held.app : n.other.app;
        const answers = await firstHeldThenAnother(
          database(),
          hold,
          () => n.agent.post('/two-factor/turn-off', form, { node: n.held.app }),
          () => n.agent.post('/two-factor/turn-off', form, { node: second }),
        );
        assert.deepEqual(
          answers.map((a) => [a.statusCode, a.headers.location]),
          [
            [302, '/two-factor'],
            [302, '/two-factor'],
          ],
        );
        assert.match(
          await shownAfter(n.agent, n.other.app, answers[1]),
          /Two-factor sign-in was turned off already: this form may have been sent twice\. Nothing was changed this time\./,
        );
        assert.deepEqual(await eventsOf(n.user.username, ['two-factor-turned-off', 'sign-in-failed']), [
          'two-factor-turned-off',
        ]);
      } finally {
        await n.close();
      }
    });
  }
});
