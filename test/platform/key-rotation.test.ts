// Master key rotation on both engines: files, a census return and a two-factor secret made under key A;
// the configuration moved to key B with A as a previous key; `rotateMasterKey` re-wrapping every data key
// under B without touching the stored files; and then A dropped. The command itself is in
// test/cli/keys.test.ts.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { after, before, test } from 'node:test';
import { acceptChainBreak } from '../../src/audit/breaks.ts';
import { sealAudit, verifyAudit } from '../../src/audit/chain.ts';
import { AuditKeys, withAuditKeys } from '../../src/audit/keys.ts';
import { AuthService } from '../../src/auth/service.ts';
import { totpCodeAt } from '../../src/auth/two-factor-secrets.ts';
import { createBackup } from '../../src/backup/backup.ts';
import type { Instance } from '../../src/backup/instance.ts';
import { restoreBackup } from '../../src/backup/restore.ts';
import { DataCollectionsService } from '../../src/collect/collections-service.ts';
import { CensusReturnsService } from '../../src/collect/returns-service.ts';
import { replaceWrappedKeys, wrappedKeysNotUnder } from '../../src/keys/repository.ts';
import { keyStatus, rotateMasterKey } from '../../src/keys/rotation.ts';
import { ManualClock } from '../../src/platform/clock.ts';
import type { Db, TransferRow, UserRow } from '../../src/platform/db/schema.ts';
import { EncryptedFileStore } from '../../src/platform/storage/encrypted-store.ts';
import { MasterKey, newDataKey } from '../../src/platform/storage/envelope.ts';
import { DiskFileStore } from '../../src/platform/storage/file-store.ts';
import { MasterKeyring, MissingMasterKeyError } from '../../src/platform/storage/keyring.ts';
import { emptyInstance } from '../backup/support.ts';
import { signInEvents } from '../support/audit.ts';
import { autumnCensusForm, censusFilename, censusReturnXml } from '../support/census.ts';
import { asDatabaseWriter, describeEachEngine } from '../support/databases.ts';
import { makeLa, makeSchool, makeUser } from '../support/factories.ts';
import { actorOf, makeTransfer, readStored, school } from '../support/transfers.ts';

const ADDRESS = '192.0.2.20';
const AUTH_SETTINGS = {
  session: { idleMinutes: 30, absoluteHours: 12 },
  signIn: { maxFailures: 5, lockMinutes: 15 },
};

describeEachEngine('master key rotation', (database) => {
  const [keyA, keyB, keyC] = [MasterKey.generate(), MasterKey.generate(), MasterKey.generate()];
  const onlyA = new MasterKeyring(keyA);
  const bWithA = new MasterKeyring(keyB, [keyA]);
  const onlyB = new MasterKeyring(keyB);
  const clock = new ManualClock('2026-11-23T09:00:00.000Z');
  let db: Db;
  let storeDir: string;
  let raw: DiskFileStore;
  let transfers: TransferRow[];
  /** The content of each transfer, by id. */
  const contents = new Map<string, Buffer>();
  let source: ReturnType<typeof actorOf>;
  let returnId: string;
  let enrolled: { user: UserRow; secret: string };
  /** A backup made under A alone, before the rotation. */
  let backupUnderA: string;
  const folders: string[] = [];

  const filesUnder = (keyring: MasterKeyring) => new EncryptedFileStore(raw, keyring);
  const instanceUnder = (keyring: MasterKeyring): Instance => {
    const { schema } = database();
    return { db, store: raw, keyring, ...(schema ? { schema } : {}), close: async () => {} };
  };
  const folder = () => {
    const dir = mkdtempSync(join(tmpdir(), 's2s-rotation-'));
    folders.push(dir);
    return dir;
  };

  /** Every transfer's content reads back byte for byte under the keyring. */
  async function assertFilesRead(keyring: MasterKeyring) {
    const files = filesUnder(keyring);
    for (const row of await currentTransfers()) {
      if (!row.storage_key) continue;
      assert.deepEqual(
        await readStored(files, row),
        contents.get(row.id),
        `the content of transfer ${row.id}`,
      );
    }
  }

  async function assertCensusReturnReads(keyring: MasterKeyring) {
    const returns = new CensusReturnsService({ db, files: filesUnder(keyring), clock });
    const { total, version } = await returns.pupils(source, returnId, 1);
    assert.equal(version.id, returnId);
    assert.equal(total, 13, 'the census return is read: its 13 pupils');
  }

  /** A two-factor code of the next time step is accepted (each step's code is accepted once). */
  async function assertTwoFactorCodeAccepted(keyring: MasterKeyring) {
    clock.advanceMinutes(1);
    const auth = new AuthService(db, clock, { ...AUTH_SETTINGS, twoFactor: { required: true } }, keyring);
    const code = await totpCodeAt(enrolled.secret, clock.now());
    const outcome = await auth.twoFactor.check(enrolled.user, { code }, ADDRESS);
    assert.equal(outcome.ok, true, 'the two-factor code is accepted');
  }

  async function currentTransfers(): Promise<TransferRow[]> {
    return db
      .selectFrom('transfers')
      .selectAll()
      .where(
        'id',
        'in',
        transfers.map((row) => row.id),
      )
      .orderBy('id')
      .execute();
  }

  /** Every wrapped key and its master key id, of every table. */
  async function wrappings() {
    return {
      transfers: await db
        .selectFrom('transfers')
        .select(['id', 'wrapped_key', 'master_key_id'])
        .orderBy('id')
        .execute(),
      census: await db
        .selectFrom('census_returns')
        .select(['id', 'wrapped_key', 'master_key_id'])
        .orderBy('id')
        .execute(),
      twoFactor: await db
        .selectFrom('two_factor_secrets')
        .select(['user_id', 'wrapped_key', 'master_key_id'])
        .orderBy('user_id')
        .execute(),
    };
  }

  async function rotationEvents(to: string) {
    const rows = await db
      .selectFrom('audit_events')
      .select(['actor_username', 'detail'])
      .where('action', '=', 'master-key-rotated')
      .where('subject_id', '=', to)
      .execute();
    return rows.map((row) => ({ by: row.actor_username, ...JSON.parse(String(row.detail)) }));
  }

  /** The database as `s2s keys rotate` opens it: carrying the audit keys of its keyring. */
  const keyedFor = (keyring: MasterKeyring) => withAuditKeys(db, AuditKeys.fromKeyring(keyring));

  before(async () => {
    // Its audit events are MACed under B, given in every keyring here from the rotation to B on: what
    // this file measures is the data keys (the audit trail's re-MAC is test/audit/keyed.test.ts's).
    db = withAuditKeys(database().db, AuditKeys.fromKeyring(new MasterKeyring(keyB)));
    storeDir = mkdtempSync(join(tmpdir(), 's2s-rotation-store-'));
    raw = new DiskFileStore(storeDir);
  });

  after(() => {
    rmSync(storeDir, { recursive: true, force: true });
    for (const dir of folders) rmSync(dir, { recursive: true, force: true });
  });

  test('made under key A, everything still reads with B current and A as a previous key', async () => {
    const files = filesUnder(onlyA);
    const la = await makeLa(db);
    const [from, to] = [await makeSchool(db, la.number), await makeSchool(db, la.number)];
    const made = [
      await makeTransfer(db, files, { from: school(from.number), to: school(to.number) }),
      // Several 64 KiB segments.
      await makeTransfer(db, files, {
        from: school(from.number),
        to: school(to.number),
        category: 'generic',
        content: Buffer.alloc(200_000, 9),
      }),
      await makeTransfer(db, files, { from: school(from.number), to: school(to.number) }),
    ];
    for (const transfer of made) contents.set(transfer.row.id, transfer.content);
    // Purged as the purge job leaves it: the content and its wrapped key gone, the key id kept.
    const purged = await makeTransfer(db, files, {
      from: school(from.number),
      to: school(to.number),
      overrides: { status: 'collected', storage_key: null, wrapped_key: null },
    });
    assert.equal(purged.row.master_key_id, keyA.id);
    transfers = [...made.map((transfer) => transfer.row), purged.row];

    const schoolUser = await makeUser(db, 'school', {
      laNumber: la.number,
      establishmentNumber: from.number,
    });
    const admin = await makeUser(db, 'national_admin');
    const collectionId = await new DataCollectionsService({ db, clock }).create(
      actorOf(admin),
      autumnCensusForm([la.number], { name: `School Census 2026 Autumn ${la.number}` }),
    );
    source = actorOf(schoolUser);
    const outcome = await new CensusReturnsService({ db, files, clock }).load(
      source,
      collectionId,
      censusFilename(from.number),
      Readable.from([Buffer.from(censusReturnXml({ school: from.number, year: 2026 }))]),
      false,
    );
    assert.equal(outcome.status, 'loaded');
    returnId = (outcome as { returnId: string }).returnId;

    const user = await makeUser(db, 'la_user', { laNumber: la.number });
    const auth = new AuthService(db, clock, AUTH_SETTINGS, onlyA);
    const setUp = await auth.twoFactor.setUp(actorOf(user));
    assert.ok(setUp);
    await auth.twoFactor.confirm(actorOf(user), await totpCodeAt(setUp.secret, clock.now()));
    enrolled = { user, secret: setUp.secret };

    backupUnderA = join(folder(), 'backup');
    await createBackup(instanceUnder(onlyA), backupUnderA, clock.now());

    await assertFilesRead(bWithA);
    await assertCensusReturnReads(bWithA);
    await assertTwoFactorCodeAccepted(bWithA);
    // New things are wrapped under B.
    const newer = await filesUnder(bWithA).put(Readable.from([Buffer.from('after the change')]));
    assert.equal(newer.masterKeyId, keyB.id);
    await raw.remove(newer.storageKey);

    const status = await keyStatus(db, bWithA);
    assert.equal(status.currentKeyId, keyB.id);
    assert.deepEqual(status.configuredKeyIds, [keyB.id, keyA.id]);
    assert.deepEqual(status.tables, {
      transfers: { [keyA.id]: 3 },
      census_returns: { [keyA.id]: 1 },
      two_factor_secrets: { [keyA.id]: 1 },
    });
    assert.deepEqual(status.missingKeyIds, []);
  });

  test('without A, nothing reads; the error names A, and a rotation refuses and changes nothing', async () => {
    const row = (await currentTransfers()).find((transfer) => transfer.wrapped_key);
    assert.ok(row?.storage_key && row.wrapped_key);
    await assert.rejects(
      filesUnder(onlyB).get({
        storageKey: row.storage_key,
        wrappedKey: row.wrapped_key,
        masterKeyId: row.master_key_id,
        sha256: row.sha256,
      }),
      (error: unknown) =>
        error instanceof MissingMasterKeyError &&
        error.message.includes(`master key ${keyA.id}, which is not configured`),
    );
    await assert.rejects(assertTwoFactorCodeAccepted(onlyB), MissingMasterKeyError);

    const before = await wrappings();
    const report = await rotateMasterKey(keyedFor(onlyB), clock, onlyB, {
      batchSize: 2,
      actorUsername: 'cli',
    });
    assert.deepEqual(report.missingKeyIds, [keyA.id]);
    assert.deepEqual(report.rewrapped, { transfers: 0, census_returns: 0, two_factor_secrets: 0 });
    assert.deepEqual(await wrappings(), before);
    assert.deepEqual(await rotationEvents(keyB.id), []);
    assert.deepEqual((await keyStatus(db, onlyB)).missingKeyIds, [keyA.id]);
  });

  test('rotation re-wraps every data key under B, a batch a transaction, and never touches the files', async () => {
    const blobs = new Map(
      (await currentTransfers())
        .filter((row) => row.storage_key)
        .map((row) => [row.id, readFileSync(join(storeDir, String(row.storage_key)))]),
    );
    const before = await wrappings();

    const report = await rotateMasterKey(keyedFor(bWithA), clock, bWithA, {
      batchSize: 2,
      actorUsername: 'cli',
    });
    assert.deepEqual(report, {
      currentKeyId: keyB.id,
      rewrapped: { transfers: 3, census_returns: 1, two_factor_secrets: 1 },
      from: { [keyA.id]: 5 },
      missingKeyIds: [],
      damaged: [],
      // The events here were written without the audit keys (a bare test database): nothing to re-MAC.
      audit: { remaced: 0, from: {}, head: false, breaks: 0, keptAtBreaks: 0, refused: [] },
    });

    const status = await keyStatus(db, bWithA);
    assert.deepEqual(status.tables, {
      transfers: { [keyB.id]: 3 },
      census_returns: { [keyB.id]: 1 },
      two_factor_secrets: { [keyB.id]: 1 },
    });
    const afterwards = await wrappings();
    for (const row of afterwards.transfers.filter((r) => r.wrapped_key)) {
      assert.equal(row.master_key_id, keyB.id);
      assert.notEqual(row.wrapped_key, before.transfers.find((r) => r.id === row.id)?.wrapped_key);
    }
    const purged = afterwards.transfers.find((r) => r.id === transfers[3]?.id);
    assert.deepEqual(
      purged,
      { id: transfers[3]?.id, wrapped_key: null, master_key_id: keyA.id },
      'left alone',
    );
    for (const row of await currentTransfers()) {
      if (!row.storage_key) continue;
      assert.deepEqual(readFileSync(join(storeDir, row.storage_key)), blobs.get(row.id), 'the stored bytes');
      assert.equal(row.storage_key, transfers.find((t) => t.id === row.id)?.storage_key);
    }

    // One audit event a batch: transfers in two batches of at most 2, then the other tables.
    const events = await rotationEvents(keyB.id);
    assert.deepEqual(events.map((event) => [event.by, event.table, event.rewrapped]).sort(), [
      ['cli', 'census_returns', 1],
      ['cli', 'transfers', 1],
      ['cli', 'transfers', 2],
      ['cli', 'two_factor_secrets', 1],
    ]);
    for (const event of events) assert.deepEqual(event.from, { [keyA.id]: event.rewrapped });
  });

  test('with A dropped, every file reads byte for byte, the census return reads and codes verify', async () => {
    await assertFilesRead(onlyB);
    await assertCensusReturnReads(onlyB);
    await assertTwoFactorCodeAccepted(onlyB);
    assert.deepEqual((await keyStatus(db, onlyB)).missingKeyIds, []);

    // A backup now needs B alone (the purged transfer keeps A's id but no key).
    const summary = await createBackup(instanceUnder(onlyB), join(folder(), 'backup'), clock.now());
    assert.deepEqual(summary.masterKeyIds, [keyB.id]);
  });

  test('a backup made under A restores only into an instance given A, as a previous key', async () => {
    const target = await emptyInstance(database().engine, keyB);
    try {
      await assert.rejects(
        restoreBackup({ ...target, keyring: onlyB }, backupUnderA),
        new RegExp(`made under the master key ${keyA.id}, which this instance is not given`),
      );
      await restoreBackup({ ...target, keyring: bWithA }, backupUnderA);
      const restored = await target.db
        .selectFrom('transfers')
        .selectAll()
        .where('id', '=', String(transfers[1]?.id))
        .executeTakeFirstOrThrow();
      assert.equal(restored.master_key_id, keyA.id);
      const content = await readStored(new EncryptedFileStore(target.store, bWithA), restored);
      assert.deepEqual(content, contents.get(restored.id));
    } finally {
      await target.drop();
    }
  });

  test('a rerun rotates nothing and records nothing', async () => {
    const before = await wrappings();
    const events = (await rotationEvents(keyB.id)).length;
    const report = await rotateMasterKey(keyedFor(onlyB), clock, onlyB, {
      batchSize: 2,
      actorUsername: 'cli',
    });
    assert.deepEqual(report.rewrapped, { transfers: 0, census_returns: 0, two_factor_secrets: 0 });
    assert.deepEqual(report.from, {});
    assert.deepEqual(await wrappings(), before);
    assert.equal((await rotationEvents(keyB.id)).length, events);
  });

  test('a run stopped part-way is carried on, and two runs at once re-wrap each key once', async () => {
    const cWithB = new MasterKeyring(keyC, [keyB]);
    // What a run stopped after its first batch leaves: two data keys under C, the rest still under B.
    const firstBatch = await wrappedKeysNotUnder(db, 'transfers', keyC.id, null, 2);
    const changed = await replaceWrappedKeys(
      db,
      'transfers',
      firstBatch.map((row) => ({ row, next: cWithB.wrap(cWithB.unwrap(row)) })),
    );
    assert.deepEqual([...changed].sort(), firstBatch.map((row) => row.key).sort());
    // Three transfers, the census return and the two-factor secret were under B.
    const left = 5 - firstBatch.length;

    const runs = await Promise.all(
      [1, 2].map(() =>
        rotateMasterKey(keyedFor(cWithB), clock, cWithB, { batchSize: 1, actorUsername: 'cli' }),
      ),
    );
    const rewrapped = runs.flatMap((run) => Object.values(run.rewrapped)).reduce((sum, n) => sum + n, 0);
    assert.equal(rewrapped, left, 'each remaining data key re-wrapped by one run or the other');
    // (The audit trail's own re-MAC, from B to C, is recorded apart: table audit_events.)
    const audited = (await rotationEvents(keyC.id))
      .filter((event) => event.table !== 'audit_events')
      .reduce((sum, event) => sum + event.rewrapped, 0);
    assert.equal(audited, left);
    assert.deepEqual((await keyStatus(db, new MasterKeyring(keyC))).tables, {
      transfers: { [keyC.id]: 3 },
      census_returns: { [keyC.id]: 1 },
      two_factor_secrets: { [keyC.id]: 1 },
    });
    await assertFilesRead(new MasterKeyring(keyC));
    await assertCensusReturnReads(new MasterKeyring(keyC));
    await assertTwoFactorCodeAccepted(new MasterKeyring(keyC));
  });

  test('a data key its own master key does not unwrap is reported and left; the others are re-wrapped', async () => {
    const keyD = MasterKey.generate();
    const dWithC = new MasterKeyring(keyD, [keyC]);
    const altered = (await currentTransfers()).find((transfer) => transfer.wrapped_key);
    assert.ok(altered);
    // Labelled C, but wrapped by another key: what an altered or damaged record looks like.
    const forged = MasterKey.generate().wrap(newDataKey());
    await db.updateTable('transfers').set({ wrapped_key: forged }).where('id', '=', altered.id).execute();

    const report = await rotateMasterKey(keyedFor(dWithC), clock, dWithC, {
      batchSize: 10,
      actorUsername: 'cli',
    });
    assert.deepEqual(report.damaged, [{ table: 'transfers', id: altered.id, masterKeyId: keyC.id }]);
    assert.deepEqual(report.rewrapped, { transfers: 2, census_returns: 1, two_factor_secrets: 1 });
    const row = await db
      .selectFrom('transfers')
      .select(['wrapped_key', 'master_key_id'])
      .where('id', '=', altered.id)
      .executeTakeFirstOrThrow();
    assert.deepEqual(row, { wrapped_key: forged, master_key_id: keyC.id });
  });
});

// The audit events kept at an accepted break (an event altered, decision 22) are left as found: rotation
// succeeds over them, and the earlier key can then be dropped (decision 42).
describeEachEngine('master key rotation over an accepted break in the audit chain', (database) => {
  const [keyA, keyB] = [MasterKey.generate(), MasterKey.generate()];
  const bWithA = new MasterKeyring(keyB, [keyA]);
  const onlyB = new MasterKeyring(keyB);
  const clock = new ManualClock('2026-11-24T09:00:00.000Z');

  test('rotation leaves the kept events as found and needs A for nothing after; a kept event changed is still caught', async () => {
    const underA = AuditKeys.fromKeyring(new MasterKeyring(keyA));
    const db = withAuditKeys(database().db, underA);
    await signInEvents(() => db)(4);
    await sealAudit(db, underA);
    await asDatabaseWriter(db, () =>
      db.updateTable('audit_events').set({ actor_username: 'someone' }).where('seq', '=', 2).execute(),
    );
    await acceptChainBreak(db, underA, clock, { at: 2, reason: 'INC-9', actorUsername: 'cli' });
    await sealAudit(db, underA);
    const kept = await db.selectFrom('audit_events').selectAll().where('seq', 'in', [2, 3, 4]).execute();

    const report = await rotateMasterKey(withAuditKeys(db, AuditKeys.fromKeyring(bWithA)), clock, bWithA, {
      batchSize: 500,
      actorUsername: 'cli',
    });
    assert.deepEqual(report.audit, {
      remaced: 2,
      from: { [keyA.id]: 2 },
      head: true,
      breaks: 1,
      keptAtBreaks: 3,
      refused: [],
    });
    assert.deepEqual(
      await db.selectFrom('audit_events').selectAll().where('seq', 'in', [2, 3, 4]).execute(),
      kept,
    );
    const status = await keyStatus(db, bWithA);
    assert.deepEqual(Object.keys(status.auditMacs), [keyB.id], 'A holds no MAC that is checked');
    assert.equal(status.auditKeptAtBreaks, 3);

    // A dropped.
    assert.deepEqual((await keyStatus(db, onlyB)).missingKeyIds, []);
    const again = await rotateMasterKey(withAuditKeys(db, AuditKeys.fromKeyring(onlyB)), clock, onlyB, {
      batchSize: 500,
      actorUsername: 'cli',
    });
    assert.deepEqual([again.missingKeyIds, again.audit.refused, again.audit.keptAtBreaks], [[], [], 3]);
    const keysB = AuditKeys.fromKeyring(onlyB);
    const verified = await verifyAudit(db, keysB);
    assert.equal(verified.ok, true, JSON.stringify(verified));
    assert.deepEqual(
      verified.acceptedBreaks.map((b) => [b.at, b.reason]),
      [[2, 'INC-9']],
    );
    const third = kept.find((event) => Number(event.seq) === 3) as (typeof kept)[number];
    await asDatabaseWriter(db, () =>
      db.updateTable('audit_events').set({ organisation: '999' }).where('id', '=', third.id).execute(),
    );
    const tampered = await verifyAudit(db, keysB);
    assert.equal(tampered.broken?.seq, 2);
    assert.match(
      String(tampered.broken?.reason),
      /the 3 sealed events kept, unproven, at the break accepted at event 2 are not as they were found/,
    );
  });
});
