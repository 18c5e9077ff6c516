// `s2s seed-scale`: the demo data (seed.ts) inside a country's worth of synthetic organisations, files,
// lost pupils and messages, for load and scale benchmarks (bench/load.ts) and for trying the service at
// size. At fraction 1: 20,000 schools in 170 LAs, 1,000,000 transfers over the year before now (with a
// few pupils per CTF), 1,000,000 Lost Pupils Database records (each with the file it came in, over
// three years) and 5,000,000 messages over the year. Deterministic: every run makes the same data.
//
// Per-school volumes stay the same at every fraction (about 50 files and 250 messages a school a year),
// and the demo organisations get a fixed, busy share: demo-school-b receives and demo-school-a sends
// 1,500 CTFs a year, each of their mailboxes and LA 916's la_user mailbox gets 5,000 messages, and LA 916
// has 120 schools (each capped by the size of the data at small fractions). A demo user therefore sees
// about the same at 1% as at full size, and a page that slows with the size of the country shows it.
//
// Stored files have no content: the seeded rows say where content would be, so lists, counts and
// reports are realistic, but downloading a seeded file fails; files uploaded afterwards work as always.
import type { Insertable } from 'kysely';
import { hashPassword } from '../auth/passwords.ts';
import type { Role } from '../auth/permissions.ts';
import { insertLostPupils, type NewLostPupil } from '../lost-pupils/repository.ts';
import { mailboxKey } from '../messaging/mailboxes.ts';
import type { Clock } from '../platform/clock.ts';
import { analyzeTables } from '../platform/db/database.ts';
import type {
  Database,
  Db,
  Executor,
  MessageRecipientTable,
  TransferStatus,
  TransferTable,
} from '../platform/db/schema.ts';
import { searchText } from '../platform/db/text-search.ts';
import { FORENAMES, hex, random, SURNAMES, syntheticLostPupil, TOWNS, upn, uuid } from './pupils.ts';
import { DEMO_ACCOUNTS, DEMO_PASSWORD, demoAccountRow, seedDemoData } from './seed.ts';

/** The country at fraction 1. */
export const NATIONAL_SCALE = {
  las: 170,
  schools: 20_000,
  transfers: 1_000_000,
  lostPupils: 1_000_000,
  messages: 5_000_000,
} as const;

/** The demo organisations' fixed share (see the top of this file). */
const BUSY_SCHOOL_CTFS = 1500;
const BUSY_MAILBOX_MESSAGES = 5000;
const DEMO_LA_SCHOOLS = 120;
const DEMO_LA = '916';
const BUSY_SENDER = '9165402';
const BUSY_RECEIVER = '8171234';

const DAY = 86_400_000;
/** Parameters per INSERT: under SQLite's bound of 32,766 (PostgreSQL's is 65,535). */
const PARAMETERS_PER_INSERT = 30_000;
/**
 * Rows generated and written per transaction: a fraction of a second of SQLite's write lock (0.3 s at
 * most for lost pupils, the slowest, on a busy machine), so that `s2s serve` beside the load goes on
 * writing (20,000 held it 8.7 s, past the 5 s busy timeout; 500 still 3.7 s on a machine with twice as
 * much work as cores). The commits this adds cost minutes in a national load of hours.
 */
const ROWS_PER_TRANSACTION = 200;
/** Progress is told every so many rows. */
const PROGRESS_ROWS = 200_000;

export interface ScaleCounts {
  las: number;
  schools: number;
  users: number;
  transfers: number;
  transferPupils: number;
  lostPupils: number;
  messages: number;
  messageRecipients: number;
}

export interface SeedScaleOptions {
  /** The share of the country to make: 1 for national scale, 0.01 for 1%. */
  fraction: number;
  /** Told of each stage as it finishes. */
  progress?: (line: string) => void;
}

/** The counts seed-scale makes at a fraction (the demo data's own rows included). */
export function scaleCounts(
  fraction: number,
): Omit<ScaleCounts, 'users' | 'transferPupils' | 'messageRecipients'> {
  const demoSchools = 10;
  return {
    las: Math.max(3, Math.round(NATIONAL_SCALE.las * fraction)),
    schools: Math.max(demoSchools, Math.round(NATIONAL_SCALE.schools * fraction)),
    transfers: Math.round(NATIONAL_SCALE.transfers * fraction),
    lostPupils: Math.round(NATIONAL_SCALE.lostPupils * fraction),
    messages: Math.round(NATIONAL_SCALE.messages * fraction),
  };
}

// ---------------------------------------------------------------------------------------------------
// The organisations

interface School {
  number: string;
  la: string;
  name: string;
  userId: string;
}

interface World {
  schools: School[];
  byNumber: Map<string, School>;
  byLa: Map<string, School[]>;
  las: string[];
  laUserId: Map<string, string>;
}

/** The second half of a synthetic school's name. */
export const SCHOOL_KINDS = [
  'Primary School',
  'Infant School',
  'Junior School',
  'Academy',
  'High School',
  'CE Primary',
];

/** LA numbers for the generated LAs: 201 upwards, past the demo ones. */
function laNumbers(count: number, taken: readonly string[]): string[] {
  const numbers: string[] = [];
  for (let n = 201; numbers.length < count; n += 1) {
    if (!taken.includes(String(n))) numbers.push(String(n));
  }
  return numbers;
}

async function seedOrganisations(
  db: Db,
  fraction: number,
  at: string,
  passwordHash: string,
): Promise<World & { users: number }> {
  const counts = scaleCounts(fraction);
  const demo = await db.selectFrom('establishments').select(['number', 'la_number', 'name']).execute();
  const demoLas = (await db.selectFrom('local_authorities').select('number').execute()).map((r) => r.number);
  const newLas = laNumbers(counts.las - demoLas.length, demoLas);
  const las = [...demoLas, ...newLas];
  const next = random(20_000);
  const byLa = new Map<string, School[]>(las.map((la) => [la, []]));
  const taken = new Set(demo.map((s) => s.number));
  const schools: School[] = [];
  const demoUsers = new Map(DEMO_ACCOUNTS.map((a) => [a.establishmentNumber, a.username]));
  const userIds = new Map(
    (await db.selectFrom('users').select(['id', 'username']).execute()).map((u) => [u.username, u.id]),
  );
  for (const s of demo) {
    const username = demoUsers.get(s.number);
    const school = {
      number: s.number,
      la: s.la_number,
      name: s.name,
      // Demo schools without an account of their own send through a generated one (below).
      userId: (username && userIds.get(username)) || uuid(next),
    };
    schools.push(school);
    byLa.get(s.la_number)?.push(school);
  }
  const generated = counts.schools - demo.length;
  // LA 916 gets its fixed share first (at most half the generated schools), the rest go round the LAs.
  const demoLaShare = Math.max(
    0,
    Math.min(DEMO_LA_SCHOOLS - (byLa.get(DEMO_LA)?.length ?? 0), Math.floor(generated / 2)),
  );
  const others = las.filter((la) => la !== DEMO_LA);
  const newSchools: School[] = [];
  const serial = new Map<string, number>();
  for (let i = 0; i < generated; i += 1) {
    const la = i < demoLaShare ? DEMO_LA : (others[(i - demoLaShare) % others.length] as string);
    let number: string;
    do {
      const k = (serial.get(la) ?? 2000) + 1;
      serial.set(la, k);
      number = `${la}${String(k).padStart(4, '0')}`;
    } while (taken.has(number));
    taken.add(number);
    const name = `${TOWNS[Math.floor(next() * TOWNS.length)]} ${SCHOOL_KINDS[Math.floor(next() * SCHOOL_KINDS.length)]}`;
    const school = { number, la, name, userId: uuid(next) };
    newSchools.push(school);
    schools.push(school);
    byLa.get(la)?.push(school);
  }
  const laUserId = new Map(las.map((la) => [la, uuid(next)]));
  const user = (
    id: string,
    username: string,
    role: Role,
    laNumber: string,
    establishmentNumber: string | null,
  ) =>
    demoAccountRow(
      {
        id,
        username,
        role,
        laNumber,
        establishmentNumber,
        fullName: establishmentNumber ? `Office of ${establishmentNumber}` : `Data officer, LA ${laNumber}`,
      },
      passwordHash,
      at,
    );
  const accounts = [
    ...schools
      .filter((s) => !demoUsers.has(s.number))
      .map((s) => user(s.userId, `school-${s.number}`, 'school', s.la, s.number)),
    ...las.map((la) => user(laUserId.get(la) as string, `la-${la}`, 'la_user', la, null)),
  ];
  await db.transaction().execute(async (tx) => {
    await insertRows(
      tx,
      'local_authorities',
      newLas.map((number, i) => ({
        number,
        name: `${TOWNS[i % TOWNS.length]} ${i % 2 === 0 ? 'County Council' : 'Borough Council'}`,
        country: i % 8 === 7 ? ('Wales' as const) : ('England' as const),
        contact_name: 'Data Team',
        email: `data.team@la${number}.example.gov.uk`,
        telephone: null,
        address: null,
        updated_at: at,
      })),
    );
    await insertRows(
      tx,
      'establishments',
      newSchools.map((s) => {
        const town = s.name.split(' ')[0] as string;
        return {
          number: s.number,
          la_number: s.la,
          name: s.name,
          name_search: searchText(s.name),
          town,
          town_search: searchText(town),
          postcode: null,
          phase: s.name.includes('High') || s.name.includes('Academy') ? 'Secondary' : 'Primary',
          type: 'Community school',
          status: 'open' as const,
          urn: null,
          uses_s2s: 1 as const,
          active: 1 as const,
          email: `office@${s.number}.example.sch.uk`,
          telephone: null,
          opened_on: null,
          closed_on: null,
          created_at: at,
          updated_at: at,
        };
      }),
    );
    await insertRows(tx, 'users', accounts);
  });
  return {
    schools,
    byNumber: new Map(schools.map((s) => [s.number, s])),
    byLa,
    las,
    laUserId,
    users: accounts.length,
  };
}

// ---------------------------------------------------------------------------------------------------
// Transfers

const OTHER_CATEGORIES: [category: string, kind: string, typeCode: string | null, share: number][] = [
  ['plasc', 'census', 'SC1', 0.35],
  ['generic', 'generic', null, 0.3],
  ['cfr', 'generic', null, 0.1],
  ['exclusion', 'generic', null, 0.1],
  ['admissions', 'admissions', 'ATF', 0.15],
];

type Party =
  | { kind: 'school'; school: School }
  | { kind: 'la'; la: string }
  | { kind: 'la-inbox'; la: string; inbox: 'PLAS' | 'ADMS' };

const laOf = (p: Party) => (p.kind === 'school' ? p.school.la : p.la);
const partyCode = (p: Party) =>
  p.kind === 'school' ? p.school.number : p.kind === 'la' ? `${p.la}LLLL` : `${p.la}${p.inbox}`;

const pick = <T>(list: readonly T[], next: () => number): T => list[Math.floor(next() * list.length)] as T;

/** What became of a file uploaded at `uploadedMs`, with the dates, as the service would have left it. */
function outcome(next: () => number, uploadedMs: number, nowMs: number) {
  const age = nowMs - uploadedMs;
  const roll = next();
  // Recent files are often still waiting; older ones were nearly all collected.
  const status: TransferStatus =
    age < 14 * DAY
      ? roll < 0.55
        ? 'available'
        : roll < 0.97
          ? 'collected'
          : 'rejected'
      : roll < 0.02
        ? 'available'
        : roll < 0.9
          ? 'collected'
          : roll < 0.95
            ? 'rejected'
            : 'removed';
  const within = (days: number) => Math.min(nowMs - 60_000, uploadedMs + Math.floor(next() * days * DAY));
  const downloaded = status === 'collected' ? within(Math.min(5, age / DAY)) : null;
  const acted = status === 'rejected' || status === 'removed' ? within(Math.min(5, age / DAY)) : null;
  // Content is purged a week after the last download or a rejection, and when a file is removed.
  const purgedMs =
    status === 'removed'
      ? acted
      : (downloaded ?? acted ?? nowMs) + 7 * DAY < nowMs
        ? (downloaded ?? acted ?? nowMs) + 7 * DAY
        : null;
  const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
  return {
    status,
    downloadedAt: iso(downloaded),
    rejectedAt: status === 'rejected' ? iso(acted) : null,
    removedAt: status === 'removed' ? iso(acted) : null,
    purgedAt: iso(purgedMs),
  };
}

function transferRow(
  next: () => number,
  id: string,
  file: {
    category: string;
    kind: string;
    typeCode: string | null;
    from: Party;
    to: Party | { kind: 'lost-pupils'; reason: string };
    uploadedMs: number;
    uploadedBy: string;
    receivedBy: string | null;
    pupils: number;
  },
  nowMs: number,
): Insertable<TransferTable> {
  const { from, to } = file;
  const fate = outcome(next, file.uploadedMs, nowMs);
  const seq = String(Math.floor(next() * 1000)).padStart(3, '0');
  const toCode =
    to.kind === 'lost-pupils'
      ? to.reason === 'destination-unknown'
        ? 'XXXXXXXX'
        : 'MMMMMMMM'
      : partyCode(to);
  const kept = fate.purgedAt === null;
  return {
    id,
    filename:
      file.kind === 'generic'
        ? `${partyCode(from)}_${toCode}_FILE${seq}.ZIP`
        : `${partyCode(from)}_${file.typeCode}_${toCode}_${seq}.XML`,
    category: file.category,
    kind: file.kind,
    type_code: file.typeCode,
    source_la: laOf(from),
    source_school: from.kind === 'school' ? from.school.number : null,
    source_inbox: from.kind === 'la-inbox' ? from.inbox : null,
    dest_kind: to.kind,
    dest_la: to.kind === 'lost-pupils' ? null : laOf(to),
    dest_school: to.kind === 'school' ? to.school.number : null,
    dest_inbox: to.kind === 'la-inbox' ? to.inbox : null,
    lost_reason: to.kind === 'lost-pupils' ? to.reason : null,
    uploaded_by: file.uploadedBy,
    uploaded_at: new Date(file.uploadedMs).toISOString(),
    size: 2000 + Math.floor(next() ** 2 * 4_000_000),
    sha256: Array.from({ length: 8 }, () => hex(next)).join(''),
    storage_key: kept ? `${hex(next)}${hex(next)}${hex(next)}${hex(next)}` : null,
    wrapped_key: kept ? Array.from({ length: 6 }, () => hex(next)).join('') : null,
    master_key_id: kept ? 'seed-scale' : null,
    pupil_count: file.pupils,
    status: fate.status,
    first_downloaded_at: fate.downloadedAt,
    last_downloaded_at: fate.downloadedAt,
    downloaded_by: fate.downloadedAt ? file.receivedBy : null,
    collected_at: fate.downloadedAt,
    rejected_at: fate.rejectedAt,
    rejected_by: fate.rejectedAt ? file.receivedBy : null,
    reject_reason: fate.rejectedAt ? 'Not one of our pupils' : null,
    removed_at: fate.removedAt,
    removed_by: fate.removedAt ? file.uploadedBy : null,
    purged_at: fate.purgedAt,
    forwarded_from: null,
    forwarding_la: null,
    scanned_at: null,
    scan_signature: null,
  };
}

/** Transfer `n` of `total`: the busy demo schools' files first, then everyone else's. */
function transfer(n: number, total: number, w: World, nowMs: number) {
  const next = random(n * 7919 + 17);
  const busy = Math.min(BUSY_SCHOOL_CTFS, Math.floor(total / 10));
  const randomSchool = () => pick(w.schools, next);
  const school = (number: string) => w.byNumber.get(number) as School;
  const otherSchool = (from: School): School => {
    const sameLa = w.byLa.get(from.la) ?? [];
    for (;;) {
      const to = next() < 0.7 && sameLa.length > 1 ? pick(sameLa, next) : randomSchool();
      if (to.number !== from.number) return to;
    }
  };
  let category = 'ctf';
  let kind = 'ctf';
  let typeCode: string | null = 'CTF';
  let from: Party;
  let to: Party;
  if (n < busy) {
    const to_ = school(BUSY_RECEIVER);
    from = { kind: 'school', school: otherSchool(to_) };
    to = { kind: 'school', school: to_ };
  } else if (n < 2 * busy) {
    const from_ = school(BUSY_SENDER);
    from = { kind: 'school', school: from_ };
    to = { kind: 'school', school: otherSchool(from_) };
  } else {
    const self = randomSchool();
    from = { kind: 'school', school: self };
    if (next() < 0.85) {
      to = next() < 0.94 ? { kind: 'school', school: otherSchool(self) } : { kind: 'la', la: self.la };
    } else {
      let roll = next();
      const chosen =
        OTHER_CATEGORIES.find(([, , , share]) => {
          roll -= share;
          return roll < 0;
        }) ?? (OTHER_CATEGORIES[1] as (typeof OTHER_CATEGORIES)[number]);
      [category, kind, typeCode] = chosen;
      const way = next();
      if (category === 'plasc')
        to = way < 0.5 ? { kind: 'la-inbox', la: self.la, inbox: 'PLAS' } : { kind: 'la', la: self.la };
      else if (category === 'admissions') {
        if (way < 0.5) to = { kind: 'la-inbox', la: self.la, inbox: 'ADMS' };
        else
          [from, to] = [
            { kind: 'la-inbox', la: self.la, inbox: 'ADMS' },
            { kind: 'school', school: self },
          ];
      } else if (way < 0.6 || category !== 'generic') {
        // CFR and exclusion returns only ever go to the LA (only it can collect them); generic files both ways.
        to = { kind: 'la', la: self.la };
      } else
        [from, to] = [
          { kind: 'la', la: self.la },
          { kind: 'school', school: self },
        ];
    }
  }
  const userOf = (p: Party) => (p.kind === 'school' ? p.school.userId : (w.laUserId.get(p.la) as string));
  const id = uuid(next);
  const pupils = category === 'ctf' ? 1 + Math.floor(next() ** 2 * 4) : 0;
  const row = transferRow(
    next,
    id,
    {
      category,
      kind,
      typeCode,
      from,
      to,
      uploadedMs: nowMs - Math.floor(next() * 365 * DAY),
      uploadedBy: userOf(from),
      receivedBy: userOf(to),
      pupils,
    },
    nowMs,
  );
  // A file's pupils go with its content (markPurged).
  if (row.purged_at) return { row, pupilRows: [] };
  const pupilRows = Array.from({ length: pupils }, (_, position) => {
    const sex = next() < 0.5 ? 'M' : 'F';
    return {
      transfer_id: id,
      position,
      upn: upn(n * 5 + position),
      former_upn: null,
      surname: SURNAMES.pick(next),
      former_surname: null,
      forename: FORENAMES[sex].pick(next),
      middle_names: null,
      date_of_birth: new Date(Date.UTC(2009, 8, 1) + Math.floor(next() * 12 * 365 * DAY))
        .toISOString()
        .slice(0, 10),
      sex,
    };
  });
  return { row, pupilRows };
}

// ---------------------------------------------------------------------------------------------------
// Lost pupils: each record with the file it came in (one pupil a file), over the three years before now.

function lostPupil(n: number, w: World, nowMs: number) {
  const { status, ...record } = syntheticLostPupil(n);
  const next = random(n * 7919 + 29);
  const from = pick(w.schools, next);
  const uploadedMs = nowMs - Math.floor(next() * 3 * 365 * DAY);
  const laUser = w.laUserId.get(from.la) as string;
  const transfer = transferRow(
    next,
    record.id,
    {
      category: 'ctf',
      kind: 'ctf',
      typeCode: 'CTF',
      from: { kind: 'school', school: from },
      to: { kind: 'lost-pupils', reason: record.reason },
      uploadedMs,
      uploadedBy: from.userId,
      receivedBy: laUser,
      pupils: 1,
    },
    nowMs,
  );
  // The file's status follows the record's: found records were downloaded by an LA, removed ones removed.
  transfer.status = status === 'lost' ? 'available' : status === 'found' ? 'collected' : 'removed';
  const lpd: NewLostPupil = {
    ...record,
    source_la: from.la,
    source_school: from.number,
    uploaded_at: transfer.uploaded_at,
  };
  return { transfer, lpd, status };
}

// ---------------------------------------------------------------------------------------------------
// Messages

const DESCRIPTIONS = ['CTF Request', 'Pupil moving', 'CTF received', 'Admissions query', 'Census query'];

function message(n: number, total: number, w: World, nowMs: number) {
  const next = random(n * 7919 + 41);
  const busy = Math.min(BUSY_MAILBOX_MESSAGES, Math.floor(total / 20));
  const schoolBox = (s: School) => ({
    mailbox: mailboxKey({ kind: 'school', establishmentNumber: s.number }),
    label: `${s.number.slice(0, 3)} ${s.number.slice(3)} - ${s.name}`,
    la_number: s.la,
    establishment_number: s.number,
  });
  const laBox = (la: string) => ({
    mailbox: mailboxKey({ kind: 'la-role', laNumber: la, role: 'la_user' }),
    label: `${la} - LEA User`,
    la_number: la,
    establishment_number: null,
  });
  const sender = pick(w.schools, next);
  const fromLa = next() < 0.25;
  const recipients: ReturnType<typeof schoolBox | typeof laBox>[] = [];
  const slot = Math.floor(n / Math.max(1, busy));
  if (slot === 0) recipients.push(schoolBox(w.byNumber.get(BUSY_SENDER) as School));
  else if (slot === 1) recipients.push(schoolBox(w.byNumber.get(BUSY_RECEIVER) as School));
  else if (slot === 2) recipients.push(laBox(DEMO_LA));
  const extra = recipients.length === 0 ? (next() < 0.85 ? 1 : 2 + Math.floor(next() * 3)) : 0;
  const sameLa = w.byLa.get(sender.la) ?? w.schools;
  for (let i = 0; i < extra; i += 1) {
    const box = next() < 0.8 ? schoolBox(pick(next() < 0.7 ? sameLa : w.schools, next)) : laBox(sender.la);
    if (!recipients.some((r) => r.mailbox === box.mailbox)) recipients.push(box);
  }
  const id = uuid(next);
  const sentMs = nowMs - Math.floor(next() * 365 * DAY);
  const description = pick(DESCRIPTIONS, next);
  const row = {
    id,
    sender_user_id: fromLa ? (w.laUserId.get(sender.la) as string) : sender.userId,
    sender_mailbox: fromLa ? laBox(sender.la).mailbox : schoolBox(sender).mailbox,
    sender_label: fromLa ? laBox(sender.la).label : schoolBox(sender).label,
    description,
    body: `${description}: please see the pupil details below and reply through s2s.\n\nPupil's name:\nDate of birth:`,
    delivery: next() < 0.95 ? ('message' as const) : ('email' as const),
    in_reply_to: null,
    sent_at: new Date(sentMs).toISOString(),
  };
  // Each copy as the expiry job (messaging/jobs.ts) would have left it: unread for 31 days or read 14
  // days ago, it has left its mailbox; some were deleted by their reader.
  const copies: Insertable<MessageRecipientTable>[] = recipients.map((r) => {
    const readMs = next() < 0.7 ? sentMs + Math.floor(next() * 5 * DAY) : null;
    const read = readMs !== null && readMs < nowMs ? readMs : null;
    const expiresMs = read === null ? sentMs + 31 * DAY : read + 14 * DAY;
    const deleted = read !== null && next() < 0.1;
    const removedMs = deleted ? read + DAY : expiresMs;
    return {
      message_id: id,
      ...r,
      delivery: row.delivery,
      sent_at: row.sent_at,
      read_at: read === null ? null : new Date(read).toISOString(),
      read_by: read === null ? null : row.sender_user_id,
      removed_at: removedMs < nowMs ? new Date(removedMs).toISOString() : null,
      removed_reason: removedMs < nowMs ? (deleted ? 'deleted' : 'expired') : null,
    };
  });
  return { row, copies };
}

// ---------------------------------------------------------------------------------------------------
// Loading

/** Multi-row INSERTs, each within the bound on parameters (the caller holds the transaction). */
async function insertRows<T extends keyof Database>(
  db: Executor,
  table: T,
  rows: readonly Insertable<Database[T]>[],
): Promise<void> {
  const columns = Object.keys(rows[0] ?? {}).length || 1;
  const perInsert = Math.max(1, Math.floor(PARAMETERS_PER_INSERT / columns));
  for (let i = 0; i < rows.length; i += perInsert) {
    // Kysely cannot relate a table chosen by a type parameter to its rows: the signature above does.
    await db
      .insertInto(table)
      .values(rows.slice(i, i + perInsert) as never)
      .execute();
  }
}

/** Generates items from..to - 1 in transactions of ROWS_PER_TRANSACTION, telling progress as it goes. */
async function inTransactions(
  db: Db,
  label: string,
  total: number,
  write: (tx: Executor, from: number, to: number) => Promise<void>,
  progress: (line: string) => void,
): Promise<void> {
  const started = Date.now();
  for (let from = 0; from < total; from += ROWS_PER_TRANSACTION) {
    const to = Math.min(total, from + ROWS_PER_TRANSACTION);
    await db.transaction().execute((tx) => write(tx, from, to));
    if (to === total || to % PROGRESS_ROWS === 0) {
      progress(
        `${label}: ${to.toLocaleString('en-GB')} of ${total.toLocaleString('en-GB')} (${Math.round((Date.now() - started) / 1000)} s)`,
      );
    }
  }
}

/**
 * Loads the demo data and a `fraction` of the country around it into an empty database. Returns null,
 * having written nothing, when the database already holds organisations or users.
 */
export async function seedScale(
  db: Db,
  clock: Clock,
  options: SeedScaleOptions,
): Promise<ScaleCounts | null> {
  const progress = options.progress ?? (() => {});
  const counts = scaleCounts(options.fraction);
  if (!(await seedDemoData(db, clock))) return null;
  const now = clock.now();
  const nowMs = now.getTime();
  const world = await seedOrganisations(
    db,
    options.fraction,
    now.toISOString(),
    await hashPassword(DEMO_PASSWORD),
  );
  progress(`organisations: ${world.las.length} LAs, ${world.schools.length} schools, ${world.users} users`);

  let transferPupils = 0;
  await inTransactions(
    db,
    'transfers',
    counts.transfers,
    async (tx, from, to) => {
      const rows = [];
      const pupils = [];
      for (let n = from; n < to; n += 1) {
        const t = transfer(n, counts.transfers, world, nowMs);
        rows.push(t.row);
        pupils.push(...t.pupilRows);
      }
      await insertRows(tx, 'transfers', rows);
      await insertRows(tx, 'transfer_pupils', pupils);
      transferPupils += pupils.length;
    },
    progress,
  );

  await inTransactions(
    db,
    'lost pupils',
    counts.lostPupils,
    async (tx, from, to) => {
      const files = [];
      const records = [];
      const found: string[] = [];
      const removed: string[] = [];
      for (let n = from; n < to; n += 1) {
        const { transfer, lpd, status } = lostPupil(n, world, nowMs);
        files.push(transfer);
        records.push(lpd);
        if (status === 'found') found.push(lpd.id);
        if (status === 'removed') removed.push(lpd.id);
      }
      await insertRows(tx, 'transfers', files);
      await insertLostPupils(tx, records);
      // As LAs would have left them: found records downloaded by their own LA, a few removed at review.
      const at = now.toISOString();
      if (found.length > 0)
        await tx
          .updateTable('lost_pupils')
          .set((eb) => ({ status: 'found', found_at: at, found_by_la: eb.ref('source_la') }))
          .where('id', 'in', found)
          .execute();
      if (removed.length > 0)
        await tx
          .updateTable('lost_pupils')
          .set({ status: 'removed', removed_at: at, removal_reason: 'Past school-leaving age' })
          .where('id', 'in', removed)
          .execute();
    },
    progress,
  );

  let messageRecipients = 0;
  await inTransactions(
    db,
    'messages',
    counts.messages,
    async (tx, from, to) => {
      const rows = [];
      const copies = [];
      for (let n = from; n < to; n += 1) {
        const m = message(n, counts.messages, world, nowMs);
        rows.push(m.row);
        copies.push(...m.copies);
      }
      await insertRows(tx, 'messages', rows);
      await insertRows(tx, 'message_recipients', copies);
      messageRecipients += copies.length;
    },
    progress,
  );
  await analyzeTables(db);
  progress('statistics updated');
  return {
    las: world.las.length,
    schools: world.schools.length,
    users: world.users + DEMO_ACCOUNTS.length,
    transfers: counts.transfers + counts.lostPupils,
    transferPupils,
    lostPupils: counts.lostPupils,
    messages: counts.messages,
    messageRecipients,
  };
}
