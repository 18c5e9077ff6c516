// The audit trail's MACs (decision 22) on both engines: what a database writer without the master key
// could do unnoticed to the plain hash chain, each now caught: (a) an unsealed event inserted, back-dated,
// for the job to seal; (c) forged events appended with their hashes computed and the head moved on; (d)
// an event changed in its first minute, before it is sealed. Also: the job is not stopped by a bad event;
// chains sealed before migration 036 still verify, alone and followed by keyed events; and master key
// rotation re-MACs the trail, refusing what does not verify.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { before, test } from 'node:test';
import { chainHash, eventMacColumns, keyedChainHash, sealAudit, verifyAudit } from '../../src/audit/chain.ts';
import { AuditKeys, withAuditKeys } from '../../src/audit/keys.ts';
import { recordAudit } from '../../src/audit/repository.ts';
import type { Actor } from '../../src/auth/actor.ts';
import { DirectoryService } from '../../src/directory/service.ts';
import { rotateMasterKey } from '../../src/keys/rotation.ts';
import { ManualClock } from '../../src/platform/clock.ts';
import { migrateToLatest } from '../../src/platform/db/database.ts';
import type { Db } from '../../src/platform/db/schema.ts';
import { MasterKey } from '../../src/platform/storage/envelope.ts';
import { MasterKeyring } from '../../src/platform/storage/keyring.ts';
import { signInEvents } from '../support/audit.ts';
import { asDatabaseWriter, createTestDatabase, describeEachEngine, ENGINES } from '../support/databases.ts';

const auditKeys = (keyring: MasterKeyring) => AuditKeys.fromKeyring(keyring);

/** An event row as recordAudit would write it, without its MAC columns. */
function eventRow(at: Date, username: string) {
  return {
    id: randomUUID(),
    occurred_at: at.toISOString(),
    actor_user_id: null,
    actor_username: username,
    organisation: '916',
    action: 'file-removed',
    subject_type: 'transfer',
    subject_id: randomUUID(),
    detail: JSON.stringify({ reason: 'withdrawn' }),
  };
}

describeEachEngine('keyed audit trail', (database) => {
  const keyring = new MasterKeyring(MasterKey.generate());
  const keys = auditKeys(keyring);
  let db: Db;
  before(() => {
    db = withAuditKeys(database().db, keys);
  });
  const record = signInEvents(() => db);

  /** Puts the trail back as it was, after a test has tampered with it. */
  async function snapshot(): Promise<() => Promise<void>> {
    const events = await db.selectFrom('audit_events').selectAll().execute();
    const head = await db.selectFrom('audit_chain_head').selectAll().executeTakeFirstOrThrow();
    return () =>
      asDatabaseWriter(db, async () => {
        await db.deleteFrom('audit_events').execute();
        for (const event of events) await db.insertInto('audit_events').values(event).execute();
        await db.updateTable('audit_chain_head').set(head).where('id', '=', 1).execute();
      });
  }

  test('events get a MAC when written, under the current key, and the head one when sealed', async () => {
    await record(3);
    const unsealed = await db.selectFrom('audit_events').selectAll().where('seq', 'is', null).execute();
    assert.equal(unsealed.length, 3);
    for (const event of unsealed) {
      assert.deepEqual(
        { mac: event.mac, mac_key_id: event.mac_key_id, mac_version: event.mac_version },
        eventMacColumns(keys, event),
      );
    }
    assert.deepEqual(await sealAudit(db, keys), { sealed: 3, unproven: 0 });
    const head = await db.selectFrom('audit_chain_head').selectAll().executeTakeFirstOrThrow();
    assert.equal(head.mac_key_id, keys.currentId);
    assert.equal(Number(head.legacy_through), 0, 'a new trail is keyed from its first event');
    const result = await verifyAudit(db, keys);
    assert.equal(result.ok, true, JSON.stringify(result));
    assert.deepEqual([result.legacy, result.keyed, result.headMac], [0, 3, 'valid']);
  });

  test('(a) an unsealed event inserted back-dated, with no MAC or a made-up one, is sealed marked and named', async () => {
    const restore = await snapshot();
    const bare = eventRow(new Date(Date.UTC(2026, 9, 1)), 'intruder');
    const madeUp = { ...eventRow(new Date(Date.UTC(2026, 9, 2)), 'intruder'), mac: 'ab'.repeat(32) };
    await db.insertInto('audit_events').values(bare).execute();
    await db
      .insertInto('audit_events')
      .values({ ...madeUp, mac_version: 1, mac_key_id: keys.currentId })
      .execute();
    // Made under another key altogether (someone's guess at the audit key): just as wrong.
    const otherKeys = auditKeys(new MasterKeyring(MasterKey.generate()));
    const guessed = eventRow(new Date(Date.UTC(2026, 9, 3)), 'intruder');
    await db
      .insertInto('audit_events')
      .values({ ...guessed, ...eventMacColumns(otherKeys, guessed), mac_key_id: keys.currentId })
      .execute();
    await record(1);

    assert.deepEqual(await sealAudit(db, keys), { sealed: 4, unproven: 3 });
    const result = await verifyAudit(db, keys);
    assert.equal(result.ok, false);
    assert.equal(result.broken, undefined, 'the chain itself is whole: the events are marked in it');
    assert.equal(result.unprovenCount, 3);
    assert.deepEqual(
      result.unproven.map((event) => event.eventId),
      [bare.id, madeUp.id, guessed.id],
    );
    assert.match(String(result.unproven[0]?.reason), /had no MAC when it was sealed/);
    assert.match(String(result.unproven[1]?.reason), /MAC did not verify when it was sealed/);
    // The mark is under the seal MAC: taking it off breaks the seal.
    await db.updateTable('audit_events').set({ seal_finding: null }).where('id', '=', bare.id).execute();
    const unmarked = await verifyAudit(db, keys);
    assert.equal(unmarked.broken?.eventId, bare.id);
    assert.match(String(unmarked.broken?.reason), /fails its seal MAC/);
    await restore();
    assert.equal((await verifyAudit(db, keys)).ok, true);
  });

  test('(d) an event changed in its first minute, before it is sealed, is sealed marked and named', async () => {
    const restore = await snapshot();
    await record(2);
    const [first] = await db
      .selectFrom('audit_events')
      .select('id')
      .where('seq', 'is', null)
      .orderBy('occurred_at')
      .execute();
    await db
      .updateTable('audit_events')
      .set({ actor_username: 'someone-else' })
      .where('id', '=', String(first?.id))
      .execute();
    assert.deepEqual(await sealAudit(db, keys), { sealed: 2, unproven: 1 });
    const result = await verifyAudit(db, keys);
    assert.equal(result.ok, false);
    assert.deepEqual(
      result.unproven.map((event) => event.eventId),
      [first?.id],
    );
    assert.match(String(result.unproven[0]?.reason), /changed after it was written, or forged/);
    await restore();
  });

  test('the job is not stopped by a bad event: it seals those after it, and again next time', async () => {
    const restore = await snapshot();
    const bad = eventRow(new Date(Date.UTC(2026, 10, 1, 8, 30, 30)), 'intruder');
    await db.insertInto('audit_events').values(bad).execute();
    await record(3);
    assert.deepEqual(await sealAudit(db, keys), { sealed: 4, unproven: 1 });
    await record(2);
    assert.deepEqual(await sealAudit(db, keys), { sealed: 2, unproven: 0 });
    assert.equal(
      Number(
        (
          await db
            .selectFrom('audit_events')
            .select((eb) => eb.fn.countAll().as('n'))
            .where('seq', 'is', null)
            .executeTakeFirstOrThrow()
        ).n,
      ),
      0,
    );
    const result = await verifyAudit(db, keys);
    assert.deepEqual(
      result.unproven.map((event) => event.eventId),
      [bad.id],
    );
    assert.equal(result.broken, undefined);
    await restore();
  });

  test('(c) forged events appended with their hashes computed and the head moved on are caught', async () => {
    const restore = await snapshot();
    const head = await db.selectFrom('audit_chain_head').selectAll().executeTakeFirstOrThrow();
    const forged = eventRow(new Date(Date.UTC(2026, 10, 1, 9)), 'intruder');
    const seq = Number(head.seq) + 1;
    const hash = keyedChainHash(head.hash, seq, forged);
    await db
      .insertInto('audit_events')
      .values({
        ...forged,
        seq,
        prev_hash: head.hash,
        hash,
        mac: 'cd'.repeat(32),
        mac_version: 1,
        mac_key_id: keys.currentId,
        seal_mac: 'ef'.repeat(32),
        seal_finding: null,
      })
      .execute();
    // The head moved on, keeping its MAC: the MAC no longer fits.
    await asDatabaseWriter(db, () =>
      db.updateTable('audit_chain_head').set({ seq, hash }).where('id', '=', 1).execute(),
    );
    let result = await verifyAudit(db, keys);
    assert.equal(result.ok, false);
    assert.match(String(result.broken?.reason), /the chain's head fails its MAC/);
    // Nothing the head says is trusted; the events still verify by their seal MACs, up to the forged one.
    assert.equal(result.broken?.seq, seq);
    assert.match(String(result.broken?.reason), new RegExp(`and event ${seq} fails its seal MAC`));
    // The sealer will not build on it: that would MAC the forgery.
    await record(1);
    await assert.rejects(sealAudit(db, keys), /head fails its MAC/);

    // The head stripped of its MAC (as before keyed sealing) instead: the keyed events before give it away.
    await db
      .updateTable('audit_chain_head')
      .set({ mac: null, mac_key_id: null, legacy_through: null })
      .where('id', '=', 1)
      .execute();
    result = await verifyAudit(db, keys);
    assert.equal(result.ok, false);
    assert.match(
      String(result.broken?.reason),
      /the chain's head has no MAC, but the chain holds events sealed with MACs/,
    );
    await assert.rejects(sealAudit(db, keys), /head has no MAC, but the chain holds events sealed with MACs/);

    // Even with the head left valid (the forged event past it), or the forged event within the chain,
    // its seal MAC gives it away.
    await restore();
    const tail = await db.selectFrom('audit_chain_head').selectAll().executeTakeFirstOrThrow();
    const last = await db
      .selectFrom('audit_events')
      .selectAll()
      .where('seq', '=', Number(tail.seq))
      .executeTakeFirstOrThrow();
    const replaced = { ...last, actor_username: 'intruder' };
    await db
      .updateTable('audit_events')
      .set({
        actor_username: 'intruder',
        hash: keyedChainHash(String(last.prev_hash), Number(last.seq), replaced),
        ...eventMacColumns(auditKeys(new MasterKeyring(MasterKey.generate())), replaced),
        mac_key_id: keys.currentId,
      })
      .where('id', '=', last.id)
      .execute();
    result = await verifyAudit(db, keys);
    assert.equal(result.ok, false);
    assert.equal(result.broken?.eventId, last.id);
    await restore();
    assert.equal((await verifyAudit(db, keys)).ok, true);
  });

  test('a handle without the audit keys writes no event and cannot report on the head: a programming error says how to give them', async () => {
    const unkeyed = database().unkeyedDb;
    const username = `unkeyed-${randomUUID()}`;
    const missingKeys =
      /carries no audit keys: open it through buildDeps, or give it the keys with withAuditKeys/;
    await assert.rejects(
      recordAudit(unkeyed, { at: new Date(), actorUsername: username, action: 'sign-in' }),
      missingKeys,
    );
    const written = await db.selectFrom('audit_events').select('id').where('actor_username', '=', username);
    assert.deepEqual(await written.execute(), [], 'nothing written');
    // Without them, the Audit Log page would show the head as not keyed and no event as unproven.
    const directory = new DirectoryService(unkeyed, new ManualClock('2026-11-02T09:00:00.000Z'));
    const admin: Actor = {
      userId: randomUUID(),
      username: 'nat',
      role: 'national_admin',
      laNumber: null,
      establishmentNumber: null,
    };
    await assert.rejects(directory.auditChainHead(admin), missingKeys);
  });

  test('an event whose key is not configured cannot be checked, which is said as such, not as tampering', async () => {
    const onlyNew = auditKeys(new MasterKeyring(MasterKey.generate()));
    const result = await verifyAudit(db, onlyNew);
    assert.equal(result.ok, false);
    assert.equal(result.broken, undefined);
    assert.equal(result.headMac, 'unchecked');
    assert.deepEqual(
      result.missingKeys.map((missing) => [missing.keyId, missing.head]),
      [[keys.currentId, true]],
    );
    assert.equal(result.missingKeys[0]?.events, result.keyed);
  });
});

/** The sealing of the version before migration 036, as it was: plain SHA-256 links, a head of two columns. */
async function sealTheOldWay(db: Db): Promise<void> {
  const head = await db
    .selectFrom('audit_chain_head')
    .select(['seq', 'hash'])
    .where('id', '=', 1)
    .executeTakeFirstOrThrow();
  let { seq, hash } = { seq: Number(head.seq), hash: head.hash };
  const events = await db
    .selectFrom('audit_events')
    .select([
      'id',
      'occurred_at',
      'actor_user_id',
      'actor_username',
      'organisation',
      'action',
      'subject_type',
      'subject_id',
      'detail',
    ])
    .where('seq', 'is', null)
    .orderBy('occurred_at')
    .orderBy('id')
    .execute();
  for (const event of events) {
    seq += 1;
    const previous = hash;
    hash = chainHash(previous, seq, event);
    await db
      .updateTable('audit_events')
      .set({ seq, prev_hash: previous, hash })
      .where('id', '=', event.id)
      .execute();
  }
  await db.updateTable('audit_chain_head').set({ seq, hash }).where('id', '=', 1).execute();
}

/** Writes an event as the version before migration 036 did: only the columns it knew. */
async function recordTheOldWay(db: Db, at: Date, username: string): Promise<string> {
  const row = eventRow(at, username);
  await db.insertInto('audit_events').values(row).execute();
  return row.id;
}

for (const engine of ENGINES) {
  test(`a node of the version before 036 cannot seal what must be sealed keyed: its sealing fails whole, and the new sealer goes on [${engine}]`, async () => {
    const test = await createTestDatabase(engine);
    try {
      const raw = test.db;
      const keys = auditKeys(new MasterKeyring(MasterKey.generate()));
      const db = withAuditKeys(raw, keys);
      const sealedCount = async () =>
        (await raw.selectFrom('audit_events').select('id').where('seq', 'is not', null).execute()).length;
      const oldNodeSeals = () => raw.transaction().execute((trx) => sealTheOldWay(trx));
      const refused = /tried to seal the audit trail without its MACs: upgrade it/;

      // Events written with MACs, before any keyed sealing: the old sealer would give them plain links.
      for (let i = 1; i <= 2; i += 1) {
        await recordAudit(db, {
          at: new Date(Date.UTC(2026, 0, 3, 9, i)),
          actorUsername: `new${i}`,
          action: 'sign-in',
        });
      }
      await assert.rejects(oldNodeSeals(), refused);
      assert.equal(await sealedCount(), 0, 'nothing sealed');
      assert.deepEqual(await sealAudit(db, keys), { sealed: 2, unproven: 0 });

      // Once the head is keyed, an old node's own event (no MAC) cannot move the head on without one.
      await recordTheOldWay(raw, new Date(Date.UTC(2026, 0, 3, 10, 1)), 'old-node');
      const headBefore = await raw.selectFrom('audit_chain_head').selectAll().executeTakeFirstOrThrow();
      await assert.rejects(oldNodeSeals(), refused);
      assert.equal(await sealedCount(), 2, 'its event is not sealed either: the transaction failed whole');
      assert.deepEqual(
        await raw.selectFrom('audit_chain_head').selectAll().executeTakeFirstOrThrow(),
        headBefore,
      );

      // The new sealer seals it, marked (it has no MAC), and the chain holds.
      assert.deepEqual(await sealAudit(db, keys), { sealed: 1, unproven: 1 });
      const result = await verifyAudit(db, keys);
      assert.equal(result.broken, undefined, JSON.stringify(result));
      assert.deepEqual([result.keyed, result.unprovenCount, result.headMac], [3, 1, 'valid']);
    } finally {
      await test.drop();
    }
  });

  test(`a trail sealed before keyed sealing verifies as before, alone and followed by keyed events; rotation re-MACs it [${engine}]`, async () => {
    const test = await createTestDatabase(engine, '034-report-order-indexes');
    try {
      const raw = test.db;
      // Before the upgrade: 4 events sealed the old way, and 2 written since the job last ran.
      for (let i = 1; i <= 4; i += 1)
        await recordTheOldWay(raw, new Date(Date.UTC(2026, 0, 1, 9, i)), `old${i}`);
      await sealTheOldWay(raw);
      const oldHashes = await raw.selectFrom('audit_events').select(['id', 'hash']).orderBy('seq').execute();
      const pending = [
        await recordTheOldWay(raw, new Date(Date.UTC(2026, 0, 1, 10, 1)), 'pending1'),
        await recordTheOldWay(raw, new Date(Date.UTC(2026, 0, 1, 10, 2)), 'pending2'),
      ];
      await migrateToLatest(raw, test.schema);

      const keyA = MasterKey.generate();
      const underA = auditKeys(new MasterKeyring(keyA));
      const db = withAuditKeys(raw, underA);
      // Before the job runs under the new version, the old chain verifies exactly as before.
      let result = await verifyAudit(db, underA);
      assert.equal(result.ok, true, JSON.stringify(result));
      assert.deepEqual([result.legacy, result.keyed, result.headMac], [4, 0, 'none']);
      const anchor = result.head;

      for (let i = 1; i <= 3; i += 1) {
        await recordAudit(db, {
          at: new Date(Date.UTC(2026, 0, 2, 9, i)),
          actorUsername: `new${i}`,
          action: 'sign-in',
        });
      }
      assert.deepEqual(await sealAudit(db, underA), { sealed: 5, unproven: 0 });
      const sealed = await db.selectFrom('audit_events').selectAll().orderBy('seq').execute();
      assert.deepEqual(
        sealed.slice(0, 4).map((event) => [event.id, event.hash]),
        oldHashes.map((event) => [event.id, event.hash]),
        'old events keep their hashes',
      );
      assert.deepEqual(
        sealed.slice(4, 6).map((event) => [event.id, event.mac_version]),
        pending.map((id) => [id, null]),
        'events written before the upgrade are sealed the old way',
      );
      assert.ok(sealed.slice(6).every((event) => event.mac_version === 1 && event.seal_mac !== null));
      result = await verifyAudit(db, underA, anchor);
      assert.equal(result.ok, true, JSON.stringify(result));
      assert.deepEqual([result.legacy, result.keyed, result.headMac], [6, 3, 'valid']);
      assert.equal(result.anchor?.found, true, 'an anchor noted before the upgrade still holds');

      // Tampering in the old part is caught as before; in the keyed part by the MACs too.
      const restore = async (id: string, username: string) =>
        db.updateTable('audit_events').set({ actor_username: username }).where('id', '=', id).execute();
      for (const index of [1, 5, 7]) {
        const event = sealed[index];
        await restore(String(event?.id), 'someone-else');
        const tampered = await verifyAudit(db, underA);
        assert.equal(tampered.broken?.seq, index + 1, `event ${index + 1}`);
        assert.match(String(tampered.broken?.reason), /has been altered since it was sealed/);
        await restore(String(event?.id), String(event?.actor_username));
      }
      // A keyed event passed off as an old one (its MACs stripped, its hash made the old way) is caught,
      // and so is moving the head's line between old and keyed.
      const keyed = sealed[7];
      await db
        .updateTable('audit_events')
        .set({
          mac: null,
          mac_version: null,
          mac_key_id: null,
          seal_mac: null,
          hash: chainHash(String(keyed?.prev_hash), 8, keyed as NonNullable<typeof keyed>),
        })
        .where('id', '=', String(keyed?.id))
        .execute();
      assert.match(String((await verifyAudit(db, underA)).broken?.reason), /event 8 has no seal MAC/);
      await db
        .updateTable('audit_events')
        .set(keyed as NonNullable<typeof keyed>)
        .where('id', '=', String(keyed?.id))
        .execute();
      await db.updateTable('audit_chain_head').set({ legacy_through: 8 }).where('id', '=', 1).execute();
      assert.match(String((await verifyAudit(db, underA)).broken?.reason), /head fails its MAC/);
      await db.updateTable('audit_chain_head').set({ legacy_through: 6 }).where('id', '=', 1).execute();
      assert.equal((await verifyAudit(db, underA)).ok, true);

      // Rotation: B becomes current, A previous. One event written under A waits unsealed.
      await recordAudit(db, { at: new Date(Date.UTC(2026, 0, 3)), actorUsername: 'late', action: 'sign-in' });
      const keyB = MasterKey.generate();
      const bWithA = new MasterKeyring(keyB, [keyA]);
      const onlyB = auditKeys(new MasterKeyring(keyB));
      const before = await verifyAudit(db, onlyB);
      assert.equal(before.broken, undefined, 'a key not given is not tampering');
      assert.deepEqual(
        before.missingKeys.map((missing) => [missing.keyId, missing.events, missing.head]),
        [[keyA.id, 3, true]],
      );
      // A sealed event forged under A (its MAC made up) is refused, never re-MACed.
      const forged = sealed[8] as NonNullable<(typeof sealed)[number]>;
      await db
        .updateTable('audit_events')
        .set({ actor_username: 'intruder' })
        .where('id', '=', forged.id)
        .execute();
      const clock = new ManualClock('2026-01-04T09:00:00.000Z');
      const rotateDb = withAuditKeys(raw, auditKeys(bWithA));
      let report = await rotateMasterKey(rotateDb, clock, bWithA, { batchSize: 2, actorUsername: 'cli' });
      assert.deepEqual(report.missingKeyIds, []);
      assert.deepEqual(
        report.audit.refused.map((item) => [item.eventId, item.keyId]),
        [[forged.id, keyA.id]],
      );
      assert.match(String(report.audit.refused[0]?.reason), /hash does not match its fields/);
      assert.equal(report.audit.remaced, 3, 'two sealed, one unsealed');
      assert.equal(report.audit.head, true);
      const refusedRow = await db
        .selectFrom('audit_events')
        .selectAll()
        .where('id', '=', forged.id)
        .executeTakeFirstOrThrow();
      assert.equal(refusedRow.mac_key_id, keyA.id, 'left under A');
      assert.equal(refusedRow.seal_mac, forged.seal_mac);

      // Put right (as if the forgery had never been), rotation carries on where it stopped.
      await db
        .updateTable('audit_events')
        .set({ actor_username: forged.actor_username })
        .where('id', '=', forged.id)
        .execute();
      report = await rotateMasterKey(rotateDb, clock, bWithA, { batchSize: 2, actorUsername: 'cli' });
      assert.deepEqual(report.audit.refused, []);
      assert.equal(report.audit.remaced, 1);

      // A is no longer needed: everything verifies under B alone, the anchor and hashes unchanged.
      // Waiting: the late event, re-MACed under B, and rotation's own events (one a batch).
      const waiting = await db.selectFrom('audit_events').select('id').where('seq', 'is', null).execute();
      assert.deepEqual(await sealAudit(rotateDb, onlyB), { sealed: waiting.length, unproven: 0 });
      result = await verifyAudit(db, onlyB, anchor);
      assert.equal(result.ok, true, JSON.stringify(result));
      assert.deepEqual(result.missingKeys, []);
      const after = await db.selectFrom('audit_events').selectAll().orderBy('seq').execute();
      assert.deepEqual(
        after.slice(0, 9).map((event) => event.hash),
        sealed.map((event) => event.hash),
      );
      assert.ok(
        after.filter((event) => event.mac_key_id !== null).every((event) => event.mac_key_id === keyB.id),
      );
      const rotated = after
        .filter((event) => event.action === 'master-key-rotated')
        .map((event) => JSON.parse(String(event.detail)));
      assert.ok(rotated.every((detail) => detail.table === 'audit_events'));
      assert.equal(
        rotated.reduce((sum, detail) => sum + detail.remaced, 0),
        4,
        'each re-MAC recorded',
      );
      assert.deepEqual([result.legacy, result.keyed], [6, 3 + waiting.length]);
    } finally {
      await test.drop();
    }
  });
}

for (const engine of ENGINES) {
  test(`two rotations at once re-MAC each audit event once, sealed or waiting to be [${engine}]`, async () => {
    const test = await createTestDatabase(engine);
    try {
      const keyA = MasterKey.generate();
      const underA = withAuditKeys(test.db, auditKeys(new MasterKeyring(keyA)));
      const write = (count: number, day: number) =>
        Promise.all(
          Array.from({ length: count }, (_, i) =>
            recordAudit(underA, {
              at: new Date(Date.UTC(2026, 0, day, 9, i)),
              actorUsername: `user${day}-${i}`,
              action: 'sign-in',
            }),
          ),
        );
      await write(6, 1);
      await sealAudit(underA, auditKeys(new MasterKeyring(keyA)));
      await write(3, 2);

      const keyB = MasterKey.generate();
      const bWithA = new MasterKeyring(keyB, [keyA]);
      const rotateDb = withAuditKeys(test.db, auditKeys(bWithA));
      const clock = new ManualClock('2026-01-03T09:00:00.000Z');
      // A batch of one, so that both runs read each event before either writes it.
      const runs = await Promise.all(
        [1, 2].map(() => rotateMasterKey(rotateDb, clock, bWithA, { batchSize: 1, actorUsername: 'cli' })),
      );
      assert.equal(
        runs.reduce((sum, run) => sum + run.audit.remaced, 0),
        9,
        'each event re-MACed by one run or the other',
      );
      const recorded = await test.db
        .selectFrom('audit_events')
        .select('detail')
        .where('action', '=', 'master-key-rotated')
        .execute();
      assert.equal(
        recorded.reduce((sum, row) => sum + Number(JSON.parse(String(row.detail)).remaced ?? 0), 0),
        9,
      );
      const onlyB = auditKeys(new MasterKeyring(keyB));
      await sealAudit(rotateDb, onlyB);
      const result = await verifyAudit(withAuditKeys(test.db, onlyB), onlyB);
      assert.equal(result.ok, true, JSON.stringify(result));
      assert.deepEqual(result.missingKeys, []);
    } finally {
      await test.drop();
    }
  });
}
