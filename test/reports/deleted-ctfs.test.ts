// Delete CTF files Audit Trail: the CTFs an LA deleted or forwarded from "Delete files not collected by
// schools", made through the real services (so the audit records are the ones they write); not a
// sender's own removal, nor another LA's actions; the date range on the date of the action; the CSV
// matching the page.
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import type { Clock } from '../../src/platform/clock.ts';
import type { Db, EstablishmentRow, LocalAuthorityRow, UserRow } from '../../src/platform/db/schema.ts';
import { Invalid } from '../../src/platform/errors.ts';
import { createLogger } from '../../src/platform/logger.ts';
import { DeletedCtfsReportService } from '../../src/reports/deleted-ctfs-service.ts';
import { LaMonitorService } from '../../src/transfers/la-monitor-service.ts';
import { SentService } from '../../src/transfers/sent-service.ts';
import { describeEachEngine } from '../support/databases.ts';
import { makeLa, makeSchool, makeUser } from '../support/factories.ts';
import { actorOf } from '../support/messages.ts';
import { asCsvCell, cellTexts, downloadCsv } from '../support/reports.ts';
import { la as laParty, makeFileStores, makeTransfer, school as schoolParty } from '../support/transfers.ts';
import { createTestApp, signedInUser } from '../support/web.ts';
import { english, fieldsAndMessages } from './support.ts';

describeEachEngine('Delete CTF files Audit Trail', (database) => {
  let db: Db;
  let laA: LocalAuthorityRow;
  let laB: LocalAuthorityRow;
  let a1: EstablishmentRow;
  let a2: EstablishmentRow;
  let b1: EstablishmentRow;
  let officerA: UserRow;
  const files: Record<string, string> = {};
  let now = '2026-11-23T12:00:00.000Z';
  const clock: Clock = { now: () => new Date(now) };
  const stores = makeFileStores();

  before(async () => {
    db = database().db;
    laA = await makeLa(db, { name: 'Ashire' });
    laB = await makeLa(db, { name: 'Bshire' });
    a1 = await makeSchool(db, laA.number, { name: 'A One' });
    a2 = await makeSchool(db, laA.number, { name: 'A Two' });
    b1 = await makeSchool(db, laB.number, { name: 'B One' });
    officerA = await makeUser(db, 'la_user', { laNumber: laA.number }, { username: 'ashire.officer' });
    const officerB = actorOf(await makeUser(db, 'la_user', { laNumber: laB.number }));
    const schoolA2 = actorOf(await makeUser(db, 'school', { establishmentNumber: a2.number }));
    const ashire = actorOf(officerA);
    const deps = { db, files: stores.files, clock, logger: createLogger('silent') };
    const monitor = new LaMonitorService(deps);
    const sent = new SentService(deps);
    const send = async (
      name: string,
      from: ReturnType<typeof schoolParty>,
      to: ReturnType<typeof schoolParty>,
      pupils: number,
    ) => {
      const { row } = await makeTransfer(db, stores.files, {
        from,
        to,
        uploadedAt: '2026-11-01T10:00:00.000Z',
        overrides: { pupil_count: pupils },
      });
      files[name] = row.filename;
      return row.id;
    };
    const deleted = await send('deleted', schoolParty(b1.number), schoolParty(a1.number), 2);
    const forwarded = await send('forwarded', schoolParty(b1.number), schoolParty(a1.number), 3);
    const ownFile = await send('own', schoolParty(b1.number), laParty(laA.number), 1);
    const withdrawn = await send('withdrawn', schoolParty(a2.number), schoolParty(a1.number), 4);
    const laWithdrawn = await send('laWithdrawn', laParty(laA.number), schoolParty(a1.number), 5);
    const otherLa = await send('otherLa', schoolParty(a1.number), schoolParty(b1.number), 6);
    now = '2026-11-10T10:00:00.000Z';
    await monitor.remove(ashire, deleted);
    now = '2026-11-12T15:30:00.000Z';
    await monitor.forward(ashire, forwarded, a2.number);
    now = '2026-11-20T09:00:00.000Z';
    await monitor.forward(ashire, ownFile, a1.number);
    // Not the LA's action on a file not collected: the senders withdrawing files, and another LA's.
    await sent.remove(schoolA2, withdrawn);
    await sent.remove(ashire, laWithdrawn);
    await monitor.remove(officerB, otherLa);
    now = '2026-11-23T12:00:00.000Z';
  });

  const service = () => new DeletedCtfsReportService({ db, clock });

  test("an LA sees its own deletions and forwards, oldest first, and no one else's actions", async () => {
    const report = await service().run(actorOf(officerA), { la: laB.number });
    assert.equal(english(report.subject), `Ashire (${laA.number})`);
    assert.deepEqual(
      report.rows.map((r) => [
        r.at,
        r.actionText,
        r.filename,
        r.from.code,
        english(r.intended.name),
        r.intended.code,
        r.pupils,
        r.by,
      ]),
      [
        [
          '2026-11-10T10:00:00.000Z',
          'Deleted',
          files.deleted,
          b1.number,
          'A One',
          a1.number,
          2,
          'ashire.officer',
        ],
        [
          '2026-11-12T15:30:00.000Z',
          `Forwarded to A Two (${a2.number})`,
          files.forwarded,
          b1.number,
          'A One',
          a1.number,
          3,
          'ashire.officer',
        ],
        [
          '2026-11-20T09:00:00.000Z',
          `Forwarded to A One (${a1.number})`,
          files.own,
          b1.number,
          'Ashire LA',
          `${laA.number}LLLL`,
          1,
          'ashire.officer',
        ],
      ],
    );
    assert.deepEqual(report.totals, { deleted: 1, forwarded: 2, pupils: 6 });
    const other = await service().run(actorOf(await makeUser(db, 'la_dba', { laNumber: laB.number })), {});
    assert.deepEqual(
      other.rows.map((r) => [r.actionText, r.filename]),
      [['Deleted', files.otherLa]],
    );
  });

  test('the date range is on the date of the action, both ends included', async () => {
    const report = await service().run(actorOf(officerA), {
      fromDay: '12',
      fromMonth: '11',
      fromYear: '2026',
      toDay: '12',
      toMonth: '11',
      toYear: '2026',
    });
    assert.deepEqual(
      report.rows.map((r) => r.filename),
      [files.forwarded],
    );
  });

  test('the national administrator chooses an LA', async () => {
    const admin = actorOf(await makeUser(db, 'national_admin', {}));
    await assert.rejects(service().run(admin, {}), (error: unknown) => {
      assert.ok(error instanceof Invalid);
      assert.deepEqual(fieldsAndMessages(error.errors), [
        { field: 'la', message: 'Select an LA, or All LAs' },
      ]);
      return true;
    });
    const report = await service().run(admin, { la: laA.number });
    assert.equal(report.rows.length, 3);
  });

  test('the national administrator can report on All LAs: each LA its own actions, with the LA named', async () => {
    const admin = actorOf(await makeUser(db, 'national_admin', {}));
    const report = await service().run(admin, { la: 'all' });
    assert.equal(english(report.subject), 'Every LA');
    assert.ok(report.allLas);
    // Other tests' LAs may have actions too: only these two LAs' rows are checked.
    const ours = report.rows.filter((r) => r.la === laA.number || r.la === laB.number);
    // The other LA's deletion was at the same minute as a forward: compare in LA order.
    assert.deepEqual(
      [...ours]
        .sort((x, y) => x.la.localeCompare(y.la))
        .map((r) => [r.la, r.actionText.split(' (')[0], r.filename]),
      [
        [laA.number, 'Deleted', files.deleted],
        [laA.number, 'Forwarded to A Two', files.forwarded],
        [laA.number, 'Forwarded to A One', files.own],
        [laB.number, 'Deleted', files.otherLa],
      ],
    );
    // An LA user asking for every LA still gets its own.
    const own = await service().run(actorOf(officerA), { la: 'all' });
    assert.equal(own.allLas, false);
    assert.deepEqual(
      own.rows.map((r) => r.filename),
      [files.deleted, files.forwarded, files.own],
    );
  });

  test('the page and its CSV show the same rows', async () => {
    const t = await createTestApp(db);
    try {
      const { agent } = await signedInUser(t, 'la_user', { laNumber: laA.number });
      const form = await agent.get('/reports/deleted-ctfs');
      assert.equal(form.statusCode, 200);
      const page = await agent.get('/reports/deleted-ctfs?run=1');
      assert.equal(page.statusCode, 200);
      const cells = cellTexts(page.body);
      const rows = await downloadCsv(
        agent,
        '/reports/deleted-ctfs/csv?run=1',
        /attachment; filename="deleted-ctfs-all-to-2026-11-23\.csv"/,
      );
      assert.deepEqual(rows[0], [
        'Date deleted or forwarded',
        'Action',
        'File name',
        'From',
        'From number',
        'Intended school',
        'Intended school number',
        'Pupils',
        'By',
      ]);
      assert.equal(rows.length, 4);
      for (const row of rows.slice(1)) {
        const at = cells.indexOf(row[2] ?? '');
        assert.ok(at >= 0, `${row[2]} is in the table`);
        // The same cells, the date in each one's spelling ("10 November 2026 at 10:00am", "2026-11-10 10:00").
        assert.deepEqual(cells.slice(at - 2, at + 5).map(asCsvCell), [
          row[0],
          row[1],
          row[2],
          `${row[3]} (${row[4]})`,
          `${row[5]} (${row[6]})`,
          row[7],
          row[8],
        ]);
      }
      assert.equal(rows[1]?.[0], '2026-11-10 10:00');
      const refused = await agent.get('/reports/deleted-ctfs?run=1&to-day=1&to-year=2026');
      assert.equal(refused.statusCode, 400);
      assert.match(refused.body, /govuk-error-summary/);
      const csvRefused = await agent.get('/reports/deleted-ctfs/csv?to-day=1&to-year=2026');
      assert.equal(csvRefused.statusCode, 302);
    } finally {
      await t.app.close();
    }
  });
});
