// How surnames are compared in the Lost Pupils Database search (LA notes §4.1): "Surname Begins" ticked
// matches the start of the name exactly (letters only, accents and case ignored, Ł, Ø and Æ read as L, O
// and AE); unticked, a soundalike search matches names that sound alike by Double Metaphone (both its
// keys) or Soundex.
// The keys of each record's surname and former surname are stored in an indexed table, so a search
// looks keys up rather than scanning records.
import { doubleMetaphone } from 'double-metaphone';
import { spellOutLetters } from '../platform/letters.ts';

/**
 * The most letters kept of a name: the letters columns hold 100. A name is cut to 100 characters, but
 * upper-casing can lengthen it (ß -> SS, ﬃ -> FFI).
 */
export const MAX_LETTERS = 100;

/**
 * Upper-case A-Z only: "O'Brien-Núñez" -> "OBRIENNUNEZ", "Wałęsa" -> "WALESA". For prefix matching and
 * display-free keys, of what is stored and of what is searched for alike.
 */
export function nameLetters(name: string): string {
  // The letters with no accent to take off spelled as typed on a keyboard without them (platform/letters.ts):
  // "Wałęsa" is WALESA, "Søren" SOREN, "Kjær" KJAER.
  return spellOutLetters(name.normalize('NFD').replace(/\p{M}/gu, ''))
    .toUpperCase()
    .replace(/[^A-Z]/g, '')
    .slice(0, MAX_LETTERS);
}

const SOUNDEX_CODES: Record<string, string> = {
  B: '1',
  F: '1',
  P: '1',
  V: '1',
  C: '2',
  G: '2',
  J: '2',
  K: '2',
  Q: '2',
  S: '2',
  X: '2',
  Z: '2',
  D: '3',
  T: '3',
  L: '4',
  M: '5',
  N: '5',
  R: '6',
};

/** American Soundex (H and W do not separate equal codes): "Robert" -> "R163". Empty for no letters. */
export function soundex(name: string): string {
  const letters = nameLetters(name);
  const first = letters[0];
  if (!first) return '';
  let code = first;
  let previous = SOUNDEX_CODES[first] ?? '';
  for (const letter of letters.slice(1)) {
    const digit = SOUNDEX_CODES[letter] ?? '';
    if (digit && digit !== previous) code += digit;
    if (code.length === 4) break;
    // Vowels separate equal codes; H and W do not.
    if (letter !== 'H' && letter !== 'W') previous = digit;
  }
  return code.padEnd(4, '0');
}

/**
 * The forms a name is keyed by: the whole name and, for "Smith-Jones" or "Van Dyke", each part; and each
 * with a P between M and S or T left out, as it is often spelled (Thompson/Thomson, Sampson/Samson),
 * which Double Metaphone alone keeps apart.
 */
function nameForms(name: string): string[] {
  const parts = name
    .split(/[\s-]+/)
    .map(nameLetters)
    .filter((part) => part.length > 1);
  const forms = [nameLetters(name), ...parts].flatMap((form) => [form, form.replace(/MP(?=[ST])/g, 'M')]);
  return [...new Set(forms)].filter((form) => form.length > 0);
}

/**
 * The soundalike keys of a name: 'dm:' + each Double Metaphone key and 'sx:' + the Soundex code, of the
 * whole name and of each part of a double-barrelled one. Two names sound alike when they share a key.
 */
export function soundalikeKeys(name: string | null | undefined): string[] {
  if (!name) return [];
  const keys = new Set<string>();
  for (const part of nameForms(name)) {
    const [primary, secondary] = doubleMetaphone(part);
    if (primary) keys.add(`dm:${primary}`);
    if (secondary) keys.add(`dm:${secondary}`);
    const sx = soundex(part);
    if (sx) keys.add(`sx:${sx}`);
  }
  return [...keys].sort();
}
