// Text carried in a page's address that nobody may read or change there: encrypted and authenticated
// (AES-256-GCM) under a key derived from the cookie secret for one purpose. A Lost Pupils search names a
// pupil (surname, forename, date of birth): sealed, it is not written in the browser's history, a proxy's
// or load balancer's log, or a link copied from the page, yet its results, their sorting and "Back to the
// results" are still addresses. Every server of one service shares the cookie secret, so each opens what
// another sealed.
import { createCipheriv, createDecipheriv, createHmac, hkdfSync } from 'node:crypto';

const NONCE_BYTES = 12;
const TAG_BYTES = 16;

export class SealedText {
  private readonly key: Buffer;
  private readonly nonceKey: Buffer;

  /** `purpose` keeps what is sealed for one use from being opened as another's. */
  constructor(secret: string, purpose: string) {
    const keys = Buffer.from(hkdfSync('sha256', secret, Buffer.alloc(0), `s2s sealed text: ${purpose}`, 64));
    this.key = keys.subarray(0, 32);
    this.nonceKey = keys.subarray(32);
  }

  /**
   * The text sealed, as base64url (safe in an address as it is). The same text always seals the same (its
   * nonce is a MAC of it, as in AES-GCM-SIV's synthetic nonce): one search has one address, so a link to
   * it is the same on every page, and different texts never share a nonce.
   */
  seal(text: string): string {
    const nonce = createHmac('sha256', this.nonceKey).update(text, 'utf8').digest().subarray(0, NONCE_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.key, nonce);
    const sealed = Buffer.concat([nonce, cipher.update(text, 'utf8'), cipher.final(), cipher.getAuthTag()]);
    return sealed.toString('base64url');
  }

  /** The text sealed here, or null: not sealed with this secret and purpose, changed, or cut short. */
  open(sealed: string): string | null {
    const bytes = Buffer.from(sealed, 'base64url');
    if (bytes.length < NONCE_BYTES + TAG_BYTES) return null;
    const decipher = createDecipheriv('aes-256-gcm', this.key, bytes.subarray(0, NONCE_BYTES));
    decipher.setAuthTag(bytes.subarray(bytes.length - TAG_BYTES));
    try {
      const body = bytes.subarray(NONCE_BYTES, bytes.length - TAG_BYTES);
      return Buffer.concat([decipher.update(body), decipher.final()]).toString('utf8');
    } catch {
      return null;
    }
  }
}
