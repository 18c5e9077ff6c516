// The outbox delivered over a real SMTP connection (smtp-server, started here): the emails a CTF's
// journey causes reach the right addresses with the right subjects and bodies, and a mail server that
// is down, refusing or saying no for good never loses a notification.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { emailContext } from '../../src/jobs.ts';
import { deliverDue, GIVE_UP_HOURS } from '../../src/notifications/delivery.ts';
import { enqueueNotification, requeue } from '../../src/notifications/outbox.ts';
import { formatDateTime } from '../../src/platform/dates.ts';
import type { Db, EstablishmentRow, OutboxRow } from '../../src/platform/db/schema.ts';
import { createLogger } from '../../src/platform/logger.ts';
import { type Mailer, SmtpMailer } from '../../src/platform/mail/mailer.ts';
import { DownloadService } from '../../src/transfers/download-service.ts';
import { ctfBetween, syntheticPupil } from '../fixtures/ctf/generate.ts';
import { describeEachEngine } from '../support/databases.ts';
import { makeLa, makeSchool, makeUser } from '../support/factories.ts';
import { startSmtpServer, type TestSmtpServer } from '../support/smtp.ts';
import { actorOf, readAll } from '../support/transfers.ts';
import { Agent, createTestApp, type TestApp } from '../support/web.ts';

const logger = createLogger('silent');

const twoPupils = (school: string) => {
  const at = { lea: school.slice(0, 3), estab: school.slice(3) };
  return [syntheticPupil(1, at, false), syntheticPupil(2, at, false)];
};

describeEachEngine('email delivery over SMTP', (database) => {
  let smtp: TestSmtpServer;
  let t: TestApp;
  let db: Db;
  let sending: EstablishmentRow;
  let receiving: EstablishmentRow;

  before(async () => {
    db = database().db;
    smtp = await startSmtpServer();
    t = await createTestApp(db, {
      MAIL_TRANSPORT: 'smtp',
      SMTP_HOST: '127.0.0.1',
      SMTP_PORT: String(smtp.port),
      SERVICE_URL: 'https://s2s.test.example',
    });
    const laA = await makeLa(db, { name: 'Westshire' });
    const laB = await makeLa(db, { name: 'Eastshire' });
    sending = await makeSchool(db, laA.number, {
      name: 'Hillside Primary School',
      email: 'office@hillside.test',
    });
    receiving = await makeSchool(db, laB.number, {
      name: 'Riverside Primary School',
      email: 'admin@riverside.test',
    });
  });
  after(async () => {
    await t.app.close();
    t.deps.mailer.close();
    await smtp.stop();
  });

  const deliver = (owner = 'test-process') =>
    deliverDue({
      db,
      mailer: t.deps.mailer,
      clock: t.clock,
      logger,
      email: emailContext(t.deps.config),
      owner,
    });

  function takeReceived() {
    return smtp.received.splice(0, smtp.received.length);
  }

  async function rowsFor(template: string): Promise<OutboxRow[]> {
    return db.selectFrom('notification_outbox').selectAll().where('template', '=', template).execute();
  }

  test('a CTF uploaded, rejected, sent again and downloaded: each email goes to the right school, saying what happened', async () => {
    const user = await makeUser(
      db,
      'school',
      { establishmentNumber: sending.number },
      { email: 'jo.bloggs@hillside.test' },
    );
    const agent = new Agent(t.app);
    assert.equal((await agent.signIn(user.username)).statusCode, 302);
    await agent.get('/upload/ctf');
    const first = `${sending.number}_CTF_${receiving.number}_001.XML`;
    const refused = `${sending.number}_CTF_${receiving.number.slice(0, 3)}9999_002.XML`;
    const uploaded = await agent.postMultipart('/upload/ctf', [
      { filename: first, content: ctfBetween(sending.number, receiving.number, twoPupils(sending.number)) },
      {
        filename: refused,
        content: ctfBetween(sending.number, `${receiving.number.slice(0, 3)}9999`, twoPupils(sending.number)),
      },
    ]);
    assert.equal(uploaded.statusCode, 200);

    const result = await deliver();
    assert.deepEqual(result, { sent: 3, retrying: 0, failed: 0, noAddress: 0 });
    const mails = takeReceived();
    const to = (address: string) => mails.filter((m) => m.to.includes(address));
    // The destination school: who sent what, and where to collect it.
    const [waiting] = to('admin@riverside.test');
    assert.ok(waiting, 'the destination school is told');
    assert.match(waiting.subject, new RegExp(first));
    assert.match(waiting.text, /Hillside Primary School/);
    assert.match(waiting.text, /Pupils in the file: 2/);
    assert.match(waiting.text, /https:\/\/s2s\.test\.example\/download\/ctf/);
    assert.match(waiting.html, /Hillside Primary School/);
    assert.equal(waiting.headers.get('auto-submitted'), 'auto-generated');
    // The sender: the upload is confirmed to the school's address.
    const [confirmed] = to('office@hillside.test');
    assert.ok(confirmed, 'the sending school gets the confirmation');
    assert.match(confirmed.subject, new RegExp(first));
    assert.match(confirmed.text, /Riverside Primary School/);
    // The refused file goes to the person who tried, with the reason.
    const [refusal] = to('jo.bloggs@hillside.test');
    assert.ok(refusal, 'the uploader is told of the refusal');
    assert.match(refusal.subject, new RegExp(refused));
    assert.match(refusal.text, /does not exist|not in the directory|no school/i);
    for (const mail of mails) {
      assert.equal(mail.to.length, 1, 'one recipient per email');
      assert.doesNotMatch(mail.text, /Surname|date of birth/i, 'no pupil details');
    }

    // The destination rejects it with a reason: the sender is told, with the reason.
    const transfer = await db
      .selectFrom('transfers')
      .selectAll()
      .where('filename', '=', first)
      .executeTakeFirstOrThrow();
    const receiver = actorOf(await makeUser(db, 'school', { establishmentNumber: receiving.number }));
    const downloads = new DownloadService(t.deps);
    await downloads.reject(receiver, 'ctf', transfer.id, 'This pupil never joined our school');
    await deliver();
    const [rejected, ...others] = takeReceived();
    assert.equal(others.length, 0);
    assert.deepEqual(rejected?.to, ['office@hillside.test']);
    assert.match(rejected?.subject ?? '', /rejected/i);
    assert.match(rejected?.text ?? '', /This pupil never joined our school/);
    assert.match(rejected?.text ?? '', /https:\/\/s2s\.test\.example\/sent\?show=rejected/);

    // Sent again, downloaded and confirmed: the sender is told it was collected.
    await agent.get('/upload/ctf');
    const second = `${sending.number}_CTF_${receiving.number}_003.XML`;
    await agent.postMultipart('/upload/ctf', [
      { filename: second, content: ctfBetween(sending.number, receiving.number, twoPupils(sending.number)) },
    ]);
    await deliver();
    takeReceived();
    const again = await db
      .selectFrom('transfers')
      .selectAll()
      .where('filename', '=', second)
      .executeTakeFirstOrThrow();
    const download = await downloads.download(receiver, 'ctf', [again.id], 'download');
    await readAll(download.stream);
    await downloads.collect(receiver, 'ctf', [again.id]);
    await deliver();
    const [collected, ...more] = takeReceived();
    assert.equal(more.length, 0);
    assert.deepEqual(collected?.to, ['office@hillside.test']);
    assert.match(collected?.subject ?? '', new RegExp(second));
    assert.match(collected?.text ?? '', /Riverside Primary School/);

    const sent = await db
      .selectFrom('notification_outbox')
      .selectAll()
      .where('status', '=', 'sent')
      .execute();
    for (const row of sent) {
      assert.ok(
        row.sent_at && row.to_address && row.subject && row.server_response,
        'the outcome is recorded',
      );
      assert.equal(row.lease_owner, null);
    }
  });

  async function notify(recipient: string, filename: string, kind: 'school' | 'la' = 'school') {
    await enqueueNotification(db, {
      at: t.clock.now(),
      template: 'file-downloaded',
      recipientKind: kind,
      recipient,
      payload: {
        filename,
        collectedBy: 'Riverside Primary School',
        collectedByCode: receiving.number,
        collectedAt: t.clock.now().toISOString(),
      },
    });
  }

  async function rowOf(filename: string): Promise<OutboxRow> {
    const rows = await rowsFor('file-downloaded');
    const row = rows.find((r) => JSON.parse(r.payload).filename === filename);
    assert.ok(row, `a notification about ${filename}`);
    return row;
  }

  test('with the mail server down nothing is lost: the email is tried again and sent once it is back', async () => {
    takeReceived();
    await smtp.stop();
    await notify(sending.number, 'DOWN_001.XML');
    const down = await deliver();
    assert.equal(down.retrying, 1);
    let row = await rowOf('DOWN_001.XML');
    assert.equal(row.status, 'pending');
    assert.equal(row.attempts, 1);
    assert.ok(row.last_error, 'why it failed is kept');
    assert.equal(
      row.next_attempt_at,
      new Date(t.clock.now().getTime() + 60_000).toISOString(),
      'again in a minute',
    );
    await smtp.restart();
    assert.deepEqual(
      await deliver(),
      { sent: 0, retrying: 0, failed: 0, noAddress: 0 },
      'not before its time',
    );
    t.clock.advanceMinutes(1);
    assert.equal((await deliver()).sent, 1);
    row = await rowOf('DOWN_001.XML');
    assert.equal(row.status, 'sent');
    assert.equal(row.attempts, 2);
    assert.deepEqual(
      takeReceived().map((m) => m.subject.includes('DOWN_001.XML')),
      [true],
    );
  });

  test('a failure is logged with its reason; a relay without STARTTLS while SMTP_REQUIRE_TLS is on says what to set', async () => {
    takeReceived();
    const lines: string[] = [];
    const capture = createLogger('info', {
      write(line: string) {
        lines.push(line);
      },
    });
    // The test server offers no STARTTLS (its certificate has expired), as a relay that refuses it.
    const requiringTls = new SmtpMailer({ ...smtp.config(), requireTls: true });
    try {
      await notify(sending.number, 'NOTLS_001.XML');
      const result = await deliverDue({
        db,
        mailer: requiringTls,
        clock: t.clock,
        logger: capture,
        email: emailContext(t.deps.config),
        owner: 'test-process',
      });
      assert.equal(result.retrying, 1);
    } finally {
      requiringTls.close();
    }
    const logged = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    const notSent = logged.find((entry) => entry.msg === 'a notification was not sent');
    assert.ok(notSent, JSON.stringify(logged));
    const row = await rowOf('NOTLS_001.XML');
    assert.equal(notSent.reason, row.last_error, 'the reason the outbox keeps');
    assert.match(String(notSent.reason), /STARTTLS/);
    assert.match(String(notSent.hint), /does not offer STARTTLS/);
    assert.match(String(notSent.hint), /SMTP_REQUIRE_TLS/);
    assert.match(String(notSent.hint), /SMTP_SECURE=true/);
    assert.doesNotMatch(lines.join('\n'), /NOTLS_001\.XML/, 'nothing of the email itself');
    // A relay that is simply down has a reason and no such hint.
    lines.length = 0;
    await smtp.stop();
    try {
      await notify(sending.number, 'DOWN_002.XML');
      await deliverDue({
        db,
        mailer: t.deps.mailer,
        clock: t.clock,
        logger: capture,
        email: emailContext(t.deps.config),
        owner: 'test-process',
      });
    } finally {
      await smtp.restart();
    }
    const down = lines
      .map((line) => JSON.parse(line) as Record<string, unknown>)
      .find((e) => e.msg === 'a notification was not sent');
    assert.match(String(down?.reason), /ECONNREFUSED/);
    assert.equal(down?.hint, undefined);
    t.clock.advanceMinutes(60);
    await deliver();
    takeReceived();
  });

  test('a server refusing for now (451, or 450 to a recipient) is tried again; a recipient refused for good (550) fails at once', async () => {
    takeReceived();
    smtp.refuseTemporarily(true);
    await notify(sending.number, 'BUSY_001.XML');
    assert.equal((await deliver()).retrying, 1);
    assert.match((await rowOf('BUSY_001.XML')).last_error ?? '', /451|Try again later/);
    smtp.refuseTemporarily(false);
    t.clock.advanceMinutes(1);
    assert.equal((await deliver()).sent, 1);

    // A recipient refused for now (450 to RCPT TO: greylisting) is tried again too.
    takeReceived();
    const grey = await makeSchool(db, sending.la_number, { email: 'office@greylisted.test' });
    smtp.greylisted.add('office@greylisted.test');
    await notify(grey.number, 'GREY_001.XML');
    assert.equal((await deliver()).retrying, 1);
    assert.equal((await rowOf('GREY_001.XML')).status, 'pending');
    t.clock.advanceMinutes(1);
    assert.equal((await deliver()).sent, 1);
    assert.deepEqual(
      takeReceived().map((m) => m.to),
      [['office@greylisted.test']],
    );

    const gone = await makeSchool(db, sending.la_number, { email: 'nobody@closed.test' });
    smtp.unknownRecipients.add('nobody@closed.test');
    await notify(gone.number, 'GONE_001.XML');
    assert.equal((await deliver()).failed, 1);
    const failed = await rowOf('GONE_001.XML');
    assert.equal(failed.status, 'failed');
    assert.match(failed.last_error ?? '', /550|No such mailbox/);
  });

  test(`a notification still failing ${GIVE_UP_HOURS} hours on is given up, and can be put back in the queue`, async () => {
    takeReceived();
    await smtp.stop();
    await notify(sending.number, 'LONG_001.XML');
    for (let hour = 0; hour <= GIVE_UP_HOURS; hour += 6) {
      await deliver();
      t.clock.advanceMinutes(6 * 60);
    }
    const given = await rowOf('LONG_001.XML');
    assert.equal(given.status, 'failed');
    assert.match(given.last_error ?? '', new RegExp(`${GIVE_UP_HOURS} hours`));
    await smtp.restart();
    // Sent again: tried afresh, for another 72 hours, however temporary the first failure after.
    assert.equal(await requeue(db, t.clock.now(), { status: 'failed', ids: [given.id] }), 1);
    smtp.refuseTemporarily(true);
    assert.equal((await deliver()).retrying, 1);
    const again = await rowOf('LONG_001.XML');
    assert.deepEqual([again.status, again.attempts], ['pending', 1]);
    smtp.refuseTemporarily(false);
    t.clock.advanceMinutes(60);
    assert.equal((await deliver()).sent, 1);
    assert.equal((await rowOf('LONG_001.XML')).status, 'sent');
  });

  test('an organisation without an address is recorded as such, not retried; a payload that does not fit fails', async () => {
    const noEmail = await makeSchool(db, sending.la_number, { email: null, name: 'Quiet Lane School' });
    await notify(noEmail.number, 'QUIET_001.XML');
    await enqueueNotification(db, {
      at: t.clock.now(),
      template: 'file-downloaded',
      recipientKind: 'school',
      recipient: sending.number,
      payload: { filename: 'BROKEN_001.XML' },
    });
    const result = await deliver();
    assert.equal(result.noAddress, 1);
    assert.equal(result.failed, 1);
    const quiet = await rowOf('QUIET_001.XML');
    assert.equal(quiet.status, 'no-address');
    assert.match(
      quiet.last_error ?? '',
      new RegExp(`${noEmail.number} Quiet Lane School has no email address`),
    );
    const broken = await rowOf('BROKEN_001.XML');
    assert.equal(broken.status, 'failed');
    assert.match(broken.last_error ?? '', /file-downloaded/);
  });

  test('an email that cannot be written from what was recorded fails on its own; the others are sent', async () => {
    takeReceived();
    // A name recorded as a message whose wording now needs a parameter the record does not have.
    await enqueueNotification(db, {
      at: t.clock.now(),
      template: 'new-message',
      recipientKind: 'school',
      recipient: sending.number,
      payload: {
        fromName: { key: 'messaging.mailbox.la-users', params: {} },
        sentAt: t.clock.now().toISOString(),
      },
    });
    await notify(sending.number, 'AFTER_001.XML');
    const result = await deliver();
    assert.equal(result.sent, 1);
    assert.equal(result.failed, 1);
    assert.equal((await rowOf('AFTER_001.XML')).status, 'sent');
    const unwritten = (await rowsFor('new-message')).find((row) => row.status === 'failed');
    assert.match(unwritten?.last_error ?? '', /could not be written/);
  });

  test('two processes delivering at once send each notification once', async () => {
    takeReceived();
    const names = Array.from({ length: 12 }, (_, n) => `BOTH_${String(n).padStart(3, '0')}.XML`);
    for (const name of names) await notify(sending.number, name);
    const [a, b] = await Promise.all([deliver('process-a'), deliver('process-b')]);
    assert.equal((a?.sent ?? 0) + (b?.sent ?? 0), names.length);
    const subjects = takeReceived().map((m) => names.find((name) => m.subject.includes(name)));
    assert.deepEqual(subjects.sort(), [...names].sort());
  });

  test('a batch whose lease runs out while it is sent (a slow mail server) is not sent again by another process', async () => {
    takeReceived();
    const names = Array.from({ length: 5 }, (_, n) => `LEASE_${String(n).padStart(3, '0')}.XML`);
    for (const name of names) await notify(sending.number, name);
    // Each send takes 3 minutes: the batch outlasts its 5-minute lease, and another process's run comes
    // round during the second send.
    let sends = 0;
    const slow: Mailer = {
      description: 'slow',
      close: () => {},
      send: async (email) => {
        const sent = await t.deps.mailer.send(email);
        sends += 1;
        t.clock.advanceMinutes(3);
        if (sends === 2) await deliver('process-b');
        return sent;
      },
    };
    await deliverDue({
      db,
      mailer: slow,
      clock: t.clock,
      logger,
      email: emailContext(t.deps.config),
      owner: 'process-a',
    });
    const subjects = takeReceived().map((m) => names.find((name) => m.subject.includes(name)));
    assert.deepEqual(subjects.sort(), [...names].sort(), 'each email once');
    for (const name of names) assert.equal((await rowOf(name)).status, 'sent');
  });

  test("a refused upload's email gives its reasons and what to do in the uploader's language", async () => {
    takeReceived();
    const scope = { establishmentNumber: sending.number };
    const badName = `${sending.number}_CTF_${receiving.number}_01.XML`;
    const wrongHeader = `${sending.number}_CTF_${receiving.number}_071.XML`;
    const content = ctfBetween(
      sending.number,
      `${receiving.number.slice(0, 3)}9999`,
      twoPupils(sending.number),
    );
    for (const [language, email] of [
      ['cy', 'gwrthod@hillside.test'],
      ['en', 'refused@hillside.test'],
    ] as const) {
      const user = await makeUser(db, 'school', scope, { email, language });
      const agent = new Agent(t.app);
      assert.equal((await agent.signIn(user.username)).statusCode, 302);
      await agent.get('/upload/ctf');
      const uploaded = await agent.postMultipart('/upload/ctf', [
        { filename: badName, content },
        { filename: wrongHeader, content },
      ]);
      assert.equal(uploaded.statusCode, 200);
    }
    assert.equal((await deliver()).sent, 4);
    const mails = takeReceived();
    const about = (address: string, filename: string) => {
      const found = mails.find((m) => m.to.includes(address) && m.subject.includes(filename));
      assert.ok(found, `${address}: ${filename}`);
      return { ...found, text: found.text.replace(/\s+/g, ' ') };
    };

    const welshName = about('gwrthod@hillside.test', badName);
    assert.equal(welshName.subject, `Ni chafodd eich ffeil ei lanlwytho: ${badName}`);
    assert.match(welshName.text, /• Rhaid i rif y ffeil '01' fod yn 3 digid, fel 001\./);
    assert.match(welshName.text, /Mae s2s yn darllen o bwy mae ffeil yn dod/);
    assert.doesNotMatch(welshName.text, /must be 3 digits|s2s reads who a file is from/);
    const welshHeader = about('gwrthod@hillside.test', wrongHeader);
    assert.match(
      welshHeader.text,
      new RegExp(
        `• Mae enw’r ffeil yn dweud bod y ffeil CTF hon yn mynd i ysgol ${receiving.number}, ond mae ei phennyn yn enwi ysgol ${receiving.number.slice(0, 3)}9999 yn <DestSchool>\\.`,
      ),
    );
    assert.match(welshHeader.text, /Gwiriwch eich bod wedi dewis y ffeil gywir\./);
    assert.doesNotMatch(welshHeader.text, /The file name says/);

    const englishName = about('refused@hillside.test', badName);
    assert.match(englishName.text, /• The file number '01' must be 3 digits, like 001\./);
    assert.match(englishName.text, /s2s reads who a file is from and where it goes from its name/);
    const englishHeader = about('refused@hillside.test', wrongHeader);
    assert.match(
      englishHeader.text,
      new RegExp(
        `• The file name says this CTF goes to school ${receiving.number}, but its header names school`,
      ),
    );
    assert.doesNotMatch(englishHeader.text, /Mae enw’r ffeil|Gwiriwch/);
  });

  test("each email in its reader's language: a user's own choice, a mailbox in Wales in Welsh then English", async () => {
    takeReceived();
    const welshLa = await makeLa(db, {
      name: 'Ceredigion',
      country: 'Wales',
      email: 'addysg@ceredigion.test',
    });
    const welshSchool = await makeSchool(db, welshLa.number, {
      name: 'Ysgol Gynradd Aberaeron',
      email: 'swyddfa@aberaeron.test',
    });
    const scope = { establishmentNumber: sending.number };
    const welshUser = await makeUser(db, 'school', scope, { email: 'cymraeg@hillside.test', language: 'cy' });
    const englishUser = await makeUser(db, 'school', scope, {
      email: 'english@hillside.test',
      language: 'en',
    });
    // No address of their own: the email goes to the school office, still in the user's language.
    const welshAtOffice = await makeUser(
      db,
      'school',
      { establishmentNumber: receiving.number },
      {
        email: null,
        language: 'cy',
      },
    );
    const sentAt = t.clock.now();
    const message = (recipient: string) =>
      enqueueNotification(db, {
        at: sentAt,
        template: 'new-message',
        recipientKind: 'user',
        recipient,
        payload: { fromName: 'Westshire LA', sentAt: sentAt.toISOString() },
      });
    await message(welshUser.id);
    await message(englishUser.id);
    await message(welshAtOffice.id);
    await notify(welshSchool.number, 'CYMRU_001.XML');
    await notify(welshLa.number, 'CYMRU_002.XML', 'la');
    await notify(sending.number, 'LLOEGR_001.XML');
    assert.equal((await deliver()).sent, 6);
    const mails = takeReceived();
    const to = (address: string) => {
      const found = mails.filter((m) => m.to.includes(address));
      assert.equal(found.length, 1, address);
      return found[0] as (typeof mails)[number];
    };
    const words = (text: string) => text.replace(/\s+/g, ' ');

    const welsh = to('cymraeg@hillside.test');
    assert.equal(welsh.subject, 'Neges ddiogel newydd oddi wrth Westshire LA');
    assert.match(
      words(welsh.text),
      new RegExp(`Anfonodd Westshire LA neges ddiogel atoch ar ${formatDateTime(sentAt, 'cy')}\\.`),
    );
    assert.match(
      words(welsh.text),
      /Mewngofnodwch ac ewch i’r ddewislen Negeseuon, yna Gweld\/Dileu Negeseuon/,
    );
    assert.match(words(welsh.text), /Neges e-bost awtomatig gan s2s/);
    assert.doesNotMatch(welsh.text, /secure message|automatic email/);
    assert.match(welsh.html, /<html lang="cy">/);
    assert.equal(welsh.headers.get('content-language'), 'cy');

    const english = to('english@hillside.test');
    assert.equal(english.subject, 'New secure message from Westshire LA');
    assert.match(
      words(english.text),
      new RegExp(`Westshire LA sent you a secure message on ${formatDateTime(sentAt)}\\.`),
    );
    assert.doesNotMatch(english.text, /Neges|Mewngofnodwch/);
    assert.match(english.html, /<html lang="en">/);
    assert.equal(english.headers.get('content-language'), 'en');

    const atOffice = to('admin@riverside.test');
    assert.equal(atOffice.subject, 'Neges ddiogel newydd oddi wrth Westshire LA');

    // A school's and an LA's mailbox in Wales: Welsh first, then English, in one email.
    for (const [address, filename] of [
      ['swyddfa@aberaeron.test', 'CYMRU_001.XML'],
      ['addysg@ceredigion.test', 'CYMRU_002.XML'],
    ] as const) {
      const both = to(address);
      assert.equal(both.subject, `CTF wedi’i lawrlwytho: ${filename} / CTF downloaded: ${filename}`);
      const text = words(both.text);
      assert.ok(text.startsWith('Mae’r fersiwn Saesneg o’r neges e-bost hon isod.'), both.text);
      const welshPart = text.indexOf('Lawrlwythodd Riverside Primary School');
      assert.ok(welshPart > 0, 'the Welsh part');
      const englishPart = text.indexOf(`Riverside Primary School (${receiving.number}) downloaded your file`);
      assert.ok(englishPart > welshPart, 'then the English part');
      assert.match(both.html, /<html lang="cy">/);
      assert.match(both.html, /<div lang="en">/);
      assert.equal(both.headers.get('content-language'), 'cy, en');
    }

    // A mailbox in England: English only.
    const inEngland = to('office@hillside.test');
    assert.equal(inEngland.subject, 'CTF downloaded: LLOEGR_001.XML');
    assert.doesNotMatch(inEngland.text, /Lawrlwythodd|Neges e-bost/);
    for (const mail of mails) assert.doesNotMatch(mail.text, /Surname|date of birth|dyddiad geni/i);
  });
});
