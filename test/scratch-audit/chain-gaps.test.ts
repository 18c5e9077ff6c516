// Scratch audit (to be deleted): tampering with the audit trail that `s2s audit verify` does not notice.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { before, test } from 'node:test';
import { chainHash, chainHead, sealAudit, verifyAudit } from '../../src/audit/chain.ts';
import { auditCsvRows } from '../../src/audit/export.ts';
import { listAudit, recordAudit } from '../../src/audit/repository.ts';
import type { Db } from '../../src/platform/db/schema.ts';
import { describeEachEngine } from '../support/databases.ts';

describeEachEngine('scratch: audit tampering verify misses', (database) => {
  let db: Db;
  let minute = 0;
  before(() => {
    db = database().db;
  });

  async function record(count: number): Promise<void> {
    for (let i = 0; i < count; i += 1) {
      minute += 1;
      await recordAudit(db, {
        at: new Date(Date.UTC(2026, 10, 1, 8, minute)),
        actorUsername: `user${minute}`,
        organisation: '916',
        action: 'file-downloaded',
        detail: { n: minute },
      });
    }
  }

  /** Puts the chain back as it was sealed. */
  async function snapshot(): Promise<() => Promise<void>> {
    const events = await db.selectFrom('audit_events').selectAll().execute();
    const head = await chainHead(db);
    return async () => {
      await db.deleteFrom('audit_events').execute();
      for (const event of events) await db.insertInto('audit_events').values(event).execute();
      await db.updateTable('audit_chain_head').set(head).where('id', '=', 1).execute();
    };
  }

  const forged = (seq: number | null, at: string) => ({
    id: randomUUID(),
    occurred_at: at,
    actor_user_id: null,
    actor_username: 'national-admin',
    organisation: '916',
    action: 'file-removed',
    subject_type: 'transfer',
    subject_id: randomUUID(),
    detail: JSON.stringify({ filename: '9165402_CTF_9163001_001.XML' }),
    seq,
    prev_hash: seq === null ? null : 'f'.repeat(64),
    hash: seq === null ? null : 'e'.repeat(64),
  });

  test('an event inserted with sequence number 0 (or below) is shown and exported, but verify passes', async () => {
    await record(4);
    await sealAudit(db);
    const restore = await snapshot();
    const anchor = await chainHead(db);
    const event = forged(0, '2026-11-01T08:02:30.000Z');
    await db.insertInto('audit_events').values(event).execute();

    const listed = await listAudit(db, { limit: 100, offset: 0 });
    assert.ok(listed.some((e) => e.id === event.id), 'the forged event is on the Audit Log page');
    const exported: unknown[][] = [];
    for await (const row of auditCsvRows(db, {})) exported.push(row);
    assert.ok(
      exported.some((row) => row.includes(event.subject_id)),
      'and in the export',
    );
    const result = await verifyAudit(db, anchor);
    await restore();
    assert.equal(result.ok, false, `verify says the trail is whole: ${JSON.stringify(result)}`);
  });

  test('an unsealed event inserted with a past time is sealed into the chain, and verifies against an earlier anchor', async () => {
    await record(3);
    await sealAudit(db);
    const restore = await snapshot();
    const anchor = await chainHead(db);
    // Someone with write access to the database adds an event dated last week, unsealed, as any event
    // is in its first minute; the seal-audit job seals it like any other.
    const event = forged(null, '2026-10-25T09:00:00.000Z');
    await db.insertInto('audit_events').values(event).execute();
    await sealAudit(db);
    const result = await verifyAudit(db, anchor);
    await restore();
    assert.equal(result.ok, false, `a forged, back-dated event verifies: ${JSON.stringify(result)}`);
  });

  test('the newest events deleted and the head moved back: verify passes (no anchor needed to fool it)', async () => {
    await record(5);
    await sealAudit(db);
    const restore = await snapshot();
    const head = await chainHead(db);
    await db
      .deleteFrom('audit_events')
      .where('seq', '>', head.seq - 3)
      .execute();
    const last = await db
      .selectFrom('audit_events')
      .select(['seq', 'hash'])
      .where('seq', '=', head.seq - 3)
      .executeTakeFirstOrThrow();
    await db
      .updateTable('audit_chain_head')
      .set({ seq: Number(last.seq), hash: String(last.hash) })
      .where('id', '=', 1)
      .execute();
    const result = await verifyAudit(db);
    await restore();
    assert.equal(result.ok, false, `three deleted events go unnoticed: ${JSON.stringify(result)}`);
  });

  test('forged events appended with their hashes computed verify, even against an anchor', async () => {
    await record(2);
    await sealAudit(db);
    const restore = await snapshot();
    const anchor = await chainHead(db);
    // Unkeyed SHA-256: anyone who can write the table can compute the next link.
    const event = forged(anchor.seq + 1, '2026-11-01T07:00:00.000Z');
    const hash = chainHash(anchor.hash, anchor.seq + 1, event);
    await db
      .insertInto('audit_events')
      .values({ ...event, prev_hash: anchor.hash, hash })
      .execute();
    await db
      .updateTable('audit_chain_head')
      .set({ seq: anchor.seq + 1, hash })
      .where('id', '=', 1)
      .execute();
    const result = await verifyAudit(db, anchor);
    await restore();
    assert.equal(result.ok, false, `an appended forged event verifies: ${JSON.stringify(result)}`);
  });
});
