// The rules of a template's fields and of who may share a template with whom, without a database.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Actor } from '../../src/auth/actor.ts';
import { checkTemplate, ownerChoices } from '../../src/messaging/template-service.ts';

/** Field errors as the API gives them: the field and the English message (pages use their keys). */
function plain(errors: { field: string; message: string }[]) {
  return errors.map(({ field, message }) => ({ field, message }));
}

const actor = (role: Actor['role'], laNumber: string | null, establishmentNumber: string | null = null) => ({
  userId: 'u',
  username: 'u',
  role,
  laNumber,
  establishmentNumber,
});

test('every field is required; the names are tidied and the text keeps its lines', () => {
  const empty = checkTemplate({ name: '  ', description: '', text: '\r\n ' });
  assert.deepEqual(plain(empty.errors), [
    { field: 'name', message: 'Enter a template name' },
    { field: 'description', message: 'Enter a description' },
    { field: 'text', message: 'Enter the text of the template' },
  ]);
  const tidy = checkTemplate({
    name: '  CTF   request\t',
    description: ' To request a CTF ',
    text: '\r\nDear colleague,\r\n\r\nPlease send the CTF.  \r\n',
  });
  assert.deepEqual(tidy.errors, []);
  assert.deepEqual(tidy.clean, {
    name: 'CTF request',
    description: 'To request a CTF',
    body: 'Dear colleague,\n\nPlease send the CTF.',
  });
});

test('the limits are 60, 100 and 10,000 characters, counted as people count them', () => {
  const atLimits = checkTemplate({
    name: 'é'.repeat(60),
    description: 'd'.repeat(100),
    text: '😀'.repeat(10_000),
  });
  assert.deepEqual(atLimits.errors, []);
  const over = checkTemplate({
    name: 'n'.repeat(61),
    description: 'd'.repeat(101),
    text: 't'.repeat(10_001),
  });
  assert.deepEqual(plain(over.errors), [
    { field: 'name', message: 'Template name must be 60 characters or fewer' },
    { field: 'description', message: 'Description must be 100 characters or fewer' },
    { field: 'text', message: 'Text must be 10,000 characters or fewer' },
  ]);
  // A line break sent as "\r\n" counts once.
  assert.deepEqual(checkTemplate({ name: 'n', description: 'd', text: 'a\r\n'.repeat(5000) }).errors, []);
});

test('LA users may share with their LA, the national administrator with everyone, schools with nobody', () => {
  assert.deepEqual(ownerChoices(actor('school', '916', '9165402')), ['user']);
  assert.deepEqual(ownerChoices(actor('la_user', '916')), ['user', 'la']);
  assert.deepEqual(ownerChoices(actor('la_dba', '916')), ['user', 'la']);
  assert.deepEqual(ownerChoices(actor('la_lost_pupil', '916')), ['user', 'la']);
  assert.deepEqual(ownerChoices(actor('national_admin', null)), ['user', 'national']);
  // Without an LA, an LA role has no LA to share with.
  assert.deepEqual(ownerChoices(actor('la_user', null)), ['user']);
});
