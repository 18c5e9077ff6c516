// "All reports can be produced as a csv file for further analysis" (LA notes §7.5): rows are streamed
// through csv-stringify, so a report of any size is written in constant memory.
import { Readable } from 'node:stream';
import { stringify } from 'csv-stringify';
import { londonDate, londonDateTime } from '../platform/dates.ts';

export type CsvValue = string | number | null;

// Dates in a CSV are for spreadsheets, not for reading: every report writes a date as "2026-11-23" and a
// date and time as "2026-11-23 14:05", in London time, which any spreadsheet reads as a date and sorts. The
// pages keep their own words ("23 November 2026 at 2:05pm").

/** The London date of an instant (ISO), "2026-11-23"; blank for none. */
export function csvDate(instant: string | null): string {
  return instant ? londonDate(new Date(instant)) : '';
}

/** The London date and time of an instant (ISO), "2026-11-23 14:05"; blank for none. */
export function csvDateTime(instant: string | null): string {
  return instant ? londonDateTime(new Date(instant)) : '';
}

/**
 * A cell a spreadsheet would run as a formula (it starts with =, +, -, @, a tab or a carriage return) is
 * written with a leading apostrophe, so opening a report never runs anything a school name or a file
 * name held (OWASP "CSV injection"). The full-width forms of the four signs too: a spreadsheet set for an
 * East Asian language may read them as the ASCII ones. Numbers are written as they are.
 */
export function safeCell(value: CsvValue): string | number {
  if (value === null) return '';
  if (typeof value === 'number') return value;
  return /^[=+\-@\t\r\uFF1D\uFF0B\uFF0D\uFF20]/.test(value) ? `'${value}` : value;
}

/** The header, then each row, as a CSV stream (RFC 4180, CRLF line ends, UTF-8 with a byte-order mark). */
export function csvStream(
  header: string[],
  rows: Iterable<CsvValue[]> | AsyncIterable<CsvValue[]>,
): Readable {
  // A line break inside a value is quoted too (csv-stringify does not once a record delimiter is set):
  // names read from uploaded files can hold one, and a spreadsheet would start a new row at it.
  const stringifier = stringify({ bom: true, record_delimiter: 'windows', quote_record_delimiter: true });
  async function* records() {
    yield header.map(safeCell);
    for await (const row of rows) yield row.map(safeCell);
  }
  const source = Readable.from(records());
  // A failure while reading rows ends the download with an error rather than leaving it hanging.
  source.on('error', (error) => stringifier.destroy(error));
  return source.pipe(stringifier);
}

/** "general-usage-2026-09-01-to-2026-11-23.csv": the report and its dates. */
export function csvFilename(report: string, from: string | null, to: string): string {
  return `${report}-${from ?? 'all'}-to-${to}.csv`;
}
