// Load and scale benchmarks (issue 11), each a ratio measured in the same run:
//
//   (a) mixed traffic: USERS simulated school users for SECONDS on one `s2s serve`, on SQLite and on
//       PostgreSQL, against data made by `s2s seed-scale --fraction MIX_FRACTION` (at 0.01, 200 schools:
//       each user is the office of a school of its own). Each user signs in once, then loops: home,
//       Download CTF Files, upload a 300-pupil CTF to the next user's school, accept + download a file
//       the previous user's school sent it (one it has not yet taken), the inbox, the School Report.
//       Set beside a bare Fastify route (a trivial HTML page) in its own process, under the same client
//       and the same number of users.
//   (b) the same on PostgreSQL with two `serve` processes on different ports sharing the database and
//       the file store, the users spread across them: requests/s of 2 nodes over 1 node.
//   (c) national scale: `s2s seed-scale` at SCALE_FRACTION (1: 20,000 schools, 1,000,000 transfers,
//       1,000,000 lost pupils, 5,000,000 messages) and at a hundredth of it, into two PostgreSQL
//       databases, each with the first message expiry run to its end and vacuumed (as a running service
//       keeps its mailboxes) and served by its own `serve`; then one browser at a time times the pages the demo
//       users see, in rounds over the two sizes: p95 at full size over p95 at the small one.
//
// Processes: this one (orchestrating), the services, the bare route (this file with --baseline-server)
// and the client (this file with --client, plain node:http with keep-alive; bench/support.ts).
//
// Run alone: node --import tsx bench/load.ts (prints the results; `npm run bench -- load` records them).
// Shorter runs: BENCH_LOAD_SECONDS (60), BENCH_LOAD_USERS (200), BENCH_LOAD_MIX_FRACTION (0.01),
// BENCH_LOAD_ENGINES (sqlite,postgres), BENCH_LOAD_PARTS (mixed,nodes,scale), BENCH_SCALE_FRACTION (1),
// BENCH_SCALE_SMALL_FRACTION (a hundredth of it), BENCH_SCALE_ROUNDS (60). BENCH_LOAD_CPU_PROF=DIR
// writes the one-node service's CPU profiles (main thread and workers) there, for the mixed traffic.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Fastify from 'fastify';
import { sql } from 'kysely';
import { createDatabase, type Engine } from '../src/platform/db/database.ts';
import { CTF25, syntheticCtf } from '../test/fixtures/ctf/generate.ts';
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
  processCpuSeconds,
  runChild,
  type Session,
  signIn,
  startBaseline,
  startService,
  stop,
} from './support.ts';

const SECONDS = Number(process.env.BENCH_LOAD_SECONDS ?? 60);
const USERS = Number(process.env.BENCH_LOAD_USERS ?? 200);
const MIX_FRACTION = Number(process.env.BENCH_LOAD_MIX_FRACTION ?? 0.01);
const ENGINES = (process.env.BENCH_LOAD_ENGINES ?? 'sqlite,postgres').split(',') as Engine[];
const PARTS = (process.env.BENCH_LOAD_PARTS ?? 'mixed,nodes,scale').split(',');
const SCALE_FRACTION = Number(process.env.BENCH_SCALE_FRACTION ?? 1);
/**
 * The smaller size: a hundredth unless told. Below about 0.01 the demo organisations' fixed share no
 * longer fits (it is capped by the data's size), so their pages show less than at full size.
 */
const SCALE_SMALL_FRACTION = Number(process.env.BENCH_SCALE_SMALL_FRACTION ?? SCALE_FRACTION / 100);
const SCALE_ROUNDS = Number(process.env.BENCH_SCALE_ROUNDS ?? 60);
const SCALE_WARM_UP = 3;
const PUPILS = 300;

const REPO = fileURLToPath(new URL('..', import.meta.url));
const SELF = fileURLToPath(import.meta.url);

// ---------------------------------------------------------------------------------------------------
// Results

/** The kinds of request of the mixed traffic, in the order a user makes them. */
export const KINDS = [
  'sign-in',
  'home',
  'download list',
  'upload (300-pupil CTF)',
  'accept (confirm + question page)',
  'download',
  'inbox',
  'report',
] as const;
type Kind = (typeof KINDS)[number] | 'bare route';

export interface KindTiming {
  kind: Kind;
  /** HTTP requests of this kind (accept is two). */
  requests: number;
  p50Ms: number;
  p95Ms: number;
}

export interface TrafficResult {
  label: string;
  nodes: number;
  users: number;
  seconds: number;
  requests: number;
  requestsPerSecond: number;
  errors: number;
  errorSamples: string[];
  kinds: KindTiming[];
  /** Loops of the whole sequence (after sign-in) completed by all users. */
  loops: number;
  serverCpuSeconds: number;
  serverPeakRssMB: number;
  serverErrorLogLines: number;
  load: { before: number; after: number };
}

export interface ScalePage {
  page: string;
  user: string;
  /** Rows the page showed (links to files, messages or schools), at each size. */
  items: [number, number];
  p50Ms: [number, number];
  p95Ms: [number, number];
}

export interface ScaleResult {
  fractions: [number, number];
  seeded: [Record<string, number>, Record<string, number>];
  seedSeconds: [number, number];
  /** The first message expiry after the load, run to its end, and the VACUUM ANALYZE after it: before the services start. */
  expirySeconds: [number, number];
  rounds: number;
  pages: ScalePage[];
  load: { before: number; after: number };
}

export interface LoadBenchResult {
  mixed: TrafficResult[];
  nodes: { one: TrafficResult; two: TrafficResult } | null;
  scale: ScaleResult | null;
  mixFraction: number;
  skipped: string[];
}

// ---------------------------------------------------------------------------------------------------
// The bare route: Fastify 5 answering a trivial HTML page.

async function baselineServer(): Promise<void> {
  const app = Fastify();
  const page =
    '<!DOCTYPE html><html lang="en"><head><title>Home</title></head><body><h1>Home</h1><p>Nothing is waiting for you.</p></body></html>';
  app.get('/', async (_request, reply) => reply.type('text/html; charset=utf-8').send(page));
  await listenAsBaseline(app);
}

// ---------------------------------------------------------------------------------------------------
// The client

interface SchoolUser {
  username: string;
  lea: string;
  estab: string;
  name: string;
}

interface ClientSpec {
  label: string;
  baseUrls: string[];
  serverPids: number[];
  users: number;
  seconds: number;
  /** The schools' users, one per simulated user (repeated when there are fewer); none for the bare route. */
  schools: SchoolUser[];
  /**
   * Each school's uploads are numbered (NNN) from after this: a later run on the same database starts
   * past an earlier one's numbers, since a name is refused while its file is still waiting.
   */
  sequenceFrom?: number;
}

interface Outcome {
  ok: boolean;
  why?: string;
}

async function runClient(spec: ClientSpec) {
  const log = (message: string) => process.stderr.write(`  [${spec.label}] ${message}\n`);
  const clients = spec.baseUrls.map(
    (url) => new Client(url, Math.ceil(spec.users / spec.baseUrls.length) + 1),
  );
  const timings = new Map<Kind, number[]>();
  const requestsOf = new Map<Kind, number>();
  const errorSamples: string[] = [];
  let errors = 0;
  let loops = 0;
  /** Times one step of `requests` HTTP requests; a thrown error or a false outcome is an error. */
  const timed = async (kind: Kind, requests: number, step: () => Promise<Outcome>): Promise<boolean> => {
    const began = performance.now();
    let outcome: Outcome;
    try {
      outcome = await step();
    } catch (error) {
      outcome = { ok: false, why: error instanceof Error ? error.message : String(error) };
    }
    const list = timings.get(kind) ?? [];
    list.push(performance.now() - began);
    timings.set(kind, list);
    requestsOf.set(kind, (requestsOf.get(kind) ?? 0) + requests);
    if (!outcome.ok) {
      errors += 1;
      if (errorSamples.length < 5) errorSamples.push(`${kind}: ${outcome.why ?? ''}`.slice(0, 300));
    }
    return outcome.ok;
  };

  // Each school's CTF to the next school, made before the clock starts.
  const schools = spec.schools;
  const content = new Map<string, Buffer>();
  const nextSchool = (i: number) => schools[(i + 1) % schools.length] as SchoolUser;
  for (let i = 0; i < schools.length && i < spec.users; i += 1) {
    const from = schools[i] as SchoolUser;
    const to = nextSchool(i);
    content.set(
      from.estab,
      Buffer.from(
        syntheticCtf(PUPILS, {
          ...CTF25,
          source: { lea: from.lea, estab: from.estab.slice(3), name: from.name, academicYear: '2025' },
          destination: { lea: to.lea, estab: to.estab.slice(3) },
        }),
      ),
    );
  }
  /** Per receiving school: the files it held before the run (seeded, without content) and those taken. */
  const notForTaking = new Map<string, Set<string>>();
  /** Each sending school's last upload number (NNN): names must differ while their files wait. */
  const sequences = new Map<string, number>();

  const serverCpu = spec.serverPids.map(processCpuSeconds);
  const cpuBefore = () =>
    spec.serverPids.reduce((sum, pid, i) => sum + processCpuSeconds(pid) - (serverCpu[i] ?? 0), 0);
  log(`${spec.users} users for ${spec.seconds} s`);
  const start = performance.now();
  const deadline = start + spec.seconds * 1000;

  const bareUser = async (client: Client) => {
    while (performance.now() < deadline) {
      await timed('bare route', 1, async () => {
        const response = await client.send('GET', '/', {});
        return { ok: response.status === 200 && response.body.length > 0, why: String(response.status) };
      });
    }
  };

  const schoolUser = async (client: Client, index: number) => {
    const me = schools[index % schools.length] as SchoolUser;
    const sender = schools[(index - 1 + schools.length) % schools.length] as SchoolUser;
    const mine = content.get(me.estab) as Buffer;
    const taken = notForTaking.get(me.estab) ?? new Set<string>();
    notForTaking.set(me.estab, taken);
    let session: Session | undefined;
    await timed('sign-in', 3, async () => {
      session = await signIn(client, me.username, '/download/ctf');
      return { ok: true };
    });
    if (!session) return;
    const s = session;
    const page = (kind: Kind, path: string, check: RegExp) =>
      timed(kind, 1, async () => {
        const response = await s.get(path);
        const body = response.body.toString('utf8');
        return response.status === 200 && check.test(body)
          ? { ok: true }
          : { ok: false, why: `${path} ${response.status}` };
      });
    // The files waiting when the user signed in were seeded (they have no content): never taken.
    for (const id of listedFiles((await s.get('/download/ctf')).body.toString('utf8')).keys()) taken.add(id);
    while (performance.now() < deadline) {
      await page('home', '/', /<h1/);
      let fileId: string | undefined;
      await timed('download list', 1, async () => {
        const response = await s.get('/download/ctf');
        if (response.status !== 200) return { ok: false, why: String(response.status) };
        for (const [id, name] of listedFiles(response.body.toString('utf8'))) {
          if (!taken.has(id) && name.startsWith(sender.estab)) {
            fileId = id;
            taken.add(id);
            break;
          }
        }
        return { ok: true };
      });
      const sequence = (sequences.get(me.estab) ?? spec.sequenceFrom ?? 0) + 1;
      sequences.set(me.estab, sequence);
      const filename = `${me.estab}_CTF_${nextSchool(index % schools.length).estab}_${String(sequence % 1000).padStart(3, '0')}.XML`;
      await timed('upload (300-pupil CTF)', 1, async () => {
        const { head, tail, boundary } = multipartParts(s.token, filename);
        const response = await s.postMultipart('/upload/ctf', head, mine, tail, boundary);
        const body = response.body.toString('utf8');
        if (response.status === 200 && /id="upload-summary">\s*The file was uploaded\./.test(body))
          return { ok: true };
        const why = /<li>([^<]*)<\/li>/.exec(body.slice(body.indexOf('upload-summary')))?.[1] ?? '';
        return { ok: false, why: `${response.status}: ${why}` };
      });
      if (fileId !== undefined) {
        const id = fileId;
        let href = '';
        const accepted = await timed('accept (confirm + question page)', 2, async () => {
          const confirmed = await s.postForm('/download/ctf/confirm', { file: id });
          const location = confirmed.headers.location;
          if (confirmed.status !== 303 || typeof location !== 'string')
            return { ok: false, why: `confirm ${confirmed.status}` };
          const question = await s.get(location);
          href = htmlText(
            /id="download-link" href="([^"]+)"/.exec(question.body.toString('utf8'))?.[1] ?? '',
          );
          return { ok: question.status === 200 && href !== '', why: `question page ${question.status}` };
        });
        if (accepted)
          await timed('download', 1, async () => {
            const response = await s.get(href);
            const expected = content.get(sender.estab);
            return {
              ok: response.status === 200 && expected !== undefined && response.body.equals(expected),
              why: `${response.status}: ${response.body.length} bytes`,
            };
          });
      }
      await page('inbox', '/messages/inbox', /<h1/);
      await page('report', '/reports/school?run=1', /<h1/);
      loops += 1;
    }
  };

  await Promise.all(
    Array.from({ length: spec.users }, (_, i) => {
      const client = clients[i % clients.length] as Client;
      return schools.length === 0 ? bareUser(client) : schoolUser(client, i);
    }),
  );
  const seconds = (performance.now() - start) / 1000;
  const serverCpuSeconds = cpuBefore();
  for (const client of clients) client.agent.destroy();
  const kinds: KindTiming[] = [...timings].map(([kind, list]) => {
    const sorted = list.sort((a, b) => a - b);
    return {
      kind,
      requests: requestsOf.get(kind) ?? 0,
      p50Ms: percentile(sorted, 50),
      p95Ms: percentile(sorted, 95),
    };
  });
  kinds.sort(
    (a, b) =>
      KINDS.indexOf(a.kind as (typeof KINDS)[number]) - KINDS.indexOf(b.kind as (typeof KINDS)[number]),
  );
  const requests = kinds.reduce((sum, k) => sum + k.requests, 0);
  return {
    seconds,
    requests,
    requestsPerSecond: requests / seconds,
    errors,
    errorSamples,
    kinds,
    loops,
    serverCpuSeconds,
  };
}

/** The files a Download list page links to: id -> file name. */
function listedFiles(html: string): Map<string, string> {
  const files = new Map<string, string>();
  for (const match of html.matchAll(/\/download\/ctf\/files\/([0-9a-f-]{36})">([^<]+)<\/a>/g))
    files.set(match[1] as string, match[2] as string);
  return files;
}

// ---------------------------------------------------------------------------------------------------
// The orchestrator

async function traffic(
  spec: Omit<ClientSpec, 'users' | 'seconds'>,
  logPaths: string[],
): Promise<TrafficResult> {
  const before = loadAverage();
  const out = await runChild(SELF, ['--client', JSON.stringify({ ...spec, users: USERS, seconds: SECONDS })]);
  const result = JSON.parse(out.trim().split('\n').at(-1) ?? '{}') as Awaited<ReturnType<typeof runClient>>;
  return {
    label: spec.label,
    nodes: spec.baseUrls.length,
    users: USERS,
    ...result,
    serverPeakRssMB: Math.max(...spec.serverPids.map(peakRssMB)),
    serverErrorLogLines: logPaths.reduce((sum, path) => sum + errorLogLines(path), 0),
    load: { before, after: loadAverage() },
  };
}

/** `s2s seed-scale --fraction F` into the database: its summary and how long it took. */
/** Runs `s2s ARGS` on the database and file store of `dir`; its standard output once it exits 0. */
async function runS2s(dir: string, databaseUrl: string, args: string[]): Promise<string> {
  const child = spawn(process.execPath, ['bin/s2s.js', ...args], {
    cwd: REPO,
    env: {
      ...process.env,
      S2S_ENV: 'development',
      LOG_LEVEL: 'warn',
      DATABASE_URL: databaseUrl,
      FILE_STORE_DIR: join(dir, 'files'),
      MASTER_KEY_FILE: join(dir, 'master.key'),
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    out += chunk.toString('utf8');
  });
  const [code] = (await once(child, 'exit')) as [number];
  if (code !== 0) throw new Error(`s2s ${args[0]} exited with code ${code}`);
  return out;
}

async function seed(dir: string, databaseUrl: string, fraction: number) {
  const started = performance.now();
  process.stderr.write(`load: seed-scale --fraction ${fraction}\n`);
  const out = await runS2s(dir, databaseUrl, ['seed-scale', '--fraction', String(fraction), '--json']);
  return {
    summary: JSON.parse(out.trim().split('\n').at(-1) ?? '{}') as Record<string, number>,
    seconds: (performance.now() - started) / 1000,
  };
}

/**
 * The message expiry, run to its end, then the database vacuumed and analysed (PostgreSQL): seed-scale
 * leaves a year of messages, which a running service's first expiry deletes all but the last weeks of
 * (31 days unread, 14 after reading). Without this the full size was timed while that expiry ran
 * (minutes there, seconds at the small size), and pages that read what mailboxes keep read a year of it
 * at one size and weeks at the other. Without the VACUUM, which autovacuum does in time on a running
 * service, the deleted rows' index entries were still read, and reads by an index alone were not (the
 * inbox 18x and the Message Report 5x slower at full size, in the run of 2026-12-06). Returns the seconds.
 */
async function expireMessages(dir: string, databaseUrl: string): Promise<number> {
  const started = performance.now();
  await runS2s(dir, databaseUrl, ['jobs', 'run', 'message-expiry']);
  const db = createDatabase(databaseUrl);
  try {
    await sql`vacuum analyze`.execute(db);
  } finally {
    await db.destroy();
  }
  return (performance.now() - started) / 1000;
}

/** The open schools' office users, one per school: the simulated users. */
async function schoolUsers(databaseUrl: string): Promise<SchoolUser[]> {
  const db = createDatabase(databaseUrl);
  try {
    const rows = await db
      .selectFrom('users as u')
      .innerJoin('establishments as e', 'e.number', 'u.establishment_number')
      .select(['u.username', 'e.number', 'e.la_number', 'e.name'])
      .where('u.role', '=', 'school')
      .where('e.status', '=', 'open')
      .orderBy('e.number')
      .limit(USERS)
      .execute();
    return rows.map((r) => ({ username: r.username, lea: r.la_number, estab: r.number, name: r.name }));
  } finally {
    await db.destroy();
  }
}

/** A database of `engine` with seed-scale's data at `fraction` in `dir`, dropped by the function returned. */
async function seededDatabase(engine: Engine, dir: string, fraction: number) {
  const database =
    engine === 'sqlite'
      ? { url: `sqlite:${join(dir, 's2s.sqlite')}`, drop: async () => {} }
      : await createPostgresDatabase();
  try {
    return { ...database, ...(await seed(dir, database.url, fraction)) };
  } catch (error) {
    await database.drop();
    throw error;
  }
}

async function mixedTraffic(result: LoadBenchResult, dir: string): Promise<void> {
  process.stderr.write('load: bare Fastify route\n');
  const baseline = await startBaseline(SELF, ['--baseline-server']);
  try {
    const pid = baseline.child.pid as number;
    result.mixed.push(
      await traffic(
        { label: 'bare Fastify route', baseUrls: [baseline.baseUrl], serverPids: [pid], schools: [] },
        [],
      ),
    );
  } finally {
    await stop(baseline.child);
  }
  for (const engine of ENGINES) {
    const serviceDir = mkdtempSync(join(dir, `mixed-${engine}-`));
    let database: Awaited<ReturnType<typeof seededDatabase>>;
    try {
      database = await seededDatabase(engine, serviceDir, MIX_FRACTION);
    } catch (error) {
      result.skipped.push(`${engine}: ${error instanceof Error ? error.message : String(error)}`);
      continue;
    }
    try {
      const schools = await schoolUsers(database.url);
      const first = await startService(serviceDir, database.url, {
        name: 'node-1',
        cpuProfileDir: process.env.BENCH_LOAD_CPU_PROF,
      });
      try {
        process.stderr.write(`load: mixed traffic, s2s on ${engine}\n`);
        const one = await traffic(
          {
            label: `s2s (${engine})`,
            baseUrls: [first.baseUrl],
            serverPids: [first.child.pid as number],
            schools,
          },
          [first.logPath],
        );
        result.mixed.push(one);
        if (engine === 'postgres' && PARTS.includes('nodes')) {
          const second = await startService(serviceDir, database.url, { name: 'node-2' });
          try {
            process.stderr.write('load: mixed traffic, s2s on postgres, 2 nodes\n');
            const two = await traffic(
              {
                label: 's2s (postgres), 2 nodes',
                baseUrls: [first.baseUrl, second.baseUrl],
                serverPids: [first.child.pid as number, second.child.pid as number],
                schools,
                // The run on one node left files waiting, numbered from 1 for each school.
                sequenceFrom: 500,
              },
              [first.logPath, second.logPath],
            );
            result.nodes = { one, two };
          } finally {
            await stop(second.child);
          }
        }
      } finally {
        await stop(first.child);
      }
    } finally {
      await database.drop();
      rmSync(serviceDir, { recursive: true, force: true });
    }
  }
}

/** The pages timed at both sizes, who asks for them, and how many rows each shows (to compare sizes). */
const SCALE_PAGES = [
  {
    page: 'home',
    user: 'demo-school-b',
    path: '/',
    items: (html: string) => Number(/(\d+) CTF files? (?:are|is) waiting/.exec(html)?.[1] ?? 0),
  },
  {
    page: 'download list (CTF)',
    user: 'demo-school-b',
    path: '/download/ctf',
    items: (html: string) => listedFiles(html).size,
  },
  {
    page: 'inbox',
    user: 'demo-school-a',
    path: '/messages/inbox',
    items: (html: string) => html.match(/href="\/messages\/inbox\/[0-9a-f-]{36}"/g)?.length ?? 0,
  },
  {
    page: 'LA report: General Usage/Volume, all schools',
    user: 'demo-la-user',
    path: '/reports/general-usage?run=1&scope=all',
    items: tableRows,
  },
  {
    page: 'LA report: Lost pupil numbers',
    user: 'demo-la-lost',
    path: '/reports/lost-pupil-numbers?run=1',
    items: tableRows,
  },
  // The two of a crawl of every demo user's pages (2026-12-06) whose work grew with the country.
  {
    page: 'LA report: School Report, all schools',
    user: 'demo-la-user',
    path: '/reports/file-movements?run=1&school=all',
    items: tableRows,
  },
  {
    page: 'LA report: Message Report',
    user: 'demo-la-dba',
    path: '/reports/message-report?run=1',
    items: tableRows,
  },
] as const;

function tableRows(html: string): number {
  return html.match(/<tr class="govuk-table__row">/g)?.length ?? 0;
}

async function nationalScale(dir: string): Promise<ScaleResult> {
  const fractions: [number, number] = [SCALE_FRACTION, SCALE_SMALL_FRACTION];
  const sizes: {
    database: Awaited<ReturnType<typeof seededDatabase>>;
    service?: Awaited<ReturnType<typeof startService>>;
    client?: Client;
    dir: string;
    expirySeconds: number;
  }[] = [];
  try {
    // The small one first: if the large one cannot be loaded, the error says so early enough.
    for (const fraction of [...fractions].reverse()) {
      const sizeDir = mkdtempSync(join(dir, `scale-${fraction}-`));
      const size = {
        database: await seededDatabase('postgres', sizeDir, fraction),
        dir: sizeDir,
        expirySeconds: 0,
      };
      // Listed before the expiry, so that its database is dropped if the expiry fails.
      sizes.unshift(size);
      process.stderr.write(`load: message expiry at fraction ${fraction}\n`);
      size.expirySeconds = await expireMessages(sizeDir, size.database.url);
    }
    for (const [i, size] of sizes.entries())
      size.service = await startService(size.dir, size.database.url, { name: `scale-${i}` });
    const before = loadAverage();
    const sessions = await Promise.all(
      sizes.map(async (size) => {
        const client = new Client((size.service as { baseUrl: string }).baseUrl, 4);
        size.client = client;
        const byUser = new Map<string, Session>();
        for (const { user } of SCALE_PAGES)
          if (!byUser.has(user)) byUser.set(user, await signIn(client, user, '/'));
        return byUser;
      }),
    );
    const times: number[][][] = SCALE_PAGES.map(() => sizes.map(() => []));
    const items: number[][] = SCALE_PAGES.map(() => sizes.map(() => 0));
    for (let round = 0; round < SCALE_WARM_UP + SCALE_ROUNDS; round += 1) {
      for (const [p, spec] of SCALE_PAGES.entries()) {
        for (const [s, byUser] of sessions.entries()) {
          const session = byUser.get(spec.user) as Session;
          const began = performance.now();
          const response = await session.get(spec.path);
          const ms = performance.now() - began;
          if (response.status !== 200) throw new Error(`${spec.path} as ${spec.user}: ${response.status}`);
          if (round >= SCALE_WARM_UP) times[p]?.[s]?.push(ms);
          else if (items[p]) items[p][s] = spec.items(response.body.toString('utf8'));
        }
      }
      if (round % 10 === 9) process.stderr.write(`load: scale round ${round + 1}\n`);
    }
    const pair = (f: (s: number) => number): [number, number] => [f(0), f(1)];
    return {
      fractions,
      seeded: [sizes[0]?.database.summary ?? {}, sizes[1]?.database.summary ?? {}],
      seedSeconds: pair((s) => sizes[s]?.database.seconds ?? 0),
      expirySeconds: pair((s) => sizes[s]?.expirySeconds ?? 0),
      rounds: SCALE_ROUNDS,
      pages: SCALE_PAGES.map((spec, p) => {
        const sorted = (s: number) => [...(times[p]?.[s] ?? [])].sort((a, b) => a - b);
        return {
          page: spec.page,
          user: spec.user,
          items: pair((s) => items[p]?.[s] ?? 0),
          p50Ms: pair((s) => percentile(sorted(s), 50)),
          p95Ms: pair((s) => percentile(sorted(s), 95)),
        };
      }),
      load: { before, after: loadAverage() },
    };
  } finally {
    for (const size of sizes) {
      // Open keep-alive connections would hold up the service's graceful close.
      size.client?.agent.destroy();
      if (size.service) await stop(size.service.child);
      await size.database.drop();
      rmSync(size.dir, { recursive: true, force: true });
    }
  }
}

export async function benchLoad(): Promise<LoadBenchResult> {
  const dir = mkdtempSync(join(tmpdir(), 's2s-bench-load-'));
  const result: LoadBenchResult = {
    mixed: [],
    nodes: null,
    scale: null,
    mixFraction: MIX_FRACTION,
    skipped: [],
  };
  try {
    // A part that fails is reported as not measured; the others' results stand.
    const part = async (name: string, run: () => Promise<void>) => {
      if (!PARTS.includes(name)) return;
      try {
        await run();
      } catch (error) {
        result.skipped.push(`${name}: ${error instanceof Error ? error.message : String(error)}`);
      }
      // On standard error as each part ends: a run stopped later still leaves these.
      process.stderr.write(`load: after ${name}: ${JSON.stringify(result)}\n`);
    };
    await part('mixed', () => mixedTraffic(result, dir));
    await part('scale', async () => {
      result.scale = await nationalScale(dir);
    });
    return result;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] === SELF) {
  const [flag, spec] = process.argv.slice(2);
  if (flag === '--baseline-server') await baselineServer();
  else if (flag === '--client' && spec) {
    const result = await runClient(JSON.parse(spec) as ClientSpec);
    process.stdout.write(`${JSON.stringify(result)}\n`);
    process.exit(0);
  } else process.stdout.write(`${JSON.stringify(await benchLoad(), null, 2)}\n`);
}
