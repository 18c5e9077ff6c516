// The session's time left, asked without using it (GET /session/status), and its keep-alive
// (POST /session/keep-alive): what the page's warning before signing out reads and does (decision 67).
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { sessionIdOf } from '../../src/auth/repository.ts';
import type { Db } from '../../src/platform/db/schema.ts';
import { describeEachEngine } from '../support/databases.ts';
import { makeLa, makeUser } from '../support/factories.ts';
import { Agent, createTestApp, type TestApp } from '../support/web.ts';

async function lastSeenAt(db: Db, agent: Agent): Promise<string> {
  const token = agent.cookie('s2s_session');
  assert.ok(token, 'a session cookie');
  const row = await db
    .selectFrom('sessions')
    .select('last_seen_at')
    .where('id', '=', sessionIdOf(token))
    .executeTakeFirstOrThrow();
  return row.last_seen_at;
}

describeEachEngine('the session status and keep-alive', (database) => {
  let t: TestApp;
  before(async () => {
    t = await createTestApp(database().db);
  });
  after(async () => {
    await t.app.close();
  });

  async function signedIn(): Promise<Agent> {
    const { db } = database();
    const la = await makeLa(db);
    const user = await makeUser(db, 'la_user', { laNumber: la.number });
    const agent = new Agent(t.app);
    await agent.signIn(user.username);
    return agent;
  }

  test('the status says the seconds left, is never kept, and does not keep the session alive', async () => {
    const agent = await signedIn();
    const first = await agent.get('/session/status');
    assert.equal(first.statusCode, 200);
    assert.match(String(first.headers['content-type']), /^application\/json/);
    assert.equal(first.headers['cache-control'], 'no-store');
    assert.deepEqual(first.json(), { signedIn: true, secondsLeft: 30 * 60 });

    const seen = await lastSeenAt(database().db, agent);
    t.clock.advanceMinutes(20);
    const later = await agent.get('/session/status');
    assert.deepEqual(later.json(), { signedIn: true, secondsLeft: 10 * 60 });
    assert.equal(await lastSeenAt(database().db, agent), seen, 'asking is not using s2s');

    // 31 minutes after the last page: signed out, as if the status had never been asked.
    t.clock.advanceMinutes(11);
    const page = await agent.get('/');
    assert.equal(page.headers.location, '/sign-in?expired=1');
  });

  test('signed out, the status answers in JSON, not with the sign-in page', async () => {
    const stranger = await new Agent(t.app).get('/session/status');
    assert.equal(stranger.statusCode, 200);
    assert.deepEqual(stranger.json(), { signedIn: false, secondsLeft: 0 });

    const agent = await signedIn();
    t.clock.advanceMinutes(30);
    const lapsed = await agent.get('/session/status');
    assert.equal(lapsed.statusCode, 200);
    assert.equal(lapsed.headers['cache-control'], 'no-store');
    assert.deepEqual(lapsed.json(), { signedIn: false, secondsLeft: 0 });
  });

  test('the seconds left stop at the end of the session, however recently it was used', async () => {
    const agent = await signedIn();
    // 12 hours at most: used every 25 minutes for 700 minutes, 20 minutes are left, not 30.
    for (let i = 0; i < 28; i += 1) {
      t.clock.advanceMinutes(25);
      assert.equal((await agent.get('/')).statusCode, 200);
    }
    assert.deepEqual((await agent.get('/session/status')).json(), { signedIn: true, secondsLeft: 20 * 60 });
  });

  test("a clock put back a day ends the session; a node's clock a little ahead leaves no more than the idle time", async () => {
    const agent = await signedIn();
    // Another node, its clock 3 minutes ahead, wrote the last use: still 30 minutes left, not 33.
    t.clock.advanceMinutes(3);
    assert.equal((await agent.get('/')).statusCode, 200);
    t.clock.advanceMinutes(-3);
    assert.deepEqual((await agent.get('/session/status')).json(), { signedIn: true, secondsLeft: 30 * 60 });
    assert.equal((await agent.get('/')).statusCode, 200);
    // The clock put back a day: its limits, measured from a time still to come, would leave 24½ hours.
    t.clock.advanceMinutes(-24 * 60);
    assert.deepEqual((await agent.get('/session/status')).json(), { signedIn: false, secondsLeft: 0 });
    assert.equal((await agent.get('/')).headers.location, '/sign-in?expired=1');
    t.clock.advanceMinutes(24 * 60);
  });

  test('keep-alive uses the session now, even within the minute a page already did', async () => {
    const agent = await signedIn();
    t.clock.advanceMinutes(10);
    await agent.get('/'); // uses the session: last seen now
    t.clock.advanceMinutes(0.5);
    const kept = await agent.post('/session/keep-alive', {});
    assert.equal(kept.statusCode, 204);
    assert.equal(await lastSeenAt(database().db, agent), t.clock.now().toISOString());
    assert.deepEqual((await agent.get('/session/status')).json(), { signedIn: true, secondsLeft: 30 * 60 });

    // 29 minutes later the session is still there, 30 minutes after the keep-alive it is not.
    t.clock.advanceMinutes(29);
    assert.deepEqual((await agent.get('/session/status')).json(), { signedIn: true, secondsLeft: 60 });
    t.clock.advanceMinutes(1);
    assert.deepEqual((await agent.get('/session/status')).json(), { signedIn: false, secondsLeft: 0 });
  });

  test('keep-alive needs the form token and a session', async () => {
    const agent = await signedIn();
    await agent.get('/');
    const seen = await lastSeenAt(database().db, agent);
    // Within the minute a page already used the session: only a keep-alive that was let in would write it.
    t.clock.advanceMinutes(0.5);
    const forged = await agent.post('/session/keep-alive', {}, { csrf: false });
    assert.equal(forged.statusCode, 403);
    assert.equal(await lastSeenAt(database().db, agent), seen);

    const stranger = new Agent(t.app);
    await stranger.get('/sign-in');
    const signedOut = await stranger.post('/session/keep-alive', {});
    assert.equal(signedOut.statusCode, 302);
    assert.equal(signedOut.headers.location, '/sign-in');
  });

  test('signed-in pages carry the warning for the script, in the page language; signed-out pages do not', async () => {
    const agent = await signedIn();
    const page = (await agent.get('/')).body;
    assert.match(page, /<template id="s2s-session-timeout"[^>]* data-idle-seconds="1800"/);
    assert.match(page, /data-warning-seconds="120"/);
    assert.match(page, /You will be signed out soon/);
    assert.match(page, /You will be signed out in 2 minutes unless you stay signed in/);
    assert.match(page, /Stay signed in/);
    assert.match(page, /href="\/sign-out"/);
    assert.match(page, /You have been signed out/);
    assert.match(page, /href="\/sign-in\?expired=1"[^>]*>Sign in again/);

    await agent.get('/?lang=cy');
    const welsh = (await agent.get('/')).body;
    assert.match(welsh, /Byddwch yn cael eich allgofnodi cyn bo hir/);

    const signInPage = (await new Agent(t.app).get('/sign-in')).body;
    assert.doesNotMatch(signInPage, /s2s-session-timeout/);
  });

  test('a short idle time warns half-way', async () => {
    const short = await createTestApp(database().db, { SESSION_IDLE_MINUTES: '0.5' });
    try {
      const { db } = database();
      const la = await makeLa(db);
      const user = await makeUser(db, 'la_user', { laNumber: la.number });
      const agent = new Agent(short.app);
      await agent.signIn(user.username);
      const page = (await agent.get('/')).body;
      assert.match(page, /data-idle-seconds="30"/);
      assert.match(page, /data-warning-seconds="15"/);
      assert.match(page, /You will be signed out in 1 minute unless/);
    } finally {
      await short.app.close();
    }
  });
});
