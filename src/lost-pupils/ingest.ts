// What enters the Lost Pupils Database: the one pupil of a CTF sent to XXXXXXXX or MMMMMMMM, recorded
// in the upload's own transaction (upload-service.ts), so a file is in the database exactly when its
// upload is.
import type { Executor } from '../platform/db/schema.ts';
import { shortened } from '../platform/words.ts';
import { insertLostPupil } from './repository.ts';

/** The pupil's details the search needs, as the CTF gives them. */
export interface LostPupilDetails {
  upn: string | null;
  formerUpn: string | null;
  surname: string | null;
  formerSurname: string | null;
  forename: string | null;
  middleNames: string | null;
  /** YYYY-MM-DD. */
  dateOfBirth: string | null;
  gender: string | null;
  town: string | null;
}

export interface LostPupilUpload {
  transferId: string;
  reason: 'destination-unknown' | 'left-maintained-sector';
  sourceLa: string;
  sourceSchool: string | null;
  uploadedAt: Date;
  pupil: LostPupilDetails;
}

/**
 * The day a pupil born on `dateOfBirth` may leave school: the last Friday in June of the school year
 * (1 September to 31 August) in which they turn 16 (England and Wales). Null for no or a bad date.
 */
export function leavesSchoolOn(dateOfBirth: string | null): string | null {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(dateOfBirth ?? '');
  if (!match) return null;
  const [year, month] = [Number(match[1]), Number(match[2])];
  // Born January to August: 16 in the summer of year + 16; born September to December: a year later.
  const leavingYear = year + 16 + (month >= 9 ? 1 : 0);
  const lastOfJune = new Date(Date.UTC(leavingYear, 5, 30));
  const back = (lastOfJune.getUTCDay() - 5 + 7) % 7;
  lastOfJune.setUTCDate(30 - back);
  return lastOfJune.toISOString().slice(0, 10);
}

/** An identifier cut to its column: a UPN longer than 13 characters is wrong either way (no ellipsis). */
const cut = (value: string | null, max: number) => (value === null ? null : value.slice(0, max));

export async function recordLostPupil(db: Executor, upload: LostPupilUpload): Promise<void> {
  const { pupil } = upload;
  const gender = pupil.gender?.toUpperCase();
  await insertLostPupil(db, {
    // One pupil per file: the record is the file's.
    id: upload.transferId,
    transfer_id: upload.transferId,
    reason: upload.reason,
    upn: cut(pupil.upn?.toUpperCase() ?? null, 13),
    former_upn: cut(pupil.formerUpn?.toUpperCase() ?? null, 13),
    surname: shortened(pupil.surname, 100),
    former_surname: shortened(pupil.formerSurname, 100),
    forename: shortened(pupil.forename, 100),
    middle_names: shortened(pupil.middleNames, 100),
    date_of_birth: /^\d{4}-\d{2}-\d{2}$/.test(pupil.dateOfBirth ?? '') ? pupil.dateOfBirth : null,
    gender: gender === 'M' || gender === 'F' ? gender : null,
    town: shortened(pupil.town, 100),
    source_la: upload.sourceLa,
    source_school: upload.sourceSchool,
    uploaded_at: upload.uploadedAt.toISOString(),
    leaves_school_on: leavesSchoolOn(pupil.dateOfBirth),
  });
}
