// A form's CSRF token belongs to the session it was shown in, and the CSRF cookie is renewed at sign-in
// and sign-out (decision 84). A security test found a token made with no one signed in (its cookie
// planted in a victim's browser by a sibling site, or left on a shared PC) worked on the victim's
// signed-in forms, and a token from before sign-in worked for signing out after.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { totpCodeAt } from '../../src/auth/two-factor-secrets.ts';
import type { UserRow } from '../../src/platform/db/schema.ts';
import { describeEachEngine } from '../support/databases.ts';
import { makeLa, makeSchool, makeUser, TEST_PASSWORD } from '../support/factories.ts';
import { Agent, createTestApp, type TestApp, textOf } from '../support/web.ts';

/** The CSRF secret's cookie this browser holds: its name and value. */
function csrfCookie(agent: Agent): { name: string; value: string } {
  const name = agent.cookieNames().find((n) => /csrf/.test(n));
  assert.ok(name, `a CSRF cookie among ${agent.cookieNames().join(', ')}`);
  return { name, value: agent.cookie(name) ?? '' };
}

/** The CSRF cookie a response set, if it set one. */
function csrfCookieSet(response: { cookies: { name: string; value: string }[] }): string | undefined {
  return response.cookies.find((c) => /csrf/.test(c.name))?.value;
}

const EXPIRED = /The form has expired/;

describeEachEngine('a form token belongs to its session', (database) => {
  let t: TestApp;
  before(async () => {
    t = await createTestApp(database().db);
  });
  after(async () => {
    await t.app.close();
  });

  async function schoolUser(overrides: Partial<UserRow> = {}): Promise<UserRow> {
    const { db } = database();
    const la = await makeLa(db);
    const school = await makeSchool(db, la.number);
    return makeUser(db, 'school', { laNumber: la.number, establishmentNumber: school.number }, overrides);
  }

  async function tokensOf(user: UserRow): Promise<string[]> {
    const rows = await database()
      .db.selectFrom('api_tokens')
      .select('name')
      .where('user_id', '=', user.id)
      .execute();
    return rows.map((row) => row.name);
  }

  const plantedToken = { name: 'planted', scope: 'transfer', expiry: 'never' };

  test("a signed-out form's cookie and token, planted in a signed-in browser, are refused (the security test's repro)", async () => {
    // The attacker: the sign-in page, with no one signed in; its CSRF cookie and token.
    const attacker = new Agent(t.app);
    await attacker.get('/sign-in');
    const planted = csrfCookie(attacker);
    const anonymousToken = attacker.session().csrfToken;

    const user = await schoolUser();
    const victim = new Agent(t.app);
    assert.equal((await victim.signIn(user.username)).statusCode, 302);
    victim.plant(planted.name, planted.value);
    const forged = await victim.post('/account/api-tokens/new', plantedToken, { csrf: anonymousToken });
    assert.equal(forged.statusCode, 403);
    assert.match(forged.body, EXPIRED);
    assert.deepEqual(await tokensOf(user), [], 'no token made');
  });

  test("a token made for another user's session is refused, with that user's cookie or the victim's own", async () => {
    const attackerUser = await schoolUser();
    const attacker = new Agent(t.app);
    await attacker.signIn(attackerUser.username);
    await attacker.get('/account/api-tokens/new');
    const attackersCookie = csrfCookie(attacker);
    const attackersToken = attacker.session().csrfToken;

    const user = await schoolUser();
    const victim = new Agent(t.app);
    await victim.signIn(user.username);
    await victim.get('/account/api-tokens/new');
    const victimsCookie = csrfCookie(victim);

    const withVictimsCookie = await victim.post('/account/api-tokens/new', plantedToken, {
      csrf: attackersToken,
    });
    assert.equal(withVictimsCookie.statusCode, 403);
    victim.plant(attackersCookie.name, attackersCookie.value);
    const withAttackersCookie = await victim.post('/account/api-tokens/new', plantedToken, {
      csrf: attackersToken,
    });
    assert.equal(withAttackersCookie.statusCode, 403);
    assert.match(withAttackersCookie.body, EXPIRED);
    assert.deepEqual(await tokensOf(user), [], 'no token made');

    // The victim's own page still works.
    victim.plant(victimsCookie.name, victimsCookie.value);
    const own = await victim.post(
      '/account/api-tokens/new',
      { ...plantedToken, name: 'own' },
      {
        formPage: '/account/api-tokens/new',
      },
    );
    assert.equal(own.statusCode, 200, own.body);
    assert.deepEqual(await tokensOf(user), ['own']);
  });

  test('the CSRF cookie is renewed at sign-in and at sign-out, and a token from before either is refused', async () => {
    const user = await schoolUser();
    const agent = new Agent(t.app);
    await agent.get('/sign-in');
    const beforeSignIn = csrfCookie(agent).value;
    const signedOutToken = agent.session().csrfToken;

    const signIn = await agent.post('/sign-in', { username: user.username, password: TEST_PASSWORD });
    assert.equal(signIn.statusCode, 302);
    const atSignIn = csrfCookieSet(signIn);
    assert.ok(atSignIn, 'the sign-in sets a new CSRF cookie');
    assert.notEqual(atSignIn, beforeSignIn);

    // A page from before sign-in posted after it (another tab): refused.
    const stale = await agent.post('/sign-out', {}, { csrf: signedOutToken });
    assert.equal(stale.statusCode, 403);
    assert.match(stale.body, EXPIRED);
    assert.equal((await agent.get('/')).statusCode, 200, 'still signed in');

    await agent.get('/sign-out');
    const signedInToken = agent.session().csrfToken;
    const signOut = await agent.post('/sign-out', {});
    assert.equal(signOut.statusCode, 302);
    assert.equal(signOut.headers.location, '/sign-in?signed-out=1');
    const atSignOut = csrfCookieSet(signOut);
    assert.ok(atSignOut, 'the sign-out sets a new CSRF cookie');
    assert.notEqual(atSignOut, atSignIn);

    // A signed-in page's token is no use on the signed-out sign-in form.
    const afterSignOut = await agent.post(
      '/sign-in',
      { username: user.username, password: TEST_PASSWORD },
      { csrf: signedInToken },
    );
    assert.equal(afterSignOut.statusCode, 403);
    assert.equal((await agent.signIn(user.username)).headers.location, '/', 'its own form signs in');
  });

  test('a session ended for want of use is signed out as at sign-out: its cookie cleared, the CSRF cookie renewed', async () => {
    const user = await schoolUser();
    const agent = new Agent(t.app);
    await agent.signIn(user.username);
    await agent.get('/account/api-tokens/new');
    const signedInCookie = csrfCookie(agent).value;
    const signedInToken = agent.session().csrfToken;
    t.clock.advanceMinutes(31);

    const expired = await agent.get('/account/api-tokens/new');
    assert.equal(expired.statusCode, 302);
    assert.equal(expired.headers.location, '/sign-in?expired=1');
    const session = expired.cookies.find((c) => /session/.test(c.name));
    assert.equal(session?.value, '', 'the session cookie is cleared');
    const renewed = csrfCookieSet(expired);
    assert.ok(renewed, 'the expiry sets a new CSRF cookie');
    assert.notEqual(renewed, signedInCookie);

    // The signed-in page's token is no use on the sign-in form; the form shown now signs in.
    const stale = await agent.post(
      '/sign-in',
      { username: user.username, password: TEST_PASSWORD },
      { csrf: signedInToken },
    );
    assert.equal(stale.statusCode, 403);
    assert.equal((await agent.signIn(user.username)).headers.location, '/', 'its own form signs in');
  });

  test('the CSRF cookie is renewed again at the second step of two-factor sign-in', async () => {
    const user = await schoolUser();
    const agent = new Agent(t.app);
    await agent.signIn(user.username);
    const setUp = await agent.get('/two-factor/set-up');
    const secret = (/id="secret">([A-Z2-7 ]+)</.exec(setUp.body)?.[1] ?? '').replace(/ /g, '');
    assert.ok(secret, 'the set-up page shows the secret');
    assert.equal(
      (await agent.post('/two-factor/set-up', { code: await totpCodeAt(secret, t.clock.now()) })).statusCode,
      200,
    );
    await agent.post('/sign-out', {}, { formPage: '/sign-out' });
    t.clock.advanceMinutes(0.5);

    const password = await agent.signIn(user.username);
    assert.equal(password.headers.location, '/sign-in/two-factor');
    assert.ok(csrfCookieSet(password), 'renewed after the password');
    const secondStepToken = agent.session().csrfToken;
    const secondStepCookie = csrfCookie(agent).value;
    const done = await agent.post('/sign-in/two-factor', { code: await totpCodeAt(secret, t.clock.now()) });
    assert.equal(done.statusCode, 302);
    assert.equal(done.headers.location, '/');
    const renewed = csrfCookieSet(done);
    assert.ok(renewed, 'renewed after the second step');
    assert.notEqual(renewed, secondStepCookie);

    const stale = await agent.post('/sign-out', {}, { csrf: secondStepToken });
    assert.equal(stale.statusCode, 403);
    const signOut = await agent.post('/sign-out', {}, { formPage: '/sign-out' });
    assert.equal(signOut.headers.location, '/sign-in?signed-out=1');
  });

  test('a page opened before signing in and posted after is told to reload, in English and in Welsh', async () => {
    for (const [language, words] of [
      ['en', [/The form has expired/, /signed in or out/, /reload the page and try again/]],
      ['cy', [/Mae’r ffurflen wedi dod i ben/, /mewngofnodi neu allgofnodi/, /ail-lwythwch y dudalen/]],
    ] as const) {
      const user = await schoolUser({ language });
      const agent = new Agent(t.app);
      await agent.get('/sign-in');
      const otherTab = agent.session().csrfToken;
      await agent.signIn(user.username);
      const refused = await agent.post(
        '/sign-in',
        { username: user.username, password: TEST_PASSWORD },
        { csrf: otherTab },
      );
      assert.equal(refused.statusCode, 403);
      for (const said of words) assert.match(textOf(refused.body), said, language);
    }
  });

  test("a signed-in page's warning before signing out keeps the session alive with the page's token", async () => {
    const user = await schoolUser();
    const agent = new Agent(t.app);
    await agent.get('/sign-in');
    const signedOutToken = agent.session().csrfToken;
    await agent.signIn(user.username);
    const page = await agent.get('/');
    const pageToken = /data-csrf-token="([^"]+)"/.exec(page.body)?.[1];
    assert.ok(pageToken, "the page's script has a token");
    assert.equal((await agent.post('/session/keep-alive', {}, { csrf: signedOutToken })).statusCode, 403);
    assert.equal((await agent.post('/session/keep-alive', {}, { csrf: pageToken })).statusCode, 204);
  });
});

describeEachEngine('the session and CSRF cookies when SERVICE_URL is https', (database) => {
  let t: TestApp;
  before(async () => {
    t = await createTestApp(database().db, { SERVICE_URL: 'https://s2s.example.gov.uk' });
  });
  after(async () => {
    await t.app.close();
  });

  test('are __Host- cookies (Secure, Path=/, no Domain), and signing in and out works with them', async () => {
    const { db } = database();
    const la = await makeLa(db);
    const user = await makeUser(db, 'la_user', { laNumber: la.number });
    const agent = new Agent(t.app);
    const form = await agent.get('/sign-in');
    const signIn = await agent.signIn(user.username);
    assert.equal(signIn.headers.location, '/');
    for (const [response, name] of [
      [form, '__Host-s2s_csrf'],
      [signIn, '__Host-s2s_csrf'],
      [signIn, '__Host-s2s_session'],
    ] as const) {
      const cookie = response.cookies.find((c) => c.name === name);
      assert.ok(cookie, `${name} among ${response.cookies.map((c) => c.name).join(', ')}`);
      assert.equal(cookie.secure, true, name);
      assert.equal(cookie.path, '/', name);
      assert.equal(cookie.domain, undefined, name);
    }
    assert.equal(agent.cookie('s2s_session'), undefined, 'no session cookie by the old name');
    assert.equal((await agent.get('/')).statusCode, 200);
    // A session cookie by the old name (a node of the previous version set it) is not read.
    const old = new Agent(t.app);
    old.plant('s2s_session', agent.cookie('__Host-s2s_session') ?? '');
    assert.equal((await old.get('/')).headers.location, '/sign-in');
    const signOut = await agent.post('/sign-out', {}, { formPage: '/sign-out' });
    assert.equal(signOut.headers.location, '/sign-in?signed-out=1');
    assert.equal(agent.cookie('__Host-s2s_session'), undefined, 'the session cookie is cleared');
  });
});
