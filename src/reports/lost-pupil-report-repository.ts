// The SQL of the Lost Pupil reports (LA notes §7.4-7.5): the records of the Lost Pupils Database that an
// LA's schools (or the LA itself) uploaded, and those whose files the LA downloaded. A record is
// "downloaded" once an LA has found it (downloaded its file and said it was downloaded correctly, or
// forwarded it to a school: lost-pupils/service.ts); found_at stays when the record is later removed.
// The lists are read in keyset pages: a page for the report's page, every page for its CSV, in constant
// memory (All LAs can list a million pupils). Newest first, as the School Report (docs/decisions.md, 72):
// a page too short for every pupil shows the latest uploaded (or found), and is the CSV's first rows.
import { type NotNull, sql } from 'kysely';
import { toCount } from '../platform/db/database.ts';
import { keysetRows } from '../platform/db/keyset.ts';
import type { Executor, LostPupilRow } from '../platform/db/schema.ts';

export type LostPupilReason = LostPupilRow['reason'];

export interface LostPupilRange {
  /**
   * The LA whose schools uploaded the records (numbers, uploaded) or that found them (downloaded); null for
   * every LA.
   */
  la: string | null;
  /** At or after (when given), and before. */
  since: string | null;
  until: string;
}

export interface CountRange extends LostPupilRange {
  /** The day ages are counted on (YYYY-MM-DD): the report's To date. */
  agesOn: string;
}

export interface AgeGenderCount {
  /** The LA whose schools uploaded the records, and its name. */
  la: string;
  laName: string | null;
  /** Whole years on the day, or null for no date of birth; below 0 for a birth after the day. */
  age: number | null;
  gender: string | null;
  uploaded: number;
  /** Of those uploaded, how many had been found by the end of the range. */
  downloaded: number;
}

/**
 * The query of lostPupilCounts (exported for the test of its plan). Ages are worked out and counted here
 * rather than by date of birth: a date of birth and gender is nearly a group per record, so every LA's
 * counts were one row per record in the range to send and add up (78,654 rows for 100,000 records at a
 * tenth of the country).
 */
export function lostPupilCountsQuery(db: Executor, range: CountRange) {
  let query = db
    .selectFrom('lost_pupils as lp')
    .leftJoin('local_authorities as la', 'la.number', 'lp.source_la')
    .select((eb) => {
      // Dates of birth are YYYY-MM-DD (lost-pupils/ingest.ts): the years between, less one when the
      // birthday comes later in the year (as text, so 29 February falls on 1 March in other years).
      const birthYear = eb.cast<number>(
        eb.fn<string>('substr', ['lp.date_of_birth', eb.lit(1), eb.lit(4)]),
        'integer',
      );
      const birthday = eb.fn<string>('substr', ['lp.date_of_birth', eb.lit(6)]);
      const beforeBirthday = eb.case().when(birthday, '>', range.agesOn.slice(5)).then(1).else(0).end();
      const yearsBetween = eb(eb.val(Number(range.agesOn.slice(0, 4))), '-', birthYear);
      return [
        'lp.source_la',
        'la.name as la_name',
        eb(yearsBetween, '-', beforeBirthday).$castTo<number | null>().as('age'),
        'lp.gender',
        eb.fn.countAll<string | number>().as('uploaded'),
        eb.fn
          .sum<string | number>(
            eb
              .case()
              .when(eb.and([eb('lp.found_at', 'is not', null), eb('lp.found_at', '<', range.until)]))
              .then(1)
              .else(0)
              .end(),
          )
          .as('downloaded'),
      ];
    })
    .where('lp.uploaded_at', '<', range.until);
  if (range.la) query = query.where('lp.source_la', '=', range.la);
  if (range.since) query = query.where('lp.uploaded_at', '>=', range.since);
  // The age by its name: its expression holds parameters, which PostgreSQL would number anew here. And
  // first: no index gives its order, so PostgreSQL reads the covering index rather than one in LA order.
  return query.groupBy([sql.ref('age'), 'lp.gender', 'lp.source_la', 'la.name']);
}

/** Records the LA's schools uploaded in the range, counted by LA, age on the day and gender. */
export async function lostPupilCounts(db: Executor, range: CountRange): Promise<AgeGenderCount[]> {
  const rows = await lostPupilCountsQuery(db, range).execute();
  return rows.map((row) => ({
    la: row.source_la,
    laName: row.la_name,
    age: row.age === null ? null : Number(row.age),
    gender: row.gender,
    uploaded: toCount(row.uploaded),
    downloaded: toCount(row.downloaded),
  }));
}

/** One pupil of a list: the record, its file, and who uploaded it. */
export interface LostPupilListRow {
  id: string;
  sourceLa: string;
  sourceLaName: string | null;
  sourceSchool: string | null;
  sourceSchoolName: string | null;
  uploadedAt: string;
  filename: string;
  upn: string | null;
  surname: string | null;
  forename: string | null;
  dateOfBirth: string | null;
  gender: string | null;
  reason: LostPupilReason;
  status: LostPupilRow['status'];
  foundAt: string | null;
  foundByLa: string | null;
  foundByLaName: string | null;
}

export interface UploadedFilter extends LostPupilRange {
  /** all; downloaded: found by an LA; not-downloaded: never found. */
  download: 'all' | 'downloaded' | 'not-downloaded';
  /** Both reasons, or one. */
  reason: LostPupilReason | null;
}

/** Where a page of a list starts: after this record, in the list's order (newest date, then id, first). */
interface ListKey {
  at: string;
  id: string;
}

interface ListPage {
  after?: ListKey | null;
  limit: number;
}

/** The records a list may hold, from lost_pupils alone: each list adds its filter. */
function listRecords(db: Executor) {
  return db
    .selectFrom('lost_pupils as lp')
    .select([
      'lp.id',
      'lp.transfer_id',
      'lp.source_la',
      'lp.source_school',
      'lp.uploaded_at',
      'lp.upn',
      'lp.surname',
      'lp.forename',
      'lp.date_of_birth',
      'lp.gender',
      'lp.reason',
      'lp.status',
      'lp.found_at',
      'lp.found_by_la',
    ]);
}

/**
 * A page of a list ordered by `date`, then by id, both descending (newest first): up to `limit` of the
 * records after `after`, each with its
 * file and the names of its school and LAs. The page is chosen from lost_pupils alone and only then joined,
 * so the joins cost a page however many records the filter leaves: PostgreSQL misjudges how many found
 * records a range of dates holds, and otherwise joined them all before sorting (over a second a page of
 * the downloaded list of every LA, at a million records).
 */
function readPage(
  db: Executor,
  records: ReturnType<typeof listRecords>,
  date: 'lp.uploaded_at' | 'lp.found_at',
  page: ListPage,
) {
  const after = page.after;
  if (after) {
    // (date, id) < (at, id): on both engines, one range of an index that starts with the date, read
    // backwards.
    records = records.where((eb) => eb(eb.refTuple(date, 'lp.id'), '<', eb.tuple(after.at, after.id)));
  }
  const chosen = records.orderBy(date, 'desc').orderBy('lp.id', 'desc').limit(page.limit);
  return db
    .selectFrom(chosen.as('lp'))
    .innerJoin('transfers as t', 't.id', 'lp.transfer_id')
    .leftJoin('establishments as e', 'e.number', 'lp.source_school')
    .leftJoin('local_authorities as la', 'la.number', 'lp.source_la')
    .leftJoin('local_authorities as fla', 'fla.number', 'lp.found_by_la')
    .select([
      'lp.id as id',
      'lp.source_la as sourceLa',
      'la.name as sourceLaName',
      'lp.source_school as sourceSchool',
      'e.name as sourceSchoolName',
      'lp.uploaded_at as uploadedAt',
      't.filename as filename',
      'lp.upn as upn',
      'lp.surname as surname',
      'lp.forename as forename',
      'lp.date_of_birth as dateOfBirth',
      'lp.gender as gender',
      'lp.reason as reason',
      'lp.status as status',
      'lp.found_at as foundAt',
      'lp.found_by_la as foundByLa',
      'fla.name as foundByLaName',
    ])
    .orderBy(date, 'desc')
    .orderBy('lp.id', 'desc');
}

/** The pupils the LA's schools uploaded in the range, newest upload first: a page of them. */
export async function uploadedLostPupils(
  db: Executor,
  filter: UploadedFilter,
  page: ListPage,
): Promise<LostPupilListRow[]> {
  let records = listRecords(db).where('lp.uploaded_at', '<', filter.until);
  if (filter.la) records = records.where('lp.source_la', '=', filter.la);
  if (filter.since) records = records.where('lp.uploaded_at', '>=', filter.since);
  if (filter.download === 'downloaded') records = records.where('lp.found_at', 'is not', null);
  if (filter.download === 'not-downloaded') records = records.where('lp.found_at', 'is', null);
  if (filter.reason) records = records.where('lp.reason', '=', filter.reason);
  return readPage(db, records, 'lp.uploaded_at', page).execute();
}

/** Every pupil of the uploaded list, read `pageSize` at a time. */
export function streamUploadedLostPupils(
  db: Executor,
  filter: UploadedFilter,
  pageSize: number,
): AsyncGenerator<LostPupilListRow> {
  return keysetRows<LostPupilListRow, ListKey>(
    (after, limit) => uploadedLostPupils(db, filter, { after, limit }),
    (row) => ({ at: row.uploadedAt, id: row.id }),
    pageSize,
  );
}

/** A pupil an LA found: when is known. */
type FoundLostPupil = LostPupilListRow & { foundAt: string };

/** The pupils whose files the LA found (downloaded or forwarded) in the range, latest found first: a page. */
export async function downloadedLostPupils(
  db: Executor,
  range: LostPupilRange,
  page: ListPage,
): Promise<FoundLostPupil[]> {
  let records = listRecords(db).where('lp.found_at', 'is not', null).where('lp.found_at', '<', range.until);
  records = range.la
    ? records.where('lp.found_by_la', '=', range.la)
    : records.where('lp.found_by_la', 'is not', null);
  if (range.since) records = records.where('lp.found_at', '>=', range.since);
  return readPage(db, records, 'lp.found_at', page).$narrowType<{ foundAt: NotNull }>().execute();
}

/** Every pupil of the downloaded list, read `pageSize` at a time. */
export function streamDownloadedLostPupils(
  db: Executor,
  range: LostPupilRange,
  pageSize: number,
): AsyncGenerator<FoundLostPupil> {
  return keysetRows<FoundLostPupil, ListKey>(
    (after, limit) => downloadedLostPupils(db, range, { after, limit }),
    (row) => ({ at: row.foundAt, id: row.id }),
    pageSize,
  );
}
