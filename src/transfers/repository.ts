// The transfers' SQL. Each function takes an Executor, so services compose them in one transaction.

import type { Insertable, Transaction } from 'kysely';
import { serialiseOn } from '../platform/db/database.ts';
import { type Columns, insertRows } from '../platform/db/rows-table.ts';
import type {
  Database,
  Executor,
  TransferPupilRow,
  TransferPupilTable,
  TransferRow,
  TransferTable,
} from '../platform/db/schema.ts';
import type { Window } from '../platform/paging.ts';

export type { TransferPupilRow, TransferRow };

export type NewTransferPupil = Omit<TransferPupilRow, 'transfer_id' | 'position'>;

export async function insertTransfer(
  db: Executor,
  transfer: Insertable<TransferTable>,
  pupils: NewTransferPupil[],
): Promise<void> {
  await db.insertInto('transfers').values(transfer).execute();
  if (pupils.length === 0) return;
  await insertRows(
    db,
    'transfer_pupils',
    TRANSFER_PUPIL_COLUMNS,
    pupils.map((pupil, index) => ({ ...pupil, transfer_id: transfer.id as string, position: index + 1 })),
  );
}

const TRANSFER_PUPIL_COLUMNS = {
  transfer_id: 'text',
  position: 'integer',
  upn: 'text',
  former_upn: 'text',
  surname: 'text',
  former_surname: 'text',
  forename: 'text',
  middle_names: 'text',
  date_of_birth: 'text',
  sex: 'text',
} as const satisfies Columns<TransferPupilTable>;

/** How many uploaded files wait for their virus scan (the scan-files job's queue). */
export async function countAwaitingScan(db: Executor): Promise<number> {
  const row = await db
    .selectFrom('transfers')
    .select((eb) => eb.fn.countAll<number | string>().as('n'))
    .where('status', '=', 'pending-scan')
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/** A file still waiting as waitingTransfersNamed finds it: its sender, and what an upload compares. */
export type WaitingTransfer = Pick<
  TransferRow,
  | 'id'
  | 'filename'
  | 'category'
  | 'source_la'
  | 'source_school'
  | 'source_inbox'
  | 'sha256'
  | 'status'
  | 'scan_status'
  | 'pupil_count'
>;

/**
 * The files of this name, whatever its case, still waiting: for their recipient, or for their virus scan
 * (a file sent to the Lost Pupils Database waits in it while 'available'). Read through the index
 * transfers_name_status (migration 028): upper(filename), then status. Filenames are ASCII (the name
 * rules refuse anything else), so SQL's upper() and JavaScript's agree.
 */
export async function waitingTransfersNamed(db: Executor, filename: string): Promise<WaitingTransfer[]> {
  return db
    .selectFrom('transfers')
    .select([
      'id',
      'filename',
      'category',
      'source_la',
      'source_school',
      'source_inbox',
      'sha256',
      'status',
      'scan_status',
      'pupil_count',
    ])
    .where((eb) => eb(eb.fn('upper', ['filename']), '=', filename.toUpperCase()))
    .where('status', 'in', ['available', 'pending-scan'])
    .execute();
}

/**
 * Makes any other transaction that takes this name's lock (whatever its case) wait until this one ends:
 * the upload's recording transaction, before it asks again whether the name is waiting (upload-service.ts,
 * step 5), so two uploads of one name cannot both find it free (database.ts, serialiseOn).
 */
export async function lockFilename(tx: Transaction<Database>, filename: string): Promise<void> {
  await serialiseOn(tx, `transfer-name:${filename.toUpperCase()}`);
}

export async function getTransfer(db: Executor, id: string): Promise<TransferRow | undefined> {
  return db.selectFrom('transfers').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function pupilsOf(db: Executor, transferId: string): Promise<TransferPupilRow[]> {
  return db
    .selectFrom('transfer_pupils')
    .selectAll()
    .where('transfer_id', '=', transferId)
    .orderBy('position')
    .execute();
}

/** A window of a file's pupils, in the file's order, and how many it has (the pages listing them). */
export async function pupilsWindow(
  db: Executor,
  transferId: string,
  window: Window,
): Promise<{ rows: TransferPupilRow[]; total: number }> {
  const [rows, counted] = await Promise.all([
    db
      .selectFrom('transfer_pupils')
      .selectAll()
      .where('transfer_id', '=', transferId)
      .orderBy('position')
      .limit(window.limit)
      .offset(window.offset)
      .execute(),
    db
      .selectFrom('transfer_pupils')
      .select((eb) => eb.fn.countAll<string | number>().as('n'))
      .where('transfer_id', '=', transferId)
      .executeTakeFirst(),
  ]);
  return { rows, total: Number(counted?.n ?? 0) };
}

export async function updateTransfer(
  db: Executor,
  id: string,
  changes: Partial<Omit<TransferRow, 'id'>>,
): Promise<void> {
  await db.updateTable('transfers').set(changes).where('id', '=', id).execute();
}
