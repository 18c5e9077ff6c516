import assert from 'node:assert/strict';
import { beforeEach, describe, test } from 'node:test';
import { deliverDue } from '../../src/notifications/delivery.ts';
import type { EmailContext } from '../../src/notifications/email.ts';
import { enqueueNotification } from '../../src/notifications/outbox.ts';
import {
  missingAddressesJob,
  reportMissingAddresses,
  sendWeeklyReminders,
  weeklyReminderJob,
} from '../../src/notifications/reminders.ts';
import { composeEmail } from '../../src/notifications/templates.ts';
import { ManualClock } from '../../src/platform/clock.ts';
import { londonDate, startOfLondonDay, weekOf } from '../../src/platform/dates.ts';
import type { Db, OutboxRow } from '../../src/platform/db/schema.ts';
import { textIn, writtenIn } from '../../src/platform/i18n/catalogue.ts';
import { Scheduler } from '../../src/platform/jobs/scheduler.ts';
import { createLogger } from '../../src/platform/logger.ts';
import type { Mailer } from '../../src/platform/mail/mailer.ts';
import { describeEachEngine } from '../support/databases.ts';
import { makeLa, makeSchool, makeUser } from '../support/factories.ts';
import {
  la,
  laInbox,
  makeFileStores,
  makeTransfer,
  school,
  type TransferSpec,
} from '../support/transfers.ts';

const EMAIL: EmailContext = {
  serviceName: 's2s',
  serviceUrl: 'https://s2s.example.gov.uk',
  serviceDesk: { email: 'desk@s2s.example.gov.uk', telephone: '0300 000 0000' },
};
const silent = createLogger('silent');
const HOUR_MS = 60 * 60 * 1000;

/** Monday 23 November 2026, 7am in London (GMT). */
const MONDAY_7AM = new Date('2026-11-23T07:00:00.000Z');
const hoursBefore = (at: Date, hours: number) => new Date(at.getTime() - hours * HOUR_MS).toISOString();

/** The jobs see every row of the database: each test starts from an empty outbox and no files. */
async function reset(db: Db): Promise<void> {
  await db.deleteFrom('notification_outbox').execute();
  await db.deleteFrom('job_runs').execute();
  await db.deleteFrom('transfer_pupils').execute();
  await db.deleteFrom('transfers').execute();
}

async function outbox(db: Db, template: string): Promise<OutboxRow[]> {
  return db
    .selectFrom('notification_outbox')
    .selectAll()
    .where('template', '=', template)
    .orderBy('recipient_kind')
    .orderBy('recipient')
    .execute();
}

describe('London weeks and days', () => {
  test('the week of an instant is its Monday in London, in winter and in summer', () => {
    assert.equal(weekOf(MONDAY_7AM), '2026-11-23');
    assert.equal(weekOf(new Date('2026-11-23T00:00:00.000Z')), '2026-11-23', 'Monday midnight (GMT)');
    assert.equal(weekOf(new Date('2026-11-22T23:59:59.000Z')), '2026-11-16', 'Sunday night (GMT)');
    assert.equal(weekOf(new Date('2026-11-29T23:30:00.000Z')), '2026-11-23', 'the Sunday after');
    assert.equal(weekOf(new Date('2027-06-07T06:00:00.000Z')), '2027-06-07', 'Monday 7am (BST)');
    assert.equal(weekOf(new Date('2027-06-06T23:30:00.000Z')), '2027-06-07', 'Monday 00:30 (BST)');
    assert.equal(weekOf(new Date('2027-03-28T12:00:00.000Z')), '2027-03-22', 'the Sunday clocks go forward');
  });

  test('a London day starts at midnight GMT in winter and 11pm UTC the day before in summer', () => {
    assert.equal(londonDate(new Date('2027-06-06T23:30:00.000Z')), '2027-06-07');
    assert.equal(startOfLondonDay('2026-11-23').toISOString(), '2026-11-23T00:00:00.000Z');
    assert.equal(startOfLondonDay('2027-06-07').toISOString(), '2027-06-06T23:00:00.000Z');
    // The days the clocks change start before the change.
    assert.equal(startOfLondonDay('2027-03-28').toISOString(), '2027-03-28T00:00:00.000Z');
    assert.equal(startOfLondonDay('2027-03-29').toISOString(), '2027-03-28T23:00:00.000Z');
    assert.equal(startOfLondonDay('2026-10-25').toISOString(), '2026-10-24T23:00:00.000Z');
    assert.equal(startOfLondonDay('2026-10-26').toISOString(), '2026-10-26T00:00:00.000Z');
  });
});

describeEachEngine('weekly reminder', (database) => {
  const { files } = makeFileStores();
  beforeEach(async () => reset(database().db));

  test('each school gets its waiting files; each LA those at itself, its inboxes and its schools', async () => {
    const { db } = database();
    const home = await makeLa(db, { name: 'Ashire' });
    const away = await makeLa(db, { name: 'Bshire' });
    const quiet = await makeLa(db, { name: 'Cshire' });
    const a1 = await makeSchool(db, home.number, { name: 'Alder Primary' });
    const a2 = await makeSchool(db, home.number, { name: 'Beech Primary' });
    const a3 = await makeSchool(db, home.number, { name: 'Cedar Primary' });
    const b1 = await makeSchool(db, away.number, { name: 'Birch Academy' });
    const c1 = await makeSchool(db, quiet.number, { name: 'Damson Primary' });
    const old = hoursBefore(MONDAY_7AM, 24 * 3);
    const send = async (spec: Partial<TransferSpec> & Pick<TransferSpec, 'to'>) =>
      (await makeTransfer(db, files, { from: school(b1.number), uploadedAt: old, ...spec })).row;

    const toA1 = await send({ to: school(a1.number) });
    const genericToA1 = await send({
      to: school(a1.number),
      category: 'generic',
      uploadedAt: hoursBefore(MONDAY_7AM, 71),
    });
    const toA2 = await send({ to: school(a2.number), uploadedAt: hoursBefore(MONDAY_7AM, 25) });
    const toHomeLa = await send({ to: la(home.number), uploadedAt: hoursBefore(MONDAY_7AM, 70) });
    const toPlas = await send({
      from: school(a1.number),
      to: laInbox(home.number, 'PLAS'),
      category: 'plasc',
      uploadedAt: hoursBefore(MONDAY_7AM, 69),
    });
    const toAdms = await send({
      from: school(a1.number),
      to: laInbox(home.number, 'ADMS'),
      category: 'admissions',
      uploadedAt: hoursBefore(MONDAY_7AM, 68),
    });
    const toB1 = await send({ from: school(a1.number), to: school(b1.number) });
    // Not waiting, or not yet a day: never listed.
    await send({ to: school(a2.number), overrides: { status: 'collected' } });
    await send({ to: school(a2.number), overrides: { status: 'rejected' } });
    await send({ to: school(a2.number), overrides: { status: 'removed' } });
    await send({ to: school(a2.number), uploadedAt: hoursBefore(MONDAY_7AM, 23) });
    await send({ to: school(a3.number), uploadedAt: hoursBefore(MONDAY_7AM, 24) });
    await send({ from: school(c1.number), to: school(b1.number), overrides: { status: 'collected' } });
    // A lost pupil's file waits in the Lost Pupils Database: nobody downloads it.
    await send({
      from: school(a1.number),
      to: school(a1.number),
      overrides: {
        dest_kind: 'lost-pupils',
        dest_la: null,
        dest_school: null,
        lost_reason: 'destination-unknown',
      },
    });

    const result = await sendWeeklyReminders(db, MONDAY_7AM);
    assert.deepEqual(result, { schools: 3, las: 2, files: 7, alreadyReminded: 0 });

    const rows = await outbox(db, 'weekly-reminder');
    const sent = rows.map((row) => {
      const payload = writtenIn('en', JSON.parse(row.payload)) as {
        recipientName: string;
        path: string;
        files: { filename: string }[];
      };
      return {
        to: `${row.recipient_kind} ${row.recipient}`,
        key: row.dedupe_key,
        name: payload.recipientName,
        path: payload.path,
        files: payload.files.map((f) => f.filename),
      };
    });
    assert.deepEqual(sent, [
      {
        to: `la ${home.number}`,
        key: `weekly-reminder:2026-11-23:la:${home.number}`,
        name: 'Ashire LA',
        path: '/',
        // Oldest first; a2's file came a day later.
        files: [toA1, genericToA1, toHomeLa, toPlas, toAdms, toA2].map((f) => f.filename),
      },
      {
        to: `la ${away.number}`,
        key: `weekly-reminder:2026-11-23:la:${away.number}`,
        name: 'Bshire LA',
        path: '/download/ctf/uncollected',
        files: [toB1.filename],
      },
      {
        to: `school ${a1.number}`,
        key: `weekly-reminder:2026-11-23:school:${a1.number}`,
        name: 'Alder Primary',
        path: '/',
        files: [toA1.filename, genericToA1.filename],
      },
      {
        to: `school ${a2.number}`,
        key: `weekly-reminder:2026-11-23:school:${a2.number}`,
        name: 'Beech Primary',
        path: '/download/ctf',
        files: [toA2.filename],
      },
      {
        to: `school ${b1.number}`,
        key: `weekly-reminder:2026-11-23:school:${b1.number}`,
        name: 'Birch Academy',
        path: '/download/ctf',
        files: [toB1.filename],
      },
    ]);

    const laPayload = writtenIn('en', JSON.parse(rows[0]?.payload ?? '{}')) as {
      files: Record<string, string>[];
    };
    assert.deepEqual(laPayload.files[0], {
      filename: toA1.filename,
      kind: 'CTF',
      from: 'Birch Academy',
      fromCode: b1.number,
      to: 'Alder Primary',
      toCode: a1.number,
      uploadedAt: old,
    });
    assert.deepEqual(
      laPayload.files.slice(1, 5).map((f) => [f.kind, f.to, f.toCode]),
      [
        ['Generic', 'Alder Primary', a1.number],
        ['CTF', 'Ashire LA', `${home.number}LLLL`],
        ['PLASC', 'Ashire PLASC inbox', `${home.number}PLAS`],
        ['Admissions', 'Ashire admissions inbox', `${home.number}ADMS`],
      ],
    );
    for (const row of rows) {
      assert.doesNotMatch(row.payload, /Surname|Alex|2015-09-01/, 'no pupil data');
      assert.equal(row.status, 'pending');
      // Every payload fits its template: the email can be written.
      const email = composeEmail(row.template, row.payload, EMAIL);
      assert.match(email.subject, /^Weekly reminder: \d+ files? not downloaded yet$/);
    }
    // The LA's name is s2s's words around the directory's: in Welsh for a Welsh reader.
    const welsh = composeEmail('weekly-reminder', rows[0]?.payload ?? '', EMAIL, 'cy');
    assert.match(welsh.html, /Blwch derbyn PLASC Ashire/);
    assert.match(welsh.html, /Awdurdod lleol Ashire/);
    assert.doesNotMatch(welsh.html, /Ashire (LA|PLASC inbox)/);
  });

  test('a file downloaded but not yet confirmed is still reminded of, apart: never under "Files not downloaded"', async () => {
    const { db } = database();
    const home = await makeLa(db, { name: 'Ashire' });
    const a1 = await makeSchool(db, home.number, { name: 'Alder Primary' });
    const sender = await makeSchool(db, (await makeLa(db)).number, { name: 'Birch Academy' });
    const send = async (uploadedAt: string, overrides: TransferSpec['overrides'] = {}) =>
      (
        await makeTransfer(db, files, {
          from: school(sender.number),
          to: school(a1.number),
          uploadedAt,
          overrides,
        })
      ).row;
    const downloadedAt = hoursBefore(MONDAY_7AM, 50);
    // Uploaded first, downloaded, but "Was the file downloaded correctly?" not answered Yes.
    const downloaded = await send(hoursBefore(MONDAY_7AM, 72), {
      first_downloaded_at: downloadedAt,
      last_downloaded_at: downloadedAt,
    });
    const notDownloaded = await send(hoursBefore(MONDAY_7AM, 60));
    // Answered Yes: collected, never reminded of.
    await send(hoursBefore(MONDAY_7AM, 80), {
      status: 'collected',
      last_downloaded_at: downloadedAt,
      collected_at: downloadedAt,
    });

    assert.deepEqual(await sendWeeklyReminders(db, MONDAY_7AM), {
      schools: 1,
      las: 1,
      files: 2,
      alreadyReminded: 0,
    });
    const rows = await outbox(db, 'weekly-reminder');
    assert.deepEqual(
      rows.map((row) => `${row.recipient_kind} ${row.recipient}`),
      [`la ${home.number}`, `school ${a1.number}`],
    );
    for (const row of rows) {
      const payload = JSON.parse(row.payload) as {
        files: { filename: string; downloadedAt?: string }[];
        total: number;
        unconfirmed: number;
      };
      // Those not downloaded first, whatever their upload; the downloaded one says when.
      assert.deepEqual(
        payload.files.map((f) => [f.filename, f.downloadedAt]),
        [
          [notDownloaded.filename, undefined],
          [downloaded.filename, downloadedAt],
        ],
      );
      assert.deepEqual([payload.total, payload.unconfirmed], [2, 1]);
      const email = composeEmail(row.template, row.payload, EMAIL);
      assert.equal(email.subject, 'Weekly reminder: 2 files not yet downloaded or confirmed');
      const [notDownloadedList, unconfirmedList] = email.text
        .replace(/\s+/g, ' ')
        .split('Files downloaded but not confirmed');
      assert.match(
        notDownloadedList ?? '',
        /1 file sent to Alder Primary \(\d{7}\) has not been downloaded yet/,
      );
      assert.ok(notDownloadedList?.includes(notDownloaded.filename));
      assert.ok(!notDownloadedList?.includes(downloaded.filename), 'not listed as not downloaded');
      assert.ok(unconfirmedList?.includes(downloaded.filename));
      assert.match(unconfirmedList ?? '', /Downloaded: 21 November 2026/);
    }
  });

  test('a long list: the payload holds the first 50 files and the total, not every file', async () => {
    const { db } = database();
    const busy = await makeLa(db, { name: 'Busyshire' });
    const target = await makeSchool(db, busy.number, { name: 'Popular Primary' });
    const sender = await makeSchool(db, (await makeLa(db)).number);
    for (let i = 0; i < 52; i += 1) {
      await makeTransfer(db, files, {
        from: school(sender.number),
        to: school(target.number),
        uploadedAt: hoursBefore(MONDAY_7AM, 48 + i),
      });
    }
    await sendWeeklyReminders(db, MONDAY_7AM);
    const row = (await outbox(db, 'weekly-reminder')).find(
      (r) => r.recipient_kind === 'school' && r.recipient === target.number,
    );
    const payload = JSON.parse(row?.payload ?? '{}') as { files: unknown[]; total: number };
    assert.equal(payload.files.length, 50);
    assert.equal(payload.total, 52);
  });

  test('with nothing waiting for a day, nothing is written', async () => {
    const { db } = database();
    const here = await makeSchool(db, (await makeLa(db)).number);
    const there = await makeSchool(db, (await makeLa(db)).number);
    await makeTransfer(db, files, {
      from: school(there.number),
      to: school(here.number),
      uploadedAt: hoursBefore(MONDAY_7AM, 2),
    });
    assert.deepEqual(await sendWeeklyReminders(db, MONDAY_7AM), {
      schools: 0,
      las: 0,
      files: 0,
      alreadyReminded: 0,
    });
    assert.equal((await outbox(db, 'weekly-reminder')).length, 0);
  });

  test('on its schedule, once a week: a second run that week writes nothing, the next week writes again', async () => {
    const { db } = database();
    const theLa = await makeLa(db);
    const here = await makeSchool(db, theLa.number);
    const there = await makeSchool(db, (await makeLa(db)).number);
    await makeTransfer(db, files, {
      from: school(there.number),
      to: school(here.number),
      uploadedAt: hoursBefore(MONDAY_7AM, 72),
    });
    const clock = new ManualClock(new Date(MONDAY_7AM.getTime() - 60_000));
    const scheduler = new Scheduler({ db, clock, logger: silent }, [weeklyReminderJob({ db })]);

    assert.deepEqual(await scheduler.tick(), [], 'not before 7am on Monday');
    clock.advanceMinutes(1);
    const [run, ...others] = await scheduler.tick();
    assert.equal(others.length, 0);
    assert.equal(run?.status, 'succeeded');
    assert.equal(run?.slot, MONDAY_7AM.toISOString());
    assert.equal(run?.summary, 'Reminded 1 school and 1 LA about 1 file not downloaded.');
    assert.equal((await outbox(db, 'weekly-reminder')).length, 2);

    clock.advanceMinutes(5);
    assert.deepEqual(await scheduler.tick(), [], 'the same scheduled time runs once');

    // A manual run later in the week, and one late on Sunday: the same week, nothing new.
    clock.advanceMinutes(2 * 24 * 60);
    const manual = await scheduler.runNow('weekly-reminder');
    assert.equal(manual.status, 'succeeded');
    assert.equal(
      manual.summary,
      'Reminded 0 schools and 0 LAs about 0 files not downloaded. 2 reminders for this week had been written already.',
    );
    assert.deepEqual(await sendWeeklyReminders(db, new Date('2026-11-29T23:30:00.000Z')), {
      schools: 0,
      las: 0,
      files: 0,
      alreadyReminded: 2,
    });
    assert.equal((await outbox(db, 'weekly-reminder')).length, 2);

    // The next Monday: reminded again, under that week's keys.
    const nextMonday = new Date('2026-11-30T07:00:00.000Z');
    clock.advanceMinutes((nextMonday.getTime() - clock.now().getTime()) / 60_000);
    const [next] = await scheduler.tick();
    assert.equal(next?.slot, nextMonday.toISOString());
    assert.equal(next?.summary, 'Reminded 1 school and 1 LA about 1 file not downloaded.');
    assert.deepEqual((await outbox(db, 'weekly-reminder')).map((row) => row.dedupe_key).sort(), [
      `weekly-reminder:2026-11-23:la:${theLa.number}`,
      `weekly-reminder:2026-11-23:school:${here.number}`,
      `weekly-reminder:2026-11-30:la:${theLa.number}`,
      `weekly-reminder:2026-11-30:school:${here.number}`,
    ]);
  });

  test('in summer the reminder is at 7am London time, 6am UTC', async () => {
    const { db } = database();
    const clock = new ManualClock('2027-06-07T05:59:00.000Z');
    const scheduler = new Scheduler({ db, clock, logger: silent }, [weeklyReminderJob({ db })]);
    assert.equal(
      scheduler.nextRun('weekly-reminder', clock.now())?.toISOString(),
      '2027-06-07T06:00:00.000Z',
    );
  });
});

describeEachEngine('missing addresses', (database) => {
  beforeEach(async () => reset(database().db));

  const mailer: Mailer = {
    description: 'a test mailer',
    send: async () => ({ response: '250 OK' }),
    close: () => {},
  };

  /** Writes a notification at `at` and sends it then: no-address when the recipient has none. */
  async function notifyAndDeliver(
    db: Db,
    at: string,
    recipients: { kind: 'school' | 'la' | 'user'; id: string; template?: string }[],
  ): Promise<void> {
    for (const r of recipients) {
      await enqueueNotification(db, {
        at: new Date(at),
        template: r.template ?? 'new-message',
        recipientKind: r.kind,
        recipient: r.id,
        payload:
          r.template === 'addresses-missing'
            ? {
                laName: 'Testshire',
                organisations: [{ code: '9165402', name: 'A school', notifications: 1 }],
              }
            : { fromName: 'Testshire LA', sentAt: at },
      });
    }
    await deliverDue({
      db,
      mailer,
      clock: new ManualClock(new Date(Date.parse(at) + 1000)),
      logger: silent,
      email: EMAIL,
      owner: 'test',
    });
  }

  test('each LA is told which of its organisations missed emails the day before, and how many', async () => {
    const { db } = database();
    const home = await makeLa(db, { name: 'Ashire', email: null });
    const away = await makeLa(db, { name: 'Bshire' });
    const a1 = await makeSchool(db, home.number, { name: 'Alder Primary', email: null });
    const a2 = await makeSchool(db, home.number, { name: 'Beech Primary', email: null });
    const a3 = await makeSchool(db, home.number, { name: 'Cedar Primary' });
    const a4 = await makeSchool(db, home.number, { name: 'Damson Primary', email: null });
    const b1 = await makeSchool(db, away.number, { name: 'Birch Academy', email: '' });
    const b2 = await makeSchool(db, away.number, { name: 'Elm Academy', email: null });
    const a1User = await makeUser(db, 'school', { laNumber: home.number, establishmentNumber: a1.number });
    const laUser = await makeUser(db, 'la_user', { laNumber: home.number });
    const a3User = await makeUser(db, 'school', { establishmentNumber: a3.number });
    const gone = await makeUser(
      db,
      'school',
      { establishmentNumber: a2.number },
      { deleted_at: '2026-11-01T00:00:00.000Z' },
    );

    // Two days before: another day's report.
    await notifyAndDeliver(db, '2026-11-21T12:00:00.000Z', [{ kind: 'school', id: b2.number }]);
    // The day before (Sunday 22nd, London).
    await notifyAndDeliver(db, '2026-11-22T10:00:00.000Z', [
      { kind: 'school', id: a1.number },
      { kind: 'school', id: a1.number },
      { kind: 'user', id: a1User.id },
      { kind: 'school', id: a2.number },
      { kind: 'school', id: a3.number }, // has an address: sent
      { kind: 'user', id: a3User.id }, // the school's address: sent
      { kind: 'user', id: gone.id }, // no longer a user: not an address to add
      { kind: 'la', id: home.number },
      { kind: 'user', id: laUser.id },
      { kind: 'la', id: home.number, template: 'addresses-missing' }, // the report itself: not counted
      { kind: 'school', id: b1.number },
    ]);
    // Today, before the report: tomorrow's.
    await notifyAndDeliver(db, '2026-11-23T07:00:00.000Z', [{ kind: 'school', id: b2.number }]);
    assert.equal(
      (await db.selectFrom('notification_outbox').select('id').where('status', '=', 'sent').execute()).length,
      2,
    );

    const job = missingAddressesJob({ db });
    const outcome = await job.run({
      now: new Date('2026-11-23T07:30:00.000Z'),
      trigger: 'schedule',
      logger: silent,
      signal: new AbortController().signal,
    });
    assert.equal(outcome.ok, true);
    assert.equal(
      textIn('en', outcome.summary),
      'Told 2 LAs about 4 organisations with no email address (7 emails not sent).',
    );
    assert.equal(
      textIn('cy', outcome.summary),
      'Rhoddwyd gwybod i 2 awdurdod lleol am 4 sefydliad heb gyfeiriad e-bost (7 neges e-bost heb eu hanfon).',
    );

    const reports = await outbox(db, 'addresses-missing').then((rows) =>
      rows.filter((r) => r.status === 'pending'),
    );
    assert.deepEqual(
      reports.map((row) => ({
        to: `${row.recipient_kind} ${row.recipient}`,
        key: row.dedupe_key,
        payload: writtenIn('en', JSON.parse(row.payload)),
      })),
      [
        {
          to: `la ${home.number}`,
          key: `addresses-missing:2026-11-23:${home.number}`,
          payload: {
            laName: 'Ashire',
            organisations: [
              { code: `${home.number}LLLL`, name: 'Ashire LA', notifications: 2 },
              { code: a1.number, name: 'Alder Primary', notifications: 3 },
              { code: a2.number, name: 'Beech Primary', notifications: 1 },
            ],
          },
        },
        {
          to: `la ${away.number}`,
          key: `addresses-missing:2026-11-23:${away.number}`,
          payload: {
            laName: 'Bshire',
            organisations: [{ code: b1.number, name: 'Birch Academy', notifications: 1 }],
          },
        },
      ],
    );
    assert.ok(
      !JSON.stringify(reports).includes(a4.number),
      'an organisation that missed nothing is not listed',
    );
    for (const row of reports) composeEmail(row.template, row.payload, EMAIL);

    // Again the same day: nothing new.
    assert.deepEqual(await reportMissingAddresses(db, new Date('2026-11-23T15:00:00.000Z')), {
      las: 0,
      organisations: 0,
      notifications: 0,
      alreadyReported: 2,
    });
    // The next day reports the 23rd: b2's email of this morning (the reports are still pending).
    const tomorrow = await reportMissingAddresses(db, new Date('2026-11-24T07:30:00.000Z'));
    assert.deepEqual(tomorrow, { las: 1, organisations: 1, notifications: 1, alreadyReported: 0 });
  });

  test('an organisation given an address since is not listed', async () => {
    const { db } = database();
    const theLa = await makeLa(db);
    const fixed = await makeSchool(db, theLa.number, { email: null });
    await notifyAndDeliver(db, '2026-11-22T10:00:00.000Z', [{ kind: 'school', id: fixed.number }]);
    await db
      .updateTable('establishments')
      .set({ email: 'office@fixed.example.sch.uk' })
      .where('number', '=', fixed.number)
      .execute();
    assert.equal((await reportMissingAddresses(db, new Date('2026-11-23T07:30:00.000Z'))).las, 0);
    assert.equal((await outbox(db, 'addresses-missing')).length, 0);
  });
});
