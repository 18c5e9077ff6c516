// What backup and restore work on: an s2s instance's database, its file store (the raw one: files are
// copied as stored, encrypted) and its master key.
import type { Db } from '../platform/db/schema.ts';
import type { MasterKey } from '../platform/storage/envelope.ts';
import type { FileStore } from '../platform/storage/file-store.ts';

export interface Instance {
  db: Db;
  store: FileStore;
  masterKey: MasterKey;
  /** PostgreSQL: the schema Kysely keeps its migration bookkeeping in (the tests' schemas). */
  schema?: string;
  close(): Promise<void>;
}

/** A failure to report as it is (no stack trace): the message says what happened and what to do. */
export class BackupError extends Error {}
