// The email rule for contact details (LA notes §3.7: "Use of 'hotmail', 'yahoo' and other such email
// domain names is strictly prohibited"): a webmail service's domains in any country, and under it.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { emailProblem } from '../../src/directory/contact-details.ts';
import { translateMessage } from '../../src/platform/i18n/catalogue.ts';

const problem = (email: string) => {
  const found = emailProblem(email);
  return found && translateMessage('en', found);
};

test('webmail is refused in any country, under any subdomain and in any case, naming its domain', () => {
  const refused: [string, string][] = [
    ['bob@hotmail.com', 'hotmail.com'],
    ['bob@hotmail.fr', 'hotmail.fr'],
    ['bob@yahoo.fr', 'yahoo.fr'],
    ['bob@yahoo.com.au', 'yahoo.com.au'],
    ['bob@sub.hotmail.com', 'sub.hotmail.com'],
    ['bob@GMail.Com', 'gmail.com'],
    ['bob@outlook.de', 'outlook.de'],
    ['bob@live.co.uk', 'live.co.uk'],
    ['bob@ntlworld.com', 'ntlworld.com'],
    ['bob@blueyonder.co.uk', 'blueyonder.co.uk'],
  ];
  for (const [email, domain] of refused) {
    assert.match(
      problem(email) ?? '',
      new RegExp(`free webmail services \\(${domain.replaceAll('.', '\\.')}\\)`),
      email,
    );
  }
});

test('a domain with an empty part (a trailing dot) is not an address s2s takes', () => {
  for (const email of ['bob@hotmail.com.', 'bob@.school.sch.uk', 'bob@school..sch.uk']) {
    assert.match(problem(email) ?? '', /Enter an email address in the correct format/, email);
  }
});

test("schools' and LAs' own domains are taken, even when a part of them is a webmail service's name", () => {
  for (const email of [
    'office@brook-lane.sch.uk',
    'data@ashire.gov.uk',
    'head@live.school.uk',
    'admin@mail.brooklane.sch.uk',
    'office@outlookacademy.org.uk',
    'office@yahoo-lane.sch.uk',
    'it@gmail.ashire.gov.uk.example',
  ]) {
    assert.equal(problem(email), null, email);
  }
});
