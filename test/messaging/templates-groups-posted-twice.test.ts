// Message Templates and Message Address Groups forms posted twice (a double click, Back and submit
// again, a browser resending a POST), one after the other and at once: one template, one audit event per
// change, and a second answer that says what the first did, never an error page. Posts at once are held
// at a point of the first (its transaction open) while the second runs (twiceAtOnce).
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { test } from 'node:test';
import { insertGroup } from '../../src/messaging/group-repository.ts';
import type { UserRow } from '../../src/platform/db/schema.ts';
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
import {
  Agent,
  createTestApp,
  errorSummary,
  hiddenFields,
  signedInOnAnotherNode,
  type TestApp,
  textOf,
} from '../support/web.ts';

const TEMPLATE_URL = /^\/message-templates\/([0-9a-f-]{36})$/;

async function signedIn(t: TestApp, user: UserRow): Promise<Agent> {
  const agent = new Agent(t.app);
  assert.equal((await agent.signIn(user.username)).statusCode, 302);
  return agent;
}

describeEachEngine('Message Templates and Groups posted twice', (database: () => TestDatabase) => {
  /** A school user; what they see is theirs alone. */
  async function officeOf(t: TestApp) {
    const db = database().db;
    const la = await makeLa(db);
    const school = await makeSchool(db, la.number);
    const office = await makeUser(db, 'school', { laNumber: la.number, establishmentNumber: school.number });
    return { office, school, agent: await signedIn(t, office) };
  }

  async function templatesNamed(name: string) {
    return database().db.selectFrom('message_templates').select('id').where('name', '=', name).execute();
  }

  /** The Add Template form filled in, as the browser sends it. */
  async function addForm(agent: Agent) {
    const page = await agent.get('/message-templates/add');
    const name = `Once ${randomUUID().slice(0, 8)}`;
    return {
      name,
      form: {
        ...hiddenFields(page.body, '/message-templates/add'),
        name,
        description: 'Asked once',
        text: 'Please send the CTF.',
      },
    };
  }

  test('Add Template posted again: one template, and the second answer says it was added already', async () => {
    const t = await createTestApp(database().db);
    try {
      const { agent } = await officeOf(t);
      const { name, form } = await addForm(agent);
      const first = await agent.post('/message-templates/add', form);
      assert.equal(first.statusCode, 302);
      const location = String(first.headers.location);
      assert.match(location, TEMPLATE_URL);
      assert.match(
        textOf((await agent.get(location)).body),
        new RegExp(`The template "${name}" has been added`),
      );
      const again = await agent.post('/message-templates/add', form);
      assert.equal(again.statusCode, 302);
      assert.equal(again.headers.location, location);
      assert.match(
        textOf((await agent.get(location)).body),
        new RegExp(
          `The template "${name}" was added already, when you first pressed Add\\. It was not added again\\.`,
        ),
      );
      const made = await templatesNamed(name);
      assert.equal(made.length, 1);
      assert.equal(await auditEventsOf(database().db, ['message-template-added'], made[0]?.id), 1);
    } finally {
      await t.app.close();
    }
  });

  test('Add Template posted twice at once: one template, both answers the template', async () => {
    const hold = holdingAfterInsertInto(database().db, 'message_templates');
    const t = await createTestApp(hold.db);
    try {
      const { agent } = await officeOf(t);
      const { name, form } = await addForm(agent);
      const answers = await twiceAtOnce(database(), hold, () => agent.post('/message-templates/add', form));
      const made = await templatesNamed(name);
      assert.equal(made.length, 1);
      assert.deepEqual(
        answers.map((a) => [a.statusCode, a.headers.location]),
        [
          [302, `/message-templates/${made[0]?.id}`],
          [302, `/message-templates/${made[0]?.id}`],
        ],
      );
      assert.equal(await auditEventsOf(database().db, ['message-template-added'], made[0]?.id), 1);
    } finally {
      await t.app.close();
    }
  });

  /** A national template, open at its page; the Copy form as the browser sends it. */
  async function copying(agent: Agent) {
    const db = database().db;
    const admin = await makeUser(db, 'national_admin');
    const original = `Shared ${randomUUID().slice(0, 8)}`;
    const at = new Date().toISOString();
    const id = randomUUID();
    await db
      .insertInto('message_templates')
      .values({
        id,
        name: original,
        description: 'For everyone',
        body: 'Please send the CTF.',
        owner_kind: 'national',
        owner_la: null,
        created_by: admin.id,
        created_at: at,
        updated_at: at,
      })
      .execute();
    const page = await agent.get(`/message-templates/${id}`);
    assert.equal(page.statusCode, 200);
    const action = `/message-templates/${id}/copy`;
    return { action, form: hiddenFields(page.body, action), copyName: `Copy of ${original}` };
  }

  test('Copy posted again: one copy, and the second answer says it was copied already', async () => {
    const t = await createTestApp(database().db);
    try {
      const { agent } = await officeOf(t);
      const { action, form, copyName } = await copying(agent);
      const first = await agent.post(action, form);
      assert.equal(first.statusCode, 302);
      const location = String(first.headers.location);
      assert.match(location, TEMPLATE_URL);
      await agent.get(location);
      const again = await agent.post(action, form);
      assert.equal(again.statusCode, 302);
      assert.equal(again.headers.location, location);
      assert.match(
        textOf((await agent.get(location)).body),
        new RegExp(
          `You copied this template already, as "${copyName}", when you first pressed Copy\\. It was not copied again: change your copy below\\.`,
        ),
      );
      const made = await templatesNamed(copyName);
      assert.equal(made.length, 1);
      assert.equal(await auditEventsOf(database().db, ['message-template-copied'], made[0]?.id), 1);
    } finally {
      await t.app.close();
    }
  });

  test('Copy posted twice at once: one copy', async () => {
    const hold = holdingAfterInsertInto(database().db, 'message_templates');
    const t = await createTestApp(hold.db);
    try {
      const { agent } = await officeOf(t);
      const { action, form, copyName } = await copying(agent);
      const answers = await twiceAtOnce(database(), hold, () => agent.post(action, form));
      const made = await templatesNamed(copyName);
      assert.equal(made.length, 1);
      assert.deepEqual(
        answers.map((a) => [a.statusCode, a.headers.location]),
        [
          [302, `/message-templates/${made[0]?.id}`],
          [302, `/message-templates/${made[0]?.id}`],
        ],
      );
    } finally {
      await t.app.close();
    }
  });

  /** A template of the user's, made past any hold the app's database has; its id. */
  async function templateOf(user: UserRow, name: string): Promise<string> {
    const id = randomUUID();
    const at = new Date().toISOString();
    await database()
      .db.insertInto('message_templates')
      .values({
        id,
        name,
        description: 'Mine',
        body: 'Please send the CTF.',
        owner_kind: 'user',
        owner_la: null,
        created_by: user.id,
        created_at: at,
        updated_at: at,
      })
      .execute();
    return id;
  }

  test('Update Template posted twice at once, on two app nodes: updated and audited once', async () => {
    let armed = false;
    // The update's first read of the template, on the first node.
    const hold = holdingAfterSelectFrom(database().db, 'message_templates', () => armed);
    const t = await createTestApp(hold.db);
    const { office, agent } = await officeOf(t);
    const other = await signedInOnAnotherNode(database(), office);
    try {
      const id = await templateOf(office, `Before ${randomUUID().slice(0, 8)}`);
      await agent.get(`/message-templates/${id}`);
      await other.agent.get(`/message-templates/${id}`);
      const name = `After ${randomUUID().slice(0, 8)}`;
      const form = { name, description: 'Changed', text: 'Please send the CTF today.' };
      armed = true;
      const answers = await firstHeldThenAnother(
        database(),
        hold,
        () => agent.post(`/message-templates/${id}`, form),
        () => {
          armed = false;
          return other.agent.post(`/message-templates/${id}`, form);
        },
      );
      assert.deepEqual(
        answers.map((a) => [a.statusCode, a.headers.location]),
        [
          [302, `/message-templates/${id}`],
          [302, `/message-templates/${id}`],
        ],
      );
      assert.equal(await auditEventsOf(database().db, ['message-template-updated'], id), 1);
    } finally {
      await other.close();
      await t.app.close();
    }
  });

  test('Update Template posted again: the second answer says the template already says this', async () => {
    const t = await createTestApp(database().db);
    try {
      const { office, agent } = await officeOf(t);
      const id = await templateOf(office, `Before ${randomUUID().slice(0, 8)}`);
      await agent.get(`/message-templates/${id}`);
      const name = `After ${randomUUID().slice(0, 8)}`;
      const form = { name, description: 'Changed', text: 'Please send the CTF today.' };
      assert.equal((await agent.post(`/message-templates/${id}`, form)).statusCode, 302);
      await agent.get(`/message-templates/${id}`);
      const again = await agent.post(`/message-templates/${id}`, form);
      assert.equal(again.statusCode, 302);
      assert.match(
        textOf((await agent.get(`/message-templates/${id}`)).body),
        new RegExp(`The template "${name}" already says this, so nothing was changed`),
      );
      assert.equal(await auditEventsOf(database().db, ['message-template-updated'], id), 1);
    } finally {
      await t.app.close();
    }
  });

  test('an older Update Template form posted after a change (another tab, Back): refused, not undoing the change', async () => {
    const t = await createTestApp(database().db);
    try {
      const { office, agent } = await officeOf(t);
      const id = await templateOf(office, `Before ${randomUUID().slice(0, 8)}`);
      const url = `/message-templates/${id}`;
      const page = await agent.get(url);
      const opened = hiddenFields(page.body, url);
      const first = { ...opened, name: 'First change', description: 'Changed', text: 'Send the CTF.' };
      assert.equal((await agent.post(url, first)).statusCode, 302);
      t.clock.advanceMinutes(5);
      await agent.get(url);
      const older = { ...opened, name: 'Older tab', description: 'Changed', text: 'Send it now.' };
      const refused = await agent.post(url, older);
      assert.equal(refused.statusCode, 400);
      assert.match(
        errorSummary(refused.body),
        /This template was changed on 23 November 2026, after you opened this page\. Check it above, then save your changes again/,
      );
      const stored = await database()
        .db.selectFrom('message_templates')
        .select('name')
        .where('id', '=', id)
        .executeTakeFirstOrThrow();
      assert.equal(stored.name, 'First change');
      // Saved again from the page that said so, it replaces what it showed.
      const again = await agent.post(url, { ...older, ...hiddenFields(refused.body, url) });
      assert.equal(again.statusCode, 302);
      assert.equal(await auditEventsOf(database().db, ['message-template-updated'], id), 2);
    } finally {
      await t.app.close();
    }
  });

  test('Delete Template posted again: the second answer says it was deleted already, not that it is missing', async () => {
    const t = await createTestApp(database().db);
    try {
      const { office, agent } = await officeOf(t);
      const id = await templateOf(office, `Gone ${randomUUID().slice(0, 8)}`);
      await agent.get(`/message-templates/${id}/delete`);
      const first = await agent.post(`/message-templates/${id}/delete`, {});
      assert.equal(first.statusCode, 302);
      await agent.get('/message-templates/delete');
      const again = await agent.post(`/message-templates/${id}/delete`, {});
      assert.equal(again.statusCode, 302);
      assert.equal(again.headers.location, '/message-templates/delete');
      assert.match(
        textOf((await agent.get('/message-templates/delete')).body),
        /This template was deleted already, so there was nothing more to delete/,
      );
      assert.equal(await auditEventsOf(database().db, ['message-template-deleted'], id), 1);
    } finally {
      await t.app.close();
    }
  });

  test('Delete Template posted twice at once, on two app nodes: one deletion in the audit trail, both answers the list', async () => {
    let armed = false;
    // The deletion's first read of the template, on the first node.
    const hold = holdingAfterSelectFrom(database().db, 'message_templates', () => armed);
    const t = await createTestApp(hold.db);
    const { office, agent } = await officeOf(t);
    const other = await signedInOnAnotherNode(database(), office);
    try {
      const id = await templateOf(office, `Gone ${randomUUID().slice(0, 8)}`);
      await agent.get(`/message-templates/${id}/delete`);
      await other.agent.get(`/message-templates/${id}/delete`);
      armed = true;
      const answers = await firstHeldThenAnother(
        database(),
        hold,
        () => agent.post(`/message-templates/${id}/delete`, {}),
        () => {
          armed = false;
          return other.agent.post(`/message-templates/${id}/delete`, {});
        },
      );
      assert.deepEqual(
        answers.map((a) => [a.statusCode, a.headers.location]),
        [
          [302, '/message-templates/delete'],
          [302, '/message-templates/delete'],
        ],
      );
      assert.equal(await auditEventsOf(database().db, ['message-template-deleted'], id), 1);
    } finally {
      await other.close();
      await t.app.close();
    }
  });

  /** A group of the user's, made past any hold the app's database has; its id. */
  async function groupOf(user: UserRow, name: string, members: string[]): Promise<string> {
    const id = randomUUID();
    const at = new Date().toISOString();
    assert.ok(await insertGroup(database().db, { id, ownerUserId: user.id, name, at, members }));
    return id;
  }

  async function groupAudits(groupId: string, action: string): Promise<number> {
    return auditEventsOf(database().db, [action], groupId);
  }

  test('Update Group posted again: saved once, one audit event, and the second answer shows the group saved', async () => {
    const t = await createTestApp(database().db);
    try {
      const { office, school, agent } = await officeOf(t);
      const id = await groupOf(office, `Before ${randomUUID().slice(0, 8)}`, [`school:${school.number}`]);
      await agent.get(`/message-groups/${id}`);
      const name = `After ${randomUUID().slice(0, 8)}`;
      const form = { name, recipients: [`school:${school.number}`], action: 'save' };
      const first = await agent.post(`/message-groups/${id}`, form);
      assert.equal(first.statusCode, 302);
      const again = await agent.post(`/message-groups/${id}`, form);
      assert.equal(again.statusCode, 302);
      assert.equal(again.headers.location, `/message-groups/${id}`);
      assert.match(
        textOf((await agent.get(`/message-groups/${id}`)).body),
        new RegExp(`The group ${name} is saved, with 1 member.`),
      );
      assert.equal(await groupAudits(id, 'message-group-updated'), 1);
    } finally {
      await t.app.close();
    }
  });

  test('Update Group posted twice at once: one audit event', async () => {
    const hold = holdingAfterInsertInto(database().db, 'message_group_members');
    const t = await createTestApp(hold.db);
    try {
      const { office, school, agent } = await officeOf(t);
      const id = await groupOf(office, `Before ${randomUUID().slice(0, 8)}`, [`school:${school.number}`]);
      await agent.get(`/message-groups/${id}`);
      const form = {
        name: `After ${randomUUID().slice(0, 8)}`,
        recipients: [`school:${school.number}`],
        action: 'save',
      };
      const answers = await twiceAtOnce(database(), hold, () => agent.post(`/message-groups/${id}`, form));
      assert.deepEqual(
        answers.map((a) => [a.statusCode, a.headers.location]),
        [
          [302, `/message-groups/${id}`],
          [302, `/message-groups/${id}`],
        ],
      );
      assert.equal(await groupAudits(id, 'message-group-updated'), 1);
    } finally {
      await t.app.close();
    }
  });

  test('an older Update Group form saved after a change (another tab, Back): refused, not undoing the change', async () => {
    const t = await createTestApp(database().db);
    try {
      const { office, school, agent } = await officeOf(t);
      const other = await makeSchool(database().db, school.la_number);
      const id = await groupOf(office, `Before ${randomUUID().slice(0, 8)}`, [`school:${school.number}`]);
      const url = `/message-groups/${id}`;
      const opened = hiddenFields((await agent.get(url)).body, url);
      const first = {
        ...opened,
        name: 'First change',
        recipients: [`school:${school.number}`, `school:${other.number}`],
        action: 'save',
      };
      assert.equal((await agent.post(url, first)).statusCode, 302);
      await agent.get(url);
      const older = { ...opened, name: 'Older tab', action: 'save' };
      const refused = await agent.post(url, older);
      assert.equal(refused.statusCode, 400);
      assert.match(
        errorSummary(refused.body),
        /This group was changed on 23 November 2026, after you opened this page\. To see that change, open the group again from View\/Update Group; to replace it with the name and members below, save the group again/,
      );
      const members = await database()
        .db.selectFrom('message_group_members')
        .select('mailbox')
        .where('group_id', '=', id)
        .execute();
      assert.equal(members.length, 2, 'the member added since is kept');
      // Saved again from the page that said so, it replaces what it showed.
      const again = await agent.post(url, { ...older, ...hiddenFields(refused.body, url), action: 'save' });
      assert.equal(again.statusCode, 302);
      assert.equal(await groupAudits(id, 'message-group-updated'), 2);
    } finally {
      await t.app.close();
    }
  });

  test('two groups renamed to one name at once: the second is told the name is taken, not an error page', async () => {
    const hold = holdingAfterInsertInto(database().db, 'message_group_members');
    const t = await createTestApp(hold.db);
    try {
      const { office, school, agent } = await officeOf(t);
      const members = [`school:${school.number}`];
      const a = await groupOf(office, `A ${randomUUID().slice(0, 8)}`, members);
      const b = await groupOf(office, `B ${randomUUID().slice(0, 8)}`, members);
      await agent.get(`/message-groups/${a}`);
      const name = `Cluster ${randomUUID().slice(0, 8)}`;
      const form = { name, recipients: members, action: 'save' };
      const [renamed, refused] = await firstHeldThenAnother(
        database(),
        hold,
        () => agent.post(`/message-groups/${a}`, form),
        () => agent.post(`/message-groups/${b}`, form),
      );
      assert.equal(renamed.statusCode, 302);
      assert.equal(refused.statusCode, 400, textOf(refused.body).slice(0, 300));
      assert.match(textOf(refused.body), new RegExp(`You already have a group called ${name}`));
      const named = await database()
        .db.selectFrom('message_groups')
        .select('id')
        .where('name', '=', name)
        .execute();
      assert.deepEqual(
        named.map((g) => g.id),
        [a],
      );
    } finally {
      await t.app.close();
    }
  });

  test('a group added while another is renamed to its name at once: the rename is told the name is taken', async () => {
    const hold = holdingAfterInsertInto(database().db, 'message_group_members');
    const t = await createTestApp(hold.db);
    try {
      const { office, school, agent } = await officeOf(t);
      const members = [`school:${school.number}`];
      const b = await groupOf(office, `B ${randomUUID().slice(0, 8)}`, members);
      await agent.get('/message-groups/add');
      const name = `Cluster ${randomUUID().slice(0, 8)}`;
      const form = { name, recipients: members, action: 'save' };
      const [added, refused] = await firstHeldThenAnother(
        database(),
        hold,
        () => agent.post('/message-groups/add', form),
        () => agent.post(`/message-groups/${b}`, form),
      );
      assert.equal(added.statusCode, 302);
      assert.equal(refused.statusCode, 400, textOf(refused.body).slice(0, 300));
      assert.match(textOf(refused.body), new RegExp(`You already have a group called ${name}`));
      const named = await database()
        .db.selectFrom('message_groups')
        .select('id')
        .where('name', '=', name)
        .execute();
      assert.equal(named.length, 1);
      assert.notEqual(named[0]?.id, b);
    } finally {
      await t.app.close();
    }
  });

  test('Delete Group posted again: the second answer says it was deleted already, not that it is missing', async () => {
    const t = await createTestApp(database().db);
    try {
      const { office, school, agent } = await officeOf(t);
      const id = await groupOf(office, `Gone ${randomUUID().slice(0, 8)}`, [`school:${school.number}`]);
      await agent.get(`/message-groups/${id}/delete`);
      const first = await agent.post(`/message-groups/${id}/delete`, {});
      assert.equal(first.statusCode, 302);
      await agent.get('/message-groups/delete');
      const again = await agent.post(`/message-groups/${id}/delete`, {});
      assert.equal(again.statusCode, 302);
      assert.equal(again.headers.location, '/message-groups/delete');
      assert.match(
        textOf((await agent.get('/message-groups/delete')).body),
        /This group was deleted already, so there was nothing more to delete\./,
      );
      assert.equal(await groupAudits(id, 'message-group-deleted'), 1);
    } finally {
      await t.app.close();
    }
  });

  test('Delete Group posted twice at once: one deletion in the audit trail, both answers the list', async () => {
    let armed = false;
    // The deletion's read of the group's members, in the first post only.
    const hold = holdingAfterSelectFrom(database().db, 'message_group_members', () => armed);
    const t = await createTestApp(hold.db);
    try {
      const { office, school, agent } = await officeOf(t);
      const id = await groupOf(office, `Gone ${randomUUID().slice(0, 8)}`, [`school:${school.number}`]);
      await agent.get(`/message-groups/${id}/delete`);
      armed = true;
      const answers = await twiceAtOnce(
        database(),
        hold,
        () => agent.post(`/message-groups/${id}/delete`, {}),
        () => {
          armed = false;
        },
      );
      assert.deepEqual(
        answers.map((a) => [a.statusCode, a.headers.location]),
        [
          [302, '/message-groups/delete'],
          [302, '/message-groups/delete'],
        ],
      );
      assert.equal(await groupAudits(id, 'message-group-deleted'), 1);
    } finally {
      await t.app.close();
    }
  });
});
