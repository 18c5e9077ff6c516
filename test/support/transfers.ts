// Transfers for tests, without the upload pages: real content, encrypted and stored through the file
// store, and a row with its pupils recorded with insertTransfer. Also a small zip reader, to check what
// a bundled download holds.
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { inflateRawSync } from 'node:zlib';
import { sql } from 'kysely';
import type { Actor } from '../../src/auth/actor.ts';
import { isRole } from '../../src/auth/permissions.ts';
import type { Clock } from '../../src/platform/clock.ts';
import type { Db, TransferRow, UserRow } from '../../src/platform/db/schema.ts';
import { EncryptedFileStore } from '../../src/platform/storage/encrypted-store.ts';
import { MasterKey } from '../../src/platform/storage/envelope.ts';
import { DiskFileStore, type FileStore } from '../../src/platform/storage/file-store.ts';
import { MasterKeyring } from '../../src/platform/storage/keyring.ts';
import type { Category } from '../../src/transfers/categories.ts';
import type { Party } from '../../src/transfers/filenames.ts';
import { purgeExpiredContent } from '../../src/transfers/jobs.ts';
import { insertTransfer, type NewTransferPupil } from '../../src/transfers/repository.ts';
import { signal } from './signals.ts';

type Store = Pick<EncryptedFileStore, 'put'>;

/** An encrypted store in a fresh temporary folder, and the raw store beneath it (to tamper with). */
export function makeFileStores(): { raw: DiskFileStore; files: EncryptedFileStore } {
  const raw = new DiskFileStore(mkdtempSync(join(tmpdir(), 's2s-transfer-files-')));
  return { raw, files: new EncryptedFileStore(raw, new MasterKeyring(MasterKey.generate())) };
}

/**
 * A `put` that holds each file `files` stores until `count` are stored: uploads started together then
 * reach their recording transactions only once every one has passed its checks, as at the same moment.
 */
export function meetingPuts(files: Store, count = 2): Store['put'] {
  let arrived = 0;
  const { fired: allStored, fire: release } = signal();
  return async (content) => {
    const stored = await files.put(content);
    arrived += 1;
    if (arrived === count) release();
    await allStored;
    return stored;
  };
}

export type Sender = Extract<Party, { kind: 'school' | 'la' | 'la-inbox' }>;

export const school = (establishmentNumber: string): Sender => ({
  kind: 'school',
  establishmentNumber,
  laNumber: establishmentNumber.slice(0, 3),
});
export const la = (laNumber: string): Sender => ({ kind: 'la', laNumber });
export const laInbox = (laNumber: string, inbox: 'PLAS' | 'ADMS'): Sender => ({
  kind: 'la-inbox',
  laNumber,
  inbox,
});

let sequence = 0;

export function pupil(surname: string, overrides: Partial<NewTransferPupil> = {}): NewTransferPupil {
  sequence += 1;
  return {
    upn: `A${String(800000000000 + sequence).slice(0, 12)}`,
    former_upn: null,
    surname,
    former_surname: null,
    forename: 'Alex',
    middle_names: null,
    date_of_birth: '2015-09-01',
    sex: 'F',
    ...overrides,
  };
}

function code(party: Sender): string {
  switch (party.kind) {
    case 'school':
      return party.establishmentNumber;
    case 'la':
      return `${party.laNumber}LLLL`;
    case 'la-inbox':
      return `${party.laNumber}${party.inbox}`;
  }
}

const KIND_OF: Record<Category, { kind: string; typeCode: string | null }> = {
  ctf: { kind: 'ctf', typeCode: 'CTF' },
  plasc: { kind: 'census', typeCode: 'SC1' },
  cfr: { kind: 'generic', typeCode: null },
  generic: { kind: 'generic', typeCode: null },
  exclusion: { kind: 'generic', typeCode: null },
  admissions: { kind: 'admissions', typeCode: 'ATF' },
};

function filenameFor(category: Category, from: Sender, to: Sender, n: number): string {
  const seq = String(n % 1000).padStart(3, '0');
  const { typeCode, kind } = KIND_OF[category];
  if (kind === 'generic') return `${code(from)}_${code(to)}_FILE${seq}.ZIP`;
  return `${code(from)}_${typeCode}_${code(to)}_${seq}.XML`;
}

export interface TransferSpec {
  from: Sender;
  to: Sender;
  category?: Category;
  content?: Buffer | string;
  pupils?: NewTransferPupil[];
  filename?: string;
  uploadedAt?: string;
  uploadedBy?: string;
  /** Any column, set after storing (status, dates...). */
  overrides?: Partial<TransferRow>;
}

export interface StoredTransfer {
  row: TransferRow;
  content: Buffer;
}

/** A transfer as an upload would leave it: content stored encrypted, row and pupils recorded. */
export async function makeTransfer(db: Db, files: Store, spec: TransferSpec): Promise<StoredTransfer> {
  sequence += 1;
  const category = spec.category ?? 'ctf';
  const pupils =
    spec.pupils ?? (category === 'ctf' ? [pupil(`Surname${sequence}a`), pupil(`Surname${sequence}b`)] : []);
  const content =
    typeof spec.content === 'string'
      ? Buffer.from(spec.content)
      : (spec.content ??
        Buffer.from(
          `<?xml version="1.0"?><CTfile><Header><Number>${sequence}</Number><Noise>${randomBytes(16).toString('hex')}</Noise></Header></CTfile>\n`,
        ));
  const stored = await files.put(Readable.from([content]));
  const { kind, typeCode } = KIND_OF[category];
  const row: TransferRow = {
    id: randomUUID(),
    filename: spec.filename ?? filenameFor(category, spec.from, spec.to, sequence),
    category,
    kind,
    type_code: typeCode,
    source_la: spec.from.laNumber,
    source_school: spec.from.kind === 'school' ? spec.from.establishmentNumber : null,
    source_inbox: spec.from.kind === 'la-inbox' ? spec.from.inbox : null,
    dest_kind: spec.to.kind,
    dest_la: spec.to.laNumber,
    dest_school: spec.to.kind === 'school' ? spec.to.establishmentNumber : null,
    dest_inbox: spec.to.kind === 'la-inbox' ? spec.to.inbox : null,
    lost_reason: null,
    uploaded_by: spec.uploadedBy ?? randomUUID(),
    uploaded_at: spec.uploadedAt ?? '2026-11-20T10:00:00.000Z',
    size: stored.size,
    sha256: stored.sha256,
    storage_key: stored.storageKey,
    wrapped_key: stored.wrappedKey,
    master_key_id: stored.masterKeyId,
    pupil_count: pupils.length,
    status: 'available',
    first_downloaded_at: null,
    last_downloaded_at: null,
    downloaded_by: null,
    collected_at: null,
    rejected_at: null,
    rejected_by: null,
    reject_reason: null,
    removed_at: null,
    removed_by: null,
    purged_at: null,
    forwarded_from: null,
    forwarding_la: null,
    scan_status: 'not-scanned',
    scanned_at: null,
    scan_signature: null,
    ...spec.overrides,
  };
  // Written only when set: tests of a migration make files in a database from before 037, without it.
  const { forwarding_la, ...earlierColumns } = row;
  await insertTransfer(db, forwarding_la === null ? earlierColumns : row, pupils);
  return { row, content };
}

/** The actor a signed-in user acts as. */
export function actorOf(user: UserRow): Actor {
  if (!isRole(user.role)) throw new Error(`not a role: ${user.role}`);
  return {
    userId: user.id,
    username: user.username,
    role: user.role,
    laNumber: user.la_number,
    establishmentNumber: user.establishment_number,
  };
}

export async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.from(chunk as Buffer));
  return Buffer.concat(chunks);
}

/** The content of a record's stored file (a transfer's or a census return's), decrypted by the store. */
export async function readStored(
  files: Pick<EncryptedFileStore, 'get'>,
  row: Pick<TransferRow, 'storage_key' | 'wrapped_key' | 'master_key_id' | 'sha256'>,
): Promise<Buffer> {
  if (!row.storage_key || !row.wrapped_key) throw new Error('The record holds no stored file');
  return readAll(
    await files.get({
      storageKey: row.storage_key,
      wrappedKey: row.wrapped_key,
      masterKeyId: row.master_key_id,
      sha256: row.sha256,
    }),
  );
}

/**
 * The entries of a zip, by name, read through its central directory (stored or deflated entries; no
 * ZIP64, which small test files never need).
 */
export function readZip(zip: Buffer): Map<string, Buffer> {
  let end = zip.length - 22;
  while (end >= 0 && zip.readUInt32LE(end) !== 0x06054b50) end -= 1;
  if (end < 0) throw new Error('not a zip: no end of central directory record');
  const count = zip.readUInt16LE(end + 10);
  let at = zip.readUInt32LE(end + 16);
  const entries = new Map<string, Buffer>();
  for (let i = 0; i < count; i += 1) {
    if (zip.readUInt32LE(at) !== 0x02014b50) throw new Error('bad central directory entry');
    const method = zip.readUInt16LE(at + 10);
    const compressedSize = zip.readUInt32LE(at + 20);
    const size = zip.readUInt32LE(at + 24);
    const nameLength = zip.readUInt16LE(at + 28);
    const extraLength = zip.readUInt16LE(at + 30);
    const commentLength = zip.readUInt16LE(at + 32);
    const local = zip.readUInt32LE(at + 42);
    const name = zip.subarray(at + 46, at + 46 + nameLength).toString('utf8');
    if (zip.readUInt32LE(local) !== 0x04034b50) throw new Error(`bad local header for ${name}`);
    const dataStart = local + 30 + zip.readUInt16LE(local + 26) + zip.readUInt16LE(local + 28);
    const data = zip.subarray(dataStart, dataStart + compressedSize);
    const content = method === 0 ? Buffer.from(data) : inflateRawSync(data);
    if (content.length !== size)
      throw new Error(`${name}: ${content.length} bytes, the directory says ${size}`);
    entries.set(name, content);
    at += 46 + nameLength + extraLength + commentLength;
  }
  return entries;
}

/**
 * What an upload may leave behind: the rows of these tables and the pieces in the file store, counted,
 * to compare before and after a request that must keep nothing (or one file).
 */
export async function leftBehind<
  T extends 'transfers' | 'transfer_pupils' | 'census_returns' | 'audit_events',
>(db: Db, fileStore: Pick<FileStore, 'list'>, tables: readonly T[]): Promise<Record<T | 'files', number>> {
  const counts = {} as Record<T | 'files', number>;
  for (const table of tables) {
    const { rows } = await sql<{ n: number | string }>`select count(*) as n from ${sql.table(table)}`.execute(
      db,
    );
    counts[table] = Number(rows[0]?.n);
  }
  let files = 0;
  for await (const _ of fileStore.list()) files += 1;
  counts.files = files;
  return counts;
}

/**
 * The purge job (purgeExpiredContent) caught in the middle of its run, as it can be while something else
 * reads a file: resolves once the job has recorded that it lets go of the content at `storageKey` (which
 * it does first) and, when `deleted`, has deleted it too; otherwise the job waits between the two until
 * `finish()`, which lets it end and waits for it. Other files due are purged as the job comes to them
 * (it purges other tests' files too).
 */
export async function purgeCaughtAt(
  db: Db,
  files: Pick<EncryptedFileStore, 'remove'>,
  clock: Clock,
  storageKey: string,
  deleted: boolean,
): Promise<{ finish(): Promise<unknown> }> {
  const { fired: letGo, fire: recorded } = signal();
  const { fired: removeNow, fire: remove } = signal();
  const purge = purgeExpiredContent(
    db,
    {
      remove: async (key) => {
        if (key === storageKey) {
          recorded();
          await removeNow;
        }
        await files.remove(key);
      },
    },
    clock,
  );
  await Promise.race([
    letGo,
    purge.then(() => {
      throw new Error(`the purge job ended without letting go of ${storageKey}: it was not due`);
    }),
  ]);
  const finish = async () => {
    remove();
    return purge;
  };
  if (deleted) await finish();
  return { finish };
}
