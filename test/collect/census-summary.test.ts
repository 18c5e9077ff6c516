// A census return's summary: the pupils on roll counted by each field a school checks against its MIS,
// every value once, in the census's order, the pupils without a value last; the leavers counted apart.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { before, test } from 'node:test';
import { type CensusReturn, readCensusFile } from '../../src/collect/census-reader.ts';
import { summariseReturn } from '../../src/collect/census-summary.ts';

const FIXTURES = join(import.meta.dirname, '..', 'fixtures', 'census');

let valid: CensusReturn;
before(async () => {
  valid = await readCensusFile(join(FIXTURES, 'valid-autumn.xml'));
});

function variant(mutate: (census: CensusReturn) => void): CensusReturn {
  const copy = structuredClone(valid);
  mutate(copy);
  return copy;
}

const counts = <V>(tallies: { value: V | null; pupils: number }[]) =>
  tallies.map((t) => [t.value, t.pupils] as const);

test('the valid return: 11 on roll by year group, sex, status, part-time, boarding, age and ethnicity; 2 leavers', () => {
  const summary = summariseReturn(valid);
  assert.equal(summary.onRoll, 11);
  assert.equal(summary.noLongerOnRoll, 2);
  assert.equal(summary.partTimePupils, 0);
  assert.equal(summary.boarders, 0);
  assert.deepEqual(counts(summary.ncYear), [
    ['7', 2],
    ['8', 1],
    ['9', 1],
    ['10', 2],
    ['11', 1],
    ['12', 2],
    ['13', 2],
  ]);
  assert.deepEqual(counts(summary.sex), [
    ['M', 5],
    ['F', 6],
  ]);
  assert.deepEqual(counts(summary.enrolStatus), [['C', 11]]);
  assert.deepEqual(counts(summary.partTime), [['false', 11]]);
  assert.deepEqual(counts(summary.boarder), [['N', 11]]);
  // Census day 2 October 2025: ages at 31 August 2025, the start of the academic year.
  assert.equal(summary.ageDate, '2025-08-31');
  assert.deepEqual(counts(summary.age), [
    [11, 2],
    [12, 1],
    [13, 1],
    [14, 2],
    [15, 1],
    [16, 2],
    [17, 2],
  ]);
  assert.deepEqual(counts(summary.ethnicity), [
    ['AIND', 1],
    ['APKN', 1],
    ['BAFR', 1],
    ['MWBC', 1],
    ['WBRI', 6],
    ['WIRI', 1],
  ]);
});

test('codes the census does not define are counted as written, after its own; pupils without a value last', () => {
  const summary = summariseReturn(
    variant((census) => {
      const [a, b, c, d, e, f] = census.pupilsOnRoll;
      assert.ok(a && b && c && d && e && f);
      Object.assign(a, { ncYearActual: 'R', sex: null, enrolStatus: 'S', partTime: 'TRUE', boarder: 'B' });
      Object.assign(b, { ncYearActual: 'X', sex: 'U', enrolStatus: 'M', partTime: '1', boarder: '7' });
      Object.assign(c, { ncYearActual: 'N1', enrolStatus: null, partTime: 'yes', boarder: null });
      Object.assign(d, { ncYearActual: null, enrolStatus: 'Z', partTime: null, dob: '2012-02-30' });
      Object.assign(e, { ncYearActual: 'Y9', ethnicity: null });
      Object.assign(f, { ncYearActual: '14', dob: null });
    }),
  );
  assert.equal(summary.onRoll, 11);
  assert.deepEqual(counts(summary.ncYear), [
    ['N1', 1],
    ['R', 1],
    ['11', 1],
    ['12', 2],
    ['13', 2],
    ['14', 1],
    ['X', 1],
    ['Y9', 1],
    [null, 1],
  ]);
  assert.deepEqual(counts(summary.sex), [
    ['M', 4],
    ['F', 5],
    ['U', 1],
    [null, 1],
  ]);
  assert.deepEqual(counts(summary.enrolStatus), [
    ['C', 7],
    ['M', 1],
    ['S', 1],
    ['Z', 1],
    [null, 1],
  ]);
  // TRUE and 1 are both xs:boolean true; "yes" is not a census value, so it is counted as written.
  assert.deepEqual(counts(summary.partTime), [
    ['true', 2],
    ['false', 7],
    ['yes', 1],
    [null, 1],
  ]);
  assert.equal(summary.partTimePupils, 2);
  assert.deepEqual(counts(summary.boarder), [
    ['N', 8],
    ['7', 1],
    ['B', 1],
    [null, 1],
  ]);
  assert.equal(summary.boarders, 2);
  // A date of birth that is not a date, or none: no age.
  assert.deepEqual(summary.age.at(-1), { value: null, pupils: 2 });
  assert.deepEqual(summary.ethnicity.at(-1), { value: null, pupils: 1 });
  for (const field of ['ncYear', 'sex', 'enrolStatus', 'partTime', 'boarder', 'age', 'ethnicity'] as const) {
    const total = summary[field].reduce((sum, t) => sum + t.pupils, 0);
    assert.equal(total, 11, `${field} adds up to the pupils on roll`);
  }
});

test('without a census day that is a date, no ages are counted; a return without pupils counts none', () => {
  const noDay = summariseReturn(
    variant((census) => {
      census.header.referenceDate = '02/10/2025';
    }),
  );
  assert.equal(noDay.ageDate, null);
  assert.deepEqual(noDay.age, []);
  assert.equal(noDay.onRoll, 11);

  const empty = summariseReturn(
    variant((census) => {
      census.pupilsOnRoll = [];
      census.pupilsNoLongerOnRoll = [];
    }),
  );
  assert.equal(empty.onRoll, 0);
  assert.equal(empty.noLongerOnRoll, 0);
  assert.deepEqual(empty.ncYear, []);
  assert.deepEqual(empty.age, []);
});
