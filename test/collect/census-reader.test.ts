import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { describe, test } from 'node:test';
import {
  CensusFormatError,
  type CensusPupil,
  readCensusFile,
  readCensusReturn,
} from '../../src/collect/census-reader.ts';
import { XmlError } from '../../src/platform/xml/reader.ts';

const FIXTURES = join(import.meta.dirname, '..', 'fixtures');
const CENSUS = join(FIXTURES, 'census');

function read(xml: string) {
  return readCensusReturn(Readable.from([Buffer.from(xml)]));
}

const NO_PUPIL_FIELDS = {
  upn: null,
  formerUpn: null,
  uln: null,
  surname: null,
  forename: null,
  middleNames: null,
  preferredSurname: null,
  formerSurname: null,
  dob: null,
  sex: null,
  ethnicity: null,
  enrolStatus: null,
  entryDate: null,
  leavingDate: null,
  ncYearActual: null,
  partTime: null,
  boarder: null,
} satisfies Omit<CensusPupil, 'onRoll' | 'position'>;

describe('census reader', () => {
  test('reads the header, school details and pupils of the valid return exactly', async () => {
    const census = await readCensusFile(join(CENSUS, 'valid-autumn.xml'));
    assert.deepEqual(census.header, {
      collection: 'SC',
      term: 'AUT',
      year: '2025',
      referenceDate: '2025-10-02',
      sourceLevel: 'S',
      laNumber: '916',
      establishment: '4001',
      softwareCode: 'EXAMPLE MIS',
      release: '7.212',
      serialNo: '001',
      dateTime: '2025-10-02T14:05:33',
    });
    assert.deepEqual(census.school, {
      laNumber: '916',
      establishment: '4001',
      urn: '149999',
      name: 'Severn Vale Academy',
      phase: 'SS',
      schoolType: '49',
      intake: 'COMP',
      governance: 'CA',
      lowestNcYear: '7',
      highestNcYear: '13',
    });
    assert.equal(census.pupilsOnRoll.length, 11);
    assert.equal(census.pupilsNoLongerOnRoll.length, 2);
    assert.deepEqual(census.pupilsOnRoll[1], {
      ...NO_PUPIL_FIELDS,
      onRoll: true,
      position: 2,
      upn: 'A916201319117',
      formerUpn: 'R91640012501A',
      surname: 'Bennett',
      forename: 'Oliver',
      dob: '2013-11-05',
      sex: 'M',
      ethnicity: 'WBRI',
      enrolStatus: 'C',
      entryDate: '2025-09-03',
      ncYearActual: '7',
      partTime: 'false',
      boarder: 'N',
    });
    assert.deepEqual(census.pupilsOnRoll[5]?.surname, "O'Neill");
    assert.deepEqual(census.pupilsOnRoll[5]?.uln, '4512078400');
    assert.deepEqual(census.pupilsNoLongerOnRoll[1], {
      ...NO_PUPIL_FIELDS,
      onRoll: false,
      position: 2,
      upn: 'A916201318064',
      surname: 'Jones',
      forename: 'Siân',
      dob: '2013-02-11',
      sex: 'F',
      entryDate: '2024-09-04',
      leavingDate: '2025-09-19',
    });
  });

  test('tolerates a byte-order mark, CRLF, padded values, CDATA, <Gender>, ungrouped fields and missing sections', async () => {
    const census = await readCensusFile(join(CENSUS, 'messy-whitespace-bom.xml'));
    assert.equal(census.header.collection, 'SC');
    assert.equal(census.header.term, 'AUT');
    assert.equal(census.header.referenceDate, '2025-10-02');
    assert.equal(census.header.laNumber, '916');
    assert.equal(census.header.release, null, 'an empty element is absent');
    assert.equal(census.school?.name, 'Severn Vale Academy');
    assert.equal(census.school?.governance, 'CA');
    assert.equal(census.school?.laNumber, null);
    assert.deepEqual(
      census.pupilsOnRoll.map((p) => [p.upn, p.surname, p.forename, p.sex, p.position]),
      [
        ['Q916201119004', 'Khan', 'Amira', 'F', 1],
        ['V916201116023', 'Davies', 'Chloe', 'F', 2],
        ['L916330213012', 'Evans', 'Ffion', 'F', 3],
      ],
    );
    assert.deepEqual(census.pupilsNoLongerOnRoll, []);
  });

  test('fields nested deeper than a pupil field group (an address, a language) are not the pupil’s', async () => {
    const census = await read(`<Message><Pupils><PupilOnRoll>
      <Address><Surname>Street</Surname></Address>
      <PupilCharacteristics><Languages><Type><Ethnicity>XXXX</Ethnicity></Type></Languages></PupilCharacteristics>
      <PupilIdentifiers><Surname>Khan</Surname><Sex>F</Sex><Gender>M</Gender></PupilIdentifiers>
      <PupilCharacteristics><Ethnicity>APKN</Ethnicity></PupilCharacteristics>
    </PupilOnRoll></Pupils></Message>`);
    const [pupil] = census.pupilsOnRoll;
    assert.equal(pupil?.surname, 'Khan');
    assert.equal(pupil?.ethnicity, 'APKN');
    assert.equal(pupil?.sex, 'F', 'the first of Sex and Gender is read');
  });

  test('a return with only a header reads with no school section and no pupils', async () => {
    const census = await read(
      '<Message><Header><CollectionDetails><Term>SPR</Term></CollectionDetails></Header></Message>',
    );
    assert.equal(census.header.term, 'SPR');
    assert.equal(census.header.laNumber, null);
    assert.equal(census.school, null);
    assert.deepEqual(census.pupilsOnRoll, []);
  });

  test('header fields outside their section, and unknown elements, are ignored', async () => {
    const census = await read(
      '<Message><Header><Source><Term>SUM</Term><LEA>916</LEA></Source><LEA>999</LEA></Header>' +
        '<LEA>998</LEA><constructor><Term>x</Term></constructor><SchoolInformation><constructor>1</constructor>' +
        '<toString>2</toString></SchoolInformation></Message>',
    );
    assert.equal(census.header.term, null);
    assert.equal(census.header.laNumber, '916');
    assert.equal(census.school?.name, null);
  });

  test('a file whose root is not <Message> is refused with a clear reason', async () => {
    await assert.rejects(readCensusFile(join(CENSUS, 'not-a-census-ctf.xml')), (error) => {
      assert.ok(error instanceof CensusFormatError);
      assert.match(error.message, /not a school census return: it starts with <CTfile>/);
      assert.match(error.message, /<Message>/);
      return true;
    });
  });

  for (const name of readdirSync(join(FIXTURES, 'hostile')).filter((n) => n.endsWith('.xml'))) {
    test(`hostile file ${name} is refused`, async () => {
      // Files whose root is not <Message> (a CTF, <a>) stop at the root; the rest at the XML reader.
      await assert.rejects(readCensusFile(join(FIXTURES, 'hostile', name)), (error) => {
        assert.ok(
          error instanceof XmlError || error instanceof CensusFormatError,
          `${name}: ${String(error)}`,
        );
        return true;
      });
    });
  }

  test('hostile content inside a <Message> root is refused by the XML reader, with line and column', async () => {
    const cases: [string, string][] = [
      ['<Message><Header><Source><LEA>&secret;</LEA></Source></Header></Message>', 'malformed'],
      ['<?xml version="1.0"?>\n<Message><Header><Source><LEA>916</L', 'malformed'],
      [`<Message>${'<a>'.repeat(100)}${'</a>'.repeat(100)}</Message>`, 'too-deep'],
      ['<!DOCTYPE Message [<!ENTITY x SYSTEM "file:///etc/passwd">]><Message>&x;</Message>', 'doctype'],
    ];
    for (const [xml, problem] of cases) {
      await assert.rejects(read(xml), (error) => {
        assert.ok(error instanceof XmlError, String(error));
        assert.equal(error.problem, problem);
        assert.match(error.message, /\(line \d+, column \d+\)/);
        return true;
      });
    }
  });

  test('size limits are passed to the XML reader', async () => {
    await assert.rejects(
      readCensusReturn(Readable.from([Buffer.from('<Message><Pupils/></Message>')]), { maxElements: 1 }),
      (error) => error instanceof XmlError && error.problem === 'too-many-elements',
    );
  });
});
