import { sql } from 'kysely';
import type { Executor, UserRow } from '../platform/db/schema.ts';

export type { UserRow };

export interface UserListing extends UserRow {
  establishment_name: string | null;
}

/** Usernames are case-sensitive (LA notes §2.1), so this is an exact match. */
export async function findUserByUsername(db: Executor, username: string): Promise<UserRow | undefined> {
  return db
    .selectFrom('users')
    .selectAll()
    .where('username', '=', username)
    .where('deleted_at', 'is', null)
    .executeTakeFirst();
}

/** Deleted usernames stay reserved so the audit trail never names two people the same way. */
export async function usernameIsTaken(db: Executor, username: string): Promise<boolean> {
  const row = await db
    .selectFrom('users')
    .select('id')
    .where((eb) => eb(eb.fn('lower', ['username']), '=', username.toLowerCase()))
    .executeTakeFirst();
  return row !== undefined;
}

export async function getUser(db: Executor, id: string): Promise<UserRow | undefined> {
  return db
    .selectFrom('users')
    .selectAll()
    .where('id', '=', id)
    .where('deleted_at', 'is', null)
    .executeTakeFirst();
}

export async function listUsers(db: Executor, filter: { laNumber?: string }): Promise<UserListing[]> {
  let q = db
    .selectFrom('users as u')
    .leftJoin('establishments as e', 'e.number', 'u.establishment_number')
    .selectAll('u')
    .select('e.name as establishment_name')
    .where('u.deleted_at', 'is', null);
  if (filter.laNumber) q = q.where('u.la_number', '=', filter.laNumber);
  // National accounts (no LA) first on both engines, which otherwise sort nulls differently.
  return q.orderBy(sql`coalesce(u.la_number, '')`).orderBy('u.username').execute();
}

export async function countUsersWithRole(db: Executor, laNumber: string, role: string): Promise<number> {
  const row = await db
    .selectFrom('users')
    .select((eb) => eb.fn.countAll().as('n'))
    .where('la_number', '=', laNumber)
    .where('role', '=', role)
    .where('deleted_at', 'is', null)
    .executeTakeFirst();
  return Number(row?.n ?? 0);
}

export async function countUsersOfEstablishment(db: Executor, establishmentNumber: string): Promise<number> {
  const row = await db
    .selectFrom('users')
    .select((eb) => eb.fn.countAll().as('n'))
    .where('establishment_number', '=', establishmentNumber)
    .where('deleted_at', 'is', null)
    .executeTakeFirst();
  return Number(row?.n ?? 0);
}

export async function insertUser(db: Executor, user: UserRow): Promise<void> {
  await db.insertInto('users').values(user).execute();
}

export async function updateUser(
  db: Executor,
  id: string,
  changes: Partial<Omit<UserRow, 'id' | 'username'>>,
): Promise<void> {
  await db.updateTable('users').set(changes).where('id', '=', id).execute();
}

/**
 * Serialises changes to one LA's accounts until the transaction ends, so that two administrators cannot
 * both add the LA's only LEA School account at once. Rewriting a column with its own value takes a row
 * lock on PostgreSQL (without blocking inserts that merely reference the LA); SQLite runs one write
 * transaction at a time anyway.
 */
export async function lockAccountsOfLa(db: Executor, laNumber: string): Promise<void> {
  await db
    .updateTable('local_authorities')
    .set((eb) => ({ updated_at: eb.ref('updated_at') }))
    .where('number', '=', laNumber)
    .execute();
}
