// Single sign-on in Chromium: s2s's sign-in page, the button, the provider's own login page (a real
// oidc-provider on 127.0.0.1), and back to s2s's home page, signed in; then a person s2s does not know.
// axe checks every page of s2s; the provider's login page is not s2s's and is passed over (the test
// provider's page is a bare form, as any provider's pages are their own business).
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { makeUser } from '../support/factories.ts';
import { PROVIDER_PASSWORD, startTestProvider, type TestProvider } from '../support/oidc-provider.ts';
import { forJourneys, freePort, Journey, startService } from './browser.ts';

describe('single sign-on (browser)', () => {
  let provider: TestProvider;
  let port: number;
  const redirectUri = () => `http://127.0.0.1:${port}/sign-in/oidc/callback`;
  before(async () => {
    port = await freePort();
    provider = await startTestProvider({ redirectUris: [redirectUri()] });
  });
  after(async () => {
    await provider?.stop();
  });
  const running = forJourneys(() => startService(provider.env(redirectUri()), { port }));

  test('a user signs in with their LA account and arrives at the home page; a stranger is told to ask their LEA administrator', async () => {
    const email = `sam.sso-${randomUUID().slice(0, 6)}@gloucestershire.example.gov.uk`;
    const user = await makeUser(
      running.db,
      'la_user',
      { laNumber: '916' },
      { full_name: 'Sam Single', email },
    );
    provider.addAccount('sam', { sub: randomUUID(), email, email_verified: true });

    const journey = await Journey.open(running.browser, running.service.baseUrl);
    const { page } = journey;
    await page.goto('/sign-in');
    await journey.check();
    await page.getByRole('button', { name: 'Sign in with your LA account' }).click();
    await page.waitForURL(`${provider.issuer}/**`);
    await journey.passOverOtherService();
    await page.getByLabel('Username').fill('sam');
    await page.getByLabel('Password').fill(PROVIDER_PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(`${running.service.baseUrl}/`);
    await journey.check();
    assert.match(
      await page.locator('.s2s-signed-in').innerText(),
      new RegExp(`Signed in as ${user.username}`),
    );
    journey.assertEveryPageChecked();
    await journey.close();

    const stranger = await Journey.open(running.browser, running.service.baseUrl);
    provider.addAccount('stranger', {
      sub: randomUUID(),
      email: 'stranger@example.gov.uk',
      email_verified: true,
    });
    await stranger.page.goto('/sign-in');
    await stranger.check();
    await stranger.page.getByRole('button', { name: 'Sign in with your LA account' }).click();
    await stranger.page.waitForURL(`${provider.issuer}/**`);
    await stranger.passOverOtherService();
    await stranger.page.getByLabel('Username').fill('stranger');
    await stranger.page.getByLabel('Password').fill(PROVIDER_PASSWORD);
    await stranger.page.getByRole('button', { name: 'Sign in' }).click();
    await stranger.page.waitForURL(`${running.service.baseUrl}/sign-in/oidc/callback**`);
    await stranger.check();
    assert.equal(
      await stranger.page.getByRole('heading', { name: 'Your account is not known to s2s' }).count(),
      1,
    );
    assert.match(await stranger.page.locator('main').innerText(), /Ask your LEA administrator/);
    stranger.assertEveryPageChecked();
    await stranger.close();
  });
});
