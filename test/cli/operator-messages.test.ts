// What the command says to an operator whose settings point at the wrong place: each message names the
// setting (DATABASE_URL, PORT and HOST) and what to do, never only Node's or pg's own words.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { cliSandbox, type Run, runServe } from '../support/cli.ts';

const ROOT = join(import.meta.dirname, '..', '..');

/** `s2s ARGS...` run without blocking this process (whose servers must answer it). */
function runAsync(args: string[], env: NodeJS.ProcessEnv): Promise<Run> {
  const child = spawn(process.execPath, ['bin/s2s.js', ...args], { cwd: ROOT, env });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk;
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
  });
  const killer = setTimeout(() => child.kill('SIGKILL'), 30_000);
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(killer);
      resolve({ code, stdout, stderr });
    });
  });
}

function listening(server: Server): Promise<number> {
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      resolve(typeof address === 'object' && address ? address.port : 0);
    });
  });
}

describe('s2s names the setting when what it points at is wrong', () => {
  const sandbox = cliSandbox('operator-messages', { database: true });
  // A server that is not PostgreSQL: it closes every connection at once.
  const notPostgres = createServer((socket) => {
    socket.on('error', () => {});
    socket.once('data', () => socket.end('SSH-2.0-not-postgres\r\n'));
  });
  // A program already on a port.
  const taken = createServer(() => {});
  let notPostgresPort = 0;
  let takenPort = 0;
  before(async () => {
    notPostgresPort = await listening(notPostgres);
    takenPort = await listening(taken);
  });
  after(() => {
    notPostgres.close();
    taken.close();
  });

  test('backup with PostgreSQL unreachable says which setting, as migrate does', async () => {
    const run = await runAsync(['backup', '--to', join(sandbox.dir, 'backup')], {
      ...sandbox.env,
      DATABASE_URL: 'postgres://nobody@127.0.0.1:1/s2s',
    });
    assert.equal(run.code, 1, run.stderr);
    assert.equal(
      run.stderr,
      'The PostgreSQL server at 127.0.0.1:1 (DATABASE_URL) refused the connection: start it, or set ' +
        'DATABASE_URL to the server s2s should use.\n',
    );
  });

  test('DATABASE_URL at a port that is not PostgreSQL says so', async () => {
    const run = await runAsync(['jobs', 'list'], {
      ...sandbox.env,
      DATABASE_URL: `postgres://nobody@127.0.0.1:${notPostgresPort}/s2s`,
    });
    assert.equal(run.code, 1, run.stderr);
    assert.match(run.stderr, /DATABASE_URL/);
    assert.match(run.stderr, /not a PostgreSQL server/);
    assert.doesNotMatch(run.stderr, /^s2s: Connection terminated unexpectedly\n$/);
  });

  test('restore --from a file says it is a file, not a backup folder', async () => {
    const file = join(sandbox.dir, 'manifest.json');
    writeFileSync(file, '{}');
    const run = await runAsync(['restore', '--from', file], sandbox.env);
    assert.equal(run.code, 1, run.stderr);
    assert.match(
      run.stderr,
      /manifest\.json is a file, not a backup folder: give --from the folder s2s backup wrote/,
    );
  });

  test("the command's help shows jobs list --json, as the README does", async () => {
    const run = await runAsync(['--help'], sandbox.env);
    assert.match(run.stdout, /jobs list \[--json\]/);
  });

  test('serve in production warns of a missing TRUST_PROXY, an http address and SMTP without TLS', async () => {
    const run = await runServe({
      ...sandbox.env,
      S2S_ENV: 'production',
      COOKIE_SECRET: 'a-production-secret-of-32-characters-or-more',
      SERVICE_URL: 'http://s2s.example.gov.uk',
      SMTP_HOST: '127.0.0.1',
      SMTP_REQUIRE_TLS: 'false',
      CLAMD_SOCKET: join(sandbox.dir, 'clamd.ctl'),
      MASTER_KEY: Buffer.alloc(32, 7).toString('base64'),
    });
    assert.equal(run.listened, true, run.stderr);
    const warnings = run.stdout
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as { level: number; msg: string })
      .filter((entry) => entry.level === 40)
      .map((entry) => entry.msg);
    assert.ok(
      warnings.some((msg) => /TRUST_PROXY is not set/.test(msg)),
      warnings.join('\n'),
    );
    assert.ok(warnings.some((msg) => /SERVICE_URL is http:\/\//.test(msg)));
    assert.ok(warnings.some((msg) => /SMTP_REQUIRE_TLS=false/.test(msg)));
  });

  test('serve on a port in use names PORT and HOST and what to do', async () => {
    const run = await runAsync(['serve'], {
      ...sandbox.env,
      PORT: String(takenPort),
      HOST: '127.0.0.1',
      SCHEDULER: 'off',
      SEED_DEMO_DATA: 'false',
    });
    assert.equal(run.code, 1, run.stderr);
    assert.match(
      run.stderr,
      new RegExp(
        `s2s: Port ${takenPort} on 127\\.0\\.0\\.1 \\(PORT, HOST\\) is in use by another program: stop it, or set PORT to a free port\\.`,
      ),
    );
  });
});
