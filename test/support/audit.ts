// Audit events for the audit trail's tests.
import { breakHash, breakMacInput, headMacInput } from '../../src/audit/chain.ts';
import type { AuditKeys } from '../../src/audit/keys.ts';
import { recordAudit } from '../../src/audit/repository.ts';
import type { Db } from '../../src/platform/db/schema.ts';
import { asDatabaseWriter } from './databases.ts';

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
