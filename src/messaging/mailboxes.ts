// Where messages go. A mailbox is a school, one type of user of an LA ("672 Bridgend County Borough
// Council - LEA User", LA notes §6.4), or the national administrators. Everyone who reads a mailbox
// shares it: a school's users share the school's messages, an LA's LEA Users share theirs.
import type { Actor } from '../auth/actor.ts';
import type { Role } from '../auth/permissions.ts';
import { type Message, message } from '../platform/i18n/catalogue.ts';

export type Mailbox =
  | { kind: 'school'; establishmentNumber: string }
  | { kind: 'la-role'; laNumber: string; role: LaMailboxRole }
  | { kind: 'national' };

/**
 * The types of LA user a message can be sent to, by their names' keys: in English as the Send Message
 * screen names them (LA notes §6.4: "LEA User, LEA Lost Pupil User, LEA Administrator"), then the LA's
 * other roles that use messages.
 */
export const LA_MAILBOX_ROLE_KEYS = {
  la_user: 'messaging.user-type.la-user',
  la_lost_pupil: 'messaging.user-type.la-lost-pupil',
  la_dba: 'messaging.user-type.la-dba',
  la_lost_pupil_transfer: 'messaging.user-type.la-lost-pupil-transfer',
  la_school: 'messaging.user-type.la-school',
  la_plasc: 'messaging.user-type.la-plasc',
  la_admissions: 'messaging.user-type.la-admissions',
} as const satisfies Partial<Record<Role, string>>;

export type LaMailboxRole = keyof typeof LA_MAILBOX_ROLE_KEYS;

/** The recipient picker's types of LA user: each name's key, for the page's language. */
export const USER_TYPE_CHOICES = Object.entries(LA_MAILBOX_ROLE_KEYS).map(([value, key]) => ({ value, key }));

export function isLaMailboxRole(value: string): value is LaMailboxRole {
  return Object.hasOwn(LA_MAILBOX_ROLE_KEYS, value);
}

/** The label of the national administrators' mailbox: the role's name. */
export const NATIONAL_MAILBOX_LABEL: Message = message('roles.national-admin');

/** The stored form: 'school:9165402', 'la:916:la_user' or 'national'. */
export function mailboxKey(mailbox: Mailbox): string {
  if (mailbox.kind === 'school') return `school:${mailbox.establishmentNumber}`;
  if (mailbox.kind === 'la-role') return `la:${mailbox.laNumber}:${mailbox.role}`;
  return 'national';
}

/** The mailbox a stored or submitted key names, or null when it names none. */
export function parseMailbox(key: string): Mailbox | null {
  if (key === 'national') return { kind: 'national' };
  const school = /^school:(\d{7})$/.exec(key);
  if (school?.[1]) return { kind: 'school', establishmentNumber: school[1] };
  const la = /^la:(\d{3}):([a-z_]+)$/.exec(key);
  if (la?.[1] && la[2] && isLaMailboxRole(la[2])) return { kind: 'la-role', laNumber: la[1], role: la[2] };
  return null;
}

/** The mailbox a user reads and sends from, or null for roles without messages. */
export function mailboxOf(actor: Pick<Actor, 'role' | 'laNumber' | 'establishmentNumber'>): Mailbox | null {
  if (actor.role === 'school') {
    return actor.establishmentNumber
      ? { kind: 'school', establishmentNumber: actor.establishmentNumber }
      : null;
  }
  if (actor.role === 'national_admin') return { kind: 'national' };
  if (isLaMailboxRole(actor.role) && actor.laNumber) {
    return { kind: 'la-role', laNumber: actor.laNumber, role: actor.role };
  }
  return null;
}

/** The LA a mailbox belongs to (a school's LA), for the LA's message report. */
export function laOfMailbox(mailbox: Mailbox): string | null {
  if (mailbox.kind === 'school') return mailbox.establishmentNumber.slice(0, 3);
  if (mailbox.kind === 'la-role') return mailbox.laNumber;
  return null;
}

/** The organisation a mailbox belongs to, as the audit log records it: a school, an LA, or none. */
export function organisationOfMailbox(mailbox: Mailbox): string | null {
  if (mailbox.kind === 'school') return mailbox.establishmentNumber;
  if (mailbox.kind === 'la-role') return mailbox.laNumber;
  return null;
}
