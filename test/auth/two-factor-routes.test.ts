// Two-factor sign-in through the pages (app.inject): forced set-up for the roles that must use it, the
// second step of signing in, the account's own pages and the DBA's reset.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { totpCodeAt } from '../../src/auth/two-factor-secrets.ts';
import type { UserRow } from '../../src/platform/db/schema.ts';
import { describeEachEngine } from '../support/databases.ts';
import { makeLa, makeUser, TEST_PASSWORD } from '../support/factories.ts';
import { Agent, createTestApp, errorSummary, type TestApp } from '../support/web.ts';

/** The secret as the set-up page shows it (groups of four), without its spaces. */
function secretOf(html: string): string {
  const match = /id="secret">([A-Z2-7 ]+)</.exec(html);
  assert.ok(match, 'the set-up page shows the secret as text');
  return (match[1] ?? '').replace(/ /g, '');
}

function recoveryCodesOf(html: string): string[] {
  return [...html.matchAll(/<code class="govuk-!-font-size-24">([0-9a-z-]+)<\/code>/g)].map(
    (m) => m[1] ?? '',
  );
}

describeEachEngine('two-factor sign-in pages', (database) => {
  let t: TestApp;
  before(async () => {
    t = await createTestApp(database().db, { TWO_FACTOR_REQUIRED: 'true' });
  });
  after(async () => {
    await t.app.close();
  });

  const nextStep = () => t.clock.advanceMinutes(0.5);

  /** Sets up two-factor sign-in for a signed-in agent; returns the secret and recovery codes. */
  async function setUp(agent: Agent): Promise<{ secret: string; codes: string[] }> {
    const page = await agent.get('/two-factor/set-up');
    assert.equal(page.statusCode, 200);
    const secret = secretOf(page.body);
    const done = await agent.post('/two-factor/set-up', { code: await totpCodeAt(secret, t.clock.now()) });
    assert.equal(done.statusCode, 200);
    assert.match(done.body, /You have been signed out of s2s everywhere else/);
    return { secret, codes: recoveryCodesOf(done.body) };
  }

  test('a role that must use it is sent to set it up, can open nothing else, then signs in with a code', async () => {
    const { db } = database();
    const la = await makeLa(db);
    const user = await makeUser(db, 'la_lost_pupil', { laNumber: la.number });
    const agent = new Agent(t.app);
    const signedIn = await agent.signIn(user.username);
    assert.equal(signedIn.headers.location, '/two-factor/set-up');
    for (const url of ['/', '/lost-pupils/search', '/change-password', '/two-factor', '/establishments']) {
      const response = await agent.get(url);
      assert.equal(response.headers.location, '/two-factor/set-up', `GET ${url} waits for the set-up`);
    }
    // Contacts is open to everyone: the service desk helps with the set-up too.
    assert.equal((await agent.get('/contacts')).statusCode, 200);

    const page = await agent.get('/two-factor/set-up');
    assert.equal(page.statusCode, 200);
    assert.equal(page.headers['cache-control'], 'no-store');
    assert.match(page.body, /<svg class="s2s-qr-code"[^>]*role="img"[^>]*aria-label="QR code/);
    assert.match(page.body, /Your role must sign in with a password and a code/);
    assert.doesNotMatch(page.body, /aria-label="Menu"/, 'no menu until it is set up');
    const secret = secretOf(page.body);
    assert.equal(
      secretOf((await agent.get('/two-factor/set-up')).body),
      secret,
      'the same secret when shown again',
    );

    const wrong = await agent.post('/two-factor/set-up', { code: '000000' });
    assert.equal(wrong.statusCode, 400);
    assert.match(errorSummary(wrong.body), /The code is not correct/);
    assert.equal(secretOf(wrong.body), secret);

    const done = await agent.post('/two-factor/set-up', { code: await totpCodeAt(secret, t.clock.now()) });
    assert.equal(done.statusCode, 200);
    assert.equal(done.headers['cache-control'], 'no-store');
    const codes = recoveryCodesOf(done.body);
    assert.equal(codes.length, 10);
    assert.equal((await agent.get('/')).statusCode, 200, 'the service opens once it is set up');
    const account = await agent.get('/two-factor');
    assert.match(account.body, /Recovery codes left[\s\S]*10 of 10/);
    assert.doesNotMatch(account.body, /Turn off two-factor sign-in/, 'its role cannot turn it off');
    const refused = await agent.post(
      '/two-factor/turn-off',
      { code: '000000' },
      { formPage: '/two-factor/turn-off' },
    );
    assert.equal(refused.statusCode, 400);
    assert.match(errorSummary(refused.body), /cannot be turned off/);

    // Signing in again: the password, then the second step.
    await agent.post('/sign-out', {}, { formPage: '/sign-out' });
    const password = await agent.signIn(user.username);
    assert.equal(password.headers.location, '/sign-in/two-factor');
    assert.equal(
      (await agent.get('/')).headers.location,
      '/sign-in/two-factor',
      'nothing opens before the code',
    );
    assert.equal((await agent.get('/two-factor')).headers.location, '/sign-in/two-factor');
    const form = await agent.get('/sign-in/two-factor');
    assert.equal(form.statusCode, 200);
    assert.match(form.body, /Enter the code from your authenticator app/);
    const empty = await agent.post('/sign-in/two-factor', { code: '' });
    assert.equal(empty.statusCode, 400);
    assert.match(errorSummary(empty.body), /Enter the 6-digit code/);
    const replay = await agent.post('/sign-in/two-factor', { code: await totpCodeAt(secret, t.clock.now()) });
    assert.equal(replay.statusCode, 400, 'the code used for the set-up cannot be used again');
    assert.match(errorSummary(replay.body), /used already/);
    nextStep();
    const code = await agent.post('/sign-in/two-factor', { code: await totpCodeAt(secret, t.clock.now()) });
    assert.equal(code.statusCode, 302);
    assert.equal(code.headers.location, '/');
    const home = await agent.get('/');
    assert.equal(home.statusCode, 200);
    assert.match(home.body, new RegExp(`Signed in as <strong>${user.username}</strong>`));

    // And with a recovery code.
    await agent.post('/sign-out', {}, { formPage: '/sign-out' });
    await agent.signIn(user.username);
    const recoveryForm = await agent.get('/sign-in/recovery-code');
    assert.equal(recoveryForm.statusCode, 200);
    const wrongCode = await agent.post('/sign-in/recovery-code', { recoveryCode: 'aaaa-bbbb-cccc-dddd' });
    assert.equal(wrongCode.statusCode, 400);
    assert.match(errorSummary(wrongCode.body), /recovery code is not correct/);
    const recovered = await agent.post('/sign-in/recovery-code', { recoveryCode: codes[0] ?? '' });
    assert.equal(recovered.headers.location, '/');
    const banner = await agent.get('/');
    assert.match(
      banner.body,
      /You signed in with a recovery code, which cannot be used again. You have 9 recovery codes left/,
    );
  });

  for (const [role, who] of [
    ['la_lost_pupil', /your LA s2s administrator can reset/],
    ['la_dba', /the s2s national administrator can reset/],
    [
      'national_admin',
      /another s2s national administrator or whoever runs s2s \(with its command s2s users reset-two-factor\) can reset/,
    ],
  ] as const) {
    test(`${role}: each page that says who resets two-factor sign-in names who can`, async () => {
      const { db } = database();
      const la = await makeLa(db);
      const user = await makeUser(db, role, { laNumber: role === 'national_admin' ? null : la.number });
      const agent = new Agent(t.app);
      await agent.signIn(user.username);
      await setUp(agent);
      for (const url of ['/two-factor', '/two-factor/turn-off']) {
        const page = await agent.get(url);
        assert.match(page.body, who, `${url} says who`);
        assert.doesNotMatch(
          page.body,
          role === 'la_lost_pupil' ? /national administrator/ : /LA s2s administrator/,
        );
      }
      await agent.post('/sign-out', {}, { formPage: '/sign-out' });
      await agent.signIn(user.username);
      for (const url of ['/sign-in/two-factor', '/sign-in/recovery-code']) {
        const page = await agent.get(url);
        assert.match(page.body, who, `${url} says who`);
      }
      const welsh = await agent.get('/sign-in/two-factor?lang=cy');
      assert.doesNotMatch(welsh.body, /\{resetter\}/);
    });
  }

  test('a new user of a required role first replaces the issued password, then sets up two-factor sign-in', async () => {
    const { db } = database();
    const la = await makeLa(db);
    const user = await makeUser(db, 'la_dba', { laNumber: la.number }, { must_change_password: 1 });
    const agent = new Agent(t.app);
    assert.equal((await agent.signIn(user.username)).headers.location, '/change-password');
    assert.equal((await agent.get('/two-factor/set-up')).headers.location, '/change-password');
    const changed = await agent.post(
      '/change-password',
      {
        currentPassword: TEST_PASSWORD,
        newPassword: 'kettle orchard lantern',
        confirmPassword: 'kettle orchard lantern',
      },
      { formPage: '/change-password' },
    );
    assert.equal(changed.headers.location, '/');
    assert.equal((await agent.get('/')).headers.location, '/two-factor/set-up');
    await setUp(agent);
    assert.equal((await agent.get('/')).statusCode, 200);
  });

  // The account is known at the second step, so the pause names who can lift it: whoever may issue that
  // account a password (decision 69).
  /** A user of `role` with two-factor sign-in set up, paused by wrong codes: the answer to the right one. */
  async function pausedAtSecondStep(role: 'la_user' | 'la_dba' | 'national_admin', language = 'en') {
    const { db } = database();
    const la = await makeLa(db);
    const user = await makeUser(db, role, role === 'national_admin' ? {} : { laNumber: la.number });
    const agent = new Agent(t.app);
    await agent.signIn(user.username);
    const { secret } = await setUp(agent);
    await agent.post('/sign-out', {}, { formPage: '/sign-out' });
    await agent.signIn(user.username);
    await agent.get(`/sign-in/two-factor?lang=${language}`);
    for (let i = 0; i < 5; i += 1) {
      assert.equal((await agent.post('/sign-in/two-factor', { code: '000000' })).statusCode, 400);
    }
    nextStep();
    const throttled = await agent.post('/sign-in/two-factor', {
      code: await totpCodeAt(secret, t.clock.now()),
    });
    assert.equal(throttled.statusCode, 429);
    return errorSummary(throttled.body);
  }

  const LIFTERS = [
    ['la_user', 'your LA s2s administrator'],
    ['la_dba', 'the s2s national administrator'],
    ['national_admin', 'another s2s national administrator'],
  ] as const;
  for (const [role, lifter] of LIFTERS) {
    test(`wrong codes at the second step are throttled, and ${role}'s pause names ${lifter}`, async () => {
      assert.match(
        await pausedAtSecondStep(role),
        new RegExp(
          `too many failed attempts to sign in. Wait 15 minutes and try again, or contact ${lifter}, who`,
        ),
      );
    });
  }

  test('the pause at the second step names who can lift it in Welsh too', async () => {
    assert.match(
      await pausedAtSecondStep('la_dba', 'cy'),
      /Arhoswch 15 munud a rhowch gynnig arall arni, neu cysylltwch â gweinyddwr cenedlaethol s2s, a all/,
    );
  });

  test('at the second step, a pause of the network address says so in its own words', async () => {
    const { db } = database();
    const la = await makeLa(db);
    const user = await makeUser(db, 'la_user', { laNumber: la.number });
    const agent = new Agent(t.app);
    await agent.signIn(user.username);
    const { secret } = await setUp(agent);
    await agent.post('/sign-out', {}, { formPage: '/sign-out' });
    await agent.signIn(user.username);
    await agent.get('/sign-in/two-factor');
    // Meanwhile, twenty wrong sign-ins at other names from the same office address.
    const office = new Agent(t.app);
    for (let i = 0; i < 20; i += 1) await office.signIn(`office-${la.number}-${i}`, 'wrong');
    try {
      nextStep();
      const paused = await agent.post('/sign-in/two-factor', {
        code: await totpCodeAt(secret, t.clock.now()),
      });
      assert.equal(paused.statusCode, 429);
      assert.match(errorSummary(paused.body), /too many failed sign-ins from your network.*Wait 15 minutes/);
    } finally {
      t.clock.advanceMinutes(16);
    }
  });

  test('an optional user sets it up from the menu, makes new recovery codes and turns it off', async () => {
    const { db } = database();
    const la = await makeLa(db);
    const user = await makeUser(db, 'la_user', { laNumber: la.number });
    const agent = new Agent(t.app);
    // Signed in elsewhere too, with the password alone (another computer, or someone who has it).
    const elsewhere = new Agent(t.app);
    assert.equal((await elsewhere.signIn(user.username)).headers.location, '/');
    assert.equal((await agent.signIn(user.username)).headers.location, '/', 'not made to set it up');
    const home = await agent.get('/');
    assert.match(home.body, /href="\/two-factor"[^>]*>\s*Two-factor sign-in/);
    const account = await agent.get('/two-factor');
    assert.match(account.body, /Two-factor sign-in is not set up for your account/);
    assert.equal((await agent.get('/two-factor/recovery-codes')).headers.location, '/two-factor');
    assert.equal((await elsewhere.get('/')).statusCode, 200);
    const { secret, codes } = await setUp(agent);
    assert.match(
      (await elsewhere.get('/')).headers.location ?? '',
      /^\/sign-in/,
      'the session elsewhere has ended',
    );
    assert.equal((await agent.get('/')).statusCode, 200, 'the one that set it up goes on');

    nextStep();
    await agent.get('/two-factor/recovery-codes');
    const wrong = await agent.post('/two-factor/recovery-codes', { code: '000000' });
    assert.equal(wrong.statusCode, 400);
    const fresh = await agent.post('/two-factor/recovery-codes', {
      code: await totpCodeAt(secret, t.clock.now()),
    });
    assert.equal(fresh.statusCode, 200);
    const newCodes = recoveryCodesOf(fresh.body);
    assert.equal(newCodes.length, 10);
    assert.ok(!newCodes.includes(codes[0] ?? ''));
    assert.match(fresh.body, /Your earlier recovery codes no longer work/);

    nextStep();
    const turnOff = await agent.get('/two-factor/turn-off');
    assert.equal(turnOff.statusCode, 200);
    const off = await agent.post('/two-factor/turn-off', { code: await totpCodeAt(secret, t.clock.now()) });
    assert.equal(off.headers.location, '/two-factor');
    await agent.post('/sign-out', {}, { formPage: '/sign-out' });
    assert.equal((await agent.signIn(user.username)).headers.location, '/', 'the password alone again');
    const audit = await db
      .selectFrom('audit_events')
      .select('action')
      .where('actor_user_id', '=', user.id)
      .execute();
    const actions = audit.map((a) => a.action);
    for (const action of ['two-factor-enrolled', 'recovery-codes-replaced', 'two-factor-turned-off']) {
      assert.ok(actions.includes(action), action);
    }
  });

  test('in Welsh: the account page, setting up (with an error), the recovery codes and turning it off', async () => {
    const { db } = database();
    const la = await makeLa(db);
    const user = await makeUser(db, 'la_user', { laNumber: la.number }, { language: 'cy' });
    const agent = new Agent(t.app);
    await agent.signIn(user.username);
    const account = await agent.get('/two-factor');
    assert.match(account.body, /<html lang="cy"/);
    assert.match(account.body, /<h1 class="govuk-heading-l">Mewngofnodi dau ffactor<\/h1>/);
    assert.match(account.body, /Nid yw mewngofnodi dau ffactor wedi’i sefydlu ar gyfer eich cyfrif\./);
    const page = await agent.get('/two-factor/set-up');
    assert.match(page.body, /<h1 class="govuk-heading-l">Sefydlu mewngofnodi dau ffactor<\/h1>/);
    assert.match(page.body, /aria-label="Cod QR ar gyfer eich ap dilysu"/);
    const wrong = await agent.post('/two-factor/set-up', { code: '12' });
    assert.equal(wrong.statusCode, 400);
    assert.equal(
      errorSummary(wrong.body),
      'Mae problem wedi codi Rhowch y 6 digid y mae eich ap dilysu yn eu dangos, fel 123456',
    );
    const page2 = await agent.get('/two-factor/set-up');
    const secret = secretOf(page2.body);
    const done = await agent.post('/two-factor/set-up', { code: await totpCodeAt(secret, t.clock.now()) });
    assert.match(done.body, /<h1 class="govuk-heading-l">Eich codau adfer<\/h1>/);
    assert.match(done.body, /Mae mewngofnodi dau ffactor ymlaen\./);
    const enrolled = await agent.get('/two-factor');
    assert.match(
      enrolled.body,
      /Wedi’i sefydlu ar \d+ (Ionawr|Chwefror|Mawrth|Ebrill|Mai|Mehefin|Gorffennaf|Awst|Medi|Hydref|Tachwedd|Rhagfyr) \d{4}/,
      'the date in Welsh',
    );
    assert.match(enrolled.body, />\s*10 o 10\s*</);
    nextStep();
    const turnOff = await agent.get('/two-factor/turn-off');
    assert.match(turnOff.body, /<h1 class="govuk-heading-l">Diffodd mewngofnodi dau ffactor<\/h1>/);
    await agent.post('/two-factor/turn-off', { code: await totpCodeAt(secret, t.clock.now()) });
    assert.match((await agent.get('/two-factor')).body, /Mae mewngofnodi dau ffactor wedi’i ddiffodd\./);
  });

  test("an LA's DBA resets a user's two-factor sign-in from the user's page; another LA's DBA finds no such user", async () => {
    const { db } = database();
    const la = await makeLa(db);
    const user = await makeUser(db, 'la_lost_pupil', { laNumber: la.number });
    const userAgent = new Agent(t.app);
    await userAgent.signIn(user.username);
    await setUp(userAgent);

    const signedInWithTwoFactor = async (dbaUser: UserRow) => {
      const agent = new Agent(t.app);
      await agent.signIn(dbaUser.username);
      await setUp(agent);
      return agent;
    };
    const dba = await signedInWithTwoFactor(await makeUser(db, 'la_dba', { laNumber: la.number }));
    const otherLa = await makeLa(db);
    const otherDba = await signedInWithTwoFactor(await makeUser(db, 'la_dba', { laNumber: otherLa.number }));

    assert.equal((await otherDba.get(`/dba/users/${user.id}/two-factor`)).statusCode, 404);
    assert.equal((await otherDba.post(`/dba/users/${user.id}/two-factor`, {})).statusCode, 404);

    const userPage = await dba.get(`/dba/users/${user.id}`);
    assert.match(userPage.body, /Two-factor sign-in[\s\S]*Set up on[\s\S]*10 recovery codes left/);
    assert.match(userPage.body, new RegExp(`href="/dba/users/${user.id}/two-factor"`));
    const confirm = await dba.get(`/dba/users/${user.id}/two-factor`);
    assert.equal(confirm.statusCode, 200);
    const reset = await dba.post(`/dba/users/${user.id}/two-factor`, {});
    assert.equal(reset.headers.location, `/dba/users/${user.id}`);
    const after = await dba.get(`/dba/users/${user.id}`);
    assert.match(after.body, /The two-factor sign-in of .* has been reset/);
    assert.match(after.body, /Two-factor sign-in\s*<\/dt>\s*<dd[^>]*>\s*Not set up/);

    assert.equal(
      (await userAgent.get('/')).headers.location,
      '/sign-in?two-factor-reset=1',
      'the user was signed out, and is told why',
    );
    assert.equal(
      (await userAgent.signIn(user.username)).headers.location,
      '/two-factor/set-up',
      'and sets it up again',
    );
  });

  test('a user who must set up two-factor sign-in can reach nothing else', async () => {
    const { db } = database();
    const user = await makeUser(db, 'national_admin', {});
    const agent = new Agent(t.app);
    await agent.signIn(user.username);
    for (const route of t.app.routeTable.filter((r) => r.access !== 'public' && r.method === 'GET')) {
      if (['/two-factor/set-up', '/sign-out'].includes(route.url)) continue;
      const response = await agent.get(route.url.replace(/:(\w+)/g, 'x'));
      assert.equal(response.headers.location, '/two-factor/set-up', `GET ${route.url}`);
    }
  });
});
