// The identities of single sign-on (OpenID Connect) linked to s2s accounts.
import { randomUUID } from 'node:crypto';
import { rowsInserted } from '../platform/db/insert-once.ts';
import type { Executor, OidcIdentityRow, UserRow } from '../platform/db/schema.ts';

export type { OidcIdentityRow };

export async function findIdentity(
  db: Executor,
  issuer: string,
  subject: string,
): Promise<OidcIdentityRow | undefined> {
  return db
    .selectFrom('oidc_identities')
    .selectAll()
    .where('issuer', '=', issuer)
    .where('subject', '=', subject)
    .executeTakeFirst();
}

export async function identitiesOfUser(db: Executor, userId: string): Promise<OidcIdentityRow[]> {
  return db
    .selectFrom('oidc_identities')
    .selectAll()
    .where('user_id', '=', userId)
    .orderBy('linked_at')
    .execute();
}

/**
 * Links the identity to the account, unless the identity is linked already (two first sign-ins at once):
 * true when this call linked it. An account linked to another identity of the same provider refuses
 * (the unique constraint on user and issuer), which the caller checks first.
 */
export async function insertIdentity(
  db: Executor,
  identity: { issuer: string; subject: string; userId: string; linkedEmail: string | null; at: string },
): Promise<boolean> {
  const result = await db
    .insertInto('oidc_identities')
    .values({
      id: randomUUID(),
      issuer: identity.issuer,
      subject: identity.subject,
      user_id: identity.userId,
      linked_email: identity.linkedEmail,
      linked_at: identity.at,
      last_used_at: identity.at,
    })
    .onConflict((oc) => oc.columns(['issuer', 'subject']).doNothing())
    .executeTakeFirst();
  return rowsInserted(result) > 0;
}

export async function touchIdentity(db: Executor, id: string, at: string): Promise<void> {
  await db.updateTable('oidc_identities').set({ last_used_at: at }).where('id', '=', id).execute();
}

export async function deleteIdentity(db: Executor, id: string): Promise<void> {
  await db.deleteFrom('oidc_identities').where('id', '=', id).execute();
}

/** Removes every identity linked to the account; returns the rows removed. */
export async function deleteIdentitiesOfUser(db: Executor, userId: string): Promise<OidcIdentityRow[]> {
  const rows = await identitiesOfUser(db, userId);
  if (rows.length > 0) await db.deleteFrom('oidc_identities').where('user_id', '=', userId).execute();
  return rows;
}

/**
 * The accounts (not deleted) whose email address is this one, whatever its case. At most two are read:
 * the caller only needs to know whether exactly one has it.
 */
export async function usersWithEmail(db: Executor, email: string): Promise<UserRow[]> {
  return db
    .selectFrom('users')
    .selectAll()
    .where((eb) => eb(eb.fn('lower', ['email']), '=', email.toLowerCase()))
    .where('deleted_at', 'is', null)
    .orderBy('username')
    .limit(2)
    .execute();
}
