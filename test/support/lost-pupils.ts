// Lost pupils for tests: a file sent to XXXXXXXX or MMMMMMMM as an upload leaves it (a transfer to the
// lost pupils database, its content stored encrypted) and its record in the Lost Pupils Database.

import { randomUUID } from 'node:crypto';
import type { Insertable } from 'kysely';
import { type LostPupilDetails, recordLostPupil } from '../../src/lost-pupils/ingest.ts';
import { matchLostPupils } from '../../src/lost-pupils/matching.ts';
import { getLostPupil, insertLostPupils, type NewLostPupil } from '../../src/lost-pupils/repository.ts';
import type { Database, Db, LostPupilRow } from '../../src/platform/db/schema.ts';
import type { EncryptedFileStore } from '../../src/platform/storage/encrypted-store.ts';
import { makeTransfer, pupil, type Sender, type StoredTransfer, school } from './transfers.ts';

export interface LostPupilSpec {
  from: Sender;
  reason?: 'destination-unknown' | 'left-maintained-sector';
  pupil?: Partial<LostPupilDetails>;
  uploadedAt?: string;
  content?: Buffer | string;
}

let sequence = 0;

/**
 * The row of a lost pupil's file (lost_pupils.transfer_id must name one), for tests that insert records
 * straight into the Lost Pupils Database: no content stored.
 */
export function lostPupilFileRow(id: string, uploadedAt: string): Insertable<Database['transfers']> {
  return {
    id,
    filename: '9165402_CTF_XXXXXXXX_001.XML',
    category: 'ctf',
    kind: 'ctf',
    type_code: 'CTF',
    source_la: '916',
    source_school: '9165402',
    dest_kind: 'lost-pupils',
    lost_reason: 'destination-unknown',
    uploaded_by: randomUUID(),
    uploaded_at: uploadedAt,
    size: 100,
    sha256: 'ab'.repeat(32),
    pupil_count: 1,
    status: 'available',
  };
}

/** Records straight into the Lost Pupils Database, each with its file's row, written in bulk. */
export async function insertLostPupilsWithFiles(
  db: Db,
  records: NewLostPupil[],
  uploadedAt: string,
): Promise<void> {
  for (let start = 0; start < records.length; start += 500) {
    await db
      .insertInto('transfers')
      .values(records.slice(start, start + 500).map((record) => lostPupilFileRow(record.id, uploadedAt)))
      .execute();
  }
  await insertLostPupils(db, records);
}

/** A record's search keys, each as one comparable string, in order. */
export async function searchKeysOf(db: Db, lostPupilId: string): Promise<string[]> {
  const rows = await db
    .selectFrom('lost_pupil_keys')
    .select(['key', 'birth_year', 'birth_month', 'birth_day', 'forename_letters', 'town_letters'])
    .where('lost_pupil_id', '=', lostPupilId)
    .orderBy('key')
    .execute();
  return rows.map((row) => JSON.stringify(row));
}

export async function makeLostPupil(
  db: Db,
  files: Pick<EncryptedFileStore, 'put'>,
  spec: LostPupilSpec,
): Promise<{ transfer: StoredTransfer; record: LostPupilRow }> {
  sequence += 1;
  const reason = spec.reason ?? 'destination-unknown';
  const details: LostPupilDetails = {
    upn: null,
    formerUpn: null,
    surname: `Lost${sequence}`,
    formerSurname: null,
    forename: 'Sam',
    middleNames: null,
    dateOfBirth: '2014-05-17',
    gender: 'F',
    town: 'Testtown',
    ...spec.pupil,
  };
  const code = spec.from.kind === 'school' ? spec.from.establishmentNumber : `${spec.from.laNumber}LLLL`;
  const destination = reason === 'destination-unknown' ? 'XXXXXXXX' : 'MMMMMMMM';
  const uploadedAt = spec.uploadedAt ?? '2026-11-20T10:00:00.000Z';
  const transfer = await makeTransfer(db, files, {
    from: spec.from,
    // Replaced below: a lost-pupil file is addressed to the database, not to an LA.
    to: spec.from,
    filename: `${code}_CTF_${destination}_${String(sequence % 1000).padStart(3, '0')}.XML`,
    content: spec.content,
    uploadedAt,
    pupils: [
      pupil(details.surname ?? 'Unknown', {
        upn: details.upn,
        former_upn: details.formerUpn,
        former_surname: details.formerSurname,
        forename: details.forename,
        middle_names: details.middleNames,
        date_of_birth: details.dateOfBirth,
        sex: details.gender,
      }),
    ],
    overrides: {
      dest_kind: 'lost-pupils',
      dest_la: null,
      dest_school: null,
      dest_inbox: null,
      lost_reason: reason,
    },
  });
  await recordLostPupil(db, {
    transferId: transfer.row.id,
    reason,
    sourceLa: spec.from.laNumber,
    sourceSchool: spec.from.kind === 'school' ? spec.from.establishmentNumber : null,
    uploadedAt: new Date(uploadedAt),
    pupil: details,
  });
  const record = await getLostPupil(db, transfer.row.id);
  if (!record) throw new Error('the lost pupil record was not written');
  return { transfer, record };
}

/**
 * A CTF from `from` to the school `arrival` naming a pupil with this UPN, matched with the Lost Pupils
 * Database as its upload would be (lost-pupils/matching.ts): a sighting of any lost record with the UPN.
 */
export async function seenInCtf(
  db: Db,
  files: Pick<EncryptedFileStore, 'put'>,
  sighting: {
    upn: string;
    from: Sender;
    arrival: { number: string; name: string; la_number: string };
    at: Date;
  },
): Promise<StoredTransfer> {
  const { arrival } = sighting;
  const incoming = await makeTransfer(db, files, { from: sighting.from, to: school(arrival.number) });
  await matchLostPupils(
    db,
    {
      transferId: incoming.row.id,
      filename: incoming.row.filename,
      kind: 'CTF',
      seenAt: { la: arrival.la_number, school: arrival.number, name: arrival.name, code: arrival.number },
      at: sighting.at,
    },
    [{ upn: sighting.upn, formerUpn: null, surname: null, forename: null, dateOfBirth: null }],
  );
  return incoming;
}
