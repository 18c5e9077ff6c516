// Password rules after NCSC guidance: length over complexity, and a deny list of common passwords.
import { dictionary } from '@zxcvbn-ts/language-common';

export const MIN_PASSWORD_LENGTH = 10;
export const MAX_PASSWORD_LENGTH = 256;

const commonPasswords = new Set((dictionary['passwords-common'] as string[]).map((p) => p.toLowerCase()));

/** "Password2026!" is as guessable as "password": compare without trailing digits and symbols too. */
function withoutDecoration(password: string): string {
  return password.toLowerCase().replace(/[^a-z]+$/, '');
}

/** Returns the reason a password may not be used, or null when it is acceptable. */
export function passwordProblem(password: string, username: string): string | null {
  if (password.length < MIN_PASSWORD_LENGTH) {
    return `Password must be ${MIN_PASSWORD_LENGTH} characters or more. Three random words make a strong password that is easy to remember.`;
  }
  if (password.length > MAX_PASSWORD_LENGTH) {
    return `Password must be ${MAX_PASSWORD_LENGTH} characters or fewer`;
  }
  const lower = password.toLowerCase();
  if (commonPasswords.has(lower) || commonPasswords.has(withoutDecoration(password))) {
    return 'Password is too common and easy to guess. Choose a different password, such as three random words.';
  }
  if (/^(.)\1*$/.test(password)) {
    return 'Password must not be one character repeated. Choose a different password, such as three random words.';
  }
  if (username.length >= 3 && lower.includes(username.toLowerCase())) {
    return 'Password must not contain your username';
  }
  return null;
}
