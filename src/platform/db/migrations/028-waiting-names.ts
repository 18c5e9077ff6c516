import { type Kysely, sql } from 'kysely';

// An upload is refused while a file of the same name (whatever its case) from the same sender is still
// waiting for its recipient (transfers/upload-service.ts, step 5; transfers/repository.ts,
// waitingTransfersNamed): every upload asks, twice (before reading the file and in its recording
// transaction). By the sender's own indexes (transfers_source_school, transfers_source_la) an LA's
// question would read every file its schools and the LA have waiting, the Lost Pupils Database's among
// them (thousands per LA at national scale); by the upper-cased name and the status it is one seek to
// the few rows of that name.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createIndex('transfers_name_status')
    .on('transfers')
    .expression(sql`upper(filename)`)
    .column('status')
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('transfers_name_status').execute();
}
