// What the benchmarks that drive the real service share: starting `s2s serve` (and a PostgreSQL
// database of its own), a keep-alive HTTP client with browser-like sessions (cookies, the CSRF token of
// the last page, forms and multipart uploads as a browser sends them), and readings of the machine
// (/proc: CPU time of a process, load average, peak memory).
import { type ChildProcess, execSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { closeSync, openSync, readdirSync, readFileSync } from 'node:fs';
import { Agent, request as httpRequest } from 'node:http';
import { createServer } from 'node:net';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import pg from 'pg';
import { DEMO_PASSWORD } from '../src/demo/seed.ts';
import { POSTGRES_URL } from '../test/support/databases.ts';

/** The machine a benchmark ran on, as each table in docs/benchmarks.md names it. */
export function machine(): string {
  const cpu = cpus()[0]?.model ?? 'unknown CPU';
  const memory = Math.round(totalmem() / 2 ** 30);
  let postgres = 'unknown';
  try {
    postgres = execSync('psql --version', { encoding: 'utf8' }).trim();
  } catch {
    // psql not installed: the version is not essential
  }
  return `${cpus().length} cores (${cpu}), ${memory} GiB memory, Node ${process.version}, ${postgres}`;
}

/** This checkout of s2s. */
export const REPO = fileURLToPath(new URL('..', import.meta.url));

export function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
}

/**
 * The fields of a /proc/<pid>/stat line after the command's name, the state (field 3 of stat(5)) at index
 * 0: utime and stime at 11 and 12, the reaped children's at 13 and 14, in clock ticks (100 a second).
 */
function statFields(stat: string): string[] {
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
}

/** User + system CPU seconds of a process, from /proc (Linux). */
export function processCpuSeconds(pid: number): number {
  const fields = statFields(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/**
 * The CPU time of the PostgreSQL server running on this machine, all of it (every database's, so other
 * work on the same server shows too): its processes', and that of its processes that have exited (a
 * backend whose connection closed), which the kernel adds to the postmaster's children's time. Null
 * when no PostgreSQL runs here (a remote server).
 */
export function postgresCpuSeconds(): number | null {
  const processes = new Map<number, { ppid: number; own: number; children: number }>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
    } catch {
      continue; // exited since the listing
    }
    if (stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')) !== 'postgres') continue;
    const fields = statFields(stat);
    processes.set(Number(entry), {
      ppid: Number(fields[1]),
      own: Number(fields[11]) + Number(fields[12]),
      children: Number(fields[13]) + Number(fields[14]),
    });
  }
  if (processes.size === 0) return null;
  let ticks = 0;
  for (const server of processes.values()) {
    ticks += server.own;
    // The postmaster (its parent is not PostgreSQL) reaps the backends: their time is in its children's.
    if (!processes.has(server.ppid)) ticks += server.children;
  }
  return ticks / 100;
}

export function loadAverage(): number {
  return Number(readFileSync('/proc/loadavg', 'utf8').split(' ')[0]);
}

export function peakRssMB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0);
  return kb / 1024;
}

export async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  server.close();
  if (!address || typeof address === 'string') throw new Error('no port');
  return address.port;
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export interface Response {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

export class Client {
  readonly agent: Agent;

  constructor(
    private readonly baseUrl: string,
    sockets: number,
  ) {
    this.agent = new Agent({ keepAlive: true, maxSockets: sockets });
  }

  send(
    method: string,
    path: string,
    headers: Record<string, string>,
    body: Buffer[] = [],
  ): Promise<Response> {
    return new Promise((resolve, reject) => {
      const length = body.reduce((sum, chunk) => sum + chunk.length, 0);
      const req = httpRequest(
        `${this.baseUrl}${path}`,
        {
          method,
          agent: this.agent,
          headers: body.length > 0 ? { ...headers, 'content-length': String(length) } : headers,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('end', () =>
            resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }),
          );
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      // Every request is bounded in time too: a stuck server fails the benchmark instead of hanging it.
      req.setTimeout(120_000, () => req.destroy(new Error(`${method} ${path} timed out`)));
      for (const chunk of body) req.write(chunk);
      req.end();
    });
  }
}

/** One browser: its cookies and the CSRF token of the last page it read. */
export class Session {
  private cookies = new Map<string, string>();
  token = '';

  constructor(private readonly client: Client) {}

  async get(path: string): Promise<Response> {
    return this.remember(await this.client.send('GET', path, this.headers()));
  }

  async postForm(path: string, form: Record<string, string>): Promise<Response> {
    const body = new URLSearchParams({ _csrf: this.token, ...form }).toString();
    return this.remember(
      await this.client.send(
        'POST',
        path,
        { ...this.headers(), 'content-type': 'application/x-www-form-urlencoded' },
        [Buffer.from(body)],
      ),
    );
  }

  async postMultipart(path: string, head: Buffer, content: Buffer, tail: Buffer, boundary: string) {
    return this.remember(
      await this.client.send(
        'POST',
        path,
        { ...this.headers(), 'content-type': `multipart/form-data; boundary=${boundary}` },
        [head, content, tail],
      ),
    );
  }

  headers(): Record<string, string> {
    const cookie = [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; ');
    return cookie ? { cookie } : {};
  }

  private remember(response: Response): Response {
    const set = response.headers['set-cookie'] ?? [];
    for (const line of Array.isArray(set) ? set : [set]) {
      const pair = line.split(';')[0] ?? '';
      const at = pair.indexOf('=');
      if (at > 0) this.cookies.set(pair.slice(0, at), pair.slice(at + 1));
    }
    // Only pages carry a form's token: a downloaded file is not searched for one, as a browser does not
    // (decoding each 4 MB file to a string to search it cost this client 15-20 ms of CPU per download,
    // on the cores the server uses too, which the baseline's client never spent).
    // A signed-in page with no form still has its token, for the script's keep-alive (decision 84: a token
    // from before sign-in is refused after it).
    if (String(response.headers['content-type'] ?? '').startsWith('text/html')) {
      const page = response.body.toString('utf8');
      const token = (/name="_csrf" value="([^"]+)"/.exec(page) ??
        /data-csrf-token="([^"]+)"/.exec(page))?.[1];
      if (token) this.token = token;
    }
    return response;
  }
}

export async function signIn(client: Client, username: string, formPage: string): Promise<Session> {
  const session = new Session(client);
  await session.get('/sign-in');
  const signedIn = await session.postForm('/sign-in', { username, password: DEMO_PASSWORD });
  if (signedIn.status !== 302 || signedIn.headers.location !== '/') {
    throw new Error(`sign-in as ${username} failed: ${signedIn.status}`);
  }
  const page = await session.get(formPage);
  if (page.status !== 200) throw new Error(`${formPage} answered ${page.status}`);
  return session;
}

/** The upload form as a browser sends it: the CSRF token first, then the file. */
export function multipartParts(
  token: string,
  filename: string,
): { head: Buffer; tail: Buffer; boundary: string } {
  const boundary = `----s2sBench${randomBytes(8).toString('hex')}`;
  const head = Buffer.from(
    `--${boundary}\r\nContent-Disposition: form-data; name="_csrf"\r\n\r\n${token}\r\n` +
      `--${boundary}\r\nContent-Disposition: form-data; name="files"; filename="${filename}"\r\n` +
      'Content-Type: text/xml\r\n\r\n',
  );
  return { head, tail: Buffer.from(`\r\n--${boundary}--\r\n`), boundary };
}

export const htmlText = (value: string) => value.replace(/&amp;/g, '&');

/** Runs a benchmark file in a process of its own (its client or server side); resolves with its output. */
export function runChild(script: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', script, ...args], {
      cwd: REPO,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString('utf8');
    });
    child.on('error', reject);
    child.on('exit', (code) =>
      code === 0 ? resolve(out) : reject(new Error(`${args[0]} exited with code ${code}`)),
    );
  });
}

export async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  await exited;
}

/**
 * Starts `node bin/s2s.js serve` on a free port with its file store and master key in `dir` (processes
 * started on the same folder share them), logging to `dir`/`name`.log; resolves once it is healthy.
 * With `cpuProfileDir`, the service writes a V8 CPU profile there when it stops (for finding where the
 * time goes; the profiler slows it down, so such a run's numbers are not for the tables).
 */
export async function startService(
  dir: string,
  databaseUrl: string,
  options: { name?: string; cpuProfileDir?: string; checkout?: string } = {},
): Promise<{ child: ChildProcess; baseUrl: string; logPath: string }> {
  const port = await freePort();
  const logPath = join(dir, `${options.name ?? 'service'}.log`);
  const log = openSync(logPath, 'a');
  const profile = options.cpuProfileDir;
  const flags = profile ? ['--cpu-prof', '--cpu-prof-dir', profile] : [];
  const child = spawn(process.execPath, [...flags, 'bin/s2s.js', 'serve'], {
    // `checkout`: another checkout of s2s to serve (bench/side-by-side.ts), this one by default.
    cwd: options.checkout ?? REPO,
    env: {
      ...process.env,
      S2S_ENV: 'development',
      SEED_DEMO_DATA: 'true',
      PORT: String(port),
      HOST: '127.0.0.1',
      DATABASE_URL: databaseUrl,
      FILE_STORE_DIR: join(dir, 'files'),
      MASTER_KEY_FILE: join(dir, 'master.key'),
      LOG_LEVEL: 'info',
    },
    stdio: ['ignore', log, log],
  });
  closeSync(log);
  const baseUrl = `http://127.0.0.1:${port}`;
  for (let attempt = 0; ; attempt += 1) {
    if (child.exitCode !== null)
      throw new Error(`s2s serve exited with code ${child.exitCode} (see ${logPath})`);
    try {
      if ((await fetch(`${baseUrl}/healthz`)).ok) break;
    } catch {
      // not listening yet
    }
    // Two minutes: on a busy machine, starting (and migrating) takes a while.
    if (attempt > 1200) {
      await stop(child);
      throw new Error('s2s serve did not become healthy');
    }
    await sleep(100);
  }
  return { child, baseUrl, logPath };
}

export function errorLogLines(logPath: string): number {
  return readFileSync(logPath, 'utf8')
    .split('\n')
    .filter((line) => {
      const level = /"level":(\d+)/.exec(line)?.[1];
      return level !== undefined && Number(level) >= 50;
    }).length;
}

/** A fresh PostgreSQL database beside the test one; dropped by the function returned. */
export async function createPostgresDatabase(): Promise<{ url: string; drop: () => Promise<void> }> {
  const name = `s2s_bench_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: POSTGRES_URL });
  await admin.connect();
  try {
    await admin.query(`create database ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(POSTGRES_URL);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: async () => {
      const cleanup = new pg.Client({ connectionString: POSTGRES_URL });
      await cleanup.connect();
      try {
        await cleanup.query(`drop database if exists ${name} with (force)`);
      } finally {
        await cleanup.end();
      }
    },
  };
}

/** A bare server's side: listens on a free port, tells the parent which, and closes on SIGTERM. */
export async function listenAsBaseline(app: FastifyInstance): Promise<void> {
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.address();
  if (!address || typeof address === 'string') throw new Error('no port');
  process.stdout.write(`${JSON.stringify({ port: address.port })}\n`);
  process.once('SIGTERM', () => {
    void app.close().then(() => process.exit(0));
  });
}

/** Starts a benchmark's bare server (`script` run with `args`); resolves with its address once it listens. */
export async function startBaseline(
  script: string,
  args: string[],
): Promise<{ child: ChildProcess; baseUrl: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', script, ...args], {
    cwd: REPO,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const [line] = (await once(child.stdout as NodeJS.ReadableStream, 'data')) as [Buffer];
  const { port } = JSON.parse(line.toString('utf8').trim().split('\n')[0] ?? '{}') as { port: number };
  return { child, baseUrl: `http://127.0.0.1:${port}` };
}
