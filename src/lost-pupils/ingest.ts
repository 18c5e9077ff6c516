// What enters the Lost Pupils Database: the one pupil of a CTF sent to XXXXXXXX or MMMMMMMM, recorded
// in the upload's own transaction (upload-service.ts), so a file is in the database exactly when its
// upload is.
import type { Transaction } from 'kysely';
import { serialiseOn } from '../platform/db/database.ts';
import type { Database, Executor } from '../platform/db/schema.ts';
import { shortened } from '../platform/words.ts';
import { type IncomingPupil, lostRecordsHolding } from './matching.ts';
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

/** An earlier file to the Lost Pupils Database whose pupil is still lost there. */
export interface HeldLostPupilFile {
  transferId: string;
  filename: string;
  /** ISO instant. */
  uploadedAt: string;
}

/**
 * Whether the Lost Pupils Database holds the pupil of a new file to it as still lost (decision 79; LA notes
 * §4.2: a second file is a duplicate, and the first keeps the pupil "lost"): `own`, from a file of the
 * same sender (a school, or an LA itself), which refuses the new one; else `other`, from another's file
 * (the newest), which the new one joins. Still lost: the record neither found nor removed, its file in
 * the database (offered, or awaiting its virus scan), as lostRecordsHolding knows the pupil.
 *
 * In the upload's transaction, after the sender's other files to the database have been recorded: two
 * files of one sender at once (two names, so two locks of lockFilename) are taken one after the other.
 */
export async function lostPupilAlreadyHeld(
  tx: Transaction<Database>,
  sender: { la: string; school: string | null },
  pupil: IncomingPupil,
): Promise<{ own: HeldLostPupilFile | null; other: { uploadedAt: string } | null }> {
  await serialiseOn(tx, `lost-pupils-from:${sender.school ?? `${sender.la}LLLL`}`);
  const records = await lostRecordsHolding(tx, pupil);
  if (records.length === 0) return { own: null, other: null };
  const files = await tx
    .selectFrom('transfers')
    .select(['id', 'filename'])
    .where(
      'id',
      'in',
      records.map((record) => record.transfer_id),
    )
    .where('status', 'in', ['available', 'pending-scan'])
    .execute();
  const named = new Map(files.map((file) => [file.id, file.filename]));
  const held = records
    .filter((record) => named.has(record.transfer_id))
    .sort((a, b) => b.uploaded_at.localeCompare(a.uploaded_at));
  const isOwn = (record: (typeof held)[number]) =>
    record.source_school === sender.school && (sender.school !== null || record.source_la === sender.la);
  const own = held.find(isOwn);
  const other = held.find((record) => !isOwn(record));
  return {
    own: own
      ? {
          transferId: own.transfer_id,
          filename: named.get(own.transfer_id) ?? '',
          uploadedAt: own.uploaded_at,
        }
      : null,
    other: other ? { uploadedAt: other.uploaded_at } : null,
  };
}
