import assert from 'node:assert/strict';
import { test } from 'node:test';
import { academicYearStart, ageOn } from '../../src/collect/census-dates.ts';

test('ages at 31 August: a birthday on the day counts, 29 February counts on 1 March', () => {
  // Census day in October, January or May: ages are at the 31 August before.
  assert.equal(academicYearStart('2026-10-01'), '2026-08-31');
  assert.equal(academicYearStart('2027-01-21'), '2026-08-31');
  assert.equal(academicYearStart('2027-05-20'), '2026-08-31');
  assert.equal(academicYearStart('2026-09-01'), '2026-08-31');
  // Born on 31 August: a year older that day; born on 1 September: not yet.
  assert.equal(ageOn('2015-08-31', '2026-08-31'), 11);
  assert.equal(ageOn('2015-09-01', '2026-08-31'), 10);
  // Born on 29 February: in other years a year older on 1 March, not on 28 February.
  assert.equal(ageOn('2012-02-29', '2027-02-28'), 14);
  assert.equal(ageOn('2012-02-29', '2027-03-01'), 15);
  assert.equal(ageOn('2012-02-29', '2028-02-29'), 16);
  // Born on the day: 0.
  assert.equal(ageOn('2026-08-31', '2026-08-31'), 0);
});
