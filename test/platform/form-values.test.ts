// The id of a part of what a form makes (formPartId): the same each time the form is posted, another for
// another part or another form, and a UUID as the tables' ids are.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { test } from 'node:test';
import { z } from 'zod';
import { formPartId } from '../../src/platform/db/insert-once.ts';
import { formId } from '../../src/platform/web/form-values.ts';

test('a part of a form has one id, whenever the form is posted; another part or form, another', () => {
  const form = randomUUID();
  const id = formPartId(form, '9165402_SC3_916LL26_001.XML');
  assert.equal(formPartId(form, '9165402_SC3_916LL26_001.XML'), id);
  assert.notEqual(formPartId(form, '9165403_SC3_916LL26_001.XML'), id);
  assert.notEqual(formPartId(randomUUID(), '9165402_SC3_916LL26_001.XML'), id);
  assert.ok(z.uuid().safeParse(id).success, `${id} is a UUID`);
  assert.equal(formId.parse(id), id, 'as a form id is read');
});
