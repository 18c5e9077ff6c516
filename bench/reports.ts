// The reports an LA runs (issue 8), at 1,000,000 transfer records across 20,000 schools of 150 LAs, on
// SQLite and PostgreSQL: each report timed through its service exactly as its route calls it, for an LA
// officer (role la_user) of the largest LA and of a median one, over all records and over the last 12
// months, and set beside a bare indexed `SELECT count(*)` over the same rows on the same engine, timed
// the same way. The CSV downloads are streamed as the routes stream them (ReportDownloads, the services'
// keyset-paged readers, the same CSV writer), sampling the process's heap and RSS as they go: it must
// stay flat however many rows the report has. They are the School Report's and Generic / Other file
// movements', the three Lost Pupil reports' (numbers, uploaded pupils, downloaded pupils: for the LA's
// lost-pupil officer, over the Lost Pupils Database records of the CTFs sent to it), and the directory's
// School List and Base User reports (for the LA's administrator: its establishments, all statuses; and
// the School List of every LA, for the national administrator).
//
// Run alone: node --import tsx bench/reports.ts [N]   (N transfers, default 1,000,000; e.g. 100000 for a
// quick run). Prints the table and writes it between <!-- bench:reports:start --> and
// <!-- bench:reports:end --> in docs/benchmarks.md. Environment: BENCH_REPORTS_N, BENCH_REPORTS_ENGINES
// (sqlite,postgres), BENCH_REPORTS_ROUNDS (timed rounds of each query, default 15),
// BENCH_REPORTS_CSV_ROUNDS (full CSV streams of each report, default 3), BENCH_REPORTS_EXPLAIN=1 (prints
// each report's queries with their plans on stderr), BENCH_REPORTS_NO_WRITE=1 (does not touch the docs).
import { readFileSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { CompiledQuery, type Insertable, type KyselyPlugin, sql } from 'kysely';
import type { Actor } from '../src/auth/actor.ts';
import { hex, random, uuid } from '../src/demo/pupils.ts';
import { SCHOOL_KINDS } from '../src/demo/scale.ts';
import { insertLostPupils, type NewLostPupil } from '../src/lost-pupils/repository.ts';
import type { Clock } from '../src/platform/clock.ts';
import type { Engine } from '../src/platform/db/database.ts';
import type { Db, TransferStatus, TransferTable } from '../src/platform/db/schema.ts';
import { ClusterReportService } from '../src/reports/cluster-service.ts';
import { csvStream } from '../src/reports/csv.ts';
import type { DateRangeInput } from '../src/reports/date-range.ts';
import { DeletedCtfsReportService } from '../src/reports/deleted-ctfs-service.ts';
import { type CsvDownload, type CsvReportName, ReportDownloads } from '../src/reports/downloads.ts';
import { FileMovementReportService } from '../src/reports/file-movement-service.ts';
import { ALL_LAS } from '../src/reports/report-la.ts';
import { UsageReportService } from '../src/reports/usage-service.ts';
import { createTestDatabase, type TestDatabase } from '../test/support/databases.ts';
import { machine } from './support.ts';

const argN = Number(process.argv[2]);
const N = Number.isFinite(argN) && argN > 0 ? argN : Number(process.env.BENCH_REPORTS_N ?? 1_000_000);
const ENGINES = (process.env.BENCH_REPORTS_ENGINES ?? 'sqlite,postgres').split(',') as Engine[];
const ROUNDS = Number(process.env.BENCH_REPORTS_ROUNDS ?? 15);
const WARM_UP = 2;
const CSV_ROUNDS = Number(process.env.BENCH_REPORTS_CSV_ROUNDS ?? 3);
const LIVE_EVERY = 1000;
const EXPLAIN = process.env.BENCH_REPORTS_EXPLAIN === '1';

const LAS = 150;
const SCHOOLS = 20_000;
/** LA sizes fall as rank^-0.4: the largest has ~610 schools, the median ~110, the smallest ~80. */
const LA_EXPONENT = 0.4;
/** Transfers have 33 columns: 900 rows stay under SQLite's 32,766 parameters. */
const ROWS_PER_INSERT = 900;
const ROWS_PER_TRANSACTION = 50_000;

/** "Today" for the reports (their default To date) and the end of the data: 3 years of uploads before it. */
const NOW = new Date('2026-11-30T12:00:00.000Z');
const DAY = 86_400_000;
const SPAN = 3 * 365 * DAY;
const START = NOW.getTime() - SPAN;
const clock: Clock = { now: () => new Date(NOW) };

const TOWNS = `Ashford Barnwell Calder Dunmore Elmbridge Fairfield Glenholt Harwood Ingleby Kestrel Langley
Marston Northwick Oakham Penrith Quarry Redbrook Selby Thornbury Upton Wareham Yarrow Alder Birch Cedar
Hawthorn Rowan Willow Maple Linden`
  .split(/\s+/)
  .filter(Boolean);

// ---------------------------------------------------------------------------------------------------
// The world: LAs, their schools (Zipf-ish sizes), one LA officer each.

interface World {
  las: { number: string; name: string; schools: string[] }[];
  /** Every school, with its LA. */
  schools: { number: string; la: string }[];
  laOf: Map<string, string>;
}

function world(): World {
  const next = random(8);
  // LA numbers 201-350 in a shuffled order of size, so the largest is not the first.
  const numbers = Array.from({ length: LAS }, (_, i) => String(201 + i));
  for (let i = numbers.length - 1; i > 0; i -= 1) {
    const j = Math.floor(next() * (i + 1));
    [numbers[i], numbers[j]] = [numbers[j] as string, numbers[i] as string];
  }
  const weights = numbers.map((_, rank) => (rank + 1) ** -LA_EXPONENT);
  const total = weights.reduce((a, b) => a + b, 0);
  const sizes = weights.map((w) => Math.floor((w / total) * SCHOOLS));
  // The schools rounding left over go to the smallest LAs, one each.
  for (let i = 0; i < SCHOOLS - sizes.reduce((a, b) => a + b, 0); i += 1)
    sizes[LAS - 1 - i] = (sizes[LAS - 1 - i] ?? 0) + 1;
  const las: World['las'] = [];
  const schools: World['schools'] = [];
  const laOf = new Map<string, string>();
  numbers.forEach((number, rank) => {
    const town = TOWNS[rank % TOWNS.length] as string;
    const list: string[] = [];
    for (let k = 0; k < (sizes[rank] ?? 0); k += 1) {
      const school = `${number}${String(2000 + k).padStart(4, '0')}`;
      list.push(school);
      schools.push({ number: school, la: number });
      laOf.set(school, number);
    }
    las.push({
      number,
      name: `${town} ${rank < 75 ? 'County Council' : 'Borough Council'} ${number}`,
      schools: list,
    });
  });
  return { las, schools, laOf };
}

const laUserId = (la: string) => `00000000-0000-4000-8000-000000000${la}`;

async function loadWorld(db: Db, w: World): Promise<void> {
  const at = NOW.toISOString();
  await db.transaction().execute(async (trx) => {
    await trx
      .insertInto('local_authorities')
      .values(
        w.las.map((la, i) => ({
          number: la.number,
          name: la.name,
          country: i % 7 === 6 ? ('Wales' as const) : ('England' as const),
          contact_name: null,
          email: null,
          telephone: null,
          address: null,
          updated_at: at,
        })),
      )
      .execute();
    const next = random(9);
    for (let start = 0; start < w.schools.length; start += 1000) {
      await trx
        .insertInto('establishments')
        .values(
          w.schools.slice(start, start + 1000).map((s, i) => {
            const town = TOWNS[Math.floor(next() * TOWNS.length)] as string;
            const name = `${TOWNS[(start + i) % TOWNS.length]} ${SCHOOL_KINDS[Math.floor(next() * SCHOOL_KINDS.length)]}`;
            return {
              number: s.number,
              la_number: s.la,
              name,
              name_search: name.toLowerCase(),
              town,
              town_search: town.toLowerCase(),
              postcode: null,
              phase: null,
              type: null,
              status: 'open' as const,
              urn: String(100000 + start + i),
              uses_s2s: 1 as const,
              active: 1 as const,
              email: null,
              telephone: null,
              opened_on: null,
              closed_on: null,
              created_at: at,
              updated_at: at,
            };
          }),
        )
        .execute();
    }
    await trx
      .insertInto('users')
      .values(
        w.las.map((la) => ({
          id: laUserId(la.number),
          username: `la${la.number}`,
          password_hash: 'x',
          role: 'la_user',
          la_number: la.number,
          establishment_number: null,
          full_name: `Officer of ${la.name}`,
          email: null,
          telephone: null,
          must_change_password: 0 as const,
          created_at: at,
          updated_at: at,
          password_changed_at: at,
          last_signed_in_at: null,
          deleted_at: null,
        })),
      )
      .execute();
  });
}

// ---------------------------------------------------------------------------------------------------
// Transfers and the audit records about them.

type Party =
  | { kind: 'school'; la: string; school: string }
  | { kind: 'la'; la: string }
  | { kind: 'la-inbox'; la: string; inbox: 'PLAS' | 'ADMS' }
  | { kind: 'lost-pupils' };

const partyCode = (p: Party) =>
  p.kind === 'school'
    ? p.school
    : p.kind === 'la'
      ? `${p.la}LLLL`
      : p.kind === 'la-inbox'
        ? `${p.la}${p.inbox}`
        : 'XXXXXXXX';

const OTHER: [string, number][] = [
  ['plasc', 0.35],
  ['generic', 0.3],
  ['cfr', 0.1],
  ['exclusion', 0.1],
  ['admissions', 0.15],
];
const KIND_OF: Record<string, { kind: string; typeCode: string | null }> = {
  ctf: { kind: 'ctf', typeCode: 'CTF' },
  plasc: { kind: 'census', typeCode: 'SC1' },
  cfr: { kind: 'generic', typeCode: null },
  generic: { kind: 'generic', typeCode: null },
  exclusion: { kind: 'generic', typeCode: null },
  admissions: { kind: 'admissions', typeCode: 'ATF' },
};

type TransferInsert = Insertable<TransferTable>[];
interface AuditInsert {
  id: string;
  occurred_at: string;
  actor_user_id: string | null;
  actor_username: string | null;
  organisation: string | null;
  action: string;
  subject_type: string | null;
  subject_id: string | null;
  detail: string | null;
}

function pickCategory(next: () => number): string {
  let roll = next();
  for (const [category, share] of OTHER) {
    if (roll < share) return category;
    roll -= share;
  }
  return 'generic';
}

const SURNAMES = [
  'Smith',
  'Jones',
  'Williams',
  'Taylor',
  'Davies',
  'Evans',
  'Brown',
  'Wilson',
  'Thomas',
  'Khan',
];
const FORENAMES = ['Olivia', 'Amelia', 'Isla', 'Ava', 'Noah', 'Oliver', 'George', 'Leo', 'Muhammad', 'Freya'];

/** A lost pupil's record, for a CTF sent to the Lost Pupils Database; found by an LA or not. */
interface LostPupilInsert {
  record: NewLostPupil;
  found: { at: string; la: string } | null;
}

/** Transfer number `n`: the same every run. */
function transfer(
  n: number,
  w: World,
): { row: Record<string, unknown>; audits: AuditInsert[]; lostPupil: LostPupilInsert | null } {
  const next = random(n * 7919 + 17);
  const id = uuid(next);
  const uploadedMs = START + Math.floor(next() * SPAN);
  const school = w.schools[Math.floor(next() * w.schools.length)] as World['schools'][number];
  const la = w.las.find((l) => l.number === school.la) as World['las'][number];
  const self: Party = { kind: 'school', la: school.la, school: school.number };
  const anotherSchool = (sameLa: boolean): Party => {
    if (sameLa) {
      const s = la.schools[Math.floor(next() * la.schools.length)] as string;
      return { kind: 'school', la: la.number, school: s };
    }
    for (;;) {
      const s = w.schools[Math.floor(next() * w.schools.length)] as World['schools'][number];
      if (s.la !== la.number) return { kind: 'school', la: s.la, school: s.number };
    }
  };
  let category = 'ctf';
  let from: Exclude<Party, { kind: 'lost-pupils' }> = self;
  let to: Party;
  const roll = next();
  if (roll < 0.85) {
    const where = next();
    if (where < 0.9) to = anotherSchool(next() < 0.7);
    else if (where < 0.95)
      to = {
        kind: 'la',
        la: next() < 0.6 ? la.number : (w.las[Math.floor(next() * LAS)]?.number ?? la.number),
      };
    else to = { kind: 'lost-pupils' };
  } else {
    category = pickCategory(next);
    const way = next();
    if (category === 'plasc')
      to = way < 0.5 ? { kind: 'la-inbox', la: la.number, inbox: 'PLAS' } : { kind: 'la', la: la.number };
    else if (category === 'admissions') {
      if (way < 0.5) to = { kind: 'la-inbox', la: la.number, inbox: 'ADMS' };
      else {
        from = { kind: 'la-inbox', la: la.number, inbox: 'ADMS' };
        to = self;
      }
    } else if (way < 0.6) to = { kind: 'la', la: la.number };
    else if (way < 0.9) {
      from = { kind: 'la', la: la.number };
      to = self;
    } else to = anotherSchool(next() < 0.7);
  }
  const { kind, typeCode } = KIND_OF[category] as { kind: string; typeCode: string | null };
  const seq = String(Math.floor(next() * 1000)).padStart(3, '0');
  const filename =
    kind === 'generic'
      ? `${partyCode(from)}_${partyCode(to)}_FILE${seq}.ZIP`
      : `${partyCode(from)}_${typeCode}_${partyCode(to)}_${seq}.XML`;
  const s = next();
  const status: TransferStatus =
    s < 0.7 ? 'collected' : s < 0.85 ? 'available' : s < 0.9 ? 'rejected' : 'removed';
  const iso = (ms: number) => new Date(Math.min(ms, NOW.getTime() - 60_000)).toISOString();
  const later = (ms: number, days: number) => ms + Math.floor(next() * days * DAY);
  const firstDownload = status === 'collected' ? later(uploadedMs, 5) : null;
  const lastDownload = firstDownload === null ? null : next() < 0.2 ? later(firstDownload, 3) : firstDownload;
  const removedMs = status === 'removed' ? later(uploadedMs, 30) : null;
  const rejectedMs = status === 'rejected' ? later(uploadedMs, 5) : null;
  // Files are purged (content gone, metadata kept) a year after upload, or once removed.
  const purged = NOW.getTime() - uploadedMs > 365 * DAY || status === 'removed';
  const destUser =
    to.kind === 'school' ? `school-${to.school}` : to.kind === 'lost-pupils' ? null : laUserId(to.la);
  const sourceLa = from.la;
  const row = {
    id,
    filename,
    category,
    kind,
    type_code: typeCode,
    source_la: sourceLa,
    source_school: from.kind === 'school' ? from.school : null,
    source_inbox: from.kind === 'la-inbox' ? from.inbox : null,
    dest_kind: to.kind,
    dest_la: to.kind === 'lost-pupils' ? null : to.la,
    dest_school: to.kind === 'school' ? to.school : null,
    dest_inbox: to.kind === 'la-inbox' ? to.inbox : null,
    lost_reason: to.kind === 'lost-pupils' ? 'destination-unknown' : null,
    uploaded_by: from.kind === 'school' ? `school-${from.school}` : laUserId(sourceLa),
    uploaded_at: iso(uploadedMs),
    size: 2000 + Math.floor(next() * 4_000_000),
    sha256: `${hex(next)}${hex(next)}${hex(next)}${hex(next)}${hex(next)}${hex(next)}${hex(next)}${hex(next)}`,
    storage_key: purged ? null : `${hex(next)}${hex(next)}${hex(next)}${hex(next)}`,
    wrapped_key: purged ? null : `${hex(next)}${hex(next)}${hex(next)}${hex(next)}${hex(next)}${hex(next)}`,
    master_key_id: purged ? null : 'k2024',
    pupil_count: category === 'ctf' ? 1 + Math.floor(next() ** 3 * 30) : 0,
    status,
    first_downloaded_at: firstDownload === null ? null : iso(firstDownload),
    last_downloaded_at: lastDownload === null ? null : iso(lastDownload),
    downloaded_by: firstDownload === null ? null : destUser,
    collected_at: lastDownload === null ? null : iso(lastDownload),
    rejected_at: rejectedMs === null ? null : iso(rejectedMs),
    rejected_by: rejectedMs === null ? null : destUser,
    reject_reason: rejectedMs === null ? null : 'Not one of our pupils',
    removed_at: removedMs === null ? null : iso(removedMs),
    removed_by: removedMs === null ? null : destUser,
    purged_at: purged ? iso(removedMs ?? uploadedMs + 365 * DAY) : null,
    forwarded_from: null,
  };
  // A CTF to the Lost Pupils Database has its pupil's record; 30% of them found by some LA since.
  let lostPupil: LostPupilInsert | null = null;
  if (to.kind === 'lost-pupils') {
    const born = 2008 + Math.floor(next() * 12);
    const found = next() < 0.3;
    lostPupil = {
      record: {
        id,
        transfer_id: id,
        reason: next() < 0.7 ? 'destination-unknown' : 'left-maintained-sector',
        upn: `A${String(n).padStart(12, '0')}`,
        former_upn: null,
        surname: SURNAMES[Math.floor(next() * SURNAMES.length)] as string,
        former_surname: null,
        forename: FORENAMES[Math.floor(next() * FORENAMES.length)] as string,
        middle_names: null,
        date_of_birth: `${born}-0${1 + Math.floor(next() * 9)}-1${Math.floor(next() * 10)}`,
        gender: next() < 0.5 ? 'F' : 'M',
        town: TOWNS[Math.floor(next() * TOWNS.length)] as string,
        source_la: sourceLa,
        source_school: from.kind === 'school' ? from.school : null,
        uploaded_at: iso(uploadedMs),
        leaves_school_on: `${born + 16}-06-26`,
      },
      found: found
        ? {
            at: iso(later(uploadedMs, 60)),
            la: w.las[Math.floor(next() * LAS)]?.number ?? sourceLa,
          }
        : null,
    };
  }
  const audits: AuditInsert[] = [];
  const audit = (
    at: number,
    organisation: string | null,
    action: string,
    detail: unknown,
    user: string | null,
  ) =>
    audits.push({
      id: uuid(next),
      occurred_at: iso(at),
      actor_user_id: user,
      actor_username: user,
      organisation,
      action,
      subject_type: 'transfer',
      subject_id: id,
      detail: detail === null ? null : JSON.stringify(detail),
    });
  // Deletions: by the receiving LA ("Delete files not collected by schools"), a forward by it, or the
  // sender withdrawing the file.
  if (removedMs !== null) {
    const who = next();
    if (category === 'ctf' && (to.kind === 'school' || to.kind === 'la') && who < 0.55) {
      const destLa = to.la;
      const user = `la${destLa}`;
      if (who < 0.4)
        audit(removedMs, destLa, 'file-removed', { removedBy: 'la', destination: partyCode(to) }, user);
      else {
        const other = w.las.find((l) => l.number === destLa)?.schools ?? [];
        const destination = other[Math.floor(next() * other.length)] ?? partyCode(to);
        audit(removedMs, destLa, 'file-forwarded', { forwardedTo: uuid(next), destination }, user);
      }
    } else {
      const org = from.kind === 'school' ? from.school : from.la;
      audit(removedMs, org, 'file-removed', { reason: 'withdrawn' }, org);
    }
  }
  // Everything else the audit trail holds about files: downloads, by the school or the LA.
  if (firstDownload !== null && next() < 0.3 && to.kind !== 'lost-pupils') {
    const org = to.kind === 'school' ? to.school : to.la;
    audit(firstDownload, org, 'file-downloaded', null, org);
  }
  return { row, audits, lostPupil };
}

const ms = (start: bigint) => Number(process.hrtime.bigint() - start) / 1e6;

async function loadTransfers(
  database: TestDatabase,
  w: World,
): Promise<{ audits: number; lostPupils: number }> {
  const { db, engine } = database;
  if (engine === 'sqlite') {
    await sql`PRAGMA cache_size = -1048576`.execute(db);
    await sql`PRAGMA synchronous = OFF`.execute(db);
  }
  let audits = 0;
  let lostPupils = 0;
  for (let start = 0; start < N; start += ROWS_PER_TRANSACTION) {
    const rows: Record<string, unknown>[] = [];
    const events: AuditInsert[] = [];
    const lost: LostPupilInsert[] = [];
    for (let n = start; n < Math.min(N, start + ROWS_PER_TRANSACTION); n += 1) {
      const t = transfer(n, w);
      rows.push(t.row);
      events.push(...t.audits);
      if (t.lostPupil) lost.push(t.lostPupil);
    }
    audits += events.length;
    lostPupils += lost.length;
    await db.transaction().execute(async (trx) => {
      for (let i = 0; i < rows.length; i += ROWS_PER_INSERT)
        await trx
          .insertInto('transfers')
          .values(rows.slice(i, i + ROWS_PER_INSERT) as TransferInsert)
          .execute();
      for (let i = 0; i < events.length; i += ROWS_PER_INSERT)
        await trx
          .insertInto('audit_events')
          .values(events.slice(i, i + ROWS_PER_INSERT))
          .execute();
      // Written as an upload writes them (with their search keys), then found as an LA finds them.
      await insertLostPupils(
        trx,
        lost.map((l) => l.record),
      );
      for (const { record, found } of lost) {
        if (!found) continue;
        await trx
          .updateTable('lost_pupils')
          .set({ status: 'found', found_at: found.at, found_by_la: found.la, found_by: laUserId(found.la) })
          .where('id', '=', record.id)
          .execute();
      }
    });
    if ((start / ROWS_PER_TRANSACTION) % 4 === 3)
      process.stderr.write(
        `reports: ${engine} ${(start + ROWS_PER_TRANSACTION).toLocaleString('en-GB')} transfers\n`,
      );
  }
  if (engine === 'sqlite') {
    // Back to the connection's own settings (better-sqlite3's), as the service's would be.
    await sql`PRAGMA cache_size = -16000`.execute(db);
    await sql`PRAGMA synchronous = FULL`.execute(db);
  }
  return { audits, lostPupils };
}

// ---------------------------------------------------------------------------------------------------
// The reports, and the bare counts they are measured against.

interface Case {
  report: string;
  /** What the bare count is, in words (the table's footnote). */
  bare: string;
  run(): Promise<number>;
  runBare(): Promise<number>;
}

interface Scenario {
  la: { number: string; name: string; schools: number };
  range: 'all records' | 'last 12 months';
  criteria: DateRangeInput;
  since: string | null;
  until: string;
}

const count = (rows: { n: unknown }[]) => Number(rows[0]?.n ?? 0);

function cases(db: Db, actor: Actor, s: Scenario, others: string[]): Case[] {
  const usage = new UsageReportService({ db, clock });
  const movements = new FileMovementReportService({ db, clock });
  const cluster = new ClusterReportService({ db, clock });
  const deleted = new DeletedCtfsReportService({ db, clock });
  const la = s.la.number;
  const range = (column: string) =>
    s.since
      ? sql` and ${sql.ref(column)} >= ${s.since} and ${sql.ref(column)} < ${s.until}`
      : sql` and ${sql.ref(column)} < ${s.until}`;
  const laCount = async () =>
    count(
      (
        await sql<{
          n: unknown;
        }>`select (select count(*) from transfers where source_la = ${la}${range('uploaded_at')}) + (select count(*) from transfers where dest_la = ${la}${range('uploaded_at')}) as n`.execute(
          db,
        )
      ).rows,
    );
  const laBare =
    'count(*) where source_la = LA, plus count(*) where dest_la = LA (one statement, each with the report’s uploaded_at bounds, so the rows are read)';
  const clusterLas = [la, ...others];
  return [
    {
      report: 'General Usage/Volume (all schools)',
      bare: laBare,
      run: async () => (await usage.run(actor, { ...s.criteria, scope: 'all' })).rows.length,
      runBare: laCount,
    },
    {
      report: 'School Report page (count + first 500)',
      bare: laBare,
      run: async () => (await movements.page(actor, 'ctf', s.criteria)).total,
      runBare: laCount,
    },
    {
      report: 'Generic / Other file movements page (count + first 500)',
      bare: laBare,
      run: async () => (await movements.page(actor, 'other', s.criteria)).total,
      runBare: laCount,
    },
    {
      report: 'LEA Cluster (own + 9 others)',
      bare: 'count(*) where source_la in (the 10 LAs) (and uploaded_at in the range)',
      run: async () =>
        (await cluster.run(actor, { ...s.criteria, scope: 'selected', las: others })).rows.length,
      runBare: async () =>
        count(
          (
            await sql<{
              n: unknown;
            }>`select count(*) as n from transfers where source_la in (${sql.join(clusterLas)})${range('uploaded_at')}`.execute(
              db,
            )
          ).rows,
        ),
    },
    {
      report: 'Delete CTF files Audit Trail',
      bare: 'count(*) from audit_events where organisation = LA (and occurred_at in range)',
      run: async () => (await deleted.run(actor, s.criteria)).rows.length,
      runBare: async () =>
        count(
          (
            await sql<{
              n: unknown;
            }>`select count(*) as n from audit_events where organisation = ${la}${range('occurred_at')}`.execute(
              db,
            )
          ).rows,
        ),
    },
  ];
}

/** The CSVs with dates, for each LA and range: the name ReportDownloads knows, and who downloads it. */
const CSV_DOWNLOADS: { report: string; name: CsvReportName; role: Actor['role'] }[] = [
  { report: 'School Report CSV', name: 'school', role: 'la_user' },
  { report: 'Generic / Other file movements CSV', name: 'file-movements', role: 'la_user' },
  { report: 'Lost Pupil (numbers) CSV', name: 'lost-pupil-numbers', role: 'la_lost_pupil' },
  { report: 'Lost Pupil (uploaded pupils) CSV', name: 'lost-pupils-uploaded', role: 'la_lost_pupil' },
  { report: 'Lost Pupil (downloaded pupils) CSV', name: 'lost-pupils-downloaded', role: 'la_lost_pupil' },
];

/** The directory's CSVs, lists of the LA's establishments (all statuses), for its administrator. */
const DIRECTORY_DOWNLOADS: { report: string; name: CsvReportName }[] = [
  { report: 'School List CSV', name: 'schools' },
  { report: 'Base User CSV', name: 'base-users' },
];

/** A full CSV download of a report, as the route streams it, into a sink that only counts bytes. */
async function streamCsv(
  open: () => Promise<CsvDownload>,
  /** Collect garbage every LIVE_EVERY rows to see the heap the download keeps alive (slows it down). */
  measureLive: boolean,
): Promise<{
  rows: number;
  bytes: number;
  heapGrowthMB: number;
  liveGrowthMB: number;
  rssMB: number;
  peakRssMB: number;
}> {
  collectGarbage();
  const base = process.memoryUsage();
  let peakHeap = base.heapUsed;
  let peakRss = base.rss;
  let peakLive = base.heapUsed;
  let rows = 0;
  let bytes = 0;
  const download = await open();
  async function* cells() {
    for await (const row of download.rows) {
      rows += 1;
      if (rows % 500 === 0) {
        const now = process.memoryUsage();
        peakHeap = Math.max(peakHeap, now.heapUsed);
        peakRss = Math.max(peakRss, now.rss);
      }
      if (measureLive && rows % LIVE_EVERY === 0) {
        collectGarbage();
        peakLive = Math.max(peakLive, process.memoryUsage().heapUsed);
      }
      yield row;
    }
  }
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      bytes += chunk.length;
      done();
    },
  });
  await pipeline(csvStream(download.header, cells()), sink);
  return {
    rows,
    bytes,
    heapGrowthMB: (peakHeap - base.heapUsed) / 2 ** 20,
    liveGrowthMB: (peakLive - base.heapUsed) / 2 ** 20,
    rssMB: base.rss / 2 ** 20,
    peakRssMB: peakRss / 2 ** 20,
  };
}

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as (() => void) | undefined;
function collectGarbage() {
  gc?.();
}

/** Prints the SQL each report sends and its plan (EXPLAIN QUERY PLAN; EXPLAIN ANALYZE on PostgreSQL). */
async function explain(database: TestDatabase, actor: Actor, s: Scenario, others: string[]) {
  const { db, engine } = database;
  const captured: CompiledQuery[] = [];
  const plugin: KyselyPlugin = {
    transformQuery(args) {
      captured.push(db.getExecutor().compileQuery(args.node, args.queryId));
      return args.node;
    },
    async transformResult(args) {
      return args.result;
    },
  };
  const logged = db.withPlugin(plugin);
  for (const c of cases(logged, actor, s, others)) {
    captured.length = 0;
    await c.run();
    process.stderr.write(`\n=== ${engine} ${s.la.number} ${s.range}: ${c.report}\n`);
    for (const q of [...captured]) {
      if (!/^select/i.test(q.sql) || (!q.sql.includes('transfers') && !q.sql.includes('audit_events')))
        continue;
      const prefix = engine === 'sqlite' ? 'EXPLAIN QUERY PLAN ' : 'EXPLAIN (ANALYZE, BUFFERS) ';
      const start = process.hrtime.bigint();
      const plan = await db.executeQuery<Record<string, unknown>>(
        CompiledQuery.raw(prefix + q.sql, [...q.parameters]),
      );
      process.stderr.write(`--- ${q.sql.slice(0, 600)}${q.sql.length > 600 ? '...' : ''}\n`);
      for (const row of plan.rows)
        process.stderr.write(`    ${engine === 'sqlite' ? row.detail : Object.values(row)[0]}\n`);
      process.stderr.write(`    (${ms(start).toFixed(1)} ms)\n`);
    }
  }
}

// ---------------------------------------------------------------------------------------------------

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? 0;
}

export interface ReportTiming {
  la: string;
  laSchools: number;
  range: Scenario['range'];
  report: string;
  bare: string;
  /** What the report returned (rows, or the page's total) and the bare count's result. */
  size: number;
  bareCount: number;
  p50Ms: number;
  p95Ms: number;
  bareP50Ms: number;
  bareP95Ms: number;
}

export interface CsvTiming {
  la: string;
  laSchools: number;
  range: Scenario['range'];
  report: string;
  rows: number;
  bytes: number;
  p50Ms: number;
  maxMs: number;
  /** Peak heap over the level before (sampled every 500 rows, garbage included). */
  heapGrowthMB: number;
  /** Peak live heap (after a full GC every 1,000 rows, in one extra download) over the level before. */
  liveGrowthMB: number;
  rssMB: number;
  peakRssMB: number;
}

export interface ReportsEngineResult {
  engine: Engine;
  transfers: number;
  audits: number;
  lostPupils: number;
  loadSeconds: number;
  timings: ReportTiming[];
  csv: CsvTiming[];
  load: { before: number; after: number };
  seconds: number;
}

export interface ReportsBenchResult {
  engines: ReportsEngineResult[];
  data: string;
}

function describeData(w: World, audits: number, lostPupils: number): string {
  const sizes = w.las.map((l) => l.schools.length).sort((a, b) => b - a);
  return (
    `${N.toLocaleString('en-GB')} transfers uploaded evenly over the 3 years before ${NOW.toISOString().slice(0, 10)}, ` +
    `by ${SCHOOLS.toLocaleString('en-GB')} schools in ${LAS} LAs (schools per LA falling as rank^-${LA_EXPONENT}: ` +
    `${sizes[0]} in the largest, ${sizes[Math.floor(LAS / 2)]} in the median, ${sizes[LAS - 1]} in the smallest), ` +
    'one la_user per LA. 85% CTFs: 90% of them to a school (70% in the same LA, 30% in another), 5% to an LA, ' +
    '5% to the Lost Pupils Database; 15% other files (PLASC/School Census, generic, CFR, exclusion, admissions) ' +
    'between schools and their LA or its inboxes. Status: 70% collected, 15% awaiting download, 5% rejected, ' +
    '10% removed; 1-30 pupils per CTF; content purged (storage columns null) after a year or once removed; ' +
    `no transfer_pupils rows. ${audits.toLocaleString('en-GB')} audit records: each removal (by the receiving ` +
    'LA, a forward by it, or the sender withdrawing it) and 30% of downloads. ' +
    `${lostPupils.toLocaleString('en-GB')} Lost Pupils Database records, one for each CTF sent to it, with their search keys ` +
    '(70% destination unknown, 30% left the maintained sector; pupils born 2008-2019), 30% of them found by an LA ' +
    'within 60 days of the upload. The users of each LA downloading the CSVs: its la_user (file movements), a ' +
    'lost-pupil officer (Lost Pupil reports), its administrator (directory lists).'
  );
}

export async function benchReports(): Promise<ReportsBenchResult> {
  const w = world();
  const bySize = [...w.las].sort(
    (a, b) => b.schools.length - a.schools.length || a.number.localeCompare(b.number),
  );
  const chosen = [bySize[0], bySize[Math.floor(LAS / 2)]] as World['las'];
  const engines: ReportsEngineResult[] = [];
  let audits = 0;
  let lostPupils = 0;
  for (const engine of ENGINES) {
    const began = process.hrtime.bigint();
    const database = await createTestDatabase(engine);
    try {
      const start = process.hrtime.bigint();
      await loadWorld(database.db, w);
      ({ audits, lostPupils } = await loadTransfers(database, w));
      if (engine === 'sqlite') await sql`ANALYZE`.execute(database.db);
      else await sql`VACUUM ANALYZE`.execute(database.db);
      const loadSeconds = ms(start) / 1000;
      process.stderr.write(`reports: ${engine} loaded in ${loadSeconds.toFixed(0)} s\n`);

      const twelveMonths = new Date(NOW.getTime() - 365 * DAY);
      const scenarios: Scenario[] = chosen.flatMap((la) =>
        (['all records', 'last 12 months'] as const).map((range) => ({
          la: { number: la.number, name: la.name, schools: la.schools.length },
          range,
          criteria:
            range === 'all records'
              ? {}
              : {
                  fromDay: String(twelveMonths.getUTCDate()),
                  fromMonth: String(twelveMonths.getUTCMonth() + 1),
                  fromYear: String(twelveMonths.getUTCFullYear()),
                },
          // The instants the services' readDateRange makes of these (London midnight).
          since: range === 'all records' ? null : '',
          until: '',
        })),
      );
      const { readDateRange } = await import('../src/reports/date-range.ts');
      for (const s of scenarios) {
        const read = readDateRange(s.criteria, NOW);
        if (!read.range) throw new Error('bad criteria');
        s.since = read.range.since;
        s.until = read.range.until;
      }
      const actorFor = (la: string): Actor => ({
        userId: laUserId(la),
        username: `la${la}`,
        role: 'la_user',
        laNumber: la,
        establishmentNumber: null,
      });
      // The 9 other LAs of the cluster: the next 9 largest.
      const othersFor = (la: string) =>
        bySize
          .filter((l) => l.number !== la)
          .slice(0, 9)
          .map((l) => l.number);

      if (EXPLAIN)
        for (const s of scenarios) await explain(database, actorFor(s.la.number), s, othersFor(s.la.number));

      const all = scenarios.flatMap((s) =>
        cases(database.db, actorFor(s.la.number), s, othersFor(s.la.number)).map((c) => ({
          s,
          c,
          wall: [] as number[],
          bare: [] as number[],
          size: 0,
          bareCount: 0,
        })),
      );
      const before = loadavg()[0] ?? 0;
      for (let round = -WARM_UP; round < ROUNDS; round += 1) {
        const roundStart = process.hrtime.bigint();
        for (const entry of all) {
          // Report and bare count one after the other, so both see the same moment of the machine.
          let start = process.hrtime.bigint();
          entry.size = await entry.c.run();
          const wall = ms(start);
          start = process.hrtime.bigint();
          entry.bareCount = await entry.c.runBare();
          const bare = ms(start);
          if (round >= 0) {
            entry.wall.push(wall);
            entry.bare.push(bare);
          }
        }
        process.stderr.write(
          `reports: ${engine} round ${round + 1}/${ROUNDS} in ${(ms(roundStart) / 1000).toFixed(1)} s\n`,
        );
      }
      const csv: CsvTiming[] = [];
      const downloads = new ReportDownloads({ db: database.db, clock });
      const officer = (la: string, role: Actor['role']): Actor => ({ ...actorFor(la), role });
      for (const s of scenarios) {
        const la = s.la.number;
        const downloadsOf: { report: string; open: () => Promise<CsvDownload> }[] = [
          ...CSV_DOWNLOADS.map(({ report, name, role }) => ({
            report,
            open: () => downloads.csv(officer(la, role), name, s.criteria),
          })),
          // The directory's lists have no dates: once for each LA, and the School List of every LA once.
          ...(s.range === 'all records'
            ? [
                ...DIRECTORY_DOWNLOADS.map(({ report, name }) => ({
                  report,
                  open: () => downloads.csv(officer(la, 'la_dba'), name, { status: 'all' }),
                })),
                ...(la === chosen[0]?.number
                  ? [
                      {
                        report: 'School List CSV, every LA (national administrator)',
                        open: () =>
                          downloads.csv({ ...officer(la, 'national_admin'), laNumber: null }, 'schools', {
                            la: ALL_LAS,
                            status: 'all',
                          }),
                      },
                    ]
                  : []),
              ]
            : []),
        ];
        for (const { report, open } of downloadsOf) {
          const times: number[] = [];
          let last: Awaited<ReturnType<typeof streamCsv>> | undefined;
          let heap = 0;
          let rss = 0;
          let peakRss = 0;
          for (let round = 0; round < CSV_ROUNDS; round += 1) {
            const start = process.hrtime.bigint();
            last = await streamCsv(open, false);
            times.push(ms(start));
            heap = Math.max(heap, last.heapGrowthMB);
            rss = last.rssMB;
            peakRss = Math.max(peakRss, last.peakRssMB);
          }
          const live = await streamCsv(open, true);
          times.sort((a, b) => a - b);
          csv.push({
            la,
            laSchools: s.la.schools,
            range: s.range,
            report,
            rows: last?.rows ?? 0,
            bytes: last?.bytes ?? 0,
            p50Ms: percentile(times, 50),
            maxMs: times[times.length - 1] ?? 0,
            heapGrowthMB: heap,
            liveGrowthMB: live.liveGrowthMB,
            rssMB: rss,
            peakRssMB: Math.max(peakRss, live.peakRssMB),
          });
          process.stderr.write(
            `reports: ${engine} ${la} ${s.range} ${report}: ${last?.rows} rows, p50 ${percentile(times, 50).toFixed(0)} ms, heap +${heap.toFixed(1)} MB, live +${live.liveGrowthMB.toFixed(1)} MB, RSS ${rss.toFixed(0)} -> ${peakRss.toFixed(0)} MB\n`,
          );
        }
      }
      const after = loadavg()[0] ?? 0;
      const sorted = (values: number[]) => [...values].sort((a, b) => a - b);
      engines.push({
        engine,
        transfers: N,
        audits,
        lostPupils,
        loadSeconds,
        load: { before, after },
        seconds: ms(began) / 1000,
        csv,
        timings: all.map((e) => ({
          la: e.s.la.number,
          laSchools: e.s.la.schools,
          range: e.s.range,
          report: e.c.report,
          bare: e.c.bare,
          size: e.size,
          bareCount: e.bareCount,
          p50Ms: percentile(sorted(e.wall), 50),
          p95Ms: percentile(sorted(e.wall), 95),
          bareP50Ms: percentile(sorted(e.bare), 50),
          bareP95Ms: percentile(sorted(e.bare), 95),
        })),
      });
    } finally {
      await database.drop();
    }
  }
  return { engines, data: describeData(w, audits, lostPupils) };
}

// ---------------------------------------------------------------------------------------------------
// The table.

export async function reportsSection(): Promise<string> {
  const r = await benchReports();
  const fixed = (n: number) => (n >= 100 ? n.toFixed(0) : n >= 10 ? n.toFixed(1) : n.toFixed(2));
  const whole = (n: number) => n.toLocaleString('en-GB');
  const lines = [`Run ${new Date().toISOString().slice(0, 10)} on ${machine()}.`, '', `Data: ${r.data}`];
  for (const e of r.engines) {
    lines.push(
      '',
      `**${e.engine}**: ${whole(e.transfers)} transfers, ${whole(e.audits)} audit records and ${whole(e.lostPupils)} Lost Pupils Database records loaded in ${fixed(e.loadSeconds)} s; ` +
        `${ROUNDS} timed runs of each report and of its bare count (after ${WARM_UP} untimed), in rounds, the count straight after the report; ` +
        `${CSV_ROUNDS} full CSV downloads of each. 1-minute load average ${e.load.before.toFixed(1)} before, ${e.load.after.toFixed(1)} after; ` +
        `${fixed(e.seconds)} s in all.`,
      '',
      '| LA (schools) | range | report | rows / total | p50 | p95 | bare count | bare p50 | bare p95 | report / bare (p50) | report / bare (p95) |',
      '|---|---|---|---|---|---|---|---|---|---|---|',
      ...e.timings.map(
        (t) =>
          `| ${t.la} (${t.laSchools}) | ${t.range} | ${t.report} | ${whole(t.size)} | ${fixed(t.p50Ms)} ms | ${fixed(t.p95Ms)} ms | ${whole(t.bareCount)} | ${fixed(t.bareP50Ms)} ms | ${fixed(t.bareP95Ms)} ms | ${(t.p50Ms / t.bareP50Ms).toFixed(1)}x | ${(t.p95Ms / t.bareP95Ms).toFixed(1)}x |`,
      ),
      '',
      '| LA (schools) | range | CSV download (streamed) | rows | size | p50 | max | rows/s | peak heap growth (sampled) | live heap growth (after GC) | RSS before -> peak |',
      '|---|---|---|---|---|---|---|---|---|---|---|',
      ...e.csv.map(
        (c) =>
          `| ${c.la} (${c.laSchools}) | ${c.range} | ${c.report} | ${whole(c.rows)} | ${fixed(c.bytes / 2 ** 20)} MB | ${fixed(c.p50Ms)} ms | ${fixed(c.maxMs)} ms | ${whole(Math.round(c.rows / (c.p50Ms / 1000)))} | ${fixed(c.heapGrowthMB)} MB | ${fixed(c.liveGrowthMB)} MB | ${fixed(c.rssMB)} -> ${fixed(c.peakRssMB)} MB |`,
      ),
    );
  }
  const bares = new Map(r.engines.flatMap((e) => e.timings.map((t) => [t.report, t.bare] as const)));
  lines.push('', `Bare counts: ${[...bares].map(([report, bare]) => `${report}: ${bare}`).join('; ')}.`);
  return lines.join('\n');
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const started = process.hrtime.bigint();
  const text = await reportsSection();
  const start = '<!-- bench:reports:start -->';
  const end = '<!-- bench:reports:end -->';
  const block = `${start}\n${text}\n${end}`;
  if (process.env.BENCH_REPORTS_NO_WRITE !== '1') {
    const path = new URL('../docs/benchmarks.md', import.meta.url);
    const current = readFileSync(path, 'utf8');
    if (!current.includes(start) || !current.includes(end))
      throw new Error(`docs/benchmarks.md has no ${start} ... ${end}`);
    writeFileSync(
      path,
      current.slice(0, current.indexOf(start)) + block + current.slice(current.indexOf(end) + end.length),
    );
  }
  process.stdout.write(`${block}\n`);
  process.stderr.write(`reports: done in ${(ms(started) / 1000).toFixed(0)} s\n`);
}
