// The searches now spell out the letters of Latin Extended-B that have no accent to take off (platform/
// letters.ts): the Azerbaijani schwa Ə as A, ƒ as f, the digraphs ǲ and ǆ as dz, yogh Ȝ as Y, the hooked
// letters of Hausa and Fula names (Ɓ, Ɗ, Ƙ, Ƴ) as their letters... Before, the Lost Pupils Database
// dropped them (Əliyev was stored as LIYEV, so "Aliyev" found it neither by Surname Begins nor by sound)
// and the Establishment Finder kept them as written. (Its letters with an accent, Ș, Ț, Ǎ, ǧ, were
// already read as S, T, A, g: decomposing takes the accent off.)
//
// - Lost Pupils Database records: their letters and keys written again, with the same functions that
//   write a new record (lost-pupils/repository.ts, as migration 031 did), for those whose names or towns
//   hold a character beyond ASCII, the next 500 in order of id at a time (the database looking through
//   the records once); of those, only the ones whose letters change are written.
// - Schools: their search text recomputed as migrations 024, 030 and 035 did, every school read and only
//   those whose text changes written.
//
// A record or school written by a node of the previous version while the nodes roll keeps what that
// version wrote: the record is found by its other details, not by its name typed in plain letters, and
// the school by its name typed as written, until it is next saved or imported.
import type { Kysely } from 'kysely';
import { rewriteSearchFields } from '../../../lost-pupils/repository.ts';
import { inBatches } from '../batches.ts';
import type { Database } from '../schema.ts';
import { up as recomputeSearchText } from './024-punctuation-free-search.ts';

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
      // More bytes than characters: a character beyond ASCII, which every letter spelled out now is.
      .where((eb) =>
        eb.or(
          NAME_COLUMNS.map((column) => eb(eb.fn('octet_length', [column]), '>', eb.fn('length', [column]))),
        ),
      )
      .orderBy('id')
      .limit(BATCH)
      .execute();
    await rewriteSearchFields(db, records);
    after = records.at(-1)?.id ?? after;
    return records.length;
  });
  await recomputeSearchText(untyped);
}

export async function down(): Promise<void> {
  // Nothing is undone: after going back to the previous version, these records and schools are found by
  // their names typed in plain letters (Aliyev), though not as written (Əliyev).
}
