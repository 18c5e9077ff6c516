// The email to a user when their own account changes in a way that matters for its security (decision 70):
// a password changed by them or issued by an administrator, two-factor sign-in turned off or reset, new
// recovery codes, a role changed (and the API tokens it revoked), single sign-on linked or unlinked, the
// email address corrected (to the old address and the new: decision 78).
// Written by the change itself, in its transaction (the `account-changed` template), so it is sent if and
// only if the change was made: the services call it after their "already" checks, never for a repeat.
//
// Only to the user's own address: an account without one gets none (nothing is queued, so nothing fails
// and no LA is told of a missing address), rather than the school office's shared mailbox, which the
// outbox falls back to for other emails to a user. A deleted account gets none.
import { isRole, scopeOf } from '../auth/permissions.ts';
import type { Executor } from '../platform/db/schema.ts';
import { enqueueNotification } from './outbox.ts';
import type { ACCOUNT_CHANGERS, ACCOUNT_CHANGES, ACCOUNT_HELPERS, Payload } from './templates.ts';

export type AccountChangeKind = (typeof ACCOUNT_CHANGES)[number];
export type AccountChanger = (typeof ACCOUNT_CHANGERS)[number];
type AccountHelper = (typeof ACCOUNT_HELPERS)[number];

export interface AccountChanged {
  userId: string;
  change: AccountChangeKind;
  by: AccountChanger;
  at: Date;
  /** A role changed: the role it had (the one it has now is read with the account). */
  fromRole?: string;
  /** The user's API tokens the change revoked. */
  tokensRevoked?: number;
}

/**
 * Who changed an account, in general terms: the user themselves; a national administrator or the operator
 * at the command line (the s2s service desk); otherwise an administrator of the user's LA.
 */
export function changedBy(
  actor: { userId: string; role: string } | 'system',
  userId: string,
): AccountChanger {
  if (actor === 'system') return 'service-desk';
  if (actor.userId === userId) return 'you';
  return isRole(actor.role) && scopeOf(actor.role) === 'national' ? 'service-desk' : 'la-administrator';
}

/**
 * Whom a user asks about a change they did not expect: the s2s service desk for an LA's administrator
 * and for national accounts (LA notes §3.1: the national administrator sets up each LA's DBA), or for a
 * role changed to or from one of those; their LA's s2s administrator otherwise.
 */
function whomToAsk(roles: readonly (string | undefined)[]): AccountHelper {
  const own = (role: string | undefined) =>
    role !== undefined && (role === 'la_dba' || (isRole(role) && scopeOf(role) === 'national'));
  return roles.some(own) ? 'service-desk' : 'la-administrator';
}

/** Queues the email about the change, in the change's transaction; false when the user has no address. */
export async function tellAccountChanged(tx: Executor, changed: AccountChanged): Promise<boolean> {
  const user = await accountOf(tx, changed.userId);
  if (!user?.email?.trim()) return false;
  return enqueueNotification(tx, {
    at: changed.at,
    template: 'account-changed',
    recipientKind: 'user',
    recipient: changed.userId,
    payload: payloadOf(user, changed),
  });
}

/**
 * An account's email address corrected (decision 78): the email goes to the address it had, so that a
 * takeover is noticed where its owner still reads, and to the one it has now, so that its owner knows it
 * works; each to that address whatever the account's is when it is sent (`user-at`). No address before
 * (added) or after (removed): only the other is written to. Returns how many were queued.
 */
export async function tellEmailChanged(
  tx: Executor,
  changed: Omit<AccountChanged, 'change' | 'fromRole' | 'tokensRevoked'> & {
    fromEmail: string | null;
    toEmail: string | null;
  },
): Promise<number> {
  const user = await accountOf(tx, changed.userId);
  if (!user) return 0;
  const facts = {
    ...payloadOf(user, { ...changed, change: 'email-changed' }),
    fromEmail: changed.fromEmail,
    toEmail: changed.toEmail,
  };
  let queued = 0;
  for (const [sentTo, address] of [
    ['old', changed.fromEmail],
    ['new', changed.toEmail],
  ] as const) {
    if (!address) continue;
    const payload: Payload<'account-changed'> = { ...facts, sentTo, address };
    const written = await enqueueNotification(tx, {
      at: changed.at,
      template: 'account-changed',
      recipientKind: 'user-at',
      recipient: changed.userId,
      payload,
    });
    if (written) queued += 1;
  }
  return queued;
}

async function accountOf(tx: Executor, userId: string) {
  const user = await tx
    .selectFrom('users')
    .select(['username', 'email', 'role', 'deleted_at'])
    .where('id', '=', userId)
    .executeTakeFirst();
  return user && user.deleted_at === null ? user : undefined;
}

function payloadOf(
  user: { username: string; role: string },
  changed: AccountChanged,
): Payload<'account-changed'> {
  return {
    change: changed.change,
    username: user.username,
    at: changed.at.toISOString(),
    by: changed.by,
    ask: whomToAsk([user.role, changed.fromRole]),
    ...(changed.fromRole !== undefined ? { fromRole: changed.fromRole, toRole: user.role } : {}),
    ...(changed.tokensRevoked ? { tokensRevoked: changed.tokensRevoked } : {}),
  };
}
