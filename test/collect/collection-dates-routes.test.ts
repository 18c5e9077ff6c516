// What a collection's pages say as dates pass (decision 81), on both engines with the test app's clock
// (23 November 2026, 09:00 UTC, moved only where a test says): a collection not yet open says when it
// opens and offers no upload; a refused return's example name is the collection's own; the due date is
// "due today" on the day, and the days to go or overdue are counted in English and Welsh.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { setCollectionClosed } from '../../src/collect/collections-repository.ts';
import { censusFilename, censusReturnXml, liveCollection } from '../support/census.ts';
import { describeEachEngine } from '../support/databases.ts';
import { makeLa, makeSchool, makeUser } from '../support/factories.ts';
import { createTestApp, errorSummary, signedInUser, type TestApp, textOf } from '../support/web.ts';

describeEachEngine('collection pages as dates pass', (database) => {
  let t: TestApp;
  before(async () => {
    t = await createTestApp(database().db);
  });
  after(async () => {
    await t.app.close();
  });

  /** A new LA, a school of it, a collection for the LA with `changes`, and a school user and an LA user. */
  async function setUp(changes: Parameters<typeof liveCollection>[3] = {}) {
    const db = database().db;
    const la = await makeLa(db);
    const school = await makeSchool(db, la.number);
    const admin = await makeUser(db, 'national_admin');
    const collectionId = await liveCollection(db, admin, [la.number], changes);
    const schoolUser = await signedInUser(t, 'school', {
      laNumber: la.number,
      establishmentNumber: school.number,
    });
    const laUser = await signedInUser(t, 'la_user', { laNumber: la.number });
    return { la, school, collectionId, school_: schoolUser.agent, la_: laUser.agent };
  }

  /** Signed in again as a user of the school (a session does not last while the clock moves months). */
  async function schoolAgain(s: { la: { number: string }; school: { number: string } }) {
    const again = await signedInUser(t, 'school', {
      laNumber: s.la.number,
      establishmentNumber: s.school.number,
    });
    return again.agent;
  }

  /** The clock moved to `at` while `run` runs, then back. */
  async function on<T>(at: string, run: () => Promise<T>): Promise<T> {
    const minutes = (Date.parse(at) - t.clock.now().getTime()) / 60_000;
    t.clock.advanceMinutes(minutes);
    try {
      return await run();
    } finally {
      t.clock.advanceMinutes(-minutes);
    }
  }

  /** The summary list's value for `key`, as text. */
  const rowValue = (html: string, key: string) => {
    const row = new RegExp(
      `<dt class="govuk-summary-list__key">\\s*${key}\\s*</dt>\\s*<dd[^>]*>([\\s\\S]*?)</dd>`,
    ).exec(html);
    return textOf(row?.[1] ?? '').trim();
  };

  const spring2028 = {
    name: 'School Census 2028 Spring',
    term: 'SPR' as const,
    year: '2028',
    reference_date: '2028-01-20',
    open_date: '2028-01-02',
    due_date: '2028-02-05',
  };

  test('a collection not yet open says when it opens, to the school and the LA, and offers no upload', async () => {
    const s = await setUp(spring2028);
    const page = await s.school_.get(`/collect/collections/${s.collectionId}`);
    assert.equal(page.statusCode, 200);
    const text = textOf(page.body);
    assert.match(text, /Not yet open/);
    assert.equal(rowValue(page.body, 'Opens for returns'), '2 January 2028');
    assert.match(text, /School Census 2028 Spring opens for returns on 2 January 2028\./);
    assert.doesNotMatch(text, /upload the file here/, 'no words inviting an upload');
    assert.doesNotMatch(page.body, /collections\/[^"]+\/upload"/, 'no upload link');

    // The upload form's address: the same explanation, and no form.
    const form = await s.school_.get(`/collect/collections/${s.collectionId}/upload`);
    assert.equal(form.statusCode, 200);
    assert.match(textOf(form.body), /School Census 2028 Spring opens for returns on 2 January 2028\./);
    assert.doesNotMatch(form.body, /<form method="post" action="\/collect\/collections\/[^"]+\/upload"/);
    assert.doesNotMatch(form.body, /type="file"/);

    const dashboard = await s.la_.get(`/collect/collections/${s.collectionId}`);
    assert.equal(dashboard.statusCode, 200);
    assert.equal(rowValue(dashboard.body, 'Opens for returns'), '2 January 2028');
    assert.match(textOf(dashboard.body), /School Census 2028 Spring opens for returns on 2 January 2028\./);
    assert.doesNotMatch(dashboard.body, /bulk-upload"/);

    // In Welsh.
    await s.school_.get(`/collect/collections/${s.collectionId}?lang=cy`);
    const welsh = await s.school_.get(`/collect/collections/${s.collectionId}`);
    assert.equal(rowValue(welsh.body, 'Yn agor i dderbyn ffurflenni'), '2 Ionawr 2028');
    assert.match(
      textOf(welsh.body),
      /Bydd School Census 2028 Spring yn agor i dderbyn ffurflenni ar 2 Ionawr 2028\./,
    );
    assert.doesNotMatch(textOf(welsh.body), /lanlwythwch y ffeil yma/);

    // Open on its open date: the upload is offered, and the page no longer says when it opens.
    await on('2028-01-02T09:00:00.000Z', async () => {
      const agent = await schoolAgain(s);
      const open = await agent.get(`/collect/collections/${s.collectionId}`);
      assert.match(textOf(open.body), /Live/);
      assert.match(textOf(open.body), /upload the file here/);
      assert.match(open.body, /collections\/[^"]+\/upload"/);
      assert.equal(rowValue(open.body, 'Opens for returns'), '');
      const openForm = await agent.get(`/collect/collections/${s.collectionId}/upload`);
      assert.match(openForm.body, /type="file"/);
    });
  });

  test('a closed collection says so, with no words inviting an upload and no upload form', async () => {
    const s = await setUp();
    await setCollectionClosed(
      database().db,
      s.collectionId,
      '2026-11-20T10:00:00.000Z',
      '2026-11-20T10:00:00.000Z',
    );
    const page = await s.school_.get(`/collect/collections/${s.collectionId}`);
    assert.match(textOf(page.body), /is closed: no more returns can be loaded\./);
    assert.doesNotMatch(textOf(page.body), /upload the file here/);
    const form = await s.school_.get(`/collect/collections/${s.collectionId}/upload`);
    assert.equal(form.statusCode, 200);
    assert.match(textOf(form.body), /is closed: no more returns can be loaded\./);
    assert.doesNotMatch(form.body, /type="file"/);
  });

  test("a refused return's example name is the collection's own, as the form's hint is", async () => {
    const summer = {
      name: 'School Census 2028 Summer',
      term: 'SUM',
      year: '2028',
      reference_date: '2028-05-18',
      open_date: '2028-05-01',
      due_date: '2028-06-30',
    } as const;
    await on('2028-05-20T09:00:00.000Z', async () => {
      const s = await setUp(summer);
      const own = censusFilename(s.school.number, 2028, 1, 'SC2');
      const form = await s.school_.get(`/collect/collections/${s.collectionId}/upload`);
      assert.match(textOf(form.body), new RegExp(`named like ${own}`));
      // An autumn return's name, for this summer collection: refused, with this collection's example.
      const wrong = censusFilename(s.school.number, 2028, 2, 'SC3');
      const refused = await s.school_.postMultipart(`/collect/collections/${s.collectionId}/upload`, [
        { filename: wrong, content: censusReturnXml({ school: s.school.number, year: 2028 }), field: 'file' },
      ]);
      assert.equal(refused.statusCode, 400);
      assert.match(errorSummary(refused.body), /summer/);
      const said = textOf(refused.body);
      assert.match(said, new RegExp(`as it was named, like ${own}\\.`));
      assert.doesNotMatch(said, /LL26/);

      // The LA's zip: the example names a school of the LA (the handbook's number), for this collection.
      const la = s.la.number;
      const bulk = await s.la_.get(`/collect/collections/${s.collectionId}/bulk-upload`);
      assert.match(textOf(bulk.body), new RegExp(`\\(like ${la}5402_SC2_${la}LL28_001\\.XML\\)`));
    });
  });

  const dueCases: [string, string, string][] = [
    ['2026-11-23', 'due today', 'heddiw yw’r dyddiad cau'],
    ['2026-11-24', '1 day to go', '1 diwrnod i fynd'],
    ['2026-11-25', '2 days to go', '2 diwrnod i fynd'],
    ['2026-11-22', '1 day overdue', '1 diwrnod yn hwyr'],
    ['2026-11-20', '3 days overdue', '3 diwrnod yn hwyr'],
  ];
  for (const [due, english, welsh] of dueCases) {
    test(`due ${due} on 23 November 2026: "${english}", in Welsh "${welsh}"`, async () => {
      const s = await setUp({ due_date: due });
      const page = await s.school_.get(`/collect/collections/${s.collectionId}`);
      const date = new Date(`${due}T12:00:00Z`).toLocaleDateString('en-GB', {
        day: 'numeric',
        month: 'long',
        year: 'numeric',
        timeZone: 'UTC',
      });
      assert.equal(rowValue(page.body, 'Due date'), `${date} (${english})`);
      const dashboard = await s.la_.get(`/collect/collections/${s.collectionId}`);
      assert.equal(rowValue(dashboard.body, 'Due date'), `${date} (${english})`);
      await s.school_.get(`/collect/collections/${s.collectionId}?lang=cy`);
      const cy = await s.school_.get(`/collect/collections/${s.collectionId}`);
      assert.match(rowValue(cy.body, 'Dyddiad cau'), new RegExp(`\\(${welsh}\\)$`));
    });
  }
});
