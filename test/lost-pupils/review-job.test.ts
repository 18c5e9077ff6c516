// The monthly review job: one email per LA per month with records that fell due, none on a second run,
// and never a change to a record.
import assert from 'node:assert/strict';
import { beforeEach, describe, test } from 'node:test';
import {
  lostPupilReviewJob,
  REVIEW_JOB_NAME,
  reviewPeriod,
  sendReviewNotices,
} from '../../src/lost-pupils/review-job.ts';
import { composeEmail } from '../../src/notifications/templates.ts';
import { ManualClock } from '../../src/platform/clock.ts';
import type { Db, OutboxRow } from '../../src/platform/db/schema.ts';
import { textIn } from '../../src/platform/i18n/catalogue.ts';
import { Scheduler, summaryOf } from '../../src/platform/jobs/scheduler.ts';
import { createLogger } from '../../src/platform/logger.ts';
import { describeEachEngine } from '../support/databases.ts';
import { makeLa, makeSchool } from '../support/factories.ts';
import { makeFileStores } from '../support/transfers.ts';
import { LEAVES_2027, LEFT_2025, LEFT_2026, lostPupil, makeLostPupil } from './review-fixtures.ts';

const silent = createLogger('silent');
/** Thursday 1 July 2027, 6am in London (BST): the run that reviews June 2027. */
const JULY_RUN = new Date('2027-07-01T05:00:00.000Z');
/** Sunday 1 August 2027, 6am in London: the run that reviews July 2027. */
const AUGUST_RUN = new Date('2027-08-01T05:00:00.000Z');

describe('the month a run reviews', () => {
  test('is the London month before the run, with the instants its days start', () => {
    assert.deepEqual(reviewPeriod(JULY_RUN), {
      month: '2027-06',
      label: 'June 2027',
      window: {
        fromDate: '2027-06-01',
        fromInstant: '2027-05-31T23:00:00.000Z',
        toDate: '2027-07-01',
        toInstant: '2027-06-30T23:00:00.000Z',
      },
    });
    // January reviews December; a run at 00:30 on 1 July in London (23:30 UTC on 30 June) is July's.
    assert.equal(reviewPeriod(new Date('2027-01-01T06:00:00.000Z')).label, 'December 2026');
    assert.equal(reviewPeriod(new Date('2027-06-30T23:30:00.000Z')).month, '2027-06');
    assert.equal(reviewPeriod(new Date('2027-06-30T22:30:00.000Z')).month, '2027-05');
    assert.equal(
      reviewPeriod(new Date('2027-03-15T12:00:00.000Z')).window.toInstant,
      '2027-03-01T00:00:00.000Z',
    );
  });
});

describeEachEngine('the lost pupil review job', (database) => {
  const { files } = makeFileStores();

  /** The job sees every LA's records: each test starts from an empty database of lost pupils. */
  beforeEach(async () => {
    const { db } = database();
    await db.deleteFrom('notification_outbox').execute();
    await db.deleteFrom('job_runs').execute();
    await db.deleteFrom('lost_pupil_keys').execute();
    await db.deleteFrom('lost_pupils').execute();
  });

  async function outbox(db: Db): Promise<OutboxRow[]> {
    return db
      .selectFrom('notification_outbox')
      .selectAll()
      .where('template', '=', 'lost-pupils-to-review')
      .orderBy('recipient')
      .orderBy('dedupe_key')
      .execute();
  }

  test('one email to each LA with records that fell due in the month, none to the others; a second run writes none', async () => {
    const { db } = database();
    const north = await makeLa(db, { name: 'Northshire' });
    const south = await makeLa(db, { name: 'Southshire' });
    const quiet = await makeLa(db, { name: 'Quietshire' });
    const school = await makeSchool(db, north.number);
    const n = north.number;
    // Fell due in June 2027: left school on 25 June 2027; and one uploaded in June for a pupil long gone.
    const leftInJune = await makeLostPupil(db, files, {
      laNumber: n,
      school: school.number,
      dateOfBirth: LEAVES_2027,
    });
    const lateUpload = await makeLostPupil(db, files, {
      laNumber: n,
      dateOfBirth: LEFT_2025,
      uploadedAt: '2027-06-10T09:00:00.000Z',
    });
    // Due before June (counted in the total, not as new), or not in June at all.
    const dueEarlier = await makeLostPupil(db, files, {
      laNumber: n,
      school: school.number,
      dateOfBirth: LEFT_2026,
    });
    // Uploaded at 00:30 on 1 July in London: it falls due in July.
    const uploadedInJuly = await makeLostPupil(db, files, {
      laNumber: n,
      dateOfBirth: LEAVES_2027,
      uploadedAt: '2027-06-30T23:30:00.000Z',
    });
    const removed = await makeLostPupil(db, files, { laNumber: n, dateOfBirth: LEAVES_2027 });
    await db.updateTable('lost_pupils').set({ status: 'removed' }).where('id', '=', removed.id).execute();
    const found = await makeLostPupil(db, files, { laNumber: n, dateOfBirth: LEAVES_2027 });
    await db.updateTable('lost_pupils').set({ status: 'found' }).where('id', '=', found.id).execute();
    await makeLostPupil(db, files, {
      laNumber: n,
      dateOfBirth: null,
      uploadedAt: '2027-06-10T09:00:00.000Z',
    });
    await makeLostPupil(db, files, { laNumber: south.number, dateOfBirth: LEAVES_2027 });
    await makeLostPupil(db, files, { laNumber: quiet.number, dateOfBirth: LEFT_2026 });

    const first = await sendReviewNotices(db, JULY_RUN);
    assert.deepEqual(first, { las: 2, records: 4, alreadyNotified: 0 });
    const rows = await outbox(db);
    assert.deepEqual(
      rows.map((row) => [row.recipient_kind, row.recipient, row.dedupe_key, row.status]),
      [
        ['la', n, `lost-pupils-to-review:2027-06:${n}`, 'pending'],
        ['la', south.number, `lost-pupils-to-review:2027-06:${south.number}`, 'pending'],
      ],
    );
    // North: left in June, the late upload and the found one are new; with the one due earlier and the
    // one uploaded on 1 July (due today too), five wait.
    assert.deepEqual(JSON.parse(rows[0]?.payload ?? '{}'), {
      laName: 'Northshire',
      count: 3,
      total: 5,
      period: 'June 2027',
      path: '/lost-pupils/review',
    });
    assert.deepEqual(JSON.parse(rows[1]?.payload ?? '{}'), {
      laName: 'Southshire',
      count: 1,
      total: 1,
      period: 'June 2027',
      path: '/lost-pupils/review',
    });
    // The email holds no pupil data.
    const email = composeEmail('lost-pupils-to-review', rows[0]?.payload ?? '', {
      serviceName: 's2s',
      serviceUrl: 'https://s2s.example.gov.uk',
      serviceDesk: { email: 'desk@s2s.example.gov.uk', telephone: '0300 000 0000' },
    });
    for (const record of [leftInJune, lateUpload, dueEarlier, uploadedInJuly, found]) {
      for (const secret of [record.surname, record.forename, record.upn]) {
        assert.ok(!`${email.subject}${email.text}${email.html}${rows[0]?.payload}`.includes(secret), secret);
      }
    }
    assert.match(email.subject, /3 records past school-leaving age to review in Northshire/);

    // Again, later in July: nothing new.
    assert.deepEqual(await sendReviewNotices(db, new Date('2027-07-20T12:00:00.000Z')), {
      las: 0,
      records: 0,
      alreadyNotified: 2,
    });
    assert.equal((await outbox(db)).length, 2);

    // August reviews July: only North's record uploaded on 1 July.
    assert.deepEqual(await sendReviewNotices(db, AUGUST_RUN), { las: 1, records: 1, alreadyNotified: 0 });
    const august = (await outbox(db)).filter((row) => row.dedupe_key?.includes(':2027-07:'));
    assert.deepEqual(
      august.map((row) => [row.recipient, JSON.parse(row.payload).count, JSON.parse(row.payload).period]),
      [[n, 1, 'July 2027']],
    );

    // It never changes a record or a file.
    for (const record of [leftInJune, lateUpload, dueEarlier, uploadedInJuly]) {
      assert.equal((await lostPupil(db, record.id)).status, 'lost');
    }
    assert.equal((await lostPupil(db, found.id)).status, 'found');
    const held = await db
      .selectFrom('transfers')
      .select('id')
      .where('dest_kind', '=', 'lost-pupils')
      .where('storage_key', 'is', null)
      .execute();
    assert.deepEqual(held, [], 'no content deleted');
  });

  test('on its schedule, the 1st of the month at 6am, once; a run by hand that month writes nothing more', async () => {
    const { db } = database();
    const la = await makeLa(db, { name: 'Eastshire' });
    await makeLostPupil(db, files, { laNumber: la.number, dateOfBirth: LEAVES_2027 });
    const job = lostPupilReviewJob({ db });
    assert.equal(job.name, REVIEW_JOB_NAME);
    assert.equal(job.exclusive, true);
    const clock = new ManualClock(new Date(JULY_RUN.getTime() - 60_000));
    const scheduler = new Scheduler({ db, clock, logger: silent }, [job]);

    // Before 6am on the 1st, the run of 1 June, never made, is caught up: May had nothing due.
    const [juneRun, ...more] = await scheduler.tick();
    assert.equal(more.length, 0);
    assert.equal(juneRun?.slot, '2027-06-01T05:00:00.000Z');
    assert.equal(
      juneRun?.summary,
      'Told 0 LAs about 0 lost pupil records past school-leaving age in May 2027.',
    );
    assert.equal((await outbox(db)).length, 0);
    clock.advanceMinutes(1);
    const [run, ...others] = await scheduler.tick();
    assert.equal(others.length, 0);
    assert.equal(run?.status, 'succeeded');
    assert.equal(run?.slot, JULY_RUN.toISOString());
    assert.equal(run?.summary, 'Told 1 LA about 1 lost pupil record past school-leaving age in June 2027.');
    assert.equal((await outbox(db)).length, 1);

    clock.advanceMinutes(5);
    assert.deepEqual(await scheduler.tick(), [], 'the same scheduled time runs once');
    const manual = await scheduler.runNow(REVIEW_JOB_NAME);
    assert.equal(
      manual.summary,
      'Told 0 LAs about 0 lost pupil records past school-leaving age in June 2027. 1 LA had been told about the month already.',
    );
    assert.equal(
      textIn('cy', summaryOf(manual) ?? ''),
      'Rhoddwyd gwybod i 0 awdurdod lleol am 0 cofnod disgybl coll wedi pasio oedran gadael ysgol am fis Mehefin 2027. Roedd 1 awdurdod lleol wedi cael gwybod am y mis eisoes.',
    );
    assert.equal((await outbox(db)).length, 1);
    assert.equal(scheduler.nextRun(REVIEW_JOB_NAME, clock.now())?.toISOString(), AUGUST_RUN.toISOString());
  });

  test('a service down over the 1st emails the month when it is back, however late in the month; once', async () => {
    const { db } = database();
    const la = await makeLa(db, { name: 'Eastshire' });
    await makeLostPupil(db, files, { laNumber: la.number, dateOfBirth: LEAVES_2027 });
    // Back on 30 July, a month less a day after the 1 July run it missed: no later run emails June.
    const clock = new ManualClock(new Date(AUGUST_RUN.getTime() - 2 * 24 * 3_600_000));
    const scheduler = new Scheduler({ db, clock, logger: silent }, [lostPupilReviewJob({ db })]);
    const [run] = await scheduler.tick();
    assert.equal(run?.slot, JULY_RUN.toISOString());
    assert.equal(run?.summary, 'Told 1 LA about 1 lost pupil record past school-leaving age in June 2027.');
    assert.equal((await outbox(db)).length, 1);
    clock.advanceMinutes(60);
    assert.deepEqual(await scheduler.tick(), [], 'caught up once');
  });
});
