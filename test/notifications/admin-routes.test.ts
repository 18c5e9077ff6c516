import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { createApp } from '../../src/app.ts';
import type { Role } from '../../src/auth/permissions.ts';
import { loadConfig } from '../../src/config.ts';
import { buildDeps } from '../../src/deps.ts';
import { emailContext } from '../../src/jobs.ts';
import { EMAIL_PREVIEW_CSP } from '../../src/notifications/admin-routes.ts';
import { deliverDue } from '../../src/notifications/delivery.ts';
import { enqueueNotification, getNotification, outboxCounts } from '../../src/notifications/outbox.ts';
import { ManualClock } from '../../src/platform/clock.ts';
import type { Db, OutboxRow, OutboxStatus } from '../../src/platform/db/schema.ts';
import { createLogger } from '../../src/platform/logger.ts';
import { createMailer, type Mailer, type OutgoingEmail } from '../../src/platform/mail/mailer.ts';
import { MasterKey } from '../../src/platform/storage/envelope.ts';
import { describeEachEngine } from '../support/databases.ts';
import { makeLa, makeSchool, makeUser } from '../support/factories.ts';
import { Agent, createTestApp, errorSummary, type TestApp, textOf } from '../support/web.ts';

/** The main content, without the menu and the footer. */
function mainOf(html: string): string {
  return /<main[\s\S]*<\/main>/.exec(html)?.[0] ?? '';
}

/** The number shown for a status in "Emails by status". */
function countOf(html: string, label: string): number {
  const match = new RegExp(
    `<dt class="govuk-summary-list__key">${label}</dt>\\s*<dd class="govuk-summary-list__value">(\\d+)</dd>`,
  ).exec(html);
  assert.ok(match, `a count for ${label}`);
  return Number(match[1]);
}

/** The ids of the emails listed in the table (from their links). */
function listedIds(html: string): string[] {
  return [...mainOf(html).matchAll(/href="\/admin\/notifications\/([0-9a-f-]{36})"/g)].map(
    (m) => m[1] as string,
  );
}

const HOSTILE = '<script>alert("owned")</script><img src=x onerror=alert(1)>.XML';

interface Spec {
  template?: string;
  recipient?: string;
  recipientKind?: 'school' | 'la' | 'user';
  payload?: Record<string, unknown>;
  status?: OutboxStatus;
  lastError?: string | null;
  at?: Date;
}

let sequence = 0;

/** A notification in the outbox, in the state asked for. */
async function makeNotification(db: Db, spec: Spec = {}): Promise<OutboxRow> {
  sequence += 1;
  const key = `admin-test-${sequence}-${Math.random()}`;
  await enqueueNotification(db, {
    at: spec.at ?? new Date(Date.UTC(2026, 10, 20, 9, 0, sequence)),
    template: spec.template ?? 'new-message',
    recipientKind: spec.recipientKind ?? 'school',
    recipient: spec.recipient ?? '9999999',
    payload: (spec.payload ?? { fromName: 'Testshire LA', sentAt: '2026-11-20T09:00:00.000Z' }) as never,
    dedupeKey: key,
  });
  const status = spec.status ?? 'pending';
  if (status !== 'pending') {
    await db
      .updateTable('notification_outbox')
      .set({
        status,
        attempts: status === 'sent' ? 1 : 4,
        next_attempt_at: '2026-11-20T12:00:00.000Z',
        last_error:
          spec.lastError !== undefined
            ? spec.lastError
            : status === 'failed'
              ? '550 mailbox unavailable'
              : status === 'no-address'
                ? 'no email address'
                : null,
        sent_at: status === 'sent' ? '2026-11-20T09:01:00.000Z' : null,
        to_address: status === 'no-address' ? null : 'office@test.example.sch.uk',
        subject: status === 'sent' ? 'New secure message from Testshire LA' : null,
        server_response: status === 'sent' ? '250 2.0.0 queued as ABC123' : null,
      })
      .where('dedupe_key', '=', key)
      .execute();
  }
  const row = await db
    .selectFrom('notification_outbox')
    .selectAll()
    .where('dedupe_key', '=', key)
    .executeTakeFirstOrThrow();
  return row;
}

const ctfPayload = (filename: string, destination: string) => ({
  filename,
  transferId: 'transfer-1',
  sender: '9165402',
  senderName: 'Green Lane Primary',
  destination,
  destinationName: 'Ashby Meadow Primary',
  pupils: 2,
});

/** A mailer that keeps what it is asked to send (nothing should be), described as the service's own. */
class RecordingMailer implements Mailer {
  readonly sent: OutgoingEmail[] = [];
  constructor(readonly description: Mailer['description']) {}
  async send(email: OutgoingEmail): Promise<{ response: string }> {
    this.sent.push(email);
    return { response: '250 ok' };
  }
  close(): void {}
}

/** The test app, but configured for SMTP (to a mail server that is never reached). */
async function createSmtpApp(db: Db): Promise<TestApp & { mailer: RecordingMailer }> {
  const config = loadConfig({
    S2S_ENV: 'test',
    FILE_STORE_DIR: mkdtempSync(join(tmpdir(), 's2s-files-')),
    MASTER_KEY: MasterKey.generate().toBase64(),
    LOG_LEVEL: 'silent',
    MAIL_TRANSPORT: 'smtp',
    SMTP_HOST: 'mail.example.test',
    SMTP_REQUIRE_TLS: 'true',
  });
  assert.equal(config.mail.transport, 'smtp');
  const clock = new ManualClock();
  const smtp = createMailer(config.mail);
  smtp.close();
  const mailer = new RecordingMailer(smtp.description);
  const deps = await buildDeps(config, { db, clock, logger: createLogger('silent'), mailer });
  const app = await createApp(deps);
  await app.ready();
  return { app, deps, clock, mailer };
}

describeEachEngine('Notifications and Jobs pages', (database) => {
  let t: TestApp;
  before(async () => {
    t = await createTestApp(database().db);
    assert.equal(t.deps.config.mail.transport, 'log', 'tests run with the mail log');
  });
  after(async () => {
    await t.app.close();
  });

  async function signedIn(role: Role = 'national_admin') {
    const db = database().db;
    const la = await makeLa(db);
    const school = await makeSchool(db, la.number);
    const scope = role === 'national_admin' || role === 'dfe_collector' ? 'national' : role;
    const user = await makeUser(db, role, {
      laNumber: scope === 'national' ? null : la.number,
      establishmentNumber: role === 'school' ? school.number : null,
    });
    const agent = new Agent(t.app);
    const response = await agent.signIn(user.username);
    assert.equal(response.statusCode, 302, 'signed in');
    return Object.assign(agent, { userId: user.id });
  }

  test('only the national administrator has the menu item and reaches the pages', async () => {
    const db = database().db;
    const row = await makeNotification(db);
    const admin = await signedIn('national_admin');
    const home = await admin.get('/');
    assert.match(home.body, /href="\/admin\/notifications">Notifications and Jobs</);
    for (const url of ['/admin/notifications', `/admin/notifications/${row.id}`, '/admin/jobs']) {
      assert.equal((await admin.get(url)).statusCode, 200, url);
    }
    for (const role of ['la_dba', 'la_user', 'school', 'dfe_collector', 'la_dba_view'] as Role[]) {
      const agent = await signedIn(role);
      assert.ok(!(await agent.get('/')).body.includes('Notifications and Jobs'), `${role}: no menu item`);
      for (const url of [
        '/admin/notifications',
        `/admin/notifications/${row.id}`,
        `/admin/notifications/${row.id}/email`,
        '/admin/jobs',
      ]) {
        assert.equal((await agent.get(url)).statusCode, 403, `${role}: GET ${url}`);
      }
      await agent.get('/');
      const post = await agent.post('/admin/notifications/send-again', { all: 'failed' });
      assert.equal(post.statusCode, 403, `${role}: send again`);
      const run = await agent.post('/admin/jobs/purge-files/run', {});
      assert.equal(run.statusCode, 403, `${role}: run now`);
    }
  });

  test('the counts by status, where mail goes, and the filter', async () => {
    const db = database().db;
    const la = await makeLa(db, { name: 'Countyshire' });
    const school = await makeSchool(db, la.number, { name: 'Counting Lane Primary' });
    const pending = await makeNotification(db, { recipient: school.number });
    const sent = await makeNotification(db, { status: 'sent', recipient: school.number });
    const failed = await makeNotification(db, { status: 'failed', recipient: school.number });
    const noAddress = await makeNotification(db, {
      status: 'no-address',
      template: 'weekly-reminder',
      recipientKind: 'la',
      recipient: la.number,
    });
    const person = await makeUser(db, 'school', { laNumber: la.number, establishmentNumber: school.number });
    await makeNotification(db, { template: 'upload-refused', recipientKind: 'user', recipient: person.id });
    const counts = await outboxCounts(db);
    const agent = await signedIn();

    const page = await agent.get('/admin/notifications');
    assert.equal(page.statusCode, 200);
    assert.equal(countOf(page.body, 'Waiting to be sent'), counts.pending);
    assert.equal(countOf(page.body, 'Sent'), counts.sent);
    assert.equal(countOf(page.body, 'Failed'), counts.failed);
    assert.equal(countOf(page.body, 'No email address'), counts['no-address']);
    const main = textOf(mainOf(page.body));
    assert.match(
      main,
      /Emails go to the mail log \(no mail server is configured\) ?: nothing leaves this machine/,
    );
    assert.match(main, /All emails/);
    for (const row of [pending, sent, failed, noAddress]) assert.ok(listedIds(page.body).includes(row.id));
    // The table: the email in words, the recipient with its name, the server's answer or last error.
    assert.match(main, /New secure message/);
    assert.match(main, new RegExp(`School ${school.number} Counting Lane Primary`));
    assert.match(main, new RegExp(`Weekly reminder: files not downloaded.*LA ${la.number} Countyshire`));
    // A user by their username, not the id the outbox keeps.
    assert.match(main, new RegExp(`User ${person.username}`));
    assert.ok(!page.body.includes(person.id), "no user's id on the page");
    assert.match(main, /250 2\.0\.0 queued as ABC123/);
    assert.match(main, /550 mailbox unavailable/);
    assert.match(
      page.body,
      /<caption class="govuk-table__caption govuk-table__caption--s">The latest \d+ emails?, newest first/,
    );
    // Only failed and undeliverable emails can be chosen.
    assert.match(page.body, new RegExp(`name="ids" type="checkbox" value="${failed.id}"`));
    assert.match(page.body, new RegExp(`name="ids" type="checkbox" value="${noAddress.id}"`));
    assert.doesNotMatch(page.body, new RegExp(`value="${sent.id}"`));
    assert.doesNotMatch(page.body, new RegExp(`value="${pending.id}"`));

    const onlyFailed = await agent.get('/admin/notifications?status=failed');
    assert.equal(onlyFailed.statusCode, 200);
    const ids = listedIds(onlyFailed.body);
    assert.ok(ids.includes(failed.id));
    for (const other of [pending, sent, noAddress])
      assert.ok(!ids.includes(other.id), 'other statuses hidden');
    const tags = [
      ...mainOf(onlyFailed.body).matchAll(/<strong class="govuk-tag[^"]*">([^<]+)<\/strong>/g),
    ].map((m) => m[1]);
    assert.ok(tags.length > 0 && tags.every((tag) => tag === 'Failed'), 'every row listed is Failed');
    assert.match(textOf(mainOf(onlyFailed.body)), /The latest \d+ emails? with the status Failed/);

    const onlySent = await agent.get('/admin/notifications?status=sent');
    assert.ok(listedIds(onlySent.body).includes(sent.id));
    assert.ok(!listedIds(onlySent.body).includes(failed.id));
    assert.doesNotMatch(onlySent.body, /name="ids" type="checkbox"/, 'nothing to choose among sent emails');

    // An unknown filter shows everything.
    const unknown = await agent.get('/admin/notifications?status=nonsense');
    assert.equal(unknown.statusCode, 200);
    assert.ok(listedIds(unknown.body).includes(pending.id));
  });

  test('the chosen failed and undeliverable emails are put back in the queue, due now', async () => {
    const db = database().db;
    const failed = await makeNotification(db, { status: 'failed' });
    const stillFailed = await makeNotification(db, { status: 'failed' });
    const noAddress = await makeNotification(db, { status: 'no-address' });
    const sent = await makeNotification(db, { status: 'sent' });
    t.clock.advanceMinutes(7);
    const now = t.clock.now().toISOString();
    const agent = await signedIn();

    await agent.get('/admin/notifications?status=failed');
    const response = await agent.post('/admin/notifications/send-again', {
      ids: [failed.id, noAddress.id, sent.id],
      status: 'failed',
    });
    assert.equal(response.statusCode, 303);
    assert.equal(response.headers.location, '/admin/notifications?status=failed');
    const next = await agent.get(String(response.headers.location));
    assert.match(textOf(next.body), /2 emails will be sent again/);

    const after = async (row: OutboxRow) => getNotification(db, row.id);
    for (const row of [failed, noAddress]) {
      const changed = await after(row);
      assert.equal(changed?.status, 'pending');
      assert.equal(changed?.next_attempt_at, now, 'due now');
    }
    assert.equal((await after(stillFailed))?.status, 'failed', 'not chosen: left alone');
    assert.equal((await after(sent))?.status, 'sent', 'a sent email is never sent again');
    assert.equal((await after(sent))?.sent_at, sent.sent_at);
    assert.match(next.body, /govuk-notification-banner--success/);

    // The same again: they are waiting already, so nothing is done, and the banner is not a success.
    await agent.post('/admin/notifications/send-again', { ids: [failed.id], status: 'failed' });
    const nothing = await agent.get('/admin/notifications?status=failed');
    assert.match(
      textOf(nothing.body),
      /No emails were put back in the queue: they had been sent again already\./,
    );
    assert.doesNotMatch(nothing.body, /govuk-notification-banner--success/);
    assert.match(nothing.body, /class="govuk-notification-banner"/);
  });

  test('"Send all failed emails again" puts every failed email back, and no other', async () => {
    const db = database().db;
    const one = await makeNotification(db, { status: 'failed' });
    const two = await makeNotification(db, { status: 'failed' });
    const noAddress = await makeNotification(db, { status: 'no-address' });
    const failedBefore = (await outboxCounts(db)).failed;
    const agent = await signedIn();

    const page = await agent.get('/admin/notifications');
    assert.match(page.body, new RegExp(`Send all failed emails again \\(${failedBefore}\\)`));
    const response = await agent.post('/admin/notifications/send-again', { all: 'failed' });
    assert.equal(response.statusCode, 303);
    assert.equal(response.headers.location, '/admin/notifications');
    const next = await agent.get('/admin/notifications');
    assert.match(
      textOf(next.body),
      new RegExp(`${failedBefore} ${failedBefore === 1 ? 'email' : 'emails'} will be sent again`),
    );
    assert.equal(countOf(next.body, 'Failed'), 0);
    assert.doesNotMatch(next.body, /Send all failed emails again/);
    for (const row of [one, two]) {
      const changed = await getNotification(db, row.id);
      assert.equal(changed?.status, 'pending');
      assert.equal(changed?.next_attempt_at, t.clock.now().toISOString());
    }
    assert.equal((await getNotification(db, noAddress.id))?.status, 'no-address');
    const audit = await db
      .selectFrom('audit_events')
      .selectAll()
      .where('action', '=', 'emails-sent-again')
      .where('actor_user_id', '=', agent.userId)
      .executeTakeFirstOrThrow();
    assert.deepEqual(JSON.parse(audit.detail ?? '{}'), { count: failedBefore, all: 'failed' });
  });

  test('"Send again" with nothing chosen says what to do', async () => {
    const db = database().db;
    await makeNotification(db, { status: 'no-address' });
    const agent = await signedIn();
    await agent.get('/admin/notifications');
    const response = await agent.post('/admin/notifications/send-again', {});
    assert.equal(response.statusCode, 400);
    assert.match(errorSummary(response.body), /Select the emails to send again/);
    assert.match(response.body, /href="#ids"/);
    assert.match(response.body, /<div class="govuk-form-group govuk-form-group--error" id="ids"/);
  });

  test('a form without its CSRF token is refused and changes nothing', async () => {
    const db = database().db;
    const failed = await makeNotification(db, { status: 'failed' });
    const agent = await signedIn();
    await agent.get('/admin/notifications');
    const response = await agent.post('/admin/notifications/send-again', { ids: failed.id }, { csrf: false });
    assert.equal(response.statusCode, 403);
    assert.match(response.body, /The form has expired/);
    assert.equal((await getNotification(db, failed.id))?.status, 'failed');

    const runsBefore = await db.selectFrom('job_runs').select('id').execute();
    const run = await agent.post('/admin/jobs/purge-files/run', {}, { csrf: false });
    assert.equal(run.statusCode, 403);
    assert.equal((await db.selectFrom('job_runs').select('id').execute()).length, runsBefore.length);
  });

  test('with the mail log, an email is shown as it would be sent: subject, text and sandboxed HTML', async () => {
    const db = database().db;
    const row = await makeNotification(db, {
      template: 'ctf-uploaded',
      payload: ctfPayload('9165402_CTF_8171234_003.XML', '8171234'),
      recipient: '8171234',
    });
    const agent = await signedIn();
    const page = await agent.get(`/admin/notifications/${row.id}`);
    assert.equal(page.statusCode, 200);
    const main = mainOf(page.body);
    assert.match(textOf(main), /To the destination school or LA: a CTF is waiting to be downloaded\./);
    assert.match(
      textOf(main),
      /Subject CTF from Green Lane Primary \(9165402\) ready to download: 9165402_CTF_8171234_003\.XML/,
    );
    assert.match(
      main,
      /<pre class="govuk-body s2s-message-text" id="email-text">Green Lane Primary \(9165402\) has sent you/,
    );
    assert.match(main, /http:\/\/localhost:\d+\/download\/ctf/, 'the text version with its links');
    const iframe = /<iframe src="([^"]+)" sandbox title="The HTML version of the email"/.exec(main);
    assert.ok(iframe, 'a sandboxed iframe');
    assert.equal(iframe[1], `/admin/notifications/${row.id}/email`);
    // The page keeps its own strict policy.
    assert.match(String(page.headers['content-security-policy']), /frame-ancestors 'none'/);
    assert.doesNotMatch(String(page.headers['content-security-policy']), /unsafe-inline/);

    const html = await agent.get(iframe[1]);
    assert.equal(html.statusCode, 200);
    assert.match(String(html.headers['content-type']), /^text\/html/);
    assert.equal(html.headers['content-security-policy'], EMAIL_PREVIEW_CSP);
    assert.match(EMAIL_PREVIEW_CSP, /default-src 'none'/);
    assert.match(EMAIL_PREVIEW_CSP, /sandbox/);
    assert.match(EMAIL_PREVIEW_CSP, /frame-ancestors 'self'/);
    assert.equal(html.headers['cache-control'], 'no-store');
    assert.match(html.body, /^<!DOCTYPE html>/);
    assert.match(html.body, /9165402_CTF_8171234_003\.XML/);
    // Viewing it sends nothing.
    const unchanged = await getNotification(db, row.id);
    assert.equal(unchanged?.status, 'pending');
    assert.equal(unchanged?.attempts, 0);
  });

  test('the email is shown in the language it is sent in: Welsh then English to a school in Wales', async () => {
    const db = database().db;
    const wales = await makeLa(db, { country: 'Wales', name: 'Cardiff' });
    const ysgol = await makeSchool(db, wales.number, { name: 'Ysgol Pen y Bryn' });
    const row = await makeNotification(db, {
      template: 'ctf-uploaded',
      payload: ctfPayload(`9165402_CTF_${ysgol.number}_004.XML`, ysgol.number),
      recipient: ysgol.number,
    });
    const agent = await signedIn();
    const main = mainOf((await agent.get(`/admin/notifications/${row.id}`)).body);
    assert.match(textOf(main), /Subject CTF oddi wrth .* yn barod i’w lawrlwytho: .* \/ CTF from /);
    const text = /<pre[^>]*id="email-text">([\s\S]*?)<\/pre>/.exec(main)?.[1] ?? '';
    assert.ok(text.indexOf('wedi anfon ffeil trosglwyddo gyffredin') >= 0, 'the Welsh');
    assert.ok(text.indexOf('wedi anfon') < text.indexOf('has sent you'), 'then the English');
    const html = await agent.get(`/admin/notifications/${row.id}/email`);
    assert.match(html.body, /wedi anfon ffeil trosglwyddo gyffredin/);
  });

  test('an email sent is shown in the language it was sent in, whatever its recipient chooses later; one waiting, in the language it will go in', async () => {
    const db = database().db;
    const la = await makeLa(db);
    const user = await makeUser(db, 'la_user', { laNumber: la.number }, { email: 'pat@la.example.gov.uk' });
    const sent = await makeNotification(db, {
      template: 'new-message',
      recipientKind: 'user',
      recipient: user.id,
      payload: { fromName: 'Testshire LA', sentAt: '2026-11-20T09:00:00.000Z' },
      at: t.clock.now(),
    });
    const delivered = await deliverDue({
      db,
      mailer: t.deps.mailer,
      clock: t.clock,
      logger: createLogger('silent'),
      email: emailContext(t.deps.config),
      owner: 'test',
    });
    assert.ok(delivered.sent >= 1);
    const row = await getNotification(db, sent.id);
    assert.equal(row?.status, 'sent');
    const subject = row?.subject ?? '';
    assert.match(subject, /New secure message/);
    assert.equal(row?.language, 'en', 'the language it was sent in, recorded with it');
    // The recipient then turns to Welsh: the email sent in English stays English on the page.
    await db.updateTable('users').set({ language: 'cy' }).where('id', '=', user.id).execute();
    const waiting = await makeNotification(db, {
      template: 'new-message',
      recipientKind: 'user',
      recipient: user.id,
      payload: { fromName: 'Testshire LA', sentAt: '2026-11-20T09:05:00.000Z' },
    });
    const english = await signedIn();
    const welsh = new Agent(t.app);
    await welsh.signIn((await makeUser(db, 'national_admin', {}, { language: 'cy' })).username);
    for (const [reader, agent] of [
      ['en', english],
      ['cy', welsh],
    ] as const) {
      const main = mainOf((await agent.get(`/admin/notifications/${sent.id}`)).body);
      assert.equal(/id="email-subject">([^<]*)</.exec(main)?.[1], subject, `${reader}: the subject sent`);
      assert.match(
        /id="email-text">([^<]*)</.exec(main)?.[1] ?? '',
        /Testshire LA sent you a secure message/,
      );
      assert.match(textOf(main), reader === 'en' ? /Language sent in English/ : /Iaith anfon Saesneg/);
      const html = await agent.get(`/admin/notifications/${sent.id}/email`);
      assert.match(html.body, /Testshire LA sent you a secure message/);
      assert.doesNotMatch(html.body, /Anfonodd/);

      const next = mainOf((await agent.get(`/admin/notifications/${waiting.id}`)).body);
      assert.match(/id="email-subject">([^<]*)</.exec(next)?.[1] ?? '', /neges ddiogel newydd/i);
      assert.match(textOf(next), reader === 'en' ? /Language to send in Welsh/ : /Iaith i anfon Cymraeg/);
    }
    // Sent before the language was recorded (migration 054), with a subject no language writes now (the
    // words changed since): said, and shown as it would be written now.
    await db
      .updateTable('notification_outbox')
      .set({ subject: 'Old words', language: null })
      .where('id', '=', sent.id)
      .execute();
    const changed = textOf(mainOf((await english.get(`/admin/notifications/${sent.id}`)).body));
    assert.match(
      changed,
      /Language sent in Not known: the email’s words have changed since it was sent\. It is shown below as it would be written now \(Welsh\)\./,
    );
  });

  test('a message sent as an email is shown in the language it was sent in; one sent before that was recorded is told by its subject, which now says who wrote it in each language (decision 85)', async () => {
    const db = database().db;
    const la = await makeLa(db);
    const user = await makeUser(db, 'la_user', { laNumber: la.number }, { email: 'sam@la.example.gov.uk' });
    const sent = await makeNotification(db, {
      template: 'message-by-email',
      recipientKind: 'user',
      recipient: user.id,
      payload: { fromName: 'Testshire LA', description: 'Census dates', text: 'Please note the dates.' },
      at: t.clock.now(),
    });
    await deliverDue({
      db,
      mailer: t.deps.mailer,
      clock: t.clock,
      logger: createLogger('silent'),
      email: emailContext(t.deps.config),
      owner: 'test',
    });
    assert.equal((await getNotification(db, sent.id))?.status, 'sent');
    await db.updateTable('users').set({ language: 'cy' }).where('id', '=', user.id).execute();
    const main = mainOf((await (await signedIn()).get(`/admin/notifications/${sent.id}`)).body);
    assert.match(textOf(main), /Language sent in English/);
    assert.match(
      /id="email-text">([^<]*)</.exec(main)?.[1] ?? '',
      /A user at Testshire LA wrote this message and sent it to you as an email\sthrough s2s/,
    );

    // One sent before the language was recorded: told by its subject, English's own now.
    await db.updateTable('notification_outbox').set({ language: null }).where('id', '=', sent.id).execute();
    const told = textOf(mainOf((await (await signedIn()).get(`/admin/notifications/${sent.id}`)).body));
    assert.match(told, /Language sent in English/);
    // One sent by the version before, whose subject was the description alone: its words have changed.
    await db
      .updateTable('notification_outbox')
      .set({ subject: 'Census dates' })
      .where('id', '=', sent.id)
      .execute();
    const unknown = textOf(mainOf((await (await signedIn()).get(`/admin/notifications/${sent.id}`)).body));
    assert.match(unknown, /Language sent in Not known: the email’s words have changed since it was sent\./);
  });

  test('a payload that does not fit its template shows why, not a stack', async () => {
    const db = database().db;
    const broken = await makeNotification(db, {
      template: 'ctf-uploaded',
      payload: { filename: 'A.XML', pupils: 'two' },
    });
    const unknown = await makeNotification(db, { template: 'no-such-email', payload: {} });
    const agent = await signedIn();

    const page = await agent.get(`/admin/notifications/${broken.id}`);
    assert.equal(page.statusCode, 200);
    const main = textOf(mainOf(page.body));
    assert.match(main, /This email cannot be written from the facts stored with it/);
    assert.match(main, /The payload for email template "ctf-uploaded" does not fit: .*pupils/);
    assert.doesNotMatch(page.body, /TemplateError|at composeEmail|\.ts:\d+/);
    assert.doesNotMatch(page.body, /<iframe/);
    assert.equal((await agent.get(`/admin/notifications/${broken.id}/email`)).statusCode, 404);

    const other = await agent.get(`/admin/notifications/${unknown.id}`);
    assert.equal(other.statusCode, 200);
    assert.match(textOf(mainOf(other.body)), /Unknown email \(no-such-email\)/);
    assert.match(textOf(mainOf(other.body)), /Unknown email template "no-such-email"/);

    assert.equal((await agent.get('/admin/notifications/not-an-email')).statusCode, 404);
  });

  test('a hostile file name is escaped everywhere it is shown', async () => {
    const db = database().db;
    const row = await makeNotification(db, {
      template: 'ctf-uploaded',
      payload: ctfPayload(HOSTILE, '8171234'),
      recipient: '8171234',
      status: 'failed',
      lastError: `550 refused ${HOSTILE}`,
    });
    await db
      .updateTable('notification_outbox')
      .set({ subject: `CTF ready: ${HOSTILE}` })
      .where('id', '=', row.id)
      .execute();
    const agent = await signedIn();
    const raw = /<script>alert|<img src=x/;

    const list = await agent.get('/admin/notifications?status=failed');
    assert.ok(listedIds(list.body).includes(row.id));
    assert.doesNotMatch(list.body, raw);
    assert.match(list.body, /550 refused &lt;script&gt;alert\(&quot;owned&quot;\)&lt;\/script&gt;/);

    const page = await agent.get(`/admin/notifications/${row.id}`);
    assert.doesNotMatch(page.body, raw);
    assert.match(
      page.body,
      /&lt;script&gt;alert\(&quot;owned&quot;\)&lt;\/script&gt;&lt;img src=x onerror=alert\(1\)&gt;\.XML/,
    );

    const html = await agent.get(`/admin/notifications/${row.id}/email`);
    assert.equal(html.statusCode, 200);
    assert.doesNotMatch(html.body, raw);
    assert.match(html.body, /&lt;script&gt;alert\(&quot;owned&quot;\)&lt;\/script&gt;/);
  });

  test('the one email page offers Send again for a failed email, and comes back to it', async () => {
    const db = database().db;
    const row = await makeNotification(db, { status: 'failed' });
    const agent = await signedIn();
    const page = await agent.get(`/admin/notifications/${row.id}`);
    assert.match(
      textOf(mainOf(page.body)),
      /Status Failed .*Attempts 4 .*Last error 550 mailbox unavailable/,
    );
    const response = await agent.post('/admin/notifications/send-again', { ids: row.id, back: row.id });
    assert.equal(response.statusCode, 303);
    assert.equal(response.headers.location, `/admin/notifications/${row.id}`);
    const back = await agent.get(`/admin/notifications/${row.id}`);
    assert.match(textOf(back.body), /1 email will be sent again/);
    assert.match(textOf(mainOf(back.body)), /Status Waiting to be sent/);
    assert.doesNotMatch(mainOf(back.body), />Send again</);
  });

  test('the jobs page lists each job; Run now records a manual run and says what it did', async () => {
    const db = database().db;
    const agent = await signedIn();
    const page = await agent.get('/admin/jobs');
    assert.equal(page.statusCode, 200);
    const main = textOf(mainOf(page.body));
    assert.match(main, /deliver-notifications Sends the emails waiting in the outbox through the mail log/);
    assert.match(main, /every 20 seconds, in every process/);
    assert.match(main, /purge-files Deletes the content of collected files/);
    assert.match(main, /every hour, at 10 minutes past/);
    assert.match(page.body, /action="\/admin\/jobs\/purge-files\/run"/);
    assert.match(page.body, /Run now<span class="govuk-visually-hidden"> purge-files<\/span>/);

    const response = await agent.post('/admin/jobs/purge-files/run', {});
    assert.equal(response.statusCode, 303);
    assert.equal(response.headers.location, '/admin/jobs');
    const after = await agent.get('/admin/jobs');
    assert.match(textOf(after.body), /purge-files ran: Deleted the content of \d+ files?\./);
    const runs = await db.selectFrom('job_runs').selectAll().where('job', '=', 'purge-files').execute();
    const manual = runs.filter((run) => run.trigger === 'manual');
    assert.equal(manual.length, 1);
    assert.equal(manual[0]?.status, 'succeeded');
    const table = /<table class="govuk-table[^"]*" id="runs">[\s\S]*?<\/table>/.exec(after.body)?.[0] ?? '';
    assert.match(textOf(table), /purge-files Run now .* Succeeded Deleted the content of \d+ files?\./);
    assert.match(after.body, /govuk-notification-banner--success/, 'a run that succeeded is shown as done');
    const audit = await db
      .selectFrom('audit_events')
      .selectAll()
      .where('action', '=', 'job-run-by-hand')
      .where('subject_id', '=', 'purge-files')
      .where('actor_user_id', '=', agent.userId)
      .executeTakeFirstOrThrow();
    assert.equal(JSON.parse(audit.detail ?? '{}').status, 'succeeded');

    assert.equal(
      (await agent.post('/admin/jobs/no-such-job/run', {}, { formPage: '/admin/jobs' })).statusCode,
      404,
    );
  });

  test('the jobs page shows a run whose node stopped, and that no node took over, as abandoned', async () => {
    const db = database().db;
    const agent = await signedIn();
    await db
      .insertInto('job_runs')
      .values({
        id: randomUUID(),
        job: 'sweep-files',
        slot: 'manual:abandoned-run',
        trigger: 'manual',
        owner: 'gone:1:dead',
        // The newest run, so the page lists it.
        started_at: '2099-01-01T09:00:00.000Z',
        lease_until: '2099-01-01T09:10:00.000Z',
        finished_at: null,
        status: 'abandoned',
        attempts: 1,
        summary: null,
        summary_message: null,
        error: null,
      })
      .execute();
    const tables = async () => {
      const page = await agent.get('/admin/jobs');
      const table = (id: string) =>
        textOf(
          new RegExp(`<table class="govuk-table[^"]*" id="${id}">[\\s\\S]*?<\\/table>`).exec(
            page.body,
          )?.[0] ?? '',
        );
      // The run's row, its cells apart; and the job's last run in the table of jobs.
      const row =
        /<tr class="govuk-table__row">\s*<td class="govuk-table__cell">sweep-files<\/td>[\s\S]*?<\/tr>/.exec(
          page.body,
        )?.[0];
      const cells = [...(row ?? '').matchAll(/<td class="govuk-table__cell">([\s\S]*?)<\/td>/g)].map((m) =>
        textOf(m[1] ?? '').trim(),
      );
      return { jobs: table('jobs'), cells };
    };
    const english = await tables();
    // One status, which says what happened: not "Not finished" beside "Abandoned".
    assert.deepEqual(english.cells.slice(3, 5), ['', 'Abandoned (its node stopped)']);
    assert.match(english.jobs, /sweep-files .* Abandoned \(its node stopped\) /);
    assert.doesNotMatch(english.jobs + english.cells.join(' '), /Not finished/);
    assert.equal((await agent.get('/admin/jobs?lang=cy')).statusCode, 302, 'the switch');
    const welsh = await tables();
    assert.deepEqual(welsh.cells.slice(3, 5), ['', 'Rhoddwyd y gorau iddi (stopiodd y gweinydd)']);
    assert.match(welsh.jobs, /sweep-files .* Rhoddwyd y gorau iddi \(stopiodd y gweinydd\) /);
    assert.doesNotMatch(welsh.jobs + welsh.cells.join(' '), /Heb orffen/);
  });

  test('in Welsh: the emails, one email and the jobs pages, with their banners and errors', async () => {
    const db = database().db;
    const failed = await makeNotification(db, { status: 'failed' });
    const agent = await signedIn();
    assert.equal((await agent.get('/admin/notifications?lang=cy')).statusCode, 302, 'the switch');

    const list = await agent.get('/admin/notifications?status=failed');
    assert.match(list.body, /<html lang="cy"/);
    assert.match(list.body, /<span class="govuk-caption-l">Hysbysiadau a Thasgau<\/span>/);
    assert.match(list.body, /<h1 class="govuk-heading-l">Negeseuon e-bost<\/h1>/);
    assert.match(list.body, /<title>Negeseuon e-bost: Wedi methu – s2s trosglwyddo data yn ddiogel<\/title>/);
    assert.ok(countOf(list.body, 'Wedi methu') >= 1, 'the count of failed emails');
    assert.match(textOf(mainOf(list.body)), /Neges ddiogel newydd at Ysgol 9999999, crëwyd/);
    assert.match(list.body, /<strong class="govuk-tag govuk-tag--red">Wedi methu<\/strong>/);
    assert.match(
      textOf(mainOf(list.body)),
      /Caiff negeseuon e-bost eu cadw yn y log e-bost \(nid oes gweinydd e-bost wedi’i osod\) ?: nid oes dim yn gadael/,
    );
    assert.doesNotMatch(list.body, /mail log/);

    const nothing = await agent.post('/admin/notifications/send-again', { status: 'failed' });
    assert.equal(nothing.statusCode, 400);
    assert.match(errorSummary(nothing.body), /Dewiswch y negeseuon e-bost i’w hanfon eto/);

    const one = await agent.get(`/admin/notifications/${failed.id}`);
    assert.match(one.body, /<h1 class="govuk-heading-l">Neges ddiogel newydd<\/h1>/);
    assert.match(textOf(mainOf(one.body)), /Statws Wedi methu .*Ymdrechion 4/);
    assert.match(
      textOf(mainOf(one.body)),
      /At ddefnyddiwr neu sefydliad: mae neges ddiogel wedi cyrraedd \(byth ei thestun na’i disgrifiad\)\./,
    );
    assert.doesNotMatch(one.body, /To a user or organisation/);
    assert.match(one.body, /Yn ôl i’r rhestr: Wedi methu/);
    const again = await agent.post('/admin/notifications/send-again', { ids: failed.id, back: failed.id });
    assert.equal(again.statusCode, 303);
    assert.match(
      textOf((await agent.get(String(again.headers.location))).body),
      /Bydd 1 neges e-bost yn cael ei hanfon eto\./,
    );

    // A run recorded before summaries were kept as messages: its English summary is all there is.
    await db
      .insertInto('job_runs')
      .values({
        id: randomUUID(),
        job: 'seal-audit',
        slot: 'manual:welsh-test-old-run',
        trigger: 'manual',
        owner: 'test',
        started_at: '2026-11-01T09:00:00.000Z',
        lease_until: '2026-11-01T09:10:00.000Z',
        finished_at: '2026-11-01T09:00:01.000Z',
        status: 'succeeded',
        attempts: 1,
        summary: 'Sealed 4 audit events.',
        summary_message: null,
        error: null,
      })
      .execute();
    const jobs = await agent.get('/admin/jobs');
    assert.match(jobs.body, /<h1 class="govuk-heading-l">Tasgau wedi’u trefnu<\/h1>/);
    assert.match(jobs.body, /Rhedeg nawr<span class="govuk-visually-hidden"> purge-files<\/span>/);
    const jobsText = textOf(mainOf(jobs.body));
    assert.match(
      jobsText,
      /deliver-notifications Yn anfon y negeseuon e-bost sy’n aros yn y blwch anfon i’r log e-bost/,
    );
    assert.match(jobsText, /bob 20 eiliad, ym mhob proses/);
    assert.match(jobsText, /purge-files Yn dileu cynnwys ffeiliau a gasglwyd 7 diwrnod/);
    assert.match(jobsText, /bob awr, am 10 munud wedi’r awr/);
    assert.match(jobsText, /Sealed 4 audit events\./, 'an old run keeps its English');
    const run = await agent.post('/admin/jobs/purge-files/run', {});
    assert.equal(run.statusCode, 303);
    const after = await agent.get('/admin/jobs');
    assert.match(textOf(after.body), /Rhedodd purge-files: Dilëwyd cynnwys \d+ ffeil\./);
    const table = /<table class="govuk-table[^"]*" id="runs">[\s\S]*?<\/table>/.exec(after.body)?.[0] ?? '';
    assert.match(textOf(table), /purge-files Rhedeg nawr .* Llwyddodd Dilëwyd cynnwys \d+ ffeil\./);
    assert.doesNotMatch(textOf(mainOf(after.body)), /Deleted the content|every hour|Sends the emails/);
    assert.match(after.body, /<strong class="govuk-tag govuk-tag--green">Llwyddodd<\/strong>/);
  });

  test('Run now of the delivery job sends waiting emails into the mail log', async () => {
    const db = database().db;
    const la = await makeLa(db);
    const school = await makeSchool(db, la.number, { email: 'office@delivery.example.sch.uk' });
    const row = await makeNotification(db, { recipient: school.number, at: t.clock.now() });
    const agent = await signedIn();
    await agent.get('/admin/jobs');
    const response = await agent.post('/admin/jobs/deliver-notifications/run', {});
    assert.equal(response.statusCode, 303);
    // The summary holds a ';': the flash comes back whole.
    const next = await agent.get(String(response.headers.location));
    assert.match(
      textOf(mainOf(next.body)),
      /deliver-notifications (ran|could not do everything): Sent \d+ emails?; \d+ to try again later/,
    );
    const sent = await getNotification(db, row.id);
    assert.equal(sent?.status, 'sent');
    assert.equal(sent?.to_address, 'office@delivery.example.sch.uk');
    const page = await agent.get(`/admin/notifications/${row.id}`);
    assert.match(textOf(mainOf(page.body)), /Mail server's answer written to the mail log/);
    assert.match(textOf(mainOf(page.body)), /Sent to office@delivery\.example\.sch\.uk/);
    // The mail log's answer is s2s's own words: in Welsh on the Welsh pages, on the list too.
    await agent.get('/admin/notifications?lang=cy');
    const welsh = await agent.get(`/admin/notifications/${row.id}`);
    assert.match(textOf(mainOf(welsh.body)), /Ateb y gweinydd e-bost wedi’i ysgrifennu yn y log e-bost/);
    assert.doesNotMatch(welsh.body, /written to the mail log/);
    const list = await agent.get('/admin/notifications?status=sent');
    assert.match(textOf(mainOf(list.body)), /wedi’i ysgrifennu yn y log e-bost/);
  });
});

describeEachEngine('Notifications page with a mail server', (database) => {
  let t: TestApp & { mailer: RecordingMailer };
  before(async () => {
    t = await createSmtpApp(database().db);
  });
  after(async () => {
    await t.app.close();
  });

  test('email bodies are not shown, nothing is sent by viewing, and the mail server is named', async () => {
    const db = database().db;
    const row = await makeNotification(db, {
      template: 'file-rejected',
      payload: {
        filename: '9165402_CTF_8171234_003.XML',
        reason: 'Secretreasontyped by the school',
        rejectedBy: 'Ashby Meadow Primary',
        rejectedByCode: '8171234',
        rejectedAt: '2026-11-20T09:00:00.000Z',
      },
    });
    const user = await makeUser(db, 'national_admin');
    const agent = new Agent(t.app);
    await agent.signIn(user.username);

    const list = await agent.get('/admin/notifications');
    assert.equal(list.statusCode, 200);
    assert.match(
      textOf(mainOf(list.body)),
      /Emails are sent through the mail server mail\.example\.test:587 \(STARTTLS required\)/,
    );
    assert.doesNotMatch(list.body, /mail log/);

    const page = await agent.get(`/admin/notifications/${row.id}`);
    assert.equal(page.statusCode, 200);
    const main = textOf(mainOf(page.body));
    assert.match(main, /CTF rejected \(to its sender\)/);
    assert.match(main, /their content is not shown here/);
    assert.doesNotMatch(page.body, /Secretreasontyped/);
    assert.doesNotMatch(page.body, /<pre|<iframe/);
    assert.equal((await agent.get(`/admin/notifications/${row.id}/email`)).statusCode, 404);

    assert.deepEqual(t.mailer.sent, [], 'nothing was sent');
    const unchanged = await getNotification(db, row.id);
    assert.equal(unchanged?.status, 'pending');
    assert.equal(unchanged?.attempts, 0);
  });

  test('in Welsh, the mail server is named with its words in Welsh', async () => {
    const db = database().db;
    const row = await makeNotification(db);
    const user = await makeUser(db, 'national_admin', {}, { language: 'cy' });
    const agent = new Agent(t.app);
    await agent.signIn(user.username);
    const server = /mail\.example\.test:587 \(mae angen STARTTLS\)/.source;
    assert.match(
      textOf(mainOf((await agent.get('/admin/notifications')).body)),
      new RegExp(`Anfonir negeseuon e-bost drwy’r gweinydd e-bost ${server}`),
    );
    const page = textOf(mainOf((await agent.get(`/admin/notifications/${row.id}`)).body));
    assert.match(page, new RegExp(`drwy’r gweinydd e-bost ${server}, felly nid yw eu cynnwys`));
    assert.doesNotMatch(page, /STARTTLS required/);
  });
});
