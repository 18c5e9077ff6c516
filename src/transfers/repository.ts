// The transfers' SQL. Each function takes an Executor, so services compose them in one transaction.

import type { Insertable } from 'kysely';
import { type Columns, insertRows } from '../platform/db/rows-table.ts';
import type {
  Executor,
  TransferPupilRow,
  TransferPupilTable,
  TransferRow,
  TransferTable,
} from '../platform/db/schema.ts';

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

export async function updateTransfer(
  db: Executor,
  id: string,
  changes: Partial<Omit<TransferRow, 'id'>>,
): Promise<void> {
  await db.updateTable('transfers').set(changes).where('id', '=', id).execute();
}
