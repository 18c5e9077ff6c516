// The pause after too many failed sign-ins, shared by the password and the second step of signing in, and
// by Change Password's current password.
import { recordAudit } from '../audit/repository.ts';
import { serialiseOn } from '../platform/db/database.ts';
import type { Db, Executor } from '../platform/db/schema.ts';
import { countRecentFailures, deleteSignInAttempt, recordSignInAttempt } from './repository.ts';

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
 * Whether the account or the network address has failed too often lately (wrong passwords and wrong
 * two-factor codes count alike, since the last success, and so do attempts still being checked) to be let
 * try again now.
 */
async function signInThrottled(
  db: Executor,
  settings: { maxFailures: number; lockMinutes: number },
  now: Date,
  username: string,
  address: string,
): Promise<boolean> {
  const since = new Date(now.getTime() - settings.lockMinutes * 60_000).toISOString();
  const [accountFailures, addressFailures] = await Promise.all([
    countRecentFailures(db, { username }, since),
    countRecentFailures(db, { address }, since),
  ]);
  return (
    accountFailures >= settings.maxFailures ||
    addressFailures >= settings.maxFailures * ADDRESS_FAILURE_FACTOR
  );
}

/**
 * Whether the account itself is paused for failed sign-ins (wrong passwords or codes), whatever the
 * network address: a single sign-on, which guesses nothing, is refused for such an account too.
 */
export async function accountLocked(
  db: Executor,
  settings: { maxFailures: number; lockMinutes: number },
  now: Date,
  username: string,
): Promise<boolean> {
  const since = new Date(now.getTime() - settings.lockMinutes * 60_000).toISOString();
  return (await countRecentFailures(db, { username }, since)) >= settings.maxFailures;
}

/** An attempt at a password or a code, counted as a failure from before it is checked until it is settled. */
export interface ReservedAttempt {
  /** It was wrong: the failure already counted stands, and goes to the audit log. `detail` says why. */
  failed(failure: Omit<FailedAttempt, keyof Attempt>): Promise<void>;
  /** It was right: no failure. A sign-in it completes records its success as before (service.ts). */
  withdraw(): Promise<void>;
}

/**
 * Counts an attempt at a password or a code as a failure before it is checked, unless the account or the
 * address is paused (then null, and nothing is recorded). Checking the pause and counting the attempt are
 * one step, under a lock on the username and one on the address (SQLite runs one write transaction at a
 * time), so however many attempts arrive at once, on however many nodes, no more than the limit are ever
 * checked in the pause's window: counting only failures already recorded let a burst all pass the check
 * while the first passwords were still being hashed. An attempt that ends in an error stays a failure.
 */
export async function reserveAttempt(
  db: Db,
  settings: { maxFailures: number; lockMinutes: number },
  attempt: Attempt,
): Promise<ReservedAttempt | null> {
  const username = recordedUsername(attempt.username);
  // The slow check (argon2) runs after this transaction: the locks are held only to count and insert.
  const id = await db.transaction().execute(async (tx) => {
    // Always the account's lock, then the address's: taken in one order, they cannot deadlock.
    await serialiseOn(tx, `sign-in-account:${username}`);
    await serialiseOn(tx, `sign-in-address:${attempt.address}`);
    if (await signInThrottled(tx, settings, attempt.at, username, attempt.address)) return null;
    return recordSignInAttempt(tx, {
      username,
      address: attempt.address,
      at: attempt.at.toISOString(),
      succeeded: false,
    });
  });
  if (id === null) return null;
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
    ...(attempt.knownAccount
      ? { subjectType: 'user', subjectId: attempt.username, detail: attempt.detail }
      : { detail: { ...attempt.detail, knownAccount: false } }),
  });
}
