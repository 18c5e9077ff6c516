// Audit events for the audit trail's tests.

import { sql } from 'kysely';
import { breakHash, breakMacInput, headMacInput } from '../../src/audit/chain.ts';
import type { AuditKeys } from '../../src/audit/keys.ts';
import { type AuditAction, recordAudit } from '../../src/audit/repository.ts';
import type { Db } from '../../src/platform/db/schema.ts';
import { asDatabaseWriter, type TestDatabase } from './databases.ts';

/**
 * A writer of sign-in events through the handle `db()` gives (with its audit keys): `record(count,
 * organisation)` writes `count` events, each a minute after the one before, from 08:01 on 1 November 2026.
 */
export function signInEvents(db: () => Db): (count: number, organisation?: string) => Promise<void> {
  let minute = 0;
  return async (count, organisation = '916') => {
    for (let i = 0; i < count; i += 1) {
      minute += 1;
      await recordAudit(db(), {
        at: new Date(Date.UTC(2026, 10, 1, 8, minute)),
        actorUsername: `user${minute}`,
        organisation,
        action: 'sign-in',
        detail: { n: minute },
      });
    }
  };
}

/**
 * Rewrites the break just accepted (nothing sealed after it yet) as a version before migration 041 wrote
 * it: no digest of its kept events, hashed and MACed in the form of 039, the head on that hash. It needs
 * the audit keys: for tests of how verify treats such a break, not of tampering.
 */
export async function asAcceptedBefore041(db: Db, keys: AuditKeys): Promise<void> {
  const accepted = await db
    .selectFrom('audit_chain_breaks')
    .selectAll()
    .orderBy('resumes_at', 'desc')
    .executeTakeFirstOrThrow();
  const head = await db.selectFrom('audit_chain_head').selectAll().executeTakeFirstOrThrow();
  if (head.hash !== breakHash(accepted)) throw new Error('Events have been sealed after the break.');
  const hash = breakHash({ ...accepted, kept_digest: null });
  await asDatabaseWriter(db, async () => {
    await db
      .updateTable('audit_chain_breaks')
      .set({ kept_digest: null, mac: keys.mac(breakMacInput(hash)) })
      .where('id', '=', accepted.id)
      .execute();
    await db
      .updateTable('audit_chain_head')
      .set({ hash, mac: keys.mac(headMacInput(Number(head.seq), hash, head.legacy_through)) })
      .where('id', '=', 1)
      .execute();
  });
}

/**
 * Makes the database itself refuse every row of `table` whose `column` is `value` (a trigger: RAISE(ABORT)
 * on SQLite, a plpgsql exception on PostgreSQL), as a full disk or a broken constraint would refuse it:
 * whatever is written with it must then be refused with it. The error says `<table> <value> refused by a
 * test trigger`. Returns what drops the trigger again.
 */
export async function refuseInserts(
  database: TestDatabase,
  table: 'audit_events' | 'notification_outbox',
  column: 'action' | 'template',
  value: string,
): Promise<() => Promise<void>> {
  const { db, engine } = database;
  const name = sql.id(`refuse_${table}_${value.replaceAll('-', '_')}`);
  const refusal = `${table} ${value} refused by a test trigger`;
  if (engine === 'postgres') {
    await sql`create or replace function refuse_insert() returns trigger language plpgsql as $$
      begin
        if to_jsonb(new) ->> tg_argv[0] = tg_argv[1] then raise exception '%', tg_argv[2]; end if;
        return new;
      end $$`.execute(db);
    await sql`create trigger ${name} before insert on ${sql.table(table)} for each row
      execute function refuse_insert(${sql.lit(column)}, ${sql.lit(value)}, ${sql.lit(refusal)})`.execute(db);
    return async () => {
      await sql`drop trigger ${name} on ${sql.table(table)}`.execute(db);
    };
  }
  await sql`create trigger ${name} before insert on ${sql.table(table)}
    when new.${sql.ref(column)} = ${sql.lit(value)}
    begin select raise(abort, ${sql.lit(refusal)}); end`.execute(db);
  return async () => {
    await sql`drop trigger ${name}`.execute(db);
  };
}

/** refuseInserts of the audit events of `action`: the change they record must be refused with them. */
export function refuseAuditEvents(database: TestDatabase, action: AuditAction): Promise<() => Promise<void>> {
  return refuseInserts(database, 'audit_events', 'action', action);
}

/** How many audit events record one of `actions` (one action, or several) on `subjectId` (on any without it). */
export async function auditEventsOf(db: Db, actions: string | string[], subjectId?: string): Promise<number> {
  let query = db
    .selectFrom('audit_events')
    .select('id')
    .where('action', 'in', typeof actions === 'string' ? [actions] : actions);
  if (subjectId !== undefined) query = query.where('subject_id', '=', subjectId);
  return (await query.execute()).length;
}
