// The Lost Pupils Database's name letters (lost-pupils/phonetics.ts, nameLetters) now spell out the
// letters that have no accent to take off, where they used to drop them: "Wałęsa" was stored as WAESA, so
// "Walesa" found it neither by Surname Begins nor by sound, and "Soren" did not find the forename
// "Søren". This writes again the letters and keys of the records whose names or towns hold such a letter,
// with the same functions that write a new record (lost-pupils/repository.ts). Each batch is the next
// records in order of id that hold one: the database looks through the records once in all, and only
// those are read and written, their keys replaced and their letters set in one statement.
//
// A record written by a node of the previous version while the nodes roll keeps the letters it was
// written with (WAESA), by which the new version does not find it, whether the name is typed with Ł or L.
import type { Kysely } from 'kysely';
import { rewriteSearchFields } from '../../../lost-pupils/repository.ts';
import { inBatches } from '../batches.ts';
import type { Database } from '../schema.ts';

/**
 * The letters nameLetters now spells out, each as it may be stored: capital and small (SQLite's LIKE
 * ignores the case of A-Z only, PostgreSQL's of none) and with an accent (Ǽ decomposes to Æ and one).
 */
export const SPELLED_OUT_LETTERS = [...'ÆæǢǣǼǽÐðĐđØøǾǿÞþĦħĲĳĸĿŀŁłŊŋŒœŦŧẞ'];

const NAME_COLUMNS = ['surname', 'former_surname', 'forename', 'town'] as const;

const BATCH = 500;

export async function up(untyped: Kysely<unknown>): Promise<void> {
  const db = untyped as unknown as Kysely<Database>;
  let after = '';
  await inBatches(BATCH, async () => {
    const records = await db
      .selectFrom('lost_pupils')
      .select([
        'id',
        ...NAME_COLUMNS,
        'date_of_birth',
        'surname_letters',
        'former_surname_letters',
        'forename_letters',
        'town_letters',
      ])
      .where('id', '>', after)
      .where((eb) =>
        eb.or(
          NAME_COLUMNS.map((column) =>
            eb.and([
              // More bytes than characters: a letter beyond ASCII. This cheap test first spares most
              // records the LIKEs (several times faster on both engines).
              eb(eb.fn('octet_length', [column]), '>', eb.fn('length', [column])),
              eb.or(SPELLED_OUT_LETTERS.map((letter) => eb(column, 'like', `%${letter}%`))),
            ]),
          ),
        ),
      )
      .orderBy('id')
      .limit(BATCH)
      .execute();
    await rewriteSearchFields(db, records);
    after = records.at(-1)?.id ?? after;
    return records.length;
  });
}

export async function down(): Promise<void> {
  // Nothing is undone: after going back to the previous version, these records are found by their names
  // typed in plain letters (Walesa), though not as written (Wałęsa, which that version reads as WAESA).
}
