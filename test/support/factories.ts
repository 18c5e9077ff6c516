// Test data factories: each call makes records with fresh numbers, so tests never share rows.
import { randomUUID } from 'node:crypto';
import { hashPassword } from '../../src/auth/passwords.ts';
import type { Role } from '../../src/auth/permissions.ts';
import type { Db, EstablishmentRow, LocalAuthorityRow, UserRow } from '../../src/platform/db/schema.ts';
import { searchText } from '../../src/platform/db/text-search.ts';

const AT = '2026-11-01T09:00:00.000Z';
let laCounter = 100;
let schoolCounter = 1000;

export const TEST_PASSWORD = 'correct-horse-battery';
let cachedHash: Promise<string> | undefined;
function testPasswordHash(): Promise<string> {
  cachedHash ??= hashPassword(TEST_PASSWORD);
  return cachedHash;
}

/** A fresh LA number for this process (tests in one file share a database). */
export function nextLaNumber(): string {
  laCounter += 1;
  if (laCounter > 999) throw new Error('too many test LAs');
  return String(laCounter);
}

export async function makeLa(db: Db, overrides: Partial<LocalAuthorityRow> = {}): Promise<LocalAuthorityRow> {
  const la: LocalAuthorityRow = {
    number: overrides.number ?? nextLaNumber(),
    name: 'Testshire',
    country: 'England',
    contact_name: 'Test Contact',
    email: 'contact@testshire.example.gov.uk',
    telephone: '01234 567890',
    address: null,
    updated_at: AT,
    ...overrides,
  };
  await db.insertInto('local_authorities').values(la).execute();
  return la;
}

export async function makeSchool(
  db: Db,
  laNumber: string,
  overrides: Partial<EstablishmentRow> = {},
): Promise<EstablishmentRow> {
  schoolCounter += 1;
  const name = overrides.name ?? `Test Primary School ${schoolCounter}`;
  const town = overrides.town ?? 'Testtown';
  const school: EstablishmentRow = {
    number: `${laNumber}${String(schoolCounter).padStart(4, '0')}`,
    la_number: laNumber,
    postcode: 'TE1 1ST',
    phase: 'Primary',
    type: 'Community school',
    status: 'open',
    urn: null,
    uses_s2s: 1,
    active: 1,
    email: 'office@test.example.sch.uk',
    telephone: '01234 000000',
    opened_on: null,
    closed_on: null,
    created_at: AT,
    updated_at: AT,
    ...overrides,
    name,
    town,
    name_search: searchText(name),
    town_search: searchText(town),
  };
  await db.insertInto('establishments').values(school).execute();
  return school;
}

export async function makeUser(
  db: Db,
  role: Role,
  org: { laNumber?: string | null; establishmentNumber?: string | null } = {},
  overrides: Partial<UserRow> = {},
): Promise<UserRow> {
  const user: UserRow = {
    id: randomUUID(),
    username: `user${randomUUID().slice(0, 8)}`,
    password_hash: await testPasswordHash(),
    role,
    la_number: org.laNumber ?? null,
    establishment_number: org.establishmentNumber ?? null,
    full_name: 'Test Person',
    email: null,
    telephone: null,
    must_change_password: 0,
    created_at: AT,
    updated_at: AT,
    password_changed_at: AT,
    last_signed_in_at: null,
    deleted_at: null,
    language: 'en',
    ...overrides,
  };
  await db.insertInto('users').values(user).execute();
  return user;
}

/**
 * `count` LEA Users of an LA, for tests of a list's pages: their usernames share a fresh prefix and are
 * numbered, written last first, so that neither the order written nor their ids match the usernames'
 * order. Answers the usernames in that order.
 */
export async function makeUsersOfLa(db: Db, laNumber: string, count: number): Promise<string[]> {
  const prefix = `p${randomUUID().slice(0, 8)}`;
  const usernames = Array.from({ length: count }, (_, i) => `${prefix}n${String(i).padStart(4, '0')}`);
  for (const username of [...usernames].reverse()) await makeUser(db, 'la_user', { laNumber }, { username });
  return usernames;
}

/**
 * Marks a user's two-factor sign-in as set up (a confirmed secret row, its contents placeholders that
 * nothing here reads), for tests of what resetting it does. Answers the user's id.
 */
export async function markTwoFactorSetUp(db: Db, username: string, at: string): Promise<string> {
  const user = await db
    .selectFrom('users')
    .select('id')
    .where('username', '=', username)
    .executeTakeFirstOrThrow();
  await db
    .insertInto('two_factor_secrets')
    .values({
      user_id: user.id,
      secret_ciphertext: 'sealed',
      wrapped_key: 'wrapped',
      master_key_id: 'key',
      created_at: at,
      confirmed_at: at,
      last_used_step: 1,
    })
    .execute();
  return user.id;
}

/**
 * Two LAs, as the LA pages' tests name them: Ayshire with two schools (a1, a2) and Beeshire with one
 * (b1), each made fresh.
 */
export async function ayshireAndBeeshire(db: Db) {
  const laA = await makeLa(db, { name: 'Ayshire' });
  const laB = await makeLa(db, { name: 'Beeshire' });
  const a1 = await makeSchool(db, laA.number, { name: 'A One Primary' });
  const a2 = await makeSchool(db, laA.number, { name: 'A Two Primary' });
  const b1 = await makeSchool(db, laB.number, { name: 'B One Primary' });
  return { laA, laB, a1, a2, b1 };
}
