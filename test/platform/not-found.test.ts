// The not-found page names what was not found in the reader's language; the REST API keeps English.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, test } from 'node:test';
import type { Role } from '../../src/auth/permissions.ts';
import { describeEachEngine } from '../support/databases.ts';
import { makeLa, makeSchool } from '../support/factories.ts';
import { type Agent, createTestApp, signedInUser, type TestApp, textOf } from '../support/web.ts';

/** Pages of each role whose subject is not there, with what the page names, in English and Welsh. */
const MISSING: { role: Role; url: string; english: string; welsh: string }[] = [
  { role: 'school', url: `/download/ctf/files/${randomUUID()}`, english: 'The file', welsh: 'Y ffeil' },
  { role: 'school', url: `/messages/inbox/${randomUUID()}`, english: 'The message', welsh: 'Y neges' },
  { role: 'school', url: `/message-templates/${randomUUID()}`, english: 'The template', welsh: 'Y templed' },
  { role: 'school', url: `/message-groups/${randomUUID()}`, english: 'The group', welsh: 'Y grŵp' },
  {
    role: 'school',
    url: `/collect/collections/${randomUUID()}`,
    english: 'The data collection',
    welsh: 'Y casgliad data',
  },
  {
    role: 'school',
    url: `/collect/returns/${randomUUID()}`,
    english: 'The census return',
    welsh: 'Y ffurflen cyfrifiad',
  },
  {
    role: 'la_lost_pupil',
    url: `/lost-pupils/search/${randomUUID()}`,
    english: 'The lost pupil record',
    welsh: 'Cofnod y disgybl coll',
  },
  {
    role: 'national_admin',
    url: `/admin/notifications/${randomUUID()}`,
    english: 'The email',
    welsh: 'Y neges e-bost',
  },
];

describeEachEngine('the not-found page', (database) => {
  let t: TestApp;
  before(async () => {
    t = await createTestApp(database().db);
  });
  after(async () => {
    await t.app.close();
  });

  async function signedIn(role: Role): Promise<Agent> {
    const db = database().db;
    const la = await makeLa(db);
    const school = await makeSchool(db, la.number);
    const national = role === 'national_admin';
    const { agent } = await signedInUser(t, role, {
      laNumber: national ? null : la.number,
      establishmentNumber: role === 'school' ? school.number : null,
    });
    return agent;
  }

  test('names what was not found in English, and in Welsh for a Welsh reader', async () => {
    for (const role of new Set(MISSING.map((m) => m.role))) {
      const agent = await signedIn(role);
      for (const language of ['en', 'cy'] as const) {
        if (language === 'cy') await agent.get('/?lang=cy');
        for (const missing of MISSING.filter((m) => m.role === role)) {
          const page = await agent.get(missing.url);
          assert.equal(page.statusCode, 404, missing.url);
          const text = textOf(page.body);
          if (language === 'en') {
            assert.match(text, new RegExp(`${missing.english} was not found\\. It may have been deleted`));
          } else {
            assert.match(text, new RegExp(`Ni ddaethpwyd o hyd i’r canlynol: ${missing.welsh}\\.`));
            assert.doesNotMatch(text, new RegExp(missing.english));
          }
        }
      }
    }
  });

  test('an address whose %-escapes are not text is not found, on a page (or a problem, for the API)', async () => {
    const agent = await signedIn('school');
    const page = await agent.get('/download/ctf/files/%E0%A4%A');
    assert.equal(page.statusCode, 404);
    assert.match(String(page.headers['content-type']), /^text\/html/);
    assert.match(textOf(page.body), /Page not found/);
    assert.equal(page.headers['x-content-type-options'], 'nosniff', 'with the security headers');
    await agent.get('/?lang=cy');
    assert.match(textOf((await agent.get('/%E0%A4%A')).body), /Tudalen heb ei chanfod/);
    const api = await t.app.inject({ url: '/api/v1/files/%E0%A4%A' });
    assert.equal(api.statusCode, 404);
    assert.match(String(api.headers['content-type']), /^application\/problem\+json/);
  });

  test('a job that does not exist, run by hand from the jobs page', async () => {
    const agent = await signedIn('national_admin');
    const english = await agent.post('/admin/jobs/no-such-job/run', {}, { formPage: '/admin/jobs' });
    assert.equal(english.statusCode, 404);
    assert.match(textOf(english.body), /The job was not found\./);
    await agent.get('/?lang=cy');
    const welsh = await agent.post('/admin/jobs/no-such-job/run', {}, { formPage: '/admin/jobs' });
    assert.equal(welsh.statusCode, 404);
    assert.match(textOf(welsh.body), /Ni ddaethpwyd o hyd i’r canlynol: Y dasg\./);
  });
});
