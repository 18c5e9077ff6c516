// DBA > Audit Log of an LA at national scale (issue 11; docs/decisions.md, 80): the first page of an
// LA's events and its schools', unfiltered and filtered by a common action ("Signed in") and a rare one
// ("User deleted"), timed through auditPageQuery exactly as the page asks (51 rows: one past the page),
// before migration 056 (the schema at 055) and after it, on SQLite and PostgreSQL, at 1% of the
// national trail and at the whole of it. The national administrator's first page, which 056 does not
// change, is timed beside them.
//
// The data: BENCH_AUDIT_EVENTS events (default 1,000,000) over the 3 years before 2026-11-30, of 20,000
// schools in 170 LAs (schools per LA falling as rank^-0.4, as the reports' benchmark has them): 80% by a
// school's user, 15% by an LA's, 5% national or the system's (no organisation). Every school is as busy
// as another, so an LA's share is its schools'. The actions as a school's day makes them: signing in and
// out, files, messages; a few rare ones. Written as sealed events (a number in the chain and hashes), in
// time order, as the service writes them; the planner's statistics refreshed after loading
// (analyzeTables, as `s2s seed-scale` does), and not again after the migration: a running service would
// have none for the new indexes until PostgreSQL's autovacuum analyses the table.
//
// Shorter runs: BENCH_AUDIT_EVENTS, BENCH_AUDIT_ENGINES (sqlite,postgres), BENCH_AUDIT_ROUNDS (30 timed
// runs of each query, in rounds, after 3 untimed).
import { CompiledQuery, type Insertable, sql } from 'kysely';
import { auditPageQuery } from '../src/audit/repository.ts';
import { random } from '../src/demo/pupils.ts';
import { analyzeTables, type Engine, migrateToLatest } from '../src/platform/db/database.ts';
import type { AuditEventTable, Db } from '../src/platform/db/schema.ts';
import { createTestDatabase, queryPlan, type TestDatabase } from '../test/support/databases.ts';
import { machine, percentile } from './support.ts';

const EVENTS = Number(process.env.BENCH_AUDIT_EVENTS ?? 1_000_000);
const ENGINES = (process.env.BENCH_AUDIT_ENGINES ?? 'sqlite,postgres').split(',') as Engine[];
const ROUNDS = Number(process.env.BENCH_AUDIT_ROUNDS ?? 30);
const WARM_UP = 3;
const LAS = 170;
const SCHOOLS = 20_000;
const LA_EXPONENT = 0.4;
/** As the page asks: one more than it shows. */
const LIMIT = 51;
const BEFORE = '055-audit-filter-indexes';
const NOW = new Date('2026-11-30T12:00:00.000Z').getTime();
const SPAN = 3 * 365 * 86_400_000;
const ROWS_PER_TRANSACTION = 50_000;
/** 17 columns a row: within both engines' limits of parameters a statement. */
const ROWS_PER_INSERT = 1_000;

/** How often each action happens, as weights. */
const ACTIONS: [string, number][] = [
  ['sign-in', 35],
  ['sign-out', 15],
  ['file-downloaded', 14],
  ['file-uploaded', 12],
  ['file-collected', 6],
  ['message-sent', 5],
  ['sign-in-failed', 4],
  ['census-return-loaded', 3],
  ['file-removed', 2],
  ['password-changed', 1.5],
  ['message-replied', 1],
  ['school-updated', 0.5],
  ['user-added', 0.5],
  ['user-role-changed', 0.2],
  ['user-deleted', 0.05],
];

const ms = (start: bigint) => Number(process.hrtime.bigint() - start) / 1e6;
const round = (value: number) => (value >= 100 ? Math.round(value) : Math.round(value * 100) / 100);
const count = (value: number) => value.toLocaleString('en-GB');

interface World {
  /** LA numbers, largest first. */
  las: string[];
  /** Schools per LA, in the order of `las`. */
  schools: number[];
  /** Every school's number, with its LA: drawn uniformly. */
  allSchools: string[];
}

function world(): World {
  const las = Array.from({ length: LAS }, (_, i) => String(201 + i));
  const weights = las.map((_, rank) => (rank + 1) ** -LA_EXPONENT);
  const total = weights.reduce((a, b) => a + b, 0);
  const schools = weights.map((w) => Math.max(1, Math.floor((w / total) * SCHOOLS)));
  const allSchools = las.flatMap((la, rank) =>
    Array.from({ length: schools[rank] ?? 0 }, (_, k) => `${la}${String(2000 + k).padStart(4, '0')}`),
  );
  return { las, schools, allSchools };
}

function picker(next: () => number): () => string {
  const total = ACTIONS.reduce((sum, [, weight]) => sum + weight, 0);
  return () => {
    let target = next() * total;
    for (const [action, weight] of ACTIONS) {
      target -= weight;
      if (target < 0) return action;
    }
    return 'sign-in';
  };
}

/** `events` events in time order, through the engine's own inserts; SQLite without fsync while loading. */
async function load(database: TestDatabase, w: World, events: number): Promise<number> {
  const { db, engine } = database;
  const start = process.hrtime.bigint();
  if (engine === 'sqlite') await sql`PRAGMA synchronous = OFF`.execute(db);
  const next = random(80);
  const action = picker(next);
  const hash = 'a'.repeat(64);
  for (let from = 0; from < events; from += ROWS_PER_TRANSACTION) {
    const rows: Insertable<AuditEventTable>[] = [];
    for (let i = from; i < Math.min(events, from + ROWS_PER_TRANSACTION); i += 1) {
      const draw = next();
      const school = w.allSchools[Math.floor(next() * w.allSchools.length)] as string;
      const organisation = draw < 0.05 ? null : draw < 0.2 ? school.slice(0, 3) : school;
      const what = action();
      rows.push({
        id: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
        occurred_at: new Date(NOW - SPAN + Math.floor((i / events) * SPAN)).toISOString(),
        actor_user_id: null,
        actor_username: organisation ? `user${organisation}${i % 7}` : 'system',
        organisation,
        action: what,
        subject_type: what.startsWith('file') ? 'transfer' : 'user',
        subject_id: String(i),
        detail: '{"filename":"3092001_309LLLL_FILE007.XML","category":"ctf"}',
        seq: i + 1,
        prev_hash: hash,
        hash,
        mac: hash,
        mac_version: 1,
        mac_key_id: 'bench',
        seal_mac: hash,
        seal_finding: null,
      });
    }
    await db.transaction().execute(async (trx) => {
      for (let i = 0; i < rows.length; i += ROWS_PER_INSERT) {
        const batch = rows.slice(i, i + ROWS_PER_INSERT);
        // PostgreSQL: one parameter a statement, the rows as JSON (node-pg binds 17,000 slowly).
        if (engine === 'postgres')
          await sql`insert into audit_events select * from json_populate_recordset(null::audit_events, ${JSON.stringify(batch)}::json)`.execute(
            trx,
          );
        else await trx.insertInto('audit_events').values(batch).execute();
      }
    });
  }
  if (engine === 'sqlite') await sql`PRAGMA synchronous = FULL`.execute(db);
  await analyzeTables(db);
  return ms(start) / 1000;
}

interface Query {
  name: string;
  la: string | null;
  action: string | null;
}

function queries(w: World): Query[] {
  const largest = w.las[0] as string;
  const median = w.las[Math.floor(LAS / 2)] as string;
  const smallest = w.las[LAS - 1] as string;
  return [
    ...[largest, median, smallest].flatMap((la) => [
      { name: 'LA, page 1', la, action: null },
      { name: 'LA, "Signed in"', la, action: 'sign-in' },
      { name: 'LA, "User deleted"', la, action: 'user-deleted' },
    ]),
    { name: 'national, page 1', la: null, action: null },
  ];
}

const compiled = (db: Db, q: Query) =>
  auditPageQuery(db, {
    ...(q.la ? { laNumber: q.la } : {}),
    ...(q.action ? { filter: { action: q.action } } : {}),
    limit: LIMIT,
    offset: 0,
  }).compile();

interface Timing {
  query: Query;
  rows: number;
  index: string;
  p50: number;
  p95: number;
}

/** Each query ROUNDS times, in rounds (one of each a round), after WARM_UP untimed rounds. */
async function time(database: TestDatabase, qs: Query[]): Promise<Timing[]> {
  const { db, engine } = database;
  const samples = qs.map(() => [] as number[]);
  const rows = qs.map(() => 0);
  for (let round = 0; round < WARM_UP + ROUNDS; round += 1) {
    for (const [i, q] of qs.entries()) {
      const start = process.hrtime.bigint();
      const result = await db.executeQuery(compiled(db, q));
      const took = ms(start);
      rows[i] = result.rows.length;
      if (round >= WARM_UP) samples[i]?.push(took);
    }
  }
  const timings: Timing[] = [];
  for (const [i, q] of qs.entries()) {
    const sorted = (samples[i] ?? []).sort((a, b) => a - b);
    // The plan as the engine makes it (queryPlan turns PostgreSQL's sequential scans off: not here).
    const query = compiled(db, q);
    const plan =
      engine === 'sqlite'
        ? await queryPlan(db, engine, query)
        : (
            await db.executeQuery<Record<string, unknown>>(
              CompiledQuery.raw(`explain ${query.sql}`, [...query.parameters]),
            )
          ).rows
            .map((r) => String(r['QUERY PLAN']))
            .join('\n');
    timings.push({
      query: q,
      rows: rows[i] ?? 0,
      index: [...new Set(plan.match(/audit_events_\w+/g) ?? ['(the table)'])].join(', '),
      p50: percentile(sorted, 50),
      p95: percentile(sorted, 95),
    });
  }
  return timings;
}

interface SizeResult {
  engine: Engine;
  events: number;
  loadSeconds: number;
  migrateSeconds: number;
  before: Timing[];
  after: Timing[];
}

async function benchSize(engine: Engine, w: World, events: number): Promise<SizeResult> {
  const database = await createTestDatabase(engine, BEFORE);
  try {
    process.stderr.write(`audit: ${engine} loading ${count(events)} events\n`);
    const loadSeconds = await load(database, w, events);
    const qs = queries(w);
    const before = await time(database, qs);
    const start = process.hrtime.bigint();
    await migrateToLatest(database.unkeyedDb, database.schema);
    const migrateSeconds = ms(start) / 1000;
    const after = await time(database, qs);
    return { engine, events, loadSeconds, migrateSeconds, before, after };
  } finally {
    await database.drop();
  }
}

export async function auditSection(): Promise<string> {
  const w = world();
  const results: SizeResult[] = [];
  for (const engine of ENGINES)
    for (const events of [Math.round(EVENTS / 100), EVENTS]) results.push(await benchSize(engine, w, events));
  const size = (la: string | null) => {
    if (la === null) return 'all';
    const rank = w.las.indexOf(la);
    return `${la} (${count(w.schools[rank] ?? 0)} schools)`;
  };
  const lines = [
    `Run ${new Date().toISOString().slice(0, 10)} on ${machine()}.`,
    '',
    `Data: ${count(EVENTS)} audit events (and 1% of them) over 3 years, of ${count(w.allSchools.length)} schools in ${LAS} LAs ` +
      `(${count(w.schools[0] ?? 0)} schools in the largest, ${count(w.schools[Math.floor(LAS / 2)] ?? 0)} in the median, ` +
      `${count(w.schools[LAS - 1] ?? 0)} in the smallest); 80% a school's, 15% an LA's, 5% national. ` +
      `"Signed in" is 35% of events, "User deleted" 0.05%. ${ROUNDS} timed runs of each query after ${WARM_UP} untimed, in rounds.`,
    '',
  ];
  for (const r of results) {
    lines.push(
      `**${r.engine}, ${count(r.events)} events**: loaded in ${round(r.loadSeconds)} s; migration 056 (building both indexes) ${round(r.migrateSeconds)} s.`,
      '',
      '| page | LA | rows | before 056: p50 / p95 | index read | after 056: p50 / p95 | index read |',
      '|---|---|---|---|---|---|---|',
      ...r.before.map((b, i) => {
        const a = r.after[i] as Timing;
        return `| ${b.query.name} | ${size(b.query.la)} | ${a.rows} | ${round(b.p50)} / ${round(b.p95)} ms | ${b.index} | ${round(a.p50)} / ${round(a.p95)} ms | ${a.index} |`;
      }),
      '',
    );
  }
  return lines.join('\n').trimEnd();
}

if (import.meta.url === `file://${process.argv[1]}`) process.stdout.write(`${await auditSection()}\n`);
