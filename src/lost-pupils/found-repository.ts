// The SQL of a record's changes outside the review: "found" (service.ts, matches-service.ts) when an LA
// downloaded its file and said it was downloaded correctly, forwarded it to one of its schools, or
// closed a match as the same pupil; "removed" when the school that sent the file removed it (View /
// Remove Files, while the record is lost: a found one is its LA's to remove, decision 79).
import type { ExpressionBuilder, Transaction } from 'kysely';
import { serialiseOn } from '../platform/db/database.ts';
import type { Database, Executor, LostPupilRow } from '../platform/db/schema.ts';

export interface Finding {
  /** ISO instant. */
  at: string;
  laNumber: string;
  userId: string;
}

/**
 * Makes the confirmations that a record's file was downloaded correctly run one after another from here
 * to the end of `tx`, so that the same answer posted twice at once finds the record found by the first.
 */
export async function serialiseFindingOf(tx: Transaction<Database>, id: string): Promise<void> {
  await serialiseOn(tx, `lost-pupil-found:${id}`);
}

/**
 * Marks a record found by this LA and user (the latest finder replaces an earlier one: the pupil is
 * where the latest LA says). Only a record still in the database: false for a removed or unknown one.
 */
export async function markLostPupilFound(db: Executor, id: string, finding: Finding): Promise<boolean> {
  const result = await db
    .updateTable('lost_pupils')
    .set({ status: 'found', found_at: finding.at, found_by_la: finding.laNumber, found_by: finding.userId })
    .where('id', '=', id)
    .where('status', 'in', ['lost', 'found'])
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

/**
 * Takes the pupil as an incoming file gave them off a record's Lost Pupil Matches (decision 71): kept to
 * check a case, they go once the record leaves the database (its cases are never shown again).
 */
export async function forgetSeenPupils(db: Executor, lostPupilId: string): Promise<void> {
  await db
    .updateTable('lost_pupil_matches')
    .set({
      seen_upn: null,
      seen_former_upn: null,
      seen_surname: null,
      seen_forename: null,
      seen_date_of_birth: null,
    })
    .where('lost_pupil_id', '=', lostPupilId)
    .execute();
}

/**
 * Marks a record removed with its file (false when it was already removed). `onlyLost`: only a record
 * still lost, as its sender's View / Remove Files removes it (decision 79: a found one is its LA's to
 * remove); false for a found one too, which the update waits for and reads when a finding is committed
 * meanwhile.
 */
export async function markLostPupilRemovedWithFile(
  db: Executor,
  id: string,
  removal: { at: string; by: string; reason?: string },
  { onlyLost = false }: { onlyLost?: boolean } = {},
): Promise<boolean> {
  const removed = await markRemoved(db, id, removal, onlyLost ? ['lost'] : ['lost', 'found']);
  if (removed) await forgetSeenPupils(db, id);
  return removed;
}

async function markRemoved(
  db: Executor,
  id: string,
  removal: { at: string; by: string; reason?: string },
  from: readonly LostPupilRow['status'][],
): Promise<boolean> {
  const result = await db
    .updateTable('lost_pupils')
    .set({
      status: 'removed',
      removed_at: removal.at,
      removed_by: removal.by,
      removal_reason: removal.reason ?? 'Removed by the sender, as sent in error',
    })
    .where('id', '=', id)
    .where('status', 'in', from)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

/**
 * How long after a forward its finding may have been written and still be that forward's: the forward
 * now writes the copy's own upload time as the finding's, but a forward made before decision 38 wrote the
 * time a few milliseconds later.
 */
const FINDING_OF_FORWARD_MS = 60_000;

/**
 * The record, while the forward's finding is its latest (found by the LA that forwarded it, at the forward),
 * so a later finding (another LA's download, a match closed) stands: markLostPupilLostAgain's rule, and the
 * LA's Delete's warning's (lostAgainIfRemoved).
 */
function foundByForward(id: string, forward: { la: string; at: string }) {
  const latest = new Date(Date.parse(forward.at) + FINDING_OF_FORWARD_MS).toISOString();
  return (eb: ExpressionBuilder<Database, 'lost_pupils'>) =>
    eb.and([
      eb('id', '=', id),
      eb('status', '=', 'found'),
      eb('found_by_la', '=', forward.la),
      eb('found_at', '<=', latest),
    ]);
}

/**
 * Returns a record found by a forward to "lost" when the school rejected the copy (decision 38): only
 * while the forward's finding is the latest (foundByForward). False when nothing changed.
 */
export async function markLostPupilLostAgain(
  db: Executor,
  id: string,
  forward: { la: string; at: string },
): Promise<boolean> {
  const result = await db
    .updateTable('lost_pupils')
    .set({ status: 'lost', found_at: null, found_by_la: null, found_by: null })
    .where(foundByForward(id, forward))
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

/** Whether markLostPupilLostAgain would return the record to "lost" now. */
export async function isFoundByForward(
  db: Executor,
  id: string,
  forward: { la: string; at: string },
): Promise<boolean> {
  const row = await db
    .selectFrom('lost_pupils')
    .select('id')
    .where(foundByForward(id, forward))
    .executeTakeFirst();
  return row !== undefined;
}
