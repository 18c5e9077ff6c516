// `s2s audit verify`, `s2s audit export` and `s2s audit accept-break`: proving the audit trail is whole,
// taking it away as CSV, and starting to seal again after a break an operator has looked into
// (breaks.ts). Exit codes: 0 done (verify: the chain is whole, apart from breaks accepted, which it
// names; with --strict those exit 1 too), 1 the chain is broken or an anchor is not in it (accept-break:
// refused), 2 usage.
import { once } from 'node:events';
import { isLaNumber } from '../directory/numbers.ts';
import { getLocalAuthority } from '../directory/repository.ts';
import { type CommandOutput, parseCommand, processOutput } from '../platform/cli.ts';
import type { Clock } from '../platform/clock.ts';
import type { Db } from '../platform/db/schema.ts';
import { csvStream } from '../reports/csv.ts';
import { acceptChainBreak, BreakRefused } from './breaks.ts';
import {
  type AcceptedBreak,
  type ChainHead,
  sealAudit,
  sealBeforeReading,
  type Verification,
  verifyAudit,
} from './chain.ts';
import { AUDIT_CSV_HEADER, auditCsvRows } from './export.ts';
import type { AuditKeys } from './keys.ts';

export const AUDIT_USAGE = `  audit verify [--anchor SEQ:HASH] [--strict] [--json]
                                 seal the events waiting, then check the audit trail's hash
                                 chain and its MACs from its first event; --anchor checks it
                                 still holds an event number and hash noted from an earlier run;
                                 --strict exits 1 while the chain holds a break accepted
  audit export [--la LLL]        the audit trail (or one LA's part) as CSV on standard output
  audit accept-break --at SEQ --reason TEXT [--json]
                                 after investigating a break verify names at event SEQ, record
                                 it for good and seal again after it (needs the master key)
`;

/** The longest reason kept with a break. */
const REASON_LIMIT = 1000;

function readAnchor(text: string): ChainHead | undefined {
  const match = /^(\d+):([0-9a-f]{64})$/i.exec(text.trim());
  return match ? { seq: Number(match[1]), hash: String(match[2]).toLowerCase() } : undefined;
}

const OPTIONS = {
  verify: { anchor: { type: 'string' }, strict: { type: 'boolean' }, json: { type: 'boolean' } },
  export: { la: { type: 'string' } },
  'accept-break': { at: { type: 'string' }, reason: { type: 'string' }, json: { type: 'boolean' } },
} as const;

/**
 * `open` gives the database carrying the audit keys; `keyRequired`: the master key must be the one
 * configured (never made up, as a development instance otherwise does), since the command MACs with it.
 */
export async function runAuditCommand(
  args: string[],
  open: (options: { keyRequired: boolean }) => Promise<{ db: Db; clock: Clock; auditKeys: AuditKeys }>,
  io: CommandOutput = processOutput,
  output: NodeJS.WritableStream = process.stdout,
): Promise<number> {
  const subcommand = args[0] === 'export' || args[0] === 'accept-break' ? args[0] : 'verify';
  const parsed = parseCommand(args, {
    name: 'audit',
    subcommand,
    noSubcommand: 'Name an audit command: verify, export or accept-break.',
    options: OPTIONS[subcommand],
    usage: AUDIT_USAGE,
    io,
  });
  if (typeof parsed === 'number') return parsed;
  const values = parsed.values as {
    anchor?: string;
    strict?: boolean;
    json?: boolean;
    la?: string;
    at?: string;
    reason?: string;
  };
  if (subcommand === 'accept-break') {
    const at = values.at === undefined || !/^\d{1,9}$/.test(values.at) ? undefined : Number(values.at);
    if (at === undefined) {
      return parsed.usage(
        '--at must be the number of the event where s2s audit verify says the chain breaks, as 1234.',
      );
    }
    const reason = values.reason?.trim() ?? '';
    if (reason === '' || reason.length > REASON_LIMIT) {
      return parsed.usage(
        `--reason must say, in ${REASON_LIMIT} characters at most, why the break is accepted: what was found, and what was done about it (a ticket number helps).`,
      );
    }
    return acceptBreak({ at, reason, json: values.json === true }, await open({ keyRequired: true }), io);
  }
  const anchor = values.anchor === undefined ? undefined : readAnchor(values.anchor);
  if (values.anchor !== undefined && !anchor) {
    return parsed.usage(
      `--anchor must be an event number and its 64-character hash, as "1234:9f86d0...", as verify printed them.`,
    );
  }
  if (values.la !== undefined && !isLaNumber(values.la)) {
    return parsed.usage(`--la must be an LA number of three digits, as 916.`);
  }

  const { db, auditKeys } = await open({ keyRequired: false });
  try {
    if (subcommand === 'export') {
      const rows = auditCsvRows(db, values.la ? { laNumber: values.la } : {})[Symbol.asyncIterator]();
      // An LA s2s does not know, with nothing in the audit trail: a mistyped number, refused (an empty
      // CSV read as "nothing happened"). An LA no longer in the directory keeps its events.
      const first = await rows.next();
      if (first.done && values.la && !(await getLocalAuthority(db, values.la))) {
        io.err(
          `There is no LA ${values.la} in the directory, and nothing in the audit trail for it: give the number of an LA s2s knows (as 916).\n`,
        );
        return 1;
      }
      const csv = csvStream(
        AUDIT_CSV_HEADER,
        (async function* () {
          if (!first.done) yield first.value;
          for (let next = await rows.next(); !next.done; next = await rows.next()) yield next.value;
        })(),
      );
      for await (const chunk of csv) {
        if (!output.write(chunk)) await once(output, 'drain');
      }
      return 0;
    }
    // A head that fails its MAC, or has a row numbered past it, stops sealing (sealing on it would hide
    // what was done to it); verify then names it.
    const { sealed, refused: sealRefused } = await sealBeforeReading(db, auditKeys);
    const result = await verifyAudit(db, auditKeys, anchor);
    const exitCode = result.ok && !(values.strict && result.acceptedBreaks.length > 0) ? 0 : 1;
    if (values.json) {
      io.out(
        `${JSON.stringify({ ...result, sealedNow: sealed, ...(sealRefused ? { sealRefused } : {}) })}\n`,
      );
      return exitCode;
    }
    if (sealRefused) io.err(`${sealRefused}\n`);
    if (result.acceptedBreaks.length > 0) io.err(acceptedBreaksText(result.acceptedBreaks));
    if (result.broken) {
      io.err(
        `The audit trail has been tampered with: ${result.broken.reason}.\n` +
          (result.broken.seq <= 1
            ? 'No event in it is proven.'
            : result.acceptedBreaks.length === 0
              ? `Events 1 to ${result.broken.seq - 1} are proven; nothing from event ${result.broken.seq} on can be trusted.`
              : `Events up to ${result.broken.seq - 1} are proven, but for those kept at the breaks accepted above; nothing from event ${result.broken.seq} on can be trusted.`) +
          `${result.broken.eventId ? ` The event's id is ${result.broken.eventId}.` : ''}\n` +
          'Keep the database as it is and report it to your security officer. Once it has been looked into, ' +
          `s2s audit accept-break --at ${result.broken.seq} --reason "..." records the break for good and lets ` +
          'sealing start again after it (docs/operations.md, "When verify reports a broken chain").\n',
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
    const breaks = result.acceptedBreaks.length;
    io.out(
      `The audit trail is whole${breaks > 0 ? ` but for ${breaks === 1 ? 'the break' : `the ${breaks} breaks`} accepted above` : ''}: ${result.checked} events checked, from the first.` +
        `${anchor ? ` It still holds the anchor event ${anchor.seq}.` : ''}\n` +
        `${provenText(result)}\n` +
        `Note this anchor somewhere outside s2s, to check later: ${result.head.seq}:${result.head.hash}\n`,
    );
    return exitCode;
  } finally {
    await db.destroy();
  }
}

async function acceptBreak(
  request: { at: number; reason: string; json: boolean },
  { db, clock, auditKeys }: { db: Db; clock: Clock; auditKeys: AuditKeys },
  io: CommandOutput,
): Promise<number> {
  try {
    const accepted = await acceptChainBreak(db, auditKeys, clock, {
      at: request.at,
      reason: request.reason,
      actorUsername: 'cli',
    });
    // Sealing starts again at once: the backlog that waited behind the break, and this event.
    const sealed = await sealAudit(db, auditKeys);
    if (request.json) {
      io.out(`${JSON.stringify({ accepted, sealedNow: sealed.sealed })}\n`);
      return 0;
    }
    io.out(
      `The break at event ${accepted.at} is accepted and recorded for good, with your reason; ` +
        `s2s audit verify and the Audit Log page will name it.\n` +
        (accepted.provenThrough > 0
          ? `Events 1 to ${accepted.provenThrough} verify. `
          : 'No event before it verifies. ') +
        `${accepted.unprovenEvents} sealed events after them are kept as they were found, reported as unproven. ` +
        `Sealing started again at event ${accepted.resumesAt}: ${sealed.sealed} events sealed now.\n` +
        'Run s2s audit verify, and note its anchor somewhere outside s2s.\n',
    );
    return 0;
  } catch (error) {
    if (!(error instanceof BreakRefused)) throw error;
    io.err(`${error.message}\n`);
    return 1;
  } finally {
    await db.destroy();
  }
}

function acceptedBreaksText(breaks: AcceptedBreak[]): string {
  return breaks
    .map(
      (accepted) =>
        `The audit chain was broken at event ${accepted.at}, and the break accepted on ${accepted.acceptedAt} by ${accepted.acceptedBy}: "${accepted.reason}".\n` +
        `  What verify found then: ${accepted.finding}.\n` +
        `  ${accepted.unprovenEvents} sealed events from event ${accepted.at} are kept as they were found, unproven; sealing started again at event ${accepted.resumesAt}.\n` +
        (accepted.keptChecked || accepted.unprovenEvents === 0
          ? ''
          : '  The kept events of this break cannot be checked: it was accepted before s2s recorded what it kept (migration 041), ' +
            'so only their number is checked, and one of them altered in place would not be detected.\n'),
    )
    .join('');
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
