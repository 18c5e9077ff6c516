// The names s2s makes up for the other end of a file ("Testshire LA", "School 1234567", "Lost pupils
// database (destination unknown)") in the reader's language on the pages; the REST API keeps English.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { api, makeToken } from '../api/support.ts';
import { describeEachEngine } from '../support/databases.ts';
import { makeLa, makeSchool, makeUser } from '../support/factories.ts';
import { la, laInbox, makeFileStores, makeTransfer, school } from '../support/transfers.ts';
import { Agent, createTestApp, type TestApp, textOf } from '../support/web.ts';

describeEachEngine('names s2s makes up for the other end of a file', (database) => {
  let t: TestApp;
  before(async () => {
    t = await createTestApp(database().db);
  });
  after(async () => {
    await t.app.close();
  });

  async function world() {
    const db = database().db;
    const home = await makeLa(db, { name: 'Testshire' });
    const receiver = await makeSchool(db, home.number, { name: 'Receiving Primary' });
    const unknown = `${home.number}9990`;
    const { files } = makeFileStores();
    const fromLa = await makeTransfer(db, files, { from: la(home.number), to: school(receiver.number) });
    const fromUnknown = await makeTransfer(db, files, { from: school(unknown), to: school(receiver.number) });
    const toInbox = await makeTransfer(db, files, {
      from: school(receiver.number),
      to: laInbox(home.number, 'PLAS'),
      category: 'plasc',
    });
    const lost = await makeTransfer(db, files, {
      from: school(receiver.number),
      to: school(receiver.number),
      overrides: {
        dest_kind: 'lost-pupils',
        dest_la: null,
        dest_school: null,
        lost_reason: 'destination-unknown',
      },
    });
    const user = await makeUser(db, 'school', {
      laNumber: home.number,
      establishmentNumber: receiver.number,
    });
    const agent = new Agent(t.app);
    assert.equal((await agent.signIn(user.username)).statusCode, 302);
    return { db, home, unknown, user, agent, fromLa, fromUnknown, toInbox, lost };
  }

  test('Download and View / Remove Files name them in English, and in Welsh for a Welsh reader', async () => {
    const w = await world();
    const english = textOf((await w.agent.get('/download/ctf')).body);
    assert.match(english, /Testshire LA/);
    assert.match(english, new RegExp(`School ${w.unknown}`));
    assert.match(
      textOf((await w.agent.get(`/sent/files/${w.toInbox.row.id}`)).body),
      /Testshire PLASC inbox/,
    );
    assert.match(
      textOf((await w.agent.get(`/sent/files/${w.lost.row.id}`)).body),
      /Lost pupils database \(destination unknown\) \(XXXXXXXX\)/,
    );

    await w.agent.get('/download/ctf?lang=cy');
    const welsh = textOf((await w.agent.get('/download/ctf')).body);
    assert.match(welsh, /Awdurdod lleol Testshire/);
    assert.match(welsh, new RegExp(`Ysgol ${w.unknown}`));
    assert.doesNotMatch(welsh, /Testshire LA|School \d/);
    const file = textOf((await w.agent.get(`/download/ctf/files/${w.fromLa.row.id}`)).body);
    assert.match(file, new RegExp(`Awdurdod lleol Testshire \\(${w.home.number}LLLL\\)`));
    assert.match(
      textOf((await w.agent.get(`/sent/files/${w.toInbox.row.id}`)).body),
      /Blwch derbyn PLASC Testshire/,
    );
    assert.match(
      textOf((await w.agent.get(`/sent/files/${w.lost.row.id}`)).body),
      /Cronfa ddata disgyblion coll \(cyrchfan anhysbys\) \(XXXXXXXX\)/,
    );
  });

  test('the REST API names them in English', async () => {
    const w = await world();
    const token = await makeToken(w.db, w.user, 'read');
    const response = await api(t.app, { url: '/api/v1/files/incoming', token });
    assert.equal(response.statusCode, 200);
    const sources = (response.json() as { items: { source: { name: string; code: string } }[] }).items.map(
      (item) => item.source,
    );
    assert.deepEqual(
      sources.sort((a, b) => a.code.localeCompare(b.code)),
      [
        { name: `School ${w.unknown}`, code: w.unknown },
        { name: 'Testshire LA', code: `${w.home.number}LLLL` },
      ],
    );
    const sent = await api(t.app, { url: `/api/v1/files/${w.lost.row.id}`, token });
    assert.equal(sent.statusCode, 200);
    assert.deepEqual((sent.json() as { destination: unknown }).destination, {
      name: 'Lost pupils database (destination unknown)',
      code: 'XXXXXXXX',
    });
  });
});
