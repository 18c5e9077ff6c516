import type { Kysely } from 'kysely';

// Breaks in the audit trail's hash chain that an operator has accepted (`s2s audit accept-break`,
// src/audit/breaks.ts, decision 22): one row per break, never updated but to re-MAC it under a new master
// key. It keeps what was found (the head as it was, the last event that verified, the reason verify gave)
// and the operator's reason; sealing starts again after it, the first event after it linked to this row's
// hash, so verify walks past the break and reports it for good. `mac` is HMAC-SHA256 under the audit key.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('audit_chain_breaks')
    .addColumn('id', 'varchar(36)', (c) => c.primaryKey())
    .addColumn('accepted_at', 'varchar(30)', (c) => c.notNull())
    .addColumn('accepted_by', 'varchar(64)', (c) => c.notNull())
    .addColumn('reason', 'text', (c) => c.notNull())
    .addColumn('finding', 'text', (c) => c.notNull())
    .addColumn('proven_through', 'integer', (c) => c.notNull())
    .addColumn('proven_hash', 'varchar(64)', (c) => c.notNull())
    .addColumn('resumes_at', 'integer', (c) => c.notNull().unique())
    .addColumn('unproven_events', 'integer', (c) => c.notNull())
    .addColumn('legacy_through', 'integer', (c) => c.notNull())
    .addColumn('old_head_seq', 'integer', (c) => c.notNull())
    .addColumn('old_head_hash', 'varchar(64)', (c) => c.notNull())
    .addColumn('old_head_legacy_through', 'integer')
    .addColumn('old_head_mac', 'varchar(64)')
    .addColumn('old_head_mac_key_id', 'varchar(64)')
    .addColumn('mac', 'varchar(64)', (c) => c.notNull())
    .addColumn('mac_key_id', 'varchar(64)', (c) => c.notNull())
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('audit_chain_breaks').execute();
}
