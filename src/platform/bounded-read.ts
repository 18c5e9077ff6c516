// Reading an uploaded file's stream into memory without ever holding more than a limit: a file that is
// too large is answered at once and the rest of it drained, so the next part of a multipart form can
// still be read.
import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import type { BufferPool } from './buffer-pool.ts';

/**
 * A stream read within a limit: its bytes, or, past the limit, how many had arrived when that was known
 * (`size`: as many as the chunks carried, so it varies with how the stream was cut into chunks) and,
 * when those bytes reached the reader, `head`: the SHA-256 of the stream's first `bytes` (limit + 1),
 * the same however it was cut. Nothing after them is known: a multipart parser stops there (stopAtLimit).
 */
export type BoundedRead =
  | { ok: true; data: Buffer }
  | { ok: false; size: number; head?: { bytes: number; sha256: string } };

/**
 * A file that stopped arriving before its end: the connection was cut, or the multipart form around it
 * was damaged (a truncated body, a malformed part). The sender's fault, not s2s's: nothing is kept.
 */
export class IncompleteFile extends Error {
  constructor(cause?: unknown) {
    super('The file did not arrive whole', cause === undefined ? undefined : { cause });
    this.name = 'IncompleteFile';
  }
}

/**
 * Reads the stream into memory up to `limit` bytes. Past the limit what was kept is hashed with the byte
 * after it (`head`) and released, the rest is discarded as it arrives (the stream is drained, not
 * destroyed, so a multipart upload's next file can still be read) and the answer comes at once. A stream
 * cut at the parser's limit before its bytes reached this (destroyed, see stopAtLimit) is too large with
 * no `head`. A stream that fails, or closes before its end (even before this is called), rejects with
 * IncompleteFile. With `pool`, the file is joined in a buffer taken from it (give it back when done with it).
 */
export function readBounded(
  content: Readable & { truncated?: boolean },
  limit: number,
  pool?: BufferPool,
): Promise<BoundedRead> {
  return new Promise((resolve, reject) => {
    // A multipart file cut short at the parser's limit (stopAtLimit) is larger than any limit here.
    const cut = () => content.truncated === true;
    if (content.destroyed && !content.readableEnded) {
      if (cut()) resolve({ ok: false, size: limit + 1 });
      else reject(new IncompleteFile(content.errored ?? undefined));
      return;
    }
    let chunks: Buffer[] = [];
    let size = 0;
    const stop = () => {
      content.off('data', onData);
      content.off('end', onEnd);
      content.off('error', onError);
      content.off('close', onClose);
    };
    const onData = (chunk: Buffer | string) => {
      const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
      const before = size;
      size += bytes.length;
      if (size > limit) {
        stop();
        // The first limit + 1 bytes: all of the file read before it was known to be too large.
        const hash = createHash('sha256');
        for (const kept of chunks) hash.update(kept);
        hash.update(bytes.subarray(0, limit + 1 - before));
        chunks = [];
        discard(content);
        resolve({ ok: false, size, head: { bytes: limit + 1, sha256: hash.digest('hex') } });
        return;
      }
      chunks.push(bytes);
    };
    const onEnd = () => {
      stop();
      resolve({ ok: true, data: pool ? joinInto(pool.take(size), chunks) : Buffer.concat(chunks, size) });
    };
    const onError = (error: Error) => {
      stop();
      if (cut()) resolve({ ok: false, size: limit + 1 });
      else reject(new IncompleteFile(error));
    };
    // Closed without an end or an error: destroyed by whoever parses the form around it.
    const onClose = () => {
      stop();
      if (cut()) resolve({ ok: false, size: limit + 1 });
      else reject(new IncompleteFile());
    };
    content.on('data', onData);
    content.on('end', onEnd);
    content.on('error', onError);
    content.on('close', onClose);
  });
}

function joinInto(target: Buffer, chunks: readonly Buffer[]): Buffer {
  let at = 0;
  for (const chunk of chunks) at += chunk.copy(target, at);
  return target;
}

/** How a multipart file stream ended (settleFile). */
export type FileEnd = 'read' | 'too-large' | 'incomplete';

export type FileStream = Readable & { truncated?: boolean };

/**
 * Waits for the rest of a multipart file stream to be read and thrown away, and says how it ended:
 * 'read' to its end; 'too-large' when the multipart parser cut it short at its file size limit (the
 * stream is destroyed: see stopAtLimit in platform/web/http.ts); 'incomplete' when it failed or closed before its end.
 */
export function settleFile(file: FileStream): Promise<FileEnd> {
  return new Promise((resolve) => {
    const settle = (end: FileEnd) => {
      file.off('end', onEnd);
      file.off('limit', onLimit);
      file.off('close', onClose);
      file.off('error', onFailure);
      if (end === 'too-large' && !file.destroyed) file.destroy();
      resolve(end);
    };
    const ended = (): FileEnd => (file.readableEnded ? 'read' : file.truncated ? 'too-large' : 'incomplete');
    const onEnd = () => settle('read');
    const onLimit = () => settle('too-large');
    const onClose = () => settle(ended());
    const onFailure = () => settle(ended());
    if (file.readableEnded || file.truncated || file.destroyed) return settle(ended());
    file.on('end', onEnd);
    file.on('limit', onLimit);
    file.on('close', onClose);
    file.on('error', onFailure);
    file.resume();
  });
}

/** Lets the rest of a stream flow away unread (an error on it then changes nothing). */
export function discard(content: Readable): void {
  if (content.listenerCount('error') === 0) content.on('error', () => {});
  content.resume();
}
