// The data collections' SQL: the collections, the LAs taking part, and what a user's organisation takes
// part in (My Data Collections).
import type { Transaction } from 'kysely';
import { heldUntilCommit, serialiseOn } from '../platform/db/database.ts';
import { rowsInserted } from '../platform/db/insert-once.ts';
import type { Database, DataCollectionRow, DataCollectionTable, Executor } from '../platform/db/schema.ts';
import type { Window } from '../platform/paging.ts';

export type NewCollection = Omit<DataCollectionTable, 'closed_at' | 'updated_at'>;

/** Writes the collection and its LAs; false, writing nothing, when one with its id is there already. */
export async function insertCollection(db: Executor, row: NewCollection, las: string[]): Promise<boolean> {
  const result = await db
    .insertInto('data_collections')
    .values({ ...row, closed_at: null, updated_at: row.created_at })
    .onConflict((oc) => oc.column('id').doNothing())
    .executeTakeFirst();
  if (rowsInserted(result) !== 1) return false;
  await replaceLas(db, row.id, las);
  return true;
}

export async function updateCollection(
  db: Executor,
  id: string,
  changes: Partial<Omit<DataCollectionTable, 'id' | 'created_by' | 'created_at'>>,
  las?: string[],
): Promise<void> {
  await db.updateTable('data_collections').set(changes).where('id', '=', id).execute();
  if (las) await replaceLas(db, id, las);
}

/**
 * Closes the collection (`closedAt` a time) or opens it again (null), only if it is open (or closed) now:
 * false, changing nothing, when it is so already (closed or opened meanwhile by another request).
 */
export async function setCollectionClosed(
  db: Executor,
  id: string,
  closedAt: string | null,
  updatedAt: string,
): Promise<boolean> {
  const result = await db
    .updateTable('data_collections')
    .set({ closed_at: closedAt, updated_at: updatedAt })
    .where('id', '=', id)
    .where('closed_at', closedAt === null ? 'is not' : 'is', null)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

/**
 * Makes any other transaction that takes the lock of this collection wait until this one ends: a change
 * of the collection takes it before it reads the collection again, so two at once save one after the
 * other (database.ts, serialiseOn).
 */
export async function lockCollection(tx: Transaction<Database>, id: string): Promise<void> {
  await serialiseOn(tx, `data-collection:${id}`);
}

async function replaceLas(db: Executor, id: string, las: string[]): Promise<void> {
  await db.deleteFrom('data_collection_las').where('collection_id', '=', id).execute();
  if (las.length > 0) {
    await db
      .insertInto('data_collection_las')
      .values(las.map((la_number) => ({ collection_id: id, la_number })))
      .execute();
  }
}

export async function findCollection(db: Executor, id: string): Promise<DataCollectionRow | undefined> {
  return db.selectFrom('data_collections').selectAll().where('id', '=', id).executeTakeFirst();
}

/**
 * The collection, held against change (a close) until `tx` commits: what a load checks before it records
 * a return, so that no return is recorded into a collection once its close has committed. A close
 * (setClosed's update) waits for the loads that read it open; a load waits for a close not yet committed,
 * then reads the collection closed.
 */
export async function findCollectionHeld(
  tx: Transaction<Database>,
  id: string,
): Promise<DataCollectionRow | undefined> {
  return heldUntilCommit(
    tx,
    tx.selectFrom('data_collections').selectAll().where('id', '=', id),
  ).executeTakeFirst();
}

export async function collectionLas(db: Executor, id: string): Promise<string[]> {
  const rows = await db
    .selectFrom('data_collection_las')
    .select('la_number')
    .where('collection_id', '=', id)
    .orderBy('la_number')
    .execute();
  return rows.map((row) => row.la_number);
}

/** The LAs whose schools (or the LA for them) have loaded returns into a collection. */
export async function lasWithReturns(db: Executor, id: string): Promise<string[]> {
  const rows = await db
    .selectFrom('census_returns')
    .select('la_number')
    .distinct()
    .where('collection_id', '=', id)
    .orderBy('la_number')
    .execute();
  return rows.map((row) => row.la_number);
}

/** Whether the schools of an LA take part in a collection. */
export async function laTakesPart(db: Executor, collection: DataCollectionRow, la: string): Promise<boolean> {
  if (collection.all_las === 1) return true;
  const row = await db
    .selectFrom('data_collection_las')
    .select('la_number')
    .where('collection_id', '=', collection.id)
    .where('la_number', '=', la)
    .executeTakeFirst();
  return row !== undefined;
}

/** Every collection, the latest due first: the collector's list. */
export async function listCollections(
  db: Executor,
  page: Window,
): Promise<{ rows: DataCollectionRow[]; total: number }> {
  const [rows, count] = await Promise.all([
    db
      .selectFrom('data_collections')
      .selectAll()
      .orderBy('due_date', 'desc')
      .orderBy('name')
      .orderBy('id')
      .limit(page.limit)
      .offset(page.offset)
      .execute(),
    db
      .selectFrom('data_collections')
      .select((eb) => eb.fn.countAll<string | number>().as('n'))
      .executeTakeFirst(),
  ]);
  return { rows, total: Number(count?.n ?? 0) };
}

/** The collections the schools of an LA take part in (the SQL form of laTakesPart). */
function ofLa(db: Executor, la: string) {
  return db
    .selectFrom('data_collections')
    .where((eb) =>
      eb.or([
        eb('all_las', '=', 1),
        eb.exists(
          eb
            .selectFrom('data_collection_las')
            .select('la_number')
            .whereRef('data_collection_las.collection_id', '=', 'data_collections.id')
            .where('data_collection_las.la_number', '=', la),
        ),
      ]),
    );
}

/** The collections the schools of an LA take part in, the latest due first. */
export async function listCollectionsOfLa(
  db: Executor,
  la: string,
  page: Window,
): Promise<{ rows: DataCollectionRow[]; total: number }> {
  const ofLaQuery = ofLa(db, la);
  const [rows, count] = await Promise.all([
    ofLaQuery
      .selectAll()
      .orderBy('due_date', 'desc')
      .orderBy('name')
      .orderBy('id')
      .limit(page.limit)
      .offset(page.offset)
      .execute(),
    ofLaQuery.select((eb) => eb.fn.countAll<string | number>().as('n')).executeTakeFirst(),
  ]);
  return { rows, total: Number(count?.n ?? 0) };
}

/** The collections of a term and year an LA's schools take part in, open by `today` and not closed. */
export async function openCollectionsOfLa(
  db: Executor,
  la: string,
  query: { term: DataCollectionRow['term']; year: string; today: string },
): Promise<DataCollectionRow[]> {
  return ofLa(db, la)
    .selectAll()
    .where('term', '=', query.term)
    .where('year', '=', query.year)
    .where('closed_at', 'is', null)
    .where('open_date', '<=', query.today)
    .orderBy('due_date')
    .orderBy('id')
    .execute();
}
