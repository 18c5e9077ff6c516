// Reading a zip held in memory, one entry at a time (yauzl): the pieces the zips s2s is sent share, the
// LA's bulk census zip (collect/bulk-load.ts) and the check of what an uploaded zip holds (./inspect.ts).
// A zip is untrusted: nothing is unpacked to disk, and an entry is inflated only up to a limit.
import type { Readable } from 'node:stream';
import type { Entry, ZipFile } from 'yauzl';
import * as yauzl from 'yauzl';
import { type BoundedRead, readBounded } from '../bounded-read.ts';

/**
 * Opens the zip in `data`: entries are read one at a time (nextEntry), and an entry read whole fails as it
 * passes the size its header gives. `decodeStrings: false` leaves each entry's name as its bytes
 * (`fileName` is then a Buffer, see entryNameBytes): yauzl otherwise fails the whole zip at the first name
 * that leads out of its folder, where ./inspect.ts names the entry. Rejects with yauzl's error for bytes
 * that are not a zip it can read.
 */
export function openZip(data: Buffer, options: { decodeStrings?: boolean } = {}): Promise<ZipFile> {
  return new Promise((resolve, reject) => {
    yauzl.fromBuffer(
      data,
      { lazyEntries: true, validateEntrySizes: true, decodeStrings: options.decodeStrings ?? true },
      (error, archive) => (error || !archive ? reject(error ?? new Error('not a zip')) : resolve(archive)),
    );
  });
}

/** The zip's next entry from its central directory, or null after the last; rejects with yauzl's error. */
export function nextEntry(archive: ZipFile): Promise<Entry | null> {
  return new Promise((resolve, reject) => {
    const settle = (then: () => void) => {
      archive.off('entry', onEntry);
      archive.off('end', onEnd);
      archive.off('error', onError);
      then();
    };
    const onEntry = (entry: Entry) => settle(() => resolve(entry));
    const onEnd = () => settle(() => resolve(null));
    const onError = (error: Error) => settle(() => reject(error));
    archive.on('entry', onEntry);
    archive.on('end', onEnd);
    archive.on('error', onError);
    archive.readEntry();
  });
}

/**
 * The entry's bytes, counted as they are inflated: past `limit`, not ok (and nothing more is inflated).
 * Rejects when the entry cannot be read (damaged data, or more or fewer bytes than its header says).
 */
export async function readEntryBounded(archive: ZipFile, entry: Entry, limit: number): Promise<BoundedRead> {
  const stream = await new Promise<Readable>((resolve, reject) =>
    archive.openReadStream(entry, (error, opened) => (error || !opened ? reject(error) : resolve(opened))),
  );
  const read = await readBounded(stream, limit);
  // readBounded would drain the rest: stop inflating it instead.
  if (!read.ok) stream.destroy();
  return read;
}

/** What the local header of an entry says (it comes before the entry's data, and may differ from the directory). */
export interface LocalHeader {
  fileDataStart: number;
  generalPurposeBitFlag: number;
  compressionMethod: number;
  /** 0xffffffff when the size is in the Zip64 extra field; 0 when it follows the data (bit 3 of the flags). */
  compressedSize: number;
  fileName: Buffer;
  extraField: Buffer;
}

/** The entry's local header (yauzl reads it; its types do not say so). */
export function localHeaderOf(archive: ZipFile, entry: Entry): Promise<LocalHeader> {
  const reader = archive as unknown as {
    readLocalFileHeader(
      entry: Entry,
      options: { minimal: boolean },
      callback: (error: Error | null, header: LocalHeader) => void,
    ): void;
  };
  return new Promise((resolve, reject) =>
    reader.readLocalFileHeader(entry, { minimal: false }, (error, header) =>
      error ? reject(error) : resolve(header),
    ),
  );
}

/** An entry's name as its bytes, for a zip opened with `decodeStrings: false`. */
export function entryNameBytes(entry: Entry): Buffer {
  const name: unknown = entry.fileName;
  return Buffer.isBuffer(name) ? name : Buffer.from(String(name), 'utf8');
}

/**
 * The entry's name as an unzipping program reads it: the Info-ZIP Unicode path when it has one, else its
 * bytes as UTF-8 or the DOS code page its flags say (yauzl's reading), backslashes kept.
 */
export function entryName(entry: Entry): string {
  const decode = (
    yauzl as unknown as {
      getFileNameLowLevel(flags: number, name: Buffer, extra: Entry['extraFields'], strict: boolean): string;
    }
  ).getFileNameLowLevel;
  return decode(entry.generalPurposeBitFlag, entryNameBytes(entry), entry.extraFields, true);
}
