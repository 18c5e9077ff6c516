// `s2s backup`: a consistent snapshot of the database and of every stored file it refers to (format.ts
// describes the folder; docs/decisions.md why it is made this way).
//
// The rows of every table are read inside ONE transaction that sees a single snapshot (inSnapshot), so
// the backup is what the database held at one instant, while the service goes on working. The stored
// files are copied after the rows are read, and only those the snapshot refers to: uploads store their
// file before the row that names it is committed (decision 12), so every file the snapshot names exists,
// unless something deleted it since (the purge-files job, a sender's removal), or the store is damaged.
// Either way the backup fails, naming the record, and is removed: run it again.
import { randomBytes } from 'node:crypto';
import { mkdir, readdir, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { Readable } from 'node:stream';
import { sql } from 'kysely';
import { appliedMigrations, engineOfDb, inSnapshot, listTables } from '../platform/db/database.ts';
import { keysetRows } from '../platform/db/keyset.ts';
import type { Db, Executor } from '../platform/db/schema.ts';
import { EncryptStream } from '../platform/storage/envelope.ts';
import {
  blobFile,
  type Digest,
  FORMAT,
  FORMAT_VERSION,
  fsync,
  MANIFEST,
  type Manifest,
  tableFile,
  writeMeasured,
} from './format.ts';
import { BackupError, type Instance } from './instance.ts';
import { specOf, TABLE_ORDER, type TableName } from './tables.ts';

/** Rows read at a time (keyset pages: each page starts after the last key of the one before). */
const PAGE = 1000;

export interface BackupSummary {
  dir: string;
  createdAt: string;
  engine: string;
  level: string;
  tables: number;
  rows: number;
  blobs: number;
  bytes: number;
  masterKeyIds: string[];
}

type Row = Record<string, unknown>;

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
  await mkdir(dir, { recursive: true, mode: 0o700 });
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
  options: { pageSize?: number } = {},
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
    const refs: FileRef[] = [];
    const masterKeyIds = new Set([keyring.current.id]);

    await inSnapshot(db, async (trx) => {
      for (const table of TABLE_ORDER) {
        if (!present.has(table)) continue;
        const spec = specOf(table);
        let rows = 0;
        async function* lines(): AsyncGenerator<string> {
          let text = '';
          for await (const row of rowsOf(trx, table, pageSize)) {
            rows += 1;
            // A purged transfer keeps its key's id but no longer a wrapped key: it needs no key.
            if (spec.sealed && typeof row.master_key_id === 'string' && typeof row.wrapped_key === 'string') {
              masterKeyIds.add(row.master_key_id);
            }
            if (spec.files && typeof row.storage_key === 'string') {
              refs.push({ table, id: String(row.id), storageKey: row.storage_key });
            }
            text += `${JSON.stringify(row)}\n`;
            if (rows % pageSize === 0) {
              yield text;
              text = '';
            }
          }
          if (text !== '') yield text;
        }
        const dataKey = randomBytes(32);
        const encrypt = new EncryptStream(dataKey);
        const file = tableFile(table);
        files[file] = await writeMeasured(Readable.from(lines()), join(dir, file), encrypt);
        tables[table] = { rows, file, ...keyring.wrap(dataKey), sha256: encrypt.sha256 };
      }
    });

    for (const ref of refs) {
      const file = blobFile(ref.storageKey);
      if (files[file]) continue; // two records naming one file (none today) share its copy
      let content: Readable;
      try {
        content = await store.get(ref.storageKey);
      } catch (error) {
        throw new BackupError(await missingFile(db, ref, error));
      }
      files[file] = await writeMeasured(content, join(dir, file));
    }

    const manifest: Manifest = {
      format: FORMAT,
      version: FORMAT_VERSION,
      createdAt: now.toISOString(),
      engine: engineOfDb(db),
      migrations,
      masterKeyIds: [...masterKeyIds].sort(),
      tables,
      blobs: refs.length,
      files,
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
      blobs: refs.length,
      bytes: Object.values(files).reduce((sum, file) => sum + file.bytes, 0),
      masterKeyIds: manifest.masterKeyIds,
    };
  } catch (error) {
    // Nothing half-written is left to be mistaken for a backup.
    if (created) {
      await rm(dir, { recursive: true, force: true });
    } else {
      for (const entry of ['tables', 'files', MANIFEST]) {
        await rm(join(dir, entry), { recursive: true, force: true });
      }
    }
    throw error;
  }
}

/** Why a file the snapshot refers to could not be copied. */
async function missingFile(db: Db, ref: FileRef, error: unknown): Promise<string> {
  const what = `the stored file of ${ref.table === 'transfers' ? 'transfer' : 'census return'} ${ref.id} (${ref.storageKey})`;
  const now = await db
    .selectFrom(ref.table)
    .select('storage_key')
    .where('id', '=', ref.id)
    .executeTakeFirst()
    .catch(() => undefined);
  if (now?.storage_key !== ref.storageKey) {
    return `${what} was deleted while the backup ran (its content was purged or removed). Nothing was kept: run the backup again.`;
  }
  const code = (error as NodeJS.ErrnoException).code;
  return (
    `${what} is missing from the file store${code === 'ENOENT' ? '' : ` (${(error as Error).message})`}, ` +
    'although the database refers to it: the file store is damaged. Nothing was kept; report it to whoever runs the service.'
  );
}
