// Lost Pupils Past Leaving Age: the service on both engines, then the pages through the app.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Actor } from '../../src/auth/actor.ts';
import {
  isRemovalReason,
  LostPupilReviewService,
  REMOVAL_REASONS,
  type RemovalOutcome,
} from '../../src/lost-pupils/review-service.ts';
import { LostPupilService } from '../../src/lost-pupils/service.ts';
import { ManualClock } from '../../src/platform/clock.ts';
import type { AuditEventRow, Db } from '../../src/platform/db/schema.ts';
import { Forbidden, Invalid, NotFound } from '../../src/platform/errors.ts';
import { writtenIn } from '../../src/platform/i18n/catalogue.ts';
import { createLogger } from '../../src/platform/logger.ts';
import type { EncryptedFileStore } from '../../src/platform/storage/encrypted-store.ts';
import { DownloadService } from '../../src/transfers/download-service.ts';
import { DownloadTickets } from '../../src/transfers/download-tickets.ts';
import { ORPHAN_GRACE_HOURS, sweepOrphanFiles } from '../../src/transfers/jobs.ts';
import { describeEachEngine } from '../support/databases.ts';
import { makeLa, makeSchool, makeUser } from '../support/factories.ts';
import { cellTexts } from '../support/reports.ts';
import { actorOf, makeFileStores } from '../support/transfers.ts';
import { Agent, createTestApp, errorSummary, type TestApp, textOf } from '../support/web.ts';
import { LEAVES_2027, LEFT_2025, LEFT_2026, lostPupil, makeLostPupil, transfer } from './review-fixtures.ts';

const silent = createLogger('silent');
/** Monday 23 November 2026, 9am: the ManualClock's default, and the test app's. */
const NOW = '2026-11-23T09:00:00.000Z';

/** The audit records of a record (subject 'lost-pupil') or of its file (subject 'transfer', the same id). */
async function auditOf(
  db: Db,
  subjectId: string,
  subjectType: 'lost-pupil' | 'transfer' = 'lost-pupil',
): Promise<AuditEventRow[]> {
  return db
    .selectFrom('audit_events')
    .selectAll()
    .where('subject_id', '=', subjectId)
    .where('subject_type', '=', subjectType)
    .orderBy('occurred_at')
    .orderBy('action')
    .execute();
}

async function rejects<T extends Error>(
  promise: Promise<unknown>,
  kind: new (...args: never[]) => T,
): Promise<T> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof kind, `expected ${kind.name}, got ${String(error)}`);
    return error;
  }
  assert.fail(`expected ${kind.name}, but it succeeded`);
}

/** An LA with a school, a lost-pupil user, and a service on a clock of its own. */
async function anLa(db: Db, role: 'la_lost_pupil' | 'la_lost_pupil_transfer' | 'la_dba' = 'la_lost_pupil') {
  const la = await makeLa(db);
  const school = await makeSchool(db, la.number, { name: `Brook Lane Primary ${la.number}` });
  const user = await makeUser(db, role, { laNumber: la.number });
  return { la, school, user, actor: actorOf(user) };
}

describeEachEngine('lost pupils past leaving age: the service', (database) => {
  let files: EncryptedFileStore;
  let raw: ReturnType<typeof makeFileStores>['raw'];
  before(() => {
    ({ files, raw } = makeFileStores());
  });
  const service = (clock = new ManualClock(NOW), store: Pick<EncryptedFileStore, 'remove'> = files) =>
    new LostPupilReviewService({ db: database().db, files: store, clock, logger: silent });

  test("lists only its own LA's records past leaving age, still in the database, the longest past first", async () => {
    const { db } = database();
    const { la, school, actor } = await anLa(db);
    const other = await anLa(db);
    const left2026 = await makeLostPupil(db, files, {
      laNumber: la.number,
      school: school.number,
      dateOfBirth: LEFT_2026,
    });
    const left2025 = await makeLostPupil(db, files, {
      laNumber: la.number,
      dateOfBirth: LEFT_2025,
      reason: 'left-maintained-sector',
    });
    // Left school the same day as left2026, uploaded later: after it.
    const found = await makeLostPupil(db, files, {
      laNumber: la.number,
      school: school.number,
      dateOfBirth: LEFT_2026,
      uploadedAt: '2026-11-02T10:00:00.000Z',
    });
    await db.updateTable('lost_pupils').set({ status: 'found' }).where('id', '=', found.id).execute();
    const notYet = await makeLostPupil(db, files, {
      laNumber: la.number,
      school: school.number,
      dateOfBirth: LEAVES_2027,
    });
    const removed = await makeLostPupil(db, files, {
      laNumber: la.number,
      school: school.number,
      dateOfBirth: LEFT_2025,
    });
    await db.updateTable('lost_pupils').set({ status: 'removed' }).where('id', '=', removed.id).execute();
    const noBirthDate = await makeLostPupil(db, files, {
      laNumber: la.number,
      school: school.number,
      dateOfBirth: null,
    });
    const othersRecord = await makeLostPupil(db, files, {
      laNumber: other.la.number,
      school: other.school.number,
      dateOfBirth: LEFT_2025,
    });

    const list = await service().due(actor);
    assert.equal(list.today, '2026-11-23');
    assert.deepEqual(
      list.records.map((r) => r.id),
      [left2025.id, left2026.id, found.id],
    );
    assert.equal(list.total, 3);
    const [byLa, bySchool, wasFound] = list.records;
    // Words s2s gives are in the reader's language where shown (the API's English is as it was).
    assert.deepEqual(writtenIn('en', byLa?.school), { name: 'Your LA', code: `${la.number}LLLL` });
    assert.deepEqual(writtenIn('cy', byLa?.school), {
      name: 'Eich awdurdod lleol',
      code: `${la.number}LLLL`,
    });
    assert.equal(writtenIn('en', byLa?.reason), 'Left the maintained sector (MMMMMMMM)');
    assert.equal(writtenIn('cy', byLa?.reason), 'Wedi gadael y sector a gynhelir (MMMMMMMM)');
    assert.equal(byLa?.leavesSchoolOn, '2025-06-27');
    assert.deepEqual(bySchool?.school, { name: school.name, code: school.number });
    assert.equal(bySchool?.name, `${left2026.surname}, ${left2026.forename}`);
    assert.equal(bySchool?.dateOfBirth, LEFT_2026);
    assert.equal(bySchool?.upn, left2026.upn);
    assert.equal(writtenIn('en', bySchool?.reason), 'Destination unknown (XXXXXXXX)');
    assert.equal(bySchool?.found, false);
    assert.equal(wasFound?.found, true);
    // Never listed: not yet past the age, removed, another LA's. The record with no date of birth apart.
    const listed = new Set(list.records.map((r) => r.id));
    for (const id of [notYet.id, removed.id, othersRecord.id, noBirthDate.id]) assert.ok(!listed.has(id));
    assert.deepEqual(
      list.withoutBirthDate.records.map((r) => r.id),
      [noBirthDate.id],
    );
    assert.equal(list.withoutBirthDate.total, 1);
  });

  test('a record is listed from the first minute of its leaving day in London', async () => {
    const { db } = database();
    const { la, actor } = await anLa(db);
    const record = await makeLostPupil(db, files, { laNumber: la.number, dateOfBirth: LEAVES_2027 });
    // 11:59pm on Thursday 24 June 2027 in London (BST) is 10:59pm UTC.
    const clock = new ManualClock('2027-06-24T22:59:00.000Z');
    assert.deepEqual((await service(clock).due(actor)).records, []);
    const early = await rejects(service(clock).selection(actor, [record.id]), Invalid);
    assert.match(
      early.message,
      /has not reached school-leaving age yet: the record can be removed from 25 June 2027/,
    );
    await rejects(service(clock).remove(actor, [record.id], 'past-leaving-age'), Invalid);
    assert.equal((await lostPupil(db, record.id)).status, 'lost');

    clock.advanceMinutes(1);
    assert.deepEqual(
      (await service(clock).due(actor)).records.map((r) => r.id),
      [record.id],
    );
  });

  test('removal: the record and its file are removed, the content deleted, and each recorded in the audit log', async () => {
    const { db } = database();
    const { la, school, user, actor } = await anLa(db, 'la_lost_pupil_transfer');
    const one = await makeLostPupil(db, files, {
      laNumber: la.number,
      school: school.number,
      dateOfBirth: LEFT_2026,
    });
    const two = await makeLostPupil(db, files, { laNumber: la.number, dateOfBirth: LEFT_2025 });
    const untouched = await makeLostPupil(db, files, {
      laNumber: la.number,
      school: school.number,
      dateOfBirth: LEFT_2026,
    });
    const clock = new ManualClock(NOW);

    const chosen = await service(clock).selection(actor, [one.id, two.id]);
    assert.deepEqual(
      chosen.records.map((r) => r.id),
      [one.id, two.id],
    );
    assert.deepEqual(chosen.removedAlready, []);
    const outcome: RemovalOutcome = await service(clock).remove(actor, [one.id, two.id], 'past-leaving-age');
    assert.deepEqual(
      outcome.removed.map((r) => r.id),
      [one.id, two.id],
    );
    assert.deepEqual(outcome.leftAlone, []);

    for (const record of [one, two]) {
      const row = await lostPupil(db, record.id);
      assert.equal(row.status, 'removed');
      assert.equal(row.removed_at, NOW);
      assert.equal(row.removed_by, user.id);
      assert.equal(row.removal_reason, 'Past statutory school-leaving age');
      const file = await transfer(db, record.transfer.id);
      assert.equal(file.status, 'removed');
      assert.equal(file.removed_by, user.id);
      assert.equal(file.storage_key, null, 'the content is forgotten');
      assert.equal(file.purged_at, NOW);
      assert.equal(await raw.exists(record.transfer.storage_key ?? ''), false, 'the content is deleted');

      const audit = await auditOf(db, record.id);
      assert.deepEqual(
        audit.map((a) => [a.action, a.subject_type, a.organisation, a.actor_user_id]),
        [['lost-pupil-removed', 'lost-pupil', la.number, user.id]],
      );
      const detail = JSON.parse(audit[0]?.detail ?? '{}') as Record<string, unknown>;
      assert.equal(detail.filename, record.transfer.filename);
      assert.equal(detail.transferId, record.transfer.id);
      assert.equal(detail.sourceLa, la.number);
      assert.equal(detail.reason, 'past-leaving-age');
      // No pupil data in the audit log.
      const text = audit[0]?.detail ?? '';
      for (const secret of [record.surname, record.forename, record.upn, LEFT_2026, LEFT_2025]) {
        assert.ok(!text.includes(secret), `the audit detail holds ${secret}`);
      }
      const purged = (await auditOf(db, record.transfer.id, 'transfer')).find(
        (a) => a.action === 'file-purged',
      );
      assert.equal(JSON.parse(purged?.detail ?? '{}').reason, 'removed');
    }
    assert.equal((await lostPupil(db, untouched.id)).status, 'lost');
    assert.notEqual((await transfer(db, untouched.transfer.id)).storage_key, null);
    assert.deepEqual(
      (await service(clock).due(actor)).records.map((r) => r.id),
      [untouched.id],
    );
  });

  test('a found record, whose file an LA collected, can be removed too', async () => {
    const { db } = database();
    const { la, school, actor } = await anLa(db, 'la_dba');
    const record = await makeLostPupil(db, files, {
      laNumber: la.number,
      school: school.number,
      dateOfBirth: LEFT_2026,
    });
    await db.updateTable('lost_pupils').set({ status: 'found' }).where('id', '=', record.id).execute();
    await db
      .updateTable('transfers')
      .set({ status: 'collected' })
      .where('id', '=', record.transfer.id)
      .execute();
    const outcome = await service().remove(actor, [record.id], 'destination-known');
    assert.equal(outcome.removed.length, 1);
    const row = await lostPupil(db, record.id);
    assert.equal(row.status, 'removed');
    assert.equal(row.removal_reason, "The pupil's school or destination is now known");
    assert.equal((await transfer(db, record.transfer.id)).status, 'removed');
  });

  test('a record whose file still waits for its malware scan is removed with its file, not left waiting', async () => {
    const { db } = database();
    const { la, school, actor } = await anLa(db);
    const record = await makeLostPupil(db, files, {
      laNumber: la.number,
      school: school.number,
      dateOfBirth: LEFT_2025,
    });
    await db
      .updateTable('transfers')
      .set({ status: 'pending-scan', scan_status: 'pending' })
      .where('id', '=', record.transfer.id)
      .execute();
    const outcome = await service().remove(actor, [record.id], 'past-leaving-age');
    assert.equal(outcome.removed.length, 1);
    const file = await transfer(db, record.transfer.id);
    assert.equal(file.status, 'removed', 'the scan job no longer waits for it');
    assert.equal(file.storage_key, null);
    assert.equal(await raw.exists(record.transfer.storage_key as string), false);
  });

  test('a record found before its pupil reaches leaving age is listed apart, and removed because the school is known', async () => {
    // LA notes §1.3: the LA removes its records "where the destination school is subsequently established".
    const { db } = database();
    const { la, school, actor } = await anLa(db);
    const found = await makeLostPupil(db, files, {
      laNumber: la.number,
      school: school.number,
      dateOfBirth: LEAVES_2027,
    });
    const foundNoBirthDate = await makeLostPupil(db, files, {
      laNumber: la.number,
      school: school.number,
      dateOfBirth: null,
      uploadedAt: '2026-11-03T10:00:00.000Z',
    });
    for (const id of [found.id, foundNoBirthDate.id]) {
      await db.updateTable('lost_pupils').set({ status: 'found' }).where('id', '=', id).execute();
    }
    const stillLost = await makeLostPupil(db, files, {
      laNumber: la.number,
      school: school.number,
      dateOfBirth: LEAVES_2027,
    });
    const lostNoBirthDate = await makeLostPupil(db, files, { laNumber: la.number, dateOfBirth: null });

    const list = await service().due(actor);
    assert.deepEqual(list.records, [], 'none is past leaving age');
    assert.deepEqual(
      list.foundNotDue.records.map((r) => r.id),
      [found.id, foundNoBirthDate.id],
    );
    assert.equal(list.foundNotDue.total, 2);
    assert.deepEqual(
      list.withoutBirthDate.records.map((r) => r.id),
      [lostNoBirthDate.id],
      'a found record with no date of birth is removable, so not among those waiting for a decision',
    );

    // A pupil still lost and not yet at leaving age stays, whatever the reason given.
    await rejects(service().selection(actor, [stillLost.id]), Invalid);
    await rejects(service().remove(actor, [stillLost.id], 'destination-known'), Invalid);
    // A found one has not reached leaving age: only "the destination is known" removes it.
    const early = await rejects(service().remove(actor, [found.id], 'past-leaving-age'), Invalid);
    assert.deepEqual(
      early.errors.map((e) => e.field),
      ['reason'],
    );
    assert.match(
      early.message,
      /has not reached school-leaving age: choose “The pupil's school or destination/,
    );
    assert.equal((await lostPupil(db, found.id)).status, 'found');

    assert.deepEqual(
      (await service().selection(actor, [found.id, foundNoBirthDate.id])).records.map((r) => r.id),
      [found.id, foundNoBirthDate.id],
    );
    const outcome = await service().remove(actor, [found.id, foundNoBirthDate.id], 'destination-known');
    assert.equal(outcome.removed.length, 2);
    for (const record of [found, foundNoBirthDate]) {
      const row = await lostPupil(db, record.id);
      assert.deepEqual(
        [row.status, row.removal_reason],
        ['removed', "The pupil's school or destination is now known"],
      );
      assert.equal((await transfer(db, record.transfer.id)).status, 'removed');
    }
    assert.equal((await lostPupil(db, stillLost.id)).status, 'lost');
    assert.deepEqual((await service().due(actor)).foundNotDue.records, []);
  });

  test('removal needs a selection and a reason, and changes nothing without them', async () => {
    const { db } = database();
    const { la, actor } = await anLa(db);
    const record = await makeLostPupil(db, files, { laNumber: la.number, dateOfBirth: LEFT_2026 });
    const none = await rejects(service().remove(actor, [], 'past-leaving-age'), Invalid);
    assert.deepEqual(none.errors, [
      { field: 'record', message: 'Select the records to remove', key: 'lost-pupils.review.select-records' },
    ]);
    const both = await rejects(service().remove(actor, [], undefined), Invalid);
    assert.deepEqual(
      both.errors.map((e) => e.field),
      ['record', 'reason'],
    );
    for (const reason of [undefined, '', 'because', 'toString']) {
      const noReason = await rejects(service().remove(actor, [record.id], reason), Invalid);
      assert.deepEqual(noReason.errors, [
        {
          field: 'reason',
          message: 'Select why the records are being removed',
          key: 'lost-pupils.review.reason-required',
        },
      ]);
    }
    await rejects(service().selection(actor, []), Invalid);
    assert.equal((await lostPupil(db, record.id)).status, 'lost');
    assert.notEqual((await transfer(db, record.transfer.id)).storage_key, null);
    assert.deepEqual(await auditOf(db, record.id), []);
  });

  test("another LA's record, or no record, is not found, and nothing is removed", async () => {
    const { db } = database();
    const { la, actor } = await anLa(db);
    const other = await anLa(db);
    const mine = await makeLostPupil(db, files, { laNumber: la.number, dateOfBirth: LEFT_2026 });
    const theirs = await makeLostPupil(db, files, { laNumber: other.la.number, dateOfBirth: LEFT_2026 });
    await rejects(service().selection(actor, [theirs.id]), NotFound);
    await rejects(service().remove(actor, [mine.id, theirs.id], 'past-leaving-age'), NotFound);
    await rejects(
      service().remove(actor, ['00000000-0000-4000-8000-000000000000'], 'past-leaving-age'),
      NotFound,
    );
    await rejects(service().remove(actor, ['not-an-id'], 'past-leaving-age'), NotFound);
    for (const record of [mine, theirs]) assert.equal((await lostPupil(db, record.id)).status, 'lost');
    assert.deepEqual(await auditOf(db, mine.id), []);
  });

  test('a record removed already (by a colleague, by the actor) is not refused: the others chosen are removed, and it is said removed already, by whom', async () => {
    const { db } = database();
    const { la, school, actor } = await anLa(db);
    const colleagueUser = await makeUser(db, 'la_dba', { laNumber: la.number });
    const colleague = actorOf(colleagueUser);
    const first = await makeLostPupil(db, files, {
      laNumber: la.number,
      school: school.number,
      dateOfBirth: LEFT_2026,
    });
    const second = await makeLostPupil(db, files, {
      laNumber: la.number,
      school: school.number,
      dateOfBirth: LEFT_2026,
    });
    const notYet = await makeLostPupil(db, files, {
      laNumber: la.number,
      school: school.number,
      dateOfBirth: LEAVES_2027,
    });
    // Both chosen on one screen; a colleague removes the second first.
    await service().selection(actor, [first.id, second.id]);
    await service().remove(colleague, [second.id], 'destination-known');
    const byColleague = {
      by: 'colleague',
      colleague: `${colleagueUser.full_name} (${colleagueUser.username})`,
    };
    const chosen = await service().selection(actor, [first.id, second.id]);
    assert.deepEqual(
      [
        chosen.records.map((r) => r.id),
        chosen.removedAlready.map((r) => ({ id: r.record.id, by: r.by, colleague: r.colleague })),
      ],
      [[first.id], [{ id: second.id, ...byColleague }]],
    );
    const alone = await service().remove(actor, [second.id], 'past-leaving-age');
    assert.deepEqual(
      [alone.removed, alone.leftAlone, alone.removedAlready.map((r) => [r.record.id, r.by])],
      [[], [], [[second.id, 'colleague']]],
    );
    // A real reason still refuses: not yet past leaving age, beside one removed already.
    const early = await rejects(service().remove(actor, [second.id, notYet.id], 'past-leaving-age'), Invalid);
    assert.match(early.message, /has not reached school-leaving age yet/);
    assert.doesNotMatch(early.message, /already/);

    const outcome = await service().remove(actor, [first.id, second.id], 'past-leaving-age');
    assert.deepEqual(
      outcome.removed.map((r) => r.id),
      [first.id],
    );
    assert.deepEqual(outcome.leftAlone, []);
    assert.deepEqual(
      outcome.removedAlready.map((r) => [r.record.id, r.by]),
      [[second.id, 'colleague']],
    );
    // The same again: both removed already, the first by the actor.
    const again = await service().remove(actor, [first.id, second.id], 'past-leaving-age');
    assert.deepEqual(
      [again.removed, again.leftAlone, again.removedAlready.map((r) => [r.record.id, r.by])],
      [
        [],
        [],
        [
          [first.id, 'you'],
          [second.id, 'colleague'],
        ],
      ],
    );
    const secondRow = await lostPupil(db, second.id);
    assert.equal(secondRow.removed_by, colleague.userId, "the colleague's removal stands");
    assert.equal(secondRow.removal_reason, "The pupil's school or destination is now known");
    assert.deepEqual(
      (await auditOf(db, second.id)).map((a) => a.actor_user_id),
      [colleague.userId],
    );
  });

  /** A forward of the record's file to `to` by `actor`, as Search for Lost Pupil makes it. */
  async function forward(actor: Actor, recordId: string, to: string, clock = new ManualClock(NOW)) {
    const lostPupils = new LostPupilService({
      db: database().db,
      files,
      clock,
      logger: silent,
      tickets: new DownloadTickets('a test secret'),
    });
    return (await lostPupils.forward(actor, recordId, { school: to, attested: true })).result.forwarded;
  }

  /** The school collects, or rejects, the copy forwarded to it. */
  async function schoolAnswers(
    school: { number: string; la_number: string },
    copyId: string,
    answer: 'collect' | 'reject',
  ) {
    const user = actorOf(
      await makeUser(database().db, 'school', {
        laNumber: school.la_number,
        establishmentNumber: school.number,
      }),
    );
    const downloads = new DownloadService({
      db: database().db,
      files,
      clock: new ManualClock(NOW),
      logger: silent,
    });
    if (answer === 'reject') return downloads.reject(user, 'ctf', copyId, 'No such pupil on roll here');
    await downloads.download(user, 'ctf', [copyId], 'download');
    return downloads.collect(user, 'ctf', [copyId]);
  }

  test('a record whose forwarded file waits at the school is not removed, saying why; once the school collects the file it is', async () => {
    const { db } = database();
    const { la, school, actor } = await anLa(db, 'la_lost_pupil_transfer');
    const arriving = await makeSchool(db, la.number, { name: `Arrival Primary ${la.number}` });
    const record = await makeLostPupil(db, files, {
      laNumber: la.number,
      school: school.number,
      dateOfBirth: LEFT_2026,
    });
    const other = await makeLostPupil(db, files, { laNumber: la.number, dateOfBirth: LEFT_2025 });
    const copy = await forward(actor, record.id, arriving.number);

    // Listed, saying where the file is and that it cannot be removed yet.
    const listed = (await service().due(actor)).records.find((r) => r.id === record.id);
    assert.deepEqual([listed?.found, listed?.forwarded?.state, listed?.copyWaiting], [true, 'waiting', true]);
    const why = new RegExp(
      `cannot be removed yet: its file was forwarded to Arrival Primary ${la.number} \\(${arriving.number}\\) on 23 November 2026, and the school has not collected it\\. It can be removed once the school has collected the file; if the school rejects it, the pupil is lost again`,
    );
    const chosen = await rejects(service().selection(actor, [record.id]), Invalid);
    assert.match(chosen.message, why);
    for (const reason of ['past-leaving-age', 'destination-known'] as const) {
      const refused = await rejects(service().remove(actor, [record.id], reason), Invalid);
      assert.match(refused.message, why);
    }
    // Chosen with another, it is left alone in the removal's own transaction; the other goes.
    const outcome = await service().remove(actor, [record.id, other.id], 'past-leaving-age');
    assert.deepEqual(
      [outcome.removed.map((r) => r.id), outcome.leftAlone.map((r) => r.id)],
      [[other.id], [record.id]],
    );
    // Nothing of it changed: the record found, its file and content kept, nothing audited as removed.
    assert.equal((await lostPupil(db, record.id)).status, 'found');
    const kept = await transfer(db, record.transfer.id);
    assert.deepEqual([kept.status, kept.storage_key], ['available', record.transfer.storage_key]);
    assert.equal(await raw.exists(record.transfer.storage_key ?? ''), true);
    assert.deepEqual(
      (await auditOf(db, record.id)).filter((a) => a.action === 'lost-pupil-removed'),
      [],
    );

    // The school collects it: the pupil reached a school, and the record is removed with its file.
    await schoolAnswers(arriving, copy.id, 'collect');
    const collected = (await service().due(actor)).records.find((r) => r.id === record.id);
    assert.deepEqual([collected?.forwarded?.state, collected?.copyWaiting], ['collected', false]);
    await service().selection(actor, [record.id]);
    const removed = await service().remove(actor, [record.id], 'destination-known');
    assert.deepEqual(
      removed.removed.map((r) => r.id),
      [record.id],
    );
    assert.equal((await lostPupil(db, record.id)).status, 'removed');
    const file = await transfer(db, record.transfer.id);
    assert.deepEqual([file.status, file.storage_key], ['removed', null]);
    assert.equal((await transfer(db, copy.id)).status, 'collected', "the school's copy is the school's");
  });

  test('once the school rejects the forwarded file the record is lost again, and removed as any lost record', async () => {
    const { db } = database();
    const { la, school, actor } = await anLa(db, 'la_lost_pupil_transfer');
    const arriving = await makeSchool(db, la.number);
    const due = await makeLostPupil(db, files, {
      laNumber: la.number,
      school: school.number,
      dateOfBirth: LEFT_2026,
    });
    const young = await makeLostPupil(db, files, {
      laNumber: la.number,
      school: school.number,
      dateOfBirth: LEAVES_2027,
    });
    const dueCopy = await forward(actor, due.id, arriving.number);
    const youngCopy = await forward(actor, young.id, arriving.number);
    const list = await service().due(actor);
    assert.deepEqual(
      list.foundNotDue.records.map((r) => [r.id, r.copyWaiting]),
      [[young.id, true]],
    );
    await rejects(service().remove(actor, [young.id], 'destination-known'), Invalid);

    await schoolAnswers(arriving, dueCopy.id, 'reject');
    await schoolAnswers(arriving, youngCopy.id, 'reject');
    // Lost again: the one before leaving age is not listed, nor removed (its school is not known)...
    const lostAgain = await service().due(actor);
    assert.deepEqual(
      lostAgain.records
        .filter((r) => r.id === due.id)
        .map((r) => [r.found, r.forwarded?.state, r.copyWaiting]),
      [[false, 'rejected', false]],
    );
    assert.deepEqual(lostAgain.foundNotDue.records, []);
    const notYet = await rejects(service().remove(actor, [young.id], 'destination-known'), Invalid);
    assert.match(
      notYet.message,
      /has not reached school-leaving age yet: the record can be removed from 25 June 2027/,
    );
    // ...the one past leaving age is, with its file.
    const outcome = await service().remove(actor, [due.id], 'past-leaving-age');
    assert.deepEqual(
      outcome.removed.map((r) => r.id),
      [due.id],
    );
    assert.deepEqual((await lostPupil(db, due.id)).status, 'removed');
    assert.equal((await transfer(db, due.transfer.id)).status, 'removed');
  });

  test('when the content cannot be deleted now, the removal stands, its key forgotten, and the sweep of unreferenced files deletes it later', async () => {
    const { db } = database();
    const { la, actor } = await anLa(db);
    const record = await makeLostPupil(db, files, { laNumber: la.number, dateOfBirth: LEFT_2026 });
    const failing = {
      remove: async () => {
        throw new Error('the store is unreachable');
      },
    };
    const outcome = await service(new ManualClock(NOW), failing).remove(
      actor,
      [record.id],
      'past-leaving-age',
    );
    assert.equal(outcome.removed.length, 1);
    assert.equal((await lostPupil(db, record.id)).status, 'removed');
    const file = await transfer(db, record.transfer.id);
    assert.equal(file.status, 'removed');
    assert.deepEqual([file.storage_key, file.wrapped_key], [null, null], 'let go first');
    assert.equal(await raw.exists(record.transfer.storage_key ?? ''), true, 'not deleted yet');

    // The daily sweep, once the stored file is a day old (by the store's own clock).
    await sweepOrphanFiles(
      db,
      raw,
      new ManualClock(new Date(Date.now() + (ORPHAN_GRACE_HOURS + 1) * 3_600_000)),
    );
    assert.equal(await raw.exists(record.transfer.storage_key ?? ''), false);
  });

  test('only the LA lost pupil roles and the LA administrator may review', async () => {
    const { db } = database();
    const { la, school } = await anLa(db);
    await makeLostPupil(db, files, { laNumber: la.number, school: school.number, dateOfBirth: LEFT_2026 });
    for (const role of ['la_user', 'la_school', 'la_dba_view', 'la_plasc', 'la_admissions'] as const) {
      const actor = actorOf(await makeUser(db, role, { laNumber: la.number }));
      await rejects(service().due(actor), Forbidden);
      await rejects(service().remove(actor, [], 'past-leaving-age'), Forbidden);
    }
    const schoolUser = actorOf(
      await makeUser(db, 'school', { laNumber: la.number, establishmentNumber: school.number }),
    );
    await rejects(service().due(schoolUser), Forbidden);
    await rejects(service().due(actorOf(await makeUser(db, 'national_admin'))), Forbidden);
    for (const role of ['la_lost_pupil', 'la_lost_pupil_transfer', 'la_dba'] as const) {
      const actor = actorOf(await makeUser(db, role, { laNumber: la.number }));
      assert.equal((await service().due(actor)).records.length, 1, role);
    }
  });
});

describeEachEngine('lost pupils past leaving age: the pages', (database) => {
  let t: TestApp;
  before(async () => {
    t = await createTestApp(database().db);
  });
  after(async () => {
    await t.app.close();
  });

  async function signedIn(
    role: Parameters<typeof makeUser>[1],
    laNumber: string,
    establishmentNumber?: string,
  ) {
    const user = await makeUser(database().db, role, { laNumber, establishmentNumber });
    const agent = new Agent(t.app);
    await agent.signIn(user.username);
    return { user, agent };
  }

  const checkboxes = (html: string) => [
    ...html.matchAll(/name="record" type="checkbox" value="([^"]+)"( checked)?/g),
  ];

  test("the list shows the LA's records past leaving age with the pupils' details, and the menu offers it", async () => {
    const { db } = database();
    const la = await makeLa(db);
    const school = await makeSchool(db, la.number, { name: 'Willow Bank Primary School' });
    const other = await makeLa(db);
    const due = await makeLostPupil(db, t.deps.files, {
      laNumber: la.number,
      school: school.number,
      dateOfBirth: LEFT_2026,
      surname: "O'Brien",
      forename: 'Aoife',
      uploadedAt: '2026-09-15T10:00:00.000Z',
    });
    const notYet = await makeLostPupil(db, t.deps.files, { laNumber: la.number, dateOfBirth: LEAVES_2027 });
    const theirs = await makeLostPupil(db, t.deps.files, { laNumber: other.number, dateOfBirth: LEFT_2025 });
    const noBirthDate = await makeLostPupil(db, t.deps.files, {
      laNumber: la.number,
      dateOfBirth: null,
      surname: 'Nodate',
    });
    const { agent } = await signedIn('la_lost_pupil', la.number);

    const home = await agent.get('/');
    assert.match(home.body, /href="\/lost-pupils\/review"[^>]*>\s*Lost Pupils Past Leaving Age/);
    const page = await agent.get('/lost-pupils/review');
    assert.equal(page.statusCode, 200);
    assert.deepEqual(
      checkboxes(page.body).map((m) => m[1]),
      [due.id],
    );
    for (const fact of [
      'O&#39;Brien, Aoife',
      '14 May 2010',
      due.upn,
      'Willow Bank Primary School',
      school.number,
      '15 September 2026',
      'Destination unknown (XXXXXXXX)',
      'Remove from the Lost Pupils Database',
    ]) {
      assert.ok(page.body.includes(fact), `the list shows ${fact}`);
    }
    assert.ok(!page.body.includes(notYet.surname), 'not yet past leaving age');
    assert.ok(!page.body.includes(theirs.surname), "another LA's record");
    // Apart, without a checkbox: the record with no date of birth, and what to do about it.
    assert.match(page.body, /Records with no date of birth/);
    assert.match(
      page.body,
      /1 record has no date of birth, so s2s cannot tell when the pupil reaches school-leaving age/,
    );
    assert.ok(page.body.includes(noBirthDate.surname));

    const all = await agent.get('/lost-pupils/review?select=all');
    assert.deepEqual(
      checkboxes(all.body).map((m) => [m[1], m[2]]),
      [[due.id, ' checked']],
    );
  });

  test('a record found before leaving age is offered apart; removed with "destination known", not "past leaving age"', async () => {
    const { db } = database();
    const la = await makeLa(db);
    const found = await makeLostPupil(db, t.deps.files, {
      laNumber: la.number,
      dateOfBirth: LEAVES_2027,
      surname: 'Foundearly',
    });
    const finder = await makeLa(db, { name: 'Findshire' });
    await db
      .updateTable('lost_pupils')
      .set({ status: 'found', found_by_la: finder.number, found_at: '2026-11-20T10:00:00.000Z' })
      .where('id', '=', found.id)
      .execute();
    const { agent } = await signedIn('la_lost_pupil', la.number);

    const page = await agent.get('/lost-pupils/review');
    assert.match(page.body, /No records uploaded by your schools or your LA are past school-leaving age/);
    // Which LA found it, to ask which school (decision 71).
    assert.match(
      textOf(page.body),
      new RegExp(`Found by Findshire \\(${finder.number}\\) on 20 November 2026`),
    );
    assert.match(page.body, /<h2 class="govuk-heading-m" id="found">Found before school-leaving age<\/h2>/);
    assert.match(
      page.body,
      /1 record was downloaded or forwarded by an LA before its pupil reached school-leaving age/,
    );
    assert.deepEqual(
      checkboxes(page.body).map((m) => m[1]),
      [found.id],
    );
    const confirm = await agent.get(`/lost-pupils/review/confirm?record=${found.id}&action=remove`);
    assert.equal(confirm.statusCode, 200);
    const wrongReason = await agent.post('/lost-pupils/review/remove', {
      record: [found.id],
      reason: 'past-leaving-age',
    });
    assert.equal(wrongReason.statusCode, 400);
    assert.match(errorSummary(wrongReason.body), /Foundearly.* has not reached school-leaving age: choose/);
    const removed = await agent.post('/lost-pupils/review/remove', {
      record: [found.id],
      reason: 'destination-known',
    });
    assert.equal(removed.statusCode, 303);
    assert.equal((await lostPupil(db, found.id)).status, 'removed');
    assert.doesNotMatch((await agent.get('/lost-pupils/review')).body, /Foundearly/);
  });

  test('a record whose forwarded file waits at the school has no checkbox and says why; nor does its school offer Remove', async () => {
    const { db } = database();
    const la = await makeLa(db);
    const uploading = await makeSchool(db, la.number, { name: 'Leaving Primary School' });
    const arriving = await makeSchool(db, la.number, { name: 'Arrival Primary School' });
    const record = await makeLostPupil(db, t.deps.files, {
      laNumber: la.number,
      school: uploading.number,
      dateOfBirth: LEFT_2026,
      surname: 'Onitsway',
    });
    const other = await makeLostPupil(db, t.deps.files, { laNumber: la.number, dateOfBirth: LEFT_2025 });
    const forwarder = actorOf(await makeUser(db, 'la_lost_pupil_transfer', { laNumber: la.number }));
    const lostPupils = new LostPupilService({ ...t.deps, tickets: new DownloadTickets('a test secret') });
    const { result } = await lostPupils.forward(forwarder, record.id, {
      school: arriving.number,
      attested: true,
    });
    const { agent } = await signedIn('la_lost_pupil', la.number);

    const page = await agent.get('/lost-pupils/review');
    assert.deepEqual(
      checkboxes(page.body).map((m) => m[1]),
      [other.id],
    );
    assert.match(
      textOf(page.body),
      /Onitsway.*Forwarded to Arrival Primary School \(\d{7}\).*not collected by the school yet It cannot be removed until the school has collected the file: if the school rejects it, the pupil is lost again/,
    );
    const all = await agent.get('/lost-pupils/review?select=all');
    assert.deepEqual(
      checkboxes(all.body).map((m) => [m[1], m[2]]),
      [[other.id, ' checked']],
    );
    assert.match(all.body, /Select all 1 record listed/);
    const confirm = await agent.get(`/lost-pupils/review/confirm?record=${record.id}&action=remove`);
    assert.equal(confirm.statusCode, 400);
    assert.match(
      errorSummary(confirm.body),
      /Onitsway.* cannot be removed yet: its file was forwarded to Arrival Primary School \(\d{7}\) on 23 November 2026/,
    );
    const shown = await agent.get(`/lost-pupils/search/${record.id}`);
    assert.match(
      textOf(shown.body),
      /The LA that uploaded this record can remove it from the Lost Pupils Database once the school has collected the file, not before/,
    );

    // In Welsh too.
    const welsh = new Agent(t.app);
    await welsh.signIn(
      (await makeUser(db, 'la_lost_pupil', { laNumber: la.number }, { language: 'cy' })).username,
    );
    assert.match(
      textOf((await welsh.get('/lost-pupils/review')).body),
      /Ni ellir ei dynnu nes i’r ysgol gasglu’r ffeil/,
    );
    assert.match(
      errorSummary((await welsh.get(`/lost-pupils/review/confirm?record=${record.id}&action=remove`)).body),
      /Ni ellir tynnu cofnod Onitsway.* eto: anfonwyd ei ffeil ymlaen at Arrival Primary School \(\d{7}\) ar 23 Tachwedd 2026/,
    );
    assert.match(
      textOf((await welsh.get(`/lost-pupils/search/${record.id}`)).body),
      /Gall yr awdurdod lleol a lanlwythodd y cofnod hwn ei dynnu/,
    );

    // The school that uploaded it is told its LA removes it, and offered no Remove.
    const sender = new Agent(t.app);
    await sender.signIn(
      (await makeUser(db, 'school', { laNumber: la.number, establishmentNumber: uploading.number })).username,
    );
    const file = await sender.get(`/sent/files/${record.transfer.id}`);
    assert.equal(file.statusCode, 200);
    assert.match(
      textOf(file.body),
      /has been forwarded from the Lost Pupils Database to the school the pupil is at, so it cannot be removed here/,
    );
    assert.doesNotMatch(textOf(file.body), /Remove it only if it was sent in error/);
    assert.ok(!file.body.includes(`href="/sent/files/${record.transfer.id}/remove"`), 'no Remove');
    const removePage = await sender.get(`/sent/files/${record.transfer.id}/remove`);
    assert.match(textOf(removePage.body), /so it cannot be removed here/);
    assert.ok(!removePage.body.includes(`action="/sent/files/${record.transfer.id}/remove"`), 'no form');

    // Collected by the school it went to: the LA can remove the record.
    const desk = actorOf(
      await makeUser(db, 'school', { laNumber: la.number, establishmentNumber: arriving.number }),
    );
    const downloads = new DownloadService(t.deps);
    await downloads.download(desk, 'ctf', [result.forwarded.id], 'download');
    await downloads.collect(desk, 'ctf', [result.forwarded.id]);
    const later = await agent.get('/lost-pupils/review');
    assert.deepEqual(
      checkboxes(later.body).map((m) => m[1]),
      [other.id, record.id],
    );
    assert.doesNotMatch(textOf(later.body), /It cannot be removed until the school has collected the file/);
  });

  test('in Welsh: the list, the confirmation, its error and the banner', async () => {
    const { db } = database();
    const la = await makeLa(db);
    const one = await makeLostPupil(db, t.deps.files, { laNumber: la.number, dateOfBirth: LEFT_2025 });
    const two = await makeLostPupil(db, t.deps.files, { laNumber: la.number, dateOfBirth: LEFT_2026 });
    const user = await makeUser(db, 'la_lost_pupil', { laNumber: la.number }, { language: 'cy' });
    const agent = new Agent(t.app);
    await agent.signIn(user.username);

    const page = await agent.get('/lost-pupils/review');
    assert.equal(page.statusCode, 200);
    assert.match(page.body, /<html lang="cy"/);
    assert.match(page.body, /<h1 class="govuk-heading-l">Disgyblion Coll Dros yr Oedran Gadael Ysgol<\/h1>/);
    assert.match(page.body, /Mae 2 cofnod wedi pasio oedran gadael ysgol/);
    assert.match(page.body, /Tynnu o’r Gronfa Ddata Disgyblion Coll/);

    const noneChosen = await agent.get('/lost-pupils/review/confirm?action=remove');
    assert.match(errorSummary(noneChosen.body), /Dewiswch y cofnodion i’w tynnu/);
    const confirm = await agent.get(`/lost-pupils/review/confirm?record=${one.id}`);
    assert.match(confirm.body, /Tynnu’r cofnod hwn o’r Gronfa Ddata Disgyblion Coll\?/);
    assert.match(confirm.body, /Wedi pasio oedran gadael ysgol statudol/);
    const noReason = await agent.post('/lost-pupils/review/remove', { record: [one.id] });
    assert.equal(noReason.statusCode, 400);
    assert.match(errorSummary(noReason.body), /Dewiswch pam mae’r cofnodion yn cael eu tynnu/);
    const notYet = await makeLostPupil(db, t.deps.files, { laNumber: la.number, dateOfBirth: LEAVES_2027 });
    const early = await agent.post('/lost-pupils/review/remove', {
      record: [notYet.id],
      reason: 'past-leaving-age',
    });
    assert.equal(early.statusCode, 400);
    assert.match(errorSummary(early.body), /gellir tynnu’r cofnod o 25 Mehefin 2027 ymlaen/);
    await agent.post('/lost-pupils/review/remove', { record: [one.id, two.id], reason: 'past-leaving-age' });
    const list = await agent.get('/lost-pupils/review');
    assert.match(list.body, /Mae 2 cofnod wedi’u tynnu o’r Gronfa Ddata Disgyblion Coll\./);
  });

  test('in Welsh: a record whose file gives no name is named in Welsh in the sentences that name records (removed already, refused), not only in the table', async () => {
    const { db } = database();
    const la = await makeLa(db);
    const colleagueUser = await makeUser(db, 'la_dba', { laNumber: la.number });
    // The LA's own records, their files naming nobody.
    const unnamed = (dateOfBirth: string | null) =>
      makeLostPupil(db, t.deps.files, { laNumber: la.number, dateOfBirth, surname: '', forename: '' });
    const gone = await unnamed(LEFT_2025);
    const named = await makeLostPupil(db, t.deps.files, { laNumber: la.number, dateOfBirth: LEFT_2026 });
    const noDate = await unnamed(null);
    const user = await makeUser(db, 'la_lost_pupil', { laNumber: la.number }, { language: 'cy' });
    const agent = new Agent(t.app);
    await agent.signIn(user.username);
    // Chosen together; a colleague removes the unnamed one first.
    await new LostPupilReviewService({
      db,
      files: t.deps.files,
      clock: new ManualClock(NOW),
      logger: silent,
    }).remove(actorOf(colleagueUser), [gone.id], 'past-leaving-age');
    const confirm = await agent.get(`/lost-pupils/review/confirm?record=${gone.id}&record=${named.id}`);
    assert.equal(confirm.statusCode, 200);
    const said = textOf(
      /<div class="govuk-inset-text" id="removed-already">[\s\S]*?<\/div>/.exec(confirm.body)?.[0] ?? '',
    ).trim();
    assert.equal(
      said,
      `Wedi’u tynnu eisoes gan ${colleagueUser.full_name} (${colleagueUser.username}), cydweithiwr: Heb ei roi yn y ffeil.`,
    );
    assert.doesNotMatch(confirm.body, /Not given in the file|Your LA/);
    // Removed, and said so in the answer too.
    await agent.post('/lost-pupils/review/remove', {
      record: [gone.id, named.id],
      reason: 'past-leaving-age',
    });
    const answer = textOf((await agent.get('/lost-pupils/review')).body);
    assert.match(answer, /cydweithiwr: Heb ei roi yn y ffeil\./);
    assert.doesNotMatch(answer, /Not given in the file|Your LA/);
    // Refused, the error names the record in Welsh.
    const refused = await agent.post('/lost-pupils/review/remove', {
      record: [noDate.id],
      reason: 'past-leaving-age',
    });
    assert.equal(refused.statusCode, 400);
    assert.match(
      errorSummary(refused.body),
      /Nid oes dyddiad geni gan gofnod Heb ei roi yn y ffeil, felly ni ellir ei dynnu yma/,
    );
    assert.doesNotMatch(refused.body, /Not given in the file|Your LA/);
  });

  test('choose, confirm with a reason, removed: the list no longer has them, and the audit log does', async () => {
    const { db } = database();
    const la = await makeLa(db);
    const school = await makeSchool(db, la.number);
    const one = await makeLostPupil(db, t.deps.files, {
      laNumber: la.number,
      school: school.number,
      dateOfBirth: LEFT_2026,
    });
    const two = await makeLostPupil(db, t.deps.files, { laNumber: la.number, dateOfBirth: LEFT_2025 });
    const kept = await makeLostPupil(db, t.deps.files, { laNumber: la.number, dateOfBirth: LEFT_2025 });
    const { agent, user } = await signedIn('la_dba', la.number);

    const bare = await agent.get('/lost-pupils/review/confirm');
    assert.equal(bare.statusCode, 302);
    assert.equal(bare.headers.location, '/lost-pupils/review');
    const noneChosen = await agent.get('/lost-pupils/review/confirm?action=remove');
    assert.equal(noneChosen.statusCode, 400);
    assert.match(errorSummary(noneChosen.body), /Select the records to remove/);

    const confirm = await agent.get(`/lost-pupils/review/confirm?record=${one.id}&record=${two.id}`);
    assert.equal(confirm.statusCode, 200);
    assert.match(confirm.body, /Remove these 2 records from the Lost Pupils Database\?/);
    assert.ok(confirm.body.includes(one.surname) && confirm.body.includes(two.surname));
    assert.ok(!confirm.body.includes(kept.surname));
    assert.match(confirm.body, /Past statutory school-leaving age/);

    const noReason = await agent.post('/lost-pupils/review/remove', { record: [one.id, two.id] });
    assert.equal(noReason.statusCode, 400);
    assert.match(errorSummary(noReason.body), /Select why the records are being removed/);
    assert.equal((await lostPupil(db, one.id)).status, 'lost');

    const removed = await agent.post('/lost-pupils/review/remove', {
      record: [one.id, two.id],
      reason: 'past-leaving-age',
    });
    assert.equal(removed.statusCode, 303);
    assert.equal(removed.headers.location, '/lost-pupils/review');
    const list = await agent.get('/lost-pupils/review');
    assert.match(list.body, /2 records have been removed from the Lost Pupils Database\./);
    assert.deepEqual(
      checkboxes(list.body).map((m) => m[1]),
      [kept.id],
    );
    for (const record of [one, two]) {
      const row = await lostPupil(db, record.id);
      assert.equal(row.status, 'removed');
      assert.equal(row.removed_by, user.id);
      assert.equal((await transfer(db, record.transfer.id)).storage_key, null);
    }
    const auditPage = await agent.get('/dba/audit');
    // Counted in the log's table (the filters' list of actions names it too).
    const actions = cellTexts(auditPage.body).filter((cell) => cell === 'Lost pupil record removed');
    assert.equal(actions.length, 2);
  });

  test("another LA's record is not found; a record not yet due is refused; a post needs its CSRF token", async () => {
    const { db } = database();
    const la = await makeLa(db);
    const other = await makeLa(db);
    const theirs = await makeLostPupil(db, t.deps.files, { laNumber: other.number, dateOfBirth: LEFT_2025 });
    const notYet = await makeLostPupil(db, t.deps.files, { laNumber: la.number, dateOfBirth: LEAVES_2027 });
    const mine = await makeLostPupil(db, t.deps.files, { laNumber: la.number, dateOfBirth: LEFT_2025 });
    const { agent } = await signedIn('la_lost_pupil_transfer', la.number);

    assert.equal((await agent.get(`/lost-pupils/review/confirm?record=${theirs.id}`)).statusCode, 404);
    await agent.get('/lost-pupils/review');
    const stolen = await agent.post('/lost-pupils/review/remove', {
      record: theirs.id,
      reason: 'past-leaving-age',
    });
    assert.equal(stolen.statusCode, 404);
    assert.equal((await lostPupil(db, theirs.id)).status, 'lost');

    const early = await agent.post('/lost-pupils/review/remove', {
      record: notYet.id,
      reason: 'past-leaving-age',
    });
    assert.equal(early.statusCode, 400);
    assert.match(
      errorSummary(early.body),
      /has not reached school-leaving age yet: the record can be removed from 25 June 2027/,
    );
    assert.equal((await lostPupil(db, notYet.id)).status, 'lost');

    const forged = await agent.post(
      '/lost-pupils/review/remove',
      { record: mine.id, reason: 'past-leaving-age' },
      { csrf: false },
    );
    assert.equal(forged.statusCode, 403);
    assert.equal((await lostPupil(db, mine.id)).status, 'lost');
  });

  test('other roles are refused the pages', async () => {
    const { db } = database();
    const la = await makeLa(db);
    const school = await makeSchool(db, la.number);
    const record = await makeLostPupil(db, t.deps.files, { laNumber: la.number, dateOfBirth: LEFT_2025 });
    for (const role of [
      'la_user',
      'la_school',
      'la_dba_view',
      'la_plasc',
      'la_admissions',
      'school',
    ] as const) {
      const { agent } = await signedIn(role, la.number, role === 'school' ? school.number : undefined);
      assert.equal((await agent.get('/lost-pupils/review')).statusCode, 403, role);
      assert.equal(
        (await agent.get(`/lost-pupils/review/confirm?record=${record.id}`)).statusCode,
        403,
        role,
      );
      await agent.get('/');
      const post = await agent.post('/lost-pupils/review/remove', {
        record: record.id,
        reason: 'past-leaving-age',
      });
      assert.equal(post.statusCode, 403, role);
      assert.doesNotMatch((await agent.get('/')).body, /Lost Pupils Past Leaving Age/, role);
    }
    assert.equal((await lostPupil(db, record.id)).status, 'lost');
  });
});

describe('the reasons offered', () => {
  test('are the ones the service accepts', () => {
    for (const reason of Object.keys(REMOVAL_REASONS)) assert.ok(isRemovalReason(reason));
    assert.ok(!isRemovalReason('hasOwnProperty'));
  });
});
