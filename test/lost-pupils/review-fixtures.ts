// Lost Pupils Database records for the review's tests (test/support/lost-pupils.ts makes them), sent by
// a school or by the LA itself, and the dates of birth the review's rules turn on.
import type { Db, LostPupilRow, TransferRow } from '../../src/platform/db/schema.ts';
import type { EncryptedFileStore } from '../../src/platform/storage/encrypted-store.ts';
import { makeLostPupil as makeRecord } from '../support/lost-pupils.ts';
import { la, pupil, school } from '../support/transfers.ts';

export interface LostPupilSpec {
  laNumber: string;
  /** The school that uploaded it; none: the LA itself. */
  school?: string;
  dateOfBirth: string | null;
  surname?: string;
  forename?: string;
  /** ISO instant; 1 November 2026 unless told. */
  uploadedAt?: string;
  reason?: LostPupilRow['reason'];
}

export interface LostPupilFixture {
  id: string;
  transfer: TransferRow;
  upn: string;
  surname: string;
  forename: string;
}

let sequence = 0;

export async function makeLostPupil(
  db: Db,
  files: Pick<EncryptedFileStore, 'put'>,
  spec: LostPupilSpec,
): Promise<LostPupilFixture> {
  sequence += 1;
  const surname = spec.surname ?? `Lostname${sequence}`;
  const forename = spec.forename ?? `Kit${sequence}`;
  const upn = pupil(surname).upn ?? '';
  const { transfer, record } = await makeRecord(db, files, {
    from: spec.school ? school(spec.school) : la(spec.laNumber),
    reason: spec.reason,
    uploadedAt: spec.uploadedAt ?? '2026-11-01T10:00:00.000Z',
    pupil: { surname, forename, upn, dateOfBirth: spec.dateOfBirth },
  });
  return { id: record.id, transfer: transfer.row, upn, surname, forename };
}

export async function lostPupil(db: Db, id: string): Promise<LostPupilRow> {
  return db.selectFrom('lost_pupils').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
}

export async function transfer(db: Db, id: string): Promise<TransferRow> {
  return db.selectFrom('transfers').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
}

// Dates of birth and the days those pupils reach school-leaving age (ingest.ts leavesSchoolOn).
/** Left school on Friday 27 June 2025. */
export const LEFT_2025 = '2009-02-01';
/** Left school on Friday 26 June 2026. */
export const LEFT_2026 = '2010-05-14';
/** Leaves school on Friday 25 June 2027. */
export const LEAVES_2027 = '2011-01-10';
