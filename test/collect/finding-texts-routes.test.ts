// A census return's findings (each rule's message, what to do, and the detail with its values and dates)
// in the reader's language on the return's page, for the school, its LA and the DfE; findings stored
// before they were kept as messages (migration 017) still show their English. Both engines.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { censusFilename, censusReturnXml, liveCollection } from '../support/census.ts';
import { describeEachEngine } from '../support/databases.ts';
import { makeLa, makeSchool, makeUser } from '../support/factories.ts';
import { Agent, createTestApp, signedInUser, type TestApp, textOf } from '../support/web.ts';

describeEachEngine('census findings in English and Welsh', (database) => {
  let t: TestApp;
  before(async () => {
    t = await createTestApp(database().db);
  });
  after(async () => {
    await t.app.close();
  });

  /** A live autumn 2026 collection (census day 1 October) for a new LA, and a school of it. */
  async function setUp() {
    const { db } = database();
    const la = await makeLa(db);
    const school = await makeSchool(db, la.number);
    const admin = await makeUser(db, 'national_admin');
    const collectionId = await liveCollection(db, admin, [la.number]);
    return { la, school: school.number, collectionId };
  }

  /** Uploads the school's return; the id of the version loaded. */
  async function load(agent: Agent, collectionId: string, school: string, xml: string): Promise<string> {
    await agent.get(`/collect/collections/${collectionId}/upload`);
    const loaded = await agent.postMultipart(`/collect/collections/${collectionId}/upload`, [
      { filename: censusFilename(school), content: xml, field: 'file' },
    ]);
    assert.equal(loaded.statusCode, 200);
    const id = /href="\/collect\/returns\/([0-9a-f-]{36})"/.exec(loaded.body)?.[1];
    assert.ok(id, 'the return was loaded');
    return id;
  }

  /**
   * The query (1700Q: 2 of 11 pupils without ethnicity), an error with a date (1880: entry after census
   * day) and one naming a pupil without a surname (1580).
   */
  const withDatedError = (school: string) =>
    censusReturnXml({ school, year: 2026, withQuery: true, withError: true }).replace(
      '<EntryDate>2026-09-03</EntryDate>',
      '<EntryDate>2026-10-10</EntryDate>',
    );

  test("the school's return page: each finding in Welsh after the switch, in English before and after", async () => {
    const s = await setUp();
    const { agent } = await signedInUser(t, 'school', {
      laNumber: s.la.number,
      establishmentNumber: s.school,
    });
    const id = await load(agent, s.collectionId, s.school, withDatedError(s.school));

    const english = textOf((await agent.get(`/collect/returns/${id}`)).body);
    assert.match(
      english,
      /Rule 1880: The pupil’s entry date is missing, is not a real date, or is after census day\./,
    );
    assert.match(english, /10 October 2026 is after census day\./);
    assert.match(english, /What to do: Enter the date the pupil joined the school in your MIS\./);
    assert.match(
      english,
      /Rule 1700Q: Ethnicity has not been obtained \(NOBT\) for more than 10% of pupils on roll\./,
    );
    assert.match(english, /2 of 11 pupils \(18\.2%\)\./);
    assert.match(english, /Q916201119004 \(no surname\), Amira/);

    const switched = await agent.get(`/collect/returns/${id}?lang=cy`);
    assert.equal(switched.statusCode, 302);
    const welsh = textOf((await agent.get(`/collect/returns/${id}`)).body);
    assert.match(
      welsh,
      /Rheol 1880: Mae dyddiad mynediad y disgybl ar goll, nid yw’n ddyddiad go iawn, neu mae ar ôl diwrnod y cyfrifiad\./,
    );
    assert.match(welsh, /Mae 10 Hydref 2026 ar ôl diwrnod y cyfrifiad\./, 'the date in Welsh');
    assert.match(welsh, /Beth i’w wneud: Rhowch yn eich MIS y dyddiad yr ymunodd y disgybl â’r ysgol\./);
    assert.match(
      welsh,
      /Rheol 1700Q: Nid yw ethnigrwydd wedi’i gael \(NOBT\) ar gyfer mwy na 10% o’r disgyblion ar y gofrestr\./,
    );
    assert.match(welsh, /2 o 11 disgybl \(18\.2%\)\./);
    assert.match(welsh, /Gofynnwch i rieni’r disgyblion hyn am ethnigrwydd eu plentyn/);
    assert.match(welsh, /Rheol 1580: Mae cyfenw’r disgybl ar goll\./);
    assert.match(welsh, /Q916201119004 \(dim cyfenw\), Amira/, 'a missing name in Welsh');
    assert.doesNotMatch(welsh, /is after census day|What to do|pupils on roll|no surname/);

    await agent.get(`/collect/returns/${id}?lang=en`);
    const again = textOf((await agent.get(`/collect/returns/${id}`)).body);
    assert.match(again, /10 October 2026 is after census day\./);
    assert.doesNotMatch(again, /Hydref|Rheol/);
  });

  test('a finding stored before migration 017 (no messages) shows its stored English on a Welsh page', async () => {
    const s = await setUp();
    const { db } = database();
    const user = await makeUser(
      db,
      'school',
      { laNumber: s.la.number, establishmentNumber: s.school },
      { language: 'cy' },
    );
    const agent = new Agent(t.app);
    await agent.signIn(user.username);
    const id = await load(agent, s.collectionId, s.school, withDatedError(s.school));
    await db
      .updateTable('census_return_findings')
      .set({ messages: null, detail: 'As it was stored: 2 of 11 pupils (18.2%).' })
      .where('return_id', '=', id)
      .where('rule', '=', '1700Q')
      .execute();

    const page = textOf((await agent.get(`/collect/returns/${id}`)).body);
    assert.match(
      page,
      /Rheol 1700Q: Ethnicity has not been obtained \(NOBT\) for more than 10% of pupils on roll\./,
    );
    assert.match(page, /As it was stored: 2 of 11 pupils \(18\.2%\)\./);
    assert.match(page, /Beth i’w wneud: Ask the parents of these pupils/);
    assert.match(
      page,
      /Mae 10 Hydref 2026 ar ôl diwrnod y cyfrifiad\./,
      'the finding with messages is in Welsh',
    );
  });

  test("the LA's and the DfE's views of a submitted return: its findings in their reader's language", async () => {
    const s = await setUp();
    const { db } = database();
    const { agent } = await signedInUser(t, 'school', {
      laNumber: s.la.number,
      establishmentNumber: s.school,
    });
    const id = await load(
      agent,
      s.collectionId,
      s.school,
      censusReturnXml({ school: s.school, year: 2026, withQuery: true }),
    );
    const view = await agent.get(`/collect/returns/${id}`);
    const finding = /name="finding" value="([0-9a-f-]{36})"/.exec(view.body)?.[1] ?? '';
    await agent.post(`/collect/returns/${id}/answer`, { finding, answer: 'Two families declined.' });
    await agent.get(`/collect/returns/${id}/submit`);
    assert.equal((await agent.post(`/collect/returns/${id}/submit`, { headteacher: 'yes' })).statusCode, 303);

    const laUser = await makeUser(db, 'la_user', { laNumber: s.la.number }, { language: 'cy' });
    const la = new Agent(t.app);
    await la.signIn(laUser.username);
    const atLa = textOf((await la.get(`/collect/returns/${id}`)).body);
    assert.match(atLa, /Rheol 1700Q: Nid yw ethnigrwydd wedi’i gael \(NOBT\)/);
    assert.match(atLa, /2 o 11 disgybl \(18\.2%\)\./);
    assert.equal((await la.post(`/collect/returns/${id}/approve`, {})).statusCode, 303);

    const collector = await makeUser(db, 'dfe_collector', {}, { language: 'cy' });
    const dfe = new Agent(t.app);
    await dfe.signIn(collector.username);
    const atDfe = textOf((await dfe.get(`/collect/returns/${id}`)).body);
    assert.match(atDfe, /Rheol 1700Q: Nid yw ethnigrwydd wedi’i gael \(NOBT\)/);
    assert.match(atDfe, /Beth i’w wneud: Gofynnwch i rieni’r disgyblion hyn/);
    const english = await signedInUser(t, 'dfe_collector', {});
    const inEnglish = textOf((await english.agent.get(`/collect/returns/${id}`)).body);
    assert.match(inEnglish, /Rule 1700Q: Ethnicity has not been obtained \(NOBT\)/);
    assert.match(inEnglish, /2 of 11 pupils \(18\.2%\)\./);
  });
});
