// The audit trail is tamper-evident: every event is sealed into a hash chain. Sealing gives each event
// the next sequence number and hash = SHA-256(previous hash, the event's fields), and the chain's head
// (last number and hash) is kept in its own row. Editing a sealed event changes its hash; deleting one
// leaves a gap or a broken link; deleting the newest ones leaves the head pointing past the end (unless
// the head is moved back too). Verify walks the chain and names the first event that breaks it.
//
// A hash alone has no secret: someone who can write to the database can compute it too. So since
// migration 036 the trail is keyed with HMAC-SHA256 under the audit key, derived from the master key and
// kept outside the database (keys.ts):
// - each event gets a MAC over its fields when it is written (recordAudit), so an event inserted without
//   the key, or changed before it is sealed, is caught when the job seals it;
// - sealing checks that MAC and adds a seal MAC over the event's number and hash (which chains every
//   event before it), so forged events appended to the chain are caught; an event whose own MAC does not
//   verify is sealed all the same, marked (seal_finding) so the job never stops behind it, and verify
//   names it: it is never laundered into the chain as genuine;
// - the head gets a MAC over its number, hash and legacy_through.
// The MACs are not part of the hashes, so re-MACing under a new master key (keys/rotation.ts) leaves
// every hash, and so every anchor noted, as it was. Events sealed before keyed sealing (up to the head's
// legacy_through) keep their plain form, which never changes, and are proven only as before.
// docs/decisions.md, decision 22, says what is and is not detected.
//
// Events are written unsealed, in the transaction of the change they record, and sealed shortly after
// by the seal-audit job (docs/decisions.md, decision 22): sealing inside every transaction would make
// every audited change in the country wait for one lock.
import { createHash, type Hash } from 'node:crypto';
import { sql } from 'kysely';
import { inSnapshot } from '../platform/db/database.ts';
import { type Columns, updateFromRows } from '../platform/db/rows-table.ts';
import type { AuditChainBreakRow, AuditEventRow, Db, Executor } from '../platform/db/schema.ts';
import { type AuditKeys, MissingAuditKeyError } from './keys.ts';

export const GENESIS_HASH = '0'.repeat(64);

/** The form of the keyed chain's MACs and hashes: an event's mac_version. */
export const MAC_VERSION = 1;

/** How many events one sealing transaction takes, so a long backlog never holds the lock for long. */
const SEAL_BATCH = 500;

type ChainedFields = Pick<
  AuditEventRow,
  | 'id'
  | 'occurred_at'
  | 'actor_user_id'
  | 'actor_username'
  | 'organisation'
  | 'action'
  | 'subject_type'
  | 'subject_id'
  | 'detail'
>;

function fieldsOf(event: ChainedFields): unknown[] {
  return [
    event.id,
    event.occurred_at,
    event.actor_user_id,
    event.actor_username,
    event.organisation,
    event.action,
    event.subject_type,
    event.subject_id,
    event.detail,
  ];
}

/**
 * The hash of event number `seq` after `previousHash`, in the old, plain form (events sealed before
 * keyed sealing). Its form never changes: old chains must verify.
 */
export function chainHash(previousHash: string, seq: number, event: ChainedFields): string {
  return createHash('sha256')
    .update(`${previousHash}\n${JSON.stringify([seq, ...fieldsOf(event)])}`)
    .digest('hex');
}

/**
 * The hash of a keyed event (version 1): the same chaining in a form of its own, so that an event sealed
 * with MACs cannot pass for an old one with its MACs removed (its hash, and so any anchor after it, would
 * change). The MACs are not in it: re-MACing leaves every hash as it was.
 */
export function keyedChainHash(previousHash: string, seq: number, event: ChainedFields): string {
  return createHash('sha256')
    .update(`s2s-audit-chain/1\n${previousHash}\n${JSON.stringify([seq, ...fieldsOf(event)])}`)
    .digest('hex');
}

/** What an event's own MAC is made over, when it is written (version 1). */
export function eventMacInput(event: ChainedFields): string {
  return `s2s-audit-event/1\n${JSON.stringify(fieldsOf(event))}`;
}

/** What an event's seal MAC is made over: its number, its hash, and what sealing found of its own MAC. */
export function sealMacInput(seq: number, hash: string, finding: string | null): string {
  return `s2s-audit-seal/1\n${JSON.stringify([seq, hash, finding])}`;
}

/** What the head's MAC is made over. */
export function headMacInput(seq: number, hash: string, legacyThrough: number | null): string {
  return `s2s-audit-head/1\n${JSON.stringify([seq, hash, legacyThrough])}`;
}

/** The columns recordAudit adds to an event written with the audit keys. */
export function eventMacColumns(
  keys: AuditKeys,
  event: ChainedFields,
): { mac: string; mac_version: number; mac_key_id: string } {
  return { mac: keys.mac(eventMacInput(event)), mac_version: MAC_VERSION, mac_key_id: keys.currentId };
}

/**
 * Why an unsealed event's own MAC does not prove it, or null when it does: 'no-mac' (written without the
 * audit key: inserted by someone else), 'wrong-mac' (changed since it was written, or forged),
 * 'unknown-key:ID' (made under a master key not configured), 'unknown-version:N'.
 */
export function eventFinding(keys: AuditKeys, event: AuditEventRow): string | null {
  if (event.mac === null || event.mac_key_id === null || event.mac_version === null) return 'no-mac';
  if (Number(event.mac_version) !== MAC_VERSION) return `unknown-version:${Number(event.mac_version)}`;
  if (!keys.has(event.mac_key_id)) return `unknown-key:${event.mac_key_id.slice(0, 64)}`;
  return keys.verify(eventMacInput(event), event.mac_key_id, event.mac) ? null : 'wrong-mac';
}

/** A finding in words, for verify's report. */
export function findingText(finding: string): string {
  if (finding === 'no-mac') return 'it had no MAC when it was sealed: it was written without the audit key';
  if (finding === 'wrong-mac')
    return 'its MAC did not verify when it was sealed: it was changed after it was written, or forged';
  if (finding.startsWith('unknown-key:'))
    return `its MAC was made under the master key ${finding.slice('unknown-key:'.length)}, which was not configured when it was sealed`;
  return `its MAC was of a form this version does not know (${finding})`;
}

/**
 * What a break accepted by an operator (breaks.ts) is hashed over: every field but its MAC, so that
 * re-MACing under a new key changes no hash. The first event sealed after the break follows this hash,
 * as if the break were an event: the break cannot be removed or changed without breaking what follows.
 * A break that records the digest of its kept events (migration 041) is hashed in a form of its own, with
 * it: one accepted before keeps the form it was MACed in, and a digest removed changes the hash.
 */
export function breakHash(row: AuditChainBreakRow): string {
  const form = row.kept_digest === null ? 's2s-audit-break/1' : 's2s-audit-break/2';
  return createHash('sha256')
    .update(
      `${form}\n${JSON.stringify([
        row.id,
        row.accepted_at,
        row.accepted_by,
        row.reason,
        row.finding,
        Number(row.proven_through),
        row.proven_hash,
        Number(row.resumes_at),
        Number(row.unproven_events),
        Number(row.legacy_through),
        Number(row.old_head_seq),
        row.old_head_hash,
        row.old_head_legacy_through === null ? null : Number(row.old_head_legacy_through),
        row.old_head_mac,
        row.old_head_mac_key_id,
        ...(row.kept_digest === null ? [] : [row.kept_digest]),
      ])}`,
    )
    .digest('hex');
}

/** A digest of the events kept at a break, fed one event at a time in number order. */
export function keptEventsDigest(): Hash {
  return createHash('sha256').update('s2s-audit-kept/1\n');
}

/**
 * An event kept at a break, as its digest takes it: its number, fields, hashes and what sealing found of
 * its MAC. Not its MACs, which key rotation makes again (rekey.ts) while the event stays as it was found.
 */
export function keptEventLine(event: AuditEventRow): string {
  return `${JSON.stringify([
    Number(event.seq),
    ...fieldsOf(event),
    event.prev_hash,
    event.hash,
    event.mac_version === null ? null : Number(event.mac_version),
    event.seal_finding,
  ])}\n`;
}

/** What a break's MAC is made over. */
export function breakMacInput(hash: string): string {
  return `s2s-audit-break/1\n${hash}`;
}

/** The breaks accepted so far, in the order of the chain. */
export function readBreaks(db: Executor): Promise<AuditChainBreakRow[]> {
  return db.selectFrom('audit_chain_breaks').selectAll().orderBy('resumes_at').execute();
}

/** A break accepted by an operator, as verify and the Audit Log page report it. */
export interface AcceptedBreak {
  id: string;
  /** The first event not proven: the break. */
  at: number;
  /** Sealing started again here. */
  resumesAt: number;
  /** Sealed events kept between, unproven (as counted when it was accepted). */
  unprovenEvents: number;
  acceptedAt: string;
  acceptedBy: string;
  reason: string;
  finding: string;
  /**
   * Whether the kept events are checked as they were found (their digest): false for a break accepted
   * before migration 041, whose kept events are only counted, so one altered in place is not detected.
   */
  keptChecked: boolean;
}

export function acceptedBreak(row: AuditChainBreakRow): AcceptedBreak {
  return {
    id: row.id,
    at: Number(row.proven_through) + 1,
    resumesAt: Number(row.resumes_at),
    unprovenEvents: Number(row.unproven_events),
    acceptedAt: row.accepted_at,
    acceptedBy: row.accepted_by,
    reason: row.reason,
    finding: row.finding,
    keptChecked: row.kept_digest !== null,
  };
}

/** The chain's head cannot be built on: sealing would launder whatever was done to it. */
export class AuditHeadError extends Error {}

export interface ChainHead {
  seq: number;
  hash: string;
}

/** The head row as stored: with its MAC once keyed sealing has begun. */
export interface StoredHead extends ChainHead {
  /** The last event sealed in the old, plain form; null on a head not keyed yet (all are old). */
  legacyThrough: number | null;
  mac: string | null;
  macKeyId: string | null;
}

type HeadRow = {
  seq: number | string;
  hash: string;
  legacy_through: number | string | null;
  mac: string | null;
  mac_key_id: string | null;
};

function storedHead(row: HeadRow): StoredHead {
  return {
    seq: Number(row.seq),
    hash: row.hash,
    legacyThrough: row.legacy_through === null ? null : Number(row.legacy_through),
    mac: row.mac,
    macKeyId: row.mac_key_id,
  };
}

const HEAD_COLUMNS = ['seq', 'hash', 'legacy_through', 'mac', 'mac_key_id'] as const;

/**
 * What the head's MAC proves: 'valid'; 'invalid' (altered); 'none' (a head from before keyed sealing);
 * 'missing-key' (made under a master key not configured, so it cannot be checked).
 */
export function headMacState(
  keys: AuditKeys,
  head: StoredHead,
): 'valid' | 'invalid' | 'none' | 'missing-key' {
  if (head.mac === null) return 'none';
  try {
    const input = headMacInput(head.seq, head.hash, head.legacyThrough);
    return head.macKeyId !== null && keys.verify(input, head.macKeyId, head.mac) ? 'valid' : 'invalid';
  } catch (error) {
    if (!(error instanceof MissingAuditKeyError)) throw error;
    return 'missing-key';
  }
}

/**
 * The next events to seal, oldest first. The literal `seq is null` lets both engines read them through
 * the partial index of unsealed events (migration 033) instead of sorting the whole backlog each batch.
 */
export function unsealedBatch(db: Executor) {
  return db
    .selectFrom('audit_events')
    .selectAll()
    .where('seq', 'is', null)
    .orderBy('occurred_at')
    .orderBy('id')
    .limit(SEAL_BATCH);
}

/** Whether any sealed event carries MACs (read only when the head has none, at the change to keyed sealing). */
export async function holdsKeyedEvents(db: Executor): Promise<boolean> {
  const row = await db
    .selectFrom('audit_events')
    .select('id')
    .where('seq', 'is not', null)
    .where((eb) => eb.or([eb('mac_version', 'is not', null), eb('seal_mac', 'is not', null)]))
    .limit(1)
    .executeTakeFirst();
  return row !== undefined;
}

export interface SealReport {
  /** Events sealed. */
  sealed: number;
  /** Of those, events whose own MAC did not prove them: sealed marked, and named by verify. */
  unproven: number;
}

/**
 * The head, its row locked until the transaction ends (an update that changes nothing), so that whoever
 * moves it (two sealers, two processes; a break being accepted) takes turns.
 */
export async function lockHead(trx: Executor): Promise<StoredHead> {
  return storedHead(
    await trx
      .updateTable('audit_chain_head')
      .set((eb) => ({ seq: eb('seq', '+', 0) }))
      .where('id', '=', 1)
      .returning([...HEAD_COLUMNS])
      .executeTakeFirstOrThrow(),
  );
}

type LegacySeal = Pick<AuditEventRow, 'id' | 'seq' | 'prev_hash' | 'hash'>;
type KeyedSeal = LegacySeal &
  Pick<AuditEventRow, 'mac' | 'mac_version' | 'mac_key_id' | 'seal_mac' | 'seal_finding'>;

/** What sealing an event of the old, plain chain sets: nothing else of it changes. */
const LEGACY_SEAL_COLUMNS: Columns<LegacySeal> = {
  id: 'text',
  seq: 'integer',
  prev_hash: 'text',
  hash: 'text',
};
const KEYED_SEAL_COLUMNS: Columns<KeyedSeal> = {
  ...LEGACY_SEAL_COLUMNS,
  mac: 'text',
  mac_version: 'integer',
  mac_key_id: 'text',
  seal_mac: 'text',
  seal_finding: 'text',
};

/**
 * Writes a batch's seals in one statement, where one UPDATE an event made sealing take a round trip to
 * the database per event (20,000 events: 2.6 s on PostgreSQL, against 0.9 now). Each event must still be
 * unsealed: one that is not, or is gone, fails the whole batch, which seals nothing, rather than leave a
 * gap in the chain.
 */
async function writeSeals<Row extends LegacySeal>(
  trx: Executor,
  columns: Columns<Row>,
  rows: readonly Row[],
): Promise<void> {
  if (rows.length === 0) return;
  const names = Object.keys(columns).filter((name) => name !== 'id') as (keyof Row & string)[];
  const result = await updateFromRows(trx, {
    table: 'audit_events',
    alias: 'sealed',
    columns,
    rows,
    set: Object.fromEntries(names.map((name) => [name, name])),
    where: sql<boolean>`audit_events.id = sealed.id and audit_events.seq is null`,
  }).execute(trx);
  if (Number(result.numAffectedRows) !== rows.length) {
    throw new Error(
      `Sealing stopped: ${rows.length - Number(result.numAffectedRows)} of the ${rows.length} events read for ` +
        'sealing were sealed or removed meanwhile. Nothing of the batch was sealed; the next run tries again.',
    );
  }
}

async function sealBatch(trx: Executor, keys: AuditKeys): Promise<SealReport> {
  const head = await lockHead(trx);
  // Building on a head that fails its MAC would MAC whatever was done to it: refuse, and let verify name
  // it. A head without a MAC is one from before keyed sealing, unless keyed events exist.
  const headMac = headMacState(keys, head);
  if (headMac === 'missing-key') {
    const missing = new MissingAuditKeyError(String(head.macKeyId));
    throw new AuditHeadError(`The audit chain's head was ${missing.message}. Nothing was sealed.`);
  }
  if (headMac === 'invalid') {
    throw new AuditHeadError(
      "The audit chain's head fails its MAC: it has been altered. Nothing was sealed: run s2s audit verify, " +
        'keep the database as it is and report it to your security officer. Once it has been looked into, ' +
        's2s audit accept-break records the break for good and lets sealing start again after it.',
    );
  }
  if (headMac === 'none' && (await holdsKeyedEvents(trx))) {
    throw new AuditHeadError(
      "The audit chain's head has no MAC, but the chain holds events sealed with MACs: the head has been " +
        'replaced. Nothing was sealed: run s2s audit verify and report it to your security officer. Once it ' +
        'has been looked into, s2s audit accept-break records the break for good and lets sealing start again.',
    );
  }
  // A row numbered past the head was never sealed there (inserted, or the head moved back): numbering
  // over it would fail on the unique index, every run, with nothing said of why.
  const past = await trx
    .selectFrom('audit_events')
    .select('seq')
    .where('seq', '>', head.seq)
    .orderBy('seq')
    .limit(1)
    .executeTakeFirst();
  if (past) {
    throw new AuditHeadError(
      `The audit chain's head (event ${head.seq}) is behind event ${Number(past.seq)}, numbered past it: that ` +
        'event has been inserted, or the head moved back. Nothing was sealed: run s2s audit verify and report it to your security officer. ' +
        'Once it has been looked into, s2s audit accept-break records the break for good and lets sealing start again after it.',
    );
  }
  const events = await unsealedBatch(trx).execute();
  // Before keyed sealing (a head without a MAC), the events written without a MAC before the upgrade
  // are sealed in the old form, oldest first; keyed sealing begins at the first event with a MAC, or
  // once none is left, and the head records where (legacy_through).
  let legacy = head.mac === null;
  let legacyThrough = head.legacyThrough;
  let { seq, hash } = head;
  let unproven = 0;
  const legacyRows: LegacySeal[] = [];
  const keyedRows: KeyedSeal[] = [];
  for (const event of events) {
    seq += 1;
    const previous = hash;
    if (legacy && event.mac === null && event.mac_version === null) {
      hash = chainHash(previous, seq, event);
      legacyRows.push({ id: event.id, seq, prev_hash: previous, hash });
      continue;
    }
    if (legacy) {
      legacy = false;
      legacyThrough = seq - 1;
    }
    const finding = eventFinding(keys, event);
    if (finding !== null) unproven += 1;
    hash = keyedChainHash(previous, seq, event);
    // A proven event's MAC is made again under the current key if an earlier one made it, so each event
    // names one key; an unproven one keeps whatever MAC it came with, as evidence.
    const mac =
      finding === null && event.mac_key_id !== keys.currentId ? keys.mac(eventMacInput(event)) : event.mac;
    keyedRows.push({
      id: event.id,
      seq,
      prev_hash: previous,
      hash,
      mac,
      mac_version: MAC_VERSION,
      mac_key_id: keys.currentId,
      seal_mac: keys.mac(sealMacInput(seq, hash, finding)),
      seal_finding: finding,
    });
  }
  await writeSeals(trx, LEGACY_SEAL_COLUMNS, legacyRows);
  await writeSeals(trx, KEYED_SEAL_COLUMNS, keyedRows);
  if (legacy && events.length < SEAL_BATCH) {
    legacy = false;
    legacyThrough = seq;
  }
  const remac = !legacy && (head.mac === null || head.macKeyId !== keys.currentId);
  if (events.length > 0 || remac) {
    await trx
      .updateTable('audit_chain_head')
      .set(
        legacy
          ? { seq, hash }
          : {
              seq,
              hash,
              legacy_through: legacyThrough,
              mac: keys.mac(headMacInput(seq, hash, legacyThrough)),
              mac_key_id: keys.currentId,
            },
      )
      .where('id', '=', 1)
      .execute();
  }
  return { sealed: events.length, unproven };
}

/**
 * Seals every event written so far. Throws AuditHeadError, sealing nothing, when the head fails its MAC
 * (or has none although keyed events exist), or a row is numbered past it: building on it would hide what
 * was done to it.
 */
export async function sealAudit(db: Executor, keys: AuditKeys): Promise<SealReport> {
  const report: SealReport = { sealed: 0, unproven: 0 };
  for (;;) {
    const batch = await db.transaction().execute((trx) => sealBatch(trx, keys));
    report.sealed += batch.sealed;
    report.unproven += batch.unproven;
    if (batch.sealed < SEAL_BATCH) return report;
  }
}

/**
 * Seals what is waiting before the whole chain is read (verify, accept-break), so that the reading covers
 * every event written so far. A head that cannot be built on refuses sealing (AuditHeadError): its message
 * is returned as `refused` (the walk then names the break), and nothing is sealed.
 */
export async function sealBeforeReading(
  db: Executor,
  keys: AuditKeys,
): Promise<{ sealed: number; refused?: string }> {
  try {
    return { sealed: (await sealAudit(db, keys)).sealed };
  } catch (error) {
    if (!(error instanceof AuditHeadError)) throw error;
    return { sealed: 0, refused: error.message };
  }
}

/**
 * The last event in the old, plain form: every later one is keyed. A head without a MAC is one from
 * before keyed sealing: all its events are old.
 */
function legacyThroughOf(head: StoredHead): number {
  return head.mac === null ? head.seq : (head.legacyThrough ?? 0);
}

/** The head row (a head of no events when there is none yet). */
export async function readHead(db: Executor): Promise<StoredHead> {
  const row = await db
    .selectFrom('audit_chain_head')
    .select([...HEAD_COLUMNS])
    .where('id', '=', 1)
    .executeTakeFirst();
  return row
    ? storedHead(row)
    : { seq: 0, hash: GENESIS_HASH, legacyThrough: null, mac: null, macKeyId: null };
}

/**
 * The master key the audit chain's head was sealed under when `keys` lack it (a node given another master
 * key than the rest, whose events the others would seal as written without the audit key); null when
 * they have it, or nothing is sealed with a MAC yet.
 */
export async function headKeyMissing(db: Executor, keys: AuditKeys): Promise<string | null> {
  const head = await readHead(db);
  return headMacState(keys, head) === 'missing-key' ? head.macKeyId : null;
}

export async function chainHead(db: Executor): Promise<ChainHead> {
  const { seq, hash } = await readHead(db);
  return { seq, hash };
}

/** The head as the Audit Log page shows it: its anchor, and what its MAC proves (a read of a few rows). */
export interface HeadStatus extends ChainHead {
  /** Events sealed in the old, plain form (1 to this). */
  legacy: number;
  /** Events sealed with MACs (numbers kept unproven at accepted breaks are neither). */
  keyed: number;
  /** 'valid': the head's MAC verifies; 'none': not keyed yet; 'invalid': altered; 'missing-key': made under a key not configured. */
  mac: 'valid' | 'none' | 'invalid' | 'missing-key';
  macKeyId: string | null;
  /** Events sealed marked: their own MAC did not prove them (index audit_events_unproven, migration 036). */
  unproven: number;
  /** Breaks an operator accepted (s2s audit accept-break), oldest first. */
  breaks: AcceptedBreak[];
}

export async function chainHeadStatus(db: Executor, keys: AuditKeys): Promise<HeadStatus> {
  const head = await readHead(db);
  const mac = headMacState(keys, head);
  const unproven = await db
    .selectFrom('audit_events')
    .select((eb) => eb.fn.countAll<number | string>().as('n'))
    .where('seal_finding', 'is not', null)
    .executeTakeFirstOrThrow();
  const breaks = (await readBreaks(db)).map(acceptedBreak);
  const legacy = Math.min(legacyThroughOf(head), head.seq);
  const keptAtBreaks = breaks.reduce((sum, accepted) => sum + (accepted.resumesAt - accepted.at), 0);
  return {
    seq: head.seq,
    hash: head.hash,
    legacy,
    keyed: Math.max(0, head.seq - legacy - keptAtBreaks),
    mac,
    macKeyId: head.macKeyId,
    unproven: Number(unproven.n),
    breaks,
  };
}

export interface ChainBreak {
  /** The sequence number where the chain breaks. */
  seq: number;
  /** The event's id, when there is an event there. */
  eventId?: string;
  reason: string;
}

/** An event sealed marked: its own MAC did not prove it when it was sealed (a forged or changed event). */
export interface UnprovenEvent {
  seq: number;
  eventId: string;
  reason: string;
}

/** MACs made under a master key this instance is not given: they cannot be checked (which is not tampering). */
export interface MissingKey {
  keyId: string;
  /** Sealed events whose MACs it made. */
  events: number;
  /** Whether the head's MAC is one of them. */
  head: boolean;
  /** Accepted breaks whose MACs it made. */
  breaks: number;
}

export interface Verification {
  /** The chain is whole (and holds the anchor given), apart from the breaks an operator accepted. */
  ok: boolean;
  /** Sealed events checked (those kept unproven at an accepted break are not). */
  checked: number;
  /** Of those, events sealed in the old, plain form (before keyed sealing): proven only as before. */
  legacy: number;
  /** Of those, events sealed with MACs under the audit key. */
  keyed: number;
  /** Events not sealed yet (written since the job last ran). */
  unsealed: number;
  head: ChainHead;
  /** The head's MAC: 'valid', or 'none' on a head not keyed yet (every event old), or 'unchecked' (missing key). */
  headMac: 'valid' | 'none' | 'unchecked';
  /** Events sealed marked, their own MAC not proving them (the first 100), and how many in all. */
  unproven: UnprovenEvent[];
  unprovenCount: number;
  missingKeys: MissingKey[];
  /**
   * Breaks an operator accepted (s2s audit accept-break), in the order of the chain: walked past, the
   * events kept at each reported as unproven, never proven. A monitoring job tells them by this list
   * (or by verify --strict, which exits 1 while there is one).
   */
  acceptedBreaks: AcceptedBreak[];
  /** The first break not accepted, if any: everything after it is unproven. */
  broken?: ChainBreak;
  /** An anchor given to check: whether the chain still holds it. */
  anchor?: { seq: number; hash: string; found: boolean };
}

/** How many events the walk (and a break's reading of what it keeps) reads at a time. */
export const WALK_PAGE = 2000;
const UNPROVEN_LISTED = 100;

/**
 * Walks the whole chain in order. `anchor` is a sequence number and hash noted earlier (from a previous
 * verification, kept outside s2s): the chain must still hold it, which also catches a chain rebuilt from
 * scratch by someone who could write to the database.
 *
 * Everything is read in one snapshot (inSnapshot: REPEATABLE READ, READ ONLY on PostgreSQL; a read
 * transaction in SQLite's WAL). The seal-audit job of any node commits every minute, and a walk of a
 * national trail takes seconds: read piecemeal, events sealed meanwhile would be past the head read at
 * the start, which is exactly what an inserted event looks like. In one snapshot the head and the rows
 * agree unless someone changed them, so every numbered row outside 1..head can be called forged, and
 * events sealed meanwhile are simply left to the next verification.
 */
export async function verifyAudit(db: Db, keys: AuditKeys, anchor?: ChainHead): Promise<Verification> {
  return inSnapshot(db, (trx) => verifyChain(trx, keys, anchor));
}

/** An accepted break as the walk meets it. */
interface BreakOnTheWay {
  row: AuditChainBreakRow;
  hash: string;
  provenThrough: number;
  resumesAt: number;
  /** Sealed events found kept at it, unproven, and their digest (keptEventsDigest). */
  found: number;
  digest: Hash;
  /** Whether the proven part before it has been checked to end where it did. */
  reached: boolean;
}

/**
 * Where keyed sealing began, when the head cannot say: as the last accepted break recorded it, or before
 * the first event sealed with MACs (someone can strip MACs only from a chain's end: a keyed event's hash
 * chains every event before it).
 */
async function legacyThroughWithoutHead(db: Executor, breaks: BreakOnTheWay[]): Promise<number> {
  const last = breaks[breaks.length - 1];
  if (last) return Number(last.row.legacy_through);
  const first = await db
    .selectFrom('audit_events')
    .select((eb) => eb.fn.min('seq').as('seq'))
    .where('seq', '>=', 1)
    .where((eb) => eb.or([eb('mac_version', 'is not', null), eb('seal_mac', 'is not', null)]))
    .executeTakeFirst();
  return first?.seq == null ? Number.MAX_SAFE_INTEGER : Number(first.seq) - 1;
}

/**
 * The walk (in the caller's snapshot or transaction). A head that cannot be trusted (it fails its MAC,
 * or has none while keyed events exist) does not stop the walk: the events are still checked, by their
 * hashes and seal MACs, as far as they hold, and the break is put after the last that does, which is
 * where an operator can accept it (breaks.ts). Only the head's claims (where the chain ends) are lost.
 */
export async function verifyChain(db: Executor, keys: AuditKeys, anchor?: ChainHead): Promise<Verification> {
  const stored = await readHead(db);
  const head: ChainHead = { seq: stored.seq, hash: stored.hash };
  const unsealed = Number(
    (
      await db
        .selectFrom('audit_events')
        .select((eb) => eb.fn.countAll<number | string>().as('n'))
        .where('seq', 'is', null)
        .executeTakeFirstOrThrow()
    ).n,
  );
  const missing = new Map<string, MissingKey>();
  const missingKey = (keyId: string) => {
    let entry = missing.get(keyId);
    if (!entry) {
      entry = { keyId, events: 0, head: false, breaks: 0 };
      missing.set(keyId, entry);
    }
    return entry;
  };
  let headMac: Verification['headMac'] = 'none';
  let broken: ChainBreak | undefined;
  /** Why the head cannot be trusted, if it cannot. */
  let headProblem: string | undefined;
  const headState = headMacState(keys, stored);
  if (headState === 'valid') headMac = 'valid';
  else if (headState === 'missing-key') {
    headMac = 'unchecked';
    missingKey(String(stored.macKeyId)).head = true;
  } else if (headState === 'invalid') {
    headProblem =
      "the chain's head fails its MAC: it has been altered, or moved to a place it never held, so " +
      'what it says of the chain (where it ends, which events are keyed) cannot be trusted';
  } else if (await holdsKeyedEvents(db)) {
    headProblem =
      "the chain's head has no MAC, but the chain holds events sealed with MACs: the head has been " +
      'replaced, so what it says of the chain (where it ends, which events are keyed) cannot be trusted';
  }
  const breaks: BreakOnTheWay[] = (await readBreaks(db)).map((row) => ({
    row,
    hash: breakHash(row),
    provenThrough: Number(row.proven_through),
    resumesAt: Number(row.resumes_at),
    found: 0,
    digest: keptEventsDigest(),
    reached: false,
  }));
  for (const accepted of breaks) {
    const { mac_key_id: keyId, mac } = accepted.row;
    if (!keys.has(keyId)) missingKey(keyId).breaks += 1;
    else if (!keys.verify(breakMacInput(accepted.hash), keyId, mac)) {
      broken = {
        seq: accepted.provenThrough + 1,
        reason: `the record of the break accepted at event ${accepted.provenThrough + 1} fails its MAC: it has been altered or forged`,
      };
      break;
    }
  }
  const legacyThrough =
    headProblem === undefined ? legacyThroughOf(stored) : await legacyThroughWithoutHead(db, breaks);
  let expectedSeq = 1;
  let previous = GENESIS_HASH;
  let anchorFound = false;
  let legacy = 0;
  let keyed = 0;
  const unproven: UnprovenEvent[] = [];
  let unprovenCount = 0;
  let next = 0;
  /** The proven part before an accepted break must end where it did when the break was accepted. */
  const reach = (accepted: BreakOnTheWay): ChainBreak | undefined => {
    accepted.reached = true;
    if (expectedSeq <= accepted.provenThrough)
      return { seq: expectedSeq, reason: `event ${expectedSeq} is missing: it has been deleted` };
    if (previous === accepted.row.proven_hash) return undefined;
    return {
      seq: accepted.provenThrough,
      reason: `event ${accepted.provenThrough} is not the event that verified there when the break after it was accepted: it has been replaced`,
    };
  };
  // Every numbered row from the lowest number, not from 1: a row numbered below 1 or past the head is
  // one the sealer never wrote, and would otherwise be shown by the Audit Log and its export unchecked.
  walk: for (let after: number | undefined; !broken; ) {
    let page = db.selectFrom('audit_events').selectAll().where('seq', 'is not', null);
    if (after !== undefined) page = page.where('seq', '>', after);
    const events = await page.orderBy('seq').limit(WALK_PAGE).execute();
    rows: for (const event of events) {
      const seq = Number(event.seq);
      // Rows found numbered below 1 when the first break was accepted are kept with it, unproven.
      const first = breaks[0];
      if (seq < 1 && first) {
        first.found += 1;
        first.digest.update(keptEventLine(event));
        continue;
      }
      if (seq < 1 || (headProblem === undefined && seq > head.seq)) {
        broken = {
          seq,
          eventId: event.id,
          reason:
            seq < 1
              ? `event ${seq} is outside the chain, which is numbered from 1: it has been inserted`
              : `event ${seq} is past the chain's head (event ${head.seq}): it has been inserted, or the head altered`,
        };
        break walk;
      }
      for (let accepted = breaks[next]; accepted && seq > accepted.provenThrough; accepted = breaks[next]) {
        if (!accepted.reached) {
          broken = reach(accepted);
          if (broken) break walk;
        }
        if (seq < accepted.resumesAt) {
          accepted.found += 1;
          accepted.digest.update(keptEventLine(event));
          continue rows;
        }
        previous = accepted.hash;
        expectedSeq = accepted.resumesAt;
        next += 1;
      }
      if (seq !== expectedSeq) {
        broken = { seq: expectedSeq, reason: `event ${expectedSeq} is missing: it has been deleted` };
        break walk;
      }
      if (event.prev_hash !== previous) {
        broken = {
          seq,
          eventId: event.id,
          reason: `event ${seq} does not follow event ${seq - 1}: one of them has been altered or replaced`,
        };
        break walk;
      }
      const at = { seq, eventId: event.id };
      let hash: string;
      if (seq <= legacyThrough) {
        if (event.mac_version !== null || event.seal_mac !== null) {
          broken = {
            ...at,
            // (A head without a MAC while keyed events exist is not trusted at all: headProblem.)
            reason: `event ${seq} is sealed with MACs, but the head says only events after ${legacyThrough} are: the head has been altered`,
          };
          break walk;
        }
        hash = chainHash(previous, seq, event);
        if (hash !== event.hash) {
          broken = { ...at, reason: `event ${seq} has been altered since it was sealed` };
          break walk;
        }
        legacy += 1;
      } else {
        if (
          event.mac_version === null ||
          Number(event.mac_version) !== MAC_VERSION ||
          event.seal_mac === null ||
          event.mac_key_id === null
        ) {
          broken = {
            ...at,
            reason: `event ${seq} has no seal MAC, but every event after ${legacyThrough} is sealed with one: it has been inserted, or its MACs removed`,
          };
          break walk;
        }
        hash = keyedChainHash(previous, seq, event);
        if (hash !== event.hash) {
          broken = { ...at, reason: `event ${seq} has been altered since it was sealed` };
          break walk;
        }
        if (!keys.has(event.mac_key_id)) {
          // The hashes still link it to the chain; only its MACs cannot be checked here.
          missingKey(event.mac_key_id).events += 1;
        } else if (
          !keys.verify(sealMacInput(seq, hash, event.seal_finding), event.mac_key_id, event.seal_mac)
        ) {
          broken = {
            ...at,
            reason: `event ${seq} fails its seal MAC: s2s did not seal it there (it has been forged, moved or altered)`,
          };
          break walk;
        } else if (event.seal_finding !== null) {
          unprovenCount += 1;
          if (unproven.length < UNPROVEN_LISTED)
            unproven.push({ ...at, reason: findingText(event.seal_finding) });
        } else if (!keys.verify(eventMacInput(event), event.mac_key_id, event.mac)) {
          broken = {
            ...at,
            reason: `event ${seq} has been altered since it was sealed: its MAC does not verify`,
          };
          break walk;
        }
        keyed += 1;
      }
      if (anchor && seq === anchor.seq && hash === anchor.hash) anchorFound = true;
      previous = hash;
      expectedSeq += 1;
    }
    if (events.length < WALK_PAGE) break;
    after = Number(events[events.length - 1]?.seq);
  }
  // Breaks accepted after the last event sealed: nothing sealed since, or nothing kept at them.
  for (let accepted = breaks[next]; !broken && accepted; accepted = breaks[next]) {
    if (!accepted.reached) broken = reach(accepted);
    previous = accepted.hash;
    expectedSeq = accepted.resumesAt;
    next += 1;
  }
  // What was kept at each break is evidence: rows deleted from it, slipped into it, or altered in place
  // (when the break recorded their digest) are tampering.
  for (const accepted of broken ? [] : breaks) {
    const expected = Number(accepted.row.unproven_events);
    const at = accepted.provenThrough + 1;
    if (accepted.found !== expected) {
      broken = {
        seq: at,
        reason: `${expected} sealed events were kept, unproven, at the break accepted at event ${at}, and ${accepted.found} are there now: some have been deleted, or inserted, since`,
      };
      break;
    }
    const recorded = accepted.row.kept_digest;
    if (recorded !== null && accepted.digest.digest('hex') !== recorded) {
      broken = {
        seq: at,
        reason: `the ${expected} sealed events kept, unproven, at the break accepted at event ${at} are not as they were found when it was accepted: one of them has been altered, or replaced, since`,
      };
      break;
    }
  }
  const last = expectedSeq - 1;
  if (headProblem !== undefined) {
    // Events up to the break verify by their own hashes and seal MACs; nothing says none were deleted after.
    broken = broken
      ? { ...broken, reason: `${headProblem}; and ${broken.reason}` }
      : { seq: last + 1, reason: headProblem };
  } else if (!broken && last < head.seq) {
    broken = {
      seq: last + 1,
      reason: `the chain ends at event ${last}, but ${head.seq} were sealed: the last ones have been deleted`,
    };
  } else if (!broken && previous !== head.hash) {
    broken = {
      seq: head.seq,
      reason: 'the chain does not end where its head says: the head has been altered',
    };
  }
  const missingKeys = [...missing.values()].sort((a, b) => a.keyId.localeCompare(b.keyId));
  return {
    ok: !broken && unprovenCount === 0 && missingKeys.length === 0 && (!anchor || anchorFound),
    checked: legacy + keyed,
    legacy,
    keyed,
    unsealed,
    head,
    headMac,
    unproven,
    unprovenCount,
    missingKeys,
    acceptedBreaks: breaks.map((accepted) => acceptedBreak(accepted.row)),
    ...(broken ? { broken } : {}),
    ...(anchor ? { anchor: { ...anchor, found: anchorFound } } : {}),
  };
}
