// What pages and emails call a school or an LA: its name in the directory, and the words s2s adds to it
// ("Ashire LA", "Ashire PLASC inbox"), or, when the directory has no name, one made up from its number
// ("School 9165402", "LA 916"). Whatever s2s words are in it make it a message, written in the reader's
// language (an email's recipient's); the REST API and the CSV files write it in English.
import { type Message, message } from '../platform/i18n/catalogue.ts';

/** A name from the directory as it is, or one s2s makes or completes, as a message. */
export type OrganisationName = string | Message;

/** The school's name, or "School 9165402". */
export function schoolName(number: string, name: string | null | undefined): OrganisationName {
  return name ?? message('directory.name.school', { number });
}

/** "Ashire LA", or "LA 916". */
export function laName(number: string, name: string | null | undefined): OrganisationName {
  return name ? message('directory.name.la', { name }) : message('directory.name.la-number', { number });
}

const INBOX_NAMES = {
  PLAS: { named: 'directory.name.plasc-inbox', numbered: 'directory.name.plasc-inbox.la-number' },
  ADMS: { named: 'directory.name.admissions-inbox', numbered: 'directory.name.admissions-inbox.la-number' },
};

/** An LA's inbox (PLAS, ADMS): "Ashire PLASC inbox", "LA 916 admissions inbox". */
export function laInboxName(
  number: string,
  inbox: string,
  name: string | null | undefined,
): OrganisationName {
  const keys = inbox === 'PLAS' ? INBOX_NAMES.PLAS : INBOX_NAMES.ADMS;
  return name ? message(keys.named, { name }) : message(keys.numbered, { number });
}

/** "Ashire LA (916LLLL)": a name followed by its code. */
export function nameAndCode(name: OrganisationName, code: string): OrganisationName {
  return typeof name === 'string' ? `${name} (${code})` : message('directory.name.with-code', { name, code });
}
