// Web security in one place (issue 12.2): the headers every kind of response carries, the session
// cookie's flags, sessions replaced at sign-in and ended by a password or role change, idle and absolute
// timeouts, throttling per account and per network address, no user enumeration in what sign-in says,
// and argon2id at the OWASP parameters. CSRF on every state-changing page route is proven by the
// permission matrix (test/permissions/route-permissions.test.ts), which walks the route table.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { decoyPasswordHash } from '../../src/auth/passwords.ts';
import type { Db } from '../../src/platform/db/schema.ts';
import { createTestDatabase, type TestDatabase } from '../support/databases.ts';
import { makeLa, makeSchool, makeUser, TEST_PASSWORD } from '../support/factories.ts';
import { Agent, createTestApp, type TestApp } from '../support/web.ts';

/** A sign-in through the form, from a network address (and with the headers a proxy adds). */
async function signInFrom(
  app: FastifyInstance,
  username: string,
  password: string,
  remoteAddress: string,
  headers: Record<string, string> = {},
) {
  const form = await app.inject({ url: '/sign-in', remoteAddress, headers });
  const csrf = /name="_csrf" value="([^"]+)"/.exec(form.body)?.[1] ?? '';
  return app.inject({
    method: 'POST',
    url: '/sign-in',
    remoteAddress,
    headers: {
      ...headers,
      'content-type': 'application/x-www-form-urlencoded',
      cookie: form.cookies.map((c) => `${c.name}=${encodeURIComponent(c.value)}`).join('; '),
    },
    payload: new URLSearchParams({ _csrf: csrf, username, password }).toString(),
  });
}

const OWASP_ARGON2ID = /^\$argon2id\$v=19\$m=19456,t=2,p=1\$/;

function directives(csp: string): Map<string, string[]> {
  return new Map(
    csp
      .split(';')
      .map((d) => d.trim().split(/\s+/))
      .filter((parts) => parts[0])
      .map(([name, ...values]) => [String(name), values]),
  );
}

describe('web security', () => {
  let database: TestDatabase;
  let db: Db;
  let t: TestApp;
  before(async () => {
    database = await createTestDatabase('sqlite');
    db = database.db;
    t = await createTestApp(db);
  });
  after(async () => {
    await t.app.close();
    await database.drop();
  });

  async function signedIn(role: Parameters<typeof makeUser>[1] = 'la_user') {
    const la = await makeLa(db);
    const user = await makeUser(db, role, { laNumber: role === 'national_admin' ? null : la.number });
    const agent = new Agent(t.app);
    assert.equal((await agent.signIn(user.username)).statusCode, 302);
    return { la, user, agent };
  }

  test('every kind of response carries the security headers, and the policy allows no inline code', async () => {
    const { agent } = await signedIn('national_admin');
    const responses = {
      'sign-in page': await t.app.inject({ url: '/sign-in' }),
      'a signed-in page': await agent.get('/'),
      'a CSV download': await agent.get('/dba/audit.csv'),
      'a missing page': await agent.get('/no-such-page'),
      'a stylesheet': await t.app.inject({ url: '/static/app.css' }),
      'the API document': await t.app.inject({ url: '/api/openapi.json' }),
      'an API refusal': await t.app.inject({ url: '/api/v1/files/incoming' }),
    };
    for (const [what, response] of Object.entries(responses)) {
      assert.ok(response.statusCode < 500, `${what}: ${response.statusCode}`);
      const h = response.headers;
      assert.equal(h['x-content-type-options'], 'nosniff', what);
      assert.match(String(h['strict-transport-security']), /max-age=(\d{8,}|3[0-9]{7})/, what);
      assert.match(String(h['strict-transport-security']), /includeSubDomains/, what);
      assert.equal(h['referrer-policy'], 'same-origin', what);
      assert.ok(['DENY', 'SAMEORIGIN'].includes(String(h['x-frame-options'])), what);
      assert.equal(h['x-powered-by'], undefined, `${what}: no framework banner`);
      const csp = String(h['content-security-policy']);
      assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval|\*/, `${what}: ${csp}`);
      const policy = directives(csp);
      assert.deepEqual(policy.get('default-src'), ["'self'"], what);
      assert.deepEqual(policy.get('frame-ancestors'), ["'none'"], what);
      assert.deepEqual(policy.get('object-src'), ["'none'"], what);
      assert.deepEqual(policy.get('form-action'), ["'self'"], what);
      assert.ok(policy.get('script-src')?.includes("'self'"), what);
    }
    // The one inline script (GOV.UK Frontend's js-enabled class) runs by the response's own nonce;
    // there is no inline style or event handler a policy would have to allow.
    const page = responses['a signed-in page'];
    const home = page.body;
    const nonce = directives(String(page.headers['content-security-policy']))
      .get('script-src')
      ?.find((v) => v.startsWith("'nonce-"))
      ?.slice("'nonce-".length, -1);
    assert.ok(nonce, 'script-src has a nonce');
    for (const tag of home.match(/<script(?![^>]*\bsrc=)[^>]*>/g) ?? []) {
      assert.ok(tag.includes(`nonce="${nonce}"`), `${tag} carries this response's nonce`);
    }
    assert.doesNotMatch(home, /\sstyle="/, 'no inline style attribute');
    assert.doesNotMatch(home, /\son[a-z]+="/, 'no inline event handler');
  });

  test('no page is kept by the browser (pupil data must not come back with Back after signing out); assets are', async () => {
    const { agent } = await signedIn('national_admin');
    for (const [what, response] of Object.entries({
      'sign-in page': await t.app.inject({ url: '/sign-in' }),
      'a signed-in page': await agent.get('/'),
      'a redirect': await agent.get('/?lang=en'),
      'a missing page': await agent.get('/no-such-page'),
      'a page asking to sign in': await t.app.inject({ url: '/download/ctf' }),
      'a CSV download': await agent.get('/dba/audit.csv'),
    })) {
      assert.equal(response.headers['cache-control'], 'no-store', what);
    }
    const stylesheet = await t.app.inject({ url: '/static/app.css' });
    assert.match(String(stylesheet.headers['cache-control']), /max-age=3600/);
  });

  test('the session cookie is HttpOnly and SameSite; it is Secure when s2s is reached over HTTPS', async () => {
    const la = await makeLa(db);
    const user = await makeUser(db, 'la_user', { laNumber: la.number });
    const agent = new Agent(t.app);
    const response = await agent.signIn(user.username);
    const cookie = response.cookies.find((c) => c.name === 's2s_session');
    assert.ok(cookie);
    assert.equal(cookie.httpOnly, true);
    assert.equal(cookie.sameSite, 'Lax');
    assert.equal(cookie.path, '/');

    const behindProxy = await createTestApp(db, { TRUST_PROXY: 'true' });
    try {
      const form = await behindProxy.app.inject({
        url: '/sign-in',
        headers: { 'x-forwarded-proto': 'https' },
      });
      const csrf = /name="_csrf" value="([^"]+)"/.exec(form.body)?.[1] ?? '';
      const cookies = form.cookies.map((c) => `${c.name}=${encodeURIComponent(c.value)}`).join('; ');
      const signIn = await behindProxy.app.inject({
        method: 'POST',
        url: '/sign-in',
        headers: {
          'x-forwarded-proto': 'https',
          'content-type': 'application/x-www-form-urlencoded',
          cookie: cookies,
        },
        payload: new URLSearchParams({
          _csrf: csrf,
          username: user.username,
          password: 'correct-horse-battery',
        }).toString(),
      });
      assert.equal(signIn.statusCode, 302, signIn.body);
      assert.equal(signIn.cookies.find((c) => c.name === 's2s_session')?.secure, true);
    } finally {
      await behindProxy.app.close();
    }
  });

  test('every cookie is Secure when SERVICE_URL is https, whatever protocol the request seems to use', async () => {
    // Behind a TLS-terminating load balancer without TRUST_PROXY, requests look like http.
    const la = await makeLa(db);
    const user = await makeUser(db, 'la_user', { laNumber: la.number });
    const https = await createTestApp(db, { SERVICE_URL: 'https://s2s.example.gov.uk' });
    try {
      const agent = new Agent(https.app);
      const form = await https.app.inject({ url: '/sign-in?lang=cy' });
      const language = form.cookies.find((c) => c.name === 's2s_language');
      assert.equal(language?.secure, true, 'the language cookie');
      const signIn = await agent.signIn(user.username);
      const set = signIn.cookies.map((c) => [c.name, c.secure]);
      // The session's and the CSRF secret's cookies are __Host- cookies over https (decision 84).
      assert.ok(
        set.some(([name]) => name === '__Host-s2s_session'),
        JSON.stringify(set),
      );
      for (const [name, secure] of set) assert.equal(secure, true, `${name} after sign-in`);
      const csrfForm = await https.app.inject({ url: '/sign-in' });
      assert.ok(csrfForm.cookies.length > 0);
      for (const c of csrfForm.cookies) assert.equal(c.secure, true, `${c.name} on the sign-in form`);
      const signOut = await agent.post('/sign-out', {});
      assert.ok(signOut.cookies.length > 0);
      for (const c of signOut.cookies) assert.equal(c.secure, true, `${c.name} at sign-out`);
    } finally {
      await https.app.close();
    }
    // An http:// address (a developer's machine) keeps 'auto': no Secure over http.
    const plain = new Agent(t.app);
    const signIn = await plain.signIn(user.username);
    assert.equal(signIn.cookies.find((c) => c.name === 's2s_session')?.secure, undefined);
  });

  test('signing in replaces the session: the token from before no longer works', async () => {
    const { user, agent } = await signedIn();
    const first = agent.cookie('s2s_session');
    await agent.signIn(user.username);
    assert.notEqual(agent.cookie('s2s_session'), first);
    const old = await t.app.inject({ url: '/', headers: { cookie: `s2s_session=${first}` } });
    assert.equal(old.statusCode, 302, 'the replaced session is signed out');
    assert.match(String(old.headers.location), /^\/sign-in/);
  });

  test("a change of role signs the user out everywhere; the DBA's own session goes on", async () => {
    const la = await makeLa(db);
    const dba = await makeUser(db, 'la_dba', { laNumber: la.number });
    const user = await makeUser(db, 'la_user', { laNumber: la.number });
    const theirs = new Agent(t.app);
    await theirs.signIn(user.username);
    assert.equal((await theirs.get('/')).statusCode, 200);
    const admin = new Agent(t.app);
    await admin.signIn(dba.username);
    const changed = await admin.post(
      `/dba/users/${user.id}/role`,
      { role: 'la_plasc' },
      { formPage: `/dba/users/${user.id}/role` },
    );
    assert.equal(changed.statusCode, 302, changed.body);
    const after = await theirs.get('/');
    assert.equal(after.statusCode, 302);
    assert.match(String(after.headers.location), /^\/sign-in/);
    assert.equal((await admin.get('/')).statusCode, 200);
    await theirs.signIn(user.username);
    assert.equal((await theirs.get('/')).statusCode, 200, 'they sign in again, with the new role');
  });

  test('a session ends after 30 idle minutes, and after 12 hours however busy', async () => {
    const idle = await signedIn();
    t.clock.advanceMinutes(29);
    assert.equal((await idle.agent.get('/')).statusCode, 200);
    t.clock.advanceMinutes(31);
    assert.equal((await idle.agent.get('/')).statusCode, 302);

    const busy = await signedIn();
    for (let minutes = 0; minutes < 12 * 60 - 20; minutes += 20) {
      t.clock.advanceMinutes(20);
      assert.equal((await busy.agent.get('/')).statusCode, 200, `after ${minutes + 20} minutes of use`);
    }
    t.clock.advanceMinutes(20);
    const ended = await busy.agent.get('/');
    assert.equal(ended.statusCode, 302, 'past 12 hours the session ends, used or not');
    assert.match(String(ended.headers.location), /^\/sign-in/);
  });

  test('failures from one network address across many accounts are stopped; other addresses are not', async () => {
    const la = await makeLa(db);
    const school = await makeSchool(db, la.number);
    const victim = await makeUser(db, 'school', { laNumber: la.number, establishmentNumber: school.number });
    const attempt = (username: string, password: string, remoteAddress: string) =>
      signInFrom(t.app, username, password, remoteAddress);
    // Four wrong passwords each for five usernames: no account reaches its own limit of five.
    for (let n = 0; n < 20; n += 1) {
      const response = await attempt(`guess-${n % 5}`, `wrong-${n}`, '203.0.113.9');
      assert.equal(response.statusCode, 400, `attempt ${n + 1}`);
    }
    const stopped = await attempt(victim.username, 'correct-horse-battery', '203.0.113.9');
    assert.equal(stopped.statusCode, 429, 'the address is paused, even for a right password');
    const elsewhere = await attempt(victim.username, 'correct-horse-battery', '198.51.100.7');
    assert.equal(elsewhere.statusCode, 302, 'the account itself is not locked for other addresses');
  });

  test("signing in to one's own account from an address does not clear other accounts' failures from it", async () => {
    const la = await makeLa(db);
    const school = await makeSchool(db, la.number);
    const own = await makeUser(db, 'school', { laNumber: la.number, establishmentNumber: school.number });
    const address = '203.0.113.21';
    const attempt = (username: string, password: string) => signInFrom(t.app, username, password, address);
    // The user's own mistakes are cleared by their success; the guesses at other accounts are not.
    assert.equal((await attempt(own.username, 'wrong-1')).statusCode, 400);
    for (let n = 0; n < 18; n += 1) {
      assert.equal((await attempt(`spray-${n % 5}`, `wrong-${n}`)).statusCode, 400);
    }
    assert.equal((await attempt(own.username, TEST_PASSWORD)).statusCode, 302, '19 failures: not paused');
    // 18 failures count now (the user's own went with their success): two more pause the address.
    assert.equal((await attempt('spray-8', 'wrong-18')).statusCode, 400);
    assert.equal((await attempt('spray-9', 'wrong-19')).statusCode, 400);
    assert.equal((await attempt(own.username, TEST_PASSWORD)).statusCode, 429, 'the address is paused');
  });

  test('behind the proxy, the address is the one the proxy added, not what the client wrote before it', async () => {
    const proxied = await createTestApp(db, { TRUST_PROXY: 'true' });
    try {
      const statuses: number[] = [];
      for (let n = 0; n < 21; n += 1) {
        const response = await signInFrom(proxied.app, `proxied-${n % 5}`, `wrong-${n}`, '10.0.0.1', {
          'x-forwarded-for': `198.18.${n}.1, 203.0.113.77`,
        });
        statuses.push(response.statusCode);
      }
      assert.deepEqual(statuses, [...Array(20).fill(400), 429]);
      const other = await signInFrom(proxied.app, 'proxied-other', 'wrong', '10.0.0.1', {
        'x-forwarded-for': '203.0.113.78',
      });
      assert.equal(other.statusCode, 400, 'another client behind the same proxy is not paused');
    } finally {
      await proxied.app.close();
    }
  });

  test('guesses at the current password on Change Password are paused as sign-ins are', async () => {
    const la = await makeLa(db);
    const user = await makeUser(db, 'la_user', { laNumber: la.number });
    const agent = new Agent(t.app);
    assert.equal((await agent.signIn(user.username)).statusCode, 302);
    const change = (current: string) =>
      agent.post(
        '/change-password',
        {
          currentPassword: current,
          newPassword: 'a-new-long-passphrase-9',
          confirmPassword: 'a-new-long-passphrase-9',
        },
        { formPage: '/change-password' },
      );
    for (let n = 0; n < 5; n += 1) {
      const wrong = await change(`wrong-guess-${n}`);
      assert.equal(wrong.statusCode, 400);
      assert.match(wrong.body, /Your current password is not correct/);
    }
    const paused = await change(TEST_PASSWORD);
    assert.equal(paused.statusCode, 400);
    assert.match(paused.body, /There have been too many wrong passwords\. Wait 15 minutes and try again\./);
    const hash = async () =>
      (
        await db
          .selectFrom('users')
          .select('password_hash')
          .where('id', '=', user.id)
          .executeTakeFirstOrThrow()
      ).password_hash;
    const before = await hash();
    t.clock.advanceMinutes(16);
    assert.equal(
      (await change(TEST_PASSWORD)).statusCode,
      302,
      'after the pause, the right password changes it',
    );
    assert.notEqual(await hash(), before);
  });

  test('sign-in says the same for an unknown username as for a wrong password', async () => {
    const la = await makeLa(db);
    const user = await makeUser(db, 'la_user', { laNumber: la.number });
    const unknown = await new Agent(t.app).signIn('nobody-at-all', 'wrong-password-1');
    const wrong = await new Agent(t.app).signIn(user.username, 'wrong-password-1');
    assert.equal(unknown.statusCode, wrong.statusCode);
    const comparable = (html: string, username: string) =>
      html
        .replace(/name="_csrf" value="[^"]+"/g, '')
        .replace(/nonce="[^"]+"/g, '')
        .replaceAll(username, 'USERNAME');
    assert.equal(comparable(unknown.body, 'nobody-at-all'), comparable(wrong.body, user.username));
  });

  test('passwords are stored with argon2id at the OWASP parameters, the decoy for unknown users too', async () => {
    const la = await makeLa(db);
    const user = await makeUser(db, 'la_user', { laNumber: la.number });
    const row = await db
      .selectFrom('users')
      .select('password_hash')
      .where('id', '=', user.id)
      .executeTakeFirstOrThrow();
    assert.match(String(row.password_hash), OWASP_ARGON2ID);
    // An unknown username is checked against this decoy, so it costs what a wrong password costs.
    assert.match(await decoyPasswordHash(), OWASP_ARGON2ID);
  });
});
