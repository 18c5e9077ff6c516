import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, test } from 'node:test';
import { acceptChainBreak } from '../../src/audit/breaks.ts';
import { chainHead, sealAudit, verifyAudit } from '../../src/audit/chain.ts';
import type { Role } from '../../src/auth/permissions.ts';
import { asAcceptedBefore041 } from '../support/audit.ts';
import { asDatabaseWriter, describeEachEngine } from '../support/databases.ts';
import { makeLa, makeSchool, makeUser } from '../support/factories.ts';
import { makeFileStores, makeTransfer, school as schoolParty } from '../support/transfers.ts';
import { Agent, createTestApp, errorSummary, type TestApp, textOf } from '../support/web.ts';

function schoolForm(number: string, overrides: Record<string, string> = {}): Record<string, string> {
  return {
    number,
    name: 'Hillside Primary School',
    town: 'Gloucester',
    postcode: 'GL1 2TG',
    phase: 'Primary',
    type: 'Community school',
    email: 'office@hillside.example.sch.uk',
    telephone: '01452 425000',
    usesS2s: 'yes',
    active: 'yes',
    ...overrides,
  };
}

describeEachEngine('directory pages', (database) => {
  let t: TestApp;
  before(async () => {
    t = await createTestApp(database().db);
  });
  after(async () => {
    await t.app.close();
  });

  async function signedIn(
    role: Role,
    org: { laNumber?: string; establishmentNumber?: string } = {},
  ): Promise<{ agent: Agent; username: string }> {
    const user = await makeUser(database().db, role, org);
    const agent = new Agent(t.app);
    const response = await agent.signIn(user.username);
    assert.equal(response.statusCode, 302, 'signed in');
    return { agent, username: user.username };
  }

  test('the DBA page lists the items of the DBA menu the role may use, with their descriptions', async () => {
    const la = await makeLa(database().db);
    const { agent } = await signedIn('la_dba', { laNumber: la.number });
    const page = await agent.get('/dba');
    assert.equal(page.statusCode, 200);
    const text = textOf(page.body);
    assert.match(text, /Please select an item from the list/);
    assert.match(text, /School Maintenance Add, delete, view and update the schools of your LA/);
    assert.match(text, /Audit Log/);

    const viewer = await signedIn('la_dba_view', { laNumber: la.number });
    const viewOnly = textOf((await viewer.agent.get('/dba')).body);
    assert.match(viewOnly, /Maintain LEA Details/);
    assert.doesNotMatch(viewOnly, /Audit Log/);
  });

  test('a DBA adds a school and sees it in the list', async () => {
    const la = await makeLa(database().db, { name: 'Addshire' });
    const { agent } = await signedIn('la_dba', { laNumber: la.number });
    const list = await agent.get('/dba/schools');
    assert.equal(list.statusCode, 200);
    assert.match(list.body, /href="\/dba\/schools\/add"[^>]*>\s*Add School/);

    const added = await agent.post('/dba/schools/add', schoolForm(`${la.number}5402`), {
      formPage: '/dba/schools/add',
    });
    assert.equal(added.statusCode, 302);
    assert.equal(added.headers.location, '/dba/schools');
    const after = await agent.get('/dba/schools');
    const text = textOf(after.body);
    assert.match(text, new RegExp(`Hillside Primary School \\(${la.number}5402\\) has been added`));
    assert.match(text, new RegExp(`1 school of ${la.number} Addshire`));
    assert.match(text, new RegExp(`Hillside Primary School ${la.number}/5402 Gloucester Open Active Yes`));
  });

  test('bad input shows the error summary, linked to the fields, and keeps what was entered', async () => {
    const la = await makeLa(database().db);
    const other = await makeLa(database().db);
    const { agent } = await signedIn('la_dba', { laNumber: la.number });
    const response = await agent.post(
      '/dba/schools/add',
      schoolForm(`${other.number}5402`, { email: 'head@yahoo.com', telephone: 'none', usesS2s: '' }),
      { formPage: '/dba/schools/add' },
    );
    assert.equal(response.statusCode, 400);
    const summary = errorSummary(response.body);
    assert.match(summary, new RegExp(`must start with the LA number ${la.number}`));
    assert.match(summary, /free webmail services \(yahoo\.com\) are not allowed/);
    assert.match(summary, /Enter a UK telephone number/);
    assert.match(summary, /Select yes if the school uses s2s/);
    for (const field of ['number', 'email', 'telephone', 'usesS2s']) {
      assert.match(response.body, new RegExp(`href="#${field}"`));
      assert.match(response.body, new RegExp(`id="${field}"`), `the summary's link reaches #${field}`);
    }
    assert.match(response.body, /value="Hillside Primary School"/);
    assert.match(response.body, /value="head@yahoo.com"/);
    assert.match(response.body, /<title>Error: /);
  });

  test('in Welsh: the DBA page, School Maintenance, Add School with its errors, the finder and the audit log', async () => {
    const { db } = database();
    const la = await makeLa(db, { name: 'Sir Fynwy' });
    const user = await makeUser(db, 'la_dba', { laNumber: la.number }, { language: 'cy' });
    const agent = new Agent(t.app);
    await agent.signIn(user.username);
    const dba = await agent.get('/dba');
    assert.match(dba.body, /<html lang="cy"/);
    assert.match(textOf(dba.body), /Yn caniatáu i Weinyddwr yr AALl \(DBA\) reoli mynediad at s2s/);
    assert.match(textOf(dba.body), /Dewiswch eitem o’r rhestr\./);
    assert.match(
      textOf(dba.body),
      /Cynnal a Chadw Ysgolion Ychwanegu, dileu, gweld a diweddaru ysgolion eich awdurdod lleol/,
    );

    const schools = await agent.get('/dba/schools');
    assert.match(schools.body, /<h1 class="govuk-heading-l">.*Cynnal a Chadw Ysgolion<\/h1>/);
    const refused = await agent.post(
      '/dba/schools/add',
      schoolForm(`${la.number}5402`, { name: '', email: 'head@yahoo.com', usesS2s: '' }),
      { formPage: '/dba/schools/add' },
    );
    assert.equal(refused.statusCode, 400);
    assert.equal(
      errorSummary(refused.body),
      'Mae problem wedi codi Rhowch enw’r ysgol ' +
        'Ni chaniateir cyfeiriadau e-bost ar wasanaethau gwe-bost am ddim (yahoo.com). Defnyddiwch gyfeiriad ysgol neu awdurdod lleol, fel un sy’n gorffen gyda .sch.uk neu .gov.uk ' +
        'Dewiswch ‘ydy’ os yw’r ysgol yn defnyddio s2s',
    );
    assert.match(refused.body, /<h1 class="govuk-heading-l">.*Ychwanegu Ysgol<\/h1>/);
    await agent.post('/dba/schools/add', schoolForm(`${la.number}5402`), { formPage: '/dba/schools/add' });
    const list = textOf((await agent.get('/dba/schools')).body);
    assert.match(list, new RegExp(`Mae Hillside Primary School \\(${la.number}5402\\) wedi’i hychwanegu`));
    assert.match(list, new RegExp(`1 ysgol yn ${la.number} Sir Fynwy`));
    assert.match(list, /Ar agor Gweithredol Ydy/);

    const finder = await agent.get('/establishments?name=Hillside&town=');
    assert.match(finder.body, /<h1 class="govuk-heading-l">Chwilio am Sefydliad<\/h1>/);
    assert.match(textOf(finder.body), /Cafwyd hyd i \d+ ysgol/);
    assert.match(
      textOf(finder.body),
      /Nid yw ysgolion yn yr Alban wedi’u rhestru .* defnyddiwch MMMMMMMM fel cyrchfan y CTF\./,
    );

    const audit = await agent.get('/dba/audit');
    assert.match(audit.body, /<h1 class="govuk-heading-l">Log Archwilio<\/h1>/);
    assert.match(textOf(audit.body), /Rydych yn gweld digwyddiadau eich awdurdod lleol a’i ysgolion/);
    assert.match(textOf(audit.body), /Ysgol wedi’i hychwanegu/, "the action's wording");
  });

  test('a view-only DBA sees the schools but no change links or buttons, and its changes are refused', async () => {
    const db = database().db;
    const la = await makeLa(db);
    const school = await makeSchool(db, la.number, { name: 'Readonly Primary School' });
    const { agent } = await signedIn('la_dba_view', { laNumber: la.number });

    const list = await agent.get('/dba/schools');
    assert.equal(list.statusCode, 200);
    assert.match(list.body, /Readonly Primary School/);
    assert.doesNotMatch(list.body, /Add School/);
    assert.doesNotMatch(list.body, /\/delete"/);
    const view = await agent.get(`/dba/schools/${school.number}`);
    assert.equal(view.statusCode, 200);
    assert.doesNotMatch(view.body, /<form method="post" action="\/dba\/schools/);
    assert.doesNotMatch(view.body, /Delete school/);
    assert.match(textOf(view.body), /can view these details but not change them/);

    assert.equal((await agent.get('/dba/schools/add')).statusCode, 403);
    const add = await agent.post('/dba/schools/add', schoolForm(`${la.number}5403`));
    assert.equal(add.statusCode, 403);
    const update = await agent.post(
      `/dba/schools/${school.number}`,
      schoolForm(school.number, { name: 'Changed' }),
    );
    assert.equal(update.statusCode, 403);
    const remove = await agent.post(`/dba/schools/${school.number}/delete`, {});
    assert.equal(remove.statusCode, 403);
    const stored = await db
      .selectFrom('establishments')
      .select('name')
      .where('number', '=', school.number)
      .executeTakeFirstOrThrow();
    assert.equal(stored.name, 'Readonly Primary School');
  });

  test("another LA's school number is not found, and its data never shown", async () => {
    const db = database().db;
    const la = await makeLa(db);
    const other = await makeLa(db);
    const foreign = await makeSchool(db, other.number, { name: 'Foreign Secret School' });
    const { agent } = await signedIn('la_dba', { laNumber: la.number });

    for (const url of [
      `/dba/schools/${foreign.number}`,
      `/dba/schools/${foreign.number}/delete`,
      '/dba/schools/12',
    ]) {
      const response = await agent.get(url);
      assert.equal(response.statusCode, 404, url);
      assert.doesNotMatch(response.body, /Foreign Secret School/);
    }
    await agent.get('/dba/schools');
    const update = await agent.post(
      `/dba/schools/${foreign.number}`,
      schoolForm(foreign.number, { name: 'Hijacked' }),
    );
    assert.equal(update.statusCode, 404);
    const remove = await agent.post(`/dba/schools/${foreign.number}/delete`, {});
    assert.equal(remove.statusCode, 404);
    const list = await agent.get(`/dba/schools?la=${other.number}`);
    assert.equal(list.statusCode, 200);
    assert.doesNotMatch(list.body, /Foreign Secret School/, 'an LA user always sees their own LA');
    const stored = await db
      .selectFrom('establishments')
      .select('name')
      .where('number', '=', foreign.number)
      .executeTakeFirstOrThrow();
    assert.equal(stored.name, 'Foreign Secret School');
  });

  test('a DBA updates a school and can make its account inactive', async () => {
    const db = database().db;
    const la = await makeLa(db);
    const school = await makeSchool(db, la.number, { name: 'Before Update School' });
    const { agent } = await signedIn('la_dba', { laNumber: la.number });
    const page = await agent.get(`/dba/schools/${school.number}`);
    assert.match(page.body, /value="Before Update School"/);
    const response = await agent.post(
      `/dba/schools/${school.number}`,
      schoolForm(school.number, { name: 'After Update School', active: 'no' }),
    );
    assert.equal(response.statusCode, 302);
    const list = textOf((await agent.get('/dba/schools')).body);
    assert.match(list, /After Update School \(\d{7}\) has been updated/);
    assert.match(list, /After Update School \d{3}\/\d{4} Gloucester Open Inactive Yes/);
  });

  test('deleting a school asks for confirmation and is refused while it has users', async () => {
    const db = database().db;
    const la = await makeLa(db);
    const busy = await makeSchool(db, la.number, { name: 'Busy School' });
    await makeUser(db, 'school', { laNumber: la.number, establishmentNumber: busy.number });
    const empty = await makeSchool(db, la.number, { name: 'Empty School' });
    const { agent } = await signedIn('la_dba', { laNumber: la.number });

    const refusal = await agent.get(`/dba/schools/${busy.number}/delete`);
    assert.equal(refusal.statusCode, 200);
    assert.match(textOf(refusal.body), /delete its users first, in User Maintenance/);
    assert.doesNotMatch(refusal.body, /Yes, delete this school/);
    const forced = await agent.post(`/dba/schools/${busy.number}/delete`, {});
    assert.equal(forced.statusCode, 400);
    assert.match(errorSummary(forced.body), /still has 1 user account: delete its users first/);

    const confirm = await agent.get(`/dba/schools/${empty.number}/delete`);
    assert.match(confirm.body, /Yes, delete this school/);
    const deleted = await agent.post(`/dba/schools/${empty.number}/delete`, {});
    assert.equal(deleted.statusCode, 302);
    const list = textOf((await agent.get('/dba/schools')).body);
    assert.match(list, /Empty School \(\d{7}\) has been deleted/);
    assert.equal((await agent.get(`/dba/schools/${empty.number}`)).statusCode, 404);
  });

  test('deleting a school is refused while files wait for it, with the way to deal with its CTFs', async () => {
    const db = database().db;
    const { files } = makeFileStores();
    const la = await makeLa(db);
    const waiting = await makeSchool(db, la.number, { name: 'Waiting School' });
    const sender = await makeSchool(db, la.number);
    for (let i = 0; i < 4; i += 1) {
      await makeTransfer(db, files, { from: schoolParty(sender.number), to: schoolParty(waiting.number) });
    }
    const { agent } = await signedIn('la_dba', { laNumber: la.number });

    const refusal = await agent.get(`/dba/schools/${waiting.number}/delete`);
    assert.equal(refusal.statusCode, 200);
    const text = textOf(refusal.body);
    assert.match(text, /Files waiting to be collected 4/);
    assert.match(
      text,
      /4 CTFs are still waiting for it: forward them to the right school, or delete them, in Delete files not collected by schools/,
    );
    assert.match(
      refusal.body,
      /<a class="govuk-link" href="\/download\/ctf\/uncollected">Go to Delete files not collected by schools<\/a>/,
    );
    assert.doesNotMatch(refusal.body, /Yes, delete this school/);
    assert.doesNotMatch(refusal.body, /href="\/dba\/users"/, 'no users to delete');

    const forced = await agent.post(`/dba/schools/${waiting.number}/delete`, {});
    assert.equal(forced.statusCode, 400);
    assert.match(
      errorSummary(forced.body),
      /Waiting School \(\d{7}\) cannot be deleted because 4 CTFs are still waiting/,
    );
    assert.match(forced.body, /href="#files"/);
    assert.equal((await agent.get(`/dba/schools/${waiting.number}`)).statusCode, 200, 'the school is kept');

    // The national administrator is told the same but works no LA's CTFs: no link to a page it cannot open.
    const admin = await signedIn('national_admin');
    const adminPage = await admin.agent.get(`/dba/schools/${waiting.number}/delete`);
    assert.match(textOf(adminPage.body), /4 CTFs are still waiting for it/);
    assert.doesNotMatch(adminPage.body, /href="\/download\/ctf\/uncollected"/);

    const cymraeg = await makeUser(db, 'la_dba', { laNumber: la.number }, { language: 'cy' });
    const welshAgent = new Agent(t.app);
    await welshAgent.signIn(cymraeg.username);
    const welsh = await welshAgent.get(`/dba/schools/${waiting.number}/delete`);
    assert.match(
      textOf(welsh.body),
      /Ni ellir dileu Waiting School \(\d{7}\) am fod 4 CTF yn dal i aros amdani/,
    );
  });

  test('a national administrator picks the LA whose schools to manage', async () => {
    const la = await makeLa(database().db, { name: 'Pickshire' });
    await makeSchool(database().db, la.number, { name: 'Picked School' });
    const { agent } = await signedIn('national_admin');
    const picker = await agent.get('/dba/schools');
    assert.equal(picker.statusCode, 200);
    assert.match(picker.body, new RegExp(`<option value="${la.number}"[^>]*>${la.number} Pickshire`));
    assert.doesNotMatch(picker.body, /Picked School/);
    const list = await agent.get(`/dba/schools?la=${la.number}`);
    assert.match(list.body, /Picked School/);
    assert.match(list.body, new RegExp(`href="/dba/schools/add\\?la=${la.number}"`));
    const added = await agent.post(
      `/dba/schools/add`,
      { ...schoolForm(`${la.number}3001`), la: la.number },
      {
        formPage: `/dba/schools/add?la=${la.number}`,
      },
    );
    assert.equal(added.statusCode, 302);
    assert.equal(added.headers.location, `/dba/schools?la=${la.number}`);
  });

  test('every role can use the Establishment Finder: "Martha" and "Bristol" find St Mary and St Martha School', async () => {
    const db = database().db;
    const la = await makeLa(db, { name: 'Bristol' });
    const wales = await makeLa(db, { name: 'Cardiff', country: 'Wales' });
    const martha = await makeSchool(db, la.number, { name: 'St Mary and St Martha School', town: 'Bristol' });
    await makeSchool(db, la.number, { name: 'St Martha Academy', town: 'Bath' });
    await makeSchool(db, wales.number, {
      name: 'Ysgol Martha',
      town: 'Bristol',
      status: 'closed',
      uses_s2s: 0,
    });
    const home = await makeSchool(db, la.number);
    const { agent } = await signedIn('school', { laNumber: la.number, establishmentNumber: home.number });

    const blank = await agent.get('/establishments');
    assert.equal(blank.statusCode, 200);
    assert.equal(errorSummary(blank.body), '');
    assert.match(blank.body, /<label class="govuk-label" for="name">\s*School name \(or part of it\)/);
    // Handbook §7 and §9: Scotland's schools are not in s2s; a pupil leaving England and Wales is MMMMMMMM.
    assert.match(
      textOf(blank.body),
      /Schools in Scotland are not listed and cannot receive a CTF through s2s: for a pupil moving to Scotland, or anywhere else outside England and Wales, use MMMMMMMM as the CTF’s destination\./,
    );

    const response = await agent.get('/establishments?name=Martha&town=Bristol');
    assert.equal(response.statusCode, 200);
    const text = textOf(response.body);
    assert.match(text, /St Mary and St Martha School/);
    assert.match(text, new RegExp(`${la.number}/${martha.number.slice(3)} in full: ${martha.number}`));
    assert.match(text, /Ysgol Martha Bristol TE1 1ST \d{3} Cardiff Wales Primary Community school Closed No/);
    assert.doesNotMatch(text, /St Martha Academy/);
    assert.match(response.body, /<caption[^>]*>\s*\d+ schools found/);

    // The handbook's school as it spells it, and with an apostrophe: punctuation does not matter.
    for (const name of ['St.+Martha', 'Martha%27s', 'St+Martha%E2%80%99s']) {
      const punctuated = textOf((await agent.get(`/establishments?name=${name}&town=Bristol`)).body);
      assert.match(punctuated, /St Mary and St Martha School/, name);
      assert.doesNotMatch(punctuated, /No schools found/, name);
    }

    const neither = await agent.get('/establishments?name=&town=');
    assert.equal(neither.statusCode, 400);
    assert.match(errorSummary(neither.body), /Enter part of the school name, the town, or both/);
    assert.match(neither.body, /href="#name"/);
  });

  test('the finder shows the first 100 and asks for a narrower search', async () => {
    const db = database().db;
    const la = await makeLa(db);
    const town = `Crowded${la.number}`;
    for (let i = 0; i < 101; i += 1) await makeSchool(db, la.number, { town });
    const { agent } = await signedIn('la_user', { laNumber: la.number });
    const response = await agent.get(`/establishments?town=${town}`);
    assert.equal(response.statusCode, 200);
    assert.match(textOf(response.body), /More than 100 schools match\. Only the first 100 are shown/);
    assert.equal(response.body.match(/<th scope="row"/g)?.length, 100);
  });

  test('a DBA updates the LEA details and sees the confirmation; a view-only DBA cannot', async () => {
    const la = await makeLa(database().db, { name: 'Detailshire' });
    const { agent } = await signedIn('la_dba', { laNumber: la.number });
    const page = await agent.get('/dba/la');
    assert.equal(page.statusCode, 200);
    assert.match(textOf(page.body), new RegExp(`LA number ${la.number} Name Detailshire Country England`));

    const bad = await agent.post('/dba/la', {
      contactName: 'Data Team',
      email: 'team@gmail.com',
      telephone: '01452 425000',
      address: '',
    });
    assert.equal(bad.statusCode, 400);
    assert.match(errorSummary(bad.body), /free webmail services \(gmail\.com\) are not allowed/);
    assert.match(bad.body, /value="Data Team"/);

    const good = await agent.post('/dba/la', {
      contactName: 'Data Team',
      email: 'data.team@detailshire.example.gov.uk',
      telephone: '01452 425000',
      address: 'Shire Hall\nGloucester GL1 2TG',
    });
    assert.equal(good.statusCode, 302);
    assert.equal(good.headers.location, '/dba/la');
    const after = textOf((await agent.get('/dba/la')).body);
    assert.match(after, new RegExp(`The details held for ${la.number} Detailshire have been updated`));
    assert.match(after, /Contact name Data Team/);
    assert.match(after, /Address Shire Hall, Gloucester GL1 2TG/);

    const viewer = await signedIn('la_dba_view', { laNumber: la.number });
    const viewPage = await viewer.agent.get('/dba/la');
    assert.match(textOf(viewPage.body), /Contact name Data Team/);
    assert.doesNotMatch(viewPage.body, /action="\/dba\/la"/);
    const refused = await viewer.agent.post('/dba/la', { contactName: 'Someone Else' });
    assert.equal(refused.statusCode, 403);
  });

  test("the audit log shows the DBA's own LA's events but not another LA's", async () => {
    const db = database().db;
    const own = await makeLa(db);
    const other = await makeLa(db);
    const school = await makeSchool(db, own.number);
    const elsewhere = await signedIn('la_dba', { laNumber: other.number });
    const { agent, username } = await signedIn('la_dba', { laNumber: own.number });
    t.clock.advanceMinutes(1);
    await agent.post(`/dba/schools/${school.number}`, schoolForm(school.number, { name: 'Audited School' }), {
      formPage: `/dba/schools/${school.number}`,
    });

    const page = await agent.get('/dba/audit');
    assert.equal(page.statusCode, 200);
    const text = textOf(page.body);
    assert.ok(
      text.includes(
        `${username} ${school.number} School updated school ${school.number} fields: name, town, postcode, email, telephone`,
      ),
      text,
    );
    assert.ok(text.includes(`${username} ${own.number} Signed in`));
    assert.ok(!text.includes(elsewhere.username), "another LA's events are not shown");
    assert.match(page.body, /<caption[^>]*>\s*Events/);

    const viewer = await signedIn('la_dba_view', { laNumber: own.number });
    assert.equal((await viewer.agent.get('/dba/audit')).statusCode, 403);
  });

  test("the audit log's CSV holds the DBA's scope, oldest first, with the chain; the national page shows the anchor", async () => {
    const db = database().db;
    const own = await makeLa(db);
    const other = await makeLa(db);
    const elsewhere = await signedIn('la_dba', { laNumber: other.number });
    const { agent, username } = await signedIn('la_dba', { laNumber: own.number });
    await sealAudit(db, t.deps.auditKeys);

    const csv = await agent.get('/dba/audit.csv');
    assert.equal(csv.statusCode, 200);
    assert.match(String(csv.headers['content-type']), /^text\/csv/);
    assert.match(
      String(csv.headers['content-disposition']),
      new RegExp(`audit-log-${own.number}-\\d{4}-\\d{2}-\\d{2}\\.csv`),
    );
    const lines = csv.body
      .replace(/^\uFEFF/, '')
      .trim()
      .split('\r\n');
    assert.equal(
      lines[0],
      'Sequence,Occurred (UTC),Actor username,Actor user id,Organisation,Action,Subject type,Subject id,Detail,Previous hash,Hash',
    );
    const ownLines = lines.filter((l) => l.includes(`,${username},`));
    assert.equal(ownLines.length, 1, 'the DBA signed in once');
    assert.match(
      String(ownLines[0]),
      new RegExp(`^\\d+,[^,]+,${username},[^,]+,${own.number},sign-in,.*,[0-9a-f]{64},[0-9a-f]{64}$`),
    );
    assert.ok(!csv.body.includes(elsewhere.username), "another LA's events are not in it");
    assert.doesNotMatch(
      (await agent.get('/dba/audit')).body,
      /s2s audit verify --anchor/,
      'the anchor is for the whole trail',
    );

    const national = await signedIn('national_admin');
    await sealAudit(db, t.deps.auditKeys);
    let head = await chainHead(db);
    const page = await national.agent.get('/dba/audit');
    assert.ok(page.body.includes(`${head.seq}:${head.hash}`), 'the anchor is shown');
    assert.match(textOf(page.body), /of these events are sealed with MACs under the audit key/);
    assert.doesNotMatch(textOf(page.body), /fails its MAC/);
    // An event inserted in the database without the audit key is sealed marked, and the page says so.
    await db
      .insertInto('audit_events')
      .values({
        id: randomUUID(),
        occurred_at: '2026-01-01T00:00:00.000Z',
        actor_user_id: null,
        actor_username: 'intruder',
        organisation: null,
        action: 'user-deleted',
        subject_type: null,
        subject_id: null,
        detail: null,
      })
      .execute();
    assert.equal((await sealAudit(db, t.deps.auditKeys)).unproven, 1);
    const marked = await db
      .selectFrom('audit_events')
      .select('id')
      .where('seal_finding', 'is not', null)
      .execute();
    assert.match(
      textOf((await national.agent.get('/dba/audit')).body),
      new RegExp(`${marked.length} events in the audit trail were not written by s2s as they stand`),
    );
    // A head altered in the database (moved back, its MAC kept) is flagged on the page.
    head = await chainHead(db);
    const moveHead = (seq: number) =>
      asDatabaseWriter(db, () =>
        db.updateTable('audit_chain_head').set({ seq }).where('id', '=', 1).execute(),
      );
    await moveHead(head.seq - 1);
    try {
      assert.match(
        textOf((await national.agent.get('/dba/audit')).body),
        /Warning The audit chain’s head fails its MAC: the audit trail has been tampered with/,
      );
    } finally {
      await moveHead(head.seq);
    }
    // Once the break is accepted, the page names it for good, with its date and reason (escaped).
    await moveHead(head.seq - 1);
    const found = await verifyAudit(db, t.deps.auditKeys);
    await acceptChainBreak(db, t.deps.auditKeys, t.deps.clock, {
      at: Number(found.broken?.seq),
      reason: 'INC-9: <b>head</b> edited',
      actorUsername: 'cli',
    });
    const accepted = await national.agent.get('/dba/audit');
    assert.ok(accepted.body.includes('“INC-9: &lt;b&gt;head&lt;/b&gt; edited”'), 'the reason, escaped');
    assert.match(
      textOf(accepted.body),
      new RegExp(
        `Warning The audit chain was broken at event ${found.broken?.seq}, and the break was accepted on .+ by cli, with the reason`,
      ),
    );
    assert.doesNotMatch(textOf(accepted.body), /Warning The audit chain’s head fails its MAC/);
    assert.doesNotMatch(textOf(accepted.body), /cannot be checked/, 'nothing kept at it');
    // A break accepted before migration 041, with events kept at it: the page says they cannot be checked.
    await sealAudit(db, t.deps.auditKeys);
    const newest = (await chainHead(db)).seq;
    await asDatabaseWriter(db, () =>
      db.updateTable('audit_events').set({ actor_username: 'x' }).where('seq', '=', newest).execute(),
    );
    await acceptChainBreak(db, t.deps.auditKeys, t.deps.clock, {
      at: newest,
      reason: 'INC-10',
      actorUsername: 'cli',
    });
    await asAcceptedBefore041(db, t.deps.auditKeys);
    const unchecked = textOf((await national.agent.get('/dba/audit')).body);
    assert.match(
      unchecked,
      new RegExp(
        `broken at event ${newest},.*“INC-10”\\..* The events kept at this break cannot be checked: it was accepted before s2s recorded what it kept, so only their number is checked\\.`,
      ),
    );
    assert.equal(unchecked.match(/cannot be checked/g)?.length, 1, 'that break only');
    const all = await national.agent.get('/dba/audit.csv');
    assert.ok(all.body.includes(elsewhere.username) && all.body.includes(username));
    assert.match(String(all.headers['content-disposition']), /filename="audit-log-\d{4}-\d{2}-\d{2}\.csv"/);

    const school = await makeSchool(db, own.number);
    const user = await signedIn('school', { laNumber: own.number, establishmentNumber: school.number });
    assert.equal((await user.agent.get('/dba/audit.csv')).statusCode, 403);
  });
});
