import { type Kysely, sql } from 'kysely';

// The CTFs an LA forwarded (transfers/forward-service.ts: a copy naming its original in forwarded_from),
// for the reports. Only the copies are in these indexes, a few in every thousand transfers:
// - by original: the School Report says of each file whether, and when, it was forwarded (the copy's
//   upload time, read from the index alone);
// - by upload time: the LEA Cluster Report counts the copies of its dates apart from the other files.
//   Without it, SQLite with no statistics (the planner's state until ANALYZE) read every transfer of the
//   dates to find the copies: 0.6 s for an every-LA report over 200,000 transfers, 2 ms with it.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createIndex('transfers_forwarded_from')
    .on('transfers')
    .columns(['forwarded_from', 'uploaded_at'])
    .where(sql.ref('forwarded_from'), 'is not', null)
    .execute();
  await db.schema
    .createIndex('transfers_forwarded_uploaded')
    .on('transfers')
    .column('uploaded_at')
    .where(sql.ref('forwarded_from'), 'is not', null)
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('transfers_forwarded_uploaded').execute();
  await db.schema.dropIndex('transfers_forwarded_from').execute();
}
