// The Lost Pupils Database's SQL. Records are written in the upload's transaction (ingest.ts) and never
// deleted: a removal is a status, kept for the reports and the audit log.
import type { ExpressionBuilder } from 'kysely';
import type { Database, Executor, LostPupilRow, LostPupilTable } from '../platform/db/schema.ts';
import { nameLetters, soundalikeKeys } from './phonetics.ts';

export type NewLostPupil = Omit<
  LostPupilTable,
  | 'surname_letters'
  | 'former_surname_letters'
  | 'forename_letters'
  | 'town_letters'
  | 'birth_year'
  | 'birth_month'
  | 'birth_day'
  | 'status'
  | 'found_at'
  | 'found_by_la'
  | 'found_by'
  | 'removed_at'
  | 'removed_by'
  | 'removal_reason'
>;

/** Writes a record and the soundalike keys of its surname and former surname. */
export async function insertLostPupil(db: Executor, record: NewLostPupil): Promise<void> {
  const [year, month, day] = (record.date_of_birth ?? '').split('-').map(Number);
  await db
    .insertInto('lost_pupils')
    .values({
      ...record,
      surname_letters: nameLetters(record.surname ?? ''),
      former_surname_letters: nameLetters(record.former_surname ?? ''),
      forename_letters: nameLetters(record.forename ?? ''),
      town_letters: nameLetters(record.town ?? ''),
      birth_year: year || null,
      birth_month: month || null,
      birth_day: day || null,
      status: 'lost',
    })
    .execute();
  const keys = new Set([...soundalikeKeys(record.surname), ...soundalikeKeys(record.former_surname)]);
  if (keys.size > 0) {
    await db
      .insertInto('lost_pupil_keys')
      .values([...keys].map((key) => ({ key, lost_pupil_id: record.id })))
      .execute();
  }
}

export interface LostPupilQuery {
  /** Matches the UPN or the former UPN. */
  upn?: string;
  surname?: string;
  /** Ticked: the surname (or former surname) begins with the text; unticked: sounds alike. */
  surnameBegins?: boolean;
  /** The forename begins with it (letters only). */
  forename?: string;
  /** The town begins with it (letters only). */
  town?: string;
  birthDay?: number;
  birthMonth?: number;
  birthYear?: number;
  gender?: 'M' | 'F';
  statuses: readonly LostPupilRow['status'][];
}

type LostPupilsExpression = ExpressionBuilder<Database, 'lost_pupils'>;

/** Text just after every text that begins with `prefix` (letters are A-Z; '[' follows 'Z'). */
const prefixRange =
  (
    column: 'surname_letters' | 'former_surname_letters' | 'forename_letters' | 'town_letters',
    prefix: string,
  ) =>
  (eb: LostPupilsExpression) =>
    eb.and([eb(column, '>=', prefix), eb(column, '<', `${prefix}[`)]);

/**
 * Records matching every field given, at most `limit` of them, in no particular order: the caller sorts
 * them, and asks for one more than it shows to know whether there are more (a search that matches more
 * is narrowed, not paged: the query stays an index lookup however large the database grows).
 */
export async function searchLostPupils(
  db: Executor,
  query: LostPupilQuery,
  limit: number,
): Promise<LostPupilRow[]> {
  let q = db.selectFrom('lost_pupils').selectAll().where('status', 'in', query.statuses);
  if (query.upn) {
    const upn = query.upn.toUpperCase();
    q = q.where((eb) => eb.or([eb('upn', '=', upn), eb('former_upn', '=', upn)]));
  }
  if (query.surname) {
    if (query.surnameBegins) {
      const prefix = nameLetters(query.surname);
      q = q.where((eb) =>
        eb.or([
          prefixRange('surname_letters', prefix)(eb),
          prefixRange('former_surname_letters', prefix)(eb),
        ]),
      );
    } else {
      const keys = soundalikeKeys(query.surname);
      if (keys.length === 0) return [];
      q = q.where('id', 'in', (eb) =>
        eb.selectFrom('lost_pupil_keys').select('lost_pupil_id').where('key', 'in', keys),
      );
    }
  }
  if (query.forename) q = q.where(prefixRange('forename_letters', nameLetters(query.forename)));
  if (query.town) q = q.where(prefixRange('town_letters', nameLetters(query.town)));
  if (query.birthYear) q = q.where('birth_year', '=', query.birthYear);
  if (query.birthMonth) q = q.where('birth_month', '=', query.birthMonth);
  if (query.birthDay) q = q.where('birth_day', '=', query.birthDay);
  if (query.gender) q = q.where('gender', '=', query.gender);
  return q.limit(limit).execute();
}

export async function getLostPupil(db: Executor, id: string): Promise<LostPupilRow | undefined> {
  return db.selectFrom('lost_pupils').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function getLostPupilByTransfer(
  db: Executor,
  transferId: string,
): Promise<LostPupilRow | undefined> {
  return db.selectFrom('lost_pupils').selectAll().where('transfer_id', '=', transferId).executeTakeFirst();
}
