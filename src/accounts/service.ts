// User Maintenance (LA notes §3.2-3.7): add users, change their role, issue a new password, delete them.
// No HTTP here. Each change is written in one transaction with its audit record.
import { randomUUID } from 'node:crypto';
import { revokeApiTokensOfUser } from '../api/token-repository.ts';
import { changesOf } from '../audit/changes.ts';
import { type AuditAction, recordAudit } from '../audit/repository.ts';
import { deleteIdentitiesOfUser, identitiesOfUser, type OidcIdentityRow } from '../auth/oidc-repository.ts';
import { hashPassword } from '../auth/passwords.ts';
import { isRole, type Role, roleLabelOf, scopeOf } from '../auth/permissions.ts';
import { endSessionsOfUser, setPasswordIfUnchanged } from '../auth/repository.ts';
import { newPasswordProblem } from '../auth/service.ts';
import { accountPausedUntil, liftAccountPause } from '../auth/throttle.ts';
import {
  countUnusedRecoveryCodes,
  deleteTwoFactor,
  deleteTwoFactorConfirmedAt,
  getTwoFactorSecret,
} from '../auth/two-factor-repository.ts';
import { SIGN_IN_DEFAULTS } from '../config.ts';
import { emailProblem, telephoneProblem } from '../directory/contact-details.ts';
import {
  type EstablishmentRow,
  getEstablishment,
  getLocalAuthority,
  type LocalAuthorityRow,
  listEstablishmentsOfLa,
  listLocalAuthorities,
} from '../directory/repository.ts';
import {
  type AccountChanger,
  changedBy,
  tellAccountChanged,
  tellEmailChanged,
} from '../notifications/account-changed.ts';
import type { Clock } from '../platform/clock.ts';
import type { Db, Executor } from '../platform/db/schema.ts';
import { type FieldError, Forbidden, Invalid, NotFound } from '../platform/errors.ts';
import {
  DEFAULT_LANGUAGE,
  dateParam,
  keyedError,
  type Message,
  message,
  messageError,
  translateMessage,
} from '../platform/i18n/catalogue.ts';
import { type WindowPage, windowPage } from '../platform/paging.ts';
import {
  type AccountChange,
  type AccountsActor,
  addProblem,
  allowedChanges,
  assignableRoles,
  canSeeUser,
  changeProblem,
  isRoleProblem,
  isSystemActor,
  noChangesReason,
  roleChangeProblem,
  roleName,
  rolesForChange,
  userReach,
} from './policy.ts';
import {
  type AccountDetailsRow,
  changeDetailsFrom,
  changeRoleFrom,
  countUsersWithRole,
  deleteUserOnce,
  getUser,
  getUserRow,
  insertUserOnce,
  listUsers,
  lockAccountsOfLa,
  type UserListing,
  type UserRow,
  usernameHolder,
} from './repository.ts';

/** Letters and digits only, like 681bjones (LA notes §3.3). */
export const USERNAME_PATTERN = /^[A-Za-z0-9]{3,30}$/;
const MAX_FULL_NAME = 200;
const MAX_TELEPHONE = 40;
/** Users a page of the list, as the directory's audit trail (another DBA page) and the API's default. */
export const USERS_PER_PAGE = 50;

/** What the Add User form (or the command line) supplies. Empty strings stand for "not given". */
export interface NewAccountInput {
  username: string;
  fullName: string;
  email: string;
  telephone: string;
  role: string;
  /** Only read for national actors: an LA's DBA always adds users to their own LA. */
  laNumber: string;
  establishmentNumber: string;
  newPassword: string;
  confirmPassword: string;
}

export interface PasswordInput {
  newPassword: string;
  confirmPassword: string;
}

/** An account as pages see it: never its password hash. */
export type Account = Omit<UserRow, 'password_hash'>;
export type AccountListing = Omit<UserListing, 'password_hash'>;

function withoutSecrets<T extends { password_hash: string }>(row: T): Omit<T, 'password_hash'> {
  const { password_hash: _hash, ...account } = row;
  return account;
}

/** One account as the User Maintenance pages show it. */
export interface AccountDetails {
  user: Account;
  roleLabel: string;
  la: LocalAuthorityRow | undefined;
  school: EstablishmentRow | undefined;
  /** The changes this actor may make, and why not when they may not. */
  allowed: Record<AccountChange, boolean>;
  refusal: Message | null;
  /** Whether the account has set up two-factor sign-in, when, and its recovery codes left. */
  twoFactor: { enrolledAt: string | null; recoveryCodesLeft: number };
  /** The identities at the single sign-on provider linked to the account (at most one per provider). */
  singleSignOn: OidcIdentityRow[];
  /** Until when (ISO) sign-in is paused after too many failed attempts at the account; null when it is not. */
  signInPausedUntil: string | null;
}

/** What the Add User form offers this actor for one LA (or for none: national accounts). */
export interface AddUserChoices {
  la: LocalAuthorityRow | null;
  roles: Role[];
  schools: EstablishmentRow[];
}

/** A refusal of the actor, its English for logs and the API, its key for the page. */
function forbidden(reason: Message): Forbidden {
  return new Forbidden(translateMessage('en', reason), reason.key, reason.params, {
    byRole: isRoleProblem(reason),
  });
}

function clean(value: string | undefined): string {
  return (value ?? '').trim();
}

export class AccountsService {
  /** `signIn`: the pause after failed sign-ins (SIGN_IN_MAX_FAILURES, SIGN_IN_LOCK_MINUTES), shown and lifted here. */
  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
    private readonly signIn: { maxFailures: number; lockMinutes: number } = SIGN_IN_DEFAULTS,
  ) {}

  /**
   * Page `page` of the accounts the actor may see (the last page for one past it). A national actor
   * may narrow the list to one LA; an LA's actors always see their own LA's.
   */
  async list(
    actor: AccountsActor,
    filter: { laNumber?: string } = {},
    page = 1,
  ): Promise<WindowPage<AccountListing>> {
    const reach = userReach(actor);
    if (reach.kind === 'nobody') throw new Forbidden();
    const laNumber = reach.kind === 'la' ? reach.laNumber : filter.laNumber;
    const found = await windowPage(page, USERS_PER_PAGE, (window) =>
      listUsers(this.db, laNumber ? { laNumber } : {}, window),
    );
    return { ...found, rows: found.rows.map(withoutSecrets) };
  }

  async localAuthorities(): Promise<LocalAuthorityRow[]> {
    return listLocalAuthorities(this.db);
  }

  /** One account. Accounts the actor may not see are "not found", so their existence is not revealed. */
  async details(actor: AccountsActor, id: string): Promise<AccountDetails> {
    const user = await this.visibleUser(this.db, actor, id);
    const [la, school] = await Promise.all([
      user.la_number ? getLocalAuthority(this.db, user.la_number) : undefined,
      user.establishment_number ? getEstablishment(this.db, user.establishment_number) : undefined,
    ]);
    const allowed = allowedChanges(actor, user);
    const secret = await getTwoFactorSecret(this.db, user.id);
    const enrolledAt = secret?.confirmed_at ?? null;
    return {
      user: withoutSecrets(user),
      roleLabel: roleLabelOf(user.role),
      la,
      school,
      allowed,
      refusal: noChangesReason(actor, user),
      twoFactor: {
        enrolledAt,
        recoveryCodesLeft: enrolledAt ? await countUnusedRecoveryCodes(this.db, user.id) : 0,
      },
      singleSignOn: await identitiesOfUser(this.db, user.id),
      signInPausedUntil:
        (await accountPausedUntil(this.db, this.signIn, this.clock.now(), user.username))?.toISOString() ??
        null,
    };
  }

  /** The LA a new account would belong to, and the roles and schools offered for it. */
  async addChoices(actor: AccountsActor, laNumber: string | null): Promise<AddUserChoices> {
    const problem = addProblem(actor);
    if (problem) throw forbidden(problem);
    const reach = userReach(actor);
    const number = reach.kind === 'la' ? reach.laNumber : laNumber;
    const roles = assignableRoles(actor);
    if (!number) return { la: null, roles: roles.filter((r) => scopeOf(r) === 'national'), schools: [] };
    const la = await getLocalAuthority(this.db, number);
    if (!la) throw new NotFound(message('accounts.not-found.la', { la: number }));
    return {
      la,
      roles: roles.filter((r) => scopeOf(r) !== 'national'),
      // No user is added to a closed school (checkNewAccount): it is not offered.
      schools: (await listEstablishmentsOfLa(this.db, la.number)).filter((s) => s.status !== 'closed'),
    };
  }

  /** Adds an account with an issued password, which the user must change when they first sign in. */
  async add(actor: AccountsActor, input: NewAccountInput): Promise<Account> {
    return (await this.addOnce(actor, input, undefined)).account;
  }

  /**
   * Adds an account as `add` does, once per `formId` (the id the Add User page gave its form): the
   * account takes it as its id, so the same form posted again (a double click, Back and Add user, a
   * browser resending; at once, its insert waiting for the first's) adds nothing and gets the account
   * added the first time as `already`.
   */
  async addOnce(
    actor: AccountsActor,
    input: NewAccountInput,
    formId: string | undefined,
  ): Promise<{ account: Account; already: boolean }> {
    const problem = addProblem(actor);
    if (problem) throw forbidden(problem);
    const earlier = formId ? await this.addedBy(this.db, actor, formId, input.username) : undefined;
    if (earlier) return { account: earlier, already: true };
    const checked = await this.checkNewAccount(actor, input);
    if (checked.errors.length > 0) throw new Invalid(checked.errors);
    const { account } = checked;

    const now = this.clock.now();
    const at = now.toISOString();
    // A form's id another account has (only a hand-made form could give one) is not this account's.
    const taken = formId ? await getUserRow(this.db, formId) : undefined;
    const user: UserRow = {
      id: formId && !taken ? formId : randomUUID(),
      username: account.username,
      password_hash: await hashPassword(input.newPassword),
      role: account.role,
      la_number: account.laNumber,
      establishment_number: account.establishmentNumber,
      full_name: account.fullName,
      email: account.email,
      telephone: account.telephone,
      must_change_password: 1,
      created_at: at,
      updated_at: at,
      password_changed_at: at,
      language: DEFAULT_LANGUAGE,
      last_signed_in_at: null,
      deleted_at: null,
    };
    const already = await this.db.transaction().execute(async (tx) => {
      if (user.la_number) await lockAccountsOfLa(tx, user.la_number);
      // The same form posted at once, on the same LA: it waited for the lock, and the first's account is in.
      const added = formId ? await this.addedBy(tx, actor, user.id, user.username) : undefined;
      if (added) return added;
      // Checked again under the lock: someone may have taken the name (or the LEA School role) meanwhile.
      const conflicts = await accountConflicts(tx, actor, user.username, account.role, user.la_number);
      if (conflicts.length > 0) throw new Invalid(conflicts);
      // Without an LA to lock (a national account), an insert at once with the same form's waits for the
      // first's, then inserts nothing.
      if (!(await insertUserOnce(tx, user))) {
        const first = await this.addedBy(tx, actor, user.id, user.username);
        if (first) return first;
        throw new Invalid(await accountConflicts(tx, actor, user.username, account.role, user.la_number));
      }
      await this.audit(tx, actor, 'user-added', user, {
        role: user.role,
        laNumber: user.la_number,
        establishmentNumber: user.establishment_number,
      });
      return undefined;
    });
    return already ? { account: already, already: true } : { account: withoutSecrets(user), already: false };
  }

  /**
   * The account the Add User form `formId` added, when it is the one this form names and the actor may
   * see it: the same form posted again. Undefined otherwise.
   */
  private async addedBy(
    db: Executor,
    actor: AccountsActor,
    formId: string,
    username: string,
  ): Promise<Account | undefined> {
    const row = await getUserRow(db, formId);
    if (!row || row.username.toLowerCase() !== clean(username).toLowerCase() || !canSeeUser(actor, row)) {
      return undefined;
    }
    return withoutSecrets(row);
  }

  /**
   * Changes the role (LA notes §3.4; the person's details change on changeDetails); the user is signed
   * out everywhere and their API tokens revoked. With `roleAsSeen` (the role the page asking showed), the same form posted
   * again (a double click, Back and submit, a browser resending; at once, waiting for the first's lock or
   * update) finds the role changed to the one it asks for already, and is `already`: nothing is done or
   * audited again.
   */
  async changeRole(
    actor: AccountsActor,
    id: string,
    newRole: string,
    roleAsSeen?: string,
  ): Promise<{ account: Account; already: boolean }> {
    const target = await this.changeableUser(actor, id, 'role');
    const role = clean(newRole);
    // Changed from the role the page showed to the one asked for: by this same form, posted before.
    const madeAlready = (current: UserRow) =>
      roleAsSeen !== undefined && roleAsSeen !== role && current.role === role && roleAsSeen !== current.role;
    if (madeAlready(target)) return { account: withoutSecrets(target), already: true };
    // Changed by someone else since the page was shown: this form would overwrite their change unseen.
    if (roleAsSeen !== undefined && roleAsSeen !== target.role) {
      throw new Invalid([
        messageError('role', message('accounts.role.changed-since', { role: roleName(target.role) })),
      ]);
    }
    const problem = roleChangeProblem(actor, target.role, role);
    if (problem) throw new Invalid([messageError('role', problem)]);
    const at = this.clock.now();
    const already = await this.db.transaction().execute(async (tx) => {
      if (target.la_number) await lockAccountsOfLa(tx, target.la_number);
      const current = await getUser(tx, target.id);
      if (current && current.role === role && current.role !== target.role) return true;
      await this.stillThere(tx, target);
      const clash = await onePerLaProblem(tx, role, target.la_number);
      if (clash) throw new Invalid([messageError('role', clash)]);
      // Only from the role read: an account without an LA to lock, changed at once, is changed once.
      if (!(await changeRoleFrom(tx, target.id, target.role, role, at.toISOString()))) {
        const now = await getUser(tx, target.id);
        if (now?.role === role) return true;
        throw forbidden(message('accounts.error.changed-meanwhile'));
      }
      // A session belongs to what its user could do when it began: with a new role, they sign in again
      // (each browser told why). So does a token: kept, it would give its MIS the new role's files at
      // once, and a role that requires two-factor sign-in without its user ever having set it up.
      await endSessionsOfUser(tx, target.id, 'role-changed', at.toISOString());
      const tokensRevoked = await revokeApiTokensOfUser(tx, target.id, {
        at: at.toISOString(),
        by: isSystemActor(actor) ? null : actor.userId,
      });
      await this.audit(tx, actor, 'user-role-changed', target, {
        from: target.role,
        to: role,
        tokensRevoked,
      });
      await tellAccountChanged(tx, {
        userId: target.id,
        change: 'role-changed',
        by: changerOf(actor, target),
        at,
        fromRole: target.role,
        tokensRevoked,
      });
      return false;
    });
    return { account: withoutSecrets({ ...target, role }), already };
  }

  /**
   * Corrects the account's full name, email address and telephone number (decision 78), by the rules of
   * Add User, for whoever may change its role (an account of a school too: its role is fixed, not its
   * details). With `asSeen` (the details the page showed), a form from a page shown before someone else
   * changed them is refused, naming nothing but that they changed (the page shows them as they are now),
   * unless they are already what the form asks (the same form posted again: `already`). Nothing differing
   * from the account's details is `unchanged`, and nothing is written. A change is audited with each
   * field's from and to; an email address changed is emailed to the old address and to the new.
   */
  async changeDetails(
    actor: AccountsActor,
    id: string,
    input: Partial<ContactDetailsInput>,
    asSeen?: Partial<ContactDetailsInput>,
  ): Promise<{
    account: Account;
    outcome: 'changed' | 'unchanged' | 'already';
    fields: string[];
    /** The addresses told of an email address changed: the old one and the new, where there was one. */
    emailedTo: string[];
  }> {
    const target = await this.changeableUser(actor, id, 'details');
    const wanted = contactDetailsOf(input);
    const to = detailsRowOf(wanted);
    const from: AccountDetailsRow = {
      full_name: target.full_name,
      email: target.email,
      telephone: target.telephone,
    };
    const seen = asSeen === undefined ? undefined : detailsRowOf(contactDetailsOf(asSeen));
    if (seen && !sameDetails(seen, from)) {
      if (sameDetails(from, to)) {
        return { account: withoutSecrets(target), outcome: 'already', fields: [], emailedTo: [] };
      }
      throw new Invalid([keyedError('fullName', 'accounts.details.changed-since')]);
    }
    const errors = contactDetailsProblems(wanted);
    if (errors.length > 0) throw new Invalid(errors);
    const fields = DETAIL_FIELDS.filter((field) => from[field] !== to[field]);
    if (fields.length === 0) {
      return { account: withoutSecrets(target), outcome: 'unchanged', fields: [], emailedTo: [] };
    }

    const at = this.clock.now();
    const outcome = await this.db.transaction().execute(async (tx) => {
      await this.stillThere(tx, target);
      if (!(await changeDetailsFrom(tx, target.id, from, to, at.toISOString()))) {
        // Changed at once by another form: the same one posted again has nothing left to do.
        const now = await getUser(tx, target.id);
        if (!now) throw new NotFound(message('accounts.not-found.user'));
        if (sameDetails(now, to)) return 'already' as const;
        throw new Invalid([keyedError('fullName', 'accounts.details.changed-since')]);
      }
      await this.audit(tx, actor, 'user-details-changed', target, {
        fields,
        changes: changesOf(from, to, fields),
      });
      if (from.email !== to.email) {
        await tellEmailChanged(tx, {
          userId: target.id,
          by: changerOf(actor, target),
          at,
          fromEmail: from.email,
          toEmail: to.email,
        });
      }
      return 'changed' as const;
    });
    const account = withoutSecrets({ ...target, ...to, updated_at: at.toISOString() });
    if (outcome === 'already') return { account: withoutSecrets(target), outcome, fields: [], emailedTo: [] };
    const emailedTo = from.email === to.email ? [] : [from.email, to.email].filter((a) => a !== null);
    return { account, outcome, fields, emailedTo };
  }

  /**
   * Issues a new password to another user (LA notes §3.6). They must change it when they next sign in,
   * every session they have ends now, and their API tokens are revoked (decision 48): a DBA resets a
   * password the user has lost or someone else may know, and a token made with it would otherwise go on
   * reaching the organisation's files after the reset.
   *
   * With `changedAsSeen` (when the password was last changed, as the page asking showed it), only if it
   * has not changed since: the same form posted again (a double click, Back and submit, a browser
   * resending; at once, the second's update waiting for the first's) sets nothing, ends no session and
   * audits nothing, and `already` says why: a password was issued since (`issued`: most likely by this
   * same form, and the user was given that one), or the user has chosen their own since (`changed`).
   */
  async resetPassword(
    actor: AccountsActor,
    id: string,
    input: PasswordInput,
    changedAsSeen?: string,
  ): Promise<{ account: Account; already: 'issued' | 'changed' | null }> {
    const target = await this.changeableUser(actor, id, 'password');
    const account = withoutSecrets(target);
    const earlier = (row: UserRow) => (row.must_change_password ? ('issued' as const) : ('changed' as const));
    if (changedAsSeen !== undefined && target.password_changed_at !== changedAsSeen) {
      return { account, already: earlier(target) };
    }
    const problem = newPasswordProblem(input.newPassword, input.confirmPassword, {
      username: target.username,
      fullName: target.full_name,
    });
    if (problem) throw new Invalid([problem]);
    const passwordHash = await hashPassword(input.newPassword);
    const at = this.clock.now();
    const already = await this.db.transaction().execute(async (tx) => {
      await this.stillThere(tx, target);
      const set = await setPasswordIfUnchanged(tx, target.id, changedAsSeen, {
        password_hash: passwordHash,
        must_change_password: 1,
        password_changed_at: at.toISOString(),
        updated_at: at.toISOString(),
      });
      if (!set) {
        const current = await getUser(tx, target.id);
        return current ? earlier(current) : 'issued';
      }
      await endSessionsOfUser(tx, target.id, 'password-reset', at.toISOString());
      const tokensRevoked = await revokeApiTokensOfUser(tx, target.id, {
        at: at.toISOString(),
        by: isSystemActor(actor) ? null : actor.userId,
      });
      // The failures counted were guesses at the old password: the account's count starts again, and a
      // pause is lifted (not the network address's).
      const pause = await liftAccountPause(tx, this.signIn, at, target.username, { evenIfNotPaused: true });
      await this.audit(tx, actor, 'password-reset', target, {
        tokensRevoked,
        ...(pause === 'lifted' ? { signInPauseLifted: true } : {}),
      });
      await tellAccountChanged(tx, {
        userId: target.id,
        change: 'password-issued',
        by: changerOf(actor, target),
        at,
        tokensRevoked,
      });
      return null;
    });
    return { account, already };
  }

  /**
   * Lets a user whose sign-in is paused after too many failed attempts try again now (they have been in
   * touch, and the administrator knows it is them), as whoever may issue them a new password may. Only
   * the account's count starts again: a network address paused for guessing at many accounts stays
   * paused (auth/throttle.ts, liftAccountPause). Audited. 'lifted-already' or 'not-paused' when there was
   * no pause to lift (the same form posted again, or the pause ended by itself): nothing is done then.
   */
  async liftSignInPause(
    actor: AccountsActor,
    id: string,
  ): Promise<{ account: Account; outcome: 'lifted' | 'lifted-already' | 'not-paused' }> {
    const target = await this.changeableUser(actor, id, 'password');
    const at = this.clock.now();
    const outcome = await this.db.transaction().execute(async (tx) => {
      await this.stillThere(tx, target);
      const lifted = await liftAccountPause(tx, this.signIn, at, target.username);
      if (lifted === 'lifted') await this.audit(tx, actor, 'sign-in-pause-lifted', target);
      return lifted;
    });
    return { account: withoutSecrets(target), outcome };
  }

  /**
   * Resets another user's two-factor sign-in (a lost or changed phone): their secret and recovery codes
   * are removed and every session of theirs ends. A role that must use it sets it up again at the next
   * sign-in. False when there was nothing to reset; `already` when the set-up the page showed is gone.
   */
  async resetTwoFactor(
    actor: AccountsActor,
    id: string,
    enrolledAsSeen?: string,
  ): Promise<{ account: Account; reset: boolean; already: boolean }> {
    const target = await this.changeableUser(actor, id, 'two-factor');
    // With `enrolledAsSeen` (when the set-up the page showed was confirmed), only that set-up is reset:
    // the same form posted again finds it reset already (or set up again since, which it leaves).
    const outcome = await this.db.transaction().execute(async (tx) => {
      await this.stillThere(tx, target);
      const removed = enrolledAsSeen
        ? await deleteTwoFactorConfirmedAt(tx, target.id, enrolledAsSeen)
        : await deleteTwoFactor(tx, target.id);
      if (!removed) return enrolledAsSeen ? 'already' : 'nothing';
      const at = this.clock.now();
      await endSessionsOfUser(tx, target.id, 'two-factor-reset', at.toISOString());
      await this.audit(tx, actor, 'two-factor-reset', target);
      await tellAccountChanged(tx, {
        userId: target.id,
        change: 'two-factor-reset',
        by: changerOf(actor, target),
        at,
      });
      return 'reset';
    });
    return { account: withoutSecrets(target), reset: outcome === 'reset', already: outcome === 'already' };
  }

  /**
   * Unlinks the account's single sign-on identities (linked to the wrong person, or the person's account
   * at the provider was replaced) and signs the user out everywhere. The next single sign-on matches an
   * account by email address again. The number of identities unlinked (0: there was nothing to unlink).
   */
  async unlinkSingleSignOn(
    actor: AccountsActor,
    id: string,
  ): Promise<{ account: Account; unlinked: number }> {
    const target = await this.changeableUser(actor, id, 'single-sign-on');
    const unlinked = await this.db.transaction().execute(async (tx) => {
      await this.stillThere(tx, target);
      const removed = await deleteIdentitiesOfUser(tx, target.id);
      if (removed.length === 0) return 0;
      const at = this.clock.now();
      await endSessionsOfUser(tx, target.id, 'single-sign-on-unlinked', at.toISOString());
      await this.audit(tx, actor, 'oidc-unlinked', target, {
        identities: removed.map((row) => ({ issuer: row.issuer, subject: row.subject })),
      });
      await tellAccountChanged(tx, {
        userId: target.id,
        change: 'single-sign-on-unlinked',
        by: changerOf(actor, target),
        at,
      });
      return removed.length;
    });
    return { account: withoutSecrets(target), unlinked };
  }

  /**
   * Deletes an account: it can no longer sign in, and its username stays reserved (LA notes §3.5). An
   * account the actor could see deleted already (the same form posted again, or at once, its update
   * waiting for the first's) is `already` deleted, and nothing is done or audited again.
   */
  async remove(actor: AccountsActor, id: string): Promise<{ account: Account; already: boolean }> {
    const gone = await this.deletedAlready(this.db, actor, id);
    if (gone) return { account: gone, already: true };
    const target = await this.changeableUser(actor, id, 'delete');
    const at = this.clock.now().toISOString();
    const already = await this.db.transaction().execute(async (tx) => {
      if (await this.deletedAlready(tx, actor, id)) return true;
      await this.stillThere(tx, target);
      if (!(await deleteUserOnce(tx, target.id, at))) return true;
      await endSessionsOfUser(tx, target.id, 'account-deleted', at);
      // Its single sign-on identity is free again: the person may be given a new account.
      await deleteIdentitiesOfUser(tx, target.id);
      await this.audit(tx, actor, 'user-deleted', target, { role: target.role });
      return false;
    });
    return { account: withoutSecrets(target), already };
  }

  /** The account, if it is deleted and the actor could see it; undefined otherwise. */
  private async deletedAlready(db: Executor, actor: AccountsActor, id: string): Promise<Account | undefined> {
    const row = await getUserRow(db, id);
    return row && row.deleted_at !== null && canSeeUser(actor, row) ? withoutSecrets(row) : undefined;
  }

  /** The account, for the page of a change the actor may make to it. */
  async accountToChange(actor: AccountsActor, id: string, change: AccountChange): Promise<Account> {
    return withoutSecrets(await this.changeableUser(actor, id, change));
  }

  /** The roles offered on the Update role page for this account. */
  rolesForChange(actor: AccountsActor, account: Pick<Account, 'role'>): Role[] {
    return rolesForChange(actor, account.role);
  }

  private async changeableUser(actor: AccountsActor, id: string, change: AccountChange): Promise<UserRow> {
    const target = await this.visibleUser(this.db, actor, id);
    const problem = changeProblem(actor, target, change);
    if (problem) throw forbidden(problem);
    return target;
  }

  /** Re-read inside the transaction: someone else may have deleted the account or changed its role. */
  private async stillThere(tx: Executor, target: UserRow): Promise<void> {
    const current = await getUser(tx, target.id);
    if (!current) throw new NotFound(message('accounts.not-found.user'));
    if (current.role !== target.role) {
      throw forbidden(message('accounts.error.changed-meanwhile'));
    }
  }

  private async visibleUser(db: Executor, actor: AccountsActor, id: string): Promise<UserRow> {
    const user = await getUser(db, id);
    if (!user || !canSeeUser(actor, user)) throw new NotFound(message('accounts.not-found.user'));
    return user;
  }

  private async checkNewAccount(
    actor: AccountsActor,
    input: NewAccountInput,
  ): Promise<{
    errors: FieldError[];
    account: {
      username: string;
      fullName: string;
      email: string | null;
      telephone: string | null;
      role: string;
      laNumber: string | null;
      establishmentNumber: string | null;
    };
  }> {
    const errors: FieldError[] = [];
    const username = clean(input.username);
    const { fullName, email, telephone } = contactDetailsOf(input);
    const role = clean(input.role);
    const establishmentNumber = clean(input.establishmentNumber);
    const reach = userReach(actor);
    let laNumber: string | null = reach.kind === 'la' ? reach.laNumber : clean(input.laNumber) || null;

    if (!username) errors.push(keyedError('username', 'accounts.error.enter-username'));
    else if (!USERNAME_PATTERN.test(username)) {
      errors.push(keyedError('username', 'accounts.error.username-format'));
    } else {
      const taken = await usernameTaken(this.db, actor, username);
      if (taken) errors.push(taken);
    }
    errors.push(...contactDetailsProblems({ fullName, email, telephone }));

    let roleOk = false;
    if (!role) errors.push(keyedError('role', 'accounts.error.choose-role'));
    else if (!isRole(role) || !assignableRoles(actor).includes(role)) {
      errors.push(keyedError('role', 'accounts.error.role-from-list'));
    } else roleOk = true;

    if (roleOk && isRole(role)) {
      const scope = scopeOf(role);
      if (scope === 'national') {
        if (laNumber) {
          errors.push(keyedError('laNumber', 'accounts.error.national-no-la', { role: roleName(role) }));
        }
      } else {
        let school: EstablishmentRow | undefined;
        if (scope === 'school') {
          if (!establishmentNumber) {
            errors.push(keyedError('establishmentNumber', 'accounts.error.choose-school'));
          } else {
            school = await getEstablishment(this.db, establishmentNumber);
            // A national actor at the command line may name just the school: its LA follows from it.
            if (school && !laNumber) laNumber = school.la_number;
            if (school?.status === 'closed' && school.la_number === laNumber) {
              errors.push(
                keyedError('establishmentNumber', 'accounts.error.school-closed', {
                  school: `${school.name} (${school.number})`,
                }),
              );
            } else if (!school || school.la_number !== laNumber) {
              errors.push(
                laNumber
                  ? keyedError('establishmentNumber', 'accounts.error.no-school-in-la', {
                      school: establishmentNumber,
                      la: laNumber,
                    })
                  : keyedError('establishmentNumber', 'accounts.error.no-school', {
                      school: establishmentNumber,
                    }),
              );
            }
          }
        } else if (establishmentNumber) {
          errors.push(keyedError('establishmentNumber', 'accounts.error.school-only-school-users'));
        }
        if (!laNumber) {
          if (!errors.some((e) => e.field === 'establishmentNumber')) {
            errors.push(keyedError('laNumber', 'accounts.error.choose-la'));
          }
        } else if (!(await getLocalAuthority(this.db, laNumber))) {
          errors.push(keyedError('laNumber', 'accounts.error.no-la', { la: laNumber }));
        }
      }
    }

    if (roleOk && !errors.some((e) => e.field === 'laNumber' || e.field === 'establishmentNumber')) {
      const clash = await onePerLaProblem(this.db, role, laNumber);
      if (clash) errors.push(messageError('role', clash));
    }
    const passwordError = newPasswordProblem(input.newPassword, input.confirmPassword, {
      username,
      fullName,
    });
    if (passwordError) errors.push(passwordError);

    return {
      errors,
      account: {
        username,
        fullName,
        email: email || null,
        telephone: telephone || null,
        role,
        laNumber: roleOk && isRole(role) && scopeOf(role) === 'national' ? null : laNumber,
        establishmentNumber: role === 'school' ? establishmentNumber : null,
      },
    };
  }

  private async audit(
    tx: Executor,
    actor: AccountsActor,
    action: AuditAction,
    subject: UserRow,
    detail?: Record<string, unknown>,
  ): Promise<void> {
    await recordAudit(tx, {
      at: this.clock.now(),
      actorUserId: isSystemActor(actor) ? null : actor.userId,
      actorUsername: actor.username,
      // The account's LA (school users carry their school's LA number); null for national accounts.
      organisation: subject.la_number,
      action,
      subjectType: 'user',
      subjectId: subject.username,
      ...(detail ? { detail } : {}),
    });
  }
}

/** The username is taken (case-insensitively, deleted accounts included), or the LA's LEA School exists. */
async function accountConflicts(
  db: Executor,
  actor: AccountsActor,
  username: string,
  role: string,
  laNumber: string | null,
): Promise<FieldError[]> {
  const errors: FieldError[] = [];
  const taken = await usernameTaken(db, actor, username);
  if (taken) errors.push(taken);
  const clash = await onePerLaProblem(db, role, laNumber);
  if (clash) errors.push(messageError('role', clash));
  return errors;
}

/** Who changed the account, as the email to its user says (notifications/account-changed.ts). */
function changerOf(actor: AccountsActor, target: Pick<UserRow, 'id'>): AccountChanger {
  return changedBy(isSystemActor(actor) ? 'system' : actor, target.id);
}

/**
 * Why the username cannot be given, or null when it is free. Usernames are never used again (the audit log
 * names people by username, and is filtered by it: decision 77), so one that belonged to a deleted account
 * says so, with the day it was deleted, when the actor could see that account (their LA's; everyone's for
 * a national administrator), which its audit log shows them already. One that belongs or belonged to an
 * account the actor cannot see says only that: no more than "in use" said before (decision 78).
 */
async function usernameTaken(
  db: Executor,
  actor: AccountsActor,
  username: string,
): Promise<FieldError | null> {
  const holder = await usernameHolder(db, username);
  if (!holder) return null;
  if (!canSeeUser(actor, holder))
    return keyedError('username', 'accounts.error.username-unseen', { username });
  if (holder.deleted_at !== null) {
    return keyedError('username', 'accounts.error.username-deleted', {
      username,
      date: dateParam(holder.deleted_at),
    });
  }
  return keyedError('username', 'accounts.error.username-taken', { username });
}

/** The details Add User and Change details take, trimmed; empty strings stand for "not given". */
interface ContactDetailsInput {
  fullName: string;
  email: string;
  telephone: string;
}

function contactDetailsOf(input: Partial<ContactDetailsInput>): ContactDetailsInput {
  return { fullName: clean(input.fullName), email: clean(input.email), telephone: clean(input.telephone) };
}

/**
 * The rules of an account's full name, email address and telephone number, the same for Add User and
 * Change details: a name is required, an email address (optional) must be one (no free webmail: LA notes
 * §3.7), a telephone number (optional) a UK one.
 */
function contactDetailsProblems({ fullName, email, telephone }: ContactDetailsInput): FieldError[] {
  const errors: FieldError[] = [];
  if (!fullName) errors.push(keyedError('fullName', 'accounts.error.enter-full-name'));
  else if (fullName.length > MAX_FULL_NAME) {
    errors.push(keyedError('fullName', 'accounts.error.full-name-too-long', { max: MAX_FULL_NAME }));
  } else if (/\p{Cc}/u.test(fullName)) {
    // A line break or tab (a form's text box sends neither; a hand-made post or the API may): the name is
    // one line wherever it is shown, in the user lists, emails and reports.
    errors.push(keyedError('fullName', 'accounts.error.full-name-one-line'));
  }
  const badEmail = email ? emailProblem(email) : null;
  if (badEmail) errors.push(messageError('email', badEmail));
  const badTelephone = telephone
    ? telephone.length > MAX_TELEPHONE
      ? message('directory.contact.telephone')
      : telephoneProblem(telephone)
    : null;
  if (badTelephone) errors.push(messageError('telephone', badTelephone));
  return errors;
}

/** The details as stored: an empty email address or telephone number is none (null). */
function detailsRowOf({ fullName, email, telephone }: ContactDetailsInput): AccountDetailsRow {
  return { full_name: fullName, email: email || null, telephone: telephone || null };
}

function sameDetails(a: AccountDetailsRow, b: AccountDetailsRow): boolean {
  return a.full_name === b.full_name && a.email === b.email && a.telephone === b.telephone;
}

const DETAIL_FIELDS = ['full_name', 'email', 'telephone'] as const;

/**
 * The roles an LA may give to one account only, and what is said when it has one: the LEA School account
 * ("Each Local Authority may only have one LEA School user account", LA notes §1.6) and the LEA
 * Administrator ("Each LA can assign one user as a Local Database Administrator", §3.1).
 */
const ONE_PER_LA: Partial<Record<string, string>> = {
  la_school: 'accounts.error.lea-school-exists',
  la_dba: 'accounts.error.lea-dba-exists',
};

/** Why the LA cannot have another account of this role (see ONE_PER_LA), or null when it can. */
async function onePerLaProblem(db: Executor, role: string, laNumber: string | null): Promise<Message | null> {
  const key = ONE_PER_LA[role];
  if (!key || !laNumber) return null;
  if ((await countUsersWithRole(db, laNumber, role)) === 0) return null;
  return message(key, { la: laNumber });
}
