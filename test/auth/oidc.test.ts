// Single sign-on (OpenID Connect) through the pages (app.inject), against a real oidc-provider on a port
// of 127.0.0.1: the provider's discovery, authorization (PKCE), token and UserInfo endpoints and signed ID
// tokens are real; the person's browser at the provider is ProviderBrowser. On SQLite and PostgreSQL.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { providerUsedMultipleFactors } from '../../src/auth/oidc.ts';
import { totpCodeAt } from '../../src/auth/two-factor-secrets.ts';
import { loadConfig } from '../../src/config.ts';
import type { Db, UserRow } from '../../src/platform/db/schema.ts';
import { describeEachEngine } from '../support/databases.ts';
import { makeLa, makeSchool, makeUser } from '../support/factories.ts';
import {
  type ProviderAccount,
  ProviderBrowser,
  startTestProvider,
  type TestProvider,
} from '../support/oidc-provider.ts';
import { actorOf } from '../support/transfers.ts';
import { Agent, createTestApp, type TestApp } from '../support/web.ts';

const REDIRECT_URI = 'http://s2s.test/sign-in/oidc/callback';

let provider: TestProvider;
before(async () => {
  provider = await startTestProvider({ redirectUris: [REDIRECT_URI] });
});
after(async () => {
  await provider?.stop();
});

/** A fresh person at the provider: their login name there, and their subject. */
function person(account: Omit<ProviderAccount, 'sub'> = {}): { login: string; sub: string } {
  const login = `p${randomUUID().slice(0, 8)}`;
  const sub = randomUUID();
  provider.addAccount(login, { sub, ...account });
  return { login, sub };
}

/** The page's text without its markup, to match messages in. */
function text(html: string): string {
  return html
    .replace(/<[^>]+>/g, ' ')
    .replace(/&#39;|&rsquo;|’/g, "'")
    .replace(/\s+/g, ' ');
}

describe('which authentication methods count as a second factor', () => {
  test('amr naming a second factor, or an acr the operator listed', () => {
    assert.equal(providerUsedMultipleFactors({ amr: ['pwd'] }, []), false);
    assert.equal(providerUsedMultipleFactors({ amr: ['pwd', 'otp'] }, []), true);
    assert.equal(providerUsedMultipleFactors({ amr: ['mfa'] }, []), true);
    assert.equal(providerUsedMultipleFactors({ amr: ['hwk'] }, []), true);
    assert.equal(providerUsedMultipleFactors({ amr: 'mfa' }, []), false, 'amr is an array or nothing');
    assert.equal(providerUsedMultipleFactors({ acr: 'urn:la:mfa' }, ['urn:la:mfa']), true);
    assert.equal(providerUsedMultipleFactors({ acr: 'urn:la:pwd' }, ['urn:la:mfa']), false);
    assert.equal(providerUsedMultipleFactors({}, []), false);
  });
});

describe('single sign-on settings', () => {
  const sso = {
    OIDC_ISSUER: 'https://login.example.gov.uk',
    OIDC_CLIENT_ID: 's2s',
    OIDC_CLIENT_SECRET: 'secret',
  };
  const production = {
    S2S_ENV: 'production',
    COOKIE_SECRET: 'x'.repeat(40),
    SMTP_HOST: 'smtp.example.gov.uk',
    SERVICE_URL: 'https://s2s.example.gov.uk',
    CLAMD_SOCKET: '/run/clamav/clamd.ctl',
    MASTER_KEY: Buffer.alloc(32, 7).toString('base64'),
  };

  test('off unless configured; the callback derives from SERVICE_URL; matching only by verified email', () => {
    assert.equal(loadConfig({}).oidc, null);
    assert.deepEqual(loadConfig({ ...production, ...sso }).oidc, {
      issuer: 'https://login.example.gov.uk',
      clientId: 's2s',
      clientSecret: 'secret',
      clientAuth: 'client_secret_basic',
      redirectUri: 'https://s2s.example.gov.uk/sign-in/oidc/callback',
      buttonText: 'Sign in with your LA account',
      emailMatch: 'verified',
      mfaAcrValues: [],
    });
    const custom = loadConfig({
      ...sso,
      OIDC_BUTTON_TEXT: 'Sign in with your Testshire account',
      OIDC_EMAIL_MATCH: 'off',
      OIDC_MFA_ACR: 'urn:la:mfa, urn:la:strong',
    }).oidc;
    assert.equal(custom?.buttonText, 'Sign in with your Testshire account');
    assert.equal(custom?.emailMatch, 'off');
    assert.deepEqual(custom?.mfaAcrValues, ['urn:la:mfa', 'urn:la:strong']);
  });

  test('half a configuration, or http:// in production, stops start-up naming the variable', () => {
    assert.throws(() => loadConfig({ OIDC_ISSUER: sso.OIDC_ISSUER }), /OIDC_CLIENT_ID: must be set/);
    assert.throws(
      () => loadConfig({ OIDC_CLIENT_ID: 's2s', OIDC_CLIENT_SECRET: 'x' }),
      /OIDC_ISSUER: must be set/,
    );
    assert.throws(() => loadConfig({ ...sso, OIDC_EMAIL_MATCH: 'sometimes' }), /OIDC_EMAIL_MATCH/);
    assert.throws(
      () => loadConfig({ ...production, ...sso, OIDC_ISSUER: 'http://login.example.gov.uk' }),
      /OIDC_ISSUER: must be an https:\/\/ address in production/,
    );
    assert.throws(
      () =>
        loadConfig({
          ...production,
          ...sso,
          OIDC_REDIRECT_URI: 'http://s2s.example.gov.uk/sign-in/oidc/callback',
        }),
      /OIDC_REDIRECT_URI: must be an https:\/\/ address in production/,
    );
    assert.equal(
      loadConfig({ ...sso, OIDC_ISSUER: 'http://127.0.0.1:4000' }).oidc?.issuer,
      'http://127.0.0.1:4000',
    );
  });
});

describeEachEngine('single sign-on (OpenID Connect)', (database) => {
  let t: TestApp;
  before(async () => {
    // Two-factor sign-in required of its roles, as in production.
    t = await createTestApp(database().db, { ...provider.env(REDIRECT_URI), TWO_FACTOR_REQUIRED: 'true' });
  });
  after(async () => {
    await t.app.close();
  });

  /** Starts single sign-on in s2s: the provider's address the browser is sent to. */
  async function start(agent: Agent): Promise<string> {
    const started = await agent.get('/sign-in/oidc');
    assert.equal(started.statusCode, 302, started.body.slice(0, 300));
    const location = String(started.headers.location);
    assert.ok(location.startsWith(`${provider.issuer}/`), location);
    return location;
  }

  /** The whole journey: s2s, the provider's login page, back to s2s. The callback's response. */
  async function singleSignOn(agent: Agent, login: string | { cancel: true }) {
    const back = await new ProviderBrowser(provider).signIn(await start(agent), login);
    assert.equal(`${back.origin}${back.pathname}`, REDIRECT_URI);
    return agent.get(`${back.pathname}${back.search}`);
  }

  async function audits(db: Db, action: string) {
    const rows = await db.selectFrom('audit_events').selectAll().where('action', '=', action).execute();
    return rows.map((row) => ({ ...row, detail: JSON.parse(row.detail ?? '{}') as Record<string, unknown> }));
  }

  /** The account-changed emails written to the user: what changed, and by whom. */
  async function accountEmails(db: Db, user: UserRow) {
    const rows = await db
      .selectFrom('notification_outbox')
      .select(['template', 'payload'])
      .where('recipient_kind', '=', 'user')
      .where('recipient', '=', user.id)
      .where('template', '=', 'account-changed')
      .execute();
    return rows.map((row) => {
      const { change, by } = JSON.parse(row.payload) as { change: string; by: string };
      return { change, by };
    });
  }

  async function identitiesOf(db: Db, user: UserRow) {
    return db.selectFrom('oidc_identities').selectAll().where('user_id', '=', user.id).execute();
  }

  test('the sign-in page offers the button, which sends the browser to the provider with PKCE, state and nonce', async () => {
    const agent = new Agent(t.app);
    const page = await agent.get('/sign-in');
    assert.match(page.body, /<a href="\/sign-in\/oidc" role="button"[^>]*>\s*Sign in with your LA account/);
    const url = new URL(await start(agent));
    assert.equal(url.searchParams.get('client_id'), provider.clientId);
    assert.equal(url.searchParams.get('redirect_uri'), REDIRECT_URI);
    assert.equal(url.searchParams.get('code_challenge_method'), 'S256');
    assert.ok(url.searchParams.get('code_challenge'));
    assert.ok(url.searchParams.get('state'));
    assert.ok(url.searchParams.get('nonce'));
    assert.match(url.searchParams.get('scope') ?? '', /\bopenid\b.*\bemail\b/);
    const flow = agent.cookie('s2s_oidc');
    assert.ok(flow, 'the flow waits in a cookie');
    assert.ok(!flow.includes(url.searchParams.get('state') ?? '-'), 'encoded, not in clear');

    const plain = await createTestApp(database().db);
    try {
      const without = await new Agent(plain.app).get('/sign-in');
      assert.doesNotMatch(without.body, /sign-in\/oidc/, 'no button unless configured');
      assert.equal((await new Agent(plain.app).get('/sign-in/oidc')).statusCode, 404);
    } finally {
      await plain.app.close();
    }
  });

  test('a first sign-in finds the account by verified email (any case) and links the subject, which later sign-ins use', async () => {
    const { db } = database();
    const la = await makeLa(db);
    const { login, sub } = person({ email: 'Robin.Hood@Testshire.example.gov.uk', email_verified: true });
    const user = await makeUser(
      db,
      'la_user',
      { laNumber: la.number },
      { email: 'robin.hood@testshire.example.gov.uk' },
    );
    const agent = new Agent(t.app);
    const callback = await new ProviderBrowser(provider).signIn(await start(agent), login);
    const back = await agent.get(`${callback.pathname}${callback.search}`);
    assert.equal(back.statusCode, 302);
    assert.equal(back.headers.location, '/');
    assert.equal(agent.cookie('s2s_oidc'), undefined, 'the flow is used once');
    assert.equal(
      (await agent.get(`${callback.pathname}${callback.search}`)).headers.location,
      '/',
      'the callback opened again once signed in: back to the home page',
    );
    const home = await agent.get('/');
    assert.equal(home.statusCode, 200);
    assert.match(home.body, new RegExp(`Signed in as <strong>${user.username}</strong>`));

    const [identity, ...more] = await identitiesOf(db, user);
    assert.equal(more.length, 0);
    assert.equal(identity?.issuer, provider.issuer);
    assert.equal(identity?.subject, sub);
    assert.equal(identity?.linked_email, 'Robin.Hood@Testshire.example.gov.uk');
    const linked = (await audits(db, 'oidc-linked')).find((a) => a.actor_user_id === user.id);
    assert.equal(linked?.detail.subject, sub);
    const signIn = (await audits(db, 'sign-in')).find((a) => a.actor_user_id === user.id);
    assert.equal(signIn?.detail.method, 'oidc');
    assert.equal(signIn?.organisation, la.number);
    // The user is told their account was linked, at their own address (decision 70).
    assert.deepEqual(await accountEmails(db, user), [{ change: 'single-sign-on-linked', by: 'you' }]);

    // The account's email address changes: the linked subject still finds it.
    await db
      .updateTable('users')
      .set({ email: 'someone.else@example.gov.uk' })
      .where('id', '=', user.id)
      .execute();
    const again = new Agent(t.app);
    assert.equal((await singleSignOn(again, login)).headers.location, '/');
    assert.match((await again.get('/')).body, new RegExp(`Signed in as <strong>${user.username}</strong>`));
    const [used] = await identitiesOf(db, user);
    assert.ok(used?.last_used_at);
    assert.equal((await accountEmails(db, user)).length, 1, 'a sign-in by the linked identity links nothing');
  });

  test('an identity linked before signs in by its subject alone, with no email address at all', async () => {
    const { db } = database();
    const la = await makeLa(db);
    const { login, sub } = person();
    const user = await makeUser(db, 'la_user', { laNumber: la.number });
    await db
      .insertInto('oidc_identities')
      .values({
        id: randomUUID(),
        issuer: provider.issuer,
        subject: sub,
        user_id: user.id,
        linked_email: null,
        linked_at: '2026-11-01T09:00:00.000Z',
        last_used_at: null,
      })
      .execute();
    const agent = new Agent(t.app);
    assert.equal((await singleSignOn(agent, login)).headers.location, '/');
    assert.match((await agent.get('/')).body, new RegExp(`Signed in as <strong>${user.username}</strong>`));
  });

  test('an email address the provider did not verify finds no account, and nothing is linked', async () => {
    const { db } = database();
    const la = await makeLa(db);
    const email = `unverified-${randomUUID().slice(0, 6)}@example.gov.uk`;
    const { login } = person({ email, email_verified: false });
    const user = await makeUser(db, 'la_user', { laNumber: la.number }, { email });
    const agent = new Agent(t.app);
    const back = await singleSignOn(agent, login);
    assert.equal(back.statusCode, 403);
    assert.match(text(back.body), /did not confirm that it checked your email address/);
    assert.equal(agent.cookie('s2s_session'), undefined);
    assert.deepEqual(await identitiesOf(db, user), []);
    const refused = (await audits(db, 'sign-in-failed')).find((a) => a.detail.email === email);
    assert.equal(refused?.detail.reason, 'email-not-verified');
    assert.equal(refused?.detail.method, 'oidc');
  });

  test('the problem pages are in Welsh for a browser that chose Welsh', async () => {
    const email = `dieithryn-${randomUUID().slice(0, 6)}@example.gov.uk`;
    const { login } = person({ email, email_verified: true });
    const agent = new Agent(t.app);
    await agent.get('/sign-in?lang=cy');
    const back = await singleSignOn(agent, login);
    assert.equal(back.statusCode, 403);
    assert.match(back.body, /<html lang="cy"/);
    assert.match(back.body, /<h1 class="govuk-heading-l">Nid yw s2s yn adnabod eich cyfrif<\/h1>/);
    assert.match(
      text(back.body),
      new RegExp(`nid oes gan s2s gyfrif i chi gyda'r cyfeiriad e-bost ${email}`),
    );
    assert.match(text(back.body), /Ewch i'r dudalen mewngofnodi/, "text() reads ’ as '");
  });

  test('a person s2s does not know is told to ask their LEA administrator, and no account is made', async () => {
    const { db } = database();
    const email = `stranger-${randomUUID().slice(0, 6)}@example.gov.uk`;
    const { login } = person({ email, email_verified: true });
    const count = async () =>
      Number(
        (
          await db
            .selectFrom('users')
            .select((eb) => eb.fn.countAll().as('n'))
            .executeTakeFirst()
        )?.n,
      );
    const before = await count();
    const agent = new Agent(t.app);
    const back = await singleSignOn(agent, login);
    assert.equal(back.statusCode, 403);
    const page = text(back.body);
    assert.match(page, /Your account is not known to s2s/);
    assert.match(page, /Ask your LEA administrator/);
    assert.match(page, new RegExp(email));
    assert.doesNotMatch(back.body, /at \w+ \(|Error:/, 'no stack trace');
    assert.equal(await count(), before);
    assert.equal(agent.cookie('s2s_session'), undefined);
    const refused = (await audits(db, 'sign-in-failed')).find((a) => a.detail.email === email);
    assert.equal(refused?.detail.reason, 'unknown-user');
  });

  test('two accounts with the email address: refused, neither is linked', async () => {
    const { db } = database();
    const la = await makeLa(db);
    const email = `shared-${randomUUID().slice(0, 6)}@example.gov.uk`;
    const { login } = person({ email, email_verified: true });
    const first = await makeUser(db, 'la_user', { laNumber: la.number }, { email });
    const second = await makeUser(db, 'la_plasc', { laNumber: la.number }, { email: email.toUpperCase() });
    const back = await singleSignOn(new Agent(t.app), login);
    assert.equal(back.statusCode, 403);
    assert.match(text(back.body), /More than one s2s account has the email address/);
    assert.deepEqual(await identitiesOf(db, first), []);
    assert.deepEqual(await identitiesOf(db, second), []);
  });

  test('users of an inactive school, deleted accounts and accounts paused for failed sign-ins are refused', async () => {
    const { db } = database();
    const la = await makeLa(db);
    const school = await makeSchool(db, la.number, { active: 0 });
    const schoolEmail = `inactive-${randomUUID().slice(0, 6)}@example.sch.uk`;
    const inactive = person({ email: schoolEmail, email_verified: true });
    await makeUser(
      db,
      'school',
      { laNumber: la.number, establishmentNumber: school.number },
      { email: schoolEmail },
    );
    const refused = await singleSignOn(new Agent(t.app), inactive.login);
    assert.equal(refused.statusCode, 403);
    assert.match(text(refused.body), /school's s2s account is inactive/);

    const deletedEmail = `deleted-${randomUUID().slice(0, 6)}@example.gov.uk`;
    const gone = person({ email: deletedEmail, email_verified: true });
    await makeUser(
      db,
      'la_user',
      { laNumber: la.number },
      { email: deletedEmail, deleted_at: '2026-11-02T09:00:00.000Z' },
    );
    const deleted = await singleSignOn(new Agent(t.app), gone.login);
    assert.equal(deleted.statusCode, 403);
    assert.match(text(deleted.body), /Your account is not known to s2s/);

    const lockedEmail = `locked-${randomUUID().slice(0, 6)}@example.gov.uk`;
    // An LA's DBA: only the national administrator can lift its pause (decision 69).
    const locked = await makeUser(db, 'la_dba', { laNumber: la.number }, { email: lockedEmail });
    const guesser = new Agent(t.app);
    for (let i = 0; i < 5; i += 1) await guesser.signIn(locked.username, `wrong-${i}`);
    const owner = person({ email: lockedEmail, email_verified: true });
    const agent = new Agent(t.app);
    const paused = await singleSignOn(agent, owner.login);
    assert.equal(paused.statusCode, 429);
    assert.match(
      text(paused.body),
      /too many failed attempts to sign in to your s2s account. Wait 15 minutes and try again, or contact the s2s national administrator, who/,
    );
    assert.equal(agent.cookie('s2s_session'), undefined);
    const audit = (await audits(db, 'sign-in-failed')).filter((a) => a.subject_id === locked.username);
    assert.ok(audit.some((a) => a.detail.reason === 'throttled' && a.detail.method === 'oidc'));
  });

  test('a tampered state, a flow from another browser or one started too long ago are refused', async () => {
    const { db } = database();
    const la = await makeLa(db);
    const email = `state-${randomUUID().slice(0, 6)}@example.gov.uk`;
    const { login } = person({ email, email_verified: true });
    const user = await makeUser(db, 'la_user', { laNumber: la.number }, { email });

    // The state changed on the way back.
    const agent = new Agent(t.app);
    const back = await new ProviderBrowser(provider).signIn(await start(agent), login);
    back.searchParams.set('state', `${back.searchParams.get('state')}x`);
    const tampered = await agent.get(`${back.pathname}${back.search}`);
    assert.equal(tampered.statusCode, 400);
    assert.match(text(tampered.body), /does not belong to the sign-in started in this browser/);
    assert.equal(agent.cookie('s2s_session'), undefined);

    // The provider's answer opened in another browser (without the flow's cookie).
    const other = await new ProviderBrowser(provider).signIn(await start(new Agent(t.app)), login);
    const elsewhere = await new Agent(t.app).get(`${other.pathname}${other.search}`);
    assert.equal(elsewhere.statusCode, 400);
    assert.match(text(elsewhere.body), /Signing in took too long/);

    // Too slow: the flow lasts 10 minutes.
    const slow = new Agent(t.app);
    const slowBack = await new ProviderBrowser(provider).signIn(await start(slow), login);
    t.clock.advanceMinutes(11);
    const late = await slow.get(`${slowBack.pathname}${slowBack.search}`);
    assert.equal(late.statusCode, 400);
    assert.match(text(late.body), /must be finished within 10 minutes/);

    assert.deepEqual(await identitiesOf(db, user), [], 'nothing linked');
    const reasons = (await audits(db, 'sign-in-failed')).map((a) => a.detail.reason);
    assert.ok(reasons.includes('state-mismatch'));
    assert.ok(reasons.includes('flow-expired'));
  });

  test('cancelling at the provider (error=access_denied) shows what happened, and is audited', async () => {
    const { db } = database();
    const before = (await audits(db, 'sign-in-failed')).length;
    const agent = new Agent(t.app);
    const back = await singleSignOn(agent, { cancel: true });
    assert.equal(back.statusCode, 403);
    const page = text(back.body);
    assert.match(page, /You did not sign in/);
    assert.match(page, /Signing in was cancelled at your LA's sign-in service/);
    assert.match(back.body, /href="\/sign-in"/);
    assert.equal(agent.cookie('s2s_session'), undefined);
    const refused = (await audits(db, 'sign-in-failed')).slice(before);
    assert.ok(
      refused.some((a) => a.detail.reason === 'provider-error' && a.detail.providerError === 'access_denied'),
    );
  });

  test('a provider that cannot be reached: a clear page, not a stack trace', async () => {
    const unreachable = await createTestApp(database().db, {
      ...provider.env(REDIRECT_URI),
      // A port nothing listens on: the stopped server below.
      OIDC_ISSUER: 'http://127.0.0.1:9/unreachable',
    });
    try {
      const page = await new Agent(unreachable.app).get('/sign-in/oidc');
      assert.equal(page.statusCode, 503);
      assert.match(text(page.body), /cannot be reached/);
      assert.match(text(page.body), /sign in with your s2s username and password/);
    } finally {
      await unreachable.app.close();
    }
  });

  test('two-factor sign-in: a code is still asked unless the provider used a second factor', async () => {
    const { db } = database();
    const la = await makeLa(db);

    // Set up in s2s, and the provider used a password alone: the s2s code is asked.
    const enrolledEmail = `enrolled-${randomUUID().slice(0, 6)}@example.gov.uk`;
    const enrolled = await makeUser(db, 'la_user', { laNumber: la.number }, { email: enrolledEmail });
    const pending = await t.deps.auth.twoFactor.setUp(actorOf(enrolled));
    assert.ok(pending);
    await t.deps.auth.twoFactor.confirm(actorOf(enrolled), await totpCodeAt(pending.secret, t.clock.now()));
    const passwordOnly = person({ email: enrolledEmail, email_verified: true, amr: ['pwd'] });
    const agent = new Agent(t.app);
    const back = await singleSignOn(agent, passwordOnly.login);
    assert.equal(back.headers.location, '/sign-in/two-factor');
    assert.equal((await agent.get('/')).headers.location, '/sign-in/two-factor', 'nothing opens yet');
    await agent.get('/sign-in/two-factor');
    t.clock.advanceMinutes(0.5);
    const code = await agent.post('/sign-in/two-factor', {
      code: await totpCodeAt(pending.secret, t.clock.now()),
    });
    assert.equal(code.headers.location, '/');
    assert.equal((await agent.get('/')).statusCode, 200);
    const signIn = (await audits(db, 'sign-in')).find((a) => a.actor_user_id === enrolled.id);
    assert.deepEqual(signIn?.detail, { method: 'oidc', secondStep: 'code' });

    // A role that must use it, not set up in s2s: with the provider's second factor it is not asked for.
    const dbaEmail = `dba-${randomUUID().slice(0, 6)}@example.gov.uk`;
    const dba = await makeUser(db, 'la_dba', { laNumber: la.number }, { email: dbaEmail });
    const withMfa = person({ email: dbaEmail, email_verified: true, amr: ['pwd', 'otp'] });
    const strong = new Agent(t.app);
    assert.equal((await singleSignOn(strong, withMfa.login)).headers.location, '/');
    assert.equal((await strong.get('/dba/users')).statusCode, 200, 'the DBA pages open');
    const dbaSignIn = (await audits(db, 'sign-in')).find((a) => a.actor_user_id === dba.id);
    assert.deepEqual(dbaSignIn?.detail, { method: 'oidc', secondStep: 'provider' });

    // The same account, the provider's password alone: s2s's set-up is asked for, as after a password.
    await db.deleteFrom('oidc_identities').where('user_id', '=', dba.id).execute();
    const weak = person({ email: dbaEmail, email_verified: true, amr: ['pwd'] });
    const weakAgent = new Agent(t.app);
    assert.equal((await singleSignOn(weakAgent, weak.login)).headers.location, '/two-factor/set-up');
    assert.equal((await weakAgent.get('/dba/users')).headers.location, '/two-factor/set-up');
  });

  test('the DBA sees the linked sign-in on the user page and unlinks it: audited, and the user is signed out', async () => {
    const { db } = database();
    const la = await makeLa(db);
    const email = `linked-${randomUUID().slice(0, 6)}@example.gov.uk`;
    const { login, sub } = person({ email, email_verified: true, amr: ['mfa'] });
    const user = await makeUser(db, 'la_user', { laNumber: la.number }, { email });
    const userAgent = new Agent(t.app);
    assert.equal((await singleSignOn(userAgent, login)).headers.location, '/');

    const dbaEmail = `unlinker-${randomUUID().slice(0, 6)}@example.gov.uk`;
    const dbaPerson = person({ email: dbaEmail, email_verified: true, amr: ['mfa'] });
    await makeUser(db, 'la_dba', { laNumber: la.number }, { email: dbaEmail });
    const dba = new Agent(t.app);
    assert.equal((await singleSignOn(dba, dbaPerson.login)).headers.location, '/');
    const page = await dba.get(`/dba/users/${user.id}`);
    assert.equal(page.statusCode, 200);
    assert.match(
      text(page.body),
      new RegExp(`Single sign-on Linked to the account ${sub} of ${provider.issuer}`),
    );
    assert.match(page.body, new RegExp(`href="/dba/users/${user.id}/single-sign-on"`));

    const confirm = await dba.get(`/dba/users/${user.id}/single-sign-on`);
    assert.equal(confirm.statusCode, 200);
    const done = await dba.post(`/dba/users/${user.id}/single-sign-on`, {});
    assert.equal(done.headers.location, `/dba/users/${user.id}`);
    assert.match(
      text((await dba.get(`/dba/users/${user.id}`)).body),
      /has been unlinked and they have been signed out/,
    );
    assert.deepEqual(await identitiesOf(db, user), []);
    assert.equal((await userAgent.get('/')).statusCode, 302, 'signed out');
    const unlinked = (await audits(db, 'oidc-unlinked')).find((a) => a.subject_id === user.username);
    assert.deepEqual(unlinked?.detail, { identities: [{ issuer: provider.issuer, subject: sub }] });

    // The user signs in again: found by email address, linked again.
    assert.equal((await singleSignOn(new Agent(t.app), login)).headers.location, '/');
    assert.equal((await identitiesOf(db, user)).length, 1);

    // Deleting the account frees the identity: the person may be given a new account.
    assert.equal(
      (await dba.post(`/dba/users/${user.id}/delete`, {}, { formPage: `/dba/users/${user.id}/delete` }))
        .statusCode,
      302,
    );
    assert.deepEqual(await identitiesOf(db, user), []);
  });
  test('an email address corrected by the DBA moves no single sign-on to someone else (decision 78)', async () => {
    const { db } = database();
    const la = await makeLa(db);
    const mail = (name: string) => `${name}-${randomUUID().slice(0, 6)}@example.gov.uk`;
    const dbaEmail = mail('corrector');
    const dbaPerson = person({ email: dbaEmail, email_verified: true, amr: ['mfa'] });
    await makeUser(db, 'la_dba', { laNumber: la.number }, { email: dbaEmail });
    const dba = new Agent(t.app);
    assert.equal((await singleSignOn(dba, dbaPerson.login)).headers.location, '/');
    const correct = async (user: UserRow, email: string) => {
      const form = await dba.get(`/dba/users/${user.id}/details`);
      assert.equal(form.statusCode, 200);
      const seen = (name: string) => new RegExp(`name="${name}" value="([^"]*)"`).exec(form.body)?.[1] ?? '';
      const saved = await dba.post(`/dba/users/${user.id}/details`, {
        fullNameAsSeen: seen('fullNameAsSeen'),
        emailAsSeen: seen('emailAsSeen'),
        telephoneAsSeen: seen('telephoneAsSeen'),
        fullName: user.full_name,
        email,
        telephone: '',
      });
      assert.equal(saved.statusCode, 302, saved.body.slice(0, 300));
    };

    // Linked: it stays linked by its subject. Someone else at the provider with the new address is refused.
    const linkedOld = mail('linked');
    const owner = person({ email: linkedOld, email_verified: true });
    const linked = await makeUser(db, 'la_user', { laNumber: la.number }, { email: linkedOld });
    assert.equal((await singleSignOn(new Agent(t.app), owner.login)).headers.location, '/');
    const linkedNew = mail('linked-new');
    const form = await dba.get(`/dba/users/${linked.id}/details`);
    assert.match(
      text(form.body),
      /linked to single sign-on by the person's account at their organisation's sign-in service/,
    );
    await correct(linked, linkedNew);
    const someoneElse = person({ email: linkedNew, email_verified: true });
    const refused = await singleSignOn(new Agent(t.app), someoneElse.login);
    assert.equal(refused.statusCode, 403, 'not signed in as the linked account');
    const ownerAgain = new Agent(t.app);
    assert.equal((await singleSignOn(ownerAgain, owner.login)).headers.location, '/');
    assert.match(
      (await ownerAgain.get('/')).body,
      new RegExp(`Signed in as <strong>${linked.username}</strong>`),
    );
    assert.deepEqual(
      (await identitiesOf(db, linked)).map((i) => i.subject),
      [owner.sub],
    );

    // Not linked: the old address no longer finds it (whoever holds that address at the provider now),
    // and the new address does, once, at its owner's first single sign-on.
    const oldAddress = mail('leaver');
    const former = person({ email: oldAddress, email_verified: true });
    const unlinked = await makeUser(db, 'la_user', { laNumber: la.number }, { email: oldAddress });
    const newAddress = mail('joiner');
    await correct(unlinked, newAddress);
    const byOld = await singleSignOn(new Agent(t.app), former.login);
    assert.equal(byOld.statusCode, 403);
    assert.match(text(byOld.body), /Your account is not known to s2s/);
    assert.deepEqual(await identitiesOf(db, unlinked), []);
    const newOwner = person({ email: newAddress, email_verified: true });
    const joined = new Agent(t.app);
    assert.equal((await singleSignOn(joined, newOwner.login)).headers.location, '/');
    assert.match(
      (await joined.get('/')).body,
      new RegExp(`Signed in as <strong>${unlinked.username}</strong>`),
    );

    // Corrected to an address another account has: neither is signed in by that address, nor linked.
    const sharedAddress = mail('shared');
    const holder = await makeUser(db, 'la_plasc', { laNumber: la.number }, { email: sharedAddress });
    const other = await makeUser(db, 'la_user', { laNumber: la.number }, { email: mail('other') });
    await correct(other, sharedAddress);
    const claimant = person({ email: sharedAddress, email_verified: true });
    const ambiguous = await singleSignOn(new Agent(t.app), claimant.login);
    assert.equal(ambiguous.statusCode, 403);
    assert.match(text(ambiguous.body), /More than one s2s account has the email address/);
    assert.deepEqual(await identitiesOf(db, holder), []);
    assert.deepEqual(await identitiesOf(db, other), []);
  });
});
