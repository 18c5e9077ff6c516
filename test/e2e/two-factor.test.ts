// Two-factor sign-in in Chromium: a user sets it up by reading the key from the page, signs out, signs in
// with a code from "their app" (computed here from the key), then with a recovery code; their LA's DBA
// resets it. Every page is checked with axe.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { totpCodeAt } from '../../src/auth/two-factor-secrets.ts';
import { DEMO_PASSWORD } from '../../src/demo/seed.ts';
import { makeUser, TEST_PASSWORD } from '../support/factories.ts';
import {
  forJourneys,
  Journey,
  menuLink,
  type RunningService,
  signedInAs,
  signIn,
  startService,
} from './browser.ts';

async function signOut(journey: Journey): Promise<void> {
  await journey.page.getByRole('link', { name: 'Logoff' }).click();
  await journey.check();
  await journey.page.getByRole('button', { name: 'Logoff' }).click();
  await journey.check();
}

describe('two-factor sign-in (browser)', () => {
  const running = forJourneys();

  test('a user sets it up with a QR code or key, signs in with a code and with a recovery code; their DBA resets it', async () => {
    const user = await makeUser(running.db, 'la_user', { laNumber: '916' }, { full_name: 'Tess Factor' });
    const journey = await Journey.open(running.browser, running.service.baseUrl);
    const { page } = journey;
    await signIn(journey, user.username, TEST_PASSWORD);
    assert.equal(new URL(page.url()).pathname, '/');

    await menuLink(page, 'Two-factor sign-in').click();
    await journey.check();
    assert.match(await page.locator('main').innerText(), /not set up for your account/);
    await page.getByRole('button', { name: 'Set up two-factor sign-in' }).click();
    await journey.check();
    assert.equal(await page.getByRole('img', { name: 'QR code for your authenticator app' }).count(), 1);
    const secret = (await page.locator('#secret').innerText()).replace(/\s/g, '');
    assert.match(secret, /^[A-Z2-7]{32}$/);

    await page.getByLabel('Code', { exact: true }).fill('000000');
    await page.getByRole('button', { name: 'Turn on two-factor sign-in' }).click();
    await journey.check();
    assert.match(await page.locator('.govuk-error-summary').innerText(), /The code is not correct/);
    await page.getByLabel('Code', { exact: true }).fill(await totpCodeAt(secret, new Date()));
    await page.getByRole('button', { name: 'Turn on two-factor sign-in' }).click();
    await journey.check();
    await assert.doesNotReject(page.getByRole('heading', { name: 'Your recovery codes' }).waitFor());
    const codes = await page.locator('.s2s-recovery-codes code').allInnerTexts();
    assert.equal(codes.length, 10);
    await page.getByRole('button', { name: 'I have saved my recovery codes' }).click();
    await journey.check();
    assert.equal(new URL(page.url()).pathname, '/');
    await signOut(journey);

    // The password, then a code. The code used to set it up cannot be used again, so "the app" gives the
    // code of the next 30-second step (accepted: one step either side of now).
    await signIn(journey, user.username, TEST_PASSWORD);
    assert.equal(new URL(page.url()).pathname, '/sign-in/two-factor');
    await page
      .getByLabel('Code', { exact: true })
      .fill(await totpCodeAt(secret, new Date(Date.now() + 30_000)));
    await page.getByRole('button', { name: 'Continue' }).click();
    await journey.check();
    assert.equal(new URL(page.url()).pathname, '/');
    assert.match(await page.locator('.s2s-signed-in').innerText(), new RegExp(user.username));
    await signOut(journey);

    // The password, then a recovery code.
    await signIn(journey, user.username, TEST_PASSWORD);
    await page.getByRole('link', { name: 'Use one of your recovery codes' }).click();
    await journey.check();
    await page.getByLabel('Recovery code').fill(codes[3] ?? '');
    await page.getByRole('button', { name: 'Continue' }).click();
    await journey.check();
    assert.equal(new URL(page.url()).pathname, '/');
    assert.match(
      await page.locator('.govuk-notification-banner').innerText(),
      /You signed in with a recovery code, which cannot be used again. You have 9 recovery codes left/,
    );
    await menuLink(page, 'Two-factor sign-in').click();
    await journey.check();
    assert.match(await page.locator('main').innerText(), /Recovery codes left\s+9 of 10/);
    await signOut(journey);
    journey.assertEveryPageChecked();
    await journey.close();

    // The LA's DBA resets it from the user's page.
    const dba = await signedInAs(running.browser, running.service, 'demo-la-dba');
    await dba.page.goto(`/dba/users/${user.id}`);
    await dba.check();
    assert.match(await dba.page.locator('main').innerText(), /Set up on .*9 recovery codes left/);
    await dba.page.getByRole('link', { name: /Reset two-factor sign-in/ }).click();
    await dba.check();
    await dba.page.getByRole('button', { name: 'Reset two-factor sign-in' }).click();
    await dba.check();
    assert.match(await dba.page.locator('.govuk-notification-banner').innerText(), /has been reset/);
    assert.match(await dba.page.locator('main').innerText(), /Two-factor sign-in\s+Not set up/);
    dba.assertEveryPageChecked();
    await dba.close();

    // Its role may go without it (and TWO_FACTOR_REQUIRED is off here): the password alone signs in.
    const again = await Journey.open(running.browser, running.service.baseUrl);
    await signIn(again, user.username, TEST_PASSWORD);
    assert.equal(new URL(again.page.url()).pathname, '/');
    again.assertEveryPageChecked();
    await again.close();
  });

  describe('when TWO_FACTOR_REQUIRED is on (as in production)', () => {
    let required: RunningService;
    before(async () => {
      required = await startService({ TWO_FACTOR_REQUIRED: 'true' });
    });
    after(async () => {
      await required?.stop();
    });

    test('a lost-pupil user must set it up before anything else opens', async () => {
      const journey = await Journey.open(running.browser, required.baseUrl);
      const { page } = journey;
      await signIn(journey, 'demo-la-lost', DEMO_PASSWORD);
      assert.equal(new URL(page.url()).pathname, '/two-factor/set-up');
      assert.match(
        await page.locator('main').innerText(),
        /Your role must sign in with a password and a code/,
      );
      assert.equal(await page.getByRole('navigation', { name: 'Menu' }).count(), 0, 'no menu yet');
      await page.goto('/lost-pupils/search');
      await journey.check();
      assert.equal(new URL(page.url()).pathname, '/two-factor/set-up', 'nothing else opens');

      const secret = (await page.locator('#secret').innerText()).replace(/\s/g, '');
      await page.getByLabel('Code', { exact: true }).fill(await totpCodeAt(secret, new Date()));
      await page.getByRole('button', { name: 'Turn on two-factor sign-in' }).click();
      await journey.check();
      await page.getByRole('button', { name: 'I have saved my recovery codes' }).click();
      await journey.check();
      assert.equal(new URL(page.url()).pathname, '/');
      await menuLink(page, 'Search for Lost Pupil').click();
      await journey.check();
      assert.equal(new URL(page.url()).pathname, '/lost-pupils/search');
      await menuLink(page, 'Two-factor sign-in').click();
      await journey.check();
      const account = await page.locator('main').innerText();
      assert.match(account, /Your role must use two-factor sign-in, so it cannot be turned off/);
      assert.equal(await page.getByRole('link', { name: 'Turn off two-factor sign-in' }).count(), 0);
      journey.assertEveryPageChecked();
      await journey.close();
    });
  });
});
