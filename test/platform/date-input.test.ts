import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { FieldError } from '../../src/platform/errors.ts';
import { message } from '../../src/platform/i18n/catalogue.ts';
import { readDateInput } from '../../src/platform/web/date-input.ts';

const label = message('reports.date.from');

function read(day: string, month: string, year: string): { date: string | null; errors: string[] } {
  const errors: FieldError[] = [];
  const date = readDateInput('from', label, [day, month, year], errors);
  return { date, errors: errors.map((e) => `${e.field}: ${e.message}`) };
}

test('a date input takes real dates only: 29 February in leap years, no 31 April, four-digit years', () => {
  assert.deepEqual(read('29', '2', '2028'), { date: '2028-02-29', errors: [] });
  assert.deepEqual(read(' 1 ', '04', '2026'), { date: '2026-04-01', errors: [] });
  const notReal = { date: null, errors: ['from-day: The From date must be a real date, like 1 9 2026'] };
  assert.deepEqual(read('29', '2', '2027'), notReal);
  assert.deepEqual(read('31', '4', '2026'), notReal);
  assert.deepEqual(read('0', '4', '2026'), notReal);
  assert.deepEqual(read('1', '13', '2026'), notReal);
  // Two digits are not taken for 2026 (nor for 1926).
  assert.deepEqual(read('1', '4', '26'), notReal);
  assert.deepEqual(read('1', 'April', '2026'), notReal);
  assert.deepEqual(read('', '', ''), { date: null, errors: [] });
});
