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
