// The pause after too many failed sign-ins, shared by the password and the second step of signing in.
import { recordAudit } from '../audit/repository.ts';
import type { Db, Executor } from '../platform/db/schema.ts';
import { countRecentFailures, recordSignInAttempt } from './repository.ts';

/** Attempts from one network address may fail this many times more than attempts at one account. */
export const ADDRESS_FAILURE_FACTOR = 4;

/**
 * Whether the account or the network address has failed too often lately (wrong passwords and wrong
 * two-factor codes count alike, since the last success) to be let try again now.
 */
export async function signInThrottled(
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

/**
 * A failed attempt at a password or a code: counted by the pause above, and written to the audit log, in
 * one transaction. `detail` says why (never what was tried).
 */
export async function recordFailedAttempt(
  db: Db,
  attempt: {
    username: string;
    address: string;
    at: Date;
    organisation: string | null;
    detail: Record<string, unknown>;
  },
): Promise<void> {
  await db.transaction().execute(async (tx) => {
    await recordSignInAttempt(tx, {
      username: attempt.username,
      address: attempt.address,
      at: attempt.at.toISOString(),
      succeeded: false,
    });
    await recordAudit(tx, {
      at: attempt.at,
      action: 'sign-in-failed',
      organisation: attempt.organisation,
      subjectType: 'user',
      subjectId: attempt.username,
      detail: attempt.detail,
    });
  });
}
