import assert from 'node:assert/strict';
import { test } from 'node:test';
import { readDateBoxes, readDateInput } from '../../src/platform/date-boxes.ts';
import type { FieldError } from '../../src/platform/errors.ts';
import { message } from '../../src/platform/i18n/catalogue.ts';

const label = message('reports.date.from');

function read(day: string, month: string, year: string): { date: string | null; errors: string[] } {
  const errors: FieldError[] = [];
  const date = readDateInput('from', label, [day, month, year], errors);
  return { date, errors: errors.map((e) => `${e.field} ${(e.boxes ?? []).join('+')}: ${e.message}`) };
}

test('a date input takes real dates only: 29 February in leap years, no 31 April, four-digit years', () => {
  assert.deepEqual(read('29', '2', '2028'), { date: '2028-02-29', errors: [] });
  assert.deepEqual(read(' 1 ', '04', '2026'), { date: '2026-04-01', errors: [] });
  assert.deepEqual(read('1', 'April', '2026'), { date: '2026-04-01', errors: [] });
  assert.deepEqual(read('1', 'Ebr', '2026'), { date: '2026-04-01', errors: [] });
  assert.deepEqual(read('', '', ''), { date: null, errors: [] });
  const refused = (error: string) => ({ date: null, errors: [error] });
  assert.deepEqual(
    read('29', '2', '2027'),
    refused('from-day day+month+year: The From date must be a real date: February has no day 29'),
  );
  assert.deepEqual(
    read('31', '4', '2026'),
    refused('from-day day+month+year: The From date must be a real date: that month has no day 31'),
  );
  assert.deepEqual(
    read('0', '4', '2026'),
    refused('from-day day: The day of the From date must be a number from 1 to 31'),
  );
  assert.deepEqual(
    read('1', '13', '2026'),
    refused('from-month month: The month of the From date must be a number from 1 to 12, or its name'),
  );
  // Two digits are not taken for 2026 (nor for 1926).
  assert.deepEqual(
    read('1', '4', '26'),
    refused('from-year year: The year of the From date must include 4 numbers'),
  );
  assert.deepEqual(
    read('1', '4', '2101'),
    refused('from-year year: The year of the From date must be from 2000 to 2100'),
  );
  assert.deepEqual(
    read('', '4', ''),
    refused('from-day day+year: The From date must include a day and year'),
  );
  assert.deepEqual(
    read('x', 'y', '2026'),
    refused('from-day day+month+year: The From date must be a real date, like 1 9 2026'),
  );
});

test('a partial date input leaves any box blank, and checks those given', () => {
  const partial = (day: string, month: string, year: string) =>
    readDateBoxes('dob', label, [day, month, year], { partial: true, years: { min: 1900, max: 2999 } });
  assert.deepEqual(partial('', 'sept', ''), { parts: { day: null, month: 9, year: null } });
  assert.deepEqual(partial('29', '2', ''), { parts: { day: 29, month: 2, year: null } });
  assert.deepEqual(partial('', '', '1950'), { parts: { day: null, month: null, year: 1950 } });
  const error = partial('30', '2', '');
  assert.ok('error' in error);
  assert.deepEqual([error.error.field, error.error.boxes], ['dob-day', ['day', 'month', 'year']]);
});
