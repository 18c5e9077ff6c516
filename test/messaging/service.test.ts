import assert from 'node:assert/strict';
import { test } from 'node:test';
import { insertGroup } from '../../src/messaging/group-repository.ts';
import { shownLabel } from '../../src/messaging/mailbox-directory.ts';
import { expireMessages, schoolMessageCounts } from '../../src/messaging/repository.ts';
import {
  MAX_RECIPIENTS,
  MessagesService,
  READ_DAYS,
  RETENTION,
  UNREAD_DAYS,
} from '../../src/messaging/service.ts';
import { ManualClock } from '../../src/platform/clock.ts';
import { createDatabase } from '../../src/platform/db/database.ts';
import type { Db } from '../../src/platform/db/schema.ts';
import { Invalid, NotFound } from '../../src/platform/errors.ts';
import { isMessage, textIn } from '../../src/platform/i18n/catalogue.ts';
import { describeEachEngine, holdingAfterSelectFrom, queryPlan } from '../support/databases.ts';
import { makeLa, makeSchool, makeUser } from '../support/factories.ts';
import { actorOf, mailboxOfUser, makeMessage } from '../support/messages.ts';

const DAY_MINUTES = 24 * 60;

async function world(db: Db) {
  const la = await makeLa(db, { name: 'Ashire' });
  const otherLa = await makeLa(db, { name: 'Bshire' });
  const alder = await makeSchool(db, la.number, { name: 'Alder Primary' });
  const birch = await makeSchool(db, la.number, { name: 'Birch Primary' });
  const cedar = await makeSchool(db, otherLa.number, { name: 'Cedar Academy' });
  // The officer has an address of their own; the colleague is written to at the LA's.
  const officer = await makeUser(db, 'la_user', { laNumber: la.number }, { email: 'officer@ashire.test' });
  const colleague = await makeUser(db, 'la_user', { laNumber: la.number });
  const lostPupilOfficer = await makeUser(db, 'la_lost_pupil', { laNumber: otherLa.number });
  const alderOffice = await makeUser(db, 'school', {
    laNumber: la.number,
    establishmentNumber: alder.number,
  });
  const alderHead = await makeUser(db, 'school', { laNumber: la.number, establishmentNumber: alder.number });
  const birchOffice = await makeUser(db, 'school', {
    laNumber: la.number,
    establishmentNumber: birch.number,
  });
  const cedarOffice = await makeUser(db, 'school', {
    laNumber: otherLa.number,
    establishmentNumber: cedar.number,
  });
  return {
    la,
    otherLa,
    alder,
    birch,
    cedar,
    officer,
    colleague,
    lostPupilOfficer,
    alderOffice,
    alderHead,
    birchOffice,
    cedarOffice,
  };
}

function fieldMessages(error: unknown): string[] {
  assert.ok(error instanceof Invalid, `expected Invalid, got ${String(error)}`);
  return error.errors.map((e) => e.message);
}

describeEachEngine('messages', (database) => {
  test('a message to two schools and an LA type of user: one copy per mailbox, an email to each reader saying only that it waits, and an audit record', async () => {
    const { db } = database();
    const clock = new ManualClock('2026-11-23T10:00:00.000Z');
    const service = new MessagesService({ db, clock });
    const w = await world(db);
    const secret = 'Jane Doe, born 2 March 2016, has joined us';
    const sent = await service.send(actorOf(w.officer), {
      recipients: [
        `school:${w.alder.number}`,
        `school:${w.cedar.number}`,
        `la:${w.otherLa.number}:la_lost_pupil`,
      ],
      description: 'CTF request',
      text: secret,
      delivery: 'message',
    });
    assert.equal(sent.recipients, 3);

    const copies = await db
      .selectFrom('message_recipients')
      .selectAll()
      .where('message_id', '=', sent.id)
      .orderBy('mailbox')
      .execute();
    assert.deepEqual(
      copies.map((c) => [c.mailbox, c.label, c.la_number, c.establishment_number, c.read_at]),
      [
        [
          `la:${w.otherLa.number}:la_lost_pupil`,
          `${w.otherLa.number} Bshire - LEA Lost Pupil User`,
          w.otherLa.number,
          null,
          null,
        ],
        [
          `school:${w.alder.number}`,
          `${w.la.number} ${w.alder.number.slice(3)} - Alder Primary`,
          w.la.number,
          w.alder.number,
          null,
        ],
        [
          `school:${w.cedar.number}`,
          `${w.otherLa.number} ${w.cedar.number.slice(3)} - Cedar Academy`,
          w.otherLa.number,
          w.cedar.number,
          null,
        ],
      ],
    );
    const message = await db
      .selectFrom('messages')
      .selectAll()
      .where('id', '=', sent.id)
      .executeTakeFirstOrThrow();
    assert.equal(message.sender_label, `${w.la.number} Ashire - LEA User`);
    assert.equal(message.sender_mailbox, `la:${w.la.number}:la_user`);

    const emails = await db
      .selectFrom('notification_outbox')
      .selectAll()
      .where('dedupe_key', 'like', `message:${sent.id}:%`)
      .execute();
    assert.deepEqual(
      emails.map((e) => `${e.template} ${e.recipient_kind} ${e.recipient}`).sort(),
      [
        `new-message school ${w.alder.number}`,
        `new-message school ${w.cedar.number}`,
        // The lost-pupil officer has no address of their own: the LA's.
        `new-message la ${w.otherLa.number}`,
      ].sort(),
    );
    for (const email of emails) {
      assert.doesNotMatch(email.payload, /Jane|CTF request/, 'the email never carries the message');
      const payload = JSON.parse(email.payload);
      // The LA's own address is told which type of its users the message is for: only they can read it.
      if (email.recipient_kind === 'la') {
        assert.deepEqual(Object.keys(payload).sort(), ['forMailbox', 'fromName', 'sentAt']);
        assert.equal(textIn('en', payload.forMailbox), `${w.otherLa.number} Bshire - LEA Lost Pupil User`);
        assert.equal(email.dedupe_key, `message:${sent.id}:la:${w.otherLa.number}:la_lost_pupil`);
      } else assert.deepEqual(Object.keys(payload).sort(), ['fromName', 'sentAt']);
      assert.equal(payload.sentAt, '2026-11-23T10:00:00.000Z');
      // The sender's label as a message: its type of user in the words of each email's reader.
      assert.ok(isMessage(payload.fromName));
      assert.equal(textIn('en', payload.fromName), `${w.la.number} Ashire - LEA User`);
      assert.equal(textIn('cy', payload.fromName), `${w.la.number} Ashire - Defnyddiwr AALl`);
    }
    const audit = await db.selectFrom('audit_events').selectAll().where('subject_id', '=', sent.id).execute();
    assert.deepEqual(
      audit.map((a) => [a.action, a.actor_user_id, a.organisation]),
      [['message-sent', w.officer.id, w.la.number]],
    );
    assert.doesNotMatch(audit[0]?.detail ?? '', /Jane/);
  });

  test('up to ten recipients; an eleventh, a closed school, a school not using s2s or an LA type with no users is refused with the reason', async () => {
    const { db } = database();
    const service = new MessagesService({ db, clock: new ManualClock() });
    const w = await world(db);
    const schools = [];
    for (let i = 0; i < MAX_RECIPIENTS + 1; i += 1) schools.push(await makeSchool(db, w.la.number));
    const draft = { description: 'Term dates', text: 'Here they are.', delivery: 'message' };
    const eleven = schools.map((s) => `school:${s.number}`);
    const tooMany = await service
      .send(actorOf(w.officer), { ...draft, recipients: eleven })
      .catch((e: unknown) => e);
    assert.deepEqual(fieldMessages(tooMany), [
      'A message can go to up to 10 recipients: remove some, or send to an address group instead',
    ]);
    const ten = await service.send(actorOf(w.officer), { ...draft, recipients: eleven.slice(0, 10) });
    assert.equal(ten.recipients, 10);

    const closed = await makeSchool(db, w.la.number, { name: 'Closed Primary', status: 'closed' });
    const offline = await makeSchool(db, w.la.number, { name: 'Paper Primary', uses_s2s: 0 });
    const inactive = await makeSchool(db, w.la.number, { name: 'Dormant Primary', active: 0 });
    const refused = await service
      .send(actorOf(w.officer), {
        ...draft,
        recipients: [
          `school:${closed.number}`,
          `school:${offline.number}`,
          `school:${inactive.number}`,
          `la:${w.la.number}:la_admissions`,
          'school:9999999',
        ],
      })
      .catch((e: unknown) => e);
    assert.deepEqual(fieldMessages(refused), [
      `${w.la.number} ${closed.number.slice(3)} - Closed Primary is closed`,
      `${w.la.number} ${offline.number.slice(3)} - Paper Primary does not use s2s: contact the school another way`,
      `${w.la.number} ${inactive.number.slice(3)} - Dormant Primary cannot read messages because its s2s account is inactive: ask its LA to make it active again`,
      `${w.la.number} Ashire has no LEA Admissions User on s2s: choose another type of user`,
      'There is no school 999 9999 on s2s: check the LA and school numbers',
    ]);
    const none = await service
      .send(actorOf(w.officer), { ...draft, recipients: [], description: ' ', text: '', delivery: 'fax' })
      .catch((e: unknown) => e);
    assert.deepEqual(fieldMessages(none), [
      'Choose at least one recipient',
      'Enter a description of the message',
      'Enter the text of the message',
      'Choose whether to send an s2s message or an email',
    ]);
  });

  test('sent as an email: the text goes out to each reader, nothing waits in s2s, and the sent list says so', async () => {
    const { db } = database();
    const service = new MessagesService({ db, clock: new ManualClock() });
    const w = await world(db);
    const sent = await service.send(actorOf(w.officer), {
      recipients: [`school:${w.birch.number}`, `la:${w.otherLa.number}:la_lost_pupil`],
      description: 'Training day',
      text: 'The training day is on 5 January.',
      delivery: 'email',
    });
    const emails = await db
      .selectFrom('notification_outbox')
      .selectAll()
      .where('dedupe_key', 'like', `message:${sent.id}:%`)
      .execute();
    assert.deepEqual(
      emails.map((e) => e.template),
      ['message-by-email', 'message-by-email'],
    );
    const { fromName, organisation, ...payload } = JSON.parse(emails[0]?.payload ?? '{}');
    assert.deepEqual(payload, { description: 'Training day', text: 'The training day is on 5 January.' });
    assert.equal(textIn('en', fromName), `${w.la.number} Ashire - LEA User`);
    // Who wrote it, for the email's subject and first line (decision 85).
    assert.equal(textIn('en', organisation), `Ashire LA (${w.la.number})`);
    assert.equal(textIn('cy', organisation), `Awdurdod lleol Ashire (${w.la.number})`);
    assert.deepEqual(
      (await service.inbox(actorOf(w.birchOffice), { key: 'sent', order: 'descending' })).messages,
      [],
    );
    assert.equal(await service.unreadCount(actorOf(w.birchOffice)), 0);
    const [listed] = await service.sent(actorOf(w.officer));
    assert.deepEqual(
      { delivery: listed?.delivery, recipients: listed?.recipients, unread: listed?.unread },
      { delivery: 'email', recipients: 2, unread: 0 },
    );
  });

  test('a mailbox is shared: the first reader marks it read for everyone there, and the sender sees the unread count fall', async () => {
    const { db } = database();
    const clock = new ManualClock('2026-11-23T10:00:00.000Z');
    const service = new MessagesService({ db, clock });
    const w = await world(db);
    const { id } = await service.send(actorOf(w.officer), {
      recipients: [`school:${w.alder.number}`, `school:${w.birch.number}`],
      description: 'Census day',
      text: 'Please check your returns.',
      delivery: 'message',
    });
    assert.equal(await service.unreadCount(actorOf(w.alderHead)), 1);
    assert.equal(
      (await service.sent(actorOf(w.colleague)))[0]?.unread,
      2,
      'colleagues in the same role share the sent list',
    );

    clock.advanceMinutes(30);
    const read = await service.read(actorOf(w.alderOffice), id);
    assert.equal(read.copy.read_at, '2026-11-23T10:30:00.000Z');
    assert.equal(read.message.body, 'Please check your returns.');
    assert.equal(read.canReply, true);
    assert.equal(await service.unreadCount(actorOf(w.alderHead)), 0);
    clock.advanceMinutes(30);
    await service.read(actorOf(w.alderHead), id);
    const copy = await db
      .selectFrom('message_recipients')
      .selectAll()
      .where('mailbox', '=', `school:${w.alder.number}`)
      .executeTakeFirstOrThrow();
    assert.deepEqual(
      [copy.read_at, copy.read_by],
      ['2026-11-23T10:30:00.000Z', w.alderOffice.id],
      'the first reading counts',
    );
    assert.equal((await service.sent(actorOf(w.officer)))[0]?.unread, 1);
    const detail = await service.sentMessage(actorOf(w.officer), id);
    assert.deepEqual(
      detail.recipients.map((r) => [r.mailbox, r.read_at]),
      [
        [`school:${w.alder.number}`, '2026-11-23T10:30:00.000Z'],
        [`school:${w.birch.number}`, null],
      ],
    );
  });

  test('the inbox sorts by From, Sent Date or Description, either way', async () => {
    const { db } = database();
    const service = new MessagesService({ db, clock: new ManualClock() });
    const w = await world(db);
    const to = [mailboxOfUser(w.alderOffice)];
    await makeMessage(db, w.officer, to, {
      description: 'b second',
      sentAt: new Date('2026-11-02T09:00:00Z'),
    });
    await makeMessage(db, w.cedarOffice, to, {
      description: 'a first',
      sentAt: new Date('2026-11-01T09:00:00Z'),
    });
    await makeMessage(db, w.lostPupilOfficer, to, {
      description: 'c third',
      sentAt: new Date('2026-11-03T09:00:00Z'),
    });
    const order = async (key: 'from' | 'sent' | 'description', ascending: boolean) =>
      (
        await service.inbox(actorOf(w.alderOffice), { key, order: ascending ? 'ascending' : 'descending' })
      ).messages.map((m) => m.description);
    assert.deepEqual(await order('sent', false), ['c third', 'b second', 'a first']);
    assert.deepEqual(await order('sent', true), ['a first', 'b second', 'c third']);
    assert.deepEqual(await order('description', true), ['a first', 'b second', 'c third']);
    // Senders, as listed: "<la> Ashire - LEA User", then the other LA's "<otherLa> <school number> -
    // Cedar Academy" (digits before letters) and "<otherLa> Bshire - LEA Lost Pupil User".
    assert.deepEqual(await order('from', true), ['b second', 'a first', 'c third']);
    assert.deepEqual(await order('from', false), ['c third', 'a first', 'b second']);

    // By From as the reader reads it: one LA's types of user in Welsh order for a Welsh reader.
    const dba = await makeUser(db, 'la_dba', { laNumber: w.la.number });
    await makeMessage(db, dba, to, { description: 'd fourth', sentAt: new Date('2026-11-04T09:00:00Z') });
    const byFrom = async (language: 'en' | 'cy') =>
      (await service.inbox(actorOf(w.alderOffice), { key: 'from', order: 'ascending' }, language)).messages
        .map((m) => m.description)
        .filter((d) => d === 'b second' || d === 'd fourth');
    assert.deepEqual(await byFrom('en'), ['d fourth', 'b second'], 'LEA Administrator, LEA User');
    assert.deepEqual(await byFrom('cy'), ['b second', 'd fourth'], 'Defnyddiwr AALl, Gweinyddwr AALl');
  });

  test('a reply goes to the sender only, linked to the message, and reaches their mailbox', async () => {
    const { db } = database();
    const service = new MessagesService({ db, clock: new ManualClock() });
    const w = await world(db);
    const { id } = await service.send(actorOf(w.officer), {
      recipients: [`school:${w.alder.number}`, `school:${w.birch.number}`],
      description: 'Pupil moving',
      text: 'Is Sam joining you?',
      delivery: 'message',
    });
    const reply = await service.reply(actorOf(w.alderOffice), id, {
      description: 'Re: Pupil moving',
      text: 'Yes, on Monday.',
    });
    assert.equal(reply.recipients, 1);
    const row = await db
      .selectFrom('messages')
      .selectAll()
      .where('id', '=', reply.id)
      .executeTakeFirstOrThrow();
    assert.equal(row.in_reply_to, id);
    const inbox = await service.inbox(actorOf(w.colleague), { key: 'sent', order: 'descending' });
    assert.deepEqual(
      inbox.messages.map((m) => m.description),
      ['Re: Pupil moving'],
    );
    assert.equal(
      (await service.inbox(actorOf(w.birchOffice), { key: 'sent', order: 'descending' })).messages.length,
      1,
      'Birch has only the original',
    );
    const emails = await db
      .selectFrom('notification_outbox')
      .selectAll()
      .where('dedupe_key', 'like', `message:${reply.id}:%`)
      .execute();
    assert.deepEqual(
      emails.map((e) => `${e.recipient_kind} ${e.recipient}`).sort(),
      [`la ${w.la.number}`, `user ${w.officer.id}`].sort(),
      'the officer at their own address, the colleague at the LA’s',
    );
  });

  test('another organisation cannot read, delete or reply to a message, nor see one it did not send', async () => {
    const { db } = database();
    const service = new MessagesService({ db, clock: new ManualClock() });
    const w = await world(db);
    const { id } = await service.send(actorOf(w.officer), {
      recipients: [`school:${w.alder.number}`],
      description: 'For Alder only',
      text: 'Private.',
      delivery: 'message',
    });
    for (const outsider of [w.birchOffice, w.cedarOffice, w.lostPupilOfficer]) {
      const actor = actorOf(outsider);
      await assert.rejects(service.read(actor, id), NotFound);
      await assert.rejects(service.delete(actor, id), NotFound);
      await assert.rejects(service.reply(actor, id, { description: 'x', text: 'y' }), NotFound);
      await assert.rejects(service.sentMessage(actor, id), NotFound);
    }
    await assert.rejects(
      service.sentMessage(actorOf(w.alderOffice), id),
      NotFound,
      'a recipient is not the sender',
    );
    const copy = await db
      .selectFrom('message_recipients')
      .selectAll()
      .where('message_id', '=', id)
      .executeTakeFirstOrThrow();
    assert.deepEqual([copy.read_at, copy.removed_at], [null, null], 'nothing changed');
  });

  test('deleting takes the message out of the mailbox for everyone there; the sender sees it deleted unread', async () => {
    const { db } = database();
    const service = new MessagesService({ db, clock: new ManualClock() });
    const w = await world(db);
    const { id } = await service.send(actorOf(w.officer), {
      recipients: [`school:${w.alder.number}`],
      description: 'Old news',
      text: 'Never mind.',
      delivery: 'message',
    });
    await service.delete(actorOf(w.alderOffice), id);
    assert.deepEqual(
      (await service.inbox(actorOf(w.alderHead), { key: 'sent', order: 'descending' })).messages,
      [],
    );
    await assert.rejects(service.read(actorOf(w.alderHead), id), NotFound);
    const again = await service.delete(actorOf(w.alderOffice), id);
    assert.equal(again.already, true, 'deleted once only: again, it says so and changes nothing');
    const detail = await service.sentMessage(actorOf(w.officer), id);
    assert.deepEqual(
      detail.recipients.map((r) => [r.removed_reason, r.read_at]),
      [['deleted', null]],
    );
  });

  test('to an address group of the sender: more than ten mailboxes at once; someone else’s group is refused', async () => {
    const { db } = database();
    const service = new MessagesService({ db, clock: new ManualClock() });
    const w = await world(db);
    const members = [];
    for (let i = 0; i < 12; i += 1) members.push(`school:${(await makeSchool(db, w.la.number)).number}`);
    const at = new Date().toISOString();
    await insertGroup(db, { id: 'group-1', ownerUserId: w.officer.id, name: 'All our schools', at, members });
    const sent = await service.send(actorOf(w.officer), {
      recipients: [],
      groupId: 'group-1',
      description: 'To all',
      text: 'Hello all.',
      delivery: 'message',
    });
    assert.equal(sent.recipients, 12);
    const refused = await service
      .send(actorOf(w.colleague), {
        recipients: [],
        groupId: 'group-1',
        description: 'x',
        text: 'y',
        delivery: 'message',
      })
      .catch((e: unknown) => e);
    assert.deepEqual(fieldMessages(refused), ['Select one of your address groups']);
  });

  test(`expiry: unread copies leave ${UNREAD_DAYS} days after sending, read ones ${READ_DAYS} days after reading; the message goes when all copies have`, async () => {
    const { db } = database();
    const clock = new ManualClock('2026-11-01T09:00:00.000Z');
    const service = new MessagesService({ db, clock });
    const w = await world(db);
    // Other tests' messages share the database: the expiry is checked on this test's message only.
    const { id } = await service.send(actorOf(w.officer), {
      recipients: [`school:${w.alder.number}`, `school:${w.birch.number}`, `school:${w.cedar.number}`],
      description: 'Expiring',
      text: 'Soon gone.',
      delivery: 'message',
    });
    const state = async () =>
      (
        await db
          .selectFrom('message_recipients')
          .select(['mailbox', 'removed_reason'])
          .where('message_id', '=', id)
          .orderBy('mailbox')
          .execute()
      ).map((r) => r.removed_reason);
    const expire = () => expireMessages(db, clock.now(), RETENTION);

    clock.advanceMinutes(20 * DAY_MINUTES);
    await service.read(actorOf(w.alderOffice), id); // day 20: Alder reads it
    clock.advanceMinutes(10 * DAY_MINUTES);
    await service.read(actorOf(w.birchOffice), id); // day 30: Birch reads it
    clock.advanceMinutes(DAY_MINUTES - 1); // day 31 less a minute
    await expire();
    assert.deepEqual(await state(), [null, null, null]);

    clock.advanceMinutes(1); // day 31: Cedar never read it; Alder read it 11 days ago
    await expire();
    assert.deepEqual(await state(), [null, null, 'expired']);
    assert.equal(
      (await service.inbox(actorOf(w.cedarOffice), { key: 'sent', order: 'descending' })).messages.length,
      0,
    );

    clock.advanceMinutes(3 * DAY_MINUTES); // day 34: 14 days since Alder read it
    await expire();
    assert.deepEqual(await state(), ['expired', null, 'expired']);
    assert.equal(
      (await service.sent(actorOf(w.officer))).some((m) => m.id === id),
      true,
      'the sender still sees it',
    );

    clock.advanceMinutes(10 * DAY_MINUTES - 1); // day 44 less a minute: Birch read it 14 days ago less a minute
    await expire();
    assert.deepEqual(await state(), ['expired', null, 'expired']);
    clock.advanceMinutes(1);
    const result = await expire();
    assert.ok(result.deleted >= 1);
    assert.equal(
      await db.selectFrom('messages').select('id').where('id', '=', id).executeTakeFirst(),
      undefined,
      'deleted with its text',
    );
    assert.deepEqual(await state(), []);
  });

  test('a copy past its time is neither listed, counted nor opened before the expiry job has run', async () => {
    const { db } = database();
    const clock = new ManualClock('2026-11-01T09:00:00.000Z');
    const service = new MessagesService({ db, clock });
    const w = await world(db);
    const { id } = await service.send(actorOf(w.officer), {
      recipients: [`school:${w.alder.number}`, `school:${w.birch.number}`],
      description: 'Overdue',
      text: 'Past its time.',
      delivery: 'message',
    });
    const shows = async (office: typeof w.alderOffice) => {
      const inbox = await service.inbox(actorOf(office), { key: 'sent', order: 'descending' });
      return {
        listed: inbox.messages.some((m) => m.id === id),
        unread: await service.unreadCount(actorOf(office)),
      };
    };
    clock.advanceMinutes(17 * DAY_MINUTES);
    await service.read(actorOf(w.alderOffice), id); // day 17: Alder reads it

    clock.advanceMinutes(14 * DAY_MINUTES - 1); // day 31 less a minute: both still there
    assert.deepEqual(await shows(w.alderOffice), { listed: true, unread: 0 });
    assert.deepEqual(await shows(w.birchOffice), { listed: true, unread: 1 });

    clock.advanceMinutes(1); // day 31: Birch's unread copy and Alder's read one are due; the job has not run
    assert.deepEqual(await shows(w.alderOffice), { listed: false, unread: 0 });
    assert.deepEqual(await shows(w.birchOffice), { listed: false, unread: 0 });
    await assert.rejects(service.read(actorOf(w.birchOffice), id), NotFound);
    await assert.rejects(service.read(actorOf(w.alderOffice), id), NotFound);
    await assert.rejects(service.delete(actorOf(w.birchOffice), id), NotFound);
    const copies = await db
      .selectFrom('message_recipients')
      .select(['read_at', 'removed_at'])
      .where('message_id', '=', id)
      .orderBy('mailbox')
      .execute();
    assert.deepEqual(
      copies.map((c) => c.removed_at),
      [null, null],
      'left for the job to expire',
    );
    assert.equal(copies.filter((c) => c.read_at === null).length, 1, 'opening it did not mark it read');
  });

  test('a message opened as the expiry job deletes it, at the end of its 31 days: not found, not the error page', async () => {
    const { db, url, schema } = database();
    const clock = new ManualClock('2026-11-01T09:00:00.000Z');
    const w = await world(db);
    const { id } = await new MessagesService({ db, clock }).send(actorOf(w.officer), {
      recipients: [`school:${w.alder.number}`],
      description: 'Last minute',
      text: 'Opened as it goes.',
      delivery: 'message',
    });
    clock.advanceMinutes(UNREAD_DAYS * DAY_MINUTES - 1); // a minute before its unread copy is due
    // The opening has found the mailbox's copy not yet due; the expiry job, run a minute later by another
    // process (a connection of its own), expires the copy and deletes the message before the opening reads
    // the message itself.
    let armed = true;
    const held = holdingAfterSelectFrom(db, 'message_recipients', () => armed);
    const opening = new MessagesService({ db: held.db, clock }).read(actorOf(w.alderOffice), id);
    const settled = opening.then(
      () => undefined,
      () => undefined,
    );
    await held.reached;
    armed = false;
    const job = createDatabase(url, schema ? { schema } : {});
    try {
      const expired = await expireMessages(job, new Date(clock.now().getTime() + 60_000), RETENTION);
      assert.ok(expired.deleted >= 1);
    } finally {
      held.release();
      await settled;
      await job.destroy();
    }
    await assert.rejects(opening, (error: unknown) => {
      assert.ok(error instanceof NotFound, String(error));
      return true;
    });
    assert.equal(
      await db.selectFrom('messages').select('id').where('id', '=', id).executeTakeFirst(),
      undefined,
    );
  });

  test('expiry works through a backlog in batches: every copy due expires, each message with none left goes, one kept by a recent reading stays', async () => {
    const { db } = database();
    const w = await world(db);
    const to = [`school:${w.alder.number}`, `school:${w.birch.number}`, `school:${w.cedar.number}`];
    // A backlog from a year before the other tests' messages, so the expiry below touches only these:
    // seven messages, two of them sent at the same moment (the batches' cursor orders by time, then id).
    const sent = ['01', '02', '03', '04', '05', '06', '06'].map(
      (day) => new Date(`2025-01-${day}T09:00:00Z`),
    );
    const ids: string[] = [];
    for (const sentAt of sent) ids.push(await makeMessage(db, w.officer, to, { sentAt }));
    const readAt = async (id: string, mailbox: string, at: string) =>
      db
        .updateTable('message_recipients')
        .set({ read_at: at })
        .where('message_id', '=', id)
        .where('mailbox', '=', mailbox)
        .execute();
    const [, , kept, , readLongAgo] = ids as [string, string, string, string, string];
    await readAt(kept, `school:${w.birch.number}`, '2025-02-20T09:00:00.000Z'); // 9 days before the run
    await readAt(readLongAgo, `school:${w.alder.number}`, '2025-01-10T09:00:00.000Z');
    const live = () =>
      db
        .selectFrom('message_recipients')
        .select(['message_id', 'mailbox'])
        .where('message_id', 'in', ids)
        .where('removed_at', 'is', null)
        .execute();
    const left = async () =>
      (await db.selectFrom('messages').select('id').where('id', 'in', ids).execute()).map((m) => m.id);
    const rules = RETENTION;

    const first = await expireMessages(db, new Date('2025-03-01T09:00:00Z'), rules, { batch: 2 });
    assert.deepEqual(first, { expired: 20, deleted: 6 });
    assert.deepEqual(await live(), [{ message_id: kept, mailbox: `school:${w.birch.number}` }]);
    assert.deepEqual(await left(), [kept]);

    // 14 days after its reading, the last copy expires and the message goes.
    assert.deepEqual(await expireMessages(db, new Date('2025-03-06T09:00:00Z'), rules, { batch: 2 }), {
      expired: 1,
      deleted: 1,
    });
    assert.deepEqual(await left(), []);
  });

  test('expiry stopped by its signal ends after the batch in hand, and the next run goes on from there', async () => {
    const { db } = database();
    const w = await world(db);
    const to = [`school:${w.alder.number}`, `school:${w.birch.number}`];
    const ids: string[] = [];
    for (const day of ['01', '02', '03'])
      ids.push(await makeMessage(db, w.officer, to, { sentAt: new Date(`2024-01-${day}T09:00:00Z`) }));
    const now = new Date('2024-03-01T09:00:00Z');
    const rules = RETENTION;
    const stopping = new AbortController();
    stopping.abort(new Error('stopping'));
    await assert.rejects(expireMessages(db, now, rules, { batch: 2, signal: stopping.signal }), /stopping/);
    const left = async () =>
      (await db.selectFrom('messages').select('id').where('id', 'in', ids).orderBy('sent_at').execute()).map(
        (m) => m.id,
      );
    assert.deepEqual(await left(), [ids[2]], 'the first two messages went, in one batch');
    assert.deepEqual(await expireMessages(db, now, rules, { batch: 2 }), { expired: 2, deleted: 1 });
    assert.deepEqual(await left(), []);
  });

  test('LEA Administrator – Message Report: per open school of the LA, the messages sent to it in the dates, read and not', async () => {
    const { db } = database();
    const service = new MessagesService({ db, clock: new ManualClock('2026-11-23T09:00:00.000Z') });
    const w = await world(db);
    const dba = await makeUser(db, 'la_dba', { laNumber: w.la.number });
    const at = (day: string) => ({ sentAt: new Date(`2026-${day}T09:00:00Z`) });
    await makeMessage(db, w.cedarOffice, [`school:${w.alder.number}`], at('10-20'));
    await makeMessage(db, w.cedarOffice, [`school:${w.alder.number}`], at('11-02'));
    await makeMessage(db, w.officer, [`school:${w.alder.number}`, `school:${w.birch.number}`], at('11-05'));
    const read = await makeMessage(db, w.officer, [`school:${w.birch.number}`], at('11-06'));
    await service.read(actorOf(w.birchOffice), read);
    // Deleted by the school without being read: sent to it, not read.
    const deleted = await makeMessage(db, w.officer, [`school:${w.birch.number}`], at('11-07'));
    await service.delete(actorOf(w.birchOffice), deleted);
    // Not counted: an email (no mailbox holds it), and another LA's school.
    await makeMessage(db, w.officer, [`school:${w.birch.number}`], { ...at('11-08'), delivery: 'email' });
    await makeMessage(db, w.officer, [`school:${w.cedar.number}`], at('11-08'));
    const rows = async (criteria: Parameters<MessagesService['messageReport']>[1]) => {
      const report = await service.messageReport(actorOf(dba), criteria);
      return report.schools.map((s) => [s.establishmentNumber, s.received, s.read, s.unread, s.oldestUnread]);
    };
    const all = await service.messageReport(actorOf(dba), {});
    assert.equal(textIn('en', all.subject), `Ashire (${w.la.number})`);
    assert.deepEqual([all.range.from, all.range.to, all.withUnread], [null, '2026-11-23', 2]);
    assert.deepEqual(await rows({}), [
      [w.alder.number, 3, 0, 3, '2026-10-20T09:00:00.000Z'],
      [w.birch.number, 3, 1, 2, '2026-11-05T09:00:00.000Z'],
    ]);
    // From 2 November to 6 November, both days included.
    assert.deepEqual(
      await rows({
        fromDay: '2',
        fromMonth: '11',
        fromYear: '2026',
        toDay: '6',
        toMonth: '11',
        toYear: '2026',
      }),
      [
        [w.alder.number, 2, 0, 2, '2026-11-02T09:00:00.000Z'],
        [w.birch.number, 2, 1, 1, '2026-11-05T09:00:00.000Z'],
      ],
    );
    assert.deepEqual(
      await rows({
        fromDay: '1',
        fromMonth: '12',
        fromYear: '2026',
        toDay: '31',
        toMonth: '12',
        toYear: '2026',
      }),
      [
        [w.alder.number, 0, 0, 0, null],
        [w.birch.number, 0, 0, 0, null],
      ],
    );
    await assert.rejects(
      service.messageReport(actorOf(dba), { fromDay: '31', fromMonth: '2', fromYear: '2026' }),
      (error: unknown) => {
        assert.deepEqual(fieldMessages(error), ['The From date must be a real date: February has no day 31']);
        return true;
      },
    );
  });

  test("Message Report: copies written by a node of the previous version, without their message's delivery and time, count the same", async () => {
    const { db } = database();
    const service = new MessagesService({ db, clock: new ManualClock('2026-11-23T09:00:00.000Z') });
    const w = await world(db);
    const dba = await makeUser(db, 'la_dba', { laNumber: w.la.number });
    const at = (day: string) => ({ sentAt: new Date(`2026-${day}T09:00:00Z`) });
    const alder = `school:${w.alder.number}`;
    const birch = `school:${w.birch.number}`;
    await makeMessage(db, w.officer, [alder, birch], at('11-05'));
    // As migration 044's previous version wrote them, while the nodes rolled.
    const older = [
      await makeMessage(db, w.officer, [alder], at('11-02')),
      await makeMessage(db, w.officer, [birch], { ...at('11-03'), delivery: 'email' }),
      await makeMessage(db, w.officer, [alder], at('10-01')),
      await makeMessage(db, w.cedarOffice, [`school:${w.cedar.number}`], at('11-04')),
    ];
    await db
      .updateTable('message_recipients')
      .set({ delivery: null, sent_at: null })
      .where('message_id', 'in', older)
      .execute();
    const fromNovember = { fromDay: '1', fromMonth: '11', fromYear: '2026' };
    const report = await service.messageReport(actorOf(dba), fromNovember);
    assert.deepEqual(
      report.schools.map((s) => [s.establishmentNumber, s.received, s.read, s.unread, s.oldestUnread]),
      [
        [w.alder.number, 2, 0, 2, '2026-11-02T09:00:00.000Z'],
        [w.birch.number, 1, 0, 1, '2026-11-05T09:00:00.000Z'],
      ],
    );
  });

  test("Message Report reads the LA's copies of the period by their own index, not the country's messages", async () => {
    const { db, engine } = database();
    const range = { since: '2026-11-01T00:00:00.000Z', until: '2026-11-24T00:00:00.000Z' };
    for (const since of [range.since, null]) {
      const plan = await queryPlan(db, engine, schoolMessageCounts(db, '916', { ...range, since }).compile());
      assert.match(plan, /message_recipients_la_sent/, plan);
      // The copies of the previous version's nodes (normally none) are joined to their messages as the planner likes.
      assert.doesNotMatch(plan, /SCAN (m|messages)\b|Seq Scan on messages/, plan);
    }
  });
});

test("a stored label is shown with an LA mailbox's type of user, or the national administrators' name, in the reader's language; any other as stored", () => {
  const shown = (key: string, stored: string) => ({
    en: textIn('en', shownLabel(key, stored)),
    cy: textIn('cy', shownLabel(key, stored)),
  });
  assert.deepEqual(shown('la:672:la_user', '672 Bridgend - LEA User'), {
    en: '672 Bridgend - LEA User',
    cy: '672 Bridgend - Defnyddiwr AALl',
  });
  assert.deepEqual(shown('la:672:la_lost_pupil_transfer', '672 - LEA Lost Pupil Transfer User'), {
    en: '672 - LEA Lost Pupil Transfer User',
    cy: '672 - Defnyddiwr Trosglwyddo Disgyblion Coll AALl',
  });
  assert.deepEqual(shown('national', 's2s National Administrator'), {
    en: 's2s National Administrator',
    cy: 'Gweinyddwr Cenedlaethol s2s',
  });
  // Not as s2s writes the mailbox's label (another type of user, a school's label that happens to end
  // like an LA's), or a label of a mailbox s2s does not know: as stored.
  for (const [key, stored] of [
    ['la:672:la_user', '672 Bridgend - LEA Administrator'],
    ['school:6722001', '672 2001 - Bridge Academy - LEA User'],
    ['national', 'National team'],
    ['la:672:someone', '672 Bridgend - LEA User'],
  ] as const) {
    assert.deepEqual(shown(key, stored), { en: stored, cy: stored }, stored);
  }
});
