// Sign-in, sessions and passwords. No HTTP here: the routes pass in what they read from the request.
import { randomBytes } from 'node:crypto';
import { findUserByUsername, getUser, type UserRow, updateUser } from '../accounts/repository.ts';
import { recordAudit } from '../audit/repository.ts';
import { tellAccountChanged } from '../notifications/account-changed.ts';
import type { Clock } from '../platform/clock.ts';
import type { Db, Executor } from '../platform/db/schema.ts';
import { type FieldError, Invalid } from '../platform/errors.ts';
import { DEFAULT_LANGUAGE, isLanguage, keyedError, type Language } from '../platform/i18n/catalogue.ts';
import type { MasterKeyring } from '../platform/storage/keyring.ts';
import { type Actor, organisationOf } from './actor.ts';
import { passwordProblem } from './password-policy.ts';
import { canonicalPassword, decoyPasswordHash, hashPassword, verifyPassword } from './passwords.ts';
import { isRole, ROLE_LABELS, type Role, scopeOf } from './permissions.ts';
import {
  deleteSession,
  ENDED_SESSION_MINUTES,
  endOf,
  endSession,
  endSessionsOfUser,
  getSession,
  getSessionWithUser,
  insertSession,
  recordSignInAttempt,
  type SessionEnd,
  type SessionWithUser,
  schoolAccountInactive,
  sessionIdOf,
  setPasswordIfUnchanged,
  touchSession,
} from './repository.ts';
import { accountLocked, recordFailedAttempt, reserveAttempt } from './throttle.ts';
import { type SecondStep, TwoFactorService } from './two-factor.ts';
import { hasTwoFactor } from './two-factor-repository.ts';

export interface AuthSettings {
  session: { idleMinutes: number; absoluteHours: number };
  signIn: { maxFailures: number; lockMinutes: number };
  /** TWO_FACTOR_REQUIRED (config.ts): the roles of two-factor-policy.ts must use it. Off if not given. */
  twoFactor?: { required: boolean };
}

/** The signed-in user as pages see them. */
export interface SignedInUser extends Actor {
  fullName: string;
  roleLabel: string;
  organisationName: string;
  /** The catalogue key of the organisation's name when it is not data (national accounts). */
  organisationKey?: string;
  mustChangePassword: boolean;
  /** The role must use two-factor sign-in and the user has not set it up: nothing else opens until then. */
  mustSetUpTwoFactor: boolean;
  lastSignedInAt: string | null;
  /** The language the user chose for pages. */
  language: Language;
}

export type SignInOutcome =
  /** `secondStep`: the password was right; the session opens nothing until a code is entered. */
  | { ok: true; token: string; user: UserRow; secondStep: boolean; mustSetUpTwoFactor: boolean }
  /** 'throttled': the account's pause; 'throttled-address': the network address's (throttle.ts, Pause). */
  | { ok: false; reason: 'wrong-credentials' | 'throttled' | 'throttled-address' | 'school-inactive' };

/**
 * How a sign-in proved who the user is: their password, or their provider's word (single sign-on), with
 * whether the provider used more than one factor (which then stands for s2s's own second step).
 */
export type SignInMethod = { method: 'password' } | { method: 'oidc'; providerMfa: boolean };

export type SecondStepOutcome =
  | { ok: true; token: string; user: UserRow; via: 'code' | 'recovery-code'; recoveryCodesLeft: number }
  | { ok: false; reason: 'wrong-code' | 'throttled' | 'throttled-address' | 'expired' }
  /**
   * This pending sign-in was completed meanwhile by another post of the same browser (a double click on
   * Continue): its code is not counted, and no session is given (the first post's answer carried it).
   */
  | { ok: false; reason: 'signed-in-already' };

export type SessionLookup =
  /** `idleAt`: when the session will be signed out unless it is used (its idle limit, or its end if sooner). */
  | { state: 'active'; sessionId: string; user: SignedInUser; idleAt: Date }
  /** The password was right, the second step is still to come. */
  | { state: 'pending'; sessionId: string; userId: string; role: Role }
  /** Ended on purpose a moment ago (endSession), and why: it opens nothing. */
  | { state: 'ended'; reason: SessionEnd }
  | { state: 'expired' }
  | { state: 'none' };

/** How long the second step of a sign-in may take before the user must start again. */
const SECOND_STEP_MINUTES = 10;

/**
 * How far ahead of this process's clock a session's last use may be: another node's clock may run a
 * little ahead. Further ahead, the clock went back (an operator, a bad time source) and the session's
 * limits, measured from that time, would let it idle for as long as the clock went back: it has expired.
 */
export const CLOCK_AHEAD_MINUTES = 5;

export class AuthService {
  readonly twoFactor: TwoFactorService;

  /** `keyring` seals and unseals the two-factor secrets (the master keys of stored files: see deps.ts). */
  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
    private readonly settings: AuthSettings,
    keyring?: MasterKeyring,
  ) {
    this.twoFactor = new TwoFactorService(db, clock, settings, keyring);
  }

  async signIn(typed: string, password: string, address: string): Promise<SignInOutcome> {
    const now = this.clock.now();
    // No username has spaces (accounts/service.ts, USERNAME_PATTERN): one typed or pasted with a space
    // before or after it is the account's, not a wrong name counted as a failure.
    const username = typed.trim();
    const user = await findUserByUsername(this.db, username);
    const attempt = await reserveAttempt(this.db, this.settings.signIn, { username, address, at: now });
    if ('paused' in attempt) {
      await recordFailedAttempt(this.db, {
        username,
        address,
        at: now,
        // In the audit log of the account's organisation, as its other failures are.
        organisation: user ? organisationOfRow(user) : null,
        knownAccount: user !== undefined,
        detail: { reason: 'throttled', ...(attempt.paused === 'address' ? { pause: 'address' } : {}) },
      });
      return { ok: false, reason: attempt.paused === 'address' ? 'throttled-address' : 'throttled' };
    }

    // Verify against a decoy when the user is unknown, so both cases take the same time.
    const passwordMatches = await verifyPassword(
      user?.password_hash ?? (await decoyPasswordHash()),
      password,
    );
    if (!user || !passwordMatches || !isRole(user.role)) {
      await attempt.failed({
        organisation: user ? organisationOfRow(user) : null,
        knownAccount: user !== undefined,
        detail: { reason: 'wrong-credentials' },
      });
      return { ok: false, reason: 'wrong-credentials' };
    }
    await attempt.withdraw();

    if (await schoolAccountInactive(this.db, user)) {
      await this.refuseInactiveSchool(user, now);
      return { ok: false, reason: 'school-inactive' };
    }
    return this.openSession(user, address, { method: 'password' });
  }

  /**
   * Signs in a user whose identity their single sign-on provider vouched for (auth/oidc.ts), as the right
   * password does: refused while the account is paused for failed sign-ins or its school is inactive;
   * otherwise two-factor sign-in still asks for a code unless the provider used more than one factor.
   */
  async signInVouched(
    user: UserRow,
    address: string,
    how: Extract<SignInMethod, { method: 'oidc' }>,
  ): Promise<SignInOutcome> {
    const now = this.clock.now();
    if (await accountLocked(this.db, this.settings.signIn, now, user.username)) {
      await recordAudit(this.db, {
        at: now,
        action: 'sign-in-failed',
        organisation: organisationOfRow(user),
        subjectType: 'user',
        subjectId: user.username,
        detail: { reason: 'throttled', method: how.method },
      });
      return { ok: false, reason: 'throttled' };
    }
    if (await schoolAccountInactive(this.db, user)) {
      await this.refuseInactiveSchool(user, now, how.method);
      return { ok: false, reason: 'school-inactive' };
    }
    return this.openSession(user, address, how);
  }

  private async refuseInactiveSchool(user: UserRow, now: Date, method?: 'oidc'): Promise<void> {
    await recordAudit(this.db, {
      at: now,
      actorUserId: user.id,
      actorUsername: user.username,
      organisation: user.establishment_number,
      action: 'sign-in-failed',
      detail: { reason: 'school-inactive', ...(method ? { method } : {}) },
    });
  }

  /**
   * After the password (or the provider): a session that waits for the second step when the user has set
   * up two-factor sign-in (and the provider did not do a second factor), else a signed-in session.
   */
  private async openSession(user: UserRow, address: string, how: SignInMethod): Promise<SignInOutcome> {
    const providerMfa = how.method === 'oidc' && how.providerMfa;
    const enrolled = await hasTwoFactor(this.db, user.id);
    if (enrolled && !providerMfa) {
      // The second step is still to come: a session that opens no page, and no successful attempt yet
      // (one would clear the failures counted against the account, and so let codes be guessed).
      const now = this.clock.now();
      const at = now.toISOString();
      const token = randomBytes(32).toString('base64url');
      await insertSession(this.db, {
        id: sessionIdOf(token),
        user_id: user.id,
        created_at: at,
        last_seen_at: at,
        expires_at: new Date(now.getTime() + SECOND_STEP_MINUTES * 60_000).toISOString(),
        pending_two_factor: 1,
        sign_in_method: how.method,
      });
      return { ok: true, token, user, secondStep: true, mustSetUpTwoFactor: false };
    }
    const token = await this.completeSignIn(user, address, how);
    const mustSetUpTwoFactor =
      !enrolled && !providerMfa && isRole(user.role) && this.twoFactor.required(user.role);
    return { ok: true, token, user, secondStep: false, mustSetUpTwoFactor };
  }

  /**
   * The second step: a code from the user's authenticator app or one of their recovery codes, for the
   * session the password opened. A right one replaces that session with a signed-in one.
   */
  async signInSecondStep(
    token: string | undefined,
    input: SecondStep,
    address: string,
  ): Promise<SecondStepOutcome> {
    if (!token) return { ok: false, reason: 'expired' };
    const sessionId = sessionIdOf(token);
    const session = await getSession(this.db, sessionId);
    const now = this.clock.now();
    // Completed by another post of the same code since this one's session was read.
    if (session && endOf(session) === 'signed-in') return { ok: false, reason: 'signed-in-already' };
    if (session?.pending_two_factor !== 1 || now.toISOString() >= session.expires_at) {
      return { ok: false, reason: 'expired' };
    }
    const user = await getUser(this.db, session.user_id);
    if (!user || !isRole(user.role)) return { ok: false, reason: 'expired' };
    const how: SignInMethod =
      session.sign_in_method === 'oidc' ? { method: 'oidc', providerMfa: false } : { method: 'password' };
    const signedIn = randomBytes(32).toString('base64url');
    // The code (or recovery code) is used and the pending session ended in one transaction with the new
    // session: a second post of the same code, made at once, waits for it, then finds the code used and
    // this pending sign-in completed, and is not counted as wrong.
    const checked = await this.twoFactor.check(user, input, address, {
      complete: async (tx, via) => {
        if (!(await endSession(tx, sessionId, 'signed-in', now.toISOString(), { onlyPending: true }))) {
          return false;
        }
        await this.recordSignIn(tx, user, address, how, signedIn, { secondStep: via });
        return true;
      },
      doneAlready: async () => {
        const after = await getSession(this.db, sessionId);
        return after !== undefined && endOf(after) === 'signed-in';
      },
    });
    if (!checked.ok) {
      if (checked.reason === 'done-already') return { ok: false, reason: 'signed-in-already' };
      // Its pending session ended meanwhile otherwise (signed out, reset): start again.
      if (checked.reason === 'not-completed') return { ok: false, reason: 'expired' };
      return checked;
    }
    return {
      ok: true,
      token: signedIn,
      user,
      via: checked.via,
      recoveryCodesLeft: checked.recoveryCodesLeft,
    };
  }

  /** A new signed-in session, with the successful attempt, the last sign-in time and the audit record. */
  private async completeSignIn(
    user: UserRow,
    address: string,
    how: SignInMethod,
    extra?: Record<string, unknown>,
  ): Promise<string> {
    const token = randomBytes(32).toString('base64url');
    await this.db.transaction().execute((tx) => this.recordSignIn(tx, user, address, how, token, extra));
    return token;
  }

  /** completeSignIn's writes, in the caller's transaction: the session of `token`, and what records it. */
  private async recordSignIn(
    tx: Executor,
    user: UserRow,
    address: string,
    how: SignInMethod,
    token: string,
    extra?: Record<string, unknown>,
  ): Promise<void> {
    // Password sign-ins keep the audit detail they always had; single sign-on says so, and whether the
    // provider's second factor stood for s2s's.
    const detail =
      how.method === 'oidc'
        ? { method: how.method, ...(how.providerMfa ? { secondStep: 'provider' } : {}), ...extra }
        : extra;
    const now = this.clock.now();
    const at = now.toISOString();
    const expires = new Date(now.getTime() + this.settings.session.absoluteHours * 3_600_000).toISOString();
    await insertSession(tx, {
      id: sessionIdOf(token),
      user_id: user.id,
      created_at: at,
      last_seen_at: at,
      expires_at: expires,
      sign_in_method: how.method,
      provider_mfa: how.method === 'oidc' && how.providerMfa ? 1 : 0,
    });
    await recordSignInAttempt(tx, { username: user.username, address, at, succeeded: true });
    await updateUser(tx, user.id, { last_signed_in_at: at });
    await recordAudit(tx, {
      at: now,
      actorUserId: user.id,
      actorUsername: user.username,
      organisation: organisationOfRow(user),
      action: 'sign-in',
      ...(detail ? { detail } : {}),
    });
  }

  /**
   * The session of `token`, and its user. Using it counts as activity (its last_seen_at is written, at
   * most once a minute) unless `touch` is false: the page's question how long is left (GET /session/status)
   * must not keep the session alive.
   */
  async lookUpSession(token: string | undefined, options: { touch?: boolean } = {}): Promise<SessionLookup> {
    if (!token) return { state: 'none' };
    const sessionId = sessionIdOf(token);
    const found = await getSessionWithUser(this.db, sessionId);
    if (!found) return { state: 'expired' };
    const { session, user: row } = found;
    const now = this.clock.now();
    const ended = endOf(session);
    if (ended) {
      // Kept a while to say why it ended, before its other limits are read: it opens nothing.
      if (now.getTime() < new Date(session.expires_at).getTime() + ENDED_SESSION_MINUTES * 60_000) {
        return { state: 'ended', reason: ended };
      }
      await deleteSession(this.db, sessionId);
      return { state: 'expired' };
    }
    const lastUse = new Date(session.last_seen_at).getTime();
    const idleLimit = Math.min(lastUse, now.getTime()) + this.settings.session.idleMinutes * 60_000;
    if (
      lastUse > now.getTime() + CLOCK_AHEAD_MINUTES * 60_000 ||
      now.getTime() >= idleLimit ||
      now.toISOString() >= session.expires_at
    ) {
      await deleteSession(this.db, sessionId);
      return { state: 'expired' };
    }
    // A school user whose school has since been made inactive is signed out, told why (for a while, as
    // every session ended on purpose is).
    if (row && found.schoolInactive) {
      await endSession(this.db, sessionId, 'school-inactive', now.toISOString());
      return { state: 'ended', reason: 'school-inactive' };
    }
    // A deleted user is signed out, told why, as every session the deletion ended is (endSessionsOfUser):
    // this one was made after it, by a sign-in that read the account before it was deleted, or before
    // the deletion ended sessions (an earlier version).
    if (!row) {
      await endSession(this.db, sessionId, 'account-deleted', now.toISOString());
      return { state: 'ended', reason: 'account-deleted' };
    }
    if (!isRole(row.role)) {
      await deleteSession(this.db, sessionId);
      return { state: 'expired' };
    }
    if (session.pending_two_factor === 1) {
      return { state: 'pending', sessionId, userId: row.id, role: row.role };
    }
    // Write the activity time at most once a minute, not on every request. A time a little ahead (another
    // node's clock) counts as now.
    let lastSeen = new Date(Math.min(lastUse, now.getTime()));
    if (options.touch !== false && now.getTime() - lastSeen.getTime() > 60_000) {
      await touchSession(this.db, sessionId, now.toISOString());
      lastSeen = now;
    }
    return {
      state: 'active',
      sessionId,
      user: this.describe(row, row.role, { ...found, providerMfa: session.provider_mfa === 1 }),
      idleAt: this.idleAt(lastSeen, session.expires_at),
    };
  }

  /** Uses the session now, even within the minute a request already did (POST /session/keep-alive). */
  async keepAlive(token: string | undefined): Promise<void> {
    if (!token) return;
    await touchSession(this.db, sessionIdOf(token), this.clock.now().toISOString());
  }

  /** The whole seconds, rounded up, until `at`; 0 once it has passed. */
  secondsUntil(at: Date): number {
    return Math.max(0, Math.ceil((at.getTime() - this.clock.now().getTime()) / 1000));
  }

  private idleAt(lastSeen: Date, expiresAt: string): Date {
    const idle = lastSeen.getTime() + this.settings.session.idleMinutes * 60_000;
    return new Date(Math.min(idle, new Date(expiresAt).getTime()));
  }

  async signOut(token: string | undefined, user: SignedInUser | undefined): Promise<void> {
    if (!token) return;
    await this.db.transaction().execute(async (tx) => {
      await deleteSession(tx, sessionIdOf(token));
      if (user) {
        await recordAudit(tx, {
          at: this.clock.now(),
          actorUserId: user.userId,
          actorUsername: user.username,
          organisation: organisationOf(user),
          action: 'sign-out',
        });
      }
    });
  }

  /**
   * The user changes their own password. Every other session of theirs ends and the current one is
   * replaced, so a stolen cookie stops working; the new session token is returned.
   */
  async changeOwnPassword(
    user: SignedInUser,
    currentToken: string,
    input: { currentPassword: string; newPassword: string; confirmPassword: string },
    address: string,
    changedAsSeen?: string,
  ): Promise<string | { already: true; signedOut?: true }> {
    const row = await getUser(this.db, user.userId);
    if (!row) throw new Invalid([keyedError('currentPassword', 'auth.change-password.account-gone')]);
    // Changed by this browser's other post of the form (a double click): the session it ended was this
    // one's too, and this browser must sign in again (decision 59).
    const already = async (): Promise<{ already: true; signedOut?: true }> => {
      const own = await getSession(this.db, sessionIdOf(currentToken));
      return own && endOf(own) === 'password-changed'
        ? { already: true, signedOut: true }
        : { already: true };
    };
    // Changed since the page asking was drawn (`changedAsSeen`): the same form posted again (a double
    // click, Back and submit, a browser resending). Nothing is checked (no guess counts) or changed.
    if (changedAsSeen !== undefined && row.password_changed_at !== changedAsSeen) return already();
    const errors: FieldError[] = [];
    const now = this.clock.now();
    if (!input.currentPassword) {
      errors.push(keyedError('currentPassword', 'auth.change-password.enter-current'));
    } else {
      // The current password is guessed at no more freely here than at sign-in (someone holding a stolen
      // session could otherwise try passwords without end, then change it): the same pause, and a wrong
      // one counts as a failed sign-in.
      const attempt = await reserveAttempt(this.db, this.settings.signIn, {
        username: row.username,
        address,
        at: now,
      });
      if ('paused' in attempt) {
        throw new Invalid([
          keyedError(
            'currentPassword',
            attempt.paused === 'address'
              ? 'auth.sign-in.throttled-address'
              : 'auth.change-password.throttled',
            { minutes: this.settings.signIn.lockMinutes },
          ),
        ]);
      }
      if (await verifyPassword(row.password_hash, input.currentPassword)) {
        await attempt.withdraw();
      } else {
        errors.push(keyedError('currentPassword', 'auth.change-password.current-wrong'));
        await attempt.failed({
          organisation: organisationOfRow(row),
          actor: { userId: row.id, username: row.username },
          knownAccount: true,
          detail: { reason: 'wrong-current-password' },
        });
      }
    }
    const problem = newPasswordProblem(input.newPassword, input.confirmPassword, {
      username: row.username,
      fullName: row.full_name,
    });
    if (problem) errors.push(problem);
    else if (canonicalPassword(input.newPassword) === canonicalPassword(input.currentPassword)) {
      errors.push(keyedError('newPassword', 'auth.change-password.same-as-current'));
    }
    if (errors.length > 0) throw new Invalid(errors);

    const at = now.toISOString();
    const passwordHash = await hashPassword(input.newPassword);
    const token = randomBytes(32).toString('base64url');
    const session = await getSession(this.db, sessionIdOf(currentToken));
    const changed = await this.db.transaction().execute(async (tx) => {
      // At once with the same form: this update waited for the other's, and finds the password changed.
      const set = await setPasswordIfUnchanged(tx, row.id, changedAsSeen, {
        password_hash: passwordHash,
        must_change_password: 0,
        password_changed_at: at,
        updated_at: at,
      });
      if (!set) return false;
      // Every session of the user ends, this one's and other devices'. Their rows are kept a while
      // (endSessionsOfUser) so that each browser holding one is told the password was changed, and to sign
      // in with it (this browser's second post of the form too: a double click, sent with this cookie
      // before the first's answer): none is ever opened again.
      await endSessionsOfUser(tx, row.id, 'password-changed', at);
      await insertSession(tx, {
        id: sessionIdOf(token),
        user_id: row.id,
        created_at: at,
        last_seen_at: at,
        expires_at:
          session?.expires_at ??
          new Date(now.getTime() + this.settings.session.absoluteHours * 3_600_000).toISOString(),
        // The new session is signed in as the old one was.
        sign_in_method: session?.sign_in_method ?? 'password',
        provider_mfa: session?.provider_mfa ?? 0,
      });
      await recordAudit(tx, {
        at: now,
        actorUserId: row.id,
        actorUsername: row.username,
        organisation: organisationOf(user),
        action: 'password-changed',
        subjectType: 'user',
        subjectId: row.username,
      });
      await tellAccountChanged(tx, { userId: row.id, change: 'password-changed', by: 'you', at: now });
      return true;
    });
    return changed ? token : already();
  }

  /** When the user's password was last changed: the change password page carries it (changeOwnPassword). */
  async passwordChangedAt(user: Actor): Promise<string | undefined> {
    return (await getUser(this.db, user.userId))?.password_changed_at;
  }

  /**
   * The user as pages see them, from what the session's lookup read with it. `providerMfa`: the session's
   * single sign-on used more than one factor (no s2s set-up is asked).
   */
  private describe(
    row: UserRow,
    role: Role,
    found: Pick<SessionWithUser, 'establishmentName' | 'laName' | 'hasTwoFactor'> & { providerMfa: boolean },
  ): SignedInUser {
    const scope = scopeOf(role);
    let organisationName = 's2s national administration';
    let organisationKey: string | undefined = 'auth.organisation.national';
    if (scope === 'school' && row.establishment_number) {
      organisationName = found.establishmentName
        ? `${row.establishment_number} ${found.establishmentName}`
        : row.establishment_number;
      organisationKey = undefined;
    } else if (scope === 'la' && row.la_number) {
      organisationName = found.laName ? `${row.la_number} ${found.laName}` : row.la_number;
      organisationKey = undefined;
    } else if (role === 'dfe_collector') {
      organisationName = 'Department for Education';
      organisationKey = 'auth.organisation.dfe';
    }
    return {
      userId: row.id,
      username: row.username,
      role,
      laNumber: row.la_number,
      establishmentNumber: row.establishment_number,
      fullName: row.full_name,
      roleLabel: ROLE_LABELS[role],
      organisationName,
      ...(organisationKey ? { organisationKey } : {}),
      mustChangePassword: row.must_change_password === 1,
      mustSetUpTwoFactor: this.twoFactor.required(role) && !found.providerMfa && !found.hasTwoFactor,
      lastSignedInAt: row.last_signed_in_at,
      language: isLanguage(row.language) ? row.language : DEFAULT_LANGUAGE,
    };
  }

  /** Keeps the user's choice of language for their next sign-ins, on any browser. */
  async setLanguage(userId: string, language: Language): Promise<void> {
    await updateUser(this.db, userId, { language });
  }
}

function organisationOfRow(row: UserRow): string | null {
  return isRole(row.role)
    ? organisationOf({
        role: row.role,
        laNumber: row.la_number,
        establishmentNumber: row.establishment_number,
      })
    : null;
}

/** The checks on a new password and its confirmation, shared by every form that sets one. */
export function newPasswordProblem(
  newPassword: string,
  confirmPassword: string,
  account: { username: string; fullName: string | null },
  field = 'newPassword',
): FieldError | null {
  if (!newPassword) return keyedError(field, 'auth.password.enter-new');
  const problem = passwordProblem(newPassword, account.username, account.fullName);
  if (problem) return keyedError(field, problem.key, problem.params);
  if (canonicalPassword(newPassword) !== canonicalPassword(confirmPassword))
    return keyedError('confirmPassword', 'auth.password.do-not-match');
  return null;
}
