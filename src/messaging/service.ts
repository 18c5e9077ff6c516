// Secure messaging (handbook §11, LA notes §6): what a mailbox has received and sent, sending to a group
// or up to ten recipients as an s2s message (the recipients told by email that it waits, never what it
// says) or as an ordinary email, replying to the sender only, and the 31/14-day expiry.

import { recordAudit } from '../audit/repository.ts';
import type { Actor } from '../auth/actor.ts';
import { laName, nameAndCode, schoolName } from '../directory/organisation-names.ts';
import { getEstablishment, getLocalAuthority } from '../directory/repository.ts';
import { enqueueNotification } from '../notifications/outbox.ts';
import { usersOrTheirLa } from '../notifications/recipients.ts';
import type { Clock } from '../platform/clock.ts';
import { insertOnce } from '../platform/db/insert-once.ts';
import type { Db, Executor, MessageRecipientRow, MessageRow } from '../platform/db/schema.ts';
import { type FieldError, Forbidden, Invalid, LimitReached, NotFound } from '../platform/errors.ts';
import {
  dateTimeParam,
  keyedError,
  type Language,
  type Message,
  message,
  textIn,
} from '../platform/i18n/catalogue.ts';
import { takeFromWindow } from '../platform/rate-limits.ts';
import { type DateRange, type DateRangeInput, readDateRange } from '../reports/date-range.ts';
import type { Subject } from '../reports/report-la.ts';
import { groupMemberKeys, groupsOwnedBy } from './group-repository.ts';
import {
  describeMailboxes,
  type MailboxInfo,
  problemError,
  readersOf,
  shownLabel,
  storedLabel,
} from './mailbox-directory.ts';
import { type Mailbox, mailboxKey, mailboxOf, organisationOfMailbox } from './mailboxes.ts';
import type { PickerLimit } from './recipient-picker.ts';
import {
  countUnread,
  findDeleted,
  findReceived,
  findSent,
  insertMessage,
  listInbox,
  listSent,
  markRead,
  messagesBySchool,
  type ReceivedMessage,
  type Retention,
  removeCopy,
  type SchoolMessages,
  type SentMessage,
} from './repository.ts';

/** Handbook §11: "Messages in red text have not been read. These will be deleted after: 31 days." */
export const UNREAD_DAYS = 31;
/** "Messages in black text have been read. These will be deleted after: 14 days." */
export const READ_DAYS = 14;
export const RETENTION: Retention = { unreadDays: UNREAD_DAYS, readDays: READ_DAYS };
/** "Up to ten s2s users" (handbook §11); more go through an address group. */
export const MAX_RECIPIENTS = 10;
export const RECIPIENT_LIMIT: PickerLimit = {
  limit: MAX_RECIPIENTS,
  tooMany: message('messaging.send.too-many-recipients', { max: MAX_RECIPIENTS }),
};
/**
 * The emails a user may send through Send Message's "email" in a clock hour, counted by address written
 * to (decision 85): a school is one, an LA type of user one for each of its users with an address of
 * their own and one for the LA's address. s2s messages are not counted.
 */
export const EMAIL_LIMIT_PER_HOUR = 400;
const EMAIL_LIMIT_WINDOW_MS = 3_600_000;

/** The user's key in the shared rate-limit counters (platform/rate-limits.ts). */
export function emailLimitKey(userId: string): string {
  return `message-emails:${userId}`;
}
export const MAX_DESCRIPTION = 100;
export const MAX_TEXT = 20_000;
/** What a page or the API says was not found when a message is not the reader's to see. */
export const NO_SUCH_MESSAGE = message('messaging.not-found.message');

export type Delivery = MessageRow['delivery'];

/** LEA Administrator – Message Report (LA notes §7.7): the LA's open schools and their messages. */
export interface MessageReport {
  range: DateRange;
  /** "Ashire (916)". */
  subject: Subject;
  laNumber: string;
  schools: SchoolMessages[];
  /** How many of the schools have messages they have not read. */
  withUnread: number;
}

export interface Draft {
  /** The chosen mailboxes, when no group is chosen. */
  recipients: string[];
  /** An address group of the sender's, instead of recipients. */
  groupId?: string;
  description: string;
  text: string;
  delivery: string;
}

export type InboxSortKey = 'from' | 'sent' | 'description';
export interface InboxSort {
  key: InboxSortKey;
  order: 'ascending' | 'descending';
}

/** A message in the inbox, with its sender's label as the reader is shown it (shownLabel). */
export interface InboxMessage extends ReceivedMessage {
  sender: string | Message;
}

export interface ReadMessage {
  message: MessageRow;
  copy: MessageRecipientRow;
  /** The sender's label and the reader's mailbox's, as the reader is shown them (shownLabel). */
  sender: string | Message;
  recipient: string | Message;
  /** Whether the sender's mailbox can take a reply now. */
  canReply: boolean;
  /** Whether this opening was the one that marked it read (one fewer unread in the mailbox). */
  firstReading: boolean;
}

/** A message sent, or found sent already from the same form (`already`). */
export interface Delivered {
  id: string;
  recipients: number;
  already: boolean;
}

export class MessagesService {
  constructor(private readonly deps: { db: Db; clock: Clock }) {}

  /** A message in a mailbox, while it is there: not deleted, and not past its time (RETENTION) at `now`. */
  private received(db: Executor, mailbox: string, messageId: string, now = this.deps.clock.now()) {
    return findReceived(db, mailbox, messageId, now, RETENTION);
  }

  /** The actor's mailbox: refused for roles without one (the permission table already keeps them out). */
  private mailbox(actor: Actor): Mailbox {
    const mailbox = mailboxOf(actor);
    if (!mailbox) throw new Forbidden('Your account has no mailbox for messages', 'messaging.no-mailbox');
    return mailbox;
  }

  /** The inbox, sorted as it reads in `language` (senders' labels hold types of user in words). */
  async inbox(
    actor: Actor,
    sort: InboxSort,
    language: Language = 'en',
  ): Promise<{ messages: InboxMessage[]; unread: number }> {
    const messages = (
      await listInbox(this.deps.db, mailboxKey(this.mailbox(actor)), this.deps.clock.now(), RETENTION)
    ).map((m) => ({
      ...m,
      sender: shownLabel(m.senderMailbox, m.senderLabel),
    }));
    return {
      messages: sortInbox(messages, sort, language),
      unread: messages.filter((m) => !m.readAt).length,
    };
  }

  /** How many messages wait unread for the actor (none for roles without messages). */
  async unreadCount(actor: Actor): Promise<number> {
    const mailbox = mailboxOf(actor);
    return mailbox ? countUnread(this.deps.db, mailboxKey(mailbox), this.deps.clock.now(), RETENTION) : 0;
  }

  /** Opens a message: the first reader marks it read for the whole mailbox. */
  async read(actor: Actor, messageId: string): Promise<ReadMessage> {
    const key = mailboxKey(this.mailbox(actor));
    const found = await this.received(this.deps.db, key, messageId);
    if (!found) throw new NotFound(NO_SUCH_MESSAGE);
    let firstReading = false;
    if (!found.copy.read_at) {
      const at = this.deps.clock.now().toISOString();
      firstReading = await markRead(this.deps.db, messageId, key, actor.userId, at);
      found.copy = { ...found.copy, read_at: at, read_by: actor.userId };
    }
    const [sender] = await describeMailboxes(this.deps.db, [found.message.sender_mailbox]);
    return {
      ...found,
      sender: shownLabel(found.message.sender_mailbox, found.message.sender_label),
      recipient: shownLabel(found.copy.mailbox, found.copy.label),
      canReply: Boolean(sender && !sender.problem),
      firstReading,
    };
  }

  /**
   * Deletes the mailbox's copy; `already` when it was deleted before (the same form posted again, or by
   * a colleague reading the same mailbox), which changes nothing.
   */
  async delete(actor: Actor, messageId: string): Promise<{ message: MessageRow; already: boolean }> {
    const key = mailboxKey(this.mailbox(actor));
    return this.deps.db.transaction().execute(async (tx) => {
      const at = this.deps.clock.now();
      const found = await this.received(tx, key, messageId, at);
      // Removed only if no one removed it since it was found: a post at once with this one found it too.
      if (!found || !(await removeCopy(tx, messageId, key, at.toISOString(), 'deleted'))) {
        const deleted = await findDeleted(tx, key, messageId);
        if (!deleted) throw new NotFound(NO_SUCH_MESSAGE);
        return { message: deleted, already: true };
      }
      await recordAudit(tx, {
        at,
        actorUserId: actor.userId,
        actorUsername: actor.username,
        organisation: organisationOfMailbox(this.mailbox(actor)),
        action: 'message-deleted',
        subjectType: 'message',
        subjectId: messageId,
      });
      return { message: found.message, already: false };
    });
  }

  /** The address groups the actor may send to. */
  async groups(actor: Actor) {
    return groupsOwnedBy(this.deps.db, actor.userId);
  }

  /** The recipients of a draft, with a problem for any a message cannot reach now. */
  async recipientsOf(actor: Actor, draft: Pick<Draft, 'recipients' | 'groupId'>): Promise<MailboxInfo[]> {
    if (draft.groupId) {
      const group = (await groupsOwnedBy(this.deps.db, actor.userId)).find((g) => g.id === draft.groupId);
      if (!group) throw new Invalid([keyedError('group', 'messaging.send.select-group')]);
      return describeMailboxes(this.deps.db, await groupMemberKeys(this.deps.db, group.id));
    }
    return describeMailboxes(this.deps.db, draft.recipients);
  }

  /**
   * Sends a message; returns its id, how many mailboxes it went to, and whether it had gone already: sent
   * before from the same form (`formId`), when nothing is sent again.
   */
  async send(actor: Actor, draft: Draft, formId?: string): Promise<Delivered> {
    const sender = this.mailbox(actor);
    const errors: FieldError[] = [];
    const recipients = await this.checkRecipients(actor, draft, errors);
    const { description, text, delivery } = checkContent(draft, errors);
    if (errors.length > 0) throw new Invalid(errors);
    return this.deliver(actor, sender, { recipients, description, text, delivery, inReplyTo: null, formId });
  }

  /** Replies go to the sender of the original message only, as an s2s message; once per `formId`, as send. */
  async reply(
    actor: Actor,
    messageId: string,
    draft: Pick<Draft, 'description' | 'text'>,
    formId?: string,
  ): Promise<Delivered> {
    const sender = this.mailbox(actor);
    const found = await this.received(this.deps.db, mailboxKey(sender), messageId);
    if (!found) throw new NotFound(NO_SUCH_MESSAGE);
    const errors: FieldError[] = [];
    const recipients = await describeMailboxes(this.deps.db, [found.message.sender_mailbox]);
    for (const r of recipients) if (r.problem) errors.push(problemError('text', r));
    const content = checkContent({ ...draft, delivery: 'message' }, errors);
    if (errors.length > 0) throw new Invalid(errors);
    return this.deliver(actor, sender, { recipients, ...content, inReplyTo: messageId, formId });
  }

  /**
   * Who the actor's messages are from, as their recipients see it: "916 Ashire - LEA User" (the LA and
   * the actor's type of LA user), "916 5402 - Alder Primary", or the national administrators.
   */
  async senderName(actor: Actor): Promise<string | Message> {
    return this.labelOf(this.mailbox(actor));
  }

  private async labelOf(mailbox: Mailbox): Promise<string | Message> {
    const key = mailboxKey(mailbox);
    const [info] = await describeMailboxes(this.deps.db, [key]);
    return info?.label ?? key;
  }

  async sent(actor: Actor): Promise<SentMessage[]> {
    return listSent(this.deps.db, mailboxKey(this.mailbox(actor)));
  }

  /** A sent message and its recipients, each with its label as the reader is shown it (shownLabel). */
  async sentMessage(actor: Actor, messageId: string) {
    const found = await findSent(this.deps.db, mailboxKey(this.mailbox(actor)), messageId);
    if (!found) throw new NotFound(NO_SUCH_MESSAGE);
    return {
      message: found.message,
      recipients: found.recipients.map((copy) => ({ ...copy, name: shownLabel(copy.mailbox, copy.label) })),
    };
  }

  /**
   * LEA Administrator – Message Report for the actor's LA, over From and To as every report reads them
   * (reports/date-range.ts): Invalid with what to change.
   */
  async messageReport(actor: Actor, criteria: DateRangeInput): Promise<MessageReport> {
    const laNumber = actor.laNumber;
    if (!laNumber) throw new Forbidden('The message report is for an LA', 'messaging.report.for-an-la');
    const read = readDateRange(criteria, this.deps.clock.now());
    if (!read.range) throw new Invalid(read.errors);
    const [la, schools] = await Promise.all([
      getLocalAuthority(this.deps.db, laNumber),
      messagesBySchool(this.deps.db, laNumber, read.range),
    ]);
    return {
      range: read.range,
      subject: la ? `${la.name} (${laNumber})` : laName(laNumber, null),
      laNumber,
      schools,
      withUnread: schools.filter((school) => school.unread > 0).length,
    };
  }

  private async checkRecipients(actor: Actor, draft: Draft, errors: FieldError[]): Promise<MailboxInfo[]> {
    let recipients: MailboxInfo[];
    try {
      recipients = await this.recipientsOf(actor, draft);
    } catch (error) {
      if (!(error instanceof Invalid)) throw error;
      errors.push(...error.errors);
      return [];
    }
    const field = draft.groupId ? 'group' : 'recipient-list';
    if (recipients.length === 0) {
      errors.push(
        keyedError(field, draft.groupId ? 'messaging.send.group-empty' : 'messaging.send.choose-recipient'),
      );
    }
    if (!draft.groupId && recipients.length > MAX_RECIPIENTS) {
      errors.push(keyedError(field, RECIPIENT_LIMIT.tooMany.key, RECIPIENT_LIMIT.tooMany.params));
    }
    for (const r of recipients) if (r.problem) errors.push(problemError(field, r));
    return recipients;
  }

  private async deliver(
    actor: Actor,
    sender: Mailbox,
    content: {
      recipients: MailboxInfo[];
      description: string;
      text: string;
      delivery: Delivery;
      inReplyTo: string | null;
      formId: string | undefined;
    },
  ): Promise<Delivered> {
    const senderKey = mailboxKey(sender);
    // Stored in English for both ends; each email writes it in its reader's words.
    const fromName = await this.labelOf(sender);
    const at = this.deps.clock.now();
    return this.deps.db.transaction().execute(async (tx) => {
      const message = {
        senderUserId: actor.userId,
        senderMailbox: senderKey,
        senderLabel: textIn('en', fromName),
        description: content.description,
        body: content.text,
        delivery: content.delivery,
        inReplyTo: content.inReplyTo,
        sentAt: at.toISOString(),
        recipients: content.recipients.map((r) => ({
          mailbox: r.key,
          label: storedLabel(r),
          laNumber: r.laNumber,
          establishmentNumber: r.establishmentNumber,
        })),
      };
      // The message takes its form's id: the same form posted again (or at once) sends nothing more.
      const inserted = await insertOnce(
        content.formId,
        (id) => insertMessage(tx, { ...message, id }),
        (id) => findSent(tx, senderKey, id),
      );
      if ('already' in inserted) {
        const earlier = inserted.already;
        return { id: earlier.message.id, recipients: earlier.recipients.length, already: true };
      }
      const { id } = inserted;
      const written = [];
      for (const recipient of content.recipients) {
        written.push({ recipient, targets: await targetsOf(tx, recipient.mailbox) });
      }
      // An email's every address counts against the sender's hour, all or none (decision 85): refused,
      // the message above goes with the transaction, and nothing is queued.
      const emails = written.reduce((sum, w) => sum + w.targets.length, 0);
      if (content.delivery === 'email') await takeEmails(tx, actor, emails, at);
      const organisation = content.delivery === 'email' ? await organisationOf(tx, sender, fromName) : null;
      for (const { recipient, targets } of written) {
        await notifyRecipient(tx, recipient, targets, {
          at,
          messageId: id,
          fromName,
          organisation,
          description: content.description,
          text: content.text,
          delivery: content.delivery,
        });
      }
      await recordAudit(tx, {
        at,
        actorUserId: actor.userId,
        actorUsername: actor.username,
        organisation: organisationOfMailbox(sender),
        action: content.inReplyTo ? 'message-replied' : 'message-sent',
        subjectType: 'message',
        subjectId: id,
        detail: {
          recipients: content.recipients.map((r) => r.key),
          delivery: content.delivery,
          // The addresses an email went to, as its sender's hour counts them (decision 85).
          ...(content.delivery === 'email' ? { emails } : {}),
        },
      });
      return { id, recipients: content.recipients.length, already: false };
    });
  }
}

function checkContent(
  draft: Pick<Draft, 'description' | 'text' | 'delivery'>,
  errors: FieldError[],
): { description: string; text: string; delivery: Delivery } {
  const description = draft.description.trim();
  const text = draft.text.replace(/\r\n/g, '\n').trim();
  if (description === '') errors.push(keyedError('description', 'messaging.send.enter-description'));
  else if (description.length > MAX_DESCRIPTION) {
    errors.push(
      keyedError('description', 'messaging.send.description-too-long', {
        max: MAX_DESCRIPTION,
        length: description.length,
      }),
    );
  }
  if (text === '') errors.push(keyedError('text', 'messaging.send.enter-text'));
  else if (text.length > MAX_TEXT) {
    errors.push(
      keyedError('text', 'messaging.send.text-too-long', {
        max: MAX_TEXT.toLocaleString('en-GB'),
        length: text.length.toLocaleString('en-GB'),
      }),
    );
  }
  const delivery = draft.delivery;
  if (delivery !== 'message' && delivery !== 'email') {
    errors.push(keyedError('delivery', 'messaging.send.choose-delivery'));
    return { description, text, delivery: 'message' };
  }
  return { description, text, delivery };
}

type Target = Awaited<ReturnType<typeof targetsOf>>[number];

/**
 * Where a mailbox's emails go: a school at its own address; an LA type of user, each such user at their
 * own address, and the LA's once for those without one; the national administrators each at theirs.
 */
async function targetsOf(tx: Executor, mailbox: Mailbox) {
  if (mailbox.kind === 'school') {
    return [{ recipientKind: 'school' as const, recipient: mailbox.establishmentNumber }];
  }
  if (mailbox.kind === 'la-role') return usersOrTheirLa(await readersOf(tx, mailbox), mailbox.laNumber);
  return (await readersOf(tx, mailbox)).map((user) => ({
    recipientKind: 'user' as const,
    recipient: user.id,
  }));
}

/**
 * Counts `emails` against the actor's hour (EMAIL_LIMIT_PER_HOUR), or refuses them all: LimitReached
 * (429, with when to send again) while the hour has too few left, Invalid when no hour could take them.
 */
async function takeEmails(tx: Executor, actor: Actor, emails: number, at: Date): Promise<void> {
  const limit = EMAIL_LIMIT_PER_HOUR;
  if (emails > limit) {
    throw new Invalid([
      keyedError('delivery', 'messaging.send.email-limit-too-many', { count: emails, limit }),
    ]);
  }
  const take = await takeFromWindow(
    tx,
    emailLimitKey(actor.userId),
    at,
    EMAIL_LIMIT_WINDOW_MS,
    emails,
    limit,
  );
  if (take.taken) return;
  const until = new Date(at.getTime() + take.ttl).toISOString();
  throw new LimitReached(
    [
      keyedError('delivery', 'messaging.send.email-limit', {
        count: emails,
        sent: take.current,
        limit,
        until: dateTimeParam(until),
      }),
    ],
    Math.max(1, Math.ceil(take.ttl / 1000)),
  );
}

/**
 * Who wrote a message sent as an email, for its subject and first line: "Alder Primary (9165402)",
 * "Ashire LA (916)", s2s national administration; the mailbox's label if the directory lacks it.
 */
async function organisationOf(
  tx: Executor,
  sender: Mailbox,
  fromName: string | Message,
): Promise<string | Message> {
  if (sender.kind === 'national') return message('auth.organisation.national');
  if (sender.kind === 'la-role') {
    const la = await getLocalAuthority(tx, sender.laNumber);
    return nameAndCode(laName(sender.laNumber, la?.name), sender.laNumber);
  }
  const school = await getEstablishment(tx, sender.establishmentNumber);
  return school
    ? nameAndCode(schoolName(sender.establishmentNumber, school.name), sender.establishmentNumber)
    : fromName;
}

/**
 * An s2s message: each reader is told by email that it waits, never what it says. An email: the message
 * itself goes out, saying who wrote it. One email to each of the mailbox's targets (targetsOf).
 */
async function notifyRecipient(
  tx: Executor,
  recipient: MailboxInfo,
  targets: Target[],
  message: {
    at: Date;
    messageId: string;
    fromName: string | Message;
    organisation: string | Message | null;
    description: string;
    text: string;
    delivery: Delivery;
  },
): Promise<void> {
  const mailbox = recipient.mailbox;
  for (const target of targets) {
    // The LA's own address stands in for those of a type of its users without one: told of an s2s message,
    // it is told which type it is for (only they can read it), once for each type.
    const forType =
      message.delivery === 'message' && target.recipientKind === 'la' && mailbox.kind === 'la-role'
        ? mailbox.role
        : null;
    const payload: Record<string, string | Message> =
      message.delivery === 'message'
        ? {
            fromName: message.fromName,
            sentAt: message.at.toISOString(),
            ...(forType ? { forMailbox: recipient.label } : {}),
          }
        : {
            fromName: message.fromName,
            ...(message.organisation ? { organisation: message.organisation } : {}),
            description: message.description,
            text: message.text,
          };
    await enqueueNotification(tx, {
      at: message.at,
      template: message.delivery === 'message' ? 'new-message' : 'message-by-email',
      ...target,
      payload,
      dedupeKey: `message:${message.messageId}:${target.recipientKind}:${target.recipient}${forType ? `:${forType}` : ''}`,
    });
  }
}

const collator = new Intl.Collator('en-GB', { sensitivity: 'base', numeric: true });

function sortInbox(messages: InboxMessage[], sort: InboxSort, language: Language): InboxMessage[] {
  const direction = sort.order === 'ascending' ? 1 : -1;
  const compare = (a: InboxMessage, b: InboxMessage) => {
    if (sort.key === 'from') return collator.compare(textIn(language, a.sender), textIn(language, b.sender));
    if (sort.key === 'description') return collator.compare(a.description, b.description);
    return a.sentAt.localeCompare(b.sentAt);
  };
  return [...messages].sort(
    (a, b) => direction * compare(a, b) || b.sentAt.localeCompare(a.sentAt) || (a.id < b.id ? -1 : 1),
  );
}
