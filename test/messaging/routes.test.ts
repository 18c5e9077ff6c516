// Messages through the pages: the three steps of Send Message, the inbox and its banner, reading,
// replying and deleting, View Sent Messages, and the refusals for other organisations' messages.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, test } from 'node:test';
import { emailContext } from '../../src/jobs.ts';
import { composeEmail } from '../../src/notifications/templates.ts';
import type { Db, EstablishmentRow, LocalAuthorityRow, UserRow } from '../../src/platform/db/schema.ts';
import { createTestDatabase, type TestDatabase } from '../support/databases.ts';
import { makeLa, makeSchool, makeUser } from '../support/factories.ts';
import { makeMessage } from '../support/messages.ts';
import { Agent, createTestApp, errorSummary, type TestApp } from '../support/web.ts';

/** The visible text of a page, tags removed, spaces collapsed. */
function text(html: string): string {
  return html
    .replace(/<script[\s\S]*?<\/script>/g, ' ')
    .replace(/<[^>]+>/g, ' ')
    .replace(/&#39;|&rsquo;|&#x27;/g, "'")
    .replace(/&amp;/g, '&')
    .replace(/\s+/g, ' ');
}

/** The hidden recipients a page carries forward. */
function carried(html: string): string[] {
  return [...html.matchAll(/name="recipients" value="([^"]+)"/g)].map((m) => m[1] as string);
}

let database: TestDatabase;
let t: TestApp;
let db: Db;
let la: LocalAuthorityRow;
let otherLa: LocalAuthorityRow;
let alder: EstablishmentRow;
let birch: EstablishmentRow;
let officer: UserRow;

before(async () => {
  database = await createTestDatabase('sqlite');
  db = database.db;
  t = await createTestApp(db);
  la = await makeLa(db, { name: 'Ashire' });
  otherLa = await makeLa(db, { name: 'Bshire' });
  alder = await makeSchool(db, la.number, { name: 'Alder Primary' });
  birch = await makeSchool(db, la.number, { name: 'Birch Primary' });
  officer = await makeUser(db, 'la_user', { laNumber: la.number });
});
after(async () => {
  await t.app.close();
  await database.drop();
});

/** An existing user signed in. */
async function signedIn(user: UserRow): Promise<Agent> {
  const agent = new Agent(t.app);
  assert.equal((await agent.signIn(user.username)).statusCode, 302);
  return agent;
}

test('an LA user sends a templated message to two schools; each sees the banner, reads it and replies; the unread count falls', async () => {
  const templateId = randomUUID();
  const at = new Date().toISOString();
  await db
    .insertInto('message_templates')
    .values({
      id: templateId,
      name: 'CTF Request',
      description: 'To request a CTF for a pupil',
      body: 'Please send the CTF for the pupil named below.',
      owner_kind: 'national',
      owner_la: null,
      created_by: officer.id,
      created_at: at,
      updated_at: at,
    })
    .execute();
  const agent = await signedIn(officer);

  // 1. The template, previewed, then used.
  const choose = await agent.get('/messages/send');
  assert.equal(choose.statusCode, 200);
  assert.match(text(choose.body), /Blank Message .* CTF Request To request a CTF for a pupil All/);
  const preview = await agent.get(`/messages/send?template=${templateId}&action=preview`);
  assert.match(text(preview.body), /Preview: CTF Request .* Please send the CTF for the pupil named below\./);
  const use = await agent.get(`/messages/send?template=${templateId}&action=use`);
  assert.equal(use.headers.location, `/messages/send/recipients?template=${templateId}`);
  const unchosen = await agent.get('/messages/send?action=use');
  assert.equal(unchosen.statusCode, 400);
  assert.match(errorSummary(unchosen.body), /Select a template, or Blank Message/);

  // 2. The recipients: Alder from the LA's school list, Birch by its numbers.
  await agent.get(`/messages/send/recipients?template=${templateId}`);
  const populated = await agent.post('/messages/send/recipients', {
    template: templateId,
    action: 'populate',
    schoolLa: la.number,
  });
  assert.equal(populated.statusCode, 200);
  assert.match(text(populated.body), new RegExp(`${la.number} ${alder.number.slice(3)} - Alder Primary`));
  const withAlder = await agent.post('/messages/send/recipients', {
    template: templateId,
    action: 'add-schools',
    schoolLa: la.number,
    schools: [`school:${alder.number}`],
  });
  assert.deepEqual(carried(withAlder.body), [`school:${alder.number}`]);
  const withBoth = await agent.post('/messages/send/recipients', {
    template: templateId,
    recipients: carried(withAlder.body),
    action: 'add-school-number',
    laNo: la.number,
    schoolNo: birch.number.slice(3),
  });
  assert.deepEqual(carried(withBoth.body), [`school:${alder.number}`, `school:${birch.number}`]);
  assert.match(text(withBoth.body), /2 of up to 10 chosen/);

  // 3. The message, with the template's description and text, and the warning about email.
  const compose = await agent.post('/messages/send/recipients', {
    template: templateId,
    recipients: carried(withBoth.body),
    action: 'next',
  });
  assert.equal(compose.statusCode, 200);
  // From: the LA and the officer's type of LA user, as the recipients will see it (LA notes §6.6).
  assert.match(text(compose.body), new RegExp(`From ${la.number} Ashire - LEA User To `));
  assert.match(compose.body, /name="description"[^>]*value="To request a CTF for a pupil"/);
  assert.match(compose.body, /Please send the CTF for the pupil named below\.<\/textarea>/);
  assert.match(
    text(compose.body),
    /if the message is likely to contain confidential information, such as a pupil.s name or details, do not send it as an email/,
  );
  const sent = await agent.post('/messages/send', {
    template: templateId,
    recipients: carried(compose.body),
    description: 'To request a CTF for a pupil',
    text: 'Please send the CTF for Sam Smith.',
    delivery: 'message',
  });
  assert.equal(sent.statusCode, 302);
  assert.equal(sent.headers.location, '/messages/sent');
  const sentList = await agent.get('/messages/sent');
  assert.match(text(sentList.body), /Your message was sent as an s2s message to 2 recipients\./);
  assert.match(text(sentList.body), /To request a CTF for a pupil s2s message 2 2/);
  // When a message goes, as the expiry job does it (handbook §11: 31 days unread, 14 days once read).
  assert.match(
    text(sentList.body),
    /leaves a recipient’s mailbox 31 days after it was sent if it is not read, 14 days after it is read, or when they delete it\. It stays here until it has left every recipient’s mailbox, and for at least 31 days/,
  );

  // Each school: the banner and the header count, the message unread, read, replied to.
  for (const [index, school] of [alder, birch].entries()) {
    const office = await makeUser(db, 'school', { laNumber: la.number, establishmentNumber: school.number });
    const reader = await signedIn(office);
    const home = await reader.get('/');
    assert.match(text(home.body), /New Messages: 1/);
    assert.match(text(home.body), /You have 1 new message\. Read your messages/);
    const inbox = await reader.get('/messages/inbox');
    assert.match(
      text(inbox.body),
      new RegExp(`${la.number} Ashire - LEA User .* To request a CTF for a pupil Unread`),
    );
    const id = /href="\/messages\/inbox\/([0-9a-f-]{36})"/.exec(inbox.body)?.[1] ?? '';
    const opened = await reader.get(`/messages/inbox/${id}`);
    assert.match(text(opened.body), /Please send the CTF for Sam Smith\./);
    assert.doesNotMatch(text(opened.body), /New Messages/, 'read now');
    await reader.get(`/messages/inbox/${id}/reply`);
    const replied = await reader.post(`/messages/inbox/${id}/reply`, {
      description: 'Re: To request a CTF for a pupil',
      text: 'Sent today.',
    });
    assert.equal(replied.headers.location, '/messages/inbox');
    const afterwards = text((await agent.get('/messages/sent')).body);
    assert.match(afterwards, new RegExp(`To request a CTF for a pupil s2s message 2 ${1 - index}`));
  }

  const home = await agent.get('/');
  assert.match(text(home.body), /New Messages: 2/);
  const replies = text((await agent.get('/messages/inbox')).body);
  assert.equal(replies.match(/Re: To request a CTF for a pupil Unread/g)?.length, 2);
});

test('the recipient list holds up to ten, and says why an eleventh or an unreachable one is refused', async () => {
  const agent = await signedIn(officer);
  const schools = [];
  for (let i = 0; i < 11; i += 1) schools.push(await makeSchool(db, otherLa.number));
  await agent.get('/messages/send/recipients?template=blank');
  const ten = await agent.post('/messages/send/recipients', {
    template: 'blank',
    recipients: schools.slice(0, 10).map((s) => `school:${s.number}`),
    action: 'add-school-number',
    laNo: otherLa.number,
    schoolNo: schools[10]?.number.slice(3) ?? '',
  });
  assert.equal(ten.statusCode, 400);
  assert.match(
    errorSummary(ten.body),
    /A message can go to up to 10 recipients: remove some, or send to an address group instead/,
  );
  assert.equal(carried(ten.body).length, 10, 'the list is kept as it was');
  const noUsers = await agent.post('/messages/send/recipients', {
    template: 'blank',
    action: 'add-la-users',
    la: otherLa.number,
    userType: 'la_admissions',
  });
  assert.match(
    errorSummary(noUsers.body),
    new RegExp(`${otherLa.number} Bshire has no LEA Admissions User on s2s: choose another type of user`),
  );
  const badNumbers = await agent.post('/messages/send/recipients', {
    template: 'blank',
    action: 'add-school-number',
    laNo: '12',
    schoolNo: 'abcd',
  });
  assert.match(
    errorSummary(badNumbers.body),
    /Enter the LA number, 3 digits, like 916 .*Enter the school number, 4 digits, like 2382/,
  );
  const nobody = await agent.post('/messages/send/recipients', { template: 'blank', action: 'next' });
  assert.equal(nobody.statusCode, 400);
  assert.match(errorSummary(nobody.body), /Choose an address group, or add at least one recipient/);
  const tampered = await agent.post('/messages/send', {
    recipients: schools.map((s) => `school:${s.number}`),
    description: 'Too many',
    text: 'Eleven.',
    delivery: 'message',
  });
  assert.equal(tampered.statusCode, 400, 'the limit holds however the form is sent');
  assert.match(errorSummary(tampered.body), /up to 10 recipients/);
  assert.equal(
    await db.selectFrom('messages').select('id').where('description', '=', 'Too many').executeTakeFirst(),
    undefined,
  );
});

test("another organisation's message cannot be read, replied to, deleted or seen as sent", async () => {
  const alderOffice = await makeUser(db, 'school', {
    laNumber: la.number,
    establishmentNumber: alder.number,
  });
  const id = await makeMessage(db, officer, [`school:${alder.number}`], {
    description: 'For Alder only',
    body: 'Secret text',
  });
  const outsiders = [
    await makeUser(db, 'school', { laNumber: la.number, establishmentNumber: birch.number }),
    await makeUser(db, 'la_user', { laNumber: otherLa.number }),
    await makeUser(db, 'la_lost_pupil', { laNumber: la.number }),
  ];
  for (const outsider of outsiders) {
    const agent = await signedIn(outsider);
    assert.doesNotMatch((await agent.get('/messages/inbox')).body, /For Alder only/);
    for (const url of [`/messages/inbox/${id}`, `/messages/inbox/${id}/reply`, `/messages/sent/${id}`]) {
      const response = await agent.get(url);
      assert.equal(response.statusCode, 404, `${outsider.role} GET ${url}`);
      assert.doesNotMatch(response.body, /Secret text|For Alder only/);
    }
    await agent.get('/messages/inbox');
    assert.equal((await agent.post(`/messages/inbox/${id}/delete`, {})).statusCode, 404);
    await agent.get('/messages/inbox');
    assert.equal(
      (await agent.post(`/messages/inbox/${id}/reply`, { description: 'x', text: 'y' })).statusCode,
      404,
    );
  }
  const copy = await db
    .selectFrom('message_recipients')
    .selectAll()
    .where('message_id', '=', id)
    .executeTakeFirstOrThrow();
  assert.deepEqual([copy.read_at, copy.removed_at], [null, null]);
  assert.equal(
    await db.selectFrom('messages').select('id').where('in_reply_to', '=', id).executeTakeFirst(),
    undefined,
  );

  // Alder itself may delete it.
  const agent = await signedIn(alderOffice);
  await agent.get(`/messages/inbox/${id}`);
  const deleted = await agent.post(`/messages/inbox/${id}/delete`, {});
  assert.equal(deleted.headers.location, '/messages/inbox');
  const inbox = text((await agent.get('/messages/inbox')).body);
  assert.match(inbox, /The message “For Alder only” is deleted\./);
  assert.match(inbox, /Your Received Messages/);
  assert.doesNotMatch(inbox.replace('The message “For Alder only” is deleted.', ''), /For Alder only/);
});

test('the LEA Administrator – Message Report counts the messages each school was sent in the dates, without content or sender', async () => {
  const reportLa = await makeLa(db, { name: 'Cshire' });
  const oak = await makeSchool(db, reportLa.number, { name: 'Oak Primary' });
  await makeSchool(db, reportLa.number, { name: 'Pine Primary' });
  for (const day of ['2026-10-15', '2026-11-10']) {
    await makeMessage(db, officer, [`school:${oak.number}`], {
      description: 'Hidden description',
      body: 'Hidden body',
      sentAt: new Date(`${day}T09:00:00Z`),
    });
  }
  const dba = await makeUser(db, 'la_dba', { laNumber: reportLa.number });
  const agent = await signedIn(dba);
  // The criteria first, as every report: From and To, then Run Report.
  const form = await agent.get('/reports/message-report');
  assert.equal(form.statusCode, 200);
  assert.match(form.body, /name="from-day"/);
  assert.match(form.body, /name="to-year"/);
  assert.doesNotMatch(form.body, /id="message-report"/);
  const page = await agent.get('/reports/message-report?run=1');
  assert.equal(page.statusCode, 200);
  const body = text(page.body);
  assert.match(body, /Cshire \(\d{3}\): all records to 23 November 2026/);
  assert.match(body, /1 of 2 schools have unread messages/);
  assert.match(body, new RegExp(`${oak.number} Oak Primary 2 0 2 15 October 2026`));
  assert.doesNotMatch(body, /Hidden description|Hidden body|Ashire/);
  assert.match(page.body, /href="\/reports\/message-report\/csv\?run=1"/);
  const november = text(
    (await agent.get('/reports/message-report?run=1&from-day=1&from-month=11&from-year=2026')).body,
  );
  assert.match(november, /Cshire \(\d{3}\): 1 November 2026 to 23 November 2026/);
  assert.match(november, new RegExp(`${oak.number} Oak Primary 1 0 1 10 November 2026`));
  const refused = await agent.get(
    '/reports/message-report?run=1&from-day=2&from-month=11&from-year=2026&to-day=1&to-month=11&to-year=2026',
  );
  assert.equal(refused.statusCode, 400);
  assert.match(errorSummary(refused.body), /The From date must be on or before the To date/);
});

/** The rows of the inbox table, as their text. */
function inboxRows(html: string): { unread: boolean; text: string }[] {
  const table =
    /<table class="govuk-table" id="messages">[\s\S]*?<tbody[\s\S]*?<\/tbody>/.exec(html)?.[0] ?? '';
  const body = table.slice(table.indexOf('<tbody'));
  return [...body.matchAll(/<tr class="govuk-table__row( s2s-unread)?">([\s\S]*?)<\/tr>/g)].map((m) => ({
    unread: Boolean(m[1]),
    text: text(m[2] ?? '').trim(),
  }));
}

test('an unread message says so in words, not by colour or bold alone, in English and in Welsh', async () => {
  const elm = await makeSchool(db, la.number, { name: 'Elm Primary' });
  // Sent a minute apart: the inbox lists the newest first, and a tie would make the order arbitrary.
  await makeMessage(db, officer, [`school:${elm.number}`], {
    description: 'Still unread',
    sentAt: new Date(Date.now() - 60_000),
  });
  const opened = await makeMessage(db, officer, [`school:${elm.number}`], { description: 'Opened once' });
  const english = await signedIn(
    await makeUser(db, 'school', { laNumber: la.number, establishmentNumber: elm.number }),
  );
  await english.get(`/messages/inbox/${opened}`);
  const englishRows = inboxRows((await english.get('/messages/inbox')).body);
  assert.deepEqual(
    englishRows.map((row) => [row.unread, row.text.split(' ').at(-1)]),
    [
      [false, 'Read'],
      [true, 'Unread'],
    ],
  );
  assert.match(englishRows[1]?.text ?? '', /Still unread Unread$/);

  const welshUser = await makeUser(
    db,
    'school',
    { laNumber: la.number, establishmentNumber: elm.number },
    { language: 'cy' },
  );
  const welshRows = inboxRows((await (await signedIn(welshUser)).get('/messages/inbox')).body);
  assert.deepEqual(
    welshRows.map((row) => [row.unread, row.text.replace(/^.* (Opened once|Still unread) /, '')]),
    [
      [false, 'Wedi’i darllen'],
      [true, 'Heb ei darllen'],
    ],
  );
});

test('in Welsh: the inbox, a message, the three steps of Send Message with their errors, and sent messages', async () => {
  const yew = await makeSchool(db, la.number, { name: 'Yew Primary' });
  const id = await makeMessage(db, officer, [`school:${yew.number}`], { description: 'Neges brawf' });
  const user = await makeUser(
    db,
    'school',
    { laNumber: la.number, establishmentNumber: yew.number },
    { language: 'cy' },
  );
  const agent = await signedIn(user);

  const inbox = await agent.get('/messages/inbox');
  assert.match(inbox.body, /<html lang="cy"/);
  assert.match(inbox.body, /<h1 class="govuk-heading-l">Eich Negeseuon a Dderbyniwyd<\/h1>/);
  assert.match(text(inbox.body), /Byddant yn cael eu dileu ar ôl 31 diwrnod\./);
  assert.match(text(inbox.body), /1 neges, 1 heb eu darllen\./);
  assert.match(text(inbox.body), /Oddi wrth Dyddiad Anfon Disgrifiad Statws/);
  const month = new Intl.DateTimeFormat('cy-GB', { month: 'long', timeZone: 'Europe/London' }).format(
    new Date(),
  );
  assert.match(
    text(inbox.body),
    new RegExp(` ${month} \\d{4} am \\d{1,2}:\\d{2}y[bh] Neges brawf`),
    'the date in Welsh',
  );

  const message = text((await agent.get(`/messages/inbox/${id}`)).body);
  assert.match(message, /Neges Neges brawf Oddi wrth .* Anfonwyd .* At .* Darllenwyd gyntaf/);
  assert.match(message, /Bydd y neges hon yn cael ei dileu 14 diwrnod ar ôl iddi gael ei darllen gyntaf\./);
  const reply = await agent.post(`/messages/inbox/${id}/reply`, { description: '', text: '' });
  assert.equal(reply.statusCode, 400);
  assert.match(errorSummary(reply.body), /Rhowch ddisgrifiad o’r neges .*Rhowch destun y neges/);

  const templates = await agent.get('/messages/send');
  assert.match(templates.body, /<h1 class="govuk-heading-l">Anfon Neges<\/h1>/);
  const unchosen = await agent.get('/messages/send?action=use');
  assert.equal(unchosen.statusCode, 400);
  assert.match(errorSummary(unchosen.body), /Mae problem wedi codi Dewiswch dempled, neu Neges Wag/);

  const recipients = await agent.get('/messages/send/recipients?template=blank');
  assert.match(recipients.body, /<h1 class="govuk-heading-l">Anfon Neges: dewis y derbynwyr<\/h1>/);
  assert.match(text(recipients.body), /Derbynwyr y Neges Nid oes derbynwyr wedi’u dewis eto\./);
  assert.match(recipients.body, /<option value="la_user">Defnyddiwr AALl<\/option>/);
  const unknown = await agent.post('/messages/send/recipients', {
    template: 'blank',
    action: 'add-school-number',
    laNo: '999',
    schoolNo: '0001',
  });
  assert.equal(unknown.statusCode, 400);
  assert.match(
    errorSummary(unknown.body),
    /Nid oes ysgol 999 0001 ar s2s: gwiriwch rif yr awdurdod lleol a rhif yr ysgol/,
  );
  const none = await agent.post('/messages/send/recipients', { template: 'blank', action: 'next' });
  assert.match(errorSummary(none.body), /Dewiswch grŵp cyfeiriadau, neu ychwanegwch o leiaf un derbynnydd/);

  const empty = await agent.post('/messages/send', {
    template: 'blank',
    recipients: [`school:${alder.number}`],
    description: '',
    text: '',
    delivery: 'message',
  });
  assert.equal(empty.statusCode, 400);
  assert.match(empty.body, /<h1 class="govuk-heading-l">Anfon Neges<\/h1>/);
  assert.match(text(empty.body), /peidiwch â’i hanfon fel e-bost/);
  assert.match(
    text(empty.body),
    new RegExp(`Oddi wrth ${la.number} ${yew.number.slice(3)} - Yew Primary At `),
  );
  assert.match(errorSummary(empty.body), /Rhowch ddisgrifiad o’r neges .*Rhowch destun y neges/);

  const sent = await agent.post('/messages/send', {
    template: 'blank',
    recipients: [`school:${alder.number}`],
    description: 'Cais',
    text: 'Anfonwch y CTF, os gwelwch yn dda.',
    delivery: 'message',
  });
  assert.equal(sent.statusCode, 302);
  const sentList = await agent.get('/messages/sent');
  assert.match(sentList.body, /<h1 class="govuk-heading-l">Gweld Negeseuon a Anfonwyd<\/h1>/);
  assert.match(text(sentList.body), /Anfonwyd eich neges fel neges s2s at 1 derbynnydd\./);
  assert.match(text(sentList.body), /Cais Neges s2s 1 1/);
});

test("the type of user in an LA mailbox's stored label, in the reader's language: inbox (and its sort), a message, a reply, sent messages and the new message email", async () => {
  const sending = await makeLa(db, { name: 'Cshire' });
  const receiving = await makeLa(db, { name: 'Dshire' });
  const welshOfficer = await makeUser(db, 'la_user', { laNumber: sending.number }, { language: 'cy' });
  const administrator = await makeUser(db, 'la_dba', { laNumber: sending.number });
  // Each with an address of their own, so each gets the email in their own language.
  const welshReader = await makeUser(
    db,
    'la_user',
    { laNumber: receiving.number },
    { language: 'cy', email: 'darllenydd@dshire.test' },
  );
  const englishReader = await makeUser(
    db,
    'la_user',
    { laNumber: receiving.number },
    { email: 'reader@dshire.test' },
  );
  const to = `la:${receiving.number}:la_user`;
  await makeMessage(db, administrator, [to], {
    description: 'From the administrator',
    sentAt: new Date(Date.now() - 60_000),
  });
  const welshAgent = await signedIn(welshOfficer);
  await welshAgent.get('/messages/send/recipients?template=blank');
  const sent = await welshAgent.post('/messages/send', {
    template: 'blank',
    recipients: [to],
    description: 'From the officer',
    text: 'Some text',
    delivery: 'message',
  });
  assert.equal(sent.statusCode, 302);

  const users = `${sending.number} Cshire - Defnyddiwr AALl`;
  const administrators = `${sending.number} Cshire - Gweinyddwr AALl`;
  const reader = `${receiving.number} Dshire - Defnyddiwr AALl`;
  const welsh = await signedIn(welshReader);
  const rows = inboxRows((await welsh.get('/messages/inbox?sort=from&order=ascending')).body);
  // Sorted as they read: "Defnyddiwr" before "Gweinyddwr", where English has Administrator before User.
  assert.match(rows[0]?.text ?? '', new RegExp(`^${users} .* From the officer`));
  assert.match(rows[1]?.text ?? '', new RegExp(`^${administrators} .* From the administrator`));
  const english = await signedIn(englishReader);
  const englishRows = inboxRows((await english.get('/messages/inbox?sort=from&order=ascending')).body);
  assert.match(englishRows[0]?.text ?? '', new RegExp(`^${sending.number} Cshire - LEA Administrator `));
  assert.match(englishRows[1]?.text ?? '', new RegExp(`^${sending.number} Cshire - LEA User `));

  const inbox = await welsh.get('/messages/inbox');
  const id = /href="\/messages\/inbox\/([0-9a-f-]{36})">From the officer/.exec(inbox.body)?.[1] ?? '';
  const message = text((await welsh.get(`/messages/inbox/${id}`)).body);
  assert.match(message, new RegExp(`Oddi wrth ${users} Anfonwyd .* At ${reader} Darllenwyd gyntaf`));
  assert.match(text((await welsh.get(`/messages/inbox/${id}/reply`)).body), new RegExp(`At ${users} `));
  assert.match(
    text((await english.get(`/messages/inbox/${id}`)).body),
    new RegExp(`From ${sending.number} Cshire - LEA User .* To ${receiving.number} Dshire - LEA User`),
  );
  assert.match(text((await welshAgent.get(`/messages/sent/${id}`)).body), new RegExp(`${reader} `));

  // The stored labels keep the English, for both ends and the REST API.
  const stored = await db
    .selectFrom('messages')
    .select('sender_label')
    .where('id', '=', id)
    .executeTakeFirst();
  assert.equal(stored?.sender_label, `${sending.number} Cshire - LEA User`);

  const [email] = await db
    .selectFrom('notification_outbox')
    .select(['payload'])
    .where('template', '=', 'new-message')
    .where('recipient', '=', welshReader.id)
    .execute();
  const context = emailContext(t.deps.config);
  assert.match(composeEmail('new-message', email?.payload ?? '', context, 'cy').subject, new RegExp(users));
  assert.match(
    composeEmail('new-message', email?.payload ?? '', context, 'en').subject,
    new RegExp(`${sending.number} Cshire - LEA User`),
  );
});
