// The SQL of the Lost Pupil reports (LA notes §7.4-7.5): the records of the Lost Pupils Database that an
// LA's schools (or the LA itself) uploaded, and those whose files the LA downloaded. A record is
// "downloaded" once an LA has found it (downloaded its file and said it was downloaded correctly, or
// forwarded it to a school: lost-pupils/service.ts); found_at stays when the record is later removed.
import { toCount } from '../platform/db/database.ts';
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

export interface BirthGenderCount {
  /** The LA whose schools uploaded the records, and its name. */
  la: string;
  laName: string | null;
  dateOfBirth: string | null;
  gender: string | null;
  uploaded: number;
  /** Of those uploaded, how many had been found by the end of the range. */
  downloaded: number;
}

/** Records the LA's schools uploaded in the range, counted by LA, date of birth and gender. */
export async function lostPupilCounts(db: Executor, range: LostPupilRange): Promise<BirthGenderCount[]> {
  let query = db
    .selectFrom('lost_pupils as lp')
    .leftJoin('local_authorities as la', 'la.number', 'lp.source_la')
    .select((eb) => [
      'lp.source_la',
      'la.name as la_name',
      'lp.date_of_birth',
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
    ])
    .where('lp.uploaded_at', '<', range.until);
  if (range.la) query = query.where('lp.source_la', '=', range.la);
  if (range.since) query = query.where('lp.uploaded_at', '>=', range.since);
  const rows = await query.groupBy(['lp.source_la', 'la.name', 'lp.date_of_birth', 'lp.gender']).execute();
  return rows.map((row) => ({
    la: row.source_la,
    laName: row.la_name,
    dateOfBirth: row.date_of_birth,
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
  /** At most this many rows (the page); none for the CSV. */
  limit?: number;
}

function listQuery(db: Executor) {
  return db
    .selectFrom('lost_pupils as lp')
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
    ]);
}

/** The pupils the LA's schools uploaded in the range, oldest upload first. */
export async function uploadedLostPupils(db: Executor, filter: UploadedFilter): Promise<LostPupilListRow[]> {
  let query = listQuery(db).where('lp.uploaded_at', '<', filter.until);
  if (filter.la) query = query.where('lp.source_la', '=', filter.la);
  if (filter.since) query = query.where('lp.uploaded_at', '>=', filter.since);
  if (filter.download === 'downloaded') query = query.where('lp.found_at', 'is not', null);
  if (filter.download === 'not-downloaded') query = query.where('lp.found_at', 'is', null);
  if (filter.reason) query = query.where('lp.reason', '=', filter.reason);
  query = query.orderBy('lp.uploaded_at').orderBy('lp.id');
  if (filter.limit !== undefined) query = query.limit(filter.limit);
  return query.execute();
}

/** The pupils whose files the LA found (downloaded or forwarded) in the range, in the order found. */
export async function downloadedLostPupils(
  db: Executor,
  range: LostPupilRange & { limit?: number },
): Promise<LostPupilListRow[]> {
  let query = listQuery(db).where('lp.found_at', 'is not', null).where('lp.found_at', '<', range.until);
  query = range.la
    ? query.where('lp.found_by_la', '=', range.la)
    : query.where('lp.found_by_la', 'is not', null);
  if (range.since) query = query.where('lp.found_at', '>=', range.since);
  query = query.orderBy('lp.found_at').orderBy('lp.id');
  if (range.limit !== undefined) query = query.limit(range.limit);
  return query.execute();
}
