// Census returns through the API, on both engines: a school's MIS lists its collections, uploads its
// return and reads back its errors and queries (as its page shows them), replaces it with the replace
// confirmation, explains the query and submits it; a bad file is refused with the page's reasons and what
// to do; its LA sees the submitted return, and no one else does (404); an upload at the same moment as a
// user's on the page is loaded after it or told why not; an LA loads one return for its school as each
// file of a zip is loaded.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, test } from 'node:test';
import type { LightMyRequestResponse } from 'fastify';
import { RETURN_SIZE_LIMIT } from '../../src/collect/returns-service.ts';
import type { Db, EstablishmentRow, LocalAuthorityRow, UserRow } from '../../src/platform/db/schema.ts';
import { censusFilename, censusReturnXml, liveCollection } from '../support/census.ts';
import { describeEachEngine } from '../support/databases.ts';
import { makeLa, makeSchool, makeUser } from '../support/factories.ts';
import { meetingPuts } from '../support/transfers.ts';
import { type Agent, createTestApp, signedInUser, type TestApp, textOf } from '../support/web.ts';
import { uploadReturn } from './census-support.ts';
import { api, makeToken } from './support.ts';

const PROBLEM = /^application\/problem\+json/;

describeEachEngine('API census returns', (database) => {
  let t: TestApp;
  let db: Db;
  let la: LocalAuthorityRow;
  let otherLa: LocalAuthorityRow;
  let school: EstablishmentRow;
  let neighbour: EstablishmentRow;
  let stranger: EstablishmentRow;
  let schoolUser: { agent: Agent; user: UserRow };
  let schoolToken: string;
  let laToken: string;
  let neighbourToken: string;
  let strangerToken: string;

  before(async () => {
    db = database().db;
    t = await createTestApp(db);
    la = await makeLa(db);
    otherLa = await makeLa(db);
    school = await makeSchool(db, la.number, { name: 'Brook Lane Primary' });
    neighbour = await makeSchool(db, la.number, { name: 'Hill Top Primary' });
    stranger = await makeSchool(db, otherLa.number);
    schoolUser = await signedInUser(t, 'school', { laNumber: la.number, establishmentNumber: school.number });
    schoolToken = await makeToken(db, schoolUser.user, 'transfer', t.clock);
    const laUser = await makeUser(db, 'la_user', { laNumber: la.number });
    laToken = await makeToken(db, laUser, 'transfer', t.clock);
    const neighbourUser = await makeUser(db, 'school', {
      laNumber: la.number,
      establishmentNumber: neighbour.number,
    });
    neighbourToken = await makeToken(db, neighbourUser, 'transfer', t.clock);
    const strangerUser = await makeUser(db, 'school', {
      laNumber: otherLa.number,
      establishmentNumber: stranger.number,
    });
    strangerToken = await makeToken(db, strangerUser, 'transfer', t.clock);
  });
  after(async () => {
    await t.app.close();
  });

  const get = (url: string, token: string) => api(t.app, { url, token });
  const post = (url: string, token: string, json: unknown) =>
    api(t.app, { method: 'POST', url, token, json });
  const auditOf = (subject: string) =>
    db
      .selectFrom('audit_events')
      .select(['action', 'detail'])
      .where('subject_id', '=', subject)
      .orderBy('occurred_at')
      .execute();

  test('a school uploads its return, reads its errors and queries, replaces it, explains the query and submits it', async () => {
    const collectionId = await liveCollection(db, schoolUser.user, [la.number]);

    const list = await get('/api/v1/census/collections', schoolToken);
    assert.equal(list.statusCode, 200, list.body);
    const listed = list.json().items.find((c: { id: string }) => c.id === collectionId);
    assert.deepEqual(
      {
        role: listed.role,
        organisation: listed.organisation,
        status: listed.status,
        daysDue: listed.daysDue,
      },
      { role: 'Source', organisation: 'Brook Lane Primary', status: 'Live', daysDue: 25 },
    );
    assert.equal(list.json().pageSize, 20);

    const first = await uploadReturn(t.app, schoolToken, collectionId, [
      {
        filename: censusFilename(school.number),
        content: censusReturnXml({ school: school.number, year: 2026, withError: true, withQuery: true }),
      },
    ]);
    assert.equal(first.statusCode, 201, first.body);
    const loaded = first.json();
    assert.deepEqual(
      { status: loaded.status, version: loaded.version, errors: loaded.errors, queries: loaded.queries },
      { status: 'loaded', version: 1, errors: 1, queries: 1 },
    );
    assert.equal(loaded.pupils, 13);
    assert.equal(first.headers.location, `/api/v1/census/returns/${loaded.returnId}`);

    // The validation result: each error and query with its rule, message, what to do and pupils.
    const result = await get(`/api/v1/census/returns/${loaded.returnId}`, schoolToken);
    assert.equal(result.statusCode, 200, result.body);
    const body = result.json();
    assert.equal(body.status, 'loaded');
    assert.equal(body.current, true);
    assert.deepEqual([body.onRoll, body.noLongerOnRoll], [11, 2]);
    assert.equal(body.errors.length, 1);
    const [error] = body.errors;
    assert.equal(error.rule, '1580');
    assert.match(error.message, /surname is missing/);
    assert.ok(error.whatToDo.length > 0);
    assert.deepEqual(error.pupils[0], {
      upn: 'Q916201119004',
      name: '(no surname), Amira',
      onRoll: true,
      position: 1,
    });
    assert.equal(body.queries.length, 1);
    assert.equal(body.queries[0].rule, '1700Q');
    assert.equal(body.queries[0].pupils.length, 2);
    assert.equal(body.queries[0].answer, null);
    assert.equal(body.unexplainedQueries, 1);
    // What the return's page shows, finding by finding.
    const page = await schoolUser.agent.get(`/collect/returns/${loaded.returnId}`);
    assert.equal(page.statusCode, 200);
    for (const finding of [...body.errors, ...body.queries]) {
      assert.ok(
        page.body.includes(`Rule ${finding.rule}: ${finding.message}`),
        `rule ${finding.rule} on the page`,
      );
    }

    // Submitting with the error, the query unexplained and no approval: every reason, as on the page.
    const early = await post(`/api/v1/census/returns/${loaded.returnId}/submit`, schoolToken, {});
    assert.equal(early.statusCode, 422);
    assert.match(String(early.headers['content-type']), PROBLEM);
    assert.deepEqual(
      early.json().errors.map((e: { field: string }) => e.field),
      ['errors', 'queries', 'headteacherApproved'],
    );
    assert.match(
      early.json().detail,
      /The return has 1 error: correct them in your MIS and upload the return again/,
    );

    // A second file needs the replace confirmation, as the page's tick box.
    t.clock.advanceMinutes(5);
    const fixed = censusReturnXml({ school: school.number, year: 2026, withQuery: true });
    const secondName = censusFilename(school.number, 2026, 2);
    const unconfirmed = await uploadReturn(t.app, schoolToken, collectionId, [
      { filename: secondName, content: fixed },
    ]);
    assert.equal(unconfirmed.statusCode, 422);
    assert.equal(unconfirmed.json().type, '/api/docs#problem-upload-refused');
    assert.match(unconfirmed.json().reasons[0], /already has a return in .* \(version 1, loaded\)/);
    assert.match(unconfirmed.json().whatToDo, /To replace it, confirm that the new file replaces it/);
    assert.match(unconfirmed.json().detail, /^The return was not loaded\. .*already has a return/);
    const second = await uploadReturn(
      t.app,
      schoolToken,
      collectionId,
      [{ filename: secondName, content: fixed }],
      '?replace=true',
    );
    assert.equal(second.statusCode, 201, second.body);
    assert.deepEqual(
      [second.json().version, second.json().replacedVersion, second.json().errors, second.json().queries],
      [2, 1, 0, 1],
    );
    const secondId = second.json().returnId;
    t.clock.advanceMinutes(5);

    // The query: an empty explanation is refused with the page's message, then saved.
    const view = (await get(`/api/v1/census/returns/${secondId}`, schoolToken)).json();
    const queryId = view.queries[0].id;
    const answerUrl = `/api/v1/census/returns/${secondId}/queries/${queryId}/answer`;
    const empty = await post(answerUrl, schoolToken, { answer: '  ' });
    assert.equal(empty.statusCode, 422);
    assert.deepEqual(empty.json().errors, [
      { field: 'answer', message: 'Enter your explanation of the query' },
    ]);
    const answered = await post(answerUrl, schoolToken, { answer: 'Two families declined.' });
    assert.equal(answered.statusCode, 200, answered.body);
    assert.equal(answered.json().queries[0].answer, 'Two families declined.');
    assert.equal(answered.json().unexplainedQueries, 0);
    // Sent again (a retry after a lost answer): the same answer, and nothing recorded twice (below).
    const answeredAgain = await post(answerUrl, schoolToken, { answer: 'Two families declined.' });
    assert.equal(answeredAgain.statusCode, 200, answeredAgain.body);
    assert.equal(answeredAgain.json().queries[0].answer, 'Two families declined.');
    t.clock.advanceMinutes(5);
    const noSuchQuery = await post(
      `/api/v1/census/returns/${secondId}/queries/${loaded.returnId}/answer`,
      schoolToken,
      { answer: 'x' },
    );
    assert.equal(noSuchQuery.statusCode, 404);

    const unapproved = await post(`/api/v1/census/returns/${secondId}/submit`, schoolToken, {
      headteacherApproved: false,
    });
    assert.equal(unapproved.statusCode, 422);
    assert.deepEqual(unapproved.json().errors, [
      { field: 'headteacherApproved', message: 'Confirm that your headteacher has approved the return' },
    ]);
    const submitted = await post(`/api/v1/census/returns/${secondId}/submit`, schoolToken, {
      headteacherApproved: true,
    });
    assert.equal(submitted.statusCode, 200, submitted.body);
    assert.equal(submitted.json().status, 'submitted');
    assert.ok(submitted.json().submittedAt);
    assert.equal(submitted.json().canSubmit, false);
    // Sent again (a retry after a lost answer): the submitted return, not a refusal; submitted once.
    const submittedAgain = await post(`/api/v1/census/returns/${secondId}/submit`, schoolToken, {
      headteacherApproved: true,
    });
    assert.equal(submittedAgain.statusCode, 200, submittedAgain.body);
    assert.equal(submittedAgain.json().status, 'submitted');
    assert.deepEqual(
      submittedAgain
        .json()
        .history.map((h: { version: number; action: string }) => `${h.version} ${h.action}`),
      ['1 loaded', '2 loaded', '2 query-answered', '2 submitted'],
    );

    // The collection lists both versions; each step was audited as the pages audit it, and the LA emailed.
    const collection = await get(`/api/v1/census/collections/${collectionId}`, schoolToken);
    assert.equal(collection.statusCode, 200);
    assert.deepEqual(
      collection.json().returns.map((r: { version: number; status: string }) => `${r.version} ${r.status}`),
      ['2 submitted', '1 replaced'],
    );
    assert.deepEqual(
      (await auditOf(secondId)).map((a) => a.action),
      ['census-return-loaded', 'census-query-answered', 'census-return-submitted'],
    );
    const outbox = await db
      .selectFrom('notification_outbox')
      .select(['template', 'recipient'])
      .where('template', '=', 'census-return-submitted')
      .where('recipient', '=', la.number)
      .execute();
    assert.equal(outbox.length, 1);

    // Its LA opens it; the replaced first version, never submitted, stays closed to the LA.
    const atLa = await get(`/api/v1/census/returns/${secondId}`, laToken);
    assert.equal(atLa.statusCode, 200);
    assert.equal(atLa.json().queries[0].answer, 'Two families declined.');
    assert.equal((await get(`/api/v1/census/returns/${loaded.returnId}`, laToken)).statusCode, 404);
    const dashboard = (await get(`/api/v1/census/collections/${collectionId}`, laToken)).json();
    assert.equal(dashboard.role, 'Agent');
    const rows = Object.fromEntries(
      dashboard.schools.map((s: { number: string; status: string; returnId: string | null }) => [
        s.number,
        `${s.status} ${s.returnId}`,
      ]),
    );
    assert.equal(rows[school.number], `submitted ${secondId}`);
    assert.equal(rows[neighbour.number], 'not-loaded null');

    // Another school of the LA, and a school of another LA: not found, as on the pages.
    for (const token of [neighbourToken, strangerToken]) {
      for (const url of [`/api/v1/census/returns/${secondId}`, `/api/v1/census/returns/${loaded.returnId}`]) {
        const response = await get(url, token);
        assert.equal(response.statusCode, 404, url);
        assert.match(String(response.headers['content-type']), PROBLEM);
      }
      const submitOther = await post(`/api/v1/census/returns/${secondId}/submit`, token, {
        headteacherApproved: true,
      });
      assert.equal(submitOther.statusCode, 404);
    }
    const strangers = await get('/api/v1/census/collections', strangerToken);
    assert.ok(!strangers.json().items.some((c: { id: string }) => c.id === collectionId));
    assert.equal((await get(`/api/v1/census/collections/${collectionId}`, strangerToken)).statusCode, 404);
    const strangerUpload = await uploadReturn(t.app, strangerToken, collectionId, [
      {
        filename: censusFilename(stranger.number),
        content: censusReturnXml({ school: stranger.number, year: 2026 }),
      },
    ]);
    assert.equal(strangerUpload.statusCode, 404);
  });

  test('a bad file is refused with the page’s reasons and what to do, and audited without its content', async () => {
    const collectionId = await liveCollection(db, schoolUser.user, [la.number]);
    const refusal = async (filename: string, content: string) => {
      const response = await uploadReturn(t.app, schoolToken, collectionId, [{ filename, content }]);
      assert.equal(response.statusCode, 422, response.body);
      assert.match(String(response.headers['content-type']), PROBLEM);
      const problem = response.json();
      assert.equal(problem.type, '/api/docs#problem-upload-refused');
      assert.equal(problem.filename, filename);
      assert.deepEqual(
        problem.errors,
        problem.reasons.map((message: string) => ({ field: 'file', message })),
      );
      return problem;
    };
    const notXml = await refusal('pupils.csv', 'UPN,Surname\n');
    assert.deepEqual(notXml.reasons, [
      'pupils.csv is not an XML file: COLLECT accepts census returns in XML only.',
    ]);
    assert.match(notXml.whatToDo, /Upload the census return your MIS made for this collection/);
    // The same file through the page: the same reason.
    await schoolUser.agent.get(`/collect/collections/${collectionId}/upload`);
    const onPage = await schoolUser.agent.postMultipart(`/collect/collections/${collectionId}/upload`, [
      { filename: 'pupils.csv', content: 'UPN,Surname\n', field: 'file' },
    ]);
    assert.equal(onPage.statusCode, 400);
    assert.ok(onPage.body.includes(notXml.reasons[0]));

    const neighbours = await refusal(
      censusFilename(neighbour.number),
      censusReturnXml({ school: neighbour.number, year: 2026 }),
    );
    assert.match(neighbours.reasons[0], new RegExp(`The file is for school ${neighbour.number}, not yours`));
    const unreadable = await refusal(censusFilename(school.number), '<x/>');
    assert.match(unreadable.reasons[0], /could not be read as a census return/);
    assert.match(unreadable.whatToDo, /Make the return again in your MIS/);
    const spring = await refusal(
      censusFilename(school.number, 2026, 1, 'SC1'),
      censusReturnXml({ school: school.number, year: 2026, term: 'SPR' }),
    );
    assert.match(spring.reasons[0], /^The file is for the spring census \(SC1\); .* is the autumn census\.$/);
    const lateDay = await refusal(
      censusFilename(school.number),
      censusReturnXml({ school: school.number, year: 2026, referenceDate: '2026-11-27' }),
    );
    assert.match(lateDay.reasons[0], /census day is 27 November 2026, the collection’s 1 October 2026/);
    assert.match(lateDay.whatToDo, /^Produce the return again in your MIS for this collection’s census day/);

    const refused = await db
      .selectFrom('audit_events')
      .select('detail')
      .where('action', '=', 'census-return-refused')
      .where('actor_username', '=', schoolUser.user.username)
      .execute();
    assert.ok(refused.length >= 6);
    for (const row of refused) assert.doesNotMatch(row.detail ?? '', /Amira|Q916201119004/);

    // No file at all, and a body that is not multipart.
    const none = await uploadReturn(t.app, schoolToken, collectionId, [
      { filename: censusFilename(school.number), content: 'x', field: 'other' },
    ]);
    assert.equal(none.statusCode, 422);
    assert.deepEqual(none.json().errors, [{ field: 'file', message: 'Select the census return to upload' }]);
    assert.match(none.json().warning, /not read/);
    const json = await post(`/api/v1/census/collections/${collectionId}/returns`, schoolToken, {});
    assert.equal(json.statusCode, 415);
    assert.match(String(json.headers['content-type']), PROBLEM);
    assert.equal(
      json.json().detail,
      'Send the census return as multipart/form-data, in a part named "file".',
    );
    // A read-only token cannot upload.
    const reader = await makeToken(db, schoolUser.user, 'read', t.clock);
    const readOnly = await uploadReturn(t.app, reader, collectionId, [{ filename: 'x.XML', content: 'x' }]);
    assert.equal(readOnly.statusCode, 403);
    assert.equal(readOnly.json().type, '/api/docs#problem-insufficient-scope');
  });

  test('replace sent as a text part rather than in the query string: the answer says it was not read and where it goes', async () => {
    const collectionId = await liveCollection(db, schoolUser.user, [la.number]);
    const boundary = 'censusTextPart';
    const body = (filename: string, textFirst: boolean) => {
      const text = Buffer.from(
        `--${boundary}\r\nContent-Disposition: form-data; name="replace"\r\n\r\ntrue\r\n`,
      );
      const file = Buffer.from(
        `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${filename}"\r\nContent-Type: application/xml\r\n\r\n${censusReturnXml({ school: school.number, year: 2026 })}\r\n`,
      );
      return Buffer.concat([
        ...(textFirst ? [text, file] : [file, text]),
        Buffer.from(`--${boundary}--\r\n`),
      ]);
    };
    const upload = (filename: string, textFirst: boolean) =>
      t.app.inject({
        method: 'POST',
        url: `/api/v1/census/collections/${collectionId}/returns`,
        headers: {
          authorization: `Bearer ${schoolToken}`,
          'content-type': `multipart/form-data; boundary=${boundary}`,
        },
        payload: body(filename, textFirst),
      });
    const notRead =
      'The body’s text part "replace" was not read: the body holds only the census return. Give replace in the query string instead (?replace=true).';

    // The first return needs no confirmation: it is loaded, and the answer says the part was not read.
    const first = await upload(censusFilename(school.number), false);
    assert.equal(first.statusCode, 201, first.body);
    assert.equal(first.json().warning, notRead);
    // The second is refused, as replace=true was not given: the answer says why it was not taken.
    const second = await upload(censusFilename(school.number, 2026, 2), true);
    assert.equal(second.statusCode, 422, second.body);
    assert.match(second.json().reasons[0], /already has a return/);
    assert.equal(second.json().warning, notRead);
    const versions = await db
      .selectFrom('census_returns')
      .select('version')
      .where('collection_id', '=', collectionId)
      .execute();
    assert.deepEqual(
      versions.map((v) => v.version),
      [1],
    );
  });

  test('an upload sent again with its Idempotency-Key (a retry) is loaded once, and the retry answers the version loaded', async () => {
    const collectionId = await liveCollection(db, schoolUser.user, [la.number], { name: 'Autumn retried' });
    const files = [
      {
        filename: censusFilename(school.number),
        content: censusReturnXml({ school: school.number, year: 2026 }),
      },
    ];
    const key = { 'idempotency-key': randomUUID() };
    const first = await uploadReturn(t.app, schoolToken, collectionId, files, '?replace=true', key);
    assert.equal(first.statusCode, 201, first.body);
    const again = await uploadReturn(t.app, schoolToken, collectionId, files, '?replace=true', key);
    assert.equal(again.statusCode, 200, again.body);
    assert.equal(again.json().already, true);
    assert.equal(again.json().returnId, first.json().returnId);
    assert.equal(again.headers.location, first.headers.location);
    const withoutReplace = await uploadReturn(t.app, schoolToken, collectionId, files, '', key);
    assert.equal(
      withoutReplace.statusCode,
      200,
      'a retry without replace=true: the same answer, not a refusal',
    );
    const versions = await db
      .selectFrom('census_returns')
      .select('version')
      .where('collection_id', '=', collectionId)
      .execute();
    assert.equal(versions.length, 1);
    const badKey = await uploadReturn(t.app, schoolToken, collectionId, files, '?replace=true', {
      'idempotency-key': 'upload-1',
    });
    assert.equal(badKey.statusCode, 400, badKey.body);
    assert.match(badKey.json().detail, /Idempotency-Key must be a UUID/);
  });

  test('a refused upload sent again with its Idempotency-Key is refused again, saying why, and audited once', async () => {
    const collectionId = await liveCollection(db, schoolUser.user, [la.number], { name: 'Autumn refused' });
    const file = { filename: censusFilename(school.number), content: '<x/>' };
    const files = [file];
    const refusals = async () =>
      (
        await db
          .selectFrom('audit_events')
          .select('detail')
          .where('action', '=', 'census-return-refused')
          .where('actor_user_id', '=', schoolUser.user.id)
          .execute()
      ).filter((row) => (row.detail ?? '').includes('Autumn refused')).length;
    const key = { 'idempotency-key': randomUUID() };
    const first = await uploadReturn(t.app, schoolToken, collectionId, files, '', key);
    assert.equal(first.statusCode, 422, first.body);
    assert.match(first.json().reasons[0], /could not be read as a census return/);
    const again = await uploadReturn(t.app, schoolToken, collectionId, files, '', key);
    assert.equal(again.statusCode, 422, again.body);
    assert.deepEqual(again.json(), first.json());
    assert.equal(await refusals(), 1);
    // Another file with the key (the program's mistake, or another attempt), or another key: another attempt.
    await uploadReturn(t.app, schoolToken, collectionId, [{ ...file, content: '<y/>' }], '', key);
    assert.equal(await refusals(), 2);
    await uploadReturn(t.app, schoolToken, collectionId, files, '', { 'idempotency-key': randomUUID() });
    assert.equal(await refusals(), 3);
    // Without a key, every upload is an attempt of its own.
    await uploadReturn(t.app, schoolToken, collectionId, files);
    await uploadReturn(t.app, schoolToken, collectionId, files);
    assert.equal(await refusals(), 5);
  });

  test('too-large uploads retried with their Idempotency-Key: the same file one attempt, another file of the name another', async () => {
    const collectionId = await liveCollection(db, schoolUser.user, [la.number], { name: 'Autumn too large' });
    const refusals = async () =>
      (
        await db
          .selectFrom('audit_events')
          .select('detail')
          .where('action', '=', 'census-return-refused')
          .where('actor_user_id', '=', schoolUser.user.id)
          .execute()
      ).filter((row) => (row.detail ?? '').includes('Autumn too large')).length;
    // Past the limit, and different within it: all that s2s reads of a file too large.
    const tooLarge = (fill: number) => [
      { filename: censusFilename(school.number), content: Buffer.alloc(RETURN_SIZE_LIMIT + 1024, fill) },
    ];
    const key = { 'idempotency-key': randomUUID() };
    const first = await uploadReturn(t.app, schoolToken, collectionId, tooLarge(32), '', key);
    assert.equal(first.statusCode, 422, first.body);
    assert.match(first.json().reasons[0], /larger than 10 MB/);
    const again = await uploadReturn(t.app, schoolToken, collectionId, tooLarge(32), '', key);
    assert.deepEqual(again.json(), first.json());
    assert.equal(await refusals(), 1);
    await uploadReturn(t.app, schoolToken, collectionId, tooLarge(33), '', key);
    assert.equal(await refusals(), 2);
  });

  test('the MIS uploads the return as a user loads it on the page: one is loaded, the other told why not', async () => {
    const collectionId = await liveCollection(db, schoolUser.user, [la.number], { name: 'Autumn race' });
    const content = censusReturnXml({ school: school.number, year: 2026 });
    const { files } = t.deps;
    const put = files.put;
    files.put = meetingPuts({ put: put.bind(files) });
    const uploadPath = `/collect/collections/${collectionId}/upload`;
    let responses: [LightMyRequestResponse, LightMyRequestResponse];
    try {
      await schoolUser.agent.get(uploadPath);
      responses = await Promise.all([
        schoolUser.agent.postMultipart(uploadPath, [
          { filename: censusFilename(school.number), content, field: 'file' },
        ]),
        uploadReturn(t.app, schoolToken, collectionId, [
          { filename: censusFilename(school.number, 2026, 2), content },
        ]),
      ]);
    } finally {
      files.put = put;
    }
    const [page, mis] = responses;
    const pageLoaded = page.statusCode === 200;
    assert.deepEqual(
      [page.statusCode, mis.statusCode],
      pageLoaded ? [200, 422] : [400, 201],
      `page ${page.statusCode}, API ${mis.statusCode}: ${pageLoaded ? mis.body : textOf(page.body)}`,
    );
    const why =
      'Another upload loaded a return for Brook Lane Primary into Autumn race while this file was being checked (version 1, loaded), so this file was not loaded.';
    if (pageLoaded) {
      assert.deepEqual(mis.json().reasons, [why]);
      assert.match(mis.json().whatToDo, /^Open the collection to check the version now loaded\./);
    } else {
      assert.ok(textOf(page.body).includes(why), textOf(page.body));
      assert.match(textOf(page.body), /Open the collection to check the version now loaded\./);
    }
  });

  test('an LA loads one return for its school, checked as a file of a zip; never another LA’s school', async () => {
    const collectionId = await liveCollection(db, schoolUser.user, [la.number, otherLa.number]);
    const response = await uploadReturn(t.app, laToken, collectionId, [
      {
        filename: censusFilename(neighbour.number),
        content: censusReturnXml({ school: neighbour.number, year: 2026 }),
      },
    ]);
    assert.equal(response.statusCode, 201, response.body);
    assert.equal(response.json().establishment, neighbour.number);
    const returnId = response.json().returnId;
    const atLa = await get(`/api/v1/census/returns/${returnId}`, laToken);
    assert.equal(atLa.statusCode, 200, 'the LA opens a return it loaded');
    assert.equal(atLa.json().loadedBy, 'la');
    assert.equal((await get(`/api/v1/census/returns/${returnId}`, neighbourToken)).statusCode, 200);
    assert.equal((await get(`/api/v1/census/returns/${returnId}`, strangerToken)).statusCode, 404);

    const outside = await uploadReturn(t.app, laToken, collectionId, [
      {
        filename: censusFilename(stranger.number),
        content: censusReturnXml({ school: stranger.number, year: 2026 }),
      },
    ]);
    assert.equal(outside.statusCode, 422);
    assert.deepEqual(outside.json().reasons, [`School ${stranger.number} is not a school of your LA.`]);
  });
});
