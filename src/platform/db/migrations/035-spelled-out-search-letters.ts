// The Establishment Finder spells out the letters that have no accent to take off (text-search.ts, with
// the Lost Pupils search's mapping, platform/letters.ts): "Lodz" finds "Łódź", "Oresund" "Øresund",
// "Kjaer" "Kjær". The stored name_search and town_search kept those letters ("łodz"), which a search typed
// in plain letters does not contain. They are recomputed exactly as migrations 024 and 030 recomputed
// them, with the same searchText that writes them, a batch of schools at a time, only those whose text
// changes written.
//
// A school saved by a node of the previous version while the nodes roll keeps those letters in its search
// text until it is next saved or imported: found by its name typed as written, not in plain letters.
import type { Kysely } from 'kysely';
import { up as recomputeSearchText } from './024-punctuation-free-search.ts';

export async function up(db: Kysely<unknown>): Promise<void> {
  await recomputeSearchText(db);
}

export async function down(): Promise<void> {
  // Nothing is undone: the previous version finds a school by its name typed in plain letters, as now
  // stored, though not as written (Łódź) until the school is next saved or imported.
}
