import { type Expression, type SqlBool, sql } from 'kysely';
import { spellOutLetters } from '../letters.ts';

/** Apostrophes, straight and curly, and the backtick some keyboards give for one. */
const APOSTROPHE = "['’‘`]";
/** A possessive "'s" at the end of a word: "St Martha's" is found by "Martha" and "Martha's" alike. */
const POSSESSIVE = new RegExp(`${APOSTROPHE}s(?![\\p{L}\\p{N}])`, 'gu');
/**
 * Apostrophes and full stops join what they sit between: "O'Neill" is "oneill", "C.E." is "ce" (as a
 * user types it), while "St. Mary" keeps its space.
 */
const JOINING = new RegExp(`${APOSTROPHE}|\\.`, 'gu');
/** Any other punctuation (hyphens, commas, brackets, slashes...) and spaces separate words. */
const SEPARATING = /[^\p{L}\p{N}]+/gu;

/**
 * The form of a name or town that searches compare, on both engines: lower-case, accents and punctuation
 * left out, letters with no accent to take off spelled out (Ł as l, Ø as o, Æ as ae), words single-spaced. The stored name_search and town_search columns hold it (migrations 024
 * and 030 recomputed them when punctuation, then accents, stopped mattering), and what a user types is
 * put in the same form, so "St. Martha", "st martha" and "St Martha's" all find "St. Martha School", and
 * "Bro Taf" finds "Ysgol Gymraeg Bro Tâf" (â, ŵ and ŷ are not on most keyboards in school offices).
 */
export function searchText(value: string | null | undefined): string {
  // Accents off, then the letters that have none spelled out as the Lost Pupils search spells them
  // (letters.ts: "Lodz" finds "Łódź", "Oresund" "Øresund"), then compatibility forms (ﬁ as fi, Ĳ as IJ).
  return spellOutLetters((value ?? '').normalize('NFD').replace(/\p{M}/gu, ''))
    .normalize('NFKD')
    .replace(/\p{M}/gu, '')
    .toLowerCase()
    .replace(POSSESSIVE, '')
    .replace(JOINING, '')
    .replace(SEPARATING, ' ')
    .trim();
}

/**
 * `column` contains `fragment` literally (a user's "%" or "_" is not a wildcard). The explicit ESCAPE
 * clause is needed because SQLite, unlike PostgreSQL, has no default LIKE escape character.
 */
export function containsText(column: string, fragment: string): Expression<SqlBool> {
  const pattern = `%${fragment.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
  return sql<SqlBool>`${sql.ref(column)} like ${pattern} escape '\\'`;
}
