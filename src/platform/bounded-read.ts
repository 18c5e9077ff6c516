// Reading an uploaded file's stream into memory without ever holding more than a limit: a file that is
// too large is answered at once and the rest of it drained, so the next part of a multipart form can
// still be read.
import type { Readable } from 'node:stream';

export type BoundedRead = { ok: true; data: Buffer } | { ok: false; size: number };

/**
 * Reads the stream into memory up to `limit` bytes. Past the limit what was kept is released, the rest
 * is discarded as it arrives (the stream is drained, not destroyed, so a multipart upload's next file
 * can still be read) and the answer comes at once.
 */
export function readBounded(content: Readable, limit: number): Promise<BoundedRead> {
  return new Promise((resolve, reject) => {
    let chunks: Buffer[] = [];
    let size = 0;
    const stop = () => {
      content.off('data', onData);
      content.off('end', onEnd);
      content.off('error', onError);
    };
    const onData = (chunk: Buffer | string) => {
      const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
      size += bytes.length;
      if (size > limit) {
        stop();
        chunks = [];
        discard(content);
        resolve({ ok: false, size });
        return;
      }
      chunks.push(bytes);
    };
    const onEnd = () => {
      stop();
      resolve({ ok: true, data: Buffer.concat(chunks, size) });
    };
    const onError = (error: Error) => {
      stop();
      reject(error);
    };
    content.on('data', onData);
    content.on('end', onEnd);
    content.on('error', onError);
  });
}

/** Lets the rest of a stream flow away unread (an error on it then changes nothing). */
export function discard(content: Readable): void {
  if (content.listenerCount('error') === 0) content.on('error', () => {});
  content.resume();
}

/** Waits for the rest of a file stream to be read and thrown away. */
export async function drain(
  stream: NodeJS.ReadableStream & { readableEnded?: boolean; destroyed?: boolean },
): Promise<void> {
  if (stream.readableEnded || stream.destroyed) return;
  await new Promise<void>((resolve) => {
    stream.on('end', resolve);
    stream.on('close', resolve);
    stream.on('error', () => resolve());
    stream.resume();
  });
}
