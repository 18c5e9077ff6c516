// Who may see and change which accounts (LA notes §1.6, §3.1-3.7). Pure functions over the permission
// table: no database, no HTTP.
import type { Actor } from '../auth/actor.ts';
import { can, isRole, ROLE_LABEL_KEYS, ROLES, type Role, scopeOf } from '../auth/permissions.ts';
import { type Message, message } from '../platform/i18n/catalogue.ts';

/**
 * The operator at the command line. It may do everything: it is how the first national administrator
 * is created in production, before anyone can sign in.
 */
export interface SystemActor {
  kind: 'system';
  /** Written to the audit log as the actor's username. */
  username: string;
}

/** Who changes accounts: a signed-in user, or the operator at the command line. */
export type AccountsActor = Actor | SystemActor;

export const CLI_ACTOR: SystemActor = { kind: 'system', username: 'cli' };

export function isSystemActor(actor: AccountsActor): actor is SystemActor {
  return 'kind' in actor && actor.kind === 'system';
}

/** The account being looked at or changed. */
export interface AccountSubject {
  id: string;
  role: string;
  la_number: string | null;
}

/**
 * 'two-factor': reset the account's two-factor sign-in (it is set up again at the next sign-in).
 * 'single-sign-on': unlink the identity at the single sign-on provider linked to the account.
 * 'details': correct the account's full name, email address and telephone number (decision 78).
 */
export type AccountChange = 'role' | 'password' | 'delete' | 'two-factor' | 'single-sign-on' | 'details';

/** Whose accounts an actor may see: everyone's, one LA's (its LA roles and its schools' users), or none. */
export type UserReach = { kind: 'everyone' } | { kind: 'la'; laNumber: string } | { kind: 'nobody' };

export function userReach(actor: AccountsActor): UserReach {
  if (isSystemActor(actor)) return { kind: 'everyone' };
  if (!can(actor.role, 'users.view')) return { kind: 'nobody' };
  const scope = scopeOf(actor.role);
  if (scope === 'national') return { kind: 'everyone' };
  if (scope === 'la' && actor.laNumber) return { kind: 'la', laNumber: actor.laNumber };
  return { kind: 'nobody' };
}

/** Whether the actor may see this account at all. When not, pages answer "not found". */
export function canSeeUser(actor: AccountsActor, subject: Pick<AccountSubject, 'la_number'>): boolean {
  const reach = userReach(actor);
  if (reach.kind === 'everyone') return true;
  return reach.kind === 'la' && subject.la_number === reach.laNumber;
}

export function canManageUsers(actor: AccountsActor): boolean {
  return isSystemActor(actor) || can(actor.role, 'users.manage');
}

/**
 * The roles an LA's DBA may give: every LA role but their own, and School User. Each LA's DBA is set up
 * by the national administrator (LA notes §3.1).
 */
const LA_DBA_ASSIGNABLE: readonly Role[] = ROLES.filter(
  (role) => role === 'school' || (scopeOf(role) === 'la' && role !== 'la_dba'),
);

/** The roles this actor may give to a new account, or change an account to. */
export function assignableRoles(actor: AccountsActor): readonly Role[] {
  if (!canManageUsers(actor)) return [];
  const reach = userReach(actor);
  if (reach.kind === 'everyone') return ROLES;
  if (reach.kind === 'la') return LA_DBA_ASSIGNABLE;
  return [];
}

/** A role's name, to be put in the reader's language; a value that is not a role is shown as it is. */
export function roleName(role: string): Message | string {
  return isRole(role) ? message(ROLE_LABEL_KEYS[role]) : role;
}

/** The problems that are the actor's role's (another role could): the others hold whatever the role. */
const ROLE_PROBLEMS = new Set([
  'accounts.policy.view-only-add',
  'accounts.policy.view-only-change',
  'accounts.policy.cannot-add',
]);

/** Whether another role would not have this problem (so asking for one could help). */
export function isRoleProblem(problem: Message): boolean {
  return ROLE_PROBLEMS.has(problem.key);
}

/** Why the actor may not add accounts, or null when they may. Reasons are sentences without a final stop. */
export function addProblem(actor: AccountsActor): Message | null {
  if (isSystemActor(actor)) return null;
  if (!canManageUsers(actor)) {
    return message('accounts.policy.view-only-add', { role: roleName(actor.role) });
  }
  if (assignableRoles(actor).length === 0) return message('accounts.policy.cannot-add');
  return null;
}

/**
 * Why the actor may not make this change to an account they can see, or null when they may.
 * (Whether they can see it at all is `canSeeUser`: the answer then is "not found", not a reason.)
 */
export function changeProblem(
  actor: AccountsActor,
  subject: AccountSubject,
  change: AccountChange,
): Message | null {
  if (isSystemActor(actor)) return null;
  if (!canManageUsers(actor)) {
    return message('accounts.policy.view-only-change', { role: roleName(actor.role) });
  }
  if (subject.id === actor.userId) {
    if (change === 'password') return message('accounts.policy.own-password');
    if (change === 'two-factor') return message('accounts.policy.own-two-factor');
    if (change === 'single-sign-on') return message('accounts.policy.own-single-sign-on');
    if (change === 'role') return message('accounts.policy.own-role');
    if (change === 'details') return message('accounts.policy.own-details');
    return message('accounts.policy.own-delete');
  }
  if (!(assignableRoles(actor) as readonly string[]).includes(subject.role)) {
    return message('accounts.policy.national-only', { role: roleName(subject.role) });
  }
  if (change === 'role' && subject.role === 'school') return message('accounts.policy.school-role-fixed');
  return null;
}

/** Which changes the actor may make to this account: the links the user page shows. */
export function allowedChanges(
  actor: AccountsActor,
  subject: AccountSubject,
): Record<AccountChange, boolean> {
  return {
    role: changeProblem(actor, subject, 'role') === null,
    password: changeProblem(actor, subject, 'password') === null,
    delete: changeProblem(actor, subject, 'delete') === null,
    'two-factor': changeProblem(actor, subject, 'two-factor') === null,
    'single-sign-on': changeProblem(actor, subject, 'single-sign-on') === null,
    details: changeProblem(actor, subject, 'details') === null,
  };
}

/** Why the actor may make no change at all to this account (shown instead of the links), or null. */
export function noChangesReason(actor: AccountsActor, subject: AccountSubject): Message | null {
  const allowed = allowedChanges(actor, subject);
  if (allowed.role || allowed.password || allowed.delete) return null;
  if (!isSystemActor(actor) && canManageUsers(actor) && subject.id === actor.userId) {
    return message('accounts.policy.own-account');
  }
  return changeProblem(actor, subject, 'delete');
}

/**
 * The roles offered when changing an account's role: those of the same kind as its current role.
 * A School User belongs to a school, so that role is never changed (LA notes §3.4).
 */
export function rolesForChange(actor: AccountsActor, currentRole: string): Role[] {
  if (!isRole(currentRole) || currentRole === 'school') return [];
  return assignableRoles(actor).filter((role) => role !== 'school' && scopeOf(role) === scopeOf(currentRole));
}

/** Why an account's role may not change from `from` to `to` (the LA-wide one-LEA-School rule aside). */
export function roleChangeProblem(actor: AccountsActor, from: string, to: string): Message | null {
  if (!to) return message('accounts.policy.choose-new-role');
  if (!isRole(to) || !assignableRoles(actor).includes(to)) return message('accounts.error.role-from-list');
  if (from === to) return message('accounts.policy.already-has-role', { role: roleName(to) });
  if (from === 'school' || to === 'school') return message('accounts.policy.to-or-from-school');
  if (!isRole(from) || scopeOf(from) !== scopeOf(to)) {
    return message('accounts.policy.different-kinds', { from: roleName(from), to: roleName(to) });
  }
  return null;
}
