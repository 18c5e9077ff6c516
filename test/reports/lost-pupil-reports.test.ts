// Lost Pupil (numbers), (uploaded pupils) and (downloaded pupils) reports: known answers on both engines,
// an LA never seeing another LA's pupils, the roles refused, the page matching its CSV, and the CSVs read
// in keyset pages.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { before, test } from 'node:test';
import { parse } from 'csv-parse/sync';
import { ManualClock } from '../../src/platform/clock.ts';
import type {
  Db,
  EstablishmentRow,
  LocalAuthorityRow,
  LostPupilRow,
  TransferRow,
} from '../../src/platform/db/schema.ts';
import { Forbidden, Invalid } from '../../src/platform/errors.ts';
import type { CsvReportName, ReportCriteria } from '../../src/reports/downloads.ts';
import { lostPupilCounts, lostPupilCountsQuery } from '../../src/reports/lost-pupil-report-repository.ts';
import { finderLaName, LostPupilReportService } from '../../src/reports/lost-pupil-report-service.ts';
import { PAGE_ROWS } from '../../src/reports/paging.ts';
import { allVisible, describeEachEngine, queryPlan, readsIndexAlone } from '../support/databases.ts';
import { makeLa, makeSchool, makeUser } from '../support/factories.ts';
import { makeLostPupil } from '../support/lost-pupils.ts';
import { actorOf } from '../support/messages.ts';
import { asCsvCell, cellTexts, csvInPages, downloadCsv, keysetReads } from '../support/reports.ts';
import { la as laParty, makeFileStores, school as schoolParty } from '../support/transfers.ts';
import type { Agent } from '../support/web.ts';
import { createTestApp, signedInUser, textOf } from '../support/web.ts';
import { english, fieldsAndMessages } from './support.ts';

describeEachEngine('Lost Pupil reports', (database) => {
  let db: Db;
  let la: LocalAuthorityRow;
  let otherLa: LocalAuthorityRow;
  let alder: EstablishmentRow;
  let birch: EstablishmentRow;
  let outside: EstablishmentRow;
  const clock = new ManualClock('2026-11-23T12:00:00.000Z');
  const { files } = makeFileStores();
  const filenames: Record<string, string> = {};

  const found = (record: LostPupilRow, at: string, by: string) =>
    db
      .updateTable('lost_pupils')
      .set({ status: 'found', found_at: at, found_by_la: by })
      .where('id', '=', record.id)
      .execute();

  before(async () => {
    db = database().db;
    la = await makeLa(db, { name: 'Ashire' });
    otherLa = await makeLa(db, { name: 'Bshire' });
    alder = await makeSchool(db, la.number, { name: 'Alder Primary' });
    birch = await makeSchool(db, la.number, { name: 'Birch Primary' });
    outside = await makeSchool(db, otherLa.number, { name: 'Outside Academy' });
    // Alder: Amy (missing, 12 on 23 November, found by Bshire on 1 November) and Ben (left the sector, 11).
    const amy = await makeLostPupil(db, files, {
      from: schoolParty(alder.number),
      reason: 'destination-unknown',
      pupil: {
        surname: 'Ash',
        forename: 'Amy',
        upn: 'A123456789012',
        dateOfBirth: '2014-05-17',
        gender: 'F',
      },
      uploadedAt: '2026-10-15T10:00:00.000Z',
    });
    await found(amy.record, '2026-11-01T09:00:00.000Z', otherLa.number);
    const ben = await makeLostPupil(db, files, {
      from: schoolParty(alder.number),
      reason: 'left-maintained-sector',
      pupil: { surname: 'Bell', forename: 'Ben', dateOfBirth: '2014-12-01', gender: 'M' },
      uploadedAt: '2026-11-10T10:00:00.000Z',
    });
    // Birch: Cal, no date of birth or gender, found by Ashire itself on 15 November.
    const cal = await makeLostPupil(db, files, {
      from: schoolParty(birch.number),
      pupil: { surname: 'Cole', forename: 'Cal', dateOfBirth: null, gender: null },
      uploadedAt: '2026-11-12T10:00:00.000Z',
    });
    await found(cal.record, '2026-11-15T09:00:00.000Z', la.number);
    // The LA itself: Dee, removed since.
    const dee = await makeLostPupil(db, files, {
      from: laParty(la.number),
      pupil: { surname: 'Dale', forename: 'Dee', dateOfBirth: '2014-05-17', gender: 'F' },
      uploadedAt: '2026-11-20T10:00:00.000Z',
    });
    await db
      .updateTable('lost_pupils')
      .set({ status: 'removed', removed_at: '2026-11-21T10:00:00.000Z' })
      .where('id', '=', dee.record.id)
      .execute();
    // Bshire's school: Eve, found by Ashire on 18 November; Fay, never found.
    const eve = await makeLostPupil(db, files, {
      from: schoolParty(outside.number),
      pupil: { surname: 'Eade', forename: 'Eve', dateOfBirth: '2010-01-01', gender: 'F' },
      uploadedAt: '2026-11-05T10:00:00.000Z',
    });
    await found(eve.record, '2026-11-18T09:00:00.000Z', la.number);
    const fay = await makeLostPupil(db, files, {
      from: schoolParty(outside.number),
      reason: 'left-maintained-sector',
      pupil: { surname: 'Faraway', forename: 'Fay', dateOfBirth: '2011-03-03', gender: 'F' },
      uploadedAt: '2026-11-06T10:00:00.000Z',
    });
    for (const [name, made] of Object.entries({ amy, ben, cal, dee, eve, fay }))
      filenames[name] = made.transfer.row.filename;
  });

  const service = () => new LostPupilReportService({ db, clock });
  const user = async (role: Parameters<typeof makeUser>[1], org: Parameters<typeof makeUser>[2]) =>
    actorOf(await makeUser(db, role, org));
  const november = { fromDay: '1', fromMonth: '11', fromYear: '2026' };

  test('numbers: uploaded and downloaded by age on the To date and gender, with totals', async () => {
    const officer = await user('la_lost_pupil', { laNumber: la.number });
    const all = await service().numbers(officer, { la: otherLa.number });
    assert.equal(english(all.subject), `Ashire (${la.number})`);
    const ashire = `${la.number} Ashire`;
    assert.deepEqual(all.rows, [
      { la: ashire, age: '11', gender: 'M', uploaded: 1, downloaded: 0 },
      { la: ashire, age: '12', gender: 'F', uploaded: 2, downloaded: 1 },
      { la: ashire, age: 'Unknown', gender: 'Unknown', uploaded: 1, downloaded: 1 },
    ]);
    assert.deepEqual(all.totals, { uploaded: 4, downloaded: 2 });
    // To 31 October: Amy only, 12 then, and not yet found.
    const october = await service().numbers(officer, { toDay: '31', toMonth: '10', toYear: '2026' });
    assert.deepEqual(october.rows, [{ la: ashire, age: '12', gender: 'F', uploaded: 1, downloaded: 0 }]);
    const fromNovember = await service().numbers(officer, november);
    assert.deepEqual(fromNovember.totals, { uploaded: 3, downloaded: 1 });
    // Bshire's own numbers: Eve and Fay, whoever found them.
    const theirs = await service().numbers(await user('la_dba', { laNumber: otherLa.number }), {});
    const bshire = `${otherLa.number} Bshire`;
    assert.deepEqual(theirs.rows, [
      { la: bshire, age: '15', gender: 'F', uploaded: 1, downloaded: 0 },
      { la: bshire, age: '16', gender: 'F', uploaded: 1, downloaded: 1 },
    ]);
  });

  test("an LA's numbers are counted from its index alone, never reading the records themselves", async () => {
    // Through the table, LA 916's 6,000 records at a tenth of the country were 3,100 pages read (migration 047).
    const { engine } = database();
    await allVisible(db, engine, 'lost_pupils');
    for (const since of [null, '2026-09-01T00:00:00.000Z']) {
      const until = clock.now().toISOString();
      const query = lostPupilCountsQuery(db, { la: la.number, since, until, agesOn: '2026-11-23' });
      const plan = await queryPlan(db, engine, query.compile());
      assert.match(plan, readsIndexAlone(engine, 'lost_pupils_source'), plan);
    }
  });

  test('uploaded pupils: every pupil the LA uploaded, by download status and type, never another LA', async () => {
    const officer = await user('la_lost_pupil_transfer', { laNumber: la.number });
    const all = await service().uploaded(officer, {});
    assert.deepEqual(
      all.rows.map((r) => [r.surname, r.sourceSchool, r.reason, r.status, r.foundAt, r.filename]),
      [
        ['Dale', null, 'destination-unknown', 'removed', null, filenames.dee],
        ['Cole', birch.number, 'destination-unknown', 'found', '2026-11-15T09:00:00.000Z', filenames.cal],
        ['Bell', alder.number, 'left-maintained-sector', 'lost', null, filenames.ben],
        ['Ash', alder.number, 'destination-unknown', 'found', '2026-11-01T09:00:00.000Z', filenames.amy],
      ],
    );
    const names = async (criteria: Parameters<LostPupilReportService['uploaded']>[1]) =>
      (await service().uploaded(officer, criteria)).rows.map((r) => r.surname);
    assert.deepEqual(await names({ download: 'downloaded' }), ['Cole', 'Ash']);
    assert.deepEqual(await names({ download: 'not-downloaded' }), ['Dale', 'Bell']);
    assert.deepEqual(await names({ type: 'left' }), ['Bell']);
    assert.deepEqual(await names({ type: 'missing', download: 'downloaded', ...november }), ['Cole']);
    await assert.rejects(service().uploaded(officer, { download: 'some', type: 'x' }), (error: unknown) => {
      assert.ok(error instanceof Invalid);
      assert.deepEqual(
        error.errors.map((e) => e.field),
        ['download', 'type'],
      );
      return true;
    });
    const theirs = await service().uploaded(await user('la_lost_pupil', { laNumber: otherLa.number }), {});
    assert.deepEqual(
      theirs.rows.map((r) => r.surname),
      ['Faraway', 'Eade'],
    );
  });

  test('downloaded pupils: the pupils this LA found, from any LA, by the date found', async () => {
    const officer = await user('la_lost_pupil', { laNumber: la.number });
    const all = await service().downloaded(officer, { la: otherLa.number });
    assert.deepEqual(
      all.rows.map((r) => [r.foundAt, r.surname, r.sourceSchoolName, r.sourceLa, r.filename]),
      [
        ['2026-11-18T09:00:00.000Z', 'Eade', 'Outside Academy', otherLa.number, filenames.eve],
        ['2026-11-15T09:00:00.000Z', 'Cole', 'Birch Primary', la.number, filenames.cal],
      ],
    );
    const late = await service().downloaded(officer, { fromDay: '16', fromMonth: '11', fromYear: '2026' });
    assert.deepEqual(
      late.rows.map((r) => r.surname),
      ['Eade'],
    );
    const theirs = await service().downloaded(await user('la_dba', { laNumber: otherLa.number }), {});
    assert.deepEqual(
      theirs.rows.map((r) => r.surname),
      ['Ash'],
    );
  });

  test('a page too short for every pupil shows the newest, newest first; the CSV has them all in that order', async () => {
    const officer = await user('la_lost_pupil', { laNumber: la.number });
    const short = new LostPupilReportService({ db, clock }, { pageRows: 2 });
    // Ashire's uploads: Ash (15 October), Bell (10 November), Cole (12 November), Dale (20 November).
    const uploaded = await short.uploaded(officer, {});
    assert.deepEqual([uploaded.rows.map((r) => r.surname), uploaded.truncated], [['Dale', 'Cole'], true]);
    // Found by Ashire: Cole on 15 November, Eade on 18 November.
    const found = await new LostPupilReportService({ db, clock }, { pageRows: 1 }).downloaded(officer, {});
    assert.deepEqual([found.rows.map((r) => r.surname), found.truncated], [['Eade'], true]);
    const all = async (stream: AsyncGenerator<{ surname: string | null }>) => {
      const names: (string | null)[] = [];
      for await (const row of stream) names.push(row.surname);
      return names;
    };
    for (const csvPageSize of [1, 3, 1000]) {
      const streams = new LostPupilReportService({ db, clock }, { csvPageSize });
      assert.deepEqual(await all((await streams.streamUploaded(officer, {})).rows), [
        'Dale',
        'Cole',
        'Bell',
        'Ash',
      ]);
      assert.deepEqual(await all((await streams.streamDownloaded(officer, {})).rows), ['Eade', 'Cole']);
    }
  });

  test('the national administrator chooses an LA (or All LAs); other roles are refused', async () => {
    const admin = await user('national_admin', {});
    await assert.rejects(service().numbers(admin, {}), (error: unknown) => {
      assert.ok(error instanceof Invalid);
      assert.deepEqual(fieldsAndMessages(error.errors), [
        { field: 'la', message: 'Select an LA, or All LAs' },
      ]);
      return true;
    });
    await assert.rejects(service().numbers(admin, { la: '999' }), Invalid);
    const theirs = await service().uploaded(admin, { la: otherLa.number });
    assert.deepEqual(
      theirs.rows.map((r) => r.surname),
      ['Faraway', 'Eade'],
    );
    await assert.rejects(service().uploaded(await user('la_user', { laNumber: la.number }), {}), Forbidden);
    await assert.rejects(
      service().numbers(await user('school', { laNumber: la.number, establishmentNumber: alder.number }), {}),
      Forbidden,
    );
  });

  /** A report page's cells, its dates as the CSV writes them. */
  const pageAsCsv = async (agent: Agent, url: string) => {
    const page = await agent.get(url);
    assert.equal(page.statusCode, 200, url);
    return cellTexts(page.body).map(asCsvCell);
  };

  test('All LAs: the national administrator sees every LA’s lost pupils, each row with its LA', async () => {
    const admin = await user('national_admin', {});
    const ashire = `${la.number} Ashire`;
    const bshire = `${otherLa.number} Bshire`;
    const numbers = await service().numbers(admin, { la: 'all' });
    assert.deepEqual([english(numbers.subject), numbers.la], ['Every LA', null]);
    const ashireRows = [
      { la: ashire, age: '11', gender: 'M', uploaded: 1, downloaded: 0 },
      { la: ashire, age: '12', gender: 'F', uploaded: 2, downloaded: 1 },
      { la: ashire, age: 'Unknown', gender: 'Unknown', uploaded: 1, downloaded: 1 },
    ];
    const bshireRows = [
      { la: bshire, age: '15', gender: 'F', uploaded: 1, downloaded: 0 },
      { la: bshire, age: '16', gender: 'F', uploaded: 1, downloaded: 1 },
    ];
    // By LA number, then age and gender.
    assert.deepEqual(
      numbers.rows,
      la.number < otherLa.number ? [...ashireRows, ...bshireRows] : [...bshireRows, ...ashireRows],
    );
    assert.deepEqual(numbers.totals, { uploaded: 6, downloaded: 3 });

    const uploaded = await service().uploaded(admin, { la: 'all' });
    assert.deepEqual(
      uploaded.rows.map((r) => [r.surname, r.sourceLa]),
      [
        ['Dale', la.number],
        ['Cole', la.number],
        ['Bell', la.number],
        ['Faraway', otherLa.number],
        ['Eade', otherLa.number],
        ['Ash', la.number],
      ],
    );
    const left = await service().uploaded(admin, { la: 'all', download: 'not-downloaded', type: 'left' });
    assert.deepEqual(
      left.rows.map((r) => r.surname),
      ['Bell', 'Faraway'],
    );

    const downloaded = await service().downloaded(admin, { la: 'all' });
    assert.deepEqual(
      downloaded.rows.map((r) => [r.surname, finderLaName(r)]),
      [
        ['Eade', ashire],
        ['Cole', ashire],
        ['Ash', bshire],
      ],
    );
    const late = await service().downloaded(admin, {
      la: 'all',
      fromDay: '16',
      fromMonth: '11',
      fromYear: '2026',
    });
    assert.deepEqual(
      late.rows.map((r) => r.surname),
      ['Eade'],
    );
  });

  test('All LAs is for the national administrator: an LA user asking for it gets its own LA’s pupils', async () => {
    const officer = await user('la_lost_pupil', { laNumber: la.number });
    const asked = { la: 'all' };
    assert.deepEqual(await service().numbers(officer, asked), await service().numbers(officer, {}));
    assert.deepEqual(await service().uploaded(officer, asked), await service().uploaded(officer, {}));
    assert.deepEqual(await service().downloaded(officer, asked), await service().downloaded(officer, {}));
    assert.equal(english((await service().numbers(officer, asked)).subject), `Ashire (${la.number})`);
  });

  test('All LAs: each page starts its rows with the LA, as its CSV does', async () => {
    const t = await createTestApp(db);
    try {
      const { agent } = await signedInUser(t, 'national_admin', {});
      const form = await agent.get('/reports/lost-pupil-numbers');
      assert.match(form.body, /<option value="all">All LAs<\/option>/);
      const ashire = `${la.number} Ashire`;
      const bshire = `${otherLa.number} Bshire`;

      const numbers = await downloadCsv(
        agent,
        '/reports/lost-pupil-numbers/csv?run=1&la=all',
        /attachment; filename="lost-pupil-numbers-all-to-2026-11-23\.csv"/,
      );
      assert.deepEqual(numbers[0], ['LA', 'Age', 'Gender', 'Uploaded', 'Downloaded']);
      assert.deepEqual(numbers.at(-1), ['Total', '', '', '6', '3']);
      assert.deepEqual(
        numbers.slice(1, -1).map((r) => r.slice(0, 2)),
        (la.number < otherLa.number ? [ashire, bshire] : [bshire, ashire]).flatMap((name) =>
          (name === ashire ? ['11', '12', 'Unknown'] : ['15', '16']).map((age) => [name, age]),
        ),
      );
      assert.deepEqual(await pageAsCsv(agent, '/reports/lost-pupil-numbers?run=1&la=all'), numbers.flat());

      const uploaded = await downloadCsv(
        agent,
        '/reports/lost-pupils-uploaded/csv?run=1&la=all',
        /attachment; filename="lost-pupils-uploaded-all-to-2026-11-23\.csv"/,
      );
      assert.deepEqual(uploaded[0]?.slice(0, 3), ['LA', 'School', 'Uploaded']);
      assert.deepEqual(uploaded[5]?.slice(0, 3), [bshire, `${outside.number} Outside Academy`, '2026-11-05']);
      assert.equal(uploaded.length, 7);
      assert.deepEqual(await pageAsCsv(agent, '/reports/lost-pupils-uploaded?run=1&la=all'), uploaded.flat());

      const downloaded = await downloadCsv(
        agent,
        '/reports/lost-pupils-downloaded/csv?run=1&la=all',
        /attachment; filename="lost-pupils-downloaded-all-to-2026-11-23\.csv"/,
      );
      assert.deepEqual(
        downloaded.map((r) => [r[0], r[1], r[3], r[7]]),
        [
          ['Found by', 'Found on', 'Surname', 'LA'],
          [ashire, '2026-11-18', 'Eade', bshire],
          [ashire, '2026-11-15', 'Cole', ashire],
          [bshire, '2026-11-01', 'Ash', ashire],
        ],
      );
      const downloadedPage = await pageAsCsv(agent, '/reports/lost-pupils-downloaded?run=1&la=all');
      assert.deepEqual(downloadedPage.slice(0, 3), ['Found by', 'Found on', 'UPN']);
      assert.deepEqual(downloadedPage.slice(8, 10), [ashire, '2026-11-18']);
    } finally {
      await t.app.close();
    }
  });

  test('the pages: an LA user without the lost-pupil roles is refused, and the page matches its CSV', async () => {
    const t = await createTestApp(db);
    try {
      const { agent: refused } = await signedInUser(t, 'la_user', { laNumber: la.number });
      for (const path of ['lost-pupil-numbers', 'lost-pupils-uploaded', 'lost-pupils-downloaded']) {
        assert.equal((await refused.get(`/reports/${path}?run=1`)).statusCode, 403, path);
        assert.equal((await refused.get(`/reports/${path}/csv`)).statusCode, 403, `${path} CSV`);
      }
      const { agent } = await signedInUser(t, 'la_lost_pupil', { laNumber: la.number });
      const form = await agent.get('/reports/lost-pupils-uploaded');
      assert.equal(form.statusCode, 200);
      assert.match(form.body, /Pupils leaving the maintained sector only/);

      // Asking for All LAs changes nothing for an LA's user: its own LA's pupils.
      const page = await agent.get('/reports/lost-pupil-numbers?run=1&la=all');
      assert.equal(page.statusCode, 200);
      const cells = cellTexts(page.body);
      const rows = await downloadCsv(
        agent,
        '/reports/lost-pupil-numbers/csv?run=1&la=all',
        /attachment; filename="lost-pupil-numbers-all-to-2026-11-23\.csv"/,
      );
      assert.deepEqual(rows, [
        ['Age', 'Gender', 'Uploaded', 'Downloaded'],
        ['11', 'M', '1', '0'],
        ['12', 'F', '2', '1'],
        ['Unknown', 'Unknown', '1', '1'],
        ['Total', '', '4', '2'],
      ]);
      assert.deepEqual(cells.slice(0, 4), rows[0]);
      assert.deepEqual(cells.slice(4), rows.slice(1).flat());

      // The uploaded pupils' CSV: every column, the LA's own upload named as the LA.
      const uploaded = parse((await agent.get('/reports/lost-pupils-uploaded/csv?type=missing')).body, {
        bom: true,
      }) as string[][];
      assert.deepEqual(uploaded, [
        [
          'School',
          'Uploaded',
          'File name',
          'UPN',
          'Surname',
          'Forename',
          'Date of birth',
          'Gender',
          'Type',
          'Downloaded',
          'Status',
        ],
        [
          `${la.number}LLLL Ashire (the LA)`,
          '2026-11-20',
          filenames.dee,
          '',
          'Dale',
          'Dee',
          '2014-05-17',
          'F',
          'Missing',
          '',
          'Removed',
        ],
        [
          `${birch.number} Birch Primary`,
          '2026-11-12',
          filenames.cal,
          '',
          'Cole',
          'Cal',
          '',
          'Unknown',
          'Missing',
          '2026-11-15',
          'Downloaded',
        ],
        [
          `${alder.number} Alder Primary`,
          '2026-10-15',
          filenames.amy,
          'A123456789012',
          'Ash',
          'Amy',
          '2014-05-17',
          'F',
          'Missing',
          '2026-11-01',
          'Downloaded',
        ],
      ]);
      assert.deepEqual(
        await pageAsCsv(agent, '/reports/lost-pupils-uploaded?run=1&type=missing'),
        uploaded.flat(),
        'the page has the CSV’s cells, its dates in words',
      );
      const uploadedPage = await agent.get('/reports/lost-pupils-uploaded?run=1&download=all&type=both');
      assert.equal(uploadedPage.statusCode, 200);
      assert.match(uploadedPage.body, /Left maintained sector[\s\S]*Ash<\/th>[\s\S]*17 May 2014/);
      assert.doesNotMatch(uploadedPage.body, /Eade|Faraway/);
      const downloadedPage = await agent.get('/reports/lost-pupils-downloaded?run=1');
      assert.equal(downloadedPage.statusCode, 200);
      assert.match(downloadedPage.body, /Eade/);
      assert.doesNotMatch(downloadedPage.body, /Faraway|Ash</);

      const bad = await agent.get('/reports/lost-pupils-uploaded?run=1&download=maybe');
      assert.equal(bad.statusCode, 400);
      assert.match(bad.body, /Select a download status/);
      const badCsv = await agent.get('/reports/lost-pupils-uploaded/csv?download=maybe');
      assert.equal(badCsv.statusCode, 302);
    } finally {
      await t.app.close();
    }
  });
});

describeEachEngine('Lost Pupil reports’ CSVs, read in keyset pages', (database) => {
  let db: Db;
  let ashire: LocalAuthorityRow;
  let bshire: LocalAuthorityRow;
  const clock = new ManualClock('2026-11-23T12:00:00.000Z');
  const { files } = makeFileStores();
  const uploaded: LostPupilRow[] = [];
  const found: LostPupilRow[] = [];

  before(async () => {
    db = database().db;
    ashire = await makeLa(db, { name: 'Ashire' });
    bshire = await makeLa(db, { name: 'Bshire' });
    const alder = await makeSchool(db, ashire.number, { name: 'Alder Primary' });
    const outside = await makeSchool(db, bshire.number, { name: 'Outside Academy' });
    // Several pupils uploaded, and several found, at the same instant: ties that only the id orders, which
    // fall across the ends of pages.
    const uploads = ['02', '02', '02', '03', '03', '04', '02'].map((day) => `2026-11-${day}T10:00:00.000Z`);
    for (const [i, uploadedAt] of uploads.entries()) {
      const from = schoolParty(i % 2 === 0 ? alder.number : outside.number);
      const { record } = await makeLostPupil(db, files, {
        from,
        uploadedAt,
        pupil: { surname: `Pupil${i}` },
      });
      uploaded.push(record);
    }
    const finds: [number, string, string][] = [
      [0, '2026-11-10', ashire.number],
      [1, '2026-11-10', ashire.number],
      [2, '2026-11-10', ashire.number],
      [3, '2026-11-10', bshire.number],
      [4, '2026-11-10', bshire.number],
      [5, '2026-11-12', ashire.number],
    ];
    for (const [i, day, by] of finds) {
      const record = uploaded[i] as LostPupilRow;
      const change = { status: 'found' as const, found_at: `${day}T09:00:00.000Z`, found_by_la: by };
      await db.updateTable('lost_pupils').set(change).where('id', '=', record.id).execute();
      found.push({ ...record, ...change });
    }
  });

  /** The pupils' surnames in a list's order: newest `at` first, then by id, descending. */
  const inOrder = (records: LostPupilRow[], at: (record: LostPupilRow) => string | null) =>
    [...records]
      .sort((a, b) => {
        const [x, y] = [at(a) ?? '', at(b) ?? ''];
        return x < y ? 1 : x > y ? -1 : a.id < b.id ? 1 : -1;
      })
      .map((record) => record.surname);

  test('each CSV has every pupil once, in order, and the same bytes whatever the page size', async () => {
    const admin = actorOf(await makeUser(db, 'national_admin', {}));
    const officer = actorOf(await makeUser(db, 'la_lost_pupil', { laNumber: ashire.number }));
    const cases: {
      name: string;
      make: [typeof admin, CsvReportName, ReportCriteria];
      surnames: unknown[];
    }[] = [
      {
        name: 'uploaded, All LAs',
        make: [admin, 'lost-pupils-uploaded', { la: 'all' }],
        surnames: inOrder(uploaded, (r) => r.uploaded_at),
      },
      {
        name: 'uploaded, one LA',
        make: [officer, 'lost-pupils-uploaded', {}],
        surnames: inOrder(
          uploaded.filter((r) => r.source_la === ashire.number),
          (r) => r.uploaded_at,
        ),
      },
      {
        name: 'downloaded, All LAs',
        make: [admin, 'lost-pupils-downloaded', { la: 'all' }],
        surnames: inOrder(found, (r) => r.found_at),
      },
      {
        name: 'downloaded, one LA',
        make: [officer, 'lost-pupils-downloaded', {}],
        surnames: inOrder(
          found.filter((r) => r.found_by_la === ashire.number),
          (r) => r.found_at,
        ),
      },
    ];
    for (const { name, make, surnames } of cases) {
      const whole = await csvInPages(db, clock, 1000, (downloads) => downloads.csv(...make));
      const [header = [], ...rows] = parse(whole.text, { bom: true }) as string[][];
      assert.deepEqual(
        rows.map((row) => row[header.indexOf('Surname')]),
        surnames,
        name,
      );
      assert.equal(whole.reads, 1, `${name}: one page`);
      for (const pageSize of [1, 2, 3]) {
        const paged = await csvInPages(db, clock, pageSize, (downloads) => downloads.csv(...make));
        assert.equal(paged.text, whole.text, `${name}, pages of ${pageSize}`);
        assert.equal(paged.reads, keysetReads(rows.length, pageSize), `${name}, pages of ${pageSize}`);
      }
    }
  });
});

describeEachEngine('Lost pupil numbers by age', (database) => {
  const { files } = makeFileStores();
  let db: Db;
  let la: LocalAuthorityRow;
  let school: EstablishmentRow;
  const clock = new ManualClock('2028-03-01T12:00:00.000Z');
  const bornOn = (dateOfBirth: string | null) =>
    makeLostPupil(db, files, {
      from: schoolParty(school.number),
      pupil: { surname: 'Ash', forename: 'Amy', dateOfBirth, gender: 'F' },
      uploadedAt: '2025-09-01T10:00:00.000Z',
    });

  before(async () => {
    db = database().db;
    la = await makeLa(db, { name: 'Ashire' });
    school = await makeSchool(db, la.number);
    for (const born of ['2012-02-29', '2014-05-16', '2014-05-17', '2027-01-01', null]) await bornOn(born);
  });

  test('ages are whole years on the To date, a 29 February birthday falling on 1 March in other years', async () => {
    const officer = actorOf(await makeUser(db, 'la_lost_pupil', { laNumber: la.number }));
    const ages = async (toDay: string, toMonth: string, toYear: string) =>
      (await new LostPupilReportService({ db, clock }).numbers(officer, { toDay, toMonth, toYear })).rows.map(
        (row) => [row.age, row.uploaded],
      );
    // Born 2027 or with no date of birth: Unknown.
    assert.deepEqual(await ages('28', '2', '2026'), [
      ['11', 2],
      ['13', 1],
      ['Unknown', 2],
    ]);
    assert.deepEqual(await ages('1', '3', '2026'), [
      ['11', 2],
      ['14', 1],
      ['Unknown', 2],
    ]);
    assert.deepEqual(await ages('16', '5', '2026'), [
      ['11', 1],
      ['12', 1],
      ['14', 1],
      ['Unknown', 2],
    ]);
    assert.deepEqual(await ages('17', '5', '2026'), [
      ['12', 2],
      ['14', 1],
      ['Unknown', 2],
    ]);
    assert.deepEqual(await ages('29', '2', '2028'), [
      ['1', 1],
      ['13', 2],
      ['16', 1],
      ['Unknown', 1],
    ]);
  });

  test('the database counts by age, not by date of birth: a row for each LA, age and gender', async () => {
    // By date of birth, nearly every record was a row of its own: 78,654 rows for 100,000 records at a
    // tenth of the country.
    const counts = await lostPupilCounts(db, {
      la: null,
      since: null,
      until: '2026-05-18T00:00:00.000Z',
      agesOn: '2026-05-17',
    });
    const twelve = counts.filter((count) => count.age === 12);
    assert.deepEqual(
      twelve.map((count) => [count.la, count.gender, count.uploaded]),
      [[la.number, 'F', 2]],
    );
  });
});

describeEachEngine('Lost pupil numbers of every LA over a period', (database) => {
  const { files } = makeFileStores();
  let db: Db;

  before(async () => {
    db = database().db;
    const school = await makeSchool(db, (await makeLa(db)).number);
    const otherSchool = await makeSchool(db, (await makeLa(db)).number);
    // A record a week for 60 weeks from January 2026: a period of 8 weeks holds few of them.
    for (let week = 0; week < 60; week++) {
      await makeLostPupil(db, files, {
        from: schoolParty((week % 2 ? school : otherSchool).number),
        uploadedAt: new Date(Date.UTC(2026, 0, 5 + 7 * week, 10)).toISOString(),
      });
    }
  });

  test('are counted from the upload index alone, never reading the records themselves', async () => {
    // By an index of the upload time alone, each record of the period was a read of the table, or every
    // record was read: at a tenth of the country, the whole table (3,900 pages) for the last year's 33,000
    // against 320 pages of this index (migration 050).
    const { engine } = database();
    await allVisible(db, engine, 'lost_pupils');
    const range = { la: null, since: '2026-09-01T00:00:00.000Z', until: '2026-11-01T00:00:00.000Z' };
    const plan = await queryPlan(
      db,
      engine,
      lostPupilCountsQuery(db, { ...range, agesOn: '2026-10-31' }).compile(),
    );
    assert.match(plan, readsIndexAlone(engine, 'lost_pupils_uploaded'), plan);
  });
});

describeEachEngine('Lost Pupil lists longer than their page', (database) => {
  test('the page shows the pupils uploaded (or found) most recently, newest first, and says so', async () => {
    const db = database().db;
    const { files } = makeFileStores();
    const la = await makeLa(db, { name: 'Busyshire' });
    const school = await makeSchool(db, la.number, { name: 'Busy Primary' });
    const { record, transfer } = await makeLostPupil(db, files, {
      from: schoolParty(school.number),
      uploadedAt: '2026-09-01T10:00:00.000Z',
      pupil: { surname: 'Pupil0000' },
    });
    // PAGE_ROWS more pupils (each with a file of its own), each uploaded (and found) a minute after the one
    // before: one too many for the page.
    const at = (i: number) => new Date(Date.parse(record.uploaded_at) + i * 60_000).toISOString();
    const made = Array.from({ length: PAGE_ROWS }, (_, n) => {
      const transferId = randomUUID();
      const file: TransferRow = {
        ...transfer.row,
        id: transferId,
        filename: `${school.number}_CTF_XXXXXXXX_${n}.XML`,
        uploaded_at: at(n + 1),
        storage_key: null,
        wrapped_key: null,
        master_key_id: null,
      };
      const pupil: LostPupilRow = {
        ...record,
        id: randomUUID(),
        transfer_id: transferId,
        surname: `Pupil${String(n + 1).padStart(4, '0')}`,
        uploaded_at: at(n + 1),
      };
      return { file, pupil };
    });
    for (let i = 0; i < made.length; i += 100) {
      const some = made.slice(i, i + 100);
      await db
        .insertInto('transfers')
        .values(some.map((m) => m.file))
        .execute();
      await db
        .insertInto('lost_pupils')
        .values(some.map((m) => m.pupil))
        .execute();
    }
    await db
      .updateTable('lost_pupils')
      .set((eb) => ({ status: 'found', found_at: eb.ref('uploaded_at'), found_by_la: la.number }))
      .where('source_la', '=', la.number)
      .execute();
    const t = await createTestApp(db);
    try {
      const { agent } = await signedInUser(t, 'la_lost_pupil', { laNumber: la.number });
      const newest = `Pupil${String(PAGE_ROWS).padStart(4, '0')}`;
      for (const [path, note] of [
        [
          'lost-pupils-uploaded',
          `This page shows the ${PAGE_ROWS} pupils uploaded most recently, newest first.`,
        ],
        [
          'lost-pupils-downloaded',
          `This page shows the ${PAGE_ROWS} pupils found most recently, newest first.`,
        ],
      ] as const) {
        const page = await agent.get(`/reports/${path}?run=1`);
        assert.equal(page.statusCode, 200, path);
        assert.ok(textOf(page.body).includes(`${note} Download the CSV for them all.`), path);
        const cells = cellTexts(page.body);
        assert.ok(cells.includes(newest), `${path}: the newest is on the page`);
        assert.ok(!cells.includes('Pupil0000'), `${path}: the oldest is not`);
        assert.ok(cells.indexOf(newest) < cells.indexOf('Pupil0001'), `${path}: newest first`);
        const csv = await downloadCsv(agent, `/reports/${path}/csv?run=1`, new RegExp(path));
        const surname = csv[0]?.indexOf('Surname') ?? -1;
        assert.equal(csv.length, PAGE_ROWS + 2, `${path}: the CSV has them all`);
        assert.deepEqual(
          [csv[1]?.[surname], csv.at(-1)?.[surname]],
          [newest, 'Pupil0000'],
          `${path}: the CSV in the page's order`,
        );
      }
      assert.equal((await agent.get('/reports/lost-pupils-uploaded?run=1&lang=cy')).statusCode, 302);
      const welsh = await agent.get('/reports/lost-pupils-uploaded?run=1');
      assert.ok(
        textOf(welsh.body).includes(
          `Mae’r dudalen hon yn dangos y ${PAGE_ROWS} disgybl a lanlwythwyd yn fwyaf diweddar, y diweddaraf yn gyntaf.`,
        ),
      );
    } finally {
      await t.app.close();
    }
  });
});
