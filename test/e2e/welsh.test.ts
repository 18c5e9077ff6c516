// In Welsh from the start (issue 13): the header's "Cymraeg" link, signing in, the home page, an error
// summary that takes the focus, and back to English. axe-core checks every page, in both languages;
// every-page.test.ts visits every page in Welsh.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { DEMO_PASSWORD } from '../../src/demo/seed.ts';
import { forJourneys, Journey } from './browser.ts';

describe('Welsh (browser)', () => {
  const running = forJourneys();

  test('a school user switches to Cymraeg, signs in, corrects an error in Welsh, and switches back', async () => {
    const journey = await Journey.open(running.browser, running.service.baseUrl);
    const { page } = journey;
    const htmlLang = () => page.locator('html').getAttribute('lang');

    await page.goto('/sign-in');
    await journey.check();
    assert.equal(await htmlLang(), 'en');
    await page.getByRole('link', { name: 'Newid yr iaith i’r Gymraeg' }).click();
    await journey.check();
    assert.equal(new URL(page.url()).pathname, '/sign-in', 'the same page, in Welsh');
    assert.equal(await htmlLang(), 'cy');
    await assert.doesNotReject(page.getByRole('heading', { name: 'Mewngofnodi', level: 1 }).waitFor());
    assert.equal(
      await page.getByRole('button', { name: 'Dangos cyfrinair' }).isVisible(),
      true,
      "the password input's own button is in Welsh",
    );

    await page.getByLabel('Enw defnyddiwr').fill('demo-school-a');
    await page.getByLabel('Cyfrinair', { exact: true }).fill(DEMO_PASSWORD);
    await page.getByRole('button', { name: 'Mewngofnodi', exact: true }).click();
    await journey.check();
    assert.equal(new URL(page.url()).pathname, '/');
    assert.equal(await htmlLang(), 'cy');
    await assert.doesNotReject(page.getByRole('heading', { name: 'Yn aros amdanoch' }).waitFor());
    const menu = page.getByRole('navigation', { name: 'Dewislen' });
    assert.deepEqual((await menu.getByRole('link').allInnerTexts()).slice(0, 3), [
      'Hafan',
      'Lanlwytho',
      'Lawrlwytho',
    ]);

    await menu.getByRole('link', { name: 'Newid Cyfrinair', exact: true }).click();
    await journey.check();
    await page.getByRole('button', { name: 'Newid cyfrinair' }).click();
    await journey.check();
    const summary = page.locator('.govuk-error-summary');
    assert.match(await summary.innerText(), /Mae problem wedi codi[\s\S]*Rhowch eich cyfrinair presennol/);
    assert.equal(
      await page.evaluate(() => document.activeElement?.classList.contains('govuk-error-summary')),
      true,
      'the focus is moved to the error summary',
    );
    assert.match(await page.title(), /^Gwall: Newid Cyfrinair/);
    await summary.getByRole('link', { name: 'Rhowch eich cyfrinair presennol' }).click();
    assert.equal(
      await page.evaluate(() => document.activeElement?.id),
      'currentPassword',
      'its link leads to the field',
    );

    await page.getByRole('link', { name: 'Change the language to English' }).click();
    await journey.check();
    assert.equal(new URL(page.url()).pathname, '/change-password');
    assert.equal(await htmlLang(), 'en');
    await assert.doesNotReject(page.getByRole('heading', { name: 'Change Password', level: 1 }).waitFor());
    journey.assertEveryPageChecked();
    await journey.close();
  });
});
