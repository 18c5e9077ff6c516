import { type CreateTableBuilder, type Kysely, sql } from 'kysely';

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

/** The table under `name`: as this migration leaves it, or (for down) as migration 005 made it. */
function createMatches(db: Kysely<unknown>, name: string, withCensusReturns: boolean) {
  const table: CreateTableBuilder<string, string> = db.schema
    .createTable(name)
    .addColumn('id', 'varchar(36)', (c) => c.primaryKey())
    .addColumn('lost_pupil_id', 'varchar(36)', (c) => c.notNull().references('lost_pupils.id'));
  const seenIn = withCensusReturns
    ? table
        .addColumn('transfer_id', 'varchar(36)', (c) => c.references('transfers.id'))
        .addColumn('census_return_id', 'varchar(36)', (c) => c.references('census_returns.id'))
    : table.addColumn('transfer_id', 'varchar(36)', (c) => c.notNull().references('transfers.id'));
  const columns = seenIn
    .addColumn('matched_on', 'varchar(12)', (c) => c.notNull())
    .addColumn('seen_at_la', 'varchar(3)')
    .addColumn('seen_at_school', 'varchar(7)')
    .addColumn('matched_at', 'varchar(30)', (c) => c.notNull())
    .addColumn('status', 'varchar(10)', (c) => c.notNull())
    .addColumn('closed_at', 'varchar(30)')
    .addColumn('closed_by', 'varchar(36)')
    .addColumn('outcome', 'varchar(30)');
  return withCensusReturns
    ? columns
        .addUniqueConstraint('lost_pupil_matches_once_per_file', ['lost_pupil_id', 'transfer_id'])
        .addUniqueConstraint('lost_pupil_matches_once_per_return', ['lost_pupil_id', 'census_return_id'])
        .addCheckConstraint(
          'lost_pupil_matches_seen_in_one',
          sql`(transfer_id is null) <> (census_return_id is null)`,
        )
    : columns.addUniqueConstraint('lost_pupil_matches_once', ['lost_pupil_id', 'transfer_id']);
}

/** Copies the matches (those seen in files only, when asked) into `next`, which takes the table's name. */
async function replaceMatches(db: Kysely<unknown>, next: string, filesOnly: boolean): Promise<void> {
  const tables = db as unknown as Kysely<Record<string, Row>>;
  let rows = tables.selectFrom('lost_pupil_matches').select(COLUMNS);
  if (filesOnly) rows = rows.where('transfer_id', 'is not', null);
  await tables.insertInto(next).columns(COLUMNS).expression(rows).execute();
  await db.schema.dropTable('lost_pupil_matches').execute();
  await db.schema.alterTable(next).renameTo('lost_pupil_matches').execute();
  await db.schema
    .createIndex('lost_pupil_matches_open')
    .on('lost_pupil_matches')
    .columns(['status', 'matched_at'])
    .execute();
}

export async function up(db: Kysely<unknown>): Promise<void> {
  await createMatches(db, 'lost_pupil_matches_next', true).execute();
  await replaceMatches(db, 'lost_pupil_matches_next', false);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await createMatches(db, 'lost_pupil_matches_previous', false).execute();
  // Matches seen in census returns had no place before: they go with the rollback.
  await replaceMatches(db, 'lost_pupil_matches_previous', true);
}
