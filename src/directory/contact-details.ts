// Rules for the contact details held for schools, LAs and users.

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
export function emailProblem(email: string): string | null {
  if (email.length > 320 || !EMAIL_SHAPE.test(email)) {
    return 'Enter an email address in the correct format, like name@school.example.sch.uk';
  }
  const domain = email.slice(email.lastIndexOf('@') + 1).toLowerCase();
  if (WEBMAIL_DOMAINS.has(domain)) {
    return `Email addresses on free webmail services (${domain}) are not allowed. Use a school or LA address, such as one ending .sch.uk or .gov.uk`;
  }
  return null;
}

/** Why a UK telephone number cannot be held, or null when it can. */
export function telephoneProblem(telephone: string): string | null {
  const digits = telephone.replace(/[\s()-]/g, '');
  if (!/^(\+44|0)\d{9,10}$/.test(digits)) {
    return 'Enter a UK telephone number, like 01452 425000';
  }
  return null;
}
