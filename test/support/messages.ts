// Messages written straight into the database, for tests that need one in a mailbox.
import { randomUUID } from 'node:crypto';
import type { Actor } from '../../src/auth/actor.ts';
import type { Role } from '../../src/auth/permissions.ts';
import { describeMailboxes, storedLabel } from '../../src/messaging/mailbox-directory.ts';
import { mailboxKey, mailboxOf } from '../../src/messaging/mailboxes.ts';
import { insertMessage } from '../../src/messaging/repository.ts';
import type { Db, UserRow } from '../../src/platform/db/schema.ts';

export function actorOf(user: UserRow): Actor {
  return {
    userId: user.id,
    username: user.username,
    role: user.role as Role,
    laNumber: user.la_number,
    establishmentNumber: user.establishment_number,
  };
}

/** The mailbox key a user reads. */
export function mailboxOfUser(user: UserRow): string {
  const mailbox = mailboxOf(actorOf(user));
  if (!mailbox) throw new Error(`a ${user.role} user has no mailbox`);
  return mailboxKey(mailbox);
}

/** A message from `sender` to the mailboxes, sent `sentAt` (now by default); returns its id. */
export async function makeMessage(
  db: Db,
  sender: UserRow,
  to: string[],
  options: { sentAt?: Date; description?: string; body?: string; delivery?: 'message' | 'email' } = {},
): Promise<string> {
  const senderMailbox = mailboxOfUser(sender);
  const [from] = await describeMailboxes(db, [senderMailbox]);
  const recipients = await describeMailboxes(db, to);
  const id = randomUUID();
  const written = await insertMessage(db, {
    id,
    senderUserId: sender.id,
    senderMailbox,
    senderLabel: from ? storedLabel(from) : senderMailbox,
    description: options.description ?? 'A message',
    body: options.body ?? 'Some text',
    delivery: options.delivery ?? 'message',
    inReplyTo: null,
    sentAt: (options.sentAt ?? new Date()).toISOString(),
    recipients: recipients.map((r) => ({
      mailbox: r.key,
      label: storedLabel(r),
      laNumber: r.laNumber,
      establishmentNumber: r.establishmentNumber,
    })),
  });
  if (!written) throw new Error('a message with a new id was not written');
  return id;
}
