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
// Smaller or partial runs: BENCH_TRANSFERS_UPLOADERS, _UPLOADS_EACH, _DOWNLOADERS, _RUNS, and
// _ENGINES (sqlite,postgres). BENCH_TRANSFERS_CPU_PROF=DIR writes the service's CPU profile there.

import { spawnSync } from 'node:child_process';
import {
  createReadStream,
  createWriteStream,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import multipart from '@fastify/multipart';
import Fastify from 'fastify';
import type { Engine } from '../src/platform/db/database.ts';
import { MAX_UPLOAD_LIMIT, SCHOOL_UPLOAD_LIMIT } from '../src/transfers/upload-service.ts';
import { CTF25, type CtfOptions, writeSyntheticCtf } from '../test/fixtures/ctf/generate.ts';
import {
  Client,
  createPostgresDatabase,
  errorLogLines,
  htmlText,
  listenAsBaseline,
  loadAverage,
  multipartParts,
  peakRssMB,
  percentile,
  postgresCpuSeconds,
  processCpuSeconds,
  runChild,
  Session,
  signIn,
  sleep,
  startBaseline,
  startService,
  stop,
} from './support.ts';

const UPLOADERS = Number(process.env.BENCH_TRANSFERS_UPLOADERS ?? 50);
const UPLOADS_EACH = Number(process.env.BENCH_TRANSFERS_UPLOADS_EACH ?? 10);
const DOWNLOADERS = Number(process.env.BENCH_TRANSFERS_DOWNLOADERS ?? 20);
/**
 * Rates vary from run to run by more than the targets' margins (downloads from 0.44x to 0.76x of the
 * bare route in eleven runs of 2026-12-04): the bare route is measured this many times, and s2s's
 * download phase repeated as often over the same files; the median is reported, with every run's rate.
 * s2s's uploads run once (each run would need 500 more files; they are far from their target).
 */
const RUNS = Number(process.env.BENCH_TRANSFERS_RUNS ?? 3);
const ENGINES = (process.env.BENCH_TRANSFERS_ENGINES ?? 'sqlite,postgres').split(',') as Engine[];

const _REPO = fileURLToPath(new URL('..', import.meta.url));
const SELF = fileURLToPath(import.meta.url);
/** Demo schools (src/demo/seed.ts): the sender and the destination. */
export const SENDER = { username: 'demo-school-a', lea: '916', estab: '5402' };
export const RECEIVER = { username: 'demo-school-b', lea: '817', estab: '1234' };

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
  /** s2s on PostgreSQL: the database server's CPU time during the phase (bench/support.ts). */
  databaseCpuSeconds: number | null;
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
  /** Every run's rate in MB/s (the median is reported). */
  runs: { uploadMBs: number[]; downloadMBs: number[] };
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

const rateOf = (phase: PhaseResult) => phase.bytes / 2 ** 20 / phase.seconds;

/** The run of median rate, with the errors of every run (an error in any run is an error). */
function medianRun(phases: readonly PhaseResult[]): PhaseResult {
  const median = [...phases].sort((a, b) => rateOf(a) - rateOf(b))[Math.floor(phases.length / 2)];
  if (!median) throw new Error('no runs to take the median of');
  return {
    ...median,
    errors: phases.reduce((sum, phase) => sum + phase.errors, 0),
    errorSamples: phases.flatMap((phase) => phase.errorSamples).slice(0, 5),
  };
}

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
  await listenAsBaseline(app);
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
  /** s2s: how many times the download phase goes over the files (the baseline is run whole again). */
  downloadRuns: number;
  /** Whether to measure the PostgreSQL server's CPU too (s2s on PostgreSQL). */
  postgres: boolean;
}

/** Runs `workers` loops at once; each runs `each` tasks in turn. Resolves with every task's latency. */
async function measure(
  spec: Pick<ClientSpec, 'serverPid' | 'postgres'>,
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
  const serverCpu = processCpuSeconds(spec.serverPid);
  const databaseCpu = spec.postgres ? postgresCpuSeconds() : null;
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
    serverCpuSeconds: processCpuSeconds(spec.serverPid) - serverCpu,
    clientCpuSeconds: (cpu.user + cpu.system) / 1e6,
    databaseCpuSeconds: databaseCpu === null ? null : (postgresCpuSeconds() ?? databaseCpu) - databaseCpu,
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

/** The measured file's name, numbered: a name is taken while its file waits, so each upload has its own. */
export function ctfName(sequence: number): string {
  return `${SENDER.lea}${SENDER.estab}_CTF_${RECEIVER.lea}${RECEIVER.estab}_${String(sequence).padStart(3, '0')}.XML`;
}

/** A CTF from demo-school-a's school to demo-school-b's, just under the 4 MB a school may send. */
export async function writeBenchCtf(path: string): Promise<{ bytes: number; pupils: number }> {
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
  const file = await writeSyntheticCtf(path, { targetBytes: SCHOOL_UPLOAD_LIMIT - 32 * 1024 }, options);
  if (file.bytes > SCHOOL_UPLOAD_LIMIT) throw new Error(`the CTF is ${file.bytes} bytes: over the limit`);
  return file;
}

/** Uploads `content` as the browser's form does; ok only when the confirmation says it was uploaded. */
export async function uploadCtf(session: Session, content: Buffer, sequence: number) {
  const { head, tail, boundary } = multipartParts(session.token, ctfName(sequence));
  const response = await session.postMultipart('/upload/ctf', head, content, tail, boundary);
  const page = response.body.toString('utf8');
  if (response.status === 200 && /id="upload-summary">\s*The file was uploaded\./.test(page))
    return { ok: true, bytes: content.length } as const;
  const why = /<li>([^<]*)<\/li>/.exec(page.slice(page.indexOf('upload-summary')))?.[1] ?? '';
  return { ok: false, why: `${response.status}: ${why.slice(0, 200)}` } as const;
}

/** Accept -> confirm (303 with a ticket) -> the question page, which links to the file. */
export async function downloadLink(session: Session, id: string): Promise<string> {
  const confirmed = await session.postForm('/download/ctf/confirm', { file: id });
  const location = confirmed.headers.location;
  if (confirmed.status !== 303 || typeof location !== 'string')
    throw new Error(`confirm: ${confirmed.status}`);
  const question = await session.get(location);
  const href = /id="download-link" href="([^"]+)"/.exec(question.body.toString('utf8'))?.[1];
  if (question.status !== 200 || !href)
    throw new Error(`question page: ${question.status}, no download link`);
  return htmlText(href);
}

async function runClient(spec: ClientSpec): Promise<{
  upload: PhaseResult;
  /** Each run of the download phase (one for the baseline, whose client is run again instead). */
  downloads: PhaseResult[];
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
      spec,
      spec.uploaders,
      () => 1,
      (worker) => upload(warmupNumber(worker)),
    );
    await measure(
      spec,
      spec.downloaders,
      () => 1,
      () => download(),
    );
    log(`${measured} uploads`);
    const uploadPhase = await probed(spec.baseUrl, () =>
      measure(
        spec,
        spec.uploaders,
        () => spec.uploadsEach,
        (worker, index) => upload(measuredNumber(worker, index)),
      ),
    );
    log(`${measured} downloads`);
    const perDownloader = (worker: number) =>
      Math.floor(measured / spec.downloaders) + (worker < measured % spec.downloaders ? 1 : 0);
    const downloadPhase = await measure(spec, spec.downloaders, perDownloader, () => download());
    return { upload: uploadPhase, downloads: [downloadPhase], downloadStart: null };
  }

  // s2s: one session per uploader and per downloader (the same demo user signed in many times).
  log(`signing in ${spec.uploaders} + ${spec.downloaders} sessions`);
  const senders: Session[] = [];
  for (let i = 0; i < spec.uploaders; i += 1)
    senders.push(await signIn(client, SENDER.username, '/upload/ctf'));
  const receivers: Session[] = [];
  for (let i = 0; i < spec.downloaders; i += 1)
    receivers.push(await signIn(client, RECEIVER.username, '/download/ctf'));

  const upload = (session: Session, sequence: number) => uploadCtf(session, content, sequence);
  log('warm-up uploads');
  const warmUp = await measure(
    spec,
    spec.uploaders,
    () => 1,
    (worker) => upload(senders[worker] as Session, warmupNumber(worker)),
  );
  if (warmUp.errors > 0) throw new Error(`warm-up uploads failed: ${warmUp.errorSamples.join('; ')}`);
  log(`${measured} uploads`);
  const uploadPhase = await probed(spec.baseUrl, () =>
    measure(
      spec,
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

  const fetchFile = async (session: Session, href: string) => {
    const response = await session.get(href);
    return response.status === 200 && response.body.equals(content)
      ? ({ ok: true, bytes: response.body.length } as const)
      : ({ ok: false, why: `${response.status}: ${response.body.length} bytes` } as const);
  };
  log('warm-up downloads');
  await measure(
    spec,
    spec.downloaders,
    () => 1,
    async (worker) => {
      const id = warmupIds[worker];
      if (!id) return { ok: false, why: 'warm-up file not listed' };
      return fetchFile(receivers[worker] as Session, await downloadLink(receivers[worker] as Session, id));
    },
  );

  // File f goes to downloader f % downloaders, as its (f / downloaders)-th download.
  const mine = (worker: number) => measuredIds.filter((_, f) => f % spec.downloaders === worker);
  const hrefs = new Map<string, string>();
  log(`${measuredIds.length} download starts (confirm + question page)`);
  const startPhase = await measure(
    spec,
    spec.downloaders,
    (worker) => mine(worker).length,
    async (worker, index) => {
      const id = mine(worker)[index] as string;
      hrefs.set(id, await downloadLink(receivers[worker] as Session, id));
      return { ok: true, bytes: 0 };
    },
  );
  // The same files again in each run: a file stays available until its download is confirmed, and its
  // link (a ticket) for 15 minutes; each GET is checked and recorded as the first was.
  const downloads: PhaseResult[] = [];
  for (let run = 1; run <= spec.downloadRuns; run += 1) {
    log(`${measuredIds.length} downloads (run ${run} of ${spec.downloadRuns})`);
    const downloadPhase = await measure(
      spec,
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
    downloads.push(downloadPhase);
  }
  return { upload: uploadPhase, downloads, downloadStart: startPhase };
}

// ---------------------------------------------------------------------------------------------------
// The orchestrator

async function client(spec: ClientSpec) {
  const out = await runChild(SELF, ['--client', JSON.stringify(spec)]);
  return JSON.parse(out.trim().split('\n').at(-1) ?? '{}') as Awaited<ReturnType<typeof runClient>>;
}

export async function benchTransfers(): Promise<TransfersBenchResult> {
  const dir = mkdtempSync(join(tmpdir(), 's2s-bench-transfers-'));
  try {
    const ctfPath = join(dir, 'ctf.xml');
    // File numbers are three digits: the measured uploads, then one warm-up upload per uploader.
    if (UPLOADERS * UPLOADS_EACH + UPLOADERS > 999) throw new Error('at most 999 uploads in all');
    const file = await writeBenchCtf(ctfPath);
    const common = {
      ctfPath,
      uploaders: UPLOADERS,
      uploadsEach: UPLOADS_EACH,
      downloaders: DOWNLOADERS,
      downloadRuns: RUNS,
    };
    const targets: TargetResult[] = [];
    const skipped: string[] = [];

    process.stderr.write('transfers: bare Fastify baseline\n');
    const baselineDir = mkdtempSync(join(dir, 'baseline-'));
    const baseline = await startBaseline(SELF, ['--baseline-server', baselineDir, ctfPath]);
    try {
      const pid = baseline.child.pid as number;
      const before = loadAverage();
      const runs: Awaited<ReturnType<typeof client>>[] = [];
      for (let run = 0; run < RUNS; run += 1) {
        runs.push(
          await client({
            ...common,
            target: 'baseline',
            baseUrl: baseline.baseUrl,
            serverPid: pid,
            postgres: false,
          }),
        );
        for (const name of readdirSync(baselineDir)) rmSync(join(baselineDir, name), { force: true });
      }
      const downloads = runs.flatMap((r) => r.downloads);
      targets.push({
        target: 'baseline',
        engine: null,
        upload: medianRun(runs.map((r) => r.upload)),
        download: medianRun(downloads),
        downloadStart: null,
        serverPeakRssMB: peakRssMB(pid),
        serverErrorLogLines: 0,
        load: { before, after: loadAverage() },
        runs: { uploadMBs: runs.map((r) => rateOf(r.upload)), downloadMBs: downloads.map(rateOf) },
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
        const service = await startService(serviceDir, database.url, {
          cpuProfileDir: process.env.BENCH_TRANSFERS_CPU_PROF,
        });
        try {
          const pid = service.child.pid as number;
          const before = loadAverage();
          const result = await client({
            ...common,
            target: 's2s',
            baseUrl: service.baseUrl,
            serverPid: pid,
            postgres: engine === 'postgres',
          });
          targets.push({
            target: 's2s',
            engine,
            upload: result.upload,
            download: medianRun(result.downloads),
            downloadStart: result.downloadStart,
            serverPeakRssMB: peakRssMB(pid),
            serverErrorLogLines: errorLogLines(service.logPath),
            load: { before, after: loadAverage() },
            runs: { uploadMBs: [rateOf(result.upload)], downloadMBs: result.downloads.map(rateOf) },
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
