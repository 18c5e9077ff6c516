import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ROLE_LABELS } from '../../src/auth/permissions.ts';
import { makeUser, TEST_PASSWORD } from '../support/factories.ts';
import { forJourneys, Journey, menuItems, signIn } from './browser.ts';

describe('signing in (browser)', () => {
  const running = forJourneys();

  test('a new user signs in with an issued password, must choose a new one, then sees the menu of their role', async () => {
    const user = await makeUser(
      running.db,
      'la_lost_pupil',
      { laNumber: '916' },
      { must_change_password: 1 },
    );
    const journey = await Journey.open(running.browser, running.service.baseUrl);
    const { page } = journey;
    await signIn(journey, user.username, TEST_PASSWORD);
    assert.equal(new URL(page.url()).pathname, '/change-password');
    await assert.doesNotReject(page.getByRole('heading', { name: 'Choose a new password' }).waitFor());

    await page.goto('/');
    await journey.check();
    assert.equal(
      new URL(page.url()).pathname,
      '/change-password',
      'the home page waits for the new password',
    );

    await page.getByLabel('The password you were issued').fill(TEST_PASSWORD);
    await page.getByLabel('New password', { exact: true }).fill('password');
    await page.getByLabel('Confirm new password').fill('password');
    await page.getByRole('button', { name: 'Change password' }).click();
    await journey.check();
    const summary = page.locator('.govuk-error-summary');
    assert.match(await summary.innerText(), /too short|10 characters or more/);

    await page.getByLabel('The password you were issued').fill(TEST_PASSWORD);
    await page.getByLabel('New password', { exact: true }).fill('kettle orchard lantern');
    await page.getByLabel('Confirm new password').fill('kettle orchard lantern');
    await page.getByRole('button', { name: 'Change password' }).click();
    await journey.check();
    assert.equal(new URL(page.url()).pathname, '/');
    assert.match(
      await page.locator('.govuk-notification-banner').innerText(),
      /Your password has been changed/,
    );
    assert.match(await page.locator('.s2s-signed-in').innerText(), new RegExp(ROLE_LABELS.la_lost_pupil));
    assert.deepEqual(await menuItems(journey), [
      'Home',
      'Upload',
      'Download',
      'Previously Downloaded Files',
      'View / Remove Files',
      'Search for Lost Pupil',
      'Lost Pupil Matches',
      'Lost Pupils Past Leaving Age',
      'Reports',
      'Messages',
      'Message Templates',
      'Message Address Groups',
      'Establishment Finder',
      'Contacts',
      'Change Password',
      'Two-factor sign-in',
      'API Tokens',
      'Logoff',
    ]);

    await page.getByRole('link', { name: 'Logoff' }).click();
    await journey.check();
    await page.getByRole('button', { name: 'Logoff' }).click();
    await journey.check();
    assert.match(await page.locator('.govuk-notification-banner').innerText(), /You have signed out/);
    journey.assertEveryPageChecked();
    await journey.close();
  });

  test('after signing out, Back does not show a page seen signed in: the browser asks again, and is sent to sign in', async () => {
    const user = await makeUser(
      running.db,
      'school',
      { laNumber: '916', establishmentNumber: '9165402' },
      {
        full_name: 'Quentin Backbutton',
      },
    );
    const journey = await Journey.open(running.browser, running.service.baseUrl);
    const { page } = journey;
    await signIn(journey, user.username, TEST_PASSWORD);
    await page.goto('/');
    await journey.check();
    assert.match(await page.locator('main').innerText(), /Quentin Backbutton/);
    await page.getByRole('link', { name: 'Logoff' }).click();
    await journey.check();
    await page.getByRole('button', { name: 'Logoff' }).click();
    await journey.check();
    await page.goBack();
    await journey.check();
    await page.goBack();
    await journey.check();
    assert.equal(new URL(page.url()).pathname, '/sign-in');
    assert.doesNotMatch(await page.locator('body').innerText(), /Quentin Backbutton/);
    journey.assertEveryPageChecked();
    await journey.close();
  });

  test('each demo account signs in with the demo password and sees the menu of its role', async () => {
    const expected: Record<string, string[]> = {
      'demo-school-a': [
        'Home',
        'Upload',
        'Download',
        'Previously Downloaded Files',
        'View / Remove Files',
        'Reports',
        'Data Collections',
        'Messages',
        'Message Templates',
        'Message Address Groups',
        'Establishment Finder',
        'Contacts',
        'School Details',
        'Change Password',
        'Two-factor sign-in',
        'API Tokens',
        'Logoff',
      ],
      'demo-la-dba': [
        'Home',
        'Upload',
        'Download',
        'Previously Downloaded Files',
        'View / Remove Files',
        'Lost Pupils Past Leaving Age',
        'DBA',
        'Reports',
        'Data Collections',
        'Messages',
        'Message Templates',
        'Message Address Groups',
        'Establishment Finder',
        'Contacts',
        'Change Password',
        'Two-factor sign-in',
        'API Tokens',
        'Logoff',
      ],
      'demo-la-dba-view': [
        'Home',
        'DBA',
        'Reports',
        'Establishment Finder',
        'Contacts',
        'Change Password',
        'Two-factor sign-in',
        'Logoff',
      ],
      'demo-admin': [
        'Home',
        'DBA',
        'Reports',
        'Data Collections',
        'Messages',
        'Message Templates',
        'Message Address Groups',
        'Notifications and Jobs',
        'Establishment Finder',
        'Contacts',
        'Change Password',
        'Two-factor sign-in',
        'Logoff',
      ],
      'demo-collector': [
        'Home',
        'Data Collections',
        'Establishment Finder',
        'Contacts',
        'Change Password',
        'Two-factor sign-in',
        'Logoff',
      ],
    };
    for (const [username, menu] of Object.entries(expected)) {
      const journey = await Journey.open(running.browser, running.service.baseUrl);
      await signIn(journey, username, 'demo-password-2026');
      assert.equal(new URL(journey.page.url()).pathname, '/', `${username} reaches the home page`);
      assert.deepEqual(await menuItems(journey), menu, `menu of ${username}`);
      journey.assertEveryPageChecked();
      await journey.close();
    }
  });
});
