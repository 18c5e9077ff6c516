// The email to a user when their own account changes in a way that matters for its security (decision 70):
// a password changed or issued, two-factor sign-in turned off or reset, new recovery codes, a role changed
// (its API tokens revoked with it), single sign-on unlinked. Each is written to the outbox by the change
// itself, in its transaction, to the user's own address; the same form posted again (the services' "already"
// answers), a user without an address and a deleted account get none. One is delivered over a real SMTP
// server started here.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, test } from 'node:test';
import { CLI_ACTOR } from '../../src/accounts/policy.ts';
import { AccountsService } from '../../src/accounts/service.ts';
import { insertApiToken } from '../../src/api/token-repository.ts';
import type { Actor } from '../../src/auth/actor.ts';
import type { Role } from '../../src/auth/permissions.ts';
import { AuthService } from '../../src/auth/service.ts';
import { totpCodeAt } from '../../src/auth/two-factor-secrets.ts';
import { deliverDue } from '../../src/notifications/delivery.ts';
import { ManualClock } from '../../src/platform/clock.ts';
import type { Db, OutboxRow, UserRow } from '../../src/platform/db/schema.ts';
import { createLogger } from '../../src/platform/logger.ts';
import { createMailer } from '../../src/platform/mail/mailer.ts';
import { MasterKey } from '../../src/platform/storage/envelope.ts';
import { MasterKeyring } from '../../src/platform/storage/keyring.ts';
import { describeEachEngine } from '../support/databases.ts';
import { makeLa, makeUser, TEST_PASSWORD } from '../support/factories.ts';
import { startSmtpServer, type TestSmtpServer } from '../support/smtp.ts';

const ADDRESS = '192.0.2.20';
const OWN_PASSWORD = 'harbour-violet-compass';
const ISSUED = 'lantern-orbit-meadow';

function actorOf(user: UserRow): Actor {
  return {
    userId: user.id,
    username: user.username,
    role: user.role as Role,
    laNumber: user.la_number,
    establishmentNumber: user.establishment_number,
  };
}

function mailbox(): string {
  return `person-${randomUUID().slice(0, 8)}@testshire.example.gov.uk`;
}

describeEachEngine('account changes emailed to the account', (database) => {
  let db: Db;
  let clock: ManualClock;
  let auth: AuthService;
  let accounts: AccountsService;

  before(() => {
    db = database().db;
    clock = new ManualClock('2026-11-23T14:05:05.000Z');
    auth = new AuthService(
      db,
      clock,
      { session: { idleMinutes: 30, absoluteHours: 12 }, signIn: { maxFailures: 5, lockMinutes: 15 } },
      new MasterKeyring(MasterKey.generate()),
    );
    accounts = new AccountsService(db, clock);
  });

  async function emailsTo(user: UserRow): Promise<(OutboxRow & { facts: Record<string, unknown> })[]> {
    const rows = await db
      .selectFrom('notification_outbox')
      .selectAll()
      .where('recipient', '=', user.id)
      .orderBy('created_at')
      .execute();
    return rows.map((row) => ({ ...row, facts: JSON.parse(row.payload) as Record<string, unknown> }));
  }

  /** The one account-changed email the user has, with its facts. */
  async function onlyEmail(user: UserRow) {
    const rows = await emailsTo(user);
    assert.equal(rows.length, 1, JSON.stringify(rows.map((r) => r.facts)));
    const [row] = rows;
    assert.ok(row);
    assert.equal(row.template, 'account-changed');
    assert.equal(row.recipient_kind, 'user');
    assert.equal(row.status, 'pending');
    assert.equal(row.created_at, clock.now().toISOString(), 'written with the change');
    return row.facts;
  }

  async function laWith(role: Role, overrides: Partial<UserRow> = {}) {
    const la = await makeLa(db);
    const user = await makeUser(db, role, { laNumber: la.number }, { email: mailbox(), ...overrides });
    const dba = await makeUser(db, 'la_dba', { laNumber: la.number });
    return { la, user, dba };
  }

  async function enrolled(user: UserRow) {
    const setUp = await auth.twoFactor.setUp(actorOf(user));
    assert.ok(setUp);
    await auth.twoFactor.confirm(actorOf(user), await totpCodeAt(setUp.secret, clock.now()));
    clock.advanceMinutes(0.5);
    return setUp.secret;
  }

  async function token(user: UserRow) {
    await insertApiToken(db, {
      id: randomUUID(),
      user_id: user.id,
      name: 'MIS',
      token_hash: randomUUID(),
      prefix: 's2s_abcd',
      scopes: 'read',
      created_at: clock.now().toISOString(),
      expires_at: '2027-11-23T00:00:00.000Z',
      last_used_at: null,
      revoked_at: null,
      revoked_by: null,
    });
  }

  test('a password changed by its user: told it was them, whom to ask if not; the form posted again tells nothing', async () => {
    const { user } = await laWith('la_user');
    const signedIn = await auth.signIn(user.username, TEST_PASSWORD, ADDRESS);
    assert.ok(signedIn.ok);
    const session = await auth.lookUpSession(signedIn.token);
    assert.equal(session.state, 'active');
    const input = {
      currentPassword: TEST_PASSWORD,
      newPassword: OWN_PASSWORD,
      confirmPassword: OWN_PASSWORD,
    };
    const sessionUser = (session as { user: Parameters<AuthService['changeOwnPassword']>[0] }).user;
    const changed = await auth.changeOwnPassword(
      sessionUser,
      signedIn.token,
      input,
      ADDRESS,
      user.password_changed_at,
    );
    assert.equal(typeof changed, 'string');
    const facts = await onlyEmail(user);
    assert.deepEqual(facts, {
      change: 'password-changed',
      username: user.username,
      at: clock.now().toISOString(),
      by: 'you',
      ask: 'la-administrator',
    });
    assert.doesNotMatch(JSON.stringify(facts), new RegExp(`${OWN_PASSWORD}|${TEST_PASSWORD}`));

    clock.advanceMinutes(1);
    const again = await auth.changeOwnPassword(
      sessionUser,
      signedIn.token,
      input,
      ADDRESS,
      user.password_changed_at,
    );
    assert.equal(typeof again, 'object', 'already');
    assert.equal((await emailsTo(user)).length, 1, 'the form posted again tells nothing');
  });

  test('a password issued by the LA administrator, the tokens it revoked counted; posted again, nothing more', async () => {
    const { user, dba } = await laWith('la_user');
    await token(user);
    await token(user);
    const input = { newPassword: ISSUED, confirmPassword: ISSUED };
    const first = await accounts.resetPassword(actorOf(dba), user.id, input, user.password_changed_at);
    assert.equal(first.already, null);
    const facts = await onlyEmail(user);
    assert.deepEqual(facts, {
      change: 'password-issued',
      username: user.username,
      at: clock.now().toISOString(),
      by: 'la-administrator',
      ask: 'la-administrator',
      tokensRevoked: 2,
    });
    assert.doesNotMatch(JSON.stringify(facts), new RegExp(ISSUED));
    clock.advanceMinutes(1);
    const again = await accounts.resetPassword(actorOf(dba), user.id, input, user.password_changed_at);
    assert.equal(again.already, 'issued');
    assert.equal((await emailsTo(user)).length, 1);
  });

  test("an LA administrator's password issued by the national administrator: told it was the service desk, and to ask it", async () => {
    const { user } = await laWith('la_dba');
    const admin = await makeUser(db, 'national_admin', {});
    await accounts.resetPassword(actorOf(admin), user.id, { newPassword: ISSUED, confirmPassword: ISSUED });
    const facts = await onlyEmail(user);
    assert.equal(facts.by, 'service-desk');
    assert.equal(facts.ask, 'service-desk');
    assert.equal(facts.tokensRevoked, undefined, 'no token to revoke: not said');
  });

  test('two-factor sign-in turned off by its user; posted again, nothing more', async () => {
    const { user } = await laWith('la_user');
    const secret = await enrolled(user);
    const code = await totpCodeAt(secret, clock.now());
    assert.deepEqual(await auth.twoFactor.turnOff(actorOf(user), code, ADDRESS), { done: true });
    const facts = await onlyEmail(user);
    assert.equal(facts.change, 'two-factor-turned-off');
    assert.equal(facts.by, 'you');
    assert.deepEqual(await auth.twoFactor.turnOff(actorOf(user), code, ADDRESS), { already: true });
    assert.equal((await emailsTo(user)).length, 1);
  });

  test('new recovery codes made by their user, never the codes; the form posted again, nothing more', async () => {
    const { user } = await laWith('la_user');
    const secret = await enrolled(user);
    const madeAsSeen = (await auth.twoFactor.status(actorOf(user))).recoveryCodesMadeAt ?? undefined;
    const code = await totpCodeAt(secret, clock.now());
    const codes = await auth.twoFactor.newRecoveryCodes(actorOf(user), code, ADDRESS, madeAsSeen);
    assert.ok(Array.isArray(codes));
    const facts = await onlyEmail(user);
    assert.equal(facts.change, 'recovery-codes-replaced');
    for (const made of codes) assert.ok(!JSON.stringify(facts).includes(made));
    clock.advanceMinutes(1);
    const again = await auth.twoFactor.newRecoveryCodes(actorOf(user), code, ADDRESS, madeAsSeen);
    assert.deepEqual(again, { already: true });
    assert.equal((await emailsTo(user)).length, 1);
  });

  test('two-factor sign-in reset by the LA administrator; the form posted again, nothing more', async () => {
    const { user, dba } = await laWith('la_lost_pupil');
    await enrolled(user);
    const enrolledAt = (await auth.twoFactor.status(actorOf(user))).enrolledAt ?? undefined;
    assert.equal((await accounts.resetTwoFactor(actorOf(dba), user.id, enrolledAt)).reset, true);
    const facts = await onlyEmail(user);
    assert.equal(facts.change, 'two-factor-reset');
    assert.equal(facts.by, 'la-administrator');
    const again = await accounts.resetTwoFactor(actorOf(dba), user.id, enrolledAt);
    assert.equal(again.already, true);
    assert.equal((await accounts.resetTwoFactor(actorOf(dba), user.id)).reset, false, 'nothing to reset');
    assert.equal((await emailsTo(user)).length, 1);
  });

  test('two-factor sign-in reset by `s2s users reset-two-factor`: told it was the service desk', async () => {
    const user = await makeUser(db, 'national_admin', {}, { email: mailbox() });
    await enrolled(user);
    assert.equal((await accounts.resetTwoFactor(CLI_ACTOR, user.id)).reset, true);
    const facts = await onlyEmail(user);
    assert.equal(facts.change, 'two-factor-reset');
    assert.equal(facts.by, 'service-desk');
    assert.equal(facts.ask, 'service-desk');
  });

  test('a role changed, with the tokens it revoked; the form posted again, nothing more', async () => {
    const { user, dba } = await laWith('la_user');
    await token(user);
    const changed = await accounts.changeRole(actorOf(dba), user.id, 'la_lost_pupil', 'la_user');
    assert.equal(changed.already, false);
    const facts = await onlyEmail(user);
    assert.deepEqual(facts, {
      change: 'role-changed',
      username: user.username,
      at: clock.now().toISOString(),
      by: 'la-administrator',
      ask: 'la-administrator',
      fromRole: 'la_user',
      toRole: 'la_lost_pupil',
      tokensRevoked: 1,
    });
    const again = await accounts.changeRole(actorOf(dba), user.id, 'la_lost_pupil', 'la_user');
    assert.equal(again.already, true);
    assert.equal((await emailsTo(user)).length, 1);
  });

  test('made an LA administrator by the national administrator: to ask the service desk', async () => {
    const la = await makeLa(db);
    const user = await makeUser(db, 'la_user', { laNumber: la.number }, { email: mailbox() });
    const admin = await makeUser(db, 'national_admin', {});
    await accounts.changeRole(actorOf(admin), user.id, 'la_dba', 'la_user');
    const facts = await onlyEmail(user);
    assert.equal(facts.by, 'service-desk');
    assert.equal(facts.ask, 'service-desk');
  });

  test('single sign-on unlinked by the LA administrator; again, with nothing left to unlink, nothing more', async () => {
    const { user, dba } = await laWith('la_user');
    await db
      .insertInto('oidc_identities')
      .values({
        id: randomUUID(),
        issuer: 'https://login.testshire.example',
        subject: randomUUID(),
        user_id: user.id,
        linked_email: user.email,
        linked_at: clock.now().toISOString(),
        last_used_at: null,
      })
      .execute();
    assert.equal((await accounts.unlinkSingleSignOn(actorOf(dba), user.id)).unlinked, 1);
    const facts = await onlyEmail(user);
    assert.equal(facts.change, 'single-sign-on-unlinked');
    assert.equal(facts.by, 'la-administrator');
    assert.equal((await accounts.unlinkSingleSignOn(actorOf(dba), user.id)).unlinked, 0);
    assert.equal((await emailsTo(user)).length, 1);
  });

  test('a user without an email address of their own is told nothing, and the change is made', async () => {
    const { user, dba } = await laWith('la_user', { email: null });
    await accounts.resetPassword(actorOf(dba), user.id, { newPassword: ISSUED, confirmPassword: ISSUED });
    await accounts.changeRole(actorOf(dba), user.id, 'la_lost_pupil', 'la_user');
    assert.deepEqual(await emailsTo(user), [], 'not even to the LA’s shared address');
    const row = await db
      .selectFrom('users')
      .select('role')
      .where('id', '=', user.id)
      .executeTakeFirstOrThrow();
    assert.equal(row.role, 'la_lost_pupil');
  });

  test('a deleted account is told nothing', async () => {
    const { user, dba } = await laWith('la_user');
    await token(user);
    assert.equal((await accounts.remove(actorOf(dba), user.id)).already, false);
    assert.deepEqual(await emailsTo(user), []);
  });
});

describeEachEngine('an account change emailed over SMTP', (database) => {
  let smtp: TestSmtpServer;
  before(async () => {
    smtp = await startSmtpServer();
  });
  after(async () => {
    await smtp.stop();
  });

  test('the email reaches the user’s own address in their language, saying what, when, by whom and whom to ask', async () => {
    const { db } = database();
    const clock = new ManualClock('2026-11-23T14:05:00.000Z');
    const la = await makeLa(db);
    const address = mailbox();
    const user = await makeUser(db, 'la_user', { laNumber: la.number }, { email: address, language: 'cy' });
    const dba = await makeUser(db, 'la_dba', { laNumber: la.number });
    await new AccountsService(db, clock).changeRole(actorOf(dba), user.id, 'la_plasc', 'la_user');
    const mailer = createMailer(smtp.config());
    try {
      const result = await deliverDue({
        db,
        mailer,
        clock,
        logger: createLogger('silent'),
        email: {
          serviceName: 's2s',
          serviceUrl: 'https://s2s.test.example',
          serviceDesk: { email: 'desk@example.gov.uk', telephone: '0300 123 4567' },
        },
        owner: 'test',
      });
      assert.equal(result.sent, 1);
    } finally {
      mailer.close();
    }
    const [email, ...more] = smtp.received.splice(0);
    assert.equal(more.length, 0);
    assert.ok(email);
    assert.deepEqual(email.to, [address]);
    assert.equal(email.subject, 'Cafodd rôl eich cyfrif s2s ei newid');
    const text = email.text.replace(/\s+/g, ' ');
    assert.match(
      text,
      new RegExp(`Cafodd rôl eich cyfrif s2s ${user.username} ei newid o Defnyddiwr AALl i PLASC AALl\\.`),
    );
    assert.match(text, /Pryd: 23 Tachwedd 2026 am 2:05yh \(amser y DU\)/);
    assert.match(text, /Newidiwyd gan: gweinyddwr s2s eich awdurdod lleol/);
    assert.match(text, /cysylltwch â gweinyddwr s2s eich awdurdod lleol ar unwaith/);
  });
});
