// Files at rest: encrypted under their own data key (see envelope.ts), stored under a random name (a
// user's filename is never a path on disk), with the plaintext's SHA-256 checked on every read.
import { randomUUID } from 'node:crypto';
import { pipeline, Readable } from 'node:stream';
import { DecryptStream, EncryptStream, newDataKey, sealBatches } from './envelope.ts';
import type { FileStore } from './file-store.ts';
import type { MasterKeyring, WrappedKey } from './keyring.ts';

/** What the database records about a stored file, so it can be read back. */
export interface StoredFile {
  storageKey: string;
  wrappedKey: string;
  masterKeyId: string;
  size: number;
  sha256: string;
}

/** A stored file opened (EncryptedFileStore.open): read it once, or close it unread. */
export interface OpenedFile {
  /** The plaintext, as `get` gives it. */
  read(): Promise<Readable>;
  close(): void;
}

export class EncryptedFileStore {
  constructor(
    private readonly store: FileStore,
    private readonly keyring: MasterKeyring,
  ) {}

  /**
   * Encrypts and stores the stream, or the bytes (which must stay unchanged until this resolves);
   * resolves once the file is durably on the store.
   */
  async put(content: Readable | Buffer): Promise<StoredFile> {
    const dataKey = newDataKey();
    const storageKey = randomUUID();
    if (Buffer.isBuffer(content) && this.store.putBatches) {
      const sealed = sealBatches(dataKey, content);
      await this.store.putBatches(storageKey, sealed.batches);
      return { storageKey, ...this.keyring.wrap(dataKey), ...sealed.measured() };
    }
    const encrypt = new EncryptStream(dataKey);
    // pipeline() carries a failed upload's error into the encrypted stream (which the store then sees
    // and refuses), even if it happens before the store starts reading.
    const plain = Buffer.isBuffer(content) ? Readable.from([content]) : content;
    const encrypted = pipeline(plain, encrypt, () => {});
    await this.store.put(storageKey, encrypted);
    return {
      storageKey,
      ...this.keyring.wrap(dataKey),
      size: encrypt.plaintextSize,
      sha256: encrypt.sha256,
    };
  }

  /**
   * The plaintext; the stream errors with TamperedFileError if the stored bytes were altered. Throws
   * MissingMasterKeyError when the master key that wrapped the file's data key is not configured.
   */
  async get(file: Pick<StoredFile, 'storageKey' | 'sha256'> & WrappedKey): Promise<Readable> {
    return (await this.open(file)).read();
  }

  /**
   * A file opened now, to be read later (get, in two steps), or closed unread. On a store that reads in
   * pieces (the disk) the content is held from now on, for the cost of a file descriptor: it is read
   * whole even if it is deleted meanwhile. On another (S3) the object is fetched only when read: a fetch
   * held open unread is cut off after 30 seconds of silence (SOCKET_TIMEOUT_MS) and holds one of the
   * client's connections, so a deletion before then still fails the read.
   */
  async open(file: Pick<StoredFile, 'storageKey' | 'sha256'> & WrappedKey): Promise<OpenedFile> {
    const dataKey = this.keyring.unwrap(file);
    const { readPieces } = this.store;
    if (!readPieces) {
      return {
        read: async () => {
          const stored = await this.store.get(file.storageKey);
          return pipeline(stored, new DecryptStream(dataKey, { sha256: file.sha256 }), () => {});
        },
        close: () => {},
      };
    }
    const pieces = await readPieces.call(this.store, file.storageKey);
    return {
      read: async () => {
        // The SHA-256 is checked as the file is decrypted: its last segment is released only if it matches.
        const decrypt = new DecryptStream(dataKey, { sha256: file.sha256, borrowedChunks: true });
        void decryptPieces(pieces, decrypt);
        return decrypt;
      },
      // A file opened to read only has nothing to lose if its closing fails.
      close: () => void pieces.close().catch(() => {}),
    };
  }

  remove(storageKey: string): Promise<void> {
    return this.store.remove(storageKey);
  }
}

/**
 * The most of a piece written to the decrypting stream at once. Each write's plaintext waits there until
 * it is read: a whole piece of a download to a slow connection would hold 1 MiB, a slice 256 KiB (about
 * 0.3 ms more CPU a 4 MB download, measured side by side).
 */
export const DECRYPT_SLICE_BYTES = 256 * 1024;

/**
 * Writes each piece to the decrypting stream and waits until it has been taken in before asking for the
 * next (the pieces share one buffer). Stops when the stream fails or is destroyed (a download broken
 * off): a write then in progress never calls back, so its close ends the wait.
 */
async function decryptPieces(pieces: AsyncIterable<Buffer>, decrypt: DecryptStream): Promise<void> {
  const takenIn = (piece: Buffer) =>
    new Promise<boolean>((resolve) => {
      const closed = () => resolve(false);
      decrypt.once('close', closed);
      decrypt.write(piece, (error) => {
        decrypt.off('close', closed);
        resolve(!error);
      });
    });
  try {
    for await (const piece of pieces) {
      // A piece goes in a slice at a time, so no more than a slice's plaintext waits for a slow reader.
      for (let at = 0; at < piece.length; at += DECRYPT_SLICE_BYTES) {
        if (decrypt.destroyed || !(await takenIn(piece.subarray(at, at + DECRYPT_SLICE_BYTES)))) return;
      }
    }
    decrypt.end();
  } catch (error) {
    decrypt.destroy(error instanceof Error ? error : new Error(String(error)));
  }
}
