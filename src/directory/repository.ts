import { rowsInserted } from '../platform/db/insert-once.ts';
import type {
  EstablishmentRow,
  EstablishmentUpdate,
  Executor,
  LocalAuthorityRow,
  NewEstablishment,
} from '../platform/db/schema.ts';
import { containsText, searchText } from '../platform/db/text-search.ts';

export type { EstablishmentRow, LocalAuthorityRow };

export async function getLocalAuthority(
  db: Executor,
  number: string,
): Promise<LocalAuthorityRow | undefined> {
  return db.selectFrom('local_authorities').selectAll().where('number', '=', number).executeTakeFirst();
}

export async function listLocalAuthorities(db: Executor): Promise<LocalAuthorityRow[]> {
  return db.selectFrom('local_authorities').selectAll().orderBy('number').execute();
}

/** Every LA as a choice in a form, "837 Bournemouth", in number order as the LA notes list them. */
export async function laChoices(db: Executor): Promise<{ value: string; text: string }[]> {
  const rows = await db
    .selectFrom('local_authorities')
    .select(['number', 'name'])
    .orderBy('number')
    .execute();
  return rows.map((row) => ({ value: row.number, text: `${row.number} ${row.name}` }));
}

export async function insertLocalAuthority(db: Executor, la: LocalAuthorityRow): Promise<void> {
  await db.insertInto('local_authorities').values(la).execute();
}

export async function updateLocalAuthority(
  db: Executor,
  number: string,
  changes: Partial<Omit<LocalAuthorityRow, 'number'>>,
): Promise<void> {
  await db.updateTable('local_authorities').set(changes).where('number', '=', number).execute();
}

export async function getEstablishment(db: Executor, number: string): Promise<EstablishmentRow | undefined> {
  return db.selectFrom('establishments').selectAll().where('number', '=', number).executeTakeFirst();
}

export async function listEstablishmentsOfLa(db: Executor, laNumber: string): Promise<EstablishmentRow[]> {
  return db
    .selectFrom('establishments')
    .selectAll()
    .where('la_number', '=', laNumber)
    .orderBy('name')
    .orderBy('number')
    .execute();
}

export interface EstablishmentSearch {
  name?: string;
  town?: string;
  laNumber?: string;
  limit: number;
}

export interface FoundEstablishment extends EstablishmentRow {
  la_name: string;
  country: string;
}

/** Any part of the name and of the town, open and closed, England and Wales. */
export async function findEstablishments(
  db: Executor,
  search: EstablishmentSearch,
): Promise<FoundEstablishment[]> {
  let q = db
    .selectFrom('establishments as e')
    .innerJoin('local_authorities as la', 'la.number', 'e.la_number')
    .selectAll('e')
    .select(['la.name as la_name', 'la.country as country']);
  const name = searchText(search.name);
  const town = searchText(search.town);
  if (name) q = q.where(containsText('e.name_search', name));
  if (town) q = q.where(containsText('e.town_search', town));
  if (search.laNumber) q = q.where('e.la_number', '=', search.laNumber);
  return q.orderBy('e.name').orderBy('e.number').limit(search.limit).execute();
}

export async function insertEstablishment(db: Executor, establishment: NewEstablishment): Promise<void> {
  await db.insertInto('establishments').values(establishment).execute();
}

/**
 * Inserts the school unless its number is taken (then false): made at once with another of its number,
 * this insert waits for the other's on PostgreSQL, then inserts nothing.
 */
export async function insertEstablishmentOnce(
  db: Executor,
  establishment: NewEstablishment,
): Promise<boolean> {
  const result = await db
    .insertInto('establishments')
    .values(establishment)
    .onConflict((oc) => oc.column('number').doNothing())
    .executeTakeFirst();
  return rowsInserted(result) > 0;
}

/** Whether the Add school form `formId` added the school `number` (its audit event has the form's id). */
export async function schoolAddedByForm(db: Executor, formId: string, number: string): Promise<boolean> {
  const row = await db
    .selectFrom('audit_events')
    .select('id')
    .where('id', '=', formId)
    .where('action', '=', 'school-added')
    .where('subject_id', '=', number)
    .executeTakeFirst();
  return row !== undefined;
}

/** Whether an audit event has this id (a form's id given to a change it made). */
export async function auditEventExists(db: Executor, id: string): Promise<boolean> {
  return (
    (await db.selectFrom('audit_events').select('id').where('id', '=', id).executeTakeFirst()) !== undefined
  );
}

export async function updateEstablishment(
  db: Executor,
  number: string,
  changes: EstablishmentUpdate,
): Promise<void> {
  await db.updateTable('establishments').set(changes).where('number', '=', number).execute();
}

/**
 * Holds the school's row until the transaction ends, so that changes to it are made one after the other:
 * rewriting a column with its own value takes the row lock on PostgreSQL; SQLite runs one write
 * transaction at a time anyway.
 */
export async function lockEstablishment(db: Executor, number: string): Promise<void> {
  await db
    .updateTable('establishments')
    .set((eb) => ({ updated_at: eb.ref('updated_at') }))
    .where('number', '=', number)
    .execute();
}

/** False when there was no such school (deleted already: at once, after waiting for the other's delete). */
export async function deleteEstablishment(db: Executor, number: string): Promise<boolean> {
  const result = await db.deleteFrom('establishments').where('number', '=', number).executeTakeFirst();
  return Number(result.numDeletedRows) > 0;
}

/** The name the school `number` had when it was last deleted (its audit event); undefined if never. */
export async function deletedSchoolName(db: Executor, number: string): Promise<string | undefined> {
  const row = await db
    .selectFrom('audit_events')
    .select('detail')
    .where('action', '=', 'school-deleted')
    .where('subject_id', '=', number)
    .orderBy('occurred_at', 'desc')
    .executeTakeFirst();
  if (!row) return undefined;
  const detail: unknown = row.detail ? JSON.parse(row.detail) : {};
  const name = (detail as { name?: unknown }).name;
  return typeof name === 'string' ? name : number;
}

/**
 * Deleted user accounts keep their rows (their usernames stay reserved for the audit trail), so before a
 * school is deleted their link to it is cleared; live accounts must have been deleted first.
 */
export async function releaseEstablishmentFromDeletedUsers(db: Executor, number: string): Promise<void> {
  await db
    .updateTable('users')
    .set({ establishment_number: null })
    .where('establishment_number', '=', number)
    .where('deleted_at', 'is not', null)
    .execute();
}
