import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, test } from 'node:test';
import { USERS_PER_PAGE } from '../../src/accounts/service.ts';
import { formatDateTime } from '../../src/platform/dates.ts';
import { api, makeToken } from '../api/support.ts';
import { describeEachEngine } from '../support/databases.ts';
import { makeLa, makeSchool, makeUser, makeUsersOfLa } from '../support/factories.ts';
import { Agent, createTestApp, errorSummary, type TestApp } from '../support/web.ts';

const ISSUED = 'copper-kettle-harbour';

function newUsername(): string {
  return `n${randomUUID().replaceAll('-', '').slice(0, 10)}`;
}

/** The usernames the users list shows, in its order. */
function listed(body: string): string[] {
  return [
    ...body.matchAll(/<a class="govuk-link" href="\/dba\/users\/[0-9a-f-]{36}(?:\?[^"]*)?">([^<]+)<\/a>/g),
  ].map((match) => match[1] ?? '');
}

describeEachEngine('User Maintenance pages', (database) => {
  let t: TestApp;
  before(async () => {
    t = await createTestApp(database().db);
  });
  after(async () => {
    await t.app.close();
  });

  async function signedInAs(role: 'la_dba' | 'la_dba_view' | 'national_admin', laNumber?: string) {
    const { db } = database();
    const la = laNumber ? { number: laNumber } : await makeLa(db);
    const user = await makeUser(db, role, { laNumber: role === 'national_admin' ? null : la.number });
    const agent = new Agent(t.app);
    const response = await agent.signIn(user.username);
    assert.equal(response.headers.location, '/');
    return { agent, user, laNumber: la.number };
  }

  test('a DBA adds a user, is reminded to send the username and password separately, and sees the user listed', async () => {
    const { db } = database();
    const { agent, laNumber } = await signedInAs('la_dba');
    const school = await makeSchool(db, laNumber);
    const form = await agent.get('/dba/users/add');
    assert.equal(form.statusCode, 200);
    assert.match(form.body, /<h1 class="govuk-heading-l">Add User<\/h1>/);
    assert.match(form.body, /never send both in the same email or letter/i);
    assert.match(form.body, new RegExp(`value="${school.number}"`), 'offers the LA schools');
    assert.doesNotMatch(form.body, /value="la_dba"/, 'an LA DBA cannot add another DBA');

    const username = newUsername();
    const added = await agent.post('/dba/users/add', {
      username,
      fullName: 'Bea Jones',
      email: 'bea.jones@testshire.example.gov.uk',
      telephone: '',
      role: 'school',
      establishmentNumber: school.number,
      newPassword: ISSUED,
      confirmPassword: ISSUED,
    });
    assert.equal(added.statusCode, 302);
    const row = await db
      .selectFrom('users')
      .selectAll()
      .where('username', '=', username)
      .executeTakeFirstOrThrow();
    assert.equal(added.headers.location, `/dba/users/${row.id}`);
    assert.equal(row.la_number, laNumber);
    assert.equal(row.establishment_number, school.number);

    const page = await agent.get(`/dba/users/${row.id}`);
    assert.equal(page.statusCode, 200);
    assert.match(page.body, new RegExp(`User ${username} has been added`));
    assert.match(page.body, /separately/);
    assert.match(page.body, /School User/);
    assert.match(page.body, /Update role|Change password/);

    const list = await agent.get('/dba/users');
    assert.equal(list.statusCode, 200);
    assert.match(list.body, /<caption class="govuk-table__caption govuk-table__caption--m">/);
    assert.match(list.body, new RegExp(`href="/dba/users/${row.id}">${username}</a>`));
    assert.match(list.body, new RegExp(`${school.name} \\(${school.number}\\)`));
    assert.match(list.body, /href="\/dba\/users\/add"/);
  });

  test('in Welsh: the list, the Add User form with its errors, the user page, and the banner after a change', async () => {
    const { db } = database();
    const la = await makeLa(db);
    const dba = await makeUser(db, 'la_dba', { laNumber: la.number }, { language: 'cy' });
    const colleague = await makeUser(db, 'la_user', { laNumber: la.number });
    const agent = new Agent(t.app);
    await agent.signIn(dba.username);
    const list = await agent.get('/dba/users');
    assert.match(list.body, /<html lang="cy"/);
    assert.match(list.body, /<h1 class="govuk-heading-l">Cynnal a Chadw Defnyddwyr<\/h1>/);
    assert.match(list.body, /Defnyddiwr AALl/, "the colleague's role in Welsh");

    const form = await agent.get('/dba/users/add');
    assert.match(form.body, /<h1 class="govuk-heading-l">Ychwanegu Defnyddiwr<\/h1>/);
    const refused = await agent.post('/dba/users/add', {
      username: 'no spaces',
      fullName: '',
      email: 'someone@gmail.com',
      role: '',
      newPassword: 'short',
      confirmPassword: 'short',
    });
    assert.equal(refused.statusCode, 400);
    assert.equal(
      errorSummary(refused.body),
      'Mae problem wedi codi ' +
        'Rhaid i enw defnyddiwr fod rhwng 3 a 30 o lythrennau neu ddigidau, heb fylchau na symbolau, fel 681bjones ' +
        'Rhowch enw llawn y defnyddiwr ' +
        'Ni chaniateir cyfeiriadau e-bost ar wasanaethau gwe-bost am ddim (gmail.com). Defnyddiwch gyfeiriad ysgol neu awdurdod lleol, fel un sy’n gorffen gyda .sch.uk neu .gov.uk ' +
        'Dewiswch rôl y defnyddiwr ' +
        'Rhaid i’r cyfrinair fod yn 10 nod neu fwy. Mae tri gair ar hap yn gwneud cyfrinair cryf sy’n hawdd ei gofio.',
    );

    const page = await agent.get(`/dba/users/${colleague.id}`);
    assert.match(page.body, /<span class="govuk-caption-l">Defnyddiwr<\/span>/);
    assert.match(page.body, /Newid y defnyddiwr hwn/);
    await agent.get(`/dba/users/${colleague.id}/role`);
    const changed = await agent.post(`/dba/users/${colleague.id}/role`, { role: 'la_plasc' });
    assert.equal(changed.statusCode, 302);
    const after = await agent.get(`/dba/users/${colleague.id}`);
    assert.match(after.body, /Rôl [a-z0-9]+ bellach yw PLASC AALl\./);
    const missing = await agent.get('/dba/users/no-such-user');
    assert.equal(missing.statusCode, 404);
    assert.match(missing.body, /Ni ddaethpwyd o hyd i’r canlynol: Y defnyddiwr\./);
  });

  test('form errors are listed in the error summary, linked to their fields, and the entries are kept except passwords', async () => {
    const { db } = database();
    const { agent, laNumber } = await signedInAs('la_dba');
    const taken = await makeUser(db, 'la_user', { laNumber });
    await agent.get('/dba/users/add');
    const response = await agent.post('/dba/users/add', {
      username: taken.username.toUpperCase(),
      fullName: 'Carys Evans',
      email: 'carys@gmail.com',
      telephone: '',
      role: 'la_user',
      establishmentNumber: '',
      newPassword: ISSUED,
      confirmPassword: 'not-the-same-password',
    });
    assert.equal(response.statusCode, 400);
    const summary = errorSummary(response.body);
    assert.match(
      summary,
      new RegExp(`The username ${taken.username.toUpperCase()} is already in use. Choose another.`),
    );
    assert.match(summary, /free webmail services \(gmail\.com\) are not allowed/);
    assert.match(summary, /The passwords do not match/);
    for (const field of ['username', 'email', 'confirmPassword']) {
      assert.match(response.body, new RegExp(`href="#${field}"`));
      assert.match(response.body, new RegExp(`id="${field}"`));
    }
    assert.match(response.body, /value="Carys Evans"/);
    assert.match(response.body, /value="carys@gmail.com"/);
    assert.match(response.body, /value="la_user" checked/);
    assert.doesNotMatch(response.body, new RegExp(ISSUED));
    assert.match(response.body, /<title>Error: /);
  });

  test('a view-only DBA sees the users and their details but no change links, and cannot post', async () => {
    const { db } = database();
    const { agent, laNumber } = await signedInAs('la_dba_view');
    const colleague = await makeUser(db, 'la_user', { laNumber });
    const list = await agent.get('/dba/users');
    assert.equal(list.statusCode, 200);
    assert.match(list.body, new RegExp(colleague.username));
    assert.doesNotMatch(list.body, /Add User<\/a>/);

    const details = await agent.get(`/dba/users/${colleague.id}`);
    assert.equal(details.statusCode, 200);
    assert.match(details.body, /one-way hash/);
    assert.doesNotMatch(details.body, /\$argon2/, 'the hash itself is never shown');
    assert.match(details.body, /view users but not change them/);
    assert.doesNotMatch(details.body, /\/role"|\/password"|\/delete"/);

    await agent.get('/dba/users');
    const post = await agent.post('/dba/users/add', {
      username: newUsername(),
      fullName: 'Not Allowed',
      role: 'la_user',
      newPassword: ISSUED,
      confirmPassword: ISSUED,
    });
    assert.equal(post.statusCode, 403);
    // The role is what stands in the way: the page says who can change it.
    assert.match(post.body, /You do not have permission to do that\./);
    assert.match(post.body, /If you need to, ask your LA s2s administrator to change your role\./);
    assert.equal((await agent.get(`/dba/users/${colleague.id}/delete`)).statusCode, 403);
    const count = await db.selectFrom('users').select('id').where('full_name', '=', 'Not Allowed').execute();
    assert.equal(count.length, 0);
  });

  test("another LA's user, or an unknown id, is not found", async () => {
    const { db } = database();
    const { agent } = await signedInAs('la_dba');
    const elsewhere = await makeLa(db);
    const stranger = await makeUser(db, 'la_user', { laNumber: elsewhere.number });
    for (const url of [
      `/dba/users/${stranger.id}`,
      `/dba/users/${stranger.id}/role`,
      `/dba/users/${stranger.id}/password`,
      `/dba/users/${stranger.id}/delete`,
      `/dba/users/${randomUUID()}`,
    ]) {
      assert.equal((await agent.get(url)).statusCode, 404, url);
    }
    await agent.get('/dba/users');
    const post = await agent.post(`/dba/users/${stranger.id}/delete`, {});
    assert.equal(post.statusCode, 404);
    const list = await agent.get('/dba/users');
    assert.doesNotMatch(list.body, new RegExp(stranger.username));
    const row = await db
      .selectFrom('users')
      .select('deleted_at')
      .where('id', '=', stranger.id)
      .executeTakeFirst();
    assert.equal(row?.deleted_at, null);
  });

  test('a user added with an issued password must change it at first sign-in before reaching anything else', async () => {
    const { agent: dba } = await signedInAs('la_dba');
    const username = newUsername();
    await dba.get('/dba/users/add');
    const added = await dba.post('/dba/users/add', {
      username,
      fullName: 'Dewi Price',
      role: 'la_user',
      newPassword: ISSUED,
      confirmPassword: ISSUED,
    });
    assert.equal(added.statusCode, 302);

    const newcomer = new Agent(t.app);
    const signIn = await newcomer.signIn(username, ISSUED);
    assert.equal(signIn.headers.location, '/change-password');
    const home = await newcomer.get('/');
    assert.equal(home.statusCode, 302);
    assert.equal(home.headers.location, '/change-password');
    const form = await newcomer.get('/change-password');
    assert.match(form.body, /Choose a new password/);
    const changed = await newcomer.post('/change-password', {
      currentPassword: ISSUED,
      newPassword: 'quiet-river-lamp-violet',
      confirmPassword: 'quiet-river-lamp-violet',
    });
    assert.equal(changed.headers.location, '/');
    const after = await newcomer.get('/');
    assert.equal(after.statusCode, 200);
  });

  test('changing a password from the user page signs the user out and forces a change', async () => {
    const { db } = database();
    const { agent: dba, laNumber } = await signedInAs('la_dba');
    const user = await makeUser(db, 'la_user', { laNumber });
    const victim = new Agent(t.app);
    await victim.signIn(user.username);
    assert.equal((await victim.get('/')).statusCode, 200);

    const weak = await dba.post(
      `/dba/users/${user.id}/password`,
      { newPassword: 'password', confirmPassword: 'password' },
      { formPage: `/dba/users/${user.id}/password` },
    );
    assert.equal(weak.statusCode, 400);
    assert.match(errorSummary(weak.body), /Password/);
    assert.match(weak.body, /href="#newPassword"/);

    const done = await dba.post(`/dba/users/${user.id}/password`, {
      newPassword: ISSUED,
      confirmPassword: ISSUED,
    });
    assert.equal(done.headers.location, `/dba/users/${user.id}`);
    assert.equal((await victim.get('/')).headers.location, '/sign-in?password-reset=1');
    const again = await new Agent(t.app).signIn(user.username, ISSUED);
    assert.equal(again.headers.location, '/change-password');
  });

  test('a paused sign-in shows on the user page until when, and the DBA lifts it; View only sees it and cannot', async () => {
    const { db } = database();
    const { agent: dba, laNumber } = await signedInAs('la_dba');
    const { agent: viewer } = await signedInAs('la_dba_view', laNumber);
    const { agent: admin } = await signedInAs('national_admin');
    const user = await makeUser(db, 'la_user', { laNumber });
    const page = `/dba/users/${user.id}`;
    assert.doesNotMatch((await dba.get(page)).body, /Sign-in paused/);
    const person = new Agent(t.app);
    for (let i = 0; i < 5; i += 1) await person.signIn(user.username, `wrong-${i}`);
    // The pause ends 15 minutes after the fifth failure (the last, all made at this moment).
    const until = formatDateTime(new Date(t.clock.now().getTime() + 15 * 60_000).toISOString());
    assert.equal((await person.signIn(user.username)).statusCode, 429);

    for (const [who, agent] of [
      ['the DBA', dba],
      ['the national administrator', admin],
      ['View only', viewer],
    ] as const) {
      const shown = await agent.get(page);
      assert.match(shown.body, new RegExp(`Sign-in paused[\\s\\S]*until ${until}`), `${who} sees the pause`);
    }
    assert.match((await dba.get(page)).body, /Let them sign in now/);
    assert.doesNotMatch((await viewer.get(page)).body, /Let them sign in now/, 'View only has no button');
    const refused = await viewer.post(`${page}/sign-in-pause`, {}, { formPage: page });
    assert.equal(refused.statusCode, 403);
    // The person phones; a minute later the DBA lets them in.
    t.clock.advanceMinutes(1);

    const lifted = await dba.post(`${page}/sign-in-pause`, {}, { formPage: page });
    assert.equal(lifted.statusCode, 302);
    assert.equal(lifted.headers.location, page);
    const after = await dba.get(page);
    assert.match(after.body, new RegExp(`${user.username} can sign in again now`));
    assert.doesNotMatch(after.body, /Sign-in paused/);
    const audit = await db
      .selectFrom('audit_events')
      .select(['actor_username', 'organisation'])
      .where('action', '=', 'sign-in-pause-lifted')
      .where('subject_id', '=', user.username)
      .execute();
    assert.equal(audit.length, 1);
    assert.equal(audit[0]?.organisation, laNumber);

    const again = await dba.post(`${page}/sign-in-pause`, {}, { formPage: page });
    assert.equal(again.headers.location, page);
    assert.match(
      (await dba.get(page)).body,
      /was not paused: the pause was lifted already[^<]*Nothing was changed/,
    );
    assert.equal((await person.signIn(user.username)).headers.location, '/');

    // Paused again, it ends by itself: the button posted later says so.
    for (let i = 0; i < 5; i += 1) await person.signIn(user.username, `wrong-again-${i}`);
    await dba.get(page);
    t.clock.advanceMinutes(16);
    await dba.post(`${page}/sign-in-pause`, {});
    assert.match((await dba.get(page)).body, /was not paused: the pause had ended[^<]*Nothing was changed/);
  });

  test('issuing a new password lifts a paused sign-in: the guesses were at the old password', async () => {
    const { db } = database();
    const { agent: dba, laNumber } = await signedInAs('la_dba');
    const user = await makeUser(db, 'la_user', { laNumber });
    const person = new Agent(t.app);
    for (let i = 0; i < 5; i += 1) await person.signIn(user.username, `wrong-${i}`);
    assert.match((await dba.get(`/dba/users/${user.id}`)).body, /Sign-in paused/);
    t.clock.advanceMinutes(1);
    const done = await dba.post(
      `/dba/users/${user.id}/password`,
      { newPassword: ISSUED, confirmPassword: ISSUED },
      { formPage: `/dba/users/${user.id}/password` },
    );
    assert.equal(done.headers.location, `/dba/users/${user.id}`);
    assert.doesNotMatch((await dba.get(`/dba/users/${user.id}`)).body, /Sign-in paused/);
    assert.equal((await person.signIn(user.username, ISSUED)).headers.location, '/change-password');
    const reset = await db
      .selectFrom('audit_events')
      .select('detail')
      .where('action', '=', 'password-reset')
      .where('subject_id', '=', user.username)
      .executeTakeFirstOrThrow();
    assert.equal(JSON.parse(reset.detail ?? '{}').signInPauseLifted, true);
  });

  test('a new password revokes the user’s API tokens, as it ends their sessions; others’ tokens go on', async () => {
    const { db } = database();
    const { agent, laNumber } = await signedInAs('la_dba');
    const user = await makeUser(db, 'la_user', { laNumber });
    const colleague = await makeUser(db, 'la_user', { laNumber });
    const [token, other] = [await makeToken(db, user, 'read'), await makeToken(db, colleague, 'read')];
    const incoming = (bearer: string) => api(t.app, { url: '/api/v1/files/incoming', token: bearer });
    assert.equal((await incoming(token)).statusCode, 200);

    const form = await agent.get(`/dba/users/${user.id}/password`);
    assert.match(form.body, /their API tokens are revoked/);
    const done = await agent.post(`/dba/users/${user.id}/password`, {
      newPassword: ISSUED,
      confirmPassword: ISSUED,
    });
    assert.equal(done.statusCode, 302);
    const details = await agent.get(`/dba/users/${user.id}`);
    assert.match(details.body, /Their API tokens have been revoked: they make new ones for their software/);
    assert.equal((await incoming(token)).statusCode, 401, 'a token made with the old password acts no more');
    assert.equal((await incoming(other)).statusCode, 200);
    const audit = await db
      .selectFrom('audit_events')
      .select('detail')
      .where('action', '=', 'password-reset')
      .where('subject_id', '=', user.username)
      .executeTakeFirstOrThrow();
    assert.equal(JSON.parse(audit.detail ?? '{}').tokensRevoked, 1);
  });

  test('the role page changes only the role; School Users keep theirs', async () => {
    const { db } = database();
    const { agent, laNumber } = await signedInAs('la_dba');
    const user = await makeUser(db, 'la_user', { laNumber });
    const page = await agent.get(`/dba/users/${user.id}/role`);
    assert.equal(page.statusCode, 200);
    assert.match(page.body, /value="la_user" checked/);
    const same = await agent.post(`/dba/users/${user.id}/role`, { role: 'la_user' });
    assert.equal(same.statusCode, 400);
    assert.match(errorSummary(same.body), /already has the role LEA User/);
    const changed = await agent.post(`/dba/users/${user.id}/role`, { role: 'la_admissions' });
    assert.equal(changed.statusCode, 302);
    const details = await agent.get(`/dba/users/${user.id}`);
    assert.match(details.body, /The role of .* is now LEA Admissions/);

    const school = await makeSchool(db, laNumber);
    const schoolUser = await makeUser(db, 'school', { laNumber, establishmentNumber: school.number });
    const refused = await agent.get(`/dba/users/${schoolUser.id}/role`);
    assert.equal(refused.statusCode, 403);
    assert.match(refused.body, /belongs to a school/);
    const schoolPage = await agent.get(`/dba/users/${schoolUser.id}`);
    assert.doesNotMatch(schoolPage.body, /\/role"/);
    assert.match(schoolPage.body, /\/password"/);
  });

  test('a new role revokes the user’s API tokens, as it ends their sessions; others’ tokens go on', async () => {
    const { db } = database();
    const { agent, laNumber } = await signedInAs('la_dba');
    const user = await makeUser(db, 'la_admissions', { laNumber });
    const colleague = await makeUser(db, 'la_admissions', { laNumber });
    const [token, other] = [await makeToken(db, user, 'read'), await makeToken(db, colleague, 'read')];
    const incoming = (bearer: string) => api(t.app, { url: '/api/v1/files/incoming', token: bearer });
    assert.equal((await incoming(token)).statusCode, 200);

    const changed = await agent.post(`/dba/users/${user.id}/role`, { role: 'la_lost_pupil_transfer' });
    assert.equal(changed.statusCode, 302);
    const details = await agent.get(`/dba/users/${user.id}`);
    assert.match(details.body, /Their API tokens have been revoked: they make new ones for their software/);
    assert.equal((await incoming(token)).statusCode, 401, 'the old token acts no more');
    assert.equal((await incoming(other)).statusCode, 200);
    const audit = await db
      .selectFrom('audit_events')
      .select('detail')
      .where('action', '=', 'user-role-changed')
      .where('subject_id', '=', user.username)
      .executeTakeFirstOrThrow();
    assert.equal(JSON.parse(audit.detail ?? '{}').tokensRevoked, 1);
  });

  test('deleting asks for confirmation, then removes the user from the list', async () => {
    const { db } = database();
    const { agent, user: self, laNumber } = await signedInAs('la_dba');
    const user = await makeUser(db, 'la_user', { laNumber });
    const confirm = await agent.get(`/dba/users/${user.id}/delete`);
    assert.equal(confirm.statusCode, 200);
    assert.match(confirm.body, /Are you sure you want to delete this user\?/);
    const deleted = await agent.post(`/dba/users/${user.id}/delete`, {});
    assert.equal(deleted.headers.location, '/dba/users');
    const list = await agent.get('/dba/users');
    assert.match(list.body, new RegExp(`User ${user.username} has been deleted`));
    assert.doesNotMatch(list.body, new RegExp(`>${user.username}</a>`));
    assert.equal((await agent.get(`/dba/users/${user.id}`)).statusCode, 404);
    // An LA DBA cannot delete themselves (nor any DBA): a rule, which no change of role would lift.
    const own = await agent.get(`/dba/users/${self.id}/delete`);
    assert.equal(own.statusCode, 403);
    assert.match(own.body, /You cannot delete your own account\. Ask another administrator to do it\./);
    assert.doesNotMatch(own.body, /change your role/);
    assert.match(own.body, /<a class="govuk-link" href="\/">Go to the home page<\/a>\./);
    const ownRole = await agent.get(`/dba/users/${self.id}/role`);
    assert.equal(ownRole.statusCode, 403);
    assert.match(ownRole.body, /You cannot change your own role/);
    assert.doesNotMatch(ownRole.body, /change your role/);
  });

  test("the LEA PLASC role's description on Add User says what the role may do", async () => {
    const { db } = database();
    const { agent, laNumber } = await signedInAs('la_dba');
    const form = await agent.get('/dba/users/add');
    assert.match(
      form.body,
      /Downloads the census \(PLASC\) files schools send to the LA and checks their returns in COLLECT; uploads and downloads generic files as the LA’s PLASC inbox \(LEAPLAS\)/,
    );

    // What it says: census files down, generic files both ways, census returns in COLLECT; no census upload.
    const plasc = await makeUser(db, 'la_plasc', { laNumber });
    const officer = new Agent(t.app);
    await officer.signIn(plasc.username);
    for (const [path, status] of [
      ['/download/plasc', 200],
      ['/download/generic', 200],
      ['/upload/generic', 200],
      ['/collect', 200],
      ['/upload/plasc', 403],
      ['/upload/ctf', 403],
    ] as const) {
      assert.equal((await officer.get(path)).statusCode, status, path);
    }
    const refused = await officer.get('/upload/plasc');
    assert.match(refused.body, /You do not have permission to do that\./);
    assert.match(refused.body, /ask your LA s2s administrator to change your role/);
  });

  test('the national administrator filters by LA and adds an LA DBA after choosing the LA', async () => {
    const { db } = database();
    const { agent } = await signedInAs('national_admin');
    const la = await makeLa(db, { name: 'Filtershire' });
    const other = await makeLa(db);
    const inLa = await makeUser(db, 'la_user', { laNumber: la.number });
    const outside = await makeUser(db, 'la_user', { laNumber: other.number });

    const all = await agent.get('/dba/users');
    assert.match(all.body, new RegExp(`<option value="${la.number}">${la.number} Filtershire</option>`));
    assert.match((await agent.get(`/dba/users?la=${other.number}`)).body, new RegExp(outside.username));
    const filtered = await agent.get(`/dba/users?la=${la.number}`);
    assert.match(filtered.body, new RegExp(inLa.username));
    assert.doesNotMatch(filtered.body, new RegExp(outside.username));
    assert.match(filtered.body, new RegExp(`href="/dba/users/add\\?la=${la.number}"`));
    assert.equal((await agent.get('/dba/users?la=abc')).statusCode, 400);

    const choose = await agent.get('/dba/users/add');
    assert.match(choose.body, /Which LA will the user work for\?/);
    const form = await agent.get(`/dba/users/add?la=${la.number}`);
    assert.match(form.body, /value="la_dba"/);
    assert.doesNotMatch(form.body, /value="national_admin"/);
    const username = newUsername();
    const added = await agent.post('/dba/users/add', {
      username,
      fullName: 'Ffion Administrator',
      role: 'la_dba',
      laNumber: la.number,
      newPassword: ISSUED,
      confirmPassword: ISSUED,
    });
    assert.equal(added.statusCode, 302);
    const row = await db
      .selectFrom('users')
      .selectAll()
      .where('username', '=', username)
      .executeTakeFirstOrThrow();
    assert.equal(row.la_number, la.number);
    assert.equal(row.role, 'la_dba');

    const national = await agent.get('/dba/users/add?la=none');
    assert.match(national.body, /value="national_admin"/);
    assert.doesNotMatch(national.body, /value="la_user"/);
  });
  test("an LA DBA's list: a page at a time in username order, only the LA's users, the last page for one past it", async () => {
    const { db } = database();
    const { agent, user: dba, laNumber } = await signedInAs('la_dba');
    const names = await makeUsersOfLa(db, laNumber, USERS_PER_PAGE + 10);
    await makeUsersOfLa(db, (await makeLa(db)).number, 3);
    const expected = [...names, dba.username].sort();

    const first = await agent.get('/dba/users');
    assert.equal(first.statusCode, 200);
    assert.deepEqual(listed(first.body), expected.slice(0, USERS_PER_PAGE));
    assert.match(
      first.body,
      new RegExp(`Users of your LA and its schools\\s*\\(${expected.length}\\), page 1 of 2`),
    );
    assert.match(first.body, /<nav class="govuk-pagination"/);
    assert.match(first.body, /href="\/dba\/users\?page=2"/);
    const second = await agent.get('/dba/users?page=2');
    assert.equal(second.statusCode, 200);
    assert.deepEqual(listed(second.body), expected.slice(USERS_PER_PAGE));
    assert.match(second.body, /page 2 of 2/);
    assert.match(second.body, /href="\/dba\/users\?page=1"/);
    // Each user's page leads back to the page of the list it was reached from.
    const onSecond = expected[USERS_PER_PAGE];
    const userLink = new RegExp(`href="(/dba/users/[^"?]+)\\?page=2">${onSecond}<`).exec(second.body);
    assert.ok(userLink, 'the row links carry the page');
    const userPage = await agent.get(`${userLink[1]}?page=2`);
    assert.equal(userPage.statusCode, 200);
    assert.match(userPage.body, /<a href="\/dba\/users\?page=2" class="govuk-back-link"/);
    assert.match(
      first.body,
      new RegExp(`href="/dba/users/[^"?]+">${expected[0]}<`),
      'page 1 links carry nothing',
    );
    const tampered = await agent.get(`${userLink[1]}?page=-3&la=..%2Fx`);
    assert.match(tampered.body, /<a href="\/dba\/users" class="govuk-back-link"/);
    // A page that is not a number is the first; one past the end redirects to the last.
    assert.deepEqual(listed((await agent.get('/dba/users?page=x')).body), expected.slice(0, USERS_PER_PAGE));
    const past = await agent.get('/dba/users?page=9');
    assert.equal(past.statusCode, 303);
    assert.equal(past.headers.location, '/dba/users?page=2');
    // An LA DBA cannot reach another LA's users by naming it: the filter is the national administrator's.
    const named = await agent.get(`/dba/users?la=${(await makeLa(db)).number}&page=2`);
    assert.deepEqual(listed(named.body), expected.slice(USERS_PER_PAGE));
  });

  test("the national administrator's list keeps the LA chosen across its pages", async () => {
    const { db } = database();
    const { agent } = await signedInAs('national_admin');
    const la = await makeLa(db);
    const names = await makeUsersOfLa(db, la.number, USERS_PER_PAGE + 5);
    await makeUsersOfLa(db, (await makeLa(db)).number, 3);

    const first = await agent.get(`/dba/users?la=${la.number}`);
    assert.deepEqual(listed(first.body), names.slice(0, USERS_PER_PAGE));
    assert.match(first.body, new RegExp(`href="/dba/users\\?la=${la.number}&amp;page=2"`));
    assert.doesNotMatch(first.body, /href="\/dba\/users\?page=2"/);
    const second = await agent.get(`/dba/users?la=${la.number}&page=2`);
    assert.deepEqual(listed(second.body), names.slice(USERS_PER_PAGE));
    assert.match(second.body, new RegExp(`href="/dba/users\\?la=${la.number}&amp;page=1"`));
    assert.match(second.body, new RegExp(`<option value="${la.number}" selected>`), 'the LA stays chosen');
    assert.match(second.body, new RegExp(`href="/dba/users/add\\?la=${la.number}"`));
    const userLink = new RegExp(`href="(/dba/users/[^"?]+)\\?la=${la.number}&amp;page=2">`).exec(second.body);
    assert.ok(userLink, 'the row links carry the LA and the page');
    const userPage = await agent.get(`${userLink[1]}?la=${la.number}&page=2`);
    assert.match(
      userPage.body,
      new RegExp(`<a href="/dba/users\\?la=${la.number}&amp;page=2" class="govuk-back-link"`),
    );
    // The place is kept through a change to the account, and its deletion returns there.
    const place = `?la=${la.number}&page=2`;
    const userPath = userLink[1];
    const kept = `\\?la=${la.number}&amp;page=2"`;
    assert.match(userPage.body, new RegExp(`href="${userPath}/role${kept}`));
    assert.match(
      (await agent.get(`${userPath}/role${place}`)).body,
      new RegExp(`action="${userPath}/role${kept}`),
    );
    const changed = await agent.post(`${userPath}/role${place}`, { role: 'la_plasc' });
    assert.equal(changed.headers.location, `${userPath}${place}`);
    const deletePage = await agent.get(`${userPath}/delete${place}`);
    assert.match(deletePage.body, new RegExp(`href="${userPath}${kept}>Cancel<`));
    const deleted = await agent.post(`${userPath}/delete${place}`, {});
    assert.equal(deleted.headers.location, `/dba/users${place}`);
    const past = await agent.get(`/dba/users?la=${la.number}&page=99`);
    assert.equal(past.statusCode, 303);
    assert.equal(past.headers.location, `/dba/users?la=${la.number}&page=2`);
  });

  test("the national administrator's whole list, page after page, is every user once, national accounts first", async () => {
    const { db } = database();
    const { agent } = await signedInAs('national_admin');
    await makeUsersOfLa(db, (await makeLa(db)).number, USERS_PER_PAGE + 1);
    await makeUser(
      db,
      'la_user',
      { laNumber: (await makeLa(db)).number },
      { deleted_at: '2026-11-02T09:00:00.000Z' },
    );
    const users = await db
      .selectFrom('users')
      .select(['username', 'la_number'])
      .where('deleted_at', 'is', null)
      .execute();
    const byCode = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
    const expected = users
      .sort((a, b) => byCode(a.la_number ?? '', b.la_number ?? '') || byCode(a.username, b.username))
      .map((u) => u.username);
    const pages = Math.ceil(expected.length / USERS_PER_PAGE);
    assert.ok(pages >= 2);
    const shown: string[] = [];
    for (let page = 1; page <= pages; page += 1) {
      const response = await agent.get(`/dba/users?page=${page}`);
      assert.match(
        response.body,
        new RegExp(`All users\\s*\\(${expected.length}\\), page ${page} of ${pages}`),
      );
      shown.push(...listed(response.body));
    }
    assert.deepEqual(shown, expected);
  });
});
