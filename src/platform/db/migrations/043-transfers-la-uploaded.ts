import type { Kysely } from 'kysely';

// An LA's File Movement Report reads the transfers its side sent, and those it received, each in upload
// order (reports/file-movement-repository.ts): without these it walked every LA's transfers by upload time
// and kept its own (8,000 rows read for a page of 500 at a tenth of the country, growing with it).
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createIndex('transfers_source_la_uploaded')
    .on('transfers')
    .columns(['source_la', 'uploaded_at', 'filename', 'id'])
    .execute();
  await db.schema
    .createIndex('transfers_dest_la_uploaded')
    .on('transfers')
    .columns(['dest_la', 'uploaded_at', 'filename', 'id'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('transfers_dest_la_uploaded').execute();
  await db.schema.dropIndex('transfers_source_la_uploaded').execute();
}
