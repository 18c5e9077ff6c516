// The SQL of the review of Lost Pupils Database records past statutory school-leaving age
// (review-service.ts, review-job.ts and the home page). A record is "due" for its LA's review when it
// is still in the database (lost, or found by an LA) and its pupil's leaving day (leaves_school_on, the
// last Friday in June of the school year they turn 16) is on or before the day asked about. Records
// with no date of birth have no leaving day: they are never due, and are listed apart. A record found
// by an LA (its pupil's school is known) may be removed by its LA before it is due (LA notes §1.3):
// those are listed apart too.
//
// Each function takes an Executor, so the service composes them in one transaction. Dates are compared
// as text: leaves_school_on is 'YYYY-MM-DD' and uploaded_at an ISO instant in UTC, in both engines.
import type { ExpressionBuilder } from 'kysely';
import type { Database, Executor, LostPupilRow } from '../platform/db/schema.ts';
import { forgetSeenPupils } from './found-repository.ts';

/** The statuses of a record still in the database (removed ones are kept, as a status, for reports). */
export const IN_DATABASE: readonly LostPupilRow['status'][] = ['lost', 'found'];

/** A record as the review shows it, with its file and the name of the school that uploaded it. */
export interface ReviewRow {
  id: string;
  transfer_id: string;
  reason: LostPupilRow['reason'];
  upn: string | null;
  surname: string | null;
  forename: string | null;
  middle_names: string | null;
  date_of_birth: string | null;
  source_la: string;
  source_school: string | null;
  uploaded_at: string;
  leaves_school_on: string | null;
  status: LostPupilRow['status'];
  /** Which LA found it (downloaded and said so, forwarded it, or closed a match), when, and its name. */
  found_by_la: string | null;
  found_at: string | null;
  found_by_la_name: string | null;
  /** Who removed it, once removed. */
  removed_by: string | null;
  filename: string;
  category: string;
  storage_key: string | null;
  school_name: string | null;
}

function reviewRows(db: Executor) {
  return db
    .selectFrom('lost_pupils as lp')
    .innerJoin('transfers as t', 't.id', 'lp.transfer_id')
    .leftJoin('establishments as e', 'e.number', 'lp.source_school')
    .leftJoin('local_authorities as finder', 'finder.number', 'lp.found_by_la')
    .select([
      'lp.id',
      'lp.transfer_id',
      'lp.reason',
      'lp.upn',
      'lp.surname',
      'lp.forename',
      'lp.middle_names',
      'lp.date_of_birth',
      'lp.source_la',
      'lp.source_school',
      'lp.uploaded_at',
      'lp.leaves_school_on',
      'lp.status',
      'lp.found_by_la',
      'lp.found_at',
      'finder.name as found_by_la_name',
      'lp.removed_by',
      't.filename',
      't.category',
      't.storage_key',
      'e.name as school_name',
    ]);
}

/** An LA's records due for review, the longest past leaving age first (then the oldest upload). */
export async function listDueForReview(
  db: Executor,
  laNumber: string,
  today: string,
  limit: number,
): Promise<ReviewRow[]> {
  return reviewRows(db)
    .where('lp.source_la', '=', laNumber)
    .where('lp.status', 'in', IN_DATABASE)
    .where('lp.leaves_school_on', '<=', today)
    .orderBy('lp.leaves_school_on')
    .orderBy('lp.uploaded_at')
    .orderBy('lp.id')
    .limit(limit)
    .execute();
}

export async function countDueForReview(db: Executor, laNumber: string, today: string): Promise<number> {
  const row = await db
    .selectFrom('lost_pupils')
    .select((eb) => eb.fn.countAll().as('n'))
    .where('source_la', '=', laNumber)
    .where('status', 'in', IN_DATABASE)
    .where('leaves_school_on', '<=', today)
    .executeTakeFirst();
  return Number(row?.n ?? 0);
}

/** An LA's records of pupils not yet found and with no date of birth (so no leaving day), oldest first. */
export async function listWithoutLeavingDay(
  db: Executor,
  laNumber: string,
  limit: number,
): Promise<{ rows: ReviewRow[]; total: number }> {
  return listApart(db, laNumber, { status: 'lost', notDueOn: null }, limit);
}

/**
 * An LA's records found by an LA whose pupils have not reached school-leaving age on `today` (or have no
 * date of birth): removable now, since the pupil's school is known. Oldest upload first.
 */
export async function listFoundNotDue(
  db: Executor,
  laNumber: string,
  today: string,
  limit: number,
): Promise<{ rows: ReviewRow[]; total: number }> {
  return listApart(db, laNumber, { status: 'found', notDueOn: today }, limit);
}

/**
 * The LA's records of a status that are not due: with no leaving day, or (given `notDueOn`) with one
 * after it. Oldest upload first, up to `limit`, and how many there are.
 */
async function listApart(
  db: Executor,
  laNumber: string,
  which: { status: LostPupilRow['status']; notDueOn: string | null },
  limit: number,
): Promise<{ rows: ReviewRow[]; total: number }> {
  const notDue = (eb: ExpressionBuilder<Database & { lp: LostPupilRow }, 'lp'>) =>
    eb.and([
      eb('lp.source_la', '=', laNumber),
      eb('lp.status', '=', which.status),
      which.notDueOn === null
        ? eb('lp.leaves_school_on', 'is', null)
        : eb.or([eb('lp.leaves_school_on', 'is', null), eb('lp.leaves_school_on', '>', which.notDueOn)]),
    ]);
  const rows = await reviewRows(db)
    .where(notDue)
    .orderBy('lp.uploaded_at')
    .orderBy('lp.id')
    .limit(limit)
    .execute();
  if (rows.length < limit) return { rows, total: rows.length };
  const counted = await db
    .selectFrom('lost_pupils as lp')
    .select((eb) => eb.fn.countAll().as('n'))
    .where(notDue)
    .executeTakeFirst();
  return { rows, total: Number(counted?.n ?? 0) };
}

/** The records with these ids, whoever they belong to and whatever their state (the service checks). */
export async function reviewRowsById(db: Executor, ids: readonly string[]): Promise<ReviewRow[]> {
  if (ids.length === 0) return [];
  return reviewRows(db)
    .where('lp.id', 'in', [...ids])
    .execute();
}

/** Who removed records (their removed_by): each user's organisation and name, by id. */
export interface Remover {
  la_number: string | null;
  establishment_number: string | null;
  full_name: string;
  username: string;
}

export async function removersByIds(db: Executor, ids: readonly string[]): Promise<Map<string, Remover>> {
  if (ids.length === 0) return new Map();
  const rows = await db
    .selectFrom('users')
    .select(['id', 'la_number', 'establishment_number', 'full_name', 'username'])
    .where('id', 'in', [...new Set(ids)])
    .execute();
  return new Map(rows.map(({ id, ...remover }) => [id, remover]));
}

/**
 * Marks a record removed if its LA may still remove it on `today`: due for review, or found by an LA. A
 * record removed or changed by someone else since it was read is left alone (false).
 */
export async function markRemovedIfRemovable(
  db: Executor,
  id: string,
  due: { laNumber: string; today: string },
  removal: { at: string; by: string; reason: string },
): Promise<boolean> {
  const result = await db
    .updateTable('lost_pupils')
    .set({
      status: 'removed',
      removed_at: removal.at,
      removed_by: removal.by,
      removal_reason: removal.reason,
    })
    .where('id', '=', id)
    .where('source_la', '=', due.laNumber)
    .where((eb) =>
      eb.or([
        eb.and([eb('status', 'in', IN_DATABASE), eb('leaves_school_on', '<=', due.today)]),
        eb('status', '=', 'found'),
      ]),
    )
    .executeTakeFirst();
  if (Number(result.numUpdatedRows) !== 1) return false;
  await forgetSeenPupils(db, id);
  return true;
}

/** A period of the scheduled review: London dates, and the instants they start. */
export interface ReviewWindow {
  /** First day in (YYYY-MM-DD), and the instant it starts (ISO). */
  fromDate: string;
  fromInstant: string;
  /** First day after (YYYY-MM-DD), and the instant it starts (ISO). */
  toDate: string;
  toInstant: string;
}

/**
 * Per LA (in number order), how many of its records still in the database became due for review in the
 * window: the later of the pupil's leaving day and the upload falls in it. A record uploaded long after
 * its pupil left school becomes due the day it is uploaded.
 */
export async function newlyDueByLa(
  db: Executor,
  window: ReviewWindow,
): Promise<{ laNumber: string; count: number }[]> {
  const rows = await db
    .selectFrom('lost_pupils')
    .select((eb) => ['source_la', eb.fn.countAll().as('n')])
    .where('status', 'in', IN_DATABASE)
    .where('leaves_school_on', '<', window.toDate)
    .where('uploaded_at', '<', window.toInstant)
    .where((eb) =>
      eb.or([eb('leaves_school_on', '>=', window.fromDate), eb('uploaded_at', '>=', window.fromInstant)]),
    )
    .groupBy('source_la')
    .orderBy('source_la')
    .execute();
  return rows.map((row) => ({ laNumber: row.source_la, count: Number(row.n) }));
}
