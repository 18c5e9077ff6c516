import type { Kysely } from 'kysely';

// A GIAS import's chosen rows, staged here in short batches before one short transaction applies them to
// `establishments` (directory/gias-import.ts, decision 43): the import no longer holds the write lock for
// its whole file. Rows are deleted once applied or refused; those a killed import left behind are deleted
// by the next import. The columns are those of `establishments` an import writes, with the same widths.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('establishment_import_rows')
    .addColumn('import_id', 'varchar(36)', (c) => c.notNull())
    .addColumn('number', 'varchar(7)', (c) => c.notNull())
    .addColumn('staged_at', 'varchar(30)', (c) => c.notNull())
    .addColumn('la_number', 'varchar(3)', (c) => c.notNull())
    .addColumn('name', 'varchar(200)', (c) => c.notNull())
    .addColumn('name_search', 'varchar(200)', (c) => c.notNull())
    .addColumn('town', 'varchar(100)')
    .addColumn('town_search', 'varchar(100)', (c) => c.notNull())
    .addColumn('postcode', 'varchar(10)')
    .addColumn('phase', 'varchar(60)')
    .addColumn('type', 'varchar(120)')
    .addColumn('status', 'varchar(10)', (c) => c.notNull())
    .addColumn('urn', 'varchar(10)')
    .addColumn('uses_s2s', 'integer', (c) => c.notNull())
    .addColumn('telephone', 'varchar(40)')
    .addColumn('opened_on', 'varchar(10)')
    .addColumn('closed_on', 'varchar(10)')
    .addPrimaryKeyConstraint('establishment_import_rows_pk', ['import_id', 'number'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('establishment_import_rows').execute();
}
