import { type Kysely, sql } from 'kysely';

// A census return loaded into COLLECT is matched with the Lost Pupils Database too (issue 6): a match is
// seen in a file (a transfer) or in a census return, exactly one of the two. transfer_id becomes optional,
// which neither engine's ALTER TABLE does alike (SQLite cannot drop NOT NULL), so the table is made anew
// and its rows copied.
const COLUMNS = [
  'id',
  'lost_pupil_id',
  'transfer_id',
  'matched_on',
  'seen_at_la',
  'seen_at_school',
  'matched_at',
  'status',
  'closed_at',
  'closed_by',
  'outcome',
] as const;

type Row = Record<(typeof COLUMNS)[number], string | null>;
type Tables = { lost_pupil_matches: Row; lost_pupil_matches_next: Row };

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('lost_pupil_matches_next')
    .addColumn('id', 'varchar(36)', (c) => c.primaryKey())
    .addColumn('lost_pupil_id', 'varchar(36)', (c) => c.notNull().references('lost_pupils.id'))
    .addColumn('transfer_id', 'varchar(36)', (c) => c.references('transfers.id'))
    .addColumn('census_return_id', 'varchar(36)', (c) => c.references('census_returns.id'))
    .addColumn('matched_on', 'varchar(12)', (c) => c.notNull())
    .addColumn('seen_at_la', 'varchar(3)')
    .addColumn('seen_at_school', 'varchar(7)')
    .addColumn('matched_at', 'varchar(30)', (c) => c.notNull())
    .addColumn('status', 'varchar(10)', (c) => c.notNull())
    .addColumn('closed_at', 'varchar(30)')
    .addColumn('closed_by', 'varchar(36)')
    .addColumn('outcome', 'varchar(30)')
    .addUniqueConstraint('lost_pupil_matches_once_per_file', ['lost_pupil_id', 'transfer_id'])
    .addUniqueConstraint('lost_pupil_matches_once_per_return', ['lost_pupil_id', 'census_return_id'])
    .addCheckConstraint(
      'lost_pupil_matches_seen_in_one',
      sql`(transfer_id is null) <> (census_return_id is null)`,
    )
    .execute();
  const tables = db as unknown as Kysely<Tables>;
  await tables
    .insertInto('lost_pupil_matches_next')
    .columns(COLUMNS)
    .expression(tables.selectFrom('lost_pupil_matches').select(COLUMNS))
    .execute();
  await db.schema.dropTable('lost_pupil_matches').execute();
  await db.schema.alterTable('lost_pupil_matches_next').renameTo('lost_pupil_matches').execute();
  await db.schema
    .createIndex('lost_pupil_matches_open')
    .on('lost_pupil_matches')
    .columns(['status', 'matched_at'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('lost_pupil_matches_previous')
    .addColumn('id', 'varchar(36)', (c) => c.primaryKey())
    .addColumn('lost_pupil_id', 'varchar(36)', (c) => c.notNull().references('lost_pupils.id'))
    .addColumn('transfer_id', 'varchar(36)', (c) => c.notNull().references('transfers.id'))
    .addColumn('matched_on', 'varchar(12)', (c) => c.notNull())
    .addColumn('seen_at_la', 'varchar(3)')
    .addColumn('seen_at_school', 'varchar(7)')
    .addColumn('matched_at', 'varchar(30)', (c) => c.notNull())
    .addColumn('status', 'varchar(10)', (c) => c.notNull())
    .addColumn('closed_at', 'varchar(30)')
    .addColumn('closed_by', 'varchar(36)')
    .addColumn('outcome', 'varchar(30)')
    .addUniqueConstraint('lost_pupil_matches_once', ['lost_pupil_id', 'transfer_id'])
    .execute();
  // Matches seen in census returns had no place before: they go with the rollback.
  const tables = db as unknown as Kysely<Tables & { lost_pupil_matches_previous: Row }>;
  await tables
    .insertInto('lost_pupil_matches_previous')
    .columns(COLUMNS)
    .expression(tables.selectFrom('lost_pupil_matches').select(COLUMNS).where('transfer_id', 'is not', null))
    .execute();
  await db.schema.dropTable('lost_pupil_matches').execute();
  await db.schema.alterTable('lost_pupil_matches_previous').renameTo('lost_pupil_matches').execute();
  await db.schema
    .createIndex('lost_pupil_matches_open')
    .on('lost_pupil_matches')
    .columns(['status', 'matched_at'])
    .execute();
}
