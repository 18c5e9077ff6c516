import type { Kysely } from 'kysely';

// COLLECT, the school census collection (census guide; issue 9). A data collection is run by the
// collector (DfE) for the schools of the LAs taking part. Each school (the source) loads its return, each
// upload a new version that never overwrites the last: the school submits it to its LA (the agent), which
// returns it with a note or approves it, and only an approved version is visible to the collector.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('data_collections')
    .addColumn('id', 'varchar(36)', (c) => c.primaryKey())
    .addColumn('name', 'varchar(100)', (c) => c.notNull())
    .addColumn('term', 'varchar(3)', (c) => c.notNull())
    // The collection's year as census returns write it (<Year>), e.g. "2026".
    .addColumn('year', 'varchar(4)', (c) => c.notNull())
    .addColumn('reference_date', 'varchar(10)', (c) => c.notNull())
    // London dates: returns can be loaded from the open date; after the due date they are overdue.
    .addColumn('open_date', 'varchar(10)', (c) => c.notNull())
    .addColumn('due_date', 'varchar(10)', (c) => c.notNull())
    // Every LA's schools take part (1), or those of the LAs in data_collection_las (0).
    .addColumn('all_las', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('closed_at', 'varchar(30)')
    .addColumn('created_by', 'varchar(36)', (c) => c.notNull().references('users.id'))
    .addColumn('created_at', 'varchar(30)', (c) => c.notNull())
    .addColumn('updated_at', 'varchar(30)', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('data_collection_las')
    .addColumn('collection_id', 'varchar(36)', (c) =>
      c.notNull().references('data_collections.id').onDelete('cascade'),
    )
    .addColumn('la_number', 'varchar(3)', (c) => c.notNull().references('local_authorities.number'))
    .addPrimaryKeyConstraint('data_collection_las_pk', ['collection_id', 'la_number'])
    .execute();
  await db.schema
    .createIndex('data_collection_las_la')
    .on('data_collection_las')
    .column('la_number')
    .execute();

  await db.schema
    .createTable('census_returns')
    .addColumn('id', 'varchar(36)', (c) => c.primaryKey())
    .addColumn('collection_id', 'varchar(36)', (c) => c.notNull().references('data_collections.id'))
    .addColumn('establishment_number', 'varchar(7)', (c) => c.notNull().references('establishments.number'))
    // The school's LA when the return was loaded: the agent that checks it.
    .addColumn('la_number', 'varchar(3)', (c) => c.notNull())
    .addColumn('version', 'integer', (c) => c.notNull())
    .addColumn('filename', 'varchar(255)', (c) => c.notNull())
    // loaded -> submitted -> returned | approved; any version is 'replaced' by the next upload.
    .addColumn('status', 'varchar(10)', (c) => c.notNull())
    .addColumn('error_count', 'integer', (c) => c.notNull())
    .addColumn('query_count', 'integer', (c) => c.notNull())
    .addColumn('pupil_count', 'integer', (c) => c.notNull())
    // What the return says of itself and its school (header and <SchoolInformation>), as JSON: shown
    // with the return without reading its file again. No pupil data.
    .addColumn('school_details', 'text', (c) => c.notNull())
    .addColumn('size', 'integer', (c) => c.notNull())
    .addColumn('sha256', 'varchar(64)', (c) => c.notNull())
    .addColumn('storage_key', 'varchar(200)', (c) => c.notNull())
    .addColumn('wrapped_key', 'varchar(200)', (c) => c.notNull())
    .addColumn('master_key_id', 'varchar(64)', (c) => c.notNull())
    .addColumn('uploaded_by', 'varchar(36)', (c) => c.notNull().references('users.id'))
    // 'school', or 'la' for a return the LA loaded for its school (bulk upload).
    .addColumn('uploaded_by_scope', 'varchar(10)', (c) => c.notNull())
    .addColumn('uploaded_at', 'varchar(30)', (c) => c.notNull())
    .addColumn('submitted_at', 'varchar(30)')
    .addColumn('approved_at', 'varchar(30)')
    .addColumn('replaced_at', 'varchar(30)')
    .execute();
  await db.schema
    .createIndex('census_returns_version')
    .on('census_returns')
    .columns(['collection_id', 'establishment_number', 'version'])
    .unique()
    .execute();
  await db.schema
    .createIndex('census_returns_la')
    .on('census_returns')
    .columns(['collection_id', 'la_number'])
    .execute();

  await db.schema
    .createTable('census_return_findings')
    .addColumn('id', 'varchar(36)', (c) => c.primaryKey())
    .addColumn('return_id', 'varchar(36)', (c) => c.notNull().references('census_returns.id'))
    .addColumn('position', 'integer', (c) => c.notNull())
    .addColumn('rule', 'varchar(10)', (c) => c.notNull())
    .addColumn('kind', 'varchar(5)', (c) => c.notNull())
    .addColumn('level', 'varchar(6)', (c) => c.notNull())
    .addColumn('message', 'varchar(500)', (c) => c.notNull())
    .addColumn('guidance', 'text', (c) => c.notNull())
    .addColumn('detail', 'text')
    // The pupils concerned (UPN, name, list and position in the file), as JSON.
    .addColumn('pupils', 'text', (c) => c.notNull())
    // A query explained by the school.
    .addColumn('answer', 'text')
    .addColumn('answered_by', 'varchar(36)')
    .addColumn('answered_at', 'varchar(30)')
    .execute();
  await db.schema
    .createIndex('census_return_findings_return')
    .on('census_return_findings')
    .columns(['return_id', 'position'])
    .execute();

  // The history of each version: loaded, query answered, submitted, note, returned, approved, replaced.
  await db.schema
    .createTable('census_return_events')
    .addColumn('id', 'varchar(36)', (c) => c.primaryKey())
    .addColumn('return_id', 'varchar(36)', (c) => c.notNull().references('census_returns.id'))
    .addColumn('at', 'varchar(30)', (c) => c.notNull())
    .addColumn('user_id', 'varchar(36)', (c) => c.notNull().references('users.id'))
    .addColumn('user_name', 'varchar(200)', (c) => c.notNull())
    // Who acted: 'school', 'la' (the agent) or 'national'.
    .addColumn('actor_scope', 'varchar(10)', (c) => c.notNull())
    .addColumn('action', 'varchar(20)', (c) => c.notNull())
    .addColumn('note', 'text')
    .execute();
  await db.schema
    .createIndex('census_return_events_return')
    .on('census_return_events')
    .columns(['return_id', 'at'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('census_return_events').execute();
  await db.schema.dropTable('census_return_findings').execute();
  await db.schema.dropTable('census_returns').execute();
  await db.schema.dropTable('data_collection_las').execute();
  await db.schema.dropTable('data_collections').execute();
}
