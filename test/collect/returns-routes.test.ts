// Census returns through the app: the school's upload, its return page, queries and submission; the LA's
// dashboard, notes, return and approval; the collector's list; and who is kept out when.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { censusFilename, censusReturnXml, liveCollection } from '../support/census.ts';
import { describeEachEngine } from '../support/databases.ts';
import { makeLa, makeSchool, makeUser } from '../support/factories.ts';
import { Agent, createTestApp, errorSummary, signedInUser, type TestApp, textOf } from '../support/web.ts';

describeEachEngine('census return pages', (database) => {
  let t: TestApp;
  before(async () => {
    t = await createTestApp(database().db);
  });
  after(async () => {
    await t.app.close();
  });

  /** A live autumn 2026 collection for a new LA, a school of it, and users of each part. */
  async function setUp() {
    const db = database().db;
    const la = await makeLa(db);
    const school = await makeSchool(db, la.number, { name: `Brook Lane Primary ${la.number}` });
    const admin = await makeUser(db, 'national_admin');
    const collectionId = await liveCollection(db, admin, [la.number]);
    const schoolUser = await signedInUser(t, 'school', {
      laNumber: la.number,
      establishmentNumber: school.number,
    });
    const laUser = await signedInUser(t, 'la_user', { laNumber: la.number });
    const collector = await signedInUser(t, 'dfe_collector', {});
    const otherLa = await makeLa(db);
    const otherAgent = await signedInUser(t, 'la_user', { laNumber: otherLa.number });
    return { la, school, collectionId, schoolUser, laUser, collector, otherAgent };
  }

  async function upload(agent: Agent, collectionId: string, filename: string, xml: string, replace = false) {
    await agent.get(`/collect/collections/${collectionId}/upload`);
    return agent.postMultipart(
      `/collect/collections/${collectionId}/upload`,
      [{ filename, content: xml, field: 'file' }],
      replace ? { fields: { replace: 'yes' } } : {},
    );
  }

  const returnIdOf = (html: string) => /href="\/collect\/returns\/([0-9a-f-]{36})"/.exec(html)?.[1] ?? '';

  test('a school loads a return, sees its error and query, replaces it, explains the query and submits', async () => {
    const s = await setUp();
    const school = s.school.number;
    const agent = s.schoolUser.agent;

    const overview = await agent.get(`/collect/collections/${s.collectionId}`);
    assert.equal(overview.statusCode, 200);
    assert.match(overview.body, /You have not loaded a return yet/);
    assert.match(
      overview.body,
      /href="\/collect\/section"\s+aria-current/,
      'Data Collections is the active section on a collection page',
    );

    const first = await upload(
      agent,
      s.collectionId,
      censusFilename(school),
      censusReturnXml({ school, year: 2026, withError: true, withQuery: true }),
    );
    assert.equal(first.statusCode, 200);
    assert.match(first.body, /loaded as version 1: 13 pupils, 1 error and 1 query/);
    assert.match(first.body, /Please do not ignore errors/);
    assert.ok(t.app.contentChecks.stats().started > 0, 'the return was read on a worker thread');
    const firstId = returnIdOf(first.body);

    const page = await agent.get(`/collect/returns/${firstId}`);
    assert.equal(page.statusCode, 200);
    assert.match(page.body, /Rule 1580: The pupil’s surname is missing/);
    assert.match(page.body, /What the return says/);
    assert.match(page.body, /Severn Vale Academy/, "the school's name as the return gives it");
    assert.match(page.body, /11 on roll, 2 no longer on roll/);
    assert.match(textOf(page.body), /Census SC AUT 2026, census day 1 October 2026 /);
    assert.match(textOf(page.body), /Made by EXAMPLE MIS 7\.212, 2 October 2026 at 2:05pm /);
    assert.match(page.body, /Q916201119004 \(no surname\), Amira/);
    assert.match(page.body, /Rule 1700Q/);
    assert.doesNotMatch(page.body, /href="\/collect\/returns\/[^"]+\/submit"/, 'no Submit with errors');
    const pupils = await agent.get(`/collect/returns/${firstId}/pupils`);
    assert.equal(pupils.statusCode, 200);
    assert.match(pupils.body, /13 pupils/);
    const past = await agent.get(`/collect/returns/${firstId}/pupils?page=4`);
    assert.equal(past.statusCode, 303, 'one page of pupils: page 4 redirects to it');
    assert.equal(past.headers.location, `/collect/returns/${firstId}/pupils`);
    // Every field the return gives, in words and dates as the service writes them.
    const rows = [...pupils.body.matchAll(/<tr class="govuk-table__row">([\s\S]*?)<\/tr>/g)].map((m) =>
      textOf(m[1] ?? '').trim(),
    );
    const khan = rows.find((row) => row.includes('Q916201119004')) ?? '';
    assert.match(
      khan,
      /^1 Q916201119004 Amira 12 March 2015 Female Year 7 Current, single registration \(C\) 3 September 2026 Yes Other details of record 1 on roll /,
    );
    assert.match(
      khan,
      /Middle names Noor Preferred surname \(none given\) .*Ethnicity code NOBT Part-time No Boarder No \(N\)$/,
    );
    const williams = rows.find((row) => row.includes('R916210716030')) ?? '';
    assert.match(williams, /30 June 2012 Male .* No longer on roll \(left 18 July 2026\)/);
    assert.match(williams, /ULN 4512078478/);

    // A second file without the confirmation is refused; with it, it replaces the first.
    const fixed = censusReturnXml({ school, year: 2026, withQuery: true });
    const refused = await upload(agent, s.collectionId, censusFilename(school, 2026, 2), fixed);
    assert.equal(refused.statusCode, 400);
    assert.match(refused.body, /already has a return/);
    const second = await upload(agent, s.collectionId, censusFilename(school, 2026, 2), fixed, true);
    assert.match(second.body, /loaded as version 2, replacing version 1/);
    const secondId = returnIdOf(second.body);

    // The query: an empty explanation is refused beside its box, then saved.
    const view = await agent.get(`/collect/returns/${secondId}`);
    const finding = /name="finding" value="([0-9a-f-]{36})"/.exec(view.body)?.[1] ?? '';
    const empty = await agent.post(`/collect/returns/${secondId}/answer`, { finding, answer: ' ' });
    assert.equal(empty.statusCode, 400);
    assert.match(errorSummary(empty.body), /Enter your explanation of the query/);
    assert.match(empty.body, new RegExp(`href="#answer-${finding}"`));
    // Its address is only posted to: the language switch shows the return's page in Welsh instead.
    const welshLink = /<a class="govuk-link" href="([^"]+)" lang="cy"/.exec(empty.body)?.[1];
    assert.equal(welshLink, `/collect/returns/${secondId}?lang=cy`);
    assert.equal((await agent.get(welshLink)).headers.location, `/collect/returns/${secondId}`);
    await agent.get(`/collect/returns/${secondId}?lang=en`);
    // One too long is refused, and kept in its box to be shortened.
    const long = `${'Checked with the family. '.repeat(45)}End.`;
    const tooLong = await agent.post(`/collect/returns/${secondId}/answer`, { finding, answer: long });
    assert.equal(tooLong.statusCode, 400);
    assert.match(errorSummary(tooLong.body), /1000 characters or fewer/);
    assert.match(tooLong.body, new RegExp(`id="answer-${finding}"[^>]*>${long}</textarea>`));
    const answered = await agent.post(`/collect/returns/${secondId}/answer`, {
      finding,
      answer: 'Two families declined.',
    });
    assert.equal(answered.statusCode, 303);

    // Submit Return asks for the headteacher's approval.
    const confirm = await agent.get(`/collect/returns/${secondId}/submit`);
    assert.equal(confirm.statusCode, 200);
    const unconfirmed = await agent.post(`/collect/returns/${secondId}/submit`, {});
    assert.equal(unconfirmed.statusCode, 400);
    assert.match(errorSummary(unconfirmed.body), /headteacher has approved/);
    const submitted = await agent.post(`/collect/returns/${secondId}/submit`, { headteacher: 'yes' });
    assert.equal(submitted.statusCode, 303);
    const after = await agent.get(`/collect/returns/${secondId}`);
    assert.match(after.body, /Submitted/);
    assert.match(after.body, /Your return has been submitted to your LA/);

    // The LA now sees it on its dashboard and opens it; the first version stays closed to it.
    const dashboard = await s.laUser.agent.get(`/collect/collections/${s.collectionId}`);
    assert.equal(dashboard.statusCode, 200);
    assert.ok(dashboard.body.includes(`href="/collect/returns/${secondId}"`));
    const atLa = await s.laUser.agent.get(`/collect/returns/${secondId}`);
    assert.equal(atLa.statusCode, 200);
    assert.match(atLa.body, /Two families declined\./);
    assert.equal((await s.laUser.agent.get(`/collect/returns/${firstId}`)).statusCode, 404);
    // Another LA and the collector see nothing yet.
    assert.equal((await s.otherAgent.agent.get(`/collect/returns/${secondId}`)).statusCode, 404);
    assert.equal((await s.otherAgent.agent.get(`/collect/collections/${s.collectionId}`)).statusCode, 404);
    assert.equal((await s.collector.agent.get(`/collect/returns/${secondId}`)).statusCode, 404);
    const neighbour = await makeSchool(database().db, s.la.number);
    const otherSchool = await signedInUser(t, 'school', {
      laNumber: s.la.number,
      establishmentNumber: neighbour.number,
    });
    for (const path of ['', '/pupils', '/submit']) {
      const response = await otherSchool.agent.get(`/collect/returns/${secondId}${path}`);
      assert.equal(response.statusCode, 404, `another school of the LA: ${path || 'the return'}`);
    }
    const beforeApproval = await s.collector.agent.get(`/collect/collections/${s.collectionId}`);
    assert.match(beforeApproval.body, /No return has been approved yet/);

    // Returned with a note (a note is required), submitted again, approved.
    const noNote = await s.laUser.agent.post(`/collect/returns/${secondId}/return`, { note: '' });
    assert.equal(noNote.statusCode, 400);
    assert.match(errorSummary(noNote.body), /Enter a note/);
    await s.laUser.agent.get(`/collect/returns/${secondId}/return`);
    const returned = await s.laUser.agent.post(`/collect/returns/${secondId}/return`, {
      note: 'Please check pupil 5.',
    });
    assert.equal(returned.statusCode, 303);
    // The school sees the LA's note at the top of its pages, and what to do: a new file from its MIS.
    const atSchool = await agent.get(`/collect/returns/${secondId}`);
    assert.match(atSchool.body, /Returned to school/);
    const banner = (html: string) =>
      textOf(/<div[^>]*id="returned"[\s\S]*?<\/div>\s*<\/div>/.exec(html)?.[0] ?? '');
    for (const html of [atSchool.body, (await agent.get(`/collect/collections/${s.collectionId}`)).body]) {
      assert.match(
        banner(html),
        /Returned by your LA .* returned version 2 to you on .*, with this note: Please check pupil 5\./,
      );
      assert.match(
        banner(html),
        /Correct the data in your MIS and make a new file there: a returned version cannot be submitted again\./,
      );
      assert.ok(html.includes(`href="/collect/collections/${s.collectionId}/upload"`));
    }
    assert.doesNotMatch(
      atSchool.body,
      /href="\/collect\/returns\/[^"]+\/submit"/,
      'no Submit on a returned version',
    );
    assert.equal((await agent.get(`/collect/returns/${secondId}/submit`)).statusCode, 302);
    const resubmitted = await agent.post(`/collect/returns/${secondId}/submit`, { headteacher: 'yes' });
    assert.equal(resubmitted.statusCode, 400);
    assert.match(
      errorSummary(resubmitted.body),
      /Your LA returned this version: correct the data in your MIS/,
    );
    // The LA's page of it has no such banner.
    assert.doesNotMatch((await s.laUser.agent.get(`/collect/returns/${secondId}`)).body, /id="returned"/);

    const third = await upload(agent, s.collectionId, censusFilename(school, 2026, 3), fixed, true);
    const thirdId = returnIdOf(third.body);
    assert.doesNotMatch((await agent.get(`/collect/collections/${s.collectionId}`)).body, /id="returned"/);
    const thirdView = await agent.get(`/collect/returns/${thirdId}`);
    const thirdFinding = /name="finding" value="([0-9a-f-]{36})"/.exec(thirdView.body)?.[1] ?? '';
    await agent.post(`/collect/returns/${thirdId}/answer`, { finding: thirdFinding, answer: 'Checked.' });
    await agent.get(`/collect/returns/${thirdId}/submit`);
    assert.equal(
      (await agent.post(`/collect/returns/${thirdId}/submit`, { headteacher: 'yes' })).statusCode,
      303,
    );
    await s.laUser.agent.get(`/collect/returns/${thirdId}`);
    const approved = await s.laUser.agent.post(`/collect/returns/${thirdId}/approve`, {});
    assert.equal(approved.statusCode, 303);

    const atCollector = await s.collector.agent.get(`/collect/collections/${s.collectionId}`);
    assert.ok(atCollector.body.includes(`href="/collect/returns/${thirdId}"`));
    // Each school's LA by its number and name.
    assert.match(
      textOf(atCollector.body),
      new RegExp(`${school} Brook Lane Primary ${s.la.number} ${s.la.number} Testshire 3 13`),
    );
    assert.equal((await s.collector.agent.get(`/collect/returns/${thirdId}`)).statusCode, 200);
    assert.equal((await s.collector.agent.get(`/collect/returns/${secondId}`)).statusCode, 404);
    // Approving again (Back, and Approve) says it was approved already, not with a stack or a refusal.
    const again = await s.laUser.agent.post(`/collect/returns/${thirdId}/approve`, {});
    assert.equal(again.statusCode, 303);
    assert.match(
      textOf((await s.laUser.agent.get(`/collect/returns/${thirdId}`)).body),
      /This return was approved already: the DfE can see it\./,
    );

    // A version loaded after approval: the approved one is still shown approved, with the DfE.
    await upload(agent, s.collectionId, censusFilename(school, 2026, 4), fixed, true);
    const overviewAfter = await agent.get(`/collect/collections/${s.collectionId}`);
    assert.match(
      textOf(overviewAfter.body),
      /Version 3 stays approved: the DfE has it until your LA approves a later version\./,
    );
    assert.match(textOf(overviewAfter.body), /Approved \(the DfE has this version\)/);
    const approvedAtSchool = await agent.get(`/collect/returns/${thirdId}`);
    assert.match(
      textOf(approvedAtSchool.body),
      /This is the approved version: the DfE has it\. A later version, version 4, is being prepared/,
    );
    assert.match(textOf(approvedAtSchool.body), /Status Approved File/);
    assert.doesNotMatch(approvedAtSchool.body, /a later one has replaced it/);
    const laDashboard = await s.laUser.agent.get(`/collect/collections/${s.collectionId}`);
    assert.ok(laDashboard.body.includes(`href="/collect/returns/${thirdId}"`));
    assert.match(textOf(laDashboard.body), /Approved: 1/);
    assert.match(textOf(laDashboard.body), /Approved A later version, version 4, is being prepared/);
    const approvedAtCollector = await s.collector.agent.get(`/collect/returns/${thirdId}`);
    assert.doesNotMatch(approvedAtCollector.body, /version 4|a later one has replaced it/);
    assert.match(approvedAtCollector.body, /Approved/);
  });

  test('in Welsh: the school loads, explains and submits its return; the LA sees its dashboard', async () => {
    const s = await setUp();
    const school = s.school.number;
    const user = await makeUser(
      database().db,
      'school',
      { laNumber: s.la.number, establishmentNumber: school },
      { language: 'cy' },
    );
    const agent = new Agent(t.app);
    assert.equal((await agent.signIn(user.username)).statusCode, 302);

    const overview = await agent.get(`/collect/collections/${s.collectionId}`);
    assert.match(overview.body, /<html lang="cy"/);
    assert.match(overview.body, /Eich rôl: Source/);
    assert.match(overview.body, /<h2 class="govuk-heading-m">Eich ffurflen<\/h2>/);
    assert.match(overview.body, /Nid ydych wedi lanlwytho ffurflen eto/);
    const form = await agent.get(`/collect/collections/${s.collectionId}/upload`);
    assert.match(form.body, /<h1 class="govuk-heading-l">Lanlwytho Ffurflen o Ffeil<\/h1>/);
    const refused = await agent.postMultipart(`/collect/collections/${s.collectionId}/upload`, [
      { filename: 'pupils.csv', content: 'UPN,Surname\n', field: 'file' },
    ]);
    assert.equal(refused.statusCode, 400);
    assert.match(refused.body, /Nid yw pupils\.csv yn ffeil XML: dim ond ffurflenni cyfrifiad mewn XML/);
    assert.match(refused.body, /Lanlwythwch y ffurflen cyfrifiad a grëwyd gan eich MIS/);
    const loaded = await agent.postMultipart(`/collect/collections/${s.collectionId}/upload`, [
      {
        filename: censusFilename(school),
        content: censusReturnXml({ school, year: 2026, withQuery: true }),
        field: 'file',
      },
    ]);
    assert.equal(loaded.statusCode, 200);
    assert.match(loaded.body, /wedi’i lanlwytho fel fersiwn 1: 13 disgybl, 0 gwall, 1 ymholiad/);
    const id = returnIdOf(loaded.body);
    const view = await agent.get(`/collect/returns/${id}`);
    assert.match(view.body, /Beth mae’r ffurflen yn ei ddweud/);
    assert.match(view.body, /Ymholiadau \(1\)/);
    assert.match(textOf(view.body), /diwrnod y cyfrifiad 1 Hydref 2026 /);
    const pupils = textOf((await agent.get(`/collect/returns/${id}/pupils`)).body);
    assert.match(
      pupils,
      /Khan Amira 12 Mawrth 2015 Benyw Blwyddyn 7 Cyfredol, cofrestriad sengl \(C\) 3 Medi 2026 Ydy/,
    );
    const finding = /name="finding" value="([0-9a-f-]{36})"/.exec(view.body)?.[1] ?? '';
    const empty = await agent.post(`/collect/returns/${id}/answer`, { finding, answer: ' ' });
    assert.equal(empty.statusCode, 400);
    assert.match(errorSummary(empty.body), /Rhowch eich esboniad o’r ymholiad/);
    await agent.post(`/collect/returns/${id}/answer`, { finding, answer: 'Gwrthododd dau deulu.' });
    await agent.get(`/collect/returns/${id}/submit`);
    const unconfirmed = await agent.post(`/collect/returns/${id}/submit`, {});
    assert.equal(unconfirmed.statusCode, 400);
    assert.match(errorSummary(unconfirmed.body), /Cadarnhewch fod eich pennaeth wedi cymeradwyo’r ffurflen/);
    await agent.post(`/collect/returns/${id}/submit`, { headteacher: 'yes' });
    const after = await agent.get(`/collect/returns/${id}`);
    assert.match(after.body, /Mae eich ffurflen wedi’i chyflwyno i’ch awdurdod lleol/);

    const laUser = await makeUser(database().db, 'la_user', { laNumber: s.la.number }, { language: 'cy' });
    const la = new Agent(t.app);
    await la.signIn(laUser.username);
    const dashboard = await la.get(`/collect/collections/${s.collectionId}`);
    assert.match(dashboard.body, /Eich rôl: Agent/);
    assert.match(dashboard.body, /Ffurflenni eich ysgolion/);
    assert.match(dashboard.body, /Wedi’i chyflwyno: 1/);
  });

  test("a return's name problems, an unreadable return and one that does not match: in the reader's language", async () => {
    const s = await setUp();
    const school = s.school.number;
    const doctype = '<?xml version="1.0"?>\n<!DOCTYPE Message [<!ENTITY x "y">]>\n<Message/>';
    const files = [
      { filename: censusFilename(school).replace('_001.', '_01.'), content: doctype },
      { filename: censusFilename(school), content: doctype },
      { filename: censusFilename(school), content: censusReturnXml({ school, year: 2026, term: 'SPR' }) },
      {
        filename: censusFilename(school),
        content: censusReturnXml({ school, year: 2026, referenceDate: '2026-11-27' }),
      },
    ];
    const expected = {
      en: [
        "The file number '01' must be 3 digits, like 001.",
        'The file could not be read as a census return: The file declares a DOCTYPE. Files with DOCTYPE or ENTITY declarations are refused for safety (line 2, column',
        'The file does not match its name or this collection: the file name (SC3) is for the autumn census, the return for the spring census; the return is for term SPR, the collection for AUT.',
        'The file does not match its name or this collection: the return’s census day is 27 November 2026, the collection’s 1 October 2026.|Produce the return again in your MIS for this collection’s census day, 1 October 2026, and upload the new file.',
      ],
      cy: [
        "Rhaid i rif y ffeil '01' fod yn 3 digid, fel 001.",
        'Nid oedd modd darllen y ffeil fel ffurflen cyfrifiad: Mae’r ffeil yn datgan DOCTYPE. Caiff ffeiliau â datganiadau DOCTYPE neu ENTITY eu gwrthod er diogelwch (llinell 2, colofn',
        'Nid yw’r ffeil yn cyfateb i’w henw na’r casgliad hwn: mae enw’r ffeil (SC3) ar gyfer cyfrifiad yr hydref, a’r ffurflen ar gyfer cyfrifiad y gwanwyn; mae’r ffurflen ar gyfer tymor SPR, a’r casgliad ar gyfer AUT.',
        'Nid yw’r ffeil yn cyfateb i’w henw na’r casgliad hwn: diwrnod cyfrifiad y ffurflen yw 27 Tachwedd 2026, a diwrnod cyfrifiad y casgliad yw 1 Hydref 2026.|Crëwch y ffurflen eto yn eich MIS ar gyfer diwrnod cyfrifiad y casgliad hwn, 1 Hydref 2026, a lanlwythwch y ffeil newydd.',
      ],
    };
    for (const language of ['en', 'cy'] as const) {
      const user = await makeUser(
        database().db,
        'school',
        { laNumber: s.la.number, establishmentNumber: school },
        { language },
      );
      const agent = new Agent(t.app);
      assert.equal((await agent.signIn(user.username)).statusCode, 302);
      for (const [index, file] of files.entries()) {
        const response = await upload(agent, s.collectionId, file.filename, file.content);
        assert.equal(response.statusCode, 400, file.filename);
        // The reason in the error summary, and what to do (after "|") beside the form.
        for (const part of (expected[language][index] ?? '').split('|')) {
          assert.ok(textOf(response.body).includes(part), `${language}: ${part}`);
        }
      }
    }
  });

  test('a file that is not a census return is refused with why and what to do; no file asks for one', async () => {
    const s = await setUp();
    const agent = s.schoolUser.agent;
    const response = await upload(agent, s.collectionId, 'pupils.csv', 'UPN,Surname\n');
    assert.equal(response.statusCode, 400);
    assert.match(response.body, /pupils\.csv was not loaded/);
    assert.match(response.body, /not an XML file/);
    assert.match(response.body, /Upload the census return your MIS made/);
    // As every form refused: "Error:" in the title, the summary first, linking to the file box, and the
    // form again to choose another file.
    assert.match(response.body, /<title>Error: Upload Return from File/);
    assert.ok(response.body.indexOf('govuk-error-summary') < response.body.indexOf('<h1'), 'summary first');
    assert.match(response.body, /<a href="#file">[^<]*not an XML file/);
    assert.match(response.body, /<input class="govuk-file-upload[^"]*" id="file" name="file" type="file"/);
    await agent.get(`/collect/collections/${s.collectionId}/upload`);
    const none = await agent.postMultipart(`/collect/collections/${s.collectionId}/upload`, []);
    assert.equal(none.statusCode, 400);
    assert.match(errorSummary(none.body), /Select the census return to upload/);
  });

  test('an LA is sent to the zip upload; a school of another LA has no part in the collection', async () => {
    const s = await setUp();
    const toBulk = await s.laUser.agent.get(`/collect/collections/${s.collectionId}/upload`);
    assert.equal(toBulk.statusCode, 302);
    assert.equal(toBulk.headers.location, `/collect/collections/${s.collectionId}/bulk-upload`);
    const otherLa = await makeLa(database().db);
    const otherSchool = await makeSchool(database().db, otherLa.number);
    const outsider = await signedInUser(t, 'school', {
      laNumber: otherLa.number,
      establishmentNumber: otherSchool.number,
    });
    assert.equal((await outsider.agent.get(`/collect/collections/${s.collectionId}`)).statusCode, 404);
    assert.equal((await outsider.agent.get(`/collect/collections/${s.collectionId}/upload`)).statusCode, 404);
  });
});

describeEachEngine('the census upload form, read whole before anything is loaded', (database) => {
  let t: TestApp;
  before(async () => {
    t = await createTestApp(database().db);
  });
  after(async () => {
    await t.app.close();
  });

  /** A school of a new LA taking part in a live collection, signed in, with its first return loaded. */
  async function withFirstVersion() {
    const db = database().db;
    const la = await makeLa(db);
    const school = (await makeSchool(db, la.number)).number;
    const collectionId = await liveCollection(db, await makeUser(db, 'national_admin'), [la.number]);
    const { agent } = await signedInUser(t, 'school', { laNumber: la.number, establishmentNumber: school });
    const path = `/collect/collections/${collectionId}/upload`;
    await agent.get(path);
    const xml = censusReturnXml({ school, year: 2026 });
    const first = await agent.postMultipart(path, [
      { filename: censusFilename(school), content: xml, field: 'file' },
    ]);
    assert.match(first.body, /loaded as version 1/);
    const versions = () =>
      db.selectFrom('census_returns').select('version').where('collection_id', '=', collectionId).execute();
    return { agent, path, school, xml, versions };
  }

  test('the replace box counts after the file too (only a hand-made request sends it there)', async () => {
    const s = await withFirstVersion();
    const second = await s.agent.postMultipart(
      s.path,
      [{ filename: censusFilename(s.school, 2026, 2), content: s.xml, field: 'file' }],
      { fields: { replace: 'yes' }, fieldsLast: true },
    );
    assert.equal(second.statusCode, 200);
    assert.match(second.body, /loaded as version 2, replacing version 1/);
    assert.equal((await s.versions()).length, 2);
  });

  test('a second file in the form is refused, saying one return is taken per upload; neither is loaded', async () => {
    const s = await withFirstVersion();
    const two = await s.agent.postMultipart(
      s.path,
      [
        { filename: censusFilename(s.school, 2026, 2), content: s.xml, field: 'file' },
        { filename: censusFilename(s.school, 2026, 3), content: s.xml, field: 'file' },
      ],
      { fields: { replace: 'yes' } },
    );
    assert.equal(two.statusCode, 400);
    assert.match(
      errorSummary(two.body),
      /Only one census return is taken per upload, and this form sent 2 files: nothing was loaded\. Upload the return on its own\./,
    );
    assert.match(two.body, /href="#file"/);
    assert.deepEqual(await s.versions(), [{ version: 1 }]);
  });
});
