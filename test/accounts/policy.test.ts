import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  addProblem as addProblemOf,
  allowedChanges,
  assignableRoles,
  CLI_ACTOR,
  canSeeUser,
  changeProblem as changeProblemOf,
  noChangesReason as noChangesReasonOf,
  roleChangeProblem as roleChangeProblemOf,
  rolesForChange,
} from '../../src/accounts/policy.ts';
import type { Actor } from '../../src/auth/actor.ts';
import { ROLES, type Role, scopeOf } from '../../src/auth/permissions.ts';
import { type Message, translateMessage } from '../../src/platform/i18n/catalogue.ts';

/** The policy's reasons are messages (keys): these read them in English. */
const english = (reason: Message | null) => (reason ? translateMessage('en', reason) : null);
const addProblem = (...args: Parameters<typeof addProblemOf>) => english(addProblemOf(...args));
const changeProblem = (...args: Parameters<typeof changeProblemOf>) => english(changeProblemOf(...args));
const noChangesReason = (...args: Parameters<typeof noChangesReasonOf>) =>
  english(noChangesReasonOf(...args));
const roleChangeProblem = (...args: Parameters<typeof roleChangeProblemOf>) =>
  english(roleChangeProblemOf(...args));

function actor(role: Role, laNumber: string | null = '916', userId = 'actor-1'): Actor {
  return {
    userId,
    username: `${role}-actor`,
    role,
    laNumber: scopeOf(role) === 'national' ? null : laNumber,
    establishmentNumber: role === 'school' ? `${laNumber}5402` : null,
  };
}

const subject = (role: string, la_number: string | null = '916', id = 'subject-1') => ({
  id,
  role,
  la_number,
});

describe('who may see which accounts', () => {
  test('an LA DBA and a view-only DBA see the accounts of their own LA only (LA roles and school users)', () => {
    for (const role of ['la_dba', 'la_dba_view'] as const) {
      assert.equal(canSeeUser(actor(role), subject('la_user')), true);
      assert.equal(canSeeUser(actor(role), subject('school')), true);
      assert.equal(canSeeUser(actor(role), subject('la_dba')), true);
      assert.equal(canSeeUser(actor(role), subject('la_user', '817')), false, `${role}: another LA`);
      assert.equal(canSeeUser(actor(role), subject('national_admin', null)), false, `${role}: national`);
    }
  });

  test('the national administrator and the command line see every account', () => {
    for (const who of [actor('national_admin'), CLI_ACTOR]) {
      assert.equal(canSeeUser(who, subject('la_user', '817')), true);
      assert.equal(canSeeUser(who, subject('dfe_collector', null)), true);
    }
  });

  test('roles without users.view see nobody, even in their own LA', () => {
    for (const role of ['la_user', 'la_school', 'school', 'dfe_collector'] as const) {
      assert.equal(canSeeUser(actor(role), subject('la_user')), false, role);
    }
  });
});

describe('which roles an actor may give', () => {
  test('an LA DBA gives every LA role except LEA DBA, and School User', () => {
    const roles = assignableRoles(actor('la_dba'));
    assert.deepEqual(
      [...roles].sort(),
      [
        'la_admissions',
        'la_dba_view',
        'la_lost_pupil',
        'la_lost_pupil_transfer',
        'la_plasc',
        'la_school',
        'la_user',
        'school',
      ].sort(),
    );
    assert.ok(!roles.includes('la_dba'));
    assert.ok(!roles.includes('national_admin'));
    assert.ok(!roles.includes('dfe_collector'));
  });

  test('the national administrator and the command line give every role', () => {
    assert.deepEqual([...assignableRoles(actor('national_admin'))], [...ROLES]);
    assert.deepEqual([...assignableRoles(CLI_ACTOR)], [...ROLES]);
  });

  test('a view-only DBA and other roles give none, and may not add users', () => {
    assert.deepEqual([...assignableRoles(actor('la_dba_view'))], []);
    assert.match(addProblem(actor('la_dba_view')) ?? '', /view users but not add/);
    assert.ok(addProblem(actor('la_user')));
    assert.equal(addProblem(actor('la_dba')), null);
    assert.equal(addProblem(CLI_ACTOR), null);
  });
});

describe('which accounts an actor may change', () => {
  test('an LA DBA changes LA users and school users, never an LEA DBA or a national account', () => {
    const dba = actor('la_dba');
    for (const change of ['role', 'password', 'delete'] as const) {
      assert.equal(changeProblem(dba, subject('la_user'), change), null, change);
      assert.match(
        changeProblem(dba, subject('la_dba'), change) ?? '',
        /Only the s2s National Administrator/,
      );
      assert.ok(changeProblem(dba, subject('national_admin', null), change));
      assert.ok(changeProblem(dba, subject('dfe_collector', null), change));
    }
    assert.equal(changeProblem(dba, subject('school'), 'password'), null);
    assert.equal(changeProblem(dba, subject('school'), 'delete'), null);
  });

  test('a School User keeps their role: it belongs to a school', () => {
    assert.match(changeProblem(actor('la_dba'), subject('school'), 'role') ?? '', /belongs to a school/);
    assert.deepEqual(rolesForChange(actor('national_admin'), 'school'), []);
  });

  test('a view-only DBA changes nothing, and is told why', () => {
    const viewer = actor('la_dba_view');
    assert.deepEqual(allowedChanges(viewer, subject('la_user')), {
      role: false,
      password: false,
      delete: false,
      'two-factor': false,
      'single-sign-on': false,
      details: false,
    });
    assert.match(noChangesReason(viewer, subject('la_user')) ?? '', /view users but not change them/);
  });

  test('the national administrator changes LA DBAs, but not their own account', () => {
    const admin = actor('national_admin', null, 'admin-1');
    assert.deepEqual(allowedChanges(admin, subject('la_dba')), {
      role: true,
      password: true,
      delete: true,
      'two-factor': true,
      'single-sign-on': true,
      details: true,
    });
    const self = subject('national_admin', null, 'admin-1');
    assert.match(changeProblem(admin, self, 'delete') ?? '', /cannot delete your own account/);
    assert.match(changeProblem(admin, self, 'details') ?? '', /cannot change your own details here/);
    // A School User's role is fixed; their details are not (decision 78).
    const dba = actor('la_dba', '916');
    assert.equal(changeProblem(dba, subject('school', '916'), 'details'), null);
    assert.match(changeProblem(dba, subject('school', '916'), 'role') ?? '', /belongs to a school/);
    assert.match(changeProblem(admin, self, 'password') ?? '', /Change Password/);
    assert.match(changeProblem(admin, self, 'two-factor') ?? '', /Two-factor sign-in in the menu/);
    assert.match(changeProblem(admin, self, 'single-sign-on') ?? '', /Ask another administrator/);
    assert.match(noChangesReason(admin, self) ?? '', /your own account/);
  });
});

describe('changing a role', () => {
  test('the roles offered are of the same kind as the current one', () => {
    assert.ok(!rolesForChange(actor('la_dba'), 'la_user').includes('la_dba'));
    assert.ok(rolesForChange(actor('la_dba'), 'la_user').includes('la_plasc'));
    assert.ok(!rolesForChange(actor('la_dba'), 'la_user').includes('school'));
    assert.deepEqual(rolesForChange(actor('national_admin'), 'dfe_collector'), [
      'national_admin',
      'dfe_collector',
    ]);
  });

  test('refuses the same role, a role the actor may not give, and changes to or from School User', () => {
    const dba = actor('la_dba');
    assert.equal(roleChangeProblem(dba, 'la_user', 'la_plasc'), null);
    assert.match(roleChangeProblem(dba, 'la_user', 'la_user') ?? '', /already has the role LEA User/);
    assert.match(roleChangeProblem(dba, 'la_user', 'la_dba') ?? '', /Choose a role from the list/);
    assert.match(roleChangeProblem(dba, 'la_user', 'nonsense') ?? '', /Choose a role from the list/);
    assert.match(roleChangeProblem(dba, 'la_user', '') ?? '', /Choose the new role/);
    assert.match(roleChangeProblem(dba, 'la_user', 'school') ?? '', /School User/);
    assert.match(roleChangeProblem(dba, 'school', 'la_user') ?? '', /School User/);
    assert.match(
      roleChangeProblem(actor('national_admin'), 'la_user', 'dfe_collector') ?? '',
      /different kinds/,
    );
    assert.equal(roleChangeProblem(actor('national_admin'), 'la_user', 'la_dba'), null);
  });
});
