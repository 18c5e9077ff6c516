// The audit trail's hash chain on both engines: sealing in order, verification of an untouched chain,
// and each kind of tampering someone with write access to the database could do, named at the event
// where it happened; two sealers at once still make one chain.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { before, test } from 'node:test';
import { sql } from 'kysely';
import {
  chainHead,
  eventMacColumns,
  GENESIS_HASH,
  keyedChainHash,
  sealAudit as sealWith,
  unsealedBatch,
  verifyAudit as verifyWith,
} from '../../src/audit/chain.ts';
import { AuditKeys, withAuditKeys } from '../../src/audit/keys.ts';
import type { Db } from '../../src/platform/db/schema.ts';
import { MasterKey } from '../../src/platform/storage/envelope.ts';
import { MasterKeyring } from '../../src/platform/storage/keyring.ts';
import { signInEvents } from '../support/audit.ts';
import { describeEachEngine, queryPlan } from '../support/databases.ts';

describeEachEngine('audit hash chain', (database) => {
  let db: Db;
  const keys = AuditKeys.fromKeyring(new MasterKeyring(MasterKey.generate()));
  const sealAudit = async (on: Db) => (await sealWith(on, keys)).sealed;
  const verifyAudit = (on: Db, anchor?: { seq: number; hash: string }) => verifyWith(on, keys, anchor);
  before(() => {
    db = withAuditKeys(database().db, keys);
  });

  /** `count` events, each a minute after the one before. */
  const record = signInEvents(() => db);

  /** `count` unsealed events written straight to the table, 500 a statement, a second apart from `start`. */
  async function bulkRecord(count: number, start: Date): Promise<void> {
    const rows = Array.from({ length: count }, (_, i) => {
      const row = {
        id: randomUUID(),
        occurred_at: new Date(start.getTime() + i * 1000).toISOString(),
        actor_user_id: null,
        actor_username: 'bulk',
        organisation: '916',
        action: 'file-downloaded',
        subject_type: null,
        subject_id: null,
        detail: null,
      };
      return { ...row, ...eventMacColumns(keys, row) };
    });
    for (let i = 0; i < rows.length; i += 500)
      await db
        .insertInto('audit_events')
        .values(rows.slice(i, i + 500))
        .execute();
  }

  /** Puts the chain back as it was sealed, after a test has tampered with it. */
  async function snapshot(): Promise<() => Promise<void>> {
    const events = await db.selectFrom('audit_events').selectAll().execute();
    const head = await db.selectFrom('audit_chain_head').selectAll().executeTakeFirstOrThrow();
    return async () => {
      await db.deleteFrom('audit_events').execute();
      for (const event of events) await db.insertInto('audit_events').values(event).execute();
      await db.updateTable('audit_chain_head').set(head).where('id', '=', 1).execute();
    };
  }

  test('an empty trail verifies, and sealing gives each event the next number and a linked hash', async () => {
    const empty = await verifyAudit(db);
    assert.deepEqual(empty, {
      ok: true,
      checked: 0,
      legacy: 0,
      keyed: 0,
      unsealed: 0,
      head: { seq: 0, hash: GENESIS_HASH },
      headMac: 'none',
      unproven: [],
      unprovenCount: 0,
      missingKeys: [],
      acceptedBreaks: [],
    });

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
      assert.equal(event.hash, keyedChainHash(previous, Number(event.seq), event));
      assert.equal(event.mac_key_id, keys.currentId);
      assert.match(String(event.seal_mac), /^[0-9a-f]{64}$/);
      assert.equal(event.seal_finding, null);
      previous = String(event.hash);
    }
    const result = await verifyAudit(db);
    assert.deepEqual(result, {
      ok: true,
      checked: 5,
      legacy: 0,
      keyed: 5,
      unsealed: 0,
      head: { seq: 5, hash: previous },
      headMac: 'valid',
      unproven: [],
      unprovenCount: 0,
      missingKeys: [],
      acceptedBreaks: [],
    });
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

  test('an edited event whose hash was recomputed fails its seal MAC', async () => {
    const restore = await snapshot();
    const event = await db
      .selectFrom('audit_events')
      .selectAll()
      .where('seq', '=', 2)
      .executeTakeFirstOrThrow();
    const forged = { ...event, detail: JSON.stringify({ n: 999 }) };
    await db
      .updateTable('audit_events')
      .set({ detail: forged.detail, hash: keyedChainHash(String(event.prev_hash), 2, forged) })
      .where('seq', '=', 2)
      .execute();
    let result = await verifyAudit(db);
    assert.equal(result.broken?.seq, 2);
    assert.match(String(result.broken?.reason), /event 2 fails its seal MAC/);
    // With the next event's link mended too, the seal MAC still gives it away.
    await db
      .updateTable('audit_events')
      .set({ prev_hash: keyedChainHash(String(event.prev_hash), 2, forged) })
      .where('seq', '=', 3)
      .execute();
    result = await verifyAudit(db);
    assert.equal(result.broken?.seq, 2);
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

  test('an event forged outside the numbers sealed (below 1, past the head) is named, anchor or not', async () => {
    await record(4);
    await sealAudit(db);
    const anchor = await chainHead(db);
    for (const seq of [0, anchor.seq + 1]) {
      const id = randomUUID();
      await db
        .insertInto('audit_events')
        .values({
          id,
          occurred_at: new Date(Date.UTC(2026, 9, 1)).toISOString(),
          actor_user_id: null,
          actor_username: 'someone',
          organisation: '916',
          action: 'file-removed',
          subject_type: 'transfer',
          subject_id: randomUUID(),
          detail: JSON.stringify({ reason: 'forged' }),
          seq,
          prev_hash: 'f'.repeat(64),
          hash: 'e'.repeat(64),
        })
        .execute();
      const result = await verifyAudit(db, anchor);
      assert.equal(result.ok, false, `event ${seq}`);
      assert.deepEqual(
        { seq: result.broken?.seq, eventId: result.broken?.eventId },
        { seq, eventId: id },
        String(result.broken?.reason),
      );
      assert.match(
        String(result.broken?.reason),
        new RegExp(`event ${seq} is (outside the chain|past the chain's head)`),
      );
      await db.deleteFrom('audit_events').where('id', '=', id).execute();
    }
    assert.equal((await verifyAudit(db, anchor)).ok, true);
  });

  test('the sealing batch is read through the index of unsealed events, not by sorting the backlog', async () => {
    const query = unsealedBatch(db).compile();
    const plan = await queryPlan(db, database().engine, query);
    assert.match(plan, /audit_events_unsealed/, plan);
    assert.doesNotMatch(plan, /TEMP B-TREE|Sort/, plan);
  });

  test('a chain rebuilt from scratch verifies on its own, but not against an anchor noted before', async () => {
    const anchor = await chainHead(db);
    assert.equal((await verifyAudit(db, anchor)).ok, true);
    assert.equal((await verifyAudit(db, { seq: anchor.seq, hash: 'f'.repeat(64) })).ok, false);

    const restore = await snapshot();
    // Someone with write access deletes event 3 and re-chains everything, head included.
    await db.deleteFrom('audit_events').where('seq', '=', 3).execute();
    // Every event keeps its own MAC (none is forged, one is missing), and the head is cleared to the new
    // instance's: the sealer cannot tell it from a chain never sealed (decision 22: only an anchor can).
    await db
      .updateTable('audit_events')
      .set({ seq: null, prev_hash: null, hash: null, seal_mac: null, seal_finding: null })
      .execute();
    await db
      .updateTable('audit_chain_head')
      .set({ seq: 0, hash: GENESIS_HASH, legacy_through: null, mac: null, mac_key_id: null })
      .execute();
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
    await bulkRecord(1200, new Date(Date.UTC(2026, 10, 2)));
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

  test('a batch whose event is gone by the time it is sealed seals nothing, and the next run seals it all', async () => {
    const before = await chainHead(db);
    await record(3);
    // The sealer reads an event that is no longer there when it writes the seals (removed meanwhile).
    let injected = false;
    const losingOne = db.withPlugin({
      transformQuery: (args) => args.node,
      transformResult: async (args) => {
        const rows = args.result.rows as Record<string, unknown>[];
        const first = rows[0];
        if (!injected && first !== undefined && 'action' in first && first.seq === null) {
          injected = true;
          return { ...args.result, rows: [...rows, { ...first, id: randomUUID() }] };
        }
        return args.result;
      },
    });
    await assert.rejects(sealAudit(losingOne), /4 events read for sealing were sealed or removed meanwhile/);
    assert.equal(injected, true);
    assert.deepEqual(await chainHead(db), before, 'the head did not move');
    assert.equal((await verifyAudit(db)).unsealed, 3, 'no event of the batch was sealed');
    assert.equal(await sealAudit(db), 3);
    const result = await verifyAudit(db);
    assert.equal(result.ok, true, JSON.stringify(result.broken));
    assert.equal(result.checked, before.seq + 3);
  });

  test('a verification while events are being sealed checks the chain as it was when it began', async () => {
    await bulkRecord(20_000, new Date(Date.UTC(2026, 10, 3)));
    await sealAudit(db);
    const before = await verifyAudit(db);
    assert.equal(before.ok, true, JSON.stringify(before.broken));
    await bulkRecord(50, new Date(Date.UTC(2026, 10, 4)));
    let result: Awaited<ReturnType<typeof verifyAudit>>;
    if (database().engine === 'sqlite') {
      [result] = await Promise.all([verifyAudit(db), sealAudit(db)]);
    } else {
      // Another node's job seals the 50 just after verification's first query.
      let sealed = false;
      const sealingMeanwhile = db.withPlugin({
        transformQuery: (args) => args.node,
        transformResult: async (args) => {
          if (!sealed) {
            sealed = true;
            await sealAudit(db);
          }
          return args.result;
        },
      });
      result = await verifyAudit(sealingMeanwhile);
      assert.equal(sealed, true);
    }
    assert.equal(result.ok, true, JSON.stringify(result.broken));
    assert.equal((await chainHead(db)).seq, before.head.seq + 50, 'the 50 were sealed meanwhile');
    const after = await verifyAudit(db);
    assert.equal(after.ok, true, JSON.stringify(after.broken));
    assert.equal(after.checked, before.checked + 50);
  });
});
