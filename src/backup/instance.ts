// What backup and restore work on: an s2s instance's database, its file store (the raw one: files are
// copied as stored, encrypted) and its master keys.
import type { Db } from '../platform/db/schema.ts';
import type { FileStore } from '../platform/storage/file-store.ts';
import type { MasterKeyring } from '../platform/storage/keyring.ts';

export interface Instance {
  db: Db;
  store: FileStore;
  keyring: MasterKeyring;
  /** PostgreSQL: the schema Kysely keeps its migration bookkeeping in (the tests' schemas). */
  schema?: string;
  close(): Promise<void>;
}

/** A failure to report as it is (no stack trace): the message says what happened and what to do. */
export class BackupError extends Error {}
