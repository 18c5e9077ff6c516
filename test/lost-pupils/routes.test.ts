// The Search for Lost Pupil pages through the app (routes.ts): who may open them, the search form and
// its errors, the attested download and "Was the file downloaded correctly?", and forward to school.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { can, type Role } from '../../src/auth/permissions.ts';
import { formatDateTime } from '../../src/platform/dates.ts';
import type { UserRow } from '../../src/platform/db/schema.ts';
import { createLogger } from '../../src/platform/logger.ts';
import { DownloadService } from '../../src/transfers/download-service.ts';
import { describeEachEngine } from '../support/databases.ts';
import { makeLa, makeSchool, makeUser } from '../support/factories.ts';
import { actorOf, la, makeTransfer, school } from '../support/transfers.ts';
import { Agent, createTestApp, errorSummary, hiddenFields, type TestApp } from '../support/web.ts';
import { makeLostPupil, OTHER_ROLES, organisationFor, uniqueName } from './support.ts';

const SEARCH = '/lost-pupils/search';

/** The page's words, without its tags. */
const words = (html: string) =>
  html
    .replace(/<[^>]+>/g, ' ')
    .replace(/&#39;/g, "'")
    .replace(/&amp;/g, '&')
    .replace(/\s+/g, ' ');

/** The back link's address (as in the page, &amp; and all) and text. */
function backLink(html: string): [string, string] | undefined {
  const link = /<a href="([^"]*)" class="govuk-back-link"[^>]*>([^<]*)<\/a>/.exec(html);
  return link ? [link[1] ?? '', (link[2] ?? '').trim()] : undefined;
}

/** The error summary's links: "#field message". */
function errorLinks(html: string): string[] {
  const summary = /<div class="govuk-error-summary"[\s\S]*?<\/ul>/.exec(html)?.[0] ?? '';
  return [...summary.matchAll(/<a href="(#[^"]+)">([^<]+)<\/a>/g)].map((m) => `${m[1]} ${m[2]}`);
}

describeEachEngine('Search for Lost Pupil pages', (database) => {
  let t: TestApp;
  before(async () => {
    t = await createTestApp(database().db);
  });
  after(async () => {
    await t.app.close();
  });

  async function signedIn(
    role: Role,
    org: { laNumber?: string | null; establishmentNumber?: string | null } = {},
  ) {
    const user: UserRow = await makeUser(database().db, role, org);
    const agent = new Agent(t.app);
    const response = await agent.signIn(user.username);
    assert.equal(response.statusCode, 302, 'signed in');
    return { agent, user };
  }

  async function world() {
    const db = database().db;
    const la = await makeLa(db, { name: 'Findshire' });
    const school = await makeSchool(db, la.number, { name: 'Arrival Primary School' });
    const uploaderLa = await makeLa(db, { name: 'Leftshire' });
    const uploader = await makeSchool(db, uploaderLa.number, { name: 'Departure Primary School' });
    return { db, la, school, uploader };
  }

  const lostPupilRoutes = () => t.app.routeTable.filter((r) => r.url.startsWith(SEARCH));

  /**
   * The search form posted as a browser posts it: its errors (the page answered), or its results, at the
   * sealed address it is sent to (`q`: `q=...`, the search as every link of the results carries it).
   */
  async function search(agent: Agent, query: string) {
    const posted = await agent.post(SEARCH, Object.fromEntries(new URLSearchParams(query)), {
      formPage: SEARCH,
    });
    if (posted.statusCode !== 303) return { page: posted, q: undefined };
    const location = String(posted.headers.location);
    const q = /^\/lost-pupils\/search\?(q=[\w-]+)#results$/.exec(location)?.[1];
    assert.ok(q, `the results' address is sealed: ${location}`);
    return { page: await agent.get(`${SEARCH}?${q}`), q };
  }

  test('only the Lost Pupil roles may open any page; only the transfer role forwards', async () => {
    const w = await world();
    const record = await makeLostPupil(w.db, t.deps.files, { from: w.uploader.number });
    const routes = lostPupilRoutes();
    assert.deepEqual(routes.map((r) => `${r.method} ${r.url}`).sort(), [
      `GET ${SEARCH}`,
      `GET ${SEARCH}/:lostPupilId`,
      `GET ${SEARCH}/:lostPupilId/check`,
      `GET ${SEARCH}/:lostPupilId/download`,
      `GET ${SEARCH}/:lostPupilId/file`,
      `GET ${SEARCH}/:lostPupilId/forward`,
      `POST ${SEARCH}`,
      `POST ${SEARCH}/:lostPupilId/check`,
      `POST ${SEARCH}/:lostPupilId/download`,
      `POST ${SEARCH}/:lostPupilId/forward`,
    ]);
    const problems: string[] = [];
    for (const role of [...OTHER_ROLES, 'la_lost_pupil' as const]) {
      const { agent } = await signedIn(role, organisationFor(role, w.school));
      const home = await agent.get('/');
      assert.equal(/Search for Lost Pupil/.test(home.body), role === 'la_lost_pupil', `${role}: menu item`);
      for (const route of routes) {
        if (role === 'la_lost_pupil' && route.access !== 'public' && can(role, route.access)) continue;
        const url = route.url.replace(':lostPupilId', record.id);
        const response =
          route.method === 'GET'
            ? await agent.get(`${url}?surname=Lostpupil&ticket=x`)
            : await agent.post(url, {
                surname: 'Lostpupil',
                attest: 'yes',
                answer: 'yes',
                school: w.school.number,
                confirm: 'yes',
              });
        if (response.statusCode !== 403)
          problems.push(`${role}: ${route.method} ${url} -> ${response.statusCode}`);
      }
    }
    assert.deepEqual(problems, []);
    const transfer = await w.db
      .selectFrom('transfers')
      .selectAll()
      .where('id', '=', record.id)
      .executeTakeFirst();
    assert.deepEqual(
      [transfer?.status, transfer?.last_downloaded_at],
      ['available', null],
      'nothing happened',
    );
  });

  test('the search form: the handbook fields, errors linked to their fields, results linked to records', async () => {
    const w = await world();
    const { agent } = await signedIn('la_lost_pupil', { laNumber: w.la.number });
    const form = await agent.get(SEARCH);
    assert.equal(form.statusCode, 200);
    for (const field of [
      'upn',
      'surname',
      'surname-begins',
      'forename',
      'town',
      'dob-day',
      'dob-month',
      'dob-year',
      'gender',
      'sort',
    ]) {
      assert.match(form.body, new RegExp(`id="${field}"`), field);
    }
    assert.match(
      words(form.body),
      /Tick this box to search on an exact surname match that begins with your entered text\. If the box is not ticked, a soundalike search will be performed\./,
    );
    assert.match(form.body, /<option value="dob"[^>]*>Date of Birth<\/option>/);
    assert.doesNotMatch(form.body, /id="results"/, 'no results before a search');

    assert.match(form.body, /<form method="post" action="\/lost-pupils\/search"/, 'never a GET form');
    const { page: empty } = await search(
      agent,
      'upn=&surname=&forename=&town=&dob-day=&dob-month=&dob-year=&gender=&sort=surname',
    );
    assert.equal(empty.statusCode, 400);
    assert.match(errorSummary(empty.body), /Enter at least one of the UPN, surname/);
    assert.deepEqual(
      errorLinks(empty.body).map((l) => l.split(' ')[0]),
      ['#upn'],
    );

    const { page: bad } = await search(agent, 'surname=Smith&dob-day=31&dob-month=13&upn=short');
    assert.equal(bad.statusCode, 400);
    assert.deepEqual(
      errorLinks(bad.body).map((l) => l.split(' ')[0]),
      ['#upn', '#dob-month'],
    );
    assert.match(bad.body, /value="Smith"/, 'what was typed is kept');
    assert.match(bad.body, /govuk-input--error[^"]*"\s+id="dob-month"/);

    // A UPN whose check letter is wrong is searched for, and the page says it is not a valid UPN.
    const { page: mistyped } = await search(agent, 'upn=K916540219099');
    assert.equal(mistyped.statusCode, 200);
    assert.match(words(mistyped.body), /records? match/);
    assert.match(
      words(mistyped.body),
      /K916540219099 is not a valid UPN\. The check letter \(character 1\) should be [A-Z], not K/,
    );
    assert.match(mistyped.body, /value="K916540219099"/, 'the UPN stays in its box, to correct');

    const surname = uniqueName('Route');
    const made = await makeLostPupil(w.db, t.deps.files, {
      from: w.uploader.number,
      pupil: { surname, forename: 'Ffion', dateOfBirth: '2013-06-21', town: 'Stroud' },
    });
    const { page: found, q } = await search(agent, `surname=${surname}&surname-begins=yes&sort=dob`);
    assert.equal(found.statusCode, 200);
    assert.match(
      found.body,
      /<title>1 record matches – Search for Lost Pupil – /,
      'the title says what was found',
    );
    // Nothing of the pupil's in any address of the page: every link carries the search sealed.
    const addresses = [...found.body.matchAll(/(?:href|action)="([^"]*)"/g)].map((m) => m[1] ?? '');
    assert.deepEqual(
      addresses.filter((a) => a.includes(surname) || /surname=/.test(a)),
      [],
    );
    const text = words(found.body);
    assert.match(text, /1 record matches/);
    assert.match(text, /21 June 2013/);
    assert.match(text, /Departure Primary School/);
    // Each heading sorts by its column, the search sealed with its new order.
    const sortedBy = (ariaSort: string, column: string) =>
      new RegExp(
        `aria-sort="${ariaSort}"><a class="govuk-link s2s-sort-link" href="${SEARCH}\\?(q=[\\w-]+)#results">${column}</a>`,
      ).exec(found.body)?.[1];
    const newestFirst = sortedBy('ascending', 'Date of Birth');
    assert.ok(newestFirst && newestFirst !== q);
    assert.ok(sortedBy('none', 'Surname'));
    const resorted = await agent.get(`${SEARCH}?${newestFirst}`);
    assert.match(words(resorted.body), /sorted by Date of Birth \(newest first\)/);
    assert.match(found.body, /<option value="dob" selected>/);
    const link = new RegExp(`href="(${SEARCH}/${made.id}\\?[^"]+)"`)
      .exec(found.body)?.[1]
      ?.replace(/&amp;/g, '&');
    assert.ok(link, 'the record is linked');
    const record = await agent.get(link);
    assert.equal(record.statusCode, 200);
    const recordText = words(record.body);
    for (const detail of [
      'LEA Number',
      'Leftshire',
      'School Number/Name',
      `${w.uploader.number} Departure Primary School`,
      'Date Uploaded',
      'Former UPN',
      'Former Surname',
      'Middle Names',
      'Destination unknown (XXXXXXXX)',
    ]) {
      assert.ok(recordText.includes(detail), detail);
    }
    // New Search is an empty form; the search that found the record is the back link.
    assert.match(record.body, new RegExp(`href="${SEARCH}">New Search`));
    assert.match(record.body, new RegExp(`href="${SEARCH}\\?${q}#results"`));
    assert.match(record.body, /Download Lost Pupil File/);
    assert.doesNotMatch(record.body, /Forward to a School/, 'the Lost Pupil role does not forward');

    const missing = await agent.get(`${SEARCH}/3f1c0a0e-1111-4222-8333-944455556666`);
    assert.equal(missing.statusCode, 404);
  });

  test('in Welsh: the search, its errors, the results, the record and the attestation', async () => {
    const w = await world();
    const user = await makeUser(w.db, 'la_lost_pupil', { laNumber: w.la.number }, { language: 'cy' });
    const agent = new Agent(t.app);
    assert.equal((await agent.signIn(user.username)).statusCode, 302, 'signed in');

    const form = await agent.get(SEARCH);
    assert.equal(form.statusCode, 200);
    assert.match(form.body, /<html lang="cy"/);
    assert.match(form.body, /<h1 class="govuk-heading-l">Chwilio am Ddisgybl Coll<\/h1>/);
    assert.match(form.body, /<option value="dob"[^>]*>Dyddiad Geni<\/option>/);

    const { page: empty } = await search(agent, 'upn=&surname=');
    assert.equal(empty.statusCode, 400);
    assert.match(errorSummary(empty.body), /Rhowch o leiaf un o’r manylion hyn am y disgybl/);
    const { page: bad } = await search(agent, 'surname=Smith&dob-month=13');
    assert.deepEqual(errorLinks(bad.body), [
      '#dob-month Rhaid i fis y dyddiad geni fod yn rhif o 1 i 12, neu’n enw mis',
    ]);

    const surname = uniqueName('Cymraeg');
    const made = await makeLostPupil(w.db, t.deps.files, {
      from: w.uploader.number,
      pupil: { surname, forename: 'Ffion', dateOfBirth: '2013-06-21', town: 'Stroud' },
    });
    const { page: found } = await search(agent, `surname=${surname}&surname-begins=yes`);
    assert.equal(found.statusCode, 200);
    assert.match(words(found.body), /Mae 1 cofnod yn cyfateb/);
    assert.match(words(found.body), /21 Mehefin 2013/, 'dates in Welsh');
    assert.match(words(found.body), /Cofnodion disgyblion coll, wedi’u trefnu yn ôl Cyfenw \(A i Y\)/);

    const record = await agent.get(`${SEARCH}/${made.id}`);
    assert.equal(record.statusCode, 200);
    const recordText = words(record.body);
    for (const text of [
      'Cofnod disgybl coll',
      'Rhif yr AALl',
      'Cyrchfan anhysbys (XXXXXXXX)',
      'Chwiliad Newydd',
    ]) {
      assert.ok(recordText.includes(text), text);
    }

    // A record from a school the directory does not have: what s2s says instead of its name.
    const unlisted = await makeLostPupil(w.db, t.deps.files, { from: `${w.uploader.la_number}9990` });
    assert.match(words((await agent.get(`${SEARCH}/${unlisted.id}`)).body), /9990 Nid yw yn y cyfeiriadur/);
    const english = await signedIn('la_lost_pupil', { laNumber: w.la.number });
    assert.match(
      words((await english.agent.get(`${SEARCH}/${unlisted.id}`)).body),
      /9990 Not in the directory/,
    );

    const base = `${SEARCH}/${made.id}`;
    const page = await agent.get(`${base}/download`);
    assert.match(page.body, /Lawrlwytho Ffeil Disgybl Coll<\/h1>/);
    const unticked = await agent.post(`${base}/download`, {});
    assert.equal(unticked.statusCode, 400);
    assert.deepEqual(errorLinks(unticked.body), [
      '#attest Cadarnhewch eich bod wedi cymryd camau rhesymol i sicrhau bod y disgybl ar gofrestr ysgol yn eich AALl',
    ]);
    const noAnswer = await agent.post(`${base}/check`, {});
    assert.equal(noAnswer.statusCode, 400);
    assert.match(noAnswer.body, /<h1 class="govuk-heading-l">A gafodd y ffeil ei lawrlwytho’n gywir\?<\/h1>/);
    const no = await agent.post(`${base}/check`, { answer: 'no' });
    assert.equal(no.statusCode, 303);
    assert.match(words((await agent.get(base)).body), /Nid yw’r cofnod wedi’i nodi fel un a ganfuwyd/);
  });

  test('download: attest, the very bytes, "Was the file downloaded correctly?" Yes marks it found', async () => {
    const w = await world();
    const { agent, user } = await signedIn('la_lost_pupil', { laNumber: w.la.number });
    const content = `<?xml version="1.0"?><CTfile><Pupil>${uniqueName()}</Pupil></CTfile>\n`;
    const made = await makeLostPupil(w.db, t.deps.files, { from: w.uploader.number, content });
    const base = `${SEARCH}/${made.id}`;

    const page = await agent.get(`${base}/download`);
    assert.equal(page.statusCode, 200);
    assert.match(
      words(page.body),
      /I have taken reasonable steps to ensure that the pupil in this file is on roll at a school in my LEA/,
    );
    const unticked = await agent.post(`${base}/download`, {});
    assert.equal(unticked.statusCode, 400);
    assert.deepEqual(errorLinks(unticked.body), [
      '#attest Confirm that you have taken reasonable steps to ensure that the pupil is on roll at a school in your LEA',
    ]);
    // A file link without a ticket goes back to the attestation.
    const noTicket = await agent.get(`${base}/file`);
    assert.deepEqual([noTicket.statusCode, noTicket.headers.location], [302, `${base}/download`]);

    const ticked = await agent.post(`${base}/download`, { attest: 'yes' });
    assert.equal(ticked.statusCode, 303);
    const check = await agent.get(String(ticked.headers.location));
    assert.equal(check.statusCode, 200);
    assert.match(check.body, /Was the file downloaded correctly\?/);
    const link = /id="download-link" href="([^"]+)"/.exec(check.body)?.[1]?.replace(/&amp;/g, '&');
    assert.ok(
      link &&
        check.body.includes(`<meta http-equiv="refresh" content="0; url=${link.replace(/&/g, '&amp;')}">`),
    );
    const file = await agent.get(link);
    assert.equal(file.statusCode, 200);
    assert.equal(file.headers['content-type'], 'application/octet-stream');
    assert.equal(
      file.headers['content-disposition'],
      `attachment; filename="${made.transfer.filename}"; filename*=UTF-8''${made.transfer.filename}`,
    );
    assert.equal(file.headers['cache-control'], 'no-store');
    assert.ok(file.rawPayload.equals(Buffer.from(content)), 'byte-identical');

    const noAnswer = await agent.post(`${base}/check`, {});
    assert.equal(noAnswer.statusCode, 400);
    assert.deepEqual(errorLinks(noAnswer.body), ['#answer Select yes if the file was downloaded correctly']);
    const no = await agent.post(`${base}/check`, { answer: 'no' });
    assert.deepEqual([no.statusCode, no.headers.location], [303, base]);
    assert.equal(
      (await w.db.selectFrom('lost_pupils').select('status').where('id', '=', made.id).executeTakeFirst())
        ?.status,
      'lost',
    );
    const yes = await agent.post(`${base}/check`, { answer: 'yes' });
    assert.deepEqual([yes.statusCode, yes.headers.location], [303, base]);
    const after = await agent.get(base);
    assert.match(words(after.body), /marked as found by your LA/);
    assert.match(
      words(after.body),
      new RegExp(`Found by Findshire \\(${w.la.number}\\) \\(Test Person \\(${user.username}\\)\\)`),
    );
  });

  test("no answer, posted as the page's form posts it: the link still works, and the download does not start again", async () => {
    const w = await world();
    const { agent } = await signedIn('la_lost_pupil', { laNumber: w.la.number });
    const made = await makeLostPupil(w.db, t.deps.files, { from: w.uploader.number });
    const base = `${SEARCH}/${made.id}`;
    const ticked = await agent.post(`${base}/download`, { attest: 'yes' });
    const check = await agent.get(String(ticked.headers.location));
    assert.match(check.body, /http-equiv="refresh"/, 'the first time, the download starts');
    const link = /id="download-link" href="([^"]+)"/.exec(check.body)?.[1]?.replaceAll('&amp;', '&');
    const none = await agent.post(`${base}/check`, hiddenFields(check.body, `${base}/check`));
    assert.equal(none.statusCode, 400);
    assert.match(errorSummary(none.body), /Select yes if the file was downloaded correctly/);
    assert.doesNotMatch(words(none.body), /expired/);
    assert.doesNotMatch(none.body, /http-equiv="refresh"/, 'asked again, the download does not start again');
    const again = /id="download-link" href="([^"]+)"/.exec(none.body)?.[1]?.replaceAll('&amp;', '&');
    assert.equal(again, link, 'the same download link is offered');
    assert.equal((await agent.get(String(again))).statusCode, 200);
    const yes = await agent.post(`${base}/check`, {
      ...hiddenFields(none.body, `${base}/check`),
      answer: 'yes',
    });
    assert.deepEqual([yes.statusCode, yes.headers.location], [303, base]);
  });

  test('opened from the results, the record, download and "Was it downloaded correctly?" lead back to them', async () => {
    const w = await world();
    const { agent } = await signedIn('la_lost_pupil', { laNumber: w.la.number });
    const surname = uniqueName('Carried');
    const made = await makeLostPupil(w.db, t.deps.files, {
      from: w.uploader.number,
      pupil: { surname, forename: 'Ffion', dateOfBirth: '2013-06-21', town: 'Stroud' },
    });
    const { page: found, q } = await search(agent, `surname=${surname}&surname-begins=yes&sort=dob`);
    const results = `${SEARCH}?${q}#results`;
    const base = `${SEARCH}/${made.id}`;
    assert.match(found.body, new RegExp(`href="${base}\\?${q}"`), 'the record is linked with the search');

    const record = await agent.get(`${base}?${q}`);
    assert.deepEqual(backLink(record.body), [results, 'Back to the results']);
    assert.match(record.body, new RegExp(`href="${base}/download\\?${q}"[^>]*>\\s*Download Lost Pupil File`));

    const download = await agent.get(`${base}/download?${q}`);
    assert.match(download.body, new RegExp(`action="${base}/download\\?${q}"`));
    assert.match(download.body, new RegExp(`href="${base}\\?${q}">No, go back to the record`));
    const ticked = await agent.post(`${base}/download?${q}`, { attest: 'yes' });
    assert.equal(ticked.statusCode, 303);
    const checkUrl = String(ticked.headers.location);
    assert.match(checkUrl, new RegExp(`^${base}/check\\?ticket=[^&]+&${q}$`));
    const check = await agent.get(checkUrl);
    assert.match(check.body, new RegExp(`action="${base}/check\\?${q}"`));
    assert.match(words(check.body), /Nothing changes: you go back to the search results/);

    // No: back to the results (LA notes §4.1, "the Lost Pupils Files screen"), with a notice, not a success.
    const no = await agent.post(`${base}/check?${q}`, { answer: 'no' });
    assert.deepEqual([no.statusCode, no.headers.location], [303, results]);
    const back = await agent.get(`${SEARCH}?${q}`);
    assert.match(words(back.body), /1 record matches/);
    assert.match(
      words(back.body),
      /The record has not been marked as found\. To download .+ again, open the record/,
    );
    // Not a success, but the outcome of what the user did: announced, as a success banner is.
    assert.match(back.body, /<div class="govuk-notification-banner" role="alert"/);
    assert.doesNotMatch(back.body, /govuk-notification-banner--success/);

    // Yes (once the file is downloaded): the record, found, still with its way back to the results.
    const fileLink = /id="download-link" href="([^"]+)"/.exec(check.body)?.[1]?.replace(/&amp;/g, '&');
    assert.match(String(fileLink), new RegExp(`^${base}/file\\?ticket=[^&]+&${q}$`));
    assert.equal((await agent.get(String(fileLink))).statusCode, 200);
    const yes = await agent.post(`${base}/check?${q}`, { answer: 'yes' });
    assert.deepEqual([yes.statusCode, yes.headers.location], [303, `${base}?${q}`]);
    const foundRecord = await agent.get(String(yes.headers.location));
    assert.match(foundRecord.body, /govuk-notification-banner--success/);
    assert.deepEqual(backLink(foundRecord.body), [results, 'Back to the results']);
  });

  test('only a sealed search the search accepts is carried; an address with the fields themselves is sealed', async () => {
    const w = await world();
    const { agent } = await signedIn('la_lost_pupil', { laNumber: w.la.number });
    const made = await makeLostPupil(w.db, t.deps.files, { from: w.uploader.number });
    const base = `${SEARCH}/${made.id}`;
    const { q } = await search(agent, 'surname=Jones');
    assert.ok(q);
    const changed = `${q.slice(0, 8)}${q[8] === 'A' ? 'B' : 'A'}${q.slice(9)}`;

    // Not a sealed search (the fields themselves, a seal changed, or none): the record stands alone.
    for (const query of ['surname=Jones', 'surname=Smith&dob-month=13', changed, 'q=', 'q=x']) {
      const record = await agent.get(`${base}?${query}`);
      assert.equal(record.statusCode, 200, query);
      assert.deepEqual(backLink(record.body), [SEARCH, 'Back to Search for Lost Pupil'], query);
      assert.match(record.body, new RegExp(`href="${base}/download"`), query);
      const no = await agent.post(`${base}/check?${query}`, { answer: 'no' });
      assert.deepEqual([no.statusCode, no.headers.location], [303, base], query);
    }
    // Anything but the sealed search is left behind; the search's text was trimmed before it was sealed.
    const spaced = await search(agent, 'surname=+Jones+');
    assert.equal(spaced.q, q, 'one search, one address');
    const record = await agent.get(`${base}?${q}&next=https%3A%2F%2Fevil.example&ticket=x`);
    assert.deepEqual(backLink(record.body), [`${SEARCH}?${q}#results`, 'Back to the results']);
    // (The layout's language link is the same page in the other language, its address as requested.)
    const links = [...record.body.matchAll(/href="([^"]*)"(?! lang=)/g)].map((m) => m[1] ?? '');
    assert.deepEqual(
      links.filter((href) => /evil\.example|ticket=x/.test(href)),
      [],
    );
    // An older link with the search's own fields: sent to its sealed address, or its errors shown.
    const older = await agent.get(`${SEARCH}?surname=Jones&sort=surname`);
    assert.deepEqual([older.statusCode, older.headers.location], [303, `${SEARCH}?${q}#results`]);
    assert.equal((await agent.get(`${SEARCH}?surname=Smith&dob-month=13`)).statusCode, 400);
    // A search of markup is carried sealed, and shown as text.
    const scripted = await search(agent, 'surname=%22%3E%3Cscript%3E');
    assert.equal(scripted.page.statusCode, 200);
    assert.doesNotMatch(scripted.page.body, /<script>/);
  });

  test('the results say how dates are sorted: oldest or newest first', async () => {
    const w = await world();
    const { agent } = await signedIn('la_lost_pupil', { laNumber: w.la.number });
    const surname = uniqueName('Sorted');
    await makeLostPupil(w.db, t.deps.files, { from: w.uploader.number, pupil: { surname } });
    const caption = async (query: string) =>
      words(
        /<caption[^>]*>[\s\S]*?<\/caption>/.exec(
          (await search(agent, `surname=${surname}&${query}`)).page.body,
        )?.[0] ?? '',
      ).trim();
    assert.equal(await caption('sort=dob'), 'Lost pupil records, sorted by Date of Birth (oldest first)');
    assert.equal(
      await caption('sort=dob&order=descending'),
      'Lost pupil records, sorted by Date of Birth (newest first)',
    );
    assert.equal(
      await caption('sort=uploaded'),
      'Lost pupil records, sorted by Date Uploaded (newest first)',
    );
    assert.equal(
      await caption('sort=uploaded&order=ascending'),
      'Lost pupil records, sorted by Date Uploaded (oldest first)',
    );
    assert.equal(await caption('sort=surname'), 'Lost pupil records, sorted by Surname (A to Z)');
  });

  test('forward to school: check the new name, then the school finds it under Download CTF Files', async () => {
    const w = await world();
    const { agent } = await signedIn('la_lost_pupil_transfer', { laNumber: w.la.number });
    const made = await makeLostPupil(w.db, t.deps.files, { from: w.uploader.number });
    const base = `${SEARCH}/${made.id}`;
    const record = await agent.get(base);
    assert.match(record.body, /Forward to a School/);

    const form = await agent.get(`${base}/forward`);
    assert.equal(form.statusCode, 200);
    // The page says who sends the new file: the LA, under its own code (decision 33), not the school.
    assert.match(
      words(form.body),
      new RegExp(`is sent in your LA's name: renamed to start ${w.la.number}LLLL_CTF_ and name the school`),
    );
    assert.doesNotMatch(words(form.body), /keeps the school that uploaded it as its sender/);
    await agent.get(`${base}/forward?lang=cy`);
    assert.match(
      words((await agent.get(`${base}/forward`)).body),
      new RegExp(`enw eich awdurdod lleol: caiff ei hailenwi i ddechrau gyda ${w.la.number}LLLL_CTF_`),
    );
    await agent.get(`${base}/forward?lang=en`);
    const nothing = await agent.post(`${base}/forward`, { school: '' });
    assert.equal(nothing.statusCode, 400);
    assert.deepEqual(
      errorLinks(nothing.body).map((l) => l.split(' ')[0]),
      ['#school', '#attest'],
    );
    const elsewhere = await agent.post(`${base}/forward`, { school: w.uploader.number, attest: 'yes' });
    assert.equal(elsewhere.statusCode, 400);
    assert.match(errorSummary(elsewhere.body), /school it came from|not a school of LA/);

    const plan = await agent.post(`${base}/forward`, { school: w.school.number, attest: 'yes' });
    assert.equal(plan.statusCode, 200);
    // Sent in the LA's name, as the handbook's renamed file is (LA notes §4.2).
    const newName = made.transfer.filename
      .replace(w.uploader.number, `${w.la.number}LLLL`)
      .replace('XXXXXXXX', w.school.number);
    assert.match(words(plan.body), new RegExp(`New name ${newName}`));
    assert.match(words(plan.body), /Destination School Arrival Primary School/);
    assert.match(words(plan.body), new RegExp(`From Findshire LA \\(${w.la.number}LLLL\\)`));
    const done = await agent.post(`${base}/forward`, {
      school: w.school.number,
      attest: 'yes',
      confirm: 'yes',
    });
    assert.deepEqual([done.statusCode, done.headers.location], [303, base]);
    const after = await agent.get(base);
    assert.match(words(after.body), new RegExp(`has been forwarded to Arrival Primary School as ${newName}`));
    assert.doesNotMatch(after.body, />Forward to a School</);
    assert.ok(!after.body.includes(`href="${base}/forward"`), 'not offered while the copy waits');

    const schoolUser = await signedIn('school', {
      laNumber: w.la.number,
      establishmentNumber: w.school.number,
    });
    const list = await schoolUser.agent.get('/download/ctf');
    assert.match(words(list.body), new RegExp(newName));
    assert.match(words(list.body), /Findshire LA/);
    assert.doesNotMatch(words(list.body), /Departure Primary School/);
    assert.match(words(after.body), /not collected by the school yet/);

    // The school rejects it: the record says the pupil is lost again, and why, and offers the forward.
    const copy = await w.db
      .selectFrom('transfers')
      .select('id')
      .where('forwarded_from', '=', made.id)
      .executeTakeFirstOrThrow();
    const rejectUrl = `/download/ctf/files/${copy.id}/reject`;
    const rejected = await schoolUser.agent.post(
      rejectUrl,
      { reason: 'Not on roll here' },
      { formPage: rejectUrl },
    );
    assert.equal(rejected.statusCode, 302);
    const lost = words((await agent.get(base)).body);
    assert.match(lost, /rejected by the school on .*, so the pupil is lost again/);
    assert.match(lost, /This file was forwarded to Arrival Primary School \(\d{7}\), which rejected it on/);
    assert.ok(
      (await agent.get(base)).body.includes(`href="${base}/forward"`),
      'the forward is offered again',
    );
  });

  test('forwarded and collected: the record gives the time until which the file can still be downloaded, in English and Welsh', async () => {
    const w = await world();
    const { agent } = await signedIn('la_lost_pupil_transfer', { laNumber: w.la.number });
    // Uploaded by a school of the LA itself: its file is collected when the school collects the copy.
    const own = await makeSchool(w.db, w.la.number, { name: 'Own Primary School' });
    const made = await makeLostPupil(w.db, t.deps.files, { from: own.number });
    const base = `${SEARCH}/${made.id}`;
    await agent.post(`${base}/forward`, { school: w.school.number, attest: 'yes', confirm: 'yes' });
    const copy = await w.db
      .selectFrom('transfers')
      .select('id')
      .where('forwarded_from', '=', made.id)
      .executeTakeFirstOrThrow();
    const schoolUser = await makeUser(w.db, 'school', {
      laNumber: w.la.number,
      establishmentNumber: w.school.number,
    });
    const desk = new DownloadService({
      db: w.db,
      files: t.deps.files,
      clock: t.clock,
      logger: createLogger('silent'),
    });
    await desk.download(actorOf(schoolUser), 'ctf', [copy.id], 'download');
    await desk.collect(actorOf(schoolUser), 'ctf', [copy.id]);
    const until = new Date(t.clock.now().getTime() + 7 * 86_400_000);
    assert.match(
      words((await agent.get(base)).body),
      new RegExp(
        `has collected it\\. This file can still be downloaded until ${formatDateTime(until)} \\(7 days after it was last collected or downloaded\\); then it is deleted\\.`,
      ),
    );
    await agent.get(`${base}?lang=cy`);
    assert.match(
      words((await agent.get(base)).body),
      new RegExp(`Gellir lawrlwytho’r ffeil hon o hyd tan ${formatDateTime(until, 'cy')} \\(7 diwrnod`),
    );
  });

  test('forward to school: a name the school already holds is renumbered, and the check page says why', async () => {
    const w = await world();
    const { agent } = await signedIn('la_lost_pupil_transfer', { laNumber: w.la.number });
    const made = await makeLostPupil(w.db, t.deps.files, { from: w.uploader.number });
    const taken = made.transfer.filename
      .replace(w.uploader.number, `${w.la.number}LLLL`)
      .replace('XXXXXXXX', w.school.number);
    await makeTransfer(w.db, t.deps.files, {
      from: la(w.la.number),
      to: school(w.school.number),
      filename: taken,
    });
    const plan = await agent.post(`${SEARCH}/${made.id}/forward`, { school: w.school.number, attest: 'yes' });
    assert.equal(plan.statusCode, 200);
    const sequence = Number(taken.slice(-7, -4));
    const newName = `${taken.slice(0, -7)}${String((sequence % 999) + 1).padStart(3, '0')}.XML`;
    assert.match(words(plan.body), new RegExp(`New name ${newName}`));
    assert.match(
      words(plan.body),
      new RegExp(
        `Arrival Primary School already has a file named ${taken} in s2s, so the new file takes the next free number`,
      ),
    );
  });
});
