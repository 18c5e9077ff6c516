// The pause after too many failed sign-ins, shared by the password and the second step of signing in, and
// by Change Password's current password.

import type { Transaction } from 'kysely';
import { recordAudit } from '../audit/repository.ts';
import { serialiseOn } from '../platform/db/database.ts';
import type { Database, Db, Executor } from '../platform/db/schema.ts';
import {
  countRecentFailures,
  deleteSignInAttempt,
  latestAccountFailures,
  PAUSE_LIFTED_ADDRESS,
  pauseLiftedSince,
  recordSignInAttempt,
} from './repository.ts';

/** Attempts from one network address may fail this many times more than attempts at one account. */
export const ADDRESS_FAILURE_FACTOR = 4;

/**
 * What sign_in_attempts keeps of a typed username: its column is varchar(64) (migration 001), and a longer
 * one (no account has one) must be refused as wrong, not fail the insert. Cut, it still counts against the
 * address, and against the one name it was cut to, like any other wrong username.
 */
const RECORDED_USERNAME_LENGTH = 64;

function recordedUsername(username: string): string {
  return username.slice(0, RECORDED_USERNAME_LENGTH);
}

/**
 * Which pause stops a sign-in: the account's (its own failures; an administrator can lift it) or the
 * network address's (failures at any usernames from it, such as a school's office behind one router:
 * nobody can lift it, and it ends by itself).
 */
export type Pause = 'account' | 'address';

interface PauseSettings {
  maxFailures: number;
  lockMinutes: number;
}

function windowStart(settings: PauseSettings, now: Date): string {
  return new Date(now.getTime() - settings.lockMinutes * 60_000).toISOString();
}

/**
 * Which pause, if any, stops the account or the network address from being let try again now: they have
 * failed too often lately (wrong passwords and wrong two-factor codes count alike, since the last
 * success, and so do attempts still being checked). The address's when both are paused: lifting the
 * account's would not let it in. Read from the counts of what was typed alone, so an unknown username is
 * answered exactly as a known one.
 */
async function pauseOf(
  db: Executor,
  settings: PauseSettings,
  now: Date,
  username: string,
  address: string,
): Promise<Pause | null> {
  const since = windowStart(settings, now);
  const [accountFailures, addressFailures] = await Promise.all([
    countRecentFailures(db, { username }, since),
    countRecentFailures(db, { address }, since),
  ]);
  if (addressFailures >= settings.maxFailures * ADDRESS_FAILURE_FACTOR) return 'address';
  if (accountFailures >= settings.maxFailures) return 'account';
  return null;
}

/**
 * Whether the account itself is paused for failed sign-ins (wrong passwords or codes), whatever the
 * network address: a single sign-on, which guesses nothing, is refused for such an account too.
 */
export async function accountLocked(
  db: Executor,
  settings: PauseSettings,
  now: Date,
  username: string,
): Promise<boolean> {
  return (await countRecentFailures(db, { username }, windowStart(settings, now))) >= settings.maxFailures;
}

/**
 * Until when the account is paused for failed sign-ins, or null when it is not: its latest failures
 * counted drop out of the count one by one as they pass SIGN_IN_LOCK_MINUTES, and the pause ends when
 * fewer than maxFailures are left (any attempt made meanwhile counts, and puts the end later).
 */
export async function accountPausedUntil(
  db: Executor,
  settings: PauseSettings,
  now: Date,
  username: string,
): Promise<Date | null> {
  const latest = await latestAccountFailures(db, username, windowStart(settings, now), settings.maxFailures);
  const oldest = latest[settings.maxFailures - 1];
  if (latest.length < settings.maxFailures || oldest === undefined) return null;
  return new Date(new Date(oldest).getTime() + settings.lockMinutes * 60_000);
}

/**
 * Lets the account try again now (an administrator's decision, or a new password issued: the guesses were
 * at the old one), in the caller's transaction: a success of the account at no network address
 * (PAUSE_LIFTED_ADDRESS), after which its count starts again, as after a sign-in. No address's count is
 * touched: an address guessing at many accounts stays paused. Taken under the account's lock, as an
 * attempt is (reserveAttempt). 'lifted-already' when it was not paused and an administrator lifted it
 * within the pause's window (this same request made again, most likely); 'not-paused' when the pause had
 * ended by itself, or there was none. With `evenIfNotPaused`, the count starts again whatever it was.
 */
export async function liftAccountPause(
  tx: Transaction<Database>,
  settings: PauseSettings,
  now: Date,
  username: string,
  { evenIfNotPaused = false }: { evenIfNotPaused?: boolean } = {},
): Promise<'lifted' | 'lifted-already' | 'not-paused'> {
  const recorded = recordedUsername(username);
  await serialiseOn(tx, `sign-in-account:${recorded}`);
  const paused = await accountLocked(tx, settings, now, recorded);
  const outcome = paused
    ? 'lifted'
    : (await pauseLiftedSince(tx, recorded, windowStart(settings, now)))
      ? 'lifted-already'
      : 'not-paused';
  if (paused || evenIfNotPaused) {
    await recordSignInAttempt(tx, {
      username: recorded,
      address: PAUSE_LIFTED_ADDRESS,
      at: now.toISOString(),
      succeeded: true,
    });
  }
  return outcome;
}

/** An attempt at a password or a code, counted as a failure from before it is checked until it is settled. */
export interface ReservedAttempt {
  /** It was wrong: the failure already counted stands, and goes to the audit log. `detail` says why. */
  failed(failure: Omit<FailedAttempt, keyof Attempt>): Promise<void>;
  /** It was right: no failure. A sign-in it completes records its success as before (service.ts). */
  withdraw(): Promise<void>;
}

/** An attempt not counted, nor checked, because the account or the address is paused: which one. */
export interface Paused {
  paused: Pause;
}

/**
 * Counts an attempt at a password or a code as a failure before it is checked, unless the account or the
 * address is paused (then which pause, and nothing is recorded). Checking the pause and counting the attempt are
 * one step, under a lock on the username and one on the address (SQLite runs one write transaction at a
 * time), so however many attempts arrive at once, on however many nodes, no more than the limit are ever
 * checked in the pause's window: counting only failures already recorded let a burst all pass the check
 * while the first passwords were still being hashed. An attempt that ends in an error stays a failure.
 */
export async function reserveAttempt(
  db: Db,
  settings: PauseSettings,
  attempt: Attempt,
): Promise<ReservedAttempt | Paused> {
  const username = recordedUsername(attempt.username);
  // The slow check (argon2) runs after this transaction: the locks are held only to count and insert.
  const id = await db.transaction().execute(async (tx) => {
    // Always the account's lock, then the address's: taken in one order, they cannot deadlock.
    await serialiseOn(tx, `sign-in-account:${username}`);
    await serialiseOn(tx, `sign-in-address:${attempt.address}`);
    const pause = await pauseOf(tx, settings, attempt.at, username, attempt.address);
    if (pause) return { paused: pause };
    return recordSignInAttempt(tx, {
      username,
      address: attempt.address,
      at: attempt.at.toISOString(),
      succeeded: false,
    });
  });
  if (typeof id !== 'string') return id;
  return {
    failed: (failure) => auditFailedAttempt(db, { ...attempt, ...failure }),
    withdraw: () => deleteSignInAttempt(db, id),
  };
}

interface Attempt {
  /** As typed (at sign-in), or the account's. */
  username: string;
  address: string;
  at: Date;
}

interface FailedAttempt extends Attempt {
  organisation: string | null;
  /** The signed-in user who made the attempt (Change Password's current password), when there is one. */
  actor?: { userId: string; username: string };
  /**
   * Whether the username names an account. If not, the audit log does not keep it: it may be a password
   * typed into the wrong box, and the audit trail is sealed and exported.
   */
  knownAccount: boolean;
  detail: Record<string, unknown>;
}

/**
 * An attempt refused without being checked (the pause): counted like a failure, and written to the audit
 * log, in one transaction. `detail` says why (never what was tried).
 */
export async function recordFailedAttempt(db: Db, attempt: FailedAttempt): Promise<void> {
  await db.transaction().execute(async (tx) => {
    await recordSignInAttempt(tx, {
      username: recordedUsername(attempt.username),
      address: attempt.address,
      at: attempt.at.toISOString(),
      succeeded: false,
    });
    await auditFailedAttempt(tx, attempt);
  });
}

async function auditFailedAttempt(db: Executor, attempt: FailedAttempt): Promise<void> {
  await recordAudit(db, {
    at: attempt.at,
    action: 'sign-in-failed',
    organisation: attempt.organisation,
    ...(attempt.actor ? { actorUserId: attempt.actor.userId, actorUsername: attempt.actor.username } : {}),
    ...(attempt.knownAccount
      ? { subjectType: 'user', subjectId: attempt.username, detail: attempt.detail }
      : { detail: { ...attempt.detail, knownAccount: false } }),
  });
}
