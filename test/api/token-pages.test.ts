// The API Tokens pages through fastify.inject: a user creates a token (shown once), sees it listed
// without the secret, uses it, revokes it; a DBA lists and revokes its own LA's users' tokens, and
// another LA's token is not found; the menu shows the pages to the roles that have them.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { listApiTokensOfLa } from '../../src/api/token-repository.ts';
import type { Db, LocalAuthorityRow } from '../../src/platform/db/schema.ts';
import { createTestDatabase, type TestDatabase } from '../support/databases.ts';
import { makeLa, makeSchool, makeUser } from '../support/factories.ts';
import { createTestApp, errorSummary, signedInUser, type TestApp, textOf } from '../support/web.ts';
import { api, makeToken } from './support.ts';

describe('API Tokens pages', () => {
  let database: TestDatabase;
  let t: TestApp;
  let db: Db;
  let la: LocalAuthorityRow;
  let otherLa: LocalAuthorityRow;
  before(async () => {
    database = await createTestDatabase('sqlite');
    db = database.db;
    t = await createTestApp(db);
    la = await makeLa(db);
    otherLa = await makeLa(db);
  });
  after(async () => {
    await t.app.close();
    await database.drop();
  });

  test('a user creates a token, sees it once, uses it and revokes it', async () => {
    const school = await makeSchool(db, la.number);
    const { agent } = await signedInUser(t, 'school', {
      laNumber: la.number,
      establishmentNumber: school.number,
    });
    const home = await agent.get('/');
    assert.match(home.body, /href="\/account\/api-tokens"/, 'API Tokens is in the menu');

    const list = await agent.get('/account/api-tokens');
    assert.equal(list.statusCode, 200);
    assert.match(list.body, /You have no API tokens/);

    await agent.get('/account/api-tokens/new');
    const refused = await agent.post('/account/api-tokens/new', { name: '', scope: 'read', expiry: '90' });
    assert.equal(refused.statusCode, 400);
    assert.match(errorSummary(refused.body), /Enter a name for the token/);

    const created = await agent.post('/account/api-tokens/new', {
      name: 'Our MIS',
      scope: 'read',
      expiry: '90',
    });
    assert.equal(created.statusCode, 200);
    assert.equal(created.headers['cache-control'], 'no-store');
    const token = /id="api-token">(s2s_[A-Za-z0-9_-]{43})</.exec(created.body)?.[1];
    assert.ok(token, 'the token is shown');
    assert.match(created.body, /s2s will not show it again/);

    const listed = await agent.get('/account/api-tokens');
    assert.match(listed.body, /Our MIS/);
    assert.match(listed.body, new RegExp(token.slice(0, 8)));
    assert.ok(!listed.body.includes(token), 'the list never shows the token');

    assert.equal((await api(t.app, { url: '/api/v1/files/incoming', token })).statusCode, 200);
    const used = await agent.get('/account/api-tokens');
    assert.match(listed.body, />Never</, 'not used yet');
    assert.doesNotMatch(used.body, />Never</, 'the last use is shown');

    const tokenId = /name="tokenId" value="([^"]+)"/.exec(used.body)?.[1];
    assert.ok(tokenId);
    const revoked = await agent.post('/account/api-tokens/revoke', { tokenId });
    assert.equal(revoked.statusCode, 302);
    assert.equal((await api(t.app, { url: '/api/v1/files/incoming', token })).statusCode, 401);
    const again = await agent.post(
      '/account/api-tokens/revoke',
      { tokenId },
      { formPage: '/account/api-tokens' },
    );
    // Revoked once: posted again, it says so (test/api/token-posted-twice.test.ts).
    assert.equal(again.statusCode, 302);
  });

  test('revoking someone else’s token from the own page is not found; forms need their CSRF token', async () => {
    const stranger = await makeUser(db, 'la_user', { laNumber: otherLa.number });
    await makeToken(db, stranger, 'read');
    const [theirs] = await listApiTokensOfLa(db, otherLa.number);
    assert.ok(theirs);
    const { agent } = await signedInUser(t, 'la_user', { laNumber: la.number });
    await agent.get('/account/api-tokens');
    assert.equal((await agent.post('/account/api-tokens/revoke', { tokenId: theirs.id })).statusCode, 404);
    const noCsrf = await agent.post(
      '/account/api-tokens/new',
      { name: 'x', scope: 'read', expiry: '30' },
      { csrf: false },
    );
    assert.equal(noCsrf.statusCode, 403);
  });

  test('a DBA lists its LA’s tokens and revokes one; another LA’s is not found; the view-only DBA has no page', async () => {
    const school = await makeSchool(db, la.number);
    const ours = await makeUser(db, 'school', { laNumber: la.number, establishmentNumber: school.number });
    const ourToken = await makeToken(db, ours, 'transfer');
    const theirs = await makeUser(db, 'la_user', { laNumber: otherLa.number });
    await makeToken(db, theirs, 'read');
    const { agent } = await signedInUser(t, 'la_dba', { laNumber: la.number });
    const dbaSection = await agent.get('/dba');
    assert.match(dbaSection.body, /href="\/dba\/api-tokens"/);
    const page = await agent.get('/dba/api-tokens');
    assert.equal(page.statusCode, 200);
    assert.match(page.body, new RegExp(ours.username));
    assert.doesNotMatch(page.body, new RegExp(theirs.username));

    const [theirToken] = await listApiTokensOfLa(db, otherLa.number);
    assert.ok(theirToken);
    assert.equal((await agent.post('/dba/api-tokens/revoke', { tokenId: theirToken.id })).statusCode, 404);

    const [ourRow] = await listApiTokensOfLa(db, la.number);
    assert.ok(ourRow);
    await agent.get('/dba/api-tokens');
    const revoked = await agent.post('/dba/api-tokens/revoke', { tokenId: ourRow.id });
    assert.equal(revoked.statusCode, 302);
    assert.equal((await api(t.app, { url: '/api/v1/files/incoming', token: ourToken })).statusCode, 401);
    const audit = await agent.get('/dba/audit');
    assert.match(audit.body, /API token revoked/);

    const { agent: viewer } = await signedInUser(t, 'la_dba_view', { laNumber: la.number });
    assert.equal((await viewer.get('/dba/api-tokens')).statusCode, 403);
    assert.equal((await viewer.get('/account/api-tokens')).statusCode, 403);
  });

  test('in Welsh: the API Tokens pages, a field error, the new token and its revocation; a DBA’s list', async () => {
    const school = await makeSchool(db, la.number);
    const { agent } = await signedInUser(t, 'school', {
      laNumber: la.number,
      establishmentNumber: school.number,
    });
    assert.equal((await agent.get('/account/api-tokens?lang=cy')).statusCode, 302);
    const list = await agent.get('/account/api-tokens');
    assert.match(list.body, /<html lang="cy"/);
    assert.match(list.body, /<h1 class="govuk-heading-l">Tocynnau API<\/h1>/);
    assert.match(textOf(list.body), /Nid oes gennych unrhyw docynnau API/);

    const form = await agent.get('/account/api-tokens/new');
    assert.match(form.body, /<h1 class="govuk-heading-l">Creu tocyn API<\/h1>/);
    assert.match(textOf(form.body), /Ymhen 90 diwrnod/);
    const refused = await agent.post('/account/api-tokens/new', { name: '', scope: 'read', expiry: '90' });
    assert.equal(refused.statusCode, 400);
    assert.match(errorSummary(refused.body), /Rhowch enw ar gyfer y tocyn/);

    const created = await agent.post('/account/api-tokens/new', {
      name: 'Ein MIS',
      scope: 'read',
      expiry: '90',
    });
    assert.equal(created.statusCode, 200);
    assert.match(created.body, /<h1 class="govuk-heading-l">Eich tocyn API newydd<\/h1>/);
    assert.match(
      textOf(created.body),
      /Dyma’r tocyn Ein MIS \(Darllen, tan \d+ [A-Z][a-z]+ \d{4} am \d+:\d\d(yb|yh)\):/,
    );
    const listed = await agent.get('/account/api-tokens');
    assert.match(textOf(listed.body), /Eich tocynnau \(1\)/);
    const tokenId = /name="tokenId" value="([^"]+)"/.exec(listed.body)?.[1] ?? '';
    const revoked = await agent.post(
      '/account/api-tokens/revoke',
      { tokenId },
      { formPage: '/account/api-tokens' },
    );
    assert.equal(revoked.statusCode, 302);
    assert.match(
      textOf((await agent.get('/account/api-tokens')).body),
      /Mae’r tocyn Ein MIS \(s2s_.*\) wedi’i ddiddymu/,
    );

    const { agent: dba } = await signedInUser(t, 'la_dba', { laNumber: la.number });
    await dba.get('/dba/api-tokens?lang=cy');
    const dbaList = await dba.get('/dba/api-tokens');
    assert.equal(dbaList.statusCode, 200);
    assert.match(dbaList.body, /<h1 class="govuk-heading-l">Tocynnau API eich defnyddwyr<\/h1>/);
  });

  // Last: it moves the clock on past every session of the file.
  test('a token works until the date and time its pages give, and not after', async () => {
    // 9:30am in London on 1 October 2027 (BST): 30 days later is 8:30am GMT on 31 October.
    const start = new Date('2027-10-01T08:30:00.000Z').getTime() - t.clock.now().getTime();
    t.clock.advanceMinutes(start / 60_000);
    const school = await makeSchool(db, la.number);
    const { agent } = await signedInUser(t, 'school', {
      laNumber: la.number,
      establishmentNumber: school.number,
    });
    const created = await agent.post('/account/api-tokens/new', {
      name: 'Month',
      scope: 'read',
      expiry: '30',
    });
    const token = /id="api-token">(s2s_[A-Za-z0-9_-]{43})</.exec(created.body)?.[1] ?? '';
    assert.match(textOf(created.body), /\(Read, until 31 October 2027 at 8:30am\):/);
    assert.match(textOf((await agent.get('/account/api-tokens')).body), /31 October 2027 at 8:30am/);
    const { agent: dba } = await signedInUser(t, 'la_dba', { laNumber: la.number });
    assert.match(textOf((await dba.get('/dba/api-tokens')).body), /31 October 2027 at 8:30am/);
    await agent.get('/account/api-tokens?lang=cy');
    assert.match(textOf((await agent.get('/account/api-tokens')).body), /31 Hydref 2027 am 8:30yb/);

    // Early on the day the page gives, the token is refused: at the time it gives, not the day's end.
    t.clock.advanceMinutes(30 * 24 * 60 - 1);
    assert.equal((await api(t.app, { url: '/api/v1/files/incoming', token })).statusCode, 200);
    t.clock.advanceMinutes(1);
    assert.equal((await api(t.app, { url: '/api/v1/files/incoming', token })).statusCode, 401);
  });
});
