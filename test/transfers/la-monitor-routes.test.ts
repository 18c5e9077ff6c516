import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Role } from '../../src/auth/permissions.ts';
import { getLostPupil } from '../../src/lost-pupils/repository.ts';
import { LostPupilService } from '../../src/lost-pupils/service.ts';
import { markPurged } from '../../src/transfers/download-repository.ts';
import { DownloadService } from '../../src/transfers/download-service.ts';
import { DownloadTickets } from '../../src/transfers/download-tickets.ts';
import {
  AWAITING_PAGE_SIZE,
  LaMonitorService,
  MONITOR_PAGE_SIZE,
} from '../../src/transfers/la-monitor-service.ts';
import { getTransfer } from '../../src/transfers/repository.ts';
import { describeEachEngine } from '../support/databases.ts';
import { ayshireAndBeeshire, makeSchool, makeUser } from '../support/factories.ts';
import { makeLostPupil } from '../support/lost-pupils.ts';
import {
  actorOf,
  la,
  laInbox,
  makeTransfer,
  pupil,
  school,
  type TransferSpec,
} from '../support/transfers.ts';
import { Agent, createTestApp, errorSummary, type TestApp, textOf } from '../support/web.ts';

/** The main content, without the menu and the footer. */
function mainOf(html: string): string {
  return /<main[\s\S]*<\/main>/.exec(html)?.[0] ?? '';
}

describeEachEngine('LA CTF pages', (database) => {
  let t: TestApp;
  before(async () => {
    t = await createTestApp(database().db);
  });
  after(async () => {
    await t.app.close();
  });

  async function world() {
    const db = database().db;
    return { db, ...(await ayshireAndBeeshire(db)) };
  }

  async function signedIn(role: Role, org: { laNumber?: string; establishmentNumber?: string }) {
    const user = await makeUser(database().db, role, org);
    const agent = new Agent(t.app);
    const response = await agent.signIn(user.username);
    assert.equal(response.statusCode, 302, 'signed in');
    return { agent, user };
  }

  const transfer = (spec: TransferSpec) => makeTransfer(database().db, t.deps.files, spec);

  test('the Download menu has the LA items for the LA roles that download CTFs, and no one else', async () => {
    const w = await world();
    for (const role of ['la_dba', 'la_user', 'la_school', 'la_lost_pupil_transfer'] as Role[]) {
      const { agent } = await signedIn(role, { laNumber: w.laA.number });
      const text = textOf((await agent.get('/download')).body);
      const order = ['Download CTF Files', 'Monitor CTF Files', 'Delete files not collected by schools'].map(
        (label) => text.indexOf(label),
      );
      assert.ok(
        order.every((i) => i >= 0),
        `${role}: the items are listed`,
      );
      assert.deepEqual(
        [...order].sort((a, b) => a - b),
        order,
        `${role}: after Download CTF Files`,
      );
    }
    for (const [role, org] of [
      ['school', { establishmentNumber: w.a1.number }],
      ['la_plasc', { laNumber: w.laA.number }],
      ['la_admissions', { laNumber: w.laA.number }],
      ['la_lost_pupil', { laNumber: w.laA.number }],
    ] as [Role, { laNumber?: string; establishmentNumber?: string }][]) {
      const { agent } = await signedIn(role, org);
      const text = textOf((await agent.get('/download')).body);
      assert.ok(!text.includes('Monitor CTF Files'), role);
      assert.ok(!text.includes('Delete files not collected by schools'), role);
      assert.equal((await agent.get('/download/ctf/monitor')).statusCode, 403, role);
      assert.equal((await agent.get('/download/ctf/uncollected')).statusCode, 403, role);
    }
  });

  test("files sent to the LA's LLLL inbox are in Download CTF Files for the LA roles, not on the home page", async () => {
    const w = await world();
    const toLa = await transfer({ from: school(w.b1.number), to: la(w.laA.number) });
    for (const role of ['la_dba', 'la_user', 'la_school', 'la_lost_pupil_transfer'] as Role[]) {
      const { agent } = await signedIn(role, { laNumber: w.laA.number });
      const list = await agent.get('/download/ctf');
      assert.equal(list.statusCode, 200, role);
      assert.ok(list.body.includes(toLa.row.filename), `${role} can download it`);
      const home = await agent.get('/');
      assert.ok(!mainOf(home.body).includes(toLa.row.filename), `${role}: not on the home page`);
    }
    const other = await signedIn('la_user', { laNumber: w.laB.number });
    assert.ok(!(await other.agent.get('/download/ctf')).body.includes(toLa.row.filename));
  });

  test('the monitoring page: three tabs, For Collection / Collected, the handbook columns, no pupils', async () => {
    const w = await world();
    const within = await transfer({
      from: school(w.a1.number),
      to: school(w.a2.number),
      pupils: [pupil('Hiddensurname', { upn: 'K801200002001' })],
    });
    const incoming = await transfer({ from: school(w.b1.number), to: school(w.a1.number) });
    const outgoing = await transfer({ from: school(w.a2.number), to: school(w.b1.number) });
    const lostPupil = await transfer({
      from: school(w.a2.number),
      to: la(w.laB.number),
      filename: `${w.a2.number}_CTF_XXXXXXXX_001.XML`,
      overrides: { dest_kind: 'lost-pupils', dest_la: null, lost_reason: 'destination-unknown' },
    });
    const collectedOut = await transfer({
      from: school(w.a2.number),
      to: la(w.laB.number),
      overrides: { status: 'collected', collected_at: '2026-11-21T09:00:00.000Z' },
    });
    const { agent } = await signedIn('la_user', { laNumber: w.laA.number });

    const page = await agent.get('/download/ctf/monitor');
    assert.equal(page.statusCode, 200);
    const main = mainOf(page.body);
    assert.match(main, /aria-current="page"><strong>Files Within LEA<\/strong>/);
    assert.match(main, /aria-current="page"><strong>For Collection<\/strong>/);
    assert.match(main, /href="\/download\/ctf\/monitor\?tab=incoming&amp;show=collection">Incoming Files/);
    assert.match(main, /href="\/download\/ctf\/monitor\?tab=outgoing&amp;show=collection">Outgoing Files/);
    assert.match(main, /href="\/download\/ctf\/monitor\?tab=within&amp;show=collected">Collected/);
    const headings = [...main.matchAll(/<th scope="col"[^>]*>\s*<a[^>]*>([^<]+)<\/a>/g)].map((m) => m[1]);
    assert.deepEqual(headings, ['Destination School', 'Filename', 'Source School', 'Date Uploaded']);
    assert.ok(main.includes(within.row.filename));
    assert.ok(!main.includes(incoming.row.filename));
    assert.ok(!main.includes(outgoing.row.filename));
    assert.doesNotMatch(main, /Hiddensurname|K801200002001/, 'no pupil data on the monitoring page');
    // A file waiting in the LA links to the page where it can be dealt with.
    assert.ok(main.includes(`href="/download/ctf/uncollected/${within.row.id}"`));

    const incomingPage = mainOf((await agent.get('/download/ctf/monitor?tab=incoming&show=collection')).body);
    assert.ok(incomingPage.includes(incoming.row.filename));
    assert.ok(!incomingPage.includes(within.row.filename));
    const outgoingPage = mainOf((await agent.get('/download/ctf/monitor?tab=outgoing')).body);
    assert.ok(outgoingPage.includes(outgoing.row.filename));
    assert.ok(!outgoingPage.includes(collectedOut.row.filename), 'collected files are under Collected');
    // Nobody collects a file in the Lost Pupils Database: not listed, and the page says why.
    assert.ok(!outgoingPage.includes(lostPupil.row.filename), 'not waiting for collection');
    assert.match(
      textOf(outgoingPage),
      /CTFs sent to the Lost Pupils Database \(XXXXXXXX or MMMMMMMM\) are not listed here, because nobody collects them/,
    );
    assert.doesNotMatch(textOf(main), /Lost Pupils Database/, 'said on the outgoing tab only');
    assert.ok(
      !outgoingPage.includes(`/download/ctf/uncollected/${outgoing.row.id}`),
      "another LA's to act on",
    );
    const collectedPage = mainOf((await agent.get('/download/ctf/monitor?tab=outgoing&show=collected')).body);
    assert.ok(collectedPage.includes(collectedOut.row.filename));
    assert.ok(!collectedPage.includes(outgoing.row.filename));

    // Unknown values fall back to the first tab; a sort link sorts.
    assert.equal((await agent.get('/download/ctf/monitor?tab=nope&show=nope&page=x')).statusCode, 200);
    const sorted = await agent.get(
      '/download/ctf/monitor?tab=within&show=collection&sort=file&order=descending',
    );
    assert.equal(sorted.statusCode, 200);
    assert.match(sorted.body, /aria-sort="descending"><a[^>]*>Filename/);
  });

  test('Delete files not collected by schools: the pupils, then delete with a confirmation', async () => {
    const w = await world();
    const waiting = await transfer({
      from: school(w.b1.number),
      to: school(w.a1.number),
      pupils: [pupil('Shownsurname', { forename: 'Kit', upn: 'K801200002002', date_of_birth: '2016-04-05' })],
    });
    const { agent } = await signedIn('la_user', { laNumber: w.laA.number });
    const page = await agent.get('/download/ctf/uncollected');
    assert.equal(page.statusCode, 200);
    const text = textOf(mainOf(page.body));
    assert.ok(text.includes(waiting.row.filename));
    assert.ok(text.includes('Shownsurname, Kit'));
    assert.ok(text.includes('K801200002002'));
    assert.ok(text.includes('5 April 2016'));
    assert.ok(text.includes('A One Primary'));

    const confirm = await agent.get(`/download/ctf/uncollected/${waiting.row.id}/delete`);
    assert.equal(confirm.statusCode, 200);
    assert.match(textOf(confirm.body), /You cannot undo this/);
    const done = await agent.post(`/download/ctf/uncollected/${waiting.row.id}/delete`, {});
    assert.equal(done.statusCode, 303);
    assert.equal(done.headers.location, '/download/ctf/uncollected');
    const after = await agent.get('/download/ctf/uncollected');
    assert.match(textOf(after.body), new RegExp(`${waiting.row.filename} has been deleted`));
    assert.ok(!textOf(mainOf(after.body)).includes('Shownsurname'));
    assert.equal((await getTransfer(w.db, waiting.row.id))?.status, 'removed');

    // Gone: its pages are not found, and deleting again (Back and Delete) says it was deleted already.
    assert.equal((await agent.get(`/download/ctf/uncollected/${waiting.row.id}`)).statusCode, 404);
    await agent.get('/download/ctf/uncollected');
    const again = await agent.post(`/download/ctf/uncollected/${waiting.row.id}/delete`, {});
    assert.equal(again.statusCode, 303);
    assert.match(
      textOf((await agent.get('/download/ctf/uncollected')).body),
      new RegExp(`You have already deleted ${waiting.row.filename}\\.`),
    );
  });

  test('Delete files not collected by schools: the page and the answer say who is emailed, as the emails queued are, whoever sent the file and whether it waits for a school or the LA', async () => {
    const w = await world();
    const { agent } = await signedIn('la_user', { laNumber: w.laA.number });
    const cases = [
      {
        what: "another LA's school to one of the LA's schools",
        spec: { from: school(w.b1.number), to: school(w.a1.number) },
        emailed: [
          ['school', w.a1.number],
          ['school', w.b1.number],
        ],
        warning:
          'The file is deleted from s2s straight away: A One Primary can no longer see or download it, and B One Primary is sent an email to say your LA deleted it. A One Primary is sent an email too, to say your LA deleted it before it was collected. You cannot undo this.',
        done: 'has been deleted. A One Primary can no longer see or download it, and B One Primary will be sent an email to say your LA deleted it. A One Primary will be sent an email too, to say your LA deleted it before it was collected.',
      },
      {
        what: 'another LA to one of the LA’s schools',
        spec: { from: la(w.laB.number), to: school(w.a1.number) },
        emailed: [
          ['la', w.laB.number],
          ['school', w.a1.number],
        ],
        warning:
          'The file is deleted from s2s straight away: A One Primary can no longer see or download it, and Beeshire LA is sent an email to say your LA deleted it. A One Primary is sent an email too, to say your LA deleted it before it was collected. You cannot undo this.',
        done: 'has been deleted. A One Primary can no longer see or download it, and Beeshire LA will be sent an email to say your LA deleted it. A One Primary will be sent an email too, to say your LA deleted it before it was collected.',
      },
      {
        what: 'the LA itself to one of its schools',
        spec: { from: la(w.laA.number), to: school(w.a1.number) },
        emailed: [['school', w.a1.number]],
        warning:
          'The file is deleted from s2s straight away: A One Primary can no longer see or download it, and is sent an email to say your LA deleted it before it was collected. You cannot undo this.',
        done: 'has been deleted. A One Primary can no longer see or download it, and will be sent an email to say your LA deleted it before it was collected.',
      },
      {
        what: "the LA's own inbox to one of its schools",
        spec: { from: laInbox(w.laA.number, 'ADMS'), to: school(w.a1.number) },
        emailed: [['school', w.a1.number]],
        warning:
          'The file is deleted from s2s straight away: A One Primary can no longer see or download it, and is sent an email to say your LA deleted it before it was collected. You cannot undo this.',
        done: 'has been deleted. A One Primary can no longer see or download it, and will be sent an email to say your LA deleted it before it was collected.',
      },
      {
        what: 'a school to the LA itself (LLLL)',
        spec: { from: school(w.b1.number), to: la(w.laA.number) },
        emailed: [['school', w.b1.number]],
        warning:
          'The file is deleted from s2s straight away: it leaves your LA’s Download CTF Files, and B One Primary is sent an email to say your LA deleted it. You cannot undo this.',
        done: 'has been deleted. It is no longer in your LA’s Download CTF Files, and B One Primary will be sent an email to say your LA deleted it.',
      },
    ];
    for (const c of cases) {
      const file = await transfer(c.spec);
      const url = `/download/ctf/uncollected/${file.row.id}/delete`;
      const page = await agent.get(url);
      assert.equal(page.statusCode, 200, c.what);
      assert.ok(textOf(page.body).includes(c.warning), `${c.what}: ${textOf(mainOf(page.body))}`);
      const done = await agent.post(url, {});
      assert.equal(done.statusCode, 303, c.what);
      const said = textOf((await agent.get('/download/ctf/uncollected')).body);
      assert.ok(said.includes(`${file.row.filename} ${c.done}`), `${c.what}: ${said}`);
      const emails = await w.db
        .selectFrom('notification_outbox')
        .select(['template', 'recipient_kind', 'recipient'])
        .where('payload', 'like', `%${file.row.filename}%`)
        .execute();
      assert.deepEqual(emails.map((e) => [e.recipient_kind, e.recipient]).sort(), c.emailed, c.what);
      // The sender's, and the school's it waited for.
      assert.ok(
        emails.every((e) =>
          e.recipient === w.a1.number ? e.template === 'waiting-file-removed' : e.template === 'file-removed',
        ),
        c.what,
      );
      // Deleted again (Back and Delete): said the same way, nothing sent again.
      const again = await agent.post(url, {});
      assert.equal(again.statusCode, 303, c.what);
      const saidAgain = textOf((await agent.get('/download/ctf/uncollected')).body);
      assert.ok(
        saidAgain.includes(
          `You have already deleted ${file.row.filename}. ${c.done.replace('has been deleted. ', '')}`,
        ),
        `${c.what}: ${saidAgain}`,
      );
    }

    // In Welsh: each case's words.
    assert.equal((await agent.get('/?lang=cy')).statusCode, 302);
    const welsh = [
      {
        spec: { from: school(w.b1.number), to: school(w.a1.number) },
        warning:
          'Caiff y ffeil ei dileu o s2s ar unwaith: ni all A One Primary ei gweld na’i lawrlwytho mwyach, ac anfonir e-bost at B One Primary i ddweud bod eich awdurdod lleol wedi’i dileu. Anfonir e-bost hefyd at A One Primary, i ddweud bod eich awdurdod lleol wedi’i dileu cyn iddi gael ei chasglu. Ni allwch ddadwneud hyn.',
        done: 'wedi’i dileu. Ni all A One Primary ei gweld na’i lawrlwytho mwyach, a bydd B One Primary yn cael e-bost i ddweud bod eich awdurdod lleol wedi’i dileu. Bydd A One Primary yn cael e-bost hefyd, i ddweud bod eich awdurdod lleol wedi’i dileu cyn iddi gael ei chasglu.',
      },
      {
        spec: { from: la(w.laA.number), to: school(w.a1.number) },
        warning:
          'Caiff y ffeil ei dileu o s2s ar unwaith: ni all A One Primary ei gweld na’i lawrlwytho mwyach, ac anfonir e-bost at A One Primary i ddweud bod eich awdurdod lleol wedi’i dileu cyn iddi gael ei chasglu. Ni allwch ddadwneud hyn.',
        done: 'wedi’i dileu. Ni all A One Primary ei gweld na’i lawrlwytho mwyach, a bydd A One Primary yn cael e-bost i ddweud bod eich awdurdod lleol wedi’i dileu cyn iddi gael ei chasglu.',
      },
      {
        spec: { from: school(w.b1.number), to: la(w.laA.number) },
        warning:
          'Caiff y ffeil ei dileu o s2s ar unwaith: mae’n gadael Lawrlwytho Ffeiliau CTF eich awdurdod lleol, ac anfonir e-bost at B One Primary i ddweud bod eich awdurdod lleol wedi’i dileu. Ni allwch ddadwneud hyn.',
        done: 'wedi’i dileu. Nid yw yn Lawrlwytho Ffeiliau CTF eich awdurdod lleol mwyach, a bydd B One Primary yn cael e-bost i ddweud bod eich awdurdod lleol wedi’i dileu.',
      },
    ];
    for (const c of welsh) {
      const file = await transfer(c.spec);
      const url = `/download/ctf/uncollected/${file.row.id}/delete`;
      assert.ok(textOf((await agent.get(url)).body).includes(c.warning), c.warning);
      await agent.post(url, {});
      const said = textOf((await agent.get('/download/ctf/uncollected')).body);
      assert.ok(said.includes(`Mae ${file.row.filename} ${c.done}`), said);
    }
  });

  test('Delete files not collected by schools: a file another LA forwarded to one of the LA’s schools tells that LA too, as the page and the answer say, as a Reject does', async () => {
    const w = await world();
    const forwarderB = actorOf(await makeUser(w.db, 'la_user', { laNumber: w.laB.number }));
    const forwarderA = actorOf(await makeUser(w.db, 'la_user', { laNumber: w.laA.number }));
    const { agent } = await signedIn('la_user', { laNumber: w.laA.number });
    const cases = [
      {
        what: "a school's file Beeshire forwarded from its own inbox to one of the LA's schools",
        copy: async () => {
          const original = await transfer({ from: school(w.b1.number), to: la(w.laB.number) });
          return (await new LaMonitorService(t.deps).forward(forwarderB, original.row.id, w.a1.number))
            .forwarded;
        },
        emailed: [
          ['school', w.b1.number],
          ['la', w.laB.number],
          ['school', w.a1.number],
        ],
        warning:
          'The file is deleted from s2s straight away: A One Primary can no longer see or download it, and B One Primary is sent an email to say your LA deleted it. Beeshire LA, which forwarded it there, is sent the email too. A One Primary is sent an email too, to say your LA deleted it before it was collected. You cannot undo this.',
        done: 'has been deleted. A One Primary can no longer see or download it, and B One Primary will be sent an email to say your LA deleted it. Beeshire LA, which forwarded it there, will be sent the email too. A One Primary will be sent an email too, to say your LA deleted it before it was collected.',
      },
      {
        what: "the LA's own file, sent to Beeshire's school and forwarded by Beeshire to one of the LA's schools",
        copy: async () => {
          const original = await transfer({ from: la(w.laA.number), to: school(w.b1.number) });
          return (await new LaMonitorService(t.deps).forward(forwarderB, original.row.id, w.a1.number))
            .forwarded;
        },
        emailed: [
          ['la', w.laB.number],
          ['school', w.a1.number],
        ],
        warning:
          'The file is deleted from s2s straight away: A One Primary can no longer see or download it, and Beeshire LA, which forwarded it there, is sent an email to say your LA deleted it. A One Primary is sent an email too, to say your LA deleted it before it was collected. You cannot undo this.',
        done: 'has been deleted. A One Primary can no longer see or download it, and Beeshire LA, which forwarded it there, will be sent an email to say your LA deleted it. A One Primary will be sent an email too, to say your LA deleted it before it was collected.',
      },
      {
        what: "a school's file the LA forwarded itself: only the sender",
        copy: async () => {
          const original = await transfer({ from: school(w.b1.number), to: la(w.laA.number) });
          return (await new LaMonitorService(t.deps).forward(forwarderA, original.row.id, w.a1.number))
            .forwarded;
        },
        emailed: [
          ['school', w.b1.number],
          ['school', w.a1.number],
        ],
        warning:
          'The file is deleted from s2s straight away: A One Primary can no longer see or download it, and B One Primary is sent an email to say your LA deleted it. A One Primary is sent an email too, to say your LA deleted it before it was collected. You cannot undo this.',
        done: 'has been deleted. A One Primary can no longer see or download it, and B One Primary will be sent an email to say your LA deleted it. A One Primary will be sent an email too, to say your LA deleted it before it was collected.',
      },
    ];
    for (const c of cases) {
      const copy = await c.copy();
      const url = `/download/ctf/uncollected/${copy.id}/delete`;
      const page = await agent.get(url);
      assert.equal(page.statusCode, 200, c.what);
      assert.ok(textOf(page.body).includes(c.warning), `${c.what}: ${textOf(mainOf(page.body))}`);
      assert.equal((await agent.post(url, {})).statusCode, 303, c.what);
      const said = textOf((await agent.get('/download/ctf/uncollected')).body);
      assert.ok(said.includes(`${copy.filename} ${c.done}`), `${c.what}: ${said}`);
      const emails = await w.db
        .selectFrom('notification_outbox')
        .select(['recipient_kind', 'recipient'])
        .where('template', 'in', ['file-removed', 'forwarded-file-removed', 'waiting-file-removed'])
        .where('payload', 'like', `%${copy.filename}%`)
        .execute();
      assert.deepEqual(
        emails.map((e) => [e.recipient_kind, e.recipient]).sort(),
        [...c.emailed].sort(),
        c.what,
      );
      // Deleted again: said the same way, nothing sent again.
      assert.equal((await agent.post(url, {})).statusCode, 303, c.what);
      const saidAgain = textOf((await agent.get('/download/ctf/uncollected')).body);
      assert.ok(
        saidAgain.includes(
          `You have already deleted ${copy.filename}. ${c.done.replace('has been deleted. ', '')}`,
        ),
        `${c.what}: ${saidAgain}`,
      );
      const after = await w.db
        .selectFrom('notification_outbox')
        .select('id')
        .where('template', 'in', ['file-removed', 'forwarded-file-removed', 'waiting-file-removed'])
        .where('payload', 'like', `%${copy.filename}%`)
        .execute();
      assert.equal(after.length, c.emailed.length, c.what);
    }

    // In Welsh.
    assert.equal((await agent.get('/?lang=cy')).statusCode, 302);
    const welsh = [
      {
        from: school(w.b1.number),
        to: la(w.laB.number),
        warning:
          'Caiff y ffeil ei dileu o s2s ar unwaith: ni all A One Primary ei gweld na’i lawrlwytho mwyach, ac anfonir e-bost at B One Primary i ddweud bod eich awdurdod lleol wedi’i dileu. Anfonir yr e-bost hefyd at Awdurdod lleol Beeshire, a’i hanfonodd ymlaen yno. Anfonir e-bost hefyd at A One Primary, i ddweud bod eich awdurdod lleol wedi’i dileu cyn iddi gael ei chasglu. Ni allwch ddadwneud hyn.',
        done: 'wedi’i dileu. Ni all A One Primary ei gweld na’i lawrlwytho mwyach, a bydd B One Primary yn cael e-bost i ddweud bod eich awdurdod lleol wedi’i dileu. Bydd Awdurdod lleol Beeshire, a’i hanfonodd ymlaen yno, yn cael yr e-bost hefyd. Bydd A One Primary yn cael e-bost hefyd, i ddweud bod eich awdurdod lleol wedi’i dileu cyn iddi gael ei chasglu.',
      },
      {
        from: la(w.laA.number),
        to: school(w.b1.number),
        warning:
          'Caiff y ffeil ei dileu o s2s ar unwaith: ni all A One Primary ei gweld na’i lawrlwytho mwyach, ac anfonir e-bost at Awdurdod lleol Beeshire, a’i hanfonodd ymlaen yno, i ddweud bod eich awdurdod lleol wedi’i dileu. Anfonir e-bost hefyd at A One Primary, i ddweud bod eich awdurdod lleol wedi’i dileu cyn iddi gael ei chasglu. Ni allwch ddadwneud hyn.',
        done: 'wedi’i dileu. Ni all A One Primary ei gweld na’i lawrlwytho mwyach, a bydd Awdurdod lleol Beeshire, a’i hanfonodd ymlaen yno, yn cael e-bost i ddweud bod eich awdurdod lleol wedi’i dileu. Bydd A One Primary yn cael e-bost hefyd, i ddweud bod eich awdurdod lleol wedi’i dileu cyn iddi gael ei chasglu.',
      },
    ];
    for (const c of welsh) {
      const original = await transfer({ from: c.from, to: c.to });
      const copy = (await new LaMonitorService(t.deps).forward(forwarderB, original.row.id, w.a1.number))
        .forwarded;
      const url = `/download/ctf/uncollected/${copy.id}/delete`;
      const page = textOf((await agent.get(url)).body);
      assert.ok(page.includes(c.warning), page);
      await agent.post(url, {});
      const said = textOf((await agent.get('/download/ctf/uncollected')).body);
      assert.ok(said.includes(`Mae ${copy.filename} ${c.done}`), said);
    }
  });

  test("Delete files not collected by schools: a lost pupil's file the LA forwarded, deleted before the school collects it, makes the record lost again, as the page and the answer say", async () => {
    const w = await world();
    const { record } = await makeLostPupil(w.db, t.deps.files, { from: school(w.a1.number) });
    const transferUser = await makeUser(w.db, 'la_lost_pupil_transfer', { laNumber: w.laA.number });
    const lostPupils = new LostPupilService({ ...t.deps, tickets: new DownloadTickets('a secret') });
    const forwardTo = async (destination: string) =>
      (await lostPupils.forward(actorOf(transferUser), record.id, { school: destination, attested: true }))
        .result.forwarded;
    const copy = await forwardTo(w.a2.number);
    assert.equal((await getLostPupil(w.db, record.id))?.status, 'found');
    const { agent } = await signedIn('la_user', { laNumber: w.laA.number });
    const url = `/download/ctf/uncollected/${copy.id}/delete`;
    const page = textOf(mainOf((await agent.get(url)).body));
    assert.ok(
      page.includes(
        'The file is deleted from s2s straight away: A Two Primary can no longer see or download it, and is sent an email to say your LA deleted it before it was collected. This is a copy of a lost pupil’s file that your LA forwarded: the pupil’s record becomes lost again in the Lost Pupils Database, which keeps the file, and the file can be forwarded to a school again from the record (Search for Lost Pupil). You cannot undo this.',
      ),
      page,
    );
    assert.equal((await agent.post(url, {})).statusCode, 303);
    const lostAgain =
      'It was a copy of a lost pupil’s file that your LA forwarded: the pupil’s record is lost again in the Lost Pupils Database, which keeps the file, and the file can be forwarded to a school again from the record (Search for Lost Pupil).';
    const said = textOf((await agent.get('/download/ctf/uncollected')).body);
    assert.ok(
      said.includes(
        `${copy.filename} has been deleted. A Two Primary can no longer see or download it, and will be sent an email to say your LA deleted it before it was collected. ${lostAgain}`,
      ),
      said,
    );
    // What the answer says is so: the record is lost, and its file is forwarded again.
    assert.equal((await getLostPupil(w.db, record.id))?.status, 'lost');
    assert.equal((await agent.post(url, {})).statusCode, 303);
    const saidAgain = textOf((await agent.get('/download/ctf/uncollected')).body);
    assert.ok(saidAgain.includes(`You have already deleted ${copy.filename}.`), saidAgain);
    assert.ok(saidAgain.includes(lostAgain), saidAgain);
    const again = await forwardTo(w.a1.number);
    assert.equal((await getLostPupil(w.db, record.id))?.status, 'found');

    // Forwarded again, its new copy's Delete says the same, in Welsh.
    assert.equal((await agent.get('/?lang=cy')).statusCode, 302);
    const welsh = textOf(mainOf((await agent.get(`/download/ctf/uncollected/${again.id}/delete`)).body));
    assert.ok(
      welsh.includes(
        'Copi o ffeil disgybl coll a anfonwyd ymlaen gan eich awdurdod lleol yw hwn: bydd cofnod y disgybl ar goll eto yn y Gronfa Ddata Disgyblion Coll, sy’n cadw’r ffeil, a gellir anfon y ffeil ymlaen at ysgol eto o’r cofnod (Chwilio am Ddisgybl Coll). Ni allwch ddadwneud hyn.',
      ),
      welsh,
    );
    await agent.post(`/download/ctf/uncollected/${again.id}/delete`, {});
    const saidInWelsh = textOf((await agent.get('/download/ctf/uncollected')).body);
    assert.ok(
      saidInWelsh.includes(
        'Copi o ffeil disgybl coll a anfonwyd ymlaen gan eich awdurdod lleol oedd hi: mae cofnod y disgybl ar goll eto yn y Gronfa Ddata Disgyblion Coll, sy’n cadw’r ffeil, a gellir anfon y ffeil ymlaen at ysgol eto o’r cofnod (Chwilio am Ddisgybl Coll).',
      ),
      saidInWelsh,
    );

    // A file of the LA's schools that is no lost pupil's says nothing of it.
    const plain = await transfer({ from: school(w.b1.number), to: school(w.a1.number) });
    const plainPage = textOf(
      mainOf((await agent.get(`/download/ctf/uncollected/${plain.row.id}/delete`)).body),
    );
    assert.ok(!plainPage.includes('Disgyblion Coll'), plainPage);
  });

  test("View / Remove Files: a lost pupil's file the LA forwarded, removed before the school collects it, makes the record lost again, as the page and the answer say", async () => {
    const w = await world();
    const { record } = await makeLostPupil(w.db, t.deps.files, { from: school(w.a1.number) });
    const transferUser = await makeUser(w.db, 'la_lost_pupil_transfer', { laNumber: w.laA.number });
    const lostPupils = new LostPupilService({ ...t.deps, tickets: new DownloadTickets('a secret') });
    const forwardTo = async (destination: string) =>
      (await lostPupils.forward(actorOf(transferUser), record.id, { school: destination, attested: true }))
        .result.forwarded;
    const copy = await forwardTo(w.a2.number);
    const agent = new Agent(t.app);
    assert.equal((await agent.signIn(transferUser.username)).statusCode, 302);
    const url = `/sent/files/${copy.id}/remove`;
    const page = textOf(mainOf((await agent.get(url)).body));
    assert.ok(
      page.includes(
        'The file is deleted from s2s straight away and A Two Primary can no longer see or download it. A Two Primary is sent an email to say you removed it before it was collected, and that it does not need to do anything. This is a copy of a lost pupil’s file that your LA forwarded: the pupil’s record becomes lost again in the Lost Pupils Database, which keeps the file, and the file can be forwarded to a school again from the record (Search for Lost Pupil). You cannot undo this.',
      ),
      page,
    );
    assert.equal((await agent.post(url, {})).statusCode, 302);
    const lostAgain =
      'It was a copy of a lost pupil’s file that your LA forwarded: the pupil’s record is lost again in the Lost Pupils Database, which keeps the file, and the file can be forwarded to a school again from the record (Search for Lost Pupil).';
    const said = textOf((await agent.get('/sent')).body);
    assert.ok(
      said.includes(
        `${copy.filename} has been removed. A Two Primary can no longer see or download it. A Two Primary will be sent an email to say you removed it before it was collected. ${lostAgain}`,
      ),
      said,
    );
    assert.equal((await getLostPupil(w.db, record.id))?.status, 'lost');
    assert.equal((await agent.post(url, {})).statusCode, 302);
    const saidAgain = textOf((await agent.get('/sent')).body);
    assert.ok(saidAgain.includes(lostAgain), saidAgain);

    // Forwarded again: in Welsh, its page says so too; a file of its own that is no lost pupil's does not.
    const again = await forwardTo(w.a1.number);
    assert.equal((await agent.get('/?lang=cy')).statusCode, 302);
    const welsh = textOf(mainOf((await agent.get(`/sent/files/${again.id}/remove`)).body));
    assert.ok(
      welsh.includes(
        'Copi o ffeil disgybl coll a anfonwyd ymlaen gan eich awdurdod lleol yw hwn: bydd cofnod y disgybl ar goll eto yn y Gronfa Ddata Disgyblion Coll, sy’n cadw’r ffeil, a gellir anfon y ffeil ymlaen at ysgol eto o’r cofnod (Chwilio am Ddisgybl Coll). Ni allwch ddadwneud hyn.',
      ),
      welsh,
    );
    const own = await transfer({ from: la(w.laA.number), to: school(w.a1.number) });
    const ownPage = textOf(mainOf((await agent.get(`/sent/files/${own.row.id}/remove`)).body));
    assert.ok(ownPage.includes('Ni allwch ddadwneud hyn.') && !ownPage.includes('Disgyblion Coll'), ownPage);
  });

  test('View / Remove Files: the school that sent a file an LA forwarded removes the copy: the forwarding LA is emailed, as the page and the answer say, as a Reject tells it', async () => {
    const w = await world();
    const forwarderA = actorOf(await makeUser(w.db, 'la_user', { laNumber: w.laA.number }));
    const forwarderB = actorOf(await makeUser(w.db, 'la_user', { laNumber: w.laB.number }));
    const forwarded = async (from: string, via: string, by: typeof forwarderA, to: string) => {
      const original = await transfer({ from: school(from), to: la(via) });
      return (await new LaMonitorService(t.deps).forward(by, original.row.id, to)).forwarded;
    };
    const cases = [
      {
        what: "a school's file its own LA forwarded from its inbox to another of its schools",
        sender: w.a1.number,
        copy: () => forwarded(w.a1.number, w.laA.number, forwarderA, w.a2.number),
        emailed: [
          ['la', w.laA.number],
          ['school', w.a2.number],
        ],
        warning:
          'The file is deleted from s2s straight away and A Two Primary can no longer see or download it. A Two Primary is sent an email to say you removed it before it was collected, and that it does not need to do anything. Ayshire LA, which forwarded it there, is sent an email to say you removed it. You cannot undo this.',
        done: 'has been removed. A Two Primary can no longer see or download it. A Two Primary will be sent an email to say you removed it before it was collected. Ayshire LA, which forwarded it there, will be sent an email to say you removed it.',
      },
      {
        what: "a school's file another LA forwarded from its inbox to one of its schools",
        sender: w.b1.number,
        copy: () => forwarded(w.b1.number, w.laB.number, forwarderB, w.a1.number),
        emailed: [
          ['la', w.laB.number],
          ['school', w.a1.number],
        ],
        warning:
          'The file is deleted from s2s straight away and A One Primary can no longer see or download it. A One Primary is sent an email to say you removed it before it was collected, and that it does not need to do anything. Beeshire LA, which forwarded it there, is sent an email to say you removed it. You cannot undo this.',
        done: 'has been removed. A One Primary can no longer see or download it. A One Primary will be sent an email to say you removed it before it was collected. Beeshire LA, which forwarded it there, will be sent an email to say you removed it.',
      },
      {
        what: 'a file nobody forwarded: its destination alone is emailed',
        sender: w.a1.number,
        copy: async () => (await transfer({ from: school(w.a1.number), to: school(w.a2.number) })).row,
        emailed: [['school', w.a2.number]],
        warning:
          'The file is deleted from s2s straight away and A Two Primary can no longer see or download it. A Two Primary is sent an email to say you removed it before it was collected, and that it does not need to do anything. You cannot undo this.',
        done: 'has been removed. A Two Primary can no longer see or download it. A Two Primary will be sent an email to say you removed it before it was collected.',
      },
    ];
    for (const c of cases) {
      const copy = await c.copy();
      const { agent } = await signedIn('school', { establishmentNumber: c.sender });
      const url = `/sent/files/${copy.id}/remove`;
      const page = textOf(mainOf((await agent.get(url)).body));
      assert.ok(page.includes(c.warning), `${c.what}: ${page}`);
      assert.equal((await agent.post(url, {})).statusCode, 302, c.what);
      const said = textOf((await agent.get('/sent')).body);
      assert.ok(said.includes(`${copy.filename} ${c.done}`), `${c.what}: ${said}`);
      const emails = await w.db
        .selectFrom('notification_outbox')
        .select(['recipient_kind', 'recipient', 'payload'])
        .where('template', 'in', ['file-removed', 'forwarded-file-removed', 'waiting-file-removed'])
        .where('payload', 'like', `%${copy.filename}%`)
        .execute();
      assert.deepEqual(emails.map((e) => [e.recipient_kind, e.recipient]).sort(), c.emailed, c.what);
      for (const email of emails) {
        assert.equal(JSON.parse(email.payload).removedByCode, c.sender, `${c.what}: the school removed it`);
      }
      // Removed again: said the same way, nothing sent again.
      assert.equal((await agent.post(url, {})).statusCode, 302, c.what);
      const saidAgain = textOf((await agent.get('/sent')).body);
      assert.ok(
        saidAgain.includes(
          `You have already removed ${copy.filename}. ${c.done.replace('has been removed. ', '')}`,
        ),
        `${c.what}: ${saidAgain}`,
      );
      const after = await w.db
        .selectFrom('notification_outbox')
        .select('id')
        .where('template', 'in', ['file-removed', 'forwarded-file-removed', 'waiting-file-removed'])
        .where('payload', 'like', `%${copy.filename}%`)
        .execute();
      assert.equal(after.length, c.emailed.length, c.what);
    }

    // In Welsh.
    const copy = await forwarded(w.b1.number, w.laB.number, forwarderB, w.a1.number);
    const { agent } = await signedIn('school', { establishmentNumber: w.b1.number });
    assert.equal((await agent.get('/?lang=cy')).statusCode, 302);
    const url = `/sent/files/${copy.id}/remove`;
    const page = textOf(mainOf((await agent.get(url)).body));
    assert.ok(
      page.includes(
        'Caiff y ffeil ei dileu o s2s ar unwaith ac ni all A One Primary ei gweld na’i lawrlwytho mwyach. Anfonir e-bost at A One Primary i ddweud eich bod wedi’i thynnu cyn iddi gael ei chasglu, ac nad oes angen gwneud dim. Anfonir e-bost at Awdurdod lleol Beeshire, a’i hanfonodd ymlaen yno, i ddweud eich bod wedi’i thynnu. Ni allwch ddadwneud hyn.',
      ),
      page,
    );
    await agent.post(url, {});
    const said = textOf((await agent.get('/sent')).body);
    assert.ok(
      said.includes(
        `Mae ${copy.filename} wedi’i thynnu. Ni all A One Primary ei gweld na’i lawrlwytho mwyach. Bydd A One Primary yn cael e-bost i ddweud eich bod wedi’i thynnu cyn iddi gael ei chasglu. Bydd Awdurdod lleol Beeshire, a’i hanfonodd ymlaen yno, yn cael e-bost i ddweud eich bod wedi’i thynnu.`,
      ),
      said,
    );
  });

  test("a lost pupil's record another LA uploaded, made lost again by its forwarding LA's Delete or View / Remove Files: that LA is told, as a Reject tells it, as the page and the answer say", async () => {
    const w = await world();
    const transferUser = await makeUser(w.db, 'la_lost_pupil_transfer', { laNumber: w.laA.number });
    const lostPupils = new LostPupilService({ ...t.deps, tickets: new DownloadTickets('a secret') });
    const { agent: deleter } = await signedIn('la_user', { laNumber: w.laA.number });
    const remover = new Agent(t.app);
    assert.equal((await remover.signIn(transferUser.username)).statusCode, 302);
    const told =
      'Beeshire LA, which sent the pupil to the Lost Pupils Database, is sent an email to say the pupil is lost again.';
    const willBeTold =
      'Beeshire LA, which sent the pupil to the Lost Pupils Database, will be sent an email to say the pupil is lost again.';
    const ways = [
      {
        agent: deleter,
        url: (id: string) => `/download/ctf/uncollected/${id}/delete`,
        list: '/download/ctf/uncollected',
        status: 303,
      },
      { agent: remover, url: (id: string) => `/sent/files/${id}/remove`, list: '/sent', status: 302 },
    ];
    for (const way of ways) {
      const { record } = await makeLostPupil(w.db, t.deps.files, { from: school(w.b1.number) });
      const copy = (
        await lostPupils.forward(actorOf(transferUser), record.id, { school: w.a2.number, attested: true })
      ).result.forwarded;
      const page = textOf(mainOf((await way.agent.get(way.url(copy.id))).body));
      assert.ok(page.includes(`(Search for Lost Pupil). ${told} You cannot undo this.`), page);
      assert.equal((await way.agent.post(way.url(copy.id), {})).statusCode, way.status);
      const said = textOf((await way.agent.get(way.list)).body);
      assert.ok(said.includes(`(Search for Lost Pupil). ${willBeTold}`), said);
      assert.equal((await getLostPupil(w.db, record.id))?.status, 'lost');
      const emails = await w.db
        .selectFrom('notification_outbox')
        .select(['template', 'recipient_kind', 'recipient', 'payload'])
        .where('template', '=', 'lost-pupil-lost-again')
        .where('payload', 'like', `%${record.id}%`)
        .execute();
      assert.deepEqual(
        emails.map((e) => [e.recipient_kind, e.recipient]),
        [['la', w.laB.number]],
      );
      const payload = JSON.parse(emails[0]?.payload ?? '{}');
      assert.equal(payload.how, 'removed');
      assert.equal(payload.schoolCode, w.a2.number);
      // Posted again: said again, nothing sent again.
      assert.equal((await way.agent.post(way.url(copy.id), {})).statusCode, way.status);
      const saidAgain = textOf((await way.agent.get(way.list)).body);
      assert.ok(saidAgain.includes(willBeTold), saidAgain);
      const after = await w.db
        .selectFrom('notification_outbox')
        .select('id')
        .where('template', '=', 'lost-pupil-lost-again')
        .where('payload', 'like', `%${record.id}%`)
        .execute();
      assert.equal(after.length, 1);
    }

    // In Welsh.
    const { record } = await makeLostPupil(w.db, t.deps.files, { from: school(w.b1.number) });
    const copy = (
      await lostPupils.forward(actorOf(transferUser), record.id, { school: w.a2.number, attested: true })
    ).result.forwarded;
    assert.equal((await deleter.get('/?lang=cy')).statusCode, 302);
    const url = `/download/ctf/uncollected/${copy.id}/delete`;
    const page = textOf(mainOf((await deleter.get(url)).body));
    assert.ok(
      page.includes(
        'Anfonir e-bost at Awdurdod lleol Beeshire, a anfonodd y disgybl i’r Gronfa Ddata Disgyblion Coll, i ddweud bod y disgybl ar goll eto. Ni allwch ddadwneud hyn.',
      ),
      page,
    );
    await deleter.post(url, {});
    const said = textOf((await deleter.get('/download/ctf/uncollected')).body);
    assert.ok(
      said.includes(
        'Bydd Awdurdod lleol Beeshire, a anfonodd y disgybl i’r Gronfa Ddata Disgyblion Coll, yn cael e-bost i ddweud bod y disgybl ar goll eto.',
      ),
      said,
    );
  });

  test('a delete, a cancelled delete and a forward started from page 2 return the LA there; redirected to the last page left when it empties', async () => {
    const w = await world();
    // One page and two files: the list is by destination school, then oldest first.
    const files = [];
    for (let n = 0; n < AWAITING_PAGE_SIZE + 2; n += 1) {
      files.push(
        await transfer({
          from: school(w.b1.number),
          to: school(w.a1.number),
          uploadedAt: new Date(Date.UTC(2026, 10, 20, 10, n)).toISOString(),
        }),
      );
    }
    const [first, second] = files.slice(AWAITING_PAGE_SIZE).map((file) => file.row.id);
    const { agent } = await signedIn('la_user', { laNumber: w.laA.number });
    const list = '/download/ctf/uncollected';
    const pageTwo = await agent.get(`${list}?page=2`);
    assert.match(textOf(pageTwo.body), /page 2 of 2/);
    for (const href of [
      `${list}/${first}?page=2`,
      `${list}/${first}/delete?page=2`,
      `${list}/${first}/forward?page=2`,
    ]) {
      assert.ok(pageTwo.body.includes(`href="${href}"`), href);
    }

    // The file's page and the delete page lead back to page 2; "No, keep it" returns there.
    const filePage = await agent.get(`${list}/${first}?page=2`);
    assert.ok(filePage.body.includes(`href="${list}?page=2"`), 'back to page 2');
    assert.ok(filePage.body.includes(`href="${list}/${first}/delete?page=2"`));
    const confirm = await agent.get(`${list}/${first}/delete?page=2`);
    assert.match(confirm.body, new RegExp(`<a class="govuk-link" href="${list}\\?page=2">No, keep it</a>`));
    assert.ok(confirm.body.includes(`action="${list}/${first}/delete?page=2"`));
    const deleted = await agent.post(`${list}/${first}/delete?page=2`, {});
    assert.equal(deleted.statusCode, 303);
    assert.equal(deleted.headers.location, `${list}?page=2`);
    assert.match(textOf((await agent.get(`${list}?page=2`)).body), /has been deleted/);

    // Forward: the form, its check page and the forward itself keep page 2.
    const form = await agent.get(`${list}/${second}/forward?page=2`);
    assert.ok(form.body.includes(`action="${list}/${second}/forward?page=2"`));
    assert.match(form.body, new RegExp(`<a class="govuk-link" href="${list}\\?page=2">Cancel</a>`));
    const check = await agent.post(`${list}/${second}/forward?page=2`, { school: w.a2.number });
    assert.equal(check.statusCode, 200);
    assert.ok(check.body.includes(`action="${list}/${second}/forward?page=2"`));
    const forwarded = await agent.post(`${list}/${second}/forward?page=2`, {
      school: w.a2.number,
      confirm: 'yes',
    });
    assert.equal(forwarded.statusCode, 303);
    assert.equal(forwarded.headers.location, `${list}?page=2`);

    // Page 2 now holds only the forwarded copy (A Two Primary's): deleting it leaves one page, shown.
    const copy = /href="\/download\/ctf\/uncollected\/([0-9a-f-]{36})\/delete\?page=2"/.exec(
      (await agent.get(`${list}?page=2`)).body,
    )?.[1];
    assert.ok(copy, 'the forwarded copy is on page 2');
    await agent.get(`${list}/${copy}/delete?page=2`);
    const last = await agent.post(`${list}/${copy}/delete?page=2`, {});
    assert.equal(last.headers.location, `${list}?page=2`);
    // Page 2 is gone: the address moves to the list (one page left), so address, pages and rows agree.
    const gone = await agent.get(String(last.headers.location));
    assert.equal(gone.statusCode, 303);
    assert.equal(gone.headers.location, list);
    const shown = await agent.get(list);
    assert.equal(shown.statusCode, 200);
    const text = textOf(mainOf(shown.body));
    assert.match(text, /has been deleted/);
    assert.match(text, new RegExp(`${AWAITING_PAGE_SIZE} files are waiting`));
    assert.ok(text.includes(files[0]?.row.filename ?? 'the first file'), 'the page that is left');
  });

  test('a page of a list past its last page redirects to the last page, keeping the tab, switch and sort', async () => {
    const w = await world();
    for (let n = 0; n < MONITOR_PAGE_SIZE + 1; n += 1) {
      await transfer({
        from: school(w.a1.number),
        to: school(w.a2.number),
        uploadedAt: new Date(Date.UTC(2026, 10, 20, 10, n)).toISOString(),
      });
    }
    const { agent } = await signedIn('la_user', { laNumber: w.laA.number });
    const monitor = '/download/ctf/monitor';
    const query = 'tab=within&show=collection&sort=file&order=descending';
    assert.equal((await agent.get(`${monitor}?${query}&page=2`)).statusCode, 200, 'page 2 exists');
    const past = await agent.get(`${monitor}?${query}&page=5`);
    assert.equal(past.statusCode, 303);
    assert.equal(past.headers.location, `${monitor}?${query}&page=2`);
    // Outgoing has no files: one page, so the list without page, its other parameters kept.
    const outgoing = await agent.get(`${monitor}?tab=outgoing&page=3&sort=uploaded`);
    assert.equal(outgoing.statusCode, 303);
    assert.equal(outgoing.headers.location, `${monitor}?tab=outgoing&sort=uploaded`);
    // A page that exists, the first, or no page at all: shown where asked.
    assert.equal((await agent.get(`${monitor}?tab=outgoing&page=1`)).statusCode, 200);
    assert.equal((await agent.get(`${monitor}?tab=outgoing&page=x`)).statusCode, 200);
    const uncollected = await agent.get('/download/ctf/uncollected?page=9');
    assert.equal(uncollected.statusCode, 303);
    assert.equal(uncollected.headers.location, '/download/ctf/uncollected?page=5');
    // A page number far past any list (hand-typed, or a link's number altered): sent to a page of the
    // list, whichever way it is sorted (read a page at a time by the database, or sorted here). Those
    // whose window started beyond a 64-bit integer were a database error and the page "Sorry, there is a
    // problem with the service".
    for (const sort of ['file', 'uploaded', 'source']) {
      for (const page of ['99999999999999999999999', '180143985094819841', '9007199254740991']) {
        const list = `${monitor}?tab=within&sort=${sort}`;
        const far = await agent.get(`${list}&page=${page}`);
        assert.equal(far.statusCode, 303, `sort ${sort}, page ${page}`);
        assert.equal(
          (await agent.get(String(far.headers.location))).statusCode,
          200,
          `sort ${sort}, page ${page}`,
        );
      }
    }
    for (const page of ['99999999999999999999999', '180143985094819841']) {
      const far = await agent.get(`/download/ctf/uncollected?page=${page}`);
      assert.equal(far.statusCode, 303, `page ${page}`);
      assert.equal((await agent.get(String(far.headers.location))).statusCode, 200, `page ${page}`);
    }
  });

  test('the school answers Yes for a file its LA deleted after the download: not told it was collected, nor that it can download it again', async () => {
    const w = await world();
    const waiting = await transfer({ from: school(w.b1.number), to: school(w.a1.number) });
    for (const language of ['en', 'cy'] as const) {
      const file =
        language === 'en' ? waiting : await transfer({ from: school(w.b1.number), to: school(w.a1.number) });
      const receiverUser = await makeUser(w.db, 'school', { establishmentNumber: w.a1.number }, { language });
      const receiver = new Agent(t.app);
      assert.equal((await receiver.signIn(receiverUser.username)).statusCode, 302);
      await receiver.get(`/download/ctf/confirm?action=accept&file=${file.row.id}`);
      const yes = await receiver.post('/download/ctf/confirm', { file: file.row.id });
      assert.equal(yes.statusCode, 303);
      const check = await receiver.get(String(yes.headers.location));
      const link = /<meta http-equiv="refresh" content="0; url=([^"]+)">/.exec(check.body)?.[1] ?? '';
      assert.equal((await receiver.get(link.replace(/&amp;/g, '&'))).statusCode, 200, 'downloaded');

      // The LA deletes it before the school answers "Was the file downloaded correctly?".
      const { agent: laAgent } = await signedIn('la_user', { laNumber: w.laA.number });
      await laAgent.get(`/download/ctf/uncollected/${file.row.id}/delete`);
      assert.equal(
        (await laAgent.post(`/download/ctf/uncollected/${file.row.id}/delete`, {})).statusCode,
        303,
      );

      const answered = await receiver.post(
        '/download/ctf/check',
        { file: file.row.id, answer: 'yes' },
        { formPage: String(yes.headers.location) },
      );
      assert.equal(answered.statusCode, 302);
      const page = await receiver.get(String(answered.headers.location));
      const banner =
        /<div class="govuk-notification-banner[\s\S]*?<\/div>\s*<\/div>/.exec(page.body)?.[0] ?? '';
      assert.ok(banner, `${language}: the page says what happened`);
      assert.doesNotMatch(banner, /govuk-notification-banner--success/, `${language}: nothing was done`);
      const said = textOf(banner);
      assert.match(
        said,
        language === 'en'
          ? new RegExp(`${file.row.filename} has been removed and is no longer available`)
          : new RegExp(`Mae ${file.row.filename} wedi’i thynnu ac nid yw ar gael mwyach`),
      );
      assert.doesNotMatch(said, language === 'en' ? /collected|again/ : /casglu|eto/, `${language}: ${said}`);
      assert.equal((await getTransfer(w.db, file.row.id))?.status, 'removed');
    }
  });

  test('a collected file is explained, not offered for deletion or forwarding', async () => {
    const w = await world();
    const collected = await transfer({
      from: school(w.b1.number),
      to: la(w.laA.number),
      overrides: { status: 'collected', collected_at: '2026-11-21T09:00:00.000Z' },
      pupils: [pupil('Pryderi'), pupil('Rhiannon')],
    });
    const { agent } = await signedIn('la_user', { laNumber: w.laA.number });
    const page = await agent.get(`/download/ctf/uncollected/${collected.row.id}`);
    assert.equal(page.statusCode, 200);
    assert.match(textOf(page.body), /collected by your LA, so it can no longer be deleted or forwarded/);
    const del = await agent.get(`/download/ctf/uncollected/${collected.row.id}/delete`);
    assert.equal(del.statusCode, 302);
    assert.equal(del.headers.location, `/download/ctf/uncollected/${collected.row.id}`);
    await agent.get(`/download/ctf/uncollected/${collected.row.id}`);
    const post = await agent.post(`/download/ctf/uncollected/${collected.row.id}/delete`, {});
    assert.equal(post.statusCode, 400);
    assert.match(errorSummary(post.body), /already been collected by your LA/);
    assert.equal((await getTransfer(w.db, collected.row.id))?.status, 'collected');
    // Its pupils are shown until its content is deleted, and go with it; the page says when.
    const pupilsShown = (body: string) => ['Pryderi', 'Rhiannon'].filter((name) => body.includes(name));
    assert.equal(pupilsShown(page.body).length, 2);
    // As the purge job leaves it (whenever its content is due: any time before this).
    const purgedAt = '2026-11-28T09:00:00.000Z';
    await markPurged(w.db, collected.row.id, collected.row.storage_key as string, purgedAt, {
      collectedBefore: purgedAt,
      rejectedBefore: purgedAt,
    });
    const purged = await agent.get(`/download/ctf/uncollected/${collected.row.id}`);
    assert.deepEqual(pupilsShown(purged.body), []);
    assert.match(
      textOf(purged.body),
      /The pupils’ details were deleted with the file’s content on 28 November 2026 at 9:00am\./,
    );
  });

  test('forward: the school number, the new name to check, then forwarded and the school sees it', async () => {
    const w = await world();
    const original = await transfer({
      from: school(w.b1.number),
      to: la(w.laA.number),
      filename: `${w.b1.number}_CTF_${w.laA.number}LLLL_007.XML`,
    });
    const { agent } = await signedIn('la_school', { laNumber: w.laA.number });
    const base = `/download/ctf/uncollected/${original.row.id}/forward`;
    const form = await agent.get(base);
    assert.equal(form.statusCode, 200);
    assert.match(form.body, /name="school"/);

    const empty = await agent.post(base, { school: '' });
    assert.equal(empty.statusCode, 400);
    assert.match(errorSummary(empty.body), /Enter the DfE number of the school/);
    assert.match(empty.body, /href="#school"/);
    const unknown = await agent.post(base, { school: `${w.laA.number}9998` });
    assert.equal(unknown.statusCode, 400);
    assert.equal(
      errorSummary(unknown.body),
      `There is a problem The destination school ${w.laA.number}9998 does not exist: check its DfE number in the Establishment Finder.`,
    );
    assert.match(unknown.body, new RegExp(`value="${w.laA.number}9998"`), 'what was typed is kept');

    const check = await agent.post(base, { school: w.a2.number });
    assert.equal(check.statusCode, 200);
    const newName = `${w.b1.number}_CTF_${w.a2.number}_007.XML`;
    assert.ok(textOf(check.body).includes(newName), 'the new name is shown before anything happens');
    assert.ok(textOf(check.body).includes('A Two Primary'));
    assert.equal((await getTransfer(w.db, original.row.id))?.status, 'available');

    const done = await agent.post(base, { school: w.a2.number, confirm: 'yes' });
    assert.equal(done.statusCode, 303);
    assert.equal(done.headers.location, '/download/ctf/uncollected');
    const flash = textOf((await agent.get('/download/ctf/uncollected')).body);
    assert.ok(flash.includes(`has been forwarded to A Two Primary as ${newName}`));
    assert.equal((await getTransfer(w.db, original.row.id))?.status, 'collected');

    const receiver = await signedIn('school', { establishmentNumber: w.a2.number });
    assert.ok((await receiver.agent.get('/download/ctf')).body.includes(newName));
  });

  test('forward: a name the school already holds is renumbered, and the check page says why', async () => {
    const w = await world();
    const original = await transfer({
      from: school(w.b1.number),
      to: la(w.laA.number),
      filename: `${w.b1.number}_CTF_${w.laA.number}LLLL_001.XML`,
    });
    const taken = `${w.b1.number}_CTF_${w.a2.number}_001.XML`;
    await transfer({ from: school(w.b1.number), to: school(w.a2.number), filename: taken });
    const { agent } = await signedIn('la_user', { laNumber: w.laA.number });
    const base = `/download/ctf/uncollected/${original.row.id}/forward`;

    const check = await agent.post(base, { school: w.a2.number });
    assert.equal(check.statusCode, 200);
    const newName = `${w.b1.number}_CTF_${w.a2.number}_002.XML`;
    assert.ok(textOf(check.body).includes(newName));
    assert.match(
      textOf(check.body),
      new RegExp(
        `A Two Primary already has a file named ${taken} in s2s, so the new file takes the next free number`,
      ),
    );
    const done = await agent.post(base, { school: w.a2.number, confirm: 'yes' });
    assert.equal(done.statusCode, 303);
    const flash = textOf((await agent.get('/download/ctf/uncollected')).body);
    assert.ok(flash.includes(`has been forwarded to A Two Primary as ${newName}`));
    const receiver = await signedIn('school', { establishmentNumber: w.a2.number });
    const list = (await receiver.agent.get('/download/ctf')).body;
    assert.ok(list.includes(taken) && list.includes(newName), 'both wait, under names of their own');
  });

  test("a file whose content went while the forward form was open: the form says so, in the reader's language", async () => {
    const w = await world();
    for (const [language, sequence, words] of [
      ['en', '021', (name: string) => `There is a problem The content of ${name} is no longer held`],
      ['cy', '022', (name: string) => `Mae problem wedi codi Nid yw cynnwys ${name} yn cael ei gadw mwyach`],
    ] as const) {
      const original = await transfer({
        from: school(w.b1.number),
        to: la(w.laA.number),
        filename: `${w.b1.number}_CTF_${w.laA.number}LLLL_${sequence}.XML`,
      });
      const user = await makeUser(w.db, 'la_school', { laNumber: w.laA.number }, { language });
      const agent = new Agent(t.app);
      assert.equal((await agent.signIn(user.username)).statusCode, 302);
      const base = `/download/ctf/uncollected/${original.row.id}/forward`;
      await agent.get(base);
      await w.db
        .updateTable('transfers')
        .set({ storage_key: null, wrapped_key: null })
        .where('id', '=', original.row.id)
        .execute();
      const refused = await agent.post(base, { school: w.a2.number, confirm: 'yes' });
      assert.equal(refused.statusCode, 400, language);
      assert.equal(errorSummary(refused.body), words(original.row.filename));
      assert.equal((await getTransfer(w.db, original.row.id))?.status, 'available');
    }
  });

  test("another LA gets 404 for every page and action on the LA's schools' files", async () => {
    const w = await world();
    const waiting = await transfer({ from: school(w.a2.number), to: school(w.a1.number) });
    const { agent } = await signedIn('la_user', { laNumber: w.laB.number });
    const base = `/download/ctf/uncollected/${waiting.row.id}`;
    for (const url of [base, `${base}/delete`, `${base}/forward`]) {
      assert.equal((await agent.get(url)).statusCode, 404, url);
    }
    await agent.get('/download/ctf/uncollected');
    assert.equal((await agent.post(`${base}/delete`, {})).statusCode, 404);
    assert.equal((await agent.post(`${base}/forward`, { school: w.b1.number })).statusCode, 404);
    assert.equal(
      (await agent.post(`${base}/forward`, { school: w.b1.number, confirm: 'yes' })).statusCode,
      404,
    );
    assert.ok(!(await agent.get('/download/ctf/uncollected')).body.includes(waiting.row.filename));
    assert.equal((await getTransfer(w.db, waiting.row.id))?.status, 'available');
  });
  test('in Welsh: the monitoring page, Delete files not collected by schools, the forward form and its errors', async () => {
    const w = await world();
    const original = await transfer({
      from: school(w.b1.number),
      to: la(w.laA.number),
      filename: `${w.b1.number}_CTF_${w.laA.number}LLLL_017.XML`,
    });
    const { agent } = await signedIn('la_school', { laNumber: w.laA.number });
    assert.equal((await agent.get('/download/ctf/monitor?lang=cy')).statusCode, 302);
    const monitor = await agent.get('/download/ctf/monitor?tab=incoming');
    assert.match(monitor.body, /<html lang="cy"/);
    assert.match(
      monitor.body,
      /<span class="govuk-caption-l">Monitro Ffeiliau CTF<\/span>Ffeiliau sy’n Dod i Mewn<\/h1>/,
    );
    assert.match(monitor.body, /class="govuk-link s2s-sort-link" href="[^"]*">Enw’r ffeil</);

    const uncollected = await agent.get('/download/ctf/uncollected');
    assert.match(
      uncollected.body,
      /<h1 class="govuk-heading-l">Dileu ffeiliau nad yw ysgolion wedi’u casglu<\/h1>/,
    );
    assert.match(textOf(uncollected.body), /Mae 1 ffeil yn aros, yn ôl ysgol gyrchfan\./);

    const base = `/download/ctf/uncollected/${original.row.id}/forward`;
    const form = await agent.get(base);
    assert.match(textOf(form.body), /I ba ysgol y dylai’r ffeil fynd\?/);
    const empty = await agent.post(base, { school: '' });
    assert.equal(empty.statusCode, 400);
    assert.match(errorSummary(empty.body), /Rhowch rif DfE yr ysgol i anfon y ffeil ymlaen ati/);
    const closed = await makeSchool(w.db, w.laA.number, { status: 'closed' });
    const refused = await agent.post(base, { school: closed.number });
    assert.equal(refused.statusCode, 400);
    assert.equal(
      errorSummary(refused.body),
      `Mae problem wedi codi Mae’r ysgol ${closed.number} wedi cau: dewiswch yr ysgol y mae’r disgybl ar ei chofrestr nawr.`,
    );
  });
  test('the monitoring page lists the CTFs the LA forwarded that a school rejected, with the reason, in English and Welsh', async () => {
    const w = await world();
    const original = await transfer({
      from: school(w.b1.number),
      to: school(w.a1.number),
      filename: `${w.b1.number}_CTF_${w.a1.number}_027.XML`,
    });
    const forwarder = actorOf(await makeUser(w.db, 'la_user', { laNumber: w.laA.number }));
    const { forwarded } = await new LaMonitorService(t.deps).forward(forwarder, original.row.id, w.a2.number);
    const rejecter = actorOf(await makeUser(w.db, 'school', { establishmentNumber: w.a2.number }));
    await new DownloadService(t.deps).reject(rejecter, 'ctf', forwarded.id, 'Not on our roll <b>at all</b>');

    const { agent } = await signedIn('la_school', { laNumber: w.laA.number });
    for (const tab of ['within', 'outgoing']) {
      const page = await agent.get(`/download/ctf/monitor?tab=${tab}&show=collected`);
      assert.equal(page.statusCode, 200);
      const main = mainOf(page.body);
      const text = textOf(main);
      assert.ok(text.includes('Forwarded files rejected'), `${tab}: the notice`);
      assert.ok(text.includes('A school rejected a CTF your LA forwarded to it in the last 31 days.'), text);
      const row = /<table class="govuk-table" id="rejected-forwards">[\s\S]*?<\/table>/.exec(main)?.[0] ?? '';
      const cells = textOf(row);
      for (const fact of [forwarded.filename, original.row.filename, 'A Two Primary', w.a2.number]) {
        assert.ok(cells.includes(fact), `${tab}: ${fact}`);
      }
      assert.match(row, /Not on our roll &lt;b&gt;at all&lt;\/b&gt;/, 'the reason, escaped');
    }

    const other = await signedIn('la_user', { laNumber: w.laB.number });
    const theirs = await other.agent.get('/download/ctf/monitor');
    assert.ok(!theirs.body.includes(forwarded.filename), 'another LA does not see it');
    assert.ok(!textOf(theirs.body).includes('Forwarded files rejected'));

    assert.equal((await agent.get('/download/ctf/monitor?lang=cy')).statusCode, 302);
    const welsh = textOf(mainOf((await agent.get('/download/ctf/monitor')).body));
    for (const words of [
      'Ffeiliau a anfonwyd ymlaen ac a wrthodwyd',
      'Mae ysgol wedi gwrthod CTF a anfonodd eich awdurdod lleol ymlaen ati yn ystod y 31 diwrnod diwethaf.',
      'Wedi’i hanfon ymlaen o',
      'Wedi’i gwrthod gan',
      'Cedwir cynnwys ffeil a wrthodwyd am 7 diwrnod ar ôl ei gwrthod',
    ]) {
      assert.ok(welsh.includes(words), words);
    }
  });
  test("the school's Reject page of a copy its LA forwarded says that the LA is emailed too, in English and Welsh", async () => {
    const w = await world();
    const forwarder = actorOf(await makeUser(w.db, 'la_user', { laNumber: w.laA.number }));
    const forwardedCopy = async (sequence: string) => {
      const original = await transfer({
        from: school(w.b1.number),
        to: school(w.a1.number),
        filename: `${w.b1.number}_CTF_${w.a1.number}_${sequence}.XML`,
      });
      return (await new LaMonitorService(t.deps).forward(forwarder, original.row.id, w.a2.number)).forwarded;
    };
    const uploaded = await transfer({ from: school(w.b1.number), to: school(w.a2.number) });
    for (const [language, sequence, words] of [
      [
        'en',
        '071',
        `Ayshire LA (${w.laA.number}LLLL) forwarded this file to you, so they are sent an email with your reason too, as well as B One Primary.`,
      ],
      [
        'cy',
        '072',
        `Anfonodd Awdurdod lleol Ayshire (${w.laA.number}LLLL) y ffeil hon ymlaen atoch, felly anfonir e-bost atynt hwythau gyda’ch rheswm hefyd, yn ogystal ag at B One Primary.`,
      ],
    ] as const) {
      const copy = await forwardedCopy(sequence);
      const user = await makeUser(w.db, 'school', { establishmentNumber: w.a2.number }, { language });
      const agent = new Agent(t.app);
      assert.equal((await agent.signIn(user.username)).statusCode, 302);
      const page = await agent.get(`/download/ctf/files/${copy.id}/reject`);
      assert.equal(page.statusCode, 200, language);
      assert.ok(textOf(mainOf(page.body)).includes(words), `${language}: ${textOf(mainOf(page.body))}`);
      // Shown again with an error, it still says so.
      const empty = await agent.post(`/download/ctf/files/${copy.id}/reject`, { reason: '' });
      assert.equal(empty.statusCode, 400, language);
      assert.ok(textOf(mainOf(empty.body)).includes(words), language);
      // A file its sender uploaded: only the sender is told.
      const plain = await agent.get(`/download/ctf/files/${uploaded.row.id}/reject`);
      assert.equal(plain.statusCode, 200, language);
      assert.doesNotMatch(plain.body, /id="forwarding-la"/, language);
    }
  });
  test("a rejected copy of a lost pupil's file the database keeps: its page leads to the pupil's record, and the form refuses", async () => {
    const w = await world();
    const { record } = await makeLostPupil(w.db, t.deps.files, { from: school(w.a1.number) });
    const transferUser = await makeUser(w.db, 'la_lost_pupil_transfer', { laNumber: w.laA.number });
    const { result } = await new LostPupilService({
      ...t.deps,
      tickets: new DownloadTickets('a secret'),
    }).forward(actorOf(transferUser), record.id, { school: w.a2.number, attested: true });
    const rejecter = actorOf(await makeUser(w.db, 'school', { establishmentNumber: w.a2.number }));
    await new DownloadService(t.deps).reject(rejecter, 'ctf', result.forwarded.id, 'Not on our roll');

    const { agent } = await signedIn('la_user', { laNumber: w.laA.number });
    const page = `/download/ctf/monitor/rejected/${result.forwarded.id}`;
    const opened = await agent.get(page);
    assert.equal(opened.statusCode, 200);
    assert.match(textOf(mainOf(opened.body)), /the pupil’s record is lost again in the Lost Pupils Database/);
    assert.ok(opened.body.includes(`href="/lost-pupils/search/${record.id}"`), 'links the record');
    assert.ok(!opened.body.includes(`href="${page}/forward"`), 'no forward from here');
    assert.equal((await agent.get(`${page}/forward`)).headers.location, page);
    const refused = await agent.post(`${page}/forward`, { school: w.a1.number });
    assert.equal(refused.statusCode, 400);
    assert.match(errorSummary(refused.body), /forward it from the pupil’s record there/);
  });

  test('forward a rejected copy on from the notice: its page, the form, the check, done; again, the page says where it went', async () => {
    const w = await world();
    const a3 = await makeSchool(w.db, w.laA.number, { name: 'A Three Primary' });
    const original = await transfer({
      from: school(w.b1.number),
      to: school(w.a1.number),
      filename: `${w.b1.number}_CTF_${w.a1.number}_101.XML`,
      pupils: [pupil('Onwardsurname', { forename: 'Kit' })],
    });
    const forwarder = actorOf(await makeUser(w.db, 'la_user', { laNumber: w.laA.number }));
    const { forwarded } = await new LaMonitorService(t.deps).forward(forwarder, original.row.id, w.a2.number);
    const rejecter = actorOf(await makeUser(w.db, 'school', { establishmentNumber: w.a2.number }));
    await new DownloadService(t.deps).reject(rejecter, 'ctf', forwarded.id, 'Not on our roll');

    const { agent } = await signedIn('la_user', { laNumber: w.laA.number });
    const monitor = mainOf((await agent.get('/download/ctf/monitor')).body);
    const page = `/download/ctf/monitor/rejected/${forwarded.id}`;
    assert.ok(monitor.includes(`href="${page}"`), 'the notice links the rejected copy');
    const opened = await agent.get(page);
    assert.equal(opened.statusCode, 200);
    const text = textOf(mainOf(opened.body));
    for (const fact of [
      forwarded.filename,
      original.row.filename,
      'B One Primary',
      'A Two Primary',
      'Not on our roll',
      'Onwardsurname, Kit',
      'Forward to another school',
    ]) {
      assert.ok(text.includes(fact), `${fact}: ${text}`);
    }
    assert.ok(opened.body.includes(`href="${page}/forward"`));

    const form = await agent.get(`${page}/forward`);
    assert.equal(form.statusCode, 200);
    assert.match(form.body, /name="school"/);
    const back = await agent.post(`${page}/forward`, { school: w.a2.number });
    assert.equal(back.statusCode, 400);
    assert.match(errorSummary(back.body), /is already addressed to/);
    const check = await agent.post(`${page}/forward`, { school: a3.number });
    assert.equal(check.statusCode, 200);
    const newName = `${w.b1.number}_CTF_${a3.number}_101.XML`;
    assert.ok(textOf(check.body).includes(newName));
    assert.ok(textOf(check.body).includes('The file A Two Primary rejected stays rejected.'));
    assert.ok(check.body.includes(`action="${page}/forward"`));
    const done = await agent.post(`${page}/forward`, { school: a3.number, confirm: 'yes' });
    assert.equal(done.statusCode, 303);
    assert.equal(done.headers.location, '/download/ctf/monitor');
    assert.ok(
      textOf((await agent.get('/download/ctf/monitor')).body).includes(
        `has been forwarded to A Three Primary as ${newName}`,
      ),
    );
    const receiver = await signedIn('school', { establishmentNumber: a3.number });
    assert.ok((await receiver.agent.get('/download/ctf')).body.includes(newName));

    // The back button and Confirm again: nothing is forwarded twice, and the page says where it went.
    const again = await agent.post(`${page}/forward`, { school: a3.number, confirm: 'yes' });
    assert.equal(again.statusCode, 409);
    const said = textOf(mainOf(again.body));
    assert.ok(said.includes(`${forwarded.filename} has already been forwarded`), said);
    assert.ok(said.includes(newName) && said.includes('A Three Primary') && said.includes(a3.number), said);
    assert.ok(said.includes('It has not been forwarded again'), said);
    assert.ok(again.body.includes('href="/download/ctf/monitor"'), 'a way back');
    assert.equal((await agent.get(page)).statusCode, 200, 'its page says the same');
    const copies = await w.db
      .selectFrom('transfers')
      .select('id')
      .where('forwarded_from', '=', forwarded.id)
      .execute();
    assert.equal(copies.length, 1);

    // Another LA finds nothing there.
    const other = await signedIn('la_user', { laNumber: w.laB.number });
    assert.equal((await other.agent.get(page)).statusCode, 404);
    assert.equal((await other.agent.get(`${page}/forward`)).statusCode, 404);
    await other.agent.get('/download/ctf/monitor');
    assert.equal(
      (await other.agent.post(`${page}/forward`, { school: w.b1.number, confirm: 'yes' })).statusCode,
      404,
    );
  });

  test('a rejected copy whose content was deleted says it can no longer be forwarded, in English and Welsh', async () => {
    const w = await world();
    const forwarder = actorOf(await makeUser(w.db, 'la_user', { laNumber: w.laA.number }));
    const rejecter = actorOf(await makeUser(w.db, 'school', { establishmentNumber: w.a2.number }));
    for (const [language, sequence, words] of [
      ['en', '102', 'so it can no longer be forwarded. Ask B One Primary to send a new CTF'],
      ['cy', '103', 'felly ni ellir ei hanfon ymlaen mwyach. Gofynnwch i B One Primary anfon CTF newydd'],
    ] as const) {
      const original = await transfer({
        from: school(w.b1.number),
        to: school(w.a1.number),
        filename: `${w.b1.number}_CTF_${w.a1.number}_${sequence}.XML`,
      });
      const { forwarded } = await new LaMonitorService(t.deps).forward(
        forwarder,
        original.row.id,
        w.a2.number,
      );
      await new DownloadService(t.deps).reject(rejecter, 'ctf', forwarded.id, 'Not ours');
      const row = await getTransfer(w.db, forwarded.id);
      const purgedAt = '2026-11-30T09:00:00.000Z';
      await markPurged(w.db, forwarded.id, row?.storage_key as string, purgedAt, {
        collectedBefore: purgedAt,
        rejectedBefore: purgedAt,
      });
      const user = await makeUser(w.db, 'la_user', { laNumber: w.laA.number }, { language });
      const agent = new Agent(t.app);
      assert.equal((await agent.signIn(user.username)).statusCode, 302);
      const page = `/download/ctf/monitor/rejected/${forwarded.id}`;
      const opened = await agent.get(page);
      assert.equal(opened.statusCode, 200, language);
      assert.ok(textOf(mainOf(opened.body)).includes(words), `${language}: ${textOf(mainOf(opened.body))}`);
      assert.ok(!opened.body.includes(`href="${page}/forward"`), `${language}: no Forward button`);
      const form = await agent.get(`${page}/forward`);
      assert.equal(form.statusCode, 302, language);
      await agent.get(page);
      const refused = await agent.post(`${page}/forward`, { school: w.a1.number, confirm: 'yes' });
      assert.equal(refused.statusCode, 400, language);
      assert.match(
        errorSummary(refused.body),
        language === 'en'
          ? /was deleted 7 days after it was rejected/
          : /ei ddileu 7 diwrnod ar ôl ei gwrthod/,
      );
    }
  });

  test("confirming a forward twice from Delete files not collected by schools explains where it went, for a school's file and the LA's own", async () => {
    const w = await world();
    const { agent } = await signedIn('la_user', { laNumber: w.laA.number });
    for (const [to, code, sequence] of [
      [school(w.a1.number), w.a1.number, '104'],
      [la(w.laA.number), `${w.laA.number}LLLL`, '105'],
    ] as const) {
      const original = await transfer({
        from: school(w.b1.number),
        to,
        filename: `${w.b1.number}_CTF_${code}_${sequence}.XML`,
      });
      const base = `/download/ctf/uncollected/${original.row.id}`;
      await agent.get(`${base}/forward`);
      const done = await agent.post(`${base}/forward`, { school: w.a2.number, confirm: 'yes' });
      assert.equal(done.statusCode, 303, code);
      const newName = `${w.b1.number}_CTF_${w.a2.number}_${sequence}.XML`;
      for (const [what, response] of [
        ['confirm again', await agent.post(`${base}/forward`, { school: w.a2.number, confirm: 'yes' })],
        ['check again', await agent.post(`${base}/forward`, { school: w.a2.number })],
        ['the form', await agent.get(`${base}/forward`)],
        ['the file', await agent.get(base)],
      ] as const) {
        assert.equal(response.statusCode, what.endsWith('again') ? 409 : 200, `${code}: ${what}`);
        const said = textOf(mainOf(response.body));
        assert.ok(
          said.includes(`${original.row.filename} has already been forwarded`),
          `${code} ${what}: ${said}`,
        );
        assert.ok(said.includes(newName) && said.includes('A Two Primary'), said);
        assert.ok(said.includes('23 November 2026'), said);
        assert.ok(response.body.includes('href="/download/ctf/uncollected"'), 'a way back');
      }
      // Opened from page 2 of the list, the way back leads to page 2.
      const fromPage2 = await agent.get(`${base}/forward?page=2`);
      assert.ok(
        fromPage2.body.includes('href="/download/ctf/uncollected?page=2"'),
        `${code}: back to page 2`,
      );
      const copies = await w.db
        .selectFrom('transfers')
        .select('id')
        .where('forwarded_from', '=', original.row.id)
        .execute();
      assert.equal(copies.length, 1, `${code}: forwarded once`);
    }
    // In Welsh too.
    const original = await transfer({ from: school(w.b1.number), to: school(w.a1.number) });
    await new LaMonitorService(t.deps).forward(
      actorOf(await makeUser(w.db, 'la_user', { laNumber: w.laA.number })),
      original.row.id,
      w.a2.number,
    );
    const user = await makeUser(w.db, 'la_user', { laNumber: w.laA.number }, { language: 'cy' });
    const welsh = new Agent(t.app);
    assert.equal((await welsh.signIn(user.username)).statusCode, 302);
    const page = await welsh.get(`/download/ctf/uncollected/${original.row.id}/forward`);
    assert.equal(page.statusCode, 200);
    assert.ok(textOf(mainOf(page.body)).includes(`Mae ${original.row.filename} eisoes wedi’i hanfon ymlaen`));
  });
});
