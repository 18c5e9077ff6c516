import { type Kysely, sql } from 'kysely';

// Decision 80. An LA's DBA reads the Audit Log of the LA and its schools: `organisation` is the LA number
// (three digits) or an establishment number (the LA's and four more), or none (national). Neither index
// before served that scope (an equality and a LIKE on `organisation`: 001's index serves the one, neither
// engine's LIKE the other), so the LA's page read the country's events in time order
// (audit_events_time), or all of them, until fifty of the LA's were found: about 170 times the rows it
// shows, far more for a small LA. These index the LA an organisation belongs to, as audit/repository.ts's
// `ofLa` names it word for word (SQLite uses an expression index only for the same expression), and the
// time; the second has the action between, for the page filtered by action, which otherwise read all the
// LA's entries and all the action's. An expression, not a column: the events are a keyed hash chain
// (audit/chain.ts), and their columns are what backup, restore and export carry. Each audited change
// writes two more index entries; a node of the previous version runs on them unchanged.
const LA_OF_ORGANISATION = sql`(case when length(organisation) in (3, 7) then substr(organisation, 1, 3) end)`;

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createIndex('audit_events_la')
    .on('audit_events')
    .expression(sql`${LA_OF_ORGANISATION}, occurred_at`)
    .execute();
  await db.schema
    .createIndex('audit_events_la_action')
    .on('audit_events')
    .expression(sql`${LA_OF_ORGANISATION}, action, occurred_at`)
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('audit_events_la_action').execute();
  await db.schema.dropIndex('audit_events_la').execute();
}
