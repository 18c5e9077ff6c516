import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { describeEachEngine } from '../support/databases.ts';
import { makeLa, makeSchool, makeUser } from '../support/factories.ts';
import { Agent, createTestApp, type TestApp } from '../support/web.ts';

describeEachEngine('home, contacts and school details', (database) => {
  let t: TestApp;
  before(async () => {
    t = await createTestApp(database().db, { SERVICE_DESK_EMAIL: 'desk@s2s.example.gov.uk' });
  });
  after(async () => {
    await t.app.close();
  });

  test('a school user sees their school details and is told when no email address is held', async () => {
    const { db } = database();
    const la = await makeLa(db);
    const school = await makeSchool(db, la.number, {
      email: null,
      telephone: '01452 111222',
      town: 'Tewkesbury',
    });
    const user = await makeUser(db, 'school', { laNumber: la.number, establishmentNumber: school.number });
    const agent = new Agent(t.app);
    await agent.signIn(user.username);
    const home = await agent.get('/');
    assert.match(home.body, /No email address is held for your school/);
    const details = await agent.get('/school-details');
    assert.equal(details.statusCode, 200);
    assert.match(details.body, new RegExp(`${la.number}/${school.number.slice(3)}`));
    assert.match(details.body, /Tewkesbury/);
    assert.match(details.body, /01452 111222/);
  });

  test("a DBA's home page counts schools without email and users yet to replace an issued password", async () => {
    const { db } = database();
    const la = await makeLa(db);
    await makeSchool(db, la.number, { email: null });
    await makeSchool(db, la.number, { email: null });
    await makeSchool(db, la.number, { email: null, status: 'closed' });
    await makeUser(db, 'la_user', { laNumber: la.number }, { must_change_password: 1 });
    const dba = await makeUser(db, 'la_dba', { laNumber: la.number });
    const agent = new Agent(t.app);
    await agent.signIn(dba.username);
    const home = await agent.get('/');
    assert.match(home.body, /2 open schools have no email address/);
    assert.match(home.body, /1 user has not yet signed in to replace the password you issued/);
  });

  test('with nothing outstanding the home page says so', async () => {
    const { db } = database();
    const la = await makeLa(db);
    const user = await makeUser(db, 'la_user', { laNumber: la.number });
    const agent = new Agent(t.app);
    await agent.signIn(user.username);
    assert.match((await agent.get('/')).body, /Nothing is waiting for you/);
  });

  test("Contacts shows the user's LA contact and the service desk", async () => {
    const { db } = database();
    const la = await makeLa(db, { contact_name: 'Jan Data', email: 'jan.data@testshire.example.gov.uk' });
    const user = await makeUser(db, 'la_user', { laNumber: la.number });
    const agent = new Agent(t.app);
    await agent.signIn(user.username);
    const page = await agent.get('/contacts');
    assert.match(page.body, /Jan Data/);
    assert.match(page.body, /jan\.data@testshire\.example\.gov\.uk/);
    assert.match(page.body, /desk@s2s\.example\.gov\.uk/);
  });

  test('GET /healthz reports the database and file store', async () => {
    const response = await t.app.inject({ method: 'GET', url: '/healthz' });
    assert.equal(response.statusCode, 200);
    assert.deepEqual(response.json(), { status: 'ok', database: 'ok', fileStore: 'ok' });
  });
});
