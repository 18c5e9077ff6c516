// The SQL behind Download, Previously Downloaded Files, View / Remove Files and the purge job. Each
// function takes an Executor, so the services compose them in one transaction. Who may see a row is
// decided twice: here, in the WHERE clause, and again in the services with parties.ts.
import { type ExpressionBuilder, sql, type Updateable } from 'kysely';
import { inCharacterOrder, toCount } from '../platform/db/database.ts';
import type {
  Database,
  Executor,
  TransferRow,
  TransferStatus,
  TransferTable,
} from '../platform/db/schema.ts';
import type { Window } from '../platform/paging.ts';
import type { SortOrder } from './download-listing.ts';
import type { ActorParty } from './parties.ts';

type TransfersExpression = ExpressionBuilder<Database, 'transfers'>;

/** The rows addressed to a party (the SQL form of isRecipient). */
function addressedTo(party: ActorParty) {
  return (eb: TransfersExpression) => {
    switch (party.kind) {
      case 'school':
        return eb.and([eb('dest_kind', '=', 'school'), eb('dest_school', '=', party.establishmentNumber)]);
      case 'la':
        return eb.and([eb('dest_kind', '=', 'la'), eb('dest_la', '=', party.laNumber)]);
      case 'la-inbox': {
        const toInbox = eb.and([
          eb('dest_kind', '=', 'la-inbox'),
          eb('dest_la', '=', party.laNumber),
          eb('dest_inbox', '=', party.inbox),
        ]);
        if (party.inbox !== 'PLAS') return toInbox;
        // Census returns (LEALLyy) are the LA PLASC role's to collect.
        const censusToLa = eb.and([
          eb('kind', '=', 'census'),
          eb('dest_kind', '=', 'la'),
          eb('dest_la', '=', party.laNumber),
        ]);
        return eb.or([toInbox, censusToLa]);
      }
    }
  };
}

/** The rows a party sent (the SQL form of isSender). */
function sentBy(party: ActorParty) {
  return (eb: TransfersExpression) => {
    switch (party.kind) {
      case 'school':
        return eb('source_school', '=', party.establishmentNumber);
      case 'la':
        return eb.and([
          eb('source_la', '=', party.laNumber),
          eb('source_school', 'is', null),
          eb('source_inbox', 'is', null),
        ]);
      case 'la-inbox':
        return eb.and([
          eb('source_la', '=', party.laNumber),
          eb('source_school', 'is', null),
          eb('source_inbox', '=', party.inbox),
        ]);
    }
  };
}

export interface IncomingQuery {
  categories: readonly string[];
  status: TransferStatus;
  /** Only files last downloaded after this instant (ISO), whose content is still held. */
  downloadedAfter?: string;
}

/** Files addressed to a party, oldest upload first (the services sort for display). */
export async function listIncoming(
  db: Executor,
  party: ActorParty,
  query: IncomingQuery,
): Promise<TransferRow[]> {
  if (query.categories.length === 0) return [];
  let q = db
    .selectFrom('transfers')
    .selectAll()
    .where(addressedTo(party))
    .where('status', '=', query.status)
    .where('category', 'in', query.categories);
  if (query.downloadedAfter !== undefined) {
    q = q.where('last_downloaded_at', '>', query.downloadedAfter).where('storage_key', 'is not', null);
  }
  return q.orderBy('uploaded_at').orderBy('id').execute();
}

/**
 * The names (upper-cased) of the CTFs s2s still holds for a school: waiting for it, awaiting their virus
 * scan, or collected and still offered again (content not yet purged). A forward gives its new file a
 * name none of these has (forward-service.ts), so the school never holds two files of one name.
 */
export async function ctfNamesHeldFor(db: Executor, establishmentNumber: string): Promise<Set<string>> {
  const rows = await db
    .selectFrom('transfers')
    .select('filename')
    .where('dest_kind', '=', 'school')
    .where('dest_school', '=', establishmentNumber)
    .where('category', '=', 'ctf')
    .where((eb) =>
      eb.or([
        eb('status', 'in', ['available', 'pending-scan']),
        eb.and([eb('status', '=', 'collected'), eb('storage_key', 'is not', null)]),
      ]),
    )
    .execute();
  return new Set(rows.map((row) => row.filename.toUpperCase()));
}

/**
 * Files a party sent, in the given states and categories, oldest upload first; `lostPupils` true for
 * those sent to the Lost Pupils Database only, false for the others only, absent for both.
 */
export async function listOutgoing(
  db: Executor,
  party: ActorParty,
  query: { categories: readonly string[]; statuses: readonly TransferStatus[]; lostPupils?: boolean },
): Promise<TransferRow[]> {
  if (query.categories.length === 0 || query.statuses.length === 0) return [];
  let q = db
    .selectFrom('transfers')
    .selectAll()
    .where(sentBy(party))
    .where('status', 'in', query.statuses)
    .where('category', 'in', query.categories);
  if (query.lostPupils !== undefined) {
    q = q.where('dest_kind', query.lostPupils ? '=' : '!=', 'lost-pupils');
  }
  return q.orderBy('uploaded_at').orderBy('id').execute();
}

/**
 * How many files addressed to a party are in a state, per category (the counts of the Download lists
 * listIncoming fills). Categories with none are left out.
 */
export async function countIncoming(
  db: Executor,
  party: ActorParty,
  query: { categories: readonly string[]; status: TransferStatus },
): Promise<Map<string, number>> {
  if (query.categories.length === 0) return new Map();
  const rows = await db
    .selectFrom('transfers')
    .select((eb) => ['category', eb.fn.countAll().as('n')])
    .where(addressedTo(party))
    .where('status', '=', query.status)
    .where('category', 'in', query.categories)
    .groupBy('category')
    .execute();
  return new Map(rows.map((row) => [row.category, Number(row.n)]));
}

/** How many files a party sent were rejected after an instant (ISO), in the given categories. */
export async function countRejectedOutgoing(
  db: Executor,
  party: ActorParty,
  query: { categories: readonly string[]; rejectedAfter: string },
): Promise<number> {
  if (query.categories.length === 0) return 0;
  const row = await db
    .selectFrom('transfers')
    .select((eb) => eb.fn.countAll().as('n'))
    .where(sentBy(party))
    .where('status', '=', 'rejected')
    .where('category', 'in', query.categories)
    .where('rejected_at', '>', query.rejectedAfter)
    .executeTakeFirst();
  return Number(row?.n ?? 0);
}

/**
 * Changes a transfer only if it is still in one of the states it was read in: two people acting on one
 * file at once (a sender removing it while the recipient rejects it) cannot both succeed.
 */
export async function updateTransferIfStatus(
  db: Executor,
  id: string,
  from: readonly TransferStatus[],
  changes: Updateable<TransferTable>,
  /** Also only while the row still names this content: not let go by the purge job since it was read. */
  storageKey?: string,
): Promise<boolean> {
  let update = db.updateTable('transfers').set(changes).where('id', '=', id).where('status', 'in', from);
  if (storageKey !== undefined) update = update.where('storage_key', '=', storageKey);
  const result = await update.executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

/**
 * Records a download of a file as it was read (its status and the content then opened): nothing when
 * either has changed since, a file removed, collected, rejected or forwarded meanwhile, or its content
 * let go by the purge job, which records that before it deletes (jobs.ts). Of two downloads at once,
 * whichever is recorded last, the earlier stays the first download and the later the last, with who made
 * it (the 7 days of downloading again run from the last).
 */
export async function recordDownload(
  db: Executor,
  read: Pick<TransferRow, 'id' | 'status' | 'storage_key'>,
  at: string,
  userId: string,
): Promise<boolean> {
  if (read.storage_key === null) return false;
  const result = await db
    .updateTable('transfers')
    .set((eb) => {
      // The columns on the right are the row's before this update, on both engines.
      const isLast = eb.or([eb('last_downloaded_at', 'is', null), eb('last_downloaded_at', '<', at)]);
      return {
        first_downloaded_at: eb
          .case()
          .when(eb.or([eb('first_downloaded_at', 'is', null), eb('first_downloaded_at', '>', at)]))
          .then(at)
          .else(eb.ref('first_downloaded_at'))
          .end(),
        last_downloaded_at: eb.case().when(isLast).then(at).else(eb.ref('last_downloaded_at')).end(),
        downloaded_by: eb.case().when(isLast).then(userId).else(eb.ref('downloaded_by')).end(),
      };
    })
    .where('id', '=', read.id)
    .where('status', '=', read.status)
    .where('storage_key', '=', read.storage_key)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

export interface OrganisationNames {
  schools: Map<string, string>;
  las: Map<string, string>;
}

/** The names of the schools and LAs the given rows name, for listings and emails. */
export async function organisationNames(
  db: Executor,
  rows: Pick<TransferRow, 'source_la' | 'source_school' | 'dest_la' | 'dest_school'>[],
): Promise<OrganisationNames> {
  const schoolNumbers = new Set<string>();
  const laNumbers = new Set<string>();
  for (const row of rows) {
    if (row.source_school) schoolNumbers.add(row.source_school);
    if (row.dest_school) schoolNumbers.add(row.dest_school);
    laNumbers.add(row.source_la);
    if (row.dest_la) laNumbers.add(row.dest_la);
  }
  const names: OrganisationNames = { schools: new Map(), las: new Map() };
  const schools = [...schoolNumbers];
  for (let start = 0; start < schools.length; start += 500) {
    const found = await db
      .selectFrom('establishments')
      .select(['number', 'name'])
      .where('number', 'in', schools.slice(start, start + 500))
      .execute();
    for (const school of found) names.schools.set(school.number, school.name);
  }
  if (laNumbers.size > 0) {
    const found = await db
      .selectFrom('local_authorities')
      .select(['number', 'name'])
      .where('number', 'in', [...laNumbers])
      .execute();
    for (const la of found) names.las.set(la.number, la.name);
  }
  return names;
}

export interface PurgeCutoffs {
  /** Collected files last downloaded before this instant (ISO). */
  collectedBefore: string;
  /** Rejected files rejected before this instant (ISO). */
  rejectedBefore: string;
}

export type PurgeCandidate = Pick<
  TransferRow,
  | 'id'
  | 'filename'
  | 'category'
  | 'status'
  | 'storage_key'
  | 'dest_kind'
  | 'dest_la'
  | 'dest_school'
  | 'last_downloaded_at'
  | 'collected_at'
  | 'rejected_at'
  | 'removed_at'
>;

/** The copies forwarded from the transfer of the outer query (forward-service.ts). */
function copiesOf(eb: TransfersExpression) {
  return eb
    .selectFrom('transfers as copy')
    .select('copy.id')
    .whereRef('copy.forwarded_from', '=', 'transfers.id');
}

/** The files whose content is no longer needed (the SQL form of contentDue, jobs.ts), held or not. */
function dueForPurge(cutoffs: PurgeCutoffs) {
  return (eb: TransfersExpression) =>
    eb.or([
      // Collected: 7 days after its last download, when it can no longer be downloaded again, however
      // long after the download its recipient said it was downloaded correctly. A file that was
      // forwarded (an LA's own file, or a lost pupil's, downloaded weeks before) is kept 7 days from
      // the later of that and its collection; one never downloaded, 7 days from its collection.
      eb.and([
        eb('status', '=', 'collected'),
        eb.or([eb('last_downloaded_at', 'is not', null), eb('collected_at', 'is not', null)]),
        eb.or([
          eb('last_downloaded_at', 'is', null),
          eb('last_downloaded_at', '<=', cutoffs.collectedBefore),
        ]),
        eb.or([
          eb('collected_at', 'is', null),
          eb('collected_at', '<=', cutoffs.collectedBefore),
          eb.and([eb('last_downloaded_at', 'is not', null), eb.not(eb.exists(copiesOf(eb)))]),
        ]),
      ]),
      eb.and([eb('status', '=', 'rejected'), eb('rejected_at', '<=', cutoffs.rejectedBefore)]),
      eb('status', '=', 'removed'),
      eb('status', '=', 'quarantined'),
    ]);
}

/**
 * Files whose content is still held but no longer needed, in id order after `afterId`: collected and
 * past the re-download window, rejected and past the rejected window, and removed or quarantined (at
 * once: removal and quarantine delete the content themselves, so these are only deletions that failed
 * part-way).
 */
export async function purgeCandidates(
  db: Executor,
  cutoffs: PurgeCutoffs,
  afterId: string,
  limit: number,
): Promise<PurgeCandidate[]> {
  return db
    .selectFrom('transfers')
    .select([
      'id',
      'filename',
      'category',
      'status',
      'storage_key',
      'dest_kind',
      'dest_la',
      'dest_school',
      'last_downloaded_at',
      'collected_at',
      'rejected_at',
      'removed_at',
    ])
    .where('storage_key', 'is not', null)
    .where('id', '>', afterId)
    .where(dueForPurge(cutoffs))
    .orderBy('id')
    .limit(limit)
    .execute();
}

/**
 * Records that a file's content is let go, before it is deleted (purgeContent, jobs.ts): the keys are
 * forgotten, and so are its pupils' details (UPN, names, date of birth: read from the content, kept no
 * longer than it); the metadata stays, with the number of pupils, for reports and the audit log. Only
 * while the row still names that content and is still due by `cutoffs`: a download again recorded since
 * the job found it due keeps it. Run it in the transaction that records the purge.
 */
export async function markPurged(
  db: Executor,
  id: string,
  storageKey: string,
  at: string,
  cutoffs: PurgeCutoffs,
): Promise<boolean> {
  const result = await db
    .updateTable('transfers')
    .set({ storage_key: null, wrapped_key: null, purged_at: at })
    .where('id', '=', id)
    .where('storage_key', '=', storageKey)
    .where(dueForPurge(cutoffs))
    .executeTakeFirst();
  if (Number(result.numUpdatedRows) !== 1) return false;
  await db.deleteFrom('transfer_pupils').where('transfer_id', '=', id).execute();
  return true;
}

// ---------------------------------------------------------------------------------------------------
// The LA's CTF views (LA notes §5.3; la-monitor-service.ts): the CTFs that start or end in an LA. An
// end is "in the LA" when it is one of the LA's schools or the LA itself (LEALLLL); the PLASC and
// admissions inboxes never send or receive CTFs. The service checks each row again with laTabOf.

/** The tabs of an LA's CTF monitoring page. */
export type LaCtfTab = 'within' | 'incoming' | 'outgoing';

/** Sent by one of the LA's schools or by the LA itself. */
function fromLa(laNumber: string) {
  return (eb: TransfersExpression) =>
    eb.and([eb('source_la', '=', laNumber), eb('source_inbox', 'is', null)]);
}

/** Addressed to one of the LA's schools or to the LA itself. */
function toLa(laNumber: string) {
  return (eb: TransfersExpression) =>
    eb.and([eb('dest_la', '=', laNumber), eb('dest_kind', 'in', ['school', 'la'])]);
}

/** The negation of fromLa, written out: NOT over a NULL column would drop the row. */
function notFromLa(laNumber: string) {
  return (eb: TransfersExpression) =>
    eb.or([eb('source_la', '!=', laNumber), eb('source_inbox', 'is not', null)]);
}

/** The negation of toLa, written out (lost-pupil files have no dest_la). */
function notToLa(laNumber: string) {
  return (eb: TransfersExpression) =>
    eb.or([
      eb('dest_la', 'is', null),
      eb('dest_la', '!=', laNumber),
      eb('dest_kind', 'not in', ['school', 'la']),
    ]);
}

/** One tab of an LA's CTFs in one state; `lostPupils` false leaves out the files sent to the database. */
export interface LaCtfQuery {
  tab: LaCtfTab;
  status: TransferStatus;
  lostPupils: boolean;
}

/**
 * The CTFs of one tab in one state. Every column these compare is in transfers_la_ctfs_to (the LA's
 * schools' and its own incoming files, within or from outside) and transfers_la_ctfs_from (its outgoing
 * ones), migration 049, in the order of upload time, so a page and the count are read from them alone.
 */
function laCtfsIn(db: Executor, laNumber: string, query: LaCtfQuery) {
  let q = db.selectFrom('transfers').where('category', '=', 'ctf').where('status', '=', query.status);
  if (!query.lostPupils) q = q.where('dest_kind', '!=', 'lost-pupils');
  switch (query.tab) {
    case 'within':
      return q.where(fromLa(laNumber)).where(toLa(laNumber));
    case 'incoming':
      return q.where(toLa(laNumber)).where(notFromLa(laNumber));
    case 'outgoing':
      return q.where(fromLa(laNumber)).where(notToLa(laNumber));
  }
}

/** What an LA's CTF list is sorted by in memory: a few columns of each file, to read a page of in full. */
const LA_CTF_KEY_COLUMNS = [
  'id',
  'filename',
  'uploaded_at',
  'category',
  'source_la',
  'source_school',
  'source_inbox',
  'dest_la',
  'dest_kind',
  'dest_school',
  'dest_inbox',
  'lost_reason',
] as const;
export type LaCtfKey = Pick<TransferRow, (typeof LA_CTF_KEY_COLUMNS)[number]>;

/**
 * Every CTF of one tab in one state, oldest upload first, by their keys only: for the sorts by school,
 * whose names the service sorts (a collected tab holds every collected CTF of the LA's, for years).
 */
export async function listLaCtfs(db: Executor, laNumber: string, query: LaCtfQuery): Promise<LaCtfKey[]> {
  return laCtfsIn(db, laNumber, query)
    .select(LA_CTF_KEY_COLUMNS)
    .orderBy('uploaded_at')
    .orderBy('id')
    .execute();
}

/** The sorts of an LA's CTF list the database gives: by file name and by upload time. */
export interface LaCtfOrder {
  key: 'file' | 'uploaded';
  order: SortOrder;
}

/**
 * The ids of one window of a tab in the list's order (sortListings): by upload time, or by file name
 * ignoring case and then oldest first; ties by id, ascending whichever way the column is sorted. Names
 * are compared upper-cased character by character, as the lists compare them: CTF names are ASCII
 * (filenames.ts refuses anything else), which SQLite's upper() covers, and inCharacterOrder keeps
 * PostgreSQL from a locale's order. Upload times (toISOString, one format) and ids (UUIDs, lower case)
 * differ only in digits and letters at the same places, which a locale's collation orders as characters.
 */
export function laCtfPageQuery(
  db: Executor,
  laNumber: string,
  query: LaCtfQuery,
  sort: LaCtfOrder,
  window: Window,
) {
  const direction = sort.order === 'ascending' ? 'asc' : 'desc';
  const ids = laCtfsIn(db, laNumber, query).select('id');
  const ordered =
    sort.key === 'file'
      ? ids.orderBy(inCharacterOrder(db, sql<string>`upper(filename)`), direction).orderBy('uploaded_at')
      : ids.orderBy('uploaded_at', direction);
  return ordered.orderBy('id').limit(window.limit).offset(window.offset);
}

/** The ids of one window of a tab, in the list's order (laCtfPageQuery). */
export async function listLaCtfPage(
  db: Executor,
  laNumber: string,
  query: LaCtfQuery,
  sort: LaCtfOrder,
  window: Window,
): Promise<string[]> {
  const rows = await laCtfPageQuery(db, laNumber, query, sort, window).execute();
  return rows.map((row) => row.id);
}

/** How many CTFs one tab holds in one state. */
export async function countLaCtfs(db: Executor, laNumber: string, query: LaCtfQuery): Promise<number> {
  const row = await laCtfsIn(db, laNumber, query)
    .select((eb) => eb.fn.countAll<string | number>().as('n'))
    .executeTakeFirst();
  return toCount(row?.n);
}

/** A forwarded copy its destination rejected, with the name of the file it was made from. */
export type RejectedForward = Pick<
  TransferRow,
  | 'id'
  | 'filename'
  | 'rejected_at'
  | 'reject_reason'
  | 'source_la'
  | 'source_school'
  | 'dest_la'
  | 'dest_kind'
  | 'dest_school'
  | 'dest_inbox'
  | 'lost_reason'
> & { original_filename: string };

/**
 * The CTFs the LA forwarded (forward-service.ts records its number on the copy) that their destination
 * rejected at or after `since` (ISO), the latest rejection first: read by transfers_forwarding_la, the LA's
 * own copies only, however many the country has.
 */
export function rejectedForwardsQuery(db: Executor, laNumber: string, since: string) {
  return db
    .selectFrom('transfers as c')
    .innerJoin('transfers as o', 'o.id', 'c.forwarded_from')
    .select([
      'c.id',
      'c.filename',
      'c.rejected_at',
      'c.reject_reason',
      'c.source_la',
      'c.source_school',
      'c.dest_la',
      'c.dest_kind',
      'c.dest_school',
      'c.dest_inbox',
      'c.lost_reason',
      'o.filename as original_filename',
    ])
    .where('c.forwarding_la', '=', laNumber)
    .where('c.status', '=', 'rejected')
    .where('c.rejected_at', '>=', since)
    .orderBy('c.rejected_at', 'desc')
    .orderBy('c.id');
}

export async function listRejectedForwards(
  db: Executor,
  laNumber: string,
  since: string,
): Promise<RejectedForward[]> {
  return rejectedForwardsQuery(db, laNumber, since).execute();
}

/** A forwarded copy in these statuses still waits for its school: not collected, rejected or removed. */
export const COPY_WAITING: readonly TransferStatus[] = ['available', 'pending-scan'];

/**
 * A forwarded copy in these statuses never reaches its school: rejected, removed by its sender, or
 * quarantined by the virus scan (lost-pupils/forwards.ts shows that as removed too).
 */
export const COPY_GONE: readonly TransferStatus[] = ['rejected', 'removed', 'quarantined'];

/**
 * The copy a file was forwarded as (forward-service.ts), by transfers_forwarded_from, other than `except`
 * when given; undefined if none. `onItsWay`: only a copy still waiting or collected, not one its school
 * rejected, its sender removed or the scan quarantined (a kept lost pupil's file is forwarded again then, decision 38).
 * `waiting`: only a copy its school has not collected yet (nor rejected, nor its sender removed).
 */
export async function copyForwardedFrom(
  db: Executor,
  originalId: string,
  except?: string,
  { onItsWay = false, waiting = false } = {},
): Promise<TransferRow | undefined> {
  let q = db.selectFrom('transfers').selectAll().where('forwarded_from', '=', originalId);
  if (except !== undefined) q = q.where('id', '!=', except);
  if (onItsWay) q = q.where('status', 'not in', COPY_GONE);
  if (waiting) q = q.where('status', 'in', COPY_WAITING);
  return q.orderBy('uploaded_at', 'desc').orderBy('id').executeTakeFirst();
}

/** These transfers, in no order. */
export async function transfersByIds(db: Executor, ids: readonly string[]): Promise<TransferRow[]> {
  if (ids.length === 0) return [];
  return db.selectFrom('transfers').selectAll().where('id', 'in', ids).execute();
}

/** CTFs waiting to be collected by the LA's schools or by the LA itself, from anywhere. */
export async function listAwaitingInLa(db: Executor, laNumber: string): Promise<TransferRow[]> {
  return db
    .selectFrom('transfers')
    .selectAll()
    .where('category', '=', 'ctf')
    .where('status', '=', 'available')
    .where(toLa(laNumber))
    .orderBy('uploaded_at')
    .orderBy('id')
    .execute();
}
