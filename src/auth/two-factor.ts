// Two-factor sign-in: setting it up (a TOTP secret shown as a QR code and as text, confirmed with a code),
// checking codes and recovery codes, making new recovery codes and turning it off. No HTTP here.
import { getUser, type UserRow } from '../accounts/repository.ts';
import { type AuditAction, recordAudit } from '../audit/repository.ts';
import { tellAccountChanged } from '../notifications/account-changed.ts';
import type { Clock } from '../platform/clock.ts';
import type { Db, Executor } from '../platform/db/schema.ts';
import { Invalid } from '../platform/errors.ts';
import { keyedError, message } from '../platform/i18n/catalogue.ts';
import type { MasterKeyring } from '../platform/storage/keyring.ts';
import { type Actor, organisationOf } from './actor.ts';
import { isRole, type Role } from './permissions.ts';
import { endSessionsOfUser, sessionIdOf } from './repository.ts';
import { recordFailedAttempt, reserveAttempt } from './throttle.ts';
import { twoFactorRequired, twoFactorResetterKey } from './two-factor-policy.ts';
import {
  confirmSecret,
  countUnusedRecoveryCodes,
  deleteTwoFactor,
  getTwoFactorSecret,
  insertPendingSecret,
  recoveryCodesMadeAt,
  replaceRecoveryCodes,
  type TwoFactorSecretRow,
  useRecoveryCode,
  useTimeStep,
} from './two-factor-repository.ts';
import {
  hashRecoveryCode,
  matchTotpCode,
  newRecoveryCode,
  newTotpSecret,
  normaliseRecoveryCode,
  normaliseTotpCode,
  openSecret,
  RECOVERY_CODE_COUNT,
  sealSecret,
  totpUri,
} from './two-factor-secrets.ts';

export interface TwoFactorSettings {
  signIn: { maxFailures: number; lockMinutes: number };
  /** TWO_FACTOR_REQUIRED: whether the roles of two-factor-policy.ts must use it. */
  twoFactor?: { required: boolean };
}

export interface TwoFactorStatus {
  enrolled: boolean;
  enrolledAt: string | null;
  recoveryCodesLeft: number;
  /** When the recovery codes were made: the form making new ones carries it (newRecoveryCodes). */
  recoveryCodesMadeAt: string | null;
  /** The user's role must use two-factor sign-in, so it cannot be turned off. */
  required: boolean;
  /** The catalogue key of who can reset it for this role (twoFactorResetterKey). */
  resetter: string;
}

/** What the user typed at the second step: a code from their app, or one of their recovery codes. */
export type SecondStep = { code: string } | { recoveryCode: string };

export type CheckOutcome =
  | { ok: true; via: 'code' | 'recovery-code'; recoveryCodesLeft: number }
  /** 'throttled': the account's pause; 'throttled-address': the network address's (throttle.ts, Pause). */
  | { ok: false; reason: 'wrong-code' | 'throttled' | 'throttled-address' };

/**
 * What a right second step completes, in the transaction that uses its code (check): `complete` returns
 * false when it cannot (nothing is then used); `doneAlready` says whether another post completed it.
 */
export interface SecondStepCompletion {
  complete: (tx: Executor, via: 'code' | 'recovery-code') => Promise<boolean>;
  doneAlready: () => Promise<boolean>;
}

/** Rolls back a second step's transaction whose sign-in could not be completed. */
class NotCompleted extends Error {}

export class TwoFactorService {
  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
    private readonly settings: TwoFactorSettings,
    private readonly keyring: MasterKeyring | undefined,
  ) {}

  required(role: Role): boolean {
    return twoFactorRequired(role, this.settings.twoFactor?.required ?? false);
  }

  /** Whether the user has set up two-factor sign-in (a confirmed secret). */
  async isEnrolled(userId: string): Promise<boolean> {
    const row = await getTwoFactorSecret(this.db, userId);
    return Boolean(row?.confirmed_at);
  }

  async status(user: Pick<Actor, 'userId' | 'role'>): Promise<TwoFactorStatus> {
    const row = await getTwoFactorSecret(this.db, user.userId);
    const enrolled = Boolean(row?.confirmed_at);
    return {
      enrolled,
      enrolledAt: row?.confirmed_at ?? null,
      recoveryCodesLeft: enrolled ? await countUnusedRecoveryCodes(this.db, user.userId) : 0,
      recoveryCodesMadeAt: enrolled ? await recoveryCodesMadeAt(this.db, user.userId) : null,
      required: this.required(user.role),
      resetter: twoFactorResetterKey(user.role),
    };
  }

  /**
   * The secret to set up, with its otpauth:// address for the QR code: the one being set up already (so
   * a page shown again shows the same code), or a new one. Null when two-factor sign-in is set up.
   */
  async setUp(user: Actor): Promise<{ secret: string; uri: string } | null> {
    const key = this.key();
    const row = await getTwoFactorSecret(this.db, user.userId);
    if (row?.confirmed_at) return null;
    if (row) {
      const secret = openSecret(key, user.userId, sealedOf(row));
      return { secret, uri: totpUri(user.username, secret) };
    }
    const secret = newTotpSecret();
    const sealed = sealSecret(key, user.userId, secret);
    await insertPendingSecret(this.db, {
      user_id: user.userId,
      secret_ciphertext: sealed.ciphertext,
      wrapped_key: sealed.wrappedKey,
      master_key_id: sealed.masterKeyId,
      created_at: this.clock.now().toISOString(),
    });
    return { secret, uri: totpUri(user.username, secret) };
  }

  /**
   * Confirms the secret being set up with a code from the app, and ends the user's other sessions (a
   * password alone let them in; setting up a second step is often done to keep someone else out).
   * Each browser holding one is told why (endSessionsOfUser). `sessionToken` is the session that sets it
   * up, kept. Returns the new recovery codes, to show once: only their hashes are kept.
   */
  async confirm(user: Actor, input: string, sessionToken?: string): Promise<string[]> {
    const done = await this.confirmOnce(user, input, sessionToken);
    if ('already' in done) throw new Invalid([keyedError('code', 'auth.two-factor.set-up.already')]);
    return done.codes;
  }

  /**
   * Confirms as `confirm` does; set up already (the same form posted again, or at once, its update
   * waiting for the first's), it is `already`, and nothing is done again: the recovery codes were shown
   * to the first post only.
   */
  async confirmOnce(
    user: Actor,
    input: string,
    sessionToken?: string,
  ): Promise<{ codes: string[] } | { already: true }> {
    const code = normaliseTotpCode(input);
    if (!input.trim()) throw new Invalid([keyedError('code', 'auth.two-factor.enter-code')]);
    if (!code) throw new Invalid([keyedError('code', 'auth.two-factor.set-up.digits')]);
    const row = await getTwoFactorSecret(this.db, user.userId);
    if (row?.confirmed_at) return { already: true };
    if (!row) throw new Invalid([keyedError('code', 'auth.two-factor.set-up.reset-meanwhile')]);
    const now = this.clock.now();
    const secret = openSecret(this.key(), user.userId, sealedOf(row));
    const step = await matchTotpCode(secret, code, now, null);
    if (step === null) {
      throw new Invalid([keyedError('code', 'auth.two-factor.set-up.wrong-code')]);
    }
    const codes = Array.from({ length: RECOVERY_CODE_COUNT }, newRecoveryCode);
    const at = now.toISOString();
    const confirmed = await this.db.transaction().execute(async (tx) => {
      if (!(await confirmSecret(tx, user.userId, at, step))) return false;
      await replaceRecoveryCodes(tx, user.userId, codes.map(hashOf), at);
      // Each browser holding one is told why it was signed out (for a while, as every session ended on
      // purpose is), not that it timed out.
      await endSessionsOfUser(
        tx,
        user.userId,
        'two-factor-set-up',
        at,
        sessionToken && sessionIdOf(sessionToken),
      );
      await this.audit(tx, user, 'two-factor-enrolled');
      return true;
    });
    return confirmed ? { codes } : { already: true };
  }

  /** New recovery codes (the earlier ones stop working), after a code from the app. */
  async newRecoveryCodes(user: Actor, input: string, address: string): Promise<string[]>;
  /**
   * With `madeAsSeen` (when the codes the page showed were made): codes made since (the same form posted
   * again: Back and submit, a browser resending) are `already` made, and no code is checked (no wrong one
   * counts) and nothing changes: the new codes were shown once, to the first post.
   */
  async newRecoveryCodes(
    user: Actor,
    input: string,
    address: string,
    madeAsSeen: string | undefined,
  ): Promise<string[] | { already: true }>;
  async newRecoveryCodes(
    user: Actor,
    input: string,
    address: string,
    madeAsSeen?: string,
  ): Promise<string[] | { already: true }> {
    // Codes made since the page was drawn; none at all (two-factor sign-in turned off meanwhile) is not that.
    const madeSince = async () => {
      if (madeAsSeen === undefined) return false;
      const made = await recoveryCodesMadeAt(this.db, user.userId);
      return made !== null && made !== madeAsSeen;
    };
    if (await madeSince()) return { already: true };
    const codes = Array.from({ length: RECOVERY_CODE_COUNT }, newRecoveryCode);
    const done = await this.reauthenticated(user, input, address, madeSince, async (tx) => {
      const at = this.clock.now();
      await replaceRecoveryCodes(tx, user.userId, codes.map(hashOf), at.toISOString());
      await this.audit(tx, user, 'recovery-codes-replaced');
      await tellAccountChanged(tx, { userId: user.userId, change: 'recovery-codes-replaced', by: 'you', at });
    });
    return 'already' in done ? done : codes;
  }

  /**
   * Turns two-factor sign-in off, after a code from the app; refused for roles that must use it. Off
   * already (the same form posted again, or at once: its code then finds its time step used by the first),
   * it is `already`, and the code is not counted as wrong.
   */
  async turnOff(user: Actor, input: string, address: string): Promise<{ done: true } | { already: true }> {
    if (this.required(user.role)) {
      throw new Invalid([
        keyedError('code', 'auth.two-factor.turn-off.refused', {
          resetter: message(twoFactorResetterKey(user.role)),
        }),
      ]);
    }
    const off = async () => !(await this.isEnrolled(user.userId));
    return this.reauthenticated(user, input, address, off, async (tx) => {
      await deleteTwoFactor(tx, user.userId);
      await this.audit(tx, user, 'two-factor-turned-off');
      await tellAccountChanged(tx, {
        userId: user.userId,
        change: 'two-factor-turned-off',
        by: 'you',
        at: this.clock.now(),
      });
    });
  }

  /**
   * Checks a second step for this user, throttled like passwords: every wrong code counts as a failed
   * sign-in of the account and of the address (sign_in_attempts), counted before it is checked (throttle.ts,
   * reserveAttempt), and once too many have failed no code is even checked until the pause ends.
   *
   * `then.complete` makes the sign-in in the transaction that uses the code (false: it cannot, and
   * nothing is used), so a second post of the same code made at once waits for it and finds the code
   * used. `then.doneAlready`, read once that first has ended, says whether the first completed this same
   * sign-in: then the second is `done-already` and its code is not counted as wrong.
   */
  async check(
    user: UserRow,
    input: SecondStep,
    address: string,
    then: SecondStepCompletion = { complete: async () => true, doneAlready: async () => false },
  ): Promise<CheckOutcome | { ok: false; reason: 'done-already' } | { ok: false; reason: 'not-completed' }> {
    const now = this.clock.now();
    const organisation = isRole(user.role) ? organisationOf(actorOfRow(user)) : null;
    const attempt = await this.reserveAttempt(user, organisation, address, now);
    if ('paused' in attempt) {
      return { ok: false, reason: attempt.paused === 'address' ? 'throttled-address' : 'throttled' };
    }
    const outcome = await this.checkCode(user, input, now, then.complete);
    if (outcome && outcome !== 'not-completed') {
      await attempt.withdraw();
      return outcome;
    }
    if (await then.doneAlready()) {
      await attempt.withdraw();
      return { ok: false, reason: 'done-already' };
    }
    if (outcome === 'not-completed') {
      // A right code whose sign-in could not be made (its session ended meanwhile): not a wrong one.
      await attempt.withdraw();
      return { ok: false, reason: 'not-completed' };
    }
    await attempt.failed({
      organisation,
      knownAccount: true,
      detail: { reason: 'wrong-code', step: 'two-factor' },
    });
    return { ok: false, reason: 'wrong-code' };
  }

  /**
   * A code's attempt, counted before it is checked (throttle.ts, reserveAttempt); which pause, the refusal
   * itself recorded as a failed sign-in, once too many have failed and the pause has not ended.
   */
  private async reserveAttempt(
    user: UserRow,
    organisation: ReturnType<typeof organisationOf> | null,
    address: string,
    at: Date,
  ) {
    const attempt = await reserveAttempt(this.db, this.settings.signIn, {
      username: user.username,
      address,
      at,
    });
    if (!('paused' in attempt)) return attempt;
    await recordFailedAttempt(this.db, {
      username: user.username,
      address,
      at,
      organisation,
      knownAccount: true,
      detail: {
        reason: 'throttled',
        step: 'two-factor',
        ...(attempt.paused === 'address' ? { pause: 'address' } : {}),
      },
    });
    return attempt;
  }

  /**
   * The outcome of a right code or recovery code (used up, with `complete` done, in one transaction); null
   * for a wrong one, or one used already (or meanwhile); 'not-completed' for a right one whose `complete`
   * could not be done (nothing is used then).
   */
  private async checkCode(
    user: UserRow,
    input: SecondStep,
    now: Date,
    complete: SecondStepCompletion['complete'],
  ): Promise<Extract<CheckOutcome, { ok: true }> | 'not-completed' | null> {
    const row = await getTwoFactorSecret(this.db, user.id);
    if (!row?.confirmed_at) return null;
    const secret = 'code' in input ? openSecret(this.key(), user.id, sealedOf(row)) : null;
    const recoveryCode = 'recoveryCode' in input ? normaliseRecoveryCode(input.recoveryCode) : null;
    const totpCode = 'code' in input ? normaliseTotpCode(input.code) : null;
    // Any step the code matches, used or not: the update below refuses one used already.
    const step = secret !== null && totpCode ? await matchTotpCode(secret, totpCode, now, null) : null;
    if (step === null && recoveryCode === null) return null;
    try {
      return await this.db.transaction().execute(async (tx) => {
        let outcome: Extract<CheckOutcome, { ok: true }>;
        if (step !== null) {
          // The update succeeds only if no code of this step (or a later one) was used meanwhile.
          if (!(await useTimeStep(tx, user.id, step))) return null;
          outcome = { ok: true, via: 'code', recoveryCodesLeft: await countUnusedRecoveryCodes(tx, user.id) };
        } else {
          const code = recoveryCode as string;
          if (!(await useRecoveryCode(tx, user.id, hashOf(code), now.toISOString()))) return null;
          const remaining = await countUnusedRecoveryCodes(tx, user.id);
          await this.audit(tx, actorOfRow(user), 'recovery-code-used', { recoveryCodesLeft: remaining });
          outcome = { ok: true, via: 'recovery-code', recoveryCodesLeft: remaining };
        }
        // Not completed: the code is not used either.
        if (!(await complete(tx, outcome.via))) throw new NotCompleted();
        return outcome;
      });
    } catch (error) {
      if (error instanceof NotCompleted) return 'not-completed';
      throw error;
    }
  }

  /**
   * A change to two-factor sign-in itself, made after a code from the app asked for again, checked as at
   * sign-in (check, its completion being the change): the code's time step is marked used in the change's
   * transaction, so a second post of the same code made at once (a
   * double click, on this node or another) waits for the first's change (PostgreSQL: the secret's row lock;
   * SQLite: one write transaction at a time) and then finds its step used. If `doneAlready` (read once the
   * first has ended) says the change was made meanwhile, the second is `already` and its code does not
   * count as wrong; otherwise a used code counts as wrong, as at sign-in. Throttled like sign-in (check).
   */
  private async reauthenticated(
    user: Actor,
    input: string,
    address: string,
    doneAlready: () => Promise<boolean>,
    change: (tx: Executor) => Promise<void>,
  ): Promise<{ done: true } | { already: true }> {
    if (!input.trim()) throw new Invalid([keyedError('code', 'auth.two-factor.enter-code')]);
    const row = await getUser(this.db, user.userId);
    if (!row || !(await this.isEnrolled(user.userId))) {
      if (await doneAlready()) return { already: true };
      throw new Invalid([keyedError('code', 'auth.two-factor.not-set-up')]);
    }
    // Turned off meanwhile (by an administrator's reset, say): no code could be checked, none was wrong.
    const offMeanwhile = async () => !(await this.isEnrolled(user.userId));
    const outcome = await this.check(row, { code: input }, address, {
      complete: async (tx) => {
        await change(tx);
        return true;
      },
      doneAlready: async () => (await doneAlready()) || (await offMeanwhile()),
    });
    if (outcome.ok) return { done: true };
    if (outcome.reason === 'throttled' || outcome.reason === 'throttled-address') {
      throw new Invalid([
        keyedError(
          'code',
          outcome.reason === 'throttled-address'
            ? 'auth.sign-in.throttled-address'
            : 'auth.two-factor.too-many-wrong-codes',
          { minutes: this.settings.signIn.lockMinutes },
        ),
      ]);
    }
    if (outcome.reason === 'done-already') {
      if (await doneAlready()) return { already: true };
      throw new Invalid([keyedError('code', 'auth.two-factor.not-set-up')]);
    }
    throw new Invalid([keyedError('code', 'auth.two-factor.wrong-code')]);
  }

  private async audit(
    tx: Executor,
    user: Actor,
    action: AuditAction,
    detail?: Record<string, unknown>,
  ): Promise<void> {
    await recordAudit(tx, {
      at: this.clock.now(),
      actorUserId: user.userId,
      actorUsername: user.username,
      organisation: organisationOf(user),
      action,
      subjectType: 'user',
      subjectId: user.username,
      ...(detail ? { detail } : {}),
    });
  }

  private key(): MasterKeyring {
    if (!this.keyring) throw new Error('Two-factor sign-in needs the master key');
    return this.keyring;
  }
}

function sealedOf(row: TwoFactorSecretRow) {
  return { ciphertext: row.secret_ciphertext, wrappedKey: row.wrapped_key, masterKeyId: row.master_key_id };
}

function hashOf(code: string): string {
  return hashRecoveryCode(normaliseRecoveryCode(code) ?? code);
}

function actorOfRow(row: UserRow): Actor {
  return {
    userId: row.id,
    username: row.username,
    role: isRole(row.role) ? row.role : 'school',
    laNumber: row.la_number,
    establishmentNumber: row.establishment_number,
  };
}
