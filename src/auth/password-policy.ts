// Password rules after NCSC guidance: length over complexity, and a deny list of common passwords.
import { dictionary } from '@zxcvbn-ts/language-common';
import { type Message, message } from '../platform/i18n/catalogue.ts';

export const MIN_PASSWORD_LENGTH = 10;
export const MAX_PASSWORD_LENGTH = 256;

const commonPasswords = new Set((dictionary['passwords-common'] as string[]).map((p) => p.toLowerCase()));

/** "Password2026!" is as guessable as "password": compare without trailing digits and symbols too. */
function withoutDecoration(password: string): string {
  return password.toLowerCase().replace(/[^a-z]+$/, '');
}

/** Returns the reason a password may not be used, or null when it is acceptable. */
export function passwordProblem(password: string, username: string): Message | null {
  if (password.length < MIN_PASSWORD_LENGTH) {
    return message('auth.password.too-short', { min: MIN_PASSWORD_LENGTH });
  }
  if (password.length > MAX_PASSWORD_LENGTH) {
    return message('auth.password.too-long', { max: MAX_PASSWORD_LENGTH });
  }
  const lower = password.toLowerCase();
  if (commonPasswords.has(lower) || commonPasswords.has(withoutDecoration(password))) {
    return message('auth.password.too-common');
  }
  if (/^(.)\1*$/.test(password)) return message('auth.password.one-character');
  if (username.length >= 3 && lower.includes(username.toLowerCase())) {
    return message('auth.password.contains-username');
  }
  return null;
}
