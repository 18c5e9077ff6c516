// What an uploaded zip holds, checked before the file is offered (decision 83): the virus scan (clamd)
// calls clean what it cannot read, so a zip is refused when any part of it cannot be read by the scan or
// would do harm when unzipped. At every depth of zips inside zips: an entry with a password; a name that
// unzips outside its folder (zip slip); more bytes or files than clamd reads (docs/operations.md);
// a zip nested too deep, or too large, to look inside; data that cannot be read.
//
// Bounded in memory and time, as it runs in the upload path: the central directories are read, each
// entry's first bytes are inflated to see whether it is a zip, and only a zip inside is inflated whole,
// in memory (never to disk), up to the size its header declares and no more than NESTED_ZIP_BYTES.
import { createInflateRaw } from 'node:zlib';
import type { Entry, ZipFile } from 'yauzl';
import { entryName, entryNameBytes, localHeaderOf, nextEntry, openZip, readEntryBounded } from './entries.ts';

const MB = 1024 * 1024;

export interface ZipLimits {
  /** Zips looked inside, the upload itself being the first: one deeper is refused as not checkable. */
  depth: number;
  /** Bytes declared uncompressed, summed over every entry at every depth (a nested zip and its contents). */
  uncompressedBytes: number;
  /** Entries (files and folders) at every depth. */
  entries: number;
  /** The largest zip inside a zip that is inflated to look inside it. */
  nestedZipBytes: number;
}

export const ZIP_LIMITS: ZipLimits = {
  // The upload, a zip in it, a Word document in that (a zip) and a workbook embedded in the document.
  depth: 4,
  // What clamd reads of one file as Debian sets it (MaxScanSize 100M; docs/operations.md asks that
  // MaxFileSize be as large): past it clamd scans nothing more and still answers OK.
  uncompressedBytes: 100 * MB,
  // clamd's MaxFiles (10000, Debian's and ClamAV's default): past it clamd stops looking.
  entries: 10_000,
  // The largest file anyone may send (an LA's 10 MB): a zip inside a zip no larger than a zip alone.
  nestedZipBytes: 10 * MB,
};

/**
 * What is wrong with a zip, found at `path` (the names of the zips within and of the entry, outermost
 * first; empty for the upload itself).
 */
export type ZipFinding =
  | { kind: 'damaged'; path: string[] }
  | { kind: 'encrypted'; path: string[] }
  | { kind: 'unsafe-name'; path: string[] }
  | { kind: 'unsupported'; path: string[] }
  | { kind: 'too-deep'; path: string[] }
  | { kind: 'nested-too-large'; path: string[] }
  | { kind: 'too-large'; path: string[] }
  | { kind: 'too-many'; path: string[] };

/** A zip no smaller than this may hold a file (a local header, a central one and the end record). */
const SMALLEST_ZIP_WITH_A_FILE = 30 + 46 + 22;
const ZIP_START = Buffer.from('PK\u0003\u0004', 'latin1');

/**
 * Whether an entry's name leads out of the folder it is unzipped into, read with either slash: a path
 * from the top of a drive (`/x`, `\x`, `\\server\x`), a drive letter (`C:`), or a `..` segment (also
 * with the dots and spaces Windows drops from the end of a name, `.. ` or `...`).
 */
export function unsafeEntryName(name: string): boolean {
  if (/^[\\/]/.test(name) || /^[a-zA-Z]:/.test(name)) return true;
  return name.split(/[\\/]/).some((segment) => /^[. ]+$/.test(segment) && segment.includes('..'));
}

/** The first problem found in the zip `data`, or null when every part of it can be checked. */
export async function inspectZip(data: Buffer, limits: ZipLimits = ZIP_LIMITS): Promise<ZipFinding | null> {
  return walk(data, [], 1, limits, { bytes: 0, entries: 0 });
}

interface Counted {
  bytes: number;
  entries: number;
}

/** A zip that yauzl refuses to read: PKWARE's strong encryption is a password too; the rest is damage. */
function unreadable(error: unknown, path: string[]): ZipFinding {
  return error instanceof Error && /strong encryption/.test(error.message)
    ? { kind: 'encrypted', path }
    : { kind: 'damaged', path };
}

async function walk(
  data: Buffer,
  path: string[],
  depth: number,
  limits: ZipLimits,
  counted: Counted,
): Promise<ZipFinding | null> {
  let archive: ZipFile;
  try {
    archive = await openZip(data, { decodeStrings: false });
  } catch (error) {
    return unreadable(error, path);
  }
  try {
    // The directory first: names, passwords, sizes and counts, before anything is inflated.
    const entries: { entry: Entry; at: string[] }[] = [];
    for (;;) {
      let entry: Entry | null;
      try {
        entry = await nextEntry(archive);
      } catch (error) {
        return unreadable(error, path);
      }
      if (!entry) break;
      const at = [...path, entryName(entry)];
      counted.entries += 1;
      if (counted.entries > limits.entries) return { kind: 'too-many', path };
      // The name as the directory's bytes say and as its Unicode path says (unzipping programs differ).
      if (unsafeEntryName(entryNameBytes(entry).toString('latin1')) || unsafeEntryName(at.at(-1) ?? '')) {
        return { kind: 'unsafe-name', path: at };
      }
      if (entry.isEncrypted()) return { kind: 'encrypted', path: at };
      counted.bytes += entry.uncompressedSize;
      if (counted.bytes > limits.uncompressedBytes) return { kind: 'too-large', path };
      if (entry.compressionMethod !== 0 && entry.compressionMethod !== 8)
        return { kind: 'unsupported', path: at };
      entries.push({ entry, at });
    }
    // Then each entry's local header (what a program reading the zip from its start goes by), and a look
    // at its first bytes: a zip inside is looked inside in turn.
    for (const { entry, at } of entries) {
      const found = await inspectEntry(data, archive, entry, at, depth, limits, counted);
      if (found) return found;
    }
    return null;
  } finally {
    archive.close();
  }
}

async function inspectEntry(
  data: Buffer,
  archive: ZipFile,
  entry: Entry,
  at: string[],
  depth: number,
  limits: ZipLimits,
  counted: Counted,
): Promise<ZipFinding | null> {
  let local: Awaited<ReturnType<typeof localHeaderOf>>;
  try {
    local = await localHeaderOf(archive, entry);
  } catch {
    return { kind: 'damaged', path: at };
  }
  if (unsafeEntryName(local.fileName.toString('latin1'))) return { kind: 'unsafe-name', path: at };
  if ((local.generalPurposeBitFlag & 1) !== 0) return { kind: 'encrypted', path: at };
  // Every entry's first bytes, whatever size it declares: a program unzipping it reads what its data holds.
  const stored = data.subarray(local.fileDataStart, local.fileDataStart + entry.compressedSize);
  const head =
    entry.compressionMethod === 0 ? stored.subarray(0, ZIP_START.length) : await inflatedHead(stored);
  if (head === null) return { kind: 'damaged', path: at };
  if (!head.equals(ZIP_START)) return null;
  // A zip inside that says it is smaller than any zip holding a file says untrue.
  if (entry.uncompressedSize < SMALLEST_ZIP_WITH_A_FILE) return { kind: 'damaged', path: at };
  if (depth >= limits.depth) return { kind: 'too-deep', path: at };
  if (entry.uncompressedSize > limits.nestedZipBytes) return { kind: 'nested-too-large', path: at };
  let inner: Buffer;
  if (entry.compressionMethod === 0) inner = stored;
  else {
    // Inflated up to the size the header declares: an entry that inflates to more (or less) is damaged.
    try {
      const read = await readEntryBounded(archive, entry, entry.uncompressedSize);
      if (!read.ok) return { kind: 'damaged', path: at };
      inner = read.data;
    } catch {
      return { kind: 'damaged', path: at };
    }
  }
  return walk(inner, at, depth + 1, limits, counted);
}

/**
 * The first bytes of a deflated entry (as many as a zip's signature), or fewer when it is shorter; null
 * when its data cannot be inflated. Inflated in small pieces, and stopped at the first: an entry's first
 * bytes cost no more than a kilobyte of output, however much it would inflate to.
 */
function inflatedHead(deflated: Buffer): Promise<Buffer | null> {
  return new Promise((resolve) => {
    const inflate = createInflateRaw({ chunkSize: 1024 });
    const chunks: Buffer[] = [];
    let size = 0;
    let settled = false;
    const settle = (head: Buffer | null) => {
      if (settled) return;
      settled = true;
      inflate.destroy();
      resolve(head);
    };
    inflate.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      size += chunk.length;
      if (size >= ZIP_START.length) settle(Buffer.concat(chunks).subarray(0, ZIP_START.length));
    });
    inflate.on('end', () => settle(Buffer.concat(chunks)));
    inflate.on('error', () => settle(null));
    inflate.end(deflated);
  });
}
