// CTFs an LA forwarded, in every report. A forward (transfers/forward-service.ts) makes a copy that keeps
// the school that made the file as its source (a lost pupil's is sent in the LA's name): the school sent
// one file, so the copy is not sent by it again; it is a file received by the school it was forwarded to. The original stays sent by the school;
// in the School Report it stays listed for its first destination, reading "Forwarded by LA on ..." rather
// than Downloaded with no date, but General Usage/Volume does not count it received there (taken away). The forwards are made through the real services (Delete files not collected by schools, and the
// Lost Pupil Transfer role's forward out of the Lost Pupils Database).
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { LostPupilService } from '../../src/lost-pupils/service.ts';
import type { Clock } from '../../src/platform/clock.ts';
import type { Db, EstablishmentRow, LocalAuthorityRow } from '../../src/platform/db/schema.ts';
import { createLogger } from '../../src/platform/logger.ts';
import { ClusterReportService } from '../../src/reports/cluster-service.ts';
import { DeletedCtfsReportService } from '../../src/reports/deleted-ctfs-service.ts';
import {
  FileMovementReportService,
  movementCells,
  reportDateTime,
} from '../../src/reports/file-movement-service.ts';
import { LostPupilReportService } from '../../src/reports/lost-pupil-report-service.ts';
import { UsageReportService } from '../../src/reports/usage-service.ts';
import { DownloadService } from '../../src/transfers/download-service.ts';
import { DownloadTickets } from '../../src/transfers/download-tickets.ts';
import { LaMonitorService } from '../../src/transfers/la-monitor-service.ts';
import { describeEachEngine } from '../support/databases.ts';
import { makeLa, makeSchool, makeUser } from '../support/factories.ts';
import { makeLostPupil } from '../support/lost-pupils.ts';
import { cellTexts, downloadCsv } from '../support/reports.ts';
import {
  actorOf,
  la as laParty,
  makeTransfer,
  pupil,
  readAll,
  type Sender,
  school as schoolParty,
} from '../support/transfers.ts';
import { createTestApp, signedInUser, type TestApp } from '../support/web.ts';

describeEachEngine('Forwarded CTFs in the reports', (database) => {
  let t: TestApp;
  let db: Db;
  let ashire: LocalAuthorityRow;
  let bshire: LocalAuthorityRow;
  let cshire: LocalAuthorityRow;
  let a1: EstablishmentRow;
  let a2: EstablishmentRow;
  let b1: EstablishmentRow;
  let c1: EstablishmentRow;
  /** The originals' names, and the copies' (`<name>Copy`). */
  const names: Record<string, string> = {};
  let now = '2026-11-01T10:00:00.000Z';
  const clock: Clock = { now: () => new Date(now) };
  const reportClock: Clock = { now: () => new Date('2026-11-23T12:00:00.000Z') };

  before(async () => {
    db = database().db;
    t = await createTestApp(db);
    ashire = await makeLa(db, { name: 'Ashire' });
    bshire = await makeLa(db, { name: 'Bshire' });
    cshire = await makeLa(db, { name: 'Cshire' });
    a1 = await makeSchool(db, ashire.number, { name: 'A One' });
    a2 = await makeSchool(db, ashire.number, { name: 'A Two' });
    b1 = await makeSchool(db, bshire.number, { name: 'B One' });
    c1 = await makeSchool(db, cshire.number, { name: 'C One' });
    const deps = { db, files: t.deps.files, clock, logger: createLogger('silent') };
    const monitor = new LaMonitorService(deps);
    const lostPupils = new LostPupilService({ ...deps, tickets: new DownloadTickets('a test secret') });
    const officer = actorOf(await makeUser(db, 'la_user', { laNumber: ashire.number }));
    const lostPupilOfficer = actorOf(
      await makeUser(db, 'la_lost_pupil_transfer', { laNumber: ashire.number }),
    );
    const send = async (name: string, to: Sender, pupils: number, uploadedAt: string) => {
      const { row } = await makeTransfer(db, t.deps.files, {
        from: schoolParty(b1.number),
        to,
        uploadedAt,
        pupils: Array.from({ length: pupils }, (_, i) => pupil(`${name}${i}`)),
      });
      names[name] = row.filename;
      return row.id;
    };
    // B One sends five CTFs (11 pupils): four to Ashire, one to the Lost Pupils Database.
    const wrongSchool = await send('wrongSchool', schoolParty(a1.number), 2, '2026-11-01T10:00:00.000Z');
    const toLa = await send('toLa', laParty(ashire.number), 1, '2026-11-02T10:00:00.000Z');
    const lost = await makeLostPupil(db, t.deps.files, {
      from: schoolParty(b1.number),
      uploadedAt: '2026-11-03T10:00:00.000Z',
    });
    names.lost = lost.transfer.row.filename;
    const kept = await send('kept', schoolParty(a1.number), 3, '2026-11-04T10:00:00.000Z');
    const elsewhere = await send('elsewhere', schoolParty(a1.number), 4, '2026-11-05T10:00:00.000Z');

    // Ashire forwards the school's file sent to the wrong school, and its own file, to its schools; the
    // lost pupil to one of them; and a file to a school of another LA.
    const forwarded = async (name: string, forward: () => Promise<{ forwarded: { filename: string } }>) => {
      names[`${name}Copy`] = (await forward()).forwarded.filename;
    };
    now = '2026-11-10T09:00:00.000Z';
    await forwarded('wrongSchool', () => monitor.forward(officer, wrongSchool, a2.number));
    now = '2026-11-11T09:00:00.000Z';
    await forwarded('toLa', () => monitor.forward(officer, toLa, a1.number));
    now = '2026-11-12T09:00:00.000Z';
    await forwarded(
      'lost',
      async () =>
        (await lostPupils.forward(lostPupilOfficer, lost.record.id, { school: a2.number, attested: true }))
          .result,
    );
    now = '2026-11-13T09:00:00.000Z';
    await forwarded('elsewhere', () => monitor.forward(officer, elsewhere, c1.number));
    // A One downloads the file it kept, and has not yet said whether it downloaded correctly.
    now = '2026-11-14T15:30:00.000Z';
    const schoolA1 = actorOf(
      await makeUser(db, 'school', { laNumber: a1.la_number, establishmentNumber: a1.number }),
    );
    const download = await new DownloadService(deps).download(schoolA1, 'ctf', [kept], 'download');
    await readAll(download.stream);
  });

  after(async () => {
    await t.app.close();
  });

  const user = async (role: Parameters<typeof makeUser>[1], org: Parameters<typeof makeUser>[2]) =>
    actorOf(await makeUser(db, role, org));
  const schoolReport = async (actor: Awaited<ReturnType<typeof user>>, criteria = {}) => {
    const report = await new FileMovementReportService({ db, clock: reportClock }).page(
      actor,
      'ctf',
      criteria,
    );
    // Newest first in the report: read here oldest first, in the order the files were sent.
    return report.rows.map((row) => movementCells('ctf', report.scope, row, reportDateTime)).reverse();
  };

  test('General Usage/Volume: the school uploaded five CTFs; a forwarded copy is received by its new school', async () => {
    const usage = new UsageReportService({ db, clock: reportClock });
    const sender = await usage.run(
      await user('school', { laNumber: b1.la_number, establishmentNumber: b1.number }),
      {},
    );
    assert.deepEqual(
      sender.rows.map((r) => [r.code, r.uploaded, r.uploadedPupils]),
      [[b1.number, 5, 11]],
    );
    assert.deepEqual(
      sender.months.map((m) => [m.month, m.uploaded]),
      [['2026-11', 5]],
    );
    // Every LA: Bshire uploaded 5 files; nobody uploaded the copies.
    const every = await usage.run(await user('national_admin', {}), { la: 'all' });
    assert.deepEqual(
      every.rows.map((r) => [r.code, r.uploaded, r.uploadedPupils]),
      [
        [ashire.number, 0, 0],
        [bshire.number, 5, 11],
        [cshire.number, 0, 0],
      ],
    );
    assert.deepEqual([every.totals.uploaded, every.totals.uploadedPupils], [5, 11]);
    // Ashire's schools: A One received the LA's forward of its own file and the file it kept (the two
    // sent to it by mistake were taken away by the forwards, never received); A Two the two forwarded to
    // it.
    const receiving = await usage.run(await user('la_user', { laNumber: ashire.number }), {});
    assert.deepEqual(
      receiving.rows.map((r) => [r.code, r.uploaded, r.received, r.receivedPupils, r.awaiting, r.downloaded]),
      [
        [a1.number, 0, 2, 4, 2, 0],
        [a2.number, 0, 2, 3, 2, 0],
      ],
    );
    const other = await usage.run(await user('la_user', { laNumber: cshire.number }), {});
    assert.deepEqual(
      other.rows.map((r) => [r.code, r.uploaded, r.received, r.receivedPupils]),
      [[c1.number, 0, 1, 4]],
    );
  });

  test('School Report: the sender sees the files it sent, each forwarded original with when', async () => {
    const b = `${bshire.number} Bshire`;
    const a = `${ashire.number} Ashire`;
    const sender = [b, `${b1.number} B One`];
    assert.deepEqual(
      await schoolReport(await user('school', { laNumber: b1.la_number, establishmentNumber: b1.number })),
      [
        [
          names.wrongSchool,
          'Sent',
          ...sender,
          a,
          `${a1.number} A One`,
          '1 Nov 2026 10:00',
          '',
          'Forwarded by LA on 10 Nov 2026 09:00',
          2,
        ],
        [
          names.toLa,
          'Sent',
          ...sender,
          a,
          'LA',
          '2 Nov 2026 10:00',
          '',
          'Forwarded by LA on 11 Nov 2026 09:00',
          1,
        ],
        [
          names.lost,
          'Sent',
          ...sender,
          '',
          'Lost Pupils Database',
          '3 Nov 2026 10:00',
          '',
          'Forwarded by LA on 12 Nov 2026 09:00',
          1,
        ],
        [
          names.kept,
          'Sent',
          ...sender,
          a,
          `${a1.number} A One`,
          '4 Nov 2026 10:00',
          '14 Nov 2026 15:30',
          'Downloaded, not yet confirmed',
          3,
        ],
        [
          names.elsewhere,
          'Sent',
          ...sender,
          a,
          `${a1.number} A One`,
          '5 Nov 2026 10:00',
          '',
          'Forwarded by LA on 13 Nov 2026 09:00',
          4,
        ],
      ],
    );
    // Its LA sees the same five, sent; no copy.
    const bshireRows = await schoolReport(await user('la_user', { laNumber: bshire.number }));
    assert.deepEqual(
      bshireRows.map((r) => [r[0], r[1]]),
      ['wrongSchool', 'toLa', 'lost', 'kept', 'elsewhere'].map((name) => [names[name], 'Sent']),
    );
  });

  test('School Report: the copies are received by the schools they were forwarded to', async () => {
    const received = (rows: unknown[][]) => rows.map((r) => [r[0], r[1], r[3], r[5], r[8]]);
    const b = `${b1.number} B One`;
    assert.deepEqual(
      received(
        await schoolReport(await user('school', { laNumber: a2.la_number, establishmentNumber: a2.number })),
      ),
      [
        [names.wrongSchoolCopy, 'Received', b, `${a2.number} A Two`, 'Awaiting download'],
        // A lost pupil's file goes on in the LA's name, as the handbook's renamed file does.
        [names.lostCopy, 'Received', 'LA', `${a2.number} A Two`, 'Awaiting download'],
      ],
    );
    // Ashire: everything its schools received, the originals taken away from A One among them.
    assert.deepEqual(received(await schoolReport(await user('la_user', { laNumber: ashire.number }))), [
      [names.wrongSchool, 'Received', b, `${a1.number} A One`, 'Forwarded by LA on 10 Nov 2026 09:00'],
      [names.kept, 'Received', b, `${a1.number} A One`, 'Downloaded, not yet confirmed'],
      [names.elsewhere, 'Received', b, `${a1.number} A One`, 'Forwarded by LA on 13 Nov 2026 09:00'],
      [names.wrongSchoolCopy, 'Received', b, `${a2.number} A Two`, 'Awaiting download'],
      [names.toLaCopy, 'Received', b, `${a1.number} A One`, 'Awaiting download'],
      [names.lostCopy, 'Received', 'LA', `${a2.number} A Two`, 'Awaiting download'],
    ]);
    assert.deepEqual(
      received(
        await schoolReport(await user('school', { laNumber: c1.la_number, establishmentNumber: c1.number })),
      ),
      [[names.elsewhereCopy, 'Received', b, `${c1.number} C One`, 'Awaiting download']],
    );
  });

  test('LEA Cluster Report: each pupil counted once between Bshire and Ashire; the forward to Cshire from Ashire', async () => {
    const cluster = new ClusterReportService({ db, clock: reportClock });
    const report = await cluster.run(await user('national_admin', {}), { scope: 'all' });
    // To Ashire: the files sent to A One and to the LA (forwarded within Ashire: not again), the file
    // kept, the file sent on to Cshire, and the lost pupil forwarded out of the database (whose
    // original went to no LA). From Ashire to Cshire: the file it forwarded there.
    assert.deepEqual(
      report.rows.map((r) => [r.from.code, r.to.code, r.files, r.pupils]),
      [
        [ashire.number, cshire.number, 1, 4],
        [bshire.number, ashire.number, 5, 11],
      ],
    );
    // An LA choosing the LAs gets the same pairs between them.
    const chosen = await cluster.run(await user('la_user', { laNumber: bshire.number }), {
      las: [ashire.number],
    });
    assert.deepEqual(
      chosen.rows.map((r) => [r.from.code, r.to.code, r.files, r.pupils]),
      [[bshire.number, ashire.number, 5, 11]],
    );
  });

  test('Lost Pupil (numbers) and Delete CTF files Audit Trail: each forward once', async () => {
    const lostPupils = new LostPupilReportService({ db, clock: reportClock });
    const numbers = await lostPupils.numbers(await user('la_lost_pupil', { laNumber: bshire.number }), {});
    assert.deepEqual([numbers.totals.uploaded, numbers.totals.downloaded], [1, 1]);
    const deleted = await new DeletedCtfsReportService({ db, clock: reportClock }).run(
      await user('la_user', { laNumber: ashire.number }),
      {},
    );
    assert.deepEqual(
      deleted.rows.map((r) => [r.filename, r.actionText]),
      [
        [names.wrongSchool, `Forwarded to A Two (${a2.number})`],
        [names.toLa, `Forwarded to A One (${a1.number})`],
        [names.elsewhere, `Forwarded to C One (${c1.number})`],
      ],
    );
  });

  test('the pages and their CSVs say the same', async () => {
    const { agent } = await signedInUser(t, 'school', {
      laNumber: b1.la_number,
      establishmentNumber: b1.number,
    });
    const usagePage = await agent.get('/reports/general-usage?run=1');
    assert.equal(usagePage.statusCode, 200);
    assert.deepEqual(cellTexts(usagePage.body).slice(8, 11), [`${b1.number} B One`, '5', '11']);
    const usageCsv = await downloadCsv(agent, '/reports/general-usage/csv?run=1', /general-usage/);
    assert.deepEqual(usageCsv[1]?.slice(0, 4), [b1.number, 'B One', '5', '11']);

    const page = await agent.get('/reports/school?run=1');
    assert.equal(page.statusCode, 200);
    assert.match(page.body, /5 files\./);
    const cells = cellTexts(page.body);
    assert.ok(cells.includes('Forwarded by LA on 10 Nov 2026 09:00'));
    assert.ok(!cells.includes(names.wrongSchoolCopy ?? ''));
    const csv = await downloadCsv(agent, '/reports/school/csv?run=1', /school-report/);
    const status = csv[0]?.indexOf('Status') ?? -1;
    assert.deepEqual(
      csv
        .slice(1)
        .map((row) => [row[0], row[status]])
        .reverse(),
      [
        [names.wrongSchool, 'Forwarded by LA on 2026-11-10 09:00'],
        [names.toLa, 'Forwarded by LA on 2026-11-11 09:00'],
        [names.lost, 'Forwarded by LA on 2026-11-12 09:00'],
        [names.kept, 'Downloaded, not yet confirmed'],
        [names.elsewhere, 'Forwarded by LA on 2026-11-13 09:00'],
      ],
    );
  });
});
