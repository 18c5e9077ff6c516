// A census return's summary (census guide: "We will send you a summary of your data to confirm"), its
// page and its CSV file: for the school always, for its LA once submitted, for the DfE once approved,
// and for no one else; in Welsh; and while s2s is busy reading other files. Both engines.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { parse } from 'csv-parse/sync';
import { fillContentChecks } from '../support/busy.ts';
import { censusFilename, censusReturnXml, liveCollection } from '../support/census.ts';
import { describeEachEngine } from '../support/databases.ts';
import { makeLa, makeSchool, makeUser } from '../support/factories.ts';
import { Agent, createTestApp, signedInUser, type TestApp, textOf } from '../support/web.ts';

describeEachEngine('census return summary', (database) => {
  let t: TestApp;
  before(async () => {
    // One worker and the smallest backlog, so that the busy test can fill them.
    t = await createTestApp(database().db, { CONTENT_CHECK_WORKERS: '1', CONTENT_CHECK_QUEUE_MB: '16' });
  });
  after(async () => {
    await t.app.close();
  });

  /** A live autumn 2026 collection (census day 1 October) for a new LA, a school of it and its return. */
  async function setUp() {
    const { db } = database();
    const la = await makeLa(db);
    const school = await makeSchool(db, la.number, { name: `Brook Lane Primary ${la.number}` });
    const admin = await makeUser(db, 'national_admin');
    const collectionId = await liveCollection(db, admin, [la.number]);
    const schoolUser = await signedInUser(t, 'school', {
      laNumber: la.number,
      establishmentNumber: school.number,
    });
    const agent = schoolUser.agent;
    await agent.get(`/collect/collections/${collectionId}/upload`);
    const loaded = await agent.postMultipart(`/collect/collections/${collectionId}/upload`, [
      {
        filename: censusFilename(school.number),
        content: censusReturnXml({ school: school.number, year: 2026, withQuery: true }),
        field: 'file',
      },
    ]);
    assert.equal(loaded.statusCode, 200);
    const returnId = /href="\/collect\/returns\/([0-9a-f-]{36})"/.exec(loaded.body)?.[1] ?? '';
    assert.ok(returnId, 'the return was loaded');
    return { la, school, collectionId, schoolUser, returnId };
  }

  const summaryPath = (id: string) => `/collect/returns/${id}/summary`;

  /** The rows of a table of the page, by its id, as "label count". */
  const tableRows = (html: string, id: string) => {
    const table = new RegExp(`<table class="govuk-table" id="${id}">([\\s\\S]*?)</table>`).exec(html)?.[1];
    assert.ok(table, `the table ${id}`);
    return [...table.matchAll(/<tr class="govuk-table__row">([\s\S]*?)<\/tr>/g)].map((m) =>
      textOf(m[1] ?? '')
        .replace(/\s+/g, ' ')
        .trim(),
    );
  };

  /** Submitted by the school (its query explained), so that its LA may open it. */
  async function submit(agent: Agent, returnId: string) {
    const view = await agent.get(`/collect/returns/${returnId}`);
    const finding = /name="finding" value="([0-9a-f-]{36})"/.exec(view.body)?.[1] ?? '';
    await agent.post(`/collect/returns/${returnId}/answer`, { finding, answer: 'Two families declined.' });
    await agent.get(`/collect/returns/${returnId}/submit`);
    const submitted = await agent.post(`/collect/returns/${returnId}/submit`, { headteacher: 'yes' });
    assert.equal(submitted.statusCode, 303);
  }

  test('the school opens the summary from its return: the details, the totals and each count in words', async () => {
    const s = await setUp();
    const agent = s.schoolUser.agent;
    const page = await agent.get(`/collect/returns/${s.returnId}`);
    assert.ok(page.body.includes(`href="${summaryPath(s.returnId)}"`), 'the return page links to it');

    const summary = await agent.get(summaryPath(s.returnId));
    assert.equal(summary.statusCode, 200);
    const text = textOf(summary.body).replace(/\s+/g, ' ');
    assert.match(text, new RegExp(`Summary of Brook Lane Primary ${s.la.number}'s return, version 1`));
    assert.match(text, new RegExp(`School ${s.school.number} Brook Lane Primary ${s.la.number} `));
    assert.match(text, new RegExp(`LA ${s.la.number} Testshire `));
    assert.match(text, / Census, term and year SC AUT 2026 Census day 1 October 2026 /);
    assert.match(text, / MIS and release EXAMPLE MIS 7\.212 Made by the MIS 2 October 2026 at 2:05pm /);
    assert.match(text, / Version 1 Status Loaded /);
    assert.match(
      text,
      / Pupils on roll 11 Part-time pupils on roll 0 Boarders on roll 0 Pupils no longer on roll \(leavers\) 2 /,
    );
    assert.ok(summary.body.includes(`href="${summaryPath(s.returnId)}.csv"`), 'a Download CSV link');

    assert.deepEqual(tableRows(summary.body, 'nc-year'), [
      'NC year group Pupils',
      'Year 7 2',
      'Year 8 1',
      'Year 9 1',
      'Year 10 2',
      'Year 11 1',
      'Year 12 2',
      'Year 13 2',
      'Total 11',
    ]);
    assert.match(summary.body, /<caption[^>]*>Pupils on roll by NC year group<\/caption>/);
    assert.deepEqual(tableRows(summary.body, 'sex'), ['Sex Pupils', 'Male 5', 'Female 6', 'Total 11']);
    assert.deepEqual(tableRows(summary.body, 'enrolment-status').slice(1), [
      'Current, single registration (C) 11',
      'Total 11',
    ]);
    assert.deepEqual(tableRows(summary.body, 'part-time').slice(1), ['No 11', 'Total 11']);
    assert.deepEqual(tableRows(summary.body, 'boarder').slice(1), ['No (N) 11', 'Total 11']);
    assert.match(summary.body, /<caption[^>]*>Pupils on roll by age on 31 August 2026<\/caption>/);
    assert.deepEqual(tableRows(summary.body, 'age').slice(1, 3), ['11 2', '12 1']);
    // Two pupils' ethnicity not obtained (the query): counted under its code.
    assert.deepEqual(tableRows(summary.body, 'ethnicity').slice(1), [
      'AIND 1',
      'BAFR 1',
      'MWBC 1',
      'NOBT 2',
      'WBRI 6',
      'Total 11',
    ]);
  });

  test('the CSV file: headings, then the details, the totals and each count with its total, in English', async () => {
    const s = await setUp();
    const csv = await s.schoolUser.agent.get(`${summaryPath(s.returnId)}.csv`);
    assert.equal(csv.statusCode, 200);
    assert.match(String(csv.headers['content-type']), /^text\/csv/);
    assert.equal(
      csv.headers['content-disposition'],
      `attachment; filename="census-summary-${s.school.number}-2026-10-01-version-1.csv"`,
    );
    const rows = parse(csv.body, { bom: true }) as string[][];
    assert.deepEqual(rows.slice(0, 13), [
      ['Section', 'Item', 'Value'],
      ['The return', 'School', `${s.school.number} Brook Lane Primary ${s.la.number}`],
      ['The return', 'LA', `${s.la.number} Testshire`],
      ['The return', 'Census, term and year', 'SC AUT 2026'],
      ['The return', 'Census day', '2026-10-01'],
      ['The return', 'MIS and release', 'EXAMPLE MIS 7.212'],
      ['The return', 'Made by the MIS', '2026-10-02T14:05:33'],
      ['The return', 'Version', '1'],
      ['The return', 'Status', 'Loaded'],
      ['Totals', 'Pupils on roll', '11'],
      ['Totals', 'Part-time pupils on roll', '0'],
      ['Totals', 'Boarders on roll', '0'],
      ['Totals', 'Pupils no longer on roll (leavers)', '2'],
    ]);
    const byYear = rows.filter((row) => row[0] === 'Pupils on roll by NC year group');
    assert.deepEqual(byYear[0], ['Pupils on roll by NC year group', 'Year 7', '2']);
    assert.deepEqual(byYear.at(-1), ['Pupils on roll by NC year group', 'Total', '11']);
    assert.ok(rows.some((row) => row.join('|') === 'Pupils on roll by sex|Female|6'));
    assert.ok(rows.some((row) => row.join('|') === 'Pupils on roll by age on 31 August 2026|17|2'));
  });

  test('the LA once the school submitted it, the DfE once the LA approved it; no one else, ever', async () => {
    const s = await setUp();
    const { db } = database();
    const laUser = await signedInUser(t, 'la_user', { laNumber: s.la.number });
    const collector = await signedInUser(t, 'dfe_collector', {});
    const otherLa = await makeLa(db);
    const otherAgent = await signedInUser(t, 'la_user', { laNumber: otherLa.number });
    const neighbour = await makeSchool(db, s.la.number);
    const otherSchool = await signedInUser(t, 'school', {
      laNumber: s.la.number,
      establishmentNumber: neighbour.number,
    });
    // An LA role without COLLECT: refused by the permission table.
    const laSchool = await signedInUser(t, 'la_school', { laNumber: s.la.number });
    const paths = [summaryPath(s.returnId), `${summaryPath(s.returnId)}.csv`];
    const statuses = async (agent: Agent) =>
      Promise.all(paths.map(async (path) => (await agent.get(path)).statusCode));

    const outsiders = [otherAgent.agent, otherSchool.agent];
    assert.deepEqual(await statuses(laUser.agent), [404, 404], 'the LA before it is submitted');
    assert.deepEqual(await statuses(collector.agent), [404, 404], 'the DfE before it is approved');
    for (const outsider of outsiders) assert.deepEqual(await statuses(outsider), [404, 404]);
    assert.deepEqual(await statuses(laSchool.agent), [403, 403]);

    await submit(s.schoolUser.agent, s.returnId);
    assert.deepEqual(await statuses(laUser.agent), [200, 200], 'the LA once submitted');
    assert.match(textOf((await laUser.agent.get(summaryPath(s.returnId))).body), /Status Submitted/);
    assert.deepEqual(await statuses(collector.agent), [404, 404], 'the DfE before it is approved');
    for (const outsider of outsiders) assert.deepEqual(await statuses(outsider), [404, 404]);

    await laUser.agent.get(`/collect/returns/${s.returnId}`);
    const approved = await laUser.agent.post(`/collect/returns/${s.returnId}/approve`, {});
    assert.equal(approved.statusCode, 303);
    assert.deepEqual(await statuses(collector.agent), [200, 200], 'the DfE once approved');
    assert.match(textOf((await collector.agent.get(summaryPath(s.returnId))).body), /Pupils on roll 11/);
    assert.deepEqual(await statuses(s.schoolUser.agent), [200, 200]);
    for (const outsider of outsiders) assert.deepEqual(await statuses(outsider), [404, 404]);
    assert.deepEqual(await statuses(laSchool.agent), [403, 403]);
  });

  test('in Welsh: the page in Welsh, the CSV with Welsh headings and English rows', async () => {
    const s = await setUp();
    const user = await makeUser(
      database().db,
      'school',
      { laNumber: s.la.number, establishmentNumber: s.school.number },
      { language: 'cy' },
    );
    const agent = new Agent(t.app);
    assert.equal((await agent.signIn(user.username)).statusCode, 302);
    assert.match((await agent.get(`/collect/returns/${s.returnId}`)).body, /Gweld y crynodeb/);
    const page = await agent.get(summaryPath(s.returnId));
    assert.equal(page.statusCode, 200);
    assert.match(page.body, /<html lang="cy"/);
    const text = textOf(page.body).replace(/\s+/g, ' ');
    assert.match(text, new RegExp(`Crynodeb o ffurflen Brook Lane Primary ${s.la.number}, fersiwn 1`));
    assert.match(text, / Diwrnod y cyfrifiad 1 Hydref 2026 /);
    assert.match(text, / Disgyblion ar y gofrestr 11 /);
    assert.match(page.body, /<caption[^>]*>Disgyblion ar y gofrestr yn ôl rhyw<\/caption>/);
    assert.deepEqual(tableRows(page.body, 'sex'), ['Rhyw Disgyblion', 'Gwryw 5', 'Benyw 6', 'Cyfanswm 11']);
    assert.deepEqual(tableRows(page.body, 'nc-year')[1], 'Blwyddyn 7 2');
    assert.match(page.body, /Lawrlwytho CSV/);

    const csv = parse((await agent.get(`${summaryPath(s.returnId)}.csv`)).body, { bom: true }) as string[][];
    assert.deepEqual(csv[0], ['Adran', 'Eitem', 'Gwerth']);
    assert.deepEqual(csv[1], [
      'The return',
      'School',
      `${s.school.number} Brook Lane Primary ${s.la.number}`,
    ]);
  });

  test('while s2s is busy reading other files, the summary says so and to try again; then it is shown', async () => {
    const s = await setUp();
    const backlog = fillContentChecks(t.app.contentChecks, 16 * 1024 * 1024);
    for (const path of [summaryPath(s.returnId), `${summaryPath(s.returnId)}.csv`]) {
      const busy = await s.schoolUser.agent.get(path);
      assert.equal(busy.statusCode, 503, path);
      assert.match(textOf(busy.body), /s2s is busy just now.*try again in a few minutes/s);
    }
    await backlog;
    assert.equal((await s.schoolUser.agent.get(summaryPath(s.returnId))).statusCode, 200);
  });
});
