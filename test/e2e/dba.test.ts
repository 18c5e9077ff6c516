import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { USERS_PER_PAGE } from '../../src/accounts/service.ts';
import { makeUsersOfLa } from '../support/factories.ts';
import { forJourneys, Journey, menuItems, signIn } from './browser.ts';

describe('LA administration and the Establishment Finder (browser)', () => {
  const running = forJourneys();

  test('a DBA adds a school and a user for it; the user signs in with the issued password and must replace it', async () => {
    const dba = await Journey.open(running.browser, running.service.baseUrl);
    const { page } = dba;
    await signIn(dba, 'demo-la-dba', 'demo-password-2026');

    await page.getByRole('navigation', { name: 'Menu' }).getByRole('link', { name: 'DBA' }).click();
    await dba.check();
    await page.getByRole('link', { name: 'School Maintenance' }).first().click();
    await dba.check();
    await page.getByRole('button', { name: 'Add School' }).click();
    await dba.check();

    // A number from another LA is refused with the reason.
    await page.getByLabel('DfE establishment number').fill('8175555');
    await page.getByLabel('School name').fill('Winchcombe Abbey Primary School');
    await page.getByLabel('Town (optional)').fill('Winchcombe');
    await page.getByLabel('Email address (optional)').fill('office@winchcombe.example.sch.uk');
    await page.getByRole('group', { name: 'Does the school use s2s?' }).getByLabel('Yes').check();
    await page
      .getByRole('group', { name: "Is the school's s2s account active?" })
      .getByLabel('Yes, active')
      .check();
    await page.getByRole('button', { name: 'Add school' }).click();
    await dba.check();
    assert.match(await page.locator('.govuk-error-summary').innerText(), /must start with the LA number 916/);

    await page.getByLabel('DfE establishment number').fill('9165555');
    await page.getByRole('button', { name: 'Add school' }).click();
    await dba.check();
    assert.match(await page.locator('.govuk-notification-banner').innerText(), /9165555|Winchcombe Abbey/);

    await page.goto('/dba/schools');
    await dba.check();
    assert.match(await page.locator('table').innerText(), /Winchcombe Abbey Primary School/);

    await page.goto('/dba/users');
    await dba.check();
    await page.getByRole('button', { name: 'Add User' }).click();
    await dba.check();
    await page.getByLabel('Username').fill('916winchoffice');
    await page.getByLabel('Full name').fill('Robin Office');
    await page.getByLabel('School User', { exact: true }).check();
    await page.getByLabel('School (School Users only)').selectOption('9165555');
    await page.getByLabel('Password to issue').fill('meadow copper whistle');
    await page.getByLabel('Confirm the password').fill('meadow copper whistle');
    await page.getByRole('button', { name: 'Add user' }).click();
    await dba.check();
    await page.goto('/dba/users');
    await dba.check();
    assert.match(await page.locator('table').innerText(), /916winchoffice/);

    // More users than a page holds: the list is paged with the GOV.UK pagination, its last page after it.
    const added = await makeUsersOfLa(running.db, '916', USERS_PER_PAGE);
    await page.goto('/dba/users');
    await dba.check();
    await page
      .getByRole('navigation', { name: 'Pages of users' })
      .getByRole('link', { name: 'Next' })
      .click();
    await dba.check();
    assert.match(await page.locator('caption').innerText(), /page 2 of 2/);
    assert.match(await page.locator('table').innerText(), new RegExp(added.at(-1) ?? ''));
    dba.assertEveryPageChecked();
    await dba.close();

    const newcomer = await Journey.open(running.browser, running.service.baseUrl);
    await signIn(newcomer, '916winchoffice', 'meadow copper whistle');
    assert.equal(new URL(newcomer.page.url()).pathname, '/change-password');
    await newcomer.page.getByLabel('The password you were issued').fill('meadow copper whistle');
    await newcomer.page.getByLabel('New password', { exact: true }).fill('harbour violet thimble');
    await newcomer.page.getByLabel('Confirm new password').fill('harbour violet thimble');
    await newcomer.page.getByRole('button', { name: 'Change password' }).click();
    await newcomer.check();
    assert.deepEqual(await menuItems(newcomer), [
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
    ]);
    await newcomer.page
      .getByRole('navigation', { name: 'Menu' })
      .getByRole('link', { name: 'School Details' })
      .click();
    await newcomer.check();
    assert.match(
      await newcomer.page.locator('main').innerText(),
      /916\/5555[\s\S]*Winchcombe Abbey Primary School/,
    );
    newcomer.assertEveryPageChecked();
    await newcomer.close();

    // Five wrong passwords pause the account; the DBA sees it on the user's page and lets them in.
    const forgetful = await Journey.open(running.browser, running.service.baseUrl);
    for (let i = 0; i < 5; i += 1) await signIn(forgetful, '916winchoffice', `not-it-${i}`);
    await signIn(forgetful, '916winchoffice', 'harbour violet thimble');
    assert.match(
      await forgetful.page.locator('.govuk-error-summary').innerText(),
      /too many failed attempts/,
    );
    const admin = await Journey.open(running.browser, running.service.baseUrl);
    await signIn(admin, 'demo-la-dba', 'demo-password-2026');
    await admin.page.goto('/dba/users');
    await admin.check();
    await admin.page.getByRole('link', { name: '916winchoffice' }).click();
    await admin.check();
    assert.match(
      await admin.page.locator('main').innerText(),
      /Sign-in paused after too many failed attempts/,
    );
    await admin.page.getByRole('button', { name: 'Let them sign in now' }).click();
    await admin.check();
    assert.match(
      await admin.page.locator('.govuk-notification-banner').innerText(),
      /916winchoffice can sign in again now/,
    );

    // The office's email address was wrong: the DBA corrects it from the user page (decision 78).
    await admin.page.getByRole('link', { name: 'Change Email address of 916winchoffice' }).click();
    await admin.check();
    assert.equal(
      await admin.page.getByRole('heading', { level: 1 }).innerText(),
      'User 916winchoffice\nChange details',
    );
    await admin.page.getByLabel('Email address (optional)').fill('robin.office@hotmail.com');
    await admin.page.getByRole('button', { name: 'Save details' }).click();
    await admin.check();
    assert.match(
      await admin.page.locator('.govuk-error-summary').innerText(),
      /free webmail services \(hotmail\.com\) are not allowed/,
    );
    await admin.page.getByLabel('Email address (optional)').fill('robin.office@winchcombe.example.sch.uk');
    await admin.page.getByRole('button', { name: 'Save details' }).click();
    await admin.check();
    assert.equal(new URL(admin.page.url()).pathname.startsWith('/dba/users/'), true);
    assert.match(
      await admin.page.locator('.govuk-notification-banner').innerText(),
      /The details of 916winchoffice have been changed\. An email saying that their email address changed is on its way to robin\.office@winchcombe\.example\.sch\.uk\./,
    );
    assert.match(await admin.page.locator('main').innerText(), /robin\.office@winchcombe\.example\.sch\.uk/);
    admin.assertEveryPageChecked();
    await admin.close();
    await signIn(forgetful, '916winchoffice', 'harbour violet thimble');
    assert.equal(new URL(forgetful.page.url()).pathname, '/');
    await forgetful.close();
  });

  test('the Establishment Finder finds a school by town and part of its name, including closed and Welsh schools', async () => {
    const journey = await Journey.open(running.browser, running.service.baseUrl);
    const { page } = journey;
    await signIn(journey, 'demo-school-a', 'demo-password-2026');
    await page
      .getByRole('navigation', { name: 'Menu' })
      .getByRole('link', { name: 'Establishment Finder' })
      .click();
    await journey.check();

    await page.getByRole('button', { name: 'Search' }).click();
    await journey.check();
    assert.match(
      await page.locator('.govuk-error-summary').innerText(),
      /Enter part of the school name, the town, or both/,
    );

    await page.getByLabel('School name (or part of it)').fill('martha');
    await page.getByLabel('Town').fill('Northborough');
    await page.getByRole('button', { name: 'Search' }).click();
    await journey.check();
    const found = await page.locator('table').innerText();
    assert.match(found, /St Martha Church of England Primary School/);
    assert.match(found, /817\/1234/);
    assert.match(await page.locator('caption').innerText(), /1 school found/);

    await page.getByLabel('School name (or part of it)').fill('Llanishen');
    await page.getByLabel('Town').fill('');
    await page.getByRole('button', { name: 'Search' }).click();
    await journey.check();
    const welsh = await page.locator('table').innerText();
    assert.match(welsh, /Llanishen Fach Primary School/);
    assert.match(welsh, /Wales/);
    assert.match(welsh, /Closed/);
    journey.assertEveryPageChecked();
    await journey.close();
  });
});
