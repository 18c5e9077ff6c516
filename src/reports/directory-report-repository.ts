// The LA's directory reports (LA notes §7: User Report, School List Report, Base User Report): who can use
// s2s for the LA and its schools, or for every LA and its schools. Only the columns the reports show are
// selected: never a password hash. Each is read in keyset pages (a page for the report's page, every page
// for its CSV: All LAs lists some 20,000 schools) and counted apart.
import { sql } from 'kysely';
import { toCount } from '../platform/db/database.ts';
import { keysetRows } from '../platform/db/keyset.ts';
import type { Executor } from '../platform/db/schema.ts';

export interface UserReportRow {
  /** The LA the account belongs to (its school's LA for a school's account), and its name. */
  laNumber: string;
  laName: string;
  username: string;
  fullName: string;
  role: string;
  /** The school's establishment number, or the LA's number for the LA's own accounts. */
  organisationCode: string;
  organisationName: string;
  email: string | null;
  telephone: string | null;
  createdAt: string;
  lastSignedInAt: string | null;
}

export interface UserReportQuery {
  /** The LA, or null for every LA. */
  laNumber: string | null;
  /** One role only, when given. */
  role: string | null;
  /** Accounts created at or after (when given), and before. */
  since: string | null;
  until: string;
}

// The organisation of an account: its school when it has one, otherwise its LA. Written out (not with
// parameters) so PostgreSQL matches it in ORDER BY, and both engines match it to its index (migration 034).
const ORGANISATION = sql<string>`coalesce(u.establishment_number, u.la_number)`;

/** Where a page of the User Report starts: after this account, in the report's order. */
interface UserKey {
  organisation: string;
  username: string;
}

/**
 * The live accounts of the LA and of its schools (or of every LA and its schools: never a national role's).
 * A school's account counts for the LA of its school.
 */
function usersQuery(db: Executor, query: UserReportQuery) {
  const { laNumber } = query;
  let q = db
    .selectFrom('users as u')
    .leftJoin('establishments as e', 'e.number', 'u.establishment_number')
    .where('u.deleted_at', 'is', null)
    .where((eb) =>
      laNumber
        ? eb.or([
            eb.and([eb('u.establishment_number', 'is', null), eb('u.la_number', '=', laNumber)]),
            eb('e.la_number', '=', laNumber),
          ])
        : eb.or([
            eb.and([eb('u.establishment_number', 'is', null), eb('u.la_number', 'is not', null)]),
            eb('e.la_number', 'is not', null),
          ]),
    )
    .where('u.created_at', '<', query.until);
  if (query.since) q = q.where('u.created_at', '>=', query.since);
  if (query.role) q = q.where('u.role', '=', query.role);
  return q;
}

/** How many accounts the User Report holds. */
export async function countUsersOfLa(db: Executor, query: UserReportQuery): Promise<number> {
  const row = await usersQuery(db, query)
    .select((eb) => eb.fn.countAll<string | number>().as('accounts'))
    .executeTakeFirst();
  return toCount(row?.accounts);
}

/**
 * Up to `limit` of the User Report's accounts after `after` (or from the first), by organisation (an LA's
 * number sorts before its schools' numbers, which begin with it) then username.
 */
export async function usersOfLa(
  db: Executor,
  query: UserReportQuery,
  page: { after?: UserKey | null; limit: number },
): Promise<UserReportRow[]> {
  let q = usersQuery(db, query)
    .leftJoin('local_authorities as la', 'la.number', 'u.la_number')
    .leftJoin('local_authorities as sla', 'sla.number', 'e.la_number')
    .select([
      'e.la_number as school_la',
      'sla.name as school_la_name',
      'u.username',
      'u.full_name',
      'u.role',
      'u.establishment_number',
      'u.la_number',
      'e.name as school_name',
      'la.name as la_name',
      'u.email',
      'u.telephone',
      'u.created_at',
      'u.last_signed_in_at',
    ]);
  const after = page.after;
  if (after) {
    // (organisation, username) > the last read: a range of users_organisation (migration 034), whose
    // expression PostgreSQL matches through the plain lower bound, not through the pair.
    q = q
      .where(ORGANISATION, '>=', after.organisation)
      .where((eb) =>
        eb(eb.refTuple(ORGANISATION, 'u.username'), '>', eb.tuple(after.organisation, after.username)),
      );
  }
  const rows = await q.orderBy(ORGANISATION).orderBy('u.username').limit(page.limit).execute();
  return rows.map((row) => ({
    laNumber: (row.establishment_number ? row.school_la : row.la_number) ?? '',
    laName: (row.establishment_number ? row.school_la_name : row.la_name) ?? '',
    username: row.username,
    fullName: row.full_name,
    role: row.role,
    organisationCode: row.establishment_number ?? row.la_number ?? '',
    organisationName: row.establishment_number ? (row.school_name ?? '') : (row.la_name ?? ''),
    email: row.email,
    telephone: row.telephone,
    createdAt: row.created_at,
    lastSignedInAt: row.last_signed_in_at,
  }));
}

/** Every account of the User Report, read `pageSize` at a time. */
export function streamUsersOfLa(
  db: Executor,
  query: UserReportQuery,
  pageSize: number,
): AsyncGenerator<UserReportRow> {
  return keysetRows<UserReportRow, UserKey>(
    (after, limit) => usersOfLa(db, query, { after, limit }),
    (row) => ({ organisation: row.organisationCode, username: row.username }),
    pageSize,
  );
}

export interface SchoolListRow {
  laNumber: string;
  laName: string;
  number: string;
  name: string;
  town: string | null;
  postcode: string | null;
  phase: string | null;
  type: string | null;
  status: 'open' | 'closed';
  usesS2s: boolean;
  active: boolean;
  email: string | null;
  telephone: string | null;
}

export interface SchoolQuery {
  /** The LA, or null for every LA. */
  laNumber: string | null;
  /** Open establishments only, or closed ones too. */
  openOnly: boolean;
}

/** A page of establishments by number: up to `limit` after the number `after` (or from the first). */
interface SchoolPage {
  after?: string | null;
  limit: number;
}

/** The LA's establishments (every LA's, for a null `laNumber`): open ones only, or all of them. */
function schoolsQuery(db: Executor, query: SchoolQuery) {
  let q = db.selectFrom('establishments as e');
  if (query.laNumber) q = q.where('e.la_number', '=', query.laNumber);
  if (query.openOnly) q = q.where('e.status', '=', 'open');
  return q;
}

/** How many establishments the School List and Base User reports hold. */
export async function countSchoolsOfLa(db: Executor, query: SchoolQuery): Promise<number> {
  const row = await schoolsQuery(db, query)
    .select((eb) => eb.fn.countAll<string | number>().as('schools'))
    .executeTakeFirst();
  return toCount(row?.schools);
}

/** How many of those establishments have no live account. */
export async function countSchoolsWithoutUsers(db: Executor, query: SchoolQuery): Promise<number> {
  const row = await schoolsQuery(db, query)
    .where((eb) =>
      eb.not(
        eb.exists(
          eb
            .selectFrom('users as u')
            .select('u.id')
            .whereRef('u.establishment_number', '=', 'e.number')
            .where('u.deleted_at', 'is', null),
        ),
      ),
    )
    .select((eb) => eb.fn.countAll<string | number>().as('schools'))
    .executeTakeFirst();
  return toCount(row?.schools);
}

/** Up to `limit` establishments of the School List Report by number, after `after`. */
export async function schoolsOfLa(
  db: Executor,
  query: SchoolQuery,
  page: SchoolPage,
): Promise<SchoolListRow[]> {
  let q = schoolsQuery(db, query)
    .leftJoin('local_authorities as la', 'la.number', 'e.la_number')
    .select([
      'e.la_number',
      'la.name as la_name',
      'e.number',
      'e.name',
      'e.town',
      'e.postcode',
      'e.phase',
      'e.type',
      'e.status',
      'e.uses_s2s',
      'e.active',
      'e.email',
      'e.telephone',
    ]);
  if (page.after) q = q.where('e.number', '>', page.after);
  const rows = await q.orderBy('e.number').limit(page.limit).execute();
  return rows.map((row) => ({
    laNumber: row.la_number,
    laName: row.la_name ?? '',
    number: row.number,
    name: row.name,
    town: row.town,
    postcode: row.postcode,
    phase: row.phase,
    type: row.type,
    status: row.status,
    usesS2s: toCount(row.uses_s2s) === 1,
    active: toCount(row.active) === 1,
    email: row.email,
    telephone: row.telephone,
  }));
}

/** Every establishment of the School List Report, read `pageSize` at a time. */
export function streamSchoolsOfLa(
  db: Executor,
  query: SchoolQuery,
  pageSize: number,
): AsyncGenerator<SchoolListRow> {
  return keysetRows<SchoolListRow, string>(
    (after, limit) => schoolsOfLa(db, query, { after, limit }),
    (row) => row.number,
    pageSize,
  );
}

export interface BaseUserRow {
  laNumber: string;
  laName: string;
  number: string;
  name: string;
  /** Live accounts of the school. */
  users: number;
  /** The latest sign-in of any of them, or null (none signed in, or no accounts). */
  lastSignedInAt: string | null;
}

/** Up to `limit` establishments of the Base User Report by number after `after`, with their live accounts. */
export async function baseUsersOfLa(
  db: Executor,
  query: SchoolQuery,
  page: SchoolPage,
): Promise<BaseUserRow[]> {
  let q = schoolsQuery(db, query)
    .leftJoin('local_authorities as la', 'la.number', 'e.la_number')
    .leftJoin('users as u', (join) =>
      join.onRef('u.establishment_number', '=', 'e.number').on('u.deleted_at', 'is', null),
    )
    .select((eb) => [
      'e.la_number',
      'la.name as la_name',
      'e.number',
      'e.name',
      eb.fn.count<string | number>('u.id').as('users'),
      eb.fn.max('u.last_signed_in_at').as('last_signed_in_at'),
    ]);
  if (page.after) q = q.where('e.number', '>', page.after);
  const rows = await q
    .groupBy(['e.la_number', 'la.name', 'e.number', 'e.name'])
    .orderBy('e.number')
    .limit(page.limit)
    .execute();
  return rows.map((row) => ({
    laNumber: row.la_number,
    laName: row.la_name ?? '',
    number: row.number,
    name: row.name,
    users: toCount(row.users),
    lastSignedInAt: (row.last_signed_in_at as string | null) ?? null,
  }));
}

/** Every establishment of the Base User Report, read `pageSize` at a time. */
export function streamBaseUsersOfLa(
  db: Executor,
  query: SchoolQuery,
  pageSize: number,
): AsyncGenerator<BaseUserRow> {
  return keysetRows<BaseUserRow, string>(
    (after, limit) => baseUsersOfLa(db, query, { after, limit }),
    (row) => row.number,
    pageSize,
  );
}
