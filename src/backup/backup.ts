// `s2s backup`: a consistent snapshot of the database and of every stored file it refers to (format.ts
// describes the folder; docs/decisions.md, 23 and 34, why it is made this way).
//
// The rows of every table are read inside ONE transaction that sees a single snapshot (inSnapshot), so
// the backup is what the database held at one instant, while the service goes on working. The stored
// files are copied after the rows are read, and only those the snapshot refers to: uploads store their
// file before the row that names it is committed (decision 12), so every file the snapshot names exists
// then. It may be gone by the time it is copied (hours later, at scale): the purge-files job, a sender's
// or an LA's removal, a quarantine delete content while the backup runs. Such a file is not an error:
// once every other file is copied, the records of the files found gone are read again, and each one the
// database now holds without its file (purged, its content and pupils gone) is written into the backup
// as it now is, without its pupils (the table files are written again for it), so that a restore never
// gives a record naming a file it does not have. The purge records that a row lets its content go before
// it deletes it (transfers/jobs.ts); a node of an earlier version deleted first and recorded a moment
// later, so a record still naming its file is read again for a while (settleMs) before the file is taken
// for lost. A file still named then is missing for no reason s2s knows (the store lost
// it, or someone deleted it): the backup fails, naming the record, and is removed.
//
// The files to copy are read back from the table files the backup has just written, a line at a time,
// rather than kept from the snapshot: at national scale they are millions. Each one copied is written
// to the list of the stored files as it is (then sorted, format.ts): only those found gone are kept.
import { randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { type FileHandle, mkdir, open, readdir, rename, rm, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { pipeline, Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { type Kysely, sql } from 'kysely';
import { appliedMigrations, engineOfDb, inSnapshot, listTables } from '../platform/db/database.ts';
import { keysetRows } from '../platform/db/keyset.ts';
import type { Db, Executor } from '../platform/db/schema.ts';
import { makePrivateFolders } from '../platform/folders.ts';
import { DecryptStream, EncryptStream } from '../platform/storage/envelope.ts';
import { type FileStore, FileStoreUnusable } from '../platform/storage/file-store.ts';
import type { MasterKeyring } from '../platform/storage/keyring.ts';
import { unwritable } from '../platform/unwritable.ts';
import {
  BLOB_LIST,
  BLOB_PATH,
  type BlobEntry,
  blobFile,
  type Digest,
  FORMAT,
  FORMAT_VERSION,
  fsync,
  linesOf,
  MANIFEST,
  type Manifest,
  manifestMac,
  tableFile,
  writeMeasured,
} from './format.ts';
import { BackupError, type Instance } from './instance.ts';
import { sortedLines } from './sorted.ts';
import { isTableName, specOf, TABLE_ORDER, type TableName, type TableSpec } from './tables.ts';

/** Rows read at a time (keyset pages: each page starts after the last key of the one before). */
const PAGE = 1000;
/**
 * How long a record may go on naming a file the store no longer holds before the file is taken for lost:
 * the purge deletes a file's content, then records it in a transaction of its own (transfers/jobs.ts).
 */
export const SETTLE_SECONDS = 30;
/** Records read again at a time. */
const RECHECK_BATCH = 500;

export interface BackupSummary {
  dir: string;
  createdAt: string;
  engine: string;
  level: string;
  tables: number;
  rows: number;
  blobs: number;
  /** Stored files purged or removed while the backup ran: in it as purged (their records, no content). */
  purged: number;
  bytes: number;
  masterKeyIds: string[];
}

export interface BackupOptions {
  /** Rows read at a time (PAGE). */
  pageSize?: number;
  /** How long a record may name a file gone from the store before the backup fails (SETTLE_SECONDS). */
  settleMs?: number;
  /** Entries of the list of stored files sorted in memory at a time (sorted.ts, RUN_SIZE). */
  sortRun?: number;
}

/** The list of the stored files as they are copied, before it is sorted into BLOB_LIST; and its runs. */
const UNSORTED = `${BLOB_LIST}.unsorted`;
const SORTING = 'sorting';

type Row = Record<string, unknown>;
type AnyDb = Kysely<Record<string, Row>>;

interface FileRef {
  table: TableName;
  id: string;
  storageKey: string;
}

/** The folder must be new or empty: a backup never mixes with anything else. */
async function prepareFolder(dir: string): Promise<boolean> {
  try {
    const entries = await readdir(dir);
    if (entries.length > 0) {
      throw new BackupError(`${dir} is not empty: give a new or empty folder for the backup.`);
    }
    return false;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
      if (error instanceof BackupError) throw error;
      throw new BackupError(`Cannot use ${dir} for the backup: ${(error as Error).message}`);
    }
  }
  try {
    await makePrivateFolders(dir);
  } catch (error) {
    throw unwritable(
      {
        what: 'The backup folder',
        path: dir,
        kind: 'folder',
        setting: '--to',
        loss: 'no backup can be written',
        otherwise: 'give --to a folder s2s can write',
      },
      error,
    );
  }
  return true;
}

/** The table's rows in key order, read a page at a time (keysetRows). */
function rowsOf(trx: Executor, table: TableName, pageSize: number): AsyncGenerator<Row> {
  const key = specOf(table).key;
  const columns = sql.join(key.map((column) => sql.ref(column)));
  return keysetRows<Row, unknown[]>(
    async (after, limit) => {
      const where = after ? sql`where (${columns}) > (${sql.join(after)})` : sql``;
      const page =
        await sql<Row>`select * from ${sql.table(table)} ${where} order by ${columns} limit ${limit}`.execute(
          trx,
        );
      return page.rows;
    },
    (row) => key.map((column) => row[column]),
    pageSize,
  );
}

export async function createBackup(
  instance: Instance,
  target: string,
  now: Date,
  options: BackupOptions = {},
): Promise<BackupSummary> {
  const pageSize = options.pageSize ?? PAGE;
  const { db, store, keyring } = instance;
  const dir = resolve(target);
  const created = await prepareFolder(dir);
  try {
    const present = new Set(await listTables(db));
    const unknown = [...present].filter((table) => !(TABLE_ORDER as string[]).includes(table));
    if (unknown.length > 0) {
      throw new BackupError(
        `The database has tables this version of s2s does not know (${unknown.join(', ')}): ` +
          'back it up with the version of s2s that runs on it.',
      );
    }
    const migrations = await appliedMigrations(db, instance.schema);
    const level = migrations[migrations.length - 1];
    if (!level) throw new BackupError('The database has never been migrated: there is nothing to back up.');
    await mkdir(join(dir, 'tables'), { mode: 0o700 });
    await mkdir(join(dir, 'files'), { mode: 0o700 });

    const files: Record<string, Digest> = {};
    const tables: Manifest['tables'] = {};
    const dataKeys = new Map<TableName, Buffer>();
    // The master keys a restore needs: the current one wraps the tables' data keys; the others, those of
    // what the backup holds sealed (a stored file copied, a two-factor secret).
    const masterKeyIds = new Set([keyring.current.id]);

    await inSnapshot(db, async (trx) => {
      for (const table of TABLE_ORDER) {
        if (!present.has(table)) continue;
        const spec = specOf(table);
        async function* noted(): AsyncGenerator<Row> {
          for await (const row of rowsOf(trx, table, pageSize)) {
            // A stored file's key is noted once the file is copied (a file purged meanwhile needs none).
            if (!spec.files) noteMasterKey(masterKeyIds, spec, row);
            yield row;
          }
        }
        const file = tableFile(table);
        const written = await writeRows(join(dir, file), noted(), pageSize);
        files[file] = written.digest;
        tables[table] = {
          rows: written.rows,
          file,
          ...keyring.wrap(written.dataKey),
          sha256: written.sha256,
        };
        dataKeys.set(table, written.dataKey);
      }
    });

    // The stored files the snapshot names, read back from the tables' files in the backup.
    const gone: FileRef[] = [];
    let blobs = 0;
    let blobBytes = 0;
    const unsorted = await open(join(dir, UNSORTED), 'wx', 0o600);
    try {
      for (const table of TABLE_ORDER) {
        const spec = specOf(table);
        const entry = tables[table];
        if (!spec.files || !entry) continue;
        for await (const row of rowsWritten(dir, entry, dataKeys.get(table))) {
          if (typeof row.storage_key !== 'string') continue;
          const ref: FileRef = { table, id: String(row.id), storageKey: row.storage_key };
          const file = blobFile(ref.storageKey);
          // s2s makes every storage key; one that would name a path outside files/ was written by hand.
          if (!BLOB_PATH.test(file)) {
            throw new BackupError(
              `${fileOf(ref)} is not a storage key s2s makes: the database has been altered. ` +
                'Nothing was kept: find out who changed that record before backing up.',
            );
          }
          // Two records naming one file (none today) share its copy.
          if (!(await copiedAlready(join(dir, file)))) {
            const copied = await copyStored(store, ref, join(dir, file));
            if (!copied) {
              gone.push(ref);
              continue;
            }
            await listBlob(unsorted, { path: file, ...copied });
            blobs += 1;
            blobBytes += copied.bytes;
          }
          noteMasterKey(masterKeyIds, spec, row);
        }
      }
    } finally {
      await unsorted.close();
    }
    files[BLOB_LIST] = await writeMeasured(
      Readable.from(
        linesWithNewlines(
          sortedLines(
            linesOf(createReadStream(join(dir, UNSORTED), { encoding: 'utf8' })),
            (line) => (JSON.parse(line) as BlobEntry).path,
            join(dir, SORTING),
            options.sortRun,
          ),
        ),
      ),
      join(dir, BLOB_LIST),
    );
    await rm(join(dir, SORTING), { recursive: true, force: true });
    await rm(join(dir, UNSORTED));
    // Files purged or removed since the snapshot: their records go into the backup as they are now.
    const purged = await purgedSince(db, gone, options.settleMs ?? SETTLE_SECONDS * 1000);
    for (const [table, records] of purged) {
      const purgedWith = specOf(table).purgedWith;
      await rewriteTable(dir, table, tables, files, dataKeys, keyring, (row) => {
        const current = records.get(String(row.id));
        // The columns of the snapshot only (a migration run since could have added some).
        return current
          ? Object.fromEntries(Object.keys(row).map((column) => [column, current[column]]))
          : row;
      });
      if (purgedWith && isTableName(purgedWith.table) && tables[purgedWith.table]) {
        await rewriteTable(dir, purgedWith.table, tables, files, dataKeys, keyring, (row) =>
          records.has(String(row[purgedWith.column])) ? undefined : row,
        );
      }
    }

    const unsigned: Manifest = {
      format: FORMAT,
      version: FORMAT_VERSION,
      createdAt: now.toISOString(),
      engine: engineOfDb(db),
      migrations,
      masterKeyIds: [...masterKeyIds].sort(),
      tables,
      blobs,
      files,
    };
    // Authenticated under the current master key, the one that wraps the tables' data keys (format.ts).
    const manifest: Manifest = {
      ...unsigned,
      mac: { masterKeyId: keyring.current.id, hmacSha256: manifestMac(unsigned, keyring.current) },
    };
    await fsync(join(dir, 'tables'));
    await fsync(join(dir, 'files'));
    // Written last, and flushed with its folder: a folder with a manifest is a whole backup.
    await writeMeasured(Readable.from([`${JSON.stringify(manifest, null, 2)}\n`]), join(dir, MANIFEST));
    await fsync(dir);
    return {
      dir,
      createdAt: manifest.createdAt,
      engine: manifest.engine,
      level,
      tables: Object.keys(tables).length,
      rows: Object.values(tables).reduce((sum, table) => sum + table.rows, 0),
      blobs,
      purged: [...purged.values()].reduce((sum, rows) => sum + rows.size, 0),
      bytes: blobBytes + Object.values(files).reduce((sum, file) => sum + file.bytes, 0),
      masterKeyIds: manifest.masterKeyIds,
    };
  } catch (error) {
    // Nothing half-written is left to be mistaken for a backup.
    if (created) {
      await rm(dir, { recursive: true, force: true });
    } else {
      for (const entry of ['tables', 'files', UNSORTED, SORTING, BLOB_LIST, MANIFEST]) {
        await rm(join(dir, entry), { recursive: true, force: true });
      }
    }
    throw error;
  }
}

/**
 * Notes the master key that wraps a sealed row's data key. A purged transfer keeps its key's id but no
 * longer a wrapped key: it needs no key.
 */
function noteMasterKey(masterKeyIds: Set<string>, spec: TableSpec, row: Row): void {
  if (spec.sealed && typeof row.master_key_id === 'string' && typeof row.wrapped_key === 'string') {
    masterKeyIds.add(row.master_key_id);
  }
}

/** Whether the backup has copied a stored file already (for another record). */
async function copiedAlready(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw error;
  }
}

/** Adds a stored file copied to the (unsorted) list of the backup's stored files. */
async function listBlob(list: FileHandle, entry: BlobEntry): Promise<void> {
  await list.write(`${JSON.stringify(entry)}\n`);
}

async function* linesWithNewlines(lines: AsyncIterable<string>): AsyncGenerator<string> {
  for await (const line of lines) yield `${line}\n`;
}

/** The rows of a table's file that the backup has written, decrypted, read a line at a time. */
async function* rowsWritten(
  dir: string,
  entry: Manifest['tables'][string],
  dataKey: Buffer | undefined,
): AsyncGenerator<Row> {
  if (!dataKey) throw new Error(`The backup has not written ${entry.file}`);
  const plain = pipeline(
    createReadStream(join(dir, entry.file)),
    new DecryptStream(dataKey, { sha256: entry.sha256 }),
    () => {},
  );
  plain.setEncoding('utf8');
  for await (const line of linesOf(plain as AsyncIterable<string>)) {
    if (line !== '') yield JSON.parse(line) as Row;
  }
}

/** What names a record's stored file in a message: the record's id and the file's key, never its content. */
function fileOf(ref: FileRef): string {
  return `The stored file of ${ref.table === 'transfers' ? 'transfer' : 'census return'} ${ref.id} (${ref.storageKey})`;
}

/**
 * Copies a stored file, as stored, into the backup; undefined when the store does not hold it (any other
 * failure to read it fails the backup).
 */
async function copyStored(store: FileStore, ref: FileRef, path: string): Promise<Digest | undefined> {
  const unreadable = async (error: unknown) => {
    // A store it cannot use at all (S3 without its bucket) is said as such, not as files it lost.
    if (error instanceof FileStoreUnusable) throw error;
    let held: boolean;
    try {
      held = await store.exists(ref.storageKey);
    } catch {
      held = true;
    }
    if (!held) return undefined;
    throw new BackupError(
      `${fileOf(ref)} could not be read from the file store (${(error as Error).message}). ` +
        'Nothing was kept: run the backup again once the file store answers.',
    );
  };
  let content: Readable;
  try {
    content = await store.get(ref.storageKey);
  } catch (error) {
    return unreadable(error);
  }
  try {
    return await writeMeasured(content, path);
  } catch (error) {
    await rm(path, { force: true });
    // Deleted between being opened and read (S3 streams it), or the backup's own folder failed.
    if (await store.exists(ref.storageKey).catch(() => true)) throw error;
    return undefined;
  }
}

/**
 * The records whose stored files (`gone`) the store no longer holds, read again now: by table, each
 * record as the database holds it now, without its file (purged or removed since the snapshot). A
 * record that still names its file after `settleMs` (a purge of an earlier version recorded a deletion
 * just after it made it) fails the backup, named: its file is lost.
 */
async function purgedSince(
  db: Db,
  gone: FileRef[],
  settleMs: number,
): Promise<Map<TableName, Map<string, Row>>> {
  const purged = new Map<TableName, Map<string, Row>>();
  const deadline = Date.now() + settleMs;
  let waiting = gone;
  while (waiting.length > 0) {
    const still: FileRef[] = [];
    for (let at = 0; at < waiting.length; at += RECHECK_BATCH) {
      const batch = waiting.slice(at, at + RECHECK_BATCH);
      for (const table of new Set(batch.map((ref) => ref.table))) {
        const refs = batch.filter((ref) => ref.table === table);
        const rows = await (db as unknown as AnyDb)
          .selectFrom(table)
          .selectAll()
          .where(
            'id',
            'in',
            refs.map((ref) => ref.id),
          )
          .execute();
        const byId = new Map(rows.map((row) => [String(row.id), row]));
        for (const ref of refs) {
          const row = byId.get(ref.id);
          if (row?.storage_key === ref.storageKey) {
            still.push(ref);
          } else if (row && row.storage_key === null) {
            if (!purged.has(table)) purged.set(table, new Map());
            purged.get(table)?.set(ref.id, row);
          } else {
            // s2s never deletes such a record, nor gives it another file.
            throw new BackupError(
              `${fileOf(ref)} is missing from the file store, and its record was ${row ? 'given another file' : 'deleted'} ` +
                'while the backup ran. Nothing was kept: run the backup again, and report it to whoever runs the service.',
            );
          }
        }
      }
    }
    waiting = still;
    if (waiting.length === 0) break;
    if (Date.now() >= deadline) {
      const first = waiting[0] as FileRef;
      throw new BackupError(
        `${fileOf(first)} is missing from the file store, although the database still refers to it` +
          `${waiting.length > 1 ? ` (and ${waiting.length - 1} more)` : ''}: it was not purged or removed, so the file ` +
          'store has lost it (or it was deleted outside s2s). Nothing was kept; report it to whoever runs the service.',
      );
    }
    await sleep(Math.min(1000, Math.max(0, deadline - Date.now())));
  }
  return purged;
}

/**
 * Writes a table's file in the backup again, each row through `amend` (undefined leaves it out), under
 * a new data key; its entry in `tables` and `files` follows.
 */
async function rewriteTable(
  dir: string,
  table: TableName,
  tables: Manifest['tables'],
  files: Record<string, Digest>,
  dataKeys: Map<TableName, Buffer>,
  keyring: MasterKeyring,
  amend: (row: Row) => Row | undefined,
): Promise<void> {
  const entry = tables[table];
  if (!entry) throw new Error(`The backup has not written ${table}`);
  const path = join(dir, entry.file);
  async function* amended(rows: AsyncIterable<Row>): AsyncGenerator<Row> {
    for await (const row of rows) {
      const kept = amend(row);
      if (kept) yield kept;
    }
  }
  const written = await writeRows(
    `${path}.amended`,
    amended(rowsWritten(dir, entry, dataKeys.get(table))),
    PAGE,
  );
  await rename(`${path}.amended`, path);
  files[entry.file] = written.digest;
  tables[table] = {
    rows: written.rows,
    file: entry.file,
    ...keyring.wrap(written.dataKey),
    sha256: written.sha256,
  };
  dataKeys.set(table, written.dataKey);
}

/**
 * Writes rows to `path` as JSON Lines (`perChunk` lines a write), encrypted under a new data key: the
 * file's digest, the key, the plaintext's SHA-256, and how many rows.
 */
async function writeRows(
  path: string,
  rows: AsyncIterable<Row>,
  perChunk: number,
): Promise<{ digest: Digest; dataKey: Buffer; sha256: string; rows: number }> {
  let count = 0;
  async function* lines(): AsyncGenerator<string> {
    let text = '';
    for await (const row of rows) {
      count += 1;
      text += `${JSON.stringify(row)}\n`;
      if (count % perChunk === 0) {
        yield text;
        text = '';
      }
    }
    if (text !== '') yield text;
  }
  const dataKey = randomBytes(32);
  const encrypt = new EncryptStream(dataKey);
  const digest = await writeMeasured(Readable.from(lines()), path, encrypt);
  return { digest, dataKey, sha256: encrypt.sha256, rows: count };
}
