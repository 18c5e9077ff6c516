// A second file to the Lost Pupils Database for a pupil it already holds as lost (LA notes §4.2: "they
// should not create and send a duplicate file, as the original file will remain in the Lost Pupil area
// and that pupil will still be considered to be 'lost'"), and a lost pupil's file an LA found, which its
// sender no longer removes (decision 79). Through the pages and the API, on both engines.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { EmailContext } from '../../src/notifications/email.ts';
import { composeEmail } from '../../src/notifications/templates.ts';
import type { Db, EstablishmentRow, UserRow } from '../../src/platform/db/schema.ts';
import { api, makeToken, uploadFiles } from '../api/support.ts';
import { ctfBetween, type FixturePupil, syntheticPupil } from '../fixtures/ctf/generate.ts';
import { describeEachEngine } from '../support/databases.ts';
import { makeLa, makeSchool, makeUser } from '../support/factories.ts';
import { Agent, createTestApp, type TestApp, textOf } from '../support/web.ts';
import { uniqueName } from './support.ts';

const EMAIL: EmailContext = {
  serviceName: 's2s',
  serviceUrl: 'https://s2s.example.gov.uk',
  serviceDesk: { email: 'desk@s2s.example.gov.uk', telephone: '0300 000 0000' },
};

describeEachEngine('a second lost pupil file for the same pupil', (database) => {
  let t: TestApp;
  let db: Db;

  before(async () => {
    db = database().db;
    t = await createTestApp(db);
  });
  after(async () => {
    await t.app.close();
  });

  async function world() {
    const la = await makeLa(db);
    const otherLa = await makeLa(db);
    const leaving = await makeSchool(db, la.number, { name: 'Leaving Primary School' });
    const elsewhere = await makeSchool(db, otherLa.number, { name: 'Elsewhere Academy' });
    const arriving = await makeSchool(db, otherLa.number, { name: 'Arriving Primary School' });
    return { la, otherLa, leaving, elsewhere, arriving };
  }

  async function signedIn(school: EstablishmentRow): Promise<{ agent: Agent; user: UserRow }> {
    const user = await makeUser(db, 'school', { establishmentNumber: school.number });
    const agent = new Agent(t.app);
    assert.equal((await agent.signIn(user.username)).statusCode, 302);
    await agent.get('/upload/ctf');
    return { agent, user };
  }

  /** Uploads through Upload CTF File: the result page's text. */
  async function upload(agent: Agent, filename: string, content: string): Promise<string> {
    const response = await agent.postMultipart('/upload/ctf', [{ filename, content }]);
    assert.equal(response.statusCode, 200);
    return textOf(response.body);
  }

  const transferNamed = (filename: string) =>
    db.selectFrom('transfers').selectAll().where('filename', '=', filename).executeTakeFirst();

  /** A pupil of `school` no other test holds: unique names, its own UPN. */
  function pupilOf(school: EstablishmentRow, n: number, overrides: Partial<FixturePupil> = {}): FixturePupil {
    return {
      ...syntheticPupil(n, { lea: school.la_number, estab: school.number.slice(3) }, false),
      surname: uniqueName('Dup'),
      forename: uniqueName('Kit'),
      ...overrides,
    };
  }

  test('the same school sending a second file for a pupil still lost from its first is refused, on the page, by email and in the audit', async () => {
    const w = await world();
    const { agent, user } = await signedIn(w.leaving);
    const pupil = pupilOf(w.leaving, 1);
    const first = `${w.leaving.number}_CTF_XXXXXXXX_001.XML`;
    assert.match(await upload(agent, first, ctfBetween(w.leaving.number, 'XXXXXXXX', [pupil])), /Uploaded/);
    const held = await transferNamed(first);
    assert.ok(held);

    // A second file, under another number (MMMMMMMM this time): the same UPN.
    const second = `${w.leaving.number}_CTF_MMMMMMMM_002.XML`;
    const page = await upload(agent, second, ctfBetween(w.leaving.number, 'MMMMMMMM', [pupil]));
    assert.match(page, /Not uploaded/);
    const day = new Date(held.uploaded_at).toLocaleDateString('en-GB', {
      day: 'numeric',
      month: 'long',
      year: 'numeric',
      timeZone: 'Europe/London',
    });
    assert.ok(
      page.includes(
        `The pupil in this file is already in the Lost Pupils Database from your file ${first} of ${day}. It stays there until an LA finds the pupil.`,
      ),
      page,
    );
    assert.ok(
      page.includes(
        'If this file should replace it, remove the earlier one under View / Remove Files first, then upload this one again.',
      ),
      page,
    );
    assert.equal(await transferNamed(second), undefined, 'nothing recorded');
    const records = await db
      .selectFrom('lost_pupils')
      .select('id')
      .where('source_school', '=', w.leaving.number)
      .execute();
    assert.equal(records.length, 1, 'one record of the pupil');

    const email = await db
      .selectFrom('notification_outbox')
      .select('payload')
      .where('template', '=', 'upload-refused')
      .where('recipient', '=', user.id)
      .executeTakeFirstOrThrow();
    const payload = JSON.parse(email.payload);
    assert.equal(payload.filename, second);
    assert.match(payload.reasons, new RegExp(`already in the Lost Pupils Database from your file ${first}`));
    assert.match(payload.whatToDo, /remove the earlier one under View \/ Remove Files first/);
    const audit = await db
      .selectFrom('audit_events')
      .select('detail')
      .where('action', '=', 'upload-refused')
      .where('actor_user_id', '=', user.id)
      .executeTakeFirstOrThrow();
    assert.match(String(audit.detail), new RegExp(first));
    // No pupil data in what is kept about the refusal.
    for (const text of [email.payload, String(audit.detail)]) {
      assert.ok(!text.includes(pupil.surname) && !text.includes(pupil.upn), 'no pupil data');
    }

    // Removed under View / Remove Files, the second is taken.
    const url = `/sent/files/${held.id}/remove`;
    await agent.get(url);
    assert.equal((await agent.post(url, {}, { formPage: url })).statusCode, 302);
    await agent.get('/upload/ctf');
    assert.match(await upload(agent, second, ctfBetween(w.leaving.number, 'MMMMMMMM', [pupil])), /Uploaded/);
  });

  test('without a UPN the pupil is known by the matching rule (surname, forename, date of birth); two different UPNs are two pupils', async () => {
    const w = await world();
    const { agent } = await signedIn(w.leaving);
    const pupil = pupilOf(w.leaving, 2);
    const noUpn = { ...pupil, upn: undefined as unknown as string };
    assert.match(
      await upload(
        agent,
        `${w.leaving.number}_CTF_XXXXXXXX_001.XML`,
        ctfBetween(w.leaving.number, 'XXXXXXXX', [noUpn]),
      ),
      /Uploaded/,
    );
    // The same names and date of birth, with or without a UPN: the same pupil.
    for (const [n, again] of [
      [2, noUpn],
      [3, pupil],
    ] as const) {
      const page = await upload(
        agent,
        `${w.leaving.number}_CTF_XXXXXXXX_00${n}.XML`,
        ctfBetween(w.leaving.number, 'XXXXXXXX', [again]),
      );
      assert.match(page, /Not uploaded/);
      assert.match(page, /already in the Lost Pupils Database from your file/);
    }

    // A pupil with a UPN held; another file with the same names and date of birth but another UPN: taken.
    const withUpn = pupilOf(w.leaving, 3);
    assert.match(
      await upload(
        agent,
        `${w.leaving.number}_CTF_XXXXXXXX_004.XML`,
        ctfBetween(w.leaving.number, 'XXXXXXXX', [withUpn]),
      ),
      /Uploaded/,
    );
    const namesake = {
      ...withUpn,
      upn: syntheticPupil(4, { lea: w.leaving.la_number, estab: w.leaving.number.slice(3) }).upn,
    };
    assert.match(
      await upload(
        agent,
        `${w.leaving.number}_CTF_XXXXXXXX_005.XML`,
        ctfBetween(w.leaving.number, 'XXXXXXXX', [namesake]),
      ),
      /Uploaded/,
    );
  });

  test('a pupil an LA has found is not held as lost: a second file from the same school is taken', async () => {
    const w = await world();
    const { agent } = await signedIn(w.leaving);
    const pupil = pupilOf(w.leaving, 5);
    const first = `${w.leaving.number}_CTF_XXXXXXXX_001.XML`;
    await upload(agent, first, ctfBetween(w.leaving.number, 'XXXXXXXX', [pupil]));
    const held = await transferNamed(first);
    assert.ok(held);
    await db
      .updateTable('lost_pupils')
      .set({ status: 'found', found_at: new Date().toISOString(), found_by_la: w.otherLa.number })
      .where('transfer_id', '=', held.id)
      .execute();
    const page = await upload(
      agent,
      `${w.leaving.number}_CTF_XXXXXXXX_002.XML`,
      ctfBetween(w.leaving.number, 'XXXXXXXX', [pupil]),
    );
    assert.match(page, /Uploaded/);
    assert.doesNotMatch(page, /already in the Lost Pupils Database/);
  });

  test('another school sending a file for the same pupil is accepted, told the database held the pupil from another file of that date, never whose', async () => {
    const w = await world();
    const pupil = pupilOf(w.leaving, 6);
    const { agent } = await signedIn(w.leaving);
    const first = `${w.leaving.number}_CTF_XXXXXXXX_001.XML`;
    await upload(agent, first, ctfBetween(w.leaving.number, 'XXXXXXXX', [pupil]));
    const held = await transferNamed(first);
    assert.ok(held);
    const day = new Date(held.uploaded_at).toLocaleDateString('en-GB', {
      day: 'numeric',
      month: 'long',
      year: 'numeric',
      timeZone: 'Europe/London',
    });
    const said = `The Lost Pupils Database already held this pupil, from a file another school or LA sent on ${day}. Both files stay there until an LA finds the pupil.`;

    const other = await signedIn(w.elsewhere);
    const second = `${w.elsewhere.number}_CTF_XXXXXXXX_001.XML`;
    const page = await upload(other.agent, second, ctfBetween(w.elsewhere.number, 'XXXXXXXX', [pupil]));
    assert.match(page, /Uploaded/);
    assert.ok(page.includes(said), page);
    assert.ok(
      !page.includes(first) && !page.includes('Leaving Primary School') && !page.includes(w.leaving.number),
    );
    assert.ok(await transferNamed(second));

    // The API's answer says it among its warnings.
    const token = await makeToken(db, other.user);
    const third = `${w.elsewhere.number}_CTF_MMMMMMMM_002.XML`;
    const fromArriving = `${w.arriving.number}_CTF_XXXXXXXX_001.XML`;
    const apiUser = await makeUser(db, 'school', { establishmentNumber: w.arriving.number });
    const answer = await uploadFiles(t.app, await makeToken(db, apiUser), [
      { filename: fromArriving, content: ctfBetween(w.arriving.number, 'XXXXXXXX', [pupil]) },
    ]);
    assert.equal(answer.statusCode, 201, answer.body);
    const [result] = answer.json().results;
    assert.equal(result.status, 'accepted');
    assert.ok(result.warnings.includes(said), JSON.stringify(result.warnings));
    assert.ok(!answer.body.includes(first), answer.body);
    assert.ok(!answer.body.includes(w.leaving.number), `${w.leaving.number} ${answer.body}`);

    // The same school's second file through the API is refused, with the earlier file's id.
    const refused = await uploadFiles(t.app, token, [
      { filename: third, content: ctfBetween(w.elsewhere.number, 'MMMMMMMM', [pupil]) },
    ]);
    assert.equal(refused.statusCode, 422, refused.body);
    const [again] = refused.json().results;
    assert.equal(again.status, 'refused');
    assert.match(
      again.reasons[0],
      new RegExp(`already in the Lost Pupils Database from your file ${second}`),
    );
    assert.match(again.whatToDo, /remove the earlier one under View \/ Remove Files first/);
    assert.equal(again.lostPupilTransferId, (await transferNamed(second))?.id);
  });

  test('a CTF the same school sends to the new school for a pupil it holds as lost is taken, and is a Lost Pupil Match for its LA', async () => {
    const w = await world();
    const pupil = pupilOf(w.leaving, 7);
    const { agent } = await signedIn(w.leaving);
    await upload(
      agent,
      `${w.leaving.number}_CTF_XXXXXXXX_001.XML`,
      ctfBetween(w.leaving.number, 'XXXXXXXX', [pupil]),
    );
    const direct = `${w.leaving.number}_CTF_${w.arriving.number}_001.XML`;
    assert.match(
      await upload(agent, direct, ctfBetween(w.leaving.number, w.arriving.number, [pupil])),
      /Uploaded/,
    );
    const sent = await transferNamed(direct);
    assert.ok(sent);
    const matches = await db
      .selectFrom('lost_pupil_matches')
      .select(['lost_la', 'matched_on'])
      .where('transfer_id', '=', sent.id)
      .execute();
    assert.deepEqual(matches, [{ lost_la: w.la.number, matched_on: 'upn' }]);
    const told = await db
      .selectFrom('notification_outbox')
      .select('recipient')
      .where('template', '=', 'lost-pupil-match')
      .where('payload', 'like', `%${direct}%`)
      .execute();
    assert.deepEqual(told, [{ recipient: w.la.number }], 'its LA (no lost-pupil users) is emailed');
  });

  test("View / Remove Files: a lost pupil file an LA downloaded without confirming it is removable, and that LA is told to delete its copy, as a CTF's destination is", async () => {
    const w = await world();
    const pupil = pupilOf(w.leaving, 9);
    const { agent, user } = await signedIn(w.leaving);
    const first = `${w.leaving.number}_CTF_XXXXXXXX_001.XML`;
    await upload(agent, first, ctfBetween(w.leaving.number, 'XXXXXXXX', [pupil]));
    const held = await transferNamed(first);
    assert.ok(held);
    // An LA's Lost Pupil user downloaded it (its download recorded), and never said it downloaded correctly.
    const finder = await makeUser(db, 'la_lost_pupil', { laNumber: w.otherLa.number });
    await db
      .updateTable('transfers')
      .set({
        first_downloaded_at: '2026-12-02T09:30:00.000Z',
        last_downloaded_at: '2026-12-02T09:30:00.000Z',
        downloaded_by: finder.id,
      })
      .where('id', '=', held.id)
      .execute();

    const url = `/sent/files/${held.id}/remove`;
    const form = textOf((await agent.get(url)).body);
    assert.match(form, new RegExp(`${w.otherLa.name} .*downloaded it on 2 December 2026`));
    assert.equal((await agent.post(url, {}, { formPage: url })).statusCode, 302);
    assert.match(
      textOf((await agent.get('/sent?show=lost-pupils')).body),
      /which downloaded it from the Lost Pupils Database without confirming it, will be sent an email asking it to delete its copy/,
    );
    const emails = await db
      .selectFrom('notification_outbox')
      .select(['recipient_kind', 'recipient', 'payload'])
      .where('template', '=', 'waiting-file-removed')
      .where('payload', 'like', `%${first}%`)
      .execute();
    assert.deepEqual(
      emails.map((e) => [e.recipient_kind, e.recipient]),
      [['la', w.otherLa.number]],
      'the LA that downloaded it, alone',
    );
    const payload = JSON.parse(emails[0]?.payload ?? '{}');
    assert.equal(payload.lostPupils, true);
    assert.equal(payload.downloadedAt, '2026-12-02T09:30:00.000Z');
    const email = composeEmail('waiting-file-removed', emails[0]?.payload ?? '', EMAIL, 'en');
    const words = email.text.replace(/\s+/g, ' ');
    assert.equal(email.subject, `A Lost Pupils Database file you downloaded has been removed: ${first}`);
    assert.match(words, /a file it had sent to the Lost Pupils Database/);
    assert.match(
      words,
      /Your LA downloaded it on 2 December 2026.* without confirming that it was downloaded correctly/,
    );
    assert.match(
      words,
      /Do not forward the copy you downloaded to a school or load it into an MIS, and delete it/,
    );
    assert.doesNotMatch(words, /Download CTF Files|sent to you/);
    const welsh = composeEmail('waiting-file-removed', emails[0]?.payload ?? '', EMAIL, 'cy');
    assert.match(welsh.subject, /Gronfa Ddata Disgyblion Coll/);

    // The API answers the same of another such file: the LA is named as told.
    const second = `${w.leaving.number}_CTF_XXXXXXXX_002.XML`;
    await agent.get('/upload/ctf');
    await upload(agent, second, ctfBetween(w.leaving.number, 'XXXXXXXX', [pupilOf(w.leaving, 10)]));
    const other = await transferNamed(second);
    assert.ok(other);
    await db
      .updateTable('transfers')
      .set({ last_downloaded_at: '2026-12-02T10:00:00.000Z', downloaded_by: finder.id })
      .where('id', '=', other.id)
      .execute();
    const token = await makeToken(db, user);
    const removed = await api(t.app, { method: 'DELETE', url: `/api/v1/files/${other.id}`, token });
    assert.equal(removed.statusCode, 200, removed.body);
    assert.deepEqual(
      removed
        .json()
        .told.map((told: { as: string; organisation: { code: string } }) => [
          told.as,
          told.organisation.code,
        ]),
      [['destination', `${w.otherLa.number}LLLL`]],
    );
  });

  test('View / Remove Files: a lost pupil file an LA found is not offered for removal, and its removal is refused, on the page and the API', async () => {
    const w = await world();
    const pupil = pupilOf(w.leaving, 8);
    const { agent, user } = await signedIn(w.leaving);
    const first = `${w.leaving.number}_CTF_XXXXXXXX_001.XML`;
    await upload(agent, first, ctfBetween(w.leaving.number, 'XXXXXXXX', [pupil]));
    const held = await transferNamed(first);
    assert.ok(held);
    await db
      .updateTable('lost_pupils')
      .set({ status: 'found', found_at: '2026-12-03T10:00:00.000Z', found_by_la: w.otherLa.number })
      .where('transfer_id', '=', held.id)
      .execute();

    const file = await agent.get(`/sent/files/${held.id}`);
    assert.equal(file.statusCode, 200);
    assert.doesNotMatch(file.body, new RegExp(`href="/sent/files/${held.id}/remove"`), 'no Remove');
    const said = `${first} cannot be removed: an LA found the pupil on 3 December 2026. Your LA removes it from the Lost Pupils Database once the pupil’s case is closed.`;
    assert.ok(textOf(file.body).includes(said), textOf(file.body));

    const url = `/sent/files/${held.id}/remove`;
    const form = await agent.get(url);
    assert.ok(textOf(form.body).includes(said));
    const refused = await agent.post(url, {}, { formPage: `/sent/files/${held.id}` });
    assert.ok(textOf(refused.body).includes(said), `${refused.statusCode} ${textOf(refused.body)}`);
    const token = await makeToken(db, user);
    const deleted = await api(t.app, { method: 'DELETE', url: `/api/v1/files/${held.id}`, token });
    assert.ok(deleted.statusCode >= 400, deleted.body);
    assert.ok(deleted.body.includes(said), deleted.body);

    const after = await transferNamed(first);
    assert.equal(after?.status, 'available');
    const record = await db
      .selectFrom('lost_pupils')
      .select('status')
      .where('transfer_id', '=', held.id)
      .executeTakeFirstOrThrow();
    assert.equal(record.status, 'found');
  });
});
