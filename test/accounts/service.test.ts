import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { before, test } from 'node:test';
import { CLI_ACTOR } from '../../src/accounts/policy.ts';
import { AccountsService, type NewAccountInput, USERS_PER_PAGE } from '../../src/accounts/service.ts';
import type { Actor } from '../../src/auth/actor.ts';
import { verifyPassword } from '../../src/auth/passwords.ts';
import type { Role } from '../../src/auth/permissions.ts';
import { insertSession } from '../../src/auth/repository.ts';
import { ManualClock } from '../../src/platform/clock.ts';
import type { Db, UserRow } from '../../src/platform/db/schema.ts';
import { Forbidden, Invalid, NotFound } from '../../src/platform/errors.ts';
import { translateMessage } from '../../src/platform/i18n/catalogue.ts';
import { describeEachEngine } from '../support/databases.ts';
import { makeLa, makeSchool, makeUser, makeUsersOfLa } from '../support/factories.ts';

const ISSUED = 'lantern-orbit-meadow';
let counter = 0;

function uniqueUsername(prefix = 'u'): string {
  counter += 1;
  return `${prefix}${randomUUID().replaceAll('-', '').slice(0, 8)}${counter}`;
}

function input(overrides: Partial<NewAccountInput> = {}): NewAccountInput {
  return {
    username: uniqueUsername(),
    fullName: 'Bea Jones',
    email: 'bea.jones@testshire.example.gov.uk',
    telephone: '01452 425000',
    role: 'la_user',
    laNumber: '',
    establishmentNumber: '',
    newPassword: ISSUED,
    confirmPassword: ISSUED,
    ...overrides,
  };
}

function actorOf(user: Omit<UserRow, 'password_hash'>): Actor {
  return {
    userId: user.id,
    username: user.username,
    role: user.role as Role,
    laNumber: user.la_number,
    establishmentNumber: user.establishment_number,
  };
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  assert.fail('expected a refusal');
}

async function invalidFields(promise: Promise<unknown>): Promise<Record<string, string>> {
  const error = await rejection(promise);
  assert.ok(error instanceof Invalid, `expected Invalid, got ${String(error)}`);
  return Object.fromEntries(error.errors.map((e) => [e.field, e.message]));
}

async function auditOf(db: Db, subject: string) {
  return db.selectFrom('audit_events').selectAll().where('subject_id', '=', subject).execute();
}

async function rawUser(db: Db, username: string) {
  return db.selectFrom('users').selectAll().where('username', '=', username).executeTakeFirst();
}

async function addSession(db: Db, userId: string): Promise<void> {
  const at = '2026-11-23T08:00:00.000Z';
  await insertSession(db, {
    id: randomUUID().replaceAll('-', ''),
    user_id: userId,
    created_at: at,
    last_seen_at: at,
    expires_at: '2026-11-23T20:00:00.000Z',
  });
}

/** The user's sessions not ended (an ended one's row is kept a while to say why: decisions 59, 62). */
async function sessionCount(db: Db, userId: string): Promise<number> {
  const rows = await db
    .selectFrom('sessions')
    .select('id')
    .where('user_id', '=', userId)
    .where('sign_in_method', 'not like', 'ended%')
    .execute();
  return rows.length;
}

describeEachEngine('accounts service', (database) => {
  let accounts: AccountsService;
  let clock: ManualClock;
  before(() => {
    clock = new ManualClock();
    accounts = new AccountsService(database().db, clock);
  });

  async function laWithDba() {
    const { db } = database();
    const la = await makeLa(db);
    const dba = await makeUser(db, 'la_dba', { laNumber: la.number });
    return { la, dba, actor: actorOf(dba) };
  }

  test('a DBA adds a user to their own LA with an issued password that must be changed', async () => {
    const { db } = database();
    const { la, dba, actor } = await laWithDba();
    const other = await makeLa(db);
    // An LA DBA's users always belong to the DBA's LA, whatever the form says.
    const added = await accounts.add(actor, input({ laNumber: other.number }));
    const row = await rawUser(db, added.username);
    assert.ok(row);
    assert.equal(row.la_number, la.number);
    assert.equal(row.role, 'la_user');
    assert.equal(row.establishment_number, null);
    assert.equal(row.must_change_password, 1);
    assert.equal(row.email, 'bea.jones@testshire.example.gov.uk');
    assert.notEqual(row.password_hash, ISSUED);
    assert.ok(await verifyPassword(row.password_hash, ISSUED));

    const audit = await auditOf(db, added.username);
    assert.equal(audit.length, 1);
    assert.equal(audit[0]?.action, 'user-added');
    assert.equal(audit[0]?.organisation, la.number);
    assert.equal(audit[0]?.actor_user_id, dba.id);
    assert.equal(audit[0]?.actor_username, dba.username);
    assert.doesNotMatch(audit[0]?.detail ?? '', new RegExp(ISSUED));
  });

  test('a school user must name a school of the LA, and carries its LA number', async () => {
    const { db } = database();
    const { la, actor } = await laWithDba();
    const school = await makeSchool(db, la.number);
    const elsewhere = await makeSchool(db, (await makeLa(db)).number);

    const missing = await invalidFields(accounts.add(actor, input({ role: 'school' })));
    assert.match(missing.establishmentNumber ?? '', /Choose the school/);
    const foreign = await invalidFields(
      accounts.add(actor, input({ role: 'school', establishmentNumber: elsewhere.number })),
    );
    assert.match(
      foreign.establishmentNumber ?? '',
      new RegExp(`no school ${elsewhere.number} in LA ${la.number}`),
    );
    const notSchoolRole = await invalidFields(
      accounts.add(actor, input({ role: 'la_user', establishmentNumber: school.number })),
    );
    assert.match(notSchoolRole.establishmentNumber ?? '', /Only School Users belong to a school/);

    const added = await accounts.add(actor, input({ role: 'school', establishmentNumber: school.number }));
    assert.equal(added.la_number, la.number);
    assert.equal(added.establishment_number, school.number);
    const [event] = await auditOf(db, added.username);
    assert.equal(event?.organisation, la.number);
  });

  test('usernames are unique case-insensitively, deleted accounts included', async () => {
    const { db } = database();
    const { la, actor } = await laWithDba();
    const existing = await makeUser(
      db,
      'la_user',
      { laNumber: la.number },
      { username: uniqueUsername('Taken') },
    );
    const gone = await makeUser(
      db,
      'la_user',
      { laNumber: la.number },
      { username: uniqueUsername('gone'), deleted_at: '2026-01-01T00:00:00.000Z' },
    );
    for (const username of [existing.username, existing.username.toUpperCase()]) {
      const errors = await invalidFields(accounts.add(actor, input({ username })));
      assert.equal(errors.username, `The username ${username} is already in use. Choose another.`);
    }
    // A deleted account's username says so (decision 78): never used again.
    const errors = await invalidFields(accounts.add(actor, input({ username: gone.username })));
    assert.equal(
      errors.username,
      `The username ${gone.username} belonged to an account deleted on 1 January 2026. Usernames are never used again, so that the audit log always means one person. Choose another username.`,
    );
    const rows = await db.selectFrom('users').select('id').where('la_number', '=', la.number).execute();
    assert.equal(rows.length, 3, 'nothing was added');
  });

  test('usernames are letters and digits only, 3 to 30 characters', async () => {
    const { actor } = await laWithDba();
    for (const username of ['ab', 'bea jones', 'bea-jones', 'x'.repeat(31), '']) {
      const errors = await invalidFields(accounts.add(actor, input({ username })));
      assert.ok(errors.username, username);
    }
  });

  test('webmail addresses, bad telephone numbers and weak or mismatched passwords are refused together', async () => {
    const { db } = database();
    const { actor } = await laWithDba();
    const username = uniqueUsername();
    const errors = await invalidFields(
      accounts.add(
        actor,
        input({
          username,
          fullName: '',
          email: 'bea@hotmail.co.uk',
          telephone: '12',
          newPassword: 'password1',
        }),
      ),
    );
    assert.match(errors.email ?? '', /free webmail services \(hotmail\.co\.uk\) are not allowed/);
    assert.match(errors.telephone ?? '', /UK telephone number/);
    assert.match(errors.fullName ?? '', /full name/);
    assert.match(errors.newPassword ?? '', /too common|10 characters/);
    const mismatch = await invalidFields(
      accounts.add(actor, input({ confirmPassword: 'something-else-here' })),
    );
    assert.match(mismatch.confirmPassword ?? '', /do not match/);
    assert.equal(await rawUser(db, username), undefined);
  });

  test('a full name with a line break, a tab or another control character is refused (a hand-made post)', async () => {
    const { db } = database();
    const { actor } = await laWithDba();
    for (const fullName of ['Bea\nJones', 'Bea\r\nJones', 'Bea\tJones', 'Bea\u001b[31mJones']) {
      const username = uniqueUsername();
      const errors = await invalidFields(accounts.add(actor, input({ username, fullName })));
      assert.equal(
        errors.fullName,
        'Full name must be on one line, without line breaks, tabs or other control characters',
        JSON.stringify(fullName),
      );
      assert.equal(await rawUser(db, username), undefined);
    }
    // Letters of any language, apostrophes and hyphens are names.
    const username = uniqueUsername();
    await accounts.add(actor, input({ username, fullName: "Siân O'Neil-Jones" }));
    assert.equal((await rawUser(db, username))?.full_name, "Siân O'Neil-Jones");
  });

  test('each LA has only one LEA School account, on adding and on changing a role', async () => {
    const { db } = database();
    const { la, actor } = await laWithDba();
    const first = await accounts.add(actor, input({ role: 'la_school' }));
    const second = await invalidFields(accounts.add(actor, input({ role: 'la_school' })));
    assert.match(second.role ?? '', new RegExp(`LA ${la.number} already has an LEA School account`));

    const user = await makeUser(db, 'la_user', { laNumber: la.number });
    const change = await invalidFields(accounts.changeRole(actor, user.id, 'la_school'));
    assert.match(change.role ?? '', /only one/);
    assert.equal((await rawUser(db, user.username))?.role, 'la_user');

    // Another LA may have its own.
    const other = await laWithDba();
    await accounts.add(other.actor, input({ role: 'la_school' }));

    // Once the first is deleted, the LA may have a new one.
    await accounts.remove(actor, first.id);
    const changed = await accounts.changeRole(actor, user.id, 'la_school');
    assert.equal(changed.account.role, 'la_school');
  });

  test('each LA has only one LEA Administrator (LA notes §3.1), on adding and on changing a role', async () => {
    const { db } = database();
    const { la, dba } = await laWithDba();
    const admin = actorOf(await makeUser(db, 'national_admin'));
    const second = await invalidFields(accounts.add(admin, input({ role: 'la_dba', laNumber: la.number })));
    assert.match(second.role ?? '', new RegExp(`LA ${la.number} already has an LEA Administrator`));
    const user = await makeUser(db, 'la_user', { laNumber: la.number });
    const change = await invalidFields(accounts.changeRole(admin, user.id, 'la_dba'));
    assert.match(change.role ?? '', /each LA may have only one/);
    assert.equal((await rawUser(db, user.username))?.role, 'la_user');
    // The view-only DBA is another role: the LA may have several.
    await accounts.add(admin, input({ role: 'la_dba_view', laNumber: la.number }));
    await accounts.add(admin, input({ role: 'la_dba_view', laNumber: la.number }));
    // Once the first is deleted, the LA may have a new one.
    await accounts.remove(admin, dba.id);
    assert.equal((await accounts.changeRole(admin, user.id, 'la_dba')).account.role, 'la_dba');
  });

  test('two administrators adding the LEA School account at once: one succeeds, the other is told why', async () => {
    const { db } = database();
    const { la, actor } = await laWithDba();
    const admin = actorOf(await makeUser(db, 'national_admin'));
    const results = await Promise.allSettled([
      accounts.add(actor, input({ role: 'la_school' })),
      accounts.add(admin, input({ role: 'la_school', laNumber: la.number })),
    ]);
    assert.equal(results.filter((r) => r.status === 'fulfilled').length, 1);
    const refused = results.find((r) => r.status === 'rejected');
    assert.ok(refused?.status === 'rejected' && refused.reason instanceof Invalid, String(refused));
    const rows = await db
      .selectFrom('users')
      .select('id')
      .where('la_number', '=', la.number)
      .where('role', '=', 'la_school')
      .execute();
    assert.equal(rows.length, 1);
  });

  test("a DBA cannot see another LA's users, nor change any LEA DBA or national account", async () => {
    const { db } = database();
    const { la, actor } = await laWithDba();
    const elsewhere = await makeLa(db);
    const stranger = await makeUser(db, 'la_user', { laNumber: elsewhere.number });
    const colleagueDba = await makeUser(db, 'la_dba', { laNumber: la.number });
    const admin = await makeUser(db, 'national_admin');

    for (const id of [stranger.id, admin.id, randomUUID(), 'not-an-id']) {
      assert.ok((await rejection(accounts.details(actor, id))) instanceof NotFound);
      assert.ok((await rejection(accounts.remove(actor, id))) instanceof NotFound);
      assert.ok(
        (await rejection(
          accounts.resetPassword(actor, id, { newPassword: ISSUED, confirmPassword: ISSUED }),
        )) instanceof NotFound,
      );
      assert.ok((await rejection(accounts.changeRole(actor, id, 'la_plasc'))) instanceof NotFound);
    }
    const seen = await accounts.details(actor, colleagueDba.id);
    assert.deepEqual(seen.allowed, {
      role: false,
      password: false,
      delete: false,
      'two-factor': false,
      'single-sign-on': false,
      details: false,
    });
    assert.match(
      seen.refusal ? translateMessage('en', seen.refusal) : '',
      /Only the s2s National Administrator/,
    );
    for (const change of [
      () => accounts.remove(actor, colleagueDba.id),
      () => accounts.changeRole(actor, colleagueDba.id, 'la_user'),
      () => accounts.resetPassword(actor, colleagueDba.id, { newPassword: ISSUED, confirmPassword: ISSUED }),
    ]) {
      assert.ok((await rejection(change())) instanceof Forbidden);
    }
    const addDba = await invalidFields(accounts.add(actor, input({ role: 'la_dba' })));
    assert.match(addDba.role ?? '', /Choose a role from the list/);
    const addAdmin = await invalidFields(accounts.add(actor, input({ role: 'national_admin' })));
    assert.match(addAdmin.role ?? '', /Choose a role from the list/);

    const row = await rawUser(db, stranger.username);
    assert.equal(row?.deleted_at, null);
    const listed = (await accounts.list(actor)).rows;
    assert.ok(listed.every((u) => u.la_number === la.number));
    assert.ok(!listed.some((u) => u.id === stranger.id));
  });

  test('a view-only DBA sees the same users but the service refuses every change', async () => {
    const { db } = database();
    const { la } = await laWithDba();
    const viewer = actorOf(await makeUser(db, 'la_dba_view', { laNumber: la.number }));
    const user = await makeUser(db, 'la_user', { laNumber: la.number });
    assert.ok((await accounts.list(viewer)).rows.some((u) => u.id === user.id));
    assert.equal((await accounts.details(viewer, user.id)).user.id, user.id);
    for (const change of [
      () => accounts.add(viewer, input()),
      () => accounts.changeRole(viewer, user.id, 'la_plasc'),
      () => accounts.resetPassword(viewer, user.id, { newPassword: ISSUED, confirmPassword: ISSUED }),
      () => accounts.remove(viewer, user.id),
    ]) {
      const error = await rejection(change());
      assert.ok(error instanceof Forbidden, String(error));
      assert.match(error.message, /view users but not/);
    }
    assert.equal((await rawUser(db, user.username))?.role, 'la_user');
  });

  test('updating the role changes only the role and is audited', async () => {
    const { db } = database();
    const { la, dba, actor } = await laWithDba();
    const user = await makeUser(db, 'la_user', { laNumber: la.number });
    clock.advanceMinutes(5);
    await accounts.changeRole(actor, user.id, 'la_plasc');
    const row = await rawUser(db, user.username);
    assert.equal(row?.role, 'la_plasc');
    assert.equal(row?.full_name, user.full_name);
    assert.equal(row?.password_hash, user.password_hash);
    assert.equal(row?.updated_at, clock.now().toISOString());
    const [event] = await auditOf(db, user.username);
    assert.equal(event?.action, 'user-role-changed');
    assert.equal(event?.organisation, la.number);
    assert.equal(event?.actor_user_id, dba.id);
    assert.deepEqual(JSON.parse(event?.detail ?? '{}'), {
      from: 'la_user',
      to: 'la_plasc',
      tokensRevoked: 0,
    });

    const school = await makeSchool(db, la.number);
    const pupilSide = await makeUser(db, 'school', {
      laNumber: la.number,
      establishmentNumber: school.number,
    });
    const fromSchool = await rejection(accounts.changeRole(actor, pupilSide.id, 'la_user'));
    assert.ok(fromSchool instanceof Forbidden);
    assert.match(fromSchool.message, /belongs to a school/);
    const toSchool = await invalidFields(accounts.changeRole(actor, user.id, 'school'));
    assert.match(toSchool.role ?? '', /School User/);
  });

  test('a role form drawn before someone else changed the role is refused, naming the role it has now', async () => {
    const { db } = database();
    const { la, actor } = await laWithDba();
    const user = await makeUser(db, 'la_user', { laNumber: la.number });
    // Another administrator changes the role while this one's form is open.
    await accounts.changeRole(actor, user.id, 'la_plasc', 'la_user');
    const stale = await invalidFields(accounts.changeRole(actor, user.id, 'la_admissions', 'la_user'));
    assert.match(stale.role ?? '', /role was changed to LEA PLASC since this page was shown.*choose again/i);
    assert.equal((await rawUser(db, user.username))?.role, 'la_plasc', 'nothing was overwritten');
    // The form drawn again (its role as seen now the current one) is taken.
    const taken = await accounts.changeRole(actor, user.id, 'la_admissions', 'la_plasc');
    assert.equal(taken.already, false);
    assert.equal((await rawUser(db, user.username))?.role, 'la_admissions');
    // The same form posted again (the change it made) is still answered as made already.
    const again = await accounts.changeRole(actor, user.id, 'la_admissions', 'la_plasc');
    assert.equal(again.already, true);
  });

  test('no user is added to a closed school, and the Add User form does not offer one', async () => {
    const { db } = database();
    const { la, actor } = await laWithDba();
    const closed = await makeSchool(db, la.number, { status: 'closed', closed_on: '2024-08-31' });
    const open = await makeSchool(db, la.number);
    const choices = await accounts.addChoices(actor, null);
    assert.deepEqual(
      choices.schools.filter((s) => [closed.number, open.number].includes(s.number)).map((s) => s.number),
      [open.number],
    );
    const refused = await invalidFields(
      accounts.add(actor, input({ role: 'school', establishmentNumber: closed.number })),
    );
    assert.match(refused.establishmentNumber ?? '', new RegExp(`${closed.number}.* is closed.*open school`));
    const cli = await invalidFields(
      accounts.add(CLI_ACTOR, input({ role: 'school', establishmentNumber: closed.number })),
    );
    assert.match(cli.establishmentNumber ?? '', /is closed/);
  });

  test('the page of a paused account says until when, and a new password lifts the pause', async () => {
    const { db } = database();
    const { la, actor } = await laWithDba();
    const user = await makeUser(db, 'la_user', { laNumber: la.number });
    for (let i = 0; i < 5; i += 1) {
      await db
        .insertInto('sign_in_attempts')
        .values({
          id: randomUUID(),
          username: user.username,
          address: '198.51.100.30',
          attempted_at: new Date(clock.now().getTime() - (5 - i) * 60_000).toISOString(),
          succeeded: 0,
        })
        .execute();
    }
    const details = await accounts.details(actor, user.id);
    // The first of the five ages out 15 minutes after it was made, five minutes before now.
    assert.equal(details.signInPausedUntil, new Date(clock.now().getTime() + 10 * 60_000).toISOString());
    await accounts.resetPassword(actor, user.id, { newPassword: ISSUED, confirmPassword: ISSUED });
    assert.equal((await accounts.details(actor, user.id)).signInPausedUntil, null);
  });

  test('changing a password issues a new one, forces a change and ends every session of that user', async () => {
    const { db } = database();
    const { la, actor } = await laWithDba();
    const school = await makeSchool(db, la.number);
    const user = await makeUser(db, 'school', { laNumber: la.number, establishmentNumber: school.number });
    const bystander = await makeUser(db, 'la_user', { laNumber: la.number });
    await addSession(db, user.id);
    await addSession(db, user.id);
    await addSession(db, bystander.id);

    const weak = await invalidFields(
      accounts.resetPassword(actor, user.id, { newPassword: 'short', confirmPassword: 'short' }),
    );
    assert.ok(weak.newPassword);
    assert.equal(await sessionCount(db, user.id), 2, 'a refused change ends no session');

    await accounts.resetPassword(actor, user.id, { newPassword: ISSUED, confirmPassword: ISSUED });
    const row = await rawUser(db, user.username);
    assert.ok(row && (await verifyPassword(row.password_hash, ISSUED)));
    assert.equal(row.must_change_password, 1);
    assert.equal(await sessionCount(db, user.id), 0);
    assert.equal(await sessionCount(db, bystander.id), 1);
    const events = await auditOf(db, user.username);
    assert.deepEqual(
      events.map((e) => [e.action, e.organisation]),
      [['password-reset', la.number]],
    );
  });

  test('deleting an account ends its sessions and keeps its username reserved; nobody deletes themselves', async () => {
    const { db } = database();
    const { la, actor } = await laWithDba();
    const user = await makeUser(db, 'la_user', { laNumber: la.number });
    await addSession(db, user.id);
    await accounts.remove(actor, user.id);
    const row = await rawUser(db, user.username);
    assert.equal(row?.deleted_at, clock.now().toISOString());
    assert.equal(await sessionCount(db, user.id), 0);
    assert.ok(!(await accounts.list(actor)).rows.some((u) => u.id === user.id));
    assert.ok((await rejection(accounts.details(actor, user.id))) instanceof NotFound);
    // Deleted again (the same form posted twice): said to be deleted already, and nothing more is done.
    assert.equal((await accounts.remove(actor, user.id)).already, true);
    assert.equal((await auditOf(db, user.username)).length, 1);
    const again = await invalidFields(accounts.add(actor, input({ username: user.username })));
    assert.match(again.username ?? '', /belonged to an account deleted on .* Usernames are never used again/);
    const [event] = await auditOf(db, user.username);
    assert.equal(event?.action, 'user-deleted');
    assert.equal(event?.organisation, la.number);

    const admin = actorOf(await makeUser(db, 'national_admin'));
    const self = await rejection(accounts.remove(admin, admin.userId));
    assert.ok(self instanceof Forbidden);
    assert.match(self.message, /cannot delete your own account/);
  });

  test('the national administrator adds national accounts (no LA) and LA DBAs (an LA), audited accordingly', async () => {
    const { db } = database();
    const adminRow = await makeUser(db, 'national_admin');
    const admin = actorOf(adminRow);
    const la = await makeLa(db);

    const collector = await accounts.add(admin, input({ role: 'dfe_collector' }));
    assert.equal(collector.la_number, null);
    const [event] = await auditOf(db, collector.username);
    assert.equal(event?.organisation, null);
    assert.equal(event?.actor_user_id, adminRow.id);

    const withLa = await invalidFields(
      accounts.add(admin, input({ role: 'national_admin', laNumber: la.number })),
    );
    assert.match(withLa.laNumber ?? '', /belongs to no LA/);
    const noLa = await invalidFields(accounts.add(admin, input({ role: 'la_dba' })));
    assert.match(noLa.laNumber ?? '', /Choose the LA/);
    const unknownLa = await invalidFields(accounts.add(admin, input({ role: 'la_dba', laNumber: '000' })));
    assert.match(unknownLa.laNumber ?? '', /no LA numbered 000/);

    const dba = await accounts.add(admin, input({ role: 'la_dba', laNumber: la.number }));
    assert.equal(dba.la_number, la.number);
    assert.equal((await auditOf(db, dba.username))[0]?.organisation, la.number);
    // The new DBA now manages their LA, but not themselves.
    const dbaActor = actorOf(dba);
    assert.ok((await accounts.list(dbaActor)).rows.some((u) => u.id === dba.id));
    assert.ok((await rejection(accounts.remove(dbaActor, dba.id))) instanceof Forbidden);

    const filtered = await accounts.list(admin, { laNumber: la.number });
    assert.deepEqual(
      filtered.rows.map((u) => u.id),
      [dba.id],
    );
  });

  test('the command line acts as the system, audited as "cli", and may name just the school', async () => {
    const { db } = database();
    const la = await makeLa(db);
    const school = await makeSchool(db, la.number);
    const admin = await accounts.add(CLI_ACTOR, input({ role: 'national_admin', email: '', telephone: '' }));
    assert.equal(admin.email, null);
    assert.equal(admin.telephone, null);
    const [event] = await auditOf(db, admin.username);
    assert.equal(event?.actor_username, 'cli');
    assert.equal(event?.actor_user_id, null);
    const schoolUser = await accounts.add(
      CLI_ACTOR,
      input({ role: 'school', establishmentNumber: school.number }),
    );
    assert.equal(schoolUser.la_number, la.number);
  });
  test('the list is read a page at a time in its order; a page past the end is the last page', async () => {
    const { db } = database();
    const { la, dba, actor } = await laWithDba();
    const names = await makeUsersOfLa(db, la.number, USERS_PER_PAGE + 3);
    await makeUsersOfLa(db, (await makeLa(db)).number, 2);
    const gone = await makeUser(
      db,
      'la_user',
      { laNumber: la.number },
      { deleted_at: clock.now().toISOString() },
    );
    const expected = [...names, dba.username].sort();

    const first = await accounts.list(actor, {}, 1);
    assert.deepEqual(
      first.rows.map((u) => u.username),
      expected.slice(0, USERS_PER_PAGE),
    );
    assert.deepEqual([first.total, first.pages, first.page], [expected.length, 2, 1]);
    assert.ok(first.rows.every((u) => !('password_hash' in u)));
    const second = await accounts.list(actor, {}, 2);
    assert.deepEqual(
      second.rows.map((u) => u.username),
      expected.slice(USERS_PER_PAGE),
    );
    assert.ok(!second.rows.some((u) => u.id === gone.id));
    const past = await accounts.list(actor, {}, 40);
    assert.equal(past.page, 2);
    assert.deepEqual(past.rows, second.rows);
    // An LA DBA naming another LA still reads only their own LA's users, on every page.
    const elsewhere = await makeLa(db);
    await makeUsersOfLa(db, elsewhere.number, 1);
    assert.deepEqual(await accounts.list(actor, { laNumber: elsewhere.number }, 2), second);

    // The national administrator reads the same LA's users, a page at a time, by naming it.
    const admin = actorOf(await makeUser(db, 'national_admin'));
    assert.deepEqual(await accounts.list(admin, { laNumber: la.number }, 2), second);
  });
});
