// The audit trail's hash chain on both engines: sealing in order, verification of an untouched chain,
// and each kind of tampering someone with write access to the database could do, named at the event
// where it happened; two sealers at once still make one chain.
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { sql } from 'kysely';
import { chainHash, chainHead, GENESIS_HASH, sealAudit, verifyAudit } from '../../src/audit/chain.ts';
import { recordAudit } from '../../src/audit/repository.ts';
import type { Db } from '../../src/platform/db/schema.ts';
import { describeEachEngine } from '../support/databases.ts';

describeEachEngine('audit hash chain', (database) => {
  let db: Db;
  let minute = 0;
  before(() => {
    db = database().db;
  });

  /** `count` events, each a minute after the one before. */
  async function record(count: number, organisation = '916'): Promise<void> {
    for (let i = 0; i < count; i += 1) {
      minute += 1;
      await recordAudit(db, {
        at: new Date(Date.UTC(2026, 10, 1, 8, minute)),
        actorUsername: `user${minute}`,
        organisation,
        action: 'sign-in',
        detail: { n: minute },
      });
    }
  }

  /** Puts the chain back as it was sealed, after a test has tampered with it. */
  async function snapshot(): Promise<() => Promise<void>> {
    const events = await db.selectFrom('audit_events').selectAll().execute();
    const head = await chainHead(db);
    return async () => {
      await db.deleteFrom('audit_events').execute();
      for (const event of events) await db.insertInto('audit_events').values(event).execute();
      await db.updateTable('audit_chain_head').set(head).where('id', '=', 1).execute();
    };
  }

  test('an empty trail verifies, and sealing gives each event the next number and a linked hash', async () => {
    const empty = await verifyAudit(db);
    assert.deepEqual(empty, { ok: true, checked: 0, unsealed: 0, head: { seq: 0, hash: GENESIS_HASH } });

    await record(5);
    assert.equal((await verifyAudit(db)).unsealed, 5);
    assert.equal(await sealAudit(db), 5);
    assert.equal(await sealAudit(db), 0, 'nothing is sealed twice');

    const events = await db.selectFrom('audit_events').selectAll().orderBy('seq').execute();
    assert.deepEqual(
      events.map((e) => Number(e.seq)),
      [1, 2, 3, 4, 5],
    );
    assert.deepEqual(
      events.map((e) => e.actor_username),
      ['user1', 'user2', 'user3', 'user4', 'user5'],
      'oldest first',
    );
    let previous = GENESIS_HASH;
    for (const event of events) {
      assert.equal(event.prev_hash, previous);
      assert.equal(event.hash, chainHash(previous, Number(event.seq), event));
      previous = String(event.hash);
    }
    const result = await verifyAudit(db);
    assert.deepEqual(result, { ok: true, checked: 5, unsealed: 0, head: { seq: 5, hash: previous } });
  });

  test('an edited event is named', async () => {
    await record(3);
    await sealAudit(db);
    const restore = await snapshot();
    await db
      .updateTable('audit_events')
      .set({ actor_username: 'someone-else' })
      .where('seq', '=', 4)
      .execute();
    const result = await verifyAudit(db);
    assert.equal(result.ok, false);
    assert.equal(result.broken?.seq, 4);
    assert.match(String(result.broken?.reason), /event 4 has been altered since it was sealed/);
    await restore();
    assert.equal((await verifyAudit(db)).ok, true);
  });

  test('an edited event whose hash was recomputed breaks the link to the next', async () => {
    const restore = await snapshot();
    const event = await db
      .selectFrom('audit_events')
      .selectAll()
      .where('seq', '=', 2)
      .executeTakeFirstOrThrow();
    const forged = { ...event, detail: JSON.stringify({ n: 999 }) };
    await db
      .updateTable('audit_events')
      .set({ detail: forged.detail, hash: chainHash(String(event.prev_hash), 2, forged) })
      .where('seq', '=', 2)
      .execute();
    const result = await verifyAudit(db);
    assert.equal(result.broken?.seq, 3);
    assert.match(String(result.broken?.reason), /event 3 does not follow event 2/);
    await restore();
  });

  test('a deleted event leaves a gap, and deleting the newest leaves the head past the end', async () => {
    const restore = await snapshot();
    await db.deleteFrom('audit_events').where('seq', '=', 6).execute();
    let result = await verifyAudit(db);
    assert.equal(result.broken?.seq, 6);
    assert.match(String(result.broken?.reason), /event 6 is missing: it has been deleted/);
    await restore();

    const head = await chainHead(db);
    await db
      .deleteFrom('audit_events')
      .where('seq', '>=', head.seq - 1)
      .execute();
    result = await verifyAudit(db);
    assert.equal(result.ok, false);
    assert.equal(result.broken?.seq, head.seq - 1);
    assert.match(String(result.broken?.reason), /the last ones have been deleted/);
    await restore();
    assert.equal((await verifyAudit(db)).ok, true);
  });

  test('a chain rebuilt from scratch verifies on its own, but not against an anchor noted before', async () => {
    const anchor = await chainHead(db);
    assert.equal((await verifyAudit(db, anchor)).ok, true);
    assert.equal((await verifyAudit(db, { seq: anchor.seq, hash: 'f'.repeat(64) })).ok, false);

    const restore = await snapshot();
    // Someone with write access deletes event 3 and re-chains everything, head included.
    await db.deleteFrom('audit_events').where('seq', '=', 3).execute();
    await db.updateTable('audit_events').set({ seq: null, prev_hash: null, hash: null }).execute();
    await db.updateTable('audit_chain_head').set({ seq: 0, hash: GENESIS_HASH }).execute();
    await sealAudit(db);
    assert.equal((await verifyAudit(db)).ok, true, 'a rebuilt chain is consistent in itself');
    const checked = await verifyAudit(db, anchor);
    assert.equal(checked.ok, false);
    assert.deepEqual(checked.anchor, { ...anchor, found: false });
    await restore();
  });

  test('sealers running at once make one chain, each event sealed once, across batches', async () => {
    const before = await chainHead(db);
    // More than one batch (500): a bulk insert, as the events of a busy hour.
    const rows = Array.from({ length: 1200 }, (_, i) => ({
      id: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
      occurred_at: new Date(Date.UTC(2026, 10, 2, 0, 0, i)).toISOString(),
      actor_user_id: null,
      actor_username: 'bulk',
      organisation: '916',
      action: 'file-downloaded',
      subject_type: null,
      subject_id: null,
      detail: null,
    }));
    for (let i = 0; i < rows.length; i += 200)
      await db
        .insertInto('audit_events')
        .values(rows.slice(i, i + 200))
        .execute();
    const sealed = await Promise.all([sealAudit(db), sealAudit(db), sealAudit(db)]);
    assert.equal(
      sealed.reduce((a, b) => a + b, 0),
      1200,
    );
    const result = await verifyAudit(db);
    assert.equal(result.ok, true, JSON.stringify(result.broken));
    assert.equal(result.checked, before.seq + 1200);
    const duplicates = await sql<{
      n: number;
    }>`select count(*) as n from (select seq from audit_events group by seq having count(*) > 1) d`.execute(
      db,
    );
    assert.equal(Number(duplicates.rows[0]?.n), 0);
  });
});
