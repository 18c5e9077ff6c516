// A chain of forwards in every report: an LA forwards a CTF to one of its schools, the school rejects
// the copy, and the LA forwards the rejected copy on (docs/decisions.md, 37): original -> copy -> copy of
// the copy. Three chains, made through the real services (Delete files not collected by schools, Download
// and its Reject, the LA's forward of a rejected copy, and the Lost Pupil Transfer role's forward):
// - home: B One sends a CTF to A One by mistake; Ashire forwards it to A Two, which rejects it; Ashire
//   forwards it on to C One (Cshire), which downloads it;
// - away: B One sends another to A One; Ashire forwards it to D One (Dshire), which rejects it; Ashire
//   forwards it on to A Three, its own school, which downloads it;
// - lost: B One sends a pupil to the Lost Pupils Database; Ashire forwards it to A Two, which rejects it;
//   the pupil is lost again, its file still in the database, and Ashire forwards it from there again, to
//   A Three, where it waits (decision 38).
// Each report counts each transfer once where its definition says, and names the LA that forwarded.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Actor } from '../../src/auth/actor.ts';
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
import { downloadCsv } from '../support/reports.ts';
import { actorOf, makeTransfer, pupil, readAll, school as schoolParty } from '../support/transfers.ts';
import { createTestApp, signedInUser, type TestApp } from '../support/web.ts';

describeEachEngine('Chains of forwards in the reports', (database) => {
  let t: TestApp;
  let db: Db;
  let ashire: LocalAuthorityRow;
  let bshire: LocalAuthorityRow;
  let cshire: LocalAuthorityRow;
  let dshire: LocalAuthorityRow;
  let a1: EstablishmentRow;
  let a2: EstablishmentRow;
  let a3: EstablishmentRow;
  let b1: EstablishmentRow;
  let c1: EstablishmentRow;
  let d1: EstablishmentRow;
  /** Each chain's files: the original, its copy and the copy's copy (`home`, `homeCopy`, `homeCopyCopy`). */
  const files: Record<string, { id: string; filename: string }> = {};
  let now = '2026-11-01T10:00:00.000Z';
  const clock: Clock = { now: () => new Date(now) };
  const reportClock: Clock = { now: () => new Date('2026-11-30T12:00:00.000Z') };

  before(async () => {
    db = database().db;
    t = await createTestApp(db);
    ashire = await makeLa(db, { name: 'Ashire' });
    bshire = await makeLa(db, { name: 'Bshire' });
    cshire = await makeLa(db, { name: 'Cshire' });
    dshire = await makeLa(db, { name: 'Dshire' });
    a1 = await makeSchool(db, ashire.number, { name: 'A One' });
    a2 = await makeSchool(db, ashire.number, { name: 'A Two' });
    a3 = await makeSchool(db, ashire.number, { name: 'A Three' });
    b1 = await makeSchool(db, bshire.number, { name: 'B One' });
    c1 = await makeSchool(db, cshire.number, { name: 'C One' });
    d1 = await makeSchool(db, dshire.number, { name: 'D One' });
    const deps = { db, files: t.deps.files, clock, logger: createLogger('silent') };
    const monitor = new LaMonitorService(deps);
    const downloads = new DownloadService(deps);
    const lostPupils = new LostPupilService({ ...deps, tickets: new DownloadTickets('a test secret') });
    const officer = actorOf(await makeUser(db, 'la_user', { laNumber: ashire.number }));
    const lostPupilOfficer = actorOf(
      await makeUser(db, 'la_lost_pupil_transfer', { laNumber: ashire.number }),
    );
    const schoolUser = async (school: EstablishmentRow) =>
      actorOf(
        await makeUser(db, 'school', { laNumber: school.la_number, establishmentNumber: school.number }),
      );
    const at = async <T>(when: string, step: () => Promise<T>) => {
      now = when;
      return step();
    };
    const sent = async (name: string, pupils: number, uploadedAt: string) => {
      const { row } = await makeTransfer(db, t.deps.files, {
        from: schoolParty(b1.number),
        to: schoolParty(a1.number),
        uploadedAt,
        pupils: Array.from({ length: pupils }, (_, i) => pupil(`${name}${i}`)),
      });
      files[name] = row;
    };
    const copied = (name: string, result: { forwarded: { id: string; filename: string } }) => {
      files[name] = result.forwarded;
      return result.forwarded.id;
    };
    const rejected = (school: EstablishmentRow, id: string) =>
      schoolUser(school).then((actor) => downloads.reject(actor, 'ctf', id, 'Not our pupils'));
    const collected = async (school: EstablishmentRow, id: string) => {
      const actor = await schoolUser(school);
      await readAll((await downloads.download(actor, 'ctf', [id], 'download')).stream);
      await downloads.collect(actor, 'ctf', [id]);
    };
    const id = (name: string) => files[name]?.id as string;

    await sent('home', 3, '2026-11-01T10:00:00.000Z');
    await sent('away', 2, '2026-11-02T10:00:00.000Z');
    const lost = await makeLostPupil(db, t.deps.files, {
      from: schoolParty(b1.number),
      uploadedAt: '2026-11-03T10:00:00.000Z',
    });
    files.lost = lost.transfer.row;

    await at('2026-11-10T09:00:00.000Z', async () =>
      copied('homeCopy', await monitor.forward(officer, id('home'), a2.number)),
    );
    await at('2026-11-11T09:00:00.000Z', () => rejected(a2, id('homeCopy')));
    await at('2026-11-12T09:00:00.000Z', async () =>
      copied('homeCopyCopy', await monitor.forwardRejected(officer, id('homeCopy'), c1.number)),
    );
    await at('2026-11-13T09:00:00.000Z', () => collected(c1, id('homeCopyCopy')));

    await at('2026-11-14T09:00:00.000Z', async () =>
      copied('awayCopy', await monitor.forward(officer, id('away'), d1.number)),
    );
    await at('2026-11-15T09:00:00.000Z', () => rejected(d1, id('awayCopy')));
    await at('2026-11-16T09:00:00.000Z', async () =>
      copied('awayCopyCopy', await monitor.forwardRejected(officer, id('awayCopy'), a3.number)),
    );
    await at('2026-11-17T09:00:00.000Z', () => collected(a3, id('awayCopyCopy')));

    await at('2026-11-18T09:00:00.000Z', async () =>
      copied(
        'lostCopy',
        (await lostPupils.forward(lostPupilOfficer, lost.record.id, { school: a2.number, attested: true }))
          .result,
      ),
    );
    await at('2026-11-19T09:00:00.000Z', () => rejected(a2, id('lostCopy')));
    // The pupil is lost again, its file still in the database: forwarded again from its record (decision 38).
    await at('2026-11-20T09:00:00.000Z', async () =>
      copied(
        'lostAgainCopy',
        (await lostPupils.forward(lostPupilOfficer, lost.record.id, { school: a3.number, attested: true }))
          .result,
      ),
    );
  });

  after(async () => {
    await t.app.close();
  });

  const user = async (role: Parameters<typeof makeUser>[1], org: Parameters<typeof makeUser>[2]) =>
    actorOf(await makeUser(db, role, org));
  const schoolUser = (school: EstablishmentRow) =>
    user('school', { laNumber: school.la_number, establishmentNumber: school.number });
  const schoolReport = async (actor: Actor, criteria = {}) => {
    const report = await new FileMovementReportService({ db, clock: reportClock }).page(
      actor,
      'ctf',
      criteria,
    );
    // Newest first in the report: read here oldest first, in the order the files were sent.
    return report.rows.map((row) => movementCells('ctf', report.scope, row, reportDateTime)).reverse();
  };
  const name = (file: string) => files[file]?.filename;

  test('General Usage/Volume: the school uploaded three CTFs; each copy is received once, by its school', async () => {
    const usage = new UsageReportService({ db, clock: reportClock });
    const every = await usage.run(await user('national_admin', {}), { la: 'all' });
    assert.deepEqual(
      every.rows.map((r) => [
        r.code,
        r.uploaded,
        r.uploadedPupils,
        r.received,
        r.receivedPupils,
        r.downloaded,
        r.awaiting,
        r.rejected,
      ]),
      [
        // The copies to A Two (both rejected) and to A Three (one downloaded, one waiting); the originals
        // sent to A One by mistake were taken away by the forwards, never received.
        [ashire.number, 0, 0, 4, 7, 1, 1, 2],
        [bshire.number, 3, 6, 0, 0, 0, 0, 0],
        [cshire.number, 0, 0, 1, 3, 1, 0, 0],
        [dshire.number, 0, 0, 1, 2, 0, 0, 1],
      ],
    );
    // By school name: A One, A Three, A Two.
    const schools = await usage.run(await user('la_user', { laNumber: ashire.number }), {});
    assert.deepEqual(
      schools.rows.map((r) => [
        r.code,
        r.uploaded,
        r.received,
        r.receivedPupils,
        r.downloaded,
        r.awaiting,
        r.rejected,
      ]),
      [
        [a1.number, 0, 0, 0, 0, 0, 0],
        [a3.number, 0, 2, 3, 1, 1, 0],
        [a2.number, 0, 2, 4, 0, 0, 2],
      ],
    );
    assert.deepEqual(
      schools.months.map((m) => [m.month, m.uploaded, m.received]),
      [['2026-11', 0, 4]],
    );
  });

  test('LEA Cluster Report: a copy of a copy counts from the LA that forwarded it, so a file rejected in another LA and sent home is no move', async () => {
    const cluster = new ClusterReportService({ db, clock: reportClock });
    const report = await cluster.run(await user('national_admin', {}), { scope: 'all' });
    // Bshire to Ashire: the two files sent to A One and the lost pupil's two copies out of the database
    // (the one A Two rejected, and the one forwarded again: two files, as a file a school rejects and its
    // sender sends again is two).
    // Ashire to Cshire: home's copy of a copy; Ashire to Dshire: away's copy, rejected there. Away's copy
    // of a copy went from Ashire (which held the rejected copy) to its own school: not between LAs.
    // The forward from A One to A Two is within Ashire.
    assert.deepEqual(
      report.rows.map((r) => [r.from.code, r.to.code, r.files, r.pupils]),
      [
        [ashire.number, cshire.number, 1, 3],
        [ashire.number, dshire.number, 1, 2],
        [bshire.number, ashire.number, 4, 7],
      ],
    );
    const chosen = await cluster.run(await user('la_user', { laNumber: dshire.number }), {
      las: [ashire.number],
    });
    assert.deepEqual(
      chosen.rows.map((r) => [r.from.code, r.to.code, r.files, r.pupils]),
      [[ashire.number, dshire.number, 1, 2]],
    );
  });

  test('School Report: a copy its school rejected says Rejected there, though its LA forwarded it on', async () => {
    const received = (rows: unknown[][]) => rows.map((r) => [r[0], r[1], r[3], r[5], r[8]]);
    const b = `${b1.number} B One`;
    assert.deepEqual(received(await schoolReport(await schoolUser(a2))), [
      [name('homeCopy'), 'Received', b, `${a2.number} A Two`, 'Rejected'],
      [name('lostCopy'), 'Received', 'LA', `${a2.number} A Two`, 'Rejected'],
    ]);
    assert.deepEqual(received(await schoolReport(await schoolUser(d1))), [
      [name('awayCopy'), 'Received', b, `${d1.number} D One`, 'Rejected'],
    ]);
    assert.deepEqual(received(await schoolReport(await schoolUser(c1))), [
      [name('homeCopyCopy'), 'Received', b, `${c1.number} C One`, 'Downloaded'],
    ]);
    assert.deepEqual(received(await schoolReport(await schoolUser(a3))), [
      [name('awayCopyCopy'), 'Received', b, `${a3.number} A Three`, 'Downloaded'],
      [name('lostAgainCopy'), 'Received', 'LA', `${a3.number} A Three`, 'Awaiting download'],
    ]);
    // The school that made the files sent three, each forwarded by its LA when it was first forwarded.
    assert.deepEqual(
      (await schoolReport(await schoolUser(b1))).map((r) => [r[0], r[1], r[8]]),
      [
        [name('home'), 'Sent', 'Forwarded by LA on 10 Nov 2026 09:00'],
        [name('away'), 'Sent', 'Forwarded by LA on 14 Nov 2026 09:00'],
        [name('lost'), 'Sent', 'Forwarded by LA on 18 Nov 2026 09:00'],
      ],
    );
    // Every LA at once: each of the nine transfers once.
    const all = await schoolReport(await user('national_admin', {}), { la: 'all' });
    assert.deepEqual(
      all.map((r) => r[0]).sort(),
      [
        'home',
        'homeCopy',
        'homeCopyCopy',
        'away',
        'awayCopy',
        'awayCopyCopy',
        'lost',
        'lostCopy',
        'lostAgainCopy',
      ]
        .map(name)
        .sort(),
    );
  });

  test('Delete CTF files Audit Trail: every forward by Ashire once, a rejected copy forwarded on from another LA among them', async () => {
    const report = new DeletedCtfsReportService({ db, clock: reportClock });
    const expected = [
      [name('home'), `Forwarded to A Two (${a2.number})`, ashire.number],
      [name('homeCopy'), `Forwarded to C One (${c1.number})`, ashire.number],
      [name('away'), `Forwarded to D One (${d1.number})`, ashire.number],
      [name('awayCopy'), `Forwarded to A Three (${a3.number})`, ashire.number],
    ];
    // The lost pupil's file went on from the Lost Pupils Database again, not from this list: not here.
    const ashires = await report.run(await user('la_user', { laNumber: ashire.number }), {});
    assert.deepEqual(
      ashires.rows.map((r) => [r.filename, r.actionText, r.la]),
      expected,
    );
    assert.deepEqual(ashires.totals, { deleted: 0, forwarded: 4, pupils: 3 + 3 + 2 + 2 });
    // Dshire rejected a file; it deleted or forwarded none.
    assert.deepEqual((await report.run(await user('la_user', { laNumber: dshire.number }), {})).rows, []);
    const every = await report.run(await user('national_admin', {}), { la: 'all' });
    assert.deepEqual(
      every.rows.map((r) => [r.filename, r.actionText, r.la]),
      expected,
    );
  });

  test('Lost Pupil (numbers): the pupil uploaded once and found once, however often its file was forwarded', async () => {
    const numbers = await new LostPupilReportService({ db, clock: reportClock }).numbers(
      await user('la_lost_pupil', { laNumber: bshire.number }),
      {},
    );
    assert.deepEqual([numbers.totals.uploaded, numbers.totals.downloaded], [1, 1]);
  });

  test('the CSVs say the same: LEA Cluster Report and the School Report', async () => {
    const { agent } = await signedInUser(t, 'national_admin', {});
    const cluster = await downloadCsv(agent, '/reports/cluster/csv?run=1&scope=all', /cluster/);
    const numbers = cluster.slice(1).map((row) => row.filter((cell) => /^\d+$/.test(cell)));
    assert.deepEqual(numbers, [
      [ashire.number, cshire.number, '1', '3'],
      [ashire.number, dshire.number, '1', '2'],
      [bshire.number, ashire.number, '4', '7'],
      ['6', '12'],
    ]);
    const { agent: a2Agent } = await signedInUser(t, 'school', {
      laNumber: a2.la_number,
      establishmentNumber: a2.number,
    });
    const csv = await downloadCsv(a2Agent, '/reports/school/csv?run=1', /school-report/);
    const status = csv[0]?.indexOf('Status') ?? -1;
    assert.deepEqual(
      csv
        .slice(1)
        .map((row) => [row[0], row[status]])
        .reverse(),
      [
        [name('homeCopy'), 'Rejected'],
        [name('lostCopy'), 'Rejected'],
      ],
    );
  });
});
