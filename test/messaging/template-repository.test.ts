// Which message templates each user sees, on both engines: the national ones ("All"), their LA's (a
// school's LA is its own), and their own; never another LA's or another user's.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { before, test } from 'node:test';
import type { Actor } from '../../src/auth/actor.ts';
import {
  deleteTemplate,
  findVisibleTemplate,
  insertTemplate,
  templatesCreatedBy,
  updateTemplate,
  visibleTemplates,
} from '../../src/messaging/template-repository.ts';
import type { Db, MessageTemplateRow, UserRow } from '../../src/platform/db/schema.ts';
import { describeEachEngine } from '../support/databases.ts';
import { makeLa, makeSchool, makeUser } from '../support/factories.ts';

function actorOf(user: UserRow): Actor {
  return {
    userId: user.id,
    username: user.username,
    role: user.role as Actor['role'],
    laNumber: user.la_number,
    establishmentNumber: user.establishment_number,
  };
}

async function makeTemplate(
  db: Db,
  author: UserRow,
  owner: MessageTemplateRow['owner_kind'],
  overrides: Partial<MessageTemplateRow> = {},
): Promise<MessageTemplateRow> {
  const template: MessageTemplateRow = {
    id: randomUUID(),
    name: `Template ${randomUUID().slice(0, 8)}`,
    description: 'For a test',
    body: 'Dear colleague,\nPlease send the CTF.',
    owner_kind: owner,
    owner_la: owner === 'la' ? author.la_number : null,
    created_by: author.id,
    created_at: '2026-11-01T09:00:00.000Z',
    updated_at: '2026-11-01T09:00:00.000Z',
    ...overrides,
  };
  await insertTemplate(db, template);
  return template;
}

describeEachEngine('message template repository', (database) => {
  let db: Db;
  let laUser: UserRow;
  let colleague: UserRow;
  let schoolUser: UserRow;
  let otherLaUser: UserRow;
  let otherSchoolUser: UserRow;
  let nationalAdmin: UserRow;
  let templates: Record<
    'national' | 'la' | 'otherLa' | 'own' | 'colleagues' | 'schools' | 'otherSchools' | 'nationalOwn',
    MessageTemplateRow
  >;

  before(async () => {
    db = database().db;
    const la = await makeLa(db);
    const otherLa = await makeLa(db);
    const school = await makeSchool(db, la.number);
    const otherSchool = await makeSchool(db, otherLa.number);
    laUser = await makeUser(db, 'la_user', { laNumber: la.number });
    colleague = await makeUser(db, 'la_dba', { laNumber: la.number });
    schoolUser = await makeUser(db, 'school', { laNumber: la.number, establishmentNumber: school.number });
    otherLaUser = await makeUser(db, 'la_user', { laNumber: otherLa.number });
    otherSchoolUser = await makeUser(db, 'school', {
      laNumber: otherLa.number,
      establishmentNumber: otherSchool.number,
    });
    nationalAdmin = await makeUser(db, 'national_admin');
    templates = {
      national: await makeTemplate(db, nationalAdmin, 'national'),
      nationalOwn: await makeTemplate(db, nationalAdmin, 'user'),
      la: await makeTemplate(db, colleague, 'la'),
      otherLa: await makeTemplate(db, otherLaUser, 'la'),
      own: await makeTemplate(db, laUser, 'user'),
      colleagues: await makeTemplate(db, colleague, 'user'),
      schools: await makeTemplate(db, schoolUser, 'user'),
      otherSchools: await makeTemplate(db, otherSchoolUser, 'user'),
    };
  });

  /** Which of this suite's templates the user sees, by their names in `templates`. */
  async function seenBy(user: UserRow): Promise<string[]> {
    const ids = new Set((await visibleTemplates(db, actorOf(user))).map((t) => t.id));
    return Object.entries(templates)
      .filter(([, t]) => ids.has(t.id))
      .map(([key]) => key)
      .sort();
  }

  test('an LA user sees the national templates, their LA’s and their own', async () => {
    assert.deepEqual(await seenBy(laUser), ['la', 'national', 'own']);
  });

  test("another user of the same LA sees the LA's templates but not a colleague's own", async () => {
    assert.deepEqual(await seenBy(colleague), ['colleagues', 'la', 'national']);
  });

  test("a school's users see the national templates, their LA's and their own", async () => {
    assert.deepEqual(await seenBy(schoolUser), ['la', 'national', 'schools']);
  });

  test("another LA and its schools see neither this LA's templates nor its users'", async () => {
    assert.deepEqual(await seenBy(otherLaUser), ['national', 'otherLa']);
    assert.deepEqual(await seenBy(otherSchoolUser), ['national', 'otherLa', 'otherSchools']);
  });

  test('the national administrator sees the national templates and their own, no LA’s', async () => {
    assert.deepEqual(await seenBy(nationalAdmin), ['national', 'nationalOwn']);
  });

  test('findVisibleTemplate finds a template only for those who may see it', async () => {
    const found = await findVisibleTemplate(db, actorOf(schoolUser), templates.la.id);
    assert.deepEqual(found, templates.la);
    assert.equal(
      (await findVisibleTemplate(db, actorOf(schoolUser), templates.national.id))?.id,
      templates.national.id,
    );
    for (const hidden of [templates.otherLa, templates.own, templates.otherSchools, templates.colleagues]) {
      assert.equal(await findVisibleTemplate(db, actorOf(schoolUser), hidden.id), undefined, hidden.name);
    }
    assert.equal(await findVisibleTemplate(db, actorOf(laUser), randomUUID()), undefined);
    assert.equal(await findVisibleTemplate(db, actorOf(laUser), 'not-an-id'), undefined);
  });

  test('templates come in alphabetical order of name, whatever the case, then by id', async () => {
    const la = await makeLa(db);
    const author = await makeUser(db, 'la_user', { laNumber: la.number });
    const ids = ['00000000-0000-4000-8000-000000000002', '00000000-0000-4000-8000-000000000001'];
    await makeTemplate(db, author, 'user', { name: 'ctf request' });
    await makeTemplate(db, author, 'user', { name: 'Admissions', id: ids[0] });
    await makeTemplate(db, author, 'la', { name: 'Admissions', id: ids[1] });
    await makeTemplate(db, author, 'user', { name: 'Zebra crossing' });
    await makeTemplate(db, author, 'user', { name: 'Bus pass' });
    const names = (await visibleTemplates(db, actorOf(author)))
      .filter((t) => t.created_by === author.id)
      .map((t) => `${t.name}${t.name === 'Admissions' ? ` ${t.id.slice(-1)}` : ''}`);
    assert.deepEqual(names, ['Admissions 1', 'Admissions 2', 'Bus pass', 'ctf request', 'Zebra crossing']);
  });

  test('templatesCreatedBy lists what the user created and still sees, whoever it is shared with', async () => {
    const la = await makeLa(db);
    const author = await makeUser(db, 'la_user', { laNumber: la.number });
    const mine = await makeTemplate(db, author, 'user', { name: 'B mine' });
    const forLa = await makeTemplate(db, author, 'la', { name: 'A for the LA' });
    const colleagues = await makeUser(db, 'la_user', { laNumber: la.number });
    await makeTemplate(db, colleagues, 'la');
    assert.deepEqual(
      (await templatesCreatedBy(db, actorOf(author))).map((t) => t.id),
      [forLa.id, mine.id],
    );
  });

  test('only its author updates or deletes a template', async () => {
    const template = await makeTemplate(db, colleague, 'la');
    const change = {
      name: 'Changed',
      description: 'Changed',
      body: 'Changed',
      updatedAt: '2026-11-02T09:00:00Z',
    };
    assert.equal(await updateTemplate(db, template.id, laUser.id, change), false);
    assert.equal(await deleteTemplate(db, template.id, laUser.id), false);
    const unchanged = await findVisibleTemplate(db, actorOf(colleague), template.id);
    assert.equal(unchanged?.name, template.name);

    assert.equal(await updateTemplate(db, template.id, colleague.id, change), true);
    const changed = await findVisibleTemplate(db, actorOf(colleague), template.id);
    assert.equal(changed?.name, 'Changed');
    assert.equal(changed?.body, 'Changed');
    assert.equal(changed?.updated_at, '2026-11-02T09:00:00Z');
    assert.equal(changed?.created_at, template.created_at);

    assert.equal(await deleteTemplate(db, template.id, colleague.id), true);
    assert.equal(await findVisibleTemplate(db, actorOf(colleague), template.id), undefined);
    assert.equal(await deleteTemplate(db, template.id, colleague.id), false);
  });
});
