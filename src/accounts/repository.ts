import { sql } from 'kysely';
import { rowsInserted } from '../platform/db/insert-once.ts';
import type { Executor, UserRow } from '../platform/db/schema.ts';
import type { Window } from '../platform/paging.ts';

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

/** The account holding a username, deleted or not: what Add User says when it is taken. */
export interface UsernameHolder {
  id: string;
  la_number: string | null;
  deleted_at: string | null;
}

/**
 * The account that has (or had: deleted usernames stay reserved, so the audit trail never names two
 * people the same way) this username, compared without case; undefined when it is free. An account not
 * deleted comes first.
 */
export async function usernameHolder(db: Executor, username: string): Promise<UsernameHolder | undefined> {
  return db
    .selectFrom('users')
    .select(['id', 'la_number', 'deleted_at'])
    .where((eb) => eb(eb.fn('lower', ['username']), '=', username.toLowerCase()))
    .orderBy(sql`case when deleted_at is null then 0 else 1 end`)
    .orderBy('deleted_at', 'desc')
    .executeTakeFirst();
}

export async function getUser(db: Executor, id: string): Promise<UserRow | undefined> {
  return db
    .selectFrom('users')
    .selectAll()
    .where('id', '=', id)
    .where('deleted_at', 'is', null)
    .executeTakeFirst();
}

/** The users list's rows: one LA's accounts, or everyone's. */
export interface UserListFilter {
  laNumber?: string;
}

// The list's order: national accounts (no LA) first on both engines, which otherwise sort nulls
// differently, then by LA and username. The index users_list_order (migration 045) holds that order for
// the accounts not deleted, so a page is read from it and an LA's accounts are one range of it (hence the
// LA is compared through the same expression).
const laOrder = sql<string>`coalesce(u.la_number, '')`;

function usersListed(db: Executor, filter: UserListFilter) {
  const q = db.selectFrom('users as u').where('u.deleted_at', 'is', null);
  return filter.laNumber ? q.where(laOrder, '=', filter.laNumber) : q;
}

/**
 * One window of the users list, in its order, with each school's name. The window is read first and
 * only its rows are joined: joined before the window, every row skipped for it was joined too (70 ms
 * for the last page of the country on PostgreSQL, against 15 ms).
 */
export function userPageQuery(db: Executor, filter: UserListFilter, window: Window) {
  // Within one LA the LA is the same throughout: SQLite sorts again if still asked to order by it.
  const byLa = !filter.laNumber;
  const rows = usersListed(db, filter).selectAll('u');
  const page = (byLa ? rows.orderBy(laOrder) : rows)
    .orderBy('u.username')
    .limit(window.limit)
    .offset(window.offset);
  const joined = db
    .selectFrom(page.as('u'))
    .leftJoin('establishments as e', 'e.number', 'u.establishment_number')
    .selectAll('u')
    .select('e.name as establishment_name');
  return (byLa ? joined.orderBy(laOrder) : joined).orderBy('u.username');
}

/** How many accounts the users list has in all. */
export function userCountQuery(db: Executor, filter: UserListFilter) {
  return usersListed(db, filter).select((eb) => eb.fn.countAll<string | number>().as('n'));
}

export async function listUsers(
  db: Executor,
  filter: UserListFilter,
  window: Window,
): Promise<{ rows: UserListing[]; total: number }> {
  const [rows, count] = await Promise.all([
    userPageQuery(db, filter, window).execute(),
    userCountQuery(db, filter).executeTakeFirst(),
  ]);
  return { rows, total: Number(count?.n ?? 0) };
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

/**
 * Inserts the account unless one has its id already (then false): made at once with the same id, this
 * insert waits for the other's on PostgreSQL, then inserts nothing.
 */
export async function insertUserOnce(db: Executor, user: UserRow): Promise<boolean> {
  const result = await db
    .insertInto('users')
    .values(user)
    .onConflict((oc) => oc.column('id').doNothing())
    .executeTakeFirst();
  return rowsInserted(result) > 0;
}

/**
 * Marks the account deleted at `at`, unless it is already (then false): on PostgreSQL an update made at
 * once with another waits for its row lock, then finds it deleted.
 */
export async function deleteUserOnce(db: Executor, id: string, at: string): Promise<boolean> {
  const result = await db
    .updateTable('users')
    .set({ deleted_at: at, updated_at: at })
    .where('id', '=', id)
    .where('deleted_at', 'is', null)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}

/**
 * Changes the account's role, only from `from` (false when it has another): on PostgreSQL an update made
 * at once with another waits for its row lock, then finds the role changed.
 */
export async function changeRoleFrom(
  db: Executor,
  id: string,
  from: string,
  to: string,
  at: string,
): Promise<boolean> {
  const result = await db
    .updateTable('users')
    .set({ role: to, updated_at: at })
    .where('id', '=', id)
    .where('role', '=', from)
    .where('deleted_at', 'is', null)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}

/** The details Change details corrects (full name, email address, telephone): as stored. */
export type AccountDetailsRow = Pick<UserRow, 'full_name' | 'email' | 'telephone'>;

/**
 * Corrects the account's details, only from those read (`from`; false when any has changed since, or the
 * account is deleted): on PostgreSQL an update made at once with another waits for its row lock, then
 * finds the details changed, so neither overwrites the other unseen.
 */
export async function changeDetailsFrom(
  db: Executor,
  id: string,
  from: AccountDetailsRow,
  to: AccountDetailsRow,
  at: string,
): Promise<boolean> {
  const result = await db
    .updateTable('users')
    .set({ ...to, updated_at: at })
    .where('id', '=', id)
    .where('full_name', '=', from.full_name)
    .where((eb) => (from.email === null ? eb('email', 'is', null) : eb('email', '=', from.email)))
    .where((eb) =>
      from.telephone === null ? eb('telephone', 'is', null) : eb('telephone', '=', from.telephone),
    )
    .where('deleted_at', 'is', null)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}

/** The account with this id, deleted or not. */
export async function getUserRow(db: Executor, id: string): Promise<UserRow | undefined> {
  return db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst();
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
