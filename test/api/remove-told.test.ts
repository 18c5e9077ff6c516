// DELETE /api/v1/files/{id} says who its removal emailed, by the rules View / Remove Files says it by and
// the removal emails by (decisions 53, 56, 58 and 60): the destination of a CTF waiting for it
// (destinationToldOf), the LA that forwarded the copy (forwarderToldOf), and,
// when the removal made a lost pupil's record lost again (lostAgain, the record's id), the LA that
// uploaded the record, when another (uploaderToldOf). The request sent again answers the same, and
// nothing is sent again. On both engines.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { LostPupilService } from '../../src/lost-pupils/service.ts';
import { DownloadTickets } from '../../src/transfers/download-tickets.ts';
import { LaMonitorService } from '../../src/transfers/la-monitor-service.ts';
import { describeEachEngine } from '../support/databases.ts';
import { ayshireAndBeeshire, makeUser } from '../support/factories.ts';
import { makeLostPupil } from '../support/lost-pupils.ts';
import { actorOf, la, makeTransfer, school } from '../support/transfers.ts';
import { createTestApp, type TestApp } from '../support/web.ts';
import { api, makeToken } from './support.ts';

describeEachEngine('API: who a removal told', (database) => {
  let t: TestApp;
  before(async () => {
    t = await createTestApp(database().db);
  });
  after(async () => {
    await t.app.close();
  });

  async function world() {
    const db = database().db;
    return { db, ...(await ayshireAndBeeshire(db)) };
  }

  /** The emails of this template naming this text, as [kind, recipient]. */
  const emailed = async (template: string, naming: string) =>
    (
      await database()
        .db.selectFrom('notification_outbox')
        .select(['recipient_kind', 'recipient'])
        .where('template', '=', template)
        .where('payload', 'like', `%${naming}%`)
        .execute()
    ).map((e) => [e.recipient_kind, e.recipient]);

  /** DELETE sent twice (the request sent again): the first answer; the second answers the same. */
  async function removeTwice(id: string, token: string) {
    const first = await api(t.app, { method: 'DELETE', url: `/api/v1/files/${id}`, token });
    assert.equal(first.statusCode, 200, first.body);
    const again = await api(t.app, { method: 'DELETE', url: `/api/v1/files/${id}`, token });
    assert.equal(again.statusCode, 200, again.body);
    assert.deepEqual(again.json(), first.json(), 'the request sent again answers the same');
    assert.equal(first.json().contentHeld, false, 'the content is deleted');
    return first.json();
  }

  test('a plain removal tells its destination alone; a copy an LA forwarded tells that LA (forwarder) too, as the page says', async () => {
    const w = await world();
    const schoolUser = await makeUser(w.db, 'school', {
      laNumber: w.laB.number,
      establishmentNumber: w.b1.number,
    });
    const token = await makeToken(w.db, schoolUser, 'transfer', t.clock);

    const plain = await makeTransfer(w.db, t.deps.files, {
      from: school(w.b1.number),
      to: school(w.a1.number),
    });
    const plainAnswer = await removeTwice(plain.row.id, token);
    assert.equal(plainAnswer.status, 'removed', 'the existing fields stay');
    assert.equal(plainAnswer.destination.code, w.a1.number);
    assert.deepEqual(plainAnswer.told, [
      { organisation: { name: 'A One Primary', code: w.a1.number }, as: 'destination' },
    ]);
    assert.equal(plainAnswer.lostAgain, null);
    assert.deepEqual(await emailed('waiting-file-removed', plain.row.filename), [['school', w.a1.number]]);
    assert.deepEqual(await emailed('file-removed', plain.row.filename), []);

    const forwarderB = actorOf(await makeUser(w.db, 'la_user', { laNumber: w.laB.number }));
    const original = await makeTransfer(w.db, t.deps.files, {
      from: school(w.b1.number),
      to: la(w.laB.number),
    });
    const copy = (await new LaMonitorService(t.deps).forward(forwarderB, original.row.id, w.a1.number))
      .forwarded;
    const answer = await removeTwice(copy.id, token);
    assert.equal(answer.status, 'removed');
    assert.deepEqual(answer.told, [
      { organisation: { name: 'A One Primary', code: w.a1.number }, as: 'destination' },
      { organisation: { name: 'Beeshire LA', code: `${w.laB.number}LLLL` }, as: 'forwarder' },
    ]);
    assert.equal(answer.lostAgain, null);
    assert.deepEqual(
      await emailed('forwarded-file-removed', copy.filename),
      [['la', w.laB.number]],
      'emailed once',
    );
  });

  test("a lost pupil's copy removed by the LA that forwarded it: the record is lost again (lostAgain) and the LA that uploaded it is told", async () => {
    const w = await world();
    const transferUser = await makeUser(w.db, 'la_lost_pupil_transfer', { laNumber: w.laA.number });
    const token = await makeToken(w.db, transferUser, 'transfer', t.clock);
    const lostPupils = new LostPupilService({ ...t.deps, tickets: new DownloadTickets('a secret') });
    const { record } = await makeLostPupil(w.db, t.deps.files, { from: school(w.b1.number) });
    const copy = (
      await lostPupils.forward(actorOf(transferUser), record.id, { school: w.a2.number, attested: true })
    ).result.forwarded;
    const answer = await removeTwice(copy.id, token);
    assert.equal(answer.status, 'removed');
    assert.equal(answer.lostAgain, record.id);
    assert.deepEqual(answer.told, [
      { organisation: { name: 'A Two Primary', code: w.a2.number }, as: 'destination' },
      { organisation: { name: 'Beeshire LA', code: `${w.laB.number}LLLL` }, as: 'lost-pupil-uploader' },
    ]);
    assert.deepEqual(
      await emailed('lost-pupil-lost-again', record.id),
      [['la', w.laB.number]],
      'emailed once',
    );
  });
});
