// A crash in the middle of work (issue 12.4): `s2s serve` is killed with SIGKILL while 100 uploads
// through the API are in flight. After a restart, no partial file is visible: every file the
// destination is offered downloads whole, byte for byte what was sent, and every upload s2s had
// confirmed is among them. Uploads are stored (fsynced, renamed) before their row is committed, so a
// crash leaves either the whole file recorded or nothing but an orphan the sweep removes.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { ApiTokenService } from '../../src/api/token-service.ts';
import { createDatabase } from '../../src/platform/db/database.ts';
import type { Db } from '../../src/platform/db/schema.ts';
import { freePort } from '../e2e/browser.ts';
import { ctfBetween, syntheticPupil } from '../fixtures/ctf/generate.ts';
import { withTestAuditKeys } from '../support/databases.ts';
import { actorOf } from '../support/transfers.ts';

const SOURCE = '9165402'; // demo-school-a
const DESTINATION = '8171234'; // demo-school-b
const UPLOADS = 100;
/** Tokens per school: the API allows each token 120 requests a minute. */
const TOKENS = 5;

const sha256 = (data: string | Buffer) => createHash('sha256').update(data).digest('hex');

describe('a crash during 100 concurrent uploads', () => {
  const dir = mkdtempSync(join(tmpdir(), 's2s-crash-'));
  const databaseUrl = `sqlite:${join(dir, 's2s.sqlite')}`;
  let child: ChildProcess | undefined;
  let db: Db | undefined;
  after(async () => {
    child?.kill('SIGKILL');
    await db?.destroy();
    rmSync(dir, { recursive: true, force: true });
  });

  async function serve(port: number): Promise<string> {
    const started = spawn(process.execPath, ['bin/s2s.js', 'serve'], {
      env: {
        ...process.env,
        S2S_ENV: 'test',
        PORT: String(port),
        HOST: '127.0.0.1',
        DATABASE_URL: databaseUrl,
        FILE_STORE_DIR: join(dir, 'files'),
        MASTER_KEY_FILE: join(dir, 'master.key'),
        LOG_LEVEL: 'silent',
        SCHEDULER: 'off',
      },
      stdio: 'ignore',
    });
    child = started;
    const baseUrl = `http://127.0.0.1:${port}`;
    for (let attempt = 0; ; attempt += 1) {
      if (started.exitCode !== null) throw new Error(`s2s serve exited with code ${started.exitCode}`);
      try {
        if ((await fetch(`${baseUrl}/healthz`)).ok) return baseUrl;
      } catch {
        // not listening yet
      }
      if (attempt > 300) throw new Error('s2s serve did not become healthy');
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  async function tokensOf(username: string): Promise<string[]> {
    db ??= withTestAuditKeys(createDatabase(databaseUrl));
    const user = await db
      .selectFrom('users')
      .selectAll()
      .where('username', '=', username)
      .executeTakeFirstOrThrow();
    const service = new ApiTokenService({ db, clock: { now: () => new Date() } });
    const tokens: string[] = [];
    for (let i = 0; i < TOKENS; i += 1) {
      tokens.push(
        (await service.create(actorOf(user), { name: `crash ${i}`, scope: 'transfer', expiry: '30' })).token,
      );
    }
    return tokens;
  }

  test('after a restart every file offered is whole, and every confirmed upload is among them', async () => {
    const port = await freePort();
    let baseUrl = await serve(port);
    const senders = await tokensOf('demo-school-a');
    const receivers = await tokensOf('demo-school-b');

    const sent = new Map<string, string>(); // filename -> SHA-256 of what was sent
    const confirmed = new Set<string>();
    let killed = false;
    const uploads = Array.from({ length: UPLOADS }, async (_, i) => {
      const filename = `${SOURCE}_CTF_${DESTINATION}_${String(i + 1).padStart(3, '0')}.XML`;
      const pupils = Array.from({ length: 40 }, (_, n) =>
        syntheticPupil(i * 40 + n, { lea: SOURCE.slice(0, 3), estab: SOURCE.slice(3) }, false),
      );
      const content = ctfBetween(SOURCE, DESTINATION, pupils);
      sent.set(filename, sha256(content));
      const form = new FormData();
      form.append('files', new Blob([content], { type: 'application/xml' }), filename);
      const response = await fetch(`${baseUrl}/api/v1/files`, {
        method: 'POST',
        headers: { authorization: `Bearer ${senders[i % TOKENS]}` },
        body: form,
      });
      const body = (await response.json()) as { results: { status: string }[] };
      if (response.status === 201 && body.results[0]?.status === 'accepted') {
        confirmed.add(filename);
        // The crash: while most of the others are still being received, stored or recorded.
        if (confirmed.size === 10 && !killed) {
          killed = true;
          child?.kill('SIGKILL');
        }
      }
    });
    const outcomes = await Promise.allSettled(uploads);
    assert.ok(killed, 'the server was killed mid-way');
    const interrupted = outcomes.filter((o) => o.status === 'rejected').length;
    assert.ok(interrupted > 0, 'some uploads were cut off by the crash');
    const crashed = child as ChildProcess;
    if (crashed.exitCode === null && crashed.signalCode === null)
      await new Promise((r) => crashed.once('exit', r));

    baseUrl = await serve(port);
    const listed: { id: string; filename: string }[] = [];
    for (let page = 1; ; page += 1) {
      const response = await fetch(`${baseUrl}/api/v1/files/incoming?pageSize=200&page=${page}`, {
        headers: { authorization: `Bearer ${receivers[0]}` },
      });
      assert.equal(response.status, 200);
      const body = (await response.json()) as {
        items: { id: string; filename: string }[];
        totalPages: number;
      };
      listed.push(...body.items);
      if (page >= body.totalPages) break;
    }
    const names = new Set(listed.map((f) => f.filename));
    for (const filename of confirmed)
      assert.ok(names.has(filename), `confirmed ${filename} survived the crash`);
    let n = 0;
    for (const file of listed) {
      const response = await fetch(`${baseUrl}/api/v1/files/${file.id}/content`, {
        headers: { authorization: `Bearer ${receivers[n++ % TOKENS]}` },
      });
      assert.equal(response.status, 200, `${file.filename} downloads`);
      const bytes = Buffer.from(await response.arrayBuffer());
      assert.equal(sha256(bytes), sent.get(file.filename), `${file.filename} is whole, as sent`);
      assert.equal(response.headers.get('x-content-sha256'), sha256(bytes));
    }
    // Nothing else is recorded: every transfer row is one of the files offered.
    const rows = await (db as Db).selectFrom('transfers').select('filename').execute();
    assert.equal(rows.length, listed.length, 'no transfer recorded that is not offered');
  });
});
