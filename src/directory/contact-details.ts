// Rules for the contact details held for schools, LAs and users.
import { type Message, message } from '../platform/i18n/catalogue.ts';

/**
 * Free webmail and home internet mail is not allowed (LA notes §3.7: "Use of 'hotmail', 'yahoo' and other
 * such email domain names is strictly prohibited"): s2s mail must go to school or LA mailboxes. These
 * domains, and any domain under them.
 */
const WEBMAIL_DOMAINS = new Set([
  'blueyonder.co.uk',
  'btinternet.com',
  'btopenworld.com',
  'fastmail.com',
  'fastmail.fm',
  'hushmail.com',
  'mail.com',
  'mail.ru',
  'me.com',
  'mac.com',
  'ntlworld.com',
  'proton.me',
  'rocketmail.com',
  'sky.com',
  'talktalk.net',
  'tiscali.co.uk',
  'tutanota.com',
  'virgin.net',
  'virginmedia.com',
]);

/**
 * Webmail services that have domains in many countries (hotmail.fr, yahoo.com.au): the service's name
 * followed by a country's or a generic ending of one or two short parts (com, co.uk, fr, com.au).
 */
const WEBMAIL_NAMES = new Set([
  'aol',
  'gmail',
  'gmx',
  'googlemail',
  'hotmail',
  'icloud',
  'live',
  'msn',
  'outlook',
  'protonmail',
  'yahoo',
  'yandex',
  'ymail',
  'zoho',
]);

const EMAIL_SHAPE = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const SHORT_ENDING = /^[a-z]{2,3}$/;

function isWebmail(domain: string): boolean {
  const parts = domain.split('.');
  // The domain itself and each domain it is under (sub.hotmail.com is under hotmail.com).
  for (let start = 0; start < parts.length - 1; start += 1) {
    const tail = parts.slice(start);
    if (WEBMAIL_DOMAINS.has(tail.join('.'))) return true;
    const [name = '', ...ending] = tail;
    if (WEBMAIL_NAMES.has(name) && ending.length <= 2 && ending.every((part) => SHORT_ENDING.test(part))) {
      return true;
    }
  }
  return false;
}

/** Why an email address cannot be held, or null when it can. */
export function emailProblem(email: string): Message | null {
  if (email.length > 320 || !EMAIL_SHAPE.test(email)) return message('directory.contact.email-format');
  const domain = email.slice(email.lastIndexOf('@') + 1).toLowerCase();
  // An empty part ("school..sch.uk", or a trailing dot that would hide hotmail.com.) is no address.
  if (domain.split('.').some((part) => part === '')) return message('directory.contact.email-format');
  if (isWebmail(domain)) return message('directory.contact.webmail', { domain });
  return null;
}

/** Why a UK telephone number cannot be held, or null when it can. */
export function telephoneProblem(telephone: string): Message | null {
  const digits = telephone.replace(/[\s()-]/g, '');
  if (!/^(\+44|0)\d{9,10}$/.test(digits)) return message('directory.contact.telephone');
  return null;
}
