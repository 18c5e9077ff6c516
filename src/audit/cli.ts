// `s2s audit verify` and `s2s audit export`: proving the audit trail is whole, and taking it away as
// CSV. Exit codes: 0 done (verify: the chain is whole), 1 the chain is broken or an anchor is not in
// it, 2 usage.
import { once } from 'node:events';
import { isLaNumber } from '../directory/numbers.ts';
import { type CommandOutput, parseCommand, processOutput } from '../platform/cli.ts';
import type { Clock } from '../platform/clock.ts';
import type { Db } from '../platform/db/schema.ts';
import { csvStream } from '../reports/csv.ts';
import { type ChainHead, sealAudit, verifyAudit } from './chain.ts';
import { AUDIT_CSV_HEADER, auditCsvRows } from './export.ts';

export const AUDIT_USAGE = `  audit verify [--anchor SEQ:HASH] [--json]
                                 seal the events waiting, then check the audit trail's hash
                                 chain from its first event; --anchor checks it still holds
                                 an event number and hash noted from an earlier run
  audit export [--la LLL]        the audit trail (or one LA's part) as CSV on standard output
`;

function readAnchor(text: string): ChainHead | undefined {
  const match = /^(\d+):([0-9a-f]{64})$/i.exec(text.trim());
  return match ? { seq: Number(match[1]), hash: String(match[2]).toLowerCase() } : undefined;
}

export async function runAuditCommand(
  args: string[],
  open: () => Promise<{ db: Db; clock: Clock }>,
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

  const { db } = await open();
  try {
    if (!verify) {
      const csv = csvStream(AUDIT_CSV_HEADER, auditCsvRows(db, values.la ? { laNumber: values.la } : {}));
      for await (const chunk of csv) {
        if (!output.write(chunk)) await once(output, 'drain');
      }
      return 0;
    }
    const sealed = await sealAudit(db);
    const result = await verifyAudit(db, anchor);
    if (values.json) {
      io.out(`${JSON.stringify({ ...result, sealedNow: sealed })}\n`);
      return result.ok ? 0 : 1;
    }
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
    io.out(
      `The audit trail is whole: ${result.checked} events checked, from the first.` +
        `${anchor ? ` It still holds the anchor event ${anchor.seq}.` : ''}\n` +
        `Note this anchor somewhere outside s2s, to check later: ${result.head.seq}:${result.head.hash}\n`,
    );
    return 0;
  } finally {
    await db.destroy();
  }
}
