// General Usage/Volume (handbook §10, LA notes §7.1): for each school, the CTFs it uploaded and the CTFs
// sent to it that were downloaded, are awaiting download or were rejected, with their pupil records.
// A CTF an LA forwarded (transfers/forward-service.ts) is a copy that keeps the school that made it as
// its source: the school uploaded one file, so the copy is not counted as uploaded (by the school, nor
// by its LA); it is a file received by the school it was forwarded to. The original stays counted as
// uploaded by the school. A file removed before its school collected it (by its sender, by the LA, or
// taken away when forwarded to the right school) was uploaded but never received: received counts the
// files downloaded, awaiting download or rejected, as the LA notes' §7.1 lists them.
import { sql } from 'kysely';
import { londonDate } from '../platform/dates.ts';
import { toCount } from '../platform/db/database.ts';
import { isAnyOf } from '../platform/db/rows-table.ts';
import type { Executor } from '../platform/db/schema.ts';
import { OFFERED_SCANS } from '../transfers/download-listing.ts';

export interface UsageRow {
  /** A school's establishment number, or an LA's number. */
  code: string;
  name: string;
  uploaded: number;
  uploadedPupils: number;
  received: number;
  downloaded: number;
  awaiting: number;
  rejected: number;
  receivedPupils: number;
}

export interface UsageQuery {
  /** Schools (by establishment number) or LAs (by number, counting all their schools). */
  by: 'school' | 'la';
  /** The schools or LAs reported on, in the order of the report. */
  units: { code: string; name: string }[];
  /** Files uploaded at or after (when given), and before. */
  since: string | null;
  until: string;
}

const COLUMNS = {
  school: { source: 'source_school', dest: 'dest_school' },
  la: { source: 'source_la', dest: 'dest_la' },
} as const;

/**
 * The report's two queries, each grouped by school or LA: the CTFs they uploaded, and those sent to them
 * (exported for the test of their plans).
 */
export function usageQueries(db: Executor, query: UsageQuery) {
  const codes = query.units.map((u) => u.code);
  const { source, dest } = COLUMNS[query.by];
  let sent = db
    .selectFrom('transfers')
    .select((eb) => [
      `${source} as unit`,
      eb.fn.countAll<string | number>().as('files'),
      eb.fn.sum<string | number>('pupil_count').as('pupils'),
    ])
    .where('category', '=', 'ctf')
    .where(isAnyOf(db, source, codes))
    // Uploaded by a school: an LA's own CTFs are not its schools' (LA notes §7.1), in either kind of row.
    .where('source_school', 'is not', null)
    .where('forwarded_from', 'is', null)
    .where('uploaded_at', '<', query.until);
  if (query.since) sent = sent.where('uploaded_at', '>=', query.since);
  let received = db
    .selectFrom('transfers')
    .select((eb) => [
      `${dest} as unit`,
      eb.fn.countAll<string | number>().as('files'),
      eb.fn.sum<string | number>('pupil_count').as('pupils'),
      eb.fn
        .sum<string | number>(eb.case().when('status', '=', 'collected').then(1).else(0).end())
        .as('downloaded'),
      eb.fn
        .sum<string | number>(eb.case().when('status', '=', 'available').then(1).else(0).end())
        .as('awaiting'),
      eb.fn
        .sum<string | number>(eb.case().when('status', '=', 'rejected').then(1).else(0).end())
        .as('rejected'),
    ])
    .where('category', '=', 'ctf')
    .where('dest_kind', '=', 'school')
    .where(isAnyOf(db, dest, codes))
    .where('scan_status', 'in', OFFERED_SCANS)
    .where('status', '!=', 'removed')
    .where('uploaded_at', '<', query.until);
  if (query.since) received = received.where('uploaded_at', '>=', query.since);
  return { sent: sent.groupBy(source), received: received.groupBy(dest) };
}

/** One row per school or LA, in the order given; each file counted by when it was uploaded. */
export async function usage(db: Executor, query: UsageQuery): Promise<UsageRow[]> {
  if (query.units.length === 0) return [];
  const queries = usageQueries(db, query);
  const [sent, received] = await Promise.all([queries.sent.execute(), queries.received.execute()]);
  const sentBy = new Map(sent.map((row) => [row.unit, row]));
  const receivedBy = new Map(received.map((row) => [row.unit, row]));
  return query.units.map((unit) => {
    const s = sentBy.get(unit.code);
    const r = receivedBy.get(unit.code);
    return {
      code: unit.code,
      name: unit.name,
      uploaded: toCount(s?.files),
      uploadedPupils: toCount(s?.pupils),
      received: toCount(r?.files),
      downloaded: toCount(r?.downloaded),
      awaiting: toCount(r?.awaiting),
      rejected: toCount(r?.rejected),
      receivedPupils: toCount(r?.pupils),
    };
  });
}

export interface MonthlyVolume {
  /** "2026-11": the month in London of the upload. */
  month: string;
  uploaded: number;
  received: number;
}

// The databases count files by the UTC hour of their upload (no SQL of either engine knows London time),
// and the hours are added up by London month here. London is UTC or an hour ahead, so a whole UTC hour is
// in one London month. Written out, not with parameters: PostgreSQL matches the grouped expression to the
// selected one by text.
const UPLOAD_HOUR = sql<string>`substr(uploaded_at, 1, 13)`;

/** The London month of a UTC hour ("2026-04-30T23" is 00:00-00:59 on 1 May in London: "2026-05"). */
function londonMonthOf(hour: string): string {
  // Only 23:00-23:59 UTC can be a later day in London: every other hour is in its UTC month.
  if (!hour.endsWith('T23')) return hour.slice(0, 7);
  return londonDate(new Date(`${hour}:00:00.000Z`)).slice(0, 7);
}

/**
 * The chart's query: the CTFs uploaded by (`uploads`) or sent to the schools or LAs, by UTC hour of upload
 * (exported for the test of its plan).
 */
export function monthlyVolumeQuery(db: Executor, query: UsageQuery, uploads: boolean) {
  const { source, dest } = COLUMNS[query.by];
  let q = db
    .selectFrom('transfers')
    .select((eb) => [UPLOAD_HOUR.as('hour'), eb.fn.countAll<string | number>().as('files')])
    .where('category', '=', 'ctf')
    .where(
      isAnyOf(
        db,
        uploads ? source : dest,
        query.units.map((u) => u.code),
      ),
    )
    .where('uploaded_at', '<', query.until);
  // As the table: a forwarded copy is not an upload, nor an LA's own; only files offered to a school
  // are received.
  q = uploads
    ? q.where('forwarded_from', 'is', null).where('source_school', 'is not', null)
    : q
        .where('dest_kind', '=', 'school')
        .where('scan_status', 'in', OFFERED_SCANS)
        .where('status', '!=', 'removed');
  if (query.since) q = q.where('uploaded_at', '>=', query.since);
  return q.groupBy(UPLOAD_HOUR);
}

/**
 * CTFs uploaded by and sent to the schools or LAs, month by month, for the report's chart: the months with
 * any, in order (the chart adds the months between).
 */
export async function monthlyVolumes(db: Executor, query: UsageQuery): Promise<MonthlyVolume[]> {
  if (query.units.length === 0) return [];
  const count = async (uploads: boolean) => {
    const byMonth = new Map<string, number>();
    for (const row of await monthlyVolumeQuery(db, query, uploads).execute()) {
      const month = londonMonthOf(String(row.hour));
      byMonth.set(month, (byMonth.get(month) ?? 0) + toCount(row.files));
    }
    return byMonth;
  };
  const [uploaded, received] = await Promise.all([count(true), count(false)]);
  const months = [...new Set([...uploaded.keys(), ...received.keys()])].sort();
  return months.map((month) => ({
    month,
    uploaded: uploaded.get(month) ?? 0,
    received: received.get(month) ?? 0,
  }));
}
