// Passwords issued by the service itself (the command line): random words, easy to read out and type.
import { randomInt } from 'node:crypto';
import { dictionary } from '@zxcvbn-ts/language-common';
import { passwordProblem } from '../auth/password-policy.ts';

const WORDS: readonly string[] = dictionary['diceware-common'];

/**
 * Four words drawn uniformly from the 7,776-word diceware list: about 51 bits of entropy. The user must
 * replace it when they first sign in. Checked by the same policy as every other password.
 */
export function issuePassword(username: string, wordCount = 4): string {
  for (;;) {
    const words = Array.from({ length: wordCount }, () => WORDS[randomInt(WORDS.length)] ?? '');
    const candidate = words.join('-');
    if (!passwordProblem(candidate, username)) return candidate;
  }
}
