import type { Kysely } from 'kysely';

// The audit trail's hash chain (issue 12; src/audit/chain.ts, decision 22). Existing events are left
// unsealed: the seal-audit job seals them, oldest first, like any event written since.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('audit_events').addColumn('seq', 'integer').execute();
  await db.schema.alterTable('audit_events').addColumn('prev_hash', 'varchar(64)').execute();
  await db.schema.alterTable('audit_events').addColumn('hash', 'varchar(64)').execute();
  await db.schema.createIndex('audit_events_seq').on('audit_events').column('seq').unique().execute();
  await db.schema
    .createTable('audit_chain_head')
    .addColumn('id', 'integer', (c) => c.primaryKey())
    .addColumn('seq', 'integer', (c) => c.notNull())
    .addColumn('hash', 'varchar(64)', (c) => c.notNull())
    .execute();
  await (db as Kysely<{ audit_chain_head: { id: number; seq: number; hash: string } }>)
    .insertInto('audit_chain_head')
    .values({ id: 1, seq: 0, hash: '0'.repeat(64) })
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('audit_chain_head').execute();
  await db.schema.dropIndex('audit_events_seq').execute();
  for (const column of ['hash', 'prev_hash', 'seq']) {
    await db.schema.alterTable('audit_events').dropColumn(column).execute();
  }
}
