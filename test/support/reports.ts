// What the report tests compare: the cells of a report's page, and its CSV as a spreadsheet reads it, or as
// the bytes it is sent as, with the reads of the database that made it.
import assert from 'node:assert/strict';
import { parse } from 'csv-parse/sync';
import type { KyselyPlugin } from 'kysely';
import type { Clock } from '../../src/platform/clock.ts';
import type { Db } from '../../src/platform/db/schema.ts';
import { csvStream } from '../../src/reports/csv.ts';
import { type CsvDownload, ReportDownloads } from '../../src/reports/downloads.ts';
import type { Agent } from './web.ts';

/** The text of each header and data cell of a page's tables, tags inside a cell removed. */
export function cellTexts(html: string): string[] {
  return [
    ...html.matchAll(/<t([hd])[^>]*class="govuk-table__(?:cell|header)[^"]*"[^>]*>([\s\S]*?)<\/t\1>/g),
  ].map((m) =>
    (m[2] ?? '')
      .replace(/<[^>]+>/g, '')
      .replace(/\s+/g, ' ')
      .replace(/&#39;/g, "'")
      .replace(/&amp;/g, '&')
      .trim(),
  );
}

/** Downloads a report's CSV, checks it is a CSV attachment with the expected name, and parses it. */
export async function downloadCsv(agent: Agent, url: string, filename: RegExp): Promise<string[][]> {
  const csv = await agent.get(url);
  assert.equal(csv.statusCode, 200, url);
  assert.match(String(csv.headers['content-type']), /^text\/csv/);
  assert.match(String(csv.headers['content-disposition']), filename);
  return parse(csv.body, { bom: true }) as string[][];
}

/**
 * A report's CSV as it is sent (reports/web.ts writes it with csvStream), its rows read from the database
 * `pageSize` at a time, and how many queries reading the rows took: `make` checks the criteria before the
 * first row, so only the reads of the rows are counted.
 */
export async function csvInPages(
  db: Db,
  clock: Clock,
  pageSize: number,
  make: (downloads: ReportDownloads) => Promise<CsvDownload>,
): Promise<{ text: string; reads: number }> {
  let queries = 0;
  // Counted as their results come back (a query is transformed again for each subquery in it).
  const counting: KyselyPlugin = {
    transformQuery: ({ node }) => node,
    transformResult: async ({ result }) => {
      queries += 1;
      return result;
    },
  };
  const csv = await make(
    new ReportDownloads({ db: db.withPlugin(counting), clock }, { csvPageSize: pageSize }),
  );
  const before = queries;
  const chunks: Buffer[] = [];
  for await (const chunk of csvStream(csv.header, csv.rows)) chunks.push(Buffer.from(chunk));
  return { text: Buffer.concat(chunks).toString('utf8'), reads: queries - before };
}

/** The reads of `rows` rows a page of `pageSize` at a time: the last page is short, or empty. */
export function keysetReads(rows: number, pageSize: number): number {
  return Math.floor(rows / pageSize) + 1;
}

const MONTHS = [
  'January',
  'February',
  'March',
  'April',
  'May',
  'June',
  'July',
  'August',
  'September',
  'October',
  'November',
  'December',
];

/**
 * A page's cell as its CSV writes it. Pages spell a London date "1 October 2026" and a date and time
 * "1 October 2026 at 2:05pm" (or "1 Oct 2026 14:05" in a wide table); CSVs write "2026-10-01" and
 * "2026-10-01 14:05" (src/reports/csv.ts). Both spell the same London wall clock, so a page compared with
 * its CSV through this is compared exactly. Any other text is returned as it is.
 */
export function asCsvCell(text: string): string {
  const match = /^(\d{1,2}) ([A-Z][a-z]+) (\d{4})(?: at (\d{1,2}):(\d{2})(am|pm)| (\d{2}):(\d{2}))?$/.exec(
    text,
  );
  if (!match) return text;
  const [, day = '', monthName, year, hour12, minute12, half, hour24, minute24] = match;
  const month = MONTHS.findIndex((name) => name === monthName || name.slice(0, 3) === monthName);
  if (month < 0) return text;
  const date = `${year}-${String(month + 1).padStart(2, '0')}-${day.padStart(2, '0')}`;
  if (hour24) return `${date} ${hour24}:${minute24}`;
  if (!hour12) return date;
  const hour = (Number(hour12) % 12) + (half === 'pm' ? 12 : 0);
  return `${date} ${String(hour).padStart(2, '0')}:${minute12}`;
}
