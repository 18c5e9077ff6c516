// s2s-client against the real app listening on a free port (SQLite): school A sends a CTF to school B
// (and a refused file; the same file again is already received); school B fetches it into a folder
// (byte-identical, SHA-256 checked, accepted); fetching again downloads nothing, --again does; an accept
// turned away is done by the next fetch, without downloading again; a wrong digest leaves no file; another organisation's
// token cannot see B's file; a missing or wrong token exits 3 without showing it; a service that does not
// answer, a download that stalls and an upload not taken exit 3 once the timeout is out, while a long
// upload that keeps moving is not cut off; config precedence, bad timeouts and the file-mode check; and
// the real bin once through child_process.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { type AddressInfo, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { ApiClient, ApiProblem, ChecksumMismatch, LIMIT_WAITS, saveVerified } from '../../src/client/api.ts';
import { runClient, STATE_FILE } from '../../src/client/cli.ts';
import { ClientConfigError, loadClientSettings } from '../../src/client/config.ts';
import type { EstablishmentRow, UserRow } from '../../src/platform/db/schema.ts';
import { getTransfer } from '../../src/transfers/repository.ts';
import { api, makeToken } from '../api/support.ts';
import { ctfBetween, syntheticPupil } from '../fixtures/ctf/generate.ts';
import { fillContentChecks } from '../support/busy.ts';
import { censusFilename, censusReturnXml, liveCollection } from '../support/census.ts';
import { TestClamd } from '../support/clamd.ts';
import { createTestDatabase, type TestDatabase } from '../support/databases.ts';
import { makeLa, makeSchool, makeUser } from '../support/factories.ts';
import { createTestApp, type TestApp } from '../support/web.ts';

const ROOT = join(import.meta.dirname, '..', '..');

interface Result {
  code: number;
  out: string;
  err: string;
}

describe('s2s-client', () => {
  let database: TestDatabase;
  let t: TestApp;
  let url: string;
  let schoolA: EstablishmentRow;
  let schoolB: EstablishmentRow;
  let userA: UserRow;
  let tokenA: string;
  let tokenB: string;
  let tokenC: string;
  let work: string;
  let home: string;
  let sequence = 0;

  before(async () => {
    database = await createTestDatabase('sqlite');
    const db = database.db;
    // One worker with 16 MB of files waiting at most: the busy test fills them.
    t = await createTestApp(db, { CONTENT_CHECK_WORKERS: '1', CONTENT_CHECK_QUEUE_MB: '16' });
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    url = `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}`;
    const laA = await makeLa(db);
    const laB = await makeLa(db);
    schoolA = await makeSchool(db, laA.number, { name: 'Hillside Primary School' });
    schoolB = await makeSchool(db, laB.number, { name: 'Riverside Primary School' });
    const schoolC = await makeSchool(db, laB.number, { name: 'Meadow Primary School' });
    userA = await makeUser(db, 'school', { laNumber: laA.number, establishmentNumber: schoolA.number });
    const userB = await makeUser(db, 'school', { laNumber: laB.number, establishmentNumber: schoolB.number });
    const userC = await makeUser(db, 'school', { laNumber: laB.number, establishmentNumber: schoolC.number });
    tokenA = await makeToken(db, userA, 'transfer', t.clock);
    tokenB = await makeToken(db, userB, 'transfer', t.clock);
    tokenC = await makeToken(db, userC, 'transfer', t.clock);
    work = mkdtempSync(join(tmpdir(), 's2s-client-'));
    home = join(work, 'home');
    mkdir(home);
  });
  after(async () => {
    await t.app.close();
    await database.drop();
    rmSync(work, { recursive: true, force: true });
  });

  /**
   * A server of the test's own at a free port, answering as `answer` says: the request's body is read and
   * dropped, unless `readsBody` (then `answer` reads it, or not).
   */
  async function impostor(
    answer: (request: IncomingMessage, response: ServerResponse) => void | Promise<void>,
    readsBody = false,
  ) {
    const server = createHttpServer((request, response) => {
      if (!readsBody) request.resume();
      void answer(request, response);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return {
      address: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
      close: () => {
        // A request whose body the server never read is not seen to end when the client gives up.
        server.closeAllConnections();
        return new Promise((resolve) => server.close(resolve));
      },
    };
  }

  function mkdir(path: string): string {
    rmSync(path, { recursive: true, force: true });
    mkdirSync(path, { recursive: true });
    return path;
  }

  /**
   * Runs the command. Told to wait out a token's limit, it waits on the service's clock (which moves on
   * by as much) unless `limitStays`: then the service goes on limiting the token however long it waits.
   */
  async function run(
    argv: string[],
    token?: string,
    env: Record<string, string> = {},
    { limitStays = false } = {},
  ): Promise<Result> {
    let out = '';
    let err = '';
    const code = await runClient(
      argv,
      { out: (s) => (out += s), err: (s) => (err += s) },
      {
        env: { S2S_URL: url, ...(token ? { S2S_TOKEN: token } : {}), ...env },
        home,
        wait: async (seconds) => {
          if (!limitStays) t.clock.advanceMinutes(seconds / 60);
        },
      },
    );
    return { code, out, err };
  }

  /** A new transfer token of A's that has `left` of its 120 requests left in this minute. */
  async function transferTokenWithRequestsLeft(left: number): Promise<string> {
    const token = await makeToken(database.db, userA, 'transfer', t.clock);
    t.clock.advanceMinutes(2);
    for (let n = 0; n < 120 - left; n += 1) {
      const r = await api(t.app, { url: '/api/v1/files/outgoing?pageSize=1', token });
      assert.equal(r.statusCode, 200);
    }
    return token;
  }

  /** What the client says each time it waits out the token's limit. */
  const WAITING =
    /s2s-client: The s2s service is limiting this token \(429\): waiting \d+ seconds?, then going on\.\n/g;

  /** A CTF file from A to B written to the work folder: its path, name and bytes. */
  function ctfFile(): { path: string; filename: string; content: string } {
    sequence += 1;
    const filename = `${schoolA.number}_CTF_${schoolB.number}_${String(sequence).padStart(3, '0')}.XML`;
    const pupils = [0, 1].map((n) =>
      syntheticPupil(
        n + sequence * 2,
        { lea: schoolA.number.slice(0, 3), estab: schoolA.number.slice(3) },
        false,
      ),
    );
    const content = ctfBetween(schoolA.number, schoolB.number, pupils);
    const path = join(work, filename);
    writeFileSync(path, content);
    return { path, filename, content };
  }

  test('send: a CTF is accepted with where it went; a badly named file is refused with the reasons (exit 1)', async () => {
    const file = ctfFile();
    const sent = await run(['send', file.path], tokenA);
    assert.equal(sent.code, 0, sent.err + sent.out);
    assert.match(sent.out, new RegExp(`Accepted: ${file.filename}`));
    assert.match(sent.out, /Riverside Primary School/);

    const bad = join(work, 'pupils.xml');
    writeFileSync(bad, '<CTfile/>');
    const refused = await run(['send', '--json', bad], tokenA);
    assert.equal(refused.code, 1, refused.err);
    const body = JSON.parse(refused.out);
    assert.equal(body.accepted, 0);
    assert.equal(body.results[0].status, 'refused');
    assert.ok(body.results[0].reasons.length > 0);
    const shown = await run(['send', bad], tokenA);
    assert.equal(shown.code, 1);
    assert.match(shown.out, /Refused: pupils\.xml/);
    assert.match(shown.out, /What to do: /);

    assert.equal((await run(['send'], tokenA)).code, 2, 'no file named: usage error');
  });

  test('send: a path that cannot be read (missing, a folder) is refused on its own, the rest are sent, a summary closes (exit 1); --json always answers', async () => {
    const first = ctfFile();
    const second = ctfFile();
    const missing = join(work, 'missing.XML');
    const folder = mkdir(join(work, 'a-folder'));
    const sent = await run(['send', first.path, missing, folder, second.path], tokenA);
    assert.equal(sent.code, 1, sent.err + sent.out);
    assert.equal(sent.err, '', 'no usage text');
    const lines = sent.out.split('\n');
    assert.match(lines[0] ?? '', new RegExp(`^Accepted: ${first.filename} — `));
    assert.equal(
      lines.slice(1, 7).join('\n'),
      [
        'Refused: missing.XML',
        `  s2s-client cannot read ${missing}: there is no such file.`,
        '  What to do: Check the name and the folder, then send it again.',
        'Refused: a-folder',
        `  s2s-client cannot read ${folder}: it is a folder, not a file.`,
        '  What to do: Name the files in the folder, not the folder itself.',
      ].join('\n'),
    );
    assert.match(lines[7] ?? '', new RegExp(`^Accepted: ${second.filename} — `));
    assert.equal(lines.at(-2), '4 files: 2 accepted, 2 refused (listed above).');
    assert.equal(lines.at(-1), '');

    // One file alone: its outcome, no summary; nothing to send: no settings needed either.
    const alone = await run(['send', missing], undefined, { S2S_URL: '' });
    assert.equal(alone.code, 1, alone.err);
    assert.equal(
      alone.out,
      `Refused: missing.XML\n  s2s-client cannot read ${missing}: there is no such file.\n  What to do: Check the name and the folder, then send it again.\n`,
    );

    const third = ctfFile();
    const asJson = await run(['send', '--json', missing, third.path], tokenA);
    assert.equal(asJson.code, 1, asJson.err);
    const report = JSON.parse(asJson.out);
    assert.equal(report.accepted, 1);
    assert.equal(report.notAccepted, 1);
    assert.deepEqual(report.results[0], {
      status: 'refused',
      filename: 'missing.XML',
      reasons: [`s2s-client cannot read ${missing}: there is no such file.`],
      whatToDo: 'Check the name and the folder, then send it again.',
    });
    assert.equal(report.results[1].status, 'accepted');

    // Settings missing: the refusals and the files not sent, still as JSON (exit 1: one was refused).
    const unset = await run(['send', '--json', missing, third.path], undefined, { S2S_URL: '' });
    assert.equal(unset.code, 1, unset.err);
    assert.deepEqual(JSON.parse(unset.out).notSent, [third.filename]);
    assert.match(unset.err, /S2S_URL|url/i);
    const onlyUnset = await run(['send', '--json', third.path], undefined, { S2S_URL: '' });
    assert.equal(onlyUnset.code, 3, onlyUnset.err);
    assert.deepEqual(JSON.parse(onlyUnset.out), {
      accepted: 0,
      notAccepted: 0,
      results: [],
      notSent: [third.filename],
    });
  });

  test('send of several files: a closing line counts what became of them, not sent included', async () => {
    const token = await transferTokenWithRequestsLeft(1);
    const files = [ctfFile(), ctfFile(), ctfFile()];
    const stopped = await run(['send', ...files.map((f) => f.path)], token, {}, { limitStays: true });
    assert.equal(stopped.code, 4, stopped.err);
    assert.match(stopped.out, /\n3 files: 1 accepted, 2 not sent \(send them again\)\.\n$/);
    t.clock.advanceMinutes(2);
    const again = await run(['send', ...files.map((f) => f.path)], token);
    assert.equal(again.code, 0, again.err);
    assert.match(again.out, /\n3 files: 2 accepted, 1 already received\.\n$/);
  });

  test('send: the same file sent again (its answer lost) is already received (exit 0); another file of its name is refused, naming the waiting one (exit 1)', async () => {
    const file = ctfFile();
    const sent = await run(['send', '--json', file.path], tokenA);
    assert.equal(sent.code, 0, sent.err);
    const id = JSON.parse(sent.out).results[0].transferId as string;

    const again = await run(['send', file.path], tokenA);
    assert.equal(again.code, 0, again.err + again.out);
    assert.equal(
      again.out,
      `Already received: ${file.filename} — the same file arrived earlier and is waiting for Riverside Primary School (${schoolB.number}) to collect it (id ${id}). It was not sent again.\n`,
    );
    const asJson = JSON.parse((await run(['send', '--json', file.path], tokenA)).out);
    assert.equal(asJson.results[0].alreadyReceived, true);
    assert.equal(asJson.results[0].transferId, id);

    writeFileSync(file.path, file.content.replace('</CTfile>', '<!-- made again --></CTfile>'));
    const changed = await run(['send', file.path], tokenA);
    assert.equal(changed.code, 1, changed.err);
    assert.match(
      changed.out,
      new RegExp(`Refused: ${file.filename}\n  A file named ${file.filename} from you is already waiting`),
    );
    assert.match(changed.out, new RegExp(`  The file waiting under that name: id ${id}\n`));
  });

  test('send: a census return sent while its LA takes part in a live COLLECT collection says where to load it', async () => {
    const collection = await liveCollection(database.db, userA, [schoolA.la_number]);
    const filename = censusFilename(schoolA.number, 2026, 7);
    const path = join(work, filename);
    writeFileSync(path, censusReturnXml({ school: schoolA.number, year: 2026 }));
    const sent = await run(['send', path], tokenA);
    assert.equal(sent.code, 0, sent.err + sent.out);
    assert.match(sent.out, new RegExp(`Accepted: ${filename}`));
    assert.ok(
      sent.out.includes(
        `  Note: This census return was sent to your LA as a file. To make your census return, load it into COLLECT: Upload Return from File for School Census 2026 Autumn ${schoolA.la_number} ${collection.slice(0, 8)}, /collect/collections/${collection}/upload\n`,
      ),
      sent.out,
    );
  });

  test('fetch: B gets the file byte for byte, SHA-256 checked, accepted; again nothing; --again fetches it again', async () => {
    const file = ctfFile();
    assert.equal((await run(['send', file.path], tokenA)).code, 0);
    const dir = mkdir(join(work, 'inbox'));

    const listed = await run(['list', '--json'], tokenB);
    assert.equal(listed.code, 0, listed.err);
    const item = JSON.parse(listed.out).find((f: { filename: string }) => f.filename === file.filename);
    assert.ok(item, 'B lists the file');
    const table = await run(['list'], tokenB);
    assert.match(table.out, /ID\s+FILENAME\s+FROM\s+STATUS\s+UPLOADED/);
    assert.match(table.out, new RegExp(`${item.id}\\s+${file.filename}\\s+Hillside Primary School`));

    const first = await run(['fetch', '--to', dir, '--json'], tokenB);
    assert.equal(first.code, 0, first.err);
    const report = JSON.parse(first.out);
    const fetched = report.fetched.find((f: { id: string }) => f.id === item.id);
    assert.ok(fetched, first.out);
    assert.equal(fetched.accepted, true);
    assert.equal(fetched.sha256, createHash('sha256').update(file.content).digest('hex'));
    assert.equal(readFileSync(join(dir, file.filename), 'utf8'), file.content, 'byte-identical');
    assert.ok(!readdirSync(dir).some((n) => n.endsWith('.part') || n.endsWith('.tmp')), 'no temporary files');
    const state = JSON.parse(readFileSync(join(dir, STATE_FILE), 'utf8'));
    assert.ok(state.fetched.some((f: { id: string }) => f.id === item.id));

    const status = await run(['status', item.id, '--json'], tokenB);
    assert.equal(JSON.parse(status.out).status, 'collected', 'the CTF was accepted');
    const statusText = await run(['status', item.id], tokenB);
    assert.match(statusText.out, /Status:\s+collected/);
    const outgoing = await run(['list', '--outgoing'], tokenA);
    assert.match(
      outgoing.out,
      new RegExp(`${item.id}\\s+${file.filename}\\s+Riverside Primary School \\(\\d{7}\\)\\s+collected`),
    );

    const second = await run(['fetch', '--to', dir, '--json'], tokenB);
    assert.equal(second.code, 0, second.err);
    assert.deepEqual(JSON.parse(second.out).fetched, [], 'nothing is downloaded twice');
    const secondText = await run(['fetch', '--to', dir], tokenB);
    assert.match(secondText.out, /Nothing new to fetch/);

    const again = await run(['fetch', '--to', dir, '--again', '--json'], tokenB);
    assert.equal(again.code, 0, again.err);
    const refetched = JSON.parse(again.out).fetched.find((f: { id: string }) => f.id === item.id);
    assert.ok(refetched, again.out);
    assert.equal(refetched.savedAs, file.filename, 'the same bytes keep the same name');
    assert.equal(refetched.accepted, false, 'already collected');
    assert.ok(!readdirSync(dir).some((n) => n.includes(' (2)')), 'no copy under another name');
  });

  test('fetch: a different file of the same name in the folder is kept, the download gets a suffix', async () => {
    const file = ctfFile();
    assert.equal((await run(['send', file.path], tokenA)).code, 0);
    const dir = mkdir(join(work, 'clash'));
    writeFileSync(join(dir, file.filename), 'somebody else’s file');
    const fetched = await run(['fetch', '--to', dir], tokenB);
    assert.equal(fetched.code, 0, fetched.err);
    assert.equal(readFileSync(join(dir, file.filename), 'utf8'), 'somebody else’s file');
    const suffixed = file.filename.replace(/\.XML$/, ' (2).XML');
    assert.equal(readFileSync(join(dir, suffixed), 'utf8'), file.content);
  });

  test('a CTF downloaded but not accepted (429 on the accept) is accepted by "the same command again"', async () => {
    // Nothing else waiting for B, and a new minute for its token: the requests below are counted exactly.
    assert.equal((await run(['fetch', '--to', mkdir(join(work, 'earlier'))], tokenB)).code, 0);
    t.clock.advanceMinutes(2);
    const file = ctfFile();
    const sent = await run(['send', '--json', file.path], tokenA);
    assert.equal(sent.code, 0, sent.err);
    const id = JSON.parse(sent.out).results[0].transferId as string;
    // B's token has 4 requests left this minute: fetch lists (1), reads the file (2), downloads it (3), accept (4) gets 429.
    for (let n = 0; n < 117; n += 1) {
      const r = await api(t.app, { url: '/api/v1/files/outgoing?pageSize=1', token: tokenB });
      assert.equal(r.statusCode, 200);
    }
    const dir = mkdir(join(work, 'accept-later'));
    // The limit goes on however long the client waits: it stops after its waits.
    const first = await run(['fetch', '--to', dir], tokenB, {}, { limitStays: true });
    assert.equal(first.code, 4);
    assert.equal(first.err.match(WAITING)?.length, LIMIT_WAITS, first.err);
    assert.match(
      first.err.replace(WAITING, ''),
      /^s2s-client: The s2s service is limiting this token \(429\)\./,
    );
    assert.equal(
      first.out,
      `Fetched: ${file.filename} -> ${join(dir, file.filename)} (SHA-256 checked; not accepted yet).\n`,
    );
    assert.equal(readFileSync(join(dir, file.filename), 'utf8'), file.content, 'saved before the accept');
    const state = JSON.parse(readFileSync(join(dir, STATE_FILE), 'utf8'));
    assert.deepEqual(
      state.fetched.map((f: { id: string; accepted: boolean }) => [f.id, f.accepted]),
      [[id, false]],
      'the state says the accept did not go through',
    );

    t.clock.advanceMinutes(2);
    const downloaded = (await api(t.app, { url: `/api/v1/files/${id}`, token: tokenB })).json();
    assert.equal(downloaded.status, 'available');
    const second = await run(['fetch', '--to', dir], tokenB);
    assert.equal(second.code, 0, second.err);
    assert.equal(
      second.out,
      `Accepted: ${file.filename} (downloaded by an earlier fetch to ${join(dir, file.filename)}; not downloaded again).\n`,
    );
    const status = await api(t.app, { url: `/api/v1/files/${id}`, token: tokenB });
    assert.equal(status.json().status, 'collected');
    assert.equal(status.json().lastDownloadedAt, downloaded.lastDownloadedAt, 'not downloaded again');
    assert.equal(JSON.parse(readFileSync(join(dir, STATE_FILE), 'utf8')).fetched[0].accepted, true);
    const third = await run(['fetch', '--to', dir, '--json'], tokenB);
    assert.equal(third.code, 0, third.err);
    assert.deepEqual(JSON.parse(third.out), { fetched: [], acceptedOnly: [], skipped: [], failed: [] });
  });

  test('a state written before the accept was recorded: a CTF it lists that is still waiting is accepted, not downloaded again', async () => {
    const file = ctfFile();
    const sent = await run(['send', '--json', file.path], tokenA);
    const id = JSON.parse(sent.out).results[0].transferId as string;
    // An earlier version downloaded it, wrote its state without the flag, and its accept failed; the
    // MIS has since taken the file out of the folder.
    const download = await api(t.app, { url: `/api/v1/files/${id}/content`, token: tokenB });
    assert.equal(download.statusCode, 200);
    const dir = mkdir(join(work, 'old-state'));
    const entry = { id, filename: file.filename, savedAs: file.filename, at: '2026-11-23T09:00:00.000Z' };
    writeFileSync(join(dir, STATE_FILE), JSON.stringify({ fetched: [entry] }));

    const fetched = await run(['fetch', '--to', dir, '--json'], tokenB);
    assert.equal(fetched.code, 0, fetched.err);
    const report = JSON.parse(fetched.out);
    assert.deepEqual(report.fetched, []);
    assert.deepEqual(report.acceptedOnly, [
      { id, filename: file.filename, savedAs: file.filename, stillInFolder: false },
    ]);
    assert.deepEqual(readdirSync(dir), [STATE_FILE], 'not downloaded again');
    const status = await api(t.app, { url: `/api/v1/files/${id}`, token: tokenB });
    assert.equal(status.json().status, 'collected');
    const state = JSON.parse(readFileSync(join(dir, STATE_FILE), 'utf8'));
    assert.deepEqual(state.fetched, [{ ...entry, accepted: true }]);
  });

  test('fetch: a CTF whose copy has left the folder is accepted, not downloaded again, saying how to get it again', async () => {
    const file = ctfFile();
    const sent = await run(['send', '--json', file.path], tokenA);
    const id = JSON.parse(sent.out).results[0].transferId as string;
    await api(t.app, { url: `/api/v1/files/${id}/content`, token: tokenB });
    const dir = mkdir(join(work, 'moved'));
    const entry = { id, filename: file.filename, savedAs: file.filename, at: '2026-11-23T09:00:00.000Z' };
    writeFileSync(join(dir, STATE_FILE), JSON.stringify({ fetched: [{ ...entry, accepted: false }] }));
    const fetched = await run(['fetch', '--to', dir], tokenB);
    assert.equal(fetched.code, 0, fetched.err);
    assert.equal(
      fetched.out,
      `Accepted: ${file.filename} (downloaded by an earlier fetch, SHA-256 checked; ${join(dir, file.filename)} is no longer there as saved, and it was not downloaded again: fetch --again downloads it again for 7 days).\n`,
    );
  });

  test('a wrong SHA-256 is refused and leaves no file', async () => {
    const dir = mkdir(join(work, 'tampered'));
    const bytes = Buffer.from('<CTfile/>');
    const wrong = createHash('sha256').update('something else').digest('hex');
    await assert.rejects(saveVerified(dir, 'A.XML', [bytes], wrong), ChecksumMismatch);
    await assert.rejects(saveVerified(dir, 'A.XML', [bytes], ''), ChecksumMismatch, 'no digest is no check');
    assert.deepEqual(readdirSync(dir), []);
    const right = createHash('sha256').update(bytes).digest('hex');
    assert.equal(await saveVerified(dir, 'A.XML', [bytes], right), 'A.XML');
    assert.deepEqual(readdirSync(dir), ['A.XML']);
  });

  test("another organisation's token cannot see or fetch B's file (404, reported)", async () => {
    const file = ctfFile();
    const sent = await run(['send', '--json', file.path], tokenA);
    const id = JSON.parse(sent.out).results[0].transferId;
    const status = await run(['status', id], tokenC);
    assert.equal(status.code, 1);
    assert.match(status.err, /was not found.*\(404\)/);
    const client = new ApiClient({ url, token: tokenC });
    await assert.rejects(client.download(id), (e) => e instanceof ApiProblem && e.status === 404);
    const dir = mkdir(join(work, 'other'));
    const fetched = await run(['fetch', '--to', dir, '--json'], tokenC);
    assert.equal(fetched.code, 0);
    assert.deepEqual(JSON.parse(fetched.out).fetched, []);
  });

  test('no token, a wrong token, no service: exit 3 with a message that never shows the token', async () => {
    const none = await run(['list'], undefined);
    assert.equal(none.code, 3);
    assert.match(none.err, /No API token/);

    const bogus = `s2s_${'x'.repeat(43)}`;
    const wrong = await run(['list'], bogus);
    assert.equal(wrong.code, 3);
    assert.match(wrong.err, /refused the API token \(401\)/);
    assert.ok(!wrong.err.includes(bogus) && !wrong.out.includes(bogus));
    // The service's advice, once: not the client's own after it as well.
    assert.equal(wrong.err.match(/make a new (one|token)/gi)?.length, 1, wrong.err);

    // A port nothing listens on (port 9 and the like are refused by fetch itself, before connecting).
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const freePort = (probe.address() as AddressInfo).port;
    await new Promise((resolve) => probe.close(resolve));
    const closed = await run(['list'], tokenB, { S2S_URL: `http://127.0.0.1:${freePort}` });
    assert.equal(closed.code, 3);
    assert.match(closed.err, /Cannot reach the s2s service at http:\/\/127\.0\.0\.1:\d+: ECONNREFUSED/);
    assert.ok(!closed.err.includes(tokenB));

    assert.equal((await run(['fetch'], tokenB)).code, 2, 'fetch without --to');
    assert.equal((await run(['nonsense'], tokenB)).code, 2);
  });

  test('an address that answers, but not as the s2s API does: exit 3 saying so, and a list is asked for once', async () => {
    // Another server at the address, or a proxy's sign-in page answered with 200 to every request: each
    // answer is one the client might once have walked as a list, page after page (the server stops that
    // after 20 requests by closing the connection, so the old client failed here rather than hang).
    const answers: Record<string, { type: string; body: string }> = {
      page: {
        type: 'text/html; charset=utf-8',
        body: '<!DOCTYPE html><html><body>Sign in to the proxy</body></html>',
      },
      broken: { type: 'application/json', body: '{"items": [{"id": ' },
      other: {
        type: 'application/json',
        body: '{"files": [{"id": 1}], "items": [{"name": "x"}], "next": null}',
      },
      empty: { type: 'application/json', body: 'null' },
    };
    /** An answer whose connection is cut half-way through its JSON. */
    const cutOff = { type: 'application/json', body: '{"items": [' };
    let requests = 0;
    let answer = answers.page as { type: string; body: string };
    const { address, close } = await impostor((_request, response) => {
      requests += 1;
      if (requests > 20) return void response.socket?.destroy();
      if (answer === cutOff) {
        response.writeHead(200, { 'content-type': answer.type, 'content-length': '1000' }).write(answer.body);
        return void setTimeout(() => response.socket?.destroy(), 50);
      }
      response.writeHead(200, { 'content-type': answer.type }).end(answer.body);
    });
    try {
      const file = ctfFile();
      for (const [name, given] of Object.entries(answers)) {
        answer = given;
        for (const argv of [
          ['list'],
          ['status', 'abc'],
          ['send', file.path],
          ['fetch', '--to', mkdir(join(work, name))],
        ]) {
          requests = 0;
          const result = await run(argv, tokenB, { S2S_URL: address });
          const what = `${name}: ${argv[0]}`;
          assert.equal(result.code, 3, `${what}: ${result.err}`);
          assert.match(
            result.err,
            new RegExp(
              `^s2s-client: The service at ${address} did not answer as the s2s API does \\(.+\\)\\. Check the address \\(--url, S2S_URL or the settings file\\), and whether a proxy or a sign-in page stands in between\\.\\n$`,
            ),
            what,
          );
          assert.equal(requests, 1, `${what}: one request`);
          assert.ok(!result.err.includes(tokenB), what);
        }
        assert.deepEqual(readdirSync(join(work, name)), [], `${name}: nothing saved`);
      }
      answer = cutOff;
      const cut = await run(['list'], tokenB, { S2S_URL: address });
      assert.equal(cut.code, 3);
      assert.equal(
        cut.err,
        `s2s-client: The answer of the s2s service at ${address} was cut off (UND_ERR_SOCKET). Run the command again.\n`,
      );
      answer = answers.page as { type: string; body: string };
      const page = await run(['list'], tokenB, { S2S_URL: address });
      assert.match(
        page.err,
        /\(text\/html; charset=utf-8: "<!DOCTYPE html><html><body>Sign in to the proxy<\/body><\/html\.\.\."\)/,
      );
    } finally {
      await close();
    }
  });

  /**
   * A server that lists one CTF of 1,000 bytes for B as the API does, and sends its content as `serve`
   * says: whole; cut off (the connection closed) after 100 bytes; or stalled (the connection kept, nothing
   * more sent) after 500.
   */
  async function oneFileServer() {
    const file = {
      id: 'f1',
      filename: `${schoolA.number}_CTF_${schoolB.number}_901.XML`,
      category: 'ctf',
      direction: 'incoming',
      status: 'available',
      uploadedAt: '2026-11-23T10:00:00.000Z',
      size: 1000,
      pupilCount: 1,
    };
    const content = Buffer.alloc(1000, 0x3c);
    const serve = { how: 'whole' as 'whole' | 'cut' | 'stall' };
    const json = (response: ServerResponse, value: unknown) =>
      response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(value));
    const server = await impostor((request, response) => {
      if (request.url?.startsWith('/api/v1/files/incoming')) {
        return void json(response, { items: [file], page: 1, pageSize: 200, total: 1, totalPages: 1 });
      }
      if (request.url === '/api/v1/files/f1') return void json(response, file);
      if (request.url === '/api/v1/files/f1/accept')
        return void json(response, { ...file, status: 'collected' });
      response.writeHead(200, {
        'content-type': 'application/octet-stream',
        'content-length': String(content.length),
        'x-content-sha256': createHash('sha256').update(content).digest('hex'),
      });
      if (serve.how === 'whole') return void response.end(content);
      if (serve.how === 'stall') return void response.write(content.subarray(0, 500));
      response.write(content.subarray(0, 100));
      setTimeout(() => response.socket?.destroy(), 50);
    });
    return { ...server, file, content, serve };
  }

  test('a download cut off on the way: exit 3 saying how far it got, nothing saved, and the next fetch gets it', async () => {
    const { address, close, file, content, serve } = await oneFileServer();
    try {
      const dir = mkdir(join(work, 'cut-off'));
      serve.how = 'cut';
      const cut = await run(['fetch', '--to', dir], tokenB, { S2S_URL: address });
      assert.equal(cut.code, 3, cut.err);
      assert.equal(
        cut.err,
        `s2s-client: The download of file f1 from the s2s service at ${address} stopped after 100 bytes (UND_ERR_SOCKET). Nothing of it was saved: run the command again.\n`,
      );
      assert.deepEqual(readdirSync(dir), [], 'no partial file, and no state naming it');
      serve.how = 'whole';
      const again = await run(['fetch', '--to', dir], tokenB, { S2S_URL: address });
      assert.equal(again.code, 0, again.err);
      assert.deepEqual(readFileSync(join(dir, file.filename)), content);
    } finally {
      await close();
    }
  });

  // The timeout: 1 second in these tests, where the client would otherwise wait fetch's 5 minutes.

  test('a service that takes the connection and never answers, or stops half-way through its answer: exit 3 once the timeout is out, saying what to do', async () => {
    // Nothing answered, but a file's details: begun, then nothing more.
    const { address, close } = await impostor((request, response) => {
      if (request.url === '/api/v1/files/abc') {
        response.writeHead(200, { 'content-type': 'application/json' }).write('{"id": ');
      }
    });
    try {
      const listed = await run(['list', '--timeout', '1'], tokenB, { S2S_URL: address });
      assert.equal(listed.code, 3, listed.err);
      assert.equal(
        listed.err,
        `s2s-client: The s2s service at ${address} did not answer within 1 second. Check the address (--url, S2S_URL or the settings file) and that the service is up, then run the command again; on a slow line, give a longer --timeout.\n`,
      );
      const file = ctfFile();
      const sent = await run(['send', file.path], tokenB, { S2S_URL: address, S2S_TIMEOUT: '1' });
      assert.equal(sent.code, 3, sent.err);
      assert.equal(
        sent.err,
        `s2s-client: The s2s service at ${address} did not answer within 1 second. ${file.filename} may have arrived all the same: sending it again is safe (if it did, it is "already received", not sent twice). Check the address (--url, S2S_URL or the settings file) and that the service is up, then run the command again; on a slow line, give a longer --timeout.\n`,
      );
      const status = await run(['status', 'abc', '--timeout', '1'], tokenB, { S2S_URL: address });
      assert.equal(status.code, 3, status.err);
      assert.equal(
        status.err,
        `s2s-client: The s2s service at ${address} stopped sending its answer for 1 second, after 7 bytes. Run the command again; on a slow line, give a longer --timeout.\n`,
      );
      for (const result of [listed, sent, status]) assert.ok(!result.err.includes(tokenB));
    } finally {
      await close();
    }
  });

  test('an upload the service stops taking: exit 3 once the timeout is out, saying how much was sent', async () => {
    // The body never read: the connection takes what it can hold (some 4 MB on this machine's loopback),
    // then nothing more moves.
    const { address, close } = await impostor(() => {}, true);
    const path = join(work, 'large.XML');
    try {
      writeFileSync(path, Buffer.alloc(16 * 1024 * 1024, 0x20));
      const sent = await run(['send', '--timeout', '1', path], tokenB, { S2S_URL: address });
      assert.equal(sent.code, 3, sent.err);
      assert.match(
        sent.err,
        new RegExp(
          `^s2s-client: The s2s service at ${address} stopped taking the upload for 1 second, after \\d+ of its \\d+ bytes\\. large\\.XML may have arrived all the same: sending it again is safe \\(if it did, it is "already received", not sent twice\\)\\. Run the command again; on a slow line, give a longer --timeout\\.\\n$`,
        ),
      );
    } finally {
      await close();
      rmSync(path);
    }
  });

  test('a download that stops half-way: exit 3 once the timeout is out, with the bytes received, and no file left', async () => {
    const { address, close, file, content, serve } = await oneFileServer();
    try {
      const dir = mkdir(join(work, 'stalled'));
      serve.how = 'stall';
      const stalled = await run(['fetch', '--to', dir, '--timeout', '1'], tokenB, { S2S_URL: address });
      assert.equal(stalled.code, 3, stalled.err);
      assert.equal(
        stalled.err,
        `s2s-client: The s2s service at ${address} stopped sending file f1 for 1 second, after 500 bytes. Nothing of it was saved. Run the command again; on a slow line, give a longer --timeout.\n`,
      );
      assert.deepEqual(readdirSync(dir), [], 'no partial file, and no state naming it');
      serve.how = 'whole';
      const again = await run(['fetch', '--to', dir, '--timeout', '1'], tokenB, { S2S_URL: address });
      assert.equal(again.code, 0, again.err);
      assert.deepEqual(readFileSync(join(dir, file.filename)), content);
    } finally {
      await close();
    }
  });

  test('an upload the service reads slowly but steadily, for longer than the timeout in all, is not cut off', async () => {
    // Read steadily for some 3 seconds in all, with the timeout 1 second. Not slowly in bytes: the
    // loopback connection holds some 4 MB that the client hands over without waiting, and the last of
    // them are read after it has handed over its last piece, when it can only wait for the answer. At
    // 12 MB a second that is a third of a second (on a school's line it holds far less); much slower,
    // and the test would time the loopback's buffers rather than the client.
    const size = 32 * 1024 * 1024;
    const rate = 12 * 1024 * 1024;
    let reading = 0;
    let received = 0;
    const { address, close } = await impostor(async (request, response) => {
      const started = Date.now();
      for await (const piece of request as AsyncIterable<Buffer>) {
        received += piece.length;
        await new Promise((resolve) => setTimeout(resolve, (piece.length / rate) * 1000));
      }
      reading = Date.now() - started;
      const result = {
        status: 'accepted',
        filename: 'large.XML',
        transferId: 't1',
        description: 'a CTF',
        destination: 'Riverside Primary School',
        pupils: 1,
        warnings: [],
      };
      response
        .writeHead(200, { 'content-type': 'application/json' })
        .end(JSON.stringify({ accepted: 1, notAccepted: 0, results: [result] }));
    }, true);
    const path = join(work, 'large.XML');
    try {
      writeFileSync(path, Buffer.alloc(size, 0x20));
      const sent = await run(['send', '--timeout', '1', path], tokenB, { S2S_URL: address });
      assert.equal(sent.code, 0, sent.err);
      assert.match(
        sent.out,
        /^Accepted: large\.XML — a CTF, sent to Riverside Primary School \(id t1\)\.\n$/,
      );
      assert.ok(received > size, 'the whole form was read');
      assert.ok(reading >= 2000, `read over ${reading} ms: more than twice the timeout`);
    } finally {
      await close();
      rmSync(path);
    }
  });

  test('a slow virus scanner: files each checked within the timeout, though not all of them together, are not cut off', async () => {
    // A real clamd, hung (stopped): the service waits CLAMD_TIMEOUT_SECONDS (2) for each file's scan, then
    // leaves the file to the scan job. Four files are some 8 seconds without an answer if checked in
    // one request, against the client's 5; each on its own, some 2.
    const clamd = await TestClamd.start();
    const slow = await createTestApp(database.db, { CLAMD_SOCKET: clamd.socket, CLAMD_TIMEOUT_SECONDS: '2' });
    try {
      await slow.app.listen({ port: 0, host: '127.0.0.1' });
      const address = `http://127.0.0.1:${(slow.app.server.address() as AddressInfo).port}`;
      clamd.pause();
      const files = [ctfFile(), ctfFile(), ctfFile(), ctfFile()];
      const sent = await run(['send', '--json', '--timeout', '5', ...files.map((f) => f.path)], tokenA, {
        S2S_URL: address,
      });
      assert.equal(sent.code, 0, sent.err);
      const body = JSON.parse(sent.out);
      assert.deepEqual(
        body.results.map((r: { filename: string; status: string }) => [r.filename, r.status]),
        files.map((f) => [f.filename, 'accepted']),
      );
      assert.equal(body.accepted, 4);
      for (const result of body.results) {
        const row = await getTransfer(database.db, result.transferId);
        assert.equal(row?.status, 'pending-scan', 'stored, waiting for the scan job');
      }
    } finally {
      await slow.app.close();
      await clamd.stop();
    }
  });

  test('an upload sent on (307, 308) to another address of the same service is sent there again, whole; to another site it is not sent', async () => {
    const file = ctfFile();
    const received: { url: string; token: boolean; whole: boolean }[] = [];
    let redirect = { status: 307, to: '/moved/api/v1/files' };
    const { address, close } = await impostor(async (request, response) => {
      const pieces: Buffer[] = [];
      for await (const piece of request as AsyncIterable<Buffer>) pieces.push(piece);
      received.push({
        url: request.url ?? '',
        token: request.headers.authorization === `Bearer ${tokenB}`,
        whole: Buffer.concat(pieces).includes(file.content),
      });
      if (request.url === '/api/v1/files') {
        return void response.writeHead(redirect.status, { location: redirect.to }).end();
      }
      const result = {
        status: 'accepted',
        filename: file.filename,
        transferId: 't1',
        description: 'a CTF',
        destination: 'Riverside Primary School',
        pupils: 2,
        warnings: [],
      };
      response
        .writeHead(201, { 'content-type': 'application/json' })
        .end(JSON.stringify({ accepted: 1, notAccepted: 0, results: [result] }));
    }, true);
    let reachedElsewhere = 0;
    const elsewhere = await impostor((_request, response) => {
      reachedElsewhere += 1;
      response.writeHead(401).end();
    });
    try {
      for (const [status, to] of [
        [307, '/moved/api/v1/files'],
        [308, `${address}/moved/api/v1/files`],
      ] as const) {
        received.length = 0;
        redirect = { status, to };
        const sent = await run(['send', file.path], tokenB, { S2S_URL: address });
        assert.equal(sent.code, 0, `${status}: ${sent.err}`);
        assert.equal(
          sent.out,
          `Accepted: ${file.filename} — a CTF, sent to Riverside Primary School (id t1).\n`,
        );
        assert.deepEqual(
          received,
          [
            { url: '/api/v1/files', token: true, whole: true },
            { url: '/moved/api/v1/files', token: true, whole: true },
          ],
          `${status}: the file and the token sent again, to the new address`,
        );
      }

      // Pupils' records and the token go to the address given, and nowhere else.
      redirect = { status: 307, to: `${elsewhere.address}/api/v1/files` };
      const away = await run(['send', file.path], tokenB, { S2S_URL: address });
      assert.equal(away.code, 3, away.err);
      assert.equal(
        away.err,
        `s2s-client: The s2s service at ${address} sent the upload on to another site (${elsewhere.address}), so ${file.filename} was not sent there: s2s-client sends files and the token only to the service's address. If that is the service's address now, give it (--url, S2S_URL or the settings file).\n`,
      );
      assert.equal(reachedElsewhere, 0, 'nothing was sent to the other site');

      redirect = { status: 307, to: '/api/v1/files' };
      received.length = 0;
      const loop = await run(['send', file.path], tokenB, { S2S_URL: address });
      assert.equal(loop.code, 3, loop.err);
      assert.equal(
        loop.err,
        `s2s-client: The s2s service at ${address} sent the upload on to another address 5 times over, so ${file.filename} was not sent. Check the address (--url, S2S_URL or the settings file).\n`,
      );
      assert.equal(received.length, 6, 'the first request and 5 sent on');

      redirect = { status: 302, to: '/moved/api/v1/files' };
      received.length = 0;
      const found = await run(['send', file.path], tokenB, { S2S_URL: address });
      assert.equal(found.code, 3, found.err);
      assert.equal(
        found.err,
        `s2s-client: The s2s service at ${address} answered the upload with a redirect (302) to ${address}/moved/api/v1/files, which an upload cannot follow, so ${file.filename} was not sent. Check the address (--url, S2S_URL or the settings file).\n`,
      );
      assert.equal(received.length, 1, 'not sent on');
    } finally {
      await close();
      await elsewhere.close();
    }
  });

  test('send stopped part of the way (429): the answers so far shown, the files not sent named, and the same command again sends them', async () => {
    // One request left this minute: the first file's.
    const token = await transferTokenWithRequestsLeft(1);
    const files = [ctfFile(), ctfFile(), ctfFile()];
    const paths = files.map((f) => f.path);
    const stopped = await run(['send', ...paths], token, {}, { limitStays: true });
    assert.equal(stopped.code, 4, stopped.err);
    assert.match(stopped.out, new RegExp(`^Accepted: ${files[0]?.filename} — `));
    assert.equal(
      stopped.out.split('\n').slice(1).join('\n'),
      '3 files: 1 accepted, 2 not sent (send them again).\n',
      'the first answer, then the count',
    );
    assert.equal(stopped.err.match(WAITING)?.length, LIMIT_WAITS, stopped.err);
    assert.match(
      stopped.err.replace(WAITING, ''),
      new RegExp(
        `^s2s-client: The s2s service is limiting this token \\(429\\)\\..* Try again after \\d+ seconds\\.\\ns2s-client: The files after it were not sent either: ${files[2]?.filename}\\.\\n$`,
      ),
    );

    t.clock.advanceMinutes(2);
    for (let n = 0; n < 119; n += 1) await api(t.app, { url: '/api/v1/files/outgoing?pageSize=1', token });
    const asJson = await run(['send', '--json', ...paths], token, {}, { limitStays: true });
    assert.equal(asJson.code, 4, asJson.err);
    const report = JSON.parse(asJson.out);
    assert.equal(report.results[0].alreadyReceived, true);
    assert.deepEqual(report.notSent, [files[1]?.filename, files[2]?.filename]);

    t.clock.advanceMinutes(2);
    const again = await run(['send', ...paths], token);
    assert.equal(again.code, 0, again.err);
    assert.match(again.out, new RegExp(`^Already received: ${files[0]?.filename} `));
    assert.match(
      again.out,
      new RegExp(`\nAccepted: ${files[1]?.filename} — .*\nAccepted: ${files[2]?.filename} — `),
    );
  });

  test('send of more files than the token may send in a minute: it waits out the limit and sends them all', async () => {
    // One request left this minute: the first file's; the others wait for the next minute.
    const token = await transferTokenWithRequestsLeft(1);
    const files = [ctfFile(), ctfFile(), ctfFile()];
    const sent = await run(['send', ...files.map((f) => f.path)], token);
    assert.equal(sent.code, 0, sent.err);
    assert.deepEqual(
      sent.out
        .split('\n')
        .filter((line) => line.startsWith('Accepted: '))
        .map((line) => line.split(' ')[1]),
      files.map((f) => f.filename),
    );
    assert.equal(sent.err.match(WAITING)?.length, 1, sent.err);
    assert.equal(sent.err.replace(WAITING, ''), '');
  });

  test('send holds one file at a time, and that once', async () => {
    // When the service has the first file's request, the client holds its bytes and no others: not the
    // others read ahead, nor a copy for the form. Memory counted live, after a collection.
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const size = 24 * 1024 * 1024;
    const paths = [1, 2, 3].map((n) => {
      const path = join(work, `memory-${n}.XML`);
      writeFileSync(path, Buffer.alloc(size, 0x20 + n));
      return path;
    });
    let held: number | undefined;
    let baseline = 0;
    const { address, close } = await impostor((request, response) => {
      request.on('end', () => {
        if (held === undefined) {
          gc();
          held = process.memoryUsage().arrayBuffers - baseline;
        }
        response
          .writeHead(201, { 'content-type': 'application/json' })
          .end(JSON.stringify({ accepted: 0, notAccepted: 0, results: [] }));
      });
    });
    try {
      gc();
      baseline = process.memoryUsage().arrayBuffers;
      const sent = await run(['send', ...paths], tokenB, { S2S_URL: address });
      assert.equal(sent.code, 0, sent.err);
      assert.ok(held !== undefined && held < 1.5 * size, `held ${held} bytes, with files of ${size}`);
    } finally {
      await close();
      for (const path of paths) rmSync(path);
    }
  });

  test('busy, or too many requests: exit 4 with the wait, and the same command works afterwards', async () => {
    const file = ctfFile();
    const backlog = fillContentChecks(t.app.contentChecks, 16 * 1024 * 1024);
    // The file's own request answered 503 with its result: the result is shown, as among others.
    const busy = await run(['send', file.path], tokenA);
    await backlog;
    assert.equal(busy.code, 4, busy.err);
    assert.equal(
      busy.out,
      `Not sent: ${file.filename} (try again)\n  s2s is busy checking other files just now, so it did not take this one.\n  What to do: Send it again in a minute or two (Retry-After: 60 seconds).\n`,
    );
    assert.equal(busy.err, '');
    const sent = await run(['send', file.path], tokenA);
    assert.equal(sent.code, 0, sent.err);

    // A token's 120 requests a minute: the next is turned away until the minute is out.
    const token = await makeToken(database.db, userA, 'read', t.clock);
    let limited: Result | undefined;
    for (let n = 0; n <= 120 && !limited; n += 1) {
      const listed = await run(['list'], token, {}, { limitStays: true });
      if (listed.code !== 0) limited = listed;
    }
    assert.equal(limited?.code, 4, limited?.err);
    assert.match(
      limited?.err.replace(WAITING, '') ?? '',
      /The s2s service is limiting this token \(429\)\..* Try again after \d+ seconds\./,
    );
  });

  test('send: a file s2s is too busy to take, among others, is "not sent" (exit 4), unless another is refused (exit 1)', async () => {
    // Already received is answered before the content checks, so it is accepted while they are busy.
    const earlier = ctfFile();
    assert.equal((await run(['send', earlier.path], tokenA)).code, 0);
    const bad = join(work, 'pupils.xml');
    writeFileSync(bad, '<CTfile/>');
    const file = ctfFile();

    // The backlog read before the test ends, whatever it asserts: the next test needs the checks free.
    const whileBusy = async (argv: string[]) => {
      const backlog = fillContentChecks(t.app.contentChecks, 16 * 1024 * 1024);
      try {
        return await run(argv, tokenA);
      } finally {
        await backlog;
      }
    };
    const busy = await whileBusy(['send', earlier.path, file.path]);
    assert.equal(busy.code, 4, busy.err + busy.out);
    assert.match(busy.out, new RegExp(`Already received: ${earlier.filename}`));
    assert.match(
      busy.out,
      new RegExp(
        `Not sent: ${file.filename} \\(try again\\)\n  s2s is busy checking other files just now, so it did not take this one.\n  What to do: Send it again in a minute or two`,
      ),
    );

    const refused = await whileBusy(['send', bad, file.path]);
    assert.equal(refused.code, 1, refused.err + refused.out);
    assert.match(refused.out, /Refused: pupils\.xml/);
    assert.match(refused.out, new RegExp(`Not sent: ${file.filename} \\(try again\\)`));
  });

  test('the real bin: send and a refused token, with the documented exit codes', async () => {
    // Asynchronously: the service runs in this process, so a synchronous spawn would block its answers.
    const bin = (args: string[], env: NodeJS.ProcessEnv) =>
      new Promise<{ status: number | null; stdout: string; stderr: string }>((resolve) => {
        execFile(
          process.execPath,
          ['bin/s2s-client.js', ...args],
          { cwd: ROOT, env },
          (error, stdout, stderr) => {
            resolve({
              status: error ? (typeof error.code === 'number' ? error.code : null) : 0,
              stdout,
              stderr,
            });
          },
        );
      });
    const file = ctfFile();
    const env = { ...process.env, HOME: home, S2S_URL: url, S2S_TOKEN: tokenA };
    const sent = await bin(['send', file.path], env);
    assert.equal(sent.status, 0, sent.stderr);
    assert.match(sent.stdout, /Accepted: /);
    const bogus = `s2s_${'y'.repeat(43)}`;
    const refused = await bin(['list'], { ...env, S2S_TOKEN: bogus });
    assert.equal(refused.status, 3);
    assert.match(refused.stderr, /401/);
    assert.ok(!refused.stderr.includes(bogus) && !refused.stdout.includes(bogus));
  });

  test('settings: flags over environment over the config file; a file others can read is refused', async () => {
    const path = join(work, 'client.json');
    const settings = (given: Record<string, unknown>) => {
      writeFileSync(path, JSON.stringify({ url: 'http://file.example', token: 'file-token', ...given }));
      chmodSync(path, 0o600);
    };
    settings({ timeout: 30 });
    const load = (flags: Record<string, string>, env: Record<string, string>) =>
      loadClientSettings({ flags: { config: path, ...flags }, env, home });
    assert.deepEqual(await load({}, {}), { url: 'http://file.example', token: 'file-token', timeout: 30 });
    assert.deepEqual(
      await load({}, { S2S_URL: 'http://env.example', S2S_TOKEN: 'env-token', S2S_TIMEOUT: '20' }),
      { url: 'http://env.example', token: 'env-token', timeout: 20 },
    );
    assert.deepEqual(
      await load(
        { url: 'http://flag.example', token: 'flag-token', timeout: '10' },
        { S2S_URL: 'http://env.example', S2S_TIMEOUT: '20' },
      ),
      { url: 'http://flag.example', token: 'flag-token', timeout: 10 },
    );
    settings({});
    assert.equal((await load({}, {})).timeout, 60, 'set nowhere: a minute');

    // A timeout that is no use: the setting named, and what to give; exit 3, as other settings.
    const wrong = (setting: string) => (error: unknown) =>
      error instanceof ClientConfigError &&
      error.message ===
        `${setting} must be a whole number of seconds from 1 to 3600: how long to wait for the service to answer, or for a transfer that stopped moving to move again (60 if not set).`;
    for (const timeout of ['0', '-5', 'soon', '1.5', '86400', '1e9']) {
      await assert.rejects(load({ timeout }, {}), wrong('--timeout'), timeout);
      await assert.rejects(load({}, { S2S_TIMEOUT: timeout }), wrong('S2S_TIMEOUT'), timeout);
    }
    for (const timeout of [0, -5, 1.5, 86400, 'soon', true, null]) {
      settings({ timeout });
      await assert.rejects(load({}, {}), wrong(`"timeout" in ${path}`), String(timeout));
    }
    settings({ timeout: 'soon' });
    assert.equal((await load({}, { S2S_TIMEOUT: '20' })).timeout, 20, "the file's is not the one used");
    const refusedTimeout = await run(['list', '--timeout=-5'], tokenB);
    assert.equal(refusedTimeout.code, 3, refusedTimeout.err);
    assert.match(
      refusedTimeout.err,
      /^s2s-client: --timeout must be a whole number of seconds from 1 to 3600/,
    );
    settings({});

    // ~/.s2s-client.json is read when no --config is given, and may be absent.
    writeFileSync(join(home, '.s2s-client.json'), JSON.stringify({ url, token: tokenB }));
    chmodSync(join(home, '.s2s-client.json'), 0o600);
    assert.equal((await run(['list'], undefined, { S2S_URL: '' })).code, 0);
    rmSync(join(home, '.s2s-client.json'));

    chmodSync(path, 0o644);
    await assert.rejects(load({}, {}), (e) => {
      assert.ok(e instanceof ClientConfigError);
      assert.match(e.message, /chmod 600/);
      assert.ok(!e.message.includes('file-token'));
      return true;
    });
    const refused = await run(['list', '--config', path], undefined);
    assert.equal(refused.code, 3);
    assert.match(refused.err, /can be read by other users.*chmod 600/);
    await assert.rejects(load({ config: join(work, 'missing.json') }, {}), ClientConfigError);
  });
});
