// Lost Pupils Database forms posted twice (a double click, Back and the button again, a browser or a
// program resending a POST), one after the other and at once (on two app nodes): what the first did is
// done and audited once, and the second answer says it was done already, never an error page or a
// colleague's doing.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LostPupilReviewService } from '../../src/lost-pupils/review-service.ts';
import { SentService } from '../../src/transfers/sent-service.ts';
import { api, makeToken } from '../api/support.ts';
import { auditEventsOf } from '../support/audit.ts';
import {
  describeEachEngine,
  firstHeldThenAnother,
  holdingAfterInsertInto,
  holdingAfterSelectFrom,
  type TestDatabase,
  twiceAtOnce,
} from '../support/databases.ts';
import { makeLa, makeSchool, makeUser } from '../support/factories.ts';
import { makeLostPupil, seenInCtf } from '../support/lost-pupils.ts';
import { actorOf, school } from '../support/transfers.ts';
import { Agent, createTestApp, signedInOnAnotherNode, type TestApp, textOf } from '../support/web.ts';
import { LEFT_2025, lostPupil, makeLostPupil as makeReviewRecord } from './review-fixtures.ts';

let upns = 0;

describeEachEngine('Lost Pupils Database forms posted twice', (database: () => TestDatabase) => {
  /** A case of a lost pupil of the LA seen in a file another LA's school received; its officer. */
  async function aCase(t: TestApp) {
    const db = database().db;
    const la = await makeLa(db);
    const otherLa = await makeLa(db);
    const sender = await makeSchool(db, la.number);
    const arrival = await makeSchool(db, otherLa.number);
    upns += 1;
    const upn = `T${String(upns).padStart(12, '0')}`;
    const lost = await makeLostPupil(db, t.deps.files, {
      from: school(sender.number),
      pupil: { surname: 'Wren', forename: 'Robin', upn, dateOfBirth: '2014-02-03' },
    });
    await seenInCtf(db, t.deps.files, { upn, from: school(sender.number), arrival, at: t.clock.now() });
    const match = await db
      .selectFrom('lost_pupil_matches')
      .selectAll()
      .where('lost_pupil_id', '=', lost.record.id)
      .executeTakeFirstOrThrow();
    const officer = await makeUser(db, 'la_lost_pupil', { laNumber: la.number });
    const agent = new Agent(t.app);
    assert.equal((await agent.signIn(officer.username)).statusCode, 302);
    return { officer, agent, match, recordId: lost.record.id };
  }

  test('a Lost Pupil Match closed again: the second answer says it was closed already, not that it is missing', async () => {
    const t = await createTestApp(database().db);
    try {
      const { agent, match, recordId } = await aCase(t);
      await agent.get('/lost-pupils/matches');
      const url = `/lost-pupils/matches/${match.id}/close`;
      const first = await agent.post(url, { outcome: 'found' });
      assert.equal(first.statusCode, 302);
      await agent.get('/lost-pupils/matches');
      const again = await agent.post(url, { outcome: 'found' });
      assert.equal(again.statusCode, 302);
      assert.equal(again.headers.location, '/lost-pupils/matches');
      assert.match(
        textOf((await agent.get('/lost-pupils/matches')).body),
        /You closed this case already, so nothing more was changed\. It is no longer in the list of cases\./,
      );
      assert.equal(await auditEventsOf(database().db, 'lost-pupil-match-closed', recordId), 1);
    } finally {
      await t.app.close();
    }
  });

  test('a Lost Pupil Match closed twice at once, on two app nodes: closed and audited once, neither told a colleague closed it', async () => {
    let armed = false;
    // The close's read of the case, on the first node.
    const hold = holdingAfterSelectFrom(database().db, 'lost_pupil_matches', () => armed);
    const t = await createTestApp(hold.db);
    const { officer, agent, match, recordId } = await aCase(t);
    const other = await signedInOnAnotherNode(database(), officer);
    try {
      await agent.get('/lost-pupils/matches');
      await other.agent.get('/lost-pupils/matches');
      const url = `/lost-pupils/matches/${match.id}/close`;
      armed = true;
      const answers = await firstHeldThenAnother(
        database(),
        hold,
        () => agent.post(url, { outcome: 'found' }),
        () => {
          armed = false;
          return other.agent.post(url, { outcome: 'found' });
        },
      );
      assert.deepEqual(
        answers.map((a) => [a.statusCode, a.headers.location]),
        [
          [302, '/lost-pupils/matches'],
          [302, '/lost-pupils/matches'],
        ],
      );
      assert.equal(await auditEventsOf(database().db, 'lost-pupil-match-closed', recordId), 1);
    } finally {
      await other.close();
      await t.app.close();
    }
  });

  /** A lost pupil's file downloaded by an officer of another LA, at "Was the file downloaded correctly?". */
  async function downloaded(t: TestApp) {
    const db = database().db;
    const la = await makeLa(db);
    const uploaderLa = await makeLa(db);
    const uploader = await makeSchool(db, uploaderLa.number);
    const made = await makeLostPupil(db, t.deps.files, { from: school(uploader.number) });
    const officer = await makeUser(db, 'la_lost_pupil', { laNumber: la.number });
    const agent = new Agent(t.app);
    assert.equal((await agent.signIn(officer.username)).statusCode, 302);
    const base = `/lost-pupils/search/${made.record.id}`;
    await agent.get(`${base}/download`);
    const ticked = await agent.post(`${base}/download`, { attest: 'yes' });
    assert.equal(ticked.statusCode, 303);
    const check = await agent.get(String(ticked.headers.location));
    const link = /id="download-link" href="([^"]+)"/.exec(check.body)?.[1]?.replace(/&amp;/g, '&');
    assert.ok(link);
    assert.equal((await agent.get(link)).statusCode, 200);
    return { officer, agent, base, recordId: made.record.id };
  }

  test('"downloaded correctly? Yes" posted again: found and audited once, and the second answer says it was found already', async () => {
    const t = await createTestApp(database().db);
    try {
      const { agent, base, recordId } = await downloaded(t);
      const first = await agent.post(`${base}/check`, { answer: 'yes' });
      assert.deepEqual([first.statusCode, first.headers.location], [303, base]);
      await agent.get(base);
      const again = await agent.post(`${base}/check`, { answer: 'yes' });
      assert.deepEqual([again.statusCode, again.headers.location], [303, base]);
      assert.match(
        textOf((await agent.get(base)).body),
        /_CTF_XXXXXXXX_\d+\.XML is marked as found by you already, so nothing more was recorded\./,
      );
      assert.equal(await auditEventsOf(database().db, 'lost-pupil-found', recordId), 1);
    } finally {
      await t.app.close();
    }
  });

  test('"downloaded correctly? Yes" posted twice at once, on two app nodes: found and audited once', async () => {
    let armed = false;
    // The answer's first read of the record, on the first node.
    const hold = holdingAfterSelectFrom(database().db, 'lost_pupils', () => armed);
    const t = await createTestApp(hold.db);
    const { officer, agent, base, recordId } = await downloaded(t);
    const other = await signedInOnAnotherNode(database(), officer);
    try {
      await agent.get(base);
      await other.agent.get(base);
      armed = true;
      const answers = await firstHeldThenAnother(
        database(),
        hold,
        () => agent.post(`${base}/check`, { answer: 'yes' }),
        () => {
          armed = false;
          return other.agent.post(`${base}/check`, { answer: 'yes' });
        },
      );
      assert.deepEqual(
        answers.map((a) => [a.statusCode, a.headers.location]),
        [
          [303, base],
          [303, base],
        ],
      );
      assert.equal(await auditEventsOf(database().db, 'lost-pupil-found', recordId), 1);
    } finally {
      await other.close();
      await t.app.close();
    }
  });

  /** Two records of the LA's school past school-leaving age, at the review's confirmation; its officer. */
  async function dueForReview(t: TestApp) {
    const db = database().db;
    const la = await makeLa(db);
    const sender = await makeSchool(db, la.number);
    const records = [];
    for (const surname of ['Longgone', 'Fargone']) {
      records.push(
        await makeReviewRecord(db, t.deps.files, {
          laNumber: la.number,
          school: sender.number,
          dateOfBirth: LEFT_2025,
          surname,
        }),
      );
    }
    const officer = await makeUser(db, 'la_lost_pupil', { laNumber: la.number });
    const agent = new Agent(t.app);
    assert.equal((await agent.signIn(officer.username)).statusCode, 302);
    const ids = records.map((r) => r.id);
    const confirm = `/lost-pupils/review/confirm?${ids.map((id) => `record=${id}`).join('&')}&action=remove`;
    return { officer, agent, ids, confirm, form: { record: ids, reason: 'past-leaving-age' } };
  }

  async function removals(ids: string[]): Promise<number> {
    let count = 0;
    for (const id of ids) count += await auditEventsOf(database().db, 'lost-pupil-removed', id);
    return count;
  }

  test('Remove posted again at Lost Pupils Past Leaving Age: removed once, and the second answer says so', async () => {
    const t = await createTestApp(database().db);
    try {
      const { agent, ids, confirm, form } = await dueForReview(t);
      assert.equal((await agent.get(confirm)).statusCode, 200);
      const first = await agent.post('/lost-pupils/review/remove', form);
      assert.equal(first.statusCode, 303);
      assert.match(textOf((await agent.get('/lost-pupils/review')).body), /2 records have been removed/);
      const again = await agent.post('/lost-pupils/review/remove', form);
      assert.deepEqual([again.statusCode, again.headers.location], [303, '/lost-pupils/review']);
      assert.match(
        textOf((await agent.get('/lost-pupils/review')).body),
        /You removed the records you chose already, so nothing more was changed\./,
      );
      assert.equal(await removals(ids), 2);
    } finally {
      await t.app.close();
    }
  });

  test('Remove posted twice at once, on two app nodes: removed once, and neither is told someone else changed them', async () => {
    let armed = false;
    // The removal's read of the records chosen, on the first node.
    const hold = holdingAfterSelectFrom(database().db, 'lost_pupils', () => armed);
    const t = await createTestApp(hold.db);
    const { officer, agent, ids, confirm, form } = await dueForReview(t);
    const other = await signedInOnAnotherNode(database(), officer);
    try {
      await agent.get(confirm);
      await other.agent.get(confirm);
      armed = true;
      const answers = await firstHeldThenAnother(
        database(),
        hold,
        () => agent.post('/lost-pupils/review/remove', form),
        () => {
          armed = false;
          return other.agent.post('/lost-pupils/review/remove', form);
        },
      );
      assert.deepEqual(
        answers.map((a) => [a.statusCode, a.headers.location]),
        [
          [303, '/lost-pupils/review'],
          [303, '/lost-pupils/review'],
        ],
      );
      const shown = textOf((await agent.get('/lost-pupils/review')).body);
      assert.doesNotMatch(shown, /someone else/);
      assert.match(shown, /You removed the records you chose already, so nothing more was changed\./);
      assert.equal(await removals(ids), 2);
    } finally {
      await other.close();
      await t.app.close();
    }
  });

  /**
   * Records of the LA's school past school-leaving age, named by `surnames`; its officer, a colleague
   * (another lost-pupil user of the LA) and a user of the school that sent them.
   */
  async function dueWithColleagues(t: TestApp, surnames: string[]) {
    const db = database().db;
    const la = await makeLa(db);
    const sender = await makeSchool(db, la.number, { name: 'Sender Primary' });
    const records = [];
    for (const surname of surnames) {
      records.push(
        await makeReviewRecord(db, t.deps.files, {
          laNumber: la.number,
          school: sender.number,
          dateOfBirth: LEFT_2025,
          surname,
          forename: 'Kit',
        }),
      );
    }
    const officer = await makeUser(db, 'la_lost_pupil', { laNumber: la.number });
    const colleague = await makeUser(db, 'la_lost_pupil', { laNumber: la.number });
    const schoolUser = await makeUser(db, 'school', {
      laNumber: la.number,
      establishmentNumber: sender.number,
    });
    const agent = new Agent(t.app);
    assert.equal((await agent.signIn(officer.username)).statusCode, 302);
    const ids = records.map((r) => r.id);
    const confirmOf = (chosen: string[]) =>
      `/lost-pupils/review/confirm?${chosen.map((id) => `record=${id}`).join('&')}&action=remove`;
    return { officer, colleague, schoolUser, agent, records, ids, confirmOf };
  }

  test('Remove at Lost Pupils Past Leaving Age with records removed already among those chosen (by the user before, a colleague, the school that sent it): the others are removed, and the confirmation and the answer say which were removed already and by whom', async () => {
    const t = await createTestApp(database().db);
    try {
      const { colleague, schoolUser, agent, records, ids, confirmOf } = await dueWithColleagues(t, [
        'Mine',
        'Theirs',
        'Schools',
        'Waiting',
        'Also',
      ]);
      const [mine, theirs, schools, waiting, also] = records as [
        (typeof records)[0],
        (typeof records)[0],
        (typeof records)[0],
        (typeof records)[0],
        (typeof records)[0],
      ];
      // The user removes one (the list's Back button then shows it still ticked), a colleague another,
      // and the school that sent the third removes its file (View / Remove Files), and the record with it.
      await agent.get(confirmOf([mine.id]));
      const first = await agent.post('/lost-pupils/review/remove', {
        record: [mine.id],
        reason: 'past-leaving-age',
      });
      assert.equal(first.statusCode, 303);
      await new LostPupilReviewService(t.deps).remove(actorOf(colleague), [theirs.id], 'past-leaving-age');
      await new SentService(t.deps).remove(actorOf(schoolUser), schools.transfer.id);

      const confirm = await agent.get(confirmOf(ids));
      assert.equal(confirm.statusCode, 200, textOf(confirm.body));
      const shown = textOf(confirm.body);
      assert.match(shown, /Remove these 2 records from the Lost Pupils Database\?/);
      const colleagueName = `${colleague.full_name} \\(${colleague.username}\\)`;
      const removedBefore = [
        /Removed by you already: Mine, Kit\./,
        new RegExp(`Removed already by ${colleagueName}, a colleague: Theirs, Kit\\.`),
        /Removed already by the school that sent the file: Schools, Kit\./,
      ];
      for (const said of removedBefore) assert.match(shown, said);
      assert.deepEqual(
        [...confirm.body.matchAll(/name="record" value="([^"]+)"/g)].map((m) => m[1]).sort(),
        [waiting.id, also.id].sort(),
        'only the records still to remove are in the form',
      );

      // The form as it was before (all five, the same form posted again): the two are removed, and the
      // answer says which were removed already.
      const done = await agent.post('/lost-pupils/review/remove', {
        record: ids,
        reason: 'past-leaving-age',
      });
      assert.deepEqual([done.statusCode, done.headers.location], [303, '/lost-pupils/review']);
      const answer = textOf((await agent.get('/lost-pupils/review')).body);
      assert.match(answer, /2 records have been removed from the Lost Pupils Database\./);
      for (const said of removedBefore) assert.match(answer, said);
      assert.doesNotMatch(answer, /There is a problem|someone else found/);
      for (const record of [waiting, also])
        assert.equal((await lostPupil(database().db, record.id)).status, 'removed');
      assert.equal(await removals(ids), 4, 'each removed and audited once, the school’s with its file');
      assert.equal((await lostPupil(database().db, theirs.id)).removed_by, colleague.id);

      // All chosen removed already: nothing more, said as a notice, in Welsh too.
      assert.equal((await agent.get('/?lang=cy')).statusCode, 302);
      const again = await agent.post('/lost-pupils/review/remove', {
        record: [theirs.id, schools.id],
        reason: 'past-leaving-age',
      });
      assert.deepEqual([again.statusCode, again.headers.location], [303, '/lost-pupils/review']);
      const welsh = textOf((await agent.get('/lost-pupils/review')).body);
      assert.match(welsh, /Ni newidiwyd dim mwy: roedd y cofnodion a ddewisoch wedi’u tynnu eisoes\./);
      assert.match(
        welsh,
        new RegExp(`Wedi’u tynnu eisoes gan ${colleagueName}, cydweithiwr: Theirs, Kit\\.`),
      );
      assert.match(welsh, /Wedi’u tynnu eisoes gan yr ysgol a anfonodd y ffeil: Schools, Kit\./);
      const confirmAll = await agent.get(confirmOf([mine.id, theirs.id]));
      assert.deepEqual([confirmAll.statusCode, confirmAll.headers.location], [303, '/lost-pupils/review']);
      assert.match(
        textOf((await agent.get('/lost-pupils/review')).body),
        /Wedi’u tynnu gennych chi eisoes: Mine, Kit\./,
      );
    } finally {
      await t.app.close();
    }
  });

  test('Remove at Lost Pupils Past Leaving Age at once with a colleague’s removal of one of its records, on two app nodes: the rest removed, and the answer says the colleague removed that one', async () => {
    let armed = false;
    // The removal's read of the records chosen, on the first node.
    const hold = holdingAfterSelectFrom(database().db, 'lost_pupils', () => armed);
    const t = await createTestApp(hold.db);
    const { colleague, agent, records, ids, confirmOf } = await dueWithColleagues(t, ['Shared', 'Only']);
    const other = await signedInOnAnotherNode(database(), colleague);
    try {
      const [shared] = records as [(typeof records)[0]];
      await agent.get(confirmOf(ids));
      await other.agent.get(confirmOf([shared.id]));
      armed = true;
      const answers = await firstHeldThenAnother(
        database(),
        hold,
        () => agent.post('/lost-pupils/review/remove', { record: ids, reason: 'past-leaving-age' }),
        () => {
          armed = false;
          return other.agent.post('/lost-pupils/review/remove', {
            record: [shared.id],
            reason: 'past-leaving-age',
          });
        },
      );
      assert.deepEqual(
        answers.map((a) => [a.statusCode, a.headers.location]),
        [
          [303, '/lost-pupils/review'],
          [303, '/lost-pupils/review'],
        ],
      );
      const shown = textOf((await agent.get('/lost-pupils/review')).body);
      assert.match(shown, /1 record has been removed from the Lost Pupils Database\./);
      assert.match(
        shown,
        new RegExp(
          `Removed already by ${colleague.full_name} \\(${colleague.username}\\), a colleague: Shared, Kit\\.`,
        ),
      );
      assert.doesNotMatch(shown, /someone else found/);
      assert.equal(await removals(ids), 2);
      assert.equal((await lostPupil(database().db, shared.id)).removed_by, colleague.id);
    } finally {
      await other.close();
      await t.app.close();
    }
  });

  /** Another LA's lost pupil's file, at Forward to a School's confirmation by an LA transfer officer. */
  async function forwarding(t: TestApp) {
    const db = database().db;
    const la = await makeLa(db);
    const arrival = await makeSchool(db, la.number);
    const uploaderLa = await makeLa(db);
    const uploader = await makeSchool(db, uploaderLa.number);
    const made = await makeLostPupil(db, t.deps.files, { from: school(uploader.number) });
    const officer = await makeUser(db, 'la_lost_pupil_transfer', { laNumber: la.number });
    const agent = new Agent(t.app);
    assert.equal((await agent.signIn(officer.username)).statusCode, 302);
    const base = `/lost-pupils/search/${made.record.id}`;
    await agent.get(`${base}/forward`);
    const form = { school: arrival.number, attest: 'yes' };
    assert.equal((await agent.post(`${base}/forward`, form)).statusCode, 200, 'the new name to confirm');
    return {
      agent,
      base,
      form: { ...form, confirm: 'yes' },
      transferId: made.transfer.row.id,
      officer,
      recordId: made.record.id,
    };
  }

  async function copiesOf(transferId: string): Promise<number> {
    const rows = await database()
      .db.selectFrom('transfers')
      .select('id')
      .where('forwarded_from', '=', transferId)
      .execute();
    return rows.length;
  }

  test('Forward to a School confirmed again: one copy, and the second answer says it was forwarded already', async () => {
    const t = await createTestApp(database().db);
    try {
      const { agent, base, form, transferId } = await forwarding(t);
      const first = await agent.post(`${base}/forward`, form);
      assert.deepEqual([first.statusCode, first.headers.location], [303, base]);
      await agent.get(base);
      const again = await agent.post(`${base}/forward`, form);
      assert.deepEqual([again.statusCode, again.headers.location], [303, base]);
      assert.match(
        textOf((await agent.get(base)).body),
        /You forwarded \S+ already, so it was not forwarded again\. The record shows which school it went to\./,
      );
      assert.equal(await copiesOf(transferId), 1);
    } finally {
      await t.app.close();
    }
  });

  test('Forward to a School confirmed twice at once: one copy, and neither answer is an error', async () => {
    const hold = holdingAfterInsertInto(database().db, 'transfers');
    const t = await createTestApp(hold.db);
    try {
      const { agent, base, form, transferId } = await forwarding(t);
      const answers = await twiceAtOnce(database(), hold, () => agent.post(`${base}/forward`, form));
      assert.deepEqual(
        answers.map((a) => [a.statusCode, a.headers.location]),
        [
          [303, base],
          [303, base],
        ],
      );
      assert.equal(await copiesOf(transferId), 1);
    } finally {
      await t.app.close();
    }
  });

  test("the API's Forward to a School sent twice at once by one token: one copy, and both answers give it (201, then 200)", async () => {
    const hold = holdingAfterInsertInto(database().db, 'transfers');
    const t = await createTestApp(hold.db);
    try {
      const { form, transferId, officer, recordId } = await forwarding(t);
      const token = await makeToken(database().db, officer, 'transfer', t.clock);
      const answers = await twiceAtOnce(database(), hold, () =>
        api(t.app, {
          method: 'POST',
          url: `/api/v1/lost-pupils/${recordId}/forward`,
          token,
          json: { school: form.school, attest: true },
        }),
      );
      assert.deepEqual(
        answers.map((a) => a.statusCode),
        [201, 200],
        answers.map((a) => a.body).join('\n'),
      );
      assert.deepEqual(answers[1].json().forwarded, answers[0].json().forwarded);
      assert.equal(await copiesOf(transferId), 1);
      assert.equal(await auditEventsOf(database().db, 'lost-pupil-found', recordId), 1);
    } finally {
      await t.app.close();
    }
  });
});
