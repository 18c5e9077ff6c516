import type { Kysely } from 'kysely';

// What an accepted break found kept after the last event that verified (src/audit/breaks.ts, decision 39):
// a SHA-256 digest of those events as they were, in number order, hashed into the break's record and so
// under its MAC. Verify recomputes it, so one of them altered in place, or replaced by another, is named.
// Null on a break accepted before this migration: only the number of its kept events can be checked.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('audit_chain_breaks').addColumn('kept_digest', 'varchar(64)').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('audit_chain_breaks').dropColumn('kept_digest').execute();
}
