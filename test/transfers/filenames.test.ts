import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { translateMessage } from '../../src/platform/i18n/catalogue.ts';
import { ALLOWED_EXTENSIONS } from '../../src/transfers/file-types.ts';
import {
  ADMISSIONS_TYPE_CODES,
  CENSUS_TYPE_CODES,
  type ClassifiedFilename,
  CTF_TYPE_CODE,
  classifyFilename,
  describeFile,
  type FilenameResult,
  fileDescription,
  type Party,
  partyCode,
  printableFilename,
} from '../../src/transfers/filenames.ts';

const school = (n: string): Party => ({ kind: 'school', establishmentNumber: n, laNumber: n.slice(0, 3) });
const la = (n: string): Party => ({ kind: 'la', laNumber: n });
const plas = (n: string): Party => ({ kind: 'la-inbox', laNumber: n, inbox: 'PLAS' });
const adms = (n: string): Party => ({ kind: 'la-inbox', laNumber: n, inbox: 'ADMS' });
const unknown: Party = { kind: 'lost-pupils', reason: 'destination-unknown' };
const leftSector: Party = { kind: 'lost-pupils', reason: 'left-maintained-sector' };

function file(name: string, fields: Omit<ClassifiedFilename, 'name'>): ClassifiedFilename {
  return { name, ...fields };
}

function ctf(name: string, source: Party, destination: Party, sequence: string): ClassifiedFilename {
  return file(name, {
    kind: 'ctf',
    typeCode: 'CTF',
    source,
    destination,
    sequence,
    description: null,
    censusYear: null,
    extension: 'XML',
  });
}

function generic(
  name: string,
  source: Party,
  destination: Party,
  description: string,
  extension: string,
): ClassifiedFilename {
  return file(name, {
    kind: 'generic',
    typeCode: null,
    source,
    destination,
    sequence: null,
    description,
    censusYear: null,
    extension,
  });
}

function classified(name: string): ClassifiedFilename {
  const result = classifyFilename(name);
  if (!result.ok) assert.fail(`${name} was refused: ${result.problems.join('; ')}`);
  return result.file;
}

function problems(name: string): string[] {
  const result = classifyFilename(name);
  if (result.ok) assert.fail(`${name} was accepted as ${describeFile(result.file)}`);
  return result.problems;
}

describe('every valid form of the handbooks is classified, field by field', () => {
  const cases: ClassifiedFilename[] = [
    // Schools handbook §8 A and LA notes Appendix 2: CTFs
    ctf('9165402_CTF_8171234_003.XML', school('9165402'), school('8171234'), '003'),
    ctf('9165402_CTF_916LLLL_007.XML', school('9165402'), la('916'), '007'),
    ctf('916LLLL_CTF_9165402_001.XML', la('916'), school('9165402'), '001'),
    ctf('916LLLL_CTF_817LLLL_002.XML', la('916'), la('817'), '002'),
    ctf('916LLLL_CTF_XXXXXXXX_002.XML', la('916'), unknown, '002'),
    ctf('1112222_CTF_XXXXXXXX_123.XML', school('1112222'), unknown, '123'),
    ctf('1112222_CTF_XXXXXXX_123.XML', school('1112222'), unknown, '123'),
    ctf('1112222_CTF_MMMMMMMM_123.XML', school('1112222'), leftSector, '123'),
    ctf('1112222_CTF_MMMMMMM_123.XML', school('1112222'), leftSector, '123'),
    // the LA notes' list of collected files (lower-case extensions written by MIS software)
    ctf('6802320_CTF_6812317_001.xml', school('6802320'), school('6812317'), '001'),
    ctf('0010001_CTF_001LLLL_024.XML', school('0010001'), la('001'), '024'),
    // §8 A: any three letters or digits in place of CTF; not a CTF
    file('9165402_KS1_916LLLL_005.XLS', {
      kind: 'other',
      typeCode: 'KS1',
      source: school('9165402'),
      destination: la('916'),
      sequence: '005',
      description: null,
      censusYear: null,
      extension: 'XLS',
    }),
    file('9165402_123_8171234_005.PDF', {
      kind: 'other',
      typeCode: '123',
      source: school('9165402'),
      destination: school('8171234'),
      sequence: '005',
      description: null,
      censusYear: null,
      extension: 'PDF',
    }),
    // §8 B: PLASC and School Census
    file('9165402_ASC_916LL06_001.XML', {
      kind: 'census',
      typeCode: 'ASC',
      source: school('9165402'),
      destination: la('916'),
      sequence: '001',
      description: null,
      censusYear: '06',
      extension: 'XML',
    }),
    file('8054301_SC2_805LL06_001.XML', {
      kind: 'census',
      typeCode: 'SC2',
      source: school('8054301'),
      destination: la('805'),
      sequence: '001',
      description: null,
      censusYear: '06',
      extension: 'XML',
    }),
    // the COLLECT guide's example, with a real school number
    file('8731234_SC3_873LL07_000.XML', {
      kind: 'census',
      typeCode: 'SC3',
      source: school('8731234'),
      destination: la('873'),
      sequence: '000',
      description: null,
      censusYear: '07',
      extension: 'XML',
    }),
    // admissions: the CTF pattern with an admissions type code
    file('916ADMS_ATF_9165402_001.XML', {
      kind: 'admissions',
      typeCode: 'ATF',
      source: adms('916'),
      destination: school('9165402'),
      sequence: '001',
      description: null,
      censusYear: null,
      extension: 'XML',
    }),
    file('999LLLL_ADT_1114999_26001.XML', {
      kind: 'admissions',
      typeCode: 'ADT',
      source: la('999'),
      destination: school('1114999'),
      sequence: '26001',
      description: null,
      censusYear: null,
      extension: 'XML',
    }),
    file('9994444_ASL_111ADMS_26001.XML', {
      kind: 'admissions',
      typeCode: 'ASL',
      source: school('9994444'),
      destination: adms('111'),
      sequence: '26001',
      description: null,
      censusYear: null,
      extension: 'XML',
    }),
    file('916ADMS_APT_817ADMS_004.XML', {
      kind: 'admissions',
      typeCode: 'APT',
      source: adms('916'),
      destination: adms('817'),
      sequence: '004',
      description: null,
      censusYear: null,
      extension: 'XML',
    }),
    // §8 C and Appendix 2: generic files
    generic('9165402_916LLLL_SENLIST.ZIP', school('9165402'), la('916'), 'SENLIST', 'ZIP'),
    generic('1113333_2224444_FFT15.ZIP', school('1113333'), school('2224444'), 'FFT15', 'ZIP'),
    generic('1113333_222LLLL_FFT15.ZIP', school('1113333'), la('222'), 'FFT15', 'ZIP'),
    generic('222LLLL_1113333_FFT15.ZIP', la('222'), school('1113333'), 'FFT15', 'ZIP'),
    generic('9165402_916PLAS_Census_2026.csv', school('9165402'), plas('916'), 'Census_2026', 'CSV'),
    generic('916ADMS_9165402_Offers.xlsx', adms('916'), school('9165402'), 'Offers', 'XLSX'),
    generic(
      '9165402_8171234_ABCDEFGHIJKLMNO.ZIP',
      school('9165402'),
      school('8171234'),
      'ABCDEFGHIJKLMNO',
      'ZIP',
    ),
    // a generic file whose description looks like a CTF's tail is still generic: the form is fixed by
    // the second part (a 7- or 8-character code for generic files, three characters for typed ones)
    generic('9165402_8171234_CTF_003.XML', school('9165402'), school('8171234'), 'CTF_003', 'XML'),
  ];
  for (const expected of cases) {
    test(expected.name, () => {
      assert.deepEqual(classified(expected.name), expected);
    });
  }
});

test('type codes, codes and extensions are read in any case, and reported in upper case', () => {
  assert.deepEqual(
    classified('9165402_ctf_8171234_003.xml'),
    ctf('9165402_ctf_8171234_003.xml', school('9165402'), school('8171234'), '003'),
  );
  assert.deepEqual(
    classified('9165402_CtF_916lLlL_007.Xml'),
    ctf('9165402_CtF_916lLlL_007.Xml', school('9165402'), la('916'), '007'),
  );
  assert.deepEqual(classified('9165402_CTF_xxxxxxxx_003.XML').destination, unknown);
  assert.deepEqual(classified('9165402_CTF_mmmmmmm_003.XML').destination, leftSector);
  assert.deepEqual(classified('9165402_916plas_x.zip').destination, plas('916'));
  assert.deepEqual(classified('9165402_ks1_916LLLL_005.xls').typeCode, 'KS1');
  const census = classified('9165402_sc1_916ll26_001.xml');
  assert.equal(census.kind, 'census');
  assert.equal(census.typeCode, 'SC1');
  assert.equal(census.censusYear, '26');
  assert.equal(classified('916adms_atf_9165402_001.XML').kind, 'admissions');
  // descriptions are free text: kept as written
  assert.equal(classified('9165402_916LLLL_SenList.ZIP').description, 'SenList');
});

describe('every refusal gives its reason', () => {
  const cases: Array<[string, string[]]> = [
    // characters
    ['', ['the file name is empty']],
    ['9165402_CTF_8171234 003.XML', ['spaces are not allowed in file names']],
    [' 9165402_CTF_8171234_003.XML', ['the file name starts with a space: remove it']],
    ['9165402_CTF_8171234_003.XML ', ['the file name ends with a space: remove it']],
    ['9165402_CTF_8171234_003.XML\u00a0', ['the file name ends with a space: remove it']],
    [
      '9165402_CTF_8171234_003 (1).XML',
      [
        'spaces are not allowed in file names',
        "the file name contains '(', ')': only the letters A to Z, the digits 0 to 9, _ and one dot before the extension can be used",
      ],
    ],
    [
      'H:\\s2s downloads\\681LLLL_CTF_6812049_001.xml',
      [
        'the file name contains a folder path (/ or \\): give the name of the file only (681LLLL_CTF_6812049_001.xml)',
      ],
    ],
    [
      '../9165402_CTF_8171234_003.XML',
      [
        'the file name contains a folder path (/ or \\): give the name of the file only (9165402_CTF_8171234_003.XML)',
      ],
    ],
    ['9165402_CTF_8171234_003.XML\n', ['the file name contains an invisible control character (U+000A)']],
    ['9165402_CTF\u0000_8171234_003.XML', ['the file name contains an invisible control character (U+0000)']],
    [
      '9165402_CTF_８171234_003.XML',
      ["'８' (U+FF18) looks like a digit but is not one of 0 to 9: type the number again"],
    ],
    [
      '9165402_CTF_\u0668171234_003.XML',
      ["'\u0668' (U+0668) looks like a digit but is not one of 0 to 9: type the number again"],
    ],
    [
      '9165402_CTF_\u0425XXXXXXX_003.XML',
      ["'\u0425' (U+0425) is not one of the letters A to Z: type the name again"],
    ],
    [
      '9165402_CTF_8171234_003.XML\u200b',
      [
        'the file name contains U+200B: only the letters A to Z, the digits 0 to 9, _ and one dot before the extension can be used',
      ],
    ],
    [
      '9165402-CTF-8171234-003.XML',
      [
        "the file name contains '-': only the letters A to Z, the digits 0 to 9, _ and one dot before the extension can be used",
      ],
    ],
    [
      `${'9'.repeat(101)}.XML`,
      ['the file name is too long (105 characters): s2s file names are at most 37 characters'],
    ],
    // the dot and the extension
    [
      '9165402_CTF_8171234_003',
      ['the file name has no extension: it must end with a dot and the file type, like .XML or .ZIP'],
    ],
    [
      '9165402_CTF_8171234_003.XML.ZIP',
      ['the file name has 2 dots: only one is allowed, just before the extension (like .XML)'],
    ],
    ['.XML', ['the file name has nothing before the dot']],
    [
      '9165402_CTF_8171234_003.',
      ['the extension is missing after the dot: end the name with the file type, like .XML'],
    ],
    ['9165402_CTF_8171234_003.XLS', ['a CTF must have the extension .XML']],
    ['9165402_ASC_916LL06_001.CSV', ['a census file (ASC) must have the extension .XML']],
    ['916ADMS_ATF_9165402_001.ZIP', ['an admissions file (ATF) must have the extension .XML']],
    [
      '9165402_916LLLL_Tool.EXE',
      [
        'files ending .EXE cannot be sent: send .ZIP, .XLSX, .DOCX, .PPTX, .ODS, .ODT, .PDF, .XLS, .DOC, .XML, .CSV, .TXT, .RTF, .JPG, .JPEG, .PNG files, or put the file in a .ZIP',
      ],
    ],
    ['9165402_916LLLL_List.X_Y', ["the extension '.X_Y' may only have letters and digits"]],
    // the parts
    [
      'SENLIST.ZIP',
      [
        'the file name must be in parts joined by _, like 9165402_CTF_8171234_003.XML (a CTF) or 9165402_916LLLL_SENLIST.ZIP (a generic file)',
      ],
    ],
    ['_9165402_CTF_8171234_003.XML', ['the file name starts with _: it must start with the source']],
    [
      '9165402_CTF_81712_003.XML',
      ["the destination '81712' is not a 7-digit DfE number, LEALLLL, XXXXXXXX or MMMMMMMM"],
    ],
    ['916540_CTF_8171234_003.XML', ["the source '916540' is not a 7-digit DfE number or LEALLLL"]],
    [
      '9165402_CTF_675LLLLL_003.XML',
      [
        "the destination '675LLLLL' is not a 7-digit DfE number, LEALLLL, XXXXXXXX or MMMMMMMM: an LA is written as its 3-digit number followed by four Ls, like 675LLLL",
      ],
    ],
    [
      '9165402_CTF_XXXXXX_003.XML',
      [
        "the destination 'XXXXXX' is not a 7-digit DfE number, LEALLLL, XXXXXXXX or MMMMMMMM: an unknown destination is written as eight Xs: XXXXXXXX",
      ],
    ],
    [
      '9165402_CTF_MMMMMMMMM_003.XML',
      [
        "the destination 'MMMMMMMMM' is not a 7-digit DfE number, LEALLLL, XXXXXXXX or MMMMMMMM: a destination outside the maintained sector is written as eight Ms: MMMMMMMM",
      ],
    ],
    [
      '9165402_CTF_81712O4_003.XML',
      [
        "the destination '81712O4' is not a 7-digit DfE number, LEALLLL, XXXXXXXX or MMMMMMMM: it has the letter O where the digit 0 should be",
      ],
    ],
    ['9165402_CTF__003.XML', ['the destination is missing (there are two underscores together)']],
    ['9165402_CTF_9165402_003.XML', ['the source and destination are the same']],
    ['916LLLL_916LLLL_Notes.ZIP', ['the source and destination are the same']],
    ['9165402_CTF_8171234_3.XML', ["the file number '3' must be 3 digits, like 001"]],
    ['9165402_CTF_8171234_0003.XML', ["the file number '0003' must be 3 digits, like 001"]],
    ['9165402_CTF_8171234_ABC.XML', ["the file number 'ABC' must be 3 digits, like 001"]],
    ['9165402_CTF_8171234_.XML', ['the file number is missing after the last _']],
    [
      '916ADMS_ATF_9165402_1234.XML',
      ["the file number '1234' must be 3 digits, like 001, or 5 (the year and 3 digits), like 26001"],
    ],
    // the LA notes' screenshot: an LA-to-school CTF without its file number
    [
      '681LLLL_CTF_6812049.xml',
      [
        'the file number is missing: after the destination put _ and a 3-digit number, like 681LLLL_CTF_6812049_001.XML',
      ],
    ],
    // Appendix 2's LA-to-school row without the underscore after CTF
    [
      '333LLLL_CTF1112222_123.XML',
      ['put an underscore between CTF and 1112222: 333LLLL_CTF_1112222_123.XML'],
    ],
    [
      '9165402_CTF_8171234_003_v2.XML',
      [
        'the name has too many parts: after the file number comes the dot and the extension, like 9165402_CTF_8171234_003.XML',
      ],
    ],
    ['9165402_CTFX_8171234_003.XML', ["the type 'CTFX' must be 3 letters or digits, like CTF"]],
    // who may send and receive what
    ['9165402_ASC_916LLAB_001.XML', ["the census year 'AB' must be two digits, like 06"]],
    [
      '9165402_SC1_805LL06_001.XML',
      ["a census file goes to the school's own LA: the destination should be 916LL06, not 805LL06"],
    ],
    [
      '9165402_SC1_916LLLL_001.XML',
      [
        'a census file (SC1) must go to the LA as LEALLyy (the LA number, LL and the 2-digit census year), like 916LL06',
      ],
    ],
    [
      '916LLLL_ASC_916LL06_001.XML',
      [
        "a census file must come from a school: the source must be the school's 7-digit DfE number, not 916LLLL",
      ],
    ],
    [
      '9165402_CTF_916LL06_001.XML',
      ["'916LL06' is for census files only (ASC, SC1, SC2, SC3): send a CTF to the LA as 916LLLL"],
    ],
    [
      '916LL06_CTF_9165402_001.XML',
      ["'916LL06' is where census files are collected: it can only be a destination"],
    ],
    [
      'XXXXXXXX_CTF_9165402_001.XML',
      ["'XXXXXXXX' (the lost pupils database) can only be a destination, never the source"],
    ],
    [
      '9165402_KS1_XXXXXXXX_001.XLS',
      ['only a CTF can go to the lost pupils database (XXXXXXXX), not a file of type KS1'],
    ],
    [
      '9165402_MMMMMMMM_Notes.ZIP',
      ['only a CTF can go to the lost pupils database (MMMMMMMM), not a generic file'],
    ],
    [
      '9165402_CTF_916ADMS_003.XML',
      ['a CTF cannot go to 916ADMS (the LA admissions inbox): use 916LLLL for the LA'],
    ],
    [
      '916PLAS_CTF_9165402_003.XML',
      ['a CTF cannot come from 916PLAS (the LA PLASC inbox): use 916LLLL for the LA'],
    ],
    [
      '9165402_ATF_916PLAS_001.XML',
      [
        'an admissions file (ATF) cannot go to 916PLAS (the LA PLASC inbox): use 916ADMS for the LA admissions team',
      ],
    ],
    [
      '9165402_ATF_8171234_001.XML',
      ['an admissions file goes between a school and an LA, or between LAs: not from one school to another'],
    ],
    [
      '9165402_81712_Notes.ZIP',
      ["the destination '81712' is not a 7-digit DfE number, LEALLLL, LEAPLAS or LEAADMS"],
    ],
    // generic descriptions
    ['9165402_916LLLL_ABCDEFGHIJKLMNOPQR.ZIP', ['the description is longer than 15 characters (it has 18)']],
    ['9165402_916LLLL_ABCDEFGHIJKLMNOP.ZIP', ['the description is longer than 15 characters (it has 16)']],
    ['9165402_916LLLL_SEN_LIST_2026_AB.ZIP', ['the description is longer than 15 characters (it has 16)']],
    [
      '9165402_916LLLL.ZIP',
      [
        'the description is missing: after the destination put _ and up to 15 letters, digits or _, like 9165402_916LLLL_SENLIST.ZIP',
      ],
    ],
    // several reasons at once
    [
      '916540_CTF_81712_3.XLS',
      [
        "the source '916540' is not a 7-digit DfE number or LEALLLL",
        "the destination '81712' is not a 7-digit DfE number, LEALLLL, XXXXXXXX or MMMMMMMM",
        "the file number '3' must be 3 digits, like 001",
        'a CTF must have the extension .XML',
      ],
    ],
  ];
  for (const [name, expected] of cases) {
    test(JSON.stringify(name), () => {
      assert.deepEqual(problems(name), expected);
    });
  }
});

test('describes a classification in words', () => {
  assert.equal(
    describeFile(classified('9165402_CTF_8171234_003.XML')),
    'CTF from school 9165402 to school 8171234, file number 003',
  );
  assert.equal(
    describeFile(classified('9165402_CTF_XXXXXXXX_003.XML')),
    'CTF from school 9165402 to the lost pupils database (destination unknown), file number 003',
  );
  assert.equal(
    describeFile(classified('9165402_ASC_916LL06_001.XML')),
    'PLASC file (ASC) from school 9165402 to LA 916, census year 06, file number 001',
  );
  assert.equal(
    describeFile(classified('9165402_916ADMS_Appeals.PDF')),
    'generic file from school 9165402 to the admissions inbox of LA 916 (916ADMS), description Appeals, type .PDF',
  );
  assert.equal(
    describeFile(classified('9165402_KS1_916LLLL_005.XLS')),
    'KS1 file (not a CTF) from school 9165402 to LA 916, file number 005, type .XLS',
  );
});

test('describes a classification in Welsh for a Welsh reader, from the same message as the English', () => {
  const welsh = (name: string) => translateMessage('cy', fileDescription(classified(name)));
  assert.equal(
    welsh('9165402_CTF_XXXXXXXX_003.XML'),
    'CTF, ffynhonnell: ysgol 9165402, cyrchfan: y gronfa ddata disgyblion coll (cyrchfan anhysbys), rhif y ffeil: 003',
  );
  assert.equal(
    welsh('9165402_ASC_916LL06_001.XML'),
    'ffeil PLASC (ASC), ffynhonnell: ysgol 9165402, cyrchfan: awdurdod lleol 916, blwyddyn y cyfrifiad: 06, rhif y ffeil: 001',
  );
  assert.equal(
    welsh('9165402_SC3_916LL26_002.XML'),
    'ffeil Cyfrifiad Ysgolion (SC3), ffynhonnell: ysgol 9165402, cyrchfan: awdurdod lleol 916, blwyddyn y cyfrifiad: 26, rhif y ffeil: 002',
  );
  assert.equal(
    welsh('916ADMS_ATF_9165402_26001.XML'),
    'ffeil derbyniadau (ATF), ffynhonnell: blwch derbyn derbyniadau awdurdod lleol 916 (916ADMS), cyrchfan: ysgol 9165402, rhif y ffeil: 26001',
  );
  assert.equal(
    welsh('9165402_916ADMS_Appeals.PDF'),
    'ffeil gyffredinol, ffynhonnell: ysgol 9165402, cyrchfan: blwch derbyn derbyniadau awdurdod lleol 916 (916ADMS), disgrifiad: Appeals, math o ffeil: .PDF',
  );
  assert.equal(
    welsh('9165402_KS1_916LLLL_005.XLS'),
    'ffeil KS1 (nid CTF), ffynhonnell: ysgol 9165402, cyrchfan: awdurdod lleol 916, rhif y ffeil: 005, math o ffeil: .XLS',
  );
  assert.equal(
    describeFile(classified('9165402_SC3_916LL26_002.XML')),
    'School Census file (SC3) from school 9165402 to LA 916, census year 26, file number 002',
  );
  assert.equal(
    describeFile(classified('916ADMS_ATF_9165402_26001.XML')),
    'admissions file (ATF) from the admissions inbox of LA 916 (916ADMS) to school 9165402, file number 26001',
  );
});

// ---------------------------------------------------------------------------------------------------
// Properties

/** The same letters, each in upper or lower case at random. */
function anyCase(text: string): fc.Arbitrary<string> {
  return fc
    .array(fc.boolean(), { minLength: text.length, maxLength: text.length })
    .map((lower) => [...text].map((ch, i) => (lower[i] ? ch.toLowerCase() : ch.toUpperCase())).join(''));
}

interface Coded {
  code: string;
  party: Party;
}

const laNumber = fc.stringMatching(/^\d{3}$/);
const schoolCode: fc.Arbitrary<Coded> = fc
  .stringMatching(/^\d{7}$/)
  .map((n) => ({ code: n, party: school(n) }));
const laCode: fc.Arbitrary<Coded> = fc
  .tuple(laNumber, anyCase('LLLL'))
  .map(([n, l]) => ({ code: `${n}${l}`, party: la(n) }));
const plasCode: fc.Arbitrary<Coded> = fc
  .tuple(laNumber, anyCase('PLAS'))
  .map(([n, inbox]) => ({ code: `${n}${inbox}`, party: plas(n) }));
const admsCode: fc.Arbitrary<Coded> = fc
  .tuple(laNumber, anyCase('ADMS'))
  .map(([n, inbox]) => ({ code: `${n}${inbox}`, party: adms(n) }));
const lostCode: fc.Arbitrary<Coded> = fc
  .tuple(fc.constantFrom('X', 'M'), fc.constantFrom(7, 8))
  .chain(([letter, count]) =>
    anyCase(letter.repeat(count)).map((code) => ({ code, party: letter === 'X' ? unknown : leftSector })),
  );
const sequence3 = fc.stringMatching(/^\d{3}$/);
const xml = anyCase('XML');
const safeExtension = fc.constantFrom(...ALLOWED_EXTENSIONS).chain(anyCase);

const differentParties = ([a, b]: [Coded, Coded, ...unknown[]]) => partyCode(a.party) !== partyCode(b.party);

/** A random valid name of each form, with the classification it must get. */
const validNames: fc.Arbitrary<ClassifiedFilename> = fc.oneof(
  fc
    .tuple(
      fc.oneof(schoolCode, laCode),
      fc.oneof(schoolCode, laCode, lostCode),
      anyCase('CTF'),
      sequence3,
      xml,
    )
    .filter(differentParties)
    .map(([source, destination, code, sequence, extension]) => ({
      name: `${source.code}_${code}_${destination.code}_${sequence}.${extension}`,
      kind: 'ctf' as const,
      typeCode: 'CTF',
      source: source.party,
      destination: destination.party,
      sequence,
      description: null,
      censusYear: null,
      extension: 'XML',
    })),
  fc
    .tuple(
      schoolCode,
      fc.constantFrom(...CENSUS_TYPE_CODES).chain(anyCase),
      anyCase('LL'),
      fc.stringMatching(/^\d{2}$/),
      sequence3,
      xml,
    )
    .map(([source, code, ll, year, sequence, extension]) => {
      const laOfSchool = source.code.slice(0, 3);
      return {
        name: `${source.code}_${code}_${laOfSchool}${ll}${year}_${sequence}.${extension}`,
        kind: 'census' as const,
        typeCode: code.toUpperCase(),
        source: source.party,
        destination: la(laOfSchool),
        sequence,
        description: null,
        censusYear: year,
        extension: 'XML',
      };
    }),
  fc
    .tuple(
      fc.oneof(schoolCode, laCode, admsCode),
      fc.oneof(schoolCode, laCode, admsCode),
      fc.constantFrom(...ADMISSIONS_TYPE_CODES).chain(anyCase),
      fc.oneof(sequence3, fc.stringMatching(/^\d{5}$/)),
      xml,
    )
    .filter(differentParties)
    .filter(([source, destination]) => source.party.kind !== 'school' || destination.party.kind !== 'school')
    .map(([source, destination, code, sequence, extension]) => ({
      name: `${source.code}_${code}_${destination.code}_${sequence}.${extension}`,
      kind: 'admissions' as const,
      typeCode: code.toUpperCase(),
      source: source.party,
      destination: destination.party,
      sequence,
      description: null,
      censusYear: null,
      extension: 'XML',
    })),
  fc
    .tuple(
      fc.oneof(schoolCode, laCode, plasCode, admsCode),
      fc.oneof(schoolCode, laCode, plasCode, admsCode),
      fc
        .stringMatching(/^[A-Za-z0-9]{3}$/)
        .filter(
          (code) =>
            ![CTF_TYPE_CODE, ...CENSUS_TYPE_CODES, ...ADMISSIONS_TYPE_CODES].includes(code.toUpperCase()),
        ),
      sequence3,
      safeExtension,
    )
    .filter(differentParties)
    .map(([source, destination, code, sequence, extension]) => ({
      name: `${source.code}_${code}_${destination.code}_${sequence}.${extension}`,
      kind: 'other' as const,
      typeCode: code.toUpperCase(),
      source: source.party,
      destination: destination.party,
      sequence,
      description: null,
      censusYear: null,
      extension: extension.toUpperCase(),
    })),
  fc
    .tuple(
      fc.oneof(schoolCode, laCode, plasCode, admsCode),
      fc.oneof(schoolCode, laCode, plasCode, admsCode),
      fc.stringMatching(/^[A-Za-z0-9_]{1,15}$/),
      safeExtension,
    )
    .filter(differentParties)
    .map(([source, destination, description, extension]) => ({
      name: `${source.code}_${destination.code}_${description}.${extension}`,
      kind: 'generic' as const,
      typeCode: null,
      source: source.party,
      destination: destination.party,
      sequence: null,
      description,
      censusYear: null,
      extension: extension.toUpperCase(),
    })),
);

test('property: a name built from valid parts gives the parts back (every form)', () => {
  fc.assert(
    fc.property(validNames, (expected) => {
      assert.deepEqual(classifyFilename(expected.name), { ok: true, file: expected });
    }),
    { numRuns: 2000 },
  );
});

function assertWellFormed(name: string, result: FilenameResult): void {
  if (result.ok) {
    assert.equal(result.file.name, name);
    assert.match(name, /^[A-Za-z0-9_]+\.[A-Za-z0-9]+$/, 'only accepted characters in an accepted name');
    return;
  }
  assert.ok(result.problems.length > 0, 'a refusal always gives a reason');
  for (const problem of result.problems) {
    assert.equal(typeof problem, 'string');
    assert.ok(problem.length > 0);
    // reasons are printed on terminals and pages: they never carry control characters
    // biome-ignore lint/suspicious/noControlCharactersInRegex: that is what is being checked
    assert.doesNotMatch(problem, /[\u0000-\u001f\u007f-\u009f]/);
  }
}

test('property: any string classifies or gives reasons, and never throws', () => {
  fc.assert(
    fc.property(fc.string({ unit: 'binary', maxLength: 60 }), (name) => {
      assertWellFormed(name, classifyFilename(name));
    }),
    { numRuns: 2000 },
  );
  // strings made of the characters names are made of reach the deeper rules
  const nameLike = fc.string({
    unit: fc.constantFrom(...'0123456789LlXxMmCTFASPDs_. -'),
    maxLength: 40,
  });
  fc.assert(
    fc.property(nameLike, (name) => {
      assertWellFormed(name, classifyFilename(name));
    }),
    { numRuns: 5000 },
  );
});

test('property: a valid name with one character changed, added or removed never throws', () => {
  const edit = fc.record({
    at: fc.nat(),
    what: fc.constantFrom('replace', 'insert', 'delete'),
    ch: fc.oneof(
      fc.constantFrom(..."0_.XLMxl -/\\'\u0000\uff10\u0425"),
      fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }),
    ),
  });
  fc.assert(
    fc.property(validNames, edit, (valid, { at, what, ch }) => {
      const i = at % (valid.name.length + 1);
      const name =
        what === 'insert'
          ? valid.name.slice(0, i) + ch + valid.name.slice(i)
          : valid.name.slice(0, i) + (what === 'replace' ? ch : '') + valid.name.slice(i + 1);
      assertWellFormed(name, classifyFilename(name));
    }),
    { numRuns: 3000 },
  );
});

test('printableFilename shows invisible characters as U+FFFD and cuts a long name', () => {
  assert.equal(printableFilename('9165402_CTF_8171234_003.XML'), '9165402_CTF_8171234_003.XML');
  assert.equal(printableFilename('a\u0000b\r\nc\u001bd'), 'a\uFFFDb\uFFFD\uFFFDc\uFFFDd');
  assert.equal(printableFilename('9165402_CTF_001\u202eLMX.exe'), '9165402_CTF_001\uFFFDLMX.exe');
  assert.equal(printableFilename('x.XML\u200b\u2028'), 'x.XML\uFFFD\uFFFD');
  assert.equal(printableFilename('٩١٦'), '٩١٦', 'visible look-alikes stay, for the reasons to name');
  assert.equal(printableFilename('A'.repeat(130)), `${'A'.repeat(120)}...`);
});
