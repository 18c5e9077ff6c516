// Message Address Groups through the pages: a user adds a group (a name, then members from the
// recipient lists), views and updates it, and deletes it; nobody else, not even a colleague, sees it.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Role } from '../../src/auth/permissions.ts';
import type { Db, EstablishmentRow, LocalAuthorityRow } from '../../src/platform/db/schema.ts';
import { describeEachEngine } from '../support/databases.ts';
import { makeLa, makeSchool, makeUser } from '../support/factories.ts';
import { type Agent, createTestApp, errorSummary, signedInUser, type TestApp } from '../support/web.ts';

describeEachEngine('Message Address Groups pages', (database) => {
  let t: TestApp;
  let db: Db;
  let la: LocalAuthorityRow;
  let otherLa: LocalAuthorityRow;
  let home: EstablishmentRow;
  let hill: EstablishmentRow;
  let river: EstablishmentRow;

  before(async () => {
    db = database().db;
    t = await createTestApp(db);
    la = await makeLa(db, { name: 'Testshire' });
    otherLa = await makeLa(db, { name: 'Otherton' });
    home = await makeSchool(db, la.number, { name: 'Home Primary School' });
    hill = await makeSchool(db, otherLa.number, { name: 'Hillside Primary School' });
    river = await makeSchool(db, otherLa.number, { name: 'Riverside Primary School' });
    await makeUser(db, 'la_user', { laNumber: otherLa.number });
    await makeUser(db, 'la_lost_pupil', { laNumber: otherLa.number });
  });
  after(async () => {
    await t.app.close();
  });

  const agentFor = (role: Role, laNumber: string | null, establishmentNumber: string | null = null) =>
    signedInUser(t, role, { laNumber, establishmentNumber });

  const schoolUser = () => agentFor('school', la.number, home.number);

  /** The mailbox keys the page carries as hidden fields. */
  function carried(html: string): string[] {
    return [...html.matchAll(/<input type="hidden" name="recipients" value="([^"]+)">/g)].map(
      (m) => m[1] ?? '',
    );
  }

  /** Adds a group through the page, returning its id. */
  async function addGroup(agent: Agent, name: string, recipients: string[]): Promise<string> {
    await agent.get('/message-groups/add');
    const saved = await agent.post('/message-groups/add', { name, recipients, action: 'save' });
    assert.equal(saved.statusCode, 302, errorSummary(saved.body));
    const id = /^\/message-groups\/([0-9a-f-]{36})$/.exec(String(saved.headers.location))?.[1];
    assert.ok(id, String(saved.headers.location));
    return id;
  }

  test('the section page offers Add Group, View/Update Group and View/Delete Group', async () => {
    const { agent } = await schoolUser();
    const page = await agent.get('/message-groups');
    assert.equal(page.statusCode, 200);
    for (const href of ['/message-groups/add', '/message-groups/view', '/message-groups/delete']) {
      assert.match(page.body, new RegExp(`href="${href}"`));
    }
    assert.match(page.body, /Add Group/);
    assert.match(page.body, /View\/Update Group/);
    assert.match(page.body, /View\/Delete Group/);
  });

  test('a group is added with a name and members chosen from each of the lists, and audited', async () => {
    const { agent, user } = await schoolUser();
    const form = await agent.get('/message-groups/add');
    assert.equal(form.statusCode, 200);
    assert.match(form.body, /First enter a group name and then select members/);
    assert.match(form.body, /<label[^>]*for="name"[^>]*>\s*Group name/);
    assert.match(form.body, /<h2 class="govuk-heading-m" id="recipient-list">Group Members<\/h2>/);
    assert.match(
      form.body,
      new RegExp(`<option value="${otherLa.number}">${otherLa.number} Otherton</option>`),
    );
    assert.match(form.body, /<option value="la_lost_pupil">LEA Lost Pupil User<\/option>/);

    // An LA and a type of its users.
    const laUsers = await agent.post('/message-groups/add', {
      name: 'Transfer partners',
      la: otherLa.number,
      userType: 'la_user',
      action: 'add-la-users',
    });
    assert.equal(laUsers.statusCode, 200);
    assert.equal(errorSummary(laUsers.body), '');
    assert.deepEqual(carried(laUsers.body), [`la:${otherLa.number}:la_user`]);
    assert.match(laUsers.body, new RegExp(`${otherLa.number} Otherton - LEA User`));
    assert.match(laUsers.body, /value="Transfer partners"/, 'the name typed is kept');

    // "Populate School List", then tick a school.
    const populated = await agent.post('/message-groups/add', {
      name: 'Transfer partners',
      recipients: carried(laUsers.body),
      schoolLa: otherLa.number,
      action: 'populate',
    });
    assert.equal(populated.statusCode, 200);
    assert.match(populated.body, /Hillside Primary School/);
    assert.match(populated.body, /Riverside Primary School/);
    const ticked = await agent.post('/message-groups/add', {
      name: 'Transfer partners',
      recipients: carried(populated.body),
      schoolLa: otherLa.number,
      schools: `school:${hill.number}`,
      action: 'add-schools',
    });
    assert.equal(ticked.statusCode, 200);
    assert.deepEqual(carried(ticked.body), [`la:${otherLa.number}:la_user`, `school:${hill.number}`]);

    // A school by its LA and school numbers.
    const byNumber = await agent.post('/message-groups/add', {
      name: 'Transfer partners',
      recipients: carried(ticked.body),
      laNo: river.number.slice(0, 3),
      schoolNo: river.number.slice(3),
      action: 'add-school-number',
    });
    assert.equal(byNumber.statusCode, 200);
    assert.equal(carried(byNumber.body).length, 3);
    assert.match(byNumber.body, /3 of up to 200 chosen/);

    const saved = await agent.post('/message-groups/add', {
      name: '  Transfer   partners ',
      recipients: carried(byNumber.body),
      action: 'save',
    });
    assert.equal(saved.statusCode, 302, errorSummary(saved.body));
    const location = String(saved.headers.location);
    assert.match(location, /^\/message-groups\/[0-9a-f-]{36}$/);
    const page = await agent.get(location);
    assert.equal(page.statusCode, 200);
    assert.match(page.body, /The group Transfer partners is saved, with 3 members/);
    assert.match(page.body, /Hillside Primary School/);
    assert.match(page.body, /Riverside Primary School/);
    assert.match(page.body, new RegExp(`${otherLa.number} Otherton - LEA User`));

    const group = await db
      .selectFrom('message_groups')
      .selectAll()
      .where('owner_user_id', '=', user.id)
      .executeTakeFirstOrThrow();
    assert.equal(group.name, 'Transfer partners', 'spaces tidied');
    assert.equal(location, `/message-groups/${group.id}`);
    const members = await db
      .selectFrom('message_group_members')
      .select('mailbox')
      .where('group_id', '=', group.id)
      .orderBy('mailbox')
      .execute();
    assert.deepEqual(
      members.map((m) => m.mailbox),
      [`la:${otherLa.number}:la_user`, `school:${hill.number}`, `school:${river.number}`],
    );
    const audit = await db
      .selectFrom('audit_events')
      .selectAll()
      .where('subject_id', '=', group.id)
      .execute();
    assert.deepEqual(
      audit.map((a) => [a.action, a.actor_user_id, a.organisation]),
      [['message-group-added', user.id, home.number]],
    );
    assert.deepEqual(JSON.parse(audit[0]?.detail ?? '{}').members.length, 3);
  });

  test('a list button that cannot add answers 200 with its reasons linked to their fields', async () => {
    const { agent } = await schoolUser();
    const noLaStaff = await makeLa(db, { name: 'Emptyshire' });
    const closed = await makeSchool(db, otherLa.number, { name: 'Old Mill School', status: 'closed' });
    await agent.get('/message-groups/add');

    const unchosen = await agent.post('/message-groups/add', { name: 'G', action: 'add-la-users' });
    assert.equal(unchosen.statusCode, 200);
    assert.match(errorSummary(unchosen.body), /Select an LA/);
    assert.match(errorSummary(unchosen.body), /Select the type of user/);
    assert.match(unchosen.body, /href="#la"/);
    assert.match(unchosen.body, /href="#userType"/);

    const unstaffed = await agent.post('/message-groups/add', {
      name: 'G',
      la: noLaStaff.number,
      userType: 'la_admissions',
      action: 'add-la-users',
    });
    assert.equal(unstaffed.statusCode, 200);
    assert.match(errorSummary(unstaffed.body), /Emptyshire has no LEA Admissions User on s2s/);
    assert.deepEqual(carried(unstaffed.body), []);

    const closedSchool = await agent.post('/message-groups/add', {
      name: 'G',
      laNo: closed.number.slice(0, 3),
      schoolNo: closed.number.slice(3),
      action: 'add-school-number',
    });
    assert.equal(closedSchool.statusCode, 200);
    assert.match(errorSummary(closedSchool.body), /Old Mill School is closed/);
    assert.match(closedSchool.body, /href="#laNo"/);
    assert.match(
      closedSchool.body,
      new RegExp(`value="${closed.number.slice(3)}"`),
      'the numbers stay to correct',
    );

    const badNumbers = await agent.post('/message-groups/add', {
      name: 'G',
      laNo: '12',
      schoolNo: 'abcd',
      action: 'add-school-number',
    });
    assert.equal(badNumbers.statusCode, 200);
    assert.match(errorSummary(badNumbers.body), /Enter the LA number, 3 digits/);
    assert.match(errorSummary(badNumbers.body), /Enter the school number, 4 digits/);
  });

  test('a group holds up to 200 members, and says so in its own words', async () => {
    const { agent } = await schoolUser();
    await agent.get('/message-groups/add');
    // Two hundred members carried by the form (unknown schools: the list only counts them here).
    const full = Array.from({ length: 200 }, (_, i) => `school:998${String(i).padStart(4, '0')}`);
    const refused = await agent.post('/message-groups/add', {
      name: 'Everyone',
      recipients: full,
      laNo: hill.number.slice(0, 3),
      schoolNo: hill.number.slice(3),
      action: 'add-school-number',
    });
    assert.equal(refused.statusCode, 200);
    assert.match(errorSummary(refused.body), /A group can have up to 200 members/);
    assert.doesNotMatch(errorSummary(refused.body), /A message can go to/);
    assert.equal(carried(refused.body).length, 200);
    assert.doesNotMatch(refused.body, new RegExp(`value="school:${hill.number}"`));

    // More than ten is the point of a group.
    const eleven = await Promise.all(Array.from({ length: 11 }, () => makeSchool(db, otherLa.number)));
    const id = await addGroup(
      agent,
      'Eleven schools',
      eleven.map((s) => `school:${s.number}`),
    );
    const page = await agent.get(`/message-groups/${id}`);
    assert.equal(carried(page.body).length, 11);
  });

  test('saving checks the name and the members, and shows every reason', async () => {
    const { agent, user } = await schoolUser();
    await addGroup(agent, 'Feeder schools', [`school:${hill.number}`]);
    const closed = await makeSchool(db, otherLa.number, { name: 'Shut Academy', status: 'closed' });
    const offline = await makeSchool(db, otherLa.number, { name: 'Paper School', uses_s2s: 0 });

    await agent.get('/message-groups/add');
    const empty = await agent.post('/message-groups/add', { name: '   ', action: 'save' });
    assert.equal(empty.statusCode, 400);
    assert.match(errorSummary(empty.body), /Enter a name for the group/);
    assert.match(errorSummary(empty.body), /Choose at least one member for the group/);
    assert.match(empty.body, /href="#name"/);
    assert.match(empty.body, /href="#recipient-list"/);

    const taken = await agent.post('/message-groups/add', {
      name: 'FEEDER Schools',
      recipients: `school:${river.number}`,
      action: 'save',
    });
    assert.equal(taken.statusCode, 400);
    assert.match(errorSummary(taken.body), /You already have a group called Feeder schools/);
    assert.deepEqual(carried(taken.body), [`school:${river.number}`], 'the members chosen are kept');

    const tooLong = await agent.post('/message-groups/add', {
      name: 'x'.repeat(61),
      recipients: `school:${river.number}`,
      action: 'save',
    });
    assert.equal(tooLong.statusCode, 400);
    assert.match(errorSummary(tooLong.body), /60 characters or fewer/);

    const unreachable = await agent.post('/message-groups/add', {
      name: 'Mixed',
      recipients: [
        `school:${closed.number}`,
        `school:${offline.number}`,
        'school:9990001',
        `la:${la.number}:la_plasc`,
      ],
      action: 'save',
    });
    assert.equal(unreachable.statusCode, 400);
    const summary = errorSummary(unreachable.body);
    assert.match(summary, /Shut Academy is closed/);
    assert.match(summary, /Paper School does not use s2s/);
    assert.match(summary, /There is no school 999 0001 on s2s/);
    assert.match(summary, /Testshire has no LEA PLASC User on s2s/);
    assert.match(unreachable.body, /govuk-tag--red">[^<]*Shut Academy is closed/);

    // Pressing Enter sends no button: the form's first button is a hidden "Save group".
    const entered = await agent.post('/message-groups/add', { name: '' });
    assert.equal(entered.statusCode, 400);
    assert.match(errorSummary(entered.body), /Enter a name for the group/);

    const groups = await db
      .selectFrom('message_groups')
      .select('name')
      .where('owner_user_id', '=', user.id)
      .execute();
    assert.deepEqual(
      groups.map((g) => g.name),
      ['Feeder schools'],
      'nothing else saved',
    );
  });

  test('keys that name no mailbox (a tampered form) are left out', async () => {
    const { agent } = await schoolUser();
    const id = await addGroup(agent, 'Tampered', [
      `school:${hill.number}`,
      'school:12',
      'la:916:root',
      'drop table',
    ]);
    const members = await db
      .selectFrom('message_group_members')
      .select('mailbox')
      .where('group_id', '=', id)
      .execute();
    assert.deepEqual(
      members.map((m) => m.mailbox),
      [`school:${hill.number}`],
    );
  });

  test("View/Update Group lists the user's groups; a group is renamed and its members changed", async () => {
    const { agent, user } = await agentFor('la_user', la.number);
    const empty = await agent.get('/message-groups/view');
    assert.equal(empty.statusCode, 200);
    assert.match(empty.body, /You have no groups yet/);

    const id = await addGroup(agent, 'Otherton schools', [`school:${hill.number}`, `school:${river.number}`]);
    await addGroup(agent, 'Another group', [`la:${otherLa.number}:la_user`]);
    const list = await agent.get('/message-groups/view');
    assert.match(list.body, /Another group[\s\S]*Otherton schools/, 'by name');
    assert.match(list.body, /Otherton schools<\/td>\s*<td[^>]*>2<\/td>/);
    assert.match(list.body, new RegExp(`href="/message-groups/${id}"`));

    // The school has closed since the group was made: the page says so.
    await db
      .updateTable('establishments')
      .set({ status: 'closed' })
      .where('number', '=', river.number)
      .execute();
    try {
      const page = await agent.get(`/message-groups/${id}`);
      assert.equal(page.statusCode, 200);
      assert.match(page.body, /value="Otherton schools"/);
      assert.match(page.body, /Riverside Primary School is closed/);
      assert.match(page.body, /1 member of this group cannot be sent messages now/);
      // Sending to the group says what to do about its member.
      await agent.get('/messages/send/recipients?template=blank');
      const send = await agent.post('/messages/send/recipients', { group: id, action: 'next' });
      assert.equal(send.statusCode, 400);
      assert.match(
        errorSummary(send.body),
        /Riverside Primary School is closed\. It is in the group: choose other recipients, or remove it from the group under Message Address Groups and send again/,
      );

      const kept = await agent.post(`/message-groups/${id}`, {
        name: 'Otherton schools',
        recipients: carried(page.body),
        action: 'save',
      });
      assert.equal(kept.statusCode, 400, 'a closed school cannot stay');
      assert.match(errorSummary(kept.body), /Riverside Primary School is closed. Remove it from the group/);

      const removed = await agent.post(`/message-groups/${id}`, {
        name: 'Otherton schools',
        recipients: carried(page.body),
        action: `remove:school:${river.number}`,
      });
      assert.equal(removed.statusCode, 200);
      assert.deepEqual(carried(removed.body), [`school:${hill.number}`]);
      assert.doesNotMatch(removed.body, /cannot be sent messages now/);

      const added = await agent.post(`/message-groups/${id}`, {
        name: 'Otherton schools',
        recipients: carried(removed.body),
        la: otherLa.number,
        userType: 'la_lost_pupil',
        action: 'add-la-users',
      });
      assert.equal(added.statusCode, 200);

      const clash = await agent.post(`/message-groups/${id}`, {
        name: 'another GROUP',
        recipients: carried(added.body),
        action: 'save',
      });
      assert.equal(clash.statusCode, 400);
      assert.match(errorSummary(clash.body), /You already have a group called Another group/);

      t.clock.advanceMinutes(5);
      const saved = await agent.post(`/message-groups/${id}`, {
        name: 'Otherton contacts',
        recipients: carried(added.body),
        action: 'save',
      });
      assert.equal(saved.statusCode, 302, errorSummary(saved.body));
      assert.equal(saved.headers.location, `/message-groups/${id}`);
      const after = await agent.get(`/message-groups/${id}`);
      assert.match(after.body, /The group Otherton contacts is saved, with 2 members/);
      assert.doesNotMatch(after.body, /Riverside/);
      assert.match(after.body, new RegExp(`${otherLa.number} Otherton - LEA Lost Pupil User`));

      // Keeping its own name is not a clash; as nothing changed, nothing more is audited.
      const again = await agent.post(`/message-groups/${id}`, {
        name: 'Otherton contacts',
        recipients: carried(after.body),
        action: 'save',
      });
      assert.equal(again.statusCode, 302, errorSummary(again.body));

      const audit = await db
        .selectFrom('audit_events')
        .select(['action', 'detail', 'organisation', 'actor_user_id'])
        .where('subject_id', '=', id)
        .orderBy('occurred_at')
        .execute();
      assert.deepEqual(
        audit.map((a) => a.action),
        ['message-group-added', 'message-group-updated'],
      );
      assert.equal(audit[1]?.organisation, la.number);
      assert.equal(audit[1]?.actor_user_id, user.id);
      assert.deepEqual(JSON.parse(audit[1]?.detail ?? '{}'), {
        name: 'Otherton contacts',
        previousName: 'Otherton schools',
        added: [`la:${otherLa.number}:la_lost_pupil`],
        removed: [`school:${river.number}`],
      });
    } finally {
      await db
        .updateTable('establishments')
        .set({ status: 'open' })
        .where('number', '=', river.number)
        .execute();
    }
  });

  test('View/Delete Group asks first, then deletes the group and its members', async () => {
    const { agent, user } = await schoolUser();
    const id = await addGroup(agent, 'Short lived', [
      `school:${hill.number}`,
      `la:${otherLa.number}:la_user`,
    ]);
    const list = await agent.get('/message-groups/delete');
    assert.equal(list.statusCode, 200);
    assert.match(list.body, new RegExp(`href="/message-groups/${id}/delete"`));

    const confirm = await agent.get(`/message-groups/${id}/delete`);
    assert.equal(confirm.statusCode, 200);
    assert.match(confirm.body, /Are you sure you want to delete this group\?/);
    assert.match(confirm.body, /Short lived/);
    assert.match(confirm.body, /Hillside Primary School/);
    assert.match(confirm.body, new RegExp(`${otherLa.number} Otherton - LEA User`));
    assert.match(confirm.body, /Deleting a group does not affect messages already sent to it\./);
    assert.match(confirm.body, />\s*Delete\s*<\/button>/);
    assert.match(confirm.body, /href="\/message-groups\/delete"[^>]*>Back</);

    const deleted = await agent.post(`/message-groups/${id}/delete`, {});
    assert.equal(deleted.statusCode, 302);
    assert.equal(deleted.headers.location, '/message-groups/delete');
    const after = await agent.get('/message-groups/delete');
    assert.match(after.body, /The group Short lived is deleted/);
    assert.doesNotMatch(after.body, new RegExp(id));
    assert.equal(
      (await db.selectFrom('message_groups').select('id').where('id', '=', id).execute()).length,
      0,
    );
    assert.equal(
      (await db.selectFrom('message_group_members').select('mailbox').where('group_id', '=', id).execute())
        .length,
      0,
    );
    const audit = await db
      .selectFrom('audit_events')
      .select(['action', 'actor_user_id', 'detail'])
      .where('subject_id', '=', id)
      .orderBy('occurred_at')
      .execute();
    assert.deepEqual(
      audit.map((a) => a.action),
      ['message-group-added', 'message-group-deleted'],
    );
    assert.equal(audit[1]?.actor_user_id, user.id);
    assert.equal(JSON.parse(audit[1]?.detail ?? '{}').name, 'Short lived');
    assert.equal((await agent.get(`/message-groups/${id}/delete`)).statusCode, 404, 'gone');
    // Posted again: said to be deleted already (templates-groups-posted-twice.test.ts), and deleted once.
    assert.equal((await agent.post(`/message-groups/${id}/delete`, {})).statusCode, 302);
    assert.equal(
      (await db.selectFrom('audit_events').select('id').where('subject_id', '=', id).execute()).length,
      2,
      'deleted once',
    );
  });

  test('a group deleted while a message to it is being written: Send shows the message again, kept, and says to choose the recipients again', async () => {
    const { agent } = await schoolUser();
    const id = await addGroup(agent, 'Going soon', [`school:${hill.number}`]);
    await agent.get('/messages/send/recipients?template=blank');
    const compose = await agent.post('/messages/send/recipients', { group: id, action: 'next' });
    assert.equal(compose.statusCode, 200, errorSummary(compose.body));
    const formId = /name="formId" value="([^"]+)"/.exec(compose.body)?.[1];
    assert.ok(formId);
    await agent.get(`/message-groups/${id}/delete`);
    assert.equal((await agent.post(`/message-groups/${id}/delete`, {})).statusCode, 302);

    const draft = {
      formId,
      template: '',
      group: id,
      description: 'Year 6 transfers',
      text: 'The files for September are on their way.',
      delivery: 'message',
    };
    const send = await agent.post('/messages/send', draft);
    assert.equal(send.statusCode, 400);
    assert.match(
      errorSummary(send.body),
      /The address group you chose has been deleted: choose the recipients again with Change the recipients/,
    );
    assert.match(send.body, /href="#recipient-list"/);
    assert.match(send.body, /value="Year 6 transfers"/);
    assert.match(send.body, /The files for September are on their way\./);
    assert.match(send.body, /formaction="\/messages\/send\/recipients"/);
    // Change the recipients: the groups left to choose from, the message carried.
    const change = await agent.post('/messages/send/recipients', { ...draft, action: 'back' });
    assert.equal(change.statusCode, 200, errorSummary(change.body));
    assert.match(change.body, /The files for September are on their way\./);
    assert.equal(
      (await db.selectFrom('messages').select('id').where('description', '=', 'Year 6 transfers').execute())
        .length,
      0,
      'nothing sent',
    );
  });

  test("another user's group, even a colleague's at the same school, is not found on every route", async () => {
    const owner = await schoolUser();
    const id = await addGroup(owner.agent, 'Mine alone', [`school:${hill.number}`]);
    const colleague = await schoolUser();
    const laColleague = await agentFor('la_dba', la.number);
    for (const { agent } of [colleague, laColleague]) {
      const list = await agent.get('/message-groups/view');
      assert.doesNotMatch(list.body, /Mine alone/);
      assert.doesNotMatch((await agent.get('/message-groups/delete')).body, /Mine alone/);
      assert.equal((await agent.get(`/message-groups/${id}`)).statusCode, 404);
      assert.equal((await agent.get(`/message-groups/${id}/delete`)).statusCode, 404);
      await agent.get('/message-groups');
      const update = await agent.post(`/message-groups/${id}`, {
        name: 'Taken over',
        recipients: `school:${river.number}`,
        action: 'save',
      });
      assert.equal(update.statusCode, 404);
      await agent.get('/message-groups');
      const picked = await agent.post(`/message-groups/${id}`, { name: 'x', action: 'remove:x' });
      assert.equal(picked.statusCode, 404);
      await agent.get('/message-groups');
      assert.equal((await agent.post(`/message-groups/${id}/delete`, {})).statusCode, 404);
    }
    assert.equal((await colleague.agent.get('/message-groups/not-a-uuid')).statusCode, 404);
    const group = await db
      .selectFrom('message_groups')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirstOrThrow();
    assert.equal(group.name, 'Mine alone', 'unchanged');
  });

  test('roles without secure messaging are refused', async () => {
    for (const role of ['la_dba_view', 'dfe_collector'] as const) {
      const { agent } = await agentFor(role, role === 'dfe_collector' ? null : la.number);
      for (const url of [
        '/message-groups',
        '/message-groups/add',
        '/message-groups/view',
        '/message-groups/delete',
      ]) {
        assert.equal((await agent.get(url)).statusCode, 403, `${role} ${url}`);
      }
    }
  });

  test('in Welsh: the group pages, the picker, the reasons a group cannot be saved, and the banners', async () => {
    const { agent } = await schoolUser();
    assert.equal((await agent.get('/message-groups/add?lang=cy')).statusCode, 302, 'the switch');
    const add = await agent.get('/message-groups/add');
    assert.match(add.body, /<html lang="cy"/);
    assert.match(
      add.body,
      /<h1 class="govuk-heading-l"><span class="govuk-caption-l">Grwpiau Cyfeiriadau Negeseuon<\/span>Ychwanegu Grŵp<\/h1>/,
    );
    assert.match(add.body, /Aelodau’r Grŵp/);
    assert.match(add.body, /Llenwi’r Rhestr Ysgolion/);

    const refused = await agent.post('/message-groups/add', { name: '', action: 'save' });
    assert.equal(refused.statusCode, 400);
    assert.match(
      errorSummary(refused.body),
      /Rhowch enw i’r grŵp .*Dewiswch o leiaf un aelod ar gyfer y grŵp: defnyddwyr awdurdod lleol, neu ysgol/,
    );
    const noLa = await agent.post('/message-groups/add', { name: 'Grŵp', action: 'add-la-users' });
    assert.match(errorSummary(noLa.body), /Dewiswch awdurdod lleol .*Dewiswch y math o ddefnyddiwr/);
    assert.match(add.body, /<option value="la_lost_pupil">Defnyddiwr Disgyblion Coll AALl<\/option>/);
    const laUsers = await agent.post('/message-groups/add', {
      name: 'Grŵp',
      la: otherLa.number,
      userType: 'la_user',
      action: 'add-la-users',
    });
    assert.equal(errorSummary(laUsers.body), '');
    assert.match(laUsers.body, new RegExp(`${otherLa.number} Otherton - Defnyddiwr AALl`));
    assert.doesNotMatch(laUsers.body, /LEA User/);

    const saved = await agent.post('/message-groups/add', {
      name: 'Ysgolion bwydo',
      recipients: [`school:${hill.number}`, `school:${river.number}`],
      action: 'save',
    });
    assert.equal(saved.statusCode, 302, errorSummary(saved.body));
    const page = await agent.get(String(saved.headers.location));
    assert.match(page.body, /Mae’r grŵp Ysgolion bwydo wedi’i gadw, gyda 2 aelod\./);
    assert.match(page.body, /Newidiwyd ddiwethaf/);

    const list = await agent.get('/message-groups/delete');
    assert.match(list.body, /<h1 class="govuk-heading-l">Gweld\/Dileu Grŵp<\/h1>/);
    const id = /href="\/message-groups\/([0-9a-f-]{36})\/delete"/.exec(list.body)?.[1] ?? '';
    const confirm = await agent.get(`/message-groups/${id}/delete`);
    assert.match(confirm.body, /Ydych chi’n siŵr eich bod am ddileu’r grŵp hwn\?/);
    assert.match(confirm.body, /Aelodau \(2\)/);
    const deleted = await agent.post(`/message-groups/${id}/delete`, {});
    assert.equal(deleted.statusCode, 302);
    assert.match(
      (await agent.get('/message-groups/delete')).body,
      /Mae’r grŵp Ysgolion bwydo wedi’i ddileu\./,
    );
  });
});
