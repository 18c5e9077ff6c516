// Password rules after NCSC guidance: length over complexity, and a deny list of common passwords.
import { dictionary } from '@zxcvbn-ts/language-common';
import { type Message, message } from '../platform/i18n/catalogue.ts';
import { canonicalPassword } from './passwords.ts';

export const MIN_PASSWORD_LENGTH = 10;
export const MAX_PASSWORD_LENGTH = 256;

const commonPasswords = new Set((dictionary['passwords-common'] as string[]).map((p) => p.toLowerCase()));

/** "Password2026!" is as guessable as "password": compare without trailing digits and symbols too. */
function withoutDecoration(password: string): string {
  return password.toLowerCase().replace(/[^a-z]+$/, '');
}

/** A name's letters and digits alone, lower case: "Mary O'Neil-Jones" is "maryoneiljones". */
function compact(text: string): string {
  return text.toLowerCase().replace(/[^\p{L}\p{N}]+/gu, '');
}

/** Names shorter than this are left alone: "Jo" is in too many good passwords to refuse them. */
const MIN_NAME_LETTERS = 5;

/**
 * Returns the reason a password may not be used, or null when it is acceptable, judged in the form it is
 * kept in (canonicalPassword). `fullName`, the account's name where there is one: someone who knows the
 * person (or reads their email signature) tries it first.
 */
export function passwordProblem(typed: string, username: string, fullName?: string | null): Message | null {
  // The password as it is kept: "ｐａｓｓｗｏｒｄ１" in full-width letters is "password1".
  const password = canonicalPassword(typed);
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
  const name = compact(fullName ?? '');
  if (name.length >= MIN_NAME_LETTERS && compact(password).includes(name)) {
    return message('auth.password.contains-name');
  }
  return null;
}
