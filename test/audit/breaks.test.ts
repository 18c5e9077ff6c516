// Accepting a break in the audit chain (src/audit/breaks.ts, decision 22) on both engines: a head that
// fails its MAC stops sealing until an operator accepts the break; afterwards sealing goes on from a new
// head, verify names the break for good, what lay between is kept as found and reported as unproven, and
// tampering after it (with the new events, the new head, the break's record, what was kept) is caught.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { test } from 'node:test';
import { acceptChainBreak, BreakRefused } from '../../src/audit/breaks.ts';
import { AuditHeadError, sealAudit, verifyAudit } from '../../src/audit/chain.ts';
import { AuditKeys, withAuditKeys } from '../../src/audit/keys.ts';
import { DirectoryService } from '../../src/directory/service.ts';
import { keyStatus, rotateMasterKey } from '../../src/keys/rotation.ts';
import { ManualClock } from '../../src/platform/clock.ts';
import type { Db } from '../../src/platform/db/schema.ts';
import { MasterKey } from '../../src/platform/storage/envelope.ts';
import { MasterKeyring } from '../../src/platform/storage/keyring.ts';
import { asAcceptedBefore041, signInEvents } from '../support/audit.ts';
import { asDatabaseWriter, createTestDatabase, ENGINES } from '../support/databases.ts';
import { makeUser } from '../support/factories.ts';
import { actorOf } from '../support/transfers.ts';

const clock = new ManualClock('2026-11-02T09:00:00.000Z');

/** A trail of its own (each test needs the chain from its first event), keyed under a key of its own. */
async function trail(engine: (typeof ENGINES)[number]) {
  const database = await createTestDatabase(engine);
  const masterKey = MasterKey.generate();
  const keys = AuditKeys.fromKeyring(new MasterKeyring(masterKey));
  const db = withAuditKeys(database.db, keys);
  const record = signInEvents(() => db);
  const unsealed = async () =>
    (await db.selectFrom('audit_events').select('id').where('seq', 'is', null).execute()).length;
  const head = () => db.selectFrom('audit_chain_head').selectAll().executeTakeFirstOrThrow();
  const breaks = () => db.selectFrom('audit_chain_breaks').selectAll().execute();
  /** The sealed events numbered from `from` (and before `before`), in order. */
  const events = (from: number, before?: number) => {
    let query = db.selectFrom('audit_events').selectAll().where('seq', '>=', from);
    if (before !== undefined) query = query.where('seq', '<', before);
    return query.orderBy('seq').execute();
  };
  /** Sealed event `seq`. */
  const event = (seq: number) =>
    db.selectFrom('audit_events').selectAll().where('seq', '=', seq).executeTakeFirstOrThrow();
  /** Changes sealed event `seq` in place, as someone who can write to the database. */
  const alter = (seq: number) =>
    asDatabaseWriter(db, () =>
      db.updateTable('audit_events').set({ actor_username: 'someone-else' }).where('seq', '=', seq).execute(),
    );
  return { database, masterKey, keys, db, record, unsealed, head, breaks, events, event, alter };
}

/** Changes rows as someone who can write to the database, then puts them back as they were. */
async function tamperedThenRestored(
  db: Db,
  change: () => Promise<unknown>,
  restore: () => Promise<unknown>,
  check: () => Promise<void>,
): Promise<void> {
  await asDatabaseWriter(db, change);
  try {
    await check();
  } finally {
    await asDatabaseWriter(db, restore);
  }
}

for (const engine of ENGINES) {
  test(`nothing broken: accepting a break is refused, and nothing changes [${engine}]`, async () => {
    const t = await trail(engine);
    try {
      await t.record(3);
      await sealAudit(t.db, t.keys);
      const before = await t.head();
      await assert.rejects(
        acceptChainBreak(t.db, t.keys, clock, { at: 1, reason: 'checking', actorUsername: 'cli' }),
        (error: Error) =>
          error instanceof BreakRefused &&
          /Nothing is broken: the audit chain verifies \(3 events checked\), so there is no break to accept\. Nothing was done\./.test(
            error.message,
          ),
      );
      assert.deepEqual(await t.head(), before);
      assert.deepEqual(await t.breaks(), []);
      assert.equal(await t.unsealed(), 0, 'no event recorded');
    } finally {
      await t.database.drop();
    }
  });

  test(`a head that fails its MAC stops sealing; once the break is accepted sealing resumes, verify names it for good, and later tampering is still caught [${engine}]`, async () => {
    const t = await trail(engine);
    try {
      await t.record(5);
      await sealAudit(t.db, t.keys);
      // The head moved back (the newest event "deleted" from its view), its MAC kept: it no longer fits.
      await asDatabaseWriter(t.db, () =>
        t.db.updateTable('audit_chain_head').set({ seq: 4 }).where('id', '=', 1).execute(),
      );
      const oldHead = await t.head();
      await t.record(2);
      await assert.rejects(sealAudit(t.db, t.keys), AuditHeadError);
      await assert.rejects(sealAudit(t.db, t.keys), /s2s audit accept-break/);
      assert.equal(await t.unsealed(), 2, 'sealing stopped: the new events wait');
      const found = await verifyAudit(t.db, t.keys);
      assert.equal(found.ok, false);
      // The events themselves still verify by their seal MACs: the break is after the last of them.
      assert.equal(found.broken?.seq, 6);
      assert.match(String(found.broken?.reason), /the chain's head fails its MAC/);

      // Only where verify names the break.
      await assert.rejects(
        acceptChainBreak(t.db, t.keys, clock, { at: 4, reason: 'wrong place', actorUsername: 'cli' }),
        /The audit chain breaks at event 6, not at event 4: the chain's head fails its MAC.*--at 6/,
      );
      assert.deepEqual(await t.breaks(), []);

      const reason = 'INC-4711: head row edited by a DBA script; restored nothing, logs kept';
      const accepted = await acceptChainBreak(t.db, t.keys, clock, { at: 6, reason, actorUsername: 'cli' });
      assert.deepEqual(
        [accepted.at, accepted.provenThrough, accepted.resumesAt, accepted.unprovenEvents],
        [6, 5, 6, 0],
      );
      const [row] = await t.breaks();
      assert.deepEqual(
        [row?.accepted_by, row?.reason, row?.accepted_at, row?.mac_key_id],
        ['cli', reason, clock.now().toISOString(), t.masterKey.id],
      );
      assert.deepEqual(
        [Number(row?.old_head_seq), row?.old_head_hash, row?.old_head_mac],
        [4, oldHead.hash, oldHead.mac],
        'the head as it was found is kept',
      );
      assert.match(String(row?.finding), /the chain's head fails its MAC/);

      // Sealing resumes: the two that waited and the acceptance's own event.
      assert.deepEqual(await sealAudit(t.db, t.keys), { sealed: 3, unproven: 0 });
      const event = await t.db
        .selectFrom('audit_events')
        .selectAll()
        .where('action', '=', 'audit-break-accepted')
        .executeTakeFirstOrThrow();
      assert.equal(event.actor_username, 'cli');
      assert.equal(event.subject_id, row?.id);
      assert.equal(JSON.parse(String(event.detail)).reason, reason);
      const after = await verifyAudit(t.db, t.keys);
      assert.equal(after.ok, true, JSON.stringify(after));
      assert.equal(after.broken, undefined);
      assert.deepEqual([after.checked, after.keyed, after.headMac], [8, 8, 'valid']);
      assert.deepEqual(
        after.acceptedBreaks.map((b) => [b.at, b.resumesAt, b.unprovenEvents, b.acceptedAt, b.reason]),
        [[6, 6, 0, clock.now().toISOString(), reason]],
      );
      const anchor = after.head;

      // The Audit Log page names it too.
      const admin = await makeUser(t.db, 'national_admin');
      const status = await new DirectoryService(t.db, clock).auditChainHead(actorOf(admin));
      assert.deepEqual(
        [status?.mac, status?.breaks.map((b) => [b.at, b.reason]), status?.keyed],
        ['valid', [[6, reason]], 8],
      );

      // Tampering after the break is caught as anywhere else.
      await t.record(1);
      await sealAudit(t.db, t.keys);
      const newest = await t.event(9);
      await tamperedThenRestored(
        t.db,
        () =>
          t.db.updateTable('audit_events').set({ actor_username: 'x' }).where('id', '=', newest.id).execute(),
        () =>
          t.db
            .updateTable('audit_events')
            .set({ actor_username: newest.actor_username })
            .where('id', '=', newest.id)
            .execute(),
        async () => {
          const result = await verifyAudit(t.db, t.keys);
          assert.equal(result.broken?.seq, 9);
          assert.match(String(result.broken?.reason), /event 9 has been altered since it was sealed/);
        },
      );
      const headNow = await t.head();
      await tamperedThenRestored(
        t.db,
        () => t.db.updateTable('audit_chain_head').set({ seq: 8 }).where('id', '=', 1).execute(),
        () => t.db.updateTable('audit_chain_head').set(headNow).where('id', '=', 1).execute(),
        async () => {
          await assert.rejects(sealAudit(t.db, t.keys), AuditHeadError);
          const result = await verifyAudit(t.db, t.keys);
          assert.match(String(result.broken?.reason), /the chain's head fails its MAC/);
          assert.equal(result.broken?.seq, 10, 'the first break stays accepted; the new one is after it');
          assert.equal(result.acceptedBreaks.length, 1);
        },
      );
      // The break's record is evidence: changed, or removed, it is caught.
      const record = row as NonNullable<typeof row>;
      await tamperedThenRestored(
        t.db,
        () => t.db.updateTable('audit_chain_breaks').set({ reason: 'routine' }).execute(),
        () => t.db.updateTable('audit_chain_breaks').set({ reason }).execute(),
        async () => {
          const result = await verifyAudit(t.db, t.keys);
          assert.match(
            String(result.broken?.reason),
            /the record of the break accepted at event 6 fails its MAC/,
          );
        },
      );
      await tamperedThenRestored(
        t.db,
        () => t.db.deleteFrom('audit_chain_breaks').execute(),
        () => t.db.insertInto('audit_chain_breaks').values(record).execute(),
        async () => {
          const result = await verifyAudit(t.db, t.keys);
          assert.equal(result.broken?.seq, 6);
          assert.match(String(result.broken?.reason), /event 6 does not follow event 5/);
        },
      );
      const whole = await verifyAudit(t.db, t.keys, anchor);
      assert.equal(whole.ok, true, JSON.stringify(whole));
      assert.equal(whole.anchor?.found, true);

      // Rotation re-MACs the break under the new key, and counts it; the earlier key is then not needed.
      const next = MasterKey.generate();
      const both = new MasterKeyring(next, [t.masterKey]);
      const report = await rotateMasterKey(withAuditKeys(t.db, AuditKeys.fromKeyring(both)), clock, both, {
        batchSize: 100,
        actorUsername: 'cli',
      });
      assert.deepEqual([report.audit.breaks, report.audit.head, report.audit.refused], [1, true, []]);
      assert.equal((await t.breaks())[0]?.mac_key_id, next.id);
      const onlyNext = AuditKeys.fromKeyring(new MasterKeyring(next));
      const rotated = await verifyAudit(t.db, onlyNext);
      assert.equal(rotated.ok, true, JSON.stringify(rotated));
      assert.equal(rotated.acceptedBreaks.length, 1);
    } finally {
      await t.database.drop();
    }
  });

  test(`an event altered in the middle: the events after it are kept as found, reported unproven, and cannot be changed in number [${engine}]`, async () => {
    const t = await trail(engine);
    try {
      await t.record(5);
      await sealAudit(t.db, t.keys);
      await t.alter(3);
      // The head still fits: sealing goes on, on a chain broken at event 3.
      await t.record(2);
      assert.deepEqual(await sealAudit(t.db, t.keys), { sealed: 2, unproven: 0 });
      assert.equal((await verifyAudit(t.db, t.keys)).broken?.seq, 3);
      const kept = await t.events(3);

      const accepted = await acceptChainBreak(t.db, t.keys, clock, {
        at: 3,
        reason: 'INC-4712: event 3 altered; original in backup of 1 Nov',
        actorUsername: 'cli',
      });
      assert.deepEqual(
        [accepted.provenThrough, accepted.resumesAt, accepted.unprovenEvents],
        [2, 8, 5],
        'events 3 to 7 kept; sealing resumes after every number used',
      );
      assert.deepEqual(await t.events(3, 8), kept, 'nothing rewritten or deleted');
      // A second time: there is nothing left to accept (the first's own event sealed before it looked).
      await assert.rejects(
        acceptChainBreak(t.db, t.keys, clock, { at: 3, reason: 'again', actorUsername: 'cli' }),
        /Nothing is broken: the audit chain verifies \(3 events checked\)/,
      );
      assert.equal(await t.unsealed(), 0);
      const result = await verifyAudit(t.db, t.keys);
      assert.equal(result.ok, true, JSON.stringify(result));
      assert.deepEqual(
        [result.checked, result.keyed],
        [3, 3],
        'events 1, 2 and 8: the kept ones are not counted as proven',
      );
      assert.deepEqual(
        result.acceptedBreaks.map((b) => [b.at, b.resumesAt, b.unprovenEvents]),
        [[3, 8, 5]],
      );
      assert.match(String(result.acceptedBreaks[0]?.finding), /event 3 has been altered since it was sealed/);

      // What was kept is evidence: one removed, or one slipped in among them, is caught.
      const removed = kept[1] as NonNullable<(typeof kept)[number]>;
      await tamperedThenRestored(
        t.db,
        () => t.db.deleteFrom('audit_events').where('id', '=', removed.id).execute(),
        () => t.db.insertInto('audit_events').values(removed).execute(),
        async () => {
          const tampered = await verifyAudit(t.db, t.keys);
          assert.equal(tampered.broken?.seq, 3);
          assert.match(
            String(tampered.broken?.reason),
            /5 sealed events were kept, unproven, at the break accepted at event 3, and 4 are there now/,
          );
        },
      );
      assert.equal((await verifyAudit(t.db, t.keys)).ok, true);
    } finally {
      await t.database.drop();
    }
  });

  test(`an event altered in place among those kept at a break, or one replaced by another, is caught by what the break recorded of them [${engine}]`, async () => {
    const t = await trail(engine);
    try {
      await t.record(5);
      await sealAudit(t.db, t.keys);
      await t.alter(3);
      await t.record(2);
      await sealAudit(t.db, t.keys);
      await acceptChainBreak(t.db, t.keys, clock, { at: 3, reason: 'INC-4713', actorUsername: 'cli' });
      await sealAudit(t.db, t.keys);
      assert.equal((await verifyAudit(t.db, t.keys)).ok, true);
      const kept = await t.events(3, 8);
      assert.equal(kept.length, 5);
      const caughtBy =
        (keys: AuditKeys, what = 'a kept event changed') =>
        async () => {
          const result = await verifyAudit(t.db, keys);
          assert.equal(result.ok, false, what);
          assert.equal(result.broken?.seq, 3, what);
          assert.match(
            String(result.broken?.reason),
            /the 5 sealed events kept, unproven, at the break accepted at event 3 are not as they were found when it was accepted: one of them has been altered, or replaced, since/,
            what,
          );
        };
      const keptAt = (index: number) => kept[index] as NonNullable<(typeof kept)[number]>;
      const [altered, middle, last] = [keptAt(0), keptAt(2), keptAt(4)];
      for (const [what, event, change] of [
        ['a field of one kept', middle, { detail: JSON.stringify({ n: 99 }) }],
        ['the event that broke the chain, altered again', altered, { actor_username: 'a third' }],
        ['what sealing found of one', last, { seal_finding: 'wrong-mac' }],
      ] as const) {
        await tamperedThenRestored(
          t.db,
          () => t.db.updateTable('audit_events').set(change).where('id', '=', event.id).execute(),
          () => t.db.updateTable('audit_events').set(event).where('id', '=', event.id).execute(),
          caughtBy(t.keys, what),
        );
      }
      // One taken away and another put in its place: the count holds.
      const replaced = keptAt(3);
      await tamperedThenRestored(
        t.db,
        async () => {
          await t.db.deleteFrom('audit_events').where('id', '=', replaced.id).execute();
          await t.db
            .insertInto('audit_events')
            .values({ ...replaced, id: randomUUID(), actor_username: 'forged' })
            .execute();
        },
        async () => {
          await t.db.deleteFrom('audit_events').where('seq', '=', replaced.seq).execute();
          await t.db.insertInto('audit_events').values(replaced).execute();
        },
        caughtBy(t.keys, 'one replaced'),
      );
      const whole = await verifyAudit(t.db, t.keys);
      assert.equal(whole.ok, true, JSON.stringify(whole));
      assert.deepEqual(
        whole.acceptedBreaks.map((b) => [b.at, b.unprovenEvents, b.keptChecked]),
        [[3, 5, true]],
      );

      // Rotation leaves the kept events as found, MACs and all (the altered one is not refused: it is kept
      // at a break accepted, whose digest, which leaves MACs out, guards them), and counts them. The earlier
      // key can then be dropped: status needs it for nothing, verify still holds and still catches a change.
      const next = MasterKey.generate();
      const both = new MasterKeyring(next, [t.masterKey]);
      const report = await rotateMasterKey(withAuditKeys(t.db, AuditKeys.fromKeyring(both)), clock, both, {
        batchSize: 2,
        actorUsername: 'cli',
      });
      assert.deepEqual(report.audit.refused, []);
      assert.deepEqual([report.audit.keptAtBreaks, report.audit.breaks, report.audit.head], [5, 1, true]);
      assert.equal(report.audit.remaced, 3, 'events 1, 2 and 8');
      assert.deepEqual(await t.events(3, 8), kept, 'left as found, under the earlier key');
      const onlyNext = new MasterKeyring(next);
      const status = await keyStatus(t.db, onlyNext);
      assert.deepEqual(status.missingKeyIds, []);
      assert.equal(status.auditMacs[t.masterKey.id], undefined, 'nothing needs the earlier key');
      assert.equal(status.auditKeptAtBreaks, 5);
      const nextKeys = AuditKeys.fromKeyring(onlyNext);
      const rotated = await verifyAudit(t.db, nextKeys);
      assert.equal(rotated.ok, true, JSON.stringify(rotated));
      assert.deepEqual(rotated.missingKeys, []);
      assert.deepEqual(
        rotated.acceptedBreaks.map((b) => [b.at, b.unprovenEvents, b.keptChecked]),
        [[3, 5, true]],
      );
      for (const event of [middle, altered]) {
        await tamperedThenRestored(
          t.db,
          () => t.db.updateTable('audit_events').set({ detail: null }).where('id', '=', event.id).execute(),
          () =>
            t.db
              .updateTable('audit_events')
              .set({ detail: event.detail })
              .where('id', '=', event.id)
              .execute(),
          caughtBy(nextKeys),
        );
      }
      // A rerun changes nothing, and says the same of them.
      const again = await rotateMasterKey(withAuditKeys(t.db, nextKeys), clock, onlyNext, {
        batchSize: 2,
        actorUsername: 'cli',
      });
      assert.deepEqual([again.audit.remaced, again.audit.keptAtBreaks, again.audit.refused], [0, 5, []]);
    } finally {
      await t.database.drop();
    }
  });

  test(`a break accepted before what was kept at it was recorded (migration 041): verify walks past it as before and says its kept events cannot be checked [${engine}]`, async () => {
    const t = await trail(engine);
    try {
      await t.record(4);
      await sealAudit(t.db, t.keys);
      await t.alter(2);
      await acceptChainBreak(t.db, t.keys, clock, { at: 2, reason: 'INC-4714', actorUsername: 'cli' });
      const [row] = await t.breaks();
      const accepted = row as NonNullable<typeof row>;
      assert.match(String(accepted.kept_digest), /^[0-9a-f]{64}$/);
      // Its record without the digest, as someone without the audit key would make it: caught.
      await tamperedThenRestored(
        t.db,
        () => t.db.updateTable('audit_chain_breaks').set({ kept_digest: null }).execute(),
        () => t.db.updateTable('audit_chain_breaks').set({ kept_digest: accepted.kept_digest }).execute(),
        async () => {
          const result = await verifyAudit(t.db, t.keys);
          assert.match(
            String(result.broken?.reason),
            /the record of the break accepted at event 2 fails its MAC/,
          );
        },
      );
      await asAcceptedBefore041(t.db, t.keys);
      await sealAudit(t.db, t.keys);
      const result = await verifyAudit(t.db, t.keys);
      assert.equal(result.ok, true, JSON.stringify(result));
      assert.deepEqual(
        result.acceptedBreaks.map((b) => [b.at, b.unprovenEvents, b.keptChecked]),
        [[2, 3, false]],
      );
      // Their number is still checked; a change to one of them cannot be.
      await tamperedThenRestored(
        t.db,
        () => t.db.updateTable('audit_events').set({ actor_username: 'x' }).where('seq', '=', 3).execute(),
        () =>
          t.db.updateTable('audit_events').set({ actor_username: 'user3' }).where('seq', '=', 3).execute(),
        async () => assert.equal((await verifyAudit(t.db, t.keys)).ok, true),
      );
      const third = await t.event(3);
      await tamperedThenRestored(
        t.db,
        () => t.db.deleteFrom('audit_events').where('id', '=', third.id).execute(),
        () => t.db.insertInto('audit_events').values(third).execute(),
        async () =>
          assert.match(
            String((await verifyAudit(t.db, t.keys)).broken?.reason),
            /3 sealed events were kept, unproven, at the break accepted at event 2, and 2 are there now/,
          ),
      );
      // Rotation leaves them as found too (event 2, altered, among them), and the earlier key can be
      // dropped: they were checked by nothing but their number before, and still are.
      const next = MasterKey.generate();
      const both = new MasterKeyring(next, [t.masterKey]);
      const report = await rotateMasterKey(withAuditKeys(t.db, AuditKeys.fromKeyring(both)), clock, both, {
        batchSize: 100,
        actorUsername: 'cli',
      });
      assert.deepEqual([report.audit.refused, report.audit.keptAtBreaks, report.audit.breaks], [[], 3, 1]);
      const [rotatedRow] = await t.breaks();
      assert.equal(rotatedRow?.kept_digest, null, 'no digest made up for what is there now');
      assert.deepEqual((await keyStatus(t.db, new MasterKeyring(next))).missingKeyIds, []);
      const rotated = await verifyAudit(t.db, AuditKeys.fromKeyring(new MasterKeyring(next)));
      assert.equal(rotated.ok, true, JSON.stringify(rotated));
      assert.deepEqual(
        rotated.acceptedBreaks.map((b) => [b.at, b.unprovenEvents, b.keptChecked]),
        [[2, 3, false]],
      );
    } finally {
      await t.database.drop();
    }
  });

  test(`a break at a deleted event keeps events that verify: rotation leaves them as found as well, and the earlier key can be dropped [${engine}]`, async () => {
    const t = await trail(engine);
    try {
      await t.record(5);
      await sealAudit(t.db, t.keys);
      await asDatabaseWriter(t.db, () => t.db.deleteFrom('audit_events').where('seq', '=', 3).execute());
      assert.match(String((await verifyAudit(t.db, t.keys)).broken?.reason), /event 3 is missing/);
      const accepted = await acceptChainBreak(t.db, t.keys, clock, {
        at: 3,
        reason: 'INC-4717: event 3 deleted',
        actorUsername: 'cli',
      });
      assert.deepEqual([accepted.provenThrough, accepted.unprovenEvents, accepted.resumesAt], [2, 2, 6]);
      await sealAudit(t.db, t.keys);
      const kept = await t.db.selectFrom('audit_events').selectAll().where('seq', 'in', [4, 5]).execute();

      const next = MasterKey.generate();
      const both = new MasterKeyring(next, [t.masterKey]);
      const report = await rotateMasterKey(withAuditKeys(t.db, AuditKeys.fromKeyring(both)), clock, both, {
        batchSize: 100,
        actorUsername: 'cli',
      });
      assert.deepEqual(
        [report.audit.refused, report.audit.keptAtBreaks, report.audit.remaced],
        [[], 2, 3],
        'events 1, 2 and 6 re-MACed; 4 and 5 left',
      );
      assert.deepEqual(
        await t.db.selectFrom('audit_events').selectAll().where('seq', 'in', [4, 5]).execute(),
        kept,
      );
      const onlyNext = new MasterKeyring(next);
      const status = await keyStatus(t.db, onlyNext);
      assert.deepEqual([status.missingKeyIds, status.auditKeptAtBreaks], [[], 2]);
      const rotated = await verifyAudit(t.db, AuditKeys.fromKeyring(onlyNext));
      assert.equal(rotated.ok, true, JSON.stringify(rotated));
      assert.deepEqual(rotated.missingKeys, []);
    } finally {
      await t.database.drop();
    }
  });

  test(`a break's record that fails its MAC decides nothing: rotation refuses it and the altered event it would keep [${engine}]`, async () => {
    const t = await trail(engine);
    try {
      await t.record(4);
      await sealAudit(t.db, t.keys);
      await asDatabaseWriter(t.db, () =>
        t.db.updateTable('audit_events').set({ actor_username: 'x' }).where('seq', '=', 2).execute(),
      );
      await acceptChainBreak(t.db, t.keys, clock, { at: 2, reason: 'INC-4718', actorUsername: 'cli' });
      await sealAudit(t.db, t.keys);
      const [row] = await t.breaks();
      const next = MasterKey.generate();
      const both = new MasterKeyring(next, [t.masterKey]);
      const rotate = () =>
        rotateMasterKey(withAuditKeys(t.db, AuditKeys.fromKeyring(both)), clock, both, {
          batchSize: 100,
          actorUsername: 'cli',
        });
      await asDatabaseWriter(t.db, () =>
        t.db.updateTable('audit_chain_breaks').set({ proven_through: 0 }).execute(),
      );
      const refusing = await rotate();
      assert.deepEqual(
        refusing.audit.refused.map((item) => [item.record, item.seq]),
        [
          ['event', 2],
          ['break', 1],
        ],
      );
      assert.equal(refusing.audit.keptAtBreaks, 0);
      await asDatabaseWriter(t.db, () =>
        t.db
          .updateTable('audit_chain_breaks')
          .set({ proven_through: (row as NonNullable<typeof row>).proven_through })
          .execute(),
      );
      const rotated = await rotate();
      assert.deepEqual([rotated.audit.refused, rotated.audit.keptAtBreaks], [[], 1]);
      assert.equal((await verifyAudit(t.db, AuditKeys.fromKeyring(new MasterKeyring(next)))).ok, true);
    } finally {
      await t.database.drop();
    }
  });

  test(`accept-break seals what is waiting first: "nothing is broken" counts every event and names one changed before it was sealed [${engine}]`, async () => {
    const t = await trail(engine);
    try {
      await t.record(3);
      await sealAudit(t.db, t.keys);
      await t.record(2);
      const [waiting] = await t.db
        .selectFrom('audit_events')
        .select('id')
        .where('seq', 'is', null)
        .orderBy('occurred_at')
        .execute();
      await asDatabaseWriter(t.db, () =>
        t.db
          .updateTable('audit_events')
          .set({ actor_username: 'someone-else' })
          .where('id', '=', String(waiting?.id))
          .execute(),
      );
      await assert.rejects(
        acceptChainBreak(t.db, t.keys, clock, { at: 4, reason: 'checking', actorUsername: 'cli' }),
        (error: Error) => {
          assert.ok(error instanceof BreakRefused, error.message);
          assert.match(error.message, /Nothing is broken: the audit chain verifies \(5 events checked\)/);
          assert.match(error.message, /The 1 events s2s audit verify names as unproven are sealed marked/);
          return true;
        },
      );
      assert.equal(await t.unsealed(), 0, 'sealed, as verify seals');
      assert.deepEqual(await t.breaks(), []);

      // A break: what waited is sealed onto the broken chain first, as verify (and the job) would, so the
      // events kept are every one after the last that verifies.
      await asDatabaseWriter(t.db, () =>
        t.db.updateTable('audit_events').set({ actor_username: 'x' }).where('seq', '=', 2).execute(),
      );
      await t.record(2);
      const accepted = await acceptChainBreak(t.db, t.keys, clock, {
        at: 2,
        reason: 'INC-4715',
        actorUsername: 'cli',
      });
      assert.deepEqual([accepted.provenThrough, accepted.unprovenEvents, accepted.resumesAt], [1, 6, 8]);
      assert.equal(await t.unsealed(), 1, "only the acceptance's own event waits");
      await sealAudit(t.db, t.keys);
      assert.equal((await verifyAudit(t.db, t.keys)).ok, true);
    } finally {
      await t.database.drop();
    }
  });

  test(`an event forged past the head: sealing refuses, saying so (not a database error), and accept-break, which seals first, accepts it [${engine}]`, async () => {
    const t = await trail(engine);
    try {
      await t.record(3);
      await sealAudit(t.db, t.keys);
      const forged = randomUUID();
      await t.db
        .insertInto('audit_events')
        .values({
          id: forged,
          occurred_at: '2026-10-01T00:00:00.000Z',
          actor_user_id: null,
          actor_username: 'someone',
          organisation: '916',
          action: 'file-removed',
          subject_type: null,
          subject_id: null,
          detail: null,
          seq: 4,
          prev_hash: 'f'.repeat(64),
          hash: 'e'.repeat(64),
        })
        .execute();
      await t.record(1);
      await assert.rejects(
        sealAudit(t.db, t.keys),
        (error: Error) =>
          error instanceof AuditHeadError &&
          /The audit chain's head \(event 3\) is behind event 4, numbered past it.*Nothing was sealed/.test(
            error.message,
          ),
      );
      assert.equal(await t.unsealed(), 1);
      const found = await verifyAudit(t.db, t.keys);
      assert.deepEqual([found.broken?.seq, found.broken?.eventId], [4, forged]);

      const accepted = await acceptChainBreak(t.db, t.keys, clock, {
        at: 4,
        reason: 'INC-4716: a row inserted by hand',
        actorUsername: 'cli',
      });
      assert.deepEqual([accepted.provenThrough, accepted.unprovenEvents, accepted.resumesAt], [3, 1, 5]);
      assert.deepEqual(await sealAudit(t.db, t.keys), { sealed: 2, unproven: 0 });
      const result = await verifyAudit(t.db, t.keys);
      assert.equal(result.ok, true, JSON.stringify(result));
    } finally {
      await t.database.drop();
    }
  });
}
