import type { Kysely } from 'kysely';

// The pupil as the incoming file gave them, on each Lost Pupil Match (docs/decisions.md, 71): the match
// email says "go to Lost Pupil Matches to see both records", but the page could show only the database's
// record, so a match by name and date of birth, or by former UPN, could not be checked. A census return
// keeps no pupils apart from its encrypted file, and a CTF's pupils go with its content (decision 31),
// often before the case is closed: the matching now writes what it compared, and closing the case clears
// it. Matches made before this migration have none (the page says so).
const COLUMNS = [
  ['seen_upn', 'varchar(13)'],
  ['seen_former_upn', 'varchar(13)'],
  ['seen_surname', 'varchar(100)'],
  ['seen_forename', 'varchar(100)'],
  ['seen_date_of_birth', 'varchar(10)'],
] as const;

export async function up(db: Kysely<unknown>): Promise<void> {
  for (const [name, type] of COLUMNS) {
    await db.schema.alterTable('lost_pupil_matches').addColumn(name, type).execute();
  }
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const [name] of [...COLUMNS].reverse()) {
    await db.schema.alterTable('lost_pupil_matches').dropColumn(name).execute();
  }
}
