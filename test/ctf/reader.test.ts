import assert from 'node:assert/strict';
import { createReadStream, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { describe, test } from 'node:test';
import {
  type CtfDocument,
  type CtfFinding,
  type CtfPupil,
  checkCtfAgainstFilename,
  isValidCtf,
  OTHER_SECTIONS,
  type ReadCtfOptions,
  readCtf,
} from '../../src/ctf/reader.ts';
import { makeUpn } from '../../src/ctf/upn.ts';
import { type Message, translateMessage } from '../../src/platform/i18n/catalogue.ts';
import { XmlError } from '../../src/platform/xml/reader.ts';
import { classifyFilename } from '../../src/transfers/filenames.ts';
import { CTF25, ctfXml, type FixturePupil, syntheticCtf } from '../fixtures/ctf/generate.ts';

const FIXTURES = join(import.meta.dirname, '..', 'fixtures', 'ctf');
const HOSTILE = join(import.meta.dirname, '..', 'fixtures', 'hostile');

const readFixture = (name: string, options?: ReadCtfOptions) =>
  readCtf(createReadStream(join(FIXTURES, name)), options);
const readString = (xml: string, options?: ReadCtfOptions) =>
  readCtf(Readable.from([Buffer.from(xml)]), options);

/** Sections are null-prototype records: copy them into plain objects to compare. */
const plain = (pupil: CtfPupil) => ({ ...pupil, sections: { ...pupil.sections } });

/** Checks a document against its file name, as the upload and the CLI do. */
function againstName(doc: CtfDocument, name: string) {
  const classified = classifyFilename(name);
  assert.ok(classified.ok, `${name} is a valid name`);
  return checkCtfAgainstFilename(doc, classified.file);
}

const rules = (doc: CtfDocument) => doc.findings.map((f) => `${f.severity} ${f.rule}`);

/** Findings in English, as the CLI and the API give them (each also has its message as `text`). */
const inEnglish = (findings: CtfFinding[]) => findings.map(({ text: _text, ...english }) => english);

/** Findings in Welsh, as a Welsh page shows them. */
const inWelsh = (findings: CtfFinding[]) => findings.map((f) => translateMessage('cy', f.text));

const NO_DETAILS = {
  formerUpn: null,
  formerSurname: null,
  formerForename: null,
  preferredSurname: null,
  preferredForename: null,
  middleNames: null,
  ncYearActual: null,
  town: null,
  postcode: null,
};

describe('an old CTF (version 6.0, 2005): <Gender>, basic details directly in <Pupil>', () => {
  test('header and pupils are read exactly', async () => {
    const doc = await readFixture('ctf06-gender-old-layout.xml');
    assert.equal(doc.isCtf, true);
    assert.equal(doc.root, 'CTfile');
    assert.deepEqual(doc.header, {
      documentName: 'Common Transfer File',
      version: '6.0',
      dateTime: '2005-07-14T16:02:11',
      documentQualifier: 'full',
      dataQualifier: null,
      dataDescriptor: null,
      supplierId: 'Fictional MIS 2005',
      source: {
        lea: '916',
        estab: '2001',
        urn: null,
        schoolName: 'Oakfield Primary School',
        academicYear: '2004',
      },
      destination: { lea: '801', estab: '3456', urn: null, schoolName: null, academicYear: null },
    });
    assert.equal(doc.pupilCount, 2);
    assert.deepEqual(doc.pupils.map(plain), [
      {
        ...NO_DETAILS,
        index: 1,
        upn: 'K916200198041',
        surname: 'Hughes',
        forename: 'Gareth',
        dob: '1994-02-11',
        sex: 'M',
        sexElement: 'Gender',
        formerUpn: 'W916200198040',
        formerSurname: 'Morgan',
        middleNames: 'Dafydd',
        ncYearActual: '6',
        town: 'Cheltenham',
        postcode: 'GL50 1AA',
        sections: { Address: 1, Contacts: 1, Attendance: 1, StageAssessments: 2, SchoolHistory: 1 },
      },
      {
        ...NO_DETAILS,
        index: 2,
        upn: 'D916200199007',
        surname: 'Patel',
        forename: 'Priya',
        dob: '1993-09-28',
        sex: 'F',
        sexElement: 'Gender',
        preferredSurname: 'Patel',
        ncYearActual: '6',
        sections: { Attendance: 1 },
      },
    ]);
    assert.deepEqual(
      { ...doc.sectionTotals },
      { Address: 1, Contacts: 1, Attendance: 2, StageAssessments: 2, SchoolHistory: 1 },
    );
    assert.deepEqual(doc.findings, []);
    assert.equal(isValidCtf(doc.findings), true);
  });

  test('an old header that says <Version> instead of <CTFversion> is read too', async () => {
    const xml = ctfXml({ ...CTF25, style: 'old' }, [oneFixturePupil()]).replace(
      '<CTFversion>25.0</CTFversion>',
      '<Version>5.0</Version>',
    );
    const doc = await readString(xml);
    assert.equal(doc.header.version, '5.0');
    assert.equal(doc.pupils[0]?.sexElement, 'Gender');
    assert.deepEqual(doc.findings, []);
  });
});

function oneFixturePupil(): FixturePupil {
  return {
    upn: makeUpn('916', '2001', '21', '100'),
    surname: 'Khan',
    forename: 'Ava',
    dob: '2016-05-04',
    sex: 'F',
  };
}

describe('a CTF 25.0: <Sex>, <BasicDetails>, URNs', () => {
  test('a full file of three pupils, with every section counted', async () => {
    const doc = await readFixture('9162001_CTF_8013456_003.XML');
    assert.deepEqual(doc.header, {
      documentName: 'Common Transfer File',
      version: '25.0',
      dateTime: '2025-07-15T10:30:00',
      documentQualifier: 'full',
      dataQualifier: null,
      dataDescriptor: null,
      supplierId: 'Fictional MIS 7.2',
      source: {
        lea: '916',
        estab: '2001',
        urn: '115001',
        schoolName: 'Oakfield Primary School',
        academicYear: '2025',
      },
      destination: { lea: '801', estab: '3456', urn: '138765', schoolName: null, academicYear: null },
    });
    assert.deepEqual(doc.pupils.map(plain), [
      {
        ...NO_DETAILS,
        index: 1,
        upn: 'Q916200119001',
        surname: 'Smith',
        forename: 'Amelia',
        dob: '2014-03-02',
        sex: 'F',
        sexElement: 'Sex',
        preferredForename: 'Millie',
        middleNames: 'Rose Catherine',
        ncYearActual: '6',
        town: 'Gloucester',
        postcode: 'GL1 2AB',
        sections: {
          LookedAfter: 1,
          SENhistory: 2,
          Address: 1,
          Phones: 1,
          Email: 1,
          Contacts: 2,
          Attendance: 2,
          StageAssessments: 2,
          SchoolHistory: 1,
          FSMhistory: 1,
        },
      },
      {
        ...NO_DETAILS,
        index: 2,
        upn: 'E916200119002',
        surname: 'Evans',
        forename: 'Oliver',
        dob: '2013-11-30',
        sex: 'M',
        sexElement: 'Sex',
        formerUpn: 'W801345618014',
        formerSurname: 'Price',
        ncYearActual: '6',
        town: 'Stroud',
        postcode: 'GL5 3XY',
        sections: { Address: 1, Contacts: 1, Attendance: 1 },
      },
      {
        ...NO_DETAILS,
        index: 3,
        upn: 'U916200119003',
        surname: 'Nowak',
        forename: 'Zofia',
        dob: '2014-06-17',
        sex: 'F',
        sexElement: 'Sex',
        preferredSurname: 'Nowak-Hughes',
        ncYearActual: '6',
        sections: {},
      },
    ]);
    assert.deepEqual(doc.findings, []);
    assert.deepEqual(againstName(doc, '9162001_CTF_8013456_003.XML'), []);
  });

  test('a partial file of one pupil, from a Welsh school to its LA', async () => {
    const doc = await readFixture('6813012_CTF_681LLLL_001.XML');
    assert.equal(doc.header.documentQualifier, 'partial');
    assert.equal(doc.header.dateTime, '2025-06-20T14:05:00');
    assert.deepEqual(doc.header.source, {
      lea: '681',
      estab: '3012',
      urn: '401234',
      schoolName: 'Ysgol Gynradd Cwm Glas',
      academicYear: '2025',
    });
    assert.deepEqual(doc.header.destination, {
      lea: '681',
      estab: 'LLLL',
      urn: null,
      schoolName: null,
      academicYear: null,
    });
    assert.equal(doc.pupilCount, 1);
    assert.deepEqual(doc.pupils.map(plain), [
      {
        ...NO_DETAILS,
        index: 1,
        upn: 'X681301222005',
        surname: 'Ap Rhys',
        forename: 'Siân',
        dob: '2018-01-09',
        sex: 'F',
        sexElement: 'Sex',
        ncYearActual: '2',
        sections: { StageAssessments: 1 },
      },
    ]);
    assert.deepEqual(doc.findings, []);
    assert.deepEqual(againstName(doc, '6813012_CTF_681LLLL_001.XML'), []);
  });
});

describe('messy real-world input', () => {
  test('BOM, CRLF, blank lines, padded values, CDATA, comments, unknown and empty elements', async () => {
    const doc = await readFixture('messy-bom-crlf.xml');
    assert.deepEqual(doc.header, {
      documentName: 'Common Transfer File',
      version: '24.0',
      dateTime: '2024-12-03T08:00:00',
      documentQualifier: 'partial',
      dataQualifier: null,
      dataDescriptor: null,
      supplierId: 'Fictional MIS',
      source: {
        lea: '916',
        estab: '2001',
        urn: null,
        schoolName: 'Oakfield & District Primary School',
        academicYear: '2024',
      },
      destination: { lea: '801', estab: '3456', urn: null, schoolName: null, academicYear: null },
    });
    assert.deepEqual(doc.pupils.map(plain), [
      {
        ...NO_DETAILS,
        index: 1,
        upn: 'Q916200119001',
        surname: "O'Connor-Smith",
        forename: 'Aoife',
        dob: '2014-03-02',
        sex: 'F',
        sexElement: 'Sex',
        middleNames: 'Mary   Anne',
        ncYearActual: '5',
        postcode: 'GL1 1AA',
        // <upn> is not <UPN>: element names are case-sensitive, so it is just another element.
        sections: { upn: 1, Address: 1, Attendance: 0 },
      },
      {
        ...NO_DETAILS,
        index: 2,
        upn: 'e916200119002',
        surname: 'Evans',
        forename: 'Rhys',
        dob: '2013-11-30',
        sex: 'M',
        sexElement: 'Gender',
        sections: { Email: 0, Phones: 1 },
      },
    ]);
    // The lower-case check letter is accepted (checkUpn normalises), so nothing is flagged.
    assert.deepEqual(doc.findings, []);
  });

  test('a file arriving one byte at a time reads the same', async () => {
    const whole = await readFixture('messy-bom-crlf.xml');
    const bytes = readFileSync(join(FIXTURES, 'messy-bom-crlf.xml'));
    const byByte = await readCtf(Readable.from([...bytes].map((b) => Buffer.from([b]))));
    assert.deepEqual(
      { ...byByte, pupils: byByte.pupils.map(plain) },
      { ...whole, pupils: whole.pupils.map(plain) },
    );
  });

  test('a value in several pieces (around a comment, CDATA, entities) is read whole', async () => {
    const doc = await readString(
      ctfXml(CTF25, [oneFixturePupil()])
        .replace('<Surname>Khan</Surname>', "<Surname> O'<!-- typed twice -->Brien &amp; Khan </Surname>")
        .replace('<Forename>Ava</Forename>', '<Forename><![CDATA[Zo]]>&#235;</Forename>'),
    );
    assert.equal(doc.pupils[0]?.surname, "O'Brien & Khan");
    assert.equal(doc.pupils[0]?.forename, 'Zoë');
  });

  test('odd header values are flagged as warnings, and a missing header as an error', async () => {
    const odd = await readString(
      ctfXml({ ...CTF25, version: 'v25', qualifier: 'full' }, [oneFixturePupil()])
        .replace('<DocumentQualifier>full<', '<DocumentQualifier>complete<')
        .replace('<DocumentName>Common Transfer File<', '<DocumentName>Pupil file<'),
    );
    assert.deepEqual(rules(odd), [
      'warning header-version',
      'warning header-document-name',
      'warning header-qualifier',
    ]);
    assert.equal(isValidCtf(odd.findings), true);
    const noHeader = await readString(
      `<CTfile><CTFpupilData>${'<Pupil><UPN>x</UPN></Pupil>'}</CTFpupilData></CTfile>`,
    );
    assert.deepEqual(rules(noHeader), [
      'error header-missing',
      'warning upn-1550',
      'warning pupil-details-missing',
    ]);
    assert.equal(isValidCtf(noHeader.findings), false);
  });

  test('missing pupil details and a badly written date of birth are flagged, not refused', async () => {
    const doc = await readString(
      '<CTfile><Header><CTFversion>25.0</CTFversion></Header><CTFpupilData>' +
        '<Pupil><Surname>Jones</Surname><DOB>03/02/2014</DOB></Pupil>' +
        '<Pupil><UPN>Q916200119001</UPN><Surname>Li</Surname><Forename>Wei</Forename><DOB>2014-02-30</DOB></Pupil>' +
        '</CTFpupilData></CTfile>',
    );
    assert.deepEqual(rules(doc), [
      'warning header-source',
      'warning header-destination',
      'warning pupil-upn-missing',
      'warning pupil-details-missing',
      'warning pupil-dob-format',
      'warning pupil-dob-format',
    ]);
    assert.match(doc.findings[3]?.message ?? '', /Pupil 1 has no forename\./);
    assert.equal(doc.findings[5]?.pupil, 2);
    assert.equal(isValidCtf(doc.findings), true);
  });
});

describe('checks', () => {
  test('a root other than <CTfile> is not a CTF, with a reason', async () => {
    const census = await readFixture('not-a-ctf-census.xml');
    assert.equal(census.isCtf, false);
    assert.equal(census.root, 'Message');
    assert.deepEqual(rules(census), ['error not-ctf']);
    assert.match(
      census.findings[0]?.message ?? '',
      /not a Common Transfer File.*<Message>.*school census return/,
    );

    const wrongCase = await readString('<CTFile><Header/></CTFile>');
    assert.match(
      wrongCase.findings[0]?.message ?? '',
      /case-sensitive: a CTF starts with <CTfile>, not <CTFile>/,
    );

    // The rest of a file that is not a CTF is still read as XML: unsafe or broken XML is refused as such.
    await assert.rejects(readString('<Roster><Pupil></Roster-broken'), XmlError);
    const proto = await readString('<constructor/>');
    assert.equal(proto.findings[0]?.message.includes('It looks like'), false);
  });

  test('each finding is also a message of the catalogue: the same English, and Welsh for a Welsh page', async () => {
    const census = await readFixture('not-a-ctf-census.xml');
    const wrongCase = await readString('<CTFile><Header/></CTFile>');
    const noPupils = await readFixture('ctf25-no-pupils.xml');
    const details = await readString(
      ctfXml(CTF25, [{ ...oneFixturePupil(), forename: '', dob: '2014-02-30' }]),
    );
    for (const doc of [census, wrongCase, noPupils, details]) {
      for (const finding of doc.findings) assert.equal(translateMessage('en', finding.text), finding.message);
    }
    assert.deepEqual(inWelsh(census.findings), [
      'Nid Ffeil Trosglwyddo Gyffredin yw hon: ei helfen gyntaf yw <Message>, lle mae gan CTF <CTfile>. Mae’n edrych fel ffurflen cyfrifiad ysgol.',
    ]);
    assert.match(inWelsh(wrongCase.findings)[0] ?? '', /mae CTF yn dechrau gyda <CTfile>, nid <CTFile>\.$/);
    assert.deepEqual(inWelsh(noPupils.findings), [
      'Nid oes disgyblion yn y ffeil: nid oes <Pupil> yn <CTFpupilData>.',
    ]);
    assert.deepEqual(inWelsh(details.findings), [
      'Nid oes enw cyntaf gan ddisgybl 1.',
      'Disgybl 1: nid yw’r dyddiad geni yn ddyddiad wedi’i ysgrifennu ar y ffurf YYYY-MM-DD.',
    ]);
  });

  test('every file of the hostile corpus is refused with an XmlError carrying line and column', async () => {
    const files = readdirSync(HOSTILE).filter((f) => f.endsWith('.xml'));
    assert.ok(files.length >= 9);
    for (const file of files) {
      await assert.rejects(
        readCtf(createReadStream(join(HOSTILE, file))),
        (error: unknown) => {
          assert.ok(error instanceof XmlError, file);
          assert.match(
            error.message,
            /DOCTYPE|not well-formed|not XML|nested more than|UTF-8|empty|no XML elements/,
            file,
          );
          return true;
        },
        file,
      );
    }
    await assert.rejects(
      readFixture('9162001_CTF_8013456_003.XML', { limits: { maxBytes: 1000 } }),
      /larger than/,
    );
  });

  test('zero pupils is an error', async () => {
    const doc = await readFixture('ctf25-no-pupils.xml');
    assert.equal(doc.pupilCount, 0);
    assert.deepEqual(rules(doc), ['error no-pupils']);
    assert.equal(isValidCtf(doc.findings), false);
  });

  test('a wrong check letter is flagged as a warning on that pupil, not refused', async () => {
    const doc = await readFixture('ctf25-wrong-check-letter.xml');
    assert.equal(doc.pupilCount, 2);
    assert.equal(doc.pupils[1]?.upn, 'A916200120011');
    assert.deepEqual(inEnglish(doc.findings), [
      {
        rule: 'upn-1510',
        severity: 'warning',
        message:
          "Pupil 2: The check letter (character 1) should be Q, not A: a character has probably been mistyped, so check the UPN against the pupil's records.",
        pupil: 2,
      },
    ]);
    assert.equal(isValidCtf(doc.findings), true);
  });

  test('known LA numbers, a bad former UPN and a repeated UPN are flagged', async () => {
    const upn = makeUpn('999', '2001', '21', '100');
    const doc = await readString(
      ctfXml(CTF25, [
        { ...oneFixturePupil(), upn, formerUpn: 'A123' },
        { ...oneFixturePupil(), upn },
      ]),
      { knownLaNumbers: new Set(['916']) },
    );
    assert.deepEqual(rules(doc), ['warning upn-1530', 'warning pupil-former-upn', 'warning upn-1530']);
    const unchecked = await readString(
      ctfXml(CTF25, [
        { ...oneFixturePupil(), upn },
        { ...oneFixturePupil(), upn },
      ]),
    );
    assert.deepEqual(rules(unchecked), ['warning pupil-upn-duplicate']);
    assert.equal(unchecked.findings[0]?.message, 'Pupil 2 has the same UPN as pupil 1.');
  });

  test('findings beyond maxFindings are counted, not kept', async () => {
    const pupils = Array.from({ length: 5 }, () => ({ ...oneFixturePupil(), upn: 'not a upn' }));
    const doc = await readString(ctfXml(CTF25, pupils), { maxFindings: 2 });
    assert.equal(doc.findings.length, 2);
    assert.equal(doc.findingsOmitted, 3);
  });

  test('section names from the file cannot reach object prototypes, and are capped', async () => {
    const sections = '<__proto__><a><b/></a></__proto__><constructor>x</constructor><toString/>';
    const many = Array.from({ length: 70 }, (_, i) => `<S${i}>x</S${i}>`).join('');
    const doc = await readString(
      `<CTfile><Header/><CTFpupilData><Pupil><UPN>${makeUpn('916', '2001', '21', '100')}</UPN>${sections}${many}</Pupil></CTFpupilData></CTfile>`,
    );
    const pupil = doc.pupils[0];
    assert.ok(pupil);
    assert.equal(Object.getPrototypeOf(pupil.sections), null);
    assert.equal(Object.getOwnPropertyDescriptor(pupil.sections, '__proto__')?.value, 1);
    assert.equal(pupil.sections.constructor, 1);
    assert.equal(pupil.sections.toString, 0);
    assert.equal(Object.keys(pupil.sections).length, 64);
    assert.equal(pupil.sections[OTHER_SECTIONS], 73 - 63);
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
  });
});

describe('header against file name', () => {
  test('a header naming other schools than the file name is an error for each end', async () => {
    const doc = await readFixture('9162001_CTF_8013456_007.XML');
    assert.deepEqual(doc.findings, []);
    const findings = againstName(doc, '9162001_CTF_8013456_007.XML');
    assert.deepEqual(inEnglish(findings), [
      {
        rule: 'filename-source',
        severity: 'error',
        message:
          'The file name says this CTF comes from school 9162001, but its header names school 9162002 in <SourceSchool>. Check that the file was made for the right school, or correct its name.',
      },
      {
        rule: 'filename-destination',
        severity: 'error',
        message:
          'The file name says this CTF goes to school 8013456, but its header names school 8013457 in <DestSchool>. Check that the file was made for the right school, or correct its name.',
      },
    ]);
    for (const finding of findings) assert.equal(translateMessage('en', finding.text), finding.message);
    assert.deepEqual(inWelsh(findings), [
      'Mae enw’r ffeil yn dweud bod y ffeil CTF hon yn dod o ysgol 9162001, ond mae ei phennyn yn enwi ysgol 9162002 yn <SourceSchool>. Gwiriwch fod y ffeil wedi’i gwneud ar gyfer yr ysgol gywir, neu cywirwch ei henw.',
      'Mae enw’r ffeil yn dweud bod y ffeil CTF hon yn mynd i ysgol 8013456, ond mae ei phennyn yn enwi ysgol 8013457 yn <DestSchool>. Gwiriwch fod y ffeil wedi’i gwneud ar gyfer yr ysgol gywir, neu cywirwch ei henw.',
    ]);
  });

  test('long values from the header or the root are shown cut short in a finding', async () => {
    const long = 'X'.repeat(100_000);
    const doc = await readString(
      `<CTfile><Header><SourceSchool><LEA>${long}</LEA><Estab>2001</Estab></SourceSchool><DestSchool><LEA>${long}</LEA></DestSchool></Header><CTFpupilData><Pupil/></CTFpupilData></CTfile>`,
    );
    const messages = inEnglish(againstName(doc, '9162001_CTF_916LLLL_007.XML')).map((f) => f.message);
    assert.equal(messages.length, 2);
    for (const text of messages) {
      assert.ok(text.length < 400, text.slice(0, 400));
      assert.match(text, /X{20}…/);
    }
    const other = await readString(`<${'Y'.repeat(5000)}/>`);
    assert.ok(translateMessage('en', other.findings[0]?.text as Message).length < 400);
  });

  test('to an LA, only the LEA of <DestSchool> must match', async () => {
    const doc = await readFixture('6813012_CTF_681LLLL_001.XML');
    assert.deepEqual(againstName(doc, '6813012_CTF_681LLLL_002.XML'), []);
    const wrong = againstName(doc, '6813012_CTF_673LLLL_002.XML');
    assert.deepEqual(
      wrong.map((f) => f.rule),
      ['filename-destination'],
    );
    assert.match(wrong[0]?.message ?? '', /goes to LA 673, but its header names LA "681"/);
  });

  test("a file from an LA (forwarding another school's CTF) is not compared with its header", async () => {
    const doc = await readFixture('9162001_CTF_8013456_007.XML');
    assert.deepEqual(againstName(doc, '916LLLL_CTF_8013456_001.XML'), []);
  });

  test('a header with no source school does not match a school file name', async () => {
    const doc = await readString(
      `<CTfile><Header><DestSchool><LEA>801</LEA><Estab>3456</Estab></DestSchool></Header><CTFpupilData><Pupil/></CTFpupilData></CTfile>`,
    );
    const findings = againstName(doc, '9162001_CTF_8013456_001.XML');
    assert.deepEqual(
      findings.map((f) => f.rule),
      ['filename-source'],
    );
    assert.match(findings[0]?.message ?? '', /its header has no <SourceSchool>/);
  });

  test('a lost pupil file holds exactly one pupil; its header destination may be anything', async () => {
    const two = await readFixture('9162001_CTF_XXXXXXXX_008.XML');
    assert.equal(two.header.destination?.lea, 'XXX');
    assert.deepEqual(
      againstName(two, '9162001_CTF_XXXXXXXX_008.XML').map((f) => `${f.severity} ${f.rule}`),
      ['error lost-pupil-count'],
    );
    assert.match(
      againstName(two, '9162001_CTF_XXXXXXXX_008.XML')[0]?.message ?? '',
      /exactly one pupil.*holds 2/,
    );

    const one = await readFixture('9162001_CTF_MMMMMMMM_009.XML');
    assert.deepEqual(againstName(one, '9162001_CTF_MMMMMMMM_009.XML'), []);
    // A header naming a real school is fine too (the school the pupil was meant to go to).
    const named = await readFixture('ctf25-wrong-check-letter.xml', { countOnly: true });
    assert.deepEqual(againstName({ ...named, pupilCount: 1 }, '9162001_CTF_MMMMMMM_010.XML'), []);
  });

  test('a name that is not a CTF name is not compared', async () => {
    const doc = await readFixture('9162001_CTF_8013456_003.XML');
    assert.deepEqual(
      againstName(doc, '9162001_KS1_8013456_003.XML').map((f) => f.rule),
      ['filename-not-ctf'],
    );
  });
});

describe('large files: counting and streaming', () => {
  test('300 pupils are read and counted, each with a valid UPN', async () => {
    const doc = await readString(syntheticCtf(300));
    assert.equal(doc.pupilCount, 300);
    assert.equal(doc.pupils.length, 300);
    assert.deepEqual(
      doc.pupils.map((p) => p.index),
      Array.from({ length: 300 }, (_, i) => i + 1),
    );
    assert.equal(new Set(doc.pupils.map((p) => p.upn)).size, 300);
    assert.deepEqual(doc.findings, []);
    assert.equal(doc.sectionTotals.Attendance, 900);
    assert.equal(doc.sectionTotals.StageAssessments, 600);
  });

  test('without countSections every pupil is read as with it, and no section is counted', async () => {
    const xml = syntheticCtf(300);
    const counted = await readString(xml);
    const uncounted = await readString(xml, { countSections: false });
    assert.ok(counted.pupils.every((pupil) => Object.keys(pupil.sections).length > 0));
    assert.deepEqual(
      uncounted.pupils.map(plain),
      counted.pupils.map((pupil) => ({ ...plain(pupil), sections: {} })),
    );
    assert.ok(uncounted.pupils.every((pupil) => pupil.town !== null && pupil.postcode !== null));
    assert.deepEqual({ ...uncounted.sectionTotals }, {});
    assert.deepEqual(uncounted.header, counted.header);
    assert.deepEqual(uncounted.findings, counted.findings);
  });

  test('countOnly reads the header and counts pupils, keeping no pupil', async () => {
    const doc = await readString(syntheticCtf(300), { countOnly: true });
    assert.equal(doc.pupilCount, 300);
    assert.deepEqual(doc.pupils, []);
    assert.deepEqual({ ...doc.sectionTotals }, {});
    assert.equal(doc.header.version, '25.0');
    assert.deepEqual(doc.findings, []);
  });

  test('onPupil receives each pupil while the file is still arriving, and pupils are not kept', async () => {
    const events: string[] = [];
    const chunks = syntheticCtf(5).split(/(?=<Pupil>)/);
    async function* arriving() {
      for (const [i, chunk] of chunks.entries()) {
        events.push(`chunk ${i}`);
        yield Buffer.from(chunk);
      }
    }
    const seen: number[] = [];
    const doc = await readCtf(arriving(), {
      onPupil: (pupil) => {
        seen.push(pupil.index);
        events.push(`pupil ${pupil.index}`);
      },
    });
    assert.deepEqual(seen, [1, 2, 3, 4, 5]);
    assert.deepEqual(doc.pupils, []);
    assert.equal(doc.pupilCount, 5);
    // Pupil n ends in chunk n + 1 (chunk 0 is the header), and is delivered before the next arrives.
    assert.ok(events.indexOf('pupil 1') < events.indexOf('chunk 3'), events.join(', '));
    assert.ok(events.indexOf('pupil 4') < events.indexOf('chunk 5'), events.join(', '));

    const kept = await readString(syntheticCtf(3), { onPupil: () => {}, keepPupils: true });
    assert.equal(kept.pupils.length, 3);

    const stop = new Error('enough');
    await assert.rejects(
      readString(syntheticCtf(3), {
        onPupil: () => {
          throw stop;
        },
      }),
      (error) => error === stop,
    );
  });
});
