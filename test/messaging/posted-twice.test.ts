// A message form posted twice (a double click, Back and Send again, a browser resending a POST): one
// message, one email per recipient, one audit event, and a second answer that says it went already.
// Concurrent posts are held at the first one's insert, its transaction open, while the second runs.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { test } from 'node:test';
import type { Db, UserRow } from '../../src/platform/db/schema.ts';
import {
  describeEachEngine,
  holdingAfterInsertInto,
  holdingAfterSelectFrom,
  type TestDatabase,
  twiceAtOnce,
} from '../support/databases.ts';
import { makeLa, makeSchool, makeUser } from '../support/factories.ts';
import { mailboxOfUser, makeMessage } from '../support/messages.ts';
import { Agent, createTestApp, hiddenFields, type TestApp, textOf } from '../support/web.ts';

async function signedIn(t: TestApp, user: UserRow): Promise<Agent> {
  const agent = new Agent(t.app);
  assert.equal((await agent.signIn(user.username)).statusCode, 302);
  return agent;
}

/** How many messages, emails and audit events were sent with the description. */
async function effects(db: Db, description: string) {
  const ids = (
    await db.selectFrom('messages').select('id').where('description', '=', description).execute()
  ).map((m) => m.id);
  if (ids.length === 0) return { messages: 0, emails: 0, audits: 0 };
  const outbox = await db.selectFrom('notification_outbox').select('dedupe_key').execute();
  const audits = await db
    .selectFrom('audit_events')
    .select('id')
    .where('subject_id', 'in', ids)
    .where('action', 'in', ['message-sent', 'message-replied'])
    .execute();
  return {
    messages: ids.length,
    emails: outbox.filter((row) => ids.some((id) => row.dedupe_key?.startsWith(`message:${id}:`))).length,
    audits: audits.length,
  };
}

describeEachEngine('message forms posted twice', (database: () => TestDatabase) => {
  /** An LA officer at the compose page of a message to one school, by email; the page's body. */
  async function composing(t: TestApp) {
    const db = t.deps.db;
    const la = await makeLa(db);
    const school = await makeSchool(db, la.number);
    const officer = await makeUser(db, 'la_user', { laNumber: la.number });
    const agent = await signedIn(t, officer);
    await agent.get('/messages/send/recipients');
    const compose = await agent.post('/messages/send/recipients', {
      recipients: [`school:${school.number}`],
      action: 'next',
    });
    assert.equal(compose.statusCode, 200);
    const description = `Sent once ${randomUUID().slice(0, 8)}`;
    const form = {
      ...hiddenFields(compose.body, '/messages/send'),
      description,
      text: 'Please send the CTF.',
      delivery: 'email',
    };
    return { agent, form, description };
  }

  test('Send posted again: one message and one email, and the second answer says it was sent already', async () => {
    const t = await createTestApp(database().db);
    try {
      const { agent, form, description } = await composing(t);
      const first = await agent.post('/messages/send', form);
      assert.equal(first.statusCode, 302);
      assert.equal(first.headers.location, '/messages/sent');
      assert.match(textOf((await agent.get('/messages/sent')).body), /Your message was sent as an email/);
      const again = await agent.post('/messages/send', form);
      assert.equal(again.statusCode, 302);
      assert.equal(again.headers.location, '/messages/sent');
      assert.match(
        textOf((await agent.get('/messages/sent')).body),
        /This message was sent already, when you first pressed Send\. It was not sent again\./,
      );
      assert.deepEqual(await effects(database().db, description), { messages: 1, emails: 1, audits: 1 });
    } finally {
      await t.app.close();
    }
  });

  test('Send posted twice at once: the second waits for the first and sends nothing', async () => {
    const hold = holdingAfterInsertInto(database().db, 'messages');
    const t = await createTestApp(hold.db);
    try {
      const { agent, form, description } = await composing(t);
      const answers = await twiceAtOnce(database(), hold, () => agent.post('/messages/send', form));
      assert.deepEqual(
        answers.map((a) => [a.statusCode, a.headers.location]),
        [
          [302, '/messages/sent'],
          [302, '/messages/sent'],
        ],
      );
      assert.deepEqual(await effects(database().db, description), { messages: 1, emails: 1, audits: 1 });
    } finally {
      await t.app.close();
    }
  });

  /** A school user with a message from an LA officer in the school's inbox. */
  async function received(t: TestApp) {
    // Written past any hold the app's database has.
    const db = database().db;
    const la = await makeLa(db);
    const school = await makeSchool(db, la.number);
    const officer = await makeUser(db, 'la_user', { laNumber: la.number });
    const office = await makeUser(db, 'school', { laNumber: la.number, establishmentNumber: school.number });
    const description = `Asked once ${randomUUID().slice(0, 8)}`;
    const messageId = await makeMessage(db, officer, [mailboxOfUser(office)], { description });
    return { agent: await signedIn(t, office), messageId, description };
  }

  test('Reply posted again: one reply, and the second answer says it was sent already', async () => {
    const t = await createTestApp(database().db);
    try {
      const { agent, messageId, description } = await received(t);
      const page = await agent.get(`/messages/inbox/${messageId}/reply`);
      const action = `/messages/inbox/${messageId}/reply`;
      const form = {
        ...hiddenFields(page.body, action),
        description: `Re: ${description}`,
        text: 'Sent today.',
      };
      const first = await agent.post(action, form);
      assert.equal(first.headers.location, '/messages/inbox');
      assert.match(textOf((await agent.get('/messages/inbox')).body), /Your reply was sent/);
      const again = await agent.post(action, form);
      assert.equal(again.statusCode, 302);
      assert.equal(again.headers.location, '/messages/inbox');
      assert.match(
        textOf((await agent.get('/messages/inbox')).body),
        /This message was sent already, when you first pressed Send\. It was not sent again\./,
      );
      assert.deepEqual(await effects(database().db, `Re: ${description}`), {
        messages: 1,
        emails: 1,
        audits: 1,
      });
    } finally {
      await t.app.close();
    }
  });

  test('Reply posted twice at once: one reply', async () => {
    const hold = holdingAfterInsertInto(database().db, 'messages');
    const t = await createTestApp(hold.db);
    try {
      const { agent, messageId, description } = await received(t);
      const page = await agent.get(`/messages/inbox/${messageId}/reply`);
      const action = `/messages/inbox/${messageId}/reply`;
      const form = {
        ...hiddenFields(page.body, action),
        description: `Re: ${description}`,
        text: 'Sent today.',
      };
      const answers = await twiceAtOnce(database(), hold, () => agent.post(action, form));
      assert.deepEqual(
        answers.map((a) => [a.statusCode, a.headers.location]),
        [
          [302, '/messages/inbox'],
          [302, '/messages/inbox'],
        ],
      );
      assert.deepEqual(await effects(database().db, `Re: ${description}`), {
        messages: 1,
        emails: 1,
        audits: 1,
      });
    } finally {
      await t.app.close();
    }
  });

  async function deletions(db: Db, messageId: string): Promise<number> {
    const rows = await db
      .selectFrom('audit_events')
      .select('id')
      .where('subject_id', '=', messageId)
      .where('action', '=', 'message-deleted')
      .execute();
    return rows.length;
  }

  test('Delete posted again: the second answer says the message was deleted already, not that it is missing', async () => {
    const t = await createTestApp(database().db);
    try {
      const { agent, messageId, description } = await received(t);
      await agent.get(`/messages/inbox/${messageId}`);
      const first = await agent.post(`/messages/inbox/${messageId}/delete`, {});
      assert.equal(first.headers.location, '/messages/inbox');
      await agent.get('/messages/inbox');
      const again = await agent.post(`/messages/inbox/${messageId}/delete`, {});
      assert.equal(again.statusCode, 302);
      assert.equal(again.headers.location, '/messages/inbox');
      assert.match(
        textOf((await agent.get('/messages/inbox')).body),
        new RegExp(`The message “${description}” was deleted already\\.`),
      );
      assert.equal(await deletions(database().db, messageId), 1);
    } finally {
      await t.app.close();
    }
  });

  test('Delete posted twice at once: one deletion in the audit trail', async () => {
    let armed = false;
    // The second read of the deletion (the message, once its copy was found), in the first post only.
    const hold = holdingAfterSelectFrom(database().db, 'messages', () => armed);
    const t = await createTestApp(hold.db);
    try {
      const { agent, messageId } = await received(t);
      await agent.get(`/messages/inbox/${messageId}`);
      armed = true;
      const answers = await twiceAtOnce(
        database(),
        hold,
        () => agent.post(`/messages/inbox/${messageId}/delete`, {}),
        () => {
          armed = false;
        },
      );
      assert.deepEqual(
        answers.map((a) => [a.statusCode, a.headers.location]),
        [
          [302, '/messages/inbox'],
          [302, '/messages/inbox'],
        ],
      );
      assert.equal(await deletions(database().db, messageId), 1);
    } finally {
      await t.app.close();
    }
  });

  test('Add Group posted twice at once: one group, and the second told its name is taken, not an error page', async () => {
    const hold = holdingAfterInsertInto(database().db, 'message_groups');
    const t = await createTestApp(hold.db);
    try {
      const db = database().db;
      const la = await makeLa(db);
      const school = await makeSchool(db, la.number);
      const officer = await makeUser(db, 'la_user', { laNumber: la.number });
      const agent = await signedIn(t, officer);
      await agent.get('/message-groups/add');
      const name = `Cluster ${randomUUID().slice(0, 8)}`;
      const form = { name, recipients: [`school:${school.number}`], action: 'save' };
      // On PostgreSQL the second's insert waits for the first's name; SQLite runs one after the other.
      const [saved, again] = await twiceAtOnce(database(), hold, () =>
        agent.post('/message-groups/add', form),
      );
      assert.equal(saved.statusCode, 302);
      assert.equal(again.statusCode, 400);
      assert.match(textOf(again.body), new RegExp(`You already have a group called ${name}`));
      const groups = await db.selectFrom('message_groups').select('id').where('name', '=', name).execute();
      assert.equal(groups.length, 1);
    } finally {
      await t.app.close();
    }
  });
});
