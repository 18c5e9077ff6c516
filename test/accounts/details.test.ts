// Change details (decision 78): whoever may change a user's role corrects their full name, email address
// and telephone number, by Add User's rules; a stale form is refused; each change is audited with each
// field's from and to; an email address changed is emailed to the old address and the new (delivered over
// a real SMTP server here). And Add User (the page) says truly why a deleted account's username is refused.
// Through the pages (app.inject), on SQLite and PostgreSQL.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, test } from 'node:test';
import { deliverDue } from '../../src/notifications/delivery.ts';
import { ManualClock } from '../../src/platform/clock.ts';
import type { Db, UserRow } from '../../src/platform/db/schema.ts';
import { createLogger } from '../../src/platform/logger.ts';
import { createMailer } from '../../src/platform/mail/mailer.ts';
import { describeEachEngine } from '../support/databases.ts';
import { makeLa, makeSchool, makeUser } from '../support/factories.ts';
import { startSmtpServer, type TestSmtpServer } from '../support/smtp.ts';
import { Agent, createTestApp, errorSummary, hiddenFields, type TestApp } from '../support/web.ts';

const ISSUED = 'copper-kettle-harbour';

function mailbox(name = 'person'): string {
  return `${name}-${randomUUID().slice(0, 8)}@testshire.example.gov.uk`;
}

/** The page's text without its markup. */
function text(html: string): string {
  return html
    .replace(/<[^>]+>/g, ' ')
    .replace(/&#39;|&rsquo;|’/g, "'")
    .replace(/&quot;/g, '"')
    .replace(/\s+/g, ' ');
}

describeEachEngine('Change details on the user page', (database) => {
  let t: TestApp;
  let smtp: TestSmtpServer;
  before(async () => {
    t = await createTestApp(database().db);
    smtp = await startSmtpServer();
  });
  after(async () => {
    await t.app.close();
    await smtp.stop();
  });

  async function dbaOfNewLa() {
    const { db } = database();
    const la = await makeLa(db);
    const dba = await makeUser(db, 'la_dba', { laNumber: la.number });
    const agent = new Agent(t.app);
    assert.equal((await agent.signIn(dba.username)).headers.location, '/');
    return { agent, dba, la };
  }

  /** The Change details form as the page gives it: its hidden fields, then these fields. */
  async function postDetails(
    agent: Agent,
    user: UserRow,
    fields: { fullName?: string; email?: string; telephone?: string },
    page?: string,
  ) {
    const form = page ?? (await agent.get(`/dba/users/${user.id}/details`)).body;
    const hidden = hiddenFields(form, `/dba/users/${user.id}/details`);
    const value = (name: string) =>
      /value="([^"]*)"/.exec(new RegExp(`<input[^>]*name="${name}"[^>]*>`).exec(form)?.[0] ?? '')?.[1];
    return agent.post(`/dba/users/${user.id}/details`, {
      ...hidden,
      fullName: fields.fullName ?? value('fullName') ?? '',
      email: fields.email ?? value('email') ?? '',
      telephone: fields.telephone ?? value('telephone') ?? '',
    });
  }

  async function row(db: Db, user: UserRow) {
    return db.selectFrom('users').selectAll().where('id', '=', user.id).executeTakeFirstOrThrow();
  }

  async function detailsAudits(db: Db, user: UserRow) {
    const rows = await db
      .selectFrom('audit_events')
      .selectAll()
      .where('action', '=', 'user-details-changed')
      .where('subject_id', '=', user.username)
      .orderBy('occurred_at')
      .execute();
    return rows.map((r) => ({ ...r, detail: JSON.parse(r.detail ?? '{}') as Record<string, unknown> }));
  }

  async function accountEmails(db: Db, user: UserRow) {
    const rows = await db
      .selectFrom('notification_outbox')
      .selectAll()
      .where('template', '=', 'account-changed')
      .where('recipient', '=', user.id)
      .orderBy('payload')
      .execute();
    return rows.map((r) => ({ ...r, facts: JSON.parse(r.payload) as Record<string, unknown> }));
  }

  test('the user page has a Change link on the name, email and telephone rows; each field is corrected and audited from → to', async () => {
    const { db } = database();
    const { agent, dba, la } = await dbaOfNewLa();
    const user = await makeUser(
      db,
      'la_user',
      { laNumber: la.number },
      { full_name: 'Carys Evans', email: null, telephone: null },
    );
    const page = await agent.get(`/dba/users/${user.id}`);
    assert.equal(page.statusCode, 200);
    for (const field of ['fullName', 'email', 'telephone']) {
      assert.match(page.body, new RegExp(`href="/dba/users/${user.id}/details#${field}"`), field);
    }
    assert.match(text(page.body), new RegExp(`Change Full name of ${user.username}`));

    const form = await agent.get(`/dba/users/${user.id}/details`);
    assert.equal(form.statusCode, 200);
    assert.match(form.body, /<h1 class="govuk-heading-l">.*Change details<\/h1>/s);
    assert.match(form.body, /value="Carys Evans"/);

    // The name alone: no email is written for it (decision 78).
    const renamed = await postDetails(agent, user, { fullName: 'Carys Jones' }, form.body);
    assert.equal(renamed.statusCode, 302);
    assert.equal(renamed.headers.location, `/dba/users/${user.id}`);
    assert.match(
      text((await agent.get(`/dba/users/${user.id}`)).body),
      new RegExp(`The details of ${user.username} have been changed\\.`),
    );
    assert.equal((await row(db, user)).full_name, 'Carys Jones');

    const phoned = await postDetails(agent, user, { telephone: '01632 960 123' });
    assert.equal(phoned.statusCode, 302);
    const email = mailbox('carys');
    const emailed = await postDetails(agent, user, { email });
    assert.equal(emailed.statusCode, 302);
    const after = await row(db, user);
    assert.equal(after.telephone, '01632 960 123');
    assert.equal(after.email, email);
    assert.equal(after.role, 'la_user', 'nothing else changes');

    const audits = await detailsAudits(db, user);
    assert.deepEqual(
      audits.map((a) => a.detail),
      [
        { fields: ['full_name'], changes: { full_name: { from: 'Carys Evans', to: 'Carys Jones' } } },
        { fields: ['telephone'], changes: { telephone: { from: null, to: '01632 960 123' } } },
        { fields: ['email'], changes: { email: { from: null, to: email } } },
      ],
    );
    for (const audit of audits) {
      assert.equal(audit.actor_username, dba.username);
      assert.equal(audit.organisation, la.number);
      assert.equal(audit.subject_type, 'user');
    }
    // The Audit Log shows each change as from → to.
    const log = text((await agent.get('/dba/audit')).body);
    assert.match(log, /User details changed/);
    assert.match(log, /full name "Carys Evans" → "Carys Jones"/);
    assert.match(log, /telephone none → "01632 960 123"/);

    // An address added: only the new address is told (there was no old one).
    const emails = await accountEmails(db, user);
    assert.deepEqual(
      emails.map((e) => [e.recipient_kind, e.recipient, e.facts.sentTo, e.facts.fromEmail, e.facts.toEmail]),
      [['user-at', user.id, 'new', null, email]],
    );
  });

  test('errors re-render the form with the GOV.UK error summary, by Add User’s rules, and nothing is saved', async () => {
    const { db } = database();
    const { agent, la } = await dbaOfNewLa();
    const email = mailbox();
    const user = await makeUser(db, 'la_user', { laNumber: la.number }, { full_name: 'Dai Price', email });
    const refused = await postDetails(agent, user, {
      fullName: '  ',
      email: 'dai.price@hotmail.co.uk',
      telephone: '12345',
    });
    assert.equal(refused.statusCode, 400);
    assert.match(refused.body, /<title>Error: /);
    const summary = errorSummary(refused.body);
    assert.match(summary, /Enter the user&#39;s full name/);
    assert.match(summary, /free webmail services \(hotmail\.co\.uk\) are not allowed/);
    assert.match(summary, /telephone number/i);
    for (const field of ['fullName', 'email', 'telephone']) {
      assert.match(refused.body, new RegExp(`href="#${field}"`));
      assert.match(refused.body, new RegExp(`id="${field}-error"`));
    }
    assert.match(refused.body, /value="dai.price@hotmail.co.uk"/, 'what was typed is kept');
    const after = await row(db, user);
    assert.equal(after.full_name, 'Dai Price');
    assert.equal(after.email, email);
    assert.deepEqual(await detailsAudits(db, user), []);
    assert.deepEqual(await accountEmails(db, user), []);

    // Corrected and sent again from the page with errors: saved.
    const fixed = await postDetails(
      agent,
      user,
      { fullName: 'Dai Pryce', email, telephone: '' },
      refused.body,
    );
    assert.equal(fixed.statusCode, 302);
    assert.equal((await row(db, user)).full_name, 'Dai Pryce');
  });

  test('in Welsh: the form, its errors and the banner', async () => {
    const { db } = database();
    const la = await makeLa(db);
    const dba = await makeUser(db, 'la_dba', { laNumber: la.number }, { language: 'cy' });
    const user = await makeUser(db, 'la_user', { laNumber: la.number });
    const agent = new Agent(t.app);
    await agent.signIn(dba.username);
    const form = await agent.get(`/dba/users/${user.id}/details`);
    assert.match(form.body, /<html lang="cy"/);
    assert.match(form.body, /Newid manylion<\/h1>/);
    const refused = await postDetails(agent, user, { fullName: '' }, form.body);
    assert.match(errorSummary(refused.body), /Rhowch enw llawn y defnyddiwr/);
    await postDetails(agent, user, { fullName: 'Siân Hughes' });
    assert.match(
      text((await agent.get(`/dba/users/${user.id}`)).body),
      /Mae manylion .* wedi cael eu newid\./,
    );
  });

  test('the same details saved: nothing is written, and the page says nothing changed', async () => {
    const { db } = database();
    const { agent, la } = await dbaOfNewLa();
    const user = await makeUser(db, 'la_user', { laNumber: la.number }, { email: mailbox() });
    const form = await agent.get(`/dba/users/${user.id}/details`);
    const same = await postDetails(agent, user, {}, form.body);
    assert.equal(same.statusCode, 302);
    assert.match(
      text((await agent.get(`/dba/users/${user.id}`)).body),
      /Nothing was changed: the details you saved are the ones/,
    );
    assert.deepEqual(await detailsAudits(db, user), []);
    assert.deepEqual(await accountEmails(db, user), []);
    assert.equal((await row(db, user)).updated_at, user.updated_at);
  });

  test('a form from a page shown before someone else changed the details is refused, and nothing of it is saved; the same form sent twice changes once', async () => {
    const { db } = database();
    const { agent, la } = await dbaOfNewLa();
    const user = await makeUser(db, 'la_user', { laNumber: la.number }, { full_name: 'Eleri Owen' });
    const first = await agent.get(`/dba/users/${user.id}/details`);
    // Another administrator corrects the name meanwhile.
    const other = new Agent(t.app);
    const otherDba = await makeUser(db, 'national_admin', {});
    await other.signIn(otherDba.username);
    assert.equal((await postDetails(other, user, { fullName: 'Eleri Morgan' })).statusCode, 302);

    const stale = await postDetails(
      agent,
      user,
      { fullName: 'Eleri Owens', telephone: '01632 960 555' },
      first.body,
    );
    assert.equal(stale.statusCode, 400);
    assert.match(
      errorSummary(stale.body),
      /changed since this page was shown, perhaps by another administrator/,
    );
    assert.match(stale.body, /value="Eleri Morgan"/, 'the form shows the details as they are now');
    const now = await row(db, user);
    assert.equal(now.full_name, 'Eleri Morgan');
    assert.equal(now.telephone, null, 'nothing partly saved');
    assert.equal((await detailsAudits(db, user)).length, 1);

    // From the page as it is now: saved. The same form sent again: changed already, nothing twice.
    const again = await postDetails(agent, user, { fullName: 'Eleri Owens' }, stale.body);
    assert.equal(again.statusCode, 302);
    const twice = await postDetails(agent, user, { fullName: 'Eleri Owens' }, stale.body);
    assert.equal(twice.statusCode, 302);
    assert.match(
      text((await agent.get(`/dba/users/${user.id}`)).body),
      /were changed to these already: this form may have been sent twice/,
    );
    assert.equal((await detailsAudits(db, user)).length, 2);
  });

  test("another LA's DBA is told not found, a view-only DBA and a school user may not, nor a DBA their own details", async () => {
    const { db } = database();
    const { agent, la } = await dbaOfNewLa();
    const elsewhere = await makeLa(db);
    const stranger = await makeUser(
      db,
      'la_user',
      { laNumber: elsewhere.number },
      { full_name: 'Ffion Rees' },
    );
    assert.equal((await agent.get(`/dba/users/${stranger.id}/details`)).statusCode, 404);
    await agent.get('/dba/users');
    assert.equal(
      (await agent.post(`/dba/users/${stranger.id}/details`, { fullName: 'Hijack' })).statusCode,
      404,
    );
    assert.equal((await row(db, stranger)).full_name, 'Ffion Rees');

    const colleague = await makeUser(db, 'la_user', { laNumber: la.number }, { full_name: 'Gwen Lloyd' });
    const viewer = await makeUser(db, 'la_dba_view', { laNumber: la.number });
    const viewing = new Agent(t.app);
    await viewing.signIn(viewer.username);
    const page = await viewing.get(`/dba/users/${colleague.id}`);
    assert.doesNotMatch(page.body, /\/details/);
    assert.equal((await viewing.get(`/dba/users/${colleague.id}/details`)).statusCode, 403);
    assert.equal(
      (await viewing.post(`/dba/users/${colleague.id}/details`, { fullName: 'X' })).statusCode,
      403,
    );

    const school = await makeSchool(db, la.number);
    const schoolUser = await makeUser(db, 'school', {
      laNumber: la.number,
      establishmentNumber: school.number,
    });
    const atSchool = new Agent(t.app);
    await atSchool.signIn(schoolUser.username);
    assert.equal((await atSchool.get(`/dba/users/${colleague.id}/details`)).statusCode, 403);
    await atSchool.get('/');
    assert.equal(
      (await atSchool.post(`/dba/users/${colleague.id}/details`, { fullName: 'X' })).statusCode,
      403,
    );
    assert.equal((await row(db, colleague)).full_name, 'Gwen Lloyd');

    // A school user's details are corrected by the DBA (their role is fixed, not their name).
    assert.equal((await postDetails(agent, schoolUser, { fullName: 'Huw School' })).statusCode, 302);
    assert.equal((await row(db, schoolUser)).full_name, 'Huw School');

    const self = await db
      .selectFrom('users')
      .selectAll()
      .where('role', '=', 'la_dba')
      .where('la_number', '=', la.number)
      .executeTakeFirstOrThrow();
    const own = await agent.get(`/dba/users/${self.id}/details`);
    assert.equal(own.statusCode, 403);
    assert.match(own.body, /You cannot change your own details here\. Ask another administrator to do it\./);
  });

  test('an email address changed: both the old and the new address are emailed, in the user’s language, over SMTP', async () => {
    const { db } = database();
    const { agent, la } = await dbaOfNewLa();
    const old = mailbox('old');
    const next = mailbox('new');
    const user = await makeUser(db, 'la_user', { laNumber: la.number }, { email: old, language: 'cy' });
    const changed = await postDetails(agent, user, { email: next, fullName: 'Iolo Williams' });
    assert.equal(changed.statusCode, 302);
    assert.match(
      text((await agent.get(`/dba/users/${user.id}`)).body),
      new RegExp(`An email saying that their email address changed is on its way to ${old} and ${next}\\.`),
    );
    const audit = await detailsAudits(db, user);
    assert.deepEqual(audit[0]?.detail.changes, {
      full_name: { from: 'Test Person', to: 'Iolo Williams' },
      email: { from: old, to: next },
    });
    const queued = await accountEmails(db, user);
    assert.deepEqual(
      queued
        .map((e) => [
          e.recipient_kind,
          e.recipient,
          e.facts.change,
          e.facts.by,
          e.facts.sentTo,
          e.facts.address,
        ])
        .sort((a, b) => String(a[4]).localeCompare(String(b[4]))),
      [
        ['user-at', user.id, 'email-changed', 'la-administrator', 'new', next],
        ['user-at', user.id, 'email-changed', 'la-administrator', 'old', old],
      ],
    );

    // The address changes again before they are sent: each still goes where it was meant to.
    await db
      .updateTable('users')
      .set({ email: mailbox('later') })
      .where('id', '=', user.id)
      .execute();
    const mailer = createMailer(smtp.config());
    try {
      const result = await deliverDue({
        db,
        mailer,
        clock: new ManualClock(new Date(Date.now() + 60_000).toISOString()),
        logger: createLogger('silent'),
        email: {
          serviceName: 's2s',
          serviceUrl: 'https://s2s.test.example',
          serviceDesk: { email: 'desk@example.gov.uk', telephone: '0300 123 4567' },
        },
        owner: 'test',
      });
      assert.ok(result.sent >= 2);
    } finally {
      mailer.close();
    }
    const received = smtp.received.splice(0).filter((e) => e.to.includes(old) || e.to.includes(next));
    const toOld = received.find((e) => e.to.includes(old));
    const toNew = received.find((e) => e.to.includes(next));
    assert.equal(received.length, 2);
    assert.ok(toOld && toNew);
    assert.equal(toOld.subject, 'Cafodd cyfeiriad e-bost eich cyfrif s2s ei newid');
    assert.match(
      toOld.text.replace(/\s+/g, ' '),
      new RegExp(`ei newid o’r cyfeiriad hwn, ${old}, i ${next}\\..*dyma’r olaf a anfonir yma`),
    );
    assert.match(toOld.text.replace(/\s+/g, ' '), /Newidiwyd gan: gweinyddwr s2s eich awdurdod lleol/);
    assert.match(
      toNew.text.replace(/\s+/g, ' '),
      new RegExp(`ei newid o ${old} i’r cyfeiriad hwn, ${next}\\.`),
    );
    const sent = await accountEmails(db, user);
    assert.deepEqual(
      sent.map((e) => e.status),
      ['sent', 'sent'],
    );
  });

  test('an email address removed tells only the old address; a deleted account’s queued emails are not sent', async () => {
    const { db } = database();
    const { agent, la } = await dbaOfNewLa();
    const old = mailbox('gone');
    const user = await makeUser(db, 'la_user', { laNumber: la.number }, { email: old });
    assert.equal((await postDetails(agent, user, { email: '' })).statusCode, 302);
    assert.equal((await row(db, user)).email, null);
    const queued = await accountEmails(db, user);
    assert.deepEqual(
      queued.map((e) => [e.recipient_kind, e.facts.sentTo, e.facts.address, e.facts.toEmail]),
      [['user-at', 'old', old, null]],
    );
  });

  test('Add User: a username that belonged to a deleted account says so, with the day, and that usernames are never used again', async () => {
    const { db } = database();
    const { agent, la } = await dbaOfNewLa();
    const gone = await makeUser(
      db,
      'la_user',
      { laNumber: la.number },
      { deleted_at: '2026-11-05T10:00:00.000Z' },
    );
    await agent.get('/dba/users/add');
    const form = {
      fullName: 'Jac Edwards',
      email: '',
      telephone: '',
      role: 'la_user',
      establishmentNumber: '',
      newPassword: ISSUED,
      confirmPassword: ISSUED,
    };
    const refused = await agent.post('/dba/users/add', { ...form, username: gone.username.toUpperCase() });
    assert.equal(refused.statusCode, 400);
    assert.match(
      errorSummary(refused.body),
      new RegExp(
        `The username ${gone.username.toUpperCase()} belonged to an account deleted on 5 November 2026\\. ` +
          'Usernames are never used again, so that the audit log always means one person\\. Choose another username\\.',
      ),
    );
    assert.doesNotMatch(refused.body, /already in use/);

    // Another LA's deleted account: the DBA could not see it, so no date, and not even whether it was deleted.
    const elsewhere = await makeLa(db);
    const strangerGone = await makeUser(
      db,
      'la_user',
      { laNumber: elsewhere.number },
      { deleted_at: '2026-10-01T10:00:00.000Z' },
    );
    const strangerLive = await makeUser(db, 'la_user', { laNumber: elsewhere.number });
    for (const username of [strangerGone.username, strangerLive.username]) {
      const unseen = await agent.post('/dba/users/add', { ...form, username });
      assert.equal(unseen.statusCode, 400);
      const summary = errorSummary(unseen.body);
      assert.match(
        summary,
        new RegExp(`The username ${username} belongs, or belonged, to an account you cannot see\\.`),
      );
      assert.doesNotMatch(summary, /deleted on|October/);
    }

    // One of the DBA's own LA in use: as before.
    const live = await makeUser(db, 'la_user', { laNumber: la.number });
    const inUse = await agent.post('/dba/users/add', { ...form, username: live.username });
    assert.match(errorSummary(inUse.body), new RegExp(`The username ${live.username} is already in use\\.`));
  });
});
