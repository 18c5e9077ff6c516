import { type Kysely, sql } from 'kysely';
import { engineOfDb } from '../database.ts';
import type { Db } from '../schema.ts';

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
//
// Two triggers stop a node of the previous version, while the nodes roll (or after a rollback), from
// sealing in the old form what must be sealed keyed: its seal-audit job would otherwise give an event
// written with a MAC a plain link, or move a keyed head on without a MAC, and the chain would be broken
// there for good, with the new sealer stopped behind it. Its sealing transaction fails instead, whole,
// naming the reason; the events it wrote meanwhile, without a MAC, are sealed by a new node, marked.
// The triggers are no defence against someone who can write to the database (they can drop them): the
// MACs are.
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
  await guardKeyedSealing(db);
  await db.schema
    .createIndex('audit_events_unproven')
    .on('audit_events')
    .column('seq')
    .where(sql.ref('seal_finding'), 'is not', null)
    .execute();
}

const OLD_SEALER =
  'a node of a version before 036-keyed-audit-chain tried to seal the audit trail without its MACs: upgrade it';

/** Creates the two triggers (see above). */
export async function guardKeyedSealing(db: Kysely<unknown>): Promise<void> {
  if (engineOfDb(db as unknown as Db) === 'postgres') {
    await sql`create function audit_keyed_sealing_guard() returns trigger language plpgsql as $$
      begin
        if tg_table_name = 'audit_events' then
          if new.seq is not null and new.seq is distinct from old.seq and new.mac_version is not null
             and new.seal_mac is null then
            raise exception '${sql.raw(OLD_SEALER)}';
          end if;
        elsif old.mac is not null and new.mac is not distinct from old.mac
              and (new.seq is distinct from old.seq or new.hash is distinct from old.hash) then
          raise exception '${sql.raw(OLD_SEALER)}';
        end if;
        return new;
      end $$`.execute(db);
    await sql`create trigger audit_events_keyed_sealing before update of seq on audit_events
      for each row execute function audit_keyed_sealing_guard()`.execute(db);
    await sql`create trigger audit_chain_head_keyed_sealing before update of seq, hash on audit_chain_head
      for each row execute function audit_keyed_sealing_guard()`.execute(db);
    return;
  }
  await sql`create trigger audit_events_keyed_sealing before update of seq on audit_events
    when new.seq is not null and new.seq is not old.seq and new.mac_version is not null
      and new.seal_mac is null
    begin select raise(abort, '${sql.raw(OLD_SEALER)}'); end`.execute(db);
  await sql`create trigger audit_chain_head_keyed_sealing before update of seq, hash on audit_chain_head
    when old.mac is not null and new.mac is old.mac and (new.seq is not old.seq or new.hash is not old.hash)
    begin select raise(abort, '${sql.raw(OLD_SEALER)}'); end`.execute(db);
}

/** Drops the two triggers: down, and tests playing someone who can write to the database. */
export async function unguardKeyedSealing(db: Kysely<unknown>): Promise<void> {
  if (engineOfDb(db as unknown as Db) === 'postgres') {
    await sql`drop trigger audit_chain_head_keyed_sealing on audit_chain_head`.execute(db);
    await sql`drop trigger audit_events_keyed_sealing on audit_events`.execute(db);
    await sql`drop function audit_keyed_sealing_guard()`.execute(db);
  } else {
    await sql`drop trigger audit_chain_head_keyed_sealing`.execute(db);
    await sql`drop trigger audit_events_keyed_sealing`.execute(db);
  }
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await unguardKeyedSealing(db);
  await db.schema.dropIndex('audit_events_unproven').execute();
  for (const column of ['mac_key_id', 'mac', 'legacy_through']) {
    await db.schema.alterTable('audit_chain_head').dropColumn(column).execute();
  }
  for (const column of ['seal_finding', 'seal_mac', 'mac_key_id', 'mac_version', 'mac']) {
    await db.schema.alterTable('audit_events').dropColumn(column).execute();
  }
}
