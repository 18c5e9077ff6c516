import { type Kysely, sql } from 'kysely';

// The Lost Pupil Matches page lists an LA's open cases a page at a time (lost-pupils/matches-service.ts).
// It found them through the LA's records (lost_pupils by source_la, then each record's matches): 25-30 ms
// a page for an LA of 2,000 records, growing with the LA's records rather than its cases. Each match now
// carries its record's LA (which never changes), so a page is one range of an index by LA, status and
// time. Matches written by a node of the previous version during a rolling deployment have none, and are
// still found through their record (the page reads those, normally none, by the same index).
//
// A census return's earlier versions' matches (matching.ts, matchedIn) are read by census_return_id,
// which no index led with: every match was read for each return loaded.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('lost_pupil_matches').addColumn('lost_la', 'varchar(3)').execute();
  await sql`update lost_pupil_matches
    set lost_la = (select source_la from lost_pupils where lost_pupils.id = lost_pupil_matches.lost_pupil_id)`.execute(
    db,
  );
  await db.schema
    .createIndex('lost_pupil_matches_la')
    .on('lost_pupil_matches')
    .columns(['lost_la', 'status', 'matched_at', 'id'])
    .execute();
  await db.schema
    .createIndex('lost_pupil_matches_return')
    .on('lost_pupil_matches')
    .column('census_return_id')
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('lost_pupil_matches_return').execute();
  await db.schema.dropIndex('lost_pupil_matches_la').execute();
  await db.schema.alterTable('lost_pupil_matches').dropColumn('lost_la').execute();
}
