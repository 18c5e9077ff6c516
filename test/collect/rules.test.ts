// The census rule engine: the valid return has no findings, and each rule is triggered by a small
// mutation of it, with no other rule appearing (or, where one mistake necessarily breaks two rules,
// exactly the two named).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, test } from 'node:test';
import { parse } from 'csv-parse/sync';
import { type CensusPupil, type CensusReturn, readCensusFile } from '../../src/collect/census-reader.ts';
import { RULES, ulnIsValid } from '../../src/collect/rules.ts';
import { type ValidateOptions, validateReturn } from '../../src/collect/validate.ts';
import { makeUpn } from '../../src/ctf/upn.ts';
import { translateMessage } from '../../src/platform/i18n/catalogue.ts';

const FIXTURES = join(import.meta.dirname, '..', 'fixtures', 'census');

let valid: CensusReturn;
before(async () => {
  valid = await readCensusFile(join(FIXTURES, 'valid-autumn.xml'));
});

/** The valid return's pupils on roll: 0 Amira (Y7), 1 Oliver (Y7), 2 Grace (Y8), 3 Dylan (Y9), 4 Chloe
 * (Y10), 5 Samuel (Y10), 6 Priya (Y11), 7 Jack (Y12), 8 Zainab (Y12), 9 Ethan (Y13), 10 Ffion (Y13);
 * no longer on roll: 0 Rhys (left aged 14), 1 Siân (left aged 12). */
function pupil(census: CensusReturn, index: number, onRoll = true): CensusPupil {
  const found = (onRoll ? census.pupilsOnRoll : census.pupilsNoLongerOnRoll)[index];
  assert.ok(found, `pupil ${index}`);
  return found;
}

function school(census: CensusReturn) {
  assert.ok(census.school);
  return census.school;
}

function variant(mutate: (census: CensusReturn) => void): CensusReturn {
  const copy = structuredClone(valid);
  mutate(copy);
  return copy;
}

function ruleNumbers(census: CensusReturn, options: ValidateOptions = {}): string[] {
  const { errors, queries } = validateReturn(census, options);
  return [...new Set([...errors, ...queries].map((finding) => finding.rule))].sort();
}

interface Case {
  name: string;
  expect: string[];
  mutate: (census: CensusReturn) => void;
  options?: ValidateOptions;
}

const CASES: Case[] = [
  // The return's header
  {
    name: 'reference date missing',
    expect: ['100'],
    mutate: (c) => {
      c.header.referenceDate = null;
    },
  },
  {
    name: 'reference date not a real day',
    expect: ['100'],
    mutate: (c) => {
      c.header.referenceDate = '2025-02-30';
    },
  },
  {
    name: 'reference date not ISO',
    expect: ['100'],
    mutate: (c) => {
      c.header.referenceDate = '02/10/2025';
    },
  },
  {
    name: 'reference date in another term',
    expect: ['100'],
    mutate: (c) => {
      c.header.term = 'SPR';
    },
  },
  {
    name: 'term not a census term',
    expect: ['100'],
    mutate: (c) => {
      c.header.term = 'AUTUMN';
    },
  },
  {
    name: 'term missing',
    expect: ['100'],
    mutate: (c) => {
      c.header.term = null;
    },
  },
  {
    name: 'reference date in another year',
    expect: ['100'],
    mutate: (c) => {
      c.header.year = '2024';
    },
  },
  {
    name: 'header LA missing',
    expect: ['S2S-01'],
    mutate: (c) => {
      c.header.laNumber = null;
    },
  },
  {
    name: 'header LA not 3 digits',
    expect: ['S2S-01'],
    mutate: (c) => {
      c.header.laNumber = '91';
    },
  },
  {
    name: 'header establishment malformed',
    expect: ['S2S-02'],
    mutate: (c) => {
      c.header.establishment = '40A1';
    },
  },
  {
    name: 'header establishment missing',
    expect: ['S2S-02'],
    mutate: (c) => {
      c.header.establishment = null;
    },
  },
  {
    name: 'school details name another establishment',
    expect: ['S2S-03'],
    mutate: (c) => {
      school(c).establishment = '4002';
    },
  },
  {
    name: 'school details name another LA',
    expect: ['S2S-03'],
    mutate: (c) => {
      school(c).laNumber = '917';
    },
  },
  {
    name: 'LA not a current LA',
    expect: ['S2S-04'],
    mutate: (c) => {
      c.header.laNumber = '999';
      school(c).laNumber = '999';
    },
  },
  {
    name: 'return loaded for another LA',
    expect: ['S2S-05'],
    mutate: () => {},
    options: { schoolLaNumber: '917' },
  },

  // The school
  {
    name: 'no school details',
    expect: ['165'],
    mutate: (c) => {
      c.school = null;
    },
  },
  {
    name: 'school name missing',
    expect: ['110'],
    mutate: (c) => {
      school(c).name = null;
    },
  },
  {
    name: 'phase missing',
    expect: ['120'],
    mutate: (c) => {
      school(c).phase = null;
    },
  },
  {
    name: 'phase not a phase',
    expect: ['120'],
    mutate: (c) => {
      school(c).phase = 'XX';
    },
  },
  {
    name: 'school type missing',
    expect: ['140'],
    mutate: (c) => {
      school(c).schoolType = null;
    },
  },
  {
    name: 'highest year group invalid',
    expect: ['210'],
    mutate: (c) => {
      school(c).highestNcYear = '15';
    },
  },
  {
    name: 'lowest year group missing',
    expect: ['220'],
    mutate: (c) => {
      school(c).lowestNcYear = null;
    },
  },
  {
    name: 'lowest year group above highest',
    expect: ['230'],
    mutate: (c) => {
      school(c).lowestNcYear = '13';
      school(c).highestNcYear = '7';
    },
  },
  {
    name: 'governance independent',
    expect: ['260'],
    mutate: (c) => {
      school(c).governance = 'IN';
    },
  },
  {
    name: 'governance missing',
    expect: ['260'],
    mutate: (c) => {
      school(c).governance = null;
    },
  },
  {
    name: 'academy type without academy governance',
    expect: ['261'],
    mutate: (c) => {
      school(c).governance = 'CO';
    },
  },
  {
    name: 'academy governance without academy type',
    expect: ['262'],
    mutate: (c) => {
      school(c).schoolType = '20';
    },
  },
  {
    name: 'school outside the NC but pupils in NC year groups',
    expect: ['200'],
    mutate: (c) => {
      school(c).lowestNcYear = 'X';
      school(c).highestNcYear = 'X';
    },
  },
  {
    name: 'nursery school listing leavers',
    expect: ['5065'],
    mutate: (c) => {
      Object.assign(school(c), { phase: 'NS', lowestNcYear: 'N1', highestNcYear: 'N2' });
      // One nursery pupil, aged 3 at the start of the school year, in N2.
      c.pupilsOnRoll = [{ ...pupil(c, 0), dob: '2021-12-01', ncYearActual: 'N2', uln: null }];
    },
  },

  // Pupils: UPNs and ULNs
  {
    name: 'UPN missing',
    expect: ['1500'],
    mutate: (c) => {
      pupil(c, 0).upn = null;
    },
  },
  {
    name: 'leaver UPN missing',
    expect: ['1500'],
    mutate: (c) => {
      pupil(c, 1, false).upn = null;
    },
  },
  {
    name: 'UPN check letter wrong',
    expect: ['1510'],
    mutate: (c) => {
      pupil(c, 0).upn = 'B916201119004';
    },
  },
  {
    name: 'former UPN check letter wrong',
    expect: ['1510'],
    mutate: (c) => {
      pupil(c, 1).formerUpn = 'A91640012501A';
    },
  },
  {
    name: 'UPN shared by two pupils',
    expect: ['1520'],
    mutate: (c) => {
      pupil(c, 1).upn = pupil(c, 0).upn;
    },
  },
  {
    name: 'UPN shared by a pupil on roll and a leaver',
    expect: ['1520'],
    mutate: (c) => {
      pupil(c, 1, false).upn = pupil(c, 2).upn;
    },
  },
  {
    name: 'UPN with an unknown LA',
    expect: ['1530'],
    mutate: (c) => {
      pupil(c, 0).upn = makeUpn('999', '2011', '19', '004');
    },
  },
  {
    name: 'former UPN with LA 000',
    expect: ['1530'],
    mutate: (c) => {
      pupil(c, 1).formerUpn = makeUpn('000', '4001', '25', '01', 'A');
    },
  },
  {
    name: 'UPN with a letter O for a zero',
    expect: ['1540'],
    mutate: (c) => {
      pupil(c, 0).upn = 'Q9162O1119004';
    },
  },
  {
    name: 'UPN ending in I',
    expect: ['1550'],
    mutate: (c) => {
      pupil(c, 0).upn = 'Q91620111900I';
    },
  },
  {
    name: 'UPN too short',
    expect: ['1550'],
    mutate: (c) => {
      pupil(c, 0).upn = 'Q91620111900';
    },
  },
  {
    name: 'pupil of 14 without a ULN',
    expect: ['1570'],
    mutate: (c) => {
      pupil(c, 4).uln = null;
    },
  },
  {
    name: 'pupil who turns 14 on census day without a ULN',
    expect: ['1570'],
    mutate: (c) => {
      pupil(c, 3).dob = '2011-10-02';
    },
  },
  {
    name: 'leaver who left aged 14 without a ULN',
    expect: ['1573'],
    mutate: (c) => {
      pupil(c, 0, false).uln = null;
    },
  },
  {
    name: 'ULN check digit wrong',
    expect: ['1575'],
    mutate: (c) => {
      pupil(c, 4).uln = '4512078398';
    },
  },
  {
    name: 'ULN too short',
    expect: ['1575'],
    mutate: (c) => {
      pupil(c, 4).uln = '45120783';
    },
  },
  {
    name: 'ULN shared by two pupils',
    expect: ['1578'],
    mutate: (c) => {
      pupil(c, 5).uln = pupil(c, 4).uln;
    },
  },

  // Pupils: names, dates of birth, sex, ethnicity
  {
    name: 'surname missing',
    expect: ['1580'],
    mutate: (c) => {
      pupil(c, 0).surname = null;
    },
  },
  {
    name: 'leaver forename missing',
    expect: ['1590'],
    mutate: (c) => {
      pupil(c, 1, false).forename = null;
    },
  },
  {
    name: 'forename missing',
    expect: ['1590'],
    mutate: (c) => {
      pupil(c, 2).forename = null;
    },
  },
  {
    name: 'date of birth missing',
    expect: ['1600'],
    mutate: (c) => {
      pupil(c, 0).dob = null;
    },
  },
  {
    name: 'date of birth not a real day',
    expect: ['1600'],
    mutate: (c) => {
      pupil(c, 0).dob = '2014-02-30';
    },
  },
  {
    name: 'date of birth after census day',
    expect: ['1600'],
    mutate: (c) => {
      pupil(c, 0).dob = '2025-10-05';
    },
  },
  {
    // Aged 20 in year 13: too old for a secondary school, and 3 years from the expected year group.
    name: 'pupil too old for the phase',
    expect: ['1601Q', '2020Q'],
    mutate: (c) => {
      pupil(c, 9).dob = '2005-03-01';
    },
  },
  {
    name: 'sex not M or F',
    expect: ['1610'],
    mutate: (c) => {
      pupil(c, 0).sex = 'X';
    },
  },
  {
    name: 'sex missing',
    expect: ['1610'],
    mutate: (c) => {
      pupil(c, 1, false).sex = null;
    },
  },
  {
    name: 'two pupils with the same name, sex and date of birth',
    expect: ['1620Q'],
    mutate: (c) => {
      const [a, b] = [pupil(c, 0), pupil(c, 1)];
      Object.assign(b, { surname: a.surname, forename: a.forename, sex: a.sex, dob: a.dob });
    },
  },
  {
    name: 'ethnicity missing',
    expect: ['1630'],
    mutate: (c) => {
      pupil(c, 0).ethnicity = null;
    },
  },
  {
    name: 'ethnicity not a code',
    expect: ['1630'],
    mutate: (c) => {
      pupil(c, 0).ethnicity = 'White';
    },
  },
  {
    name: 'ethnicity not obtained for 2 of 11 pupils',
    expect: ['1700Q'],
    mutate: (c) => {
      pupil(c, 0).ethnicity = 'NOBT';
      pupil(c, 1).ethnicity = 'NOBT';
    },
  },

  // Pupils: status and dates
  {
    name: 'guest pupil',
    expect: ['1860'],
    mutate: (c) => {
      pupil(c, 0).enrolStatus = 'G';
    },
  },
  {
    name: 'enrolment status missing',
    expect: ['1860'],
    mutate: (c) => {
      pupil(c, 0).enrolStatus = null;
    },
  },
  {
    name: 'one dual-registered pupil in 11',
    expect: ['1870Q'],
    mutate: (c) => {
      pupil(c, 3).enrolStatus = 'M';
    },
  },
  {
    name: 'entry date after census day',
    expect: ['1880'],
    mutate: (c) => {
      pupil(c, 0).entryDate = '2025-10-10';
    },
  },
  {
    name: 'entry date missing',
    expect: ['1880'],
    mutate: (c) => {
      pupil(c, 0).entryDate = null;
    },
  },
  {
    name: 'leaver entry date not a date',
    expect: ['1880'],
    mutate: (c) => {
      pupil(c, 1, false).entryDate = 'soon';
    },
  },
  {
    name: 'leaving date after census day',
    expect: ['1920'],
    mutate: (c) => {
      pupil(c, 1, false).leavingDate = '2025-10-03';
    },
  },
  {
    name: 'leaving date on census day',
    expect: ['1920'],
    mutate: (c) => {
      pupil(c, 1, false).leavingDate = '2025-10-02';
    },
  },
  {
    name: 'leaving date before entry date',
    expect: ['1920'],
    mutate: (c) => {
      pupil(c, 1, false).leavingDate = '2024-01-01';
    },
  },
  {
    name: 'leaving date missing',
    expect: ['1920'],
    mutate: (c) => {
      pupil(c, 1, false).leavingDate = null;
    },
  },
  {
    name: 'part-time indicator missing',
    expect: ['1930'],
    mutate: (c) => {
      pupil(c, 0).partTime = null;
    },
  },
  {
    name: 'part-time indicator not boolean',
    expect: ['1930'],
    mutate: (c) => {
      pupil(c, 0).partTime = 'yes';
    },
  },
  {
    name: 'part-time pupil aged 12',
    expect: ['1940'],
    mutate: (c) => {
      pupil(c, 2).partTime = 'true';
    },
  },
  {
    // Boarding is reported as a query too whenever anyone boards.
    name: 'part-time boarder aged 16',
    expect: ['1950', '1980Q'],
    mutate: (c) => {
      pupil(c, 7).partTime = 'true';
      pupil(c, 7).boarder = 'B';
    },
  },
  {
    name: 'boarder code not recognised',
    expect: ['1970'],
    mutate: (c) => {
      pupil(c, 0).boarder = 'Q';
    },
  },
  {
    name: 'a boarding pupil',
    expect: ['1980Q'],
    mutate: (c) => {
      pupil(c, 0).boarder = '7';
    },
  },

  // Pupils: year groups
  {
    name: 'year group not a year group',
    expect: ['2000'],
    mutate: (c) => {
      pupil(c, 0).ncYearActual = '15';
    },
  },
  {
    name: 'year group missing',
    expect: ['2000'],
    mutate: (c) => {
      pupil(c, 0).ncYearActual = null;
    },
  },
  {
    name: 'year group below the school’s range',
    expect: ['2002'],
    mutate: (c) => {
      pupil(c, 0).ncYearActual = '6';
    },
  },
  {
    name: '2 of 11 pupils a year out of their age group',
    expect: ['2010Q'],
    mutate: (c) => {
      pupil(c, 2).ncYearActual = '9';
      pupil(c, 3).ncYearActual = '10';
    },
  },
  {
    name: 'pupil two years below their age group',
    expect: ['2020Q'],
    mutate: (c) => {
      pupil(c, 9).ncYearActual = '11';
    },
  },
];

describe('census rules', () => {
  test('the valid autumn return has no errors and no queries', () => {
    assert.deepEqual(validateReturn(valid), { errors: [], queries: [] });
    assert.deepEqual(validateReturn(valid, { schoolLaNumber: '916' }), { errors: [], queries: [] });
  });

  test('the same pupils in a spring return have no findings either', () => {
    const spring = variant((c) => {
      Object.assign(c.header, { term: 'SPR', year: '2026', referenceDate: '2026-01-15' });
    });
    assert.deepEqual(validateReturn(spring), { errors: [], queries: [] });
  });

  for (const { name, expect, mutate, options } of CASES) {
    test(`${expect.join(' + ')}: ${name}`, () => {
      assert.deepEqual(ruleNumbers(variant(mutate), options), [...expect].sort());
    });
  }

  test('every implemented rule is triggered by at least one case', () => {
    const covered = new Set(CASES.flatMap((c) => c.expect));
    const uncovered = RULES.map((r) => r.number).filter((number) => !covered.has(number));
    assert.deepEqual(uncovered, []);
  });

  test('thresholds: 1 of 11 without ethnicity, 1 of 11 dual-registered, 1 of 11 a year out are not queried', () => {
    assert.deepEqual(
      ruleNumbers(
        variant((c) => {
          pupil(c, 0).ethnicity = 'NOBT';
        }),
      ),
      [],
    );
    assert.deepEqual(
      ruleNumbers(
        variant((c) => {
          pupil(c, 2).ncYearActual = '9';
        }),
      ),
      [],
    );
    const dual = variant((c) => {
      pupil(c, 3).enrolStatus = 'M';
    });
    const [finding] = validateReturn(dual).queries;
    assert.equal(finding?.detail, '10 of 11 pupils (90.9%).');
  });

  test('a pupil who turns 14 the day after census day needs no ULN yet', () => {
    assert.deepEqual(
      ruleNumbers(
        variant((c) => {
          pupil(c, 3).dob = '2011-10-03';
        }),
      ),
      [],
    );
  });

  test('findings name the pupils concerned, with their UPN, name and list', () => {
    const census = variant((c) => {
      pupil(c, 1).upn = pupil(c, 0).upn;
    });
    const { errors } = validateReturn(census);
    assert.equal(errors.length, 1);
    const [finding] = errors;
    assert.equal(finding?.rule, '1520');
    assert.equal(finding?.kind, 'error');
    assert.equal(finding?.level, 'pupil');
    assert.deepEqual(finding?.pupils, [
      {
        upn: 'Q916201119004',
        name: 'Khan, Amira',
        surname: 'Khan',
        forename: 'Amira',
        onRoll: true,
        position: 1,
      },
      {
        upn: 'Q916201119004',
        name: 'Bennett, Oliver',
        surname: 'Bennett',
        forename: 'Oliver',
        onRoll: true,
        position: 2,
      },
    ]);
    assert.match(finding?.detail ?? '', /2 records have UPN Q916201119004/);
  });

  test('a pupil-level rule gives one finding per pupil, with the specifics', () => {
    const census = variant((c) => {
      pupil(c, 0).sex = 'X';
      pupil(c, 1, false).sex = null;
    });
    const { errors } = validateReturn(census);
    assert.deepEqual(
      errors.map((e) => [e.rule, e.pupils[0]?.name, e.pupils[0]?.onRoll, e.detail]),
      [
        ['1610', 'Khan, Amira', true, '"X" was given.'],
        ['1610', 'Jones, Siân', false, 'It is missing.'],
      ],
    );
  });

  test('a UPN finding says which UPN (UPN or former UPN) is wrong and why', () => {
    const census = variant((c) => {
      pupil(c, 1).formerUpn = 'A91640012501A';
    });
    const [finding] = validateReturn(census).errors;
    assert.match(finding?.detail ?? '', /^Former UPN A91640012501A: .*should be R/);
  });

  test('rule 1530 uses the LA numbers it is given', () => {
    const onlyGlos = new Set(['916']);
    // Samuel's UPN (803, Bristol) and Zainab's (886, Kent) are not in this list.
    const { errors } = validateReturn(valid, { knownLaNumbers: onlyGlos });
    assert.deepEqual(
      errors.map((e) => [e.rule, e.pupils[0]?.name]),
      [
        ['1530', "O'Neill, Samuel"],
        ['1530', 'Ahmed, Zainab'],
      ],
    );
  });

  test('ULN check digits', () => {
    assert.equal(ulnIsValid('4512078397'), true);
    assert.equal(ulnIsValid('4512078400'), true, 'a check digit of 0');
    assert.equal(ulnIsValid('4512078398'), false);
    assert.equal(ulnIsValid('4512078460'), false, 'no digit can make 451207846 valid');
    assert.equal(ulnIsValid('45120783971'), false);
    assert.equal(ulnIsValid('45120783A7'), false);
  });
});

describe('the rule catalogue', () => {
  const catalogue = new Map(
    (
      parse(readFileSync(join(FIXTURES, 'school-census-rule-catalogue.csv')), { columns: true }) as {
        rule: string;
        kind: string;
        level: string;
        description: string;
      }[]
    ).map((row) => [row.rule, row]),
  );

  test('every DfE rule number is in the catalogue, with the same kind and level', () => {
    for (const rule of RULES.filter((r) => r.source === 'dfe')) {
      const isQuery = rule.number.endsWith('Q');
      const entry = catalogue.get(isQuery ? rule.number.slice(0, -1) : rule.number);
      assert.ok(entry, `rule ${rule.number} is not in the catalogue`);
      assert.equal(entry.kind, rule.kind, `rule ${rule.number} kind`);
      assert.equal(rule.kind === 'query', isQuery, `rule ${rule.number}: only queries end in Q`);
      // Our "return" level is the header part of what the catalogue calls school level.
      assert.equal(entry.level, rule.level === 'return' ? 'school' : rule.level, `rule ${rule.number} level`);
    }
  });

  test('our own checks are marked S2S- and never reuse a catalogue number', () => {
    for (const rule of RULES.filter((r) => r.source === 's2s')) {
      assert.match(rule.number, /^S2S-\d\d$/);
      assert.equal(catalogue.has(rule.number.slice(4)), false);
    }
  });

  test('at least 30 DfE rules are implemented, each once', () => {
    const numbers = RULES.map((r) => r.number);
    assert.equal(new Set(numbers).size, numbers.length, 'rule numbers are unique');
    assert.ok(RULES.filter((r) => r.source === 'dfe').length >= 30);
  });

  test('messages are our own words, not the catalogue descriptions', () => {
    const normal = (text: string) =>
      text
        .toLowerCase()
        .replace(/[^a-z0-9]+/g, ' ')
        .trim();
    for (const rule of RULES) {
      const entry = catalogue.get(rule.number.replace(/Q$/, ''));
      const message = translateMessage('en', rule.message);
      if (entry) assert.notEqual(normal(message), normal(entry.description), rule.number);
      assert.ok(translateMessage('en', rule.guidance).length > 20, `rule ${rule.number} says what to do`);
    }
  });

  test('RULES.md lists every implemented rule', () => {
    const doc = readFileSync(join(import.meta.dirname, '..', '..', 'src', 'collect', 'RULES.md'), 'utf8');
    for (const rule of RULES) assert.match(doc, new RegExp(`\\| ${rule.number} +\\|`), rule.number);
  });
});
