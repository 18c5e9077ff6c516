// For the Search for Lost Pupil tests: lost pupil records uploaded by a school (test/support/lost-pupils.ts
// makes them), named by the school's number, and names no other test uses.
import { randomBytes } from 'node:crypto';
import { ROLES, type Role, scopeOf } from '../../src/auth/permissions.ts';
import type { LostPupilDetails } from '../../src/lost-pupils/ingest.ts';
import type { Db, TransferRow } from '../../src/platform/db/schema.ts';
import type { EncryptedFileStore } from '../../src/platform/storage/encrypted-store.ts';
import { makeLostPupil as makeRecord } from '../support/lost-pupils.ts';
import { school } from '../support/transfers.ts';

/** Letters only, fresh for each call: a surname, forename or town no other test uses. */
export function uniqueName(prefix = 'Q'): string {
  const letters = [...randomBytes(8)].map((b) => String.fromCharCode(97 + (b % 26))).join('');
  return `${prefix}${letters}`;
}

export interface StoredLostPupil {
  /** The record's id, which is its file's. */
  id: string;
  transfer: TransferRow;
  content: Buffer;
}

/** A lost pupil's file uploaded by the school numbered `from`, and its record. */
export async function makeLostPupil(
  db: Db,
  files: Pick<EncryptedFileStore, 'put'>,
  spec: {
    from: string;
    reason?: 'destination-unknown' | 'left-maintained-sector';
    pupil?: Partial<LostPupilDetails>;
    uploadedAt?: string;
    content?: string;
  },
): Promise<StoredLostPupil> {
  const { transfer, record } = await makeRecord(db, files, { ...spec, from: school(spec.from) });
  return { id: record.id, transfer: transfer.row, content: transfer.content };
}

/** Every role but the two Lost Pupil ones: "School users cannot search this database", nor other LA users. */
export const OTHER_ROLES: Role[] = ROLES.filter(
  (role) => role !== 'la_lost_pupil' && role !== 'la_lost_pupil_transfer',
);

/** The organisation a user of `role` belongs to: the school, its LA, or none for national roles. */
export function organisationFor(role: Role, school: { number: string; la_number: string }) {
  const scope = scopeOf(role);
  return {
    laNumber: scope === 'national' ? null : school.la_number,
    establishmentNumber: scope === 'school' ? school.number : null,
  };
}
