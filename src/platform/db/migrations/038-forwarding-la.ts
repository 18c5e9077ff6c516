// The LA that forwarded a CTF (transfers/forward-service.ts), stored on the copy, so that Monitor CTF
// Files reads the copies one LA forwarded that were rejected (its "Forwarded files rejected" notice) by an
// index that starts with that LA: before, every view read every rejected copy of the last 31 days in
// the country and kept its own LA's, by each copy's uploader. forward() writes it from now on; this gives
// the copies already made theirs, from the same rule forwardingOf reads: the uploader's LA, when the
// uploader is an LA user (a school user has its school's LA too). The copies are read in order of id, a
// batch at a time, each batch written in one statement per LA, so that no statement holds the table's
// write lock for long.
//
// A copy forwarded by a node of the previous version while the nodes roll has no LA stored: it is not in
// the notice (its LA is still emailed when it is rejected, as forwardingOf reads the uploader). Roll the
// nodes promptly after migrating.
import { type Kysely, sql } from 'kysely';
import { BATCH_ROWS, inBatches } from '../batches.ts';
import type { Database } from '../schema.ts';

export async function up(untyped: Kysely<unknown>): Promise<void> {
  await untyped.schema.alterTable('transfers').addColumn('forwarding_la', 'varchar(3)').execute();
  const db = untyped as unknown as Kysely<Database>;
  let after = '';
  await inBatches(BATCH_ROWS, async () => {
    const copies = await db
      .selectFrom('transfers as c')
      .innerJoin('users as u', 'u.id', 'c.uploaded_by')
      .select(['c.id', 'u.la_number'])
      .where('c.forwarded_from', 'is not', null)
      .where('c.id', '>', after)
      .where('u.la_number', 'is not', null)
      .where('u.establishment_number', 'is', null)
      .orderBy('c.id')
      .limit(BATCH_ROWS)
      .execute();
    const byLa = new Map<string, string[]>();
    for (const copy of copies) {
      const la = copy.la_number as string;
      byLa.set(la, [...(byLa.get(la) ?? []), copy.id]);
    }
    for (const [la, ids] of byLa) {
      await db.updateTable('transfers').set({ forwarding_la: la }).where('id', 'in', ids).execute();
    }
    after = copies.at(-1)?.id ?? after;
    return copies.length;
  });
  // The notice's query: one LA's copies in one state, by the time of their rejection. Only the copies
  // are in it, a few in every thousand transfers.
  await untyped.schema
    .createIndex('transfers_forwarding_la')
    .on('transfers')
    .columns(['forwarding_la', 'status', 'rejected_at'])
    .where(sql.ref('forwarding_la'), 'is not', null)
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('transfers_forwarding_la').execute();
  await db.schema.alterTable('transfers').dropColumn('forwarding_la').execute();
}
