// Unique Pupil Numbers (UPNs): the DfE check-letter formula and the school census rules 1500-1550.
// Pure domain code, its messages in the catalogue (src/ctf/translations.json); never throws for any
// input string (except the builders given bad parts).
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

import { type Message, message, translateMessage } from '../platform/i18n/catalogue.ts';

export type UpnRule = '1500' | '1510' | '1530' | '1540' | '1550';

/** One reason a UPN is invalid: the DfE school census rule number and why, in plain words. */
export interface UpnProblem {
  rule: UpnRule;
  /** In English (the CLI, the CTF reader); `text` says the same in the reader's language on a page. */
  message: string;
  text: Message;
}

function problem(rule: UpnRule, text: Message): UpnProblem {
  return { rule, message: translateMessage('en', text), text };
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
function shown(character: string): Message {
  if (character === ' ') return message('ctf.upn.space');
  if (/^\s$/u.test(character)) return message('ctf.upn.blank');
  const code = character.codePointAt(0) ?? 0;
  if (code < 0x20 || code === 0x7f) {
    return message('ctf.upn.control', { code: code.toString(16).padStart(4, '0') });
  }
  return message('ctf.upn.quoted', { character });
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
  if (WELL_FORMED_BODY.test(characters2to13)) return letterFor(characters2to13);
  const characters = Array.from(characters2to13);
  if (characters.length !== UPN_LENGTH - 1) {
    throw new RangeError(`Expected the 12 characters after the check letter, got ${characters.length}`);
  }
  const index = characters.findIndex((character, at) => characterValue(character, at + 2) === null);
  throw new RangeError(
    `Character ${index + 2} of a UPN cannot be ${translateMessage('en', shown(characters[index] as string))}`,
  );
}

/** Characters 2-13 of a UPN, well formed: eleven digits, then a digit or a letter of UPN_ALPHABET. */
const WELL_FORMED_BODY = /^[0-9]{11}[0-9A-HJ-NP-RT-Z]$/;

/** upnCheckLetter of characters known to be well formed (WELL_FORMED_BODY). */
function letterFor(body: string): string {
  let sum = 0;
  for (let at = 0; at < UPN_LENGTH - 2; at += 1) sum += (at + 2) * (body.charCodeAt(at) - 0x30);
  sum += UPN_LENGTH * (characterValue(body.charAt(UPN_LENGTH - 2), UPN_LENGTH) as number);
  return UPN_ALPHABET.charAt(sum % UPN_ALPHABET.length);
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
  const quick = validAtFirstSight(normalised, options);
  if (quick !== null) return quick;
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
    problems.push(problem('1500', message('ctf.upn.missing')));
    return result(null, false);
  }
  if (characters.length !== UPN_LENGTH) {
    problems.push(problem('1550', lengthProblem(characters)));
    return result(null, false);
  }

  const at = (position: number) => characters[position - 1] ?? '';
  const first = at(1);
  const la = characters.slice(1, 4).join('');
  const last = at(UPN_LENGTH);
  const temporary = /^[A-Z]$/.test(last);

  // Character 1 (rule 1510), computed once characters 2-13 are known to be well formed.
  const body = characters.slice(1).join('');
  const firstCanBeCheckLetter = first.length === 1 && UPN_ALPHABET.includes(first);
  if (WELL_FORMED_BODY.test(body)) {
    const expected = letterFor(body);
    if (first !== expected) {
      problems.push(
        problem(
          '1510',
          firstCanBeCheckLetter
            ? message('ctf.upn.1510.wrong-letter', { expected, first })
            : message('ctf.upn.1510.not-the-letter', { expected, character: shown(first) }),
        ),
      );
    }
  } else if (!firstCanBeCheckLetter) {
    problems.push(problem('1510', message('ctf.upn.1510.not-a-letter', { character: shown(first) })));
  }

  // Characters 2-4 (rule 1530).
  const laIsDigits = /^[0-9]{3}$/.test(la);
  if (!laIsDigits) {
    const bad = characters.slice(1, 4).find((character) => !DIGIT.test(character)) ?? '';
    problems.push(problem('1530', message('ctf.upn.1530.not-digits', { character: shown(bad) })));
  } else if (la === '000') {
    problems.push(problem('1530', message('ctf.upn.1530.zeros')));
  } else if (options.knownLaNumbers && !options.knownLaNumbers.has(la)) {
    problems.push(problem('1530', message('ctf.upn.1530.unknown', { la })));
  }

  // Characters 5-12 (rule 1540).
  const nonDigits: Message[] = [];
  for (let position = 5; position <= 12; position++) {
    if (!DIGIT.test(at(position))) {
      nonDigits.push(message('ctf.upn.1540.character', { position, character: shown(at(position)) }));
    }
  }
  const [firstNonDigit, ...otherNonDigits] = nonDigits;
  if (firstNonDigit) {
    problems.push(
      problem(
        '1540',
        message('ctf.upn.1540.not-digits', { characters: andList(firstNonDigit, otherNonDigits) }),
      ),
    );
  }

  // Character 13 (rule 1550).
  if (characterValue(last, UPN_LENGTH) === null) {
    problems.push(
      problem(
        '1550',
        temporary
          ? message('ctf.upn.1550.never-used', { character: shown(last), letter: last })
          : message('ctf.upn.1550.not-allowed', { character: shown(last) }),
      ),
    );
  }

  return result(laIsDigits ? la : null, temporary);
}

/**
 * The check of a UPN that is valid, without the work of naming problems, or null for any other (which
 * the full check then describes). A file's UPNs are nearly all valid, and checking them the full way
 * took about a tenth of reading a CTF.
 */
function validAtFirstSight(upn: string, options: UpnOptions): UpnCheck | null {
  const body = upn.slice(1);
  if (upn.length !== UPN_LENGTH || !WELL_FORMED_BODY.test(body) || upn[0] !== letterFor(body)) return null;
  const la = upn.slice(1, 4);
  if (la === '000' || (options.knownLaNumbers && !options.knownLaNumbers.has(la))) return null;
  return { upn, valid: true, temporary: !DIGIT.test(upn.charAt(UPN_LENGTH - 1)), laNumber: la, problems: [] };
}

function lengthProblem(characters: string[]): Message {
  const length = characters.length;
  const blanks = characters.filter((character) => /^\s$/u.test(character)).length;
  if (blanks === 1) return message('ctf.upn.length.a-space', { length });
  if (blanks > 1) return message('ctf.upn.length.spaces', { length, spaces: blanks });
  const count = Math.abs(length - UPN_LENGTH);
  return message(length < UPN_LENGTH ? 'ctf.upn.length.missing' : 'ctf.upn.length.too-many', {
    length,
    count,
  });
}

/** "A, B and C" in the reader's language. */
function andList(first: Message, rest: Message[]): Message {
  const [second, ...others] = rest;
  if (!second) return first;
  if (others.length === 0) return message('ctf.upn.list.and', { first, last: second });
  return message('ctf.upn.list.comma', { first, rest: andList(second, others) });
}
