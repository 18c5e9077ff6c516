// `s2s audit verify` and `s2s audit export`: proving the audit trail is whole, and taking it away as
// CSV. Exit codes: 0 done (verify: the chain is whole), 1 the chain is broken or an anchor is not in
// it, 2 usage.
import { once } from 'node:events';
import { isLaNumber } from '../directory/numbers.ts';
import { type CommandOutput, parseCommand, processOutput } from '../platform/cli.ts';
import type { Clock } from '../platform/clock.ts';
import type { Db } from '../platform/db/schema.ts';
import { csvStream } from '../reports/csv.ts';
import { AuditHeadError, type ChainHead, sealAudit, type Verification, verifyAudit } from './chain.ts';
import { AUDIT_CSV_HEADER, auditCsvRows } from './export.ts';
import type { AuditKeys } from './keys.ts';

export const AUDIT_USAGE = `  audit verify [--anchor SEQ:HASH] [--json]
                                 seal the events waiting, then check the audit trail's hash
                                 chain and its MACs from its first event; --anchor checks it
                                 still holds an event number and hash noted from an earlier run
  audit export [--la LLL]        the audit trail (or one LA's part) as CSV on standard output
`;

function readAnchor(text: string): ChainHead | undefined {
  const match = /^(\d+):([0-9a-f]{64})$/i.exec(text.trim());
  return match ? { seq: Number(match[1]), hash: String(match[2]).toLowerCase() } : undefined;
}

export async function runAuditCommand(
  args: string[],
  open: () => Promise<{ db: Db; clock: Clock; auditKeys: AuditKeys }>,
  io: CommandOutput = processOutput,
  output: NodeJS.WritableStream = process.stdout,
): Promise<number> {
  const verify = args[0] !== 'export';
  const parsed = parseCommand(args, {
    name: 'audit',
    subcommand: verify ? 'verify' : 'export',
    noSubcommand: 'Name an audit command: verify or export.',
    options: verify ? { anchor: { type: 'string' }, json: { type: 'boolean' } } : { la: { type: 'string' } },
    usage: AUDIT_USAGE,
    io,
  });
  if (typeof parsed === 'number') return parsed;
  const values = parsed.values as { anchor?: string; json?: boolean; la?: string };
  const anchor = values.anchor === undefined ? undefined : readAnchor(values.anchor);
  if (values.anchor !== undefined && !anchor) {
    return parsed.usage(
      `--anchor must be an event number and its 64-character hash, as "1234:9f86d0...", as verify printed them.`,
    );
  }
  if (values.la !== undefined && !isLaNumber(values.la)) {
    return parsed.usage(`--la must be an LA number of three digits, as 916.`);
  }

  const { db, auditKeys } = await open();
  try {
    if (!verify) {
      const csv = csvStream(AUDIT_CSV_HEADER, auditCsvRows(db, values.la ? { laNumber: values.la } : {}));
      for await (const chunk of csv) {
        if (!output.write(chunk)) await once(output, 'drain');
      }
      return 0;
    }
    // A head that fails its MAC stops sealing (sealing on it would hide what was done to it); verify
    // then names it.
    let sealed = 0;
    let sealRefused: string | undefined;
    try {
      sealed = (await sealAudit(db, auditKeys)).sealed;
    } catch (error) {
      if (!(error instanceof AuditHeadError)) throw error;
      sealRefused = error.message;
    }
    const result = await verifyAudit(db, auditKeys, anchor);
    if (values.json) {
      io.out(
        `${JSON.stringify({ ...result, sealedNow: sealed, ...(sealRefused ? { sealRefused } : {}) })}\n`,
      );
      return result.ok ? 0 : 1;
    }
    if (sealRefused) io.err(`${sealRefused}\n`);
    if (result.broken) {
      io.err(
        `The audit trail has been tampered with: ${result.broken.reason}.\n` +
          (result.broken.seq > 1
            ? `Events 1 to ${result.broken.seq - 1} are proven; nothing from event ${result.broken.seq} on can be trusted.`
            : 'No event in it is proven.') +
          `${result.broken.eventId ? ` The event's id is ${result.broken.eventId}.` : ''}\n` +
          'Keep the database as it is and report it to your security officer.\n',
      );
      return 1;
    }
    if (anchor && !result.anchor?.found) {
      io.err(
        `The audit trail does not hold the anchor ${anchor.seq}:${anchor.hash}: ` +
          `it has been rebuilt or replaced since the anchor was noted. Report it to your security officer.\n`,
      );
      return 1;
    }
    if (result.unprovenCount > 0) io.err(unprovenText(result));
    if (result.missingKeys.length > 0) io.err(missingKeysText(result));
    if (!result.ok) return 1;
    io.out(
      `The audit trail is whole: ${result.checked} events checked, from the first.` +
        `${anchor ? ` It still holds the anchor event ${anchor.seq}.` : ''}\n` +
        `${provenText(result)}\n` +
        `Note this anchor somewhere outside s2s, to check later: ${result.head.seq}:${result.head.hash}\n`,
    );
    return 0;
  } finally {
    await db.destroy();
  }
}

/** How much of the trail the MACs prove, and how much only the old plain hashes. */
function provenText(result: Verification): string {
  const keyed = `${result.keyed} sealed with MACs under the audit key, which no one without the master key can forge`;
  if (result.legacy === 0) return `All ${keyed}.`;
  return (
    `${result.legacy} sealed before keyed sealing began (plain hashes, proven only as before: whoever could ` +
    `write to the database could have rewritten them, unless an anchor noted earlier holds them); ${keyed}.`
  );
}

function unprovenText(result: Verification): string {
  const listed = result.unproven
    .map((event) => `  event ${event.seq} (id ${event.eventId}): ${event.reason}\n`)
    .join('');
  const more = result.unprovenCount - result.unproven.length;
  return (
    `The audit trail holds ${result.unprovenCount} events that s2s did not write as they are: their own MAC ` +
    'did not verify when they were sealed, so they were sealed marked, not as genuine. They were inserted by ' +
    'someone who could write to the database without the audit key, or changed before they were sealed:\n' +
    listed +
    (more > 0 ? `  and ${more} more (--json lists the first ${result.unproven.length}).\n` : '') +
    'Keep the database as it is and report it to your security officer.\n'
  );
}

function missingKeysText(result: Verification): string {
  return result.missingKeys
    .map(
      (missing) =>
        `${missing.events} events${missing.head ? " and the chain's head" : ''} cannot be checked: their MACs were made under the master key ${missing.keyId}, ` +
        'which is not configured. Give it in MASTER_KEY_PREVIOUS (or MASTER_KEY_PREVIOUS_FILES) and verify again; ' +
        'this is not a sign of tampering. (s2s keys rotate re-MACs them under the current key while the earlier one is given.)\n',
    )
    .join('');
}
