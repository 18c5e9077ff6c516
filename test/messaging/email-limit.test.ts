// Send Message's "email" is limited per user (decision 85): counted in the emails written (a school's
// one address, each address an LA type of user is written to), in the database's shared counters, per
// clock hour. Past the limit the send is refused whole, on the page (429, the form kept) as in the
// service; s2s messages are not counted; two app nodes on one database share the count.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { EMAIL_LIMIT_PER_HOUR, emailLimitKey, MessagesService } from '../../src/messaging/service.ts';
import { ManualClock } from '../../src/platform/clock.ts';
import type { Db, EstablishmentRow, LocalAuthorityRow, UserRow } from '../../src/platform/db/schema.ts';
import { LimitReached } from '../../src/platform/errors.ts';
import { describeEachEngine, type TestDatabase } from '../support/databases.ts';
import { makeLa, makeSchool, makeUser } from '../support/factories.ts';
import { actorOf } from '../support/messages.ts';
import { Agent, anotherNode, createTestApp, errorSummary, type TestApp, textOf } from '../support/web.ts';

/** The user's count in the clock hour `at` falls in, as other sends would have left it. */
async function alreadySent(db: Db, user: UserRow, count: number, at: Date): Promise<void> {
  const hour = 3_600_000;
  const start = Math.floor(at.getTime() / hour) * hour;
  await db
    .insertInto('rate_limits')
    .values({
      key: emailLimitKey(user.id),
      window_start: new Date(start).toISOString(),
      expires_at: new Date(start + hour).toISOString(),
      count,
    })
    .execute();
}

async function countOf(db: Db, user: UserRow): Promise<number> {
  const rows = await db
    .selectFrom('rate_limits')
    .select('count')
    .where('key', '=', emailLimitKey(user.id))
    .execute();
  return rows.reduce((sum, row) => sum + row.count, 0);
}

async function outboxOf(db: Db, template: string): Promise<number> {
  const rows = await db
    .selectFrom('notification_outbox')
    .select('id')
    .where('template', '=', template)
    .execute();
  return rows.length;
}

describeEachEngine('Send Message as email: the limit per user', (database) => {
  let db: Db;
  let la: LocalAuthorityRow;
  let otherLa: LocalAuthorityRow;
  let school: EstablishmentRow;

  before(async () => {
    db = database().db;
    la = await makeLa(db, { name: 'Ashire' });
    otherLa = await makeLa(db, { name: 'Bshire' });
    school = await makeSchool(db, la.number, { name: 'Alder Primary' });
    // Bshire's lost-pupil officers: two with addresses of their own, so a message to them is two emails.
    await makeUser(db, 'la_lost_pupil', { laNumber: otherLa.number }, { email: 'one@bshire.test' });
    await makeUser(db, 'la_lost_pupil', { laNumber: otherLa.number }, { email: 'two@bshire.test' });
  });

  const draft = (delivery: 'email' | 'message') => ({
    recipients: [`school:${school.number}`, `la:${otherLa.number}:la_lost_pupil`],
    description: 'Term dates',
    text: 'The term dates are on our website.',
    delivery,
  });

  test('counts each address written to; under the limit it is sent, past it refused whole with how many were sent and when', async () => {
    const clock = new ManualClock('2026-11-23T09:20:00.000Z');
    const service = new MessagesService({ db, clock });
    const officer = await makeUser(db, 'la_user', { laNumber: la.number });
    await alreadySent(db, officer, EMAIL_LIMIT_PER_HOUR - 3, clock.now());
    const emailsBefore = await outboxOf(db, 'message-by-email');

    // The school's address and the two officers': 3, which the hour still has.
    const sent = await service.send(actorOf(officer), draft('email'));
    assert.equal(sent.recipients, 2);
    assert.equal(await outboxOf(db, 'message-by-email'), emailsBefore + 3);
    assert.equal(await countOf(db, officer), EMAIL_LIMIT_PER_HOUR);

    // The next: nothing stored, nothing queued, nothing counted.
    const messagesBefore = (await db.selectFrom('messages').select('id').execute()).length;
    const refused = await service.send(actorOf(officer), draft('email')).catch((e: unknown) => e);
    assert.ok(refused instanceof LimitReached, String(refused));
    assert.equal(refused.retryAfterSeconds, 40 * 60);
    assert.deepEqual(
      refused.errors.map((e) => [e.field, e.message]),
      [
        [
          'delivery',
          `Nothing was sent. This email would go to 3 addresses, and you have sent ${EMAIL_LIMIT_PER_HOUR} of the ${EMAIL_LIMIT_PER_HOUR} emails you can send in an hour. Send it as an email from 23 November 2026 at 10:00am, or now as an s2s message`,
        ],
      ],
    );
    assert.equal((await db.selectFrom('messages').select('id').execute()).length, messagesBefore);
    assert.equal(await outboxOf(db, 'message-by-email'), emailsBefore + 3);
    assert.equal(await countOf(db, officer), EMAIL_LIMIT_PER_HOUR);
    const audited = await db
      .selectFrom('audit_events')
      .select('detail')
      .where('actor_user_id', '=', officer.id)
      .where('action', '=', 'message-sent')
      .execute();
    assert.equal(audited.length, 1, 'only the send that went is audited');
    // With the emails it counted, as the limit counts them.
    assert.equal(JSON.parse(audited[0]?.detail ?? '{}').emails, 3);

    // s2s messages are not counted; the next hour starts afresh.
    const secure = await service.send(actorOf(officer), draft('message'));
    assert.equal(secure.already, false);
    clock.advanceMinutes(40);
    await service.send(actorOf(officer), draft('email'));
    assert.equal(await countOf(db, officer), 3, 'the ended hour deleted, the new one counted');
  });

  test('an email to more addresses than an hour allows is refused whatever was sent before, and says what to do', async () => {
    const service = new MessagesService({ db, clock: new ManualClock() });
    const officer = await makeUser(db, 'la_user', { laNumber: la.number });
    const big = await makeLa(db, { name: 'Cshire' });
    for (let n = 0; n <= EMAIL_LIMIT_PER_HOUR; n += 1) {
      await makeUser(db, 'la_user', { laNumber: big.number }, { email: `user${n}@cshire.test` });
    }
    const refused = await service
      .send(actorOf(officer), { ...draft('email'), recipients: [`la:${big.number}:la_user`] })
      .catch((e: unknown) => e);
    assert.ok(!(refused instanceof LimitReached), 'waiting would not help');
    assert.deepEqual(
      (refused as LimitReached).errors.map((e) => e.message),
      [
        `Nothing was sent. This email would go to ${EMAIL_LIMIT_PER_HOUR + 1} addresses, more than the ${EMAIL_LIMIT_PER_HOUR} emails you can send in an hour. Send it as an s2s message, or as emails to fewer recipients at a time`,
      ],
    );
    assert.equal(await countOf(db, officer), 0);
  });

  pageTests(database);
});

function pageTests(database: () => TestDatabase) {
  let t: TestApp;
  before(async () => {
    t = await createTestApp(database().db);
  });
  after(async () => {
    await t.app.close();
  });

  test('the page: past the limit, 429 with the form kept and the reason; under it, sent', async () => {
    const db = database().db;
    const la = await makeLa(db, { name: 'Dshire' });
    const school = await makeSchool(db, la.number, { name: 'Elm Primary' });
    const officer = await makeUser(db, 'la_user', { laNumber: la.number });
    const agent = new Agent(t.app);
    assert.equal((await agent.signIn(officer.username)).statusCode, 302);
    const form = {
      recipients: [`school:${school.number}`],
      description: 'Census day',
      text: 'Census day is Thursday.',
      delivery: 'email',
    };
    await alreadySent(db, officer, EMAIL_LIMIT_PER_HOUR - 1, t.clock.now());
    const sent = await agent.post('/messages/send', form);
    assert.equal(sent.statusCode, 302, sent.body);
    const refused = await agent.post('/messages/send', form);
    assert.equal(refused.statusCode, 429);
    assert.match(
      errorSummary(refused.body),
      new RegExp(
        `Nothing was sent\\. This email would go to 1 address, and you have sent ${EMAIL_LIMIT_PER_HOUR} of the ${EMAIL_LIMIT_PER_HOUR} emails you can send in an hour\\. Send it as an email from 23 November 2026 at 10:00am, or now as an s2s message`,
      ),
    );
    assert.match(refused.body, /Census day is Thursday\.<\/textarea>/, 'the text kept');
    const list = textOf((await agent.get('/messages/sent')).body);
    assert.equal(list.match(/Census day/g)?.length, 1, 'one sent, not two');

    // In Welsh.
    await db.updateTable('users').set({ language: 'cy' }).where('id', '=', officer.id).execute();
    const welsh = new Agent(t.app);
    await welsh.signIn(officer.username);
    const refusedInWelsh = await welsh.post('/messages/send', form);
    assert.equal(refusedInWelsh.statusCode, 429);
    assert.match(errorSummary(refusedInWelsh.body), /Ni anfonwyd dim\. .* 23 Tachwedd 2026 am 10:00yb/);
  });

  test('two app nodes on one database share the count', async () => {
    const db = database().db;
    const la = await makeLa(db, { name: 'Fshire' });
    const school = await makeSchool(db, la.number, { name: 'Fir Primary' });
    const officer = await makeUser(db, 'la_user', { laNumber: la.number });
    const form = {
      recipients: [`school:${school.number}`],
      description: 'Training',
      text: 'Training is on Monday.',
      delivery: 'email',
    };
    const second = await anotherNode(database());
    try {
      await alreadySent(db, officer, EMAIL_LIMIT_PER_HOUR - 2, t.clock.now());
      const one = new Agent(t.app);
      const two = new Agent(second.app);
      await one.signIn(officer.username);
      await two.signIn(officer.username);
      assert.equal((await one.post('/messages/send', form)).statusCode, 302);
      assert.equal((await two.post('/messages/send', form)).statusCode, 302);
      assert.equal((await one.post('/messages/send', form)).statusCode, 429, 'the first node');
      assert.equal((await two.post('/messages/send', form)).statusCode, 429, 'and the second');
      assert.equal(await countOf(db, officer), EMAIL_LIMIT_PER_HOUR);
    } finally {
      await second.close();
    }
  });
}
