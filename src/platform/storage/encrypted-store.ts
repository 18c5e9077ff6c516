// Files at rest: encrypted under their own data key (see envelope.ts), stored under a random name (a
// user's filename is never a path on disk), with the plaintext's SHA-256 checked on every read.
import { createHash, randomUUID } from 'node:crypto';
import { pipeline, type Readable, Transform, type TransformCallback } from 'node:stream';
import { DecryptStream, EncryptStream, type MasterKey, newDataKey, TamperedFileError } from './envelope.ts';
import type { FileStore } from './file-store.ts';

/** What the database records about a stored file, so it can be read back. */
export interface StoredFile {
  storageKey: string;
  wrappedKey: string;
  masterKeyId: string;
  size: number;
  sha256: string;
}

/** Passes bytes through and fails at the end unless they hash to `expected`. */
class VerifySha256 extends Transform {
  private readonly hash = createHash('sha256');
  constructor(private readonly expected: string) {
    super();
  }
  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    this.hash.update(chunk);
    done(null, chunk);
  }
  override _flush(done: TransformCallback): void {
    done(this.hash.digest('hex') === this.expected ? null : new TamperedFileError());
  }
}

export class EncryptedFileStore {
  constructor(
    private readonly store: FileStore,
    private readonly masterKey: MasterKey,
  ) {}

  /** Encrypts and stores the stream; resolves once the file is durably on the store. */
  async put(content: Readable): Promise<StoredFile> {
    const dataKey = newDataKey();
    const encrypt = new EncryptStream(dataKey);
    const storageKey = randomUUID();
    // pipeline() carries a failed upload's error into the encrypted stream (which the store then sees
    // and refuses), even if it happens before the store starts reading.
    const encrypted = pipeline(content, encrypt, () => {});
    await this.store.put(storageKey, encrypted);
    return {
      storageKey,
      wrappedKey: this.masterKey.wrap(dataKey),
      masterKeyId: this.masterKey.id,
      size: encrypt.size,
      sha256: encrypt.sha256,
    };
  }

  /** The plaintext; the stream errors with TamperedFileError if the stored bytes were altered. */
  async get(file: Pick<StoredFile, 'storageKey' | 'wrappedKey' | 'sha256'>): Promise<Readable> {
    const dataKey = this.masterKey.unwrap(file.wrappedKey);
    const stored = await this.store.get(file.storageKey);
    return pipeline(stored, new DecryptStream(dataKey), new VerifySha256(file.sha256), () => {});
  }

  remove(storageKey: string): Promise<void> {
    return this.store.remove(storageKey);
  }
}
