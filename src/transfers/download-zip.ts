// Several files downloaded at once come as one zip (LA notes §5.2), streamed: each entry is decrypted
// and checked as it is written, and nothing is held in memory or on disk. Every entry's file is opened
// before the zip is (download-service.ts), so on the disk store a file removed meanwhile is still
// written whole. If any entry fails (its stored bytes were altered, the store cannot be read, or on S3
// its object was deleted before the zip came to it), the whole zip stream fails, so the download breaks
// off visibly instead of ending as a smaller, silently incomplete zip.
import type { Readable } from 'node:stream';
import { ZipFile } from 'yazl';

export interface ZipEntry {
  /** The name inside the zip: the file's own (validated) s2s name. */
  name: string;
  size: number;
  mtime: Date;
  /** The entry's content (an opened file, OpenedFile): read when the zip comes to it, or closed unread. */
  content: { read(): Promise<Readable>; close(): void };
}

/** Entry names made unique: a second "A.XML" becomes "A (2).XML". */
export function uniqueNames(names: string[]): string[] {
  const seen = new Map<string, number>();
  return names.map((name) => {
    const key = name.toUpperCase();
    const count = (seen.get(key) ?? 0) + 1;
    seen.set(key, count);
    if (count === 1) return name;
    const dot = name.lastIndexOf('.');
    return dot > 0 ? `${name.slice(0, dot)} (${count})${name.slice(dot)}` : `${name} (${count})`;
  });
}

export function zipStream(entries: ZipEntry[]): Readable {
  const zip = new ZipFile();
  // yazl's output is a PassThrough; it is what the response reads.
  const output = zip.outputStream as unknown as Readable;
  let current: Readable | undefined;
  const fail = (error: Error) => {
    current?.destroy();
    if (!output.destroyed) output.destroy(error);
  };
  zip.on('error', fail);
  const unread = new Set(entries);
  // A client that goes away stops the entry being read too (yazl pipes without passing errors on), and
  // the files the zip did not come to are let go.
  output.once('close', () => {
    current?.destroy();
    for (const entry of unread) entry.content.close();
  });
  for (const entry of entries) {
    zip.addReadStreamLazy(entry.name, { size: entry.size, mtime: entry.mtime }, (callback) => {
      if (output.destroyed) return;
      unread.delete(entry);
      entry.content.read().then(
        (stream) => {
          if (output.destroyed) {
            stream.destroy();
            return;
          }
          current = stream;
          stream.once('error', fail);
          callback(null, stream);
        },
        (error: unknown) => fail(error instanceof Error ? error : new Error(String(error))),
      );
    });
  }
  zip.end();
  return output;
}
