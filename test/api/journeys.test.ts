// API journeys through fastify.inject, on both engines: an MIS at school A sends a CTF with its token;
// school B's MIS lists it, reads its pupils, downloads it byte for byte and accepts it; a rejection's
// reason reaches the sender's outgoing list; and the refusals: another organisation's file (404), a
// revoked token and a deleted user (401), a read-only token uploading (403), the session cookie (401).
// An upload's body: files past the 20th or in parts not named "files" are not accepted (never 201), a
// text part is refused, anything but multipart is 415; without ?category the name decides, never CFR.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { ApiTokenService } from '../../src/api/token-service.ts';
import type { Db, EstablishmentRow, LocalAuthorityRow, UserRow } from '../../src/platform/db/schema.ts';
import { ctfBetween, syntheticPupil } from '../fixtures/ctf/generate.ts';
import { describeEachEngine } from '../support/databases.ts';
import { makeLa, makeSchool, makeUser } from '../support/factories.ts';
import { actorOf } from '../support/transfers.ts';
import { Agent, createTestApp, type TestApp } from '../support/web.ts';
import { api, makeToken, multipartFiles, uploadFiles } from './support.ts';

const PROBLEM = /^application\/problem\+json/;

describeEachEngine('API journeys', (database) => {
  let t: TestApp;
  let db: Db;
  let laA: LocalAuthorityRow;
  let laB: LocalAuthorityRow;
  let schoolA: EstablishmentRow;
  let schoolB: EstablishmentRow;
  let userA: UserRow;
  let userB: UserRow;
  let tokenA: string;
  let tokenB: string;
  let sequence = 0;

  before(async () => {
    db = database().db;
    t = await createTestApp(db);
    laA = await makeLa(db);
    laB = await makeLa(db);
    schoolA = await makeSchool(db, laA.number, { name: 'Hillside Primary School' });
    schoolB = await makeSchool(db, laB.number, { name: 'Riverside Primary School' });
    userA = await makeUser(db, 'school', { laNumber: laA.number, establishmentNumber: schoolA.number });
    userB = await makeUser(db, 'school', { laNumber: laB.number, establishmentNumber: schoolB.number });
    tokenA = await makeToken(db, userA, 'transfer', t.clock);
    tokenB = await makeToken(db, userB, 'transfer', t.clock);
  });
  after(async () => {
    await t.app.close();
  });

  /** A CTF of two pupils from school A to school B, with the next number: its name and bytes. */
  function ctfFile(): { filename: string; content: string } {
    sequence += 1;
    const filename = `${schoolA.number}_CTF_${schoolB.number}_${String(sequence).padStart(3, '0')}.XML`;
    const pupils = [0, 1].map((n) =>
      syntheticPupil(n + sequence * 2, { lea: laA.number, estab: schoolA.number.slice(3) }, false),
    );
    return { filename, content: ctfBetween(schoolA.number, schoolB.number, pupils) };
  }

  /** The files stored under this name: none when it was not sent. */
  const rowsNamed = (filename: string) =>
    db.selectFrom('transfers').select(['id', 'category']).where('filename', '=', filename).execute();

  /** The ids of the files stored under this name, whatever its case. */
  const idsNamedInAnyCase = async (filename: string) =>
    (
      await db
        .selectFrom('transfers')
        .select('id')
        .where((eb) => eb(eb.fn('upper', ['filename']), '=', filename.toUpperCase()))
        .execute()
    ).map((row) => row.id);

  /** School A sends a CTF of two pupils to school B: its name and bytes. */
  async function sendCtf(): Promise<{ id: string; filename: string; content: string }> {
    const { filename, content } = ctfFile();
    const response = await uploadFiles(t.app, tokenA, [{ filename, content }]);
    assert.equal(response.statusCode, 201, response.body);
    const body = response.json();
    assert.equal(body.accepted, 1);
    assert.equal(body.results[0].status, 'accepted');
    assert.equal(body.results[0].pupils, 2);
    return { id: body.results[0].transferId, filename, content };
  }

  test('school A uploads a CTF; school B lists it, reads its pupils, downloads it byte for byte and accepts it', async () => {
    const sentFile = await sendCtf();

    const incoming = await api(t.app, { url: '/api/v1/files/incoming', token: tokenB });
    assert.equal(incoming.statusCode, 200, incoming.body);
    const listed = incoming.json().items.find((f: { id: string }) => f.id === sentFile.id);
    assert.ok(listed, 'the file is in B’s incoming list');
    assert.equal(listed.filename, sentFile.filename);
    assert.equal(listed.status, 'available');
    assert.equal(listed.pupilCount, 2);
    assert.deepEqual(listed.source, { name: 'Hillside Primary School', code: schoolA.number });

    const details = await api(t.app, { url: `/api/v1/files/${sentFile.id}`, token: tokenB });
    assert.equal(details.statusCode, 200, details.body);
    assert.equal(details.json().direction, 'incoming');
    assert.equal(details.json().pupils.length, 2);
    assert.match(details.json().pupils[0].name, /, /);
    assert.ok(details.json().pupils[0].upn);

    // Accepting before downloading is refused with the page's reason.
    const early = await api(t.app, {
      method: 'POST',
      url: `/api/v1/files/${sentFile.id}/accept`,
      token: tokenB,
    });
    assert.equal(early.statusCode, 422);
    assert.match(String(early.headers['content-type']), PROBLEM);
    assert.match(
      early.json().detail,
      /has not been downloaded yet: download it before saying it was downloaded correctly/,
    );

    const head = await t.app.inject({
      method: 'HEAD',
      url: `/api/v1/files/${sentFile.id}/content`,
      headers: { authorization: `Bearer ${tokenB}` },
    });
    assert.equal(head.statusCode, 200);
    const notYet = await db
      .selectFrom('transfers')
      .select('last_downloaded_at')
      .where('id', '=', sentFile.id)
      .executeTakeFirstOrThrow();
    assert.equal(notYet.last_downloaded_at, null, 'a HEAD is not a download');
    const download = await api(t.app, { url: `/api/v1/files/${sentFile.id}/content`, token: tokenB });
    assert.equal(download.statusCode, 200);
    assert.equal(download.body, sentFile.content, 'byte-identical');
    const sha = createHash('sha256').update(sentFile.content).digest();
    assert.equal(download.headers['x-content-sha256'], sha.toString('hex'));
    assert.equal(download.headers['repr-digest'], `sha-256=:${sha.toString('base64')}:`);
    assert.match(String(download.headers['content-disposition']), new RegExp(sentFile.filename));
    const recorded = await db
      .selectFrom('audit_events')
      .select('action')
      .where('subject_id', '=', sentFile.id)
      .where('action', '=', 'file-downloaded')
      .execute();
    assert.equal(recorded.length, 1, 'the download is recorded as the web records it');

    const accepted = await api(t.app, {
      method: 'POST',
      url: `/api/v1/files/${sentFile.id}/accept`,
      token: tokenB,
    });
    assert.equal(accepted.statusCode, 200, accepted.body);
    assert.equal(accepted.json().status, 'collected');
    // As the file reads from now on: offered again for 7 days after its download.
    const after = await api(t.app, { url: `/api/v1/files/${sentFile.id}`, token: tokenB });
    assert.ok(after.json().redownloadUntil, 'a date to download it again until');
    for (const field of ['redownloadUntil', 'collectedAt', 'lastDownloadedAt', 'status']) {
      assert.equal(accepted.json()[field], after.json()[field], field);
    }

    const outgoing = await api(t.app, { url: '/api/v1/files/outgoing?status=collected', token: tokenA });
    assert.equal(outgoing.statusCode, 200);
    const mine = outgoing.json().items.find((f: { id: string }) => f.id === sentFile.id);
    assert.equal(mine.status, 'collected');
    assert.deepEqual(mine.destination, { name: 'Riverside Primary School', code: schoolB.number });
    const emails = await db
      .selectFrom('notification_outbox')
      .select('template')
      .where('template', '=', 'file-downloaded')
      .where('recipient', '=', schoolA.number)
      .execute();
    assert.equal(emails.length, 1, 'the sender is told, as on the web');
  });

  test('a stored file that fails its check as it is read: a 500 problem, without the file’s name or SHA-256', async () => {
    const sentFile = await sendCtf();
    const { storage_key } = await db
      .selectFrom('transfers')
      .select('storage_key')
      .where('id', '=', sentFile.id)
      .executeTakeFirstOrThrow();
    const store = t.deps.config.fileStore;
    assert.ok(store.kind === 'disk' && storage_key);
    const blob = join(store.directory, storage_key);
    const stored = readFileSync(blob);
    const at = stored.length - 40;
    stored[at] = (stored[at] ?? 0) ^ 1; // one bit of the ciphertext: the encryption's tag no longer agrees
    writeFileSync(blob, stored);

    const download = await api(t.app, { url: `/api/v1/files/${sentFile.id}/content`, token: tokenB });
    assert.equal(download.statusCode, 500);
    assert.match(String(download.headers['content-type']), PROBLEM);
    assert.equal(download.json().status, 500);
    for (const header of ['content-disposition', 'x-content-sha256', 'repr-digest']) {
      assert.equal(download.headers[header], undefined, header);
    }
    assert.equal(Number(download.headers['content-length']), Buffer.byteLength(download.body));
  });

  test('a rejected file’s reason reaches the sender’s outgoing list', async () => {
    const sentFile = await sendCtf();
    // A blank reason and none at all: the page's message.
    for (const json of [{ reason: '   ' }, {}]) {
      const empty = await api(t.app, {
        method: 'POST',
        url: `/api/v1/files/${sentFile.id}/reject`,
        token: tokenB,
        json,
      });
      assert.equal(empty.statusCode, 422, empty.body);
      assert.deepEqual(empty.json().errors, [
        { field: 'reason', message: 'Enter why you are rejecting the file' },
      ]);
    }

    const rejected = await api(t.app, {
      method: 'POST',
      url: `/api/v1/files/${sentFile.id}/reject`,
      token: tokenB,
      json: { reason: 'These pupils are not joining us' },
    });
    assert.equal(rejected.statusCode, 200, rejected.body);
    assert.equal(rejected.json().status, 'rejected');

    const outgoing = await api(t.app, { url: '/api/v1/files/outgoing?status=rejected', token: tokenA });
    const mine = outgoing.json().items.find((f: { id: string }) => f.id === sentFile.id);
    assert.equal(mine.rejectReason, 'These pupils are not joining us');

    // The sender removes it (View / Remove Files); then it is gone for both.
    const removed = await api(t.app, {
      method: 'DELETE',
      url: `/api/v1/files/${sentFile.id}`,
      token: tokenA,
    });
    assert.equal(removed.statusCode, 200, removed.body);
    assert.equal(removed.json().status, 'removed');
    const gone = await api(t.app, { url: `/api/v1/files/${sentFile.id}`, token: tokenB });
    assert.equal(gone.statusCode, 404);
  });

  test('text holding the null character is refused with a message, through the API and a page, and nothing changes', async () => {
    const sentFile = await sendCtf();
    const refused = await api(t.app, {
      method: 'POST',
      url: `/api/v1/files/${sentFile.id}/reject`,
      token: tokenB,
      json: { reason: 'Not ours\u0000' },
    });
    assert.equal(refused.statusCode, 422, refused.body);
    assert.match(refused.headers['content-type'] as string, PROBLEM);
    assert.deepEqual(refused.json().errors, [
      {
        field: 'reason',
        message:
          'What was sent contains the null character (code 0), which s2s cannot store. Remove it and try again.',
      },
    ]);

    const agent = new Agent(t.app);
    assert.equal((await agent.signIn(userB.username)).statusCode, 302);
    const page = await agent.post(
      `/download/ctf/files/${sentFile.id}/reject`,
      { reason: 'Not \u0000ours' },
      { formPage: `/download/ctf/files/${sentFile.id}/reject` },
    );
    assert.equal(page.statusCode, 400);
    assert.match(page.body, /What was sent contains the null character \(code 0\), which s2s cannot store/);

    const file = await api(t.app, { url: `/api/v1/files/${sentFile.id}`, token: tokenB });
    assert.equal(file.json().status, 'available');
  });

  test('a parameter it cannot read names the parameter and what it takes; the reference documents the 400', async () => {
    const bad = await api(t.app, { url: '/api/v1/files/incoming?sort=filename', token: tokenB });
    assert.equal(bad.statusCode, 400, bad.body);
    assert.match(bad.headers['content-type'] as string, PROBLEM);
    assert.deepEqual(bad.json().errors, [
      { field: 'sort', message: 'sort must be one of: file, uploaded, source.' },
    ]);
    const document = (await t.app.inject({ url: '/api/openapi.json' })).json();
    assert.ok(document.paths['/api/v1/files/incoming'].get.responses['400'], 'documented');
  });

  test('a body that cannot be read says what was wrong with it and what to send', async () => {
    const sentFile = await sendCtf();
    const reject = (headers: Record<string, string>, payload: string) =>
      t.app.inject({
        method: 'POST',
        url: `/api/v1/files/${sentFile.id}/reject`,
        headers: { authorization: `Bearer ${tokenB}`, ...headers },
        payload,
      });
    const cases: [Record<string, string>, string, number, RegExp][] = [
      [{ 'content-type': 'application/xml' }, '<reason/>', 415, /does not read a body of that Content-Type/],
      // curl -d sends JSON as a form unless told: told what to send, not what a form's field was.
      [
        { 'content-type': 'application/x-www-form-urlencoded' },
        '{"reason":"Not ours"}',
        415,
        /Send JSON as application\/json/,
      ],
      [{ 'content-type': 'text/plain' }, '{"reason":"Not ours"}', 415, /Send JSON as application\/json/],
      [{ 'content-type': 'application/json' }, '{"reason": "Not ours"', 400, /not well-formed JSON/],
      // Many clients say JSON with no body: read as no body, so the reason is what is missing.
      [{ 'content-type': 'application/json' }, '', 422, /Enter why you are rejecting the file/],
      [
        { 'content-type': 'application/json' },
        JSON.stringify({ reason: 'x'.repeat(2 * 1024 * 1024) }),
        413,
        /The JSON body was larger than s2s accepts/,
      ],
    ];
    for (const [headers, payload, status, detail] of cases) {
      const response = await reject(headers, payload);
      assert.equal(response.statusCode, status, response.body);
      assert.match(response.headers['content-type'] as string, PROBLEM);
      assert.match(response.json().detail, detail);
    }
    const file = await api(t.app, { url: `/api/v1/files/${sentFile.id}`, token: tokenB });
    assert.equal(file.json().status, 'available');
  });

  test('a JSON body nested thousands deep is read as any other, by every operation and page: never a server error', async () => {
    // The check for the null character walked a body by recursion, and ran out of stack at about 4,000
    // levels; a body of 1 MB can be nested 500,000 deep.
    const nested = (depth: number) => `{"a":${'['.repeat(depth)}${']'.repeat(depth)}}`;
    const sentFile = await sendCtf();
    const problems: string[] = [];
    for (const depth of [4_000, 500_000]) {
      const payload = nested(depth);
      // Every operation that takes JSON, with school B's token: read as a body without what it needs
      // (422), or refused before it is read (403: not for a school, or not for this token).
      for (const route of t.app.apiRouteTable.filter((r) => r.method === 'POST')) {
        const response = await t.app.inject({
          method: 'POST',
          url: route.url.replace(/:(\w+)/g, sentFile.id),
          headers: { authorization: `Bearer ${tokenB}`, 'content-type': 'application/json' },
          payload,
        });
        if (response.statusCode >= 500) problems.push(`${route.url}, ${depth} deep: ${response.statusCode}`);
      }
      // Send Message, as the review found it: what is missing from the message, as for `{}`.
      const message = await t.app.inject({
        method: 'POST',
        url: '/api/v1/messages',
        headers: { authorization: `Bearer ${tokenB}`, 'content-type': 'application/json' },
        payload,
      });
      assert.equal(message.statusCode, 422, message.body);
      assert.match(message.headers['content-type'] as string, PROBLEM);
      const empty = await api(t.app, { method: 'POST', url: '/api/v1/messages', token: tokenB, json: {} });
      assert.deepEqual(message.json().errors, empty.json().errors);
      // A page sent JSON: refused as any form without its token, before anything is done.
      const page = await t.app.inject({
        method: 'POST',
        url: '/sign-in',
        headers: { 'content-type': 'application/json' },
        payload,
      });
      assert.equal(page.statusCode, 403, `a page, ${depth} deep`);
    }
    assert.deepEqual(problems, []);
    // The null character is still found at the bottom of such a body, and named by its field.
    const deepNul = await t.app.inject({
      method: 'POST',
      url: `/api/v1/files/${sentFile.id}/reject`,
      headers: { authorization: `Bearer ${tokenB}`, 'content-type': 'application/json' },
      payload: `{"reason":"Not ours","a":${'['.repeat(500_000)}"\\u0000"${']'.repeat(500_000)}}`,
    });
    assert.equal(deepNul.statusCode, 422, deepNul.body);
    assert.deepEqual(
      deepNul.json().errors.map((e: { field: string }) => e.field),
      ['a'],
    );
    const file = await api(t.app, { url: `/api/v1/files/${sentFile.id}`, token: tokenB });
    assert.equal(file.json().status, 'available');
  });

  test('a school made inactive: its users’ sessions and tokens stop working at once', async () => {
    const schoolC = await makeSchool(db, laB.number, { name: 'Closing Primary School' });
    const userC = await makeUser(db, 'school', { laNumber: laB.number, establishmentNumber: schoolC.number });
    const tokenC = await makeToken(db, userC, 'read', t.clock);
    const agent = new Agent(t.app);
    assert.equal((await agent.signIn(userC.username)).statusCode, 302);
    assert.equal((await agent.get('/')).statusCode, 200);
    assert.equal((await api(t.app, { url: '/api/v1/files/incoming', token: tokenC })).statusCode, 200);

    await db.updateTable('establishments').set({ active: 0 }).where('number', '=', schoolC.number).execute();
    const home = await agent.get('/');
    assert.equal(home.statusCode, 302);
    assert.match(String(home.headers.location), /^\/sign-in/);
    const refused = await api(t.app, { url: '/api/v1/files/incoming', token: tokenC });
    assert.equal(refused.statusCode, 401);
    assert.match(refused.json().detail, /school is inactive, so its tokens do not work/);
  });

  test('another organisation’s token gets 404 for the file, as problem+json', async () => {
    const sentFile = await sendCtf();
    const schoolC = await makeSchool(db, laB.number);
    const userC = await makeUser(db, 'school', { laNumber: laB.number, establishmentNumber: schoolC.number });
    const tokenC = await makeToken(db, userC, 'transfer', t.clock);
    for (const [method, url] of [
      ['GET', `/api/v1/files/${sentFile.id}`],
      ['GET', `/api/v1/files/${sentFile.id}/content`],
      ['POST', `/api/v1/files/${sentFile.id}/accept`],
      ['DELETE', `/api/v1/files/${sentFile.id}`],
    ] as const) {
      const response = await api(t.app, { method, url, token: tokenC });
      assert.equal(response.statusCode, 404, `${method} ${url}`);
      assert.match(String(response.headers['content-type']), PROBLEM);
      assert.equal(response.json().type, '/api/docs#problem-not-found');
    }
    const listed = await api(t.app, { url: '/api/v1/files/incoming', token: tokenC });
    assert.equal(listed.json().items.length, 0);
  });

  test('a revoked token and a deleted user’s token get 401', async () => {
    const user = await makeUser(db, 'school', { laNumber: laA.number, establishmentNumber: schoolA.number });
    const token = await makeToken(db, user, 'read', t.clock);
    assert.equal((await api(t.app, { url: '/api/v1/files/incoming', token })).statusCode, 200);
    const service = new ApiTokenService({ db, clock: t.clock });
    const [view] = await service.ownTokens(actorOf(user));
    assert.ok(view);
    await service.revokeOwn(actorOf(user), view.id);
    const revoked = await api(t.app, { url: '/api/v1/files/incoming', token });
    assert.equal(revoked.statusCode, 401);
    assert.match(revoked.json().detail, /revoked/);
    assert.match(String(revoked.headers['www-authenticate']), /Bearer realm="s2s", error="invalid_token"/);

    const other = await makeUser(db, 'school', { laNumber: laA.number, establishmentNumber: schoolA.number });
    const otherToken = await makeToken(db, other, 'read', t.clock);
    await db
      .updateTable('users')
      .set({ deleted_at: new Date().toISOString() })
      .where('id', '=', other.id)
      .execute();
    const deleted = await api(t.app, { url: '/api/v1/files/incoming', token: otherToken });
    assert.equal(deleted.statusCode, 401);

    const none = await api(t.app, { url: '/api/v1/files/incoming' });
    assert.equal(none.statusCode, 401);
    assert.match(none.json().detail, /Authorization: Bearer/);
    const junk = await api(t.app, { url: '/api/v1/files/incoming', token: 's2s_not-a-token' });
    assert.equal(junk.statusCode, 401);
  });

  test('a read-scoped token cannot upload: 403 problem+json, and nothing is read or stored', async () => {
    const reader = await makeToken(db, userA, 'read', t.clock);
    const before = await db.selectFrom('transfers').select('id').execute();
    const response = await uploadFiles(t.app, reader, [
      { filename: `${schoolA.number}_CTF_${schoolB.number}_900.XML`, content: '<CTfile/>' },
    ]);
    assert.equal(response.statusCode, 403);
    assert.match(String(response.headers['content-type']), PROBLEM);
    const body = response.json();
    assert.equal(body.type, '/api/docs#problem-insufficient-scope');
    assert.equal(body.status, 403);
    assert.match(body.detail, /needs the transfer scope/);
    const afterwards = await db.selectFrom('transfers').select('id').execute();
    assert.equal(afterwards.length, before.length);
  });

  test('a refused upload gives the page’s reasons and what to do', async () => {
    const response = await uploadFiles(t.app, tokenA, [
      { filename: `${schoolB.number}_CTF_${schoolA.number}_001.XML`, content: '<CTfile/>' },
    ]);
    assert.equal(response.statusCode, 422, response.body);
    const body = response.json();
    assert.equal(body.type, '/api/docs#problem-upload-refused');
    assert.equal(body.results[0].status, 'refused');
    assert.match(body.results[0].reasons.join(' '), /you are signed in for/);
    assert.match(
      body.results[0].whatToDo,
      /A file can only be sent by the school or LA whose number starts its name/,
    );
  });

  test('a name the rules refuse, sent without ?category, names no Upload menu item it was not sent with', async () => {
    const nameless = await uploadFiles(t.app, tokenA, [
      { filename: `${schoolA.number}_${schoolB.number}_PROG.EXE`, content: 'MZ' },
    ]);
    assert.equal(nameless.statusCode, 422, nameless.body);
    const [result] = nameless.json().results;
    assert.match(result.reasons.join(' '), /Files ending \.EXE cannot be sent/);
    assert.doesNotMatch(result.reasons.join(' '), /takes names like/);
    // With ?category, the item chosen says what it takes, as its page does.
    const chosen = await uploadFiles(
      t.app,
      tokenA,
      [{ filename: `${schoolA.number}_${schoolB.number}_PROG.EXE`, content: 'MZ' }],
      '?category=generic',
    );
    assert.match(chosen.json().results[0].reasons.join(' '), /Upload Generic File takes names like/);
  });

  test('a CFR or exclusion file to a school is refused as on the Upload page: only an LA collects them', async () => {
    const files: [string, string][] = [
      ['cfr', `${schoolA.number}_CFR_${schoolB.number}_001.XLS`],
      ['exclusion', `${schoolA.number}_${schoolB.number}_EXCL.ZIP`],
    ];
    for (const [category, filename] of files) {
      const response = await uploadFiles(
        t.app,
        tokenA,
        [{ filename, content: 'PK\u0003\u0004 not read' }],
        `?category=${category}`,
      );
      assert.equal(response.statusCode, 422, response.body);
      const [result] = response.json().results;
      assert.equal(result.status, 'refused');
      assert.match(result.reasons.join(' '), new RegExp(`Nobody at school ${schoolB.number} can collect`));
      assert.match(result.whatToDo, new RegExp(`name your LA as the destination, ${laA.number}LLLL`));
    }
  });

  test('several files at once: each file’s own outcome, 200 when some were accepted; lists page', async () => {
    const good = `${schoolA.number}_CTF_${schoolB.number}_700.XML`;
    const pupils = [syntheticPupil(700, { lea: laA.number, estab: schoolA.number.slice(3) }, false)];
    const response = await uploadFiles(t.app, tokenA, [
      { filename: good, content: ctfBetween(schoolA.number, schoolB.number, pupils) },
      { filename: `${schoolA.number}_CTF_${schoolB.number}_701.XML`, content: '' },
    ]);
    assert.equal(response.statusCode, 200, response.body);
    const body = response.json();
    assert.equal(body.accepted, 1);
    assert.equal(body.notAccepted, 1);
    assert.deepEqual(body.results[1].reasons, ['The file is empty.']);

    const unknown = await uploadFiles(
      t.app,
      tokenA,
      [{ filename: good, content: 'x' }],
      '?category=nonsense',
    );
    assert.equal(unknown.statusCode, 400);
    assert.match(unknown.json().detail, /category must be one of ctf, plasc/);

    const first = await api(t.app, { url: '/api/v1/files/incoming?pageSize=1&page=1', token: tokenB });
    const page = first.json();
    assert.equal(page.items.length, 1);
    assert.equal(page.pageSize, 1);
    assert.ok(page.total >= 1);
    assert.equal(page.totalPages, page.total);
    const tooBig = await api(t.app, { url: '/api/v1/files/incoming?pageSize=100000', token: tokenB });
    assert.equal(tooBig.statusCode, 400);
    assert.equal(tooBig.json().errors[0].field, 'pageSize');
  });

  test('more files than one upload takes: the others are not accepted, and named to send again (200, never 201)', async () => {
    const files = Array.from({ length: 21 }, ctfFile);
    const response = await uploadFiles(t.app, tokenA, files);
    assert.equal(response.statusCode, 200, response.body);
    const body = response.json();
    assert.equal(body.accepted, 20);
    assert.equal(body.notAccepted, 1);
    assert.equal(body.results.length, 20);
    const last = files[20]?.filename ?? '';
    assert.deepEqual(body.notChecked, [last]);
    assert.match(
      body.warning,
      new RegExp(`only the first 20 were checked\\. These were not, send them again: ${last}\\.`),
    );
    assert.deepEqual(await rowsNamed(last), []);
  });

  test('a file in a part not named "files" is not read: the warning names it, and it is not sent', async () => {
    const stray = ctfFile();
    const alone = multipartFiles([{ ...stray, field: 'attachment' }], 'files');
    const upload = (body: { contentType: string; payload: Buffer }) =>
      t.app.inject({
        method: 'POST',
        url: '/api/v1/files',
        headers: { authorization: `Bearer ${tokenA}`, 'content-type': body.contentType },
        payload: body.payload,
      });
    const none = await upload(alone);
    assert.equal(none.statusCode, 422, none.body);
    assert.deepEqual(none.json().errors, [{ field: 'files', message: 'Select the files to upload' }]);
    assert.equal(
      none.json().warning,
      `Files are read only from parts named "files": ${stray.filename} was not read. Send it again in a part named "files".`,
    );

    const sent = ctfFile();
    const both = await upload(multipartFiles([sent, { ...stray, field: 'attachment' }], 'files'));
    assert.equal(both.statusCode, 200, both.body);
    const body = both.json();
    assert.equal(body.accepted, 1);
    assert.equal(body.notAccepted, 1);
    assert.deepEqual(body.notChecked, [stray.filename]);
    assert.equal((await rowsNamed(sent.filename)).length, 1);
    assert.deepEqual(await rowsNamed(stray.filename), []);
  });

  test('a text part is refused (400), naming it: the Upload menu item goes in the query string', async () => {
    const cfr = (sequence: string) => `${schoolA.number}_CFR_${laA.number}LLLL_${sequence}.XLS`;
    const xls = Buffer.from([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1, 0x20, 0x20]);
    const boundary = 'textPartBoundary';
    const filePart = (filename: string) =>
      Buffer.concat([
        Buffer.from(
          `--${boundary}\r\nContent-Disposition: form-data; name="files"; filename="${filename}"\r\nContent-Type: application/vnd.ms-excel\r\n\r\n`,
        ),
        xls,
        Buffer.from('\r\n'),
      ]);
    const categoryPart = Buffer.from(
      `--${boundary}\r\nContent-Disposition: form-data; name="category"\r\n\r\ncfr\r\n`,
    );
    const upload = (...parts: Buffer[]) =>
      t.app.inject({
        method: 'POST',
        url: '/api/v1/files',
        headers: {
          authorization: `Bearer ${tokenA}`,
          'content-type': `multipart/form-data; boundary=${boundary}`,
        },
        payload: Buffer.concat([...parts, Buffer.from(`--${boundary}--\r\n`)]),
      });

    // Before any file: nothing is sent.
    const first = await upload(categoryPart, filePart(cfr('001')));
    assert.equal(first.statusCode, 400, first.body);
    assert.match(String(first.headers['content-type']), PROBLEM);
    assert.equal(
      first.json().detail,
      'The body has a text part named "category", which s2s does not read: an upload’s body holds only files, each in a part named "files". Give the Upload menu item in the query string instead (POST /api/v1/files?category=cfr, say). No file was sent: send them again that way.',
    );
    assert.equal(first.json().results, undefined);
    assert.deepEqual(await rowsNamed(cfr('001')), []);

    // After a file: that file was read and sent before the text part came, as its name decides (generic);
    // the 400 says so, with its result, and nothing after the text part is read.
    const after = await upload(filePart(cfr('002')), categoryPart, filePart(cfr('003')));
    assert.equal(after.statusCode, 400, after.body);
    const problem = after.json();
    assert.match(problem.detail, /^The body has a text part named "category", which s2s does not read/);
    assert.match(
      problem.detail,
      /the files before it were checked as their names decide, without it \(see results\), and the files after it were not read\./,
    );
    assert.deepEqual(
      problem.results.map((r: { filename: string; status: string }) => [r.filename, r.status]),
      [[cfr('002'), 'accepted']],
    );
    assert.deepEqual(
      (await rowsNamed(cfr('002'))).map((r) => r.category),
      ['generic'],
    );
    assert.deepEqual(await rowsNamed(cfr('003')), []);
  });

  test('without ?category a generic name is a generic file: a role that cannot send one is refused with what to do', async () => {
    const dba = await makeUser(db, 'la_dba', { laNumber: laA.number });
    const token = await makeToken(db, dba, 'transfer', t.clock);
    const filename = `${laA.number}LLLL_${laB.number}LLLL_notes.TXT`;
    const file = { filename, content: 'Notes for the other LA' };
    const refused = await uploadFiles(t.app, token, [file]);
    assert.equal(refused.statusCode, 422, refused.body);
    const [result] = refused.json().results;
    assert.equal(result.status, 'refused');
    assert.deepEqual(result.reasons, [
      'Without ?category, a file named like this is sent with Upload Generic File, which your role cannot use.',
    ]);
    assert.equal(
      result.whatToDo,
      'If it should go with another Upload menu item, send it again with ?category=cfr (Upload CFR File) or ?category=exclusion (Upload Exclusion File).',
    );
    assert.deepEqual(await rowsNamed(filename), []);

    // Following the advice sends it.
    const cfr = await uploadFiles(t.app, token, [file], '?category=cfr');
    assert.equal(cfr.statusCode, 201, cfr.body);
    assert.deepEqual(
      (await rowsNamed(filename)).map((r) => r.category),
      ['cfr'],
    );

    // A role that may send generic files sends it as one, never as CFR.
    const laUser = await makeUser(db, 'la_user', { laNumber: laA.number });
    const generic = `${laA.number}LLLL_${laB.number}LLLL_minutes.TXT`;
    const sent = await uploadFiles(t.app, await makeToken(db, laUser, 'transfer', t.clock), [
      { filename: generic, content: 'Minutes' },
    ]);
    assert.equal(sent.statusCode, 201, sent.body);
    assert.deepEqual(
      (await rowsNamed(generic)).map((r) => r.category),
      ['generic'],
    );
  });

  test('an upload that is not multipart is 415, whatever it was sent as', async () => {
    const cases: [Record<string, string>, string | undefined][] = [
      [{ 'content-type': 'application/json' }, JSON.stringify({ files: [] })],
      [{ 'content-type': 'text/plain' }, 'files'],
      [{ 'content-type': 'application/x-www-form-urlencoded' }, 'files=x'],
      [{ 'content-type': 'application/xml' }, '<CTfile/>'],
      [{ 'content-type': 'application/octet-stream' }, 'bytes'],
      [{}, undefined],
    ];
    for (const [headers, payload] of cases) {
      const response = await t.app.inject({
        method: 'POST',
        url: '/api/v1/files',
        headers: { authorization: `Bearer ${tokenA}`, ...headers },
        ...(payload === undefined ? {} : { payload }),
      });
      const sentAs = headers['content-type'] ?? 'no body';
      assert.equal(response.statusCode, 415, `${sentAs}: ${response.body}`);
      assert.match(String(response.headers['content-type']), PROBLEM);
      assert.equal(
        response.json().detail,
        'Send the files as multipart/form-data, each in a part named "files".',
        sentAs,
      );
    }
    // Who may upload is checked first.
    const anonymous = await t.app.inject({
      method: 'POST',
      url: '/api/v1/files',
      headers: { 'content-type': 'application/xml' },
      payload: '<CTfile/>',
    });
    assert.equal(anonymous.statusCode, 401);
  });

  test('an operation without a body works when the client says JSON and sends nothing', async () => {
    const accepted = await sendCtf();
    await api(t.app, { url: `/api/v1/files/${accepted.id}/content`, token: tokenB });
    const json = { 'content-type': 'application/json' };
    const accept = await api(t.app, {
      method: 'POST',
      url: `/api/v1/files/${accepted.id}/accept`,
      token: tokenB,
      headers: json,
    });
    assert.equal(accept.statusCode, 200, accept.body);
    assert.equal(accept.json().status, 'collected');

    const removed = await sendCtf();
    const remove = await api(t.app, {
      method: 'DELETE',
      url: `/api/v1/files/${removed.id}`,
      token: tokenA,
      headers: json,
    });
    assert.equal(remove.statusCode, 200, remove.body);
    assert.equal(remove.json().status, 'removed');
  });

  test('a name whose file is still waiting is refused, naming the waiting file: the second of one request, and in the next (422)', async () => {
    const name = `${schoolA.number}_CTF_${schoolB.number}_710.XML`;
    const pupils = [syntheticPupil(710, { lea: laA.number, estab: schoolA.number.slice(3) }, false)];
    const content = ctfBetween(schoolA.number, schoolB.number, pupils);
    const another = ctfBetween(schoolA.number, schoolB.number, [
      syntheticPupil(711, { lea: laA.number, estab: schoolA.number.slice(3) }, false),
    ]);
    const waiting = `from you is already waiting for Riverside Primary School (${schoolB.number}).`;
    const whatToDo =
      'If this file replaces it, remove the waiting one under View / Remove Files first, then upload this one again; if it is another file, give it the next number (NNN, just before the dot) and upload it.';
    const both = await uploadFiles(t.app, tokenA, [
      { filename: name, content },
      { filename: name.toLowerCase(), content: another },
    ]);
    assert.equal(both.statusCode, 200, both.body);
    const body = both.json();
    assert.deepEqual(
      body.results.map((r: { status: string }) => r.status),
      ['accepted', 'refused'],
    );
    const firstId = body.results[0].transferId;
    // The waiting file as it is stored, not as this upload spells it.
    assert.deepEqual(body.results[1].reasons, [`A file named ${name} ${waiting}`]);
    assert.equal(body.results[1].whatToDo, whatToDo);
    assert.equal(body.results[1].waitingTransferId, firstId);

    const again = await uploadFiles(t.app, tokenA, [{ filename: name, content: another }]);
    assert.equal(again.statusCode, 422, again.body);
    const problem = again.json();
    assert.equal(problem.type, '/api/docs#problem-upload-refused');
    assert.deepEqual(problem.results[0].reasons, [`A file named ${name} ${waiting}`]);
    assert.equal(problem.results[0].whatToDo, whatToDo);
    assert.equal(problem.results[0].waitingTransferId, firstId);
    assert.deepEqual(await idsNamedInAnyCase(name), [firstId]);
  });

  test('the same file sent again (its answer lost) is accepted as already received: the first transfer, nothing new', async () => {
    const name = `${schoolA.number}_CTF_${schoolB.number}_712.XML`;
    const pupils = [syntheticPupil(712, { lea: laA.number, estab: schoolA.number.slice(3) }, false)];
    const content = ctfBetween(schoolA.number, schoolB.number, pupils);
    const first = await uploadFiles(t.app, tokenA, [{ filename: name, content }]);
    assert.equal(first.statusCode, 201, first.body);
    const firstId = first.json().results[0].transferId;
    const count = async (table: 'audit_events' | 'notification_outbox') =>
      (await db.selectFrom(table).select('id').execute()).length;
    const before = { audit: await count('audit_events'), outbox: await count('notification_outbox') };

    const again = await uploadFiles(t.app, tokenA, [{ filename: name, content }]);
    assert.equal(again.statusCode, 201, again.body);
    const result = again.json();
    assert.equal(result.accepted, 1);
    assert.equal(result.notAccepted, 0);
    assert.equal(result.results[0].status, 'accepted');
    assert.equal(result.results[0].alreadyReceived, true);
    assert.equal(result.results[0].transferId, firstId);
    assert.equal(result.results[0].destination, `Riverside Primary School (${schoolB.number})`);
    assert.equal(result.results[0].pupils, 1);
    assert.deepEqual(await idsNamedInAnyCase(name), [firstId]);
    assert.deepEqual(
      { audit: await count('audit_events'), outbox: await count('notification_outbox') },
      before,
      'no audit record (no upload-refused) and no email',
    );
  });

  test('the API never accepts the session cookie', async () => {
    const agent = new Agent(t.app);
    await agent.signIn(userB.username);
    const cookie = `s2s_session=${encodeURIComponent(agent.cookie('s2s_session') ?? '')}`;
    assert.notEqual(cookie, 's2s_session=');
    const response = await api(t.app, { url: '/api/v1/files/incoming', headers: { cookie } });
    assert.equal(response.statusCode, 401);
    const upload = await uploadFiles(t.app, undefined, [{ filename: 'x.XML', content: 'x' }], '', { cookie });
    assert.equal(upload.statusCode, 401);
    assert.equal(response.headers['access-control-allow-origin'], undefined);
  });

  test('unknown API addresses answer problem+json 404', async () => {
    const response = await api(t.app, { url: '/api/v1/nothing-here', token: tokenA });
    assert.equal(response.statusCode, 404);
    assert.match(String(response.headers['content-type']), PROBLEM);
  });
});
