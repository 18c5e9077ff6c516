// LEA Cluster Report (LA notes §7.3): known answers for an LA (its own LA and up to 9 others, or every LA)
// and the national administrator (up to 10 LAs, or every LA), the date range, and the CSV matching the
// page; every LA is a CSV file only.
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { parse } from 'csv-parse/sync';
import { ManualClock } from '../../src/platform/clock.ts';
import type { Db, EstablishmentRow, LocalAuthorityRow } from '../../src/platform/db/schema.ts';
import { Invalid } from '../../src/platform/errors.ts';
import { type ClusterCriteria, ClusterReportService } from '../../src/reports/cluster-service.ts';
import { describeEachEngine } from '../support/databases.ts';
import { makeLa, makeSchool, makeUser } from '../support/factories.ts';
import { actorOf } from '../support/messages.ts';
import { cellTexts, downloadCsv } from '../support/reports.ts';
import {
  laInbox,
  la as laParty,
  makeFileStores,
  makeTransfer,
  school as schoolParty,
} from '../support/transfers.ts';
import { createTestApp, signedInUser } from '../support/web.ts';
import { english } from './support.ts';

describeEachEngine('LEA Cluster Report', (database) => {
  let db: Db;
  let laA: LocalAuthorityRow;
  let laB: LocalAuthorityRow;
  let laC: LocalAuthorityRow;
  let laD: LocalAuthorityRow;
  const more: LocalAuthorityRow[] = [];
  const clock = new ManualClock('2026-11-23T12:00:00.000Z');
  const { files } = makeFileStores();

  before(async () => {
    db = database().db;
    laA = await makeLa(db, { name: 'Ashire' });
    laB = await makeLa(db, { name: 'Bshire' });
    laC = await makeLa(db, { name: 'Cshire' });
    laD = await makeLa(db, { name: 'Dshire' });
    for (let i = 0; i < 9; i += 1) more.push(await makeLa(db, { name: `Other ${i}` }));
    const a1 = await makeSchool(db, laA.number, { name: 'A One' });
    const a2 = await makeSchool(db, laA.number, { name: 'A Two' });
    const b1 = await makeSchool(db, laB.number, { name: 'B One' });
    const c1 = await makeSchool(db, laC.number, { name: 'C One' });
    const d1 = await makeSchool(db, laD.number, { name: 'D One' });
    const send = (from: EstablishmentRow, to: ReturnType<typeof schoolParty>, at: string, pupils: number) =>
      makeTransfer(db, files, {
        from: schoolParty(from.number),
        to,
        uploadedAt: at,
        overrides: { pupil_count: pupils },
      });
    const to = (school: EstablishmentRow) => schoolParty(school.number);
    await send(a1, to(b1), '2026-10-01T10:00:00.000Z', 3);
    await send(a1, to(b1), '2026-11-10T10:00:00.000Z', 2);
    await send(a1, laParty(laB.number), '2026-11-13T10:00:00.000Z', 5); // to LA B itself
    await send(b1, to(a1), '2026-11-11T10:00:00.000Z', 1);
    await send(a1, to(a2), '2026-11-12T10:00:00.000Z', 4); // within A
    await send(c1, to(a1), '2026-11-14T10:00:00.000Z', 6);
    await send(b1, to(c1), '2026-11-15T10:00:00.000Z', 7);
    await send(d1, to(a1), '2026-11-16T10:00:00.000Z', 8);
    // Not counted: a CTF its sender removed before it was collected (sent in error: the pupils never went)
    // and one quarantined (never offered), as General Usage does not count them received (decision 65).
    for (const [status, scan] of [
      ['removed', 'clean'],
      ['quarantined', 'infected'],
    ]) {
      await makeTransfer(db, files, {
        from: to(a1),
        to: to(b1),
        uploadedAt: '2026-11-10T11:00:00.000Z',
        overrides: { pupil_count: 9, status, scan_status: scan },
      } as Parameters<typeof makeTransfer>[2]);
    }
    // Not counted: a generic file, and a file to an LA's PLASC inbox.
    await makeTransfer(db, files, {
      from: to(a1),
      to: to(b1),
      category: 'generic',
      uploadedAt: '2026-11-10T10:00:00.000Z',
    });
    await makeTransfer(db, files, {
      from: to(a1),
      to: laInbox(laB.number, 'PLAS'),
      uploadedAt: '2026-11-10T10:00:00.000Z',
    });
  });

  const service = () => new ClusterReportService({ db, clock });
  const user = async (role: Parameters<typeof makeUser>[1], org: Parameters<typeof makeUser>[2]) =>
    actorOf(await makeUser(db, role, org));
  const pairs = async (actor: Awaited<ReturnType<typeof user>>, criteria: ClusterCriteria) => {
    const report = await service().run(actor, criteria);
    return report.rows.map((r) => [r.from.code, r.to.code, r.files, r.pupils]);
  };
  const invalid = (messages: string[]) => (error: unknown) => {
    assert.ok(error instanceof Invalid);
    assert.deepEqual(
      error.errors.map((e) => e.message),
      messages,
    );
    return true;
  };

  test('an LA reports on its own LA and the LAs it selects: each pair with files, and totals', async () => {
    const officer = await user('la_user', { laNumber: laA.number });
    const report = await service().run(officer, { las: [laB.number] });
    assert.equal(english(report.subject), `Ashire (${laA.number}) and 1 other LA`);
    assert.deepEqual(
      report.las.map((la) => la.code),
      [laA.number, laB.number],
    );
    assert.deepEqual(
      report.rows.map((r) => [r.from.name, r.to.name, r.files, r.pupils]),
      [
        ['Ashire', 'Ashire', 1, 4],
        ['Ashire', 'Bshire', 3, 10],
        ['Bshire', 'Ashire', 1, 1],
      ],
    );
    assert.deepEqual(report.totals, { files: 5, pupils: 15 });
    assert.deepEqual(await pairs(officer, { las: [laB.number, laC.number] }), [
      [laA.number, laA.number, 1, 4],
      [laA.number, laB.number, 3, 10],
      [laB.number, laA.number, 1, 1],
      [laB.number, laC.number, 1, 7],
      [laC.number, laA.number, 1, 6],
    ]);
    // Its own LA is always in; choosing it again changes nothing; an unknown LA is not reported.
    assert.deepEqual(await pairs(officer, {}), [[laA.number, laA.number, 1, 4]]);
    assert.deepEqual(await pairs(officer, { las: [laA.number, '999'] }), [[laA.number, laA.number, 1, 4]]);
  });

  test('an LA may select up to 9 other LAs, no more', async () => {
    const officer = await user('la_dba_view', { laNumber: laA.number });
    const nine = await service().run(officer, {
      las: [laB.number, ...more.slice(0, 8).map((la) => la.number)],
    });
    assert.equal(nine.las.length, 10);
    await assert.rejects(
      service().run(officer, { las: [laB.number, ...more.map((la) => la.number)] }),
      invalid(['Select up to 9 other LAs (you selected 10), or report on all LAs']),
    );
  });

  test('the date range counts files by upload date', async () => {
    const officer = await user('la_user', { laNumber: laA.number });
    assert.deepEqual(
      await pairs(officer, {
        las: [laB.number],
        fromDay: '1',
        fromMonth: '11',
        fromYear: '2026',
        toDay: '12',
        toMonth: '11',
        toYear: '2026',
      }),
      [
        [laA.number, laA.number, 1, 4],
        [laA.number, laB.number, 1, 2],
        [laB.number, laA.number, 1, 1],
      ],
    );
    await assert.rejects(
      service().run(officer, { fromDay: '31', fromMonth: '2', fromYear: '2026' }),
      invalid(['The From date must be a real date: February has no day 31']),
    );
  });

  test('every LA: each pair of LAs with files, for an LA as for the national administrator', async () => {
    const officer = await user('la_user', { laNumber: laA.number });
    const every = await service().run(officer, { scope: 'all', las: [laB.number] });
    assert.equal(every.all, true);
    const ours = new Set([laA.number, laB.number, laC.number, laD.number]);
    const rows = every.rows
      .filter((r) => ours.has(r.from.code) && ours.has(r.to.code))
      .map((r) => [r.from.code, r.to.code, r.files, r.pupils]);
    assert.deepEqual(rows, [
      [laA.number, laA.number, 1, 4],
      [laA.number, laB.number, 3, 10],
      [laB.number, laA.number, 1, 1],
      [laB.number, laC.number, 1, 7],
      [laC.number, laA.number, 1, 6],
      [laD.number, laA.number, 1, 8],
    ]);
  });

  test('the national administrator selects 1 to 10 LAs, or every LA', async () => {
    const admin = await user('national_admin', {});
    await assert.rejects(service().run(admin, {}), invalid(['Select up to 10 LAs, or report on all LAs']));
    assert.deepEqual(await pairs(admin, { las: [laB.number, laC.number] }), [[laB.number, laC.number, 1, 7]]);
    await assert.rejects(
      service().run(admin, { las: [laA.number, laB.number, ...more.map((la) => la.number)] }),
      invalid(['Select up to 10 LAs (you selected 11), or report on all LAs']),
    );
    assert.equal((await service().plan(admin, { scope: 'all' })).all, true);
  });

  test('the page and its CSV show the same numbers; every LA is a CSV file only', async () => {
    const t = await createTestApp(db);
    try {
      const { agent } = await signedInUser(t, 'la_user', { laNumber: laA.number });
      const form = await agent.get('/reports/cluster');
      assert.equal(form.statusCode, 200);
      assert.match(form.body, /is always in the report/);
      const criteria = `run=1&scope=selected&las=${laB.number}&las=${laC.number}`;
      const page = await agent.get(`/reports/cluster?${criteria}`);
      assert.equal(page.statusCode, 200);
      const cells = cellTexts(page.body);
      const rows = await downloadCsv(
        agent,
        `/reports/cluster/csv?${criteria}`,
        /attachment; filename="lea-cluster-all-to-2026-11-23\.csv"/,
      );
      assert.deepEqual(rows[0], [
        'From LA number',
        'From LA',
        'To LA number',
        'To LA',
        'CTFs',
        'Pupil records',
      ]);
      assert.equal(rows.length, 1 + 5 + 1);
      for (const row of rows.slice(1)) {
        if (row[1] === 'Total') {
          const at = cells.indexOf('Total');
          assert.deepEqual(cells.slice(at + 1, at + 3), row.slice(4), 'Total');
          continue;
        }
        const from = `${row[0]} ${row[1]}`;
        const at = cells.findIndex((cell, i) => cell === from && cells[i + 1] === `${row[2]} ${row[3]}`);
        assert.ok(at >= 0, `${from} to ${row[3]} is in the table`);
        assert.deepEqual(cells.slice(at + 2, at + 4), row.slice(4), from);
      }

      const every = await agent.get('/reports/cluster?run=1&scope=all');
      assert.equal(every.statusCode, 200);
      assert.match(every.body, /too large to show on screen/);
      assert.doesNotMatch(every.body, /id="cluster"/);
      assert.match(every.body, /href="\/reports\/cluster\/csv\?run=1&amp;scope=all"/);
      const everyCsv = await agent.get('/reports/cluster/csv?run=1&scope=all');
      assert.equal(everyCsv.statusCode, 200);
      const everyRows = parse(everyCsv.body, { bom: true }) as string[][];
      assert.ok(everyRows.some((r) => r[0] === laD.number && r[2] === laA.number && r[4] === '1'));

      const tooMany = await agent.get(
        `/reports/cluster?run=1&scope=selected&${[laB, ...more].map((la) => `las=${la.number}`).join('&')}`,
      );
      assert.equal(tooMany.statusCode, 400);
      assert.match(tooMany.body, /govuk-error-summary/);
      assert.match(tooMany.body, /Select up to 9 other LAs/);
      const csvRefused = await agent.get('/reports/cluster/csv?from-day=40&from-month=1&from-year=2026');
      assert.equal(csvRefused.statusCode, 302);
      const school = await signedInUser(t, 'school', { laNumber: laA.number });
      assert.equal((await school.agent.get('/reports/cluster')).statusCode, 403);
    } finally {
      await t.app.close();
    }
  });

  test('all Wales: each pair of LAs in Wales, as a CSV file only (LA notes §7.3: "an all Wales report")', async () => {
    const w1 = await makeLa(db, { name: 'Wshire', country: 'Wales' });
    const w2 = await makeLa(db, { name: 'Vshire', country: 'Wales' });
    const [s1, s2, english1] = [
      await makeSchool(db, w1.number, { name: 'W One' }),
      await makeSchool(db, w2.number, { name: 'V One' }),
      await makeSchool(db, laA.number, { name: 'A Three' }),
    ];
    const send = (from: EstablishmentRow, to: EstablishmentRow, pupils: number) =>
      makeTransfer(db, files, {
        from: schoolParty(from.number),
        to: schoolParty(to.number),
        uploadedAt: '2026-11-17T10:00:00.000Z',
        overrides: { pupil_count: pupils },
      });
    await send(s1, s2, 2);
    await send(s1, s2, 3);
    await send(s2, english1, 4); // to England: not between LAs in Wales
    await send(english1, s1, 5); // from England
    // An LA in England may ask for it too, as may the national administrator.
    for (const actor of [await user('la_user', { laNumber: laA.number }), await user('national_admin', {})]) {
      const report = await service().run(actor, { scope: 'wales', las: [laB.number] });
      assert.deepEqual([report.wales, report.all, english(report.subject)], [true, false, 'All Wales']);
      const codes = report.las.map((la) => la.code);
      assert.ok(codes.includes(w1.number) && codes.includes(w2.number), 'every LA in Wales');
      assert.ok(!codes.includes(laA.number) && !codes.includes(laB.number), 'none in England');
      assert.deepEqual(
        report.rows.map((r) => [r.from.code, r.to.code, r.files, r.pupils]),
        [[w1.number, w2.number, 2, 5]],
      );
    }

    const t = await createTestApp(db);
    try {
      const { agent } = await signedInUser(t, 'la_user', { laNumber: w1.number });
      assert.match((await agent.get('/reports/cluster')).body, /All Wales: the LAs in Wales/);
      const page = await agent.get('/reports/cluster?run=1&scope=wales');
      assert.equal(page.statusCode, 200);
      assert.match(page.body, /The report on all Wales is too large to show on screen/);
      assert.doesNotMatch(page.body, /id="cluster"/);
      assert.match(page.body, /href="\/reports\/cluster\/csv\?run=1&amp;scope=wales"/);
      const rows = await downloadCsv(
        agent,
        '/reports/cluster/csv?run=1&scope=wales',
        /attachment; filename="lea-cluster-wales-all-to-2026-11-23\.csv"/,
      );
      assert.deepEqual(
        rows.slice(1).map((row) => [row[0], row[2], row[4], row[5]]),
        [
          [w1.number, w2.number, '2', '5'],
          ['', '', '2', '5'],
        ],
      );
    } finally {
      await t.app.close();
    }
  });
});
