// Where transferred files live. The disk store is the default; the S3 store (s3-store.ts) is the other.
import { randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { access, constants, type FileHandle, open, opendir, rename, rm, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { BufferPool } from '../buffer-pool.ts';
import { PRIVATE_FILE_MODE } from '../file-modes.ts';
import { makePrivateFolders } from '../folders.ts';
import { Unwritable, unwritable } from '../unwritable.ts';

export interface FileStore {
  /** Store a stream under a key; the object appears whole or not at all. */
  put(key: string, content: Readable): Promise<void>;
  /**
   * Store the batches' bytes, in order, under a key, each batch's pieces in one write, asking for the
   * next batch only once the last is written; the object appears whole or not at all. Optional: a store
   * without it is given a stream (`put`).
   */
  putBatches?(key: string, batches: Iterable<readonly Buffer[]>): Promise<void>;
  get(key: string): Promise<Readable>;
  /**
   * The object's bytes in order, for a reader that is done with each piece before it asks for the next:
   * every piece is read into the same buffer. The object is opened now (a missing one fails here) and
   * stays readable, whatever happens to it meanwhile, until read or closed. Optional: a store without it
   * is read with `get`.
   */
  readPieces?(key: string): Promise<OpenedPieces>;
  remove(key: string): Promise<void>;
  /**
   * Removes a piece a `put` that never finished left behind: a name `list` gave as `partial`, and no
   * other (a record's key never names one).
   */
  removePartial(name: string): Promise<void>;
  exists(key: string): Promise<boolean>;
  /**
   * True when the store can be read and written now. `signal` aborts the check (a store that does not
   * answer): the check then gives up what it is waiting for, where it can.
   */
  isReachable(signal?: AbortSignal): Promise<boolean>;
  /**
   * Writes a small object and removes it, for a command that will write to the store, before it starts:
   * throws FileStoreUnusable, saying what is wrong and what to do, when the store cannot be written.
   */
  checkWritable(): Promise<void>;
  /**
   * Every object, and every piece a `put` that never finished left behind (`partial`), with when it was
   * last written: for the sweep of files nothing refers to (transfers/jobs.ts).
   */
  list(): AsyncIterable<StoredObject>;
}

/** An object opened by readPieces: its pieces, to be read once, or `close()` to let it go unread. */
export interface OpenedPieces extends AsyncIterable<Buffer> {
  close(): Promise<void>;
}

export interface StoredObject {
  /** The key; for a partial piece, a name `removePartial` takes. */
  key: string;
  modifiedAt: Date;
  partial: boolean;
}

const PARTIAL_PREFIX = '.partial-';
/**
 * Bytes `get` reads at a time (downloads read with readPieces). Larger than the streams' default of 64
 * KiB: a 4 MB file takes 16 reads instead of 64, which costs less than half the CPU (docs/benchmarks.md).
 */
const READ_CHUNK_BYTES = 256 * 1024;
/**
 * What readPieces reads at a time, into a buffer used again: a fresh buffer's pages cost the kernel a
 * fault each as they are first written, about as much as reading the bytes (docs/benchmarks.md).
 */
const PIECE_BYTES = 1024 * 1024;
/** The buffers of the reads, 16 at most kept for the next. */
const pieceBuffers = new BufferPool(16 * PIECE_BYTES);

async function fsync(path: string): Promise<void> {
  const handle = await open(path, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Writes every byte of `pieces` at the file's current position: one writev, and more if it was short. */
async function writeAll(handle: FileHandle, pieces: readonly Buffer[]): Promise<void> {
  const { bytesWritten } = await handle.writev(pieces as Buffer[]);
  const total = pieces.reduce((sum, piece) => sum + piece.length, 0);
  if (bytesWritten === total) return;
  const rest = Buffer.concat(pieces as Buffer[]).subarray(bytesWritten);
  for (let at = 0; at < rest.length; ) at += (await handle.write(rest, at)).bytesWritten;
}

/** The keys every store takes: a plain name (no slash, no leading dot), so none can name another place. */
export const SAFE_KEY = /^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$/;
const PARTIAL_NAME = /^\.partial-[0-9a-f-]{36}$/;

export function invalidKey(key: string): Error {
  return new Error(`Invalid storage key: ${JSON.stringify(key)}`);
}

/** The store cannot be written as configured: the message says what is wrong and what to do. */
export class FileStoreUnusable extends Unwritable {}

/** What `error`, met writing a probe in the store's folder `root`, means for the operator, and what to do. */
function unusable(root: string, error: unknown): FileStoreUnusable {
  const { message, full } = unwritable(
    {
      what: 'The file store folder',
      path: root,
      kind: 'folder',
      setting: 'FILE_STORE_DIR',
      loss: 'no file can be stored',
      otherwise: 'set FILE_STORE_DIR to a folder s2s can write',
    },
    error,
  );
  return new FileStoreUnusable(message, full);
}

export class DiskFileStore implements FileStore {
  private readonly root: string;

  constructor(directory: string) {
    this.root = resolve(directory);
  }

  put(key: string, content: Readable): Promise<void> {
    return this.writeAtomically(key, async (partial) => {
      await pipeline(content, createWriteStream(partial, { flags: 'wx', mode: PRIVATE_FILE_MODE }));
      await fsync(partial);
    });
  }

  putBatches(key: string, batches: Iterable<readonly Buffer[]>): Promise<void> {
    return this.writeAtomically(key, async (partial) => {
      const handle = await open(partial, 'wx', PRIVATE_FILE_MODE);
      try {
        for (const batch of batches) await writeAll(handle, batch);
        await handle.sync();
      } finally {
        await handle.close();
      }
    });
  }

  /**
   * Has `write` write the object, fsynced, under a temporary name, then gives it its name: on disk before
   * it gets its name, and the name on disk before the caller records it. A failure leaves nothing.
   */
  private async writeAtomically(key: string, write: (partial: string) => Promise<void>): Promise<void> {
    const target = this.pathOf(key);
    await this.createRoot();
    const partial = join(this.root, `${PARTIAL_PREFIX}${randomUUID()}`);
    try {
      await write(partial);
      await rename(partial, target);
      await fsync(this.root);
    } catch (error) {
      await rm(partial, { force: true });
      // A full disk (or one's quota used up) is named with its folder and setting: Node's "ENOSPC: no
      // space left on device, write" names neither (a restore, an upload's log).
      const code = (error as NodeJS.ErrnoException | undefined)?.code;
      if (code === 'ENOSPC' || code === 'EDQUOT') throw unusable(this.root, error);
      throw error;
    }
  }

  async get(key: string): Promise<Readable> {
    const path = this.pathOf(key);
    await access(path, constants.R_OK);
    return createReadStream(path, { highWaterMark: READ_CHUNK_BYTES });
  }

  async readPieces(key: string): Promise<OpenedPieces> {
    // Opened now, so that a missing file fails here, as get does; the open file stays readable if the
    // file is deleted meanwhile (POSIX), and costs a file descriptor, no buffer, until it is read.
    const handle = await open(this.pathOf(key), 'r');
    let taken = false;
    return {
      [Symbol.asyncIterator]: () => {
        taken = true;
        return (async function* pieces() {
          const buffer = pieceBuffers.take(PIECE_BYTES);
          try {
            for (;;) {
              const { bytesRead } = await handle.read(buffer, 0, PIECE_BYTES, null);
              if (bytesRead === 0) return;
              yield buffer.subarray(0, bytesRead);
            }
          } finally {
            await handle.close();
            // Only now: the reader is done with the last piece it was given.
            pieceBuffers.give(buffer);
          }
        })();
      },
      // Once reading has begun, its end closes the file.
      close: async () => {
        if (taken) return;
        taken = true;
        await handle.close();
      },
    };
  }

  async remove(key: string): Promise<void> {
    await rm(this.pathOf(key), { force: true });
  }

  async removePartial(name: string): Promise<void> {
    if (!PARTIAL_NAME.test(name)) throw invalidKey(name);
    await rm(join(this.root, name), { force: true });
  }

  async exists(key: string): Promise<boolean> {
    try {
      return (await stat(this.pathOf(key))).isFile();
    } catch {
      return false;
    }
  }

  async isReachable(): Promise<boolean> {
    try {
      await this.createRoot();
      await access(this.root, constants.R_OK | constants.W_OK);
      return true;
    } catch {
      return false;
    }
  }

  async checkWritable(): Promise<void> {
    // Named as a partial piece: one left by a process killed here is swept as such.
    const probe = join(this.root, `${PARTIAL_PREFIX}${randomUUID()}`);
    try {
      await this.createRoot();
      const handle = await open(probe, 'wx', PRIVATE_FILE_MODE);
      try {
        await writeAll(handle, [Buffer.from('s2s')]);
        await handle.sync();
      } finally {
        await handle.close();
      }
      await rm(probe);
      // Listed by the sweep of files nothing refers to.
      await (await opendir(this.root)).close();
    } catch (error) {
      await rm(probe, { force: true }).catch(() => {});
      throw unusable(this.root, error);
    }
  }

  async *list(): AsyncIterable<StoredObject> {
    let directory: Awaited<ReturnType<typeof opendir>>;
    try {
      directory = await opendir(this.root);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw error;
    }
    for await (const entry of directory) {
      if (!entry.isFile() || !(SAFE_KEY.test(entry.name) || PARTIAL_NAME.test(entry.name))) continue;
      try {
        const info = await stat(join(this.root, entry.name));
        yield { key: entry.name, modifiedAt: info.mtime, partial: PARTIAL_NAME.test(entry.name) };
      } catch {
        // Removed since the directory was read.
      }
    }
  }

  /** The folder, when missing, for s2s's user alone; one an operator made is left as it is. */
  private async createRoot(): Promise<void> {
    await makePrivateFolders(this.root);
  }

  private pathOf(key: string): string {
    if (!SAFE_KEY.test(key)) throw invalidKey(key);
    return join(this.root, key);
  }
}
