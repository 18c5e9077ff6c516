// Lost Pupil Matches through the pages: the lost-pupil users of the LA whose school sent the record see
// the case and close it; nobody else sees it.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Role } from '../../src/auth/permissions.ts';
import { MATCHES_PER_PAGE } from '../../src/lost-pupils/matches-service.ts';
import { matchLostPupils } from '../../src/lost-pupils/matching.ts';
import { LostPupilReviewService } from '../../src/lost-pupils/review-service.ts';
import type { Db, EstablishmentRow, LocalAuthorityRow } from '../../src/platform/db/schema.ts';
import { createLogger } from '../../src/platform/logger.ts';
import { SentService } from '../../src/transfers/sent-service.ts';
import { describeEachEngine } from '../support/databases.ts';
import { makeLa, makeSchool, makeUser } from '../support/factories.ts';
import { makeLostPupil, seenInCtf } from '../support/lost-pupils.ts';
import { actorOf, makeTransfer, school } from '../support/transfers.ts';
import { Agent, createTestApp, errorSummary, type TestApp, textOf } from '../support/web.ts';

describeEachEngine('Lost Pupil Matches pages', (database) => {
  let t: TestApp;
  let db: Db;
  let la: LocalAuthorityRow;
  let otherLa: LocalAuthorityRow;
  let sender: EstablishmentRow;
  let newSchool: EstablishmentRow;

  before(async () => {
    db = database().db;
    t = await createTestApp(db);
    la = await makeLa(db);
    otherLa = await makeLa(db);
    sender = await makeSchool(db, la.number, { name: 'Hillside Primary School' });
    newSchool = await makeSchool(db, otherLa.number, { name: 'Riverside Primary School' });
  });
  after(async () => {
    await t.app.close();
  });

  async function agentFor(
    role: Role,
    laNumber: string | null,
    establishmentNumber: string | null = null,
    language: 'en' | 'cy' = 'en',
  ) {
    const user = await makeUser(db, role, { laNumber, establishmentNumber }, { language });
    const agent = new Agent(t.app);
    assert.equal((await agent.signIn(user.username)).statusCode, 302);
    return agent;
  }

  async function sighting(surname: string, upn: string, from = sender) {
    const lost = await makeLostPupil(db, t.deps.files, {
      from: school(from.number),
      pupil: { surname, forename: 'Robin', upn, dateOfBirth: '2014-02-03' },
    });
    const incoming = await seenInCtf(db, t.deps.files, {
      upn,
      from: school(from.number),
      arrival: newSchool,
      at: t.clock.now(),
    });
    const match = await db
      .selectFrom('lost_pupil_matches')
      .selectAll()
      .where('lost_pupil_id', '=', lost.record.id)
      .executeTakeFirstOrThrow();
    return { lost, incoming, match };
  }

  test("a case shows both records: the database's, linked, and the pupil as the new file gives them; its controls name the pupil", async () => {
    const lost = await makeLostPupil(db, t.deps.files, {
      from: school(sender.number),
      pupil: { surname: 'Lapwing', forename: 'Ada', upn: 'L123456789012', dateOfBirth: '2014-02-03' },
    });
    const incoming = await makeTransfer(db, t.deps.files, {
      from: school(sender.number),
      to: school(newSchool.number),
    });
    await matchLostPupils(
      db,
      {
        transferId: incoming.row.id,
        filename: incoming.row.filename,
        kind: 'CTF',
        seenAt: {
          la: otherLa.number,
          school: newSchool.number,
          name: newSchool.name,
          code: newSchool.number,
        },
        at: t.clock.now(),
      },
      [
        {
          upn: 'M987654321098',
          formerUpn: 'N555555555555',
          surname: 'Lap-wing',
          forename: 'ADA',
          dateOfBirth: '2014-02-03',
        },
      ],
    );
    const match = await db
      .selectFrom('lost_pupil_matches')
      .selectAll()
      .where('lost_pupil_id', '=', lost.record.id)
      .executeTakeFirstOrThrow();
    const agent = await agentFor('la_lost_pupil', la.number);
    const page = await agent.get('/lost-pupils/matches');
    const section = new RegExp(`id="case-${match.id}"[\\s\\S]*?</form>`).exec(page.body)?.[0] ?? '';
    const text = textOf(section);
    // The pupil as the new file gives them, beside the record.
    assert.match(text, /In the new file/);
    assert.match(text, /UPN M987654321098/);
    assert.match(text, /Former UPN N555555555555/);
    assert.match(text, /Surname Lap-wing/);
    assert.match(text, /Forename ADA/);
    assert.match(text, /Date of birth 3 February 2014/);
    assert.match(text, /In the Lost Pupils Database/);
    assert.match(text, /UPN L123456789012/);
    assert.match(section, new RegExp(`href="/lost-pupils/search/${lost.record.id}"`));
    // Each control names its pupil, for a screen reader's list of form controls.
    assert.match(
      section,
      /<legend[^>]*>\s*Is it the same pupil\?<span class="govuk-visually-hidden"> Lapwing, Ada<\/span>/,
    );
    assert.match(section, /Close the case<span class="govuk-visually-hidden"> of Lapwing, Ada<\/span>/);
    // Closed, the file's details of the pupil go: they were kept to check the match.
    await agent.post(`/lost-pupils/matches/${match.id}/close`, { outcome: 'not-the-pupil' });
    const closed = await db
      .selectFrom('lost_pupil_matches')
      .selectAll()
      .where('id', '=', match.id)
      .executeTakeFirstOrThrow();
    assert.deepEqual(
      [
        closed.status,
        closed.seen_upn,
        closed.seen_former_upn,
        closed.seen_surname,
        closed.seen_forename,
        closed.seen_date_of_birth,
      ],
      ['closed', null, null, null, null, null],
    );
  });

  test("a record removed from the database, by its LA or by its school, takes the file's pupil off its cases", async () => {
    const seenPupils = async (lostPupilId: string) =>
      (
        await db
          .selectFrom('lost_pupil_matches')
          .select(['seen_upn', 'seen_surname', 'seen_forename', 'seen_date_of_birth'])
          .where('lost_pupil_id', '=', lostPupilId)
          .execute()
      ).map((m) => Object.values(m));
    // Past school-leaving age, removed by its LA under Lost Pupils Past Leaving Age.
    const due = await makeLostPupil(db, t.deps.files, {
      from: school(sender.number),
      pupil: { surname: 'Curlew', forename: 'Robin', upn: 'C523456789012', dateOfBirth: '2005-02-03' },
    });
    // Sent in error, removed by its school under View / Remove Files.
    const sentInError = await makeLostPupil(db, t.deps.files, {
      from: school(sender.number),
      pupil: { surname: 'Stint', forename: 'Robin', upn: 'S523456789012', dateOfBirth: '2014-02-03' },
    });
    for (const upn of ['C523456789012', 'S523456789012']) {
      await seenInCtf(db, t.deps.files, {
        upn,
        from: school(sender.number),
        arrival: newSchool,
        at: t.clock.now(),
      });
    }
    assert.deepEqual(await seenPupils(due.record.id), [['C523456789012', null, null, null]]);
    assert.deepEqual(await seenPupils(sentInError.record.id), [['S523456789012', null, null, null]]);

    const services = { db, files: t.deps.files, clock: t.clock, logger: createLogger('silent') };
    const laUser = actorOf(await makeUser(db, 'la_lost_pupil', { laNumber: la.number }));
    await new LostPupilReviewService(services).remove(laUser, [due.record.id], 'past-leaving-age');
    const schoolUser = actorOf(
      await makeUser(db, 'school', { laNumber: la.number, establishmentNumber: sender.number }),
    );
    await new SentService(services).remove(schoolUser, sentInError.record.id);
    assert.deepEqual(await seenPupils(due.record.id), [[null, null, null, null]]);
    assert.deepEqual(await seenPupils(sentInError.record.id), [[null, null, null, null]]);
  });

  test("a case matched before the file's pupil was kept says so", async () => {
    const { match } = await sighting('Dunlin', 'D923456789012');
    await db
      .updateTable('lost_pupil_matches')
      .set({ seen_upn: null, seen_surname: null, seen_forename: null, seen_date_of_birth: null })
      .where('id', '=', match.id)
      .execute();
    const agent = await agentFor('la_lost_pupil', la.number);
    const page = await agent.get('/lost-pupils/matches');
    const section = new RegExp(`id="case-${match.id}"[\\s\\S]*?</form>`).exec(page.body)?.[0] ?? '';
    assert.match(
      textOf(section),
      /In the new file Pupil Not kept: this case was matched before s2s kept the pupil's details from the new file/,
    );
  });

  test("the LA's lost-pupil users see the case and close it as found; the record is found and audited", async () => {
    const { lost, incoming, match } = await sighting('Wren', 'W123456789012');
    const agent = await agentFor('la_lost_pupil', la.number);
    const page = await agent.get('/lost-pupils/matches');
    assert.equal(page.statusCode, 200);
    assert.match(page.body, /Wren, Robin/);
    assert.match(page.body, new RegExp(incoming.row.filename));
    assert.match(page.body, /Riverside Primary School \(\d{7}\)/);
    assert.match(page.body, /W123456789012/);

    const refused = await agent.post(`/lost-pupils/matches/${match.id}/close`, {});
    assert.equal(refused.statusCode, 400);
    assert.match(errorSummary(refused.body), /Choose whether it is the same pupil/);
    assert.match(refused.body, new RegExp(`href="#outcome-${match.id}"`));

    const closed = await agent.post(`/lost-pupils/matches/${match.id}/close`, { outcome: 'found' });
    assert.equal(closed.statusCode, 302);
    const after = await agent.get('/lost-pupils/matches');
    assert.match(after.body, /The case is closed and Robin Wren is recorded as found/);
    assert.doesNotMatch(after.body, /Wren, Robin/);
    const record = await db
      .selectFrom('lost_pupils')
      .selectAll()
      .where('id', '=', lost.record.id)
      .executeTakeFirstOrThrow();
    assert.equal(record.status, 'found');
    assert.equal(record.found_by_la, la.number);
    const audit = await db
      .selectFrom('audit_events')
      .select(['action', 'detail'])
      .where('subject_id', '=', lost.record.id)
      .execute();
    assert.deepEqual(
      audit.map((a) => a.action),
      ['lost-pupil-match-closed'],
    );
    assert.doesNotMatch(audit[0]?.detail ?? '', /Wren|Robin/, 'no pupil names in the audit log');
    // Closed once only: posted again, it says so (posted-twice.test.ts) and records nothing more.
    assert.equal(
      (await agent.post(`/lost-pupils/matches/${match.id}/close`, { outcome: 'found' })).statusCode,
      302,
    );
    assert.equal(
      (await db.selectFrom('audit_events').select('id').where('subject_id', '=', lost.record.id).execute())
        .length,
      1,
    );
  });

  test('in Welsh: the case, its error and the banner', async () => {
    const { match } = await sighting('Dryw', 'D123456789012');
    const agent = await agentFor('la_lost_pupil', la.number, null, 'cy');
    const page = await agent.get('/lost-pupils/matches');
    assert.match(page.body, /<html lang="cy"/);
    assert.match(page.body, /<h1 class="govuk-heading-l">Cyfatebiaethau Disgyblion Coll<\/h1>/);
    assert.match(page.body, /Ai’r un disgybl ydyw\?/);
    const refused = await agent.post(`/lost-pupils/matches/${match.id}/close`, {});
    assert.match(errorSummary(refused.body), /Dewiswch ai’r un disgybl ydyw ai peidio/);
    await agent.post(`/lost-pupils/matches/${match.id}/close`, { outcome: 'not-the-pupil' });
    assert.match((await agent.get('/lost-pupils/matches')).body, /Mae’r achos wedi’i gau: nid yw /);
  });

  test('"not the same pupil" closes the case and leaves the pupil lost', async () => {
    const { lost, match } = await sighting('Finch', 'F123456789012');
    const agent = await agentFor('la_lost_pupil_transfer', la.number);
    await agent.get('/lost-pupils/matches');
    assert.equal(
      (await agent.post(`/lost-pupils/matches/${match.id}/close`, { outcome: 'not-the-pupil' })).statusCode,
      302,
    );
    const record = await db
      .selectFrom('lost_pupils')
      .select('status')
      .where('id', '=', lost.record.id)
      .executeTakeFirstOrThrow();
    assert.equal(record.status, 'lost');
  });

  test('a case of a record since removed from the database is no longer shown, nor closed', async () => {
    const { lost, match } = await sighting('Removedpupil', 'R123456789012');
    const agent = await agentFor('la_lost_pupil_transfer', la.number);
    assert.match((await agent.get('/lost-pupils/matches')).body, /Removedpupil/i);
    await db
      .updateTable('lost_pupils')
      .set({ status: 'removed', removed_at: t.clock.now().toISOString() })
      .where('id', '=', lost.record.id)
      .execute();
    const page = await agent.get('/lost-pupils/matches');
    assert.doesNotMatch(page.body, /Removedpupil/i, 'the removed pupil’s details are not shown');
    const close = await agent.post(`/lost-pupils/matches/${match.id}/close`, { outcome: 'found' });
    assert.equal(close.statusCode, 404);
    const record = await db
      .selectFrom('lost_pupils')
      .select('status')
      .where('id', '=', lost.record.id)
      .executeTakeFirstOrThrow();
    assert.equal(record.status, 'removed');
  });

  test("another LA's lost-pupil users, other LA roles and schools cannot see or close the case", async () => {
    const { match } = await sighting('Heron', 'H223456789012');
    const stranger = await agentFor('la_lost_pupil', otherLa.number);
    const page = await stranger.get('/lost-pupils/matches');
    assert.equal(page.statusCode, 200);
    assert.doesNotMatch(page.body, /Heron/);
    assert.equal(
      (await stranger.post(`/lost-pupils/matches/${match.id}/close`, { outcome: 'found' })).statusCode,
      404,
    );
    for (const [role, establishment] of [
      ['la_user', null],
      ['la_dba', null],
      ['school', sender.number],
    ] as const) {
      const agent = await agentFor(role, la.number, establishment);
      assert.equal((await agent.get('/lost-pupils/matches')).statusCode, 403, role);
      await agent.get('/');
      assert.equal(
        (await agent.post(`/lost-pupils/matches/${match.id}/close`, { outcome: 'found' })).statusCode,
        403,
        role,
      );
    }
    const still = await db
      .selectFrom('lost_pupil_matches')
      .select('status')
      .where('id', '=', match.id)
      .executeTakeFirstOrThrow();
    assert.equal(still.status, 'open');
  });

  test('cases come a page at a time, newest first; a case on a later page is closed from it', async () => {
    // An LA of its own, so that its cases are only these.
    const busyLa = await makeLa(db);
    const busySchool = await makeSchool(db, busyLa.number, { name: 'Busy Primary School' });
    const count = MATCHES_PER_PAGE + 3;
    const sightings = [];
    for (let n = 1; n <= count; n += 1) {
      sightings.push(
        await sighting(`Case${String(n).padStart(2, '0')}`, `P${String(n).padStart(12, '0')}`, busySchool),
      );
      t.clock.advanceMinutes(1);
    }
    const agent = await agentFor('la_lost_pupil', busyLa.number);
    const surnamesOn = (body: string) =>
      [...body.matchAll(/<h2 class="govuk-heading-m"[^>]*>(Case\d+),/g)].map((m) => m[1]);
    const newestFirst = sightings.map((_, index) => `Case${String(count - index).padStart(2, '0')}`);

    const first = await agent.get('/lost-pupils/matches');
    assert.equal(first.statusCode, 200);
    assert.deepEqual(surnamesOn(first.body), newestFirst.slice(0, MATCHES_PER_PAGE));
    assert.match(first.body, new RegExp(`Open cases 1 to ${MATCHES_PER_PAGE} of ${count}`));
    assert.match(first.body, /href="\/lost-pupils\/matches\?page=2"/);

    const second = await agent.get('/lost-pupils/matches?page=2');
    assert.deepEqual(surnamesOn(second.body), newestFirst.slice(MATCHES_PER_PAGE));
    assert.match(second.body, new RegExp(`Open cases ${MATCHES_PER_PAGE + 1} to ${count} of ${count}`));
    // Past the end: redirected to the last page, so the address says the page shown; not a number: the first.
    const past = await agent.get('/lost-pupils/matches?page=9');
    assert.equal(past.statusCode, 303);
    assert.equal(past.headers.location, '/lost-pupils/matches?page=2');
    assert.deepEqual(
      surnamesOn((await agent.get('/lost-pupils/matches?page=x')).body),
      surnamesOn(first.body),
    );

    // The oldest case, on page 2: an error shows that page again, with the case; closing it goes back there.
    const oldest = sightings[0]?.match.id ?? '';
    const refused = await agent.post(`/lost-pupils/matches/${oldest}/close`, { page: '2' });
    assert.equal(refused.statusCode, 400);
    assert.match(refused.body, new RegExp(`href="#outcome-${oldest}"`));
    assert.match(refused.body, new RegExp(`id="outcome-${oldest}"`));
    const closed = await agent.post(`/lost-pupils/matches/${oldest}/close`, {
      outcome: 'not-the-pupil',
      page: '2',
    });
    assert.equal(closed.statusCode, 302);
    assert.equal(closed.headers.location, '/lost-pupils/matches?page=2');
    const after = await agent.get('/lost-pupils/matches?page=2');
    assert.deepEqual(surnamesOn(after.body), newestFirst.slice(MATCHES_PER_PAGE, count - 1));
    assert.match(after.body, new RegExp(`of ${count - 1}`));

    // Closing the rest of page 2 returns there, and page 2 being gone, to the list's one page.
    for (const case_ of sightings.slice(1, count - MATCHES_PER_PAGE)) {
      await agent.post(`/lost-pupils/matches/${case_.match.id}/close`, {
        outcome: 'not-the-pupil',
        page: '2',
      });
    }
    const gone = await agent.get('/lost-pupils/matches?page=2');
    assert.equal(gone.statusCode, 303);
    assert.equal(gone.headers.location, '/lost-pupils/matches');
    const onePage = await agent.get('/lost-pupils/matches');
    assert.deepEqual(surnamesOn(onePage.body), newestFirst.slice(0, MATCHES_PER_PAGE));
    assert.match(onePage.body, /The case is closed/);
  });

  test('a case recorded by the previous version, without its LA, is still listed and closed by that LA only', async () => {
    // A node of the version before migration 022, still running during a rolling deployment, leaves
    // lost_la empty: the case is found through its record.
    const { match } = await sighting('Plover', 'P223456789012');
    await db.updateTable('lost_pupil_matches').set({ lost_la: null }).where('id', '=', match.id).execute();
    const stranger = await agentFor('la_lost_pupil', otherLa.number);
    assert.doesNotMatch((await stranger.get('/lost-pupils/matches')).body, /Plover/);
    assert.equal(
      (await stranger.post(`/lost-pupils/matches/${match.id}/close`, { outcome: 'found' })).statusCode,
      404,
    );
    const agent = await agentFor('la_lost_pupil', la.number);
    assert.match((await agent.get('/lost-pupils/matches')).body, /Plover, Robin/);
    assert.equal(
      (await agent.post(`/lost-pupils/matches/${match.id}/close`, { outcome: 'not-the-pupil' })).statusCode,
      302,
    );
    assert.doesNotMatch((await agent.get('/lost-pupils/matches')).body, /Plover, Robin/);
  });
});
