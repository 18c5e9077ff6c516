// Lost Pupils through the API, on both engines, as the pages' journeys: an LA's lost-pupil token finds a
// pupil by a soundalike surname, reads the record, downloads the file only once it attests (audited as
// on the page) and says it was downloaded correctly, and another LA then sees who found it; the
// transfer role forwards a record to a school of its LA; an LA follows up its matches and removes its
// records past leaving age, which another LA cannot touch; the search form's errors come back as 422
// problem+json with the page's messages, named by the body's fields.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, test } from 'node:test';
import type { Db, EstablishmentRow, LocalAuthorityRow } from '../../src/platform/db/schema.ts';
import { makeLostPupil } from '../lost-pupils/support.ts';
import { describeEachEngine } from '../support/databases.ts';
import { makeLa, makeSchool, makeUser } from '../support/factories.ts';
import { createTestApp, type TestApp } from '../support/web.ts';
import { makeMatch } from './matrix/lost-pupils.ts';
import { api, makeToken } from './support.ts';

const PROBLEM = /^application\/problem\+json/;
const ATTEST =
  'Confirm that you have taken reasonable steps to ensure that the pupil is on roll at a school in your LEA';

describeEachEngine('API: Lost Pupils', (database) => {
  let t: TestApp;
  let db: Db;
  /** The LA the pupil arrives in, its school, and the LA and school the pupil left. */
  let findshire: LocalAuthorityRow;
  let arrival: EstablishmentRow;
  let leftshire: LocalAuthorityRow;
  let departure: EstablishmentRow;
  /** Findshire's LEA Lost Pupil and LEA Lost Pupil Transfer users; Leftshire's LEA Lost Pupil user. */
  let finder: string;
  let forwarder: string;
  let leftshireFinder: string;

  before(async () => {
    db = database().db;
    t = await createTestApp(db);
    findshire = await makeLa(db, { name: 'Findshire' });
    arrival = await makeSchool(db, findshire.number, { name: 'Arrival Primary School' });
    leftshire = await makeLa(db, { name: 'Leftshire' });
    departure = await makeSchool(db, leftshire.number, { name: 'Departure Primary School' });
    const token = async (role: 'la_lost_pupil' | 'la_lost_pupil_transfer', la: string) =>
      makeToken(db, await makeUser(db, role, { laNumber: la }), 'transfer', t.clock);
    finder = await token('la_lost_pupil', findshire.number);
    forwarder = await token('la_lost_pupil_transfer', findshire.number);
    leftshireFinder = await token('la_lost_pupil', leftshire.number);
  });
  after(async () => {
    await t.app.close();
  });

  const search = (token: string, json: unknown) =>
    api(t.app, { method: 'POST', url: '/api/v1/lost-pupils/search', token, json });

  async function audits(subject: string, action: string) {
    return db
      .selectFrom('audit_events')
      .selectAll()
      .where('subject_id', '=', subject)
      .where('action', '=', action)
      .execute();
  }

  test('an LA finds a pupil by a soundalike surname, attests, downloads, and marks it found', async () => {
    const content = '<?xml version="1.0"?><CTfile><Pupil>Thomson</Pupil></CTfile>\n';
    const made = await makeLostPupil(db, t.deps.files, {
      from: departure.number,
      content,
      pupil: { surname: 'Thomson', forename: 'Ffion', dateOfBirth: '2013-06-21', town: 'Stroud' },
    });

    const soundalike = await search(finder, { surname: 'Tomson', dobYear: 2013 });
    assert.equal(soundalike.statusCode, 200, soundalike.body);
    const found = soundalike.json();
    assert.deepEqual(
      found.items.map((r: { id: string }) => r.id),
      [made.id],
    );
    assert.equal(found.more, false);
    assert.equal(found.narrow, null);
    assert.equal(found.upnWarning, null);
    // A UPN whose check letter is wrong is searched for, and said not to be valid.
    const mistyped = (await search(finder, { upn: 'K916540219099' })).json();
    assert.match(mistyped.upnWarning, /^K916540219099 is not a valid UPN\. The check letter/);
    const [hit] = found.items;
    assert.equal(hit.surname, 'Thomson');
    assert.equal(hit.dateOfBirth, '2013-06-21');
    assert.deepEqual(hit.school, { number: departure.number, name: 'Departure Primary School' });
    assert.deepEqual(hit.la, { number: leftshire.number, name: `Leftshire (${leftshire.number})` });
    assert.equal(hit.status, 'lost');
    // "Surname begins" ticked is an exact start: no soundalikes.
    const begins = await search(finder, { surname: 'Tomson', surnameBegins: true, dobYear: '2013' });
    assert.deepEqual(begins.json().items, []);
    const start = await search(finder, { surname: 'thom', surnameBegins: true, town: 'Stroud' });
    assert.deepEqual(
      start.json().items.map((r: { id: string }) => r.id),
      [made.id],
    );

    const record = await api(t.app, { url: `/api/v1/lost-pupils/${made.id}`, token: finder });
    assert.equal(record.statusCode, 200, record.body);
    assert.equal(record.json().filename, made.transfer.filename);
    assert.equal(record.json().reasonText, 'Destination unknown (XXXXXXXX)');
    assert.equal(record.json().canDownload, true);
    assert.equal(record.json().canForward, false, 'the Lost Pupil role does not forward');

    const url = `/api/v1/lost-pupils/${made.id}`;
    // Found before any download: refused with the page's reason.
    const early = await api(t.app, { method: 'POST', url: `${url}/found`, token: finder });
    assert.equal(early.statusCode, 422);
    assert.match(early.json().detail, /You have not downloaded this file yet/);

    // No attestation, no file: the page's words, and nothing recorded.
    for (const json of [{}, { attest: false }]) {
      const refused = await api(t.app, { method: 'POST', url: `${url}/download`, token: finder, json });
      assert.equal(refused.statusCode, 422);
      assert.match(String(refused.headers['content-type']), PROBLEM);
      assert.deepEqual(refused.json().errors, [{ field: 'attest', message: ATTEST }]);
    }
    const notAttested = await api(t.app, {
      method: 'POST',
      url: `${url}/download`,
      token: finder,
      json: { attest: 'yes' },
    });
    assert.equal(notAttested.statusCode, 400, 'attest is a boolean');
    assert.deepEqual(await audits(made.id, 'lost-pupil-downloaded'), []);

    const download = await api(t.app, {
      method: 'POST',
      url: `${url}/download`,
      token: finder,
      json: { attest: true },
    });
    assert.equal(download.statusCode, 200, download.body);
    assert.equal(download.body, content, 'byte for byte');
    assert.equal(download.headers['content-type'], 'application/octet-stream');
    const sha = createHash('sha256').update(content).digest();
    assert.equal(download.headers['x-content-sha256'], sha.toString('hex'));
    assert.equal(download.headers['repr-digest'], `sha-256=:${sha.toString('base64')}:`);
    assert.match(String(download.headers['content-disposition']), new RegExp(made.transfer.filename));
    const [downloaded] = await audits(made.id, 'lost-pupil-downloaded');
    assert.ok(downloaded, 'the download is audited as the page audits it');
    assert.equal(downloaded.organisation, findshire.number);
    assert.equal(JSON.parse(String(downloaded.detail)).attested, true);
    assert.doesNotMatch(String(downloaded.detail), /Thomson|Ffion|2013-06-21/, 'no pupil details');

    const confirmed = await api(t.app, { method: 'POST', url: `${url}/found`, token: finder });
    assert.equal(confirmed.statusCode, 200, confirmed.body);
    assert.equal(confirmed.json().status, 'found');
    assert.equal(confirmed.json().found.la.number, findshire.number);
    assert.equal((await audits(made.id, 'lost-pupil-found')).length, 1);
    // Sent again (a retry): the record as found, and nothing more recorded.
    const retried = await api(t.app, { method: 'POST', url: `${url}/found`, token: finder });
    assert.equal(retried.statusCode, 200, retried.body);
    assert.equal(retried.json().status, 'found');
    assert.equal((await audits(made.id, 'lost-pupil-found')).length, 1);

    // The database is national: another LA's search finds the record, and who found it.
    const elsewhere = await search(leftshireFinder, { surname: 'Thomson', dobDay: '21', dobMonth: '6' });
    const seen = elsewhere.json().items.find((r: { id: string }) => r.id === made.id);
    assert.equal(seen.status, 'found');
    assert.equal(seen.found.la.number, findshire.number);
  });

  test("the search form's rules: 422 with the page's messages, named by the body's fields", async () => {
    const empty = await search(finder, {});
    assert.equal(empty.statusCode, 422);
    assert.match(String(empty.headers['content-type']), PROBLEM);
    assert.equal(empty.json().type, '/api/docs#problem-invalid');
    assert.deepEqual(empty.json().errors, [
      {
        field: 'upn',
        message:
          'Enter at least one of the UPN, surname, forename, town, date of birth or gender of the pupil you are looking for',
      },
    ]);
    const dates = await search(finder, { surname: 'Smith', dobDay: 31, dobMonth: 13, dobYear: 2015 });
    assert.equal(dates.statusCode, 422);
    assert.deepEqual(
      dates.json().errors.map((e: { field: string }) => e.field),
      ['dobMonth'],
    );
    assert.match(dates.json().detail, /The month of the date of birth must be a number from 1 to 12/);
    const year = await search(finder, { surname: 'Smith', dobYear: '15' });
    assert.deepEqual(year.json().errors, [
      { field: 'dobYear', message: 'The year of the date of birth must include 4 numbers' },
    ]);
    const february = await search(finder, { dobDay: 30, dobMonth: 2 });
    assert.deepEqual(february.json().errors, [
      { field: 'dobDay', message: 'The date of birth must be a real date: February has no day 30' },
    ]);
    const upn = await search(finder, { upn: 'A12345' });
    assert.equal(upn.statusCode, 422);
    assert.equal(upn.json().errors[0].field, 'upn');
    assert.match(upn.json().errors[0].message, /A UPN is 13 letters and digits/);
    const gender = await search(finder, { surname: 'Smith', gender: 'X' });
    assert.deepEqual(gender.json().errors, [
      { field: 'gender', message: 'Select Female or Male as the gender, or Any' },
    ]);
    // A misspelt field is not silently ignored.
    const misspelt = await search(finder, { surnam: 'Smith' });
    assert.equal(misspelt.statusCode, 400);
    assert.equal(misspelt.json().type, '/api/docs#problem-bad-request');
  });

  test('only the Lost Pupil roles search; a removed record is not found; a read token cannot download', async () => {
    const made = await makeLostPupil(db, t.deps.files, { from: departure.number });
    const laUser = await makeToken(
      db,
      await makeUser(db, 'la_user', { laNumber: findshire.number }),
      'transfer',
      t.clock,
    );
    const school = await makeToken(
      db,
      await makeUser(db, 'school', { laNumber: findshire.number, establishmentNumber: arrival.number }),
      'transfer',
      t.clock,
    );
    for (const token of [laUser, school]) {
      const refused = await search(token, { surname: 'Smith' });
      assert.equal(refused.statusCode, 403);
      assert.equal(refused.json().type, '/api/docs#problem-forbidden');
      const record = await api(t.app, { url: `/api/v1/lost-pupils/${made.id}`, token });
      assert.equal(record.statusCode, 403);
    }

    const reader = await makeToken(
      db,
      await makeUser(db, 'la_lost_pupil', { laNumber: findshire.number }),
      'read',
      t.clock,
    );
    const read = await api(t.app, { url: `/api/v1/lost-pupils/${made.id}`, token: reader });
    assert.equal(read.statusCode, 200);
    const small = await api(t.app, {
      method: 'POST',
      url: `/api/v1/lost-pupils/${made.id}/download`,
      token: reader,
      json: { attest: true },
    });
    assert.equal(small.statusCode, 403);
    assert.equal(small.json().type, '/api/docs#problem-insufficient-scope');

    await db.updateTable('lost_pupils').set({ status: 'removed' }).where('id', '=', made.id).execute();
    for (const [method, path, json] of [
      ['GET', '', undefined],
      ['POST', '/download', { attest: true }],
      ['POST', '/found', undefined],
    ] as const) {
      const gone = await api(t.app, {
        method,
        url: `/api/v1/lost-pupils/${made.id}${path}`,
        token: finder,
        json,
      });
      assert.equal(gone.statusCode, 404, `${method} ${path}`);
      assert.match(String(gone.headers['content-type']), PROBLEM);
      assert.equal(gone.json().type, '/api/docs#problem-not-found');
    }
    const missing = await api(t.app, { url: '/api/v1/lost-pupils/not-a-record', token: finder });
    assert.equal(missing.statusCode, 404);
  });

  test('the transfer role forwards a record to a school of its LA, which then finds the file', async () => {
    const made = await makeLostPupil(db, t.deps.files, { from: departure.number });
    const url = `/api/v1/lost-pupils/${made.id}/forward`;
    const nothing = await api(t.app, { method: 'POST', url, token: forwarder, json: { school: '' } });
    assert.equal(nothing.statusCode, 422);
    assert.deepEqual(
      nothing.json().errors.map((e: { field: string }) => e.field),
      ['school', 'attest'],
    );
    const notOurs = await api(t.app, {
      method: 'POST',
      url,
      token: forwarder,
      json: { school: departure.number, attest: true },
    });
    assert.equal(notOurs.statusCode, 422);
    assert.equal(notOurs.json().errors[0].field, 'school');
    const byFinder = await api(t.app, {
      method: 'POST',
      url,
      token: finder,
      json: { school: arrival.number, attest: true },
    });
    assert.equal(byFinder.statusCode, 403, 'the Lost Pupil role does not forward');

    const forwarded = await api(t.app, {
      method: 'POST',
      url,
      token: forwarder,
      json: { school: arrival.number, attest: true },
    });
    assert.equal(forwarded.statusCode, 201, forwarded.body);
    // Sent in the LA's name, as the handbook's renamed file is (LA notes §4.2).
    const newName = made.transfer.filename
      .replace(departure.number, `${findshire.number}LLLL`)
      .replace('XXXXXXXX', arrival.number);
    assert.equal(forwarded.json().forwarded.filename, newName);
    assert.deepEqual(forwarded.json().forwarded.destination, {
      name: 'Arrival Primary School',
      code: arrival.number,
    });
    assert.equal(forwarded.json().record.status, 'found');
    // Another LA's record: its file stays for that LA to remove (decision 36), and says where it went.
    assert.equal(forwarded.json().record.file.state, 'forwarded-kept');
    assert.deepEqual(forwarded.json().record.forwarded.school, {
      number: arrival.number,
      name: 'Arrival Primary School',
    });
    assert.equal(forwarded.json().record.forwarded.la.number, findshire.number);
    // Sent again by the same token (a retry, its answer lost): the first's answer, nothing done again.
    const again = await api(t.app, {
      method: 'POST',
      url,
      token: forwarder,
      json: { school: arrival.number, attest: true },
    });
    assert.equal(again.statusCode, 200, again.body);
    assert.deepEqual(again.json(), forwarded.json());
    // Another user's forward of a record forwarded already is refused.
    const byColleague = await api(t.app, {
      method: 'POST',
      url,
      token: await makeToken(
        db,
        await makeUser(db, 'la_lost_pupil_transfer', { laNumber: findshire.number }),
        'transfer',
        t.clock,
      ),
      json: { school: arrival.number, attest: true },
    });
    assert.equal(byColleague.statusCode, 422, byColleague.body);
    assert.match(byColleague.json().detail, /already been forwarded/);
    const copies = await db
      .selectFrom('transfers')
      .select('id')
      .where('forwarded_from', '=', made.transfer.id)
      .execute();
    assert.equal(copies.length, 1, 'one copy');
    assert.equal((await audits(made.id, 'lost-pupil-found')).length, 1, 'found once');

    const schoolToken = await makeToken(
      db,
      await makeUser(db, 'school', { laNumber: findshire.number, establishmentNumber: arrival.number }),
      'read',
      t.clock,
    );
    const incoming = await api(t.app, { url: '/api/v1/files/incoming', token: schoolToken });
    const file = incoming.json().items.find((f: { filename: string }) => f.filename === newName);
    assert.ok(file, 'the school finds the forwarded file');
    assert.equal(
      file.source.code,
      `${findshire.number}LLLL`,
      'sent by the LA, not the school the pupil left',
    );

    // The school rejects it: the record is lost again, says so, and can be forwarded again.
    const schoolWriter = await makeToken(
      db,
      await makeUser(db, 'school', { laNumber: findshire.number, establishmentNumber: arrival.number }),
      'transfer',
      t.clock,
    );
    const rejected = await api(t.app, {
      method: 'POST',
      url: `/api/v1/files/${file.id}/reject`,
      token: schoolWriter,
      json: { reason: 'No such pupil here' },
    });
    assert.ok(rejected.statusCode < 300, rejected.body);
    const lost = await api(t.app, { url: `/api/v1/lost-pupils/${made.id}`, token: forwarder });
    assert.deepEqual(
      [lost.json().status, lost.json().found, lost.json().file.state, lost.json().canForward],
      ['lost', null, 'available', true],
    );
    assert.deepEqual(
      [lost.json().forwarded.state, lost.json().forwarded.rejectedAt],
      ['rejected', t.clock.now().toISOString()],
    );
    assert.equal((await audits(made.id, 'lost-pupil-lost-again')).length, 1);
  });

  test('a record past leaving age whose forwarded file waits at the school is not removed until the school answers', async () => {
    const made = await makeLostPupil(db, t.deps.files, {
      from: departure.number,
      pupil: { surname: 'Waites', dateOfBirth: '2009-02-01' },
    });
    const forwarded = await api(t.app, {
      method: 'POST',
      url: `/api/v1/lost-pupils/${made.id}/forward`,
      token: forwarder,
      json: { school: arrival.number, attest: true },
    });
    assert.equal(forwarded.statusCode, 201, forwarded.body);
    const listed = async () =>
      (await api(t.app, { url: '/api/v1/lost-pupils/past-leaving-age', token: leftshireFinder }))
        .json()
        .items.find((r: { id: string }) => r.id === made.id);
    assert.deepEqual([(await listed()).forwarded.state, (await listed()).copyWaiting], ['waiting', true]);
    const remove = () =>
      api(t.app, {
        method: 'POST',
        url: '/api/v1/lost-pupils/past-leaving-age/remove',
        token: leftshireFinder,
        json: { records: [made.id], reason: 'past-leaving-age' },
      });
    const refused = await remove();
    assert.equal(refused.statusCode, 422, refused.body);
    assert.match(
      refused.json().errors[0].message,
      /cannot be removed yet: its file was forwarded to Arrival Primary School \(\d{7}\) on .*, and the school has not collected it/,
    );
    assert.deepEqual(await audits(made.id, 'lost-pupil-removed'), []);

    // The school rejects it: the pupil is lost again, and the record, past leaving age, is removed.
    const schoolWriter = await makeToken(
      db,
      await makeUser(db, 'school', { laNumber: findshire.number, establishmentNumber: arrival.number }),
      'transfer',
      t.clock,
    );
    const rejected = await api(t.app, {
      method: 'POST',
      url: `/api/v1/files/${forwarded.json().forwarded.id}/reject`,
      token: schoolWriter,
      json: { reason: 'No such pupil here' },
    });
    assert.ok(rejected.statusCode < 300, rejected.body);
    assert.deepEqual([(await listed()).found, (await listed()).copyWaiting], [false, false]);
    const removed = await remove();
    assert.equal(removed.statusCode, 200, removed.body);
    assert.equal((await audits(made.id, 'lost-pupil-removed')).length, 1);
  });

  test('an LA follows up its matches and removes its records past leaving age; another LA cannot', async () => {
    // Leftshire's school sent the pupil to the database; the pupil turns up at Findshire's school.
    const { recordId, matchId, seenIn } = await makeMatch(db, t.deps.files, {
      from: departure.number,
      seenAt: arrival.number,
      seenAtLa: findshire.number,
      surname: 'Wren',
    });
    const list = await api(t.app, { url: '/api/v1/lost-pupils/matches', token: leftshireFinder });
    assert.equal(list.statusCode, 200, list.body);
    const match = list.json().items.find((m: { id: string }) => m.id === matchId);
    assert.equal(match.pupil.lostPupilId, recordId);
    assert.equal(match.pupil.surname, 'Wren');
    assert.equal(match.seenInFilename, seenIn);
    assert.equal(match.matchedOn, 'upn');
    // The pupil as the new file gives them (decision 71): here, the UPN alone.
    assert.deepEqual(match.seenPupil, {
      upn: match.pupil.upn,
      formerUpn: null,
      surname: null,
      forename: null,
      dateOfBirth: null,
    });
    const theirs = await api(t.app, { url: '/api/v1/lost-pupils/matches', token: finder });
    assert.ok(!theirs.json().items.some((m: { id: string }) => m.id === matchId), 'only the LA’s own');
    // A page at a time, as every list of the API: the last case alone on the last page of one each, and
    // nothing one past the end.
    const all = list.json();
    const pageOf = async (page: number) =>
      (
        await api(t.app, {
          url: `/api/v1/lost-pupils/matches?pageSize=1&page=${page}`,
          token: leftshireFinder,
        })
      ).json();
    const last = await pageOf(all.total);
    assert.deepEqual(
      { ...last, items: last.items.map((m: { id: string }) => m.id) },
      { items: [all.items.at(-1).id], page: all.total, pageSize: 1, total: all.total, totalPages: all.total },
    );
    const past = await pageOf(all.total + 1);
    assert.deepEqual([past.items, past.total], [[], all.total]);

    const close = (token: string, json: unknown) =>
      api(t.app, { method: 'POST', url: `/api/v1/lost-pupils/matches/${matchId}/close`, token, json });
    assert.equal((await close(finder, { outcome: 'found' })).statusCode, 404, "another LA's case");
    const noOutcome = await close(leftshireFinder, {});
    assert.equal(noOutcome.statusCode, 422);
    assert.deepEqual(noOutcome.json().errors, [
      { field: 'outcome', message: 'Choose whether it is the same pupil' },
    ]);
    const closed = await close(leftshireFinder, { outcome: 'found' });
    assert.equal(closed.statusCode, 200, closed.body);
    assert.equal(closed.json().outcome, 'found');
    assert.equal((await audits(recordId, 'lost-pupil-match-closed')).length, 1);
    const record = await api(t.app, { url: `/api/v1/lost-pupils/${recordId}`, token: finder });
    assert.equal(record.json().status, 'found');
    // Sent again (a retry): answered as it was closed, and nothing more recorded.
    const again = await close(leftshireFinder, { outcome: 'found' });
    assert.equal(again.statusCode, 200, 'closed already');
    assert.equal(again.json().outcome, 'found');
    assert.equal((await audits(recordId, 'lost-pupil-match-closed')).length, 1);

    // A pupil of Leftshire's school who left school in June 2025.
    const due = await makeLostPupil(db, t.deps.files, {
      from: departure.number,
      pupil: { surname: 'Oldham', dateOfBirth: '2009-02-01' },
    });
    const review = await api(t.app, { url: '/api/v1/lost-pupils/past-leaving-age', token: leftshireFinder });
    assert.equal(review.statusCode, 200, review.body);
    const listed = review.json().items.find((r: { id: string }) => r.id === due.id);
    assert.equal(listed.leavesSchoolOn, '2025-06-27');
    assert.equal(listed.school.code, departure.number);
    const notTheirs = await api(t.app, { url: '/api/v1/lost-pupils/past-leaving-age', token: finder });
    assert.ok(!notTheirs.json().items.some((r: { id: string }) => r.id === due.id));

    const remove = (token: string, json: unknown) =>
      api(t.app, { method: 'POST', url: '/api/v1/lost-pupils/past-leaving-age/remove', token, json });
    assert.equal((await remove(finder, { records: [due.id], reason: 'past-leaving-age' })).statusCode, 404);
    const noReason = await remove(leftshireFinder, { records: [due.id] });
    assert.equal(noReason.statusCode, 422);
    assert.deepEqual(noReason.json().errors, [
      { field: 'reason', message: 'Select why the records are being removed' },
    ]);
    const removed = await remove(leftshireFinder, { records: [due.id], reason: 'past-leaving-age' });
    assert.equal(removed.statusCode, 200, removed.body);
    assert.deepEqual(
      removed.json().removed.map((r: { id: string }) => r.id),
      [due.id],
    );
    assert.equal((await audits(due.id, 'lost-pupil-removed')).length, 1);
    const gone = await api(t.app, { url: `/api/v1/lost-pupils/${due.id}`, token: finder });
    assert.equal(gone.statusCode, 404);

    // Removed already, by this user (a request sent again) or a colleague, among others still to remove:
    // those are removed, and the answer says which were removed already, and by whom.
    const also = await makeLostPupil(db, t.deps.files, {
      from: departure.number,
      pupil: { surname: 'Oldfield', dateOfBirth: '2009-02-01' },
    });
    const byColleague = await makeLostPupil(db, t.deps.files, {
      from: departure.number,
      pupil: { surname: 'Oldcastle', dateOfBirth: '2009-02-01' },
    });
    const colleagueUser = await makeUser(db, 'la_lost_pupil', { laNumber: leftshire.number });
    const colleagueToken = await makeToken(db, colleagueUser, 'transfer', t.clock);
    const removedByColleague = await remove(colleagueToken, {
      records: [byColleague.id],
      reason: 'past-leaving-age',
    });
    assert.equal(removedByColleague.statusCode, 200, removedByColleague.body);
    const mixed = await remove(leftshireFinder, {
      records: [due.id, byColleague.id, also.id],
      reason: 'past-leaving-age',
    });
    assert.equal(mixed.statusCode, 200, mixed.body);
    assert.deepEqual(
      [
        mixed.json().removed.map((r: { id: string }) => r.id),
        mixed.json().leftAlone,
        mixed
          .json()
          .removedAlready.map((r: { id: string; removedBy: string; colleague: string | null }) => [
            r.id,
            r.removedBy,
            r.colleague,
          ]),
      ],
      [
        [also.id],
        [],
        [
          [due.id, 'you', null],
          [byColleague.id, 'colleague', `${colleagueUser.full_name} (${colleagueUser.username})`],
        ],
      ],
    );
    assert.equal((await audits(byColleague.id, 'lost-pupil-removed')).length, 1);
  });
});
