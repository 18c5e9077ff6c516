// `s2s migrate`: brings the database schema up to date, and says what it found. A database a newer
// version has migrated is left as it is, and said to be newer rather than up to date: the previous
// version rolled back onto it runs on its schema (docs/operations.md, "Deploying a new version", step 4).
import type { CommandOutput } from '../cli.ts';
import { MIGRATION_NAMES, migrateToLatest } from './database.ts';
import type { Db } from './schema.ts';

/**
 * Runs the migrations the database has not run. Exit code 0 whether it migrated, had nothing to do or
 * found the database at a newer schema: rolling back runs this version's `s2s migrate` too, and must not
 * stop there. A database of another line of releases (migrateToLatest refuses it) fails the command.
 */
export async function runMigrateCommand(db: Db, output: CommandOutput, schema?: string): Promise<number> {
  const { unknown } = await migrateToLatest(db, schema);
  if (unknown.length === 0) {
    output.out('The database schema is up to date.\n');
    return 0;
  }
  const newest = unknown.at(-1);
  const others = unknown.length > 1 ? ` (and ${unknown.slice(0, -1).join(', ')})` : '';
  output.out(
    `The database is at a newer schema than this version of s2s knows: it has run ${newest}${others}, ` +
      `and the newest migration this version knows is ${MIGRATION_NAMES.at(-1)}. Nothing was done. ` +
      'This version runs on the newer schema (migrations only add), as after a rollback; to bring the ' +
      "schema up to date, run the newer version's s2s migrate.\n",
  );
  return 0;
}
