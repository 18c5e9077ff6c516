import assert from 'node:assert/strict';
import { test } from 'node:test';
import { madeAtIn } from '../../src/collect/census-words.ts';

// A return's DateTime without a time zone is London's wall clock: on the days the clocks change, the
// time shown is the time written, not the time so many hours after midnight.
test('a return made on a day the clocks change shows the time its DateTime gives', () => {
  // Clocks go forward at 1am on 29 March 2026: 9am is eight hours after midnight, not nine.
  assert.equal(madeAtIn('en', '2026-03-29T09:00:00'), '29 March 2026 at 9:00am');
  assert.equal(madeAtIn('cy', '2026-03-29T09:00:00'), '29 Mawrth 2026 am 9:00yb');
  // Clocks go back at 2am on 25 October 2026: 2pm is fifteen hours after midnight.
  assert.equal(madeAtIn('en', '2026-10-25T14:00:00'), '25 October 2026 at 2:00pm');
  assert.equal(madeAtIn('en', '2026-10-25T00:30:00'), '25 October 2026 at 12:30am');
  assert.equal(madeAtIn('en', '2026-10-25T23:59:00'), '25 October 2026 at 11:59pm');
  // Other days, and a time with its zone, as before.
  assert.equal(madeAtIn('en', '2026-07-01T09:00:00'), '1 July 2026 at 9:00am');
  assert.equal(madeAtIn('en', '2026-10-25T14:00:00Z'), '25 October 2026 at 2:00pm');
  assert.equal(madeAtIn('en', '2026-03-29T09:00:00+01:00'), '29 March 2026 at 9:00am');
});
