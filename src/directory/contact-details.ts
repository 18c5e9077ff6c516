// Rules for the contact details held for schools, LAs and users.
import { type Message, message } from '../platform/i18n/catalogue.ts';

/** Free webmail domains are not allowed (LA notes §3.7): s2s mail must go to school or LA mailboxes. */
const WEBMAIL_DOMAINS = new Set([
  'aol.com',
  'aol.co.uk',
  'btinternet.com',
  'gmail.com',
  'googlemail.com',
  'gmx.com',
  'gmx.co.uk',
  'hotmail.com',
  'hotmail.co.uk',
  'icloud.com',
  'live.com',
  'live.co.uk',
  'mail.com',
  'me.com',
  'msn.com',
  'outlook.com',
  'outlook.co.uk',
  'proton.me',
  'protonmail.com',
  'sky.com',
  'talktalk.net',
  'tiscali.co.uk',
  'virginmedia.com',
  'yahoo.com',
  'yahoo.co.uk',
  'ymail.com',
  'zoho.com',
]);

const EMAIL_SHAPE = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/** Why an email address cannot be held, or null when it can. */
export function emailProblem(email: string): Message | null {
  if (email.length > 320 || !EMAIL_SHAPE.test(email)) return message('directory.contact.email-format');
  const domain = email.slice(email.lastIndexOf('@') + 1).toLowerCase();
  if (WEBMAIL_DOMAINS.has(domain)) return message('directory.contact.webmail', { domain });
  return null;
}

/** Why a UK telephone number cannot be held, or null when it can. */
export function telephoneProblem(telephone: string): Message | null {
  const digits = telephone.replace(/[\s()-]/g, '');
  if (!/^(\+44|0)\d{9,10}$/.test(digits)) return message('directory.contact.telephone');
  return null;
}
