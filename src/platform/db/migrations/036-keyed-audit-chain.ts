import { type Kysely, sql } from 'kysely';

// The audit trail's MACs (src/audit/chain.ts, decision 22): an HMAC-SHA256 under a key derived from the
// master key, which is kept outside the database, so a database writer can no longer forge events.
// - audit_events.mac: made when the event is written, over its fields; mac_version: the form of the
//   event's MACs (1), null for events written before this migration (their chain stays plain SHA-256);
//   mac_key_id: the master key whose audit key made `mac` and `seal_mac`;
// - audit_events.seal_mac: made when the event is sealed, over its number and chain hash (and
//   seal_finding); seal_finding: null when the event's own MAC verified when it was sealed, otherwise why
//   not (the event is sealed all the same, marked, and verify names it);
// - audit_chain_head.mac and mac_key_id: the head's MAC, over its number, hash and legacy_through, the
//   last event sealed in the old, plain form (every later one is keyed).
// Existing rows are left as they are: null MACs are the old form, which still verifies as before.
// audit_events_unproven indexes the events sealed marked, so the Audit Log page counts them at a glance
// (none, as a rule: the index stays empty).
export async function up(db: Kysely<unknown>): Promise<void> {
  for (const [column, type] of [
    ['mac', 'varchar(64)'],
    ['mac_version', 'integer'],
    ['mac_key_id', 'varchar(64)'],
    ['seal_mac', 'varchar(64)'],
    ['seal_finding', 'varchar(100)'],
  ] as const) {
    await db.schema.alterTable('audit_events').addColumn(column, type).execute();
  }
  for (const [column, type] of [
    ['legacy_through', 'integer'],
    ['mac', 'varchar(64)'],
    ['mac_key_id', 'varchar(64)'],
  ] as const) {
    await db.schema.alterTable('audit_chain_head').addColumn(column, type).execute();
  }
  await db.schema
    .createIndex('audit_events_unproven')
    .on('audit_events')
    .column('seq')
    .where(sql.ref('seal_finding'), 'is not', null)
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('audit_events_unproven').execute();
  for (const column of ['mac_key_id', 'mac', 'legacy_through']) {
    await db.schema.alterTable('audit_chain_head').dropColumn(column).execute();
  }
  for (const column of ['seal_finding', 'seal_mac', 'mac_key_id', 'mac_version', 'mac']) {
    await db.schema.alterTable('audit_events').dropColumn(column).execute();
  }
}
