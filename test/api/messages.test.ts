// Messages through the API, on both engines, as the pages' journeys: school A's program sends a message
// to school B; B's users list it, one reads it and it is read for them all, and B replies to A; an LA's
// users of one type share a mailbox that its other types do not see; an email goes out as an email; a
// group is sent to in one go; Send Message's rules come back as 422 problem+json with the page's
// messages; and another mailbox's message is 404, received or sent.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { MessageGroupService } from '../../src/messaging/group-service.ts';
import { EMAIL_LIMIT_PER_HOUR, emailLimitKey } from '../../src/messaging/service.ts';
import type { Db, EstablishmentRow, LocalAuthorityRow, UserRow } from '../../src/platform/db/schema.ts';
import { describeEachEngine } from '../support/databases.ts';
import { makeLa, makeSchool, makeUser } from '../support/factories.ts';
import { actorOf } from '../support/messages.ts';
import { createTestApp, type TestApp } from '../support/web.ts';
import { api, makeToken } from './support.ts';

const PROBLEM = /^application\/problem\+json/;

describeEachEngine('API: Messages', (database) => {
  let t: TestApp;
  let db: Db;
  let laA: LocalAuthorityRow;
  let laB: LocalAuthorityRow;
  let schoolA: EstablishmentRow;
  let schoolB: EstablishmentRow;
  let schoolC: EstablishmentRow;
  let userA: UserRow;
  let tokenA: string;
  let tokenB1: string;
  let tokenB2: string;
  let tokenC: string;

  before(async () => {
    db = database().db;
    t = await createTestApp(db);
    laA = await makeLa(db, { name: 'Hillshire' });
    laB = await makeLa(db, { name: 'Rivershire' });
    schoolA = await makeSchool(db, laA.number, { name: 'Hillside Primary School' });
    schoolB = await makeSchool(db, laB.number, { name: 'Riverside Primary School' });
    schoolC = await makeSchool(db, laB.number, { name: 'Meadow Primary School' });
    const schoolUser = (school: EstablishmentRow) =>
      makeUser(db, 'school', { laNumber: school.la_number, establishmentNumber: school.number });
    userA = await schoolUser(schoolA);
    tokenA = await makeToken(db, userA, 'transfer', t.clock);
    tokenB1 = await makeToken(db, await schoolUser(schoolB), 'transfer', t.clock);
    tokenB2 = await makeToken(db, await schoolUser(schoolB), 'read', t.clock);
    tokenC = await makeToken(db, await schoolUser(schoolC), 'transfer', t.clock);
  });
  after(async () => {
    await t.app.close();
  });

  const send = (token: string, json: unknown) =>
    api(t.app, { method: 'POST', url: '/api/v1/messages', token, json });

  async function inboxOf(token: string) {
    const response = await api(t.app, { url: '/api/v1/messages', token });
    assert.equal(response.statusCode, 200, response.body);
    return response.json();
  }

  test('school A sends to school B; B lists and reads it (read for all of B), and replies to A', async () => {
    const sent = await send(tokenA, {
      recipients: [{ school: schoolB.number }],
      description: 'Pupil records',
      text: 'Has Sam Jones joined you?\r\nWe have the CTF ready.',
    });
    assert.equal(sent.statusCode, 201, sent.body);
    const message = sent.json();
    assert.equal(message.delivery, 'message');
    assert.equal(message.text, 'Has Sam Jones joined you?\nWe have the CTF ready.');
    assert.deepEqual(message.recipients, [
      {
        name: `${schoolB.number.slice(0, 3)} ${schoolB.number.slice(3)} - Riverside Primary School`,
        school: schoolB.number,
        status: 'unread',
        readAt: null,
      },
    ]);
    const audited = await db
      .selectFrom('audit_events')
      .selectAll()
      .where('subject_id', '=', message.id)
      .where('action', '=', 'message-sent')
      .execute();
    assert.equal(audited.length, 1, 'sending is audited');
    const told = await db
      .selectFrom('notification_outbox')
      .selectAll()
      .where('template', '=', 'new-message')
      .where('recipient', '=', schoolB.number)
      .execute();
    assert.equal(told.length, 1, 'the school is told by email that a message waits');
    assert.doesNotMatch(told[0]?.payload ?? '', /Sam Jones/, 'never what it says');

    const before = await inboxOf(tokenB2);
    const listed = before.items.find((m: { id: string }) => m.id === message.id);
    assert.equal(listed.unread, true);
    assert.equal(listed.description, 'Pupil records');
    assert.deepEqual(listed.from, {
      name: `${schoolA.number.slice(0, 3)} ${schoolA.number.slice(3)} - Hillside Primary School`,
      school: schoolA.number,
    });
    assert.equal(before.unread, 1);

    // A HEAD is not a reading.
    const head = (token: string) =>
      t.app.inject({
        method: 'HEAD',
        url: `/api/v1/messages/${message.id}`,
        headers: { authorization: `Bearer ${token}` },
      });
    assert.equal((await head(tokenB1)).statusCode, 200);
    assert.equal((await head(tokenC)).statusCode, 404);
    assert.equal((await inboxOf(tokenB2)).unread, 1);

    const read = await api(t.app, { url: `/api/v1/messages/${message.id}`, token: tokenB1 });
    assert.equal(read.statusCode, 200, read.body);
    assert.equal(read.json().text, 'Has Sam Jones joined you?\nWe have the CTF ready.');
    assert.equal(read.json().readAt, t.clock.now().toISOString());
    assert.equal(read.json().canReply, true);

    // Read by one of B's users is read for the other: the mailbox is the school's.
    const after = await inboxOf(tokenB2);
    assert.equal(after.items.find((m: { id: string }) => m.id === message.id).unread, false);
    assert.equal(after.unread, 0);
    const status = await api(t.app, { url: `/api/v1/messages/sent/${message.id}`, token: tokenA });
    assert.equal(status.json().recipients[0].status, 'read');
    const sentList = await api(t.app, { url: '/api/v1/messages/sent', token: tokenA });
    const mine = sentList.json().items.find((m: { id: string }) => m.id === message.id);
    assert.deepEqual([mine.recipients, mine.unread], [1, 0]);

    // A read token reads, but does not reply.
    const small = await api(t.app, {
      method: 'POST',
      url: `/api/v1/messages/${message.id}/reply`,
      token: tokenB2,
      json: { text: 'Yes' },
    });
    assert.equal(small.statusCode, 403);
    assert.equal(small.json().type, '/api/docs#problem-insufficient-scope');
    const empty = await api(t.app, {
      method: 'POST',
      url: `/api/v1/messages/${message.id}/reply`,
      token: tokenB1,
      json: { text: '  ' },
    });
    assert.equal(empty.statusCode, 422);
    assert.deepEqual(empty.json().errors, [{ field: 'text', message: 'Enter the text of the message' }]);
    const replied = await api(t.app, {
      method: 'POST',
      url: `/api/v1/messages/${message.id}/reply`,
      token: tokenB1,
      json: { text: 'Yes, Sam joined on Monday.' },
    });
    assert.equal(replied.statusCode, 201, replied.body);
    assert.equal(replied.json().description, 'Re: Pupil records');
    assert.equal(replied.json().inReplyTo, message.id);
    assert.deepEqual(
      replied.json().recipients.map((r: { school: string }) => r.school),
      [schoolA.number],
    );
    const inboxA = await inboxOf(tokenA);
    const reply = inboxA.items.find((m: { id: string }) => m.id === replied.json().id);
    assert.equal(reply.description, 'Re: Pupil records');
    assert.equal(reply.from.school, schoolB.number);

    // Another school's token: 404 for the message, received or sent, as problem+json.
    for (const [method, url] of [
      ['GET', `/api/v1/messages/${message.id}`],
      ['DELETE', `/api/v1/messages/${message.id}`],
      ['POST', `/api/v1/messages/${message.id}/reply`],
      ['GET', `/api/v1/messages/sent/${message.id}`],
    ] as const) {
      const response = await api(t.app, {
        method,
        url,
        token: tokenC,
        ...(method === 'POST' ? { json: { text: 'Hello' } } : {}),
      });
      assert.equal(response.statusCode, 404, `${method} ${url}`);
      assert.match(String(response.headers['content-type']), PROBLEM);
      assert.equal(response.json().type, '/api/docs#problem-not-found');
    }
    // B's own sent list does not hold A's message either.
    const bSent = await api(t.app, { url: `/api/v1/messages/sent/${message.id}`, token: tokenB1 });
    assert.equal(bSent.statusCode, 404);

    // B deletes it: gone from B's mailbox (audited); A still sees that it was read.
    const deleted = await api(t.app, {
      method: 'DELETE',
      url: `/api/v1/messages/${message.id}`,
      token: tokenB1,
    });
    assert.equal(deleted.statusCode, 200, deleted.body);
    assert.deepEqual(deleted.json(), { id: message.id, description: 'Pupil records' });
    const gone = await api(t.app, { url: `/api/v1/messages/${message.id}`, token: tokenB2 });
    assert.equal(gone.statusCode, 404);
    assert.ok(!(await inboxOf(tokenB2)).items.some((m: { id: string }) => m.id === message.id));
    const deletions = await db
      .selectFrom('audit_events')
      .select('id')
      .where('subject_id', '=', message.id)
      .where('action', '=', 'message-deleted')
      .execute();
    assert.equal(deletions.length, 1);
    const still = await api(t.app, { url: `/api/v1/messages/sent/${message.id}`, token: tokenA });
    assert.equal(still.json().recipients[0].status, 'read');
  });

  test("an LA's users of one type share a mailbox; the LA's other types do not see it", async () => {
    const lostPupilUser = await makeUser(
      db,
      'la_lost_pupil',
      { laNumber: laB.number },
      { email: 'lost@b.test' },
    );
    const lostPupil = await makeToken(db, lostPupilUser, 'read', t.clock);
    const laUser = await makeToken(
      db,
      await makeUser(db, 'la_user', { laNumber: laB.number }),
      'read',
      t.clock,
    );
    const sent = await send(tokenA, {
      recipients: [{ la: laB.number, userType: 'la_lost_pupil' }],
      description: 'Missing pupil search',
      text: 'Please search for a pupil born 3 February 2014.',
    });
    assert.equal(sent.statusCode, 201, sent.body);
    assert.deepEqual(sent.json().recipients[0], {
      name: `${laB.number} Rivershire - LEA Lost Pupil User`,
      la: laB.number,
      userType: 'la_lost_pupil',
      status: 'unread',
      readAt: null,
    });
    const read = await api(t.app, { url: `/api/v1/messages/${sent.json().id}`, token: lostPupil });
    assert.equal(read.statusCode, 200);
    assert.equal(read.json().to, `${laB.number} Rivershire - LEA Lost Pupil User`);
    const notTheirs = await api(t.app, { url: `/api/v1/messages/${sent.json().id}`, token: laUser });
    assert.equal(notTheirs.statusCode, 404, 'the LEA Users have a mailbox of their own');
    const told = await db
      .selectFrom('notification_outbox')
      .select('recipient')
      .where('template', '=', 'new-message')
      .where('recipient', '=', lostPupilUser.id)
      .execute();
    assert.equal(told.length, 1, 'each reader of an LA mailbox is told');

    // An LA with no such users: the page's reason.
    const nobody = await send(tokenA, {
      recipients: [{ la: laB.number, userType: 'la_admissions' }],
      description: 'Admissions',
      text: 'Hello',
    });
    assert.equal(nobody.statusCode, 422);
    assert.deepEqual(nobody.json().errors, [
      {
        field: 'recipients',
        message: `${laB.number} Rivershire has no LEA Admissions User on s2s: choose another type of user`,
      },
    ]);
  });

  test('an email is sent as an email, and never waits in a mailbox', async () => {
    const sent = await send(tokenA, {
      recipients: [{ school: schoolC.number }],
      description: 'By email',
      text: 'Nothing secret here.',
      delivery: 'email',
    });
    assert.equal(sent.statusCode, 201, sent.body);
    assert.equal(sent.json().recipients[0].status, 'emailed');
    assert.ok(!(await inboxOf(tokenC)).items.some((m: { id: string }) => m.id === sent.json().id));
    const email = await db
      .selectFrom('notification_outbox')
      .select('payload')
      .where('template', '=', 'message-by-email')
      .where('recipient', '=', schoolC.number)
      .executeTakeFirstOrThrow();
    assert.match(email.payload, /Nothing secret here/);
  });

  test('an email past the sender’s hourly limit is refused whole: 429 with Retry-After, how many were sent and when; an s2s message still goes', async () => {
    const sender = await makeUser(db, 'school', {
      laNumber: laA.number,
      establishmentNumber: schoolA.number,
    });
    const token = await makeToken(db, sender, 'transfer', t.clock);
    const now = t.clock.now().getTime();
    const start = Math.floor(now / 3_600_000) * 3_600_000;
    await db
      .insertInto('rate_limits')
      .values({
        key: emailLimitKey(sender.id),
        window_start: new Date(start).toISOString(),
        expires_at: new Date(start + 3_600_000).toISOString(),
        count: EMAIL_LIMIT_PER_HOUR - 1,
      })
      .execute();
    const email = {
      recipients: [{ school: schoolC.number }],
      description: 'Hourly',
      text: 'One more.',
      delivery: 'email',
    };
    assert.equal((await send(token, email)).statusCode, 201);
    const refused = await send(token, email);
    assert.equal(refused.statusCode, 429, refused.body);
    assert.match(String(refused.headers['content-type']), PROBLEM);
    assert.equal(refused.headers['retry-after'], String(Math.ceil((start + 3_600_000 - now) / 1000)));
    const problem = refused.json();
    assert.equal(problem.type, '/api/docs#problem-too-many-emails');
    assert.match(
      problem.detail,
      new RegExp(
        `^Nothing was sent\\. This email would go to 1 address, and you have sent ${EMAIL_LIMIT_PER_HOUR} of the ${EMAIL_LIMIT_PER_HOUR} emails you can send in an hour\\.`,
      ),
    );
    assert.deepEqual(
      problem.errors.map((e: { field: string }) => e.field),
      ['delivery'],
    );
    const emailed = await db
      .selectFrom('messages')
      .select('id')
      .where('sender_user_id', '=', sender.id)
      .where('delivery', '=', 'email')
      .execute();
    assert.equal(emailed.length, 1, 'the refused one is not stored');
    assert.equal((await send(token, { ...email, delivery: 'message' })).statusCode, 201);
  });

  test('a group of the sender’s is sent to in one go', async () => {
    const groups = new MessageGroupService({ db, clock: t.clock });
    const { group } = await groups.add(actorOf(userA), {
      name: 'Rivershire schools',
      recipients: [`school:${schoolB.number}`, `school:${schoolC.number}`],
    });
    const listed = await api(t.app, { url: '/api/v1/messages/groups', token: tokenA });
    assert.equal(listed.statusCode, 200);
    assert.deepEqual(listed.json().items, [{ id: group.id, name: 'Rivershire schools', members: 2 }]);
    const notTheirs = await api(t.app, { url: '/api/v1/messages/groups', token: tokenC });
    assert.deepEqual(notTheirs.json().items, []);

    const sent = await send(tokenA, { group: group.id, description: 'To the group', text: 'Hello all' });
    assert.equal(sent.statusCode, 201, sent.body);
    assert.deepEqual(
      sent
        .json()
        .recipients.map((r: { school: string }) => r.school)
        .sort(),
      [schoolB.number, schoolC.number].sort(),
    );
    const byC = await send(tokenC, { group: group.id, description: 'Not mine', text: 'Hello' });
    assert.equal(byC.statusCode, 422);
    assert.deepEqual(byC.json().errors, [{ field: 'group', message: 'Select one of your address groups' }]);
  });

  test("Send Message's rules: 422 problem+json with the page's messages, naming the fields", async () => {
    const rule = async (json: unknown) => {
      const response = await send(tokenA, json);
      assert.equal(response.statusCode, 422, response.body);
      assert.match(String(response.headers['content-type']), PROBLEM);
      assert.equal(response.json().type, '/api/docs#problem-invalid');
      return response.json().errors as { field: string; message: string }[];
    };
    assert.deepEqual(await rule({}), [
      { field: 'recipients', message: 'Choose at least one recipient' },
      { field: 'description', message: 'Enter a description of the message' },
      { field: 'text', message: 'Enter the text of the message' },
    ]);
    const eleven = await Promise.all(
      Array.from({ length: 11 }, (_, n) => makeSchool(db, laB.number, { name: `School ${n}` })),
    );
    assert.deepEqual(
      await rule({
        recipients: eleven.map((s) => ({ school: s.number })),
        description: 'Too many',
        text: 'Hello',
      }),
      [
        {
          field: 'recipients',
          message:
            'A message can go to up to 10 recipients: remove some, or send to an address group instead',
        },
      ],
    );
    const bad = await rule({
      recipients: [
        { school: '12' },
        { la: '91', userType: 'la_boss' },
        {},
        { school: schoolB.number, la: '916' },
      ],
      description: 'Bad recipients',
      text: 'Hello',
    });
    assert.deepEqual(
      bad.map((e) => e.field),
      [
        'recipients[0].school',
        'recipients[1].la',
        'recipients[1].userType',
        'recipients[2]',
        'recipients[3]',
      ],
    );
    assert.deepEqual(
      bad.map((e) => e.message).filter((_, n) => n !== 2),
      [
        'Enter the school’s number: its LA and school numbers together, 7 digits, like 6762382',
        'Enter the LA number, 3 digits, like 916',
        'Give a school, or an LA and a type of user',
        'Give either a school, or an LA and a type of user, not both',
      ],
    );
    assert.match(
      bad[2]?.message ?? '',
      /^Select the type of user: one of `la_user` \(LEA User\), `la_lost_pupil` \(LEA Lost Pupil User\), /,
    );
    const missing = `${laB.number}9999`;
    assert.deepEqual(
      await rule({ recipients: [{ school: missing }], description: 'Nobody', text: 'Hello' }),
      [
        {
          field: 'recipients',
          message: `There is no school ${laB.number} 9999 on s2s: check the LA and school numbers`,
        },
      ],
    );
    assert.deepEqual(
      await rule({
        recipients: [{ school: schoolB.number }],
        description: 'x'.repeat(101),
        text: 'Hello',
        delivery: 'fax',
      }),
      [
        { field: 'description', message: 'The description must be 100 characters or fewer: it has 101' },
        { field: 'delivery', message: 'Choose whether to send an s2s message or an email' },
      ],
    );
    assert.deepEqual(
      await rule({ recipients: [{ school: schoolB.number }], group: 'x', description: 'd', text: 't' }),
      [{ field: 'group', message: 'Send to an address group or to recipients, not both' }],
    );
    // Nothing of it was sent.
    const sent = await api(t.app, { url: '/api/v1/messages/sent?pageSize=200', token: tokenA });
    assert.ok(
      !sent
        .json()
        .items.some((m: { description: string }) =>
          ['Too many', 'Bad recipients', 'Nobody'].includes(m.description),
        ),
    );
    // A field of the wrong type is a request that cannot be read.
    const unreadable = await send(tokenA, { recipients: 'school:1234567', description: 'd', text: 't' });
    assert.equal(unreadable.statusCode, 400);
  });
});
