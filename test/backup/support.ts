// An s2s instance with real data for the backup tests: organisations, users, transfers with encrypted
// content (one forwarded from another, one purged), a lost pupil, a census return, a message and audit
// events, sealed and not. And what a restore must give back: the same rows and every file readable.
import assert from 'node:assert/strict';
import { createHash, randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { sealAudit, verifyAudit } from '../../src/audit/chain.ts';
import { AuditKeys, withAuditKeys } from '../../src/audit/keys.ts';
import { recordAudit } from '../../src/audit/repository.ts';
import { BLOB_LIST, type BlobEntry, MANIFEST, manifestMac } from '../../src/backup/format.ts';
import type { Instance } from '../../src/backup/instance.ts';
import { TABLE_ORDER, TABLES } from '../../src/backup/tables.ts';
import { insertVersion, recordEvent } from '../../src/collect/returns-repository.ts';
import type { Engine } from '../../src/platform/db/database.ts';
import { EncryptedFileStore } from '../../src/platform/storage/encrypted-store.ts';
import type { MasterKey } from '../../src/platform/storage/envelope.ts';
import { DiskFileStore, type FileStore } from '../../src/platform/storage/file-store.ts';
import { MasterKeyring } from '../../src/platform/storage/keyring.ts';
import { censusFilename, censusReturnXml, liveCollection } from '../support/census.ts';
import { createTestDatabase, type TestDatabase } from '../support/databases.ts';
import { makeLa, makeSchool, makeUser } from '../support/factories.ts';
import { makeLostPupil } from '../support/lost-pupils.ts';
import { mailboxOfUser, makeMessage } from '../support/messages.ts';
import { la, makeTransfer, readStored, school } from '../support/transfers.ts';

export interface TestInstance extends Instance {
  database: TestDatabase;
  /** The disk store's folder (left empty when the instance has another store). */
  storeDir: string;
  /** The content of every stored file, by its storage key. */
  contents: Map<string, Buffer>;
  drop(): Promise<void>;
}

/**
 * A migrated, empty instance: a database of the engine and a file store in a new folder, or `store`
 * (an empty one) when given.
 */
export async function emptyInstance(
  engine: Engine,
  masterKey: MasterKey,
  store?: FileStore,
): Promise<TestInstance> {
  const database = await createTestDatabase(engine);
  const storeDir = mkdtempSync(join(tmpdir(), 's2s-backup-store-'));
  return {
    database,
    db: database.db,
    store: store ?? new DiskFileStore(storeDir),
    storeDir,
    keyring: new MasterKeyring(masterKey),
    ...(database.schema ? { schema: database.schema } : {}),
    contents: new Map(),
    // The tests look at the instance after each command: they close it themselves.
    close: async () => {},
    drop: async () => {
      await database.drop();
      rmSync(storeDir, { recursive: true, force: true });
    },
  };
}

/** An instance holding a little of everything. */
export async function populatedInstance(
  engine: Engine,
  masterKey: MasterKey,
  store?: FileStore,
): Promise<TestInstance> {
  const instance = await emptyInstance(engine, masterKey, store);
  const { db, contents } = instance;
  const files = new EncryptedFileStore(instance.store, instance.keyring);
  const la1 = await makeLa(db);
  const la2 = await makeLa(db, { country: 'Wales' });
  const school1 = await makeSchool(db, la1.number);
  const school2 = await makeSchool(db, la2.number, { uses_s2s: 0 });
  const sender = await makeUser(db, 'school', { laNumber: la1.number, establishmentNumber: school1.number });
  const receiver = await makeUser(db, 'school', {
    laNumber: la2.number,
    establishmentNumber: school2.number,
  });
  const dba = await makeUser(db, 'la_dba', { laNumber: la1.number }, { must_change_password: 1 });

  const remember = (row: { storage_key: string | null }, content: Buffer) => {
    if (row.storage_key) contents.set(row.storage_key, content);
  };
  // The origin of a forwarded file sorts after it (keys are read in order), so a restore meets the
  // forwarded file first and must still keep its reference.
  const origin = await makeTransfer(db, files, {
    from: school(school1.number),
    to: la(la1.number),
    uploadedBy: sender.id,
    overrides: { id: `ffffffff-${randomUUID().slice(9)}`, status: 'collected' },
  });
  remember(origin.row, origin.content);
  const forwarded = await makeTransfer(db, files, {
    from: la(la1.number),
    to: school(school2.number),
    uploadedBy: dba.id,
    content: Buffer.alloc(200_000, 7), // several segments
    overrides: { id: `00000000-${randomUUID().slice(9)}`, forwarded_from: origin.row.id },
  });
  remember(forwarded.row, forwarded.content);
  for (const category of ['generic', 'plasc'] as const) {
    const transfer = await makeTransfer(db, files, {
      from: school(school1.number),
      to: school(school2.number),
      category,
      uploadedBy: sender.id,
    });
    remember(transfer.row, transfer.content);
  }
  // Purged: the record stays, its content is gone. Enough of them between the forwarded file and its
  // origin that a restore inserts the two in different statements.
  const purged = await makeTransfer(db, files, {
    from: school(school1.number),
    to: school(school2.number),
    overrides: { status: 'collected', storage_key: null, wrapped_key: null, master_key_id: null },
  });
  await db
    .insertInto('transfers')
    .values(Array.from({ length: 120 }, () => ({ ...purged.row, id: randomUUID() })))
    .execute();
  const lost = await makeLostPupil(db, files, { from: school(school1.number) });
  remember(lost.transfer.row, lost.transfer.content);

  const collectionId = await liveCollection(db, dba, [la1.number], {
    name: 'School Census 2026 Autumn',
    created_at: '2026-08-01T09:00:00.000Z',
  });
  const xml = Buffer.from(censusReturnXml({ school: school1.number, year: 2026 }));
  const stored = await files.put(Readable.from([xml]));
  const returnId = randomUUID();
  await insertVersion(
    db,
    {
      id: returnId,
      collection_id: collectionId,
      establishment_number: school1.number,
      la_number: la1.number,
      filename: censusFilename(school1.number),
      error_count: 0,
      query_count: 0,
      pupil_count: 11,
      school_details: JSON.stringify({ name: school1.name }),
      size: stored.size,
      sha256: stored.sha256,
      storage_key: stored.storageKey,
      wrapped_key: stored.wrappedKey,
      master_key_id: stored.masterKeyId,
      uploaded_by: sender.id,
      uploaded_by_scope: 'school',
      uploaded_at: '2026-10-05T09:00:00.000Z',
    },
    [],
  );
  contents.set(stored.storageKey, xml);
  await recordEvent(db, {
    return_id: returnId,
    at: '2026-10-05T09:00:00.000Z',
    user_id: sender.id,
    user_name: 'Test Person',
    actor_scope: 'school',
    action: 'loaded',
    note: null,
  });
  await makeMessage(db, sender, [mailboxOfUser(receiver)], {
    body: 'Text with "quotes", a newline\nand ünïcödé',
  });

  for (const [minute, action] of [
    [1, 'file-uploaded'],
    [2, 'file-downloaded'],
    [3, 'user-added'],
  ] as const) {
    await recordAudit(withAuditKeys(db, auditKeysOf(instance)), {
      at: new Date(Date.UTC(2026, 10, 1, 9, minute)),
      actorUserId: sender.id,
      actorUsername: sender.username,
      organisation: school1.number,
      action,
      detail: { note: `event ${minute}` },
    });
  }
  await sealAudit(db, auditKeysOf(instance));
  // Written after the last seal: restored unsealed, and sealed later as ever.
  await recordAudit(withAuditKeys(db, auditKeysOf(instance)), {
    at: new Date(Date.UTC(2026, 10, 1, 9, 4)),
    action: 'sign-in',
    actorUsername: 'x',
  });
  return instance;
}

/** The audit keys of an instance's master keys. */
export function auditKeysOf(instance: Instance): AuditKeys {
  return AuditKeys.fromKeyring(instance.keyring);
}

/** Every row of every table, in key order. */
export async function allRows(instance: Instance): Promise<Record<string, unknown[]>> {
  const out: Record<string, unknown[]> = {};
  for (const table of TABLE_ORDER) {
    let query = instance.db.selectFrom(table).selectAll();
    for (const column of TABLES[table].key) query = query.orderBy(column as never);
    out[table] = await query.execute();
  }
  return out;
}

/** Counts of rows per table. */
export async function rowCounts(instance: Instance): Promise<Record<string, number>> {
  const rows = await allRows(instance);
  return Object.fromEntries(Object.entries(rows).map(([table, list]) => [table, list.length]));
}

/**
 * The restored instance holds exactly the source's rows, every stored file reads back (decrypted with
 * the master key) with the SHA-256 its record names, and the audit chain verifies.
 */
export async function assertRestored(source: TestInstance, target: Instance): Promise<void> {
  assert.deepEqual(await allRows(target), await allRows(source));
  const files = new EncryptedFileStore(target.store, target.keyring);
  const stored = [
    ...(await target.db
      .selectFrom('transfers')
      .select(['storage_key', 'wrapped_key', 'master_key_id', 'sha256'])
      .execute()),
    ...(await target.db
      .selectFrom('census_returns')
      .select(['storage_key', 'wrapped_key', 'master_key_id', 'sha256'])
      .execute()),
  ];
  let read = 0;
  for (const row of stored) {
    if (!row.storage_key) continue;
    const content = await readStored(files, row);
    assert.equal(createHash('sha256').update(content).digest('hex'), row.sha256);
    assert.deepEqual(content, source.contents.get(row.storage_key), `the content of ${row.storage_key}`);
    read += 1;
  }
  assert.equal(read, source.contents.size, 'every stored file was read back');
  const [before, after] = [
    await verifyAudit(source.db, auditKeysOf(source)),
    await verifyAudit(target.db, auditKeysOf(target)),
  ];
  assert.equal(after.ok, true);
  assert.deepEqual(after.head, before.head);
  assert.equal(after.checked, before.checked);
}

/** The instance holds no rows (but the chain's genesis head) and no stored files. */
export async function assertEmpty(instance: Instance): Promise<void> {
  const counts = await rowCounts(instance);
  for (const [table, count] of Object.entries(counts)) {
    assert.equal(count, table === 'audit_chain_head' ? 1 : 0, `${table} is empty`);
  }
  const keys: string[] = [];
  for await (const object of instance.store.list()) keys.push(object.key);
  assert.deepEqual(keys, [], 'the file store is empty');
}

/** A backup's list of its stored files (files.jsonl), entry by entry. */
export function blobListOf(dir: string): BlobEntry[] {
  return readFileSync(join(dir, BLOB_LIST), 'utf8')
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as BlobEntry);
}

/** A backup's manifest, as JSON. */
export function manifestOf(
  dir: string,
): Record<string, unknown> & Record<'files' | 'tables', Record<string, unknown>> {
  return JSON.parse(readFileSync(join(dir, MANIFEST), 'utf8'));
}

/**
 * Writes a backup's manifest, its MAC made again under `masterKey`: as only someone holding the master key
 * could (to test the checks beyond the MAC); without `masterKey`, as it is given.
 */
export function writeManifest(dir: string, manifest: Record<string, unknown>, masterKey?: MasterKey): void {
  const { mac: _mac, ...rest } = manifest;
  const written = masterKey
    ? { ...rest, mac: { masterKeyId: masterKey.id, hmacSha256: manifestMac(rest, masterKey) } }
    : manifest;
  writeFileSync(join(dir, MANIFEST), `${JSON.stringify(written, null, 2)}\n`);
}

/**
 * Writes a backup's list of its stored files again, and its size and SHA-256 (and `blobs`, when given)
 * into the manifest, its MAC made again under `masterKey`: as only someone holding the master key could.
 */
export function rewriteBlobList(
  dir: string,
  masterKey: MasterKey,
  entries: BlobEntry[],
  blobs?: number,
): void {
  const text = entries.map((entry) => `${JSON.stringify(entry)}\n`).join('');
  writeFileSync(join(dir, BLOB_LIST), text);
  const manifest = manifestOf(dir);
  manifest.files[BLOB_LIST] = {
    bytes: Buffer.byteLength(text),
    sha256: createHash('sha256').update(text).digest('hex'),
  };
  if (blobs !== undefined) manifest.blobs = blobs;
  writeManifest(dir, manifest, masterKey);
}

/** Turns a backup into the version-2 form the releases before authenticated manifests wrote: no MAC. */
export function asVersion2(dir: string): void {
  const { mac: _mac, ...manifest } = manifestOf(dir);
  writeManifest(dir, { ...manifest, version: 2 });
}

/**
 * Turns a backup into the version-1 form the release before version 2 wrote: every stored file listed in
 * the manifest's `files` with the table files, no files.jsonl, and no MAC.
 */
export function asVersion1(dir: string): void {
  const { mac: _mac, ...manifest } = manifestOf(dir);
  const { [BLOB_LIST]: _list, ...tableFiles } = manifest.files;
  const blobs = Object.fromEntries(blobListOf(dir).map(({ path, ...digest }) => [path, digest]));
  rmSync(join(dir, BLOB_LIST));
  writeManifest(dir, { ...manifest, version: 1, files: { ...tableFiles, ...blobs } });
}
