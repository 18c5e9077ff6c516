// Personal API tokens on both engines: the repository and service (made, shown once, stored as a hash,
// listed, last use, revoked, expired, a DBA's reach), and the rate limit per token.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, test } from 'node:test';
import { findApiTokenByHash, listApiTokensOfLa } from '../../src/api/token-repository.ts';
import { ApiTokenService } from '../../src/api/token-service.ts';
import { confirmSecret, insertPendingSecret } from '../../src/auth/two-factor-repository.ts';
import { ManualClock } from '../../src/platform/clock.ts';
import type { Db, LocalAuthorityRow } from '../../src/platform/db/schema.ts';
import { Forbidden, Invalid, NotFound } from '../../src/platform/errors.ts';
import { describeEachEngine } from '../support/databases.ts';
import { makeLa, makeSchool, makeUser } from '../support/factories.ts';
import { actorOf } from '../support/transfers.ts';
import { createTestApp, type TestApp } from '../support/web.ts';
import { api, makeToken } from './support.ts';

describeEachEngine('API tokens', (database) => {
  let db: Db;
  let clock: ManualClock;
  let service: ApiTokenService;
  let la: LocalAuthorityRow;
  let otherLa: LocalAuthorityRow;

  before(async () => {
    db = database().db;
    clock = new ManualClock(new Date('2026-11-23T10:00:00.000Z'));
    service = new ApiTokenService({ db, clock });
    la = await makeLa(db);
    otherLa = await makeLa(db);
  });

  test('a token is s2s_ and 43 characters, stored only as its SHA-256, and audited', async () => {
    const school = await makeSchool(db, la.number);
    const user = await makeUser(db, 'school', { laNumber: la.number, establishmentNumber: school.number });
    const { token, view } = await service.create(actorOf(user), {
      name: ' SIMS ',
      scope: 'read',
      expiry: '90',
    });
    assert.match(token, /^s2s_[A-Za-z0-9_-]{43}$/);
    assert.equal(view.name, 'SIMS');
    assert.equal(view.prefix, token.slice(0, 8));
    assert.equal(view.expiresAt, '2027-02-21T10:00:00.000Z');
    const rows = await db.selectFrom('api_tokens').selectAll().where('user_id', '=', user.id).execute();
    assert.equal(rows.length, 1);
    assert.equal(rows[0]?.token_hash, createHash('sha256').update(token).digest('hex'));
    assert.ok(!JSON.stringify(rows).includes(token.slice(8)), 'the token itself is not stored');
    const audit = await db
      .selectFrom('audit_events')
      .selectAll()
      .where('subject_id', '=', view.id)
      .executeTakeFirstOrThrow();
    assert.equal(audit.action, 'token-created');
    assert.equal(audit.organisation, school.number);
    assert.ok(!String(audit.detail).includes(token));
  });

  test('authenticate: the user as they are now; last use at most once a minute; revoked and expired refused', async () => {
    const user = await makeUser(db, 'la_user', { laNumber: la.number });
    const { token, view } = await service.create(actorOf(user), {
      name: 'MIS',
      scope: 'transfer',
      expiry: '30',
    });
    const found = await service.authenticate(token);
    assert.ok(found.ok);
    assert.equal(found.actor.userId, user.id);
    assert.equal(found.actor.laNumber, la.number);
    assert.deepEqual(found.actor.scopes, ['transfer']);
    const used = await findApiTokenByHash(db, createHash('sha256').update(token).digest('hex'));
    assert.equal(used?.token.last_used_at, '2026-11-23T10:00:00.000Z');
    clock.advanceMinutes(0.5);
    await service.authenticate(token);
    const notAgain = await findApiTokenByHash(db, createHash('sha256').update(token).digest('hex'));
    assert.equal(notAgain?.token.last_used_at, '2026-11-23T10:00:00.000Z');

    const later = new ApiTokenService({ db, clock: new ManualClock('2026-12-24T10:00:00.000Z') });
    assert.deepEqual(await later.authenticate(token), { ok: false, reason: 'expired' });

    await service.revokeOwn(actorOf(user), view.id);
    assert.deepEqual(await service.authenticate(token), { ok: false, reason: 'revoked' });
    const again = await service.revokeOwn(actorOf(user), view.id);
    assert.equal(again.already, true, 'revoked once only: again, it says so and changes nothing');
    assert.deepEqual(await service.authenticate('s2s_short'), { ok: false, reason: 'malformed' });
    assert.deepEqual(await service.authenticate(undefined), { ok: false, reason: 'missing' });
  });

  test('a deleted user’s tokens and a user who must change their password are refused', async () => {
    const user = await makeUser(db, 'la_user', { laNumber: la.number });
    const token = await makeToken(db, user, 'read', clock);
    await db.updateTable('users').set({ must_change_password: 1 }).where('id', '=', user.id).execute();
    assert.deepEqual(await service.authenticate(token), { ok: false, reason: 'password-change' });
    await db
      .updateTable('users')
      .set({ deleted_at: clock.now().toISOString() })
      .where('id', '=', user.id)
      .execute();
    assert.deepEqual(await service.authenticate(token), { ok: false, reason: 'unknown' });
  });

  test('where two-factor sign-in is required, a user of such a role who has not set it up has no API', async () => {
    const dba = await makeUser(db, 'la_dba', { laNumber: la.number });
    const school = await makeSchool(db, la.number);
    const schoolUser = await makeUser(db, 'school', {
      laNumber: la.number,
      establishmentNumber: school.number,
    });
    const dbaToken = await makeToken(db, dba, 'read', clock);
    const schoolToken = await makeToken(db, schoolUser, 'read', clock);
    const enforcing = new ApiTokenService({ db, clock, twoFactorRequired: true });
    assert.deepEqual(await enforcing.authenticate(dbaToken), { ok: false, reason: 'two-factor-set-up' });
    assert.equal((await enforcing.authenticate(schoolToken)).ok, true, 'optional for schools');
    assert.equal((await service.authenticate(dbaToken)).ok, true, 'not required: the token works');
    const at = clock.now().toISOString();
    await insertPendingSecret(db, {
      user_id: dba.id,
      secret_ciphertext: 'sealed',
      wrapped_key: 'wrapped',
      master_key_id: 'test',
      created_at: at,
    });
    await confirmSecret(db, dba.id, at, 1);
    assert.equal((await enforcing.authenticate(dbaToken)).ok, true, 'set up: the token works');
  });

  test('the form’s rules, and roles that exchange no files make no tokens', async () => {
    const user = await makeUser(db, 'la_user', { laNumber: la.number });
    await assert.rejects(
      service.create(actorOf(user), { name: '', scope: 'everything', expiry: '7' }),
      (error: unknown) =>
        error instanceof Invalid && error.errors.map((e) => e.field).join() === 'name,scope,expiry',
    );
    const viewer = await makeUser(db, 'la_dba_view', { laNumber: la.number });
    await assert.rejects(
      service.create(actorOf(viewer), { name: 'x', scope: 'read', expiry: '30' }),
      Forbidden,
    );
  });

  test('a DBA lists and revokes the tokens of its own LA’s users only; another LA’s token is not found', async () => {
    const dba = await makeUser(db, 'la_dba', { laNumber: la.number });
    const school = await makeSchool(db, la.number);
    const ours = await makeUser(db, 'school', { laNumber: la.number, establishmentNumber: school.number });
    const theirs = await makeUser(db, 'la_user', { laNumber: otherLa.number });
    await makeToken(db, ours, 'read', clock);
    await makeToken(db, theirs, 'read', clock);
    const listed = await service.tokensForDba(actorOf(dba));
    assert.ok(listed.some((t) => t.userId === ours.id));
    assert.ok(!listed.some((t) => t.userId === theirs.id));
    const [theirToken] = await listApiTokensOfLa(db, otherLa.number);
    assert.ok(theirToken);
    await assert.rejects(service.revokeAsDba(actorOf(dba), theirToken.id), NotFound);
    const ourToken = listed.find((t) => t.userId === ours.id);
    assert.ok(ourToken);
    const revoked = await service.revokeAsDba(actorOf(dba), ourToken.id);
    assert.equal(revoked.username, ours.username);
    const audit = await db
      .selectFrom('audit_events')
      .selectAll()
      .where('subject_id', '=', ourToken.id)
      .where('action', '=', 'token-revoked')
      .executeTakeFirstOrThrow();
    assert.equal(audit.actor_user_id, dba.id);
    const national = await makeUser(db, 'national_admin');
    const all = await service.tokensForDba(actorOf(national));
    assert.ok(all.some((t) => t.userId === theirs.id));
    const viewer = await makeUser(db, 'la_dba_view', { laNumber: la.number });
    await assert.rejects(service.tokensForDba(actorOf(viewer)), Forbidden);
  });
});

describeEachEngine('API rate limit', (database) => {
  let t: TestApp;
  before(async () => {
    t = await createTestApp(database().db);
  });
  after(async () => {
    await t.app.close();
  });

  test('each token has its own limit per minute; past it, 429 problem+json with Retry-After', async () => {
    const db = database().db;
    const la = await makeLa(db);
    const busy = await makeToken(db, await makeUser(db, 'la_user', { laNumber: la.number }), 'read', t.clock);
    const calm = await makeToken(db, await makeUser(db, 'la_user', { laNumber: la.number }), 'read', t.clock);
    let last = await api(t.app, { url: '/api/v1/files/outgoing?pageSize=1', token: busy });
    assert.equal(last.headers['x-ratelimit-limit'], '120');
    for (let n = 1; n < 120; n += 1) {
      last = await api(t.app, { url: '/api/v1/files/outgoing?pageSize=1', token: busy });
      assert.equal(last.statusCode, 200);
    }
    const limited = await api(t.app, { url: '/api/v1/files/outgoing?pageSize=1', token: busy });
    assert.equal(limited.statusCode, 429);
    assert.match(String(limited.headers['content-type']), /^application\/problem\+json/);
    assert.ok(Number(limited.headers['retry-after']) > 0);
    assert.equal(limited.json().type, '/api/docs#problem-too-many-requests');
    const other = await api(t.app, { url: '/api/v1/files/outgoing?pageSize=1', token: calm });
    assert.equal(other.statusCode, 200, 'another token is not slowed down');
  });

  test("two app processes on one database share a token's budget; the next window starts afresh", async () => {
    const db = database().db;
    const second = await createTestApp(db);
    try {
      const la = await makeLa(db);
      const token = await makeToken(
        db,
        await makeUser(db, 'la_user', { laNumber: la.number }),
        'read',
        t.clock,
      );
      const apps = [t.app, second.app];
      const request = (n: number) =>
        api(apps[n % 2] as TestApp['app'], { url: '/api/v1/files/outgoing?pageSize=1', token });
      for (let n = 0; n < 120; n += 1) {
        const response = await request(n);
        assert.equal(response.statusCode, 200);
        assert.equal(response.headers['x-ratelimit-remaining'], String(119 - n), 'one count for both');
      }
      assert.equal((await request(120)).statusCode, 429, 'the 121st, on the first app');
      assert.equal((await request(121)).statusCode, 429, 'and on the second');
      t.clock.advanceMinutes(1);
      second.clock.advanceMinutes(1);
      assert.equal((await request(0)).statusCode, 200, 'a minute later');
    } finally {
      await second.app.close();
    }
  });
});
