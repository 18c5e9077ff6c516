// Uploads whose client goes away in the middle of a file, over a real socket to the app listening on a
// port: the Upload page, the REST API's file upload, the census upload page and API, and the LA's bulk
// zip. The connection is cut part of the way through the file; the app answers (to nobody) that the upload
// did not arrive whole, and keeps nothing of the cut file: no transfer, no census return, no audit record,
// no stored file. A whole file before the cut one is kept, as the file it was.
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { after, before, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import type { Db } from '../../src/platform/db/schema.ts';
import { makeToken } from '../api/support.ts';
import { ctfBetween, syntheticPupil } from '../fixtures/ctf/generate.ts';
import { filePart, zipOfFile } from '../fixtures/hostile/generate.ts';
import { censusFilename, censusReturnXml, liveCollection } from '../support/census.ts';
import { describeEachEngine } from '../support/databases.ts';
import { makeLa, makeSchool, makeUser } from '../support/factories.ts';
import { leftBehind, readStored } from '../support/transfers.ts';
import { type Agent, createTestApp, signedInUser, type TestApp } from '../support/web.ts';

const SOURCE = '9162001';
const DESTINATION = '8013456';
const BOUNDARY = '----s2sCutOff';

/** What the app answered a request with (sent or not): its status and its body. */
interface Answer {
  status: number;
  body: string;
}

describeEachEngine('an upload cut off by its client', (database) => {
  let db: Db;
  let t: TestApp;
  let port: number;
  let school: Agent;
  let la: Agent;
  let token: string;
  let collectionId: string;
  /**
   * When the next upload's client goes away: once the route is reading a file's content ('reading'), or
   * as soon as the app has the request, which then waits until the client has gone ('gone').
   */
  let cut: 'reading' | 'gone' | undefined;
  /** The file whose content the client is reading when it goes ('reading'). */
  let cutName = '';
  /** Called when the client is to go, and when the app has answered the request (sent to nobody). */
  let goNow: () => void = () => {};
  let answered: (answer: Answer) => void = () => {};

  const watch = (app: FastifyInstance) => {
    app.addHook('onRequest', async (request) => {
      if (request.method !== 'POST' || cut === undefined) return;
      if (cut === 'gone') {
        // The session or token is checked after this: the client is gone before the body is read.
        const gone = new Promise((resolve) => request.raw.once('close', resolve));
        goNow();
        await gone;
        return;
      }
      const parts = request.parts.bind(request);
      request.parts = (...args: Parameters<typeof parts>) => {
        const iterator = parts(...args);
        const next = iterator.next.bind(iterator);
        iterator.next = async () => {
          const result = await next();
          if (!result.done && result.value.type === 'file' && result.value.filename === cutName) goNow();
          return result;
        };
        return iterator;
      };
    });
    // An answer to a client that has gone still passes here: the handler has finished with the request.
    app.addHook('onSend', async (request, reply, payload) => {
      if (request.method === 'POST') answered({ status: reply.statusCode, body: String(payload) });
      return payload;
    });
  };

  before(async () => {
    db = database().db;
    t = await createTestApp(db, {}, watch);
    await makeLa(db, { number: '916' });
    await makeLa(db, { number: '801' });
    await makeSchool(db, '916', { number: SOURCE });
    await makeSchool(db, '801', { number: DESTINATION });
    const signedIn = await signedInUser(t, 'school', { laNumber: '916', establishmentNumber: SOURCE });
    school = signedIn.agent;
    la = (await signedInUser(t, 'la_user', { laNumber: '916' })).agent;
    token = await makeToken(db, signedIn.user, 'transfer');
    collectionId = await liveCollection(db, await makeUser(db, 'national_admin'), ['916']);
    const address = await t.app.listen({ port: 0, host: '127.0.0.1' });
    port = Number(new URL(address).port);
  });
  after(async () => {
    await t.app.close();
  });

  const recorded = () =>
    leftBehind(db, t.deps.fileStore, ['transfers', 'census_returns', 'audit_events'] as const);

  /**
   * Sends the request's headers (with the whole body's length) and `body` up to `cutAt`, then closes the
   * connection when `when` says (for 'reading', once the route reads `cutFile`). Resolves with the app's
   * answer, sent to nobody.
   */
  async function cutOff(
    when: 'reading' | 'gone',
    url: string,
    auth: { cookie: string } | { token: string },
    body: Buffer,
    cutAt: number,
    cutFile: string,
  ): Promise<Answer> {
    cut = when;
    cutName = cutFile;
    const go = new Promise<void>((resolve) => {
      goNow = resolve;
    });
    const answer = new Promise<Answer>((resolve) => {
      answered = resolve;
    });
    const socket = connect(port, '127.0.0.1');
    socket.on('error', () => {});
    socket.write(
      `POST ${url} HTTP/1.1\r\nHost: 127.0.0.1\r\n` +
        `Content-Type: multipart/form-data; boundary=${BOUNDARY}\r\nContent-Length: ${body.length}\r\n` +
        ('cookie' in auth ? `Cookie: ${auth.cookie}\r\n` : `Authorization: Bearer ${auth.token}\r\n`) +
        '\r\n',
    );
    socket.write(body.subarray(0, cutAt));
    await go;
    socket.destroy();
    const reply = await answer;
    cut = undefined;
    return reply;
  }

  const csrfField = (agent: Agent) =>
    Buffer.from(
      `--${BOUNDARY}\r\nContent-Disposition: form-data; name="_csrf"\r\n\r\n${agent.session().csrfToken}\r\n`,
    );
  const part = (field: string, filename: string, content: string | Buffer) =>
    filePart(BOUNDARY, [`Content-Disposition: form-data; name="${field}"; filename="${filename}"`], content);
  const end = Buffer.from(`--${BOUNDARY}--\r\n`);
  let sequence = 0;
  const ctf = () => {
    sequence += 1;
    return {
      name: `${SOURCE}_CTF_${DESTINATION}_${String(sequence).padStart(3, '0')}.XML`,
      content: ctfBetween(SOURCE, DESTINATION, [
        syntheticPupil(sequence, { lea: '916', estab: '2001' }, false),
      ]),
    };
  };
  const censusReturn = Buffer.from(censusReturnXml({ school: SOURCE, year: 2026 }));

  /** A body whose last file is cut in the middle of its content: where the cut falls. */
  const middleOfLast = (body: Buffer, lastContent: string | Buffer) =>
    body.length - end.length - 2 - Math.floor(Buffer.byteLength(lastContent) / 2);

  /** One upload at each entry point whose only file is cut off in the middle, as `when` says. */
  function entryPoints(when: 'reading' | 'gone'): { what: string; send: () => Promise<Answer> }[] {
    const censusPage = `/collect/collections/${collectionId}/upload`;
    const bulkPage = `/collect/collections/${collectionId}/bulk-upload`;
    const zip = zipOfFile(censusFilename(SOURCE), censusReturn);
    const file = ctf();
    const send = (
      url: string,
      auth: { cookie: string } | { token: string },
      parts: Buffer[],
      name: string,
      content: string | Buffer,
    ) => {
      const body = Buffer.concat([...parts, end]);
      return cutOff(when, url, auth, body, middleOfLast(body, content), name);
    };
    return [
      {
        what: 'the Upload page',
        send: async () => {
          await school.get('/upload/ctf');
          const parts = [csrfField(school), part('files', file.name, file.content)];
          return send('/upload/ctf', school.session(), parts, file.name, file.content);
        },
      },
      {
        what: 'the API',
        send: () =>
          send('/api/v1/files', { token }, [part('files', file.name, file.content)], file.name, file.content),
      },
      {
        what: 'the census upload page',
        send: async () => {
          await school.get(censusPage);
          const parts = [csrfField(school), part('file', censusFilename(SOURCE), censusReturn)];
          return send(censusPage, school.session(), parts, censusFilename(SOURCE), censusReturn);
        },
      },
      {
        what: 'the census API',
        send: () =>
          send(
            `/api/v1/census/collections/${collectionId}/returns`,
            { token },
            [part('file', censusFilename(SOURCE), censusReturn)],
            censusFilename(SOURCE),
            censusReturn,
          ),
      },
      {
        what: 'the bulk zip page',
        send: async () => {
          await la.get(bulkPage);
          const parts = [csrfField(la), part('zip', 'returns.zip', zip)];
          return send(bulkPage, la.session(), parts, 'returns.zip', zip);
        },
      },
    ];
  }

  /** Sends each upload, and checks the app answered (to nobody) below 500 and kept nothing. */
  async function nothingKept(when: 'reading' | 'gone', says?: RegExp): Promise<void> {
    for (const { what, send } of entryPoints(when)) {
      const before = await recorded();
      const answer = await send();
      assert.equal(answer.status, 400, `${what}: ${answer.body.slice(0, 500)}`);
      if (says) assert.match(answer.body, says, what);
      assert.doesNotMatch(answer.body, /\n\s+at |node_modules|\.ts:\d+/, what);
      assert.deepEqual(await recorded(), before, `${what}: nothing was kept`);
    }
    const health = await fetch(`http://127.0.0.1:${port}/healthz`);
    assert.equal(health.status, 200);
  }

  test('in the middle of its only file: every entry point keeps nothing, and says the upload did not arrive whole', async () => {
    await nothingKept('reading', /did not arrive whole/);
  });

  test('gone before s2s began to read the body (while its session or token was checked): every entry point answers, and keeps nothing', async () => {
    await nothingKept('gone');
  });

  test('in the middle of its second file: the first, whole, is kept as it was sent; nothing of the second', async () => {
    await school.get('/upload/ctf');
    const [first, second] = [ctf(), ctf()];
    const body = Buffer.concat([
      csrfField(school),
      part('files', first.name, first.content),
      part('files', second.name, second.content),
      end,
    ]);
    const before = await recorded();
    const answer = await cutOff(
      'reading',
      '/upload/ctf',
      school.session(),
      body,
      middleOfLast(body, second.content),
      second.name,
    );
    assert.equal(answer.status, 200, answer.body.slice(0, 500));
    assert.match(answer.body, /The upload did not arrive whole/);
    const rows = await db
      .selectFrom('transfers')
      .select(['filename', 'storage_key', 'wrapped_key', 'master_key_id', 'size', 'sha256'])
      .where('filename', 'in', [first.name, second.name])
      .execute();
    assert.deepEqual(
      rows.map((r) => r.filename),
      [first.name],
    );
    const [kept] = rows;
    assert.ok(kept);
    assert.deepEqual(await readStored(t.deps.files, kept), Buffer.from(first.content));
    const after = await recorded();
    assert.deepEqual(
      [after.transfers, after.files, after.audit_events],
      [before.transfers + 1, before.files + 1, before.audit_events + 1],
    );
  });
});
