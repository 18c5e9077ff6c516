// School Report (CTFs sent and received) and Generic / Other file movements: known answers for a school,
// an LA (all schools or one) and the national administrator (one LA or All LAs), date-range edges, keyset
// pages that stream every row in order, the page's row limit, and the CSV matching the table.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { before, test } from 'node:test';
import { parse } from 'csv-parse/sync';
import { ManualClock } from '../../src/platform/clock.ts';
import type { Db, EstablishmentRow, LocalAuthorityRow, TransferRow } from '../../src/platform/db/schema.ts';
import { Invalid } from '../../src/platform/errors.ts';
import { csvDateTime } from '../../src/reports/csv.ts';
import {
  type MovementRow,
  movementCountQuery,
  movementPageQuery,
} from '../../src/reports/file-movement-repository.ts';
import {
  FileMovementReportService,
  type MovementCriteria,
  type MovementFiles,
  movementCells,
  movementColumns,
  reportDateTime,
} from '../../src/reports/file-movement-service.ts';
import { allVisible, describeEachEngine, queryPlan, readsIndexAlone } from '../support/databases.ts';
import { makeLa, makeSchool, makeUser } from '../support/factories.ts';
import { actorOf } from '../support/messages.ts';
import { asCsvCell } from '../support/reports.ts';
import {
  laInbox,
  la as laParty,
  makeFileStores,
  makeTransfer,
  type Sender,
  school as schoolParty,
} from '../support/transfers.ts';
import { createTestApp, signedInUser, textOf } from '../support/web.ts';
import { english } from './support.ts';

test('report dates are London date and time, short enough for a wide table', () => {
  assert.equal(reportDateTime('2026-10-15T10:00:00.000Z'), '15 Oct 2026 11:00');
  assert.equal(reportDateTime('2026-11-01T00:30:00.000Z'), '1 Nov 2026 00:30');
  assert.equal(reportDateTime(null), '');
});

describeEachEngine('School Report and Generic / Other file movements', (database) => {
  let db: Db;
  let la: LocalAuthorityRow;
  let otherLa: LocalAuthorityRow;
  let alder: EstablishmentRow;
  let birch: EstablishmentRow;
  let outside: EstablishmentRow;
  let faraway: EstablishmentRow;
  const clock = new ManualClock('2026-11-23T12:00:00.000Z');
  const { files } = makeFileStores();

  const send = (
    from: Sender,
    to: Sender,
    filename: string,
    uploadedAt: string,
    overrides: Partial<TransferRow> = {},
    category: Parameters<typeof makeTransfer>[2]['category'] = 'ctf',
  ) => makeTransfer(db, files, { from, to, filename, uploadedAt, category, overrides });

  before(async () => {
    db = database().db;
    la = await makeLa(db, { name: 'Ashire' });
    otherLa = await makeLa(db, { name: 'Bshire' });
    alder = await makeSchool(db, la.number, { name: 'Alder Primary' });
    birch = await makeSchool(db, la.number, { name: 'Birch Primary' });
    outside = await makeSchool(db, otherLa.number, { name: 'Outside Academy' });
    faraway = await makeSchool(db, otherLa.number, { name: 'Faraway School' });
    const A = schoolParty(alder.number);
    const B = schoolParty(birch.number);
    const O = schoolParty(outside.number);
    const F = schoolParty(faraway.number);
    // CTFs.
    await send(A, B, 'ctf-1.XML', '2026-10-15T10:00:00.000Z', {
      status: 'collected',
      pupil_count: 2,
      first_downloaded_at: '2026-10-16T09:00:00.000Z',
    });
    await send(A, O, 'ctf-2.XML', '2026-11-01T00:30:00.000Z', { pupil_count: 3 });
    await send(O, A, 'ctf-3.XML', '2026-11-10T10:00:00.000Z', {
      status: 'rejected',
      pupil_count: 4,
      first_downloaded_at: '2026-11-10T12:00:00.000Z',
    });
    // To the Lost Pupils Database (one pupil), removed by the LA.
    await send(A, laParty(la.number), 'ctf-4.XML', '2026-11-11T10:00:00.000Z', {
      dest_kind: 'lost-pupils',
      dest_la: null,
      lost_reason: 'destination-unknown',
      pupil_count: 1,
      status: 'removed',
    });
    // The LA itself sends Birch a CTF; two CTFs uploaded at the same moment are listed by name.
    await send(laParty(la.number), B, 'ctf-5.XML', '2026-11-12T10:00:00.000Z', { pupil_count: 1 });
    await send(B, A, 'ctf-7b.XML', '2026-11-13T10:00:00.000Z', { pupil_count: 2 });
    await send(B, A, 'ctf-7a.XML', '2026-11-13T10:00:00.000Z', { pupil_count: 2 });
    // Between two LAs themselves: no school's, so in no School Report.
    await send(laParty(la.number), laParty(otherLa.number), 'ctf-8.XML', '2026-11-13T11:00:00.000Z');
    // Between two schools of another LA: never in Ashire's report.
    await send(O, F, 'ctf-9.XML', '2026-11-14T10:00:00.000Z');
    // Other files.
    await send(
      A,
      laParty(la.number),
      'plasc-1.XML',
      '2026-11-02T10:00:00.000Z',
      {
        status: 'collected',
        first_downloaded_at: '2026-11-03T09:15:00.000Z',
      },
      'plasc',
    );
    await send(laParty(la.number), A, 'generic-1.ZIP', '2026-11-03T10:00:00.000Z', {}, 'generic');
    await send(O, laInbox(la.number, 'PLAS'), 'generic-2.ZIP', '2026-11-04T10:00:00.000Z', {}, 'generic');
    await send(laInbox(la.number, 'ADMS'), O, 'adms-1.XML', '2026-11-05T10:00:00.000Z', {}, 'admissions');
    await send(O, laParty(otherLa.number), 'cfr-1.ZIP', '2026-11-06T10:00:00.000Z', {}, 'cfr');
    await send(B, A, 'generic-3.ZIP', '2026-11-07T10:00:00.000Z', { status: 'removed' }, 'generic');
  });

  const service = (options?: { pageLimit?: number; csvPageSize?: number }) =>
    new FileMovementReportService({ db, clock }, options);
  const user = async (role: Parameters<typeof makeUser>[1], org: Parameters<typeof makeUser>[2]) =>
    actorOf(await makeUser(db, role, org));
  const run = async (
    actor: Awaited<ReturnType<typeof user>>,
    files: MovementFiles,
    criteria: MovementCriteria,
    options?: { pageLimit?: number; csvPageSize?: number },
  ) => {
    const report = await service(options).page(actor, files, criteria);
    const cells = report.rows.map((row) => movementCells(files, report.scope, row, reportDateTime));
    return { report, cells };
  };
  /** The reports list the newest file first: the expected rows below are written oldest first. */
  const oldestFirst = <Row>(rows: Row[]): Row[] => [...rows].reverse();
  const invalid = (fields: string[]) => (error: unknown) => {
    assert.ok(error instanceof Invalid);
    assert.deepEqual(
      error.errors.map((e) => e.field),
      fields,
    );
    return true;
  };

  test('School Report: a school sees each CTF it sent or received, and nothing of another school', async () => {
    const head = await user('school', { laNumber: la.number, establishmentNumber: alder.number });
    // What another organisation's criteria ask for is ignored: a school reports on itself.
    const { report, cells } = await run(head, 'ctf', { la: otherLa.number, school: outside.number });
    assert.equal(english(report.subject), `Alder Primary (${alder.number})`);
    const ashire = `${la.number} Ashire`;
    const bshire = `${otherLa.number} Bshire`;
    const a = `${alder.number} Alder Primary`;
    const b = `${birch.number} Birch Primary`;
    const o = `${outside.number} Outside Academy`;
    assert.deepEqual(oldestFirst(cells), [
      ['ctf-1.XML', 'Sent', ashire, a, ashire, b, '15 Oct 2026 11:00', '16 Oct 2026 10:00', 'Downloaded', 2],
      ['ctf-2.XML', 'Sent', ashire, a, bshire, o, '1 Nov 2026 00:30', '', 'Awaiting download', 3],
      [
        'ctf-3.XML',
        'Received',
        bshire,
        o,
        ashire,
        a,
        '10 Nov 2026 10:00',
        '10 Nov 2026 12:00',
        'Rejected',
        4,
      ],
      ['ctf-4.XML', 'Sent', ashire, a, '', 'Lost Pupils Database', '11 Nov 2026 10:00', '', 'Removed', 1],
      ['ctf-7a.XML', 'Received', ashire, b, ashire, a, '13 Nov 2026 10:00', '', 'Awaiting download', 2],
      ['ctf-7b.XML', 'Received', ashire, b, ashire, a, '13 Nov 2026 10:00', '', 'Awaiting download', 2],
    ]);
    assert.deepEqual([report.total, report.truncated], [6, false]);
  });

  test('School Report: a file held for its scan or quarantined is the sender’s only, not the recipient’s', async () => {
    const cshire = await makeLa(db, { name: 'Cshire' });
    const xen = await makeSchool(db, cshire.number, { name: 'Xen Primary' });
    const yew = await makeSchool(db, cshire.number, { name: 'Yew Primary' });
    const [X, Y] = [schoolParty(xen.number), schoolParty(yew.number)];
    await send(Y, X, 'offered.XML', '2026-11-16T10:00:00.000Z');
    await send(Y, X, 'waiting.XML', '2026-11-16T10:00:00.000Z', {
      status: 'pending-scan',
      scan_status: 'pending',
    });
    await send(Y, X, 'infected.XML', '2026-11-16T10:00:00.000Z', {
      status: 'quarantined',
      scan_status: 'infected',
    });
    const names = async (actor: Awaited<ReturnType<typeof user>>, criteria: MovementCriteria = {}) =>
      (await run(actor, 'ctf', criteria)).cells.map((row) => row[0]);
    const recipient = await user('school', { laNumber: cshire.number, establishmentNumber: xen.number });
    const sender = await user('school', { laNumber: cshire.number, establishmentNumber: yew.number });
    assert.deepEqual(await names(recipient), ['offered.XML']);
    assert.deepEqual((await names(sender)).sort(), ['infected.XML', 'offered.XML', 'waiting.XML']);
    // The LA's report holds them as its school's files sent.
    const officer = await user('la_user', { laNumber: cshire.number });
    assert.deepEqual((await names(officer)).sort(), ['infected.XML', 'offered.XML', 'waiting.XML']);
    // The other tests' national reports hold every LA's files: these go again.
    await db.deleteFrom('transfers').where('source_school', '=', yew.number).execute();
  });

  test("School Report: an LA sees its schools' CTFs (all, or one school) and never another LA's", async () => {
    const officer = await user('la_user', { laNumber: la.number });
    const all = await run(officer, 'ctf', { la: otherLa.number });
    assert.equal(english(all.report.subject), `All schools of Ashire (${la.number})`);
    assert.deepEqual(
      oldestFirst(all.cells).map((c) => [c[0], c[1], c[3], c[5]]),
      [
        ['ctf-1.XML', 'Sent', `${alder.number} Alder Primary`, `${birch.number} Birch Primary`],
        ['ctf-2.XML', 'Sent', `${alder.number} Alder Primary`, `${outside.number} Outside Academy`],
        ['ctf-3.XML', 'Received', `${outside.number} Outside Academy`, `${alder.number} Alder Primary`],
        ['ctf-4.XML', 'Sent', `${alder.number} Alder Primary`, 'Lost Pupils Database'],
        ['ctf-5.XML', 'Received', 'LA', `${birch.number} Birch Primary`],
        ['ctf-7a.XML', 'Sent', `${birch.number} Birch Primary`, `${alder.number} Alder Primary`],
        ['ctf-7b.XML', 'Sent', `${birch.number} Birch Primary`, `${alder.number} Alder Primary`],
      ],
    );
    const one = await run(officer, 'ctf', { school: birch.number });
    assert.equal(english(one.report.subject), `Birch Primary (${birch.number})`);
    assert.deepEqual(
      oldestFirst(one.cells).map((c) => [c[0], c[1]]),
      [
        ['ctf-1.XML', 'Received'],
        ['ctf-5.XML', 'Received'],
        ['ctf-7a.XML', 'Sent'],
        ['ctf-7b.XML', 'Sent'],
      ],
    );
    await assert.rejects(service().page(officer, 'ctf', { school: outside.number }), invalid(['school']));
    await assert.rejects(service().page(officer, 'ctf', { school: 'nonsense' }), invalid(['school']));
  });

  test('School Report: the national administrator chooses an LA, and may choose one of its schools', async () => {
    const admin = await user('national_admin', {});
    await assert.rejects(service().page(admin, 'ctf', {}), invalid(['la']));
    await assert.rejects(service().page(admin, 'ctf', { la: '999' }), invalid(['la']));
    await assert.rejects(
      service().page(admin, 'ctf', { la: otherLa.number, school: alder.number }),
      invalid(['school']),
    );
    const bshire = await run(admin, 'ctf', { la: otherLa.number });
    assert.deepEqual(
      oldestFirst(bshire.cells).map((c) => [c[0], c[1]]),
      [
        ['ctf-2.XML', 'Received'],
        ['ctf-3.XML', 'Sent'],
        ['ctf-9.XML', 'Sent'],
      ],
    );
    const faraways = await run(admin, 'ctf', { la: otherLa.number, school: faraway.number });
    assert.deepEqual(
      faraways.cells.map((c) => [c[0], c[1]]),
      [['ctf-9.XML', 'Received']],
    );
    const choices = await service().choices(admin, otherLa.number);
    assert.deepEqual(
      choices.schools.map((s) => s.value),
      [faraway.number, outside.number],
    );
  });

  test('the date range selects files by upload date, both ends included', async () => {
    const officer = await user('la_dba_view', { laNumber: la.number });
    const { cells } = await run(officer, 'ctf', {
      fromDay: '1',
      fromMonth: '11',
      fromYear: '2026',
      toDay: '10',
      toMonth: '11',
      toYear: '2026',
    });
    assert.deepEqual(
      oldestFirst(cells).map((c) => c[0]),
      ['ctf-2.XML', 'ctf-3.XML'],
    );
    await assert.rejects(
      service().page(officer, 'ctf', { fromDay: '31', fromMonth: '2', fromYear: '2026', school: 'x' }),
      invalid(['from-day', 'school']),
    );
  });

  test('the page stops at its limit and says how many there are; the stream reads every row in keyset pages', async () => {
    const officer = await user('la_user', { laNumber: la.number });
    const limited = await run(officer, 'ctf', {}, { pageLimit: 3 });
    assert.deepEqual(
      [limited.report.rows.length, limited.report.total, limited.report.truncated],
      [3, 7, true],
    );
    // The newest first: a page too short for them all shows the latest files, not the oldest.
    assert.deepEqual(
      limited.cells.map((c) => c[0]),
      ['ctf-7b.XML', 'ctf-7a.XML', 'ctf-5.XML'],
    );
    for (const pageSize of [1, 2, 3, 7, 1000]) {
      const stream = await service({ csvPageSize: pageSize }).stream(officer, 'ctf', {});
      const names: string[] = [];
      for await (const row of stream.rows) names.push(row.filename);
      assert.deepEqual(
        names,
        ['ctf-7b.XML', 'ctf-7a.XML', 'ctf-5.XML', 'ctf-4.XML', 'ctf-3.XML', 'ctf-2.XML', 'ctf-1.XML'],
        `pages of ${pageSize}`,
      );
    }
    await assert.rejects(service().stream(officer, 'ctf', { school: outside.number }), Invalid);
  });

  test("an LA's report reads its own transfers through its indexes, not every LA's by upload time", async () => {
    // At a tenth of the country the page walked every LA's transfers by upload time and kept its LA's:
    // 8,000 rows read for a page of 500, growing with the country (docs/benchmarks.md, load section).
    const { engine } = database();
    for (const files of ['ctf', 'other'] as const) {
      for (const after of [null, { uploadedAt: '2026-11-01T00:00:00.000Z', filename: 'a', id: 'a' }]) {
        const query = movementPageQuery(
          db,
          {
            files,
            scope: { kind: 'la', laNumber: la.number },
            since: null,
            until: clock.now().toISOString(),
          },
          { after, limit: 500 },
        ).compile();
        const plan = await queryPlan(db, engine, query);
        assert.match(plan, /transfers_source_la_uploaded/, plan);
        assert.match(plan, /transfers_dest_la_uploaded/, plan);
        assert.doesNotMatch(plan, /transfers_uploaded\b/, plan);
      }
    }
  });

  test("an LA's report counts its files from its indexes alone, never reading the transfers themselves", async () => {
    // Through the table, the count read 12,500 rows on 7,500 pages for LA 916 at a tenth of the country
    // (migration 046).
    const { engine } = database();
    await allVisible(db, engine, 'transfers');
    for (const files of ['ctf', 'other'] as const) {
      const query = movementCountQuery(db, {
        files,
        scope: { kind: 'la', laNumber: la.number },
        since: '2026-09-01T00:00:00.000Z',
        until: clock.now().toISOString(),
      }).compile();
      const plan = await queryPlan(db, engine, query);
      assert.match(plan, readsIndexAlone(engine, 'transfers_source_la_uploaded'), plan);
      assert.match(plan, readsIndexAlone(engine, 'transfers_dest_la_uploaded'), plan);
    }
  });

  test('Generic / Other file movements: a school, an LA (its schools, itself and its inboxes), the national administrator', async () => {
    const a = `${alder.number} Alder Primary`;
    const o = `${outside.number} Outside Academy`;
    const head = await user('school', { laNumber: la.number, establishmentNumber: alder.number });
    const school = await run(head, 'other', {});
    assert.deepEqual(oldestFirst(school.cells), [
      [
        'plasc-1.XML',
        'PLASC/School Census',
        a,
        `${la.number} Ashire (LA)`,
        '2 Nov 2026 10:00',
        '3 Nov 2026 09:15',
        'Downloaded',
      ],
      [
        'generic-1.ZIP',
        'Generic',
        `${la.number} Ashire (LA)`,
        a,
        '3 Nov 2026 10:00',
        '',
        'Awaiting download',
      ],
      ['generic-3.ZIP', 'Generic', `${birch.number} Birch Primary`, a, '7 Nov 2026 10:00', '', 'Removed'],
    ]);
    const officer = await user('la_plasc', { laNumber: la.number });
    const ashire = await run(officer, 'other', {});
    assert.equal(english(ashire.report.subject), `Ashire (${la.number}), its schools and its inboxes`);
    assert.deepEqual(
      oldestFirst(ashire.cells).map((c) => [c[0], c[1], c[2], c[3]]),
      [
        ['plasc-1.XML', 'PLASC/School Census', a, `${la.number} Ashire (LA)`],
        ['generic-1.ZIP', 'Generic', `${la.number} Ashire (LA)`, a],
        ['generic-2.ZIP', 'Generic', o, `${la.number} Ashire (LEAPLAS)`],
        ['adms-1.XML', 'Admissions', `${la.number} Ashire (LEAADMS)`, o],
        ['generic-3.ZIP', 'Generic', `${birch.number} Birch Primary`, a],
      ],
    );
    const birchOnly = await run(officer, 'other', { school: birch.number });
    assert.deepEqual(
      birchOnly.cells.map((c) => c[0]),
      ['generic-3.ZIP'],
    );
    const admin = await user('national_admin', {});
    const bshire = await run(admin, 'other', { la: otherLa.number });
    assert.deepEqual(
      oldestFirst(bshire.cells).map((c) => [c[0], c[1], c[3]]),
      [
        ['generic-2.ZIP', 'Generic', `${la.number} Ashire (LEAPLAS)`],
        ['adms-1.XML', 'Admissions', o],
        ['cfr-1.ZIP', 'CFR', `${otherLa.number} Bshire (LA)`],
      ],
    );
  });

  test('All LAs: the national administrator sees each CTF of any school once, with both LAs and no Direction', async () => {
    const admin = await user('national_admin', {});
    const ashire = `${la.number} Ashire`;
    const bshire = `${otherLa.number} Bshire`;
    const a = `${alder.number} Alder Primary`;
    const b = `${birch.number} Birch Primary`;
    const o = `${outside.number} Outside Academy`;
    const f = `${faraway.number} Faraway School`;
    const every = await run(admin, 'ctf', { la: 'all' });
    assert.equal(english(every.report.subject), 'All schools of every LA');
    assert.deepEqual(movementColumns('ctf', every.report.scope), [
      'File name',
      'Source LA',
      'Source school',
      'Destination LA',
      'Destination school',
      'Uploaded',
      'Downloaded',
      'Status',
      'Pupils',
    ]);
    // ctf-8, from one LA to another, is no school's.
    assert.deepEqual(
      oldestFirst(every.cells).map((c) => c.slice(0, 5)),
      [
        ['ctf-1.XML', ashire, a, ashire, b],
        ['ctf-2.XML', ashire, a, bshire, o],
        ['ctf-3.XML', bshire, o, ashire, a],
        ['ctf-4.XML', ashire, a, '', 'Lost Pupils Database'],
        ['ctf-5.XML', ashire, 'LA', ashire, b],
        ['ctf-7a.XML', ashire, b, ashire, a],
        ['ctf-7b.XML', ashire, b, ashire, a],
        ['ctf-9.XML', bshire, o, bshire, f],
      ],
    );
    assert.deepEqual(oldestFirst(every.cells)[2]?.slice(5), [
      '10 Nov 2026 10:00',
      '10 Nov 2026 12:00',
      'Rejected',
      4,
    ]);
    const row = oldestFirst(every.report.rows)[2];
    assert.ok(row);
    assert.deepEqual(movementCells('ctf', every.report.scope, row, csvDateTime).slice(5), [
      '2026-11-10 10:00',
      '2026-11-10 12:00',
      'Rejected',
      4,
    ]);
    // One school is chosen within its LA.
    await assert.rejects(
      service().page(admin, 'ctf', { la: 'all', school: alder.number }),
      invalid(['school']),
    );
    await assert.rejects(service().page(admin, 'ctf', { la: 'every' }), invalid(['la']));
  });

  test('All LAs: Generic / Other file movements has every file, each end with its LA', async () => {
    const admin = await user('national_admin', {});
    const ashire = `${la.number} Ashire`;
    const bshire = `${otherLa.number} Bshire`;
    const a = `${alder.number} Alder Primary`;
    const o = `${outside.number} Outside Academy`;
    const every = await run(admin, 'other', { la: 'all' });
    assert.equal(english(every.report.subject), 'Every LA, its schools and its inboxes');
    assert.deepEqual(movementColumns('other', every.report.scope), [
      'File name',
      'Type',
      'From LA',
      'From',
      'To LA',
      'To',
      'Uploaded',
      'Downloaded',
      'Status',
    ]);
    assert.deepEqual(oldestFirst(every.cells), [
      [
        'plasc-1.XML',
        'PLASC/School Census',
        ashire,
        a,
        ashire,
        `${ashire} (LA)`,
        '2 Nov 2026 10:00',
        '3 Nov 2026 09:15',
        'Downloaded',
      ],
      [
        'generic-1.ZIP',
        'Generic',
        ashire,
        `${ashire} (LA)`,
        ashire,
        a,
        '3 Nov 2026 10:00',
        '',
        'Awaiting download',
      ],
      [
        'generic-2.ZIP',
        'Generic',
        bshire,
        o,
        ashire,
        `${ashire} (LEAPLAS)`,
        '4 Nov 2026 10:00',
        '',
        'Awaiting download',
      ],
      [
        'adms-1.XML',
        'Admissions',
        ashire,
        `${ashire} (LEAADMS)`,
        bshire,
        o,
        '5 Nov 2026 10:00',
        '',
        'Awaiting download',
      ],
      ['cfr-1.ZIP', 'CFR', bshire, o, bshire, `${bshire} (LA)`, '6 Nov 2026 10:00', '', 'Awaiting download'],
      [
        'generic-3.ZIP',
        'Generic',
        ashire,
        `${birch.number} Birch Primary`,
        ashire,
        a,
        '7 Nov 2026 10:00',
        '',
        'Removed',
      ],
    ]);
  });

  test('All LAs is for the national administrator: an LA or a school asking for it gets its own files', async () => {
    const officer = await user('la_user', { laNumber: la.number });
    const head = await user('school', { laNumber: la.number, establishmentNumber: alder.number });
    for (const files of ['ctf', 'other'] as const) {
      for (const actor of [officer, head]) {
        const own = await run(actor, files, {});
        const asked = await run(actor, files, { la: 'all' });
        assert.deepEqual(asked.report.subject, own.report.subject);
        assert.deepEqual(asked.report.scope, own.report.scope);
        assert.deepEqual(asked.cells, own.cells, `${actor.role}, ${files}`);
      }
    }
  });

  test('All LAs: keyset pages stream every file once, in order, through files of the same time and name', async () => {
    // Two CTFs between Bshire's schools of the same name at the time of ctf-5: only the id tells them apart.
    const O = schoolParty(outside.number);
    const F = schoolParty(faraway.number);
    const twins = [
      (await send(O, F, 'ctf-6.XML', '2026-11-12T10:00:00.000Z')).row.id,
      (await send(F, O, 'ctf-6.XML', '2026-11-12T10:00:00.000Z')).row.id,
    ].sort();
    const admin = await user('national_admin', {});
    const expected = {
      // Newest first.
      ctf: [
        'ctf-1.XML',
        'ctf-2.XML',
        'ctf-3.XML',
        'ctf-4.XML',
        'ctf-5.XML',
        `ctf-6.XML ${twins[0]}`,
        `ctf-6.XML ${twins[1]}`,
        'ctf-7a.XML',
        'ctf-7b.XML',
        'ctf-9.XML',
      ].reverse(),
      other: [
        'plasc-1.XML',
        'generic-1.ZIP',
        'generic-2.ZIP',
        'adms-1.XML',
        'cfr-1.ZIP',
        'generic-3.ZIP',
      ].reverse(),
    };
    const named = (row: { filename: string; id: string }) =>
      row.filename === 'ctf-6.XML' ? `${row.filename} ${row.id}` : row.filename;
    for (const files of ['ctf', 'other'] as const) {
      const limited = await service({ pageLimit: 4 }).page(admin, files, { la: 'all' });
      assert.deepEqual(limited.rows.map(named), expected[files].slice(0, 4));
      assert.deepEqual([limited.total, limited.truncated], [expected[files].length, true]);
      for (const pageSize of [1, 2, 3, 5, 6, 1000]) {
        const stream = await service({ csvPageSize: pageSize }).stream(admin, files, { la: 'all' });
        const names: string[] = [];
        for await (const row of stream.rows) names.push(named(row));
        assert.deepEqual(names, expected[files], `${files}, pages of ${pageSize}`);
      }
    }
  });

  const tableCells = (html: string) =>
    [...html.matchAll(/<tr class="govuk-table__row">([\s\S]*?)<\/tr>/g)].map((row) =>
      [...(row[1] ?? '').matchAll(/<t[hd][^>]*>([^<]*)</g)].map((m) =>
        (m[1] ?? '').trim().replaceAll('&amp;', '&'),
      ),
    );

  test('each report page and its CSV hold the same rows', async () => {
    const t = await createTestApp(db);
    try {
      const { agent } = await signedInUser(t, 'la_user', { laNumber: la.number });
      for (const [url, name, count, firstDates] of [
        ['/reports/school', 'school-report', 7, ['2026-10-15 11:00', '2026-10-16 10:00']],
        ['/reports/file-movements', 'file-movements', 5, ['2026-11-02 10:00', '2026-11-03 09:15']],
      ] as const) {
        const form = await agent.get(url);
        assert.equal(form.statusCode, 200);
        assert.match(form.body, /All schools/);
        // An LA user asking for All LAs still reports on its own LA.
        const page = await agent.get(`${url}?run=1&la=all&school=all&from-day=1&from-month=1&from-year=2026`);
        assert.equal(page.statusCode, 200);
        assert.match(page.body, new RegExp(`${count} files\\.`));
        const table = tableCells(page.body);
        const csv = await agent.get(
          `${url}/csv?run=1&la=all&school=all&from-day=1&from-month=1&from-year=2026`,
        );
        assert.equal(csv.statusCode, 200);
        assert.match(String(csv.headers['content-type']), /^text\/csv/);
        assert.match(
          String(csv.headers['content-disposition']),
          new RegExp(`attachment; filename="${name}-2026-01-01-to-\\d{4}-\\d{2}-\\d{2}\\.csv"`),
        );
        const rows = parse(csv.body, { bom: true }) as string[][];
        assert.equal(rows.length, count + 1);
        // The same cells; the dates each in their own spelling ("1 Nov 2026 00:30", "2026-11-01 00:30").
        assert.deepEqual(
          table.map((row) => row.map(asCsvCell)),
          rows,
          url,
        );
        const uploaded = rows[0]?.indexOf('Uploaded') ?? -1;
        assert.deepEqual(
          rows.at(-1)?.slice(uploaded, uploaded + 2),
          firstDates,
          'the oldest file, the last (newest first): uploaded, downloaded',
        );

        const refused = await agent.get(`${url}?run=1&school=${outside.number}`);
        assert.equal(refused.statusCode, 400);
        assert.match(refused.body, /Select a school of Ashire, or All schools/);
        const csvRefused = await agent.get(`${url}/csv?school=${outside.number}`);
        assert.equal(csvRefused.statusCode, 302);
        assert.match(String(csvRefused.headers.location), new RegExp(`^${url}\\?.*run=1`));
      }
    } finally {
      await t.app.close();
    }
  });

  test('All LAs: the national administrator chooses it in the LA list, and the page and its CSV hold the same rows', async () => {
    const t = await createTestApp(db);
    try {
      const { agent } = await signedInUser(t, 'national_admin', {});
      for (const [url, name, count, header] of [
        [
          '/reports/school',
          'school-report',
          10,
          ['File name', 'Source LA', 'Source school', 'Destination LA'],
        ],
        [
          '/reports/file-movements',
          'file-movements',
          6,
          ['File name', 'Type', 'From LA', 'From', 'To LA', 'To'],
        ],
      ] as const) {
        const form = await agent.get(url);
        assert.equal(form.statusCode, 200);
        assert.match(form.body, /<option value="all">All LAs<\/option>/);
        const unchosen = await agent.get(`${url}?run=1`);
        assert.equal(unchosen.statusCode, 400);
        assert.match(unchosen.body, /Select an LA, or All LAs/);
        const page = await agent.get(`${url}?run=1&la=all`);
        assert.equal(page.statusCode, 200);
        assert.match(page.body, /<option value="all" selected>All LAs<\/option>/);
        assert.match(page.body, new RegExp(`${count} files\\.`));
        const table = tableCells(page.body);
        const csv = await agent.get(`${url}/csv?run=1&la=all`);
        assert.equal(csv.statusCode, 200);
        assert.match(
          String(csv.headers['content-disposition']),
          new RegExp(`attachment; filename="${name}-all-to-2026-11-23\\.csv"`),
        );
        const rows = parse(csv.body, { bom: true }) as string[][];
        assert.equal(rows.length, count + 1);
        assert.deepEqual(rows[0]?.slice(0, header.length), header);
        assert.deepEqual(
          table.map((row) => row.map(asCsvCell)),
          rows,
          url,
        );
        assert.ok(
          rows.some((row) => row.includes(`${outside.number} Outside Academy`)),
          'Bshire is in',
        );
        assert.ok(
          rows.some((row) => row.includes(`${alder.number} Alder Primary`)),
          'Ashire is in',
        );
      }
    } finally {
      await t.app.close();
    }
  });

  test('the page shows the newest 500 files, newest first, and says so; the CSV has them all in that order', async () => {
    const lone = await makeSchool(db, otherLa.number, { name: 'Busy School' });
    const template = (
      await send(
        schoolParty(lone.number),
        schoolParty(faraway.number),
        'busy-0000.XML',
        '2026-09-01T10:00:00.000Z',
      )
    ).row;
    // A file a minute after the first: busy-0501 is the newest.
    const rows: TransferRow[] = Array.from({ length: 501 }, (_, i) => ({
      ...template,
      id: randomUUID(),
      filename: `busy-${String(i + 1).padStart(4, '0')}.XML`,
      uploaded_at: new Date(Date.parse(template.uploaded_at) + (i + 1) * 60_000).toISOString(),
      storage_key: null,
      wrapped_key: null,
      master_key_id: null,
    }));
    for (let i = 0; i < rows.length; i += 100)
      await db
        .insertInto('transfers')
        .values(rows.slice(i, i + 100))
        .execute();
    const t = await createTestApp(db);
    try {
      const { agent } = await signedInUser(t, 'school', {
        laNumber: otherLa.number,
        establishmentNumber: lone.number,
      });
      const page = await agent.get('/reports/school?run=1');
      assert.equal(page.statusCode, 200);
      assert.match(
        page.body,
        /There are 502 files: this page shows the newest 500, newest first\. Download CSV has all 502\./,
      );
      assert.match(page.body, /Files are listed newest first, by the date they were uploaded\./);
      const shown = tableCells(page.body).slice(1);
      assert.equal(shown.length, 500);
      assert.equal(shown[0]?.[0], 'busy-0501.XML');
      assert.equal(shown.at(-1)?.[0], 'busy-0002.XML');
      const csv = parse((await agent.get('/reports/school/csv?run=1')).body, { bom: true }) as string[][];
      assert.equal(csv.length, 503);
      // The page is the CSV's first rows.
      assert.deepEqual(
        csv.slice(1, 501).map((row) => row[0]),
        shown.map((row) => row[0]),
      );
      assert.equal(csv.at(-1)?.[0], 'busy-0000.XML');

      assert.equal((await agent.get('/reports/school?run=1&lang=cy')).statusCode, 302);
      const cy = await agent.get('/reports/school?run=1');
      assert.match(
        textOf(cy.body),
        /Mae 502 o ffeiliau: mae’r dudalen hon yn dangos y 500 diweddaraf, y diweddaraf yn gyntaf\./,
      );
    } finally {
      await t.app.close();
    }
  });
});

test('School Report: a CTF kept in the Lost Pupils Database is not "awaiting download", even once an LA downloaded it', () => {
  const end = { la: '916', laName: 'Ashire', school: '9165402', schoolName: 'Alder Primary', inbox: null };
  const lost: MovementRow = {
    id: randomUUID(),
    filename: '9165402_CTF_XXXXXXXX_001.XML',
    category: 'ctf',
    uploadedAt: '2026-11-11T10:00:00.000Z',
    firstDownloadedAt: null,
    status: 'available',
    forwardedAt: null,
    forwardedFrom: null,
    deletedByLaAt: null,
    pupils: 1,
    source: end,
    destKind: 'lost-pupils',
    dest: { la: null, laName: null, school: null, schoolName: null, inbox: null },
  };
  const status = (row: MovementRow, language: 'en' | 'cy' = 'en') =>
    movementCells(
      'ctf',
      { kind: 'school', establishmentNumber: '9165402' },
      row,
      reportDateTime,
      language,
    )[8];
  assert.equal(status(lost), 'In the Lost Pupils Database');
  assert.equal(status(lost, 'cy'), 'Yn y Gronfa Ddata Disgyblion Coll');
  assert.equal(
    status({ ...lost, firstDownloadedAt: '2026-11-12T09:00:00.000Z' }),
    'In the Lost Pupils Database',
  );
  assert.equal(status({ ...lost, status: 'removed' }), 'Removed');
  assert.equal(status({ ...lost, destKind: 'school', dest: end }), 'Awaiting download');
});
