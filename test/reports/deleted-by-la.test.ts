// School Report: a CTF an LA deleted (Delete files not collected by schools) reads "Deleted by LA on"
// the date, as the Delete CTF files Audit Trail calls it, not "Removed" as a sender's own removal (View /
// Remove Files) reads. The removals are made through the real services.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Clock } from '../../src/platform/clock.ts';
import type { Db, EstablishmentRow, LocalAuthorityRow } from '../../src/platform/db/schema.ts';
import { createLogger } from '../../src/platform/logger.ts';
import {
  FileMovementReportService,
  movementCells,
  reportDateTime,
} from '../../src/reports/file-movement-service.ts';
import { LaMonitorService } from '../../src/transfers/la-monitor-service.ts';
import { SentService } from '../../src/transfers/sent-service.ts';
import { describeEachEngine } from '../support/databases.ts';
import { makeLa, makeSchool, makeUser } from '../support/factories.ts';
import { downloadCsv } from '../support/reports.ts';
import {
  actorOf,
  la as laParty,
  makeTransfer,
  type Sender,
  school as schoolParty,
} from '../support/transfers.ts';
import { createTestApp, signedInUser, type TestApp } from '../support/web.ts';

describeEachEngine('School Report: a CTF deleted by the LA', (database) => {
  let t: TestApp;
  let db: Db;
  let ashire: LocalAuthorityRow;
  let sender: EstablishmentRow;
  let destination: EstablishmentRow;
  const names: Record<string, string> = {};
  let now = '2026-11-01T10:00:00.000Z';
  const clock: Clock = { now: () => new Date(now) };
  const reportClock: Clock = { now: () => new Date('2026-11-23T12:00:00.000Z') };

  before(async () => {
    db = database().db;
    t = await createTestApp(db);
    ashire = await makeLa(db, { name: 'Ashire' });
    sender = await makeSchool(db, ashire.number, { name: 'Sender Primary' });
    destination = await makeSchool(db, ashire.number, { name: 'Dest Primary' });
    const deps = { db, files: t.deps.files, clock, logger: createLogger('silent') };
    const officer = actorOf(await makeUser(db, 'la_user', { laNumber: ashire.number }));
    const head = actorOf(
      await makeUser(db, 'school', { laNumber: ashire.number, establishmentNumber: sender.number }),
    );
    const send = async (name: string, from: Sender, uploadedAt: string) => {
      const { row } = await makeTransfer(db, t.deps.files, {
        from,
        to: schoolParty(destination.number),
        uploadedAt,
      });
      names[name] = row.filename;
      return row.id;
    };
    const deleted = await send('deleted', schoolParty(sender.number), '2026-11-01T10:00:00.000Z');
    const withdrawn = await send('withdrawn', schoolParty(sender.number), '2026-11-02T10:00:00.000Z');
    const lasOwn = await send('lasOwn', laParty(ashire.number), '2026-11-03T10:00:00.000Z');
    // The LA deletes one of the school's files and its own from Delete files not collected by schools;
    // the school removes the other it sent in error.
    now = '2026-11-05T09:00:00.000Z';
    await new LaMonitorService(deps).remove(officer, deleted);
    now = '2026-11-06T09:30:00.000Z';
    await new SentService(deps).remove(head, withdrawn);
    now = '2026-11-07T14:15:00.000Z';
    await new LaMonitorService(deps).remove(officer, lasOwn);
  });

  after(async () => {
    await t.app.close();
  });

  const statuses = async (
    actor: Parameters<FileMovementReportService['page']>[0],
    language: 'en' | 'cy' = 'en',
  ) => {
    const report = await new FileMovementReportService({ db, clock: reportClock }).page(actor, 'ctf', {});
    return report.rows.map((row) => {
      const cells = movementCells('ctf', report.scope, row, (v) => reportDateTime(v, language), language);
      return [cells[0], cells.at(-2)];
    });
  };

  test('the sending school, the destination and the LA each see who removed each file', async () => {
    const asSchool = async (school: EstablishmentRow) =>
      actorOf(await makeUser(db, 'school', { laNumber: ashire.number, establishmentNumber: school.number }));
    // Newest first.
    assert.deepEqual(await statuses(await asSchool(sender)), [
      [names.withdrawn, 'Removed'],
      [names.deleted, 'Deleted by LA on 5 Nov 2026 09:00'],
    ]);
    const everyFile = [
      [names.lasOwn, 'Deleted by LA on 7 Nov 2026 14:15'],
      [names.withdrawn, 'Removed'],
      [names.deleted, 'Deleted by LA on 5 Nov 2026 09:00'],
    ];
    assert.deepEqual(await statuses(await asSchool(destination)), everyFile);
    const officer = actorOf(await makeUser(db, 'la_user', { laNumber: ashire.number }));
    assert.deepEqual(await statuses(officer), everyFile);
    assert.deepEqual(await statuses(officer, 'cy'), [
      [names.lasOwn, 'Dilëwyd gan yr awdurdod lleol ar 7 Tach 2026 14:15'],
      [names.withdrawn, 'Wedi’i thynnu'],
      [names.deleted, 'Dilëwyd gan yr awdurdod lleol ar 5 Tach 2026 09:00'],
    ]);
  });

  test('the CSV says the same, with the date for spreadsheets', async () => {
    const { agent } = await signedInUser(t, 'la_user', { laNumber: ashire.number });
    const rows = await downloadCsv(agent, '/reports/school/csv?run=1', /school-report-/);
    const status = rows[0]?.indexOf('Status') ?? -1;
    assert.deepEqual(
      rows.slice(1).map((row) => [row[0], row[status]]),
      [
        [names.lasOwn, 'Deleted by LA on 2026-11-07 14:15'],
        [names.withdrawn, 'Removed'],
        [names.deleted, 'Deleted by LA on 2026-11-05 09:00'],
      ],
    );
  });
});
