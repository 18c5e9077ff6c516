// The directory as messaging sees it: what each mailbox is called, whether a message can go there,
// who reads it, and the choices of the recipient lists (LAs, types of LA user, an LA's schools).
import type { Executor } from '../platform/db/schema.ts';
import type { FieldError } from '../platform/errors.ts';
import {
  keyedError,
  type Message,
  message,
  textIn,
  translate,
  translateMessage,
} from '../platform/i18n/catalogue.ts';
import {
  LA_MAILBOX_ROLE_KEYS,
  type LaMailboxRole,
  type Mailbox,
  mailboxKey,
  NATIONAL_MAILBOX_LABEL,
  parseMailbox,
} from './mailboxes.ts';

export interface MailboxInfo {
  key: string;
  mailbox: Mailbox;
  /**
   * "676 2382 - Aberbargoed Primary School"; "672 Bridgend County Borough Council - LEA User", a message
   * (the type of user is in the reader's language on pages, in English where it is stored: labelIn).
   */
  label: string | Message;
  laNumber: string | null;
  establishmentNumber: string | null;
  /** Why a message cannot be sent there now, in words for the sender (English); null when it can. */
  problem: string | null;
  /** The same reason as a catalogue message, shown in the reader's language on pages. */
  problemMessage: Message | null;
}

/** A reason a message cannot go to a mailbox: in English for the API and logs, and as its key for pages. */
function problemOf(reason: Message | null): Pick<MailboxInfo, 'problem' | 'problemMessage'> {
  return { problem: reason ? translateMessage('en', reason) : null, problemMessage: reason };
}

/** A mailbox's problem as a field error (in the reader's language on pages); `wrap` puts it in a sentence. */
export function problemError(field: string, info: MailboxInfo, wrap?: string): FieldError {
  const reason = info.problemMessage ?? message('messaging.recipients.cannot-receive', { label: info.label });
  return wrap ? keyedError(field, wrap, { problem: reason }) : keyedError(field, reason.key, reason.params);
}

/** A mailbox's label in English, as a message stores it for both its ends. */
export function storedLabel(info: MailboxInfo): string {
  return textIn('en', info.label);
}

/**
 * A label a message stored (in English, for both its ends) as its reader is shown it: an LA mailbox's
 * "672 Bridgend - LEA User" with its type of user, and the national administrators' role name, in the
 * reader's language (as messages). Any other label, or one not as s2s wrote it, is shown as stored.
 */
export function shownLabel(key: string, stored: string): string | Message {
  const mailbox = parseMailbox(key);
  if (mailbox?.kind === 'national') {
    return stored === translateMessage('en', NATIONAL_MAILBOX_LABEL) ? NATIONAL_MAILBOX_LABEL : stored;
  }
  if (mailbox?.kind !== 'la-role') return stored;
  const suffix = ` - ${translate('en', LA_MAILBOX_ROLE_KEYS[mailbox.role])}`;
  if (!stored.endsWith(suffix)) return stored;
  return laUsersLabel(stored.slice(0, -suffix.length), mailbox.role);
}

/** "672 Bridgend - LEA User": an LA (its number and name, or its number alone) and a type of its users. */
function laUsersLabel(la: string, role: LaMailboxRole): Message {
  return message('messaging.mailbox.la-users', { la, type: message(LA_MAILBOX_ROLE_KEYS[role]) });
}

/** "676 2382 - Aberbargoed Primary School": the LA and school numbers as the handbook lists them. */
export function schoolLabel(number: string, name: string): string {
  return `${number.slice(0, 3)} ${number.slice(3)} - ${name}`;
}

/**
 * The mailboxes the keys name, in the order given, each once. A key that names no mailbox is left out
 * (it can only come from a tampered form); one that names a mailbox a message cannot reach has a problem.
 */
export async function describeMailboxes(db: Executor, keys: readonly string[]): Promise<MailboxInfo[]> {
  const mailboxes = [...new Set(keys)].flatMap((key) => {
    const mailbox = parseMailbox(key);
    return mailbox ? [mailbox] : [];
  });
  const schoolNumbers = mailboxes.flatMap((m) => (m.kind === 'school' ? [m.establishmentNumber] : []));
  const laNumbers = mailboxes.flatMap((m) => (m.kind === 'la-role' ? [m.laNumber] : []));
  const schools = new Map(
    schoolNumbers.length === 0
      ? []
      : (
          await db
            .selectFrom('establishments')
            .select(['number', 'name', 'status', 'uses_s2s', 'active'])
            .where('number', 'in', schoolNumbers)
            .execute()
        ).map((row) => [row.number, row]),
  );
  const las = new Map(
    laNumbers.length === 0
      ? []
      : (
          await db
            .selectFrom('local_authorities')
            .select(['number', 'name'])
            .where('number', 'in', laNumbers)
            .execute()
        ).map((row) => [row.number, row.name]),
  );
  const staffed = new Set(
    laNumbers.length === 0
      ? []
      : (
          await db
            .selectFrom('users')
            .select(['la_number', 'role'])
            .distinct()
            .where('la_number', 'in', laNumbers)
            .where('establishment_number', 'is', null)
            .where('deleted_at', 'is', null)
            .execute()
        ).map((row) => `la:${row.la_number}:${row.role}`),
  );

  return mailboxes.map((mailbox): MailboxInfo => {
    const key = mailboxKey(mailbox);
    if (mailbox.kind === 'national') {
      return {
        key,
        mailbox,
        label: NATIONAL_MAILBOX_LABEL,
        laNumber: null,
        establishmentNumber: null,
        ...problemOf(null),
      };
    }
    if (mailbox.kind === 'school') {
      const number = mailbox.establishmentNumber;
      const row = schools.get(number);
      const base = { key, mailbox, laNumber: number.slice(0, 3), establishmentNumber: number };
      if (!row) {
        return {
          ...base,
          label: `${number.slice(0, 3)} ${number.slice(3)}`,
          ...problemOf(
            message('messaging.recipients.no-such-school', {
              number: `${number.slice(0, 3)} ${number.slice(3)}`,
            }),
          ),
        };
      }
      const label = schoolLabel(number, row.name);
      const problem =
        row.status === 'closed'
          ? message('messaging.recipients.school-closed', { label })
          : row.uses_s2s === 0
            ? message('messaging.recipients.school-not-on-s2s', { label })
            : row.active === 0
              ? message('messaging.recipients.school-inactive', { label })
              : null;
      return { ...base, label, ...problemOf(problem) };
    }
    const laName = las.get(mailbox.laNumber);
    const base = { key, mailbox, laNumber: mailbox.laNumber, establishmentNumber: null };
    if (laName === undefined) {
      return {
        ...base,
        label: laUsersLabel(mailbox.laNumber, mailbox.role),
        ...problemOf(message('messaging.recipients.no-such-la', { number: mailbox.laNumber })),
      };
    }
    const la = `${mailbox.laNumber} ${laName}`;
    const type = message(LA_MAILBOX_ROLE_KEYS[mailbox.role]);
    return {
      ...base,
      label: laUsersLabel(la, mailbox.role),
      ...problemOf(staffed.has(key) ? null : message('messaging.recipients.no-such-user-type', { la, type })),
    };
  });
}

/** The signed-in users who read a mailbox (those told by email that a message waits there). */
export async function readersOf(
  db: Executor,
  mailbox: Mailbox,
): Promise<{ id: string; email: string | null }[]> {
  let query = db.selectFrom('users').select(['id', 'email']).where('deleted_at', 'is', null);
  if (mailbox.kind === 'school') {
    query = query
      .where('role', '=', 'school')
      .where('establishment_number', '=', mailbox.establishmentNumber);
  } else if (mailbox.kind === 'la-role') {
    query = query
      .where('role', '=', mailbox.role)
      .where('la_number', '=', mailbox.laNumber)
      .where('establishment_number', 'is', null);
  } else {
    query = query.where('role', '=', 'national_admin');
  }
  return query.orderBy('id').execute();
}

export interface Choice {
  value: string;
  text: string;
}

/** The LA's open schools that use s2s with an active account ("Populate School List"), by name. */
export async function schoolChoices(db: Executor, laNumber: string): Promise<Choice[]> {
  const rows = await db
    .selectFrom('establishments')
    .select(['number', 'name'])
    .where('la_number', '=', laNumber)
    .where('status', '=', 'open')
    .where('uses_s2s', '=', 1)
    .where('active', '=', 1)
    .orderBy('name')
    .orderBy('number')
    .execute();
  return rows.map((row) => ({ value: `school:${row.number}`, text: schoolLabel(row.number, row.name) }));
}
