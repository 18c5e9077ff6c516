// The SQL of personal API tokens. Each function takes an Executor, so the service composes them with
// the audit record in one transaction.

import { rowsInserted } from '../platform/db/insert-once.ts';
import type { ApiTokenRow, Executor, UserRow } from '../platform/db/schema.ts';

export type { ApiTokenRow };

/** A token with its user, for the DBA's list. */
export interface ApiTokenListing extends ApiTokenRow {
  username: string;
  full_name: string;
  role: string;
  la_number: string | null;
  establishment_number: string | null;
}

/** Writes the token; false, writing nothing, when one with its id is there already. */
export async function insertApiToken(db: Executor, token: ApiTokenRow): Promise<boolean> {
  const result = await db
    .insertInto('api_tokens')
    .values(token)
    .onConflict((oc) => oc.column('id').doNothing())
    .executeTakeFirst();
  return rowsInserted(result) === 1;
}

/** The token with this hash and its user, whether or not it is still usable (the service decides). */
export async function findApiTokenByHash(
  db: Executor,
  tokenHash: string,
): Promise<{ token: ApiTokenRow; user: UserRow } | undefined> {
  const row = await db
    .selectFrom('api_tokens')
    .selectAll()
    .where('token_hash', '=', tokenHash)
    .executeTakeFirst();
  if (!row) return undefined;
  const user = await db
    .selectFrom('users')
    .selectAll()
    .where('id', '=', row.user_id)
    .where('deleted_at', 'is', null)
    .executeTakeFirst();
  return user ? { token: row, user } : undefined;
}

export async function getApiToken(db: Executor, id: string): Promise<ApiTokenRow | undefined> {
  return db.selectFrom('api_tokens').selectAll().where('id', '=', id).executeTakeFirst();
}

/** A user's tokens that are not revoked, newest first. */
export async function listApiTokensOfUser(db: Executor, userId: string): Promise<ApiTokenRow[]> {
  return db
    .selectFrom('api_tokens')
    .selectAll()
    .where('user_id', '=', userId)
    .where('revoked_at', 'is', null)
    .orderBy('created_at', 'desc')
    .orderBy('id')
    .execute();
}

/**
 * The tokens (not revoked) of the users of one LA (its LA roles and its schools' users), or of every
 * user when laNumber is null; by username, then newest first.
 */
export async function listApiTokensOfLa(db: Executor, laNumber: string | null): Promise<ApiTokenListing[]> {
  let q = db
    .selectFrom('api_tokens as t')
    .innerJoin('users as u', 'u.id', 't.user_id')
    .selectAll('t')
    .select(['u.username', 'u.full_name', 'u.role', 'u.la_number', 'u.establishment_number'])
    .where('t.revoked_at', 'is', null)
    .where('u.deleted_at', 'is', null);
  if (laNumber !== null) q = q.where('u.la_number', '=', laNumber);
  return q.orderBy('u.username').orderBy('t.created_at', 'desc').orderBy('t.id').execute();
}

/** Revokes a token that is not revoked yet; false when it already was. */
export async function revokeApiToken(
  db: Executor,
  id: string,
  change: { at: string; by: string },
): Promise<boolean> {
  const result = await db
    .updateTable('api_tokens')
    .set({ revoked_at: change.at, revoked_by: change.by })
    .where('id', '=', id)
    .where('revoked_at', 'is', null)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}

/** Revokes every token of a user that is not revoked yet; how many. `by` null: the operator's command. */
export async function revokeApiTokensOfUser(
  db: Executor,
  userId: string,
  change: { at: string; by: string | null },
): Promise<number> {
  const result = await db
    .updateTable('api_tokens')
    .set({ revoked_at: change.at, revoked_by: change.by })
    .where('user_id', '=', userId)
    .where('revoked_at', 'is', null)
    .executeTakeFirst();
  return Number(result.numUpdatedRows);
}

export async function touchApiToken(db: Executor, id: string, at: string): Promise<void> {
  await db.updateTable('api_tokens').set({ last_used_at: at }).where('id', '=', id).execute();
}
