// A national-size GIAS extract for the benchmarks and the tests that need one: the real header
// (test/fixtures/gias), synthetic rows, the same file every time.
import { readFileSync, writeFileSync } from 'node:fs';
import iconv from 'iconv-lite';

const SAMPLE = new URL('../fixtures/gias/edubasealldata-sample.csv', import.meta.url);

export const WORDS = [
  'St',
  'Mary',
  'Martha',
  'Oak',
  'Hill',
  'Valley',
  'Church',
  'Green',
  'Park',
  'Abbey',
  'Bridge',
  'Meadow',
  'Castle',
  'Brook',
  'Ysgol',
  'Gymraeg',
  'Holy',
  'Trinity',
  'Riverside',
  'Forest',
];
const KINDS = [
  'Primary School',
  'Infant School',
  'Junior School',
  'Academy',
  'High School',
  'Church of England Primary School',
  'Catholic Primary School',
  'Nursery School',
];
export const TOWNS = [
  'Bristol',
  'Gloucester',
  'Cardiff',
  'Swansea',
  'Leeds',
  'York',
  'Norwich',
  'Exeter',
  'Derby',
  'Stroud',
  'Bath',
  'Wrexham',
  'Carlisle',
  'Dover',
  'Truro',
];

/** Deterministic pseudo-random numbers, so every run imports the same file. */
export function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
    return state / 2 ** 31;
  };
}

function csvField(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

/** A synthetic extract with the real GIAS header, `rows` rows over 150 LAs, encoded cp1252. */
export function syntheticExtract(path: string, rows: number): void {
  const header = (readFileSync(SAMPLE, 'latin1').split(/\r?\n/)[0] ?? '').split(',');
  const next = random(42);
  const pick = <T>(list: T[]): T => list[Math.floor(next() * list.length)] as T;
  const lines = [header.map(csvField).join(',')];
  for (let i = 0; i < rows; i += 1) {
    const la = String(201 + (i % 150));
    const closed = next() < 0.15;
    const row: Record<string, string> = {
      URN: String(100_000 + i),
      'LA (code)': la,
      'LA (name)': `Authority ${la}`,
      EstablishmentNumber: String(1000 + Math.floor(i / 150)),
      EstablishmentName: `${pick(WORDS)} ${pick(WORDS)} ${pick(KINDS)} – ${i}`,
      'TypeOfEstablishment (name)': 'Community school',
      'EstablishmentTypeGroup (name)': 'Local authority maintained schools',
      'EstablishmentStatus (name)': closed ? 'Closed' : 'Open',
      CloseDate: closed ? '31-08-2019' : '',
      'PhaseOfEducation (name)': 'Primary',
      Town: pick(TOWNS),
      Postcode: 'AB1 2CD',
      TelephoneNum: '1234567890',
      'GOR (name)': 'South West',
    };
    lines.push(header.map((column) => csvField(row[column] ?? '')).join(','));
  }
  writeFileSync(path, iconv.encode(`${lines.join('\r\n')}\r\n`, 'win1252'));
}
