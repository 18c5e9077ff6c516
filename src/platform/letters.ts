// Letters as a keyboard without them spells them: the one mapping the searches share, the Lost Pupils
// Database's names (lost-pupils/phonetics.ts, nameLetters) and the Establishment Finder's names and towns
// (platform/db/text-search.ts, searchText), so that "Walesa" finds "Wałęsa" in one and "Lodz" finds
// "Łódź" in the other.

/**
 * The letters that have no accent to take off, so that decomposing (NFD) leaves them whole, each capital
 * and small with its spelling: Ł is L, Ø is O, Æ is AE, Þ is TH. ĸ has no capital; ı (dotless i) is i.
 *
 * Latin Extended-B (U+0180-U+024F) too, with the small letters of its capitals that Unicode put among
 * the IPA letters (ə, ɓ, ɗ, ɛ, ɔ...). Its letters with an accent decompose already (Ș is S, Ț is T, Ǎ is
 * A, ǧ is g); these do not: letters with a hook, bar or stroke are their letter (ƒ is f, Ɓ is B, Ƶ is Z),
 * the Azerbaijani schwa Ə is A, as its passports spell it (Əliyev is Aliyev), the turned ǝ and open ɛ are
 * E, yogh Ȝ is Y, wynn Ƿ is W, ezh Ʒ is ZH, and the digraphs are their two letters (Ǆ DZ, ǅ Dz, ǆ dz).
 * Left out, and so dropped: the tone letters (Ƨ, Ƽ, Ƅ), the click letters (ǀ, ǁ, ǂ, ǃ) and the glottal
 * stop (Ɂ), which no keyboard spells with letters, and the few letters only phoneticians write (ƛ, ƍ, Ɯ,
 * Ƹ, ȸ).
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
  // Latin Extended-B
  ['Ⱥ', 'ⱥ', 'A'],
  ['Ə', 'ə', 'A'],
  ['Ƀ', 'ƀ', 'B'],
  ['Ɓ', 'ɓ', 'B'],
  ['Ƃ', 'ƃ', 'B'],
  ['Ƈ', 'ƈ', 'C'],
  ['Ȼ', 'ȼ', 'C'],
  ['Ɖ', 'ɖ', 'D'],
  ['Ɗ', 'ɗ', 'D'],
  ['Ƌ', 'ƌ', 'D'],
  ['', 'ȡ', 'D'],
  ['Ǆ', 'ǆ', 'DZ'],
  ['Ǳ', 'ǳ', 'DZ'],
  ['Ǝ', 'ǝ', 'E'],
  ['Ɛ', 'ɛ', 'E'],
  ['Ɇ', 'ɇ', 'E'],
  ['Ƒ', 'ƒ', 'F'],
  ['Ɠ', 'ɠ', 'G'],
  ['Ǥ', 'ǥ', 'G'],
  ['Ɣ', 'ɣ', 'G'],
  ['Ƣ', 'ƣ', 'GH'],
  ['Ƕ', 'ƕ', 'HV'],
  ['Ɨ', 'ɨ', 'I'],
  ['Ɩ', 'ɩ', 'I'],
  ['Ɉ', 'ɉ', 'J'],
  ['', 'ȷ', 'J'],
  ['Ƙ', 'ƙ', 'K'],
  ['Ƚ', 'ƚ', 'L'],
  ['', 'ȴ', 'L'],
  ['Ǉ', 'ǉ', 'LJ'],
  ['Ɲ', 'ɲ', 'N'],
  ['Ƞ', 'ƞ', 'N'],
  ['', 'ȵ', 'N'],
  ['Ǌ', 'ǌ', 'NJ'],
  ['Ɔ', 'ɔ', 'O'],
  ['Ɵ', 'ɵ', 'O'],
  ['Ȣ', 'ȣ', 'OU'],
  ['Ƥ', 'ƥ', 'P'],
  ['Ɋ', 'ɋ', 'Q'],
  ['Ɍ', 'ɍ', 'R'],
  ['Ʀ', 'ʀ', 'R'],
  ['Ȿ', 'ȿ', 'S'],
  ['Ʃ', 'ʃ', 'SH'],
  ['Ƭ', 'ƭ', 'T'],
  ['Ʈ', 'ʈ', 'T'],
  ['Ⱦ', 'ⱦ', 'T'],
  ['', 'ƫ', 'T'],
  ['', 'ȶ', 'T'],
  ['Ʉ', 'ʉ', 'U'],
  ['Ʊ', 'ʊ', 'U'],
  ['Ʋ', 'ʋ', 'V'],
  ['Ʌ', 'ʌ', 'V'],
  ['Ƿ', 'ƿ', 'W'],
  ['Ƴ', 'ƴ', 'Y'],
  ['Ɏ', 'ɏ', 'Y'],
  ['Ȝ', 'ȝ', 'Y'],
  ['Ƶ', 'ƶ', 'Z'],
  ['Ȥ', 'ȥ', 'Z'],
  ['Ɀ', 'ɀ', 'Z'],
  ['Ʒ', 'ʒ', 'ZH'],
];

/** The digraphs' title-case forms (a name's first letter written as a capital and a small letter). */
const TITLE_CASE: readonly (readonly [letter: string, spelled: string])[] = [
  ['ǅ', 'Dz'],
  ['ǈ', 'Lj'],
  ['ǋ', 'Nj'],
  ['ǲ', 'Dz'],
];

const SPELLING = new Map([
  ...LETTERS.flatMap(([capital, small, spelled]) => [
    ...(capital ? [[capital, spelled] as const] : []),
    [small, spelled.toLowerCase()] as const,
  ]),
  ...TITLE_CASE,
]);

/** Every letter spelled out, for the migrations that find what was stored before they were. */
export const SPELLED_OUT = [...SPELLING.keys()];

const TO_SPELL_OUT = new RegExp(`[${[...SPELLING.keys()].join('')}]`, 'gu');

/**
 * `text` with those letters spelled out, capitals in capitals and small letters in small ones:
 * "Łódź" is "Lódź", "Kjær" is "Kjaer". Take accents off first (normalize('NFD') and drop the marks), so
 * that a letter with an accent on one of these (Ǿ, Ǽ) is spelled out too.
 */
export function spellOutLetters(text: string): string {
  return text.replace(TO_SPELL_OUT, (letter) => SPELLING.get(letter) ?? letter);
}
