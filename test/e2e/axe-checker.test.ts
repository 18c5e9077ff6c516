// The accessibility check itself must be able to fail, or every journey's "no violations" means nothing;
// nor may passing over a page built like one already checked hide a page built differently.
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

test('a page built like one already passed is passed over; one built differently is checked, and can fail', async () => {
  const browser = await launchBrowser();
  try {
    const journey = await Journey.open(browser, 'http://127.0.0.1');
    const form = (words: string, labelFor: string, inputId: string) =>
      `<html lang="en"><head><title>${words}</title></head><body><main><h1>${words}</h1><label for="${labelFor}">${words}</label><input type="text" id="${inputId}"></main></body></html>`;
    const first = 'f-5b0e2c9a-3f4d-4e8a-9c1b-2d3e4f5a6b7c';
    const second = 'f-0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d';
    await journey.page.setContent(form('Name of pupil 12', first, first));
    await journey.checkUnlessSameStructure();
    // Other words, other ids in the same places: the same structure.
    await journey.page.setContent(form('Nom 345', second, second));
    await journey.checkUnlessSameStructure();
    // The label names one uuid and the input has another: no longer the same structure, so axe runs.
    await journey.page.setContent(form('Name of pupil 12', first, second));
    await assert.rejects(journey.checkUnlessSameStructure(), /label/);
    await journey.close();
  } finally {
    await browser.close();
  }
});

test('a page in Welsh is built like the same page in English; an attribute a translation left empty is not', async () => {
  const browser = await launchBrowser();
  try {
    const journey = await Journey.open(browser, 'http://127.0.0.1');
    const page = (lang: string, words: { title: string; close: string; search: string }) =>
      `<html lang="${lang}"><head><title>${words.title}</title></head><body><main><h1>${words.title}</h1>` +
      `<button type="button" aria-label="${words.close}"><svg aria-hidden="true" width="10" height="10"></svg></button>` +
      `<input type="search" title="${words.search}"></main></body></html>`;
    const english = page('en', { title: 'Messages', close: 'Close', search: 'Search messages' });
    const welsh = page('cy', { title: 'Negeseuon', close: 'Cau', search: 'Chwilio negeseuon' });
    const emptied = page('cy', { title: 'Negeseuon', close: '', search: 'Chwilio negeseuon' });
    const structureOf = async (html: string) => {
      await journey.page.setContent(html);
      return pageStructure(journey.page);
    };
    assert.equal(await structureOf(welsh), await structureOf(english));
    assert.notEqual(await structureOf(emptied), await structureOf(english));
    await journey.page.setContent(english);
    await journey.checkUnlessSameStructure();
    await journey.page.setContent(welsh);
    await journey.checkUnlessSameStructure();
    // The button has lost its name: a page built differently, so axe runs on it and finds that.
    await journey.page.setContent(emptied);
    await assert.rejects(journey.checkUnlessSameStructure(), /button-name/);
    await journey.close();
  } finally {
    await browser.close();
  }
});
