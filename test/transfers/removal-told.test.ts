// Who a removal of a file waiting for collection tells, delivered over a real SMTP connection (decision 60):
// its destination (a school, or another LA), by the sender's View / Remove Files and the LA's Delete,
// but not for a file it rejected or never saw (awaiting its virus scan), nor the LA itself for a file sent
// to its own LLLL; and the LA that forwarded a copy, whose email names the file it forwarded and its
// sender, and who removed the copy. The pages and the API's answer say so by the same rule. The LA CTF
// file page reads a copy's lost pupil file and record once. A destination that downloaded the file without
// answering "Was the file downloaded correctly?" is told so; the LA's Forward of a school's file tells the
// school it takes it from, never naming where it went (decision 64). On both engines.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { KyselyPlugin } from 'kysely';
import { emailContext } from '../../src/jobs.ts';
import { LostPupilService } from '../../src/lost-pupils/service.ts';
import { deliverDue } from '../../src/notifications/delivery.ts';
import type { Db } from '../../src/platform/db/schema.ts';
import { createLogger } from '../../src/platform/logger.ts';
import { DownloadService } from '../../src/transfers/download-service.ts';
import { DownloadTickets } from '../../src/transfers/download-tickets.ts';
import { LaMonitorService } from '../../src/transfers/la-monitor-service.ts';
import { SentService } from '../../src/transfers/sent-service.ts';
import { api, makeToken } from '../api/support.ts';
import { describeEachEngine } from '../support/databases.ts';
import { ayshireAndBeeshire, makeUser } from '../support/factories.ts';
import { makeLostPupil } from '../support/lost-pupils.ts';
import { startSmtpServer, type TestSmtpServer } from '../support/smtp.ts';
import { actorOf, la, makeTransfer, school, type TransferSpec } from '../support/transfers.ts';
import { Agent, createTestApp, type TestApp, textOf } from '../support/web.ts';

const logger = createLogger('silent');

/** The tables each SELECT reads, in order: the queries a call makes. */
function countingSelects(db: Db): { db: Db; selects: string[][] } {
  const selects: string[][] = [];
  const tablesOf = (node: unknown, found: string[] = []): string[] => {
    if (Array.isArray(node)) for (const item of node) tablesOf(item, found);
    else if (node && typeof node === 'object') {
      const n = node as { kind?: string; table?: { identifier?: { name?: string } } };
      if (n.kind === 'TableNode' && n.table?.identifier?.name) found.push(n.table.identifier.name);
      else for (const value of Object.values(node)) tablesOf(value, found);
    }
    return found;
  };
  const plugin: KyselyPlugin = {
    transformQuery: ({ node }) => {
      if (node.kind === 'SelectQueryNode') selects.push(tablesOf(node));
      return node;
    },
    transformResult: async ({ result }) => result,
  };
  return { db: db.withPlugin(plugin), selects };
}

describeEachEngine('Removal of a file waiting for collection: who is told', (database) => {
  let smtp: TestSmtpServer;
  let t: TestApp;
  before(async () => {
    smtp = await startSmtpServer();
    t = await createTestApp(database().db, {
      MAIL_TRANSPORT: 'smtp',
      SMTP_HOST: '127.0.0.1',
      SMTP_PORT: String(smtp.port),
      SERVICE_URL: 'https://s2s.test.example',
    });
  });
  after(async () => {
    await t.app.close();
    t.deps.mailer.close();
    await smtp.stop();
  });

  /** Ayshire (A One, A Two) and Beeshire (B One), each with an address of its own. */
  async function world() {
    const db = database().db;
    const w = await ayshireAndBeeshire(db);
    const address = { a1: 'office@a1.test', a2: 'office@a2.test', b1: 'office@b1.test' };
    for (const [key, email] of Object.entries(address)) {
      const number = w[key as keyof typeof address].number;
      await db.updateTable('establishments').set({ email }).where('number', '=', number).execute();
    }
    await db
      .updateTable('local_authorities')
      .set({ email: 'ctf@ayshire.test' })
      .where('number', '=', w.laA.number)
      .execute();
    await db
      .updateTable('local_authorities')
      .set({ email: 'ctf@beeshire.test' })
      .where('number', '=', w.laB.number)
      .execute();
    return { db, ...w };
  }

  /** The emails about `filename` the outbox delivers now, by address: [to, subject, text]. */
  async function delivered(filename: string) {
    await deliverDue({
      db: database().db,
      mailer: t.deps.mailer,
      clock: t.clock,
      logger,
      email: emailContext(t.deps.config),
      owner: 'removal-told',
    });
    const mails = smtp.received.splice(0, smtp.received.length);
    return mails
      .filter((mail) => mail.subject.includes(filename) || mail.text.includes(filename))
      .map((mail) => ({ to: mail.to.join(','), subject: mail.subject, text: mail.text.replace(/\s+/g, ' ') }))
      .sort((x, y) => x.to.localeCompare(y.to));
  }

  async function signedIn(
    role: 'school' | 'la_user',
    org: { laNumber?: string; establishmentNumber?: string },
  ) {
    const user = await makeUser(database().db, role, org);
    const agent = new Agent(t.app);
    assert.equal((await agent.signIn(user.username)).statusCode, 302);
    return { agent, user };
  }

  const transfer = (spec: TransferSpec) => makeTransfer(database().db, t.deps.files, spec);

  test("the sender's removal of a CTF waiting for collection tells its destination, by whom, and that it need do nothing; the page and the API say so", async () => {
    const w = await world();
    const { agent, user } = await signedIn('school', {
      laNumber: w.laB.number,
      establishmentNumber: w.b1.number,
    });
    const file = await transfer({ from: school(w.b1.number), to: school(w.a1.number) });
    const url = `/sent/files/${file.row.id}/remove`;
    const page = textOf((await agent.get(url)).body);
    assert.ok(
      page.includes(
        'A One Primary is sent an email to say you removed it before it was collected, and that it does not need to do anything. You cannot undo this.',
      ),
      page,
    );
    assert.equal((await agent.post(url, {})).statusCode, 302);
    const said = textOf((await agent.get('/sent')).body);
    assert.ok(
      said.includes(
        `${file.row.filename} has been removed. A One Primary can no longer see or download it. A One Primary will be sent an email to say you removed it before it was collected.`,
      ),
      said,
    );
    const [mail, ...others] = await delivered(file.row.filename);
    assert.deepEqual(others, [], 'the destination alone');
    assert.equal(mail?.to, 'office@a1.test');
    assert.equal(mail?.subject, `CTF removed before you collected it: ${file.row.filename}`);
    assert.match(
      mail?.text ?? '',
      new RegExp(
        `B One Primary \\(${w.b1.number}\\) removed ${file.row.filename} on .*, a CTF it had sent to you, before you collected it\\.`,
      ),
    );
    assert.match(mail?.text ?? '', /It is no longer in Download CTF Files/);
    assert.match(
      mail?.text ?? '',
      /You do not need to do anything\. If the pupil’s record still needs to reach you, B One Primary will send it again\./,
    );

    // Rejected by its destination, or never offered to it (awaiting its virus scan): nobody is told.
    const rejected = await transfer({
      from: school(w.b1.number),
      to: school(w.a1.number),
      overrides: { status: 'rejected', rejected_at: '2026-11-20T09:00:00.000Z', reject_reason: 'Not ours' },
    });
    const scanning = await transfer({
      from: school(w.b1.number),
      to: school(w.a1.number),
      overrides: { status: 'pending-scan', scan_status: 'pending' },
    });
    const sent = new SentService(t.deps);
    for (const quiet of [rejected, scanning]) {
      const shown = await sent.file(actorOf(user), quiet.row.id);
      assert.equal(shown.told.destination, null, quiet.row.status);
      const removed = await sent.remove(actorOf(user), quiet.row.id);
      assert.equal(removed.told.destination, null, quiet.row.status);
      assert.deepEqual(await delivered(quiet.row.filename), [], quiet.row.status);
    }

    // The API: told names the destination; the request sent again answers the same, nothing sent again.
    const token = await makeToken(w.db, user, 'transfer', t.clock);
    const viaApi = await transfer({ from: school(w.b1.number), to: la(w.laA.number) });
    const first = await api(t.app, { method: 'DELETE', url: `/api/v1/files/${viaApi.row.id}`, token });
    assert.equal(first.statusCode, 200, first.body);
    assert.deepEqual(first.json().told, [
      { organisation: { name: 'Ayshire LA', code: `${w.laA.number}LLLL` }, as: 'destination' },
    ]);
    const again = await api(t.app, { method: 'DELETE', url: `/api/v1/files/${viaApi.row.id}`, token });
    assert.deepEqual(again.json(), first.json());
    assert.deepEqual(
      (await delivered(viaApi.row.filename)).map((m) => m.to),
      ['ctf@ayshire.test'],
      'emailed once',
    );
  });

  test("the LA's Delete tells the destination school, but not the LA itself for a file sent to its LLLL; the page and the answer say so", async () => {
    const w = await world();
    const { agent } = await signedIn('la_user', { laNumber: w.laA.number });
    const file = await transfer({ from: school(w.b1.number), to: school(w.a2.number) });
    const url = `/download/ctf/uncollected/${file.row.id}/delete`;
    const page = textOf((await agent.get(url)).body);
    assert.ok(
      page.includes(
        'and B One Primary is sent an email to say your LA deleted it. A Two Primary is sent an email too, to say your LA deleted it before it was collected. You cannot undo this.',
      ),
      page,
    );
    assert.equal((await agent.post(url, {})).statusCode, 303);
    const said = textOf((await agent.get('/download/ctf/uncollected')).body);
    assert.ok(
      said.includes(
        `${file.row.filename} has been deleted. A Two Primary can no longer see or download it, and B One Primary will be sent an email to say your LA deleted it. A Two Primary will be sent an email too, to say your LA deleted it before it was collected.`,
      ),
      said,
    );
    const mails = await delivered(file.row.filename);
    assert.deepEqual(
      mails.map((m) => [m.to, m.subject]),
      [
        ['office@a2.test', `CTF removed before you collected it: ${file.row.filename}`],
        ['office@b1.test', `CTF removed before it was collected: ${file.row.filename}`],
      ],
    );
    assert.match(
      mails[0]?.text ?? '',
      new RegExp(
        `Ayshire LA \\(${w.laA.number}LLLL\\) removed ${file.row.filename} on .*, a CTF B One Primary \\(${w.b1.number}\\) had sent to you, before you collected it\\.`,
      ),
    );

    // Sent to the LA itself: the LA knows; its sender alone is told.
    const toLa = await transfer({ from: school(w.b1.number), to: la(w.laA.number) });
    const deleted = await new LaMonitorService(t.deps).remove(
      actorOf(await makeUser(w.db, 'la_user', { laNumber: w.laA.number })),
      toLa.row.id,
    );
    assert.equal(deleted.destinationTold, null);
    assert.deepEqual(
      (await delivered(toLa.row.filename)).map((m) => m.to),
      ['office@b1.test'],
    );
  });

  test("the forwarding LA's email names the file it forwarded, that file's sender, and who removed the copy: its sender, or the school's LA", async () => {
    const w = await world();
    const forwarder = actorOf(await makeUser(w.db, 'la_user', { laNumber: w.laB.number }));
    const monitorB = new LaMonitorService(t.deps);
    const forward = async (to: string) => {
      const original = await transfer({ from: school(w.b1.number), to: la(w.laB.number) });
      const copy = (await monitorB.forward(forwarder, original.row.id, to)).forwarded;
      await delivered(copy.filename); // the forward's own emails
      return { original: original.row, copy };
    };

    // Removed by its sender (View / Remove Files).
    const bySender = await forward(w.a1.number);
    const sender = actorOf(
      await makeUser(w.db, 'school', { laNumber: w.laB.number, establishmentNumber: w.b1.number }),
    );
    const removed = await new SentService(t.deps).remove(sender, bySender.copy.id);
    assert.equal(removed.told.destination?.code, w.a1.number);
    assert.equal(removed.told.forwarder?.code, `${w.laB.number}LLLL`);
    const [toLaB, toA1, ...none] = await delivered(bySender.copy.filename);
    assert.deepEqual(none, []);
    assert.equal(toA1?.to, 'office@a1.test');
    assert.equal(toLaB?.to, 'ctf@beeshire.test');
    assert.equal(toLaB?.subject, `CTF you forwarded was removed: ${bySender.copy.filename}`);
    assert.match(
      toLaB?.text ?? '',
      new RegExp(
        `B One Primary \\(${w.b1.number}\\) removed ${bySender.copy.filename} on .*, a CTF your LA forwarded to A One Primary \\(${w.a1.number}\\), before it was collected\\.`,
      ),
    );
    assert.match(
      toLaB?.text ?? '',
      new RegExp(
        `You forwarded it from ${bySender.original.filename}, the file B One Primary \\(${w.b1.number}\\) sent\\.`,
      ),
    );
    assert.doesNotMatch(toLaB?.text ?? '', /has been emailed too/, 'the sender removed it');

    // Deleted by the school's LA (Delete files not collected by schools): the sender is emailed too.
    const byLa = await forward(w.a2.number);
    await new LaMonitorService(t.deps).remove(
      actorOf(await makeUser(w.db, 'la_user', { laNumber: w.laA.number })),
      byLa.copy.id,
    );
    const mails = await delivered(byLa.copy.filename);
    assert.deepEqual(
      mails.map((m) => m.to),
      ['ctf@beeshire.test', 'office@a2.test', 'office@b1.test'],
    );
    const toForwarder = mails[0]?.text ?? '';
    assert.match(
      toForwarder,
      new RegExp(
        `Ayshire LA \\(${w.laA.number}LLLL\\) removed ${byLa.copy.filename} on .*, a CTF your LA forwarded to A Two Primary \\(${w.a2.number}\\), before it was collected\\.`,
      ),
    );
    assert.match(
      toForwarder,
      new RegExp(`You forwarded it from ${byLa.original.filename}, the file B One Primary`),
    );
    assert.match(toForwarder, /B One Primary has been emailed too, as the sender of the file\./);
  });

  /** The destination's user downloads the file, as Download CTF Files does, without answering whether it worked. */
  async function downloadedBy(org: { laNumber?: string; establishmentNumber?: string }, id: string) {
    const user = actorOf(await makeUser(database().db, 'school', org));
    const download = await new DownloadService(t.deps).download(user, 'ctf', [id], 'download');
    for await (const _chunk of download.stream);
  }

  test('a destination that downloaded the file without answering "Was the file downloaded correctly?" is told so, and what to do with its copy', async () => {
    const w = await world();
    const sender = actorOf(
      await makeUser(w.db, 'school', { laNumber: w.laB.number, establishmentNumber: w.b1.number }),
    );
    const file = await transfer({ from: school(w.b1.number), to: school(w.a1.number) });
    await downloadedBy({ laNumber: w.laA.number, establishmentNumber: w.a1.number }, file.row.id);
    const removed = await new SentService(t.deps).remove(sender, file.row.id);
    assert.equal(removed.told.destination?.code, w.a1.number, 'still waiting for collection: told');
    const [mail, ...others] = await delivered(file.row.filename);
    assert.deepEqual(others, []);
    assert.equal(mail?.to, 'office@a1.test');
    assert.equal(mail?.subject, `CTF you downloaded has been removed: ${file.row.filename}`);
    assert.match(
      mail?.text ?? '',
      /You downloaded it on .*, but did not confirm that it was downloaded correctly, so it had not been collected\./,
    );
    assert.match(mail?.text ?? '', /Do not load the copy you downloaded into your MIS, and delete it/);
    assert.doesNotMatch(mail?.text ?? '', /before you collected it|You do not need to do anything/);
  });

  test('the pages that remove a file a destination downloaded without confirming say it may hold a copy, and that its email asks it to delete it', async () => {
    const w = await world();
    const copy =
      'A One Primary downloaded it on 20 November 2026 at 9:00am without confirming that it downloaded correctly, so it may hold a copy: the email asks it to delete that copy and not load it into its MIS.';
    const downloaded = (overrides = {}) =>
      transfer({
        from: school(w.b1.number),
        to: school(w.a1.number),
        overrides: { last_downloaded_at: '2026-11-20T09:00:00.000Z', ...overrides },
      });

    // The sender's View / Remove Files: not "need do nothing", on the page and in the answer.
    const { agent: sender } = await signedIn('school', {
      laNumber: w.laB.number,
      establishmentNumber: w.b1.number,
    });
    const sent = await downloaded();
    const url = `/sent/files/${sent.row.id}/remove`;
    const page = textOf((await sender.get(url)).body);
    assert.ok(
      page.includes(`A One Primary is sent an email to say you removed it before it was collected. ${copy}`),
      page,
    );
    assert.doesNotMatch(page, /does not need to do anything/);
    assert.equal((await sender.post(url, {})).statusCode, 302);
    const answer = textOf((await sender.get('/sent')).body);
    assert.ok(answer.includes(`before it was collected. ${copy}`), answer);

    // The LA's Delete, on the page and in the answer.
    const { agent: laUser } = await signedIn('la_user', { laNumber: w.laA.number });
    const deleted = await downloaded();
    const deleteUrl = `/download/ctf/uncollected/${deleted.row.id}/delete`;
    const warning = textOf((await laUser.get(deleteUrl)).body);
    assert.ok(warning.includes(`your LA deleted it before it was collected. ${copy}`), warning);
    assert.equal((await laUser.post(deleteUrl, {})).statusCode, 303);
    const done = textOf((await laUser.get('/download/ctf/uncollected')).body);
    assert.ok(done.includes(`your LA deleted it before it was collected. ${copy}`), done);

    // Never downloaded: nothing said of a copy.
    const fresh = await downloaded({ last_downloaded_at: null });
    assert.doesNotMatch(
      textOf((await sender.get(`/sent/files/${fresh.row.id}/remove`)).body),
      /may hold a copy/,
    );
  });

  test("the LA's forward of a school's CTF sent to the wrong school tells that school, without naming the school it went to; the check page and the answer say so", async () => {
    const w = await world();
    const { agent } = await signedIn('la_user', { laNumber: w.laA.number });
    const file = await transfer({ from: school(w.b1.number), to: school(w.a1.number) });
    const base = `/download/ctf/uncollected/${file.row.id}/forward`;
    const check = textOf((await agent.post(base, { school: w.a2.number })).body);
    assert.ok(
      check.includes(
        'A One Primary will no longer see the file, and is sent an email to say your LA passed it on to the school it was meant for (without naming that school), and that it does not need to do anything.',
      ),
      check,
    );
    assert.equal((await agent.post(base, { school: w.a2.number, confirm: 'yes' })).statusCode, 303);
    const said = textOf((await agent.get('/download/ctf/uncollected')).body);
    assert.ok(
      said.includes(
        'A One Primary will be sent an email to say your LA passed the file on, without naming the school.',
      ),
      said,
    );
    const mails = await delivered(file.row.filename);
    assert.deepEqual(
      mails.map((m) => m.to),
      ['office@a1.test', 'office@a2.test'],
      'the wrong school, and the right one its ctf-uploaded',
    );
    const [wrong] = mails;
    assert.equal(wrong?.subject, `CTF passed on to another school: ${file.row.filename}`);
    assert.match(
      wrong?.text ?? '',
      new RegExp(
        `Ayshire LA \\(${w.laA.number}LLLL\\) forwarded ${file.row.filename} on .*, a CTF B One Primary \\(${w.b1.number}\\) had sent to you, to the school it was meant for, before you collected it\\.`,
      ),
    );
    assert.match(wrong?.text ?? '', /You do not need to do anything: the file was meant for another school/);
    // Pupil data: where the pupil went is not the wrong school's to know.
    for (const secret of [w.a2.number, 'A Two Primary']) {
      assert.ok(!`${wrong?.subject} ${wrong?.text}`.includes(secret), secret);
    }
    const payload = await w.db
      .selectFrom('notification_outbox')
      .select('payload')
      .where('template', '=', 'waiting-file-forwarded')
      .where('recipient', '=', w.a1.number)
      .executeTakeFirstOrThrow();
    assert.ok(!payload.payload.includes(w.a2.number), payload.payload);

    // In Welsh: the check page and the answer.
    const welshUser = await makeUser(w.db, 'la_user', { laNumber: w.laA.number }, { language: 'cy' });
    const welsh = new Agent(t.app);
    assert.equal((await welsh.signIn(welshUser.username)).statusCode, 302);
    const inWelsh = await transfer({ from: school(w.b1.number), to: school(w.a1.number) });
    const welshBase = `/download/ctf/uncollected/${inWelsh.row.id}/forward`;
    const welshCheck = textOf((await welsh.post(welshBase, { school: w.a2.number })).body);
    assert.ok(
      welshCheck.includes(
        'Ni fydd A One Primary yn gweld y ffeil mwyach, ac anfonir e-bost ati i ddweud bod eich awdurdod lleol wedi’i hanfon ymlaen at yr ysgol yr oedd wedi’i bwriadu ar ei chyfer (heb enwi’r ysgol honno)',
      ),
      welshCheck,
    );
    assert.equal((await welsh.post(welshBase, { school: w.a2.number, confirm: 'yes' })).statusCode, 303);
    const welshSaid = textOf((await welsh.get('/download/ctf/uncollected')).body);
    assert.ok(
      welshSaid.includes(
        'Bydd A One Primary yn cael e-bost yn dweud bod eich awdurdod lleol wedi anfon y ffeil ymlaen, heb enwi’r ysgol.',
      ),
      welshSaid,
    );
    await delivered(inWelsh.row.filename);

    // Downloaded by the wrong school, never confirmed: told so, and to delete its copy.
    const downloaded = await transfer({ from: school(w.b1.number), to: school(w.a1.number) });
    await downloadedBy({ laNumber: w.laA.number, establishmentNumber: w.a1.number }, downloaded.row.id);
    const laUser = actorOf(await makeUser(w.db, 'la_user', { laNumber: w.laA.number }));
    const result = await new LaMonitorService(t.deps).forward(laUser, downloaded.row.id, w.a2.number);
    assert.equal(result.originalTold?.code, w.a1.number);
    const [toWrong] = (await delivered(downloaded.row.filename)).filter((m) => m.to === 'office@a1.test');
    assert.match(
      toWrong?.text ?? '',
      /You downloaded it on .*, but did not confirm that it was downloaded correctly, so it had not been collected\./,
    );
    assert.match(toWrong?.text ?? '', /delete the copy you downloaded and do not load it into your MIS/);

    // The LA's own LLLL file, forwarded: collected by the LA, nobody is told it went.
    const own = await transfer({ from: school(w.b1.number), to: la(w.laA.number) });
    const ownResult = await new LaMonitorService(t.deps).forward(laUser, own.row.id, w.a2.number);
    assert.equal(ownResult.originalTold, null);
    assert.deepEqual(
      (await delivered(own.row.filename)).map((m) => m.to),
      ['office@a2.test'],
    );
  });

  test("a download recorded while the LA's Forward copies the file is said in the wrong school's email: the row as the forward left it", async () => {
    const w = await world();
    const file = await transfer({ from: school(w.b1.number), to: school(w.a1.number) });
    const laUser = actorOf(await makeUser(w.db, 'la_user', { laNumber: w.laA.number }));
    // The forward has read the file (not downloaded) and reads its content to copy it: the school downloads
    // it then, before the forward's transaction.
    const store = t.deps.files;
    const files = {
      put: store.put.bind(store),
      remove: store.remove.bind(store),
      open: store.open.bind(store),
      get: async (stored: Parameters<typeof t.deps.files.get>[0]) => {
        await downloadedBy({ laNumber: w.laA.number, establishmentNumber: w.a1.number }, file.row.id);
        return t.deps.files.get(stored);
      },
    };
    const result = await new LaMonitorService({ ...t.deps, files }).forward(laUser, file.row.id, w.a2.number);
    assert.equal(result.originalTold?.code, w.a1.number);
    assert.ok(result.original.last_downloaded_at, 'downloaded before the forward recorded');
    const [toWrong] = (await delivered(file.row.filename)).filter((m) => m.to === 'office@a1.test');
    assert.match(
      toWrong?.text ?? '',
      /You downloaded it on .*, but did not confirm that it was downloaded correctly/,
    );
  });

  test("the LA CTF file page reads a lost pupil's copy's lost pupil file and record once", async () => {
    const w = await world();
    const transferUser = await makeUser(w.db, 'la_lost_pupil_transfer', { laNumber: w.laA.number });
    const lostPupils = new LostPupilService({ ...t.deps, tickets: new DownloadTickets('a secret') });
    const { record } = await makeLostPupil(w.db, t.deps.files, { from: school(w.b1.number) });
    const copy = (
      await lostPupils.forward(actorOf(transferUser), record.id, { school: w.a2.number, attested: true })
    ).result.forwarded;
    const counting = countingSelects(w.db);
    const page = await new LaMonitorService({ ...t.deps, db: counting.db }).file(
      actorOf(transferUser),
      copy.id,
    );
    // The copy, its original (the lost pupil file) as forwardingOf reads it, and the lost pupil file as the
    // record's: the file once for what a removal does to its record.
    assert.equal(
      counting.selects.filter((tables) => tables.includes('transfers')).length,
      3,
      JSON.stringify(counting.selects),
    );
    // The record, and whether the forward's finding is still its latest: once each.
    assert.equal(
      counting.selects.filter((tables) => tables.includes('lost_pupils')).length,
      2,
      JSON.stringify(counting.selects),
    );
    assert.equal(page.file.lostPupilAgain, true);
    assert.equal(page.file.uploaderTold?.code, `${w.laB.number}LLLL`);
    assert.equal(page.file.destinationTold?.code, w.a2.number);
  });
});
