// The files behind the School Report (CTFs sent and received, handbook §10, LA notes §7.2) and the
// Generic / Other file movements report (every other kind of file, LA notes §7.6): one row per transfer,
// with both ends named, newest upload first, read in pages by keyset so a report of years of files is
// streamed in constant memory. Newest first on the page and in the CSV alike: a page too short for every
// file shows the latest (what an LA running the report with From blank, every record, comes to see), and
// the page is the CSV's first rows (docs/decisions.md, 72).
//
// A CTF an LA forwarded (transfers/forward-service.ts) is a copy that keeps the school that made it as its
// source (a lost pupil's is sent in the forwarding LA's name), and names its original in forwarded_from.
// The school did not send the copy: it is a file
// received by the school it was forwarded to, so a school's (or an LA's schools') report holds it only as
// received. The original stays the school's file sent, and says when it was forwarded.
import { toCount } from '../platform/db/database.ts';
import { keysetRows } from '../platform/db/keyset.ts';
import type { Executor, TransferStatus } from '../platform/db/schema.ts';
import { OFFERED_SCANS } from '../transfers/download-listing.ts';

/**
 * Whose files: one school's, an LA's (its schools' for CTFs; its schools', its own and its inboxes'
 * otherwise), or every LA's (the national administrator's All LAs).
 */
export type MovementScope =
  | { kind: 'school'; establishmentNumber: string }
  | { kind: 'la'; laNumber: string }
  | { kind: 'all' };

export interface MovementQuery {
  /** CTFs (the School Report) or every other category (Generic / Other file movements). */
  files: 'ctf' | 'other';
  scope: MovementScope;
  /** Files uploaded at or after (when given), and before. */
  since: string | null;
  until: string;
}

export interface MovementEnd {
  la: string | null;
  laName: string | null;
  school: string | null;
  schoolName: string | null;
  /** PLAS or ADMS: the LA's LEAPLAS or LEAADMS inbox. */
  inbox: string | null;
}

export interface MovementRow {
  id: string;
  filename: string;
  category: string;
  uploadedAt: string;
  firstDownloadedAt: string | null;
  status: TransferStatus;
  /** When an LA forwarded this file to a school (its copy's upload), or null. */
  forwardedAt: string | null;
  /** For a forwarded copy, the original's id: the copy was received, not sent, by its source. */
  forwardedFrom: string | null;
  /**
   * When an LA deleted this file (Delete files not collected by schools, or its Lost Pupils review): a
   * file removed by a user of an LA, not of a school (its removed_by). Null for a file not removed, or
   * removed by its sending school (View / Remove Files).
   */
  deletedByLaAt: string | null;
  pupils: number;
  source: MovementEnd;
  destKind: 'school' | 'la' | 'la-inbox' | 'lost-pupils';
  dest: MovementEnd;
}

/** Where a page of rows starts: after this row, in the report's order (newest first). */
export interface MovementCursor {
  uploadedAt: string;
  filename: string;
  id: string;
}

type Where = Parameters<ReturnType<typeof transfersIn>['where']>[0];

function transfersIn(db: Executor) {
  return db.selectFrom('transfers as t');
}

/**
 * The sides of a query's scope, each a filter of the transfers: a row is in the report when it passes one.
 * An LA's are two (what its side sent, what it received), so that each is read in upload order through its
 * own index (migration 043) instead of walking every LA's transfers by upload time.
 */
function scopeSides(query: MovementQuery): Where[] {
  const scope = query.scope;
  if (scope.kind === 'school') {
    return [
      (eb) =>
        eb.or([
          eb.and([eb('t.source_school', '=', scope.establishmentNumber), eb('t.forwarded_from', 'is', null)]),
          eb.and([
            eb('t.dest_school', '=', scope.establishmentNumber),
            eb('t.scan_status', 'in', OFFERED_SCANS),
          ]),
        ]),
    ];
  }
  if (scope.kind === 'la') {
    return query.files === 'ctf'
      ? // CTFs sent or received by the LA's schools (not by the LA itself).
        [
          (eb) =>
            eb.and([
              eb('t.source_la', '=', scope.laNumber),
              eb('t.source_school', 'is not', null),
              eb('t.forwarded_from', 'is', null),
            ]),
          (eb) =>
            eb.and([
              eb('t.dest_la', '=', scope.laNumber),
              eb('t.dest_school', 'is not', null),
              eb('t.scan_status', 'in', OFFERED_SCANS),
            ]),
        ]
      : // Files sent or received by the LA's schools, the LA itself and its inboxes.
        [
          (eb) => eb('t.source_la', '=', scope.laNumber),
          (eb) => eb.and([eb('t.dest_la', '=', scope.laNumber), eb('t.scan_status', 'in', OFFERED_SCANS)]),
        ];
  }
  if (query.files === 'ctf') {
    // Every LA's report at once: the CTFs sent or received by any school. Every other file has a source
    // LA, so is in some LA's report: all of them are.
    return [
      (eb) =>
        eb.or([
          eb('t.source_school', 'is not', null),
          eb.and([eb('t.dest_school', 'is not', null), eb('t.scan_status', 'in', OFFERED_SCANS)]),
        ]),
    ];
  }
  // Every file of every kind but CTFs: the kind alone says which.
  return [(eb) => eb('t.id', 'is not', null)];
}

/** The rows of one side of a query: its kind of file, that side of its scope and its dates. */
function sideQuery(db: Executor, query: MovementQuery, side: Where) {
  let q = transfersIn(db)
    .where('t.category', query.files === 'ctf' ? '=' : '<>', 'ctf')
    .where('t.uploaded_at', '<', query.until)
    .where(side);
  if (query.since) q = q.where('t.uploaded_at', '>=', query.since);
  return q;
}

/** The ids of the report's rows, each once (a file between two schools of the LA is on both sides). */
function reportIds(
  db: Executor,
  query: MovementQuery,
  page?: { after?: MovementCursor | null; limit: number },
) {
  const [first, ...others] = scopeSides(query).map((side) => {
    let q = sideQuery(db, query, side).select('t.id');
    if (!page) return db.selectFrom(q.as('side')).select('side.id');
    const after = page.after;
    if (after) {
      // The plain upper bound first: an index can start there, which the OR below cannot give it (without
      // it, each page re-read every row before it: 46 s for the largest LA's CSV at 1M transfers).
      q = q
        .where('t.uploaded_at', '<=', after.uploadedAt)
        .where((eb) =>
          eb.or([
            eb('t.uploaded_at', '<', after.uploadedAt),
            eb.and([eb('t.uploaded_at', '=', after.uploadedAt), eb('t.filename', '<', after.filename)]),
            eb.and([
              eb('t.uploaded_at', '=', after.uploadedAt),
              eb('t.filename', '=', after.filename),
              eb('t.id', '<', after.id),
            ]),
          ]),
        );
    }
    // Each side's first `limit` in the report's order: the page is among them. Wrapped, as SQLite allows
    // no ORDER BY or LIMIT in a part of a UNION. Every column descending: an index on (LA, upload time,
    // file name, id) is read backwards from where the page starts.
    const chosen = q
      .orderBy('t.uploaded_at', 'desc')
      .orderBy('t.filename', 'desc')
      .orderBy('t.id', 'desc')
      .limit(page.limit);
    return db.selectFrom(chosen.as('side')).select('side.id');
  });
  if (!first) throw new Error('a report has at least one side');
  return others.reduce((all, side) => all.union(side), first);
}

/** The query of how many files the report holds (exported for the test of its plan). */
export function movementCountQuery(db: Executor, query: MovementQuery) {
  return db
    .selectFrom(reportIds(db, query).as('r'))
    .select((eb) => eb.fn.countAll<string | number>().as('files'));
}

/** How many files the report holds. */
export async function countMovements(db: Executor, query: MovementQuery): Promise<number> {
  const row = await movementCountQuery(db, query).executeTakeFirst();
  return toCount(row?.files);
}

/** The query of a page of the report (exported for the test of its plan). */
export function movementPageQuery(
  db: Executor,
  query: MovementQuery,
  page: { after?: MovementCursor | null; limit: number },
) {
  return (
    transfersIn(db)
      .where('t.id', 'in', reportIds(db, query, page))
      .leftJoin('local_authorities as sla', 'sla.number', 't.source_la')
      .leftJoin('establishments as ss', 'ss.number', 't.source_school')
      .leftJoin('local_authorities as dla', 'dla.number', 't.dest_la')
      .leftJoin('establishments as ds', 'ds.number', 't.dest_school')
      // Who removed it: a user of an LA (no school of their own) or of a school. Users are never deleted
      // outright (deleted_at), so a remover is always found.
      .leftJoin('users as remover', 'remover.id', 't.removed_by')
      .select([
        't.id',
        't.filename',
        't.category',
        't.uploaded_at',
        't.first_downloaded_at',
        't.status',
        't.forwarded_from',
        't.removed_at',
        'remover.la_number as remover_la',
        'remover.establishment_number as remover_school',
        // Its copy, if an LA forwarded it (an original is forwarded once at most: it then leaves 'available').
        (eb) =>
          eb
            .selectFrom('transfers as fw')
            .select((sub) => sub.fn.min('fw.uploaded_at').as('at'))
            .whereRef('fw.forwarded_from', '=', 't.id')
            .as('forwarded_at'),
        't.pupil_count',
        't.source_la',
        'sla.name as source_la_name',
        't.source_school',
        'ss.name as source_school_name',
        't.source_inbox',
        't.dest_kind',
        't.dest_la',
        'dla.name as dest_la_name',
        't.dest_school',
        'ds.name as dest_school_name',
        't.dest_inbox',
      ])
      .orderBy('t.uploaded_at', 'desc')
      .orderBy('t.filename', 'desc')
      .orderBy('t.id', 'desc')
      .limit(page.limit)
  );
}

/** Up to `limit` rows after `after` (or from the first), newest upload first, then by file name. */
export async function readMovements(
  db: Executor,
  query: MovementQuery,
  page: { after?: MovementCursor | null; limit: number },
): Promise<MovementRow[]> {
  const rows = await movementPageQuery(db, query, page).execute();
  return rows.map((r) => ({
    id: r.id,
    filename: r.filename,
    category: r.category,
    uploadedAt: r.uploaded_at,
    firstDownloadedAt: r.first_downloaded_at,
    status: r.status,
    forwardedAt: r.forwarded_at ?? null,
    forwardedFrom: r.forwarded_from,
    deletedByLaAt:
      r.status === 'removed' && r.remover_la !== null && r.remover_school === null ? r.removed_at : null,
    pupils: toCount(r.pupil_count),
    source: {
      la: r.source_la,
      laName: r.source_la_name,
      school: r.source_school,
      schoolName: r.source_school_name,
      inbox: r.source_inbox,
    },
    destKind: r.dest_kind,
    dest: {
      la: r.dest_la,
      laName: r.dest_la_name,
      school: r.dest_school,
      schoolName: r.dest_school_name,
      inbox: r.dest_inbox,
    },
  }));
}

/** Every row of the report, read `pageSize` at a time: memory stays the same however many there are. */
export function streamMovements(
  db: Executor,
  query: MovementQuery,
  pageSize: number,
): AsyncGenerator<MovementRow> {
  return keysetRows<MovementRow, MovementCursor>(
    (after, limit) => readMovements(db, query, { after, limit }),
    (row) => ({ uploadedAt: row.uploadedAt, filename: row.filename, id: row.id }),
    pageSize,
  );
}
