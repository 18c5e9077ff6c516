// The reflow check (WCAG 1.4.10, which axe-core does not check) must be able to fail, or "every page
// reflows" means nothing: a page wider than 320 CSS pixels fails it, naming what to fix; a wide table in a
// region of its own that keyboard users can scroll does not, nor does a visually hidden text.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import type { Page } from 'playwright-core';
import { assertAccessible, assertReflows, Journey, launchBrowser, reflowProblems } from './browser.ts';

const STYLES = [
  'node_modules/govuk-frontend/dist/govuk/govuk-frontend.min.css',
  'src/platform/web/public/app.css',
]
  .map((path) => readFileSync(join(import.meta.dirname, '..', '..', path), 'utf8'))
  .join('\n');

/** A GOV.UK page with the service's own styles around `content`. */
const pageWith = (content: string) =>
  `<!DOCTYPE html><html lang="en" class="govuk-template"><head><title>Reflow</title><style>${STYLES}</style></head>` +
  '<body class="govuk-template__body"><div class="govuk-width-container"><main class="govuk-main-wrapper" id="main-content">' +
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
