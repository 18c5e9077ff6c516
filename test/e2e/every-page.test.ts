// Every page a user can reach by following links (issue 13: "axe-core clean on every page in both
// languages"): for each kind of user, in English and in Welsh, the menu, the pages of its sections and
// the links on each page (a message, a file's pupils, a report's detail...), each kind of page once.
// So that those pages have something to show, a school uploads a CTF for demo-school-a (its result page
// is checked too) and messages wait in the users' inboxes. axe-core checks every page visited, and each is
// laid out 320 CSS pixels wide, where it must not scroll sideways (WCAG 1.4.10 Reflow; a page that differs
// only in its words from one already checked, as the same page does for each user and in the other
// language, passes with it: `pageStructure` in ./browser.ts), and each is in the language chosen.
// The Welsh crawl, after the English one, passes over a user's page that was built in English like a
// page another user has already been shown in Welsh (the same template, other names and numbers: its
// Welsh would be checked alike), following that page's links as the English crawl found them; so every
// kind of page each user reaches is still shown in Welsh, or one built like it.
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import type { Page } from 'playwright-core';
import { findUserByUsername } from '../../src/accounts/repository.ts';
import { makeUpn } from '../../src/ctf/upn.ts';
import { DEMO_PASSWORD } from '../../src/demo/seed.ts';
import type { Db, UserRow } from '../../src/platform/db/schema.ts';
import type { Language } from '../../src/platform/i18n/catalogue.ts';
import { ctfBetween } from '../fixtures/ctf/generate.ts';
import { mailboxOfUser, makeMessage } from '../support/messages.ts';
import { forJourneys, Journey } from './browser.ts';

// Between them these users have every item of the menu (src/auth/menu.ts).
/** The pupil of the CTF demo-school-b (8171234) sends demo-school-a (9165402) before each crawl. */
const NIA = {
  upn: makeUpn('817', '1234', '19', '007'),
  surname: 'Bevan',
  forename: 'Nia',
  dob: '2016-05-04',
  sex: 'F',
} as const;

const USERS = ['demo-school-a', 'demo-la-dba', 'demo-la-lost-transfer', 'demo-admin', 'demo-collector'];

/**
 * Links that do not lead to a page: downloads (CSV, zip, a file's content, the API description),
 * signing out (which would end the crawl) and the language switch (the language is the test's).
 */
const NOT_A_PAGE = [
  /\/csv$/,
  /\.(csv|zip|json)$/,
  /[?&]format=csv/,
  /\/file$/,
  /\/content$/,
  /^\/sign-out/,
  /[?&]lang=/,
];

/**
 * One visit per kind of page: the same route with another id (a uuid or a number in the path) or
 * other query values (another sort order, another page of results) is the same template.
 */
function kindOfPage(href: string): string {
  const url = new URL(href, 'http://s2s.invalid');
  const path = url.pathname
    .split('/')
    .map((segment) => (/^[0-9a-f-]{36}$|^\d+$/i.test(segment) ? ':id' : segment))
    .join('/');
  return `${path}?${[...new Set(url.searchParams.keys())].sort().join('&')}`;
}

/**
 * The service's own pages linked from the page now shown: the menu and the main content. One call into
 * the page: each locator call is a round trip to the browser (a locator's getAttribute took about 50 ms
 * a page, an eighth of the crawl).
 */
async function linksOn(page: Page): Promise<string[]> {
  const hrefs = await page.evaluate(() =>
    [...document.querySelectorAll<HTMLAnchorElement>('nav a[href], main a[href]')].map((a) => a.href),
  );
  return hrefs
    .map((href) => new URL(href))
    .filter((url) => url.origin === new URL(page.url()).origin)
    .map((url) => `${url.pathname}${url.search}`)
    .filter((href) => !NOT_A_PAGE.some((pattern) => pattern.test(href)));
}

async function demoUser(db: Db, username: string): Promise<UserRow> {
  const user = await findUserByUsername(db, username);
  assert.ok(user, `${username} is a demo user`);
  return user;
}

async function signInIn(journey: Journey, language: Language, username: string): Promise<void> {
  const { page } = journey;
  await page.goto(`/sign-in?lang=${language}`);
  await journey.check();
  await page.locator('#username').fill(username);
  await page.locator('#password').fill(DEMO_PASSWORD);
  await page.locator('form[action="/sign-in"] button[type=submit]').click();
  await journey.check();
  assert.equal(new URL(page.url()).pathname, '/', `${username} is signed in`);
}

/** What the crawl found on a user's page of a kind: how the page was built, and its links. */
interface Found {
  structure: string;
  links: string[];
}

describe('every page (browser)', () => {
  const running = forJourneys();
  /** Each user's pages in the English crawl, by kind (`kindOfPage`). */
  const inEnglish = new Map<string, Map<string, Found>>();

  before(async () => {
    const school = await demoUser(running.db, 'demo-school-a');
    const la = await demoUser(running.db, 'demo-la-dba');
    const lostPupilsOfficer = await demoUser(running.db, 'demo-la-lost-transfer');
    await makeMessage(running.db, la, [mailboxOfUser(school)], { description: 'Census reminder' });
    await makeMessage(running.db, school, [mailboxOfUser(la), mailboxOfUser(lostPupilsOfficer)], {
      description: 'A pupil who left',
    });
  });

  for (const language of ['en', 'cy'] as const) {
    test(`every page each kind of user can reach passes axe and reflows, in ${language === 'en' ? 'English' : 'Welsh'}`, async () => {
      // The messages wait unread in each language, as they did in the other (opening one marks it read):
      // the notice of new messages is then on the same pages, so those are built alike in both languages.
      await running.db.updateTable('message_recipients').set({ read_at: null, read_by: null }).execute();
      const sender = await Journey.open(running.browser, running.service.baseUrl);
      await signInIn(sender, language, 'demo-school-b');
      await sender.page.goto('/upload/ctf');
      await sender.check();
      await sender.page.locator('input[type=file]').setInputFiles({
        name: `8171234_CTF_9165402_${language === 'en' ? '001' : '002'}.XML`,
        mimeType: 'text/xml',
        buffer: Buffer.from(ctfBetween('8171234', '9165402', [NIA])),
      });
      await sender.page.locator('main form button[type=submit]').click();
      await sender.check();
      assert.equal(await sender.page.locator('html').getAttribute('lang'), language, 'the upload result');
      sender.assertEveryPageChecked();
      await sender.close();

      /** The English structures of the pages shown in this language (in Welsh, after English). */
      const shownBuiltAs = new Set<string>();
      let passedOver = 0;
      for (const username of USERS) {
        const journey = await Journey.open(running.browser, running.service.baseUrl);
        const { page } = journey;
        await signInIn(journey, language, username);
        const toVisit = await linksOn(page);
        const visited = new Map<string, string>();
        const found = new Map<string, Found>();
        const english = language === 'en' ? undefined : inEnglish.get(username);
        for (let href = toVisit.shift(); href !== undefined; href = toVisit.shift()) {
          const kind = kindOfPage(href);
          if (visited.has(kind)) continue;
          visited.set(kind, href);
          const builtAs = english?.get(kind);
          if (builtAs && shownBuiltAs.has(builtAs.structure)) {
            passedOver += 1;
            toVisit.push(...builtAs.links);
            continue;
          }
          const response = await page.goto(href);
          // Another user's page of the same kind, or the Welsh one of an English page, is checked only when
          // it is built differently (more columns, other buttons for that role), not for its other words.
          const structure = await journey.check();
          assert.equal(response?.status(), 200, `${username}: ${href}`);
          const lang = await page.evaluate(() => document.documentElement.getAttribute('lang'));
          assert.equal(lang, language, `${username}: ${href}`);
          const links = await linksOn(page);
          toVisit.push(...links);
          if (language === 'en') found.set(kind, { structure, links });
          shownBuiltAs.add(builtAs?.structure ?? structure);
        }
        if (language === 'en') inEnglish.set(username, found);
        assert.ok(visited.size > 5, `${username} visited ${[...visited.values()].join(' ')}`);
        journey.assertEveryPageChecked();
        await journey.close();
      }
      if (language === 'cy' && inEnglish.size > 0) assert.ok(passedOver > 0, 'pages built alike passed over');
    });
  }
});
