// Sessions ended by a change to the account, as the browsers holding them see it (decisions 59, 62). A
// password change ended the user's other sessions (other devices) by deleting them, and each was told it
// had timed out; so was every session a DBA's change ended: a new password issued, a new role, two-factor
// sign-in reset, single sign-on unlinked, the account deleted; and a school user's, their school made
// inactive, as the session was read. Each is now an ended session's row, kept
// 10 minutes, that opens nothing and sends its browser to the sign-in page saying what ended it.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, test } from 'node:test';
import { sessionIdOf } from '../../src/auth/repository.ts';
import { totpCodeAt } from '../../src/auth/two-factor-secrets.ts';
import type { Db } from '../../src/platform/db/schema.ts';
import { MasterKey } from '../../src/platform/storage/envelope.ts';
import { describeEachEngine, firstHeldThenAnother, holdingAfterSelectFrom } from '../support/databases.ts';
import { makeLa, makeSchool, makeUser, markTwoFactorSetUp, TEST_PASSWORD } from '../support/factories.ts';
import { Agent, anotherNode, createTestApp, type TestApp, textOf } from '../support/web.ts';

const OWN = 'walnut-lantern-meadow';
const ISSUED = 'copper-kettle-harbour';

/** The sessions of the user as stored: what each says it is, and whether it is past its expiry. */
async function sessionsOf(db: Db, userId: string, now: Date) {
  const rows = await db.selectFrom('sessions').selectAll().where('user_id', '=', userId).execute();
  return rows.map((row) => ({
    method: row.sign_in_method,
    pending: Number(row.pending_two_factor),
    expired: row.expires_at <= now.toISOString(),
  }));
}

describeEachEngine('sessions ended by a change to the account', (database) => {
  let t: TestApp;
  before(async () => {
    t = await createTestApp(database().db);
  });
  after(async () => {
    await t.app.close();
  });

  /** The browser that holds an ended session: sent to the sign-in page at `location`, which says `said`. */
  async function toldWhy(agent: Agent, location: string, said: RegExp): Promise<void> {
    for (const url of ['/', '/change-password', '/sign-in/two-factor']) {
      const page = await agent.get(url);
      assert.equal(page.statusCode, 302, `${url} opens nothing`);
      assert.match(String(page.headers.location), /^\/(sign-in)?(\?|$)/, url);
    }
    const home = await agent.get('/');
    assert.equal(home.headers.location, location);
    const signIn = await agent.get(location);
    assert.equal(signIn.statusCode, 200);
    assert.match(textOf(signIn.body), said);
    assert.doesNotMatch(textOf(signIn.body), /had not used s2s for a while|heb ddefnyddio s2s ers tro/);
  }

  test("a password change signs out the user's other devices, each told that the password was changed (for 10 minutes, then timed out), and opening nothing", async () => {
    const { db } = database();
    const la = await makeLa(db);
    const user = await makeUser(db, 'la_user', { laNumber: la.number });
    const laptop = new Agent(t.app);
    const phone = new Agent(t.app);
    assert.equal((await laptop.signIn(user.username)).headers.location, '/');
    assert.equal((await phone.signIn(user.username)).headers.location, '/');

    const changed = await laptop.post(
      '/change-password',
      { currentPassword: TEST_PASSWORD, newPassword: OWN, confirmPassword: OWN },
      { formPage: '/change-password' },
    );
    assert.equal(changed.headers.location, '/');
    assert.equal((await laptop.get('/')).statusCode, 200, 'the browser that changed it is signed in');
    await toldWhy(
      phone,
      '/sign-in?password-changed=1',
      /Your password was changed\. Sign in with your new password\./,
    );
    // Both ended sessions wait for a second step and expired when ended: no version opens them.
    const ended = (await sessionsOf(db, user.id, t.clock.now())).filter((s) => s.method !== 'password');
    assert.deepEqual(ended, [
      { method: 'ended:password', pending: 1, expired: true },
      { method: 'ended:password', pending: 1, expired: true },
    ]);

    t.clock.advanceMinutes(10);
    assert.equal((await phone.get('/')).headers.location, '/sign-in?expired=1');
    assert.equal((await new Agent(t.app).signIn(user.username, OWN)).headers.location, '/');
  });

  /** A DBA's change to an account, and what the user's browser is told of it. */
  const CHANGES: {
    name: string;
    /** Readies the account for the change (two-factor set up, single sign-on linked). */
    ready?: (db: Db, user: { id: string; username: string }) => Promise<void>;
    url: (id: string) => string;
    form: Record<string, string>;
    location: string;
    said: RegExp;
    welsh?: boolean;
  }[] = [
    {
      name: 'a new password issued',
      url: (id) => `/dba/users/${id}/password`,
      form: { newPassword: ISSUED, confirmPassword: ISSUED },
      location: '/sign-in?password-reset=1',
      said: /An administrator gave your account a new password, which signed you out\. Ask them for it, sign in with it, then choose your own\./,
    },
    {
      name: 'a new role',
      url: (id) => `/dba/users/${id}/role`,
      form: { role: 'la_school' },
      location: '/sign-in?role-changed=1',
      said: /An administrator changed your role, which signed you out\. Sign in again to use s2s in your new role\./,
    },
    {
      name: 'two-factor sign-in reset (the browser waiting for its second step)',
      ready: async (db, user) => {
        await markTwoFactorSetUp(db, user.username, '2026-11-01T09:00:00.000Z');
      },
      url: (id) => `/dba/users/${id}/two-factor`,
      form: {},
      location: '/sign-in?two-factor-reset=1',
      said: /An administrator reset your two-factor sign-in, which signed you out\. Sign in again: you may be asked to set it up again\./,
    },
    {
      name: 'single sign-on unlinked',
      ready: async (db, user) => {
        await db
          .insertInto('oidc_identities')
          .values({
            id: randomUUID(),
            issuer: 'https://login.example.test',
            subject: randomUUID(),
            user_id: user.id,
            linked_email: null,
            linked_at: '2026-11-01T09:00:00.000Z',
            last_used_at: null,
          })
          .execute();
      },
      url: (id) => `/dba/users/${id}/single-sign-on`,
      form: {},
      location: '/sign-in?unlinked=1',
      said: /An administrator unlinked your account from single sign-on, which signed you out\. Sign in again\./,
    },
    {
      name: 'the account deleted (in Welsh, the language the user chose)',
      url: (id) => `/dba/users/${id}/delete`,
      form: {},
      location: '/sign-in?account-deleted=1',
      said: /Dilëwyd eich cyfrif s2s gan weinyddwr, a gwnaeth hynny eich allgofnodi\. Os oes angen i chi ddefnyddio s2s o hyd, gofynnwch i weinyddwr s2s eich sefydliad am gyfrif newydd\./,
      welsh: true,
    },
  ];

  for (const change of CHANGES) {
    test(`${change.name}: every browser of the user is told so, not that it timed out, and its session opens nothing`, async () => {
      const { db } = database();
      const la = await makeLa(db);
      const dbaUser = await makeUser(db, 'la_dba', { laNumber: la.number });
      const user = await makeUser(
        db,
        'la_user',
        { laNumber: la.number },
        change.welsh ? { language: 'cy' } : {},
      );
      await change.ready?.(db, user);
      const dba = new Agent(t.app);
      assert.equal((await dba.signIn(dbaUser.username)).headers.location, '/');
      const browsers = [new Agent(t.app), new Agent(t.app)];
      for (const browser of browsers) assert.equal((await browser.signIn(user.username)).statusCode, 302);

      const done = await dba.post(change.url(user.id), change.form, { formPage: change.url(user.id) });
      assert.equal(done.statusCode, 302);
      assert.match(String(done.headers.location), /^\/dba\/users/);
      for (const browser of browsers) await toldWhy(browser, change.location, change.said);
      for (const session of await sessionsOf(db, user.id, t.clock.now())) {
        assert.equal(session.pending, 1);
        assert.equal(session.expired, true);
      }
    });
  }

  test("setting up two-factor sign-in signs out the user's other browsers, each told so (in the language the user chose), not that it timed out; the one that set it up goes on", async () => {
    const { db } = database();
    const la = await makeLa(db);
    const user = await makeUser(db, 'la_user', { laNumber: la.number }, { language: 'cy' });
    const laptop = new Agent(t.app);
    const phone = new Agent(t.app);
    assert.equal((await laptop.signIn(user.username)).headers.location, '/');
    assert.equal((await phone.signIn(user.username)).headers.location, '/');

    const page = await laptop.get('/two-factor/set-up');
    const secret = (/id="secret">([A-Z2-7 ]+)</.exec(page.body)?.[1] ?? '').replace(/ /g, '');
    const done = await laptop.post('/two-factor/set-up', { code: await totpCodeAt(secret, t.clock.now()) });
    assert.equal(done.statusCode, 200);
    assert.equal((await laptop.get('/')).statusCode, 200, 'the browser that set it up is signed in');
    await toldWhy(
      phone,
      '/sign-in?two-factor-set-up=1',
      /Cafodd mewngofnodi dau ffactor ei sefydlu ar gyfer eich cyfrif ar ddyfais neu borwr arall, a gwnaeth hynny eich allgofnodi yma\. Mewngofnodwch eto gyda’ch cyfrinair a chod o’ch ap dilysu\. Os nad chi wnaeth ei sefydlu, cysylltwch â gweinyddwr s2s eich sefydliad ar unwaith\./,
    );
    // The other device's session is an ended row that opens nothing for any version; the laptop's is as it was.
    assert.deepEqual(
      (await sessionsOf(db, user.id, t.clock.now())).sort((a, b) => a.pending - b.pending),
      [
        { method: 'password', pending: 0, expired: false },
        { method: 'ended-by:set-up', pending: 1, expired: true },
      ],
    );
    const english = await new Agent(t.app).get('/sign-in?two-factor-set-up=1');
    assert.match(
      textOf(english.body),
      /Two-factor sign-in was set up for your account on another device or browser, which signed you out here\. Sign in again with your password and a code from your authenticator app\. If you did not set it up, contact your organisation’s s2s administrator at once\./,
    );
  });

  test('a sign-in made as the account is deleted (the user read before the deletion, its session made after): its browser is told the account was deleted, not that it timed out', async () => {
    const { db } = database();
    const env = { MASTER_KEY: MasterKey.generate().toBase64() };
    let armed = false;
    // The node the user signs in on, held once its sign-in has read the account.
    const hold = holdingAfterSelectFrom(db, 'users', () => armed);
    const node = await createTestApp(hold.db, env);
    // The DBA's on another node, with a connection of its own (the held read keeps the node's).
    const dbaNode = await anotherNode(database(), env);
    try {
      const la = await makeLa(db);
      const dbaUser = await makeUser(db, 'la_dba', { laNumber: la.number });
      const user = await makeUser(db, 'la_user', { laNumber: la.number });
      const dba = new Agent(dbaNode.app);
      assert.equal((await dba.signIn(dbaUser.username)).headers.location, '/');
      const browser = new Agent(node.app);
      await browser.get('/sign-in');
      armed = true;
      const [signedIn] = await firstHeldThenAnother(
        database(),
        hold,
        () => browser.post('/sign-in', { username: user.username, password: TEST_PASSWORD }),
        async () => {
          armed = false;
          const url = `/dba/users/${user.id}/delete`;
          const deleted = await dba.post(url, {}, { formPage: url });
          assert.match(String(deleted.headers.location), /^\/dba\/users/);
          return deleted;
        },
      );
      assert.equal(signedIn.headers.location, '/', 'signed in: the account was read before it was deleted');
      await toldWhy(
        browser,
        '/sign-in?account-deleted=1',
        /Your s2s account was deleted by an administrator, which signed you out\./,
      );
      assert.deepEqual(await sessionsOf(db, user.id, node.clock.now()), [
        { method: 'ended-by:deleted', pending: 1, expired: true },
      ]);
    } finally {
      await node.app.close();
      await dbaNode.close();
    }
  });

  test("an ended session's mark this version does not know (a later version's) is read as a session that expired, never opened", async () => {
    const { db } = database();
    const la = await makeLa(db);
    const user = await makeUser(db, 'la_user', { laNumber: la.number });
    const browser = new Agent(t.app);
    assert.equal((await browser.signIn(user.username)).headers.location, '/');
    const token = browser.cookie('s2s_session') ?? '';
    const at = t.clock.now().toISOString();
    await db
      .updateTable('sessions')
      .set({ sign_in_method: 'ended-by:later', pending_two_factor: 1, expires_at: at, last_seen_at: at })
      .where('id', '=', sessionIdOf(token))
      .execute();
    assert.equal((await browser.get('/')).headers.location, '/sign-in?expired=1');
  });

  test("a school made inactive: its users' browsers are told so, not that they timed out, and their sessions open nothing", async () => {
    const { db } = database();
    const la = await makeLa(db);
    const school = await makeSchool(db, la.number);
    const user = await makeUser(db, 'school', { laNumber: la.number, establishmentNumber: school.number });
    const browser = new Agent(t.app);
    assert.equal((await browser.signIn(user.username)).headers.location, '/');
    assert.equal((await browser.get('/')).statusCode, 200);
    // Made inactive (a GIAS import, or the LA's School Maintenance).
    await db.updateTable('establishments').set({ active: 0 }).where('number', '=', school.number).execute();
    await toldWhy(
      browser,
      '/sign-in?school-inactive=1',
      /Your school's s2s account was made inactive, which signed you out\. Contact your LA s2s administrator to make it active\./,
    );
  });
});
