import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import { after, before, test } from 'node:test';
import type { Role } from '../../src/auth/permissions.ts';
import { DataCollectionsService } from '../../src/collect/collections-service.ts';
import { CensusReturnsService } from '../../src/collect/returns-service.ts';
import { enqueueNotification } from '../../src/notifications/outbox.ts';
import { ManualClock } from '../../src/platform/clock.ts';
import type { Db } from '../../src/platform/db/schema.ts';
import { LEAVES_2027, LEFT_2026, makeLostPupil } from '../lost-pupils/review-fixtures.ts';
import { autumnCensusForm, censusFilename, censusReturnXml } from '../support/census.ts';
import { describeEachEngine } from '../support/databases.ts';
import { makeLa, makeSchool, makeUser } from '../support/factories.ts';
import { seenInCtf } from '../support/lost-pupils.ts';
import {
  actorOf,
  la,
  laInbox,
  makeFileStores,
  makeTransfer,
  school,
  type TransferSpec,
} from '../support/transfers.ts';
import { Agent, createTestApp, type TestApp } from '../support/web.ts';

/** The "Waiting for you" items of the home page: each sentence and where its link goes. */
function waitingItems(html: string): { text: string; href: string }[] {
  const section = /<h2 class="govuk-heading-m">Waiting for you<\/h2>([\s\S]*?)<h2/.exec(html)?.[1] ?? '';
  return [...section.matchAll(/<li>([\s\S]*?)<\/li>/g)].map((m) => {
    const item = m[1] as string;
    return {
      text: item
        .replace(/<[^>]+>/g, ' ')
        .replace(/&#39;/g, "'")
        .replace(/\s+/g, ' ')
        .trim(),
      href: (/href="([^"]+)"/.exec(item)?.[1] ?? '').replace(/&amp;/g, '&'),
    };
  });
}

const DAY_MS = 24 * 60 * 60 * 1000;

describeEachEngine('home, contacts and school details', (database) => {
  let t: TestApp;
  before(async () => {
    t = await createTestApp(database().db, { SERVICE_DESK_EMAIL: 'desk@s2s.example.gov.uk' });
  });
  after(async () => {
    await t.app.close();
  });

  test('a school user sees their school details and is told when no email address is held', async () => {
    const { db } = database();
    const la = await makeLa(db);
    const school = await makeSchool(db, la.number, {
      email: null,
      telephone: '01452 111222',
      town: 'Tewkesbury',
    });
    const user = await makeUser(db, 'school', { laNumber: la.number, establishmentNumber: school.number });
    const agent = new Agent(t.app);
    await agent.signIn(user.username);
    const home = await agent.get('/');
    assert.match(home.body, /No email address is held for your school/);
    const details = await agent.get('/school-details');
    assert.equal(details.statusCode, 200);
    assert.match(details.body, new RegExp(`${la.number}/${school.number.slice(3)}`));
    assert.match(details.body, /Tewkesbury/);
    assert.match(details.body, /01452 111222/);
  });

  test("a DBA's home page counts schools without email and users yet to replace an issued password", async () => {
    const { db } = database();
    const la = await makeLa(db);
    await makeSchool(db, la.number, { email: null });
    await makeSchool(db, la.number, { email: null });
    await makeSchool(db, la.number, { email: null, status: 'closed' });
    await makeUser(db, 'la_user', { laNumber: la.number }, { must_change_password: 1 });
    const dba = await makeUser(db, 'la_dba', { laNumber: la.number });
    const agent = new Agent(t.app);
    await agent.signIn(dba.username);
    const home = await agent.get('/');
    assert.match(home.body, /2 open schools have no email address/);
    assert.match(home.body, /1 user has not yet signed in to replace the password you issued/);
  });

  test("an LA administrator is told how many of the LA's organisations missed emails for want of an address", async () => {
    const { db } = database();
    const now = t.clock.now().getTime();
    /** A notification written `daysAgo`, which found no address when it was sent. */
    const undelivered = async (
      recipientKind: 'school' | 'la' | 'user',
      recipient: string,
      daysAgo: number,
    ) => {
      const dedupeKey = `test:${randomUUID()}`;
      const at = new Date(now - daysAgo * DAY_MS);
      await enqueueNotification(db, {
        at,
        template: 'new-message',
        recipientKind,
        recipient,
        payload: { fromName: 'Testshire LA', sentAt: at.toISOString() },
        dedupeKey,
      });
      await db
        .updateTable('notification_outbox')
        .set({ status: 'no-address', attempts: 1, last_error: 'no email address in the directory' })
        .where('dedupe_key', '=', dedupeKey)
        .execute();
    };
    const theLa = await makeLa(db, { email: null });
    const s1 = await makeSchool(db, theLa.number, { email: null });
    const s2 = await makeSchool(db, theLa.number, { email: null });
    const longAgo = await makeSchool(db, theLa.number, { email: null });
    const fixedSince = await makeSchool(db, theLa.number, { email: null });
    const s2User = await makeUser(db, 'school', { establishmentNumber: s2.number });
    await undelivered('school', s1.number, 1);
    await undelivered('school', s1.number, 2);
    await undelivered('user', s2User.id, 30);
    await undelivered('la', theLa.number, 3);
    await undelivered('school', longAgo.number, 32); // more than 31 days ago
    await undelivered('school', fixedSince.number, 1);
    await db
      .updateTable('establishments')
      .set({ email: 'office@fixed.example.sch.uk' })
      .where('number', '=', fixedSince.number)
      .execute();
    // Another LA's school: counted for that LA only.
    const otherLa = await makeLa(db);
    await undelivered('school', (await makeSchool(db, otherLa.number, { email: null })).number, 1);

    const missed = (items: { text: string; href: string }[]) =>
      items.filter((item) => /could not be sent/.test(item.text));
    assert.deepEqual(missed(await homeOf(db, 'la_dba', { laNumber: theLa.number })), [
      {
        text: 'No email address is held for your LA, so emails to it could not be sent. Go to Maintain LEA Details',
        href: '/dba/la',
      },
      {
        text: 'Emails to 2 schools in your LA could not be sent for want of an email address. Go to School Maintenance',
        href: '/dba/schools',
      },
    ]);
    assert.deepEqual(missed(await homeOf(db, 'la_dba', { laNumber: otherLa.number })), [
      {
        text: 'Emails to 1 school in your LA could not be sent for want of an email address. Go to School Maintenance',
        href: '/dba/schools',
      },
    ]);
    // Only those who may change the schools' details are told.
    assert.deepEqual(missed(await homeOf(db, 'la_dba_view', { laNumber: theLa.number })), []);
    assert.deepEqual(missed(await homeOf(db, 'la_user', { laNumber: theLa.number })), []);
    const maintenance = await (async () => {
      const dba = await makeUser(db, 'la_dba', { laNumber: theLa.number });
      const agent = new Agent(t.app);
      await agent.signIn(dba.username);
      return agent.get('/dba/schools');
    })();
    assert.equal(maintenance.statusCode, 200, 'the link opens School Maintenance');
  });

  test('with nothing outstanding the home page says so', async () => {
    const { db } = database();
    const la = await makeLa(db);
    const user = await makeUser(db, 'la_user', { laNumber: la.number });
    const agent = new Agent(t.app);
    await agent.signIn(user.username);
    assert.match((await agent.get('/')).body, /Nothing is waiting for you/);
  });

  /**
   * The "Waiting for you" items a new user of the role sees. Each count of files waiting is checked
   * against the Download list its link opens: the home page and the list agree.
   */
  async function homeOf(db: Db, role: Role, org: { laNumber?: string; establishmentNumber?: string }) {
    const user = await makeUser(db, role, org);
    const agent = new Agent(t.app);
    await agent.signIn(user.username);
    const home = await agent.get('/');
    assert.equal(home.statusCode, 200);
    const items = waitingItems(home.body);
    for (const item of items.filter((i) => i.href.startsWith('/download/'))) {
      const list = await agent.get(item.href);
      assert.equal(list.statusCode, 200, `${item.href} opens`);
      const listed = [
        ...list.body.matchAll(/<input class="govuk-(checkboxes|radios)__input"[^>]* name="file"/g),
      ];
      assert.equal(
        Number(/^\d+/.exec(item.text)?.[0]),
        listed.length,
        `${item.text} agrees with ${item.href}`,
      );
    }
    return items;
  }

  test('a school is told how many files wait in each Download list it has, with a link to each', async () => {
    const { db } = database();
    const here = await makeSchool(db, (await makeLa(db)).number, { email: 'office@here.example.sch.uk' });
    const there = await makeSchool(db, (await makeLa(db)).number);
    const transfer = (spec: Partial<TransferSpec>) =>
      makeTransfer(db, t.deps.files, { from: school(there.number), to: school(here.number), ...spec });
    await transfer({});
    await transfer({});
    await transfer({ category: 'generic' });
    // Not waiting: collected, rejected, removed; or waiting for someone else.
    await transfer({ overrides: { status: 'collected' } });
    await transfer({ overrides: { status: 'rejected' } });
    await transfer({ overrides: { status: 'removed' } });
    await transfer({ to: school(there.number), from: school(here.number) });

    assert.deepEqual(await homeOf(db, 'school', { establishmentNumber: here.number }), [
      {
        text: '2 CTF files are waiting for you to download. Go to Download CTF Files',
        href: '/download/ctf',
      },
      {
        text: '1 generic file is waiting for you to download. Go to Download Generic Files',
        href: '/download/generic',
      },
    ]);
  });

  test("an LA's roles each see their own Download lists: the PLASC role its census returns", async () => {
    const { db } = database();
    const theLa = await makeLa(db);
    const aSchool = await makeSchool(db, theLa.number);
    await makeTransfer(db, t.deps.files, {
      from: school(aSchool.number),
      to: la(theLa.number),
      category: 'plasc',
    });
    await makeTransfer(db, t.deps.files, { from: school(aSchool.number), to: la(theLa.number) });
    await makeTransfer(db, t.deps.files, {
      from: school(aSchool.number),
      to: laInbox(theLa.number, 'ADMS'),
      category: 'admissions',
    });

    assert.deepEqual(await homeOf(db, 'la_plasc', { laNumber: theLa.number }), [
      {
        text: '1 PLASC file is waiting for you to download. Go to Download PLASC Files',
        href: '/download/plasc',
      },
    ]);
    assert.deepEqual(await homeOf(db, 'la_admissions', { laNumber: theLa.number }), [
      {
        text: '1 admissions file is waiting for you to download. Go to Download Admissions Files',
        href: '/download/admissions',
      },
    ]);
    // The LA's other users have the CTF and, like the PLASC role, the census return; not the file for
    // the admissions inbox.
    assert.deepEqual(
      (await homeOf(db, 'la_user', { laNumber: theLa.number })).map((item) => item.href),
      ['/download/ctf', '/download/plasc'],
    );
    assert.deepEqual(await homeOf(db, 'dfe_collector', {}), [], 'a national role receives no files');
  });

  test('a sender is told how many of its files were rejected in the last 14 days, with a link to Rejected Files', async () => {
    const { db } = database();
    const here = await makeSchool(db, (await makeLa(db)).number, { email: 'office@here.example.sch.uk' });
    const there = await makeSchool(db, (await makeLa(db)).number);
    const now = t.clock.now().getTime();
    const rejected = (daysAgo: number, from = here.number) =>
      makeTransfer(db, t.deps.files, {
        from: school(from),
        to: school(from === here.number ? there.number : here.number),
        overrides: {
          status: 'rejected',
          rejected_at: new Date(now - daysAgo * DAY_MS).toISOString(),
          reject_reason: 'Not known here',
        },
      });
    await rejected(1);
    await rejected(13.9);
    await rejected(14.1); // too long ago
    await rejected(2, there.number); // rejected by this school, not sent by it
    await makeTransfer(db, t.deps.files, {
      from: school(here.number),
      to: school(there.number),
      overrides: { status: 'collected' },
    });

    assert.deepEqual(await homeOf(db, 'school', { establishmentNumber: here.number }), [
      {
        text: '2 files you sent have been rejected in the last 14 days: see why, and send them to the right place. Go to Rejected Files',
        href: '/sent?show=rejected',
      },
    ]);
    const list = await (async () => {
      const user = await makeUser(db, 'school', { establishmentNumber: here.number });
      const agent = new Agent(t.app);
      await agent.signIn(user.username);
      return agent.get('/sent?show=rejected');
    })();
    assert.equal(list.statusCode, 200, 'the link opens Rejected Files');
    assert.match(list.body, /Rejected Files/);
  });

  test("the LA's lost pupil roles and administrator are told how many of its Lost Pupils Database records are past school-leaving age", async () => {
    const { db } = database();
    const theLa = await makeLa(db);
    const otherLa = await makeLa(db);
    const aSchool = await makeSchool(db, theLa.number);
    for (const spec of [
      { laNumber: theLa.number, school: aSchool.number, dateOfBirth: LEFT_2026 },
      { laNumber: theLa.number, dateOfBirth: LEFT_2026 },
      // Not counted: not yet past the age, no date of birth, another LA's.
      { laNumber: theLa.number, school: aSchool.number, dateOfBirth: LEAVES_2027 },
      { laNumber: theLa.number, school: aSchool.number, dateOfBirth: null },
      { laNumber: otherLa.number, dateOfBirth: LEFT_2026 },
    ]) {
      await makeLostPupil(db, t.deps.files, spec);
    }
    const review = (items: { text: string; href: string }[]) =>
      items.filter((item) => item.href === '/lost-pupils/review');
    for (const role of ['la_lost_pupil', 'la_lost_pupil_transfer', 'la_dba'] as const) {
      assert.deepEqual(
        review(await homeOf(db, role, { laNumber: theLa.number })),
        [
          {
            text: "2 lost pupil records uploaded by your LA's schools are past school-leaving age: review them and remove them from the Lost Pupils Database. Go to Lost Pupils Past Leaving Age",
            href: '/lost-pupils/review',
          },
        ],
        role,
      );
    }
    for (const role of ['la_user', 'la_dba_view'] as const) {
      assert.deepEqual(review(await homeOf(db, role, { laNumber: theLa.number })), [], role);
    }
    // The link opens the list, with the same records.
    const user = await makeUser(db, 'la_lost_pupil', { laNumber: theLa.number });
    const agent = new Agent(t.app);
    await agent.signIn(user.username);
    const page = await agent.get('/lost-pupils/review');
    assert.equal(page.statusCode, 200);
    assert.equal([...page.body.matchAll(/name="record" type="checkbox"/g)].length, 2);
  });

  test("the LA's lost pupil roles are told how many possible sightings of its lost pupils wait to be checked", async () => {
    const { db } = database();
    const theLa = await makeLa(db);
    const otherLa = await makeLa(db);
    const sender = await makeSchool(db, theLa.number);
    const arrival = await makeSchool(db, otherLa.number);
    const sighting = async (from: { laNumber: string; school?: string }) => {
      const lost = await makeLostPupil(db, t.deps.files, { ...from, dateOfBirth: LEAVES_2027 });
      await seenInCtf(db, t.deps.files, {
        upn: lost.upn,
        from: school(arrival.number),
        arrival,
        at: t.clock.now(),
      });
    };
    await sighting({ laNumber: theLa.number, school: sender.number });
    await sighting({ laNumber: theLa.number });
    // Not counted: another LA's record.
    await sighting({ laNumber: otherLa.number });
    const matches = (items: { text: string; href: string }[]) =>
      items.filter((item) => item.href === '/lost-pupils/matches');
    for (const role of ['la_lost_pupil', 'la_lost_pupil_transfer'] as const) {
      assert.deepEqual(
        matches(await homeOf(db, role, { laNumber: theLa.number })),
        [
          {
            text: "2 possible sightings of pupils your LA's schools sent to the Lost Pupils Database are waiting to be checked. Go to Lost Pupil Matches",
            href: '/lost-pupils/matches',
          },
        ],
        role,
      );
    }
    for (const role of ['la_user', 'la_dba'] as const) {
      assert.deepEqual(matches(await homeOf(db, role, { laNumber: theLa.number })), [], role);
    }
  });

  test("an LA's census agents are told how many returns wait for their decision; a school, that its return was returned", async () => {
    const { db } = database();
    const clock = new ManualClock('2026-11-23T09:00:00.000Z');
    const theLa = await makeLa(db);
    const schools = [
      await makeSchool(db, theLa.number),
      await makeSchool(db, theLa.number),
      await makeSchool(db, theLa.number),
    ];
    const admin = await makeUser(db, 'national_admin');
    const name = `School Census 2026 Autumn ${theLa.number}`;
    const collectionId = await new DataCollectionsService({ db, clock }).create(
      actorOf(admin),
      autumnCensusForm([theLa.number], { name }),
    );
    const returns = new CensusReturnsService({ db, files: makeFileStores().files, clock });
    const agent = actorOf(await makeUser(db, 'la_user', { laNumber: theLa.number }));
    const ids: string[] = [];
    for (const s of schools) {
      const source = actorOf(
        await makeUser(db, 'school', { laNumber: theLa.number, establishmentNumber: s.number }),
      );
      const xml = Buffer.from(censusReturnXml({ school: s.number, year: 2026 }));
      const outcome = await returns.load(
        source,
        collectionId,
        censusFilename(s.number),
        Readable.from([xml]),
        false,
      );
      assert.equal(outcome.status, 'loaded');
      if (outcome.status !== 'loaded') return;
      await returns.submit(source, outcome.returnId, true);
      ids.push(outcome.returnId);
    }
    await returns.returnToSchool(agent, ids[2] ?? '', 'Please check pupil 5.');
    const href = `/collect/collections/${collectionId}`;

    for (const role of ['la_user', 'la_plasc'] as const) {
      assert.deepEqual(
        (await homeOf(db, role, { laNumber: theLa.number })).filter((i) => i.href === href),
        [{ text: `2 census returns are waiting for your decision in ${name}. Go to ${name}`, href }],
        role,
      );
    }
    await returns.approve(agent, ids[0] ?? '');
    assert.deepEqual(
      (await homeOf(db, 'la_user', { laNumber: theLa.number })).filter((i) => i.href === href),
      [{ text: `1 census return is waiting for your decision in ${name}. Go to ${name}`, href }],
    );
    const otherLa = await makeLa(db);
    assert.deepEqual(await homeOf(db, 'la_user', { laNumber: otherLa.number }), []);

    const schoolHome = (s: { number: string }) =>
      homeOf(db, 'school', { laNumber: theLa.number, establishmentNumber: s.number });
    assert.deepEqual(
      (await schoolHome(schools[2] as { number: string })).filter((i) => i.href === href),
      [
        {
          text: `Your census return for ${name} was returned to you by your LA: correct it in your MIS and upload a new file. Go to ${name}`,
          href,
        },
      ],
    );
    assert.deepEqual(
      (await schoolHome(schools[1] as { number: string })).filter((i) => i.href === href),
      [],
    );
  });

  test("Contacts shows the user's LA contact and the service desk", async () => {
    const { db } = database();
    const la = await makeLa(db, { contact_name: 'Jan Data', email: 'jan.data@testshire.example.gov.uk' });
    const user = await makeUser(db, 'la_user', { laNumber: la.number });
    const agent = new Agent(t.app);
    await agent.signIn(user.username);
    const page = await agent.get('/contacts');
    assert.match(page.body, /Jan Data/);
    assert.match(page.body, /jan\.data@testshire\.example\.gov\.uk/);
    assert.match(page.body, /desk@s2s\.example\.gov\.uk/);
  });

  test('Contacts is open to someone who cannot sign in: the service desk, and no LA', async () => {
    const agent = new Agent(t.app);
    const signIn = await agent.get('/sign-in');
    assert.match(signIn.body, /See <a class="govuk-link" href="\/contacts">Contacts<\/a>/);
    const page = await agent.get('/contacts');
    assert.equal(page.statusCode, 200);
    assert.match(page.body, /desk@s2s\.example\.gov\.uk/);
    assert.doesNotMatch(page.body, /Your LA s2s administrator|aria-label="Menu"/);
    // The footer links only what a visitor can open: the Establishment Finder needs a sign-in.
    assert.match(page.body, /govuk-footer__link" href="\/contacts"/);
    assert.doesNotMatch(page.body, /href="\/establishments"/);
    assert.equal((await agent.get('/establishments')).headers.location, '/sign-in');
    const user = await makeUser(database().db, 'la_user', { laNumber: (await makeLa(database().db)).number });
    await agent.signIn(user.username);
    assert.match((await agent.get('/contacts')).body, /govuk-footer__link" href="\/establishments"/);
  });

  test('Contacts and School Details in Welsh', async () => {
    const { db } = database();
    const la = await makeLa(db, { contact_name: 'Jan Data' });
    const school = await makeSchool(db, la.number, { email: null, town: 'Tywyn' });
    const user = await makeUser(db, 'school', { laNumber: la.number, establishmentNumber: school.number });
    await db.updateTable('users').set({ language: 'cy' }).where('id', '=', user.id).execute();
    const agent = new Agent(t.app);
    await agent.signIn(user.username);
    const contacts = await agent.get('/contacts');
    assert.match(contacts.body, /<html lang="cy"/);
    assert.match(contacts.body, /<h1 class="govuk-heading-l">Cysylltiadau<\/h1>/);
    assert.match(contacts.body, /Gweinyddwr s2s eich awdurdod lleol/);
    assert.match(contacts.body, /Desg wasanaeth s2s/);
    const details = await agent.get('/school-details');
    assert.match(details.body, /<h1 class="govuk-heading-l">Manylion yr Ysgol<\/h1>/);
    assert.match(details.body, /Cyfeiriad E-bost/);
    assert.match(details.body, /Heb ei gofnodi/);
    assert.match(details.body, /Tywyn/);
    assert.match(details.body, /\(gweler <a class="govuk-link" href="\/contacts">Cysylltiadau<\/a>\)/);
  });

  test('GET /healthz reports the database and file store', async () => {
    const response = await t.app.inject({ method: 'GET', url: '/healthz' });
    assert.equal(response.statusCode, 200);
    assert.deepEqual(response.json(), { status: 'ok', database: 'ok', fileStore: 'ok' });
  });
});
