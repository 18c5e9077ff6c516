// `s2s restore`: a backup (format.ts) into an empty instance, all or nothing.
//
// 1. The instance must hold every master key the backup was made under (its current key, or previous
//    ones), and the manifest must match its MAC under one of them (format.ts): a manifest rewritten, or
//    fitted to files taken from another backup, is refused. An older backup, which has no MAC, only with
//    --unsigned.
// 2. Every file of the backup is checked against the manifest's SHA-256 (a stored file's, against
//    files.jsonl's) before anything is written: a damaged, truncated or altered backup is refused as it
//    is. Nothing is held per stored file: the list is read again, a line at a time, wherever it is needed.
//    The instance must be empty (no rows but what the migrations write themselves, no stored files).
// 3. The database is migrated to the backup's level, the stored files are copied (checked again as they
//    are read), then every row is inserted, in foreign-key order, in one transaction; on any failure the
//    transaction is rolled back and the files copied are removed, so the instance is empty again.
// 4. The database is migrated to this version's latest level, as after any upgrade.
// Rows are portable (strings, numbers and nulls; flags are 0/1 integers in both engines, and no table
// has a sequence or identity column), so a backup of either engine restores into either.
import { createReadStream, type Dir, existsSync, statSync } from 'node:fs';
import { mkdtemp, opendir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pipeline, Writable } from 'node:stream';
import { pipeline as pipelinePromise } from 'node:stream/promises';
import { type Kysely, sql } from 'kysely';
import { GENESIS_HASH } from '../audit/chain.ts';
import {
  appliedMigrations,
  listTables,
  MIGRATION_NAMES,
  migrateTo,
  migrateToLatest,
} from '../platform/db/database.ts';
import type { Db, Executor } from '../platform/db/schema.ts';
import { DecryptStream, TamperedFileError } from '../platform/storage/envelope.ts';
import type { FileStore } from '../platform/storage/file-store.ts';
import type { MasterKeyring } from '../platform/storage/keyring.ts';
import {
  BLOB_LIST,
  BLOB_PATH,
  type BlobEntry,
  blobEntrySchema,
  blobFile,
  type Digest,
  FORMAT_VERSION,
  linesOf,
  MANIFEST,
  type Manifest,
  Measure,
  manifestMacMatches,
  manifestSchema,
  TABLE_PATH,
} from './format.ts';
import { BackupError, type Instance } from './instance.ts';
import { sortedLines } from './sorted.ts';
import { isTableName, specOf, TABLE_ORDER, type TableName } from './tables.ts';

export interface RestoreOptions {
  /** Restore a backup of version 1 or 2, made before manifests were authenticated (--unsigned). */
  unsigned?: boolean;
  /** Stops the restore (SIGINT, SIGTERM: its reason), as a failure would: the files copied removed. */
  signal?: AbortSignal;
}

/** Throws if the restore was told to stop: between two files, or two tables. */
function stopIfAsked(signal: AbortSignal | undefined): void {
  if (!signal?.aborted) return;
  throw new BackupError(
    `The restore was stopped (${String(signal.reason)}) before it finished: the stored files it had copied were ` +
      'removed and no rows were written. Nothing was restored: run it again into the same empty instance.',
  );
}

export interface RestoreSummary {
  createdAt: string;
  engine: string;
  level: string;
  tables: number;
  rows: number;
  blobs: number;
}

type Row = Record<string, unknown>;
type AnyDb = Kysely<Record<string, Row>>;

/** Size and SHA-256 of a file of the backup, or undefined if it cannot be read. */
async function measure(path: string) {
  const measured = new Measure();
  try {
    await pipelinePromise(
      createReadStream(path),
      measured,
      new Writable({ write: (_chunk, _encoding, done) => done() }),
    );
  } catch {
    return undefined;
  }
  return measured.digest();
}

/**
 * A backup's stored files in path order, each checked as it is read: a path in files/, after the one
 * before it (so listed once), and as many as the manifest says. From files.jsonl (version 2), read a line
 * at a time and checked against its SHA-256 in the manifest once read; from the manifest (version 1).
 */
async function* blobEntries(dir: string, manifest: Manifest): AsyncGenerator<BlobEntry> {
  const listedIn = manifest.version === 1 ? 'manifest' : BLOB_LIST;
  let count = 0;
  let previous = '';
  const checked = (entry: BlobEntry) => {
    if (!BLOB_PATH.test(entry.path)) {
      throw new BackupError(
        `The backup's ${listedIn} names a file outside the backup's folders (${entry.path}): it has been altered.`,
      );
    }
    if (entry.path <= previous) {
      throw new BackupError(
        `The backup's ${listedIn} lists ${entry.path} twice or out of order: it has been altered.`,
      );
    }
    previous = entry.path;
    count += 1;
    return entry;
  };
  if (manifest.version === 1) {
    const paths = Object.keys(manifest.files)
      .filter((path) => !TABLE_PATH.test(path))
      .sort();
    for (const path of paths) yield checked({ path, ...(manifest.files[path] as Digest) });
  } else {
    const measured = new Measure();
    const text = pipeline(createReadStream(join(dir, BLOB_LIST)), measured, () => {});
    text.setEncoding('utf8');
    try {
      for await (const line of linesOf(text as AsyncIterable<string>)) {
        if (line === '') continue;
        let entry: BlobEntry;
        try {
          entry = blobEntrySchema.parse(JSON.parse(line));
        } catch {
          throw new BackupError(
            `The backup's ${BLOB_LIST} holds a line that is not a stored file's entry: it is damaged or altered. Nothing was restored.`,
          );
        }
        yield checked(entry);
      }
    } catch (error) {
      if (error instanceof BackupError) throw error;
      throw new BackupError(
        `The backup is incomplete: ${BLOB_LIST} is missing or unreadable. Nothing was restored.`,
      );
    }
    const digest = measured.digest();
    const expected = manifest.files[BLOB_LIST];
    if (digest.sha256 !== expected?.sha256 || digest.bytes !== expected.bytes) {
      throw new BackupError(
        `The backup's ${BLOB_LIST} changed while it was being read, or does not match its SHA-256 in the manifest. Nothing was restored.`,
      );
    }
  }
  if (count !== manifest.blobs) {
    throw new BackupError(
      `The backup's ${listedIn} lists ${count} stored files but ${listedIn === 'manifest' ? 'says' : 'the manifest says'} it holds ${manifest.blobs}: it has been altered.`,
    );
  }
}

/** The names of a folder of the backup, a few at a time (none if it is missing). */
async function* namesIn(folder: string): AsyncGenerator<string> {
  let entries: Dir;
  try {
    entries = await opendir(folder);
  } catch {
    return; // A missing folder shows as its files missing.
  }
  // A newline would split a name in the sort's runs: shown escaped, as no stored file is named.
  for await (const entry of entries) yield entry.name.replaceAll('\n', '\\n');
}

/**
 * Walks the backup's files/ folder, its names sorted (runs in a temporary folder), alongside the list of
 * its stored files, in one merge: what is there unlisted (the first few), and the first listed file
 * missing. Neither side is held whole.
 */
async function compareBlobFolder(
  dir: string,
  manifest: Manifest,
): Promise<{ extra: string[]; more: boolean; missing?: string }> {
  const runs = await mkdtemp(join(tmpdir(), 's2s-restore-'));
  const result: { extra: string[]; more: boolean; missing?: string } = { extra: [], more: false };
  const present = sortedLines(namesIn(join(dir, 'files')), (name) => name, runs);
  const listed = blobEntries(dir, manifest);
  try {
    let here = await present.next();
    let entry = await listed.next();
    while (!here.done || !entry.done) {
      const path = here.done ? undefined : `files/${here.value}`;
      if (path !== undefined && (entry.done || path < entry.value.path)) {
        if (result.extra.length < 3) result.extra.push(path);
        else result.more = true;
        here = await present.next();
      } else if (!entry.done && (path === undefined || path > entry.value.path)) {
        result.missing ??= entry.value.path;
        entry = await listed.next();
      } else {
        here = await present.next();
        entry = await listed.next();
      }
    }
  } finally {
    await present.return(undefined);
    await rm(runs, { recursive: true, force: true });
  }
  return result;
}

/**
 * Checks that the instance holds the master keys the backup needs and that the manifest is the one the
 * backup was made with: its MAC (version 3), or the operator's word (`unsigned`, versions 1 and 2).
 */
function authenticate(
  manifest: Manifest,
  parsed: Record<string, unknown>,
  keyring: MasterKeyring,
  { unsigned = false }: RestoreOptions,
): void {
  const needed = [...manifest.masterKeyIds, ...(manifest.mac ? [manifest.mac.masterKeyId] : [])];
  const missingKeys = [...new Set(needed)].filter((id) => !keyring.has(id));
  if (missingKeys.length > 0) {
    throw new BackupError(
      `The backup was made under the master key ${missingKeys.join(', ')}, which this instance is not given (its keys: ${keyring.ids.join(', ')}). ` +
        'Set MASTER_KEY (or MASTER_KEY_FILE) to the master key of the instance that was backed up, or give it in MASTER_KEY_PREVIOUS ' +
        '(or MASTER_KEY_PREVIOUS_FILES): without it the backup cannot be read. Nothing was restored.',
    );
  }
  const { mac } = manifest;
  if (!mac) {
    if (manifest.version === FORMAT_VERSION) {
      throw new BackupError(
        `The backup's ${MANIFEST} has no MAC, which every backup of format version ${FORMAT_VERSION} has: the backup has been altered. ` +
          'Nothing was restored. Restore an unaltered copy of the backup, or another backup.',
      );
    }
    if (!unsigned) {
      throw new BackupError(
        `The backup is of format version ${manifest.version}, written by an earlier s2s before manifests were authenticated: ` +
          "s2s cannot check that none of its files was swapped for another backup's, with the manifest rewritten to match. " +
          'Nothing was restored. If you are sure the backup has not been altered since it was made, restore it with --unsigned; ' +
          'then make a new backup, which is authenticated.',
      );
    }
    return;
  }
  const masterKey = keyring.masterKeys().find((key) => key.id === mac.masterKeyId);
  if (!masterKey || !manifestMacMatches(parsed, masterKey, mac.hmacSha256)) {
    throw new BackupError(
      `The backup's ${MANIFEST} does not match its MAC (made under the master key ${mac.masterKeyId}): the backup has been altered, ` +
        "or mixed with another backup's files and their entries in its manifest. Nothing was restored. " +
        'Restore an unaltered copy of the backup (from where your backups are kept), or another backup.',
    );
  }
}

/**
 * Reads the manifest, authenticates it (authenticate), and checks every file of the backup against it:
 * present, the same size and SHA-256, and nothing in the folder that the manifest (and files.jsonl) does
 * not list. Throws BackupError saying what is wrong. Holds nothing per stored file (format.ts).
 */
export async function verifyBackup(
  source: string,
  keyring: MasterKeyring,
  options: RestoreOptions = {},
): Promise<Manifest> {
  const dir = resolve(source);
  let text: string;
  try {
    text = await readFile(join(dir, MANIFEST), 'utf8');
  } catch {
    if (!existsSync(dir)) {
      throw new BackupError(`There is no folder ${dir}: give --from the folder s2s backup wrote.`);
    }
    if (!statSync(dir).isDirectory()) {
      throw new BackupError(
        `${dir} is a file, not a backup folder: give --from the folder s2s backup wrote (the one holding ${MANIFEST}).`,
      );
    }
    throw new BackupError(
      `${dir} holds no ${MANIFEST}: it is not a backup made by s2s backup, or the backup did not finish.`,
    );
  }
  let manifest: Manifest;
  let parsed: Record<string, unknown>;
  try {
    parsed = JSON.parse(text);
    manifest = manifestSchema.parse(parsed);
  } catch {
    throw new BackupError(
      `${join(dir, MANIFEST)} is not a manifest this version of s2s can read: it is damaged, or was written by a newer s2s.`,
    );
  }
  const known = MIGRATION_NAMES;
  if (manifest.migrations.some((name, i) => known[i] !== name)) {
    throw new BackupError(
      `The backup's database was migrated to ${manifest.migrations.at(-1)}, which this version of s2s does not know: restore it with that version of s2s or a later one.`,
    );
  }
  authenticate(manifest, parsed, keyring, options);
  for (const [table, entry] of Object.entries(manifest.tables)) {
    if (!isTableName(table) || TABLE_PATH.exec(entry.file)?.[1] !== table || !manifest.files[entry.file]) {
      throw new BackupError(
        `The backup's manifest names a table this version of s2s does not know, or lists it wrongly (${table}).`,
      );
    }
  }
  // Version 1 lists the stored files here too (blobEntries checks them); version 2, only files.jsonl.
  const listsHere = (path: string) =>
    TABLE_PATH.test(path) || (manifest.version === 1 ? BLOB_PATH.test(path) : path === BLOB_LIST);
  for (const path of Object.keys(manifest.files)) {
    if (!listsHere(path)) {
      throw new BackupError(
        `The backup's manifest names a file outside the backup's folders (${path}): it has been altered.`,
      );
    }
  }
  if (manifest.version !== 1 && !manifest.files[BLOB_LIST]) {
    throw new BackupError(
      `The backup's manifest does not list ${BLOB_LIST}, the list of its stored files: it has been altered.`,
    );
  }
  const unlisted: string[] = [];
  for await (const name of namesIn(join(dir, 'tables'))) {
    if (!manifest.files[`tables/${name}`]) unlisted.push(`tables/${name}`);
  }
  const blobs = await compareBlobFolder(dir, manifest);
  const extra = [...unlisted, ...blobs.extra];
  if (extra.length > 0) {
    throw new BackupError(
      `The backup holds files its manifest does not list (${extra.slice(0, 3).join(', ')}${extra.length > 3 || blobs.more ? '...' : ''}): it has been altered. Nothing was restored.`,
    );
  }
  const checkFile = async (path: string, expected: Digest) => {
    const actual = await measure(join(dir, path));
    if (!actual)
      throw new BackupError(
        `The backup is incomplete: ${path} is missing or unreadable. Nothing was restored.`,
      );
    if (actual.bytes !== expected.bytes || actual.sha256 !== expected.sha256) {
      throw new BackupError(
        `The backup is damaged: ${path} does not match its SHA-256 in the manifest` +
          `${actual.bytes !== expected.bytes ? ` (${actual.bytes} bytes, ${expected.bytes} expected)` : ''}: ` +
          "it was damaged, altered, or swapped for another backup's file or another table's. Nothing was restored. " +
          'Restore an unaltered copy of the backup, or another backup.',
      );
    }
  };
  if (blobs.missing) {
    throw new BackupError(
      `The backup is incomplete: ${blobs.missing} is missing or unreadable. Nothing was restored.`,
    );
  }
  for (const [path, expected] of Object.entries(manifest.files)) {
    stopIfAsked(options.signal);
    if (!BLOB_PATH.test(path)) await checkFile(path, expected);
  }
  for await (const { path, ...expected } of blobEntries(dir, manifest)) {
    stopIfAsked(options.signal);
    await checkFile(path, expected);
  }
  return manifest;
}

/** Whether the backup holds a stored file: its folder holds exactly the files its list names (verifyBackup). */
async function holdsBlob(dir: string, storageKey: string): Promise<boolean> {
  const path = blobFile(storageKey);
  if (!BLOB_PATH.test(path)) return false;
  try {
    return (await stat(join(dir, path))).isFile();
  } catch {
    return false;
  }
}

/** The tables holding rows other than those the migrations write themselves (the chain's genesis head). */
async function tablesWithRows(db: Db): Promise<string[]> {
  const anyDb = db as unknown as AnyDb;
  const holding: string[] = [];
  for (const table of await listTables(db)) {
    let query = anyDb.selectFrom(table).select(sql<number>`1`.as('one'));
    if (table === 'audit_chain_head') {
      query = query.where((eb) => eb.not(eb.and([eb('seq', '=', 0), eb('hash', '=', GENESIS_HASH)])));
    }
    if (await query.limit(1).executeTakeFirst()) holding.push(table);
  }
  return holding;
}

/** Refuses a file store that holds a file: a restore is only into an empty instance. */
export async function refuseUnlessEmpty(store: FileStore): Promise<void> {
  for await (const object of store.list()) {
    if (object.partial) continue;
    throw new BackupError(
      'The file store is not empty: s2s restores only into an empty file store. Point FILE_STORE_DIR at a new folder ' +
        '(with FILE_STORE=s3: S3_BUCKET or S3_PREFIX at an empty bucket or prefix), or empty it if an earlier restore ' +
        'was interrupted. Nothing was changed.',
    );
  }
}

export async function restoreBackup(
  instance: Instance,
  source: string,
  options: RestoreOptions = {},
): Promise<RestoreSummary> {
  const dir = resolve(source);
  const { db, store, keyring } = instance;
  const manifest = await verifyBackup(dir, keyring, options);

  const holding = await tablesWithRows(db);
  if (holding.length > 0) {
    throw new BackupError(
      `The database is not empty (${holding.join(', ')} hold rows): s2s restores only into an empty database. ` +
        'Point DATABASE_URL at a new database. Nothing was changed.',
    );
  }
  await refuseUnlessEmpty(store);

  const level = manifest.migrations[manifest.migrations.length - 1] as string;
  const applied = await appliedMigrations(db, instance.schema);
  if (applied[applied.length - 1] !== level) await migrateTo(db, level, instance.schema);
  const present = new Set(await listTables(db));
  const tables = TABLE_ORDER.filter((table) => manifest.tables[table]);
  for (const table of tables) {
    if (!present.has(table)) {
      throw new BackupError(
        `The backup holds the table ${table}, which its own schema level (${level}) does not have: it has been altered.`,
      );
    }
  }

  // Copied in the list's order: a failure removes the first `copied` of it again.
  let copied = 0;
  let rows = 0;
  try {
    for await (const expected of blobEntries(dir, manifest)) {
      stopIfAsked(options.signal);
      const storageKey = BLOB_PATH.exec(expected.path)?.[1] as string;
      const measured = new Measure();
      copied += 1;
      await store.put(
        storageKey,
        pipeline(createReadStream(join(dir, expected.path)), measured, () => {}),
      );
      const digest = measured.digest();
      if (digest.sha256 !== expected.sha256 || digest.bytes !== expected.bytes) {
        throw new BackupError(
          `The backup's ${expected.path} changed while it was being restored. Nothing was restored.`,
        );
      }
    }
    await db.transaction().execute(async (trx) => {
      // Only rows the migrations wrote themselves can be here (checked above).
      for (const table of [...tables].reverse()) await (trx as unknown as AnyDb).deleteFrom(table).execute();
      for (const table of tables) {
        stopIfAsked(options.signal);
        rows += await restoreTable(trx, table, manifest, dir, tableDataKey(manifest, table, keyring));
      }
    });
  } catch (error) {
    await removeCopied(dir, manifest, store, copied);
    throw error;
  }
  try {
    await migrateToLatest(db, instance.schema);
  } catch (error) {
    throw new BackupError(
      `The backup was restored (schema level ${level}), but bringing the schema up to date failed: ${(error as Error).message}. Run s2s migrate.`,
    );
  }
  return {
    createdAt: manifest.createdAt,
    engine: manifest.engine,
    level,
    tables: tables.length,
    rows,
    blobs: manifest.blobs,
  };
}

/** Removes the first `count` stored files of the backup's list from the store again. */
async function removeCopied(dir: string, manifest: Manifest, store: FileStore, count: number): Promise<void> {
  let left = count;
  try {
    for await (const { path } of blobEntries(dir, manifest)) {
      if (left-- <= 0) break;
      await store.remove(BLOB_PATH.exec(path)?.[1] as string).catch(() => {});
    }
  } catch {
    // The list changed since it was checked: what it no longer names stays (the failure says so).
  }
}

/** The data key a table's file is encrypted under. */
function tableDataKey(manifest: Manifest, table: TableName, keyring: MasterKeyring): Buffer {
  const entry = manifest.tables[table];
  return keyring.unwrap({
    wrappedKey: entry?.wrappedKey ?? '',
    masterKeyId:
      entry?.masterKeyId ?? (manifest.masterKeyIds.length === 1 ? (manifest.masterKeyIds[0] ?? null) : null),
  });
}

/** Inserts one table's rows from the backup; returns how many. */
async function restoreTable(
  trx: Executor,
  table: TableName,
  manifest: Manifest,
  dir: string,
  dataKey: Buffer,
): Promise<number> {
  const entry = manifest.tables[table];
  if (!entry) return 0;
  const spec = specOf(table);
  const anyTrx = trx as unknown as AnyDb;
  const measured = new Measure();
  const plain = pipeline(
    createReadStream(join(dir, entry.file)),
    measured,
    new DecryptStream(dataKey, { sha256: entry.sha256 }),
    () => {},
  );
  plain.setEncoding('utf8');
  const deferred: [string, unknown][] = [];
  let batch: Row[] = [];
  let batchSize = 100;
  let count = 0;
  const flush = async () => {
    if (batch.length === 0) return;
    await anyTrx.insertInto(table).values(batch).execute();
    batch = [];
  };
  const take = async (line: string) => {
    if (line === '') return;
    let row: Row;
    try {
      row = JSON.parse(line) as Row;
    } catch {
      throw new BackupError(`A row of ${table} in the backup is not valid JSON. Nothing was restored.`);
    }
    if (typeof row !== 'object' || row === null || Array.isArray(row)) {
      throw new BackupError(`A row of ${table} in the backup is not a record. Nothing was restored.`);
    }
    count += 1;
    if (spec.selfReference && row[spec.selfReference] != null) {
      // Set once every row of the table is in: the row it refers to may come later.
      deferred.push([String(row[spec.key[0] as string]), row[spec.selfReference]]);
      row[spec.selfReference] = null;
    }
    if (spec.files && row.storage_key != null && !(await holdsBlob(dir, String(row.storage_key)))) {
      throw new BackupError(
        `The backup does not hold the stored file of ${table} ${String(row.id)}: it has been altered. Nothing was restored.`,
      );
    }
    if (count === 1) batchSize = Math.max(1, Math.floor(2000 / Object.keys(row).length));
    batch.push(row);
    if (batch.length >= batchSize) await flush();
  };
  try {
    for await (const line of linesOf(plain as AsyncIterable<string>)) await take(line);
  } catch (error) {
    if (!(error instanceof TamperedFileError)) throw error;
    throw new BackupError(
      `The backup's ${entry.file} failed its integrity check: it is damaged or altered. Nothing was restored.`,
    );
  }
  await flush();
  const digest = measured.digest();
  const expected = manifest.files[entry.file];
  if (digest.sha256 !== expected?.sha256) {
    throw new BackupError(
      `The backup's ${entry.file} changed while it was being restored. Nothing was restored.`,
    );
  }
  if (count !== entry.rows) {
    throw new BackupError(
      `The backup's ${entry.file} holds ${count} rows; its manifest says ${entry.rows}. Nothing was restored.`,
    );
  }
  for (const [id, value] of deferred) {
    await anyTrx
      .updateTable(table)
      .set({ [spec.selfReference as string]: value })
      .where(spec.key[0] as string, '=', id)
      .execute();
  }
  return count;
}
