// The backup's folder, as `s2s backup` writes it and `s2s restore` reads it:
//
//   manifest.json                 what the backup holds (below), written last: a folder without it is
//                                 an unfinished backup
//   tables/TABLE.jsonl.enc        each table's rows, one JSON object a line, encrypted like a stored file
//                                 (envelope.ts) under its own data key, which the master key wraps
//   files.jsonl                   the stored files, one a line ({"path","bytes","sha256"}), in path order
//   files/STORAGE_KEY             every stored file the rows refer to, as stored: encrypted
//
// The master key is never in the backup: without it, neither the rows nor the files can be read.
//
// Version 2 lists the stored files in files.jsonl, written a line at a time as they are copied and then
// sorted (sorted.ts), so that neither a backup nor a restore holds an entry per stored file: at national
// scale they are hundreds of thousands. The manifest stays small: the size and SHA-256 of the table
// files and of files.jsonl, not of each stored file. In path order, the list is checked against the
// files/ folder (its names sorted the same way) in one merge: every listed file present, none there
// unlisted, none listed twice (docs/decisions.md, 41). Version 1 (before it) listed every stored file in
// the manifest's `files`; restore still reads it.
//
// Version 3 authenticates the manifest: `mac` is an HMAC-SHA256 of the rest of it (manifestBytes) under a
// key derived from the master key for this purpose alone, and the id of that master key. The manifest
// holds every table file's SHA-256 and wrapped data key under the table's name, so a table file swapped
// in from another backup, or put under another table's name, no longer matches a manifest that can be
// rewritten to fit it only with the master key (docs/decisions.md, 23). Versions 1 and 2 have no MAC:
// restore reads them only when the operator says so (--unsigned), or a MAC stripped would pass.
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { type Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { z } from 'zod';
import type { MasterKey } from '../platform/storage/envelope.ts';

export const MANIFEST = 'manifest.json';
export const FORMAT = 's2s-backup';
export const FORMAT_VERSION = 3;
/** The HKDF label of the manifest's MAC key: changing it would make every backup's MAC fail. */
const MANIFEST_MAC_LABEL = 's2s backup manifest HMAC v1';
/** The list of the stored files (version 2). */
export const BLOB_LIST = 'files.jsonl';

export const tableFile = (table: string): string => `tables/${table}.jsonl.enc`;
export const blobFile = (storageKey: string): string => `files/${storageKey}`;

/** The only paths a manifest may name: a table's rows or a stored file (never outside the folder). */
export const TABLE_PATH = /^tables\/([a-z_]{1,64})\.jsonl\.enc$/;
export const BLOB_PATH = /^files\/([A-Za-z0-9][A-Za-z0-9._-]{0,199})$/;

const sha256 = z.string().regex(/^[0-9a-f]{64}$/);

export const manifestSchema = z.object({
  format: z.literal(FORMAT),
  version: z.union([z.literal(1), z.literal(2), z.literal(FORMAT_VERSION)]),
  createdAt: z.string(),
  engine: z.enum(['sqlite', 'postgres']),
  /** The migrations the database had run: the backup's schema level is the last. */
  migrations: z.array(z.string()).min(1),
  /** Ids (not the keys) of the master keys the backup needs: its tables' and its files'. */
  masterKeyIds: z.array(z.string()).min(1),
  tables: z.record(
    z.string(),
    z.object({
      rows: z.number().int().nonnegative(),
      file: z.string().regex(TABLE_PATH),
      /** The data key the table's file is encrypted under, wrapped by the master key. */
      wrappedKey: z.string(),
      /**
       * The id of the master key that wrapped it (the backing-up instance's current key). Absent from
       * backups made before instances held several master keys: then the backup names only one.
       */
      masterKeyId: z.string().optional(),
      /** SHA-256 of the rows as written (the plaintext), checked as they are decrypted. */
      sha256,
    }),
  ),
  /** How many stored files the backup holds. */
  blobs: z.number().int().nonnegative(),
  /**
   * The size and SHA-256 of each file of the backup but the manifest and the stored files: the table
   * files and files.jsonl, which lists the stored files (version 1: every file but the manifest).
   */
  files: z.record(z.string(), z.object({ bytes: z.number().int().nonnegative(), sha256 })),
  /** Version 3: the manifest's MAC (manifestMac) and the id of the master key it was made under. */
  mac: z.object({ masterKeyId: z.string(), hmacSha256: sha256 }).optional(),
});

export type Manifest = z.infer<typeof manifestSchema>;

/**
 * The bytes the manifest's MAC is made of: the manifest as JSON, without its `mac`, every object's keys
 * in sorted order, so the same manifest gives the same bytes however its file was laid out.
 */
export function manifestBytes(manifest: Record<string, unknown>): Buffer {
  const { mac: _mac, ...rest } = manifest;
  const sorted = (value: unknown): unknown =>
    value !== null && typeof value === 'object' && !Array.isArray(value)
      ? Object.fromEntries(
          Object.keys(value)
            .sort()
            .map((key) => [key, sorted((value as Record<string, unknown>)[key])]),
        )
      : Array.isArray(value)
        ? value.map(sorted)
        : value;
  return Buffer.from(JSON.stringify(sorted(rest)), 'utf8');
}

/** HMAC-SHA256 (hex) of the manifest (manifestBytes) under the key derived from `masterKey` for it. */
export function manifestMac(manifest: Record<string, unknown>, masterKey: MasterKey): string {
  const key = Buffer.from(masterKey.deriveSecret(MANIFEST_MAC_LABEL), 'hex');
  return createHmac('sha256', key).update(manifestBytes(manifest)).digest('hex');
}

/** Whether `mac` is the manifest's MAC under `masterKey`. */
export function manifestMacMatches(
  manifest: Record<string, unknown>,
  masterKey: MasterKey,
  mac: string,
): boolean {
  return timingSafeEqual(Buffer.from(manifestMac(manifest, masterKey), 'hex'), Buffer.from(mac, 'hex'));
}

/** A line of files.jsonl: a stored file of the backup. */
export const blobEntrySchema = z.object({
  path: z.string(),
  bytes: z.number().int().nonnegative(),
  sha256,
});

export type BlobEntry = z.infer<typeof blobEntrySchema>;

export interface Digest {
  bytes: number;
  sha256: string;
}

/** A pass-through that measures what goes through it. */
export class Measure extends Transform {
  private readonly hash = createHash('sha256');
  bytes = 0;

  override _transform(
    chunk: Buffer,
    _encoding: BufferEncoding,
    done: (error?: Error | null, data?: Buffer) => void,
  ) {
    this.hash.update(chunk);
    this.bytes += chunk.length;
    done(null, chunk);
  }

  digest(): Digest {
    return { bytes: this.bytes, sha256: this.hash.digest('hex') };
  }
}

/** The lines of a text, without their newlines; the last one even when it has none (or is empty). */
export async function* linesOf(text: AsyncIterable<string>): AsyncGenerator<string> {
  let rest = '';
  for await (const chunk of text) {
    const lines = (rest + chunk).split('\n');
    rest = lines.pop() ?? '';
    yield* lines;
  }
  yield rest;
}

/** Flushes a file or a folder to disk. */
export async function fsync(path: string): Promise<void> {
  const handle = await open(path, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/**
 * Writes the stream (through `through`, if given) to a new file (never over one), flushed to disk;
 * returns the file's size and SHA-256.
 */
export async function writeMeasured(content: Readable, path: string, through?: Transform): Promise<Digest> {
  const measure = new Measure();
  const file = createWriteStream(path, { flags: 'wx', mode: 0o600 });
  await (through ? pipeline(content, through, measure, file) : pipeline(content, measure, file));
  await fsync(path);
  return measure.digest();
}
