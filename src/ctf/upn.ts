// Unique Pupil Numbers (UPNs): the DfE check-letter formula and the school census rules 1500-1550.
// Pure domain code: no I/O, never throws for any input string (except the builders given bad parts).
//
// A UPN has 13 characters:
//   1      check letter, computed from characters 2-13 (see upnCheckLetter)
//   2-4    the LA number of the LA (or school) that issued it
//   5-8    the establishment (school) number
//   9-10   the last two digits of the academic year it was issued
//   11-12  serial digits
//   13     a serial digit (a permanent UPN) or a letter (a temporary UPN, issued while the school waits
//          for the pupil's real UPN); the letter is one of UPN_ALPHABET, so never I, O or S.
//
// Decisions (also in the tests):
// - Normalising: surrounding whitespace is trimmed and the ASCII letters a-z are upper-cased, so a UPN
//   typed in lower case is accepted; `UpnCheck.upn` is the normalised form, the one to store. Spaces
//   or hyphens inside a UPN are not removed: they make it invalid, with a message naming them.
// - Wrong length: reported under rule 1550 ("character 13 ... is missing" covers too short; too long
//   has no rule of its own), and nothing else is checked, because every other rule is positional and
//   a missing or extra character shifts every position after it.
// - Rule 1530 without `knownLaNumbers`: only what can never be an LA number is reported: characters
//   2-4 that are not 3 digits, or 000. With `knownLaNumbers` (the CLI passes KNOWN_LA_NUMBERS from
//   la-codes.ts; the web service can pass the directory's LAs), characters 2-4 must be one of them.
// - Characters 2-4 that are not digits are rule 1530 (not a recognised LA code), not 1540, whose
//   DfE wording is about characters 5-12 only.
// - Rule 1510 needs characters 2-13 to be well formed to know the right letter: when they are not,
//   1510 is only reported if character 1 could never be a check letter (a digit, I, O, S...).
// - `temporary` is true when character 13 is a letter (the temporary form), valid or not.
//
// What the check letter catches (proved in test/ctf/upn.test.ts): changing one character p (2-13)
// from value v to w changes the sum by p x (w - v), a multiple of the prime 23 only when w = v, so every
// single mistyped digit and every swap of two different neighbouring digits is caught. The one blind
// spot is character 13, where digit d and UPN_ALPHABET[d] (0/A, 1/B ... 8/J, 9/K) have the same value:
// H916540225001 and H91654022500B are both valid, one permanent, one temporary.

export type UpnRule = '1500' | '1510' | '1530' | '1540' | '1550';

/** One reason a UPN is invalid: the DfE school census rule number and a plain-English message. */
export interface UpnProblem {
  rule: UpnRule;
  message: string;
}

export interface UpnCheck {
  /** The UPN as checked: trimmed and upper-cased. */
  upn: string;
  valid: boolean;
  /** Character 13 is a letter: a temporary UPN (only meaningful when `valid`). */
  temporary: boolean;
  /** Characters 2-4 when they are 3 digits (recognised or not) in a 13-character UPN, else null. */
  laNumber: string | null;
  /** Every problem found, in character order; empty when valid. */
  problems: UpnProblem[];
}

export interface UpnOptions {
  /** When given, characters 2-4 must be one of these LA numbers (rule 1530). */
  knownLaNumbers?: ReadonlySet<string>;
}

/** The check letters, in value order: A is 0 ... Z is 22. I, O and S are never used. */
export const UPN_ALPHABET = 'ABCDEFGHJKLMNPQRTUVWXYZ';

export const UPN_LENGTH = 13;

const DIGIT = /^[0-9]$/;

/** How a character looks in a message: quoted, with invisible ones named. */
function shown(character: string): string {
  if (character === ' ') return 'a space';
  if (/^\s$/u.test(character)) return 'a blank character';
  const code = character.codePointAt(0) ?? 0;
  if (code < 0x20 || code === 0x7f) return `a control character (U+${code.toString(16).padStart(4, '0')})`;
  return `"${character}"`;
}

function normalise(upn: string): string {
  return upn.trim().replace(/[a-z]/g, (letter) => letter.toUpperCase());
}

/** The value a character has in the check-letter sum at `position` (2-13), or null if not allowed. */
function characterValue(character: string, position: number): number | null {
  if (DIGIT.test(character)) return Number(character);
  if (position === UPN_LENGTH) {
    const index = UPN_ALPHABET.indexOf(character);
    return character.length === 1 && index >= 0 ? index : null;
  }
  return null;
}

/**
 * The check letter (character 1) for `characters2to13`: exactly the 12 characters that follow the
 * check letter, i.e. characters 2 to 13 of the UPN. It is UPN_ALPHABET[sum mod 23], where the sum
 * adds each character's value times its position in the UPN (2 to 13); a digit's value is the digit,
 * and the letter of a temporary UPN (allowed at character 13 only) has its index in UPN_ALPHABET.
 * Throws a RangeError when the characters are not 11 digits followed by a digit or UPN_ALPHABET letter.
 */
export function upnCheckLetter(characters2to13: string): string {
  const characters = Array.from(characters2to13);
  if (characters.length !== UPN_LENGTH - 1) {
    throw new RangeError(`Expected the 12 characters after the check letter, got ${characters.length}`);
  }
  let sum = 0;
  characters.forEach((character, index) => {
    const position = index + 2;
    const value = characterValue(character, position);
    if (value === null) {
      throw new RangeError(`Character ${position} of a UPN cannot be ${shown(character)}`);
    }
    sum += value * position;
  });
  return UPN_ALPHABET.charAt(sum % 23);
}

function digits(value: string, count: number, what: string): string {
  if (!new RegExp(`^[0-9]{${count}}$`).test(value)) {
    throw new RangeError(`The ${what} must be ${count} digits, not "${value}"`);
  }
  return value;
}

/**
 * Builds a valid UPN from its parts, computing the check letter. A permanent UPN has a 3-digit
 * `serial` (characters 11-13); a temporary one has a 2-digit `serial` (characters 11-12) followed by
 * `temporaryLetter` (one of UPN_ALPHABET). The LA number is not checked against any list.
 * Throws a RangeError when a part is malformed.
 */
export function makeUpn(
  laNumber: string,
  establishment4: string,
  year2: string,
  serial: string,
  temporaryLetter?: string,
): string {
  const temporary = temporaryLetter !== undefined;
  if (temporary && (temporaryLetter.length !== 1 || !UPN_ALPHABET.includes(temporaryLetter))) {
    throw new RangeError(
      `The letter of a temporary UPN must be one of ${UPN_ALPHABET} (never I, O or S), not "${temporaryLetter}"`,
    );
  }
  if (temporary && !/^[0-9]{2}$/.test(serial)) {
    throw new RangeError(
      `A temporary UPN has a 2-digit serial (characters 11-12) before its letter, not "${serial}"`,
    );
  }
  const body =
    digits(laNumber, 3, 'LA number') +
    digits(establishment4, 4, 'establishment number') +
    digits(year2, 2, 'year') +
    (temporary ? serial + temporaryLetter : digits(serial, 3, 'serial'));
  return upnCheckLetter(body) + body;
}

/** Checks a UPN against the DfE rules 1500-1550. Never throws. */
export function checkUpn(upn: string, options: UpnOptions = {}): UpnCheck {
  const normalised = normalise(typeof upn === 'string' ? upn : '');
  const characters = Array.from(normalised);
  const problems: UpnProblem[] = [];
  const result = (laNumber: string | null, temporary: boolean): UpnCheck => ({
    upn: normalised,
    valid: problems.length === 0,
    temporary,
    laNumber,
    problems,
  });

  if (characters.length === 0) {
    problems.push({ rule: '1500', message: 'The UPN is missing: enter the 13-character UPN.' });
    return result(null, false);
  }
  if (characters.length !== UPN_LENGTH) {
    problems.push({ rule: '1550', message: lengthMessage(characters) });
    return result(null, false);
  }

  const at = (position: number) => characters[position - 1] ?? '';
  const first = at(1);
  const la = characters.slice(1, 4).join('');
  const last = at(UPN_LENGTH);
  const temporary = /^[A-Z]$/.test(last);

  // Character 1 (rule 1510), computed once characters 2-13 are known to be well formed.
  const body = characters.slice(1).join('');
  const wellFormed = characters
    .slice(1)
    .every((character, index) => characterValue(character, index + 2) !== null);
  const firstCanBeCheckLetter = first.length === 1 && UPN_ALPHABET.includes(first);
  if (wellFormed) {
    const expected = upnCheckLetter(body);
    if (first !== expected) {
      problems.push({
        rule: '1510',
        message: firstCanBeCheckLetter
          ? `The check letter (character 1) should be ${expected}, not ${first}: a character has probably been mistyped, so check the UPN against the pupil's records.`
          : `Character 1 should be the check letter ${expected}, not ${shown(first)}.`,
      });
    }
  } else if (!firstCanBeCheckLetter) {
    problems.push({
      rule: '1510',
      message: `Character 1 should be a check letter (a capital letter, never I, O or S), not ${shown(first)}.`,
    });
  }

  // Characters 2-4 (rule 1530).
  const laIsDigits = /^[0-9]{3}$/.test(la);
  if (!laIsDigits) {
    const bad = characters.slice(1, 4).find((character) => !DIGIT.test(character)) ?? '';
    problems.push({
      rule: '1530',
      message: `Characters 2 to 4 should be the 3-digit LA number, but they include ${shown(bad)}.`,
    });
  } else if (la === '000') {
    problems.push({ rule: '1530', message: 'Characters 2 to 4 are 000, which is never an LA number.' });
  } else if (options.knownLaNumbers && !options.knownLaNumbers.has(la)) {
    problems.push({
      rule: '1530',
      message: `Characters 2 to 4 (${la}) are not a recognised LA number.`,
    });
  }

  // Characters 5-12 (rule 1540).
  const nonDigits: string[] = [];
  for (let position = 5; position <= 12; position++) {
    if (!DIGIT.test(at(position))) nonDigits.push(`character ${position} is ${shown(at(position))}`);
  }
  if (nonDigits.length > 0) {
    problems.push({
      rule: '1540',
      message: `Characters 5 to 12 should all be digits, but ${joinWithAnd(nonDigits)}.`,
    });
  }

  // Character 13 (rule 1550).
  if (characterValue(last, UPN_LENGTH) === null) {
    const why = temporary ? ` (${last} is never used in a UPN)` : '';
    problems.push({
      rule: '1550',
      message: `Character 13 should be a digit, or for a temporary UPN a capital letter other than I, O or S, not ${shown(last)}${why}.`,
    });
  }

  return result(laIsDigits ? la : null, temporary);
}

function lengthMessage(characters: string[]): string {
  const start = `A UPN has 13 characters, but this one has ${characters.length}`;
  const blanks = characters.filter((character) => /^\s$/u.test(character)).length;
  if (blanks === 1) return `${start}, including a space: remove it.`;
  if (blanks > 1) return `${start}, including ${blanks} spaces: remove them.`;
  const difference = Math.abs(characters.length - UPN_LENGTH);
  const what = characters.length < UPN_LENGTH ? 'missing' : 'too many';
  return `${start}: ${difference === 1 ? '1 character is' : `${difference} characters are`} ${what}.`;
}

function joinWithAnd(items: string[]): string {
  if (items.length <= 1) return items.join('');
  return `${items.slice(0, -1).join(', ')} and ${items.at(-1)}`;
}
