// The reflow check (WCAG 1.4.10, which axe-core does not check) must be able to fail, or "every page
// reflows" means nothing: a page wider than 320 CSS pixels fails it, naming what to fix; a wide table in a
// region of its own that keyboard users can scroll does not, nor does a visually hidden text.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import nunjucks from 'nunjucks';
import type { Page } from 'playwright-core';
import { assertAccessible, assertReflows, Journey, launchBrowser, reflowProblems } from './browser.ts';

const STYLES = [
  'node_modules/govuk-frontend/dist/govuk/govuk-frontend.min.css',
  'src/platform/web/public/app.css',
]
  .map((path) => readFileSync(join(import.meta.dirname, '..', '..', path), 'utf8'))
  .join('\n');

/** A GOV.UK page with the service's own styles around `content`, in `language`, after `header`. */
const pageWith = (content: string, language = 'en', header = '') =>
  `<!DOCTYPE html><html lang="${language}" class="govuk-template"><head><title>Reflow</title><style>${STYLES}</style></head>` +
  `<body class="govuk-template__body govuk-frontend-supported">${header}<div class="govuk-width-container"><main class="govuk-main-wrapper" id="main-content">` +
  `<h1 class="govuk-heading-l">Reflow</h1>${content}</main></div></body></html>`;

const WIDE_TABLE =
  '<table class="govuk-table" id="wide"><caption class="govuk-table__caption">Files</caption><thead class="govuk-table__head"><tr class="govuk-table__row">' +
  ['File name', 'Uploaded by', 'Uploaded on', 'Pupils', 'Status', 'Downloaded on']
    .map((heading) => `<th scope="col" class="govuk-table__header">${heading}</th>`)
    .join('') +
  '</tr></thead><tbody class="govuk-table__body"><tr class="govuk-table__row">' +
  ['9165402_CTF_8171234_001.XML', 'demo-school-a', '6 December 2026', '1', 'Awaiting download', 'Not yet']
    .map((cell) => `<td class="govuk-table__cell">${cell}</td>`)
    .join('') +
  // A link's visually hidden words: positioned, so they scroll with the table only in a positioned region.
  '<td class="govuk-table__cell"><a class="govuk-link" href="#">View<span class="govuk-visually-hidden"> 9165402_CTF_8171234_001.XML</span></a></td>' +
  '</tr></tbody></table>';

/** Runs `steps` on a page of a browser of its own, which is closed afterwards whatever happens. */
async function onPage(steps: (page: Page) => Promise<void>): Promise<void> {
  const browser = await launchBrowser();
  try {
    await steps(await (await browser.newContext()).newPage());
  } finally {
    await browser.close();
  }
}

test('a table wider than 320 pixels fails the reflow check, which names it; in a scroll region it passes', async () => {
  await onPage(async (page) => {
    await page.setContent(pageWith(WIDE_TABLE));
    const [problem, ...others] = await reflowProblems(page);
    assert.match(
      problem ?? '',
      /the page scrolls sideways: \d+ px wide in 320; <table#wide\.govuk-table> "Files File name/,
    );
    assert.deepEqual(others, []);
    await assert.rejects(assertReflows(page), /reflow at 320 CSS pixels[\s\S]*<table#wide/);
    assert.deepEqual(page.viewportSize(), { width: 1280, height: 720 }, 'the viewport is restored');
    assert.equal(await page.evaluate(() => innerWidth), 1280, 'the page is laid out at its own width again');

    await page.setContent(
      pageWith(
        `<div class="s2s-table-scroll" tabindex="0" role="region" aria-label="Files: the table scrolls sideways">${WIDE_TABLE}</div>`,
      ),
    );
    await assertReflows(page);
    await assertAccessible(page);
  });
});

test('a long word that does not wrap fails the reflow check; in the service’s styles it wraps; visually hidden, it does not count', async () => {
  await onPage(async (page) => {
    // An address with no hyphen, after which a line may break.
    const long = 'someone.with.a.long.name@aschoolwithalongname.example.sch.uk';
    await page.setContent(
      pageWith(`<p class="govuk-body" id="email" style="overflow-wrap: normal">Sent to ${long}</p>`),
    );
    await assert.rejects(assertReflows(page), /<p#email\.govuk-body> "Sent to someone/);
    await page.setContent(pageWith(`<p class="govuk-body">Sent to ${long}</p>`));
    await assertReflows(page);
    await page.setContent(
      pageWith(`<p class="govuk-body"><span class="govuk-visually-hidden">${long} ${long}</span>Sent</p>`),
    );
    await assertReflows(page);
  });
});

test('a box that scrolls sideways but that keyboard users cannot reach fails, though the page fits', async () => {
  await onPage(async (page) => {
    await page.setContent(
      pageWith(`<div style="overflow-x: auto; position: relative" class="s2s-unnamed">${WIDE_TABLE}</div>`),
    );
    assert.deepEqual(await reflowProblems(page), [
      '<div.s2s-unnamed> "Files File name Uploaded by Uploaded on…" scrolls sideways but is not a region keyboard users can scroll (tabindex="0" role="region" aria-label)',
    ]);
    // Focusable, but with neither the role nor a name: still not the pattern.
    await page.setContent(pageWith(`<div class="s2s-table-scroll" tabindex="0">${WIDE_TABLE}</div>`));
    await assert.rejects(assertReflows(page), /scrolls sideways but is not a region/);
  });
});

test('a journey checks that each page it visits reflows', async () => {
  const browser = await launchBrowser();
  try {
    const journey = await Journey.open(browser, 'http://127.0.0.1');
    await journey.page.setContent(pageWith(WIDE_TABLE));
    await assert.rejects(journey.check(), /reflow at 320 CSS pixels[\s\S]*<table#wide/);
    await journey.close();
  } finally {
    await browser.close();
  }
});

test('a journey measures a page again in another language: the same structure with longer words may not fit', async () => {
  const browser = await launchBrowser();
  try {
    const journey = await Journey.open(browser, 'http://127.0.0.1');
    // A word in a box that does not let it break: short in English, too long in Welsh.
    const word = (text: string) => `<p class="govuk-body" style="overflow-wrap: normal">${text}</p>`;
    await journey.page.setContent(pageWith(word('Files')));
    await journey.check();
    await journey.page.setContent(pageWith(word('Files'.repeat(2))));
    await journey.check(); // Other words in the same language: the same verdict.
    await journey.page.setContent(pageWith(word('Ffeiliau'.repeat(8)), 'cy'));
    await assert.rejects(journey.check(), /reflow at 320 CSS pixels[\s\S]*<p\.govuk-body> "FfeiliauFfeiliau/);
    await journey.close();
  } finally {
    await browser.close();
  }
});

/** The GOV.UK header's menu, as the service's pages have it, with `items` (`html`: words as given). */
function serviceNavigation(items: { html: string }[]): string {
  const govuk = new nunjucks.Environment(
    new nunjucks.FileSystemLoader(
      join(import.meta.dirname, '..', '..', 'node_modules', 'govuk-frontend', 'dist'),
    ),
  );
  return govuk.renderString(
    '{% from "govuk/components/service-navigation/macro.njk" import govukServiceNavigation %}' +
      '{{ govukServiceNavigation({ serviceName: "s2s", serviceUrl: "/", navigation: items, menuButtonText: "Menu" }) }}',
    { items: items.map((item) => ({ ...item, href: '#' })) },
  );
}

test('a journey opens the menu at 320 pixels, once for each menu in each language: an item too wide fails only open', async () => {
  const browser = await launchBrowser();
  try {
    const journey = await Journey.open(browser, 'http://s2s.test');
    const { page } = journey;
    // The pages, and GOV.UK Frontend's script that works the menu's button, as the service serves them.
    const script = readFileSync(
      join(
        import.meta.dirname,
        '..',
        '..',
        'node_modules',
        'govuk-frontend',
        'dist',
        'govuk',
        'govuk-frontend.min.js',
      ),
    );
    let html = '';
    await page.route('http://s2s.test/**', (route) =>
      route.request().url().endsWith('.js')
        ? route.fulfill({ contentType: 'text/javascript', body: script })
        : route.fulfill({ contentType: 'text/html', body: html }),
    );
    const menuPage = async (items: string[], language = 'en', content = '<p class="govuk-body">Home</p>') => {
      html = pageWith(
        `${content}<script type="module">import { initAll } from '/govuk-frontend.min.js'; initAll();</script>`,
        language,
        serviceNavigation(items.map((item) => ({ html: item }))),
      );
      await page.goto(`http://s2s.test/${Math.random()}`);
    };
    const tooWide = '<span style="overflow-wrap: normal">Unbreakablewordsthatnomenushouldhaveinit</span>';
    await menuPage(['Home', 'Messages']);
    assert.deepEqual(await reflowProblems(page, { openMenu: true }), []);
    await menuPage(['Home', tooWide]);
    assert.deepEqual(await reflowProblems(page), [], 'the menu closed, the item is not shown');
    const [problem, ...others] = await reflowProblems(page, { openMenu: true });
    assert.match(
      problem ?? '',
      /^with the menu open, the page scrolls sideways: .*<nav\.govuk-service-navigation__wrapper> "Menu Home Unbreakablewords/,
    );
    assert.deepEqual(others, []);
    assert.equal(
      await page.locator('.govuk-service-navigation__toggle').getAttribute('aria-expanded'),
      'false',
      'the menu is closed again',
    );
    await assert.rejects(journey.check(), /with the menu open/);

    // Checked once for each menu in each language: another page with the same menu does not open it again.
    await menuPage(['Home', 'Messages'], 'cy');
    await journey.check();
    await menuPage(
      ['Home', 'Messages'],
      'cy',
      '<p class="govuk-body">Another page</p><p class="govuk-body">Two</p>',
    );
    let opened = 0;
    await page.exposeFunction('menuOpened', () => {
      opened += 1;
    });
    await page.evaluate(() =>
      document
        .querySelector('.govuk-service-navigation__toggle')
        ?.addEventListener('click', () => (window as unknown as { menuOpened: () => void }).menuOpened()),
    );
    await journey.check();
    assert.equal(opened, 0, 'the Welsh menu was opened on the page before');
    await journey.close();
  } finally {
    await browser.close();
  }
});
