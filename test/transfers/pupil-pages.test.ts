// A file's pupils listed a page at a time, wherever they are listed: a CTF of 30,000 pupils (under the 4 MB
// limit) made a Download page of 7.4 MB. The file's actions (Accept and Reject, Remove, the LA's Delete)
// are on every page and act on the whole file; a small file's page is as it was, with no pagination.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Role } from '../../src/auth/permissions.ts';
import { PUPILS_PER_PAGE } from '../../src/transfers/download-listing.ts';
import { DownloadService } from '../../src/transfers/download-service.ts';
import { LaMonitorService } from '../../src/transfers/la-monitor-service.ts';
import { describeEachEngine } from '../support/databases.ts';
import { ayshireAndBeeshire, makeUser } from '../support/factories.ts';
import { actorOf, makeTransfer, pupil, school } from '../support/transfers.ts';
import { Agent, createTestApp, type TestApp, textOf } from '../support/web.ts';

function mainOf(html: string): string {
  return /<main[\s\S]*<\/main>/.exec(html)?.[0] ?? '';
}

/** The surnames in the page's pupil rows, in order. */
function surnames(html: string): string[] {
  return [...mainOf(html).matchAll(/>(Pupil\d{4}), Alex</g)].map((m) => m[1] as string);
}

/** The page links of the pupils' pagination (none when the file's pupils fit one page). */
function pageLinks(html: string): string[] {
  const nav = /<nav class="govuk-pagination"[\s\S]*?<\/nav>/.exec(mainOf(html))?.[0] ?? '';
  return [...nav.matchAll(/href="([^"]+)"/g)].map((m) => (m[1] as string).replace(/&amp;/g, '&'));
}

const names = (from: number, to: number) =>
  Array.from({ length: to - from + 1 }, (_, i) => `Pupil${String(from + i).padStart(4, '0')}`);

describeEachEngine('a file’s pupils, a page at a time', (database) => {
  let t: TestApp;
  before(async () => {
    t = await createTestApp(database().db);
  });
  after(async () => {
    await t.app.close();
  });

  async function signedIn(
    role: Role,
    org: { laNumber?: string; establishmentNumber?: string },
    language: 'en' | 'cy' = 'en',
  ) {
    const user = await makeUser(database().db, role, org, { language });
    const agent = new Agent(t.app);
    assert.equal((await agent.signIn(user.username)).statusCode, 302, 'signed in');
    return agent;
  }

  /** A CTF from B One to A One of `count` pupils, Pupil0001 onwards, and one of two. */
  async function files(count: number) {
    const db = database().db;
    const w = await ayshireAndBeeshire(db);
    const big = await makeTransfer(db, t.deps.files, {
      from: school(w.b1.number),
      to: school(w.a1.number),
      pupils: names(1, count).map((surname) => pupil(surname)),
    });
    const small = await makeTransfer(db, t.deps.files, {
      from: school(w.b1.number),
      to: school(w.a1.number),
      pupils: [pupil('Pupil0001'), pupil('Pupil0002')],
    });
    return { w, big, small };
  }

  test('Download: pages of the pupils; Accept and Reject on each, for the whole file; a small file as before', async () => {
    const count = 2 * PUPILS_PER_PAGE + 50;
    const { w, big, small } = await files(count);
    const agent = await signedIn('school', { establishmentNumber: w.a1.number });
    const url = `/download/ctf/files/${big.row.id}`;
    const accept = `href="/download/ctf/confirm?action=accept&amp;file=${big.row.id}"`;
    const reject = `href="/download/ctf/files/${big.row.id}/reject"`;

    const first = await agent.get(url);
    assert.equal(first.statusCode, 200);
    assert.deepEqual(surnames(first.body), names(1, PUPILS_PER_PAGE));
    assert.match(textOf(mainOf(first.body)), new RegExp(`Pupils 1 to ${PUPILS_PER_PAGE} of ${count}`));
    assert.deepEqual(pageLinks(first.body), [
      `${url}?pupilPage=1`,
      `${url}?pupilPage=2`,
      `${url}?pupilPage=3`,
      `${url}?pupilPage=2`,
    ]);
    const last = await agent.get(`${url}?pupilPage=3`);
    assert.deepEqual(surnames(last.body), names(2 * PUPILS_PER_PAGE + 1, count));
    for (const page of [first, last]) {
      assert.ok(page.body.includes(accept), 'Accept acts on the file');
      assert.ok(page.body.includes(reject), 'Reject acts on the file');
      assert.match(textOf(mainOf(page.body)), new RegExp(`Pupils ${count}`), 'the count is the whole file’s');
    }
    // A page past the last: the last, at its own address.
    const past = await agent.get(`${url}?pupilPage=9`);
    assert.equal(past.statusCode, 303);
    assert.equal(past.headers.location, `${url}?pupilPage=3`);

    const few = await agent.get(`/download/ctf/files/${small.row.id}`);
    assert.deepEqual(surnames(few.body), ['Pupil0001', 'Pupil0002']);
    assert.deepEqual(pageLinks(few.body), []);
    assert.doesNotMatch(textOf(mainOf(few.body)), /Pupils 1 to/);

    // In Welsh.
    const welshAgent = await signedIn('school', { establishmentNumber: w.a1.number }, 'cy');
    const welsh = await welshAgent.get(`${url}?pupilPage=2`);
    assert.match(
      textOf(mainOf(welsh.body)),
      new RegExp(`Disgyblion ${PUPILS_PER_PAGE + 1} i ${2 * PUPILS_PER_PAGE} o ${count}`),
    );
  });

  test('View / Remove Files: the sender’s page of the file is paged, Remove on each page', async () => {
    const count = PUPILS_PER_PAGE + 1;
    const { w, big } = await files(count);
    const agent = await signedIn('school', { establishmentNumber: w.b1.number });
    const url = `/sent/files/${big.row.id}`;
    const first = await agent.get(url);
    assert.equal(first.statusCode, 200);
    assert.deepEqual(surnames(first.body), names(1, PUPILS_PER_PAGE));
    const second = await agent.get(`${url}?pupilPage=2`);
    assert.deepEqual(surnames(second.body), names(count, count));
    for (const page of [first, second]) assert.ok(page.body.includes(`href="${url}/remove"`), 'Remove');
  });

  test('the LA’s pages: a file’s page and its Delete paged, keeping the list’s page; the list shows the first page of each file', async () => {
    const count = PUPILS_PER_PAGE + 5;
    const { w, big, small } = await files(count);
    const agent = await signedIn('la_user', { laNumber: w.laA.number });
    const url = `/download/ctf/uncollected/${big.row.id}`;
    // Opened from the list's second page: the pupils' pages keep it, for the way back.
    const first = await agent.get(`${url}?page=2`);
    assert.equal(first.statusCode, 200);
    assert.deepEqual(surnames(first.body), names(1, PUPILS_PER_PAGE));
    assert.deepEqual(pageLinks(first.body), [
      `${url}?page=2&pupilPage=1`,
      `${url}?page=2&pupilPage=2`,
      `${url}?page=2&pupilPage=2`,
    ]);
    const second = await agent.get(`${url}?pupilPage=2`);
    assert.deepEqual(surnames(second.body), names(PUPILS_PER_PAGE + 1, count));
    assert.ok(second.body.includes(`href="${url}/delete"`), 'Delete on every page');

    const deleting = await agent.get(`${url}/delete?pupilPage=2`);
    assert.equal(deleting.statusCode, 200);
    assert.deepEqual(surnames(deleting.body), names(PUPILS_PER_PAGE + 1, count));
    assert.match(deleting.body, new RegExp(`<form method="post" action="${url}/delete"`));

    const list = await agent.get('/download/ctf/uncollected');
    const text = textOf(mainOf(list.body));
    assert.equal(
      surnames(list.body).length,
      PUPILS_PER_PAGE + 2,
      'the first page of the big file, and the small one',
    );
    assert.match(text, new RegExp(`The first ${PUPILS_PER_PAGE} of ${count} pupils in ${big.row.filename}`));
    assert.ok(list.body.includes(`href="${url}?pupilPage=2"`), 'the rest, on the file’s page');
    assert.ok(!text.includes(`of 2 pupils in ${small.row.filename}`), 'a small file as before');
  });

  test('the LA’s page of a forwarded copy its school rejected is paged, Forward on each page', async () => {
    const count = PUPILS_PER_PAGE + 3;
    const { w, big } = await files(count);
    const forwarder = actorOf(await makeUser(database().db, 'la_user', { laNumber: w.laA.number }));
    const { forwarded } = await new LaMonitorService(t.deps).forward(forwarder, big.row.id, w.a2.number);
    const rejecter = actorOf(await makeUser(database().db, 'school', { establishmentNumber: w.a2.number }));
    await new DownloadService(t.deps).reject(rejecter, 'ctf', forwarded.id, 'Not on our roll');

    const agent = await signedIn('la_user', { laNumber: w.laA.number });
    const url = `/download/ctf/monitor/rejected/${forwarded.id}`;
    const first = await agent.get(url);
    assert.equal(first.statusCode, 200);
    assert.deepEqual(surnames(first.body), names(1, PUPILS_PER_PAGE));
    assert.deepEqual(pageLinks(first.body), [
      `${url}?pupilPage=1`,
      `${url}?pupilPage=2`,
      `${url}?pupilPage=2`,
    ]);
    const second = await agent.get(`${url}?pupilPage=2`);
    assert.deepEqual(surnames(second.body), names(PUPILS_PER_PAGE + 1, count));
    for (const page of [first, second]) assert.ok(page.body.includes(`href="${url}/forward"`), 'Forward');
  });
});
