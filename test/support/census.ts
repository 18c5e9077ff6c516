// Census returns for tests and the demo: the clean fixture test/fixtures/census/valid-autumn.xml (LA 916,
// school 4001, autumn 2025, 11 pupils on roll) moved to another school, term or year, with a known error
// or query when asked. Every date in the file moves with the year, so the pupils keep their ages; the
// census day is that year's autumn census day (the first Thursday of October), as a collection's is.
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { insertCollection, type NewCollection } from '../../src/collect/collections-repository.ts';
import type { CollectionForm } from '../../src/collect/collections-service.ts';
import type { Db, UserRow } from '../../src/platform/db/schema.ts';

const FIXTURE = readFileSync(new URL('../fixtures/census/valid-autumn.xml', import.meta.url), 'utf8');
const FIXTURE_YEAR = 2025;

export interface CensusReturnOptions {
  /** The 7-digit establishment number, e.g. 9165402. */
  school: string;
  schoolName?: string;
  /** The collection's year, e.g. 2026 (census day 1 October 2026, the fixture's 2 October 2025 moved). */
  year?: number;
  /** The header's census day (ReferenceDate) instead of the year's autumn census day. */
  referenceDate?: string;
  term?: 'AUT' | 'SPR' | 'SUM';
  /** One error: the first pupil has no surname (rule 1580). */
  withError?: boolean;
  /** One query: ethnicity not obtained for 2 of the 11 pupils on roll (rule 1700Q). */
  withQuery?: boolean;
}

export function censusReturnXml(options: CensusReturnOptions): string {
  const year = options.year ?? FIXTURE_YEAR;
  const shift = year - FIXTURE_YEAR;
  const la = options.school.slice(0, 3);
  const estab = options.school.slice(3);
  let xml = FIXTURE.replace(
    /\b(\d{4})-(\d\d)-(\d\d)(?!\d)/g,
    (_m, y: string, m: string, d: string) => `${Number(y) + shift}-${m}-${d}`,
  )
    .replace('<Year>2025</Year>', `<Year>${year}</Year>`)
    .replace(
      /<ReferenceDate>[^<]*<\/ReferenceDate>/,
      `<ReferenceDate>${options.referenceDate ?? autumnCensusDay(year)}</ReferenceDate>`,
    )
    .replaceAll('<LEA>916</LEA>', `<LEA>${la}</LEA>`)
    .replaceAll('<Estab>4001</Estab>', `<Estab>${estab}</Estab>`);
  if (options.term) xml = xml.replace('<Term>AUT</Term>', `<Term>${options.term}</Term>`);
  if (options.schoolName) xml = xml.replace('Severn Vale Academy', escapeXml(options.schoolName));
  if (options.withError) xml = xml.replace('<Surname>Khan</Surname>', '<Surname></Surname>');
  if (options.withQuery) {
    xml = xml.replace('<Ethnicity>APKN</Ethnicity>', '<Ethnicity>NOBT</Ethnicity>');
    xml = xml.replace('<Ethnicity>WIRI</Ethnicity>', '<Ethnicity>NOBT</Ethnicity>');
  }
  return xml;
}

/** The first Thursday of October of `year` (YYYY-MM-DD): the autumn census day. */
export function autumnCensusDay(year: number): string {
  const first = new Date(Date.UTC(year, 9, 1)).getUTCDay();
  return `${year}-10-0${1 + ((4 - first + 7) % 7)}`;
}

/** The name a school's MIS gives its return: LEASSSS_SC3_LEALLyy_NNN.XML. */
export function censusFilename(school: string, year = 2026, sequence = 1, typeCode = 'SC3'): string {
  return `${school}_${typeCode}_${school.slice(0, 3)}LL${String(year).slice(-2)}_${String(sequence).padStart(3, '0')}.XML`;
}

function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** The form of the autumn 2026 census (census day 1 October, open 1 September, due 18 December) for `las`. */
export function autumnCensusForm(las: string[], changes: CollectionForm = {}): CollectionForm {
  return {
    name: 'School Census 2026 Autumn',
    term: 'AUT',
    year: '2026',
    referenceDay: '1',
    referenceMonth: '10',
    referenceYear: '2026',
    openDay: '1',
    openMonth: '9',
    openYear: '2026',
    dueDay: '18',
    dueMonth: '12',
    dueYear: '2026',
    scope: 'chosen',
    las,
    ...changes,
  };
}

/** autumnCensusForm as the browser's form sends it (its date boxes' field names), for route tests. */
export function autumnCensusBrowserForm(las: string[], changes: Record<string, string | string[]> = {}) {
  return {
    name: 'School Census 2026 Autumn',
    term: 'AUT',
    year: '2026',
    'reference-day': '1',
    'reference-month': '10',
    'reference-year': '2026',
    'open-day': '1',
    'open-month': '9',
    'open-year': '2026',
    'due-day': '18',
    'due-month': '12',
    'due-year': '2026',
    scope: 'chosen',
    las,
    ...changes,
  };
}

/**
 * The autumn 2026 census, open from 1 September (live on the test clock's 23 November) for `las`; its id.
 * `changes` replace its values (a fixed name or creation time; another term, or dates that make it not live).
 */
export async function liveCollection(
  db: Db,
  createdBy: UserRow,
  las: string[],
  changes: Partial<Omit<NewCollection, 'id'>> = {},
): Promise<string> {
  const id = randomUUID();
  await insertCollection(
    db,
    {
      id,
      name: `School Census 2026 Autumn ${las.join(' ')} ${id.slice(0, 8)}`,
      term: 'AUT',
      year: '2026',
      reference_date: '2026-10-01',
      open_date: '2026-09-01',
      due_date: '2026-12-18',
      all_las: 0,
      created_by: createdBy.id,
      created_at: new Date().toISOString(),
      ...changes,
    },
    las,
  );
  return id;
}
