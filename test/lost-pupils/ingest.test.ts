import assert from 'node:assert/strict';
import { test } from 'node:test';
import { leavesSchoolOn } from '../../src/lost-pupils/ingest.ts';

test('a pupil may leave school on the last Friday in June of the school year in which they turn 16', () => {
  for (const [dob, day] of [
    // Born 31 August: the youngest of their year, 16 that summer.
    ['2010-08-31', '2026-06-26'],
    // Born 1 September: the oldest of the next year.
    ['2010-09-01', '2027-06-25'],
    ['2011-01-15', '2027-06-25'],
    ['2009-12-31', '2026-06-26'],
    // June 2028 ends on a Friday.
    ['2012-03-01', '2028-06-30'],
    // Leap-day birthdays.
    ['2012-02-29', '2028-06-30'],
  ]) {
    assert.equal(leavesSchoolOn(dob as string), day, dob);
  }
  assert.equal(leavesSchoolOn(null), null);
  assert.equal(leavesSchoolOn('15/01/2011'), null);
});
