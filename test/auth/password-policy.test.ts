import assert from 'node:assert/strict';
import { test } from 'node:test';
import { hash } from '@node-rs/argon2';
import { passwordProblem } from '../../src/auth/password-policy.ts';
import { hashPassword, verifyPassword } from '../../src/auth/passwords.ts';
import { translateMessage } from '../../src/platform/i18n/catalogue.ts';

/** The reason in English, as the REST API and an English page give it ('' when there is none). */
function problemOf(password: string, username: string): string {
  const problem = passwordProblem(password, username);
  return problem ? translateMessage('en', problem) : '';
}

test('long passphrases are accepted without composition rules', () => {
  assert.equal(passwordProblem('kettle orchard lantern', 'jbloggs'), null);
  assert.equal(passwordProblem('demo-password-2026', 'demo-school-a'), null);
});

test('short, common, decorated-common, repeated and username-containing passwords are refused with a reason', () => {
  assert.match(problemOf('short', 'x'), /10 characters or more/);
  assert.match(problemOf('qwertyuiop', 'x'), /too common/);
  assert.match(problemOf('Password2026!', 'x'), /too common/);
  assert.match(problemOf('aaaaaaaaaaaa', 'x'), /one character repeated/);
  assert.match(problemOf('681bjones-is-me', '681bjones'), /must not contain your username/);
  assert.match(problemOf('x'.repeat(257), 'y'), /256 characters or fewer/);
});

test("a password holding the account's full name is refused, however it is spaced or cased", () => {
  const named = (password: string, fullName: string | null) => {
    const problem = passwordProblem(password, 'jbloggs681', fullName);
    return problem ? translateMessage('en', problem) : '';
  };
  assert.match(named('Joe Bloggs 2026!', 'Joe Bloggs'), /must not contain your name/);
  assert.match(named('joebloggs-office', 'Joe Bloggs'), /must not contain your name/);
  assert.match(named("MaryO'Neil-Jones1", "Mary O'Neil-Jones"), /must not contain your name/);
  // A name too short to guess from says nothing; nor does no name.
  assert.equal(named('kettle orchard jo', 'Jo'), '');
  assert.equal(named('kettle orchard lantern', null), '');
  assert.equal(named('kettle orchard lantern', 'Joe Bloggs'), '');
});

test('passwords are stored as argon2id hashes with the OWASP parameters', async () => {
  const hash = await hashPassword('kettle orchard lantern');
  assert.match(hash, /^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
  assert.equal(await verifyPassword(hash, 'kettle orchard lantern'), true);
  assert.equal(await verifyPassword(hash, 'Kettle orchard lantern'), false);
  assert.equal(await verifyPassword('not-a-hash', 'anything'), false);
});

test('a password is the same typed as one accented letter or as a letter and its accent, on any device', async () => {
  const composed = 'ábcdéfghíj Ŵyn'.normalize('NFC');
  const decomposed = composed.normalize('NFD');
  assert.notEqual(composed, decomposed);
  const pairs: [set: string, typed: string][] = [
    [composed, decomposed],
    [decomposed, composed],
  ];
  for (const [set, typed] of pairs) {
    const stored = await hashPassword(set);
    assert.equal(await verifyPassword(stored, typed), true);
    assert.equal(await verifyPassword(stored, set), true);
    assert.equal(await verifyPassword(stored, 'abcdefghij Wyn'), false, 'the accents still count');
  }
});

test('a password hashed as it was typed, before passwords were normalised, still signs in as typed', async () => {
  const typed = 'ábcdéfghíj Ŵyn'.normalize('NFD');
  const storedBefore = await hash(typed, { algorithm: 2, memoryCost: 19_456, timeCost: 2, parallelism: 1 });
  assert.equal(await verifyPassword(storedBefore, typed), true);
  assert.equal(await verifyPassword(storedBefore, 'ábcdéfghíj Wyn'.normalize('NFD')), false);
});

test('a common password in full-width letters is the common password', () => {
  assert.match(problemOf('ｐａｓｓｗｏｒｄ２０２６', 'x'), /too common/);
  assert.match(problemOf('ＱＷＥＲＴＹＵＩＯＰ', 'x'), /too common/);
});
