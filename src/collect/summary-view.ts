// A census return's summary (census-summary.ts) as its page and its CSV file show it: the return's
// details, its totals, and a table of each count with its caption. The page writes them in the reader's
// language; the CSV, like every report's, has its column headings in the reader's language and its rows
// in English (docs/translation.md), its dates as the return gives them.
import { formatDate } from '../platform/dates.ts';
import type { CensusReturnRow } from '../platform/db/schema.ts';
import { type Language, translate } from '../platform/i18n/catalogue.ts';
import type { CsvDownload } from '../reports/downloads.ts';
import type { ReturnDetails } from './census-check.ts';
import type { ReturnSummary, Tally } from './census-summary.ts';
import {
  boarderIn,
  censusDateIn,
  enrolStatusIn,
  madeAtIn,
  ncYearIn,
  partTimeIn,
  STATUS_KEYS,
  sexIn,
  type Translate,
} from './census-words.ts';

/** A return's summary as the service gives it (returns-service.ts), with the names its page shows. */
export interface SummaryOf {
  version: CensusReturnRow;
  returnDetails: ReturnDetails;
  school: { number: string; name: string };
  la: { number: string; name: string | null };
  summary: ReturnSummary;
}

export interface SummaryRow {
  label: string;
  value: string | number;
}

export interface SummaryTable {
  id: string;
  caption: string;
  /** The heading of the first column: what the pupils are counted by. */
  heading: string;
  rows: { label: string; pupils: number }[];
  total: number;
}

/** How the summary writes the return's dates: written out on the page, as given in the CSV. */
interface DateWriter {
  day(value: string | null): string | null;
  madeAt(value: string | null): string | null;
}

/** The return's details: whose it is, which census, which MIS made it, the version and its status. */
function detailRows(t: Translate, dates: DateWriter, of: SummaryOf): SummaryRow[] {
  const { header } = of.returnDetails;
  const none = t('collect.return.none-given');
  const words = (...values: (string | null)[]) => values.filter((v) => v !== null).join(' ') || none;
  return [
    { label: t('collect.field.school'), value: `${of.school.number} ${of.school.name}` },
    { label: t('collect.field.la'), value: words(of.la.number, of.la.name) },
    { label: t('collect.return-summary.census'), value: words(header.collection, header.term, header.year) },
    { label: t('collect.field.census-day'), value: dates.day(header.referenceDate) ?? none },
    { label: t('collect.return-summary.mis'), value: words(header.softwareCode, header.release) },
    { label: t('collect.return-summary.made-at'), value: dates.madeAt(header.dateTime) ?? none },
    { label: t('collect.field.version'), value: of.version.version },
    { label: t('collect.field.status'), value: t(STATUS_KEYS[of.version.status]) },
  ];
}

/** The headline totals: pupils on roll, part-time, boarding, and the leavers the return holds. */
function totalRows(t: Translate, summary: ReturnSummary): SummaryRow[] {
  return [
    { label: t('collect.return-summary.on-roll'), value: summary.onRoll },
    { label: t('collect.return-summary.part-time'), value: summary.partTimePupils },
    { label: t('collect.return-summary.boarders'), value: summary.boarders },
    { label: t('collect.return-summary.no-longer-on-roll'), value: summary.noLongerOnRoll },
  ];
}

/** Each count of the pupils on roll as a table, its values in words as the pupils page writes them. */
function tables(t: Translate, language: Language, summary: ReturnSummary): SummaryTable[] {
  const none = t('collect.return.none-given');
  const table = <V extends string | number>(
    id: string,
    caption: string,
    heading: string,
    tallies: Tally<V>[],
    label: (value: V) => string,
  ): SummaryTable => ({
    id,
    caption,
    heading,
    rows: tallies.map((tally) => ({
      label: tally.value === null ? none : label(tally.value),
      pupils: tally.pupils,
    })),
    total: summary.onRoll,
  });
  const all = [
    table(
      'nc-year',
      t('collect.return-summary.by-nc-year'),
      t('collect.pupils.nc-year'),
      summary.ncYear,
      (v) => ncYearIn(t, v),
    ),
    table('sex', t('collect.return-summary.by-sex'), t('collect.pupils.sex'), summary.sex, (v) =>
      sexIn(t, v),
    ),
    table(
      'enrolment-status',
      t('collect.return-summary.by-enrolment-status'),
      t('collect.pupils.enrolment-status'),
      summary.enrolStatus,
      (v) => enrolStatusIn(t, v),
    ),
    table(
      'part-time',
      t('collect.return-summary.by-part-time'),
      t('collect.pupils.part-time-heading'),
      summary.partTime,
      (v) => partTimeIn(t, v),
    ),
    table(
      'boarder',
      t('collect.return-summary.by-boarder'),
      t('collect.pupils.boarder-heading'),
      summary.boarder,
      (v) => boarderIn(t, v),
    ),
  ];
  if (summary.ageDate !== null) {
    const caption = t('collect.return-summary.by-age', { date: formatDate(summary.ageDate, language) });
    all.push(table('age', caption, t('collect.return-summary.age'), summary.age, String));
  }
  all.push(
    table(
      'ethnicity',
      t('collect.return-summary.by-ethnicity'),
      t('collect.pupils.ethnicity'),
      summary.ethnicity,
      String,
    ),
  );
  return all;
}

/** What the summary page shows, in the reader's language. */
export function summaryPage(t: Translate, language: Language, of: SummaryOf) {
  const dates: DateWriter = {
    day: (value) => censusDateIn(language, value),
    madeAt: (value) => madeAtIn(language, value),
  };
  return {
    details: detailRows(t, dates, of),
    totals: totalRows(t, of.summary),
    tables: tables(t, language, of.summary),
  };
}

/**
 * The summary as a CSV file: a row for each detail, total and count (section, item, value), each table's
 * rows ending with its total. "census-summary-9165402-2026-10-01-version-2.csv": the school, the
 * collection's census day and the version.
 */
export function summaryCsv(language: Language, of: SummaryOf, censusDay: string): CsvDownload {
  const t: Translate = (key, params) => translate('en', key, params);
  const asGiven: DateWriter = { day: (value) => value, madeAt: (value) => value };
  const section = (name: string, rows: SummaryRow[]) => rows.map((row) => [name, row.label, row.value]);
  return {
    filename: `census-summary-${of.school.number}-${censusDay}-version-${of.version.version}.csv`,
    header: [
      translate(language, 'collect.return-summary.csv.section'),
      translate(language, 'collect.return-summary.csv.item'),
      translate(language, 'collect.return-summary.csv.value'),
    ],
    rows: [
      ...section(t('collect.return-summary.return-section'), detailRows(t, asGiven, of)),
      ...section(t('collect.return-summary.totals-section'), totalRows(t, of.summary)),
      ...tables(t, 'en', of.summary).flatMap((table) => [
        ...section(
          table.caption,
          table.rows.map((row) => ({ label: row.label, value: row.pupils })),
        ),
        [table.caption, t('collect.return-summary.total'), table.total],
      ]),
    ],
  };
}
