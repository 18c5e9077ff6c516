// The warning before signing out for want of use (WCAG 2.2.1 Timing Adjustable; decision 67), on a
// service of its own whose sessions go idle after 15 seconds (SESSION_IDLE_MINUTES=0.25), so the warning
// comes 7 seconds before: time enough for a check of the page and a click on a busy machine, and the test
// waits half as long as it did at 30 seconds. Playwright waits for each dialog as a user would; nothing
// sleeps.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Page } from 'playwright-core';
import { forJourneys, signedInAs, startService } from './browser.ts';

const IDLE_MINUTES = 0.25;
/** Long enough for any dialog to come: twice the idle time. */
const WAIT = { timeout: IDLE_MINUTES * 60_000 * 2 };

const warning = (page: Page) => page.getByRole('dialog', { name: 'You will be signed out soon' });
const signedOut = (page: Page) => page.getByRole('dialog', { name: 'You have been signed out' });

describe('the warning before signing out (browser)', () => {
  const running = forJourneys(() => startService({ SESSION_IDLE_MINUTES: String(IDLE_MINUTES) }));

  test('an LA user typing a template is warned, stays signed in, and once signed out keeps what they typed', async () => {
    const journey = await signedInAs(running.browser, running.service, 'demo-la-user');
    const { page } = journey;

    // Typing a template, the user is warned before the session ends.
    await page.goto('/message-templates/add');
    await journey.check();
    await page.getByLabel('Template Name').fill('Timeout (e2e)');
    await page.getByLabel('Description').fill('Written slowly');
    const text = page.getByLabel('Text', { exact: true });
    await text.fill('A long message, typed over half an hour.');
    await warning(page).waitFor(WAIT);
    assert.match(
      await warning(page).innerText(),
      /You will be signed out in 1 minute unless you stay signed in\. Anything you have typed and not saved would be lost\./,
    );
    assert.equal(
      await warning(page).getByRole('link', { name: 'Sign out' }).getAttribute('href'),
      '/sign-out',
    );
    await journey.check();

    // Staying signed in closes the warning; what was typed is there, and the form is still accepted.
    await warning(page).getByRole('button', { name: 'Stay signed in' }).click();
    await warning(page).waitFor({ state: 'hidden' });
    assert.equal(await text.inputValue(), 'A long message, typed over half an hour.');
    await page.getByRole('group', { name: 'Who can use this template?' }).getByLabel('My LA').check();
    await page.getByRole('button', { name: 'Add', exact: true }).click();
    await journey.check();
    assert.match(new URL(page.url()).pathname, /^\/message-templates\/[^/]+$/);
    assert.match(await page.locator('.govuk-notification-banner--success').innerText(), /has been added/);

    // Another form: Escape at the warning stays signed in too (the warning comes again, not the end).
    await page.goto('/message-templates/add');
    await journey.check();
    await text.fill('Another message, never sent.');
    await warning(page).waitFor(WAIT);
    await page.keyboard.press('Escape');
    await warning(page).waitFor({ state: 'hidden' });
    await warning(page).waitFor(WAIT);

    // Left alone, the session ends: the page says so and stays, with what was typed.
    await signedOut(page).waitFor(WAIT);
    assert.match(
      await signedOut(page).innerText(),
      /You had not used s2s for a while\. Copy anything you typed that you want to keep, then sign in again\./,
    );
    assert.equal(
      await signedOut(page).getByRole('link', { name: 'Sign in again' }).getAttribute('href'),
      '/sign-in?expired=1',
    );
    await journey.check();
    assert.equal(new URL(page.url()).pathname, '/message-templates/add', 'the page is not left');
    await signedOut(page).getByRole('button', { name: 'Close' }).click();
    await signedOut(page).waitFor({ state: 'hidden' });
    assert.equal(await text.inputValue(), 'Another message, never sent.');
    await text.selectText(); // the page can be used again, to copy from

    // Sending the form now asks the user to sign in again, saying why.
    await page.getByRole('button', { name: 'Add', exact: true }).click();
    await journey.check();
    assert.equal(new URL(page.url()).pathname, '/sign-in');
    assert.match(await page.locator('main').innerText(), /signed out because you had not used s2s/);
    journey.assertEveryPageChecked();
    await journey.close();
  });
});
