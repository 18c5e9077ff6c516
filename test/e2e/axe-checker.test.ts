// The accessibility check itself must be able to fail, or every journey's "no violations" means nothing;
// nor may passing over a page built like one already checked hide a page built differently, or a menu.
// The same check fails on a page whose script throws, or whose Content Security Policy blocks something.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { assertAccessible, Journey, launchBrowser, pageStructure } from './browser.ts';

test('the axe check fails on a page with an unlabelled input and an image without alt text', async () => {
  const browser = await launchBrowser();
  try {
    const page = await browser.newPage();
    await page.setContent(
      '<html lang="en"><head><title>t</title></head><body><main><img src="x.png"><input type="text"></main></body></html>',
    );
    await assert.rejects(assertAccessible(page), /image-alt[\s\S]*label|label[\s\S]*image-alt/);
  } finally {
    await browser.close();
  }
});

/** Runs `steps` in a journey of a browser of its own, which is closed afterwards whatever happens. */
async function inJourney(steps: (journey: Journey) => Promise<void>): Promise<void> {
  const browser = await launchBrowser();
  try {
    const journey = await Journey.open(browser, 'http://127.0.0.1');
    await steps(journey);
    await journey.close();
  } finally {
    await browser.close();
  }
}

/** The structures (`pageStructure`) of `html` shown in the journey's page. */
async function structureOf(journey: Journey, html: string): Promise<string[]> {
  await journey.page.setContent(html);
  return pageStructure(journey.page);
}

test('a page built like one already passed is passed over; one built differently is checked, and can fail', async () => {
  await inJourney(async (journey) => {
    const form = (words: string, labelFor: string, inputId: string) =>
      `<html lang="en"><head><title>${words}</title></head><body><main><h1>${words}</h1><label for="${labelFor}">${words}</label><input type="text" id="${inputId}"></main></body></html>`;
    const first = 'f-5b0e2c9a-3f4d-4e8a-9c1b-2d3e4f5a6b7c';
    const second = 'f-0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d';
    await journey.page.setContent(form('Name of pupil 12', first, first));
    await journey.check();
    // Other words, other ids in the same places: the same structure.
    await journey.page.setContent(form('Nom 345', second, second));
    await journey.check();
    // The label names one uuid and the input has another: no longer the same structure, so axe runs.
    await journey.page.setContent(form('Name of pupil 12', first, second));
    await assert.rejects(journey.check(), /label/);
  });
});

test('a page in Welsh is built like the same page in English; an attribute a translation left empty is not', async () => {
  await inJourney(async (journey) => {
    const page = (lang: string, words: { title: string; close: string; search: string }) =>
      `<html lang="${lang}"><head><title>${words.title}</title></head><body><main><h1>${words.title}</h1>` +
      `<button type="button" aria-label="${words.close}"><svg aria-hidden="true" width="10" height="10"></svg></button>` +
      `<input type="search" title="${words.search}"></main></body></html>`;
    const english = page('en', { title: 'Messages', close: 'Close', search: 'Search messages' });
    const welsh = page('cy', { title: 'Negeseuon', close: 'Cau', search: 'Chwilio negeseuon' });
    const emptied = page('cy', { title: 'Negeseuon', close: '', search: 'Chwilio negeseuon' });
    const englishStructure = await structureOf(journey, english);
    assert.deepEqual(await structureOf(journey, welsh), englishStructure);
    assert.notDeepEqual(await structureOf(journey, emptied), englishStructure);
    await journey.page.setContent(english);
    await journey.check();
    await journey.page.setContent(welsh);
    await journey.check();
    // The button has lost its name: a page built differently, so axe runs on it and finds that.
    await journey.page.setContent(emptied);
    await assert.rejects(journey.check(), /button-name/);
  });
});

test('the menu is checked once for each way it is built, whichever page it is on and whichever item is marked', async () => {
  await inJourney(async (journey) => {
    const item = (href: string, words: string, current: boolean) =>
      `<li class="govuk-service-navigation__item${current ? ' govuk-service-navigation__item--active' : ''}">` +
      `<a class="govuk-service-navigation__link" href="${href}"${current ? ' aria-current="page"' : ''}>${words}</a></li>`;
    const page = (heading: string, items: string[]) =>
      `<html lang="en"><head><title>${heading}</title><style>a { display: inline-block; padding: 12px; }</style></head><body>` +
      `<section aria-label="Service information"><div class="govuk-service-navigation__wrapper">` +
      // The button that shows the menu at narrow widths, as on the service's pages (the reflow check opens it).
      `<button type="button" class="govuk-service-navigation__toggle" aria-controls="menu">Menu</button>` +
      `<nav aria-label="Menu"><ul id="menu">${items.join('')}</ul></nav></div></section>` +
      `<main><h1>${heading}</h1></main></body></html>`;
    const onHome = page('Home', [item('/', 'Home', true), item('/upload', 'Upload', false)]);
    const onUpload = page('Upload', [item('/', 'Home', false), item('/upload', 'Upload', true)]);
    const [, homeMenu] = await structureOf(journey, onHome);
    const [, uploadMenu] = await structureOf(journey, onUpload);
    assert.ok(homeMenu, 'the menu has a structure of its own');
    assert.equal(uploadMenu, homeMenu, 'the same menu with the page’s own item marked');
    await journey.page.setContent(onHome);
    await journey.check();
    // The same page, with a menu whose second link has no words: a menu built differently, so axe runs.
    await journey.page.setContent(page('Home', [item('/', 'Home', true), item('/upload', '', false)]));
    await assert.rejects(journey.check(), /link-name/);
  });
});

test('a page whose script throws, or whose policy blocks a script or a style, fails its check', async () => {
  await inJourney(async (journey) => {
    const page = (head: string, body: string) =>
      `<html lang="en"><head><title>Scripts</title>${head}</head><body><main><h1>Scripts</h1>${body}</main></body></html>`;
    await journey.page.setContent(page('', '<script>document.title = "Scripts";</script>'));
    await journey.check();
    await journey.page.setContent(page('', '<script>undefinedFunction();</script>'));
    await assert.rejects(journey.check(), /undefinedFunction is not defined/);
    // The next page is checked afresh: the error was the last page's.
    await journey.page.setContent(page('', ''));
    await journey.check();
    const policy = (directives: string) =>
      `<meta http-equiv="Content-Security-Policy" content="${directives}">`;
    await journey.page.setContent(
      page(policy("script-src 'none'"), '<script>document.title = "x";</script>'),
    );
    await assert.rejects(journey.check(), /Content Security Policy/);
    await journey.page.setContent(page(policy("style-src 'none'"), '<style>h1 { color: #0b0c0c; }</style>'));
    await assert.rejects(journey.check(), /Content Security Policy/);
  });
});
