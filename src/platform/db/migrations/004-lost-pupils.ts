import type { Kysely } from 'kysely';

// The Lost Pupils Database: one record per file sent to XXXXXXXX or MMMMMMMM (one pupil each), with the
// pupil's details indexed for the LA search, and the keys of the surname and former surname (soundalike
// keys and the letters) in a table of their own, indexed by key, so a surname search is an index lookup.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('lost_pupils')
    .addColumn('id', 'varchar(36)', (c) => c.primaryKey())
    .addColumn('transfer_id', 'varchar(36)', (c) => c.notNull().unique().references('transfers.id'))
    .addColumn('reason', 'varchar(30)', (c) => c.notNull())
    .addColumn('upn', 'varchar(13)')
    .addColumn('former_upn', 'varchar(13)')
    .addColumn('surname', 'varchar(100)')
    .addColumn('former_surname', 'varchar(100)')
    .addColumn('forename', 'varchar(100)')
    .addColumn('middle_names', 'varchar(100)')
    .addColumn('surname_letters', 'varchar(100)', (c) => c.notNull())
    .addColumn('former_surname_letters', 'varchar(100)', (c) => c.notNull())
    .addColumn('forename_letters', 'varchar(100)', (c) => c.notNull())
    .addColumn('date_of_birth', 'varchar(10)')
    .addColumn('birth_year', 'integer')
    .addColumn('birth_month', 'integer')
    .addColumn('birth_day', 'integer')
    .addColumn('gender', 'varchar(1)')
    .addColumn('town', 'varchar(100)')
    .addColumn('town_letters', 'varchar(100)', (c) => c.notNull())
    .addColumn('source_la', 'varchar(3)', (c) => c.notNull())
    .addColumn('source_school', 'varchar(7)')
    .addColumn('uploaded_at', 'varchar(30)', (c) => c.notNull())
    .addColumn('leaves_school_on', 'varchar(10)')
    .addColumn('status', 'varchar(10)', (c) => c.notNull())
    .addColumn('found_at', 'varchar(30)')
    .addColumn('found_by_la', 'varchar(3)')
    .addColumn('found_by', 'varchar(36)')
    .addColumn('removed_at', 'varchar(30)')
    .addColumn('removed_by', 'varchar(36)')
    .addColumn('removal_reason', 'varchar(200)')
    .execute();
  await db.schema.createIndex('lost_pupils_upn').on('lost_pupils').column('upn').execute();
  await db.schema.createIndex('lost_pupils_former_upn').on('lost_pupils').column('former_upn').execute();
  // Exact surnames (the matching of incoming files, matching.ts); the search uses lost_pupil_keys.
  await db.schema
    .createIndex('lost_pupils_surname')
    .on('lost_pupils')
    .columns(['surname_letters', 'forename_letters'])
    .execute();
  await db.schema
    .createIndex('lost_pupils_former_surname')
    .on('lost_pupils')
    .column('former_surname_letters')
    .execute();
  // A date of birth narrows any search to a few hundred records in a million; with the town after it,
  // "born 3 May 2012 in Bristol" is one range in the index rather than a filter over the day's records.
  await db.schema
    .createIndex('lost_pupils_birth')
    .on('lost_pupils')
    .columns(['birth_year', 'birth_month', 'birth_day', 'town_letters'])
    .execute();
  await db.schema
    .createIndex('lost_pupils_source')
    .on('lost_pupils')
    .columns(['source_la', 'status'])
    .execute();
  await db.schema
    .createIndex('lost_pupils_leaving')
    .on('lost_pupils')
    .columns(['status', 'leaves_school_on'])
    .execute();

  // The keys a record is searched by, one a row: the soundalike keys of its surname and former surname
  // ('dm:SM0', 'sx:S530') and the letters of each ('sn:SMITH', for "Surname Begins": a range of keys).
  // Each row carries the record's date of birth, forename and town letters (copied when the record is
  // written; none changes afterwards): the three details the service asks for when a surname matches too
  // many records. So "sounds like Smith, born 3 May 2012", "begins Smi, forename Jack" or "sounds like
  // Smith, town Bristol" is a seek in an index of keys, however many Smiths there are (repository.ts).
  await db.schema
    .createTable('lost_pupil_keys')
    .addColumn('key', 'varchar(104)', (c) => c.notNull())
    .addColumn('lost_pupil_id', 'varchar(36)', (c) =>
      c.notNull().references('lost_pupils.id').onDelete('cascade'),
    )
    .addColumn('birth_year', 'integer')
    .addColumn('birth_month', 'integer')
    .addColumn('birth_day', 'integer')
    .addColumn('forename_letters', 'varchar(100)', (c) => c.notNull())
    .addColumn('town_letters', 'varchar(100)', (c) => c.notNull())
    .addPrimaryKeyConstraint('lost_pupil_keys_pk', ['lost_pupil_id', 'key'])
    .execute();
  await db.schema
    .createIndex('lost_pupil_keys_birth')
    .on('lost_pupil_keys')
    .columns(['key', 'birth_year', 'birth_month', 'birth_day', 'lost_pupil_id'])
    .execute();
  await db.schema
    .createIndex('lost_pupil_keys_forename')
    .on('lost_pupil_keys')
    .columns(['key', 'forename_letters', 'lost_pupil_id'])
    .execute();
  await db.schema
    .createIndex('lost_pupil_keys_town')
    .on('lost_pupil_keys')
    .columns(['key', 'town_letters', 'lost_pupil_id'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('lost_pupil_keys').execute();
  await db.schema.dropTable('lost_pupils').execute();
}
