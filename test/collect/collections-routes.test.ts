// The data collection pages (census guide, "My Data Collections"): My Data Collections for the schools,
// LAs and the collector taking part, and Manage Data Collections (set up, change, close, open again) for
// the collector and the national administrator; each page for its roles only.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Role } from '../../src/auth/permissions.ts';
import { type CollectionForm, DataCollectionsService } from '../../src/collect/collections-service.ts';
import type { Db, EstablishmentRow, LocalAuthorityRow } from '../../src/platform/db/schema.ts';
import { autumnCensusBrowserForm, autumnCensusForm } from '../support/census.ts';
import { describeEachEngine } from '../support/databases.ts';
import { makeLa, makeSchool, makeUser } from '../support/factories.ts';
import { actorOf } from '../support/messages.ts';
import { cellTexts } from '../support/reports.ts';
import { Agent, createTestApp, errorSummary, signedInUser, type TestApp, textOf } from '../support/web.ts';

/** The rows of the page's table body, each as its cells' texts. */
function tableRows(html: string, columns: number): string[][] {
  const body = /<tbody[\s\S]*?<\/tbody>/.exec(html)?.[0] ?? '';
  const cells = cellTexts(body);
  return Array.from({ length: cells.length / columns }, (_, row) =>
    cells.slice(row * columns, (row + 1) * columns),
  );
}

describeEachEngine('Data collection pages', (database) => {
  let t: TestApp;
  let db: Db;
  let service: DataCollectionsService;
  let la: LocalAuthorityRow;
  let otherLa: LocalAuthorityRow;
  let school: EstablishmentRow;

  before(async () => {
    db = database().db;
    t = await createTestApp(db);
    service = new DataCollectionsService(t.deps);
    la = await makeLa(db, { name: 'Ashire' });
    otherLa = await makeLa(db, { name: 'Bshire' });
    school = await makeSchool(db, la.number, { name: 'Ashire Primary School' });
  });
  after(async () => {
    await t.app.close();
  });

  const signedIn = (role: Role, laNumber: string | null = null, establishmentNumber: string | null = null) =>
    signedInUser(t, role, { laNumber, establishmentNumber });

  /** A collection set up by a collector of its own, through the service; its id. */
  async function collection(form: CollectionForm): Promise<string> {
    const collector = actorOf(await makeUser(db, 'dfe_collector'));
    return service.create(collector, autumnCensusForm([], { name: 'A census', ...form }));
  }

  async function stored(name: string) {
    return db.selectFrom('data_collections').selectAll().where('name', '=', name).executeTakeFirst();
  }

  /** Follows a redirect to a page of this service, as the browser would. */
  async function follow(agent: Agent, response: { statusCode: number; headers: Record<string, unknown> }) {
    assert.equal(response.statusCode, 302);
    return agent.get(String(response.headers.location));
  }

  test('My Data Collections shows 20 a page, with the GOV.UK pagination', async () => {
    const paged = await makeLa(db);
    const pagedSchool = await makeSchool(db, paged.number);
    // Due on 1 to 21 September: first in this suite, and after every other collection in the lists.
    for (let day = 1; day <= 21; day += 1) {
      await collection({ name: `Census ${day}`, dueDay: String(day), dueMonth: '9', las: [paged.number] });
    }
    const { agent } = await signedIn('school', paged.number, pagedSchool.number);
    const first = await agent.get('/collect');
    assert.equal(tableRows(first.body, 6).length, 20);
    assert.match(first.body, /21 data collections, page 1 of 2/);
    assert.match(first.body, /class="govuk-pagination"/);
    assert.match(first.body, /href="\/collect\?page=2"/);
    const second = await agent.get('/collect?page=2');
    assert.deepEqual(
      tableRows(second.body, 6).map((row) => row[0]),
      ['Census 1'],
    );
    assert.match(second.body, /href="\/collect\?page=1"/);
    // A page that is not a number shows the first; one past the end redirects to the last.
    assert.match((await agent.get('/collect?page=x')).body, /page 1 of 2/);
    const past = await agent.get('/collect?page=7');
    assert.equal(past.statusCode, 303);
    assert.equal(past.headers.location, '/collect?page=2');
  });

  test("My Data Collections: the census guide's table, each collection linked to its page", async () => {
    const live = await collection({ name: 'School Census 2026 Autumn', las: [la.number] });
    const overdue = await collection({ name: 'Late census', dueDay: '20', dueMonth: '11', las: [la.number] });
    await collection({ name: 'Not for Ashire', las: [otherLa.number] });

    const { agent } = await signedIn('school', la.number, school.number);
    const page = await agent.get('/collect');
    assert.equal(page.statusCode, 200);
    assert.match(page.body, /<h1[^>]*>My Data Collections<\/h1>/);
    assert.deepEqual(tableRows(page.body, 6), [
      ['School Census 2026 Autumn', 'Source', 'Ashire Primary School', 'Live', '18 December 2026', '25'],
      ['Late census', 'Source', 'Ashire Primary School', 'Live', '20 November 2026', '-3'],
    ]);
    for (const id of [live, overdue])
      assert.match(page.body, new RegExp(`href="/collect/collections/${id}"`));
    assert.doesNotMatch(page.body, /Not for Ashire/);
    assert.doesNotMatch(page.body, /govuk-pagination/);

    const { agent: fromLa } = await signedIn('la_plasc', la.number);
    assert.deepEqual(tableRows((await fromLa.get('/collect')).body, 6)[0], [
      'School Census 2026 Autumn',
      'Agent',
      'Ashire',
      'Live',
      '18 December 2026',
      '25',
    ]);
    const { agent: fromDfe } = await signedIn('dfe_collector');
    const collector = tableRows((await fromDfe.get('/collect')).body, 6);
    assert.ok(
      collector.some(
        (row) => row.join('|') === 'Late census|Collector|Department for Education|Live|20 November 2026|-3',
      ),
    );
  });

  test('a school whose LA takes part in nothing is told so', async () => {
    const elsewhere = await makeLa(db);
    const elsewhereSchool = await makeSchool(db, elsewhere.number);
    const { agent } = await signedIn('school', elsewhere.number, elsewhereSchool.number);
    const page = await agent.get('/collect');
    assert.equal(page.statusCode, 200);
    assert.match(page.body, /You do not take part in any data collection yet/);
    assert.doesNotMatch(page.body, /<table/);
  });

  test('the Data Collections menu: each role sees the items it may use, after Reports', async () => {
    const { agent: fromSchool } = await signedIn('school', la.number, school.number);
    const home = await fromSchool.get('/');
    assert.match(home.body, /href="\/reports"[\s\S]*href="\/collect\/section"[\s\S]*href="\/messages"/);
    const section = await fromSchool.get('/collect/section');
    assert.equal(section.statusCode, 200);
    assert.match(section.body, /href="\/collect">My Data Collections<\/a>/);
    assert.doesNotMatch(section.body, /href="\/collect\/manage"/);

    const { agent: fromDfe } = await signedIn('dfe_collector');
    const collectorSection = await fromDfe.get('/collect/section');
    assert.match(collectorSection.body, /href="\/collect">My Data Collections<\/a>/);
    assert.match(collectorSection.body, /href="\/collect\/manage">Manage Data Collections<\/a>/);

    const { agent: fromAdmin } = await signedIn('national_admin');
    const adminSection = await fromAdmin.get('/collect/section');
    assert.doesNotMatch(adminSection.body, /href="\/collect">/);
    assert.match(adminSection.body, /href="\/collect\/manage">Manage Data Collections<\/a>/);

    const { agent: noPart } = await signedIn('la_school', la.number);
    assert.doesNotMatch((await noPart.get('/')).body, /href="\/collect\/section"/);
    // Its address typed, the section says its role has nothing in it, not "Please select an item" above
    // an empty list.
    const empty = await noPart.get('/collect/section');
    assert.match(textOf(empty.body), /As LEA School, you have nothing to do in Data Collections\./);
    assert.doesNotMatch(empty.body, /Please select an item|govuk-summary-list/);
  });

  test('each page is refused to the roles that may not use it', async () => {
    const id = await collection({ las: [la.number] });
    const { agent: fromSchool } = await signedIn('school', la.number, school.number);
    for (const url of ['/collect/manage', '/collect/manage/new', `/collect/manage/${id}`]) {
      assert.equal((await fromSchool.get(url)).statusCode, 403, url);
    }
    await fromSchool.get('/collect');
    assert.equal((await fromSchool.post(`/collect/manage/${id}/close`, {})).statusCode, 403);
    assert.equal(
      (await fromSchool.post('/collect/manage/new', autumnCensusBrowserForm([la.number]))).statusCode,
      403,
    );
    const { agent: fromLa } = await signedIn('la_dba', la.number);
    assert.equal((await fromLa.get('/collect/manage')).statusCode, 403);
    const { agent: fromAdmin } = await signedIn('national_admin');
    assert.equal((await fromAdmin.get('/collect')).statusCode, 403, 'the administrator takes no part');
    const { agent: noPart } = await signedIn('la_school', la.number);
    assert.equal((await noPart.get('/collect')).statusCode, 403);
    assert.equal(
      (await (await signedIn('dfe_collector')).agent.get('/collect/manage/no-such-id')).statusCode,
      404,
    );
    assert.equal((await stored('A census'))?.closed_at, null);
  });

  test('setting up a collection: the refusals on the same page, then saved with a success banner', async () => {
    const { agent, user } = await signedIn('dfe_collector');
    const form = await agent.get('/collect/manage/new');
    assert.equal(form.statusCode, 200);
    for (const field of ['name', 'term', 'year', 'reference-day', 'open-month', 'due-year', 'scope', 'las']) {
      assert.match(form.body, new RegExp(`id="${field}"`), field);
    }
    assert.match(form.body, new RegExp(`value="${la.number}"[^>]*>\\s*<label[^>]*>\\s*${la.number} Ashire`));

    const refused = await agent.post(
      '/collect/manage/new',
      autumnCensusBrowserForm([], {
        name: 'Census with problems',
        'reference-month': '12',
        'due-day': '',
        scope: '',
      }),
    );
    assert.equal(refused.statusCode, 400);
    assert.equal(
      errorSummary(refused.body),
      'There is a problem The census day 1 December 2026 is not in the autumn term. The due date must include a day Choose the LAs whose schools take part, or all LAs',
    );
    for (const href of ['#reference-day', '#due-day', '#scope'])
      assert.match(refused.body, new RegExp(`href="${href}"`));
    assert.match(refused.body, /<title>Error: Set up a data collection/);
    assert.match(refused.body, /value="Census with problems"/);
    assert.match(refused.body, /name="reference-month" type="text" value="12"/);
    assert.equal(await stored('Census with problems'), undefined);

    const saved = await agent.post(
      '/collect/manage/new',
      autumnCensusBrowserForm([otherLa.number, la.number], { name: 'Census for two LAs' }),
    );
    assert.equal(saved.headers.location, '/collect/manage');
    const list = await follow(agent, saved);
    assert.match(list.body, /The data collection &quot;Census for two LAs&quot; has been set up/);
    const row = tableRows(list.body, 6).find((cells) => cells[0] === 'Census for two LAs');
    assert.deepEqual(row, [
      'Census for two LAs',
      'Live',
      '1 October 2026',
      '1 September 2026',
      '18 December 2026',
      `${la.number} Ashire, ${otherLa.number} Bshire`,
    ]);
    const collection = await stored('Census for two LAs');
    assert.equal(collection?.created_by, user.id);
    const audit = await db
      .selectFrom('audit_events')
      .select(['action', 'actor_user_id'])
      .where('subject_id', '=', collection?.id ?? '')
      .execute();
    assert.deepEqual(audit, [{ action: 'data-collection-added', actor_user_id: user.id }]);
  });

  test('changing a collection: the form filled in, refusals shown, then saved; closed and opened again', async () => {
    const id = await collection({ name: 'Census to change', las: [la.number] });
    const { agent } = await signedIn('national_admin');
    const url = `/collect/manage/${id}`;
    const form = await agent.get(url);
    assert.equal(form.statusCode, 200);
    assert.match(form.body, /<h1[^>]*>[\s\S]*Census to change<\/h1>/);
    assert.match(form.body, /value="Census to change"/);
    assert.match(form.body, /name="due-day" type="text" value="18"/);
    assert.match(form.body, /name="term" type="radio" value="AUT" checked/);
    assert.match(form.body, /name="scope" type="radio" value="chosen" checked/);
    assert.match(form.body, new RegExp(`name="las" type="checkbox" value="${la.number}" checked`));
    assert.doesNotMatch(
      form.body,
      new RegExp(`name="las" type="checkbox" value="${otherLa.number}" checked`),
    );

    const refused = await agent.post(url, autumnCensusBrowserForm([], { name: '', scope: 'all' }));
    assert.equal(refused.statusCode, 400);
    assert.equal(
      errorSummary(refused.body),
      'There is a problem Enter a name, like School Census 2026 Autumn',
    );
    assert.match(refused.body, /href="#name"/);
    assert.match(refused.body, /<title>Error: Census to change/, 'the saved name stays the title');
    assert.match(refused.body, /name="scope" type="radio" value="all" checked/);

    const saved = await agent.post(
      url,
      autumnCensusBrowserForm([], { name: 'Census changed', scope: 'all', 'due-day': '19' }),
    );
    const list = await follow(agent, saved);
    assert.match(list.body, /The data collection &quot;Census changed&quot; has been saved/);
    assert.deepEqual(
      tableRows(list.body, 6)
        .find((cells) => cells[0] === 'Census changed')
        ?.slice(1),
      ['Live', '1 October 2026', '1 September 2026', '19 December 2026', 'All LAs'],
    );

    await agent.get(url);
    const closed = await follow(agent, await agent.post(`${url}/close`, {}));
    assert.match(closed.body, /The data collection &quot;Census changed&quot; has been closed/);
    assert.equal(tableRows(closed.body, 6).find((cells) => cells[0] === 'Census changed')?.[1], 'Closed');
    const closedForm = await agent.get(url);
    assert.match(closedForm.body, new RegExp(`action="${url}/open"`));
    const reopened = await follow(agent, await agent.post(`${url}/open`, {}));
    assert.match(reopened.body, /The data collection &quot;Census changed&quot; has been opened again/);
    assert.equal(tableRows(reopened.body, 6).find((cells) => cells[0] === 'Census changed')?.[1], 'Live');

    const audit = await db
      .selectFrom('audit_events')
      .select('action')
      .where('subject_id', '=', id)
      .orderBy('occurred_at')
      .execute();
    assert.deepEqual(audit.map((a) => a.action).sort(), [
      'data-collection-added',
      'data-collection-closed',
      'data-collection-reopened',
      'data-collection-updated',
    ]);
  });

  test('in Welsh, My Data Collections names the DfE in Welsh, as the header does', async () => {
    await collection({ name: 'Cyfrifiad Ashire', las: [la.number] });
    const user = await makeUser(db, 'dfe_collector', {}, { language: 'cy' });
    const agent = new Agent(t.app);
    assert.equal((await agent.signIn(user.username)).statusCode, 302);
    const page = await agent.get('/collect');
    assert.match(page.body, /<html lang="cy"/);
    const row = tableRows(page.body, 6).find((cells) => cells[0] === 'Cyfrifiad Ashire');
    // COLLECT's role names stay in English (docs/translation.md); the organisation is a name s2s gives.
    assert.deepEqual(row?.slice(1, 3), ['Collector', 'Yr Adran Addysg']);
    assert.doesNotMatch(page.body, /Department for Education/);
  });

  test('in Welsh: the list, the form and its refusals, and the banner', async () => {
    const user = await makeUser(db, 'dfe_collector', {}, { language: 'cy' });
    const agent = new Agent(t.app);
    assert.equal((await agent.signIn(user.username)).statusCode, 302);
    const list = await agent.get('/collect/manage');
    assert.match(list.body, /<html lang="cy"/);
    // Past the last page: redirected to the last page there is (or the list, for one).
    const past = await agent.get('/collect/manage?page=999');
    assert.equal(past.statusCode, 303);
    assert.match(String(past.headers.location), /^\/collect\/manage(\?page=\d+)?$/);
    assert.equal((await agent.get(String(past.headers.location))).statusCode, 200);
    assert.match(list.body, /<h1 class="govuk-heading-l">Rheoli Casgliadau Data<\/h1>/);
    const form = await agent.get('/collect/manage/new');
    assert.match(
      form.body,
      /<h1 class="govuk-heading-l"><span class="govuk-caption-l">Rheoli Casgliadau Data<\/span>Sefydlu casgliad data<\/h1>/,
    );
    assert.match(form.body, /Pa ysgolion sy’n cymryd rhan/);
    const refused = await agent.post(
      '/collect/manage/new',
      autumnCensusBrowserForm([], { name: '', scope: '' }),
    );
    assert.equal(refused.statusCode, 400);
    assert.match(
      errorSummary(refused.body),
      /^Mae problem wedi codi Rhowch enw, fel School Census 2026 Autumn/,
    );
    assert.match(
      errorSummary(refused.body),
      /Dewiswch yr awdurdodau lleol y mae eu hysgolion yn cymryd rhan, neu bob awdurdod lleol/,
    );
    const outside = await agent.post(
      '/collect/manage/new',
      autumnCensusBrowserForm([la.number], { 'reference-month': '12' }),
    );
    assert.match(
      errorSummary(outside.body),
      /Nid yw diwrnod y cyfrifiad, 1 Rhagfyr 2026, yn nhymor yr hydref\./,
    );
    const otherYear = await agent.post(
      '/collect/manage/new',
      autumnCensusBrowserForm([la.number], { 'reference-year': '2025' }),
    );
    assert.match(
      errorSummary(otherYear.body),
      /Nid yw diwrnod y cyfrifiad, 1 Hydref 2025, ym mlwyddyn y casgliad, 2026\./,
    );
    const noDay = await agent.post(
      '/collect/manage/new',
      autumnCensusBrowserForm([la.number], { name: 'Cyfrifiad', 'reference-year': '' }),
    );
    assert.match(errorSummary(noDay.body), /Rhaid i’r diwrnod cyfrifiad gynnwys blwyddyn/);
    const dates = await agent.post(
      '/collect/manage/new',
      autumnCensusBrowserForm([la.number], {
        name: 'Cyfrifiad',
        'reference-month': '12',
        'due-day': '',
        'open-day': '31',
      }),
    );
    assert.equal(dates.statusCode, 400);
    assert.match(
      errorSummary(dates.body),
      /Nid yw diwrnod y cyfrifiad, 1 Rhagfyr 2026, yn nhymor yr hydref\. Rhaid i’r dyddiad agor fod yn ddyddiad go iawn: nid oes diwrnod 31 yn y mis hwnnw Rhaid i’r dyddiad cau gynnwys diwrnod$/,
    );
    const name = `Cyfrifiad ${Date.now()}`;
    const saved = await agent.post('/collect/manage/new', autumnCensusBrowserForm([la.number], { name }));
    assert.equal(saved.statusCode, 302);
    assert.match(
      (await agent.get('/collect/manage')).body,
      new RegExp(`Mae’r casgliad data “${name}” wedi’i sefydlu`),
    );
  });

  test('a form sent without its CSRF token is refused and changes nothing', async () => {
    const id = await collection({ name: 'Census kept open', las: [la.number] });
    const { agent } = await signedIn('dfe_collector');
    await agent.get('/collect/manage/new');
    const refused = await agent.post(
      '/collect/manage/new',
      autumnCensusBrowserForm([la.number], { name: 'Forged census' }),
      {
        csrf: false,
      },
    );
    assert.equal(refused.statusCode, 403);
    assert.match(refused.body, /The form has expired/);
    assert.equal(await stored('Forged census'), undefined);
    const close = await agent.post(`/collect/manage/${id}/close`, {}, { csrf: false });
    assert.equal(close.statusCode, 403);
    assert.equal((await stored('Census kept open'))?.closed_at, null);
  });
});
