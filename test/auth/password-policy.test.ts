import assert from 'node:assert/strict';
import { test } from 'node:test';
import { passwordProblem } from '../../src/auth/password-policy.ts';
import { hashPassword, verifyPassword } from '../../src/auth/passwords.ts';

test('long passphrases are accepted without composition rules', () => {
  assert.equal(passwordProblem('kettle orchard lantern', 'jbloggs'), null);
  assert.equal(passwordProblem('demo-password-2026', 'demo-school-a'), null);
});

test('short, common, decorated-common, repeated and username-containing passwords are refused with a reason', () => {
  assert.match(passwordProblem('short', 'x') ?? '', /10 characters or more/);
  assert.match(passwordProblem('qwertyuiop', 'x') ?? '', /too common/);
  assert.match(passwordProblem('Password2026!', 'x') ?? '', /too common/);
  assert.match(passwordProblem('aaaaaaaaaaaa', 'x') ?? '', /one character repeated/);
  assert.match(passwordProblem('681bjones-is-me', '681bjones') ?? '', /must not contain your username/);
  assert.match(passwordProblem('x'.repeat(257), 'y') ?? '', /256 characters or fewer/);
});

test('passwords are stored as argon2id hashes with the OWASP parameters', async () => {
  const hash = await hashPassword('kettle orchard lantern');
  assert.match(hash, /^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
  assert.equal(await verifyPassword(hash, 'kettle orchard lantern'), true);
  assert.equal(await verifyPassword(hash, 'Kettle orchard lantern'), false);
  assert.equal(await verifyPassword('not-a-hash', 'anything'), false);
});
