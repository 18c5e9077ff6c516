// Accepting a break in the audit chain (`s2s audit accept-break`, docs/decisions.md 22). A head that fails
// its MAC stops sealing, and an event altered or deleted breaks the chain for good: without this, every
// later event would stay unsealed (or unproven) for ever. After investigating (and restoring from a backup
// if they choose), an operator holding the master key accepts the break where verify names it. Nothing is
// rewritten or deleted, and nothing is laundered:
// - a row records the break for good (when, by whom, the operator's reason, what verify found, the head as
//   it was, the last event that verified and how many sealed events lay after it), under a MAC;
// - the events between the last that verified and the break stay where they are, counted and digested as
//   they were found (the digest in the break's record, under its MAC: decision 39), and are reported by
//   every verify as kept unproven; rows added to, taken from or altered among them later are tampering;
// - sealing starts again after every number used, from a new head MACed under the current key, its first
//   event linked to the break's hash, so the break cannot be removed without breaking what follows;
// - an audit event ('audit-break-accepted') records it, and verify and the Audit Log page name it.
import { randomUUID } from 'node:crypto';
import type { Clock } from '../platform/clock.ts';
import type { AuditChainBreakRow, Db, Executor } from '../platform/db/schema.ts';
import {
  type AcceptedBreak,
  acceptedBreak,
  breakHash,
  breakMacInput,
  GENESIS_HASH,
  headMacInput,
  headMacState,
  holdsKeyedEvents,
  keptEventLine,
  keptEventsDigest,
  lockHead,
  readBreaks,
  sealBeforeReading,
  verifyChain,
  WALK_PAGE,
} from './chain.ts';
import { type AuditKeys, MissingAuditKeyError } from './keys.ts';
import { recordAudit } from './repository.ts';

/** The break cannot be accepted as asked: the message says why and what to do; nothing was changed. */
export class BreakRefused extends Error {}

export interface BreakAcceptance {
  /** Where the operator accepts the break: the event verify names as the break. */
  at: number;
  reason: string;
  actorUsername: string;
}

/** The break accepted, and how the chain stands after it. */
export interface BreakAccepted extends AcceptedBreak {
  /** The last event that verified (0: none). */
  provenThrough: number;
}

export async function acceptChainBreak(
  db: Db,
  keys: AuditKeys,
  clock: Clock,
  request: BreakAcceptance,
): Promise<BreakAccepted> {
  // What waits is sealed first, as verify seals it (and the job would within the minute): otherwise an
  // event changed before it was sealed would go unseen by "nothing is broken", and events verify has
  // shown kept at the break would be sealed after it instead.
  await sealBeforeReading(db, keys);
  return db.transaction().execute(async (trx) => {
    // The head's lock first, as a sealer takes it: no event is sealed while the chain is read and moved on.
    const head = await lockHead(trx);
    const headState = headMacState(keys, head);
    if (headState === 'missing-key') {
      throw new BreakRefused(
        `The chain's head was ${new MissingAuditKeyError(String(head.macKeyId)).message}. ` +
          'That is not a break in the chain. Nothing was done.',
      );
    }
    const result = await verifyChain(trx, keys);
    if (!result.broken) {
      throw new BreakRefused(
        `Nothing is broken: the audit chain verifies (${result.checked} events checked), so there is no break to accept.` +
          (result.unprovenCount > 0
            ? ` The ${result.unprovenCount} events s2s audit verify names as unproven are sealed marked, in the chain: that is not a break.`
            : '') +
          ' Nothing was done.',
      );
    }
    const { broken } = result;
    if (request.at !== broken.seq) {
      throw new BreakRefused(
        `The audit chain breaks at event ${broken.seq}, not at event ${request.at}: ${broken.reason}. ` +
          `Run s2s audit verify again and, once you have looked into it, accept the break it names (--at ${broken.seq}). Nothing was done.`,
      );
    }
    const earlier = await readBreaks(trx);
    const latest = earlier[earlier.length - 1];
    const provenThrough = Math.max(0, broken.seq - 1);
    if (latest && provenThrough < Number(latest.resumes_at) - 1) {
      throw new BreakRefused(
        `The audit chain breaks at event ${broken.seq}, inside the break accepted at event ${Number(latest.proven_through) + 1} ` +
          `(sealing started again at event ${latest.resumes_at}): ${broken.reason}. That cannot be accepted again: ` +
          'restore the audit tables from a backup taken after that break was accepted, or report it to your security officer. Nothing was done.',
      );
    }
    const provenHash =
      latest && provenThrough === Number(latest.resumes_at) - 1
        ? breakHash(latest)
        : provenThrough === 0
          ? GENESIS_HASH
          : String(
              (
                await trx
                  .selectFrom('audit_events')
                  .select('hash')
                  .where('seq', '=', provenThrough)
                  .executeTakeFirstOrThrow()
              ).hash,
            );
    // Past every number used, and past the head's own when it can be trusted (numbers of events deleted
    // from the end are not given again): an anchor noted there can then never match a new event.
    const headTrusted = headState === 'valid' || (headState === 'none' && !(await holdsKeyedEvents(trx)));
    const highest = await trx
      .selectFrom('audit_events')
      .select((eb) => eb.fn.max('seq').as('seq'))
      .executeTakeFirst();
    const resumesAt = Math.max(Number(highest?.seq ?? 0), headTrusted ? head.seq : 0, provenThrough) + 1;
    // Rows numbered below 1 are kept with the first break, as verify's walk meets them.
    const kept = await keptEvents(trx, provenThrough, resumesAt, !latest);
    // Events sealed in the old form are 1 to result.legacy: the walk takes them first, one by one.
    const legacyThrough = latest ? Number(latest.legacy_through) : result.legacy;
    const row: AuditChainBreakRow = {
      id: randomUUID(),
      accepted_at: clock.now().toISOString(),
      accepted_by: request.actorUsername,
      reason: request.reason,
      finding: broken.reason,
      proven_through: provenThrough,
      proven_hash: provenHash,
      resumes_at: resumesAt,
      unproven_events: kept.count,
      legacy_through: legacyThrough,
      old_head_seq: head.seq,
      old_head_hash: head.hash,
      old_head_legacy_through: head.legacyThrough,
      old_head_mac: head.mac,
      old_head_mac_key_id: head.macKeyId,
      kept_digest: kept.digest,
      mac: '',
      mac_key_id: keys.currentId,
    };
    const hash = breakHash(row);
    row.mac = keys.mac(breakMacInput(hash));
    await trx.insertInto('audit_chain_breaks').values(row).execute();
    await trx
      .updateTable('audit_chain_head')
      .set({
        seq: resumesAt - 1,
        hash,
        legacy_through: legacyThrough,
        mac: keys.mac(headMacInput(resumesAt - 1, hash, legacyThrough)),
        mac_key_id: keys.currentId,
      })
      .where('id', '=', 1)
      .execute();
    await recordAudit(trx, {
      at: clock.now(),
      actorUsername: request.actorUsername,
      action: 'audit-break-accepted',
      subjectType: 'audit_chain_break',
      subjectId: row.id,
      detail: {
        at: broken.seq,
        provenThrough,
        resumesAt,
        unprovenEvents: row.unproven_events,
        reason: request.reason,
        finding: broken.reason,
        oldHead: {
          seq: head.seq,
          hash: head.hash,
          legacyThrough: head.legacyThrough,
          macKeyId: head.macKeyId,
        },
      },
    });
    return { ...acceptedBreak(row), provenThrough };
  });
}

/**
 * The sealed events kept at a break (after `provenThrough`, before `resumesAt`, and those numbered below 1
 * when `belowOne`), counted and digested in number order as verify's walk meets them.
 */
async function keptEvents(
  trx: Executor,
  provenThrough: number,
  resumesAt: number,
  belowOne: boolean,
): Promise<{ count: number; digest: string }> {
  const digest = keptEventsDigest();
  let count = 0;
  for (let after: number | undefined; ; ) {
    let page = trx
      .selectFrom('audit_events')
      .selectAll()
      .where('seq', '<', resumesAt)
      .where((eb) =>
        belowOne ? eb.or([eb('seq', '>', provenThrough), eb('seq', '<', 1)]) : eb('seq', '>', provenThrough),
      );
    if (after !== undefined) page = page.where('seq', '>', after);
    const events = await page.orderBy('seq').limit(WALK_PAGE).execute();
    for (const event of events) digest.update(keptEventLine(event));
    count += events.length;
    if (events.length < WALK_PAGE) return { count, digest: digest.digest('hex') };
    after = Number(events[events.length - 1]?.seq);
  }
}
