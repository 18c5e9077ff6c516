import { type Kysely, sql } from 'kysely';

// Decision 77. DBA > Audit Log filters by who did it and by action. Newest first, a page of one user's
// events (or of a rare action's, "User deleted") was read along every event of the country in time order
// (audit_events_time) until fifty matched: the whole national trail for a user with few events. These
// indexes lead with what is filtered and keep the time, so each page reads only the events it shows.
// The username is compared without case (`lower`, as sign-in reads usernames); no index for the LA's
// scope and a filter together: its events are the organisation index's (001). Each audited change
// writes two more index entries; a node of the previous version runs on them unchanged.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createIndex('audit_events_actor_username')
    .on('audit_events')
    .expression(sql`lower(actor_username), occurred_at`)
    .execute();
  await db.schema
    .createIndex('audit_events_action')
    .on('audit_events')
    .columns(['action', 'occurred_at'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('audit_events_action').execute();
  await db.schema.dropIndex('audit_events_actor_username').execute();
}
