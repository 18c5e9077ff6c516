// `s2s keys status` and `s2s keys rotate`: which master keys wrap the data keys of stored files, census
// returns and two-factor secrets, and re-wrapping them under the current master key (rotation.ts).
// Exit codes: 0 done, 1 some data keys cannot be unwrapped (their master key is not given, or they were
// altered), 2 usage.
import { AuditKeys, withAuditKeys } from '../audit/keys.ts';
import type { Config } from '../config.ts';
import { type CommandOutput, parseCommand, processOutput } from '../platform/cli.ts';
import { type Clock, systemClock } from '../platform/clock.ts';
import { createDatabase } from '../platform/db/database.ts';
import type { Db } from '../platform/db/schema.ts';
import type { MasterKeyring } from '../platform/storage/keyring.ts';
import { loadMasterKeyring, MasterKeyError } from '../platform/storage/master-key.ts';
import { SEALED_TABLES, type SealedTable } from './repository.ts';
import { type KeyStatus, keyStatus, type RotationReport, rotateMasterKey } from './rotation.ts';

export const KEYS_USAGE = `  keys status [--json]           how many data keys each master key wraps (stored files, census
                                 returns, two-factor secrets) and how many audit events it MACs,
                                 and which master key is current
  keys rotate [--batch N] [--json]
                                 re-wrap every data key under an earlier master key
                                 (MASTER_KEY_PREVIOUS) with the current one, and re-MAC the audit
                                 events (each verified first; those kept at accepted breaks are
                                 left as found), N per transaction (default 500); files are not
                                 re-encrypted; safe to repeat
`;

const DEFAULT_BATCH = 500;
const MAX_BATCH = 10_000;
/** Who the audit trail says rotated the key (the command has no signed-in user). */
const CLI_USERNAME = 'cli';

const TABLE_NAMES: Record<SealedTable, string> = {
  transfers: 'stored files',
  census_returns: 'census returns',
  two_factor_secrets: 'two-factor secrets',
};

export interface KeysCommandDeps {
  db: Db;
  clock: Clock;
  keyring: MasterKeyring;
  close(): Promise<void>;
}

/**
 * The configured database and master keys; a missing key is never made up here. The database carries the
 * audit keys, so the events rotation records get their MACs.
 */
export function openKeys(config: Config): KeysCommandDeps {
  const { keyring } = loadMasterKeyring({ ...config.masterKey, mayGenerate: false });
  const db = withAuditKeys(createDatabase(config.databaseUrl), AuditKeys.fromKeyring(keyring));
  return { db, clock: systemClock, keyring, close: () => db.destroy() };
}

export async function runKeysCommand(
  args: string[],
  open: () => KeysCommandDeps | Promise<KeysCommandDeps>,
  io: CommandOutput = processOutput,
): Promise<number> {
  const rotate = args[0] === 'rotate';
  const parsed = parseCommand(args, {
    name: 'keys',
    subcommand: rotate ? 'rotate' : 'status',
    noSubcommand: 'Name a keys command: status or rotate.',
    options: rotate
      ? { batch: { type: 'string' }, json: { type: 'boolean' } }
      : { json: { type: 'boolean' } },
    usage: KEYS_USAGE,
    io,
  });
  if (typeof parsed === 'number') return parsed;
  const values = parsed.values as { batch?: string; json?: boolean };
  const batchSize = values.batch === undefined ? DEFAULT_BATCH : Number(values.batch);
  if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > MAX_BATCH) {
    return parsed.usage(
      `--batch must be a whole number from 1 to ${MAX_BATCH}: the data keys to re-wrap per transaction.`,
    );
  }

  let deps: KeysCommandDeps;
  try {
    deps = await open();
  } catch (error) {
    if (!(error instanceof MasterKeyError)) throw error;
    io.err(`${error.message}\n`);
    return 1;
  }
  try {
    if (!rotate) {
      const status = await keyStatus(deps.db, deps.keyring);
      if (values.json) io.out(`${JSON.stringify(status)}\n`);
      else io.out(statusText(status));
      if (status.missingKeyIds.length > 0) io.err(missingText(status.missingKeyIds, null));
      return status.missingKeyIds.length > 0 ? 1 : 0;
    }
    const report = await rotateMasterKey(deps.db, deps.clock, deps.keyring, {
      batchSize,
      actorUsername: CLI_USERNAME,
    });
    if (values.json) io.out(`${JSON.stringify(report)}\n`);
    else io.out(rotationText(report));
    const rewrapped = SEALED_TABLES.reduce((sum, table) => sum + report.rewrapped[table], 0);
    if (report.missingKeyIds.length > 0) io.err(missingText(report.missingKeyIds, rewrapped));
    if (report.damaged.length > 0) io.err(damagedText(report));
    if (report.audit.refused.length > 0) io.err(refusedAuditText(report));
    return report.missingKeyIds.length > 0 || report.damaged.length > 0 || report.audit.refused.length > 0
      ? 1
      : 0;
  } finally {
    await deps.close();
  }
}

function countsText(counts: Record<string, number>, currentKeyId: string): string {
  const entries = Object.entries(counts);
  if (entries.length === 0) return 'none';
  return entries
    .map(([id, count]) => `${count} under ${id}${id === currentKeyId ? ' (current)' : ''}`)
    .join(', ');
}

function statusText(status: KeyStatus): string {
  const earlier = status.configuredKeyIds.filter((id) => id !== status.currentKeyId);
  const lines = [
    `Current master key: ${status.currentKeyId}`,
    `Earlier master keys given (MASTER_KEY_PREVIOUS, MASTER_KEY_PREVIOUS_FILES): ${earlier.length > 0 ? earlier.join(', ') : 'none'}`,
    'Data keys wrapped:',
    ...SEALED_TABLES.map(
      (table) => `  ${TABLE_NAMES[table]}: ${countsText(status.tables[table], status.currentKeyId)}`,
    ),
    `Audit trail MACs (events, the chain's head and the records of accepted breaks): ${countsText(status.auditMacs, status.currentKeyId)}`,
  ];
  if (status.auditKeptAtBreaks > 0) {
    lines.push(
      `Audit events kept unproven at accepted breaks, left as found: ${status.auditKeptAtBreaks} (no master key needed: ` +
        'verify checks them against what each break recorded of them, not by their MACs)',
    );
  }
  return `${lines.join('\n')}\n`;
}

function rotationText(report: RotationReport): string {
  const total = SEALED_TABLES.reduce((sum, table) => sum + report.rewrapped[table], 0);
  const lines: string[] = [];
  if (total > 0) {
    const tables = SEALED_TABLES.map((table) => `${TABLE_NAMES[table]} ${report.rewrapped[table]}`).join(
      ', ',
    );
    const from = Object.entries(report.from)
      .map(([id, count]) => `${count} from ${id}`)
      .join(', ');
    lines.push(
      `Re-wrapped ${total} data keys under the current master key ${report.currentKeyId} (${tables}; ${from}). ` +
        'No file was read or re-encrypted.',
    );
  }
  const { audit } = report;
  const from = Object.entries(audit.from)
    .map(([id, count]) => `${count} from ${id}`)
    .join(', ');
  const remaced = [
    ...(audit.remaced > 0 ? [`${audit.remaced} audit events${from ? ` (${from})` : ''}`] : []),
    ...(audit.head ? ["the chain's head"] : []),
    ...(audit.breaks === 1 ? ['the record of 1 accepted break in the chain'] : []),
    ...(audit.breaks > 1 ? [`the records of ${audit.breaks} accepted breaks in the chain`] : []),
  ];
  if (remaced.length > 0) {
    const last = remaced.pop();
    lines.push(
      `Re-MACed ${remaced.length > 0 ? `${remaced.join(', ')} and ${last}` : last} under the current master key ${report.currentKeyId}, ` +
        'each verified under its earlier key first. Their hashes, and so the anchors noted, are unchanged.',
    );
  }
  if (lines.length > 0) {
    lines.push(
      'Keep each earlier key until s2s keys status shows nothing under it and no backup you keep was made under it.',
    );
  } else if (report.missingKeyIds.length === 0 && report.damaged.length === 0 && audit.refused.length === 0) {
    lines.push(
      `Every data key is already wrapped by the current master key ${report.currentKeyId}: nothing to re-wrap, and no audit MAC to make again.`,
    );
  }
  if (audit.keptAtBreaks > 0) {
    lines.push(
      `Left as found the ${audit.keptAtBreaks} audit events kept unproven at accepted breaks in the chain, under the earlier key that MACed them: ` +
        'verify checks them against what each break recorded of them, not by their MACs, so they need no master key.',
    );
  }
  return lines.length > 0 ? `${lines.join('\n')}\n` : '';
}

function refusedAuditText(report: RotationReport): string {
  const list = report.audit.refused
    .map((item) => {
      const what =
        item.record === 'head'
          ? "the chain's head"
          : item.record === 'break'
            ? `the record of the break accepted at event ${item.seq}`
            : `event ${item.seq ?? '(not sealed yet)'} id ${item.eventId}`;
      return `${what} (master key ${item.keyId}): ${item.reason}`;
    })
    .join('; ');
  return (
    `${report.audit.refused.length} audit records did not verify under the key that made their MACs, and were ` +
    `not re-MACed (that would pass them off as genuine): ${list}. Keep the earlier key, run s2s audit verify, ` +
    'and report it to your security officer.\n'
  );
}

function missingText(ids: string[], rewrapped: number | null): string {
  const keys =
    ids.length > 1 ? `the master keys ${ids.join(', ')}, which are` : `the master key ${ids[0]}, which is`;
  return (
    `Data keys are wrapped by ${keys} not configured: they cannot be unwrapped. ` +
    'Give every earlier key in MASTER_KEY_PREVIOUS (or MASTER_KEY_PREVIOUS_FILES)' +
    (rewrapped === null
      ? ', then run s2s keys rotate.\n'
      : `, then run s2s keys rotate again. ${rewrapped === 0 ? 'Nothing was re-wrapped.' : 'The others were re-wrapped.'}\n`)
  );
}

function damagedText(report: RotationReport): string {
  const list = report.damaged
    .map((item) => `${TABLE_NAMES[item.table]} ${item.id} (master key ${item.masterKeyId})`)
    .join(', ');
  return (
    `${report.damaged.length} data keys did not unwrap with their master key: their records have been altered ` +
    `or damaged, and were left as they are: ${list}. Report it to your security officer.\n`
  );
}
