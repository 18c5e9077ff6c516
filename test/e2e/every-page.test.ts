// Every page a user can reach by following links (issue 13: "axe-core clean on every page in both
// languages"): for each kind of user, in English and in Welsh, the menu, the pages of its sections and
// the links on each page (a message, a file's pupils, a report's detail...), each kind of page once.
// axe-core checks every page visited, and each is in the language chosen.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Page } from 'playwright-core';
import { DEMO_PASSWORD } from '../../src/demo/seed.ts';
import type { Language } from '../../src/platform/i18n/catalogue.ts';
import { forJourneys, Journey } from './browser.ts';

// Between them these users have every item of the menu (src/auth/menu.ts).
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

/** The service's own pages linked from the page now shown: the menu and the main content. */
async function linksOn(page: Page): Promise<string[]> {
  const hrefs = await page
    .locator('nav a[href], main a[href]')
    .evaluateAll((links) => links.map((a) => (a as HTMLAnchorElement).href));
  return hrefs
    .map((href) => new URL(href))
    .filter((url) => url.origin === new URL(page.url()).origin)
    .map((url) => `${url.pathname}${url.search}`)
    .filter((href) => !NOT_A_PAGE.some((pattern) => pattern.test(href)));
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

describe('every page (browser)', () => {
  const running = forJourneys();

  for (const language of ['en', 'cy'] as const) {
    test(`every page each kind of user can reach passes axe, in ${language === 'en' ? 'English' : 'Welsh'}`, async () => {
      for (const username of USERS) {
        const journey = await Journey.open(running.browser, running.service.baseUrl);
        const { page } = journey;
        await signInIn(journey, language, username);
        const toVisit = await linksOn(page);
        const visited = new Map<string, string>();
        for (let href = toVisit.shift(); href !== undefined; href = toVisit.shift()) {
          const kind = kindOfPage(href);
          if (visited.has(kind)) continue;
          visited.set(kind, href);
          const response = await page.goto(href);
          await journey.check();
          assert.equal(response?.status(), 200, `${username}: ${href}`);
          assert.equal(await page.locator('html').getAttribute('lang'), language, `${username}: ${href}`);
          toVisit.push(...(await linksOn(page)));
        }
        assert.ok(visited.size > 5, `${username} visited ${[...visited.values()].join(' ')}`);
        journey.assertEveryPageChecked();
        await journey.close();
      }
    });
  }
});
