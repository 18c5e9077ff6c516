// A download ticket lets the "Was the file downloaded correctly?" page start the download with a plain
// link (no JavaScript), while the download itself can only follow a confirmed, CSRF-protected "Yes":
// the ticket is an HMAC of who confirmed which files, valid for a few minutes. A page on another site
// cannot mint one, so it cannot make a signed-in browser fetch (and record a download of) pupil files.
import { createHmac, timingSafeEqual } from 'node:crypto';

/** Long enough to use the "download it again" link on the question page; short enough to be useless later. */
export const TICKET_MINUTES = 15;

export class DownloadTickets {
  private readonly key: Buffer;

  constructor(secret: string) {
    this.key = createHmac('sha256', secret).update('s2s download tickets').digest();
  }

  issue(userId: string, category: string, ids: readonly string[], now: Date): string {
    const expires = now.getTime() + TICKET_MINUTES * 60_000;
    return `${expires}.${this.sign(userId, category, ids, expires)}`;
  }

  isValid(ticket: string, userId: string, category: string, ids: readonly string[], now: Date): boolean {
    const match = /^(\d{1,15})\.([A-Za-z0-9_-]{43})$/.exec(ticket);
    if (!match?.[1] || !match[2]) return false;
    const expires = Number(match[1]);
    if (expires < now.getTime()) return false;
    const expected = Buffer.from(this.sign(userId, category, ids, expires));
    const given = Buffer.from(match[2]);
    return expected.length === given.length && timingSafeEqual(expected, given);
  }

  private sign(userId: string, category: string, ids: readonly string[], expires: number): string {
    const subject = [userId, category, [...ids].sort().join(','), String(expires)].join('|');
    return createHmac('sha256', this.key).update(subject).digest('base64url');
  }
}
