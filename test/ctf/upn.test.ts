// UPN checking: hand-computed vectors for every DfE rule, and properties of the check letter.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import {
  CURRENT_LA_NAMES,
  CURRENT_LA_NUMBERS,
  FORMER_LAS,
  KNOWN_LA_NUMBERS,
  laName,
} from '../../src/ctf/la-codes.ts';
import {
  checkUpn,
  makeUpn,
  UPN_ALPHABET,
  type UpnProblem,
  type UpnRule,
  upnCheckLetter,
} from '../../src/ctf/upn.ts';
import { translateMessage } from '../../src/platform/i18n/catalogue.ts';

// Worked by hand: H916540225001 (LA 916 Gloucestershire, school 5402, year 25, serial 001).
// Characters 2-13 times their positions 2-13:
//   9x2 + 1x3 + 6x4 + 5x5 + 4x6 + 0x7 + 2x8 + 2x9 + 5x10 + 0x11 + 0x12 + 1x13
//   = 18 + 3 + 24 + 25 + 24 + 0 + 16 + 18 + 50 + 0 + 0 + 13 = 191
//   191 mod 23 = 191 - 8x23 = 7, and UPN_ALPHABET[7] = H (A0 B1 C2 D3 E4 F5 G6 H7).
const GLOUCESTERSHIRE = 'H916540225001';
// G681200124123 (LA 681 Cardiff): 12+24+4+10+0+0+8+18+40+11+24+39 = 190; 190 - 8x23 = 6 -> G.
const CARDIFF = 'G681200124123';
// Temporary E91654022500Z: the 2-digit serial 00, then Z, which counts as its index 22:
// 191 - 1x13 (the permanent UPN's last digit) + 22x13 = 464; 464 - 20x23 = 4 -> E.
const TEMPORARY = 'E91654022500Z';
// The example in python-stdnum's documentation: 8x2+1x4+2x6+5x12+1x13 = 93 = 4x23 + 1 -> B.
const BRISTOL = 'B801200005001';

const rules = (upn: string, options?: Parameters<typeof checkUpn>[1]): UpnRule[] =>
  checkUpn(upn, options).problems.map((p) => p.rule);

const englishOf = (problems: UpnProblem[]) => problems.map(({ rule, message }) => ({ rule, message }));

const DIGITS = '0123456789';
/** The characters a UPN may have at `position` (2-13). */
const allowedAt = (position: number) => (position === 13 ? DIGITS + UPN_ALPHABET : DIGITS);
/** The value a character adds, per unit of weight, to the check-letter sum. */
const sumValue = (character: string) =>
  DIGITS.includes(character) ? Number(character) : UPN_ALPHABET.indexOf(character);

/** An independent implementation (the alphabet-index trick: '0' sits at index 23 = 0 mod 23). */
function oracleValid(upn: string): boolean {
  if (!/^[A-HJ-NP-RT-Z][0-9]{11}[0-9A-HJ-NP-RT-Z]$/.test(upn) || upn.slice(1, 4) === '000') return false;
  const table = `${UPN_ALPHABET}0123456789`;
  let sum = 0;
  for (let i = 1; i < 13; i++) sum += (i + 1) * table.indexOf(upn.charAt(i));
  return table.charAt(sum % 23) === upn.charAt(0);
}

const digitString = (length: number) =>
  fc.string({ unit: fc.constantFrom(...DIGITS), minLength: length, maxLength: length });
const laNumberArb = fc.integer({ min: 1, max: 999 }).map((n) => String(n).padStart(3, '0'));
interface Parts {
  la: string;
  establishment: string;
  year: string;
  serial3: string;
  letter: string | undefined;
}
/** The parts of any well-formed UPN, permanent or temporary. */
const upnParts: fc.Arbitrary<Parts> = fc.record({
  la: laNumberArb,
  establishment: digitString(4),
  year: digitString(2),
  serial3: digitString(3),
  letter: fc.option(fc.constantFrom(...UPN_ALPHABET), { nil: undefined }),
});
const build = (p: Parts) =>
  p.letter === undefined
    ? makeUpn(p.la, p.establishment, p.year, p.serial3)
    : makeUpn(p.la, p.establishment, p.year, p.serial3.slice(0, 2), p.letter);

describe('checkUpn: vectors', () => {
  test('valid permanent UPNs worked by hand', () => {
    for (const [upn, la] of [
      [GLOUCESTERSHIRE, '916'],
      [CARDIFF, '681'],
      [BRISTOL, '801'],
    ] as const) {
      assert.deepEqual(checkUpn(upn, { knownLaNumbers: KNOWN_LA_NUMBERS }), {
        upn,
        valid: true,
        temporary: false,
        laNumber: la,
        problems: [],
      });
    }
    assert.equal(makeUpn('916', '5402', '25', '001'), GLOUCESTERSHIRE);
    assert.equal(upnCheckLetter('681200124123'), 'G');
  });

  test('a valid temporary UPN', () => {
    assert.deepEqual(checkUpn(TEMPORARY), {
      upn: TEMPORARY,
      valid: true,
      temporary: true,
      laNumber: '916',
      problems: [],
    });
    assert.equal(makeUpn('916', '5402', '25', '00', 'Z'), TEMPORARY);
  });

  test('a wrong check letter is rule 1510 and names the right letter', () => {
    const check = checkUpn(`L${GLOUCESTERSHIRE.slice(1)}`);
    assert.equal(check.valid, false);
    assert.deepEqual(rules(check.upn), ['1510']);
    assert.match(check.problems[0]?.message ?? '', /should be H, not L/);
    // A worked example published with a slip in its arithmetic (4x7 for 7x4 = 28; the sum is 266, not
    // 267): 266 - 11x23 = 13 -> P, so Q207000016049 is wrong and P207000016049 right.
    assert.match(checkUpn('Q207000016049').problems[0]?.message ?? '', /should be P, not Q/);
    assert.equal(checkUpn('P207000016049').valid, true);
  });

  test('a first character that can never be a check letter is rule 1510, with or without the right letter', () => {
    assert.match(
      checkUpn(`1${GLOUCESTERSHIRE.slice(1)}`).problems[0]?.message ?? '',
      /should be the check letter H, not "1"/,
    );
    for (const first of ['I', 'O', 'S', '1']) {
      const check = checkUpn(`${first}9165402A5001`); // character 9 is not a digit: no right letter
      assert.deepEqual(
        check.problems.map((p) => p.rule),
        ['1510', '1540'],
      );
      assert.match(check.problems[0]?.message ?? '', /never I, O or S/);
    }
    // A letter that could be a check letter, on a UPN whose letter cannot be worked out: only 1540.
    assert.deepEqual(rules('H9165402A5001'), ['1540']);
  });

  test('a temporary UPN ending in I, O or S is rule 1550', () => {
    for (const letter of ['I', 'O', 'S']) {
      const check = checkUpn(`E91654022500${letter}`);
      assert.equal(check.valid, false);
      assert.equal(check.temporary, true);
      assert.deepEqual(rules(check.upn), ['1550']);
      assert.match(
        check.problems[0]?.message ?? '',
        new RegExp(`not "${letter}" \\(${letter} is never used`),
      );
    }
    assert.deepEqual(rules('E91654022500-'), ['1550']);
  });

  test('characters 5-12 that are not all digits are rule 1540, naming each one', () => {
    const check = checkUpn('H9165A0225X01');
    assert.deepEqual(rules(check.upn), ['1540']);
    assert.equal(
      check.problems[0]?.message,
      'Characters 5 to 12 should all be digits, but character 6 is "A" and character 11 is "X".',
    );
    // A letter at 12 is not a temporary UPN: only character 13 may be a letter.
    assert.deepEqual(rules('H9165402250Z1'), ['1540']);
  });

  test('characters 2-4: not digits, 000, or not in knownLaNumbers are rule 1530', () => {
    const letters = checkUpn('H9X6540225001');
    assert.deepEqual(
      letters.problems.map((p) => p.rule),
      ['1530'],
    );
    assert.equal(letters.laNumber, null);
    assert.match(letters.problems[0]?.message ?? '', /3-digit LA number, but they include "X"/);

    const zero = makeUpn('000', '5402', '25', '001');
    assert.deepEqual(rules(zero), ['1530'], 'never an LA number, even without a list');

    const unknown = makeUpn('999', '5402', '25', '001');
    assert.equal(checkUpn(unknown).valid, true, 'without a list, any 3 digits but 000 will do');
    const check = checkUpn(unknown, { knownLaNumbers: KNOWN_LA_NUMBERS });
    assert.deepEqual(check, {
      upn: unknown,
      valid: false,
      temporary: false,
      laNumber: '999',
      problems: [
        {
          rule: '1530',
          message: 'Characters 2 to 4 (999) are not a recognised LA number.',
          text: { key: 'ctf.upn.1530.unknown', params: { la: '999' } },
        },
      ],
    });
    assert.deepEqual(rules(GLOUCESTERSHIRE, { knownLaNumbers: new Set(['681']) }), ['1530']);
  });

  test('missing is rule 1500 and nothing else', () => {
    for (const empty of ['', '   ', '\t\n']) {
      assert.deepEqual(checkUpn(empty), {
        upn: '',
        valid: false,
        temporary: false,
        laNumber: null,
        problems: [
          {
            rule: '1500',
            message: 'The UPN is missing: enter the 13-character UPN.',
            text: { key: 'ctf.upn.missing' },
          },
        ],
      });
    }
  });

  test('the wrong length is reported alone, as rule 1550 (character 13 missing, or one too many)', () => {
    const short = checkUpn(GLOUCESTERSHIRE.slice(0, 12));
    assert.deepEqual(englishOf(short.problems), [
      { rule: '1550', message: 'A UPN has 13 characters, but this one has 12: 1 character is missing.' },
    ]);
    assert.equal(short.laNumber, null);
    const long = checkUpn(`${GLOUCESTERSHIRE}4`);
    assert.deepEqual(
      long.problems.map((p) => p.rule),
      ['1550'],
    );
    assert.match(long.problems[0]?.message ?? '', /has 14: 1 character is too many/);
    assert.match(checkUpn('X').problems[0]?.message ?? '', /has 1: 12 characters are missing/);
  });

  test('surrounding whitespace is trimmed and lower case accepted; inner spaces are not removed', () => {
    const check = checkUpn(`  ${TEMPORARY.toLowerCase()}\t\n`);
    assert.equal(check.valid, true);
    assert.equal(check.upn, TEMPORARY, 'the normalised form, to store');
    assert.equal(checkUpn(`\u00a0${GLOUCESTERSHIRE}\u00a0`).valid, true);

    const spaced = checkUpn('H916 5402 25001');
    assert.deepEqual(englishOf(spaced.problems), [
      {
        rule: '1550',
        message: 'A UPN has 13 characters, but this one has 15, including 2 spaces: remove them.',
      },
    ]);
    const inner = checkUpn('H9165 0225001');
    assert.deepEqual(
      inner.problems.map((p) => p.rule),
      ['1540'],
    );
    assert.match(inner.problems[0]?.message ?? '', /character 6 is a space/);
    // Only a-z are upper-cased: the dotless i (which upper-cases to I) is just a wrong character.
    assert.deepEqual(rules(`${GLOUCESTERSHIRE.slice(0, 12)}\u0131`), ['1550']);
  });

  test('each problem is a message, the English the same as `message`, the Welsh for pages', () => {
    const [notDigits] = checkUpn('H9165 0225X01').problems;
    assert.ok(notDigits);
    assert.equal(
      notDigits.message,
      'Characters 5 to 12 should all be digits, but character 6 is a space and character 11 is "X".',
    );
    assert.equal(
      translateMessage('cy', notDigits.text),
      'Dylai nodau 5 i 12 i gyd fod yn ddigidau, ond nid yw hynny’n wir am nod 6 (bwlch) a nod 11 (“X”).',
    );
    const [short] = checkUpn('H91654022500').problems;
    assert.ok(short);
    assert.equal(
      translateMessage('cy', short.text),
      'Mae gan UPN 13 nod, ond mae gan yr un hwn 12: mae 1 nod ar goll.',
    );
    for (const upn of ['', 'H9X6540225001', '19X6A40225O0I', 'E91654022500I', 'H916 5402 25001', 'X']) {
      for (const problem of checkUpn(upn, { knownLaNumbers: KNOWN_LA_NUMBERS }).problems) {
        assert.equal(problem.message, translateMessage('en', problem.text), upn);
        assert.notEqual(translateMessage('cy', problem.text), problem.message, upn);
      }
    }
  });

  test('problems come in character order, all of them', () => {
    assert.deepEqual(rules('19X6A40225O0I', { knownLaNumbers: KNOWN_LA_NUMBERS }), [
      '1510',
      '1530',
      '1540',
      '1550',
    ]);
  });
});

describe('makeUpn and upnCheckLetter', () => {
  test('refuse malformed parts rather than build an invalid UPN', () => {
    assert.throws(() => makeUpn('91', '5402', '25', '001'), RangeError);
    assert.throws(() => makeUpn('916', '54O2', '25', '001'), RangeError);
    assert.throws(() => makeUpn('916', '5402', '2025', '001'), RangeError);
    assert.throws(() => makeUpn('916', '5402', '25', '001', 'A'), /2-digit serial/);
    assert.throws(() => makeUpn('916', '5402', '25', '00', 'I'), /never I, O or S/);
    assert.throws(() => makeUpn('916', '5402', '25', '00', 'a'), RangeError);
    assert.throws(() => makeUpn('916', '5402', '25', '01'), RangeError);
    assert.throws(() => upnCheckLetter('91654022500'), /12 characters/);
    assert.throws(() => upnCheckLetter('9165402250A1'), /Character 12/);
  });
});

describe('checkUpn: properties', () => {
  test('every makeUpn result is valid, and its check letter round-trips', () => {
    fc.assert(
      fc.property(upnParts, (parts) => {
        const upn = build(parts);
        const check = checkUpn(upn);
        assert.deepEqual(check, {
          upn,
          valid: true,
          temporary: parts.letter !== undefined,
          laNumber: parts.la,
          problems: [],
        });
        assert.equal(upnCheckLetter(upn.slice(1)), upn.charAt(0));
        assert.equal(checkUpn(upn.toLowerCase()).valid, true);
      }),
    );
  });

  // Changing character p (2-13) from value v to v' changes the sum by p x (v' - v). 23 is prime and
  // 2 <= p <= 13, so the check letter stays the same exactly when v' = v (mod 23). Characters 2-12 are
  // digits (|v' - v| <= 9): always caught. Character 13 holds a digit (0-9) or a letter (0-22): the
  // only equal values are digit d and UPN_ALPHABET[d], so the 10 swaps 0<->A 1<->B 2<->C 3<->D 4<->E
  // 5<->F 6<->G 7<->H 8<->J 9<->K at character 13 are NOT caught: they turn a permanent UPN into a
  // temporary one (or back) with the same check letter, and both are valid. No other single change
  // escapes rule 1510. Since the change to the sum depends only on p and the two characters, trying
  // every position and every pair of characters on one UPN covers every UPN.
  test('exhaustively: a single changed character 2-13 is rule 1510, except digit d <-> UPN_ALPHABET[d] at 13', () => {
    const undetected: string[] = [];
    for (let position = 2; position <= 13; position++) {
      for (const from of allowedAt(position)) {
        for (const to of allowedAt(position)) {
          if (from === to) continue;
          const base = `${GLOUCESTERSHIRE.slice(1, position - 1)}${from}${GLOUCESTERSHIRE.slice(position)}`;
          const upn = upnCheckLetter(base) + base;
          const changed = upn.slice(0, position - 1) + to + upn.slice(position);
          const check = checkUpn(changed);
          if (check.problems.some((p) => p.rule === '1510')) continue;
          assert.equal(check.valid, true, changed);
          undetected.push(`${position}:${from}>${to}`);
        }
      }
    }
    const expected = [...DIGITS].flatMap((d, i) => [
      `13:${d}>${UPN_ALPHABET[i]}`,
      `13:${UPN_ALPHABET[i]}>${d}`,
    ]);
    assert.deepEqual(undetected.sort(), expected.sort());
  });

  test('on random UPNs, a single changed character is caught unless it is that one swap', () => {
    fc.assert(
      fc.property(upnParts, fc.integer({ min: 2, max: 13 }), fc.nat(), (parts, position, pick) => {
        const upn = build(parts);
        const from = upn.charAt(position - 1);
        const choices = [...allowedAt(position)].filter((c) => c !== from);
        const to = choices[pick % choices.length] ?? '';
        const check = checkUpn(upn.slice(0, position - 1) + to + upn.slice(position));
        const sameValue = position === 13 && sumValue(to) === sumValue(from);
        assert.equal(
          check.problems.some((p) => p.rule === '1510'),
          !sameValue,
        );
      }),
    );
  });

  // Swapping neighbours p, p+1 holding a, b changes the sum by p(b - a) + (p + 1)(a - b) = a - b,
  // which is never 0 mod 23 for two different digits.
  test('swapping two different neighbouring digits is always caught', () => {
    fc.assert(
      fc.property(
        upnParts.filter((p) => p.letter === undefined),
        fc.integer({ min: 2, max: 12 }),
        (parts, position) => {
          const upn = build(parts);
          const [a, b] = [upn.charAt(position - 1), upn.charAt(position)];
          fc.pre(a !== b);
          const swapped = upn.slice(0, position - 1) + b + a + upn.slice(position + 1);
          assert.ok(rules(swapped).includes('1510'), swapped);
        },
      ),
    );
  });

  test('agrees with an independent implementation on UPN-like strings', () => {
    const upnLike = fc
      .tuple(
        fc.constantFrom(...'ABCDEFGHIJKLMNOPQRSTUVWXYZ1'),
        fc.string({ unit: fc.constantFrom(...DIGITS, 'A', 'O'), minLength: 11, maxLength: 11 }),
        fc.constantFrom(...DIGITS, ...'ABCDEFGHIJKLMNOPQRSTUVWXYZ'),
      )
      .map(([first, middle, last]) => first + middle + last);
    let valid = 0;
    fc.assert(
      fc.property(upnLike, (upn) => {
        const check = checkUpn(upn);
        assert.equal(check.valid, oracleValid(upn), upn);
        if (check.valid) valid++;
      }),
      { numRuns: 3000 },
    );
    assert.ok(valid > 0, 'some of the strings were valid');
  });

  test('never throws, and answers consistently, for any string', () => {
    const anyText = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 30 }),
      fc.string({
        unit: fc.constantFrom(...DIGITS, ...UPN_ALPHABET, 'i', 'o', 's', 'x', ' ', '\t', '-'),
        maxLength: 16,
      }),
    );
    const known = new Set(['916', '681']);
    fc.assert(
      fc.property(anyText, fc.boolean(), (text, withList) => {
        const check = checkUpn(text, withList ? { knownLaNumbers: known } : {});
        assert.equal(check.valid, check.problems.length === 0);
        assert.equal(check.upn, check.upn.trim());
        for (const problem of check.problems) {
          assert.ok(['1500', '1510', '1530', '1540', '1550'].includes(problem.rule));
          assert.ok(problem.message.length > 0);
        }
        if (check.valid) {
          assert.match(check.upn, /^[A-HJ-NP-RT-Z][0-9]{11}[0-9A-HJ-NP-RT-Z]$/);
          assert.equal(check.laNumber, check.upn.slice(1, 4));
        }
      }),
      { numRuns: 2000 },
    );
    assert.equal(checkUpn(undefined as unknown as string).problems[0]?.rule, '1500');
  });
});

describe('LA numbers', () => {
  test('England has 153 LAs and Wales 22 (660-681); former LAs stay known for old UPNs', () => {
    const welsh = [...CURRENT_LA_NUMBERS].filter((n) => n >= '660' && n <= '681');
    assert.equal(welsh.length, 22);
    assert.equal(CURRENT_LA_NUMBERS.size, 153 + 22);
    for (const n of KNOWN_LA_NUMBERS) assert.match(n, /^[0-9]{3}$/);
    for (const [n, former] of FORMER_LAS) {
      assert.ok(KNOWN_LA_NUMBERS.has(n) && !CURRENT_LA_NUMBERS.has(n), n);
      for (const successor of former.successors) assert.ok(CURRENT_LA_NUMBERS.has(successor), successor);
    }
    assert.equal(laName('916'), 'Gloucestershire');
    assert.equal(laName('928'), 'Northamptonshire');
    assert.equal(laName('999'), null);
    assert.equal(CURRENT_LA_NAMES.get('681'), 'Cardiff');
    assert.equal(KNOWN_LA_NUMBERS.has('000'), false);
  });
});
