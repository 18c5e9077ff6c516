import { type Kysely, sql } from 'kysely';

// Two reports' CSVs are read in keyset pages (reports/paging.ts): each page is the rows after the last
// one read, in the report's order. These indexes hold that order, so each page is one range of an index,
// however far into the report it starts:
// - lost_pupils_found_order, (found_at, id): the Lost Pupil (downloaded pupils) Report of every LA. By the
//   LA's index (lost_pupils_found) SQLite sorted every found record for each page: 1.1-1.7 s a page at a
//   million records, against 40 ms;
// - users_organisation, (the account's school, or its LA when it has none; username): the User Report,
//   whose pages otherwise each sorted every account (the CSV of 100,000 accounts: 11 s on SQLite and 34 s
//   on PostgreSQL, against 5 s and 10 s, on a busy machine). The expression is written as the report's
//   ORDER BY writes it (reports/directory-report-repository.ts), which both engines must match.
// The uploaded pupils' list is ordered by (uploaded_at, id): lost_pupils_uploaded (016) serves it.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createIndex('lost_pupils_found_order')
    .on('lost_pupils')
    .columns(['found_at', 'id'])
    .execute();
  await db.schema
    .createIndex('users_organisation')
    .on('users')
    .expression(sql`coalesce(establishment_number, la_number)`)
    .column('username')
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('users_organisation').execute();
  await db.schema.dropIndex('lost_pupils_found_order').execute();
}
