// What an uploaded zip holds, checked before the file is offered (decision 83): the virus scan (clamd)
// calls clean what it cannot read, so a zip is refused when any part of it cannot be read by the scan or
// would do harm when unzipped. At every depth of zips inside zips: an entry with a password; a name that
// unzips outside its folder (zip slip) or a symbolic link; more bytes or files than clamd reads
// (docs/operations.md); bytes the central directory does not account for (an entry only a program reading
// the zip from its start would find); a zip nested too deep, or too large, to look inside; data that
// cannot be read.
//
// Bounded in memory and time, as it runs in the upload path: the central directories are read, each
// entry's first bytes are inflated to see whether it is a zip (a deflated entry with a data descriptor is
// inflated whole, its output dropped, to find where it ends), and only a zip inside is inflated whole, in
// memory (never to disk), up to the size its header declares and no more than NESTED_ZIP_BYTES.
import { createInflateRaw } from 'node:zlib';
import type { Entry, ZipFile } from 'yauzl';
import {
  entryName,
  entryNameBytes,
  type LocalHeader,
  localHeaderOf,
  nextEntry,
  openZip,
  readEntryBounded,
} from './entries.ts';

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
  | { kind: 'symlink'; path: string[] }
  | { kind: 'unlisted'; path: string[] }
  | { kind: 'unsupported'; path: string[] }
  | { kind: 'too-deep'; path: string[] }
  | { kind: 'nested-too-large'; path: string[] }
  | { kind: 'too-large'; path: string[] }
  | { kind: 'too-many'; path: string[] };

/** A zip no smaller than this may hold a file (a local header, a central one and the end record). */
const SMALLEST_ZIP_WITH_A_FILE = 30 + 46 + 22;
const ZIP_START = Buffer.from('PK\u0003\u0004', 'latin1');
const DATA_DESCRIPTOR = Buffer.from('PK\u0007\u0008', 'latin1');
const ZIP64_END_LOCATOR = 0x07064b50;
/** Bit 3 of an entry's flags: its CRC and sizes follow its data, in a data descriptor. */
const SIZES_AFTER_DATA = 8;

/**
 * Whether an entry's name leads out of the folder it is unzipped into, read with either slash: a path
 * from the top of a drive (`/x`, `\x`, `\\server\x`), a drive letter (`C:`), or a `..` segment (also
 * with the dots and spaces Windows drops from the end of a name, `.. ` or `...`).
 */
export function unsafeEntryName(name: string): boolean {
  if (/^[\\/]/.test(name) || /^[a-zA-Z]:/.test(name)) return true;
  return name.split(/[\\/]/).some((segment) => /^[. ]+$/.test(segment) && segment.includes('..'));
}

/**
 * Whether the entry is a symbolic link (`passwd` -> `/etc/passwd`, or `up` -> `../..` and then `up/x`):
 * its Unix file type, in the high half of its external attributes, says so. Read whatever system the
 * directory says made it (Unix, macOS or another): a zip from Windows leaves that half 0.
 */
function isSymlink(entry: Entry): boolean {
  return ((entry.externalFileAttributes >>> 16) & 0o170000) === 0o120000;
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
      if (isSymlink(entry)) return { kind: 'symlink', path: at };
      if (entry.isEncrypted()) return { kind: 'encrypted', path: at };
      counted.bytes += entry.uncompressedSize;
      if (counted.bytes > limits.uncompressedBytes) return { kind: 'too-large', path };
      if (entry.compressionMethod !== 0 && entry.compressionMethod !== 8)
        return { kind: 'unsupported', path: at };
      entries.push({ entry, at });
    }
    // Then each entry's local header (what a program reading the zip from its start goes by), and that
    // the local headers are all there is: the directory's entries fill the zip's bytes.
    const listed: Listed[] = [];
    for (const { entry, at } of entries) {
      let local: LocalHeader;
      try {
        local = await localHeaderOf(archive, entry);
      } catch {
        return { kind: 'damaged', path: at };
      }
      if (unsafeEntryName(local.fileName.toString('latin1'))) return { kind: 'unsafe-name', path: at };
      if ((local.generalPurposeBitFlag & 1) !== 0) return { kind: 'encrypted', path: at };
      listed.push({ entry, at, local });
    }
    if (!accountedFor(data, archive, listed)) return { kind: 'unlisted', path };
    // Then a look at each entry's first bytes: a zip inside is looked inside in turn.
    for (const item of listed) {
      const found = await inspectEntry(data, archive, item, depth, limits, counted);
      if (found) return found;
    }
    return null;
  } finally {
    archive.close();
  }
}

/** An entry of the directory, with its local header. */
interface Listed {
  entry: Entry;
  at: string[];
  local: LocalHeader;
}

/**
 * Whether the zip's bytes are all its central directory lists: from the first byte, each entry's local
 * header, its data and its data descriptor, ending where the next entry's begins, the last where the
 * directory begins; and the directory's records ending where its end record begins. A program reading a
 * zip from its start (Java's ZipInputStream, libarchive from a pipe) unzips every local header it meets,
 * so one the directory does not list would be unzipped unchecked, and past the entry limit. Real zips
 * (Windows, 7-Zip, Info-ZIP, macOS, Java, yazl) are written this way, Office files too.
 */
function accountedFor(data: Buffer, archive: ZipFile, listed: Listed[]): boolean {
  const directory = directoryOf(data, archive);
  if (!directory) return false;
  const records = listed.reduce(
    (sum, { entry }) => sum + 46 + entry.fileNameLength + entry.extraFieldLength + entry.fileCommentLength,
    0,
  );
  if (records !== directory.size) return false;
  const inOrder = [...listed].sort(
    (a, b) => a.entry.relativeOffsetOfLocalHeader - b.entry.relativeOffsetOfLocalHeader,
  );
  let end = 0;
  for (const [i, { entry, local }] of inOrder.entries()) {
    if (entry.relativeOffsetOfLocalHeader !== end) return false;
    const next = inOrder[i + 1]?.entry.relativeOffsetOfLocalHeader ?? directory.start;
    const dataEnd = local.fileDataStart + entry.compressedSize;
    // A program reading from the start goes by the local header's method and, without a descriptor, size.
    if (local.compressionMethod !== entry.compressionMethod) return false;
    if ((local.generalPurposeBitFlag & SIZES_AFTER_DATA) === 0) {
      if (localCompressedSize(local) !== entry.compressedSize) return false;
      end = dataEnd;
    } else {
      if (!descriptorAt(data, dataEnd, next - dataEnd, entry)) return false;
      end = next;
    }
  }
  return end === directory.start;
}

/**
 * Where the central directory starts and how long it says it is, from the end record (or its Zip64
 * record): null when the directory does not end where those records begin.
 */
function directoryOf(data: Buffer, archive: ZipFile): { start: number; size: number } | null {
  // yauzl found the end record by its comment's length (the comment is a Buffer: decodeStrings is off).
  const comment: unknown = archive.comment;
  const endRecord = data.length - 22 - (Buffer.isBuffer(comment) ? comment.length : 0);
  const locator = endRecord - 20;
  if (locator < 0 || data.readUInt32LE(locator) !== ZIP64_END_LOCATOR) {
    const start = data.readUInt32LE(endRecord + 16);
    const size = data.readUInt32LE(endRecord + 12);
    return start + size === endRecord ? { start, size } : null;
  }
  const zip64Record = Number(data.readBigUInt64LE(locator + 8));
  if (zip64Record + 56 > locator) return null;
  if (zip64Record + 12 + Number(data.readBigUInt64LE(zip64Record + 4)) !== locator) return null;
  const start = Number(data.readBigUInt64LE(zip64Record + 48));
  const size = Number(data.readBigUInt64LE(zip64Record + 40));
  return start + size === zip64Record ? { start, size } : null;
}

/** The compressed size a local header gives, from its Zip64 extra field when it holds 0xffffffff. */
function localCompressedSize(local: LocalHeader): number {
  if (local.compressedSize !== 0xffffffff) return local.compressedSize;
  const extra = local.extraField;
  for (let at = 0; at + 4 <= extra.length; at += 4 + extra.readUInt16LE(at + 2)) {
    // The Zip64 field of a local header holds both sizes, uncompressed first.
    if (extra.readUInt16LE(at) === 0x0001 && extra.readUInt16LE(at + 2) >= 16 && at + 20 <= extra.length) {
      return Number(extra.readBigUInt64LE(at + 4 + 8));
    }
  }
  return local.compressedSize;
}

/**
 * Whether the `length` bytes at `at` are the entry's data descriptor: with or without its signature,
 * with 4- or 8-byte sizes (Zip64), the CRC and sizes the directory gives.
 */
function descriptorAt(data: Buffer, at: number, length: number, entry: Entry): boolean {
  const signed = length === 16 || length === 24;
  const zip64 = length === 20 || length === 24;
  if (![12, 16, 20, 24].includes(length)) return false;
  if (signed && !data.subarray(at, at + 4).equals(DATA_DESCRIPTOR)) return false;
  const fields = at + (signed ? 4 : 0);
  const compressed = zip64 ? Number(data.readBigUInt64LE(fields + 4)) : data.readUInt32LE(fields + 4);
  const uncompressed = zip64 ? Number(data.readBigUInt64LE(fields + 12)) : data.readUInt32LE(fields + 8);
  return (
    data.readUInt32LE(fields) === entry.crc32 &&
    compressed === entry.compressedSize &&
    uncompressed === entry.uncompressedSize
  );
}

/**
 * Whether stored data followed by a data descriptor holds a descriptor of its own: libarchive reading
 * from a pipe ends such an entry at the first descriptor signature followed by the size read so far.
 */
function storedEndsEarly(stored: Buffer): boolean {
  for (let at = stored.indexOf(DATA_DESCRIPTOR); at !== -1; at = stored.indexOf(DATA_DESCRIPTOR, at + 1)) {
    if (at + 12 <= stored.length && stored.readUInt32LE(at + 8) === at) return true;
    if (at + 16 <= stored.length && Number(stored.readBigUInt64LE(at + 8)) === at) return true;
  }
  return false;
}

async function inspectEntry(
  data: Buffer,
  archive: ZipFile,
  { entry, at, local }: Listed,
  depth: number,
  limits: ZipLimits,
  counted: Counted,
): Promise<ZipFinding | null> {
  // Every entry's first bytes, whatever size it declares: a program unzipping it reads what its data holds.
  const stored = data.subarray(local.fileDataStart, local.fileDataStart + entry.compressedSize);
  // An entry whose sizes follow its data ends, for a program reading from the start, where its deflated
  // data ends (or, stored, at a descriptor): anything after that would be read as further entries.
  const sizesAfter = (local.generalPurposeBitFlag & SIZES_AFTER_DATA) !== 0;
  let head: Buffer | null;
  if (entry.compressionMethod === 0) {
    if (sizesAfter && storedEndsEarly(stored)) return { kind: 'unlisted', path: at.slice(0, -1) };
    head = stored.subarray(0, ZIP_START.length);
  } else {
    const inflated = await inflatedHead(stored, sizesAfter ? entry.uncompressedSize : null);
    if (inflated && sizesAfter && inflated.deflatedLength !== stored.length) {
      return { kind: 'unlisted', path: at.slice(0, -1) };
    }
    head = inflated?.head ?? null;
  }
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
 * bytes cost no more than a kilobyte of output, however much it would inflate to. With `toTheEnd` (its
 * declared size), it is inflated whole, output dropped, to find how many of its bytes the deflate stream
 * takes (`deflatedLength`); null past that size.
 */
function inflatedHead(
  deflated: Buffer,
  toTheEnd: number | null,
): Promise<{ head: Buffer; deflatedLength: number | null } | null> {
  return new Promise((resolve) => {
    const inflate = createInflateRaw({ chunkSize: toTheEnd === null ? 1024 : 64 * 1024 });
    let head = Buffer.alloc(0);
    let size = 0;
    let settled = false;
    const settle = (found: { head: Buffer; deflatedLength: number | null } | null) => {
      if (settled) return;
      settled = true;
      inflate.destroy();
      resolve(found);
    };
    inflate.on('data', (chunk: Buffer) => {
      if (head.length < ZIP_START.length) head = Buffer.concat([head, chunk]).subarray(0, ZIP_START.length);
      size += chunk.length;
      if (toTheEnd === null && size >= ZIP_START.length) settle({ head, deflatedLength: null });
      else if (toTheEnd !== null && size > toTheEnd) settle(null);
    });
    // zlib stops at the deflate stream's end: bytesWritten is what it read, not what follows.
    inflate.on('end', () => settle({ head, deflatedLength: inflate.bytesWritten }));
    inflate.on('error', () => settle(null));
    inflate.end(deflated);
  });
}
