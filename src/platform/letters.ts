// Letters as a keyboard without them spells them: the one mapping the searches share, the Lost Pupils
// Database's names (lost-pupils/phonetics.ts, nameLetters) and the Establishment Finder's names and towns
// (platform/db/text-search.ts, searchText), so that "Walesa" finds "Wałęsa" in one and "Lodz" finds
// "Łódź" in the other.

/**
 * The letters that have no accent to take off, so that decomposing (NFD) leaves them whole, each capital
 * and small with its spelling: Ł is L, Ø is O, Æ is AE, Þ is TH. ĸ has no capital; ı (dotless i) is i.
 */
const LETTERS: readonly (readonly [capital: string, small: string, spelled: string])[] = [
  ['Æ', 'æ', 'AE'],
  ['Ð', 'ð', 'D'],
  ['Ø', 'ø', 'O'],
  ['Þ', 'þ', 'TH'],
  ['Đ', 'đ', 'D'],
  ['Ħ', 'ħ', 'H'],
  ['Ĳ', 'ĳ', 'IJ'],
  ['', 'ĸ', 'Q'],
  ['Ŀ', 'ŀ', 'L'],
  ['Ł', 'ł', 'L'],
  ['Ŋ', 'ŋ', 'N'],
  ['Œ', 'œ', 'OE'],
  ['Ŧ', 'ŧ', 'T'],
  ['ẞ', 'ß', 'SS'],
  ['', 'ı', 'I'],
];

const SPELLING = new Map(
  LETTERS.flatMap(([capital, small, spelled]) => [
    ...(capital ? [[capital, spelled] as const] : []),
    [small, spelled.toLowerCase()] as const,
  ]),
);

const TO_SPELL_OUT = new RegExp(`[${[...SPELLING.keys()].join('')}]`, 'gu');

/**
 * `text` with those letters spelled out, capitals in capitals and small letters in small ones:
 * "Łódź" is "Lódź", "Kjær" is "Kjaer". Take accents off first (normalize('NFD') and drop the marks), so
 * that a letter with an accent on one of these (Ǿ, Ǽ) is spelled out too.
 */
export function spellOutLetters(text: string): string {
  return text.replace(TO_SPELL_OUT, (letter) => SPELLING.get(letter) ?? letter);
}
