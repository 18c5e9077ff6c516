// API tokens and the API reference in a real browser, with axe on every page: demo-school-a creates a
// token (shown once), the API answers to it, the LA's DBA sees it under DBA > API Tokens and revokes it,
// and the API then refuses it; the public reference page.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { forJourneys, Journey, menuLink, signedInAs } from './browser.ts';

const TOKEN_NAME = 'Office MIS (e2e)';

describe('API tokens (browser)', () => {
  const running = forJourneys();

  const incoming = (token: string) =>
    fetch(`${running.service.baseUrl}/api/v1/files/incoming`, {
      headers: { authorization: `Bearer ${token}` },
    });

  test('a school creates a token and uses it; its LA revokes it; the API then refuses it', async () => {
    const school = await signedInAs(running.browser, running.service, 'demo-school-a');
    const { page } = school;
    await menuLink(page, 'API Tokens').click();
    await school.check();
    await page.getByRole('button', { name: 'Create an API token' }).click();
    await school.check();
    // Nothing chosen: the form says what is missing.
    await page.getByRole('button', { name: 'Create token' }).click();
    await school.check();
    assert.match(await page.locator('.govuk-error-summary').innerText(), /name/i);
    await page.getByLabel('Name').fill(TOKEN_NAME);
    await page.getByLabel('Read', { exact: true }).check();
    await page.getByLabel('In 30 days').check();
    await page.getByRole('button', { name: 'Create token' }).click();
    await school.check();
    const token = (await page.locator('#api-token').innerText()).trim();
    assert.match(token, /^s2s_[A-Za-z0-9_-]{43}$/);
    assert.equal((await incoming(token)).status, 200, 'the API answers to the new token');

    await page.getByRole('button', { name: 'Back to API Tokens' }).click();
    await school.check();
    assert.ok(!(await page.content()).includes(token), 'the token is shown once only');
    await assert.doesNotReject(page.getByText(TOKEN_NAME, { exact: true }).waitFor());

    const dba = await signedInAs(running.browser, running.service, 'demo-la-dba');
    await menuLink(dba.page, 'DBA').click();
    await dba.check();
    await dba.page.getByRole('main').getByRole('link', { name: 'API Tokens' }).click();
    await dba.check();
    await dba.page.getByRole('button', { name: `Revoke ${TOKEN_NAME} of demo-school-a` }).click();
    await dba.check();
    const refused = await incoming(token);
    assert.equal(refused.status, 401);
    assert.equal(refused.headers.get('content-type')?.split(';')[0], 'application/problem+json');

    await page.goto('/api/docs');
    await school.check();
    await assert.doesNotReject(page.getByRole('heading', { level: 1 }).first().waitFor());
    assert.match(await page.locator('main').innerText(), /\/api\/v1\/files/);

    for (const journey of [school, dba]) {
      journey.assertEveryPageChecked();
      await journey.close();
    }
  });

  test('the API reference is public', async () => {
    const visitor = await Journey.open(running.browser, running.service.baseUrl);
    const response = await visitor.page.goto('/api/docs');
    await visitor.check();
    assert.equal(response?.status(), 200);
    visitor.assertEveryPageChecked();
    await visitor.close();
  });
});
