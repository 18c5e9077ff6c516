import { createHash, randomUUID } from 'node:crypto';
import { BATCH_ROWS, inBatches } from '../platform/db/batches.ts';
import type { Executor, UserRow } from '../platform/db/schema.ts';

export interface SessionRecord {
  id: string;
  user_id: string;
  created_at: string;
  last_seen_at: string;
  expires_at: string;
  /** 1 while the second step of two-factor sign-in is still to come (0 when not given). */
  pending_two_factor?: 0 | 1;
  /** 'password' or 'oidc' (single sign-on); 'password' when not given. */
  sign_in_method?: string;
  /** 1 when the single sign-on provider did a second factor, which stands for s2s's own (0 when not given). */
  provider_mfa?: 0 | 1;
}

export async function insertSession(db: Executor, session: SessionRecord): Promise<void> {
  await db.insertInto('sessions').values(session).execute();
}

export async function getSession(db: Executor, id: string): Promise<SessionRecord | undefined> {
  return db.selectFrom('sessions').selectAll().where('id', '=', id).executeTakeFirst();
}

/** A session with what every request needs with it (AuthService.lookUpSession). */
export interface SessionWithUser {
  session: SessionRecord;
  /** Undefined when the user has since been deleted. */
  user: UserRow | undefined;
  /** The name of the user's school or LA, when the user has one and it is in the directory. */
  establishmentName: string | null;
  laName: string | null;
  /** Whether the user has confirmed a two-factor secret. */
  hasTwoFactor: boolean;
  /** A school user whose school is inactive or gone from the directory (keptOutBySchool). */
  schoolInactive: boolean;
}

/**
 * The session and, in the same statement, its user, their school's or LA's name and whether they have
 * two-factor sign-in set up: read for every request, so one round trip to the database instead of four.
 */
export async function getSessionWithUser(db: Executor, id: string): Promise<SessionWithUser | undefined> {
  const row = await db
    .selectFrom('sessions as s')
    .leftJoin('users as u', (join) => join.onRef('u.id', '=', 's.user_id').on('u.deleted_at', 'is', null))
    .leftJoin('establishments as e', 'e.number', 'u.establishment_number')
    .leftJoin('local_authorities as la', 'la.number', 'u.la_number')
    .selectAll('u')
    .select([
      's.id as session_id',
      's.user_id as session_user_id',
      's.created_at as session_created_at',
      's.last_seen_at as session_last_seen_at',
      's.expires_at as session_expires_at',
      's.pending_two_factor as session_pending_two_factor',
      's.sign_in_method as session_sign_in_method',
      's.provider_mfa as session_provider_mfa',
      'e.name as establishment_name',
      'e.active as establishment_active',
      'la.name as la_name',
    ])
    .select((eb) =>
      eb
        .exists(
          eb
            .selectFrom('two_factor_secrets as t')
            .select('t.user_id')
            .whereRef('t.user_id', '=', 's.user_id')
            .where('t.confirmed_at', 'is not', null),
        )
        .as('has_two_factor'),
    )
    .where('s.id', '=', id)
    .executeTakeFirst();
  if (!row) return undefined;
  const {
    session_id,
    session_user_id,
    session_created_at,
    session_last_seen_at,
    session_expires_at,
    session_pending_two_factor,
    session_sign_in_method,
    session_provider_mfa,
    establishment_name,
    establishment_active,
    la_name,
    has_two_factor,
    ...user
  } = row;
  return {
    session: {
      id: session_id,
      user_id: session_user_id,
      created_at: session_created_at,
      last_seen_at: session_last_seen_at,
      expires_at: session_expires_at,
      pending_two_factor: session_pending_two_factor,
      sign_in_method: session_sign_in_method,
      provider_mfa: session_provider_mfa,
    },
    // A left join: no user, every column null.
    user: user.id === null ? undefined : (user as UserRow),
    establishmentName: establishment_name,
    laName: la_name,
    // SQLite answers 0 or 1, PostgreSQL false or true.
    hasTwoFactor: Number(has_two_factor) === 1,
    schoolInactive: keptOutBySchool(user, establishment_active),
  };
}

/**
 * A school user whose school's s2s account is inactive, or gone from the directory (its `active` flag as
 * read, undefined or null then): they reach nothing.
 */
function keptOutBySchool(
  user: { role: string | null; establishment_number: string | null },
  active: unknown,
): boolean {
  return user.role === 'school' && Boolean(user.establishment_number) && Number(active) !== 1;
}

/** keptOutBySchool, reading the school's flag (only for a school user). */
export async function schoolAccountInactive(
  db: Executor,
  user: Pick<UserRow, 'role' | 'establishment_number'>,
): Promise<boolean> {
  if (user.role !== 'school' || !user.establishment_number) return false;
  const school = await db
    .selectFrom('establishments')
    .select('active')
    .where('number', '=', user.establishment_number)
    .executeTakeFirst();
  return keptOutBySchool(user, school?.active);
}

export async function touchSession(db: Executor, id: string, at: string): Promise<void> {
  await db.updateTable('sessions').set({ last_seen_at: at }).where('id', '=', id).execute();
}

/**
 * Why a session was ended on purpose, kept for a while as the row of an ended session: the browser that
 * holds its cookie is then told what ended it, not that it timed out. By the user: the second step
 * completed by another post of the same code ('signed-in'); their password change, which ends every
 * session of theirs, this browser's and other devices' ('password-changed'); their setting up two-factor
 * sign-in, which ends their other sessions ('two-factor-set-up'). By an administrator (User
 * Maintenance, or the command line): a new password issued ('password-reset'), a new role
 * ('role-changed'), two-factor sign-in reset ('two-factor-reset'), single sign-on unlinked
 * ('single-sign-on-unlinked'), the account deleted ('account-deleted'). By the directory: a school user's
 * school made inactive, seen as the session is read ('school-inactive').
 */
export type SessionEnd =
  | 'signed-in'
  | 'password-changed'
  /** The user set up two-factor sign-in on another browser: their other sessions end. */
  | 'two-factor-set-up'
  | 'password-reset'
  | 'role-changed'
  | 'two-factor-reset'
  | 'single-sign-on-unlinked'
  | 'account-deleted'
  /** A school user's school made inactive (seen as the session is read). */
  | 'school-inactive';

/**
 * How an ended session is marked: in sign_in_method (varchar(20)), so no migration was needed. Decision
 * 59's version reads every `ended:` mark other than 'ended:password' as 'signed-in', so the reasons it
 * does not know are marked `ended-by:`, which it reads as a session that expired (the timed-out message,
 * as before), never as a wrong reason. Every mark starts `ended` (ENDED_LIKE); no sign-in method does.
 */
const ENDED_METHOD: Record<SessionEnd, string> = {
  'signed-in': 'ended:signed-in',
  'password-changed': 'ended:password',
  'two-factor-set-up': 'ended-by:set-up',
  'password-reset': 'ended-by:reset',
  'role-changed': 'ended-by:role',
  'two-factor-reset': 'ended-by:two-factor',
  'single-sign-on-unlinked': 'ended-by:unlinked',
  'account-deleted': 'ended-by:deleted',
  'school-inactive': 'ended-by:school',
};
const ENDED_LIKE = 'ended%';

/** How long an ended session is kept to say why it ended. */
export const ENDED_SESSION_MINUTES = 10;

/**
 * Why the session was ended, when it is an ended session's row (endSession); undefined otherwise. An
 * `ended:` mark not known is read as 59's version reads it; an `ended-by:` mark not known (a later
 * version's) as not ended: the session expired when it was ended, and is answered as timed out.
 */
export function endOf(session: Pick<SessionRecord, 'sign_in_method'>): SessionEnd | undefined {
  const method = session.sign_in_method ?? '';
  const known = (Object.keys(ENDED_METHOD) as SessionEnd[]).find((end) => ENDED_METHOD[end] === method);
  if (known) return known;
  return method.startsWith('ended:') ? 'signed-in' : undefined;
}

/** What an ended session's row holds: it opens nothing, for this version or an earlier one (endSession). */
function endedValues(reason: SessionEnd, at: string) {
  return {
    pending_two_factor: 1 as const,
    sign_in_method: ENDED_METHOD[reason],
    expires_at: at,
    last_seen_at: at,
  };
}

/**
 * Ends the session, keeping its row for ENDED_SESSION_MINUTES to say why (endOf). The row opens nothing,
 * for this version or an earlier one: it waits for a second step (pending_two_factor 1) and it expired
 * when it was ended (expires_at), which every version reads before anything else, and deletes. With
 * `onlyPending`, only a session still waiting for its second step is ended (false otherwise): of two
 * posts of the same code, the one that ends it signs in.
 */
export async function endSession(
  db: Executor,
  id: string,
  reason: SessionEnd,
  at: string,
  { onlyPending = false } = {},
): Promise<boolean> {
  let q = db.updateTable('sessions').set(endedValues(reason, at)).where('id', '=', id);
  if (onlyPending) {
    q = q.where('pending_two_factor', '=', 1).where('sign_in_method', 'not like', ENDED_LIKE);
  }
  const result = await q.executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

/**
 * Ends every session of the user as endSession ends one, saying why to each browser that holds one (its
 * own, other devices, one waiting for its second step), for ENDED_SESSION_MINUTES; all but `exceptId`
 * when given (the session that made the change, which goes on). A session ended already is marked with
 * this, the later reason.
 */
export async function endSessionsOfUser(
  db: Executor,
  userId: string,
  reason: SessionEnd,
  at: string,
  exceptId?: string,
): Promise<void> {
  let q = db.updateTable('sessions').set(endedValues(reason, at)).where('user_id', '=', userId);
  if (exceptId) q = q.where('id', '!=', exceptId);
  await q.execute();
}

export async function deleteSession(db: Executor, id: string): Promise<void> {
  await db.deleteFrom('sessions').where('id', '=', id).execute();
}

/**
 * Deletes the sessions that can no longer be used at `now`: idle for `idleMinutes` or more, or past their
 * absolute expiry (the same limits as AuthService.lookUpSession). Returns how many went.
 */
export async function deleteExpiredSessions(db: Executor, now: Date, idleMinutes: number): Promise<number> {
  const idleSince = new Date(now.getTime() - idleMinutes * 60_000).toISOString();
  // An ended session's row is kept a while after it expired, to say why it ended (endSession).
  const endedBefore = new Date(now.getTime() - ENDED_SESSION_MINUTES * 60_000).toISOString();
  const result = await db
    .deleteFrom('sessions')
    .where((eb) =>
      eb.or([
        eb('last_seen_at', '<=', idleSince),
        eb.and([eb('expires_at', '<=', now.toISOString()), eb('sign_in_method', 'not like', ENDED_LIKE)]),
        eb('expires_at', '<=', endedBefore),
      ]),
    )
    .executeTakeFirst();
  return Number(result.numDeletedRows);
}

/**
 * Deletes the sign-in attempts made before `before` (ISO), oldest first, in batches: the throttle reads
 * only the last SIGN_IN_LOCK_MINUTES, and each attempt holds a username and an IP address, which are
 * personal data kept no longer than they are needed (the audit log keeps the sign-ins themselves). When
 * `signal` is aborted, stops after the batch in hand by throwing its reason.
 */
export async function deleteSignInAttemptsBefore(
  db: Executor,
  before: string,
  { batch = BATCH_ROWS, signal }: { batch?: number; signal?: AbortSignal } = {},
): Promise<number> {
  return inBatches(
    batch,
    async () => {
      const result = await db
        .deleteFrom('sign_in_attempts')
        .where('id', 'in', (eb) =>
          eb
            .selectFrom('sign_in_attempts as a')
            .select('a.id')
            .where('a.attempted_at', '<', before)
            .orderBy('a.attempted_at')
            .limit(batch),
        )
        .executeTakeFirst();
      return Number(result.numDeletedRows);
    },
    signal,
  );
}

/** Several servers can share sessions: only a hash of the cookie's token is stored. */
export function sessionIdOf(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

/** Records an attempt; returns its id. */
export async function recordSignInAttempt(
  db: Executor,
  attempt: { username: string; address: string; at: string; succeeded: boolean },
): Promise<string> {
  const id = randomUUID();
  await db
    .insertInto('sign_in_attempts')
    .values({
      id,
      username: attempt.username,
      address: attempt.address,
      attempted_at: attempt.at,
      succeeded: attempt.succeeded ? 1 : 0,
    })
    .execute();
  return id;
}

export async function deleteSignInAttempt(db: Executor, id: string): Promise<void> {
  await db.deleteFrom('sign_in_attempts').where('id', '=', id).execute();
}

/**
 * Failed attempts since `since`: for a username, those since its last success; for an address, those
 * at usernames that have not since signed in from it. A success clears only its own username's
 * failures: otherwise anyone with an account could clear an address's count by signing in to it now and
 * then, and guess at other accounts without end.
 */
export async function countRecentFailures(
  db: Executor,
  by: { username: string } | { address: string },
  since: string,
): Promise<number> {
  if ('address' in by) {
    const row = await db
      .selectFrom('sign_in_attempts as f')
      .select((eb) => eb.fn.countAll().as('n'))
      .where('f.address', '=', by.address)
      .where('f.succeeded', '=', 0)
      .where('f.attempted_at', '>=', since)
      .where(({ not, exists, selectFrom }) =>
        not(
          exists(
            selectFrom('sign_in_attempts as s')
              .select('s.id')
              .whereRef('s.address', '=', 'f.address')
              .whereRef('s.username', '=', 'f.username')
              .where('s.succeeded', '=', 1)
              .whereRef('s.attempted_at', '>=', 'f.attempted_at'),
          ),
        ),
      )
      .executeTakeFirst();
    return Number(row?.n ?? 0);
  }
  const row = await db
    .selectFrom('sign_in_attempts')
    .select((eb) => eb.fn.countAll().as('n'))
    .where('username', '=', by.username)
    .where('succeeded', '=', 0)
    .where('attempted_at', '>=', await accountCountSince(db, by.username, since))
    .executeTakeFirst();
  return Number(row?.n ?? 0);
}

/**
 * Where the account's count of failures starts: its last success since `since` (a sign-in, or an
 * administrator's lift of its pause: PAUSE_LIFTED_ADDRESS), else `since`.
 */
async function accountCountSince(db: Executor, username: string, since: string): Promise<string> {
  const lastSuccess = await db
    .selectFrom('sign_in_attempts')
    .select((eb) => eb.fn.max('attempted_at').as('at'))
    .where('username', '=', username)
    .where('succeeded', '=', 1)
    .where('attempted_at', '>=', since)
    .executeTakeFirst();
  return lastSuccess?.at ?? since;
}

/** The times of the account's latest `limit` failures counted since `since` (countRecentFailures), latest first. */
export async function latestAccountFailures(
  db: Executor,
  username: string,
  since: string,
  limit: number,
): Promise<string[]> {
  const rows = await db
    .selectFrom('sign_in_attempts')
    .select('attempted_at')
    .where('username', '=', username)
    .where('succeeded', '=', 0)
    .where('attempted_at', '>=', await accountCountSince(db, username, since))
    .orderBy('attempted_at', 'desc')
    .limit(limit)
    .execute();
  return rows.map((row) => row.attempted_at);
}

/**
 * The address an administrator's lift of an account's pause is recorded at: a success of the account
 * (its count starts again after it) at no network address, so that no address's count is cleared by it
 * (an address's failures are cleared only by a success from that address).
 */
export const PAUSE_LIFTED_ADDRESS = 'pause-lifted';

/** Whether an administrator lifted the account's pause since `since`. */
export async function pauseLiftedSince(db: Executor, username: string, since: string): Promise<boolean> {
  const row = await db
    .selectFrom('sign_in_attempts')
    .select('id')
    .where('username', '=', username)
    .where('address', '=', PAUSE_LIFTED_ADDRESS)
    .where('succeeded', '=', 1)
    .where('attempted_at', '>=', since)
    .executeTakeFirst();
  return row !== undefined;
}

/**
 * Sets a new password, only if it was last changed at `changedAsSeen` (when given): false when it has
 * changed since. On PostgreSQL an update made at once with another waits for its row lock, then finds
 * the time changed.
 */
export async function setPasswordIfUnchanged(
  db: Executor,
  id: string,
  changedAsSeen: string | undefined,
  changes: Pick<UserRow, 'password_hash' | 'must_change_password' | 'password_changed_at' | 'updated_at'>,
): Promise<boolean> {
  let q = db.updateTable('users').set(changes).where('id', '=', id);
  if (changedAsSeen !== undefined) q = q.where('password_changed_at', '=', changedAsSeen);
  const result = await q.executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}
