// Message Templates through the pages (handbook §11, LA notes §6.7): add, view, copy, update and delete,
// each for whom it is meant, and nothing of another organisation's shown or changed.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, test } from 'node:test';
import type { Role } from '../../src/auth/permissions.ts';
import type { Db, EstablishmentRow, LocalAuthorityRow } from '../../src/platform/db/schema.ts';
import { describeEachEngine } from '../support/databases.ts';
import { makeLa, makeSchool } from '../support/factories.ts';
import { type Agent, createTestApp, errorSummary, signedInUser, type TestApp } from '../support/web.ts';

const TEMPLATE_URL = /^\/message-templates\/([0-9a-f-]{36})$/;

describeEachEngine('Message Templates pages', (database) => {
  let t: TestApp;
  let db: Db;
  let la: LocalAuthorityRow;
  let otherLa: LocalAuthorityRow;
  let school: EstablishmentRow;
  let otherSchool: EstablishmentRow;

  before(async () => {
    db = database().db;
    t = await createTestApp(db);
    la = await makeLa(db, { name: 'Ashire' });
    otherLa = await makeLa(db, { name: 'Bshire' });
    school = await makeSchool(db, la.number);
    otherSchool = await makeSchool(db, otherLa.number);
  });
  after(async () => {
    await t.app.close();
  });

  const signedIn = (role: Role, laNumber: string | null, establishmentNumber: string | null = null) =>
    signedInUser(t, role, { laNumber, establishmentNumber });

  const laUser = (laNumber = la.number) => signedIn('la_user', laNumber);
  const schoolUser = (s: EstablishmentRow = school) => signedIn('school', s.la_number, s.number);

  /** Adds a template through the form; its id. */
  async function add(agent: Agent, form: Record<string, string>): Promise<string> {
    const response = await agent.post(
      '/message-templates/add',
      { description: 'For a test', text: 'Dear colleague,\r\nPlease send the CTF.', owner: 'user', ...form },
      { formPage: '/message-templates/add' },
    );
    assert.equal(response.statusCode, 302, errorSummary(response.body));
    const id = TEMPLATE_URL.exec(String(response.headers.location))?.[1];
    assert.ok(id, String(response.headers.location));
    return id;
  }

  async function stored(id: string) {
    return db.selectFrom('message_templates').selectAll().where('id', '=', id).executeTakeFirst();
  }

  async function auditOf(id: string) {
    return db
      .selectFrom('audit_events')
      .select(['action', 'detail', 'actor_user_id', 'organisation'])
      .where('subject_id', '=', id)
      .orderBy('occurred_at')
      .execute();
  }

  /** The rows of the templates table: "name | description | owner". */
  function tableRows(html: string): string[] {
    const body = /<tbody[\s\S]*?<\/tbody>/.exec(html)?.[0] ?? '';
    return [...body.matchAll(/<tr[\s\S]*?<\/tr>/g)].map((row) =>
      [...row[0].matchAll(/<t[hd][^>]*>([\s\S]*?)<\/t[hd]>/g)]
        .slice(0, 3)
        .map((cell) => (cell[1] ?? '').replace(/<[^>]+>/g, '').trim())
        .join(' | '),
    );
  }

  test('the Message Templates page offers View/Copy/Update, Add and Delete', async () => {
    const { agent } = await schoolUser();
    const page = await agent.get('/message-templates');
    assert.equal(page.statusCode, 200);
    for (const href of ['/message-templates/view', '/message-templates/add', '/message-templates/delete']) {
      assert.match(page.body, new RegExp(`href="${href}"`));
    }
    assert.match(page.body, /View\/Copy\/Update Template/);
    const { agent: viewOnly } = await signedIn('la_dba_view', la.number);
    assert.equal((await viewOnly.get('/message-templates')).statusCode, 403);
  });

  test("an LA user adds a template for the LA: the LA's users and schools see it, no one else", async () => {
    const { agent, user } = await laUser();
    const form = await agent.get('/message-templates/add');
    assert.equal(form.statusCode, 200);
    assert.match(form.body, /Just me/);
    assert.match(form.body, /My LA/);
    assert.doesNotMatch(form.body, /All s2s users/);

    const id = await add(agent, {
      name: '  LA CTF request  ',
      description: ' To request a CTF ',
      text: 'Dear colleague,\r\nPlease send the CTF for <b>this pupil</b>.',
      owner: 'la',
    });
    const row = await stored(id);
    assert.equal(row?.name, 'LA CTF request');
    assert.equal(row?.description, 'To request a CTF');
    assert.equal(row?.body, 'Dear colleague,\nPlease send the CTF for <b>this pupil</b>.');
    assert.equal(row?.owner_kind, 'la');
    assert.equal(row?.owner_la, la.number);
    assert.equal(row?.created_by, user.id);
    assert.equal(row?.created_at, t.clock.now().toISOString());

    const page = await agent.get(`/message-templates/${id}`);
    assert.equal(page.statusCode, 200);
    assert.match(page.body, /The template &quot;LA CTF request&quot; has been added/);
    assert.match(
      page.body,
      /Dear colleague,<br \/>\s*Please send the CTF for &lt;b&gt;this pupil&lt;\/b&gt;\./,
    );
    assert.match(page.body, /Update this template/);

    const audit = await auditOf(id);
    assert.deepEqual(
      audit.map((a) => [a.action, a.detail, a.actor_user_id, a.organisation]),
      [['message-template-added', '{"name":"LA CTF request"}', user.id, la.number]],
    );

    // A school of the LA sees it, as the LA's, and may copy it but not change it.
    const { agent: fromSchool } = await schoolUser();
    const list = await fromSchool.get('/message-templates/view');
    assert.ok(tableRows(list.body).includes(`LA CTF request | To request a CTF | ${la.number} Ashire`));
    const schoolsView = await fromSchool.get(`/message-templates/${id}`);
    assert.equal(schoolsView.statusCode, 200);
    assert.match(schoolsView.body, new RegExp(`action="/message-templates/${id}/copy"`));
    assert.doesNotMatch(schoolsView.body, /Update this template/);
    assert.doesNotMatch(schoolsView.body, new RegExp(`action="/message-templates/${id}"`));

    // Another LA, and its schools, do not.
    for (const stranger of [await laUser(otherLa.number), await schoolUser(otherSchool)]) {
      const theirList = await stranger.agent.get('/message-templates/view');
      assert.doesNotMatch(theirList.body, /LA CTF request/);
      assert.equal((await stranger.agent.get(`/message-templates/${id}`)).statusCode, 404);
    }
  });

  test('the list shows each template with its owner: All, the LA, or You', async () => {
    const { agent: national } = await signedIn('national_admin', null);
    const form = await national.get('/message-templates/add');
    assert.match(form.body, /All s2s users/);
    assert.doesNotMatch(form.body, /My LA/);
    await add(national, {
      name: 'AAA Notice to everyone',
      description: 'From the national team',
      owner: 'national',
    });

    const { agent, user } = await laUser();
    await add(agent, { name: 'AAA My own', description: 'Mine' });
    await add(agent, { name: 'AAA For the LA', description: 'Ours', owner: 'la' });
    // A colleague's own template is theirs alone.
    const { agent: colleague } = await laUser();
    await add(colleague, { name: 'AAA Colleague’s own', description: 'Theirs' });

    const rows = tableRows((await agent.get('/message-templates/view')).body).filter((r) =>
      r.startsWith('AAA'),
    );
    assert.deepEqual(rows, [
      `AAA For the LA | Ours | ${la.number} Ashire`,
      'AAA My own | Mine | You',
      'AAA Notice to everyone | From the national team | All',
    ]);
    // Send Message's list of templates names each owner as these pages do (after its radio button).
    const send = (await agent.get('/messages/send')).body;
    const sendRows = [...(/<tbody[\s\S]*?<\/tbody>/.exec(send)?.[0] ?? '').matchAll(/<tr[\s\S]*?<\/tr>/g)]
      .map((row) =>
        [...row[0].matchAll(/<td[^>]*>([\s\S]*?)<\/td>/g)]
          .slice(1, 4)
          .map((cell) => (cell[1] ?? '').replace(/<[^>]+>/g, '').trim())
          .join(' | '),
      )
      .filter((r) => r.startsWith('AAA'));
    assert.deepEqual(sendRows, rows);
    assert.equal(user.role, 'la_user');
    const schoolRows = tableRows((await (await schoolUser()).agent.get('/message-templates/view')).body);
    assert.ok(schoolRows.includes('AAA Notice to everyone | From the national team | All'));
    assert.ok(!schoolRows.some((r) => r.startsWith('AAA My own') || r.startsWith('AAA Colleague')));
  });

  test('the form explains each problem and keeps what was typed', async () => {
    const { agent } = await laUser();
    await agent.get('/message-templates/add');
    const empty = await agent.post('/message-templates/add', {});
    assert.equal(empty.statusCode, 400);
    const messages = errorSummary(empty.body);
    for (const message of [
      'Enter a template name',
      'Enter a description',
      'Enter the text of the template',
      'Choose who can use the template',
    ]) {
      assert.match(messages, new RegExp(message));
    }
    for (const field of ['name', 'description', 'text', 'owner']) {
      assert.match(empty.body, new RegExp(`href="#${field}"`));
      assert.match(empty.body, new RegExp(`id="${field}"`));
    }

    const tooLong = await agent.post('/message-templates/add', {
      name: 'n'.repeat(61),
      description: 'd'.repeat(101),
      text: 't'.repeat(10_001),
      owner: 'la',
    });
    assert.equal(tooLong.statusCode, 400);
    const problems = errorSummary(tooLong.body);
    assert.match(problems, /Template name must be 60 characters or fewer/);
    assert.match(problems, /Description must be 100 characters or fewer/);
    assert.match(problems, /Text must be 10,000 characters or fewer/);
    assert.match(tooLong.body, new RegExp(`value="${'n'.repeat(61)}"`));
    assert.match(tooLong.body, /value="la" checked/);

    const count = await db
      .selectFrom('message_templates')
      .select('id')
      .where('name', '=', 'n'.repeat(61))
      .execute();
    assert.equal(count.length, 0);
  });

  test('a school cannot share a template with its LA or everyone; an LA user not with everyone', async () => {
    const { agent, user } = await schoolUser();
    const form = await agent.get('/message-templates/add');
    assert.doesNotMatch(form.body, /My LA|All s2s users/);
    assert.match(form.body, /Only you will be able to see and use this template/);
    for (const owner of ['la', 'national']) {
      const refused = await agent.post('/message-templates/add', {
        name: `School shares with ${owner}`,
        description: 'Refused',
        text: 'Text',
        owner,
      });
      assert.equal(refused.statusCode, 400, owner);
      assert.match(errorSummary(refused.body), /Only (LA users|the s2s national administrator) can share/);
    }
    const mine = await add(agent, { name: 'School own template' });
    assert.equal((await stored(mine))?.owner_kind, 'user');
    const made = await db
      .selectFrom('message_templates')
      .select('owner_kind')
      .where('created_by', '=', user.id)
      .execute();
    assert.deepEqual(
      made.map((m) => m.owner_kind),
      ['user'],
    );

    const { agent: la } = await laUser();
    await la.get('/message-templates/add');
    const refused = await la.post('/message-templates/add', {
      name: 'To everyone',
      description: 'Refused',
      text: 'Text',
      owner: 'national',
    });
    assert.equal(refused.statusCode, 400);
    assert.match(errorSummary(refused.body), /Only the s2s national administrator can share/);
  });

  test('only its author updates a template; others may copy it', async () => {
    const { agent: author, user } = await laUser();
    const id = await add(author, { name: 'Shared request', owner: 'la' });

    const { agent: colleague } = await laUser();
    const page = await colleague.get(`/message-templates/${id}`);
    assert.equal(page.statusCode, 200);
    assert.doesNotMatch(page.body, /Update this template/);
    const refused = await colleague.post(`/message-templates/${id}`, {
      name: 'Hijacked',
      description: 'Hijacked',
      text: 'Hijacked',
    });
    assert.equal(refused.statusCode, 403);
    assert.match(refused.body, /You can only update a template you created/);
    assert.doesNotMatch(refused.body, /change your role/, 'a rule of the template, not of the role');
    assert.equal((await stored(id))?.name, 'Shared request');

    await author.get(`/message-templates/${id}`);
    const invalid = await author.post(`/message-templates/${id}`, { name: '', description: 'x', text: 'y' });
    assert.equal(invalid.statusCode, 400);
    assert.match(errorSummary(invalid.body), /Enter a template name/);
    assert.match(invalid.body, /value="x"/);

    t.clock.advanceMinutes(5);
    const updated = await author.post(`/message-templates/${id}`, {
      name: 'Shared request (2026)',
      description: 'Updated',
      text: 'New text',
    });
    assert.equal(updated.statusCode, 302);
    assert.equal(updated.headers.location, `/message-templates/${id}`);
    const row = await stored(id);
    assert.equal(row?.name, 'Shared request (2026)');
    assert.equal(row?.body, 'New text');
    assert.equal(row?.owner_kind, 'la');
    assert.equal(row?.updated_at, t.clock.now().toISOString());
    assert.match((await author.get(`/message-templates/${id}`)).body, /has been updated/);

    const unchanged = await author.post(`/message-templates/${id}`, {
      name: 'Shared request (2026)',
      description: 'Updated',
      text: 'New text',
    });
    assert.equal(unchanged.statusCode, 302);
    assert.match(
      (await author.get(`/message-templates/${id}`)).body,
      /already says this, so nothing was changed/,
    );

    assert.deepEqual(
      (await auditOf(id)).map((a) => [a.action, a.detail, a.actor_user_id]),
      [
        ['message-template-added', '{"name":"Shared request"}', user.id],
        ['message-template-updated', '{"name":"Shared request (2026)"}', user.id],
      ],
    );
  });

  test('anyone may copy a template they see: the copy is theirs alone', async () => {
    const { agent: national } = await signedIn('national_admin', null);
    const long = `National notice ${'x'.repeat(40)}`;
    assert.equal(long.length, 56);
    const original = await add(national, { name: long, description: 'For all', owner: 'national' });

    const { agent, user } = await schoolUser();
    await agent.get(`/message-templates/${original}`);
    const copied = await agent.post(`/message-templates/${original}/copy`, {});
    assert.equal(copied.statusCode, 302);
    const copyId = TEMPLATE_URL.exec(String(copied.headers.location))?.[1];
    assert.ok(copyId && copyId !== original);
    const copy = await stored(copyId);
    assert.equal(copy?.name, `Copy of ${long}`.slice(0, 60));
    assert.equal(copy?.name.length, 60);
    assert.equal(copy?.description, 'For all');
    assert.equal(copy?.body, 'Dear colleague,\nPlease send the CTF.');
    assert.equal(copy?.owner_kind, 'user');
    assert.equal(copy?.owner_la, null);
    assert.equal(copy?.created_by, user.id);

    const page = await agent.get(`/message-templates/${copyId}`);
    assert.match(page.body, /Your copy has been saved as/);
    assert.match(page.body, /Update this template/);
    const list = tableRows((await agent.get('/message-templates/view')).body);
    assert.ok(list.includes(`${copy?.name} | For all | You`));
    assert.deepEqual(
      (await auditOf(copyId)).map((a) => [a.action, a.detail, a.organisation]),
      [['message-template-copied', JSON.stringify({ name: copy?.name }), school.number]],
    );

    // The copy is the school's alone: another school of the LA does not see it.
    const { agent: neighbour } = await schoolUser();
    assert.equal((await neighbour.get(`/message-templates/${copyId}`)).statusCode, 404);
    // The original is unchanged.
    assert.equal((await stored(original))?.name, long);
  });

  test('only its author deletes a template, after seeing it once more', async () => {
    const { agent: author } = await laUser();
    const id = await add(author, { name: 'To be deleted', owner: 'la' });
    const kept = await add(author, { name: 'To be kept' });
    const { agent: colleague } = await laUser();
    const colleagues = await add(colleague, { name: 'Colleague’s LA template', owner: 'la' });

    const list = await author.get('/message-templates/delete');
    assert.equal(list.statusCode, 200);
    assert.match(list.body, new RegExp(`href="/message-templates/${id}/delete"`));
    assert.match(list.body, new RegExp(`href="/message-templates/${kept}/delete"`));
    assert.doesNotMatch(list.body, new RegExp(colleagues));

    const confirm = await author.get(`/message-templates/${id}/delete`);
    assert.equal(confirm.statusCode, 200);
    assert.match(confirm.body, /Once a template is deleted, it cannot be restored\./);
    assert.match(confirm.body, /To be deleted/);
    assert.match(confirm.body, />\s*Delete\s*</);
    assert.match(confirm.body, /href="\/message-templates\/delete">Back</);

    // A colleague sees the LA's template but cannot delete it.
    assert.equal((await colleague.get(`/message-templates/${id}/delete`)).statusCode, 403);
    await colleague.get('/message-templates/delete');
    assert.equal((await colleague.post(`/message-templates/${id}/delete`, {})).statusCode, 403);
    assert.ok(await stored(id));

    await author.get(`/message-templates/${id}/delete`);
    const deleted = await author.post(`/message-templates/${id}/delete`, {});
    assert.equal(deleted.statusCode, 302);
    assert.equal(deleted.headers.location, '/message-templates/delete');
    assert.equal(await stored(id), undefined);
    const after = await author.get('/message-templates/delete');
    assert.match(after.body, /The template &quot;To be deleted&quot; has been deleted/);
    assert.doesNotMatch(after.body, new RegExp(`/message-templates/${id}/delete`));
    assert.deepEqual(
      (await auditOf(id)).map((a) => [a.action, a.detail]),
      [
        ['message-template-added', '{"name":"To be deleted"}'],
        ['message-template-deleted', '{"name":"To be deleted"}'],
      ],
    );
    assert.equal((await author.get(`/message-templates/${id}`)).statusCode, 404);
    // Posted again: said to be deleted already (templates-groups-posted-twice.test.ts), not audited again.
    assert.equal((await author.post(`/message-templates/${id}/delete`, {})).statusCode, 302);
    assert.equal((await auditOf(id)).length, 2);
  });

  test("every template route answers 404 for another organisation's or another user's template", async () => {
    const { agent: other } = await laUser(otherLa.number);
    const otherLas = await add(other, { name: 'Other LA template', owner: 'la' });
    const { agent: neighbour } = await laUser();
    const colleaguesOwn = await add(neighbour, { name: 'A colleague’s own template' });

    const { agent } = await schoolUser();
    const form = { name: 'Changed', description: 'Changed', text: 'Changed' };
    const before = await db.selectFrom('audit_events').select('id').execute();
    for (const id of [otherLas, colleaguesOwn, '00000000-0000-4000-8000-000000000000', 'not-an-id']) {
      await agent.get('/message-templates/add');
      for (const [method, url] of [
        ['GET', `/message-templates/${id}`],
        ['POST', `/message-templates/${id}`],
        ['POST', `/message-templates/${id}/copy`],
        ['GET', `/message-templates/${id}/delete`],
        ['POST', `/message-templates/${id}/delete`],
      ] as const) {
        const response = method === 'GET' ? await agent.get(url) : await agent.post(url, form);
        assert.equal(response.statusCode, 404, `${method} ${url}`);
        assert.doesNotMatch(response.body, /Other LA template|colleague’s own/, `${method} ${url}`);
      }
    }
    assert.equal((await stored(otherLas))?.name, 'Other LA template');
    assert.equal((await stored(colleaguesOwn))?.name, 'A colleague’s own template');
    const afterwards = await db.selectFrom('audit_events').select('id').execute();
    assert.equal(afterwards.length, before.length, 'nothing was changed');
  });

  test('in Welsh: the template pages, their owners, the character count and the form errors', async () => {
    const { agent, user } = await laUser();
    const at = new Date().toISOString();
    await db
      .insertInto('message_templates')
      .values({
        id: randomUUID(),
        name: 'Hysbysiad cenedlaethol',
        description: 'I bawb',
        body: 'Testun',
        owner_kind: 'national',
        owner_la: null,
        created_by: user.id,
        created_at: at,
        updated_at: at,
      })
      .execute();
    assert.equal((await agent.get('/message-templates/add?lang=cy')).statusCode, 302, 'the switch');
    const form = await agent.get('/message-templates/add');
    assert.match(form.body, /<html lang="cy"/);
    assert.match(
      form.body,
      /<h1 class="govuk-heading-l"><span class="govuk-caption-l">Templed Neges<\/span>Ychwanegu Templed<\/h1>/,
    );
    assert.match(form.body, /Pwy all ddefnyddio’r templed hwn\?/);
    assert.match(form.body, /Fy awdurdod lleol/);
    assert.match(form.body, /Gallwch roi hyd at 10000 nod/);
    assert.match(form.body, /data-i18n\.characters-under-limit\.few="Mae gennych %\{count\} nod yn weddill"/);

    const refused = await agent.post('/message-templates/add', {
      name: '',
      description: '',
      text: '',
      owner: '',
    });
    assert.equal(refused.statusCode, 400);
    assert.match(
      errorSummary(refused.body),
      /Rhowch enw i’r templed .*Rhowch ddisgrifiad .*Rhowch destun y templed .*Dewiswch pwy all ddefnyddio’r templed/,
    );

    const id = await add(agent, { name: 'Cais am CTF', owner: 'la' });
    const page = await agent.get(`/message-templates/${id}`);
    assert.match(page.body, /Mae’r templed “Cais am CTF” wedi’i ychwanegu/);
    assert.match(page.body, /Diweddaru’r templed hwn/);
    const list = await agent.get('/message-templates/view');
    assert.match(list.body, /<h1 class="govuk-heading-l">Gweld\/Copïo\/Diweddaru Templed<\/h1>/);
    const rows = tableRows(list.body);
    assert.ok(rows.includes(`Cais am CTF | For a test | ${la.number} Ashire`), rows.join('\n'));
    assert.ok(rows.includes('Hysbysiad cenedlaethol | I bawb | Pawb'), rows.join('\n'));
  });
});
