// Envelope encryption for stored files: each file has its own random 256-bit data key, wrapped by the
// master key, and its content is sealed with AES-256-GCM in 64 KiB segments. Each segment is
// authenticated before any of its bytes are released, and the last one is marked as last, so a
// truncated, reordered or altered file is detected, never served.
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';

const MAGIC = Buffer.from('S2SE');
const FORMAT_VERSION = 1;
const SEGMENT = 64 * 1024;
const TAG = 16;
const NONCE_PREFIX = 8;
const HEADER = MAGIC.length + 1 + NONCE_PREFIX;

export class MasterKey {
  /** A short, non-secret name for this key, stored beside each wrapped data key (for rotation). */
  readonly id: string;

  constructor(private readonly key: Buffer) {
    if (key.length !== 32) throw new Error('The master key must be 32 bytes (256 bits)');
    this.id = createHash('sha256').update(key).digest('hex').slice(0, 16);
  }

  static generate(): MasterKey {
    return new MasterKey(randomBytes(32));
  }

  toBase64(): string {
    return this.key.toString('base64');
  }

  /** Wraps a data key: base64 of nonce (12) + tag (16) + encrypted key (32). */
  wrap(dataKey: Buffer): string {
    const nonce = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, nonce);
    cipher.setAAD(Buffer.from(`s2s-data-key:${this.id}`));
    const sealed = Buffer.concat([cipher.update(dataKey), cipher.final()]);
    return Buffer.concat([nonce, cipher.getAuthTag(), sealed]).toString('base64');
  }

  unwrap(wrapped: string): Buffer {
    const bytes = Buffer.from(wrapped, 'base64');
    const decipher = createDecipheriv('aes-256-gcm', this.key, bytes.subarray(0, 12));
    decipher.setAAD(Buffer.from(`s2s-data-key:${this.id}`));
    decipher.setAuthTag(bytes.subarray(12, 28));
    return Buffer.concat([decipher.update(bytes.subarray(28)), decipher.final()]);
  }
}

function nonceFor(prefix: Buffer, counter: number): Buffer {
  const nonce = Buffer.alloc(12);
  prefix.copy(nonce, 0);
  nonce.writeUInt32BE(counter, NONCE_PREFIX);
  return nonce;
}

function seal(key: Buffer, prefix: Buffer, counter: number, last: boolean, plain: Buffer): Buffer {
  const cipher = createCipheriv('aes-256-gcm', key, nonceFor(prefix, counter));
  cipher.setAAD(Buffer.from([last ? 1 : 0]));
  return Buffer.concat([cipher.update(plain), cipher.final(), cipher.getAuthTag()]);
}

function open(key: Buffer, prefix: Buffer, counter: number, last: boolean, sealed: Buffer): Buffer {
  const decipher = createDecipheriv('aes-256-gcm', key, nonceFor(prefix, counter));
  decipher.setAAD(Buffer.from([last ? 1 : 0]));
  decipher.setAuthTag(sealed.subarray(sealed.length - TAG));
  return Buffer.concat([decipher.update(sealed.subarray(0, sealed.length - TAG)), decipher.final()]);
}

export class TamperedFileError extends Error {
  constructor() {
    super('The stored file failed its integrity check: it has been damaged or altered');
  }
}

/** Encrypts a plaintext stream; also measures its size and SHA-256 (read them after the stream ends). */
export class EncryptStream extends Transform {
  private pending: Buffer = Buffer.alloc(0);
  private counter = 0;
  private readonly prefix = randomBytes(NONCE_PREFIX);
  private readonly hash = createHash('sha256');
  size = 0;
  sha256 = '';

  constructor(private readonly dataKey: Buffer) {
    super();
    this.push(Buffer.concat([MAGIC, Buffer.from([FORMAT_VERSION]), this.prefix]));
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    this.hash.update(chunk);
    this.size += chunk.length;
    this.pending = this.pending.length ? Buffer.concat([this.pending, chunk]) : chunk;
    // Keep at least one byte back, so the last segment is always sealed as last in _flush.
    while (this.pending.length > SEGMENT) {
      this.push(seal(this.dataKey, this.prefix, this.counter, false, this.pending.subarray(0, SEGMENT)));
      this.counter += 1;
      this.pending = this.pending.subarray(SEGMENT);
    }
    done();
  }

  override _flush(done: TransformCallback): void {
    this.push(seal(this.dataKey, this.prefix, this.counter, true, this.pending));
    this.sha256 = this.hash.digest('hex');
    done();
  }
}

/** Decrypts what EncryptStream wrote; fails with TamperedFileError on any alteration or truncation. */
export class DecryptStream extends Transform {
  private pending: Buffer = Buffer.alloc(0);
  private prefix: Buffer | undefined;
  private counter = 0;

  constructor(private readonly dataKey: Buffer) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    this.pending = this.pending.length ? Buffer.concat([this.pending, chunk]) : chunk;
    try {
      if (!this.prefix) {
        if (this.pending.length < HEADER) {
          done();
          return;
        }
        if (
          !this.pending.subarray(0, MAGIC.length).equals(MAGIC) ||
          this.pending[MAGIC.length] !== FORMAT_VERSION
        ) {
          throw new TamperedFileError();
        }
        this.prefix = Buffer.from(this.pending.subarray(MAGIC.length + 1, HEADER));
        this.pending = this.pending.subarray(HEADER);
      }
      // A segment is known not to be the last only when more bytes follow it.
      while (this.pending.length > SEGMENT + TAG) {
        this.push(
          open(this.dataKey, this.prefix, this.counter, false, this.pending.subarray(0, SEGMENT + TAG)),
        );
        this.counter += 1;
        this.pending = this.pending.subarray(SEGMENT + TAG);
      }
      done();
    } catch (error) {
      done(error instanceof TamperedFileError ? error : new TamperedFileError());
    }
  }

  override _flush(done: TransformCallback): void {
    try {
      if (!this.prefix || this.pending.length < TAG) throw new TamperedFileError();
      this.push(open(this.dataKey, this.prefix, this.counter, true, this.pending));
      done();
    } catch (error) {
      done(error instanceof TamperedFileError ? error : new TamperedFileError());
    }
  }
}

export function newDataKey(): Buffer {
  return randomBytes(32);
}
