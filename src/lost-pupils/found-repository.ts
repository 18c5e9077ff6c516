// The SQL of "found" (service.ts): an LA downloaded a record's file and said it was downloaded correctly,
// or forwarded it to one of its schools. Kept apart from repository.ts, whose search is being tuned.
import type { Executor } from '../platform/db/schema.ts';

export interface Finding {
  /** ISO instant. */
  at: string;
  laNumber: string;
  userId: string;
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
