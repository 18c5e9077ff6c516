import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatDate, formatDateTime } from '../../src/platform/dates.ts';

test('dates and times are UK style in London time, with am/pm as GOV.UK writes them', () => {
  assert.equal(formatDateTime('2026-11-23T14:05:00.000Z'), '23 November 2026 at 2:05pm');
  // British Summer Time: an hour ahead of UTC.
  assert.equal(formatDateTime('2026-07-01T08:30:00.000Z'), '1 July 2026 at 9:30am');
  assert.equal(formatDateTime(new Date('2026-07-01T11:00:00.000Z')), '1 July 2026 at 12:00pm');
  assert.equal(formatDateTime('2026-07-01T23:30:00.000Z'), '2 July 2026 at 12:30am');
  assert.equal(formatDate('2026-07-01T23:30:00.000Z'), '2 July 2026');
  assert.equal(formatDate('2016-03-02'), '2 March 2016');
  assert.equal(formatDate(null), '');
  assert.equal(formatDateTime(undefined), '');
});

test('in Welsh: the month in Welsh, "am" before the time, and yb or yh', () => {
  assert.equal(formatDate('2026-11-23T14:05:00.000Z', 'cy'), '23 Tachwedd 2026');
  assert.equal(formatDate('2026-07-01T23:30:00.000Z', 'cy'), '2 Gorffennaf 2026');
  assert.equal(formatDateTime('2026-11-23T14:05:00.000Z', 'cy'), '23 Tachwedd 2026 am 2:05yh');
  assert.equal(formatDateTime('2026-07-01T08:30:00.000Z', 'cy'), '1 Gorffennaf 2026 am 9:30yb');
  assert.equal(formatDate(null, 'cy'), '');
});
