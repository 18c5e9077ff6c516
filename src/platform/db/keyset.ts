// Reading a long result a page at a time by keyset: each page is the rows after the key of the last row of
// the page before, in the query's order. Memory stays the same however many rows there are, and an index
// on the order's columns starts each page where the last one ended (OFFSET would re-read every row before
// it). The order must be total, its last column unique, or rows that tie at a page's end would be skipped.

/**
 * Every row `readPage` gives, read `pageSize` at a time: `readPage(after, limit)` reads up to `limit` rows
 * after the key `after` (from the first row when null), and `keyOf` gives a row's key.
 */
export async function* keysetRows<Row, Key>(
  readPage: (after: Key | null, limit: number) => Promise<Row[]>,
  keyOf: (row: Row) => Key,
  pageSize: number,
): AsyncGenerator<Row> {
  let after: Key | null = null;
  for (;;) {
    const rows = await readPage(after, pageSize);
    yield* rows;
    const last = rows.at(-1);
    if (last === undefined || rows.length < pageSize) return;
    after = keyOf(last);
  }
}
