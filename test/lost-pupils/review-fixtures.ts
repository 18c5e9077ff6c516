// Lost Pupils Database records for the review's tests: a lost-pupil file stored as an upload leaves it
// (makeTransfer, sent to XXXXXXXX or MMMMMMMM), indexed with recordLostPupil as the upload does.
import { recordLostPupil } from '../../src/lost-pupils/ingest.ts';
import type { Db, LostPupilRow, TransferRow } from '../../src/platform/db/schema.ts';
import type { EncryptedFileStore } from '../../src/platform/storage/encrypted-store.ts';
import { la, makeTransfer, pupil, school } from '../support/transfers.ts';

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
  const reason = spec.reason ?? 'destination-unknown';
  const uploadedAt = spec.uploadedAt ?? '2026-11-01T10:00:00.000Z';
  const sender = spec.school ? school(spec.school) : la(spec.laNumber);
  const sent = pupil(surname, { forename, date_of_birth: spec.dateOfBirth });
  const code = spec.school ?? `${spec.laNumber}LLLL`;
  const destination = reason === 'left-maintained-sector' ? 'MMMMMMMM' : 'XXXXXXXX';
  const { row } = await makeTransfer(db, files, {
    from: sender,
    to: sender,
    filename: `${code}_CTF_${destination}_${String(sequence % 1000).padStart(3, '0')}.XML`,
    pupils: [sent],
    uploadedAt,
    overrides: {
      dest_kind: 'lost-pupils',
      dest_la: null,
      dest_school: null,
      dest_inbox: null,
      lost_reason: reason,
    },
  });
  await recordLostPupil(db, {
    transferId: row.id,
    reason,
    sourceLa: spec.laNumber,
    sourceSchool: spec.school ?? null,
    uploadedAt: new Date(uploadedAt),
    pupil: {
      upn: sent.upn,
      formerUpn: null,
      surname,
      formerSurname: null,
      forename,
      middleNames: null,
      dateOfBirth: spec.dateOfBirth,
      gender: 'F',
      town: 'Testtown',
    },
  });
  return { id: row.id, transfer: row, upn: sent.upn ?? '', surname, forename };
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
