import { type Kysely, sql } from 'kysely';

// The audit events not sealed yet, in the order the seal-audit job seals them (audit/chain.ts,
// unsealedBatch). Without it each batch of 500 sorted the whole backlog: sealing a million events took
// 11 minutes on SQLite. Only unsealed events are in it, a minute's worth, and the job writes `seq is
// null` as a literal, so both engines see that its query wants only these.
//
// The unique index of sequence numbers is replaced by one of sealed events only (the same constraint:
// nulls never collided): SQLite took `seq is null` as a lookup in the whole one and sorted what it found,
// never choosing the new index. The new one is built before the old is dropped, so numbers stay unique
// throughout. No CHECK (seq >= 1): SQLite adds one only by rebuilding the table; verify names such a row.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createIndex('audit_events_unsealed')
    .on('audit_events')
    .columns(['occurred_at', 'id'])
    .where(sql.ref('seq'), 'is', null)
    .execute();
  await db.schema
    .createIndex('audit_events_sealed_seq')
    .on('audit_events')
    .column('seq')
    .unique()
    .where(sql.ref('seq'), 'is not', null)
    .execute();
  await db.schema.dropIndex('audit_events_seq').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.createIndex('audit_events_seq').on('audit_events').column('seq').unique().execute();
  await db.schema.dropIndex('audit_events_sealed_seq').execute();
  await db.schema.dropIndex('audit_events_unsealed').execute();
}
