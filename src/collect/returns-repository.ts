// The census returns' SQL: each version loaded, its findings (errors and queries, with the school's
// answers), and its history.
import { randomUUID } from 'node:crypto';
import type { Transaction } from 'kysely';
import { serialiseOn } from '../platform/db/database.ts';
import { rowsInserted } from '../platform/db/insert-once.ts';
import { type Columns, insertRows } from '../platform/db/rows-table.ts';
import type {
  CensusReturnEventRow,
  CensusReturnEventTable,
  CensusReturnFindingRow,
  CensusReturnFindingTable,
  CensusReturnRow,
  CensusReturnStatus,
  CensusReturnTable,
  Database,
  Executor,
} from '../platform/db/schema.ts';
import type { Finding } from './validate.ts';

export type NewEvent = Omit<CensusReturnEventTable, 'id'>;

/**
 * Records an event of a return's history, with the id given (a form's, for a note) or a new one; false,
 * recording nothing, when one with that id is there already.
 */
export async function recordEvent(
  db: Executor,
  event: NewEvent,
  id: string = randomUUID(),
): Promise<boolean> {
  const result = await db
    .insertInto('census_return_events')
    .values({ id, ...event })
    .onConflict((oc) => oc.column('id').doNothing())
    .executeTakeFirst();
  return rowsInserted(result) === 1;
}

export async function findEvent(db: Executor, id: string): Promise<CensusReturnEventRow | undefined> {
  return db.selectFrom('census_return_events').selectAll().where('id', '=', id).executeTakeFirst();
}

/** The school's latest version in a collection, whatever its status. */
export async function currentReturn(
  db: Executor,
  collectionId: string,
  establishment: string,
): Promise<CensusReturnRow | undefined> {
  return db
    .selectFrom('census_returns')
    .selectAll()
    .where('collection_id', '=', collectionId)
    .where('establishment_number', '=', establishment)
    .orderBy('version', 'desc')
    .limit(1)
    .executeTakeFirst();
}

/** Every version of the school's return in a collection, the latest first. */
export async function versionsOf(
  db: Executor,
  collectionId: string,
  establishment: string,
): Promise<CensusReturnRow[]> {
  return db
    .selectFrom('census_returns')
    .selectAll()
    .where('collection_id', '=', collectionId)
    .where('establishment_number', '=', establishment)
    .orderBy('version', 'desc')
    .execute();
}

/** The school's version in the collection just before `version`, if any. */
export async function versionBefore(
  db: Executor,
  version: Pick<CensusReturnRow, 'collection_id' | 'establishment_number' | 'version'>,
): Promise<CensusReturnRow | undefined> {
  return db
    .selectFrom('census_returns')
    .selectAll()
    .where('collection_id', '=', version.collection_id)
    .where('establishment_number', '=', version.establishment_number)
    .where('version', '<', version.version)
    .orderBy('version', 'desc')
    .limit(1)
    .executeTakeFirst();
}

export async function findReturn(db: Executor, id: string): Promise<CensusReturnRow | undefined> {
  return db.selectFrom('census_returns').selectAll().where('id', '=', id).executeTakeFirst();
}

/**
 * Marks a version replaced by a later one, unless it is replaced already or approved, as it is now in
 * the database (`seen` may be out of date: an LA approving it while the school loads another, on
 * PostgreSQL). Returns the version with the status it had when the new one came: approved if an LA
 * approved it meanwhile.
 */
export async function replaceVersion(
  db: Executor,
  seen: CensusReturnRow,
  at: string,
): Promise<CensusReturnRow> {
  if (seen.status === 'replaced' || seen.status === 'approved') return seen;
  const result = await db
    .updateTable('census_returns')
    .set({ status: 'replaced', replaced_at: at })
    .where('id', '=', seen.id)
    .where('status', 'not in', ['replaced', 'approved'])
    .executeTakeFirst();
  if (Number(result.numUpdatedRows) === 1) return seen;
  return (await findReturn(db, seen.id)) as CensusReturnRow;
}

/**
 * Makes any other transaction that takes the lock of this school's return in this collection wait until
 * this one ends: a load's recording transaction takes it before it reads the current version again, so
 * two loads at once record their versions one after the other (database.ts, serialiseOn).
 */
export async function lockSchoolReturn(
  tx: Transaction<Database>,
  collectionId: string,
  establishment: string,
): Promise<void> {
  await serialiseOn(tx, `census-return:${collectionId}:${establishment}`);
}

/**
 * Records a new version: the one before it (if any) is marked replaced, unless it is the approved one,
 * which the DfE holds until a later version is approved (replaceEarlierApproved). The version number is
 * one more than the last: a load holds the school's lock (lockSchoolReturn) so that no other load takes
 * the same number, which the unique (collection, school, version) index would refuse.
 */
export async function insertVersion(
  db: Executor,
  row: Omit<CensusReturnTable, 'version' | 'status' | 'submitted_at' | 'approved_at' | 'replaced_at'>,
  findings: Finding[],
): Promise<{ version: number; replaced: CensusReturnRow | undefined }> {
  const current = await currentReturn(db, row.collection_id, row.establishment_number);
  const previous = current && (await replaceVersion(db, current, row.uploaded_at));
  const version = (previous?.version ?? 0) + 1;
  await db
    .insertInto('census_returns')
    .values({ ...row, version, status: 'loaded', submitted_at: null, approved_at: null, replaced_at: null })
    .execute();
  if (findings.length > 0) {
    // One statement whatever their number: a return with thousands of findings went past the engines'
    // limits on a statement's parameters (about 2,300 findings on SQLite) as a VALUES list.
    await insertRows(
      db,
      'census_return_findings',
      FINDING_COLUMNS,
      findings.map((finding, position) => ({
        id: randomUUID(),
        return_id: row.id,
        position,
        rule: finding.rule,
        kind: finding.kind,
        level: finding.level,
        message: finding.message,
        guidance: finding.guidance,
        detail: finding.detail,
        messages: JSON.stringify(finding.messages),
        pupils: JSON.stringify(finding.pupils),
      })),
    );
  }
  return { version, replaced: previous };
}

/** The columns of a new finding (its answer comes later). */
const FINDING_COLUMNS = {
  id: 'text',
  return_id: 'text',
  position: 'integer',
  rule: 'text',
  kind: 'text',
  level: 'text',
  message: 'text',
  guidance: 'text',
  detail: 'text',
  messages: 'text',
  pupils: 'text',
} as const satisfies Columns<CensusReturnFindingTable>;

/**
 * Moves a version from one status to another, only if it is still in one of the expected statuses: false
 * when someone else got there first (a new upload, which marks it replaced, or the LA's decision).
 */
export async function moveStatus(
  db: Executor,
  id: string,
  from: CensusReturnStatus[],
  to: CensusReturnStatus,
  stamps: Partial<Pick<CensusReturnTable, 'submitted_at' | 'approved_at'>> = {},
): Promise<boolean> {
  const result = await db
    .updateTable('census_returns')
    .set({ status: to, ...stamps })
    .where('id', '=', id)
    .where('status', 'in', from)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

/**
 * The version approved before `version` (of the same school and collection), if one is still held, is
 * replaced by it: only one version of a school's return is approved at a time.
 */
export async function replaceEarlierApproved(
  db: Executor,
  version: Pick<CensusReturnRow, 'id' | 'collection_id' | 'establishment_number'>,
  at: string,
): Promise<void> {
  await db
    .updateTable('census_returns')
    .set({ status: 'replaced', replaced_at: at })
    .where('collection_id', '=', version.collection_id)
    .where('establishment_number', '=', version.establishment_number)
    .where('status', '=', 'approved')
    .where('id', '!=', version.id)
    .execute();
}

export async function findingsOf(db: Executor, returnId: string): Promise<CensusReturnFindingRow[]> {
  return db
    .selectFrom('census_return_findings')
    .selectAll()
    .where('return_id', '=', returnId)
    .orderBy('position')
    .execute();
}

export async function findFinding(
  db: Executor,
  returnId: string,
  findingId: string,
): Promise<CensusReturnFindingRow | undefined> {
  return db
    .selectFrom('census_return_findings')
    .selectAll()
    .where('return_id', '=', returnId)
    .where('id', '=', findingId)
    .executeTakeFirst();
}

export async function answerFinding(
  db: Executor,
  findingId: string,
  answer: string,
  by: string,
  at: string,
): Promise<void> {
  await db
    .updateTable('census_return_findings')
    .set({ answer, answered_by: by, answered_at: at })
    .where('id', '=', findingId)
    .execute();
}

export async function unansweredQueries(db: Executor, returnId: string): Promise<number> {
  const row = await db
    .selectFrom('census_return_findings')
    .select((eb) => eb.fn.countAll<string | number>().as('n'))
    .where('return_id', '=', returnId)
    .where('kind', '=', 'query')
    .where('answer', 'is', null)
    .executeTakeFirst();
  return Number(row?.n ?? 0);
}

export async function eventsOf(db: Executor, returnIds: string[]): Promise<CensusReturnEventRow[]> {
  if (returnIds.length === 0) return [];
  return db
    .selectFrom('census_return_events')
    .selectAll()
    .where('return_id', 'in', returnIds)
    .orderBy('at')
    .orderBy('id')
    .execute();
}

/**
 * For the schools of an LA, the versions of their returns in a collection that are not replaced: each
 * school's current version and, when a later one was loaded after its approval, its approved version.
 */
export async function liveReturnsOfLa(
  db: Executor,
  collectionId: string,
  la: string,
): Promise<CensusReturnRow[]> {
  return db
    .selectFrom('census_returns as r')
    .selectAll('r')
    .where('r.collection_id', '=', collectionId)
    .where('r.la_number', '=', la)
    .where('r.status', '!=', 'replaced')
    .execute();
}

/**
 * For each school of a collection, its latest approved version: what the collector sees. A version
 * replaced after its approval stays approved until a later one is approved.
 */
export async function approvedReturns(db: Executor, collectionId: string): Promise<CensusReturnRow[]> {
  return db
    .selectFrom('census_returns as r')
    .selectAll('r')
    .where('r.collection_id', '=', collectionId)
    .where('r.approved_at', 'is not', null)
    .where(({ not, exists, selectFrom }) =>
      not(
        exists(
          selectFrom('census_returns as later')
            .select('later.id')
            .whereRef('later.collection_id', '=', 'r.collection_id')
            .whereRef('later.establishment_number', '=', 'r.establishment_number')
            .where('later.approved_at', 'is not', null)
            .whereRef('later.version', '>', 'r.version'),
        ),
      ),
    )
    .orderBy('r.la_number')
    .orderBy('r.establishment_number')
    .execute();
}

/** For each collection with some, how many returns of an LA's schools (or of one school) are in a status. */
export async function countReturnsByCollection(
  db: Executor,
  where:
    | { laNumber: string; status: CensusReturnStatus }
    | { establishment: string; status: CensusReturnStatus },
): Promise<{ collectionId: string; name: string; count: number }[]> {
  const rows = await db
    .selectFrom('census_returns as r')
    .innerJoin('data_collections as c', 'c.id', 'r.collection_id')
    .select(['c.id', 'c.name', (eb) => eb.fn.countAll<string | number>().as('n')])
    .where('r.status', '=', where.status)
    .where((eb) =>
      'laNumber' in where
        ? eb('r.la_number', '=', where.laNumber)
        : eb('r.establishment_number', '=', where.establishment),
    )
    .groupBy(['c.id', 'c.name'])
    .orderBy('c.name')
    .execute();
  return rows.map((row) => ({ collectionId: row.id, name: row.name, count: Number(row.n) }));
}
