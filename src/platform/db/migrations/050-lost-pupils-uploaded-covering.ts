import type { Kysely } from 'kysely';

// Every LA's Lost pupil numbers (the national administrator's All LAs) counts the records uploaded in a
// period by LA, age and gender, with how many were found (reports/lost-pupil-report-repository.ts). By
// upload time alone this index left each record of the period a read of the table, and PostgreSQL read
// the whole table instead: 33,000 records of the last year on 3,900 pages at a tenth of the country,
// against 320 pages of this index now. It ends with what the report counts, so both engines answer it
// from the index alone (docs/decisions.md, 45 and 47). The uploaded pupils' list, read in upload order,
// finds its records through it as before: the new columns come after the upload time.
const BEFORE = ['uploaded_at'];
const COVERING = [...BEFORE, 'source_la', 'date_of_birth', 'gender', 'found_at'];

async function rebuild(db: Kysely<unknown>, columns: string[]) {
  await db.schema.dropIndex('lost_pupils_uploaded').execute();
  await db.schema.createIndex('lost_pupils_uploaded').on('lost_pupils').columns(columns).execute();
}

export async function up(db: Kysely<unknown>): Promise<void> {
  await rebuild(db, COVERING);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await rebuild(db, BEFORE);
}
