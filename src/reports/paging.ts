// A report too long for its page: the page lists its first rows (for the file and lost-pupil lists, the
// newest) and says so, and its CSV has them all in the same order,
// read from the database a page at a time (platform/db/keyset.ts) so the file is written in constant memory.

/** The most rows a report's page lists; its CSV has them all. */
export const PAGE_ROWS = 1000;

/** A report's CSV reads the database this many rows at a time. */
export const CSV_PAGE_SIZE = 1000;

/** The first `pageRows` of rows read with one more than that, and whether there was that one more. */
export function firstRows<Row>(rows: Row[], pageRows: number): { rows: Row[]; truncated: boolean } {
  return { rows: rows.slice(0, pageRows), truncated: rows.length > pageRows };
}
