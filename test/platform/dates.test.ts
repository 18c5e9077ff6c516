import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatDate, formatDateTime, londonInstant, monthInWords } from '../../src/platform/dates.ts';

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

test('in Welsh: Welsh month names, "am" for at, and yb/yh as GOV.UK Cymraeg writes them', () => {
  assert.equal(formatDateTime('2026-11-23T14:05:00.000Z', 'cy'), '23 Tachwedd 2026 am 2:05yh');
  assert.equal(formatDateTime('2026-07-01T08:30:00.000Z', 'cy'), '1 Gorffennaf 2026 am 9:30yb');
  assert.equal(formatDateTime('2026-07-01T11:00:00.000Z', 'cy'), '1 Gorffennaf 2026 am 12:00yh');
  assert.equal(formatDateTime('2026-07-01T23:30:00.000Z', 'cy'), '2 Gorffennaf 2026 am 12:30yb');
  assert.equal(formatDate('2016-03-02', 'cy'), '2 Mawrth 2016');
  assert.equal(formatDate('2027-02-10', 'cy'), '10 Chwefror 2027');
  assert.equal(formatDate(null, 'cy'), '');
  assert.equal(formatDate('2016-03-02', 'en'), '2 March 2016');
});

test('a month stored in English words is put in Welsh; other text is left as it is', () => {
  assert.equal(monthInWords('June 2027', 'cy'), 'Mehefin 2027');
  assert.equal(monthInWords('January 2027', 'cy'), 'Ionawr 2027');
  assert.equal(monthInWords('June 2027', 'en'), 'June 2027');
  assert.equal(monthInWords('Summer 2027', 'cy'), 'Summer 2027');
});

test('londonInstant: the instant London shows a time, on the days the clocks change too', () => {
  assert.equal(londonInstant('2026-11-23', 14, 5).toISOString(), '2026-11-23T14:05:00.000Z');
  assert.equal(londonInstant('2026-07-01', 0, 30).toISOString(), '2026-06-30T23:30:00.000Z');
  assert.equal(londonInstant('2026-03-29', 0, 59).toISOString(), '2026-03-29T00:59:00.000Z');
  // Skipped: 1:30am GMT would be 2:30am BST.
  assert.equal(londonInstant('2026-03-29', 1, 30).toISOString(), '2026-03-29T01:30:00.000Z');
  assert.equal(londonInstant('2026-03-29', 2, 0).toISOString(), '2026-03-29T01:00:00.000Z');
  // Shown twice: the first, in BST.
  assert.equal(londonInstant('2026-10-25', 1, 30).toISOString(), '2026-10-25T00:30:00.000Z');
  assert.equal(londonInstant('2026-10-25', 2, 0).toISOString(), '2026-10-25T02:00:00.000Z');
  assert.equal(londonInstant('2026-10-25', 0, 0).toISOString(), '2026-10-24T23:00:00.000Z');
});
