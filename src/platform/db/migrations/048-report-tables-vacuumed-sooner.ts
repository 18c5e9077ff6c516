import { type Kysely, sql } from 'kysely';
import { engineOfDb } from '../database.ts';
import type { Db } from '../schema.ts';

// The LA's reports read transfers, lost pupils and message copies from their indexes alone (decisions 44
// and 45), which PostgreSQL does only for table pages its visibility map marks all-visible: pages written
// since the table was last vacuumed are read from the table as before. By default autovacuum visits a
// table once a fifth of its rows are new or changed: at national size 400,000 transfers, months of files,
// and the newest files are the ones the reports read most. These tables are now vacuumed once a
// hundredth of their rows are new, or a fiftieth changed or deleted. SQLite reads a covering index
// without a visibility map: nothing to do there.
const TABLES = ['transfers', 'lost_pupils', 'message_recipients'] as const;

export async function up(db: Kysely<unknown>): Promise<void> {
  if (engineOfDb(db as unknown as Db) !== 'postgres') return;
  for (const table of TABLES) {
    await sql`alter table ${sql.table(table)} set (autovacuum_vacuum_insert_scale_factor = 0.01, autovacuum_vacuum_scale_factor = 0.02)`.execute(
      db,
    );
  }
}

export async function down(db: Kysely<unknown>): Promise<void> {
  if (engineOfDb(db as unknown as Db) !== 'postgres') return;
  for (const table of TABLES) {
    await sql`alter table ${sql.table(table)} reset (autovacuum_vacuum_insert_scale_factor, autovacuum_vacuum_scale_factor)`.execute(
      db,
    );
  }
}
