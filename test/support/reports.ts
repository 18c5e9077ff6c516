// What the report tests compare: the cells of a report's page, and its CSV as a spreadsheet reads it.
import assert from 'node:assert/strict';
import { parse } from 'csv-parse/sync';
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
