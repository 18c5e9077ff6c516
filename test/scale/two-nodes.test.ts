// Two `s2s serve` processes on one PostgreSQL database, one object store (a real S3-compatible server,
// s3rver) and one master key, as behind a load balancer (issue 11): a CTF uploaded through node A downloads byte for byte through node B; a
// session begun on A works on B, and signing out on B ends it on A (the CSRF cookie A set is read by B);
// the API's rate limit is one budget across both; a due job runs once though both schedulers see it.
// The database is one of the test's own (created and dropped here), so `serve` runs unmodified.
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { ApiTokenService } from '../../src/api/token-service.ts';
import { DEMO_PASSWORD, seedDemoData } from '../../src/demo/seed.ts';
import { systemClock } from '../../src/platform/clock.ts';
import { createDatabase, migrateToLatest } from '../../src/platform/db/database.ts';
import type { Db } from '../../src/platform/db/schema.ts';
import { EncryptedFileStore } from '../../src/platform/storage/encrypted-store.ts';
import { MasterKey } from '../../src/platform/storage/envelope.ts';
import { MasterKeyring } from '../../src/platform/storage/keyring.ts';
import { S3FileStore } from '../../src/platform/storage/s3-store.ts';
import { type RunningService, startService } from '../e2e/browser.ts';
import { ctfBetween, syntheticPupil } from '../fixtures/ctf/generate.ts';
import { runS2s, s2sEnv } from '../support/cli.ts';
import { POSTGRES_URL, withTestAuditKeys } from '../support/databases.ts';
import { makeUser, markTwoFactorSetUp, TEST_PASSWORD } from '../support/factories.ts';
import { s3ForTests } from '../support/s3.ts';
import { actorOf, makeTransfer, school } from '../support/transfers.ts';

const SOURCE = '9165402'; // demo-school-a
const DESTINATION = '8171234'; // demo-school-b

const sha256 = (data: Buffer | string) => createHash('sha256').update(data).digest('hex');

/** A browser's cookies, kept from each answer and sent with each request, to whichever node. */
class CookieJar {
  private readonly cookies = new Map<string, string>();
  header(): string {
    return [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; ');
  }
  keep(response: Response): void {
    for (const cookie of response.headers.getSetCookie()) {
      const [pair = ''] = cookie.split(';');
      const name = pair.slice(0, pair.indexOf('='));
      const value = pair.slice(pair.indexOf('=') + 1);
      if (value === '' || /expires=Thu, 01 Jan 1970/i.test(cookie)) this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }
}

const csrfTokenOf = (html: string) => /name="_csrf" value="([^"]+)"/.exec(html)?.[1] ?? '';

/** A browser: requests to any node with its cookies, redirects not followed. */
function aBrowser() {
  const jar = new CookieJar();
  const request = async (url: string, init: RequestInit = {}) => {
    const response = await fetch(url, {
      ...init,
      redirect: 'manual',
      headers: { ...(init.headers as Record<string, string>), cookie: jar.header() },
    });
    jar.keep(response);
    return response;
  };
  const post = (url: string, fields: Record<string, string>) =>
    request(url, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(fields).toString(),
    });
  /** Posts the form of the page at `pageUrl` (its CSRF token) to `url`. */
  const submit = async (pageUrl: string, url: string, fields: Record<string, string> = {}) => {
    const page = await request(pageUrl);
    assert.equal(page.status, 200, `${pageUrl} opens`);
    return post(url, { _csrf: csrfTokenOf(await page.text()), ...fields });
  };
  return { request, post, submit };
}

describe('two app processes on one PostgreSQL database', () => {
  const dir = mkdtempSync(join(tmpdir(), 's2s-nodes-'));
  const databaseName = `s2s_nodes_${randomBytes(6).toString('hex')}`;
  const databaseUrl = Object.assign(new URL(POSTGRES_URL), { pathname: `/${databaseName}` }).toString();
  const masterKey = MasterKey.generate();
  const s3 = s3ForTests();
  const nodes: RunningService[] = [];
  let db: Db;
  let a: string;
  let b: string;
  /** A collected file past its 7 days of re-download: the purge-files job is due to delete it. */
  let purgeDue: string;

  /** A node: `s2s serve` with the shared database, object store and master key, its scheduler on. */
  async function startNode(): Promise<string> {
    const node = await startService({
      DATABASE_URL: databaseUrl,
      ...s3().env,
      MASTER_KEY_FILE: join(dir, 'master.key'),
      LOG_LEVEL: 'silent',
      SCHEDULER: 'on',
    });
    nodes.push(node);
    return node.baseUrl;
  }

  async function tokenOf(username: string): Promise<string> {
    const user = await db
      .selectFrom('users')
      .selectAll()
      .where('username', '=', username)
      .executeTakeFirstOrThrow();
    const service = new ApiTokenService({ db, clock: systemClock });
    return (await service.create(actorOf(user), { name: 'two nodes', scope: 'transfer', expiry: '30' }))
      .token;
  }

  before(async () => {
    const admin = new pg.Client({ connectionString: POSTGRES_URL });
    await admin.connect();
    await admin.query(`create database ${databaseName}`);
    await admin.end();
    writeFileSync(join(dir, 'master.key'), `${masterKey.toBase64()}\n`, { mode: 0o600 });
    // What `s2s migrate` and `s2s seed-demo` do, so that the due file is there before the nodes start.
    db = withTestAuditKeys(createDatabase(databaseUrl));
    await migrateToLatest(db);
    await seedDemoData(db, systemClock);
    const files = new EncryptedFileStore(new S3FileStore(s3().storeConfig()), new MasterKeyring(masterKey));
    const longAgo = new Date(Date.now() - 8 * 86_400_000).toISOString();
    const due = await makeTransfer(db, files, {
      from: school(SOURCE),
      to: school(DESTINATION),
      overrides: { status: 'collected', collected_at: longAgo, last_downloaded_at: longAgo },
    });
    purgeDue = due.row.id;
    // Both at once: each scheduler's first check runs as it starts listening.
    [a, b] = await Promise.all([startNode(), startNode()]);
  });

  after(async () => {
    await Promise.all(nodes.splice(0).map((node) => node.stop()));
    await db?.destroy();
    const admin = new pg.Client({ connectionString: POSTGRES_URL });
    await admin.connect();
    await admin.query(`drop database if exists ${databaseName} with (force)`);
    await admin.end();
    rmSync(dir, { recursive: true, force: true });
  });

  test('a CTF uploaded through node A downloads byte for byte through node B', async () => {
    const [sender, receiver] = [await tokenOf('demo-school-a'), await tokenOf('demo-school-b')];
    const filename = `${SOURCE}_CTF_${DESTINATION}_001.XML`;
    const content = ctfBetween(SOURCE, DESTINATION, [
      syntheticPupil(1, { lea: SOURCE.slice(0, 3), estab: SOURCE.slice(3) }, false),
    ]);
    const form = new FormData();
    form.append('files', new Blob([content], { type: 'application/xml' }), filename);
    const uploaded = await fetch(`${a}/api/v1/files`, {
      method: 'POST',
      headers: { authorization: `Bearer ${sender}` },
      body: form,
    });
    assert.equal(uploaded.status, 201);
    const { results } = (await uploaded.json()) as { results: { transferId: string }[] };
    const downloaded = await fetch(`${b}/api/v1/files/${results[0]?.transferId}/content`, {
      headers: { authorization: `Bearer ${receiver}` },
    });
    assert.equal(downloaded.status, 200);
    assert.equal(sha256(Buffer.from(await downloaded.arrayBuffer())), sha256(content));
  });

  test('a session begun on A works on B, and signing out on B ends it on A', async () => {
    const { request, post } = aBrowser();
    const signInPage = await (await request(`${a}/sign-in`)).text();
    const signedIn = await post(`${a}/sign-in`, {
      _csrf: csrfTokenOf(signInPage),
      username: 'demo-la-user',
      password: DEMO_PASSWORD,
    });
    assert.equal(signedIn.status, 302);
    assert.equal(signedIn.headers.get('location'), '/');
    const home = await request(`${b}/`);
    assert.equal(home.status, 200, 'B knows the session A began');
    assert.match(await home.text(), /Logoff/, 'signed in');

    // The form's token comes from a page of A; B checks it against the CSRF cookie A signed.
    const signOutPage = await (await request(`${a}/sign-out`)).text();
    const signedOut = await post(`${b}/sign-out`, { _csrf: csrfTokenOf(signOutPage) });
    assert.equal(signedOut.status, 302);
    assert.equal(signedOut.headers.get('location'), '/sign-in?signed-out=1');
    const after = await request(`${a}/`);
    assert.equal(after.status, 302, 'A no longer knows the session');
    assert.match(String(after.headers.get('location')), /^\/sign-in/);
  });

  test("a DBA's change made through node A holds on node B at B's next request", async () => {
    // No node keeps an account in memory: B reads the session's user and role, and the token, afresh.
    const user = await makeUser(db, 'la_user', { laNumber: '916' });
    const token = await tokenOf(user.username);
    const api = () =>
      fetch(`${b}/api/v1/files/incoming?pageSize=1`, { headers: { authorization: `Bearer ${token}` } });
    const staff = aBrowser();
    const signInOnB = () =>
      staff.submit(`${b}/sign-in`, `${b}/sign-in`, { username: user.username, password: TEST_PASSWORD });
    assert.equal((await signInOnB()).headers.get('location'), '/');
    assert.equal((await staff.request(`${b}/collect`)).status, 200, 'an LA user has Data Collections');
    assert.equal((await api()).status, 200);

    const dba = aBrowser();
    const dbaIn = await dba.submit(`${a}/sign-in`, `${a}/sign-in`, {
      username: 'demo-la-dba',
      password: DEMO_PASSWORD,
    });
    assert.equal(dbaIn.headers.get('location'), '/');
    const role = `${a}/dba/users/${user.id}/role`;
    assert.equal((await dba.submit(role, role, { role: 'la_lost_pupil' })).status, 302);
    // A new role ends the user's sessions and revokes their tokens (accounts/service.ts): on B at once.
    const ended = await staff.request(`${b}/collect`);
    assert.equal(ended.status, 302);
    assert.match(String(ended.headers.get('location')), /^\/sign-in/);
    assert.equal((await api()).status, 401);
    // Signed in again on B, the user has the new role's pages only.
    assert.equal((await signInOnB()).headers.get('location'), '/');
    assert.equal((await staff.request(`${b}/collect`)).status, 403, 'a Lost Pupil user has none');

    const remove = `${a}/dba/users/${user.id}/delete`;
    assert.equal((await dba.submit(remove, remove)).status, 302);
    const gone = await staff.request(`${b}/`);
    assert.equal(gone.status, 302, 'the deleted account is signed out on B');
    assert.match(String(gone.headers.get('location')), /^\/sign-in/);
    const refused = await signInOnB();
    assert.notEqual(refused.status, 302, 'and cannot sign in on B');
  });

  test("the API's 120 requests a minute are one budget across both nodes", async () => {
    const token = await tokenOf('demo-school-b');
    let previous = Number.POSITIVE_INFINITY;
    let inWindow = 0;
    for (let n = 0; ; n += 1) {
      const response = await fetch(`${n % 2 === 0 ? a : b}/api/v1/files/incoming?pageSize=1`, {
        headers: { authorization: `Bearer ${token}` },
      });
      await response.arrayBuffer();
      if (response.status === 429) break;
      assert.equal(response.status, 200);
      const remaining = Number(response.headers.get('x-ratelimit-remaining'));
      // A new clock minute began during the test: counting starts again (fixed windows).
      inWindow = remaining > previous ? 1 : inWindow + 1;
      if (inWindow > 1) assert.equal(remaining, previous - 1, 'each node counts the other node’s requests');
      previous = remaining;
    }
    assert.equal(inWindow, 120, 'the 121st request of the minute was refused, whichever node served it');
  });

  test('a due job runs once, though both nodes check for it', async () => {
    // Stopped nodes have finished the checks they began (serve waits for them), so every run is in.
    await Promise.all(nodes.splice(0).map((node) => node.stop()));
    const runs = await db
      .selectFrom('job_runs')
      .select(['slot', 'status', 'summary'])
      .where('job', '=', 'purge-files')
      .execute();
    assert.ok(runs.length >= 1);
    assert.equal(new Set(runs.map((run) => run.slot)).size, runs.length, 'one run per scheduled time');
    assert.deepEqual(
      runs.filter((run) => run.summary?.includes('1 file')).map((run) => run.status),
      ['succeeded'],
      'and one run deleted the due file',
    );
    const purged = await db
      .selectFrom('audit_events')
      .select('id')
      .where('action', '=', 'file-purged')
      .where('subject_id', '=', purgeDue)
      .execute();
    assert.equal(purged.length, 1);
  });
});

// SQLite is for one node (docs/operations.md), but a command may run beside it on the same file.
describe('an s2s serve node and an s2s command on one SQLite file', () => {
  let node: RunningService;
  let db: Db;

  before(async () => {
    node = await startService({ LOG_LEVEL: 'silent' });
    db = createDatabase(node.databaseUrl);
  });

  after(async () => {
    await db?.destroy();
    await node?.stop();
  });

  test("the command's change holds at the node's next request", async () => {
    const folder = dirname(node.databaseUrl.slice('sqlite:'.length));
    const env = {
      ...s2sEnv(),
      DATABASE_URL: node.databaseUrl,
      FILE_STORE_DIR: join(folder, 'files'),
      MASTER_KEY_FILE: join(folder, 'master.key'),
    };
    const { request, submit } = aBrowser();
    const signIn = await submit(`${node.baseUrl}/sign-in`, `${node.baseUrl}/sign-in`, {
      username: 'demo-la-user',
      password: DEMO_PASSWORD,
    });
    assert.equal(signIn.headers.get('location'), '/');
    assert.equal((await request(`${node.baseUrl}/`)).status, 200);
    // The user has set up two-factor sign-in since.
    await markTwoFactorSetUp(db, 'demo-la-user', new Date().toISOString());

    const reset = runS2s(['users', 'reset-two-factor', '--username', 'demo-la-user'], env);
    assert.equal(reset.code, 0, reset.stderr);
    assert.match(reset.stdout, /has been reset and they have been signed out/);
    const after = await request(`${node.baseUrl}/`);
    assert.equal(after.status, 302, 'the node no longer knows the session the command ended');
    assert.match(String(after.headers.get('location')), /^\/sign-in/);
  });
});
