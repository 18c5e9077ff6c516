// Master key rotation, for the audit trail (keys/rotation.ts, docs/decisions.md 22 and 27): every MAC
// made under an earlier master key's audit key (events, accepted breaks, the head) is made again under
// the current one, so the earlier key
// can be removed without leaving events that can no longer be checked. Each event (and the head) is
// first verified under the key that made its MACs: one that does not verify is never re-MACed (that
// would launder it), only reported and left as it is, for verify to name. The events kept at an accepted
// break are left as found, MACs and all (decision 42): verify walks past them, checking what the break
// recorded of them, never their MACs, so they need no key. Hashes never change, so neither do the
// anchors noted. A batch per transaction, each row changed only if it still holds what
// was read: safe to run twice at once, to stop, and to run again.
import { type Expression, type ExpressionBuilder, type SqlBool, sql } from 'kysely';
import { toCount } from '../platform/db/database.ts';
import { type Columns, sameValue, updateFromRows } from '../platform/db/rows-table.ts';
import type { AuditEventRow, Database, Db, Executor } from '../platform/db/schema.ts';
import {
  breakHash,
  breakMacInput,
  eventMacInput,
  headMacInput,
  headMacState,
  keyedChainHash,
  MAC_VERSION,
  readBreaks,
  readHead,
  sealMacInput,
} from './chain.ts';
import type { AuditKeys } from './keys.ts';

/** Where the events kept at accepted breaks lie (keptAtBreaks). */
interface KeptAtBreaks {
  ranges: { provenThrough: number; resumesAt: number }[];
  belowOne: boolean;
}

/**
 * Where the events kept at accepted breaks lie, as verify's walk keeps them: after each break's last
 * proven event and before sealing resumed, and below 1 at the first break. Only breaks whose record
 * verifies under its key count: a record made up, or altered, decides nothing (rotation then refuses
 * what it would have kept, as before there was a break).
 */
async function keptAtBreaks(db: Executor, keys: AuditKeys): Promise<KeptAtBreaks> {
  const breaks = await readBreaks(db);
  const proven = breaks.map(
    (row) => keys.has(row.mac_key_id) && keys.verify(breakMacInput(breakHash(row)), row.mac_key_id, row.mac),
  );
  return {
    ranges: breaks
      .filter((_, index) => proven[index])
      .map((row) => ({ provenThrough: Number(row.proven_through), resumesAt: Number(row.resumes_at) })),
    belowOne: proven[0] === true,
  };
}

/** Whether an event is one kept at an accepted break (never an unsealed one). */
function isKept(eb: ExpressionBuilder<Database, 'audit_events'>, kept: KeptAtBreaks): Expression<SqlBool> {
  return eb.or([
    ...kept.ranges.map(({ provenThrough, resumesAt }) =>
      eb.and([eb('seq', '>', provenThrough), eb('seq', '<', resumesAt)]),
    ),
    ...(kept.belowOne ? [eb('seq', '<', 1)] : []),
  ]);
}

function isNotKept(eb: ExpressionBuilder<Database, 'audit_events'>, kept: KeptAtBreaks): Expression<SqlBool> {
  return eb.or([eb('seq', 'is', null), eb.not(isKept(eb, kept))]);
}

export interface AuditMacCounts {
  /** Per master key, the MACs verify checks under it: of events, the head and accepted breaks' records. */
  macs: Record<string, number>;
  /** Events kept at accepted breaks: left as found, their MACs checked by nothing, so needing no key. */
  keptAtBreaks: number;
}

/** How many MACs each master key's audit key has made that are still checked, and the events kept apart. */
export async function countAuditMacs(db: Executor, keys: AuditKeys): Promise<AuditMacCounts> {
  const kept = await keptAtBreaks(db, keys);
  const rows = await db
    .selectFrom('audit_events')
    .select(['mac_key_id', (eb) => eb.fn.countAll<string | number>().as('count')])
    .where('mac_key_id', 'is not', null)
    .where((eb) => isNotKept(eb, kept))
    .groupBy('mac_key_id')
    .orderBy('mac_key_id')
    .execute();
  const macs: Record<string, number> = {};
  for (const row of rows) macs[String(row.mac_key_id)] = toCount(row.count);
  const head = await db
    .selectFrom('audit_chain_head')
    .select('mac_key_id')
    .where('id', '=', 1)
    .executeTakeFirst();
  if (head?.mac_key_id) macs[head.mac_key_id] = (macs[head.mac_key_id] ?? 0) + 1;
  const breaks = await db.selectFrom('audit_chain_breaks').select('mac_key_id').execute();
  for (const { mac_key_id: keyId } of breaks) macs[keyId] = (macs[keyId] ?? 0) + 1;
  const keptCount = await db
    .selectFrom('audit_events')
    .select((eb) => eb.fn.countAll<string | number>().as('count'))
    .where((eb) => isKept(eb, kept))
    .executeTakeFirstOrThrow();
  return { macs, keptAtBreaks: toCount(keptCount.count) };
}

export interface RefusedAuditMac {
  /** An event (eventId given), the chain's head, or the record of an accepted break. */
  record: 'event' | 'head' | 'break';
  /** The event's number (null: not sealed yet); the head's; for a break, the event where the chain broke. */
  seq: number | null;
  eventId?: string;
  keyId: string;
  reason: string;
}

export interface AuditRemacReport {
  /** Events whose MACs were made again under the current key, per earlier key. */
  from: Record<string, number>;
  /** Whether the head's MAC was made again. */
  head: boolean;
  /** Accepted breaks whose MACs were made again. */
  breaks: number;
  /** Events kept at accepted breaks, under an earlier key: left as found (their MACs are checked by nothing). */
  keptAtBreaks: number;
  /** Events, or the head, that did not verify under their key: left as they are. */
  refused: RefusedAuditMac[];
  /** Keys named by events met during the run but not configured (the run checks them before it starts). */
  missingKeyIds: string[];
}

/** Why an event's MACs do not prove it under its key (null when they do). */
function failure(keys: AuditKeys, event: AuditEventRow, keyId: string): string | null {
  if (event.mac_version === null || Number(event.mac_version) !== MAC_VERSION)
    return 'its MAC is of no known form';
  if (event.seq === null) {
    return keys.verify(eventMacInput(event), keyId, event.mac) ? null : 'its MAC does not verify';
  }
  const seq = Number(event.seq);
  if (event.prev_hash === null || event.hash !== keyedChainHash(event.prev_hash, seq, event))
    return 'its hash does not match its fields: it has been altered since it was sealed';
  if (!keys.verify(sealMacInput(seq, event.hash, event.seal_finding), keyId, event.seal_mac))
    return 'its seal MAC does not verify: s2s did not seal it there';
  // An event sealed marked (seal_finding) keeps the MAC it came with, which proves nothing: only its
  // seal is made again, still marked.
  if (event.seal_finding === null && !keys.verify(eventMacInput(event), keyId, event.mac))
    return 'its MAC does not verify: it has been altered';
  return null;
}

interface RemacCells {
  id: string;
  read_key: string;
  read_mac: string | null;
  read_seal_mac: string | null;
  read_seq: number | null;
  read_hash: string | null;
  mac: string | null;
  mac_key_id: string;
  seal_mac: string | null;
}

const REMAC_COLUMNS: Columns<RemacCells> = {
  id: 'text',
  read_key: 'text',
  read_mac: 'text',
  read_seal_mac: 'text',
  read_seq: 'integer',
  read_hash: 'text',
  mac: 'text',
  mac_key_id: 'text',
  seal_mac: 'text',
};

/**
 * Writes a batch's new MACs in one statement, each event's only if it still holds what was read (its key,
 * MACs, number and hash): a run at the same moment that re-MACed it first, or a sealer that sealed it
 * since, wins, and that event is left. Returns the ids of the events changed.
 */
async function writeRemacs(tx: Executor, rows: readonly RemacCells[]): Promise<Set<string>> {
  const held = (column: string) =>
    sameValue(sql.ref(`audit_events.${column}`), sql.ref(`remac.read_${column}`));
  const update = updateFromRows(tx, {
    table: 'audit_events',
    alias: 'remac',
    columns: REMAC_COLUMNS,
    rows,
    set: { mac: 'mac', mac_key_id: 'mac_key_id', seal_mac: 'seal_mac' },
    where: sql<boolean>`audit_events.id = remac.id and audit_events.mac_key_id = remac.read_key
      and ${held('mac')} and ${held('seal_mac')} and ${held('seq')} and ${held('hash')}`,
  });
  const result = await sql<{ id: string }>`${update} returning audit_events.id as id`.execute(tx);
  return new Set(result.rows.map((row) => row.id));
}

export interface RemacOptions {
  batchSize: number;
  /** Called in each batch's transaction with what it re-MACed (rotation records an audit event). */
  recorded?: (tx: Executor, counts: Record<string, number>) => Promise<void>;
}

/**
 * Re-MACs, a batch per transaction, every audit event (and the head, and the accepted breaks' records)
 * MACed under a key other than the current one, but the events kept at accepted breaks, which it leaves
 * as found and counts. Keys not configured are the caller's to check first (keys/rotation.ts refuses to
 * start).
 */
export async function remacAudit(db: Db, keys: AuditKeys, options: RemacOptions): Promise<AuditRemacReport> {
  const current = keys.currentId;
  const report: AuditRemacReport = {
    from: {},
    head: false,
    breaks: 0,
    keptAtBreaks: 0,
    refused: [],
    missingKeyIds: [],
  };
  const missing = new Set<string>();
  const kept = await keptAtBreaks(db, keys);
  const left = await db
    .selectFrom('audit_events')
    .select((eb) => eb.fn.countAll<string | number>().as('count'))
    .where('mac_key_id', 'is not', null)
    .where('mac_key_id', '!=', current)
    .where((eb) => isKept(eb, kept))
    .executeTakeFirstOrThrow();
  report.keptAtBreaks = toCount(left.count);
  let after: string | null = null;
  for (;;) {
    let query = db
      .selectFrom('audit_events')
      .selectAll()
      .where('mac_key_id', 'is not', null)
      .where('mac_key_id', '!=', current)
      .where((eb) => isNotKept(eb, kept));
    if (after !== null) query = query.where('id', '>', after);
    const events = await query.orderBy('id').limit(options.batchSize).execute();
    if (events.length === 0) break;
    after = (events[events.length - 1] as AuditEventRow).id;
    const remacs: { event: AuditEventRow; keyId: string }[] = [];
    for (const event of events) {
      const keyId = String(event.mac_key_id);
      if (!keys.has(keyId)) {
        missing.add(keyId);
        continue;
      }
      const reason = failure(keys, event, keyId);
      if (reason === null) remacs.push({ event, keyId });
      else
        report.refused.push({
          record: 'event',
          seq: event.seq === null ? null : Number(event.seq),
          eventId: event.id,
          keyId,
          reason,
        });
    }
    if (remacs.length === 0) continue;
    const counts = await db.transaction().execute(async (tx) => {
      const done: Record<string, number> = {};
      const changed = await writeRemacs(
        tx,
        remacs.map(({ event, keyId }) => {
          const proven = event.seq === null || event.seal_finding === null;
          return {
            id: event.id,
            read_key: keyId,
            read_mac: event.mac,
            read_seal_mac: event.seal_mac,
            read_seq: event.seq === null ? null : Number(event.seq),
            read_hash: event.hash,
            mac: proven ? keys.mac(eventMacInput(event)) : event.mac,
            mac_key_id: current,
            seal_mac:
              event.seq === null
                ? null
                : keys.mac(sealMacInput(Number(event.seq), String(event.hash), event.seal_finding)),
          };
        }),
      );
      for (const { event, keyId } of remacs) if (changed.has(event.id)) done[keyId] = (done[keyId] ?? 0) + 1;
      if (Object.keys(done).length > 0) await options.recorded?.(tx, done);
      return done;
    });
    for (const [id, n] of Object.entries(counts)) report.from[id] = (report.from[id] ?? 0) + n;
  }

  const breaks = await db
    .selectFrom('audit_chain_breaks')
    .selectAll()
    .where('mac_key_id', '!=', current)
    .execute();
  for (const accepted of breaks) {
    const hash = breakHash(accepted);
    if (!keys.has(accepted.mac_key_id)) missing.add(accepted.mac_key_id);
    else if (!keys.verify(breakMacInput(hash), accepted.mac_key_id, accepted.mac)) {
      report.refused.push({
        record: 'break',
        seq: Number(accepted.proven_through) + 1,
        keyId: accepted.mac_key_id,
        reason: 'it fails its MAC: it has been altered or forged',
      });
    } else {
      const result = await db
        .updateTable('audit_chain_breaks')
        .set({ mac: keys.mac(breakMacInput(hash)), mac_key_id: current })
        .where('id', '=', accepted.id)
        .where('mac', '=', accepted.mac)
        .where('mac_key_id', '=', accepted.mac_key_id)
        .executeTakeFirst();
      report.breaks += Number(result.numUpdatedRows);
    }
  }

  const head = await readHead(db);
  if (head.mac !== null && head.macKeyId !== null && head.macKeyId !== current) {
    const state = headMacState(keys, head);
    if (state === 'missing-key') missing.add(head.macKeyId);
    else if (state === 'invalid') {
      report.refused.push({
        record: 'head',
        seq: head.seq,
        keyId: head.macKeyId,
        reason: "the chain's head fails its MAC",
      });
    } else {
      const result = await db
        .updateTable('audit_chain_head')
        .set({ mac: keys.mac(headMacInput(head.seq, head.hash, head.legacyThrough)), mac_key_id: current })
        .where('id', '=', 1)
        .where('seq', '=', head.seq)
        .where('hash', '=', head.hash)
        .where('mac', '=', head.mac)
        .where('mac_key_id', '=', head.macKeyId)
        .executeTakeFirst();
      report.head = Number(result.numUpdatedRows) === 1;
    }
  }
  report.missingKeyIds = [...missing].sort();
  return report;
}
