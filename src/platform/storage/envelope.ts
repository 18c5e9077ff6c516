// Envelope encryption for stored files: each file has its own random 256-bit data key, wrapped by the
// master key, and its content is sealed with AES-256-GCM in 64 KiB segments. Each segment is
// authenticated before any of its bytes are released, and the last one is marked as last, so a
// truncated, reordered or altered file is detected, never served.
import { createCipheriv, createDecipheriv, createHash, type Hash, hkdfSync, randomBytes } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';

const MAGIC = Buffer.from('S2SE');
const FORMAT_VERSION = 1;
const SEGMENT = 64 * 1024;
/** Segments sealed before the event loop gets a turn (about 0.2-0.5 ms of work). */
const SEGMENTS_PER_TURN = 4;
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

  /**
   * A secret for another purpose, derived from this key (HKDF-SHA256): every process holding the key
   * derives the same, and it reveals nothing of the key.
   */
  deriveSecret(purpose: string): string {
    return Buffer.from(hkdfSync('sha256', this.key, Buffer.alloc(0), purpose, 32)).toString('hex');
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

/** The additional data of a segment: whether it is the file's last. */
const NOT_LAST = Buffer.from([0]);
const LAST = Buffer.from([1]);

function nonceFor(prefix: Buffer, counter: number): Buffer {
  const nonce = Buffer.alloc(12);
  prefix.copy(nonce, 0);
  nonce.writeUInt32BE(counter, NONCE_PREFIX);
  return nonce;
}

/** A sealed segment, in the pieces the cipher gives: its ciphertext, then its tag. */
function sealedPieces(key: Buffer, prefix: Buffer, counter: number, last: boolean, plain: Buffer): Buffer[] {
  const cipher = createCipheriv('aes-256-gcm', key, nonceFor(prefix, counter));
  cipher.setAAD(last ? LAST : NOT_LAST);
  return [cipher.update(plain), cipher.final(), cipher.getAuthTag()];
}

export class TamperedFileError extends Error {
  constructor() {
    super('The stored file failed its integrity check: it has been damaged or altered');
  }
}

/**
 * Seals one file's segments in order, numbering them, and measures the plaintext's size and SHA-256.
 * Both ways of encrypting a file use it: EncryptStream for a stream, sealBatches for bytes in memory.
 */
class Sealer {
  private counter = 0;
  private readonly prefix = randomBytes(NONCE_PREFIX);
  private readonly hash = createHash('sha256');
  size = 0;

  constructor(private readonly dataKey: Buffer) {}

  /** What the file starts with, before its first segment. */
  header(): Buffer {
    return Buffer.concat([MAGIC, Buffer.from([FORMAT_VERSION]), this.prefix]);
  }

  /** The next segment's pieces (its ciphertext, then its tag); `last` for the file's last segment. */
  seal(plain: Buffer, last: boolean): Buffer[] {
    this.size += plain.length;
    this.hash.update(plain);
    const pieces = sealedPieces(this.dataKey, this.prefix, this.counter, last, plain);
    this.counter += 1;
    return pieces;
  }

  /** The plaintext's SHA-256 (hex): once the last segment is sealed. */
  sha256(): string {
    return this.hash.digest('hex');
  }
}

/** Encrypts a plaintext stream; also measures its size and SHA-256 (read them after the stream ends). */
export class EncryptStream extends Transform {
  private pending: Buffer = Buffer.alloc(0);
  private readonly sealer: Sealer;
  sha256 = '';

  constructor(dataKey: Buffer) {
    super();
    this.sealer = new Sealer(dataKey);
    this.push(this.sealer.header());
  }

  /**
   * Not `size`: the S3 store's uploader (lib-storage) reads a stream's `size` as its total length, and
   * this one is 0 until the stream has flowed, which failed every upload of more than one part.
   */
  get plaintextSize(): number {
    return this.sealer.size;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    this.pending = this.pending.length ? Buffer.concat([this.pending, chunk]) : chunk;
    this.sealSome(done);
  }

  override _flush(done: TransformCallback): void {
    this.push(Buffer.concat(this.sealer.seal(this.pending, true)));
    this.sha256 = this.sealer.sha256();
    done();
  }

  /**
   * Seals the full segments pending, a few at a time: a whole upload arrives as one 4-10 MB chunk, and
   * sealing it in one go would hold the event loop (every other request) for that long.
   */
  private sealSome(done: TransformCallback): void {
    // A turn's segments go on as one chunk: one write to the file rather than one a segment (each write
    // costs the event loop more than copying the segment does).
    const pieces: Buffer[] = [];
    // Keep at least one byte back, so the last segment is always sealed as last in _flush.
    for (let sealed = 0; this.pending.length > SEGMENT; sealed += 1) {
      if (sealed === SEGMENTS_PER_TURN) {
        this.push(Buffer.concat(pieces));
        setImmediate(() => {
          if (!this.destroyed) this.sealSome(done);
        });
        return;
      }
      pieces.push(...this.sealer.seal(this.pending.subarray(0, SEGMENT), false));
      this.pending = this.pending.subarray(SEGMENT);
    }
    if (pieces.length > 0) this.push(Buffer.concat(pieces));
    done();
  }
}

/** A file encrypted from bytes in memory: what it is stored as, in batches, and what was measured. */
export interface SealedBatches {
  /**
   * The encrypted file's bytes, in order: the header, then SEGMENTS_PER_TURN segments' pieces a batch,
   * each batch sealed only when it is asked for (so a store that writes each before asking for the next
   * gives the event loop a turn between them). The same bytes as EncryptStream writes.
   */
  batches: Iterable<readonly Buffer[]>;
  /** The plaintext's size and SHA-256 (hex), once every batch has been taken. */
  measured(): { size: number; sha256: string };
}

/**
 * Encrypts `plain` without a stream: the pieces of each batch of segments go to the store as they are,
 * where EncryptStream joins them into one chunk (a fresh buffer, and a copy) for its reader.
 */
export function sealBatches(dataKey: Buffer, plain: Buffer): SealedBatches {
  const sealer = new Sealer(dataKey);
  let done = false;
  function* batches(): Generator<readonly Buffer[]> {
    yield [sealer.header()];
    let at = 0;
    while (!done) {
      const pieces: Buffer[] = [];
      for (let sealed = 0; sealed < SEGMENTS_PER_TURN && !done; sealed += 1) {
        // As EncryptStream: the last segment holds what is left, 1 byte to a whole segment (none for an
        // empty file).
        done = plain.length - at <= SEGMENT;
        pieces.push(...sealer.seal(plain.subarray(at, at + SEGMENT), done));
        at = Math.min(at + SEGMENT, plain.length);
      }
      yield pieces;
    }
  }
  let sha256: string | undefined;
  return {
    batches: batches(),
    measured: () => {
      if (!done) throw new Error('The file has not been sealed to its end');
      sha256 ??= sealer.sha256();
      return { size: sealer.size, sha256 };
    },
  };
}

export interface DecryptOptions {
  /**
   * The plaintext's SHA-256 (hex), checked as it is decrypted: the last segment is released only if the
   * whole file hashes to it, else the stream fails with TamperedFileError.
   */
  sha256?: string;
  /**
   * The chunks written are lent: their bytes may change once the write's callback has run (readPieces).
   * What is kept of one for the next segment is then copied first.
   */
  borrowedChunks?: boolean;
}

/**
 * Decrypts what EncryptStream wrote; fails with TamperedFileError on any alteration or truncation.
 *
 * The stored bytes arrive in chunks of whatever size the store reads (64 KiB from disk), which do not
 * line up with the segments (64 KiB + 16 bytes, after a 13-byte header). Rather than join each chunk to
 * the rest of the previous one, the stream keeps the chunks as they are and hands a segment's pieces to
 * the decipher one after the other: nothing is copied but the 16-byte tag when it straddles two chunks.
 * A segment's plaintext is released only once its tag has been checked.
 */
export class DecryptStream extends Transform {
  /** Bytes received and not yet decrypted, in the order they came. */
  private parts: Buffer[] = [];
  private buffered = 0;
  private prefix: Buffer | undefined;
  private counter = 0;
  private readonly hash: Hash | null;

  constructor(
    private readonly dataKey: Buffer,
    private readonly options: DecryptOptions = {},
  ) {
    super();
    this.hash = options.sha256 === undefined ? null : createHash('sha256');
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    if (chunk.length > 0) {
      this.parts.push(chunk);
      this.buffered += chunk.length;
    }
    try {
      this.openWhatHasCome();
      // A lent chunk may change once this returns: what is left of it, the last part (the parts are
      // taken first in, first out), is kept as a copy.
      const last = this.parts.length - 1;
      if (this.options.borrowedChunks && chunk.length > 0 && last >= 0) {
        this.parts[last] = Buffer.from(this.parts[last] as Buffer);
      }
      done();
    } catch (error) {
      done(error instanceof TamperedFileError ? error : new TamperedFileError());
    }
  }

  /** Reads the header once it has come, then opens every segment known not to be the last. */
  private openWhatHasCome(): void {
    if (!this.prefix) {
      if (this.buffered < HEADER) return;
      const header = Buffer.concat(this.takeBytes(HEADER), HEADER);
      if (!header.subarray(0, MAGIC.length).equals(MAGIC) || header[MAGIC.length] !== FORMAT_VERSION) {
        throw new TamperedFileError();
      }
      this.prefix = header.subarray(MAGIC.length + 1, HEADER);
    }
    // A segment is known not to be the last only when more bytes follow it.
    while (this.buffered > SEGMENT + TAG) {
      for (const plain of this.openNext(false, SEGMENT + TAG)) this.push(plain);
    }
  }

  override _flush(done: TransformCallback): void {
    try {
      if (!this.prefix || this.buffered < TAG) throw new TamperedFileError();
      const plain = this.openNext(true, this.buffered);
      if (this.hash && this.hash.digest('hex') !== this.options.sha256) throw new TamperedFileError();
      for (const piece of plain) this.push(piece);
      done();
    } catch (error) {
      done(error instanceof TamperedFileError ? error : new TamperedFileError());
    }
  }

  /** The next `length` bytes received, as pieces of the chunks they came in (no copy). */
  private takeBytes(length: number): Buffer[] {
    const out: Buffer[] = [];
    let wanted = length;
    while (wanted > 0) {
      const part = this.parts[0] as Buffer;
      if (part.length <= wanted) {
        out.push(part);
        this.parts.shift();
        wanted -= part.length;
      } else {
        out.push(part.subarray(0, wanted));
        this.parts[0] = part.subarray(wanted);
        wanted = 0;
      }
    }
    this.buffered -= length;
    return out;
  }

  /** Decrypts and authenticates the next segment (`length` bytes with its tag); throws if altered. */
  private openNext(last: boolean, length: number): Buffer[] {
    const pieces = this.takeBytes(length);
    // The tag is the segment's last 16 bytes, which may straddle two pieces.
    let tagParts: Buffer[] = [];
    let tagBytes = 0;
    while (tagBytes < TAG) {
      const piece = pieces.pop() as Buffer;
      const need = TAG - tagBytes;
      if (piece.length <= need) {
        tagParts.unshift(piece);
        tagBytes += piece.length;
      } else {
        tagParts.unshift(piece.subarray(piece.length - need));
        pieces.push(piece.subarray(0, piece.length - need));
        tagBytes = TAG;
      }
    }
    const tag = tagParts.length === 1 ? (tagParts[0] as Buffer) : Buffer.concat(tagParts, TAG);
    tagParts = [];
    const decipher = createDecipheriv(
      'aes-256-gcm',
      this.dataKey,
      nonceFor(this.prefix as Buffer, this.counter),
    );
    decipher.setAAD(last ? LAST : NOT_LAST);
    decipher.setAuthTag(tag);
    const plain = pieces.map((piece) => decipher.update(piece));
    // Throws unless the tag matches: nothing of an altered segment is released.
    decipher.final();
    this.counter += 1;
    if (this.hash) for (const piece of plain) this.hash.update(piece);
    return plain;
  }
}

export function newDataKey(): Buffer {
  return randomBytes(32);
}
