// The Establishment Finder leaves accents out of what it compares too (text-search.ts): "Bro Taf" finds
// "Ysgol Gymraeg Bro Tâf". The stored name_search and town_search are recomputed exactly as migration 024
// recomputed them, with the same searchText that writes them (which now drops accents), a batch of
// schools at a time, only those whose text changes (the Welsh and accented names).
//
// A school saved by a node of the previous version while the nodes roll keeps its accents in its search
// text until it is next saved or imported; it is still found when its name is typed with them.
import type { Kysely } from 'kysely';
import { up as recomputeSearchText } from './024-punctuation-free-search.ts';

export async function up(db: Kysely<unknown>): Promise<void> {
  await recomputeSearchText(db);
}

export async function down(): Promise<void> {
  // Nothing is undone: after going back to the previous version, a school is still found by its name
  // typed without accents (as it is now stored), though not with them until it is next saved or imported.
}
