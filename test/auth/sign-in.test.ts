import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { AuthService } from '../../src/auth/service.ts';
import { accountPausedUntil, liftAccountPause } from '../../src/auth/throttle.ts';
import { totpCodeAt } from '../../src/auth/two-factor-secrets.ts';
import { ManualClock } from '../../src/platform/clock.ts';
import type { UserRow } from '../../src/platform/db/schema.ts';
import { Invalid } from '../../src/platform/errors.ts';
import { MasterKey } from '../../src/platform/storage/envelope.ts';
import { MasterKeyring } from '../../src/platform/storage/keyring.ts';
import { describeEachEngine } from '../support/databases.ts';
import { makeLa, makeSchool, makeUser, TEST_PASSWORD } from '../support/factories.ts';
import { actorOf } from '../support/transfers.ts';
import { Agent, createTestApp, errorSummary, type TestApp } from '../support/web.ts';

const AT = '2026-11-02T09:00:00.000Z';

describeEachEngine('sign-in and sessions', (database) => {
  let t: TestApp;
  before(async () => {
    t = await createTestApp(database().db);
  });
  after(async () => {
    await t.app.close();
  });

  test('a signed-out visitor is sent to the sign-in page', async () => {
    const response = await new Agent(t.app).get('/');
    assert.equal(response.statusCode, 302);
    assert.equal(response.headers.location, '/sign-in');
  });

  test('the right password signs in, rotates the session and shows the home page', async () => {
    const { db } = database();
    const la = await makeLa(db);
    const user = await makeUser(db, 'la_user', { laNumber: la.number });
    const agent = new Agent(t.app);
    const signedIn = await agent.signIn(user.username);
    assert.equal(signedIn.statusCode, 302);
    assert.equal(signedIn.headers.location, '/');
    const first = agent.cookie('s2s_session');
    assert.ok(first);
    const home = await agent.get('/');
    assert.equal(home.statusCode, 200);
    assert.match(home.body, new RegExp(`Signed in as <strong>${user.username}</strong>`));

    await agent.signIn(user.username);
    assert.notEqual(agent.cookie('s2s_session'), first, 'signing in again issues a new session');
    const audit = await db
      .selectFrom('audit_events')
      .selectAll()
      .where('actor_user_id', '=', user.id)
      .execute();
    assert.ok(audit.some((e) => e.action === 'sign-in' && e.organisation === la.number));
  });

  test('usernames are case-sensitive and a wrong password does not reveal which part was wrong', async () => {
    const { db } = database();
    const la = await makeLa(db);
    const user = await makeUser(db, 'la_user', { laNumber: la.number }, { username: `CaseUser${la.number}` });
    const agent = new Agent(t.app);
    const wrongCase = await agent.signIn(user.username.toLowerCase());
    const wrongPassword = await agent.signIn(user.username, 'not-the-password');
    assert.equal(wrongCase.statusCode, 400);
    assert.equal(wrongPassword.statusCode, 400);
    assert.equal(errorSummary(wrongCase.body), errorSummary(wrongPassword.body));
    assert.match(errorSummary(wrongPassword.body), /username or password is not correct/);
  });

  test('empty fields are named in the error summary', async () => {
    const response = await new Agent(t.app).post(
      '/sign-in',
      { username: '', password: '' },
      { formPage: '/sign-in' },
    );
    assert.equal(response.statusCode, 400);
    assert.match(errorSummary(response.body), /Enter your username.*Enter your password/);
    assert.match(response.body, /href="#username"/);
  });

  test('a tampered form (a field sent twice) gets a clear problem page, not a server error', async () => {
    const response = await new Agent(t.app).post(
      '/sign-in',
      { username: ['one', 'two'], password: 'x' },
      { formPage: '/sign-in' },
    );
    assert.equal(response.statusCode, 400);
    assert.match(response.body, /The form could not be read/);
  });

  test('a form without its CSRF token is refused and changes nothing', async () => {
    const { db } = database();
    const la = await makeLa(db);
    const user = await makeUser(db, 'la_user', { laNumber: la.number });
    const agent = new Agent(t.app);
    await agent.get('/sign-in');
    const response = await agent.post(
      '/sign-in',
      { username: user.username, password: TEST_PASSWORD },
      { csrf: false },
    );
    assert.equal(response.statusCode, 403);
    assert.match(response.body, /The form has expired/);
    assert.equal(agent.cookie('s2s_session'), undefined);
  });

  test('repeated failures lock the account for a while, with a clear message, even for the right password', async () => {
    const { db } = database();
    const la = await makeLa(db);
    const user = await makeUser(db, 'la_user', { laNumber: la.number });
    const agent = new Agent(t.app);
    for (let i = 0; i < 5; i += 1) await agent.signIn(user.username, `wrong-${i}`);
    const locked = await agent.signIn(user.username);
    assert.equal(locked.statusCode, 429);
    assert.match(errorSummary(locked.body), /too many failed attempts.*Wait 15 minutes/);
    t.clock.advanceMinutes(16);
    const later = await agent.signIn(user.username);
    assert.equal(later.statusCode, 302);
  });

  test('an unknown username is throttled the same way as a known one', async () => {
    const agent = new Agent(t.app);
    for (let i = 0; i < 5; i += 1) await agent.signIn('nobody-by-this-name', `wrong-${i}`);
    const locked = await agent.signIn('nobody-by-this-name');
    assert.equal(locked.statusCode, 429);
  });

  test('a username typed with a space before or after it signs in, and a wrong password counts against the account', async () => {
    const { db } = database();
    const la = await makeLa(db);
    const user = await makeUser(db, 'la_user', { laNumber: la.number });
    const agent = new Agent(t.app);
    const wrong = await agent.signIn(` ${user.username} `, 'not-the-password');
    assert.equal(wrong.statusCode, 400);
    const counted = await db
      .selectFrom('sign_in_attempts')
      .select('username')
      .where('username', 'like', `%${user.username}%`)
      .execute();
    assert.deepEqual(
      counted.map((a) => a.username),
      [user.username],
      'the failure is counted against the account, not the name as typed',
    );
    const signedIn = await agent.signIn(`  ${user.username}\t`);
    assert.equal(signedIn.statusCode, 302);
    assert.equal(signedIn.headers.location, '/');
  });

  test('a failed sign-in refused for the pause is in the audit log of the account’s organisation', async () => {
    const { db } = database();
    const la = await makeLa(db);
    const user = await makeUser(db, 'la_user', { laNumber: la.number });
    const agent = new Agent(t.app);
    for (let i = 0; i < 5; i += 1) await agent.signIn(user.username, `wrong-${i}`);
    assert.equal((await agent.signIn(user.username)).statusCode, 429);
    const refused = await db
      .selectFrom('audit_events')
      .select(['organisation', 'detail'])
      .where('action', '=', 'sign-in-failed')
      .where('subject_id', '=', user.username)
      .execute();
    assert.equal(refused.length, 6);
    assert.deepEqual(
      refused.map((e) => e.organisation),
      Array.from({ length: 6 }, () => la.number),
      'every failure, the refusal for the pause too, carries the LA',
    );
    t.clock.advanceMinutes(16);
  });

  test('a failed current password on Change Password is audited as the signed-in user’s', async () => {
    const { db } = database();
    const la = await makeLa(db);
    const user = await makeUser(db, 'la_user', { laNumber: la.number });
    const agent = new Agent(t.app);
    await agent.signIn(user.username);
    const wrong = await agent.post(
      '/change-password',
      {
        currentPassword: 'not-the-password',
        newPassword: 'kettle orchard lantern',
        confirmPassword: 'kettle orchard lantern',
      },
      { formPage: '/change-password' },
    );
    assert.equal(wrong.statusCode, 400);
    const failed = await db
      .selectFrom('audit_events')
      .select(['actor_user_id', 'actor_username', 'organisation'])
      .where('action', '=', 'sign-in-failed')
      .where('subject_id', '=', user.username)
      .executeTakeFirstOrThrow();
    assert.deepEqual(failed, {
      actor_user_id: user.id,
      actor_username: user.username,
      organisation: la.number,
    });
  });

  test('the pause of one network address says so in words of its own, the same for every username', async () => {
    const { db } = database();
    const la = await makeLa(db);
    const user = await makeUser(db, 'la_user', { laNumber: la.number });
    const agent = new Agent(t.app);
    // Twenty wrong sign-ins from this address, each at another name: no account is paused.
    for (let i = 0; i < 20; i += 1) await agent.signIn(`office-guess-${la.number}-${i}`, 'wrong');
    try {
      const known = await agent.signIn(user.username);
      const unknown = await agent.signIn(`nobody-${la.number}`);
      assert.equal(known.statusCode, 429);
      assert.equal(unknown.statusCode, 429);
      assert.equal(
        errorSummary(known.body),
        errorSummary(unknown.body),
        'nothing says which names an account',
      );
      assert.match(errorSummary(known.body), /too many failed sign-ins from your network.*Wait 15 minutes/);
      assert.doesNotMatch(errorSummary(known.body), /administrator/, 'nobody can lift it for you');
      const refusal = await db
        .selectFrom('audit_events')
        .select('detail')
        .where('action', '=', 'sign-in-failed')
        .where('subject_id', '=', user.username)
        .executeTakeFirstOrThrow();
      assert.deepEqual(JSON.parse(refusal.detail ?? '{}'), { reason: 'throttled', pause: 'address' });
    } finally {
      t.clock.advanceMinutes(16);
    }
  });

  test('a username over 64 characters is refused as wrong, not a server error', async () => {
    const response = await new Agent(t.app).signIn('x'.repeat(65), 'not-the-password');
    assert.equal(response.statusCode, 400);
    assert.match(errorSummary(response.body), /username or password is not correct/);
  });

  test('users of an inactive school cannot sign in and are told why', async () => {
    const { db } = database();
    const la = await makeLa(db);
    const school = await makeSchool(db, la.number, { active: 0 });
    const user = await makeUser(db, 'school', { laNumber: la.number, establishmentNumber: school.number });
    const response = await new Agent(t.app).signIn(user.username);
    assert.equal(response.statusCode, 400);
    assert.match(errorSummary(response.body), /account is inactive/);
  });

  test('an idle session expires and the user is told why on the sign-in page', async () => {
    const { db } = database();
    const la = await makeLa(db);
    const user = await makeUser(db, 'la_user', { laNumber: la.number });
    const agent = new Agent(t.app);
    await agent.signIn(user.username);
    t.clock.advanceMinutes(31);
    const response = await agent.get('/');
    assert.equal(response.statusCode, 302);
    assert.equal(response.headers.location, '/sign-in?expired=1');
    const page = await agent.get('/sign-in?expired=1');
    assert.match(page.body, /signed out because you had not used s2s for a while/);
  });

  test("each request reads the session with its user and their school's or LA's name; a deleted user's session ends", async () => {
    const { db } = database();
    const la = await makeLa(db, { name: 'Lookupshire' });
    const school = await makeSchool(db, la.number, { name: 'Lookup Primary School' });
    const tokenOf = async (user: UserRow) => {
      const agent = new Agent(t.app);
      await agent.signIn(user.username);
      const token = agent.cookie('s2s_session');
      assert.ok(token, `${user.role} is signed in`);
      return token;
    };
    const active = async (user: UserRow) => {
      const found = await t.deps.auth.lookUpSession(await tokenOf(user));
      assert.equal(found.state, 'active', user.role);
      return found.state === 'active' ? found.user : assert.fail();
    };

    const schoolUser = await makeUser(db, 'school', { establishmentNumber: school.number });
    const atSchool = await active(schoolUser);
    assert.equal(atSchool.userId, schoolUser.id);
    assert.equal(atSchool.organisationName, `${school.number} Lookup Primary School`);
    assert.equal(atSchool.organisationKey, undefined);
    assert.equal(atSchool.mustSetUpTwoFactor, false);

    const laUser = await makeUser(db, 'la_user', { laNumber: la.number }, { full_name: 'Ann Lookup' });
    const atLa = await active(laUser);
    assert.equal(atLa.organisationName, `${la.number} Lookupshire`);
    assert.equal(atLa.fullName, 'Ann Lookup');
    assert.equal(atLa.laNumber, la.number);

    const admin = await active(await makeUser(db, 'national_admin'));
    assert.equal(admin.organisationKey, 'auth.organisation.national');
    const collector = await active(await makeUser(db, 'dfe_collector'));
    assert.equal(collector.organisationName, 'Department for Education');

    const leaver = await makeUser(db, 'la_user', { laNumber: la.number });
    const token = await tokenOf(leaver);
    await db.updateTable('users').set({ deleted_at: AT }).where('id', '=', leaver.id).execute();
    // Signed out, told why (decision 63).
    assert.deepEqual(await t.deps.auth.lookUpSession(token), { state: 'ended', reason: 'account-deleted' });
    assert.equal(await t.deps.auth.lookUpSession('not-a-session').then((found) => found.state), 'expired');
  });

  test('Logoff ends the session', async () => {
    const { db } = database();
    const la = await makeLa(db);
    const user = await makeUser(db, 'la_user', { laNumber: la.number });
    const agent = new Agent(t.app);
    await agent.signIn(user.username);
    const token = agent.cookie('s2s_session');
    const out = await agent.post('/sign-out', {}, { formPage: '/sign-out' });
    assert.equal(out.headers.location, '/sign-in?signed-out=1');
    const replay = await t.app.inject({
      method: 'GET',
      url: '/',
      headers: { cookie: `s2s_session=${token}` },
    });
    assert.equal(replay.statusCode, 302);
  });
});

const SETTINGS = {
  session: { idleMinutes: 30, absoluteHours: 12 },
  signIn: { maxFailures: 5, lockMinutes: 15 },
};

// Several requests at once, on one node or several sharing the database: the pause must hold however
// many arrive together, so each attempt is counted before its password or code is checked.
describeEachEngine('sign-in throttling across nodes', (database) => {
  /** Two app servers sharing one database (and one clock). */
  const twoNodes = (clock: ManualClock, keyring?: MasterKeyring) => [
    new AuthService(database().db, clock, SETTINGS, keyring),
    new AuthService(database().db, clock, SETTINGS, keyring),
  ];

  test('a burst of guesses spread over two nodes gets no more than maxFailures passwords checked', async () => {
    const { db } = database();
    const clock = new ManualClock('2026-11-23T09:00:00.000Z');
    const la = await makeLa(db);
    const user = await makeUser(db, 'la_user', { laNumber: la.number });
    const nodes = twoNodes(clock);
    const guesses = [...Array.from({ length: 39 }, (_, i) => `guess-${i}`), TEST_PASSWORD];
    const outcomes = await Promise.all(
      guesses.map((password, i) =>
        (nodes[i % 2] as AuthService).signIn(user.username, password, '198.51.100.7'),
      ),
    );
    const checked = outcomes.filter((o) => !o.ok && o.reason === 'wrong-credentials').length;
    const last = outcomes.at(-1) as (typeof outcomes)[number];
    assert.ok(
      checked <= SETTINGS.signIn.maxFailures && !last.ok,
      `${checked} of 40 checked; last ${last.ok ? 'SIGNED IN' : last.reason}`,
    );
  });

  test('a burst of guesses at many accounts from one address gets no more than its limit checked', async () => {
    const clock = new ManualClock('2026-11-23T09:00:00.000Z');
    const nodes = twoNodes(clock);
    const outcomes = await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        (nodes[i % 2] as AuthService).signIn(`sprayed-${i}`, `guess-${i}`, '198.51.100.9'),
      ),
    );
    const checked = outcomes.filter((o) => !o.ok && o.reason === 'wrong-credentials').length;
    assert.ok(checked <= SETTINGS.signIn.maxFailures * 4, `${checked} of 40 checked from one address`);
  });

  test('a burst of two-factor codes spread over two nodes gets no more than maxFailures codes checked', async () => {
    const { db } = database();
    const clock = new ManualClock('2026-11-23T09:00:00.000Z');
    const keyring = new MasterKeyring(MasterKey.generate());
    const la = await makeLa(db);
    const user = await makeUser(db, 'la_user', { laNumber: la.number });
    const setUpNode = new AuthService(db, clock, SETTINGS, keyring);
    const setUp = await setUpNode.twoFactor.setUp(actorOf(user));
    assert.ok(setUp);
    await setUpNode.twoFactor.confirm(actorOf(user), await totpCodeAt(setUp.secret, clock.now()));
    clock.advanceMinutes(2);
    const right = await totpCodeAt(setUp.secret, clock.now());
    const wrong = (i: number) => String((Number(right) + 100_000 + i * 7_919) % 1_000_000).padStart(6, '0');
    const nodes = twoNodes(clock, keyring);
    const codes = [...Array.from({ length: 39 }, (_, i) => wrong(i)), right];
    const outcomes = await Promise.all(
      codes.map((code, i) => (nodes[i % 2] as AuthService).twoFactor.check(user, { code }, '198.51.100.8')),
    );
    const checked = outcomes.filter((o) => !o.ok && o.reason === 'wrong-code').length;
    const last = outcomes.at(-1) as (typeof outcomes)[number];
    assert.ok(
      checked <= SETTINGS.signIn.maxFailures && !last.ok,
      `${checked} of 40 codes checked; last ${last.ok ? 'ACCEPTED' : last.reason}`,
    );
  });

  test('a burst of current passwords on Change Password over two nodes gets no more than maxFailures checked', async () => {
    const { db } = database();
    const clock = new ManualClock('2026-11-23T09:00:00.000Z');
    const la = await makeLa(db);
    const user = await makeUser(db, 'la_user', { laNumber: la.number });
    const nodes = twoNodes(clock);
    const signedIn = await (nodes[0] as AuthService).signIn(user.username, TEST_PASSWORD, '198.51.100.10');
    assert.ok(signedIn.ok);
    const session = await (nodes[0] as AuthService).lookUpSession(signedIn.token);
    assert.equal(session.state, 'active');
    if (session.state !== 'active') return;
    const newPassword = 'a-new-long-passphrase-9';
    const guesses = [...Array.from({ length: 39 }, (_, i) => `guess-${i}`), TEST_PASSWORD];
    const outcomes = await Promise.all(
      guesses.map((currentPassword, i) =>
        (nodes[i % 2] as AuthService)
          .changeOwnPassword(
            session.user,
            signedIn.token,
            { currentPassword, newPassword, confirmPassword: newPassword },
            '198.51.100.10',
          )
          .then(
            () => 'CHANGED',
            (error: unknown) => (error instanceof Invalid ? error.errors[0]?.key : String(error)),
          ),
      ),
    );
    const checked = outcomes.filter((key) => key === 'auth.change-password.current-wrong').length;
    const last = outcomes.at(-1);
    assert.ok(
      checked <= SETTINGS.signIn.maxFailures && last === 'auth.change-password.throttled',
      `${checked} of 40 checked; last ${last}`,
    );
  });

  test('the audit log keeps the username of a failed sign-in only when it names an account', async () => {
    const { db } = database();
    // A morning of its own: the other tests' failures are not among those read below.
    const clock = new ManualClock('2026-12-07T09:00:00.000Z');
    const la = await makeLa(db);
    const user = await makeUser(db, 'la_user', { laNumber: la.number });
    const [node] = twoNodes(clock) as [AuthService];
    // A password typed into the username box: wrong, then wrong until throttled.
    const typedPassword = `Secret-${la.number}-pass`;
    for (let i = 0; i <= SETTINGS.signIn.maxFailures; i += 1) {
      await node.signIn(typedPassword, 'anything', '198.51.100.13');
    }
    await node.signIn(user.username, 'not-the-password', '198.51.100.13');
    const failures = await db
      .selectFrom('audit_events')
      .select(['subject_id', 'detail'])
      .where('action', '=', 'sign-in-failed')
      .where('occurred_at', '>=', '2026-12-07T09:00:00.000Z')
      .where('occurred_at', '<', '2026-12-07T10:00:00.000Z')
      .execute();
    const all = JSON.stringify(failures);
    assert.doesNotMatch(all, new RegExp(typedPassword), 'what was typed is not kept');
    const unknown = failures.filter((f) => f.subject_id === null);
    assert.deepEqual(
      unknown.map((f) => JSON.parse(f.detail ?? '{}')).sort((a, b) => a.reason.localeCompare(b.reason)),
      [
        { reason: 'throttled', knownAccount: false },
        ...Array.from({ length: SETTINGS.signIn.maxFailures }, () => ({
          reason: 'wrong-credentials',
          knownAccount: false,
        })),
      ],
    );
    assert.ok(
      failures.some((f) => f.subject_id === user.username),
      "a known account's username is kept",
    );
  });

  test('lifting an account’s pause lets it try again, but not from an address that is paused itself', async () => {
    const { db } = database();
    const clock = new ManualClock('2026-12-08T09:00:00.000Z');
    const la = await makeLa(db);
    const user = await makeUser(db, 'la_user', { laNumber: la.number });
    const [node] = twoNodes(clock) as [AuthService];
    const office = '198.51.100.20';
    for (let i = 0; i < 15; i += 1) await node.signIn(`office-${la.number}-${i}`, 'wrong', office);
    for (let i = 0; i < 5; i += 1) await node.signIn(user.username, `wrong-${i}`, office);
    assert.deepEqual(await node.signIn(user.username, TEST_PASSWORD, '198.51.100.21'), {
      ok: false,
      reason: 'throttled',
    });
    assert.ok(await accountPausedUntil(db, SETTINGS.signIn, clock.now(), user.username));
    // An administrator lifts it a minute later (a failure at the lift's very millisecond would still count).
    clock.advanceMinutes(1);
    await db.transaction().execute((tx) => liftAccountPause(tx, SETTINGS.signIn, clock.now(), user.username));
    assert.equal(await accountPausedUntil(db, SETTINGS.signIn, clock.now(), user.username), null);
    assert.deepEqual(
      await node.signIn(user.username, TEST_PASSWORD, office),
      { ok: false, reason: 'throttled-address' },
      'the office address is still paused: its failures were not cleared',
    );
    assert.ok((await node.signIn(user.username, TEST_PASSWORD, '198.51.100.21')).ok);
  });

  test('Change Password says when the network address is paused, not the account', async () => {
    const { db } = database();
    const clock = new ManualClock('2026-12-10T09:00:00.000Z');
    const la = await makeLa(db);
    const user = await makeUser(db, 'la_user', { laNumber: la.number });
    const [node] = twoNodes(clock) as [AuthService];
    const office = '198.51.100.23';
    const signedIn = await node.signIn(user.username, TEST_PASSWORD, office);
    assert.ok(signedIn.ok);
    const session = await node.lookUpSession(signedIn.token);
    assert.equal(session.state, 'active');
    if (session.state !== 'active') return;
    for (let i = 0; i < 20; i += 1) await node.signIn(`office-${la.number}-${i}`, 'wrong', office);
    const newPassword = 'a-new-long-passphrase-9';
    const refused = await node
      .changeOwnPassword(
        session.user,
        signedIn.token,
        { currentPassword: TEST_PASSWORD, newPassword, confirmPassword: newPassword },
        office,
      )
      .then(
        () => 'CHANGED',
        (error: unknown) => (error instanceof Invalid ? error.errors[0]?.key : String(error)),
      );
    assert.equal(refused, 'auth.sign-in.throttled-address');
  });

  test('the pause of an address is told apart at the second step of two-factor sign-in too', async () => {
    const { db } = database();
    const clock = new ManualClock('2026-12-09T09:00:00.000Z');
    const keyring = new MasterKeyring(MasterKey.generate());
    const la = await makeLa(db);
    const user = await makeUser(db, 'la_user', { laNumber: la.number });
    const node = new AuthService(db, clock, SETTINGS, keyring);
    const setUp = await node.twoFactor.setUp(actorOf(user));
    assert.ok(setUp);
    await node.twoFactor.confirm(actorOf(user), await totpCodeAt(setUp.secret, clock.now()));
    const office = '198.51.100.22';
    for (let i = 0; i < 20; i += 1) await node.signIn(`office-${la.number}-${i}`, 'wrong', office);
    clock.advanceMinutes(1);
    const code = await totpCodeAt(setUp.secret, clock.now());
    assert.deepEqual(await node.twoFactor.check(user, { code }, office), {
      ok: false,
      reason: 'throttled-address',
    });
  });

  test('the right password still signs in after a few wrong ones, and clears only its own failures', async () => {
    const { db } = database();
    const clock = new ManualClock('2026-11-23T09:00:00.000Z');
    const la = await makeLa(db);
    const user = await makeUser(db, 'la_user', { laNumber: la.number });
    const [node] = twoNodes(clock) as [AuthService];
    const address = '198.51.100.11';
    for (let round = 0; round < 2; round += 1) {
      for (let i = 0; i < SETTINGS.signIn.maxFailures - 1; i += 1) {
        clock.advanceMinutes(1);
        assert.deepEqual(await node.signIn(user.username, `wrong-${round}-${i}`, address), {
          ok: false,
          reason: 'wrong-credentials',
        });
      }
      clock.advanceMinutes(1);
      const outcome = await node.signIn(user.username, TEST_PASSWORD, address);
      assert.ok(outcome.ok, `round ${round + 1}: the right password signs in after four wrong ones`);
    }
    const attempts = await db
      .selectFrom('sign_in_attempts')
      .select('succeeded')
      .where('username', '=', user.username)
      .execute();
    assert.deepEqual(
      attempts.map((a) => a.succeeded).sort(),
      [0, 0, 0, 0, 0, 0, 0, 0, 1, 1],
      'each wrong password is one failure, each right one one success, and nothing else is left',
    );
  });
});
