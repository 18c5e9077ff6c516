// General Usage/Volume Report: known answers for a school, an LA (all or selected schools) and the
// national administrator, the date range's edges, the chart's London months, and the CSV matching the
// table.
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { ManualClock } from '../../src/platform/clock.ts';
import type { Db, EstablishmentRow, LocalAuthorityRow } from '../../src/platform/db/schema.ts';
import { Invalid } from '../../src/platform/errors.ts';
import { monthlyChart } from '../../src/reports/chart.ts';
import { readDateRange } from '../../src/reports/date-range.ts';
import { monthlyVolumeQuery, usageQueries } from '../../src/reports/usage-repository.ts';
import { UsageReportService } from '../../src/reports/usage-service.ts';
import { allVisible, describeEachEngine, queryPlan, readsTable } from '../support/databases.ts';
import { makeLa, makeSchool, makeUser } from '../support/factories.ts';
import { actorOf } from '../support/messages.ts';
import { cellTexts, downloadCsv } from '../support/reports.ts';
import { la as laParty, makeFileStores, makeTransfer, school as schoolParty } from '../support/transfers.ts';
import { createTestApp, signedInUser, textOf } from '../support/web.ts';
import { english, fieldsAndMessages } from './support.ts';

test('a date range: From blank is every record, To blank is today, both ends included, London days', () => {
  const now = new Date('2026-07-15T23:30:00.000Z'); // 16 July in London (summer time)
  const all = readDateRange({}, now);
  assert.deepEqual(all.range, {
    from: null,
    to: '2026-07-16',
    since: null,
    until: '2026-07-16T23:00:00.000Z',
  });
  const june = readDateRange(
    { fromDay: '1', fromMonth: '6', fromYear: '2026', toDay: '30', toMonth: '06', toYear: '2026' },
    now,
  );
  assert.deepEqual(june.range, {
    from: '2026-06-01',
    to: '2026-06-30',
    since: '2026-05-31T23:00:00.000Z',
    until: '2026-06-30T23:00:00.000Z',
  });
  const winter = readDateRange(
    { fromDay: '1', fromMonth: '12', fromYear: '2026' },
    new Date('2027-01-10T12:00:00Z'),
  );
  assert.equal(winter.range?.since, '2026-12-01T00:00:00.000Z');
  assert.deepEqual(
    fieldsAndMessages(readDateRange({ fromDay: '31', fromMonth: '2', fromYear: '2026' }, now).errors),
    [{ field: 'from-day', message: 'The From date must be a real date: February has no day 31' }],
  );
  assert.deepEqual(fieldsAndMessages(readDateRange({ toDay: '3', toYear: '2026' }, now).errors), [
    { field: 'to-month', message: 'The To date must include a month' },
  ]);
  assert.deepEqual(
    fieldsAndMessages(
      readDateRange(
        { fromDay: '2', fromMonth: '6', fromYear: '2026', toDay: '1', toMonth: '6', toYear: '2026' },
        now,
      ).errors,
    ),
    [{ field: 'from-day', message: 'The From date must be on or before the To date' }],
  );
});

test('the chart names each month with its full year, in English and in Welsh', () => {
  const months = [
    { month: '2025-12', uploaded: 1, received: 2 },
    { month: '2026-01', uploaded: 3, received: 0 },
  ];
  const english = monthlyChart(months, 'en');
  assert.deepEqual(
    english?.months.map((m) => m.label),
    ['Dec 2025', 'Jan 2026'],
  );
  assert.match(english?.description ?? '', /^CTFs each month from Dec 2025 to Jan 2026:/);
  const welsh = monthlyChart(months, 'cy');
  assert.deepEqual(
    welsh?.months.map((m) => m.label),
    ['Rhag 2025', 'Ion 2026'],
  );
  assert.match(welsh?.description ?? '', /^CTFs bob mis o Rhag 2025 i Ion 2026:/);
});

test('the chart draws every month of its range, one with no CTFs as empty bars, the last 24 at most', () => {
  const months = [
    { month: '2024-12', uploaded: 9, received: 9 },
    { month: '2026-06', uploaded: 1, received: 0 },
    { month: '2026-07', uploaded: 2, received: 1 },
    { month: '2026-10', uploaded: 0, received: 3 },
    { month: '2026-12', uploaded: 4, received: 2 },
  ];
  const chart = monthlyChart(months, 'en');
  // Dec 2024 to Dec 2026 is 25 months: the last 24, January 2025 to December 2026.
  assert.equal(chart?.months.length, 24);
  assert.equal(chart?.months[0]?.label, 'Jan 2025');
  assert.equal(chart?.months.at(-1)?.label, 'Dec 2026');
  assert.match(chart?.description ?? '', /^CTFs each month from Jan 2025 to Dec 2026:/);
  // Each month a step further along, so the gaps in time are gaps in the drawing.
  const steps = new Set(chart?.months.slice(1).map((m, i) => m.x - (chart.months[i]?.x ?? 0)));
  assert.equal(steps.size, 1);
  const barsOf = (label: string) => {
    const x = chart?.months.find((m) => m.label === label)?.x;
    return chart?.bars.filter((b) => b.x === x || b.x === (x ?? 0) + 10).map((b) => b.value);
  };
  assert.deepEqual(barsOf('Aug 2026'), [0, 0]);
  assert.deepEqual(barsOf('Nov 2026'), [0, 0]);
  assert.deepEqual(barsOf('Oct 2026'), [0, 3]);
  assert.deepEqual(barsOf('Jul 2026'), [2, 1]);
  // A shorter range is drawn whole, from its first month: November 2025 to January 2026.
  const winter = monthlyChart(
    [
      { month: '2025-11', uploaded: 1, received: 1 },
      { month: '2026-01', uploaded: 1, received: 1 },
    ],
    'en',
  );
  assert.deepEqual(
    winter?.months.map((m) => m.label),
    ['Nov 2025', 'Dec 2025', 'Jan 2026'],
  );
});

describeEachEngine('General Usage/Volume Report', (database) => {
  let db: Db;
  let la: LocalAuthorityRow;
  let otherLa: LocalAuthorityRow;
  let alder: EstablishmentRow;
  let birch: EstablishmentRow;
  let outside: EstablishmentRow;
  const clock = new ManualClock('2026-11-23T12:00:00.000Z');
  const { files } = makeFileStores();

  before(async () => {
    db = database().db;
    la = await makeLa(db, { name: 'Ashire' });
    otherLa = await makeLa(db, { name: 'Bshire' });
    alder = await makeSchool(db, la.number, { name: 'Alder Primary' });
    birch = await makeSchool(db, la.number, { name: 'Birch Primary' });
    await makeSchool(db, la.number, { name: 'Cedar Primary' });
    outside = await makeSchool(db, otherLa.number, { name: 'Outside Academy' });
    const send = (
      from: EstablishmentRow,
      to: EstablishmentRow,
      uploadedAt: string,
      pupils: number,
      status?: string,
    ) =>
      makeTransfer(db, files, {
        from: schoolParty(from.number),
        to: schoolParty(to.number),
        uploadedAt,
        overrides: { pupil_count: pupils, ...(status ? { status } : {}) },
      } as Parameters<typeof makeTransfer>[2]);
    // Alder sends three CTFs (two in November), Birch one; Alder receives one of each state.
    await send(alder, birch, '2026-10-15T10:00:00.000Z', 2, 'collected');
    await send(alder, outside, '2026-11-01T00:30:00.000Z', 3);
    await send(alder, birch, '2026-11-20T10:00:00.000Z', 1, 'rejected');
    await send(birch, alder, '2026-11-10T10:00:00.000Z', 4, 'collected');
    await send(outside, alder, '2026-11-11T10:00:00.000Z', 5);
    await send(outside, alder, '2026-11-12T10:00:00.000Z', 6, 'rejected');
    // Never offered to Alder (waiting for its scan, or quarantined): not received.
    for (const [status, scan] of [
      ['pending-scan', 'pending'],
      ['quarantined', 'infected'],
    ]) {
      await makeTransfer(db, files, {
        from: schoolParty(outside.number),
        to: schoolParty(alder.number),
        uploadedAt: '2026-11-15T10:00:00.000Z',
        overrides: { status, scan_status: scan },
      } as Parameters<typeof makeTransfer>[2]);
    }
    // Removed by its sender before Alder collected it: uploaded, but never received.
    await send(outside, alder, '2026-11-15T11:00:00.000Z', 7, 'removed');
    // Ashire's own CTF: not uploaded by one of its schools, in its schools' rows or in its own.
    await makeTransfer(db, files, {
      from: laParty(la.number),
      to: schoolParty(outside.number),
      uploadedAt: '2026-11-16T10:00:00.000Z',
      overrides: { status: 'collected' },
    } as Parameters<typeof makeTransfer>[2]);
    // Not CTFs, or not to a school: not counted as received; a generic file is not a CTF at all.
    await makeTransfer(db, files, {
      from: schoolParty(outside.number),
      to: laParty(la.number),
      uploadedAt: '2026-11-13T10:00:00.000Z',
    });
    await makeTransfer(db, files, {
      from: schoolParty(outside.number),
      to: schoolParty(alder.number),
      category: 'generic',
      uploadedAt: '2026-11-14T10:00:00.000Z',
    });
  });

  const service = () => new UsageReportService({ db, clock });
  const user = async (role: Parameters<typeof makeUser>[1], org: Parameters<typeof makeUser>[2]) =>
    actorOf(await makeUser(db, role, org));

  test('a school sees its own row only', async () => {
    const report = await service().run(
      await user('school', { laNumber: la.number, establishmentNumber: alder.number }),
      {
        la: otherLa.number,
        scope: 'selected',
        schools: [outside.number],
      },
    );
    assert.equal(english(report.subject), `Alder Primary (${alder.number})`);
    assert.deepEqual(report.rows, [
      {
        code: alder.number,
        name: 'Alder Primary',
        uploaded: 3,
        uploadedPupils: 6,
        received: 3,
        downloaded: 1,
        awaiting: 1,
        rejected: 1,
        receivedPupils: 15,
      },
    ]);
  });

  test('an LA sees each of its schools with totals, or the schools it selects (up to 20), and never another LA', async () => {
    const officer = await user('la_user', { laNumber: la.number });
    const all = await service().run(officer, { la: otherLa.number });
    assert.equal(english(all.subject), `Ashire (${la.number})`);
    assert.deepEqual(await service().run(officer, { la: 'all' }), all, 'All LAs is not an LA role’s');
    assert.deepEqual(
      all.rows.map((r) => [r.name, r.uploaded, r.received, r.downloaded, r.awaiting, r.rejected]),
      [
        ['Alder Primary', 3, 3, 1, 1, 1],
        ['Birch Primary', 1, 2, 1, 0, 1],
        ['Cedar Primary', 0, 0, 0, 0, 0],
      ],
    );
    assert.deepEqual(all.totals, {
      uploaded: 4,
      uploadedPupils: 10,
      received: 5,
      downloaded: 2,
      awaiting: 1,
      rejected: 2,
      receivedPupils: 18,
    });
    const selected = await service().run(officer, {
      scope: 'selected',
      schools: [birch.number, outside.number],
    });
    assert.deepEqual(
      selected.rows.map((r) => r.code),
      [birch.number],
      "another LA's school is not reported",
    );
    await assert.rejects(
      service().run(officer, { scope: 'selected', schools: [outside.number] }),
      (error: unknown) => {
        assert.ok(error instanceof Invalid);
        assert.deepEqual(fieldsAndMessages(error.errors), [
          { field: 'schools', message: 'Select one or more schools, or report on all schools' },
        ]);
        return true;
      },
    );
  });

  test("an LA's schools are counted from an index alone, never reading the transfers themselves", async () => {
    // Through the table, each of the four queries read 6,000-12,500 rows on as many pages for LA 916's
    // 120 schools at a tenth of the country (migration 046).
    const { engine } = database();
    await allVisible(db, engine, 'transfers');
    const query = {
      by: 'school' as const,
      units: [alder, birch, outside].map((school) => ({ code: school.number, name: school.name })),
      since: '2026-09-01T00:00:00.000Z',
      until: clock.now().toISOString(),
    };
    const { sent, received } = usageQueries(db, query);
    for (const compiled of [
      sent.compile(),
      received.compile(),
      monthlyVolumeQuery(db, query, true).compile(),
      monthlyVolumeQuery(db, query, false).compile(),
    ]) {
      // Which index, at this size, is the planner's choice; at national size it is the schools' own.
      const plan = await queryPlan(db, engine, compiled);
      assert.match(plan, /transfers/, plan);
      assert.doesNotMatch(plan, readsTable(engine, 'transfers'), plan);
    }
  });

  test('the date range counts files by upload date, both ends included', async () => {
    const officer = await user('la_dba_view', { laNumber: la.number });
    // 1 November 2026 (GMT): Alder's file at 00:30 is in; October's is out.
    const november = await service().run(officer, {
      fromDay: '1',
      fromMonth: '11',
      fromYear: '2026',
      toDay: '12',
      toMonth: '11',
      toYear: '2026',
    });
    assert.deepEqual(
      november.rows.map((r) => [r.name, r.uploaded, r.received]),
      [
        ['Alder Primary', 1, 3],
        ['Birch Primary', 1, 0],
        ['Cedar Primary', 0, 0],
      ],
    );
    assert.deepEqual(november.months, [{ month: '2026-11', uploaded: 2, received: 3 }]);
    const all = await service().run(officer, {});
    assert.deepEqual(all.months, [
      { month: '2026-10', uploaded: 1, received: 1 },
      { month: '2026-11', uploaded: 3, received: 4 },
    ]);
  });

  test('the chart counts each CTF in its London month, at the summer-time and winter month ends', async () => {
    const cshire = await makeLa(db, { name: 'Cshire' });
    const elm = await makeSchool(db, cshire.number, { name: 'Elm Primary' });
    const fir = await makeSchool(db, cshire.number, { name: 'Fir Primary' });
    const send = (uploadedAt: string) =>
      makeTransfer(db, files, { from: schoolParty(elm.number), to: schoolParty(fir.number), uploadedAt });
    // British Summer Time (UTC+1) from 29 March to 25 October 2026; Greenwich Mean Time otherwise.
    await send('2026-03-31T22:59:00.000Z'); // 23:59 on 31 March in London: March
    await send('2026-03-31T23:00:00.000Z'); // midnight starting 1 April: April
    await send('2026-04-30T22:30:00.000Z'); // 23:30 on 30 April: April
    await send('2026-04-30T23:30:00.000Z'); // 00:30 on 1 May: May
    await send('2026-10-31T23:30:00.000Z'); // GMT again: 23:30 on 31 October, October
    await send('2026-11-30T23:59:59.999Z'); // November's last instant
    await send('2026-12-01T00:00:00.000Z'); // December's first
    const officer = await user('la_user', { laNumber: cshire.number });
    const toYearEnd = { toDay: '31', toMonth: '12', toYear: '2026' };
    const all = await service().run(officer, toYearEnd);
    assert.deepEqual(all.months, [
      { month: '2026-03', uploaded: 1, received: 1 },
      { month: '2026-04', uploaded: 2, received: 2 },
      { month: '2026-05', uploaded: 1, received: 1 },
      { month: '2026-10', uploaded: 1, received: 1 },
      { month: '2026-11', uploaded: 1, received: 1 },
      { month: '2026-12', uploaded: 1, received: 1 },
    ]);
    // From 1 May (London): the 00:30 upload is in, and in May; April's are out.
    const fromMay = await service().run(officer, {
      fromDay: '1',
      fromMonth: '5',
      fromYear: '2026',
      ...toYearEnd,
    });
    assert.deepEqual(
      fromMay.months.map((m) => [m.month, m.uploaded]),
      [
        ['2026-05', 1],
        ['2026-10', 1],
        ['2026-11', 1],
        ['2026-12', 1],
      ],
    );
  });

  test('the national administrator reports on one LA, or on every LA a row each', async () => {
    const admin = await user('national_admin', {});
    await assert.rejects(service().run(admin, {}), Invalid);
    const one = await service().run(admin, { la: la.number });
    assert.equal(one.rows.length, 3);
    const every = await service().run(admin, { la: 'all' });
    assert.equal(every.by, 'la');
    const ours = every.rows.find((r) => r.code === la.number);
    const theirs = every.rows.find((r) => r.code === otherLa.number);
    assert.deepEqual([ours?.uploaded, ours?.received], [4, 5]);
    // Outside Academy sent three CTFs offered (two to Alder, one to Ashire LA), two more held for a scan
    // or quarantined and one it removed, and received one from a school (and one from Ashire LA, not a
    // school's).
    assert.deepEqual([theirs?.uploaded, theirs?.received], [6, 2]);
  });

  test('the page and its CSV show the same numbers', async () => {
    const t = await createTestApp(db);
    try {
      const { agent } = await signedInUser(t, 'la_user', { laNumber: la.number });
      const page = await agent.get('/reports/general-usage?run=1&scope=all');
      assert.equal(page.statusCode, 200);
      const cells = cellTexts(page.body);
      const rows = await downloadCsv(
        agent,
        '/reports/general-usage/csv?run=1&scope=all',
        /attachment; filename="general-usage-all-to-2026-11-23\.csv"/,
      );
      assert.deepEqual(rows[0], [
        'School number',
        'School',
        'CTFs uploaded',
        'Pupil records uploaded',
        'CTFs received',
        'Downloaded',
        'Awaiting download',
        'Rejected',
        'Pupil records received',
      ]);
      for (const row of rows.slice(1)) {
        const label = row[0] ? `${row[0]} ${row[1]}` : 'Total';
        const at = cells.indexOf(label);
        assert.ok(at >= 0, `${label} is in the table`);
        assert.deepEqual(cells.slice(at + 1, at + 8), row.slice(2), label);
      }
      const refused = await agent.get('/reports/general-usage?run=1&from-day=40&from-month=1&from-year=2026');
      assert.equal(refused.statusCode, 400);
      assert.match(refused.body, /The day of the From date must be a number from 1 to 31/);
      const csvRefused = await agent.get(
        '/reports/general-usage/csv?from-day=40&from-month=1&from-year=2026',
      );
      assert.equal(csvRefused.statusCode, 302);
    } finally {
      await t.app.close();
    }
  });

  test('a Total row is on the page and in the CSV alike: only when the report has more than one row', async () => {
    // A school's own report is one row: a Total would repeat it. The LA's report of all its schools has
    // one; of one school it selected, none. The page's rows and the CSV's are the same rows.
    const t = await createTestApp(db);
    try {
      const { agent: school } = await signedInUser(t, 'school', {
        laNumber: la.number,
        establishmentNumber: alder.number,
      });
      const { agent: officer } = await signedInUser(t, 'la_user', { laNumber: la.number });
      const cedar = await db
        .selectFrom('establishments')
        .select('number')
        .where('name', '=', 'Cedar Primary')
        .where('la_number', '=', la.number)
        .executeTakeFirstOrThrow();
      const expect = { cedar: `${cedar.number} Cedar Primary` };
      const bodyRows = (html: string) =>
        [...html.matchAll(/<tr class="govuk-table__row[^"]*">\s*<th scope="row"[^>]*>([^<]*)</g)].map((m) =>
          (m[1] ?? '').trim(),
        );
      for (const [agent, query, expected] of [
        [school, 'run=1', [`${alder.number} Alder Primary`]],
        [officer, `run=1&scope=selected&schools=${birch.number}`, [`${birch.number} Birch Primary`]],
        [
          officer,
          'run=1&scope=all',
          [`${alder.number} Alder Primary`, `${birch.number} Birch Primary`, expect.cedar, 'Total'],
        ],
      ] as const) {
        const page = await agent.get(`/reports/general-usage?${query}`);
        assert.equal(page.statusCode, 200, query);
        const csv = await downloadCsv(agent, `/reports/general-usage/csv?${query}`, /general-usage-/);
        const inCsv = csv.slice(1).map((row) => (row[0] ? `${row[0]} ${row[1]}` : row[1]));
        assert.deepEqual(inCsv, expected, `${query}: the CSV's rows`);
        assert.deepEqual(bodyRows(page.body), expected, `${query}: the page's rows`);
      }
    } finally {
      await t.app.close();
    }
  });

  test('in Welsh: every report page, its dates, its errors and its CSV headings (the cells stay data)', async () => {
    const t = await createTestApp(db);
    try {
      const { agent } = await signedInUser(t, 'la_user', { laNumber: la.number });
      assert.equal((await agent.get('/reports/general-usage?lang=cy')).statusCode, 302);
      const page = await agent.get('/reports/general-usage?run=1&scope=all');
      assert.equal(page.statusCode, 200);
      assert.match(page.body, /<html lang="cy"/);
      assert.match(page.body, /<h1 class="govuk-heading-l">Adroddiad Defnydd Cyffredinol\/Nifer<\/h1>/);
      assert.match(textOf(page.body), /Ashire \(\d+\): pob cofnod hyd at 23 Tachwedd 2026/);
      assert.match(textOf(page.body), /Meini Prawf Dethol/);
      assert.match(textOf(page.body), /Lawrlwytho CSV/);
      const rows = await downloadCsv(
        agent,
        '/reports/general-usage/csv?run=1&scope=all',
        /attachment; filename="general-usage-all-to-2026-11-23\.csv"/,
      );
      assert.deepEqual(rows[0]?.slice(0, 3), ['Rhif yr ysgol', 'Ysgol', 'CTFs a lanlwythwyd']);
      assert.equal(rows.at(-1)?.[1], 'Total', 'the cells are data, the same in every language');
      const refused = await agent.get('/reports/general-usage?run=1&from-day=40&from-month=1&from-year=2026');
      assert.equal(refused.statusCode, 400);
      assert.match(textOf(refused.body), /Rhaid i ddiwrnod y dyddiad ‘O’ fod yn rhif o 1 i 31/);
      assert.match(textOf(refused.body), /Mae problem wedi codi/);

      const { agent: admin } = await signedInUser(t, 'national_admin', {});
      await admin.get('/reports?lang=cy');
      const headings: Record<string, string> = {
        '/reports/school': 'Adroddiad Ysgol',
        '/reports/file-movements': 'Symudiadau ffeiliau Cyffredinol / Eraill',
        '/reports/cluster': 'Adroddiad Clwstwr AALl',
        '/reports/deleted-ctfs': 'Trywydd Archwilio Dileu Ffeiliau CTF',
        '/reports/lost-pupil-numbers': 'Adroddiad Disgyblion Coll (niferoedd)',
        '/reports/lost-pupils-uploaded': 'Adroddiad Disgyblion Coll (disgyblion a lanlwythwyd)',
        '/reports/lost-pupils-downloaded': 'Adroddiad Disgyblion Coll (disgyblion a lawrlwythwyd)',
        '/reports/users': 'Adroddiad Defnyddwyr',
        '/reports/schools': 'Adroddiad Rhestr Ysgolion',
        '/reports/base-users': 'Adroddiad Defnyddwyr Sylfaenol',
      };
      for (const [path, heading] of Object.entries(headings)) {
        const criteria = await admin.get(path);
        assert.equal(criteria.statusCode, 200, path);
        assert.match(criteria.body, /<html lang="cy"/, path);
        assert.ok(criteria.body.includes(`<h1 class="govuk-heading-l">${heading}</h1>`), path);
        assert.match(textOf(criteria.body), /Rhedeg yr Adroddiad/, path);
        const run = await admin.get(`${path}?run=1&la=all&scope=all`);
        assert.equal(run.statusCode, 200, `${path}: ${textOf(run.body).slice(0, 400)}`);
        assert.match(textOf(run.body), /Pob awdurdod lleol|Pob ysgol ym mhob awdurdod lleol/, path);
      }
      const noLa = await admin.get('/reports/users?run=1');
      assert.equal(noLa.statusCode, 400);
      assert.match(textOf(noLa.body), /Dewiswch awdurdod lleol, neu Pob awdurdod lleol/);
    } finally {
      await t.app.close();
    }
  });
});
