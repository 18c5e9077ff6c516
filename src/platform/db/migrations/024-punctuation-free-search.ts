import { type Kysely, type RawBuilder, sql } from 'kysely';
import { inBatches } from '../batches.ts';
import { searchText } from '../text-search.ts';

// The Establishment Finder leaves punctuation out of what it compares (text-search.ts): "St. Martha" and
// "Martha's" find "St. Mary and St. Martha School". The stored name_search and town_search were only
// lower-cased; this recomputes them from each school's name and town with the same searchText that
// writes them, in TypeScript so that both engines get exactly the same text, a batch of schools at a
// time (in order of number), one UPDATE per batch for the schools whose text changes.
//
// A school saved by a node of the previous version while the nodes roll keeps its old text until it is
// next saved or imported; it is still found by any word of its name without punctuation.

/** The columns this migration reads and writes, as they are at this level. */
interface Establishments {
  establishments: {
    number: string;
    name: string;
    town: string | null;
    name_search: string;
    town_search: string;
  };
}

const BATCH = 500;

/** `case number when ... then ... end`: each school's new text, in one statement for the batch. */
function byNumber(rows: { number: string; text: string }[]): RawBuilder<string> {
  const cases = rows.map((row) => sql`when ${row.number} then ${row.text}`);
  return sql<string>`case ${sql.ref('number')} ${sql.join(cases, sql` `)} end`;
}

export async function up(untyped: Kysely<unknown>): Promise<void> {
  const db = untyped as unknown as Kysely<Establishments>;
  let after = '';
  await inBatches(BATCH, async () => {
    const rows = await db
      .selectFrom('establishments')
      .select(['number', 'name', 'town', 'name_search', 'town_search'])
      .where('number', '>', after)
      .orderBy('number')
      .limit(BATCH)
      .execute();
    const changed = rows
      .map((row) => ({ ...row, name: searchText(row.name), town: searchText(row.town) }))
      .filter((row) => row.name !== row.name_search || row.town !== row.town_search);
    if (changed.length > 0) {
      await db
        .updateTable('establishments')
        .set({
          name_search: byNumber(changed.map((row) => ({ number: row.number, text: row.name }))),
          town_search: byNumber(changed.map((row) => ({ number: row.number, text: row.town }))),
        })
        .where(
          'number',
          'in',
          changed.map((row) => row.number),
        )
        .execute();
    }
    after = rows.at(-1)?.number ?? after;
    return rows.length;
  });
}

export async function down(): Promise<void> {
  // The old text (lower-cased only) is not worth going back to: the previous version finds schools by it
  // or by the new one alike, but for searches typed with punctuation.
}
