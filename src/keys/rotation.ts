// Master key rotation (docs/decisions.md, 27): every data key wrapped by an earlier master key is
// unwrapped with it and wrapped again under the current one. The files and secrets themselves are
// never read or re-encrypted: their data keys do not change, only the wrapping of those keys. The audit
// trail's MACs, made under an audit key derived from the master key, are made again under the current
// one (audit/rekey.ts), each only after it verifies under the key that made it; the events kept at an
// accepted break are left as found (decision 42).
import { AuditKeys } from '../audit/keys.ts';
import { countAuditMacs, type RefusedAuditMac, remacAudit } from '../audit/rekey.ts';
import { recordAudit } from '../audit/repository.ts';
import type { Clock } from '../platform/clock.ts';
import type { Db } from '../platform/db/schema.ts';
import { type MasterKeyring, MissingMasterKeyError } from '../platform/storage/keyring.ts';
import {
  countWrappedKeys,
  type Rewrap,
  replaceWrappedKeys,
  SEALED_TABLES,
  type SealedTable,
  type WrappedKeyRow,
  wrappedKeysNotUnder,
} from './repository.ts';

/** How a run names a data key that has no master key id beside it (never written by s2s). */
export const NO_KEY_ID = 'none';

export interface KeyStatus {
  currentKeyId: string;
  /** Every master key this instance is given, the current one first. */
  configuredKeyIds: string[];
  /** Per table, how many wrapped data keys each master key (by id) holds. */
  tables: Record<SealedTable, Record<string, number>>;
  /**
   * How many audit MACs each master key's audit key made that verify checks: of events, the chain's head
   * and accepted breaks' records. Not those of the events kept at accepted breaks (auditKeptAtBreaks).
   */
  auditMacs: Record<string, number>;
  /** Audit events kept at accepted breaks: left as found, their MACs checked by nothing, needing no key. */
  auditKeptAtBreaks: number;
  /** Master keys that hold data keys or audit MACs (as counted in auditMacs) but are not given to this instance. */
  missingKeyIds: string[];
}

export async function keyStatus(db: Db, keyring: MasterKeyring): Promise<KeyStatus> {
  const tables = {} as KeyStatus['tables'];
  const missing = new Set<string>();
  for (const table of SEALED_TABLES) {
    tables[table] = {};
    for (const { masterKeyId, count } of await countWrappedKeys(db, table)) {
      tables[table][masterKeyId ?? NO_KEY_ID] = count;
      if (masterKeyId === null || !keyring.has(masterKeyId)) missing.add(masterKeyId ?? NO_KEY_ID);
    }
  }
  const audit = await countAuditMacs(db, AuditKeys.fromKeyring(keyring));
  for (const keyId of Object.keys(audit.macs)) if (!keyring.has(keyId)) missing.add(keyId);
  return {
    currentKeyId: keyring.current.id,
    configuredKeyIds: keyring.ids,
    tables,
    auditMacs: audit.macs,
    auditKeptAtBreaks: audit.keptAtBreaks,
    missingKeyIds: [...missing].sort(),
  };
}

export interface RotationReport {
  currentKeyId: string;
  /** Data keys re-wrapped under the current master key, per table. */
  rewrapped: Record<SealedTable, number>;
  /** Of those, how many each earlier master key (by id) had wrapped. */
  from: Record<string, number>;
  /**
   * Master keys holding data keys that this instance is not given. When found before the run starts,
   * nothing is re-wrapped: give the keys (MASTER_KEY_PREVIOUS) and run again.
   */
  missingKeyIds: string[];
  /** Data keys whose master key is given but does not unwrap them: the record has been altered. */
  damaged: { table: SealedTable; id: string; masterKeyId: string }[];
  /**
   * The audit trail: events re-MACed under the current key (per earlier key), the head, the accepted
   * breaks' records, the events kept at accepted breaks left as found, and refusals.
   */
  audit: {
    remaced: number;
    from: Record<string, number>;
    head: boolean;
    breaks: number;
    /** Events kept at accepted breaks, under an earlier key: left as found, MACs and all (decision 42). */
    keptAtBreaks: number;
    /** Events (or the head) that did not verify under their key: never re-MACed, left for verify to name. */
    refused: RefusedAuditMac[];
  };
}

export interface RotationOptions {
  /** Rows re-wrapped per transaction. */
  batchSize: number;
  /** Who ran it, for the audit trail. */
  actorUsername: string;
}

/**
 * Re-wraps, a batch per transaction, every data key not under the current master key. Safe to run twice
 * at once, to stop at any point and to run again: each row is changed only if it still holds the wrapped
 * key that was read, and a run starts from whatever is still under an earlier key.
 */
export async function rotateMasterKey(
  db: Db,
  clock: Clock,
  keyring: MasterKeyring,
  options: RotationOptions,
): Promise<RotationReport> {
  const current = keyring.current.id;
  const report: RotationReport = {
    currentKeyId: current,
    rewrapped: { transfers: 0, census_returns: 0, two_factor_secrets: 0 },
    from: {},
    missingKeyIds: (await keyStatus(db, keyring)).missingKeyIds,
    damaged: [],
    audit: { remaced: 0, from: {}, head: false, breaks: 0, keptAtBreaks: 0, refused: [] },
  };
  if (report.missingKeyIds.length > 0) return report;

  const missing = new Set<string>();
  for (const table of SEALED_TABLES) {
    let after: string | null = null;
    for (;;) {
      const rows = await wrappedKeysNotUnder(db, table, current, after, options.batchSize);
      if (rows.length === 0) break;
      after = (rows[rows.length - 1] as WrappedKeyRow).key;
      const rewraps: Rewrap[] = [];
      for (const row of rows) {
        try {
          rewraps.push({ row, next: keyring.wrap(keyring.unwrap(row)) });
        } catch (error) {
          // A key that appeared since the run began (a node still running under an older setting).
          if (error instanceof MissingMasterKeyError) missing.add(row.masterKeyId ?? NO_KEY_ID);
          else report.damaged.push({ table, id: row.key, masterKeyId: row.masterKeyId ?? NO_KEY_ID });
        }
      }
      if (rewraps.length === 0) continue;
      const from = await db.transaction().execute(async (tx) => {
        const replaced: Record<string, number> = {};
        const changed = await replaceWrappedKeys(tx, table, rewraps);
        for (const { row } of rewraps) {
          if (!changed.has(row.key)) continue;
          const id = row.masterKeyId ?? NO_KEY_ID;
          replaced[id] = (replaced[id] ?? 0) + 1;
        }
        const count = total(replaced);
        if (count > 0) {
          await recordAudit(tx, {
            at: clock.now(),
            actorUsername: options.actorUsername,
            action: 'master-key-rotated',
            subjectType: 'master-key',
            subjectId: current,
            detail: { table, rewrapped: count, from: replaced },
          });
        }
        return replaced;
      });
      report.rewrapped[table] += total(from);
      for (const [id, n] of Object.entries(from)) report.from[id] = (report.from[id] ?? 0) + n;
    }
  }
  const audit = await remacAudit(db, AuditKeys.fromKeyring(keyring), {
    batchSize: options.batchSize,
    recorded: (tx, from) =>
      recordAudit(tx, {
        at: clock.now(),
        actorUsername: options.actorUsername,
        action: 'master-key-rotated',
        subjectType: 'master-key',
        subjectId: current,
        detail: { table: 'audit_events', remaced: total(from), from },
      }),
  });
  report.audit = {
    remaced: total(audit.from),
    from: audit.from,
    head: audit.head,
    breaks: audit.breaks,
    keptAtBreaks: audit.keptAtBreaks,
    refused: audit.refused,
  };
  for (const id of audit.missingKeyIds) missing.add(id);
  report.missingKeyIds = [...missing].sort();
  return report;
}

function total(counts: Record<string, number>): number {
  return Object.values(counts).reduce((sum, n) => sum + n, 0);
}
