// English or Welsh: the header's switch, the browser's choice, a signed-in user's choice kept across
// sign-ins and browsers, and the pages translated so far in Welsh (app.inject, both engines).
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { getUser } from '../../src/accounts/repository.ts';
import { totpCodeAt } from '../../src/auth/two-factor-secrets.ts';
import { LANGUAGE_COOKIE } from '../../src/platform/i18n/web.ts';
import { describeEachEngine } from '../support/databases.ts';
import { makeLa, makeUser, TEST_PASSWORD } from '../support/factories.ts';
import { Agent, createTestApp, errorSummary, type TestApp, textOf } from '../support/web.ts';

/** The page's <html lang>. */
function htmlLang(html: string): string | undefined {
  return /<html lang="([a-z]+)"/.exec(html)?.[1];
}

/** The header's language toggle: each language, and its link when it is not the one shown. */
function toggle(html: string): { name: string; href?: string; lang?: string; hreflang?: string }[] {
  const nav = /<nav class="s2s-language-toggle"[\s\S]*?<\/nav>/.exec(html)?.[0] ?? '';
  return [...nav.matchAll(/<li[^>]*>([\s\S]*?)<\/li>/g)].map((m) => {
    const item = m[1] ?? '';
    const link = /<a [^>]*href="([^"]+)"[^>]*lang="([a-z]+)" hreflang="([a-z]+)"/.exec(item);
    const name = /<span aria-hidden="true">([^<]+)<|<span aria-current="true" lang="[a-z]+">([^<]+)</.exec(
      item,
    );
    return {
      name: name?.[1] ?? name?.[2] ?? '',
      ...(link ? { href: link[1]?.replace(/&amp;/g, '&'), lang: link[2], hreflang: link[3] } : {}),
    };
  });
}

describeEachEngine('English and Welsh', (database) => {
  let t: TestApp;
  before(async () => {
    t = await createTestApp(database().db);
  });
  after(async () => {
    await t.app.close();
  });

  test("an account starts in English: users.language defaults to 'en' (migration 015)", async () => {
    const { db } = database();
    const user = await makeUser(db, 'national_admin', {}, { language: undefined });
    assert.equal((await getUser(db, user.id))?.language, 'en');
  });

  test('pages start in English, with a link to the same page in Welsh; the switch comes back to the page', async () => {
    const agent = new Agent(t.app);
    const english = await agent.get('/sign-in?expired=1');
    assert.equal(htmlLang(english.body), 'en');
    assert.deepEqual(toggle(english.body), [
      { name: 'English' },
      { name: 'Cymraeg', href: '/sign-in?expired=1&lang=cy', lang: 'cy', hreflang: 'cy' },
    ]);
    assert.match(english.body, /<span class="govuk-visually-hidden">Newid yr iaith i’r Gymraeg<\/span>/);

    const switched = await agent.get('/sign-in?expired=1&lang=cy');
    assert.equal(switched.statusCode, 302);
    assert.equal(switched.headers.location, '/sign-in?expired=1', 'the same page, without lang');
    const welsh = await agent.get('/sign-in?expired=1');
    assert.equal(htmlLang(welsh.body), 'cy');
    assert.match(welsh.body, /<h1 class="govuk-heading-l">Mewngofnodi<\/h1>/);
    assert.match(textOf(welsh.body), /Cawsoch eich allgofnodi am nad oeddech wedi defnyddio s2s ers tro/);
    assert.match(welsh.body, /<title>Mewngofnodi – s2s trosglwyddo data yn ddiogel<\/title>/);
    assert.match(textOf(welsh.body), /Datganiad hygyrchedd/, 'the footer links the accessibility statement');
    assert.deepEqual(toggle(welsh.body), [
      { name: 'English', href: '/sign-in?expired=1&lang=en', lang: 'en', hreflang: 'en' },
      { name: 'Cymraeg' },
    ]);

    await agent.get('/sign-in?lang=en');
    assert.equal(htmlLang((await agent.get('/sign-in')).body), 'en');
  });

  test('the switch only ever sends the browser to a page of this site', async () => {
    const agent = new Agent(t.app);
    for (const hostile of [
      '//evil.example/?lang=cy',
      '/\\evil.example/?lang=cy',
      '/.//evil.example/?lang=cy',
    ]) {
      const response = await agent.get(hostile);
      assert.equal(response.statusCode, 302, hostile);
      assert.equal(response.headers.location, '/', hostile);
    }
    assert.equal(agent.cookie(LANGUAGE_COOKIE), 'cy.chosen', 'the choice itself is kept');
  });

  test('the REST API has no switch', async () => {
    const response = await new Agent(t.app).get('/api/v1/files/incoming?lang=cy');
    assert.equal(response.statusCode, 401);
    assert.equal(
      response.cookies.find((c) => c.name === LANGUAGE_COOKIE),
      undefined,
    );
  });

  test('errors are in Welsh: the error summary, each field, the page title and the error pages', async () => {
    const agent = new Agent(t.app);
    await agent.get('/sign-in?lang=cy');
    const empty = await agent.post('/sign-in', { username: '', password: '' }, { formPage: '/sign-in' });
    assert.equal(empty.statusCode, 400);
    assert.match(empty.body, /<title>Gwall: Mewngofnodi – s2s trosglwyddo data yn ddiogel<\/title>/);
    assert.equal(
      errorSummary(empty.body),
      'Mae problem wedi codi Rhowch eich enw defnyddiwr Rhowch eich cyfrinair',
    );
    assert.match(
      textOf(empty.body),
      /Gwall: Rhowch eich enw defnyddiwr/,
      'beside the field, with its hidden prefix',
    );
    assert.match(
      empty.body,
      /data-i18n\.show-password="Dangos"|>\s*Dangos\s*</,
      'the password input shows "Dangos"',
    );

    const wrong = await agent.post('/sign-in', { username: 'nobody-at-all', password: 'wrong password' });
    assert.match(errorSummary(wrong.body), /Nid yw’r enw defnyddiwr neu’r cyfrinair yn gywir/);

    const notFound = await agent.get('/no-such-page');
    assert.equal(notFound.statusCode, 404);
    assert.match(notFound.body, /<h1 class="govuk-heading-l">Tudalen heb ei chanfod<\/h1>/);
    assert.match(textOf(notFound.body), /Ewch i’r hafan/);
  });

  test("a signed-in user's choice is kept on their account: after signing out, and in another browser", async () => {
    const { db } = database();
    const la = await makeLa(db);
    const user = await makeUser(db, 'la_user', { laNumber: la.number });
    const office = new Agent(t.app);
    await office.signIn(user.username);
    const home = await office.get('/');
    assert.equal(htmlLang(home.body), 'en');

    const switched = await office.get('/?lang=cy');
    assert.equal(switched.headers.location, '/');
    assert.equal((await getUser(db, user.id))?.language, 'cy');
    const welshHome = await office.get('/');
    assert.equal(htmlLang(welshHome.body), 'cy');
    assert.match(
      welshHome.body,
      /href="\/" aria-current="true">\s*<strong[^>]*>Hafan<\/strong>/,
      "the menu's labels",
    );
    assert.match(textOf(welshHome.body), /Wedi mewngofnodi fel .+ \(Defnyddiwr AALl\)/);
    assert.match(textOf(welshHome.body), /Beth y gallwch ei wneud/);

    // Forbidden, in Welsh.
    const forbidden = await office.get('/admin/notifications');
    assert.equal(forbidden.statusCode, 403);
    assert.match(textOf(forbidden.body), /Nid oes gennych ganiatâd i wneud hynny\./);

    await office.post('/sign-out', {}, { formPage: '/sign-out' });
    const signedOut = await office.get('/sign-in?signed-out=1');
    assert.equal(htmlLang(signedOut.body), 'cy', 'the sign-in page after signing out stays in Welsh');
    assert.match(textOf(signedOut.body), /Rydych wedi allgofnodi o s2s\./);

    const elsewhere = new Agent(t.app);
    assert.equal(htmlLang((await elsewhere.get('/sign-in')).body), 'en', 'a new browser starts in English');
    await elsewhere.signIn(user.username);
    assert.equal(htmlLang((await elsewhere.get('/')).body), 'cy', 'and signing in brings the choice back');
  });

  test('a choice made before signing in becomes the user’s; a language left by someone else does not', async () => {
    const { db } = database();
    const la = await makeLa(db);
    const welshSpeaker = await makeUser(db, 'la_user', { laNumber: la.number });
    const colleague = await makeUser(db, 'la_user', { laNumber: la.number });
    const browser = new Agent(t.app);
    await browser.get('/sign-in?lang=cy');
    await browser.signIn(welshSpeaker.username);
    assert.equal((await getUser(db, welshSpeaker.id))?.language, 'cy');
    assert.equal(htmlLang((await browser.get('/')).body), 'cy');
    await browser.post('/sign-out', {}, { formPage: '/sign-out' });

    // The next person at the same computer sees the sign-in page in Welsh, but keeps their own English.
    await browser.signIn(colleague.username);
    assert.equal(htmlLang((await browser.get('/')).body), 'en');
    assert.equal((await getUser(db, colleague.id))?.language, 'en');
  });

  test('the second step of two-factor sign-in in Welsh: a switch there is kept once signed in', async () => {
    const { db } = database();
    const la = await makeLa(db);
    const user = await makeUser(db, 'la_user', { laNumber: la.number });
    const agent = new Agent(t.app);
    await agent.signIn(user.username);
    const secret = (
      /id="secret">([A-Z2-7 ]+)</.exec((await agent.get('/two-factor/set-up')).body)?.[1] ?? ''
    ).replace(/ /g, '');
    await agent.post('/two-factor/set-up', { code: await totpCodeAt(secret, t.clock.now()) });
    await agent.post('/sign-out', {}, { formPage: '/sign-out' });
    t.clock.advanceMinutes(0.5);

    const signedIn = await agent.signIn(user.username);
    assert.equal(signedIn.headers.location, '/sign-in/two-factor');
    assert.equal((await agent.get('/sign-in/two-factor?lang=cy')).headers.location, '/sign-in/two-factor');
    const step = await agent.get('/sign-in/two-factor');
    assert.match(step.body, /<h1 class="govuk-heading-l">Rhowch y cod o’ch ap dilysu<\/h1>/);
    const wrong = await agent.post('/sign-in/two-factor', { code: '000000' });
    assert.match(errorSummary(wrong.body), /Mae problem wedi codi Nid yw’r cod yn gywir/);
    const done = await agent.post('/sign-in/two-factor', { code: await totpCodeAt(secret, t.clock.now()) });
    assert.equal(done.headers.location, '/');
    assert.equal(htmlLang((await agent.get('/')).body), 'cy');
    assert.equal((await getUser(db, user.id))?.language, 'cy');
  });

  test('changing a password in Welsh: its errors and its confirmation', async () => {
    const { db } = database();
    const user = await makeUser(db, 'national_admin');
    const agent = new Agent(t.app);
    await agent.signIn(user.username);
    await agent.get('/?lang=cy');
    const page = await agent.get('/change-password');
    assert.match(page.body, /<h1 class="govuk-heading-l">Newid Cyfrinair<\/h1>/);
    const refused = await agent.post('/change-password', {
      currentPassword: 'not my password',
      newPassword: 'short',
      confirmPassword: 'short',
    });
    assert.equal(refused.statusCode, 400);
    assert.equal(
      errorSummary(refused.body),
      'Mae problem wedi codi Nid yw eich cyfrinair presennol yn gywir Rhaid i’r cyfrinair fod yn 10 nod neu fwy. Mae tri gair ar hap yn gwneud cyfrinair cryf sy’n hawdd ei gofio.',
    );
    const changed = await agent.post('/change-password', {
      currentPassword: TEST_PASSWORD,
      newPassword: 'kettle orchard lantern',
      confirmPassword: 'kettle orchard lantern',
    });
    assert.equal(changed.headers.location, '/');
    const home = await agent.get('/');
    assert.match(
      textOf(home.body),
      /Llwyddiant Mae eich cyfrinair wedi’i newid/,
      'the banner, title and text',
    );
  });
});
