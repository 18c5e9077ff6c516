// The sample returns in docs/samples are what the test helper makes, and load with the findings the
// README there promises.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { readCensusReturn } from '../../src/collect/census-reader.ts';
import { validateReturn } from '../../src/collect/validate.ts';
import { DEMO_CENSUS_DAY } from '../../src/demo/seed.ts';
import { censusFilename, censusReturnXml } from '../support/census.ts';

const SCHOOL = '9165402';
const sample = (sequence: number) =>
  readFileSync(
    new URL(`../../docs/samples/${censusFilename(SCHOOL, 2026, sequence)}`, import.meta.url),
    'utf8',
  );
const made = (withError: boolean) =>
  censusReturnXml({
    school: SCHOOL,
    schoolName: 'Cotswold Edge Primary School',
    year: 2026,
    withError,
    withQuery: true,
  });

test('the demo samples are the helper’s returns of the demo census day: one with an error and a query, one with the query only', async () => {
  assert.equal(sample(1), made(true));
  assert.equal(sample(2), made(false));
  // Of the demo collection's census day, or the demo refuses them.
  for (const sequence of [1, 2]) {
    const census = await readCensusReturn(Buffer.from(sample(sequence)));
    assert.equal(census.header.referenceDate, DEMO_CENSUS_DAY);
  }
  const findings = async (xml: string) => {
    const result = validateReturn(await readCensusReturn(Buffer.from(xml)), { schoolLaNumber: '916' });
    return [...result.errors, ...result.queries].map((f) => f.rule);
  };
  assert.deepEqual(await findings(sample(1)), ['1580', '1700Q']);
  assert.deepEqual(await findings(sample(2)), ['1700Q']);
});
