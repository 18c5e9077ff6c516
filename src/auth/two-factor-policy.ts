// Who must use two-factor sign-in. Pure functions over roles: no database, no HTTP.
import { type Role, scopeOf } from './permissions.ts';

/**
 * The roles that must sign in with a second step (issue 10): the two DBA roles (they see and change
 * every account of their LA), the national administrator (every LA), the two Lost Pupil roles (the
 * Lost Pupils Database holds pupils of the whole country) and the DfE collector. Everyone else may
 * choose to use it.
 */
export const TWO_FACTOR_REQUIRED_ROLES: ReadonlySet<Role> = new Set<Role>([
  'la_dba',
  'la_dba_view',
  'national_admin',
  'la_lost_pupil',
  'la_lost_pupil_transfer',
  'dfe_collector',
]);

/**
 * Whether this role must use two-factor sign-in. `enforced` is the TWO_FACTOR_REQUIRED setting: on in
 * production (it cannot be turned off there), off in the demo and test environments so that the demo
 * accounts sign in with their password alone.
 */
export function twoFactorRequired(role: Role, enforced: boolean): boolean {
  return enforced && TWO_FACTOR_REQUIRED_ROLES.has(role);
}

/**
 * Who can reset this role's two-factor sign-in (a lost or changed phone), as the catalogue key of a phrase
 * ("your LA s2s administrator") that the two-factor pages put in their advice: an LA's DBA resets its own
 * LA's accounts but another LEA Administrator's (accounts/policy.ts: only the national administrator
 * changes those), so its own is reset by the national administrator, as the national roles' are; a
 * national administrator's by another, or by the operator's `s2s users reset-two-factor`.
 */
export function twoFactorResetterKey(role: Role): string {
  if (role === 'national_admin') return 'auth.two-factor.resetter.operator';
  if (role === 'la_dba' || scopeOf(role) === 'national') return 'auth.two-factor.resetter.national';
  return 'auth.two-factor.resetter.la';
}

/**
 * Who can let this role's account sign in again now, when failed attempts have paused it, as the catalogue
 * key of a phrase: whoever may issue it a password (decision 69), the same people who reset its two-factor
 * sign-in, but for a national administrator, whom only another can help (no command lifts a pause).
 */
export function pauseLifterKey(role: Role): string {
  if (role === 'national_admin') return 'auth.sign-in.lifter.another-national';
  return twoFactorResetterKey(role);
}
