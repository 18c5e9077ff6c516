// DBA > Audit Log's filters (docs/decisions.md, 77): by who did it, by action and by dates, on the page,
// in its page links and in its CSV, within the DBA's scope whatever is asked.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, test } from 'node:test';
import { recordAudit } from '../../src/audit/repository.ts';
import type { Role } from '../../src/auth/permissions.ts';
import { describeEachEngine } from '../support/databases.ts';
import { makeLa, makeSchool, makeUser } from '../support/factories.ts';
import { Agent, createTestApp, errorSummary, type TestApp, textOf } from '../support/web.ts';

describeEachEngine('the Audit Log filters', (database) => {
  let t: TestApp;
  before(async () => {
    t = await createTestApp(database().db);
  });
  after(async () => {
    await t.app.close();
  });

  async function signedIn(role: Role, laNumber?: string, language?: 'cy'): Promise<Agent> {
    const user = await makeUser(
      database().db,
      role,
      laNumber ? { laNumber } : {},
      language ? { language } : {},
    );
    const agent = new Agent(t.app);
    assert.equal((await agent.signIn(user.username)).statusCode, 302, 'signed in');
    return agent;
  }

  /** Two LAs (a school of each), and events of made-up users in both, on dates in October 2026. */
  async function twoLas() {
    const db = database().db;
    const own = await makeLa(db);
    const other = await makeLa(db);
    const school = await makeSchool(db, own.number);
    const otherSchool = await makeSchool(db, other.number);
    const tag = randomUUID().slice(0, 8);
    const alice = `alice-${tag}`;
    const bob = `bob-${tag}`;
    const event = (at: string, who: string, organisation: string, action: 'sign-in' | 'school-updated') =>
      recordAudit(db, {
        at: new Date(at),
        actorUsername: who,
        organisation,
        action,
        ...(action === 'school-updated' ? { subjectType: 'school', subjectId: organisation } : {}),
      });
    await event('2026-10-01T08:00:00.000Z', alice, own.number, 'sign-in');
    await event('2026-10-05T08:00:00.000Z', alice, school.number, 'school-updated');
    await event('2026-10-05T09:00:00.000Z', bob, own.number, 'sign-in');
    await event('2026-10-10T08:00:00.000Z', bob, school.number, 'school-updated');
    // The same username in another LA, and at night in London (23:30 BST on 5 October is the 5th there).
    await event('2026-10-05T22:30:00.000Z', alice, other.number, 'sign-in');
    await event('2026-10-05T22:40:00.000Z', alice, otherSchool.number, 'school-updated');
    return { own, other, school, otherSchool, alice, bob };
  }

  /** The events' rows of the page's table: "who organisation action". */
  function rowsOf(html: string, who: string[]): string[] {
    const body = /<tbody[\s\S]*?<\/tbody>/.exec(html)?.[0] ?? '';
    return [...body.matchAll(/<tr[\s\S]*?<\/tr>/g)]
      .map((row) => textOf(row[0]).trim())
      .filter((row) => who.some((name) => row.includes(name)));
  }

  test('by username: only that user’s events of the LA, whatever the case typed, kept in the form', async () => {
    const { own, school, alice, bob } = await twoLas();
    const dba = await signedIn('la_dba', own.number);
    const page = await dba.get(`/dba/audit?username=${alice.toUpperCase()}`);
    assert.equal(page.statusCode, 200);
    const rows = rowsOf(page.body, [alice, bob]);
    assert.equal(rows.length, 2, rows.join('\n'));
    assert.match(String(rows[0]), new RegExp(`${alice} ${school.number} School updated`));
    assert.match(String(rows[1]), new RegExp(`${alice} ${own.number} Signed in`));
    assert.match(page.body, /<form method="get" action="\/dba\/audit"/);
    assert.match(page.body, new RegExp(`<input[^>]* name="username"[^>]* value="${alice.toUpperCase()}"`));
  });

  test('by action: a select of the log’s actions in the page’s language, and only events of the one chosen', async () => {
    const { own, alice, bob } = await twoLas();
    const dba = await signedIn('la_dba', own.number);
    const page = await dba.get('/dba/audit?action=school-updated');
    assert.equal(page.statusCode, 200);
    assert.match(page.body, /<option value="school-updated" selected>School updated<\/option>/);
    assert.match(page.body, /<option value="">All actions<\/option>/);
    const rows = rowsOf(page.body, [alice, bob]);
    assert.equal(rows.length, 2, rows.join('\n'));
    assert.ok(rows.every((row) => row.includes('School updated')));

    const welsh = await signedIn('la_dba', own.number, 'cy');
    const cy = await welsh.get('/dba/audit');
    assert.match(cy.body, /<option value="school-updated">Ysgol wedi’i diweddaru<\/option>/);
    assert.match(cy.body, /<option value="">Pob gweithred<\/option>/);
  });

  test('by dates: From and To are London dates, both included; a blank From is from the first event', async () => {
    const { own, alice, bob } = await twoLas();
    const dba = await signedIn('la_dba', own.number);
    const dates = (from: string, to: string) => {
      const [fd = '', fm = '', fy = ''] = from.split(' ');
      const [td = '', tm = '', ty = ''] = to.split(' ');
      return `from-day=${fd}&from-month=${fm}&from-year=${fy}&to-day=${td}&to-month=${tm}&to-year=${ty}`;
    };
    const fifth = rowsOf((await dba.get(`/dba/audit?${dates('5 10 2026', '5 10 2026')}`)).body, [alice, bob]);
    assert.equal(fifth.length, 2, fifth.join('\n'));
    const until = rowsOf((await dba.get(`/dba/audit?${dates('', '5 10 2026')}`)).body, [alice, bob]);
    assert.equal(until.length, 3, until.join('\n'));
    const since = rowsOf((await dba.get(`/dba/audit?${dates('6 10 2026', '')}`)).body, [alice, bob]);
    assert.equal(since.length, 1, since.join('\n'));
    assert.match(String(since[0]), new RegExp(`${bob} .* School updated`));
    const kept = await dba.get(`/dba/audit?${dates('6 10 2026', '')}`);
    assert.match(kept.body, /<input[^>]* name="from-day"[^>]* value="6"/);
  });

  test('the filters together, kept in the page links and the Download CSV link', async () => {
    const { own, school, alice, bob } = await twoLas();
    const db = database().db;
    for (let i = 0; i < 55; i += 1) {
      await recordAudit(db, {
        at: new Date(Date.UTC(2026, 9, 20, 8, i)),
        actorUsername: alice,
        organisation: school.number,
        action: 'school-updated',
      });
    }
    const dba = await signedIn('la_dba', own.number);
    const criteria = `username=${alice}&action=school-updated&from-day=5&from-month=10&from-year=2026&to-day=&to-month=&to-year=`;
    const first = await dba.get(`/dba/audit?${criteria}`);
    const firstRows = rowsOf(first.body, [alice, bob]);
    assert.equal(firstRows.length, 50);
    const next = /<a[^>]*href="([^"]+)"[^>]*rel="next"/.exec(first.body)?.[1]?.replace(/&amp;/g, '&');
    assert.ok(next, 'a link to the older events');
    const nextParams = new URLSearchParams(next.split('?')[1]);
    assert.equal(nextParams.get('username'), alice);
    assert.equal(nextParams.get('action'), 'school-updated');
    assert.equal(nextParams.get('from-day'), '5');
    assert.equal(nextParams.get('page'), '2');
    const second = await dba.get(next);
    const secondRows = rowsOf(second.body, [alice, bob]);
    assert.equal(secondRows.length, 6, '55 and the one of 5 October');
    assert.ok(secondRows.every((row) => row.includes(alice) && row.includes('School updated')));
    const previous = /<a[^>]*href="([^"]+)"[^>]*rel="prev"/.exec(second.body)?.[1]?.replace(/&amp;/g, '&');
    assert.equal(new URLSearchParams(String(previous).split('?')[1]).get('username'), alice);

    const csvHref = /href="(\/dba\/audit\.csv[^"]*)"/.exec(first.body)?.[1]?.replace(/&amp;/g, '&');
    assert.ok(csvHref?.includes(`username=${alice}`), String(csvHref));
    assert.ok(!csvHref?.includes('page='), 'the CSV is every page');
    const csv = await dba.get(String(csvHref));
    assert.equal(csv.statusCode, 200);
    const lines = csv.body
      .replace(/^\uFEFF/, '')
      .trim()
      .split('\r\n')
      .slice(1);
    assert.equal(lines.length, 56);
    assert.ok(lines.every((line) => line.includes(`,${alice},`) && line.includes(',school-updated,')));
    assert.ok(!lines.some((line) => line.includes(',2026-10-01')), 'from 5 October');
  });

  test('another LA’s events never appear, whatever the filter; the national administrator sees them all', async () => {
    const { own, other, otherSchool, alice } = await twoLas();
    const dba = await signedIn('la_dba', own.number);
    for (const criteria of [
      `username=${alice}`,
      'action=sign-in',
      'from-day=5&from-month=10&from-year=2026&to-day=5&to-month=10&to-year=2026',
      `username=${alice}&action=school-updated&from-day=5&from-month=10&from-year=2026`,
    ]) {
      const page = await dba.get(`/dba/audit?${criteria}`);
      assert.equal(page.statusCode, 200, criteria);
      const rows = rowsOf(page.body, ['']);
      assert.ok(rows.length > 0, criteria);
      assert.ok(
        rows.every((row) => !row.includes(` ${other.number} `) && !row.includes(otherSchool.number)),
        `${criteria}: no event of ${other.number}: ${rows.join('\n')}`,
      );
      const csv = await dba.get(`/dba/audit.csv?${criteria}`);
      assert.equal(csv.statusCode, 200);
      assert.ok(
        !csv.body.includes(`,${other.number},`) && !csv.body.includes(`,${otherSchool.number},`),
        `${criteria}: not in the CSV either`,
      );
    }
    const national = await signedIn('national_admin');
    const all = rowsOf((await national.get(`/dba/audit?username=${alice}`)).body, [alice]);
    assert.equal(all.length, 4, all.join('\n'));
    const csv = await national.get(`/dba/audit.csv?username=${alice}&action=sign-in`);
    const lines = csv.body
      .replace(/^\uFEFF/, '')
      .trim()
      .split('\r\n')
      .slice(1);
    assert.equal(lines.length, 2);
    assert.ok(lines.some((line) => line.includes(`,${other.number},sign-in,`)));
  });

  test('nothing matching says so, and how to widen the search', async () => {
    const { own } = await twoLas();
    const dba = await signedIn('la_dba', own.number);
    const page = await dba.get('/dba/audit?username=nobody-at-all');
    assert.equal(page.statusCode, 200);
    const text = textOf(page.body);
    assert.match(
      text,
      /No events match these filters\. Check the username, choose All actions or a wider date range, or clear the filters ?\./,
    );
    assert.match(page.body, /<a class="govuk-link" href="\/dba\/audit">clear the filters<\/a>/);
    assert.doesNotMatch(text, /No events have been recorded yet/);
  });

  test('bad dates, dates the wrong way round and an unknown action are named on the page, and the CSV link goes back to it', async () => {
    const { own } = await twoLas();
    const dba = await signedIn('la_dba', own.number);
    const notReal = await dba.get('/dba/audit?from-day=31&from-month=2&from-year=2026');
    assert.equal(notReal.statusCode, 400);
    assert.match(notReal.body, /<title>Error: /);
    assert.match(errorSummary(notReal.body), /The From date must be a real date: February has no day 31/);
    assert.doesNotMatch(notReal.body, /<tbody/, 'no events under a filter that cannot be read');

    const reversed = await dba.get(
      '/dba/audit?from-day=10&from-month=10&from-year=2026&to-day=1&to-month=10&to-year=2026',
    );
    assert.equal(reversed.statusCode, 400);
    assert.match(errorSummary(reversed.body), /The From date must be on or before the To date/);

    const unknown = await dba.get('/dba/audit?action=made-up');
    assert.equal(unknown.statusCode, 400);
    assert.match(errorSummary(unknown.body), /Select an action from the list, or All actions/);

    const long = await dba.get(`/dba/audit?username=${'x'.repeat(65)}`);
    assert.equal(long.statusCode, 400);
    assert.match(errorSummary(long.body), /Username must be 64 characters or fewer/);

    const csv = await dba.get('/dba/audit.csv?from-day=31&from-month=2&from-year=2026');
    assert.equal(csv.statusCode, 302);
    assert.match(String(csv.headers.location), /^\/dba\/audit\?from-day=31&from-month=2&from-year=2026/);
  });
});
