import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import iconv from 'iconv-lite';
import {
  BATCH_SIZE,
  ENCODING_CHECK_PIECE,
  type EstablishmentImportReport,
  GiasImportError,
  importEstablishments,
  statusOf,
  usesS2sOnInsert,
} from '../../src/directory/gias-import.ts';
import { ManualClock } from '../../src/platform/clock.ts';
import { createDatabase, toCount } from '../../src/platform/db/database.ts';
import type { Db } from '../../src/platform/db/schema.ts';
import { describeEachEngine, holdingAfterDeleteFrom, type TestDatabase } from '../support/databases.ts';
import { makeLa, nextLaNumber } from '../support/factories.ts';

const SAMPLE = fileURLToPath(new URL('../fixtures/gias/edubasealldata-sample.csv', import.meta.url));
const SAMPLE_TEXT = readFileSync(SAMPLE, 'latin1');
const HEADER = (SAMPLE_TEXT.split(/\r?\n/)[0] ?? '').split(',');

type GiasRow = Record<string, string>;

/** A plausible open LA maintained primary school; tests override what they look at. */
function giasRow(overrides: GiasRow): GiasRow {
  return {
    URN: '900001',
    'LA (code)': '101',
    'LA (name)': 'Testshire',
    EstablishmentNumber: '2001',
    EstablishmentName: 'Test Primary School',
    'TypeOfEstablishment (name)': 'Community school',
    'EstablishmentTypeGroup (name)': 'Local authority maintained schools',
    'EstablishmentStatus (name)': 'Open',
    OpenDate: '',
    CloseDate: '',
    'PhaseOfEducation (name)': 'Primary',
    Town: 'Testtown',
    Postcode: 'TE1 1ST',
    TelephoneNum: '1234567890',
    'GOR (name)': 'South West',
    // A column the importer must never need: it is not read.
    HeadLastName: 'Not-Read',
    ...overrides,
  };
}

function csvField(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

/** A CSV with the full GIAS header (or `header`), CRLF line ends as GIAS writes them. */
function giasCsv(rows: GiasRow[], header: string[] = HEADER): string {
  const lines = [header.map(csvField).join(',')];
  for (const row of rows) lines.push(header.map((column) => csvField(row[column] ?? '')).join(','));
  return `${lines.join('\r\n')}\r\n`;
}

let dir: string;
let fileCounter = 0;
before(() => {
  dir = mkdtempSync(join(tmpdir(), 's2s-gias-'));
});
after(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** Writes `content` to a fresh temporary file: text as Windows-1252 (as GIAS does), or the bytes given. */
function tempFile(content: string | Buffer): string {
  fileCounter += 1;
  const path = join(dir, `edubasealldata-${fileCounter}.csv`);
  writeFileSync(path, typeof content === 'string' ? iconv.encode(content, 'win1252') : content);
  return path;
}

async function countRows(db: Db, table: 'establishments' | 'local_authorities' | 'audit_events') {
  const row = await db
    .selectFrom(table)
    .select((eb) => eb.fn.countAll().as('n'))
    .executeTakeFirstOrThrow();
  return toCount(row.n as string | number);
}

async function school(db: Db, number: string) {
  return db.selectFrom('establishments').selectAll().where('number', '=', number).executeTakeFirst();
}

/** Staged rows of an LA or of an import, read through a connection of its own (`db`'s may be held). */
async function stagedRows(
  database: TestDatabase,
  column: 'la_number' | 'import_id',
  value: string,
): Promise<number> {
  const other = createDatabase(database.url, { schema: database.schema });
  try {
    const row = await other
      .selectFrom('establishment_import_rows')
      .select((eb) => eb.fn.countAll().as('n'))
      .where(column, '=', value)
      .executeTakeFirstOrThrow();
    return toCount(row.n as string | number);
  } finally {
    await other.destroy();
  }
}

/** Another writer, on a connection of its own, writing while an import is held: it is not shut out. */
async function writeBeside(database: TestDatabase): Promise<void> {
  const other = createDatabase(database.url, { schema: database.schema });
  try {
    await makeLa(other);
  } finally {
    await other.destroy();
  }
}

function countsOf(report: EstablishmentImportReport) {
  const { rows, added, updated, unchanged, skipped, localAuthoritiesAdded } = report;
  return { rows, added, updated, unchanged, skipped, localAuthoritiesAdded };
}

describe('GIAS rules', () => {
  test('uses_s2s is 1 for state-funded groups and 0 for independent and other establishments', () => {
    const cases: [string, string, 0 | 1][] = [
      ['Local authority maintained schools', 'Community school', 1],
      ['Local authority maintained schools', 'Pupil referral unit', 1],
      ['Academies', 'Academy converter', 1],
      ['Academies', 'Academy alternative provision sponsor led', 1],
      ['Free Schools', 'Free schools alternative provision', 1],
      ['Welsh schools', 'Welsh establishment', 1],
      ['Special schools', 'Community special school', 1],
      ['Special schools', 'Non-maintained special school', 1],
      ['Special schools', 'Other independent special school', 0],
      ['Independent schools', 'Other independent school', 0],
      ['Colleges', 'Further education', 0],
      ['Universities', 'Higher education institutions', 0],
      ['Other types', 'British schools overseas', 0],
      ['Other types', 'Secure units', 0],
      ['', '', 0],
    ];
    for (const [group, type, expected] of cases) {
      assert.equal(usesS2sOnInsert(group, type), expected, `${group} / ${type}`);
    }
  });

  test('only a "Closed" GIAS status is closed; proposed to open or to close is open', () => {
    assert.equal(statusOf('Closed'), 'closed');
    assert.equal(statusOf('Open'), 'open');
    assert.equal(statusOf('Open, but proposed to close'), 'open');
    assert.equal(statusOf('Proposed to open'), 'open');
  });
});

describeEachEngine('GIAS establishment import', (database) => {
  const clock = new ManualClock('2026-11-23T09:00:00.000Z');

  describe('the sample extract', () => {
    test('imports its usable rows, creates their LAs and skips the overseas school', async () => {
      const { db } = database();
      const report = await importEstablishments(db, clock, SAMPLE);
      assert.deepEqual(countsOf(report), {
        rows: 8,
        added: 7,
        updated: 0,
        unchanged: 0,
        skipped: 1,
        localAuthoritiesAdded: 7,
      });
      assert.deepEqual(report.skippedRows, [
        { line: 7, urn: '150516', reason: 'LA (code) "0" is not a 3-digit LA number' },
      ]);
      assert.deepEqual(
        report.addedLocalAuthorities.map((la) => la.number),
        ['201', '202', '212', '213', '860', '865', '878'],
      );

      const aldgate = await school(db, '2013614');
      assert.ok(aldgate, 'LA 201 + EstablishmentNumber 3614');
      assert.equal(aldgate.name, 'The Aldgate School');
      assert.equal(aldgate.name_search, 'the aldgate school');
      assert.equal(aldgate.la_number, '201');
      assert.equal(aldgate.town, 'London');
      assert.equal(aldgate.town_search, 'london');
      assert.equal(aldgate.postcode, 'EC3A 5DE');
      assert.equal(aldgate.phase, 'Primary');
      assert.equal(aldgate.type, 'Voluntary aided school');
      assert.equal(aldgate.status, 'open');
      assert.equal(aldgate.urn, '100000');
      assert.equal(aldgate.telephone, '02072831147', 'the leading 0 GIAS drops is restored');
      assert.equal(aldgate.uses_s2s, 1);
      assert.equal(aldgate.active, 1);
      assert.equal(aldgate.email, null);
      assert.equal(aldgate.created_at, '2026-11-23T09:00:00.000Z');

      const nursery = await school(db, '2021045');
      assert.equal(nursery?.status, 'closed');
      assert.equal(nursery?.closed_on, '1992-08-31');
      assert.equal(nursery?.opened_on, null);

      const fairley = await school(db, '2136327');
      assert.equal(fairley?.uses_s2s, 0, 'an independent special school must ask to use s2s');
      assert.equal(fairley?.phase, null, '"Not applicable" phase');
      assert.equal(fairley?.town, null);
      assert.equal(fairley?.town_search, '');
      assert.equal(fairley?.opened_on, '1982-05-13');

      const westbury = await school(db, '8653193');
      assert.equal(westbury?.status, 'open', '"Open, but proposed to close" is still open');
      assert.equal(westbury?.closed_on, '2024-07-31');

      assert.equal((await school(db, '8783106'))?.uses_s2s, 1, 'an academy');

      const devon = await db
        .selectFrom('local_authorities')
        .selectAll()
        .where('number', '=', '878')
        .executeTakeFirstOrThrow();
      assert.equal(devon.name, 'Devon');
      assert.equal(devon.country, 'England');
      assert.equal(devon.email, null);
    });

    test('writes one audit record with the counts and no personal data', async () => {
      const { db } = database();
      const audit = await db
        .selectFrom('audit_events')
        .selectAll()
        .where('action', '=', 'establishments-imported')
        .execute();
      assert.equal(audit.length, 1);
      const [event] = audit;
      assert.equal(event?.occurred_at, '2026-11-23T09:00:00.000Z');
      assert.equal(event?.actor_user_id, null);
      const detail = JSON.parse(event?.detail ?? '{}');
      assert.equal(detail.added, 7);
      assert.equal(detail.skipped, 1);
      assert.equal(detail.localAuthoritiesAdded, 7);
      assert.match(detail.sha256, /^[0-9a-f]{64}$/);
      assert.doesNotMatch(event?.detail ?? '', /Aldgate|150516|London/);
    });

    test('importing it again changes nothing', async () => {
      const { db } = database();
      clock.advanceMinutes(60);
      const report = await importEstablishments(db, clock, SAMPLE);
      assert.deepEqual(countsOf(report), {
        rows: 8,
        added: 0,
        updated: 0,
        unchanged: 7,
        skipped: 1,
        localAuthoritiesAdded: 0,
      });
      assert.equal(await countRows(db, 'establishments'), 7);
      assert.equal((await school(db, '2013614'))?.updated_at, '2026-11-23T09:00:00.000Z');
    });

    test('an edited row updates only the GIAS fields of that school', async () => {
      const { db } = database();
      // The school's own settings, which s2s owns.
      await db
        .updateTable('establishments')
        .set({ email: 'office@thomasbarnes.example.sch.uk', active: 0, uses_s2s: 0 })
        .where('number', '=', '8602216')
        .execute();
      const edited = SAMPLE_TEXT.replace(',Tamworth,', ',Fazeley,').replace(
        'Thomas Barnes Primary School',
        'Thomas Barnes Primary Academy',
      );
      assert.notEqual(edited, SAMPLE_TEXT);
      clock.advanceMinutes(60);
      const report = await importEstablishments(db, clock, tempFile(edited));
      assert.equal(report.updated, 1);
      assert.equal(report.unchanged, 6);
      assert.equal(report.added, 0);

      const updated = await school(db, '8602216');
      assert.equal(updated?.name, 'Thomas Barnes Primary Academy');
      assert.equal(updated?.name_search, 'thomas barnes primary academy');
      assert.equal(updated?.town, 'Fazeley');
      assert.equal(updated?.town_search, 'fazeley');
      assert.equal(updated?.updated_at, '2026-11-23T11:00:00.000Z');
      assert.equal(updated?.created_at, '2026-11-23T09:00:00.000Z');
      assert.equal(updated?.email, 'office@thomasbarnes.example.sch.uk');
      assert.equal(updated?.active, 0);
      assert.equal(updated?.uses_s2s, 0);
      assert.equal((await school(db, '2013614'))?.updated_at, '2026-11-23T09:00:00.000Z');
    });
  });

  test('unusable rows are skipped with their line, URN and reason; good rows are imported', async () => {
    const { db } = database();
    const la = nextLaNumber();
    const good = (n: string, extra: GiasRow = {}) =>
      giasRow({ URN: `7${la}${n}`, 'LA (code)': la, EstablishmentNumber: n, ...extra });
    const rows = [
      // A quoted value over two lines (CRLF, as GIAS writes): later rows' line numbers allow for it.
      good('2001', { Street: 'Old School House\r\nHigh Street' }),
      good('2002', { 'LA (code)': '91' }),
      good('2003', { EstablishmentNumber: '' }),
      good('2004', { EstablishmentNumber: '12345' }),
      good('2005', { EstablishmentNumber: '12A4' }),
      good('2006', { EstablishmentName: '  ' }),
      good('2007', { OpenDate: '31-02-2020' }),
      good('2008', { CloseDate: '2020-07-31' }),
      good('45', { CloseDate: '31/08/2021', 'EstablishmentStatus (name)': 'Closed' }),
      good('2009', { 'LA (code)': '' }),
    ];
    const ragged = `7${la}0000,${la},Testshire\r\n`;
    const file = tempFile(giasCsv(rows) + ragged);
    const report = await importEstablishments(db, clock, file);

    assert.deepEqual(report.skippedRows, [
      { line: 4, urn: `7${la}2002`, reason: 'LA (code) "91" is not a 3-digit LA number' },
      { line: 5, urn: `7${la}2003`, reason: 'EstablishmentNumber is missing' },
      { line: 6, urn: `7${la}2004`, reason: 'EstablishmentNumber "12345" has more than 4 digits' },
      { line: 7, urn: `7${la}2005`, reason: 'EstablishmentNumber "12A4" is not a number' },
      { line: 8, urn: `7${la}2006`, reason: 'EstablishmentName is missing' },
      {
        line: 9,
        urn: `7${la}2007`,
        reason: 'OpenDate "31-02-2020" is not a real date in the form DD-MM-YYYY',
      },
      {
        line: 10,
        urn: `7${la}2008`,
        reason: 'CloseDate "2020-07-31" is not a real date in the form DD-MM-YYYY',
      },
      { line: 12, urn: `7${la}2009`, reason: 'LA (code) is missing' },
      {
        line: 13,
        urn: `7${la}0000`,
        reason: `the row has 3 values but the header has ${HEADER.length} columns`,
      },
    ]);
    assert.deepEqual(countsOf(report), {
      rows: 11,
      added: 2,
      updated: 0,
      unchanged: 0,
      skipped: 9,
      localAuthoritiesAdded: 1,
    });
    assert.equal((await school(db, `${la}2001`))?.name, 'Test Primary School');
    const padded = await school(db, `${la}0045`);
    assert.equal(padded?.status, 'closed');
    assert.equal(padded?.closed_on, '2021-08-31');
    for (const n of ['2002', '2006', '2007', '2008']) {
      assert.equal(await school(db, `${la}${n}`), undefined, `${la}${n} was not written`);
    }
  });

  test('a file without the GIAS columns is refused and nothing is written', async () => {
    const { db } = database();
    const before = await Promise.all([
      countRows(db, 'establishments'),
      countRows(db, 'local_authorities'),
      countRows(db, 'audit_events'),
    ]);
    const header = HEADER.filter((c) => c !== 'LA (code)' && c !== 'EstablishmentNumber');
    const file = tempFile(giasCsv([giasRow({ 'LA (code)': '102' })], header));
    await assert.rejects(importEstablishments(db, clock, file), (error: unknown) => {
      assert.ok(error instanceof GiasImportError);
      assert.equal(error.problem, 'not-gias');
      assert.match(error.message, /does not look like a GIAS "edubasealldata" establishment extract/);
      assert.match(error.message, /no "LA \(code\)", "EstablishmentNumber" columns/);
      return true;
    });
    await assert.rejects(importEstablishments(db, clock, tempFile('')), /does not look like a GIAS/);
    const after = await Promise.all([
      countRows(db, 'establishments'),
      countRows(db, 'local_authorities'),
      countRows(db, 'audit_events'),
    ]);
    assert.deepEqual(after, before);
  });

  test('a missing file and a broken CSV are refused with a reason', async () => {
    const { db } = database();
    await assert.rejects(
      importEstablishments(db, clock, join(dir, 'no-such-file.csv')),
      (error: unknown) =>
        error instanceof GiasImportError &&
        error.problem === 'unreadable' &&
        /there is no such file/.test(error.message),
    );
    const la = nextLaNumber();
    const broken = `${giasCsv([giasRow({ 'LA (code)': la })])}900002,${la},"Testshire\r\n`;
    await assert.rejects(
      importEstablishments(db, clock, tempFile(broken)),
      (error: unknown) =>
        error instanceof GiasImportError &&
        error.problem === 'not-csv' &&
        /near line 3: a quoted value is never closed/.test(error.message),
    );
    assert.equal(await school(db, `${la}2001`), undefined, 'the good row before it was not written');
  });

  /** Counts of what an import writes, to show a refused file wrote nothing. */
  async function written(db: Db) {
    return Promise.all([
      countRows(db, 'establishments'),
      countRows(db, 'local_authorities'),
      countRows(db, 'audit_events'),
    ]);
  }

  test('a quote never closed refuses the whole file, the rows before it not written', async () => {
    const { db } = database();
    // The sample with a quote put before the URN of its 4th data row (line 5): the quoted value runs on
    // to the next quote in the file, two lines down.
    const lines = SAMPLE_TEXT.split('\n');
    lines[4] = `"${lines[4]}`;
    const before = await written(db);
    await assert.rejects(importEstablishments(db, clock, tempFile(lines.join('\n'))), (error: unknown) => {
      assert.ok(error instanceof GiasImportError);
      assert.equal(error.problem, 'not-csv');
      assert.match(error.message, /near line 5: a quoted value is never closed/);
      return true;
    });
    assert.deepEqual(await written(db), before);

    // A stray quote inside a value that is not quoted is refused too, on its own line.
    const la = nextLaNumber();
    const stray = giasCsv([giasRow({ 'LA (code)': la })]).replace('Testtown', 'St Mary"s');
    await assert.rejects(
      importEstablishments(db, clock, tempFile(stray)),
      /near line 2: a quote is inside a value that does not start with one/,
    );
    assert.equal(await school(db, `${la}2001`), undefined);
  });

  test('a row too long for a GIAS extract refuses the file, and its value is not quoted', async () => {
    const { db } = database();
    const la = nextLaNumber();
    const long = `${giasCsv([giasRow({ 'LA (code)': la })])}${'x'.repeat(200_000)}\r\n`;
    const before = await written(db);
    await assert.rejects(importEstablishments(db, clock, tempFile(long)), (error: unknown) => {
      assert.ok(error instanceof GiasImportError);
      assert.equal(error.problem, 'not-csv');
      assert.match(error.message, /near line 3: a row is too long\./);
      assert.doesNotMatch(error.message, /xxxxxxxxxx/);
      return true;
    });
    assert.deepEqual(await written(db), before);
  });

  test('a message quotes at most 20 characters of a value from the file', async () => {
    const { db } = database();
    const la = nextLaNumber();
    const long = '1234567890'.repeat(500);
    const cut = `${long.slice(0, 19)}…`;
    const rows = [
      giasRow({ URN: long, 'LA (code)': long }),
      giasRow({ URN: 'ü'.repeat(30), 'LA (code)': la, EstablishmentNumber: long }),
      giasRow({ 'LA (code)': la, EstablishmentNumber: `A${long}` }),
      giasRow({ 'LA (code)': la, OpenDate: long }),
    ];
    const report = await importEstablishments(db, clock, tempFile(giasCsv(rows)));
    assert.deepEqual(report.skippedRows, [
      { line: 2, urn: cut, reason: `LA (code) "${cut}" is not a 3-digit LA number` },
      { line: 3, urn: `${'ü'.repeat(19)}…`, reason: `EstablishmentNumber "${cut}" has more than 4 digits` },
      { line: 4, urn: '900001', reason: `EstablishmentNumber "A${cut.slice(0, 18)}…" is not a number` },
      {
        line: 5,
        urn: '900001',
        reason: `OpenDate "${cut}" is not a real date in the form DD-MM-YYYY`,
      },
    ]);
  });

  test('Windows-1252 text is decoded (and UTF-8 when the file has a byte order mark)', async () => {
    const { db } = database();
    const la = nextLaNumber();
    const name = 'Ysgol Gymraeg Llundain – é’s';
    const file = tempFile(giasCsv([giasRow({ 'LA (code)': la, EstablishmentName: name, Town: 'Caerdydd' })]));
    assert.ok(readFileSync(file).includes(0x96), 'the en dash is the single cp1252 byte 0x96');
    const report = await importEstablishments(db, clock, file);
    assert.equal(report.skipped, 0);
    const stored = await school(db, `${la}2001`);
    assert.equal(stored?.name, name);
    assert.equal(
      stored?.name_search,
      'ysgol gymraeg llundain e',
      'its search text, punctuation and accents left out',
    );

    const utf8 = Buffer.concat([
      Buffer.from([0xef, 0xbb, 0xbf]),
      Buffer.from(
        giasCsv([giasRow({ 'LA (code)': la, EstablishmentNumber: '2002', EstablishmentName: name })]),
      ),
    ]);
    await importEstablishments(db, clock, tempFile(utf8));
    assert.equal((await school(db, `${la}2002`))?.name, name);
  });

  test('a UTF-8 file without a byte order mark is read as UTF-8; a Windows-1252 one still as Windows-1252', async () => {
    const { db } = database();
    const la = nextLaNumber();
    const names = [
      'Ysgol Gymraeg Bro Morgannwg – Ŵyr a Ŷd',
      'Ysgol Glan Môr, Tâf',
      'École Française de Londres',
      'Szkoła Łódź Niño Øresund',
    ];
    // Enough rows that the file is checked in more than one piece, letters of 2 and 3 bytes in UTF-8 in
    // every name and one of 4 in a town; the first row's name made longer so that the end of the first
    // piece cuts a character.
    const rowsPadded = (pad: number) =>
      Array.from({ length: 4000 }, (_, i) =>
        giasRow({
          'LA (code)': la,
          EstablishmentNumber: String(2000 + i),
          EstablishmentName: `${names[i % names.length]} ${'ŵ'.repeat(i % 7)}${i}${i === 0 ? 'x'.repeat(pad) : ''}`,
          Town: i === 0 ? 'Caerdydd 𝔸' : 'Caerdydd',
        }),
      );
    // Padding the first row moves every later byte on: by as many as the last continuation byte before
    // the end of the piece is short of it.
    const unpadded = Buffer.from(giasCsv(rowsPadded(0)));
    let continuation = ENCODING_CHECK_PIECE;
    while (((unpadded[continuation] ?? 0) & 0xc0) !== 0x80) continuation -= 1;
    const pad = ENCODING_CHECK_PIECE - continuation;
    const rows = rowsPadded(pad);
    const utf8 = Buffer.from(giasCsv(rows));
    assert.notDeepEqual([...utf8.subarray(0, 3)], [0xef, 0xbb, 0xbf], 'no byte order mark');
    assert.equal(
      (utf8[ENCODING_CHECK_PIECE] ?? 0) & 0xc0,
      0x80,
      'a character is cut by the end of the first piece',
    );
    assert.ok(utf8.length > ENCODING_CHECK_PIECE, `several pieces of a mebibyte: ${utf8.length} bytes`);
    const report = await importEstablishments(db, clock, tempFile(utf8));
    assert.equal(report.skipped, 0);
    assert.equal(report.added, rows.length);
    for (const i of [0, 1, 2, 3, 1234, 3999]) {
      const stored = await school(db, `${la}${2000 + i}`);
      assert.equal(stored?.name, rows[i]?.EstablishmentName, `row ${i}`);
    }
    assert.equal((await school(db, `${la}2000`))?.town, 'Caerdydd 𝔸');
    assert.equal(
      (await school(db, `${la}2000`))?.name_search,
      `ysgol gymraeg bro morgannwg wyr a yd 0${'x'.repeat(pad)}`,
    );

    // The same letters Windows-1252 has, written as GIAS writes them: one byte each, not valid UTF-8.
    const other = nextLaNumber();
    const cp1252Name = 'École Française – Glan Môr, Tâf’s';
    const cp1252 = tempFile(
      giasCsv([giasRow({ 'LA (code)': other, EstablishmentName: cp1252Name, Town: 'Pontypool' })]),
    );
    assert.ok(readFileSync(cp1252).includes(0xf4), 'ô is the single cp1252 byte 0xF4');
    await importEstablishments(db, clock, cp1252);
    const stored = await school(db, `${other}2001`);
    assert.equal(stored?.name, cp1252Name);
  });

  test('LAs are created in the right country and existing LAs are never changed', async () => {
    const { db } = database();
    const existing = await makeLa(db, { name: 'Our Name For It', email: 'team@la.example.gov.uk' });
    const rows = [
      giasRow({ 'LA (code)': '672', 'LA (name)': 'Powys', 'GOR (name)': 'Wales (pseudo)' }),
      giasRow({ 'LA (code)': '681', 'LA (name)': 'Cardiff', 'GOR (name)': '' }),
      giasRow({ 'LA (code)': existing.number, 'LA (name)': 'GIAS Name', 'GOR (name)': 'Wales (pseudo)' }),
    ];
    const report = await importEstablishments(db, clock, tempFile(giasCsv(rows)));
    assert.deepEqual(report.addedLocalAuthorities, [
      { number: '672', name: 'Powys', country: 'Wales' },
      { number: '681', name: 'Cardiff', country: 'Wales' },
    ]);
    const kept = await db
      .selectFrom('local_authorities')
      .selectAll()
      .where('number', '=', existing.number)
      .executeTakeFirstOrThrow();
    assert.deepEqual(kept, existing);
    assert.equal((await school(db, `${existing.number}2001`))?.la_number, existing.number);
  });

  test('when two rows share an establishment number, the open (then newer) one is imported', async () => {
    const { db } = database();
    const la = nextLaNumber();
    const rows = [
      // A closed school and the academy that replaced it under the same number, newer first.
      giasRow({
        URN: '500002',
        'LA (code)': la,
        EstablishmentNumber: '3001',
        EstablishmentName: 'Hill Academy',
      }),
      giasRow({
        URN: '400001',
        'LA (code)': la,
        EstablishmentNumber: '3001',
        EstablishmentName: 'Hill School',
        'EstablishmentStatus (name)': 'Closed',
        CloseDate: '31-08-2020',
      }),
      // A school about to convert, and its successor proposed to open.
      giasRow({
        URN: '400002',
        'LA (code)': la,
        EstablishmentNumber: '3002',
        EstablishmentName: 'Dale School',
        'EstablishmentStatus (name)': 'Open, but proposed to close',
      }),
      giasRow({
        URN: '500003',
        'LA (code)': la,
        EstablishmentNumber: '3002',
        EstablishmentName: 'Dale Academy',
        'EstablishmentStatus (name)': 'Proposed to open',
        OpenDate: '01-09-2027',
      }),
      giasRow({
        URN: '500004',
        'LA (code)': la,
        EstablishmentNumber: '3003',
        EstablishmentName: 'New Free School',
        'EstablishmentStatus (name)': 'Proposed to open',
        OpenDate: '01-09-2027',
      }),
    ];
    const report = await importEstablishments(db, clock, tempFile(giasCsv(rows)));
    assert.equal(report.added, 3);
    assert.deepEqual(report.skippedRows, [
      {
        line: 3,
        urn: '400001',
        reason: `establishment number ${la}3001 is also on line 2 (URN 500002), which was imported instead (an open record is preferred to a proposed or closed one, then the newer URN)`,
      },
      {
        line: 5,
        urn: '500003',
        reason: `establishment number ${la}3002 is also on line 4 (URN 400002), which was imported instead (an open record is preferred to a proposed or closed one, then the newer URN)`,
      },
    ]);
    assert.equal((await school(db, `${la}3001`))?.name, 'Hill Academy');
    assert.equal((await school(db, `${la}3002`))?.name, 'Dale School');
    const proposed = await school(db, `${la}3003`);
    assert.equal(proposed?.status, 'open');
    assert.equal(proposed?.opened_on, '2027-09-01');
  });

  test('a field emptied in a later extract is emptied, and filled again when it comes back', async () => {
    const { db } = database();
    const la = nextLaNumber();
    await importEstablishments(db, clock, tempFile(giasCsv([giasRow({ 'LA (code)': la })])));
    const emptied = await importEstablishments(
      db,
      clock,
      tempFile(giasCsv([giasRow({ 'LA (code)': la, Postcode: '' })])),
    );
    assert.deepEqual([emptied.updated, emptied.unchanged], [1, 0]);
    assert.equal((await school(db, `${la}2001`))?.postcode, null);
    const again = await importEstablishments(db, clock, tempFile(giasCsv([giasRow({ 'LA (code)': la })])));
    assert.deepEqual([again.updated, again.unchanged], [1, 0]);
    assert.equal((await school(db, `${la}2001`))?.postcode, 'TE1 1ST');
    const same = await importEstablishments(db, clock, tempFile(giasCsv([giasRow({ 'LA (code)': la })])));
    assert.deepEqual([same.updated, same.unchanged], [0, 1]);
  });

  test('a cut-down extract leaves the fields it does not carry alone', async () => {
    const { db } = database();
    const la = nextLaNumber();
    await importEstablishments(db, clock, tempFile(giasCsv([giasRow({ 'LA (code)': la })])));
    const header = [
      'URN',
      'LA (code)',
      'LA (name)',
      'EstablishmentNumber',
      'EstablishmentName',
      'EstablishmentStatus (name)',
    ];
    const report = await importEstablishments(
      db,
      clock,
      tempFile(giasCsv([giasRow({ 'LA (code)': la, EstablishmentName: 'Renamed Primary School' })], header)),
    );
    assert.equal(report.updated, 1);
    const stored = await school(db, `${la}2001`);
    assert.equal(stored?.name, 'Renamed Primary School');
    assert.equal(stored?.town, 'Testtown');
    assert.equal(stored?.postcode, 'TE1 1ST');
    assert.equal(stored?.telephone, '01234567890');
    assert.equal(stored?.type, 'Community school');
  });
  test('its staged rows are deleted a batch a statement, and another writer gets in between', async () => {
    const { db } = database();
    const la = await makeLa(db);
    const rows = 2 * BATCH_SIZE + 1;
    const file = tempFile(
      giasCsv(
        Array.from({ length: rows }, (_, i) =>
          giasRow({ 'LA (code)': la.number, URN: String(800000 + i), EstablishmentNumber: String(5000 + i) }),
        ),
      ),
    );
    const hold = holdingAfterDeleteFrom(db, 'establishment_import_rows');
    const importing = importEstablishments(hold.db, clock, file);
    try {
      await Promise.race([hold.reached, importing]);
      // Between the first delete statement and the next: one batch is gone, the rest wait.
      assert.equal(await stagedRows(database(), 'la_number', la.number), rows - BATCH_SIZE);
      await writeBeside(database());
    } finally {
      hold.release();
    }
    assert.equal((await importing).added, rows);
    assert.equal(await stagedRows(database(), 'la_number', la.number), 0);
  });

  test('rows a killed import staged are never applied, and an import a day later deletes them', async () => {
    const { db } = database();
    const la = await makeLa(db);
    const staged = (importId: string, number: string, at: Date) => ({
      import_id: importId,
      number,
      staged_at: at.toISOString(),
      la_number: la.number,
      name: 'Half Imported School',
      name_search: 'half imported school',
      town: null,
      town_search: '',
      postcode: null,
      phase: null,
      type: null,
      status: 'open' as const,
      urn: null,
      uses_s2s: 1 as const,
      telephone: null,
      opened_on: null,
      closed_on: null,
    });
    const now = clock.now();
    const dayAgo = new Date(now.getTime() - 24 * 60 * 60 * 1000 - 1);
    // One killed a day ago, with more rows than a delete statement takes; one (another import, perhaps
    // still running) an hour ago.
    const killed = 2 * BATCH_SIZE + 1;
    for (let from = 0; from < killed; from += BATCH_SIZE) {
      const numbers = Array.from({ length: Math.min(BATCH_SIZE, killed - from) }, (_, i) => 6000 + from + i);
      await db
        .insertInto('establishment_import_rows')
        .values(numbers.map((number) => staged('killed-import', `${la.number}${number}`, dayAgo)))
        .execute();
    }
    await db
      .insertInto('establishment_import_rows')
      .values(staged('running-import', `${la.number}7002`, new Date(now.getTime() - 60 * 60 * 1000)))
      .execute();
    const hold = holdingAfterDeleteFrom(db, 'establishment_import_rows');
    const importing = importEstablishments(
      hold.db,
      clock,
      tempFile(giasCsv([giasRow({ 'LA (code)': la.number, EstablishmentNumber: '7003' })])),
    );
    try {
      await Promise.race([hold.reached, importing]);
      // The killed import's rows go a batch a statement too, before this import stages its own.
      assert.equal(await stagedRows(database(), 'import_id', 'killed-import'), killed - BATCH_SIZE);
      await writeBeside(database());
    } finally {
      hold.release();
    }
    const report = await importing;
    assert.equal(report.added, 1, 'only the row of the file is applied');
    assert.equal(await school(db, `${la.number}6000`), undefined);
    assert.equal(await school(db, `${la.number}7002`), undefined);
    assert.equal((await school(db, `${la.number}7003`))?.name, 'Test Primary School');
    const left = await db.selectFrom('establishment_import_rows').select('import_id').execute();
    assert.deepEqual(left, [{ import_id: 'running-import' }]);
    await db.deleteFrom('establishment_import_rows').execute();
  });
});
