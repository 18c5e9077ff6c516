// Transfer benchmarks: end-to-end upload of ~4 MB CTFs (parse + validate + encrypt + store + record) by
// 50 concurrent uploaders, and downloads of the stored files by 20 concurrent downloaders, each against
// a bare Fastify route doing the least the same HTTP exchange can do (multipart to disk; a file streamed
// from disk).
//
// Three processes per measurement, so that the service under test and its client do not share an event
// loop (they still share the machine's cores):
//   - the server: the real service, `node bin/s2s.js serve` (fresh database with the demo data, its own
//     file store and master key), or the bare Fastify baseline (this file with --baseline-server);
//   - the client: this file with --client, plain node:http with keep-alive to 127.0.0.1 only, a fixed
//     number of requests; it reads the server's CPU time from /proc/<pid>/stat around each phase;
//   - this process, which starts them in turn and collects the results.
//
// PostgreSQL runs in a fresh database of its own (created and dropped here), not a schema: the unmodified
// `serve` command then migrates and seeds it exactly as it does SQLite.
//
// While the uploads run, a separate connection times GET /healthz every 100 ms: how long everyone else
// waits while the server is busy.
//
// Run alone: node --import tsx bench/transfers.ts        (prints the results; bench/run.ts records them)
// Smaller or partial runs: BENCH_TRANSFERS_UPLOADERS, _UPLOADS_EACH, _DOWNLOADERS, _BASELINE_RUNS, and
// _ENGINES (sqlite,postgres). BENCH_TRANSFERS_CPU_PROF=DIR writes the service's CPU profile there.

import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import {
  closeSync,
  createReadStream,
  createWriteStream,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
} from 'node:fs';
import { Agent, request as httpRequest } from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import multipart from '@fastify/multipart';
import Fastify from 'fastify';
import pg from 'pg';
import { DEMO_PASSWORD } from '../src/demo/seed.ts';
import type { Engine } from '../src/platform/db/database.ts';
import { MAX_UPLOAD_LIMIT, SCHOOL_UPLOAD_LIMIT } from '../src/transfers/upload-service.ts';
import { CTF25, type CtfOptions, writeSyntheticCtf } from '../test/fixtures/ctf/generate.ts';
import { POSTGRES_URL } from '../test/support/databases.ts';

const UPLOADERS = Number(process.env.BENCH_TRANSFERS_UPLOADERS ?? 50);
const UPLOADS_EACH = Number(process.env.BENCH_TRANSFERS_UPLOADS_EACH ?? 10);
const DOWNLOADERS = Number(process.env.BENCH_TRANSFERS_DOWNLOADERS ?? 20);
/** The baseline is quick and its rate varies from run to run: it is measured this many times (median). */
const BASELINE_RUNS = Number(process.env.BENCH_TRANSFERS_BASELINE_RUNS ?? 3);
const ENGINES = (process.env.BENCH_TRANSFERS_ENGINES ?? 'sqlite,postgres').split(',') as Engine[];

const REPO = fileURLToPath(new URL('..', import.meta.url));
const SELF = fileURLToPath(import.meta.url);
/** Demo schools (src/demo/seed.ts): the sender and the destination. */
const SENDER = { username: 'demo-school-a', lea: '916', estab: '5402' };
const RECEIVER = { username: 'demo-school-b', lea: '817', estab: '1234' };

// ---------------------------------------------------------------------------------------------------
// Results

export interface PhaseResult {
  requests: number;
  errors: number;
  /** The first few errors, as "status: what", for the report. */
  errorSamples: string[];
  seconds: number;
  /** Payload bytes moved (the CTF's bytes per upload or download). */
  bytes: number;
  p50Ms: number;
  p95Ms: number;
  maxMs: number;
  /** CPU time (user + system) of the server process during the phase. */
  serverCpuSeconds: number;
  /** CPU time of the client process during the phase. */
  clientCpuSeconds: number;
  /**
   * Uploads only: while they run, another browser asks for GET /healthz (one database query) every
   * 100 ms on a connection of its own: how long anyone else waits while the server is busy.
   */
  probe?: { requests: number; errors: number; p50Ms: number; p95Ms: number; maxMs: number };
}

export interface TargetResult {
  target: 'baseline' | 's2s';
  engine: Engine | null;
  upload: PhaseResult;
  /** The file route alone: one GET per file. */
  download: PhaseResult;
  /** s2s only: the two requests before each download (POST confirm -> 303, GET the question page). */
  downloadStart: PhaseResult | null;
  /** The server's peak resident memory (VmHWM) over its lifetime, in MB. */
  serverPeakRssMB: number;
  /** Lines at level error or above in the server's log (s2s only; the baseline does not log). */
  serverErrorLogLines: number;
  /** The machine's 1-minute load average before and after (other work on the machine shows here). */
  load: { before: number; after: number };
  /** Every run's rate in MB/s, when the target was measured more than once (the median is reported). */
  runs: { uploadMBs: number[]; downloadMBs: number[] } | null;
}

export interface TransfersBenchResult {
  fileBytes: number;
  pupils: number;
  uploaders: number;
  uploadsEach: number;
  downloaders: number;
  targets: TargetResult[];
  /** Engines not measured, with why. */
  skipped: string[];
}

// ---------------------------------------------------------------------------------------------------
// Helpers shared by the processes

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
}

/** User + system CPU seconds of a process, from /proc (Linux). */
function processCpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // Fields 14 and 15 of stat(5), counted from the state (field 3) at index 0. Clock ticks: 100 a second.
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

function loadAverage(): number {
  return Number(readFileSync('/proc/loadavg', 'utf8').split(' ')[0]);
}

const rateOf = (phase: PhaseResult) => phase.bytes / 2 ** 20 / phase.seconds;

function peakRssMB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0);
  return kb / 1024;
}

async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  server.close();
  if (!address || typeof address === 'string') throw new Error('no port');
  return address.port;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

// ---------------------------------------------------------------------------------------------------
// The baseline server: bare Fastify 5 + @fastify/multipart, the same multipart limits as s2s.

async function baselineServer(dir: string, file: string): Promise<void> {
  const app = Fastify({ bodyLimit: 1024 * 1024 });
  await app.register(multipart, {
    throwFileSizeLimit: false,
    limits: { fileSize: MAX_UPLOAD_LIMIT + 1, files: 20, fields: 10, fieldSize: 4096, parts: 30 },
  });
  let next = 0;
  app.post('/upload', async (request, reply) => {
    let bytes = 0;
    for await (const part of request.parts()) {
      if (part.type !== 'file') continue;
      next += 1;
      const out = createWriteStream(join(dir, `upload-${next}`));
      await pipeline(part.file, out);
      bytes += out.bytesWritten;
    }
    return reply.type('application/json').send({ bytes });
  });
  const { size } = statSync(file);
  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/file', async (_request, reply) =>
    reply
      .header('content-type', 'application/octet-stream')
      .header('content-length', String(size))
      .send(createReadStream(file)),
  );
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.address();
  if (!address || typeof address === 'string') throw new Error('no port');
  process.stdout.write(`${JSON.stringify({ port: address.port })}\n`);
  process.once('SIGTERM', () => {
    void app.close().then(() => process.exit(0));
  });
}

// ---------------------------------------------------------------------------------------------------
// The client

interface ClientSpec {
  target: 'baseline' | 's2s';
  baseUrl: string;
  serverPid: number;
  ctfPath: string;
  uploaders: number;
  uploadsEach: number;
  downloaders: number;
}

interface Response {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

class Client {
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
class Session {
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
    if (String(response.headers['content-type'] ?? '').startsWith('text/html')) {
      const token = /name="_csrf" value="([^"]+)"/.exec(response.body.toString('utf8'))?.[1];
      if (token) this.token = token;
    }
    return response;
  }
}

async function signIn(client: Client, username: string, formPage: string): Promise<Session> {
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

/** Runs `workers` loops at once; each runs `each` tasks in turn. Resolves with every task's latency. */
async function measure(
  serverPid: number,
  workers: number,
  each: (worker: number) => number,
  task: (worker: number, index: number) => Promise<{ ok: true; bytes: number } | { ok: false; why: string }>,
): Promise<PhaseResult> {
  const latencies: number[] = [];
  const errorSamples: string[] = [];
  let errors = 0;
  let bytes = 0;
  // Dirty pages left by the previous phase are written out now, not during this one.
  spawnSync('sync');
  const serverCpu = processCpuSeconds(serverPid);
  const clientCpu = process.cpuUsage();
  const start = performance.now();
  await Promise.all(
    Array.from({ length: workers }, async (_, worker) => {
      for (let index = 0; index < each(worker); index += 1) {
        const began = performance.now();
        let outcome: Awaited<ReturnType<typeof task>>;
        try {
          outcome = await task(worker, index);
        } catch (error) {
          outcome = { ok: false, why: error instanceof Error ? error.message : String(error) };
        }
        latencies.push(performance.now() - began);
        if (outcome.ok) bytes += outcome.bytes;
        else {
          errors += 1;
          if (errorSamples.length < 5) errorSamples.push(outcome.why);
        }
      }
    }),
  );
  const seconds = (performance.now() - start) / 1000;
  const cpu = process.cpuUsage(clientCpu);
  const sorted = latencies.sort((a, b) => a - b);
  return {
    requests: latencies.length,
    errors,
    errorSamples,
    seconds,
    bytes,
    p50Ms: percentile(sorted, 50),
    p95Ms: percentile(sorted, 95),
    maxMs: sorted.at(-1) ?? 0,
    serverCpuSeconds: processCpuSeconds(serverPid) - serverCpu,
    clientCpuSeconds: (cpu.user + cpu.system) / 1e6,
  };
}

/** Runs `phase` while timing GET /healthz every 100 ms on a connection of its own. */
async function probed(baseUrl: string, phase: () => Promise<PhaseResult>): Promise<PhaseResult> {
  const probe = new Client(baseUrl, 1);
  const latencies: number[] = [];
  let errors = 0;
  let done = false;
  const probing = (async () => {
    // Bounded: at most 10 minutes of probes.
    for (let i = 0; i < 6000 && !done; i += 1) {
      const began = performance.now();
      try {
        if ((await probe.send('GET', '/healthz', {})).status !== 200) errors += 1;
      } catch {
        errors += 1;
      }
      latencies.push(performance.now() - began);
      await sleep(100);
    }
  })();
  const result = await phase();
  done = true;
  await probing;
  probe.agent.destroy();
  const sorted = latencies.sort((a, b) => a - b);
  result.probe = {
    requests: sorted.length,
    errors,
    p50Ms: percentile(sorted, 50),
    p95Ms: percentile(sorted, 95),
    maxMs: sorted.at(-1) ?? 0,
  };
  return result;
}

function ctfName(sequence: number): string {
  return `${SENDER.lea}${SENDER.estab}_CTF_${RECEIVER.lea}${RECEIVER.estab}_${String(sequence).padStart(3, '0')}.XML`;
}

/** The upload form as a browser sends it: the CSRF token first, then the file. */
function multipartParts(token: string, filename: string): { head: Buffer; tail: Buffer; boundary: string } {
  const boundary = `----s2sBench${randomBytes(8).toString('hex')}`;
  const head = Buffer.from(
    `--${boundary}\r\nContent-Disposition: form-data; name="_csrf"\r\n\r\n${token}\r\n` +
      `--${boundary}\r\nContent-Disposition: form-data; name="files"; filename="${filename}"\r\n` +
      'Content-Type: text/xml\r\n\r\n',
  );
  return { head, tail: Buffer.from(`\r\n--${boundary}--\r\n`), boundary };
}

const htmlText = (value: string) => value.replace(/&amp;/g, '&');

async function runClient(spec: ClientSpec): Promise<{
  upload: PhaseResult;
  download: PhaseResult;
  downloadStart: PhaseResult | null;
}> {
  const content = readFileSync(spec.ctfPath);
  const client = new Client(spec.baseUrl, Math.max(spec.uploaders, spec.downloaders));
  const log = (message: string) => process.stderr.write(`  [${spec.target}] ${message}\n`);
  const measured = spec.uploaders * spec.uploadsEach;
  // Warm-up numbers follow the measured ones: 001..500 measured, 501..550 warm-up.
  const warmupNumber = (worker: number) => measured + worker + 1;
  const measuredNumber = (worker: number, index: number) => worker * spec.uploadsEach + index + 1;

  if (spec.target === 'baseline') {
    const upload = async (sequence: number) => {
      const { head, tail, boundary } = multipartParts('not-checked', ctfName(sequence));
      const session = new Session(client);
      const response = await session.postMultipart('/upload', head, content, tail, boundary);
      const bytes =
        response.status === 200 ? (JSON.parse(response.body.toString()) as { bytes: number }).bytes : 0;
      return response.status === 200 && bytes === content.length
        ? ({ ok: true, bytes } as const)
        : ({ ok: false, why: `${response.status}: ${bytes} bytes stored` } as const);
    };
    const download = async () => {
      const response = await client.send('GET', '/file', {});
      return response.status === 200 && response.body.equals(content)
        ? ({ ok: true, bytes: response.body.length } as const)
        : ({ ok: false, why: `${response.status}: ${response.body.length} bytes` } as const);
    };
    log('warm-up');
    await measure(
      spec.serverPid,
      spec.uploaders,
      () => 1,
      (worker) => upload(warmupNumber(worker)),
    );
    await measure(
      spec.serverPid,
      spec.downloaders,
      () => 1,
      () => download(),
    );
    log(`${measured} uploads`);
    const uploadPhase = await probed(spec.baseUrl, () =>
      measure(
        spec.serverPid,
        spec.uploaders,
        () => spec.uploadsEach,
        (worker, index) => upload(measuredNumber(worker, index)),
      ),
    );
    log(`${measured} downloads`);
    const perDownloader = (worker: number) =>
      Math.floor(measured / spec.downloaders) + (worker < measured % spec.downloaders ? 1 : 0);
    const downloadPhase = await measure(spec.serverPid, spec.downloaders, perDownloader, () => download());
    return { upload: uploadPhase, download: downloadPhase, downloadStart: null };
  }

  // s2s: one session per uploader and per downloader (the same demo user signed in many times).
  log(`signing in ${spec.uploaders} + ${spec.downloaders} sessions`);
  const senders: Session[] = [];
  for (let i = 0; i < spec.uploaders; i += 1)
    senders.push(await signIn(client, SENDER.username, '/upload/ctf'));
  const receivers: Session[] = [];
  for (let i = 0; i < spec.downloaders; i += 1)
    receivers.push(await signIn(client, RECEIVER.username, '/download/ctf'));

  const upload = async (session: Session, sequence: number) => {
    const { head, tail, boundary } = multipartParts(session.token, ctfName(sequence));
    const response = await session.postMultipart('/upload/ctf', head, content, tail, boundary);
    const page = response.body.toString('utf8');
    if (response.status === 200 && /id="upload-summary">\s*The file was uploaded\./.test(page))
      return { ok: true, bytes: content.length } as const;
    const why = /<li>([^<]*)<\/li>/.exec(page.slice(page.indexOf('upload-summary')))?.[1] ?? '';
    return { ok: false, why: `${response.status}: ${why.slice(0, 200)}` } as const;
  };
  log('warm-up uploads');
  const warmUp = await measure(
    spec.serverPid,
    spec.uploaders,
    () => 1,
    (worker) => upload(senders[worker] as Session, warmupNumber(worker)),
  );
  if (warmUp.errors > 0) throw new Error(`warm-up uploads failed: ${warmUp.errorSamples.join('; ')}`);
  log(`${measured} uploads`);
  const uploadPhase = await probed(spec.baseUrl, () =>
    measure(
      spec.serverPid,
      spec.uploaders,
      () => spec.uploadsEach,
      (worker, index) => upload(senders[worker] as Session, measuredNumber(worker, index)),
    ),
  );

  // The files waiting for the destination school, by name.
  const list = await (receivers[0] as Session).get('/download/ctf');
  const ids = new Map<string, string>();
  for (const match of list.body
    .toString('utf8')
    .matchAll(/\/download\/ctf\/files\/([0-9a-f-]{36})">([^<]+)<\/a>/g)) {
    ids.set(match[2] as string, match[1] as string);
  }
  const measuredIds: string[] = [];
  for (let sequence = 1; sequence <= measured; sequence += 1) {
    const id = ids.get(ctfName(sequence));
    if (id) measuredIds.push(id);
  }
  const warmupIds = Array.from({ length: spec.downloaders }, (_, worker) =>
    ids.get(ctfName(warmupNumber(worker))),
  );

  /** Accept -> confirm (303 with a ticket) -> the question page, which links to the file. */
  const start = async (session: Session, id: string): Promise<string> => {
    const confirmed = await session.postForm('/download/ctf/confirm', { file: id });
    const location = confirmed.headers.location;
    if (confirmed.status !== 303 || typeof location !== 'string')
      throw new Error(`confirm: ${confirmed.status}`);
    const question = await session.get(location);
    const href = /id="download-link" href="([^"]+)"/.exec(question.body.toString('utf8'))?.[1];
    if (question.status !== 200 || !href)
      throw new Error(`question page: ${question.status}, no download link`);
    return htmlText(href);
  };
  const fetchFile = async (session: Session, href: string) => {
    const response = await session.get(href);
    return response.status === 200 && response.body.equals(content)
      ? ({ ok: true, bytes: response.body.length } as const)
      : ({ ok: false, why: `${response.status}: ${response.body.length} bytes` } as const);
  };
  log('warm-up downloads');
  await measure(
    spec.serverPid,
    spec.downloaders,
    () => 1,
    async (worker) => {
      const id = warmupIds[worker];
      if (!id) return { ok: false, why: 'warm-up file not listed' };
      return fetchFile(receivers[worker] as Session, await start(receivers[worker] as Session, id));
    },
  );

  // File f goes to downloader f % downloaders, as its (f / downloaders)-th download.
  const mine = (worker: number) => measuredIds.filter((_, f) => f % spec.downloaders === worker);
  const hrefs = new Map<string, string>();
  log(`${measuredIds.length} download starts (confirm + question page)`);
  const startPhase = await measure(
    spec.serverPid,
    spec.downloaders,
    (worker) => mine(worker).length,
    async (worker, index) => {
      const id = mine(worker)[index] as string;
      hrefs.set(id, await start(receivers[worker] as Session, id));
      return { ok: true, bytes: 0 };
    },
  );
  log(`${measuredIds.length} downloads`);
  const downloadPhase = await measure(
    spec.serverPid,
    spec.downloaders,
    (worker) => mine(worker).length,
    async (worker, index) => {
      const href = hrefs.get(mine(worker)[index] as string);
      if (!href) return { ok: false, why: 'no download link' };
      return fetchFile(receivers[worker] as Session, href);
    },
  );
  // Files that never made it to the list count as failed downloads.
  downloadPhase.errors += measured - measuredIds.length;
  downloadPhase.requests += measured - measuredIds.length;
  return { upload: uploadPhase, download: downloadPhase, downloadStart: startPhase };
}

// ---------------------------------------------------------------------------------------------------
// The orchestrator

function runChild(args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', SELF, ...args], {
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

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  await exited;
}

async function startBaseline(dir: string, file: string): Promise<{ child: ChildProcess; baseUrl: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', SELF, '--baseline-server', dir, file], {
    cwd: REPO,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const [line] = (await once(child.stdout as NodeJS.ReadableStream, 'data')) as [Buffer];
  const { port } = JSON.parse(line.toString('utf8').trim().split('\n')[0] ?? '{}') as { port: number };
  return { child, baseUrl: `http://127.0.0.1:${port}` };
}

async function startService(
  dir: string,
  databaseUrl: string,
): Promise<{ child: ChildProcess; baseUrl: string; logPath: string }> {
  const port = await freePort();
  const logPath = join(dir, 'service.log');
  const log = openSync(logPath, 'a');
  // BENCH_TRANSFERS_CPU_PROF=DIR: the service writes a V8 CPU profile there when it stops (for finding
  // where the time goes; the profiler slows it down, so such a run's numbers are not for the table).
  const profile = process.env.BENCH_TRANSFERS_CPU_PROF;
  const flags = profile ? ['--cpu-prof', '--cpu-prof-dir', profile] : [];
  const child = spawn(process.execPath, [...flags, 'bin/s2s.js', 'serve'], {
    cwd: REPO,
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
    if (attempt > 300) {
      await stop(child);
      throw new Error('s2s serve did not become healthy');
    }
    await sleep(100);
  }
  return { child, baseUrl, logPath };
}

function errorLogLines(logPath: string): number {
  return readFileSync(logPath, 'utf8')
    .split('\n')
    .filter((line) => {
      const level = /"level":(\d+)/.exec(line)?.[1];
      return level !== undefined && Number(level) >= 50;
    }).length;
}

async function client(spec: ClientSpec) {
  const out = await runChild(['--client', JSON.stringify(spec)]);
  return JSON.parse(out.trim().split('\n').at(-1) ?? '{}') as Awaited<ReturnType<typeof runClient>>;
}

/** A fresh PostgreSQL database beside the test one; dropped by the function returned. */
async function createPostgresDatabase(): Promise<{ url: string; drop: () => Promise<void> }> {
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

export async function benchTransfers(): Promise<TransfersBenchResult> {
  const dir = mkdtempSync(join(tmpdir(), 's2s-bench-transfers-'));
  try {
    // A CTF from demo-school-a's school to demo-school-b's, just under the 4 MB a school may send.
    const ctfPath = join(dir, 'ctf.xml');
    const options: CtfOptions = {
      ...CTF25,
      source: {
        lea: SENDER.lea,
        estab: SENDER.estab,
        name: 'Cotswold Edge Primary School',
        academicYear: '2025',
      },
      destination: { lea: RECEIVER.lea, estab: RECEIVER.estab },
    };
    // File numbers are three digits: the measured uploads, then one warm-up upload per uploader.
    if (UPLOADERS * UPLOADS_EACH + UPLOADERS > 999) throw new Error('at most 999 uploads in all');
    const file = await writeSyntheticCtf(ctfPath, { targetBytes: SCHOOL_UPLOAD_LIMIT - 32 * 1024 }, options);
    if (file.bytes > SCHOOL_UPLOAD_LIMIT) throw new Error(`the CTF is ${file.bytes} bytes: over the limit`);
    const common = {
      ctfPath,
      uploaders: UPLOADERS,
      uploadsEach: UPLOADS_EACH,
      downloaders: DOWNLOADERS,
    };
    const targets: TargetResult[] = [];
    const skipped: string[] = [];

    process.stderr.write('transfers: bare Fastify baseline\n');
    const baselineDir = mkdtempSync(join(dir, 'baseline-'));
    const baseline = await startBaseline(baselineDir, ctfPath);
    try {
      const pid = baseline.child.pid as number;
      const before = loadAverage();
      const runs: Awaited<ReturnType<typeof client>>[] = [];
      for (let run = 0; run < BASELINE_RUNS; run += 1) {
        runs.push(await client({ ...common, target: 'baseline', baseUrl: baseline.baseUrl, serverPid: pid }));
        for (const name of readdirSync(baselineDir)) rmSync(join(baselineDir, name), { force: true });
      }
      const median = (phases: PhaseResult[]) =>
        [...phases].sort((a, b) => rateOf(a) - rateOf(b))[Math.floor(phases.length / 2)] as PhaseResult;
      targets.push({
        target: 'baseline',
        engine: null,
        upload: median(runs.map((r) => r.upload)),
        download: median(runs.map((r) => r.download)),
        downloadStart: null,
        serverPeakRssMB: peakRssMB(pid),
        serverErrorLogLines: 0,
        load: { before, after: loadAverage() },
        runs:
          runs.length > 1
            ? {
                uploadMBs: runs.map((r) => rateOf(r.upload)),
                downloadMBs: runs.map((r) => rateOf(r.download)),
              }
            : null,
      });
    } finally {
      await stop(baseline.child);
      rmSync(baselineDir, { recursive: true, force: true });
    }

    for (const engine of ENGINES) {
      process.stderr.write(`transfers: s2s on ${engine}\n`);
      const serviceDir = mkdtempSync(join(dir, `s2s-${engine}-`));
      let database: { url: string; drop: () => Promise<void> };
      if (engine === 'sqlite') {
        database = { url: `sqlite:${join(serviceDir, 's2s.sqlite')}`, drop: async () => {} };
      } else {
        try {
          database = await createPostgresDatabase();
        } catch (error) {
          skipped.push(`postgres: ${error instanceof Error ? error.message : String(error)}`);
          continue;
        }
      }
      try {
        const service = await startService(serviceDir, database.url);
        try {
          const pid = service.child.pid as number;
          const before = loadAverage();
          const result = await client({ ...common, target: 's2s', baseUrl: service.baseUrl, serverPid: pid });
          targets.push({
            target: 's2s',
            engine,
            ...result,
            serverPeakRssMB: peakRssMB(pid),
            serverErrorLogLines: errorLogLines(service.logPath),
            load: { before, after: loadAverage() },
            runs: null,
          });
        } finally {
          await stop(service.child);
        }
      } finally {
        await database.drop();
        rmSync(serviceDir, { recursive: true, force: true });
      }
    }
    return {
      fileBytes: file.bytes,
      pupils: file.pupils,
      uploaders: UPLOADERS,
      uploadsEach: UPLOADS_EACH,
      downloaders: DOWNLOADERS,
      targets,
      skipped,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] === SELF) {
  const [flag, first, second] = process.argv.slice(2);
  if (flag === '--baseline-server' && first && second) await baselineServer(first, second);
  else if (flag === '--client' && first) {
    const result = await runClient(JSON.parse(first) as ClientSpec);
    process.stdout.write(`${JSON.stringify(result)}\n`);
    process.exit(0);
  } else process.stdout.write(`${JSON.stringify(await benchTransfers(), null, 2)}\n`);
}
