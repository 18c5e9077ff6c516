// Two-factor sign-in in the domain: set-up, the second step of signing in (codes of the current step and
// one either side, replay refused), recovery codes, throttling and the DBA's reset, on both engines with a
// clock that moves only when told.
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { AccountsService } from '../../src/accounts/service.ts';
import type { Actor } from '../../src/auth/actor.ts';
import type { Role } from '../../src/auth/permissions.ts';
import { AuthService, type SignedInUser } from '../../src/auth/service.ts';
import { getTwoFactorSecret } from '../../src/auth/two-factor-repository.ts';
import {
  normaliseRecoveryCode,
  openSecret,
  TOTP_PERIOD_SECONDS,
  totpCodeAt,
} from '../../src/auth/two-factor-secrets.ts';
import { ConfigError, loadConfig } from '../../src/config.ts';
import { ManualClock } from '../../src/platform/clock.ts';
import type { Db, UserRow } from '../../src/platform/db/schema.ts';
import { Invalid, NotFound } from '../../src/platform/errors.ts';
import { MasterKey } from '../../src/platform/storage/envelope.ts';
import { MasterKeyring, MissingMasterKeyError } from '../../src/platform/storage/keyring.ts';
import { describeEachEngine } from '../support/databases.ts';
import { makeLa, makeUser, TEST_PASSWORD } from '../support/factories.ts';

const STEP_MINUTES = TOTP_PERIOD_SECONDS / 60;
const ADDRESS = '192.0.2.10';

function actorOf(user: UserRow): Actor {
  return {
    userId: user.id,
    username: user.username,
    role: user.role as Role,
    laNumber: user.la_number,
    establishmentNumber: user.establishment_number,
  };
}

describeEachEngine('two-factor sign-in', (database) => {
  let db: Db;
  let clock: ManualClock;
  let masterKey: MasterKeyring;
  /** Two-factor sign-in required of the roles that must use it (as in production). */
  let auth: AuthService;

  before(() => {
    db = database().db;
    clock = new ManualClock('2026-11-23T09:00:05.000Z');
    masterKey = new MasterKeyring(MasterKey.generate());
    auth = new AuthService(
      db,
      clock,
      {
        session: { idleMinutes: 30, absoluteHours: 12 },
        signIn: { maxFailures: 5, lockMinutes: 15 },
        twoFactor: { required: true },
      },
      masterKey,
    );
  });

  /** A user of the role with two-factor sign-in set up: their secret and recovery codes. */
  async function enrolled(role: Role = 'la_user') {
    const la = await makeLa(db);
    const user = await makeUser(db, role, { laNumber: la.number });
    const setUp = await auth.twoFactor.setUp(actorOf(user));
    assert.ok(setUp);
    const codes = await auth.twoFactor.confirm(actorOf(user), await totpCodeAt(setUp.secret, clock.now()));
    return { user, la, secret: setUp.secret, codes };
  }

  /** Signs in with the password; the session waits for its second step. */
  async function passwordStep(user: UserRow): Promise<string> {
    const outcome = await auth.signIn(user.username, TEST_PASSWORD, ADDRESS);
    assert.ok(outcome.ok);
    assert.equal(outcome.secondStep, true);
    return outcome.token;
  }

  test('the secret is sealed at rest under the master key, bound to its user', async () => {
    const la = await makeLa(db);
    const user = await makeUser(db, 'la_user', { laNumber: la.number });
    const other = await makeUser(db, 'la_user', { laNumber: la.number });
    const setUp = await auth.twoFactor.setUp(actorOf(user));
    assert.ok(setUp);
    assert.match(setUp.secret, /^[A-Z2-7]{32}$/, '160 bits, base32');
    assert.match(setUp.uri, new RegExp(`^otpauth://totp/s2s:${user.username}\\?secret=${setUp.secret}`));
    const again = await auth.twoFactor.setUp(actorOf(user));
    assert.equal(again?.secret, setUp.secret, 'the page shown again shows the same secret');

    const row = await getTwoFactorSecret(db, user.id);
    assert.ok(row);
    assert.equal(row.confirmed_at, null, 'not counted until a code is entered');
    assert.equal(row.master_key_id, masterKey.current.id);
    assert.ok(!row.secret_ciphertext.includes(setUp.secret));
    const sealed = {
      ciphertext: row.secret_ciphertext,
      wrappedKey: row.wrapped_key,
      masterKeyId: row.master_key_id,
    };
    assert.equal(openSecret(masterKey, user.id, sealed), setUp.secret);
    assert.throws(
      () => openSecret(masterKey, other.id, sealed),
      'a row copied to another user does not open',
    );
    assert.throws(
      () => openSecret(new MasterKeyring(MasterKey.generate()), user.id, sealed),
      MissingMasterKeyError,
      'another master key does not open it',
    );
  });

  test('set-up is confirmed only with a right code, and gives 10 recovery codes once', async () => {
    const la = await makeLa(db);
    const user = await makeUser(db, 'la_user', { laNumber: la.number });
    const setUp = await auth.twoFactor.setUp(actorOf(user));
    assert.ok(setUp);
    await assert.rejects(auth.twoFactor.confirm(actorOf(user), ''), Invalid);
    await assert.rejects(auth.twoFactor.confirm(actorOf(user), '12345x'), /6 digits/);
    const wrong = await totpCodeAt(setUp.secret, new Date(clock.now().getTime() - 5 * 60_000));
    await assert.rejects(auth.twoFactor.confirm(actorOf(user), wrong), /not correct/);
    assert.equal((await auth.twoFactor.status(actorOf(user))).enrolled, false);

    const codes = await auth.twoFactor.confirm(actorOf(user), await totpCodeAt(setUp.secret, clock.now()));
    assert.equal(codes.length, 10);
    assert.equal(new Set(codes).size, 10);
    for (const code of codes) assert.match(code, /^[0-9a-z]{4}-[0-9a-z]{4}-[0-9a-z]{4}-[0-9a-z]{4}$/);
    const status = await auth.twoFactor.status(actorOf(user));
    assert.deepEqual(status, {
      enrolled: true,
      enrolledAt: clock.now().toISOString(),
      recoveryCodesLeft: 10,
      recoveryCodesMadeAt: clock.now().toISOString(),
      required: false,
      // Who can reset it for an LEA User: their LA's administrator.
      resetter: 'auth.two-factor.resetter.la',
    });
    assert.equal(await auth.twoFactor.setUp(actorOf(user)), null, 'nothing more to set up');
    const stored = await db
      .selectFrom('two_factor_recovery_codes')
      .selectAll()
      .where('user_id', '=', user.id)
      .execute();
    assert.equal(stored.length, 10);
    for (const row of stored) {
      assert.match(row.code_hash, /^[0-9a-f]{64}$/);
      assert.ok(!codes.some((code) => row.code_hash.includes(normaliseRecoveryCode(code) ?? code)));
    }
    const audit = await db
      .selectFrom('audit_events')
      .selectAll()
      .where('actor_user_id', '=', user.id)
      .execute();
    assert.ok(audit.some((e) => e.action === 'two-factor-enrolled' && e.organisation === la.number));
    assert.ok(
      audit.every((e) => !(e.detail ?? '').includes(setUp.secret)),
      'the secret is never audited',
    );
  });

  test('after the password, the session opens nothing until a code of now or one step either side', async () => {
    const { user, secret } = await enrolled();
    const attemptsBefore = await db
      .selectFrom('sign_in_attempts')
      .selectAll()
      .where('username', '=', user.username)
      .execute();
    const token = await passwordStep(user);
    const pending = await auth.lookUpSession(token);
    assert.equal(pending.state, 'pending', 'a session waiting for its second step is not signed in');
    const attempts = await db
      .selectFrom('sign_in_attempts')
      .selectAll()
      .where('username', '=', user.username)
      .execute();
    assert.equal(
      attempts.length,
      attemptsBefore.length,
      'no successful attempt recorded for the password alone',
    );

    // The code used to confirm the set-up (this very step) is refused: a replay.
    const replay = await auth.signInSecondStep(
      token,
      { code: await totpCodeAt(secret, clock.now()) },
      ADDRESS,
    );
    assert.deepEqual(replay, { ok: false, reason: 'wrong-code' });

    clock.advanceMinutes(3 * STEP_MINUTES);
    const tooOld = await totpCodeAt(secret, new Date(clock.now().getTime() - 2 * TOTP_PERIOD_SECONDS * 1000));
    assert.deepEqual(await auth.signInSecondStep(token, { code: tooOld }, ADDRESS), {
      ok: false,
      reason: 'wrong-code',
    });
    const previousStep = await totpCodeAt(
      secret,
      new Date(clock.now().getTime() - TOTP_PERIOD_SECONDS * 1000),
    );
    const signedIn = await auth.signInSecondStep(
      token,
      { code: ` ${previousStep.slice(0, 3)} ${previousStep.slice(3)} ` },
      ADDRESS,
    );
    assert.ok(signedIn.ok, 'a code one step old (spaces ignored) signs in');
    assert.equal(signedIn.via, 'code');
    assert.notEqual(signedIn.token, token, 'a new session token');
    // The waiting session is ended, kept a while to say why (decision 59): it opens nothing.
    assert.deepEqual(await auth.lookUpSession(token), { state: 'ended', reason: 'signed-in' });
    assert.deepEqual(await auth.signInSecondStep(token, { code: previousStep }, ADDRESS), {
      ok: false,
      reason: 'signed-in-already',
    });
    const session = await auth.lookUpSession(signedIn.token);
    assert.equal(session.state, 'active');

    // Another sign-in in the same step cannot reuse that code, nor the code of the step before it.
    const second = await passwordStep(user);
    assert.deepEqual(await auth.signInSecondStep(second, { code: previousStep }, ADDRESS), {
      ok: false,
      reason: 'wrong-code',
    });
    const older = await totpCodeAt(secret, new Date(clock.now().getTime() - 2 * TOTP_PERIOD_SECONDS * 1000));
    assert.equal((await auth.signInSecondStep(second, { code: older }, ADDRESS)).ok, false);
    const nextStep = await totpCodeAt(secret, new Date(clock.now().getTime() + TOTP_PERIOD_SECONDS * 1000));
    assert.equal(
      (await auth.signInSecondStep(second, { code: nextStep }, ADDRESS)).ok,
      true,
      'one step ahead',
    );
    const audit = await db
      .selectFrom('audit_events')
      .selectAll()
      .where('actor_user_id', '=', user.id)
      .execute();
    assert.ok(audit.some((e) => e.action === 'sign-in' && (e.detail ?? '').includes('"secondStep":"code"')));
  });

  test('the second step must come within 10 minutes of the password', async () => {
    const { user, secret } = await enrolled();
    const token = await passwordStep(user);
    clock.advanceMinutes(11);
    const late = await auth.signInSecondStep(token, { code: await totpCodeAt(secret, clock.now()) }, ADDRESS);
    assert.deepEqual(late, { ok: false, reason: 'expired' });
    assert.deepEqual(await auth.signInSecondStep(undefined, { code: '123456' }, ADDRESS), {
      ok: false,
      reason: 'expired',
    });
  });

  test('each recovery code signs in once, and the audit says how many are left', async () => {
    const { user, codes } = await enrolled();
    const first = codes[0] ?? '';
    const token = await passwordStep(user);
    const signedIn = await auth.signInSecondStep(
      token,
      { recoveryCode: first.toUpperCase().replaceAll('-', ' ') },
      ADDRESS,
    );
    assert.ok(signedIn.ok, 'case and separators do not matter');
    assert.equal(signedIn.via, 'recovery-code');
    assert.equal(signedIn.recoveryCodesLeft, 9);

    const again = await passwordStep(user);
    assert.deepEqual(await auth.signInSecondStep(again, { recoveryCode: first }, ADDRESS), {
      ok: false,
      reason: 'wrong-code',
    });
    assert.equal((await auth.signInSecondStep(again, { recoveryCode: 'not-a-code' }, ADDRESS)).ok, false);
    assert.equal((await auth.twoFactor.status(actorOf(user))).recoveryCodesLeft, 9);
    const used = await db
      .selectFrom('audit_events')
      .selectAll()
      .where('actor_user_id', '=', user.id)
      .where('action', '=', 'recovery-code-used')
      .execute();
    assert.equal(used.length, 1);
    assert.equal(used[0]?.detail, JSON.stringify({ recoveryCodesLeft: 9 }));
  });

  test('wrong codes are throttled like wrong passwords, and signing in again with the password does not reset the count', async () => {
    const { user, secret } = await enrolled();
    clock.advanceMinutes(STEP_MINUTES);
    let token = await passwordStep(user);
    for (let i = 0; i < 3; i += 1) {
      assert.equal((await auth.signInSecondStep(token, { code: '000000' }, ADDRESS)).ok, false);
    }
    token = await passwordStep(user);
    for (let i = 0; i < 2; i += 1) {
      assert.equal((await auth.signInSecondStep(token, { code: '000000' }, ADDRESS)).ok, false);
    }
    const right = await totpCodeAt(secret, clock.now());
    assert.deepEqual(await auth.signInSecondStep(token, { code: right }, ADDRESS), {
      ok: false,
      reason: 'throttled',
    });
    const password = await auth.signIn(user.username, TEST_PASSWORD, ADDRESS);
    assert.deepEqual(password, { ok: false, reason: 'throttled' }, 'the password step is paused too');

    clock.advanceMinutes(16);
    token = await passwordStep(user);
    const signedIn = await auth.signInSecondStep(
      token,
      { code: await totpCodeAt(secret, clock.now()) },
      ADDRESS,
    );
    assert.ok(signedIn.ok, 'after the pause the right code works');
    const failures = await db
      .selectFrom('audit_events')
      .selectAll()
      .where('subject_id', '=', user.username)
      .where('action', '=', 'sign-in-failed')
      .execute();
    assert.ok(failures.some((e) => (e.detail ?? '').includes('"step":"two-factor"')));
  });

  test('a role that must use it is sent to set it up and cannot turn it off; others may', async () => {
    const la = await makeLa(db);
    const dba = await makeUser(db, 'la_dba', { laNumber: la.number });
    const outcome = await auth.signIn(dba.username, TEST_PASSWORD, ADDRESS);
    assert.ok(outcome.ok);
    assert.equal(outcome.secondStep, false);
    assert.equal(outcome.mustSetUpTwoFactor, true);
    const session = await auth.lookUpSession(outcome.token);
    assert.equal(session.state, 'active');
    assert.equal((session as { user: SignedInUser }).user.mustSetUpTwoFactor, true);

    const setUp = await auth.twoFactor.setUp(actorOf(dba));
    assert.ok(setUp);
    await auth.twoFactor.confirm(actorOf(dba), await totpCodeAt(setUp.secret, clock.now()), outcome.token);
    const after = await auth.lookUpSession(outcome.token);
    assert.equal((after as { user: SignedInUser }).user.mustSetUpTwoFactor, false);
    clock.advanceMinutes(STEP_MINUTES);
    await assert.rejects(
      auth.twoFactor.turnOff(actorOf(dba), await totpCodeAt(setUp.secret, clock.now()), ADDRESS),
      /cannot be turned off/,
    );
    assert.equal((await auth.twoFactor.status(actorOf(dba))).enrolled, true);

    const { user: school, secret } = await enrolled('la_user');
    clock.advanceMinutes(STEP_MINUTES);
    await assert.rejects(auth.twoFactor.turnOff(actorOf(school), '000000', ADDRESS), /not correct/);
    await auth.twoFactor.turnOff(actorOf(school), await totpCodeAt(secret, clock.now()), ADDRESS);
    assert.equal((await auth.twoFactor.status(actorOf(school))).enrolled, false);
    const plain = await auth.signIn(school.username, TEST_PASSWORD, ADDRESS);
    assert.ok(plain.ok);
    assert.equal(plain.secondStep, false, 'the password alone signs in again');
    assert.equal(plain.mustSetUpTwoFactor, false);
  });

  test('without TWO_FACTOR_REQUIRED (demo, tests) no role is sent to set it up', async () => {
    const relaxed = new AuthService(
      db,
      clock,
      { session: { idleMinutes: 30, absoluteHours: 12 }, signIn: { maxFailures: 5, lockMinutes: 15 } },
      masterKey,
    );
    const la = await makeLa(db);
    const admin = await makeUser(db, 'national_admin', {});
    const lost = await makeUser(db, 'la_lost_pupil', { laNumber: la.number });
    for (const user of [admin, lost]) {
      const outcome = await relaxed.signIn(user.username, TEST_PASSWORD, ADDRESS);
      assert.ok(outcome.ok);
      assert.equal(outcome.mustSetUpTwoFactor, false);
    }
  });

  test('new recovery codes replace the old ones, after a code from the app', async () => {
    const { user, secret, codes } = await enrolled();
    clock.advanceMinutes(STEP_MINUTES);
    await assert.rejects(
      auth.twoFactor.newRecoveryCodes(actorOf(user), '', ADDRESS),
      /Enter the 6-digit code/,
    );
    const fresh = await auth.twoFactor.newRecoveryCodes(
      actorOf(user),
      await totpCodeAt(secret, clock.now()),
      ADDRESS,
    );
    assert.equal(fresh.length, 10);
    const token = await passwordStep(user);
    assert.equal((await auth.signInSecondStep(token, { recoveryCode: codes[1] ?? '' }, ADDRESS)).ok, false);
    assert.equal((await auth.signInSecondStep(token, { recoveryCode: fresh[1] ?? '' }, ADDRESS)).ok, true);
  });

  test("an LA's DBA resets the two-factor sign-in of its own LA's users only; the national administrator anyone's", async () => {
    const accounts = new AccountsService(db, clock);
    const { user, la } = await enrolled('la_lost_pupil');
    const userSession = await passwordStep(user);
    const dba = await makeUser(db, 'la_dba', { laNumber: la.number });
    const otherLa = await makeLa(db);
    const otherDba = await makeUser(db, 'la_dba', { laNumber: otherLa.number });

    await assert.rejects(accounts.resetTwoFactor(actorOf(otherDba), user.id), NotFound);
    assert.equal((await auth.twoFactor.status(actorOf(user))).enrolled, true);
    await assert.rejects(accounts.resetTwoFactor(actorOf(dba), dba.id), /Two-factor sign-in in the menu/);

    const { reset } = await accounts.resetTwoFactor(actorOf(dba), user.id);
    assert.equal(reset, true);
    assert.equal((await auth.twoFactor.status(actorOf(user))).enrolled, false);
    assert.deepEqual(
      await auth.lookUpSession(userSession),
      { state: 'ended', reason: 'two-factor-reset' },
      'signed out everywhere, saying why',
    );
    const codesLeft = await db
      .selectFrom('two_factor_recovery_codes')
      .selectAll()
      .where('user_id', '=', user.id)
      .execute();
    assert.equal(codesLeft.length, 0);
    const audit = await db
      .selectFrom('audit_events')
      .selectAll()
      .where('action', '=', 'two-factor-reset')
      .where('subject_id', '=', user.username)
      .executeTakeFirstOrThrow();
    assert.equal(audit.actor_user_id, dba.id);
    assert.equal(audit.organisation, la.number);
    const again = await accounts.resetTwoFactor(actorOf(dba), user.id);
    assert.equal(again.reset, false, 'nothing left to reset');

    // Its role requires two-factor sign-in: the next sign-in sends the user to set it up again.
    const next = await auth.signIn(user.username, TEST_PASSWORD, ADDRESS);
    assert.ok(next.ok);
    assert.equal(next.secondStep, false);
    assert.equal(next.mustSetUpTwoFactor, true);

    // An LA's DBA cannot reset another DBA; the national administrator can.
    const { user: peer } = await enrolled('la_dba');
    const peerOfLa = await makeUser(db, 'la_dba', { laNumber: peer.la_number });
    await assert.rejects(
      accounts.resetTwoFactor(actorOf(peerOfLa), peer.id),
      /Only the s2s National Administrator/,
    );
    const admin = await makeUser(db, 'national_admin', {});
    assert.equal((await accounts.resetTwoFactor(actorOf(admin), peer.id)).reset, true);
  });
});

describe('TWO_FACTOR_REQUIRED', () => {
  const production = {
    S2S_ENV: 'production',
    COOKIE_SECRET: 'x'.repeat(32),
    SMTP_HOST: 'smtp.example.gov.uk',
    SERVICE_URL: 'https://s2s.example.gov.uk',
    CLAMD_SOCKET: '/run/clamav/clamd.ctl',
    MASTER_KEY: Buffer.alloc(32, 7).toString('base64'),
  };

  test('is on in production, where it cannot be turned off, and off by default elsewhere', () => {
    assert.deepEqual(loadConfig(production).twoFactor, { required: true });
    assert.throws(
      () => loadConfig({ ...production, TWO_FACTOR_REQUIRED: 'false' }),
      (error: unknown) => error instanceof ConfigError && /TWO_FACTOR_REQUIRED/.test(error.message),
    );
    assert.deepEqual(loadConfig({ S2S_ENV: 'development' }).twoFactor, { required: false });
    assert.deepEqual(loadConfig({ S2S_ENV: 'test' }).twoFactor, { required: false });
    assert.deepEqual(loadConfig({ S2S_ENV: 'development', TWO_FACTOR_REQUIRED: 'true' }).twoFactor, {
      required: true,
    });
  });
});
