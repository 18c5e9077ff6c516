// Where Lost Pupils Database files were forwarded (forward-service.ts), as the pages show it: to which
// school, when, by which LA. Search for Lost Pupil shows it to every LA, and the review to the LA that
// uploaded the record, which removes a record another LA forwarded (decision 36).
import { laName, nameAndCode, type OrganisationName, schoolName } from '../directory/organisation-names.ts';
import type { Executor, TransferStatus } from '../platform/db/schema.ts';
import { organisationNames } from '../transfers/download-repository.ts';
import { forwardsOf } from './repository.ts';

export interface Forwarded {
  /** When it was forwarded. */
  at: string;
  /** The school it went to. */
  school: { number: string; name: OrganisationName };
  /** The LA that forwarded it. */
  la: { number: string; name: OrganisationName };
  /**
   * What became of it at the school: waiting to be collected, collected, rejected (the record is lost
   * again, decision 38), or removed by the LA that forwarded it.
   */
  state: ForwardState;
  /** When the school rejected it; null unless it did. */
  rejectedAt: string | null;
}

export type ForwardState = 'waiting' | 'collected' | 'rejected' | 'removed';

const FORWARD_STATES: Record<TransferStatus, ForwardState> = {
  available: 'waiting',
  'pending-scan': 'waiting',
  collected: 'collected',
  rejected: 'rejected',
  removed: 'removed',
  quarantined: 'removed',
};

/** The forward of each of these files that has one, by the file's id (a record's id is its file's). */
export async function forwardedFiles(
  db: Executor,
  transferIds: readonly string[],
): Promise<Map<string, Forwarded>> {
  const copies = await forwardsOf(db, transferIds);
  const names = await organisationNames(
    db,
    [...copies.values()].map((copy) => ({
      source_la: copy.la,
      source_school: null,
      dest_la: null,
      dest_school: copy.school,
    })),
  );
  const forwarded = new Map<string, Forwarded>();
  for (const [id, copy] of copies) {
    const la = names.las.get(copy.la);
    forwarded.set(id, {
      at: copy.at,
      school: { number: copy.school, name: schoolName(copy.school, names.schools.get(copy.school)) },
      la: { number: copy.la, name: la ? nameAndCode(la, copy.la) : laName(copy.la, null) },
      state: FORWARD_STATES[copy.status],
      rejectedAt: copy.rejectedAt,
    });
  }
  return forwarded;
}
