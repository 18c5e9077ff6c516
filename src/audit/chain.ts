// The audit trail is tamper-evident: every event is sealed into a hash chain. Sealing gives each event
// the next sequence number and hash = SHA-256(previous hash, the event's fields), and the chain's head
// (last number and hash) is kept in its own row. Editing a sealed event changes its hash; deleting one
// leaves a gap or a broken link; deleting the newest ones leaves the head pointing past the end (unless
// the head is moved back too). Verify walks the chain and names the first event that breaks it. There is
// no secret in the hash: someone who can write to the database can append to the chain, or cut its end,
// unseen (docs/decisions.md, decision 22, says what is and is not detected).
//
// Events are written unsealed, in the transaction of the change they record, and sealed shortly after
// by the seal-audit job (docs/decisions.md, decision 22): sealing inside every transaction would make
// every audited change in the country wait for one lock.
import { createHash } from 'node:crypto';
import { inSnapshot } from '../platform/db/database.ts';
import type { AuditEventRow, Db, Executor } from '../platform/db/schema.ts';

export const GENESIS_HASH = '0'.repeat(64);

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

/** The hash of event number `seq` after `previousHash`. Its form never changes: old chains must verify. */
export function chainHash(previousHash: string, seq: number, event: ChainedFields): string {
  const fields = [
    seq,
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
  return createHash('sha256')
    .update(`${previousHash}\n${JSON.stringify(fields)}`)
    .digest('hex');
}

export interface ChainHead {
  seq: number;
  hash: string;
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

async function sealBatch(trx: Executor): Promise<number> {
  // Updating the head first takes its row lock, so two sealers (two processes) take turns.
  const head = await trx
    .updateTable('audit_chain_head')
    .set((eb) => ({ seq: eb('seq', '+', 0) }))
    .where('id', '=', 1)
    .returning(['seq', 'hash'])
    .executeTakeFirstOrThrow();
  const events = await unsealedBatch(trx).execute();
  let { seq, hash } = { seq: Number(head.seq), hash: head.hash };
  for (const event of events) {
    seq += 1;
    const previous = hash;
    hash = chainHash(previous, seq, event);
    await trx
      .updateTable('audit_events')
      .set({ seq, prev_hash: previous, hash })
      .where('id', '=', event.id)
      .where('seq', 'is', null)
      .execute();
  }
  if (events.length > 0)
    await trx.updateTable('audit_chain_head').set({ seq, hash }).where('id', '=', 1).execute();
  return events.length;
}

/** Seals every event written so far; answers how many. */
export async function sealAudit(db: Executor): Promise<number> {
  let sealed = 0;
  for (;;) {
    const batch = await db.transaction().execute(sealBatch);
    sealed += batch;
    if (batch < SEAL_BATCH) return sealed;
  }
}

export async function chainHead(db: Executor): Promise<ChainHead> {
  const head = await db
    .selectFrom('audit_chain_head')
    .select(['seq', 'hash'])
    .where('id', '=', 1)
    .executeTakeFirst();
  return head ? { seq: Number(head.seq), hash: head.hash } : { seq: 0, hash: GENESIS_HASH };
}

export interface ChainBreak {
  /** The sequence number where the chain breaks. */
  seq: number;
  /** The event's id, when there is an event there. */
  eventId?: string;
  reason: string;
}

export interface Verification {
  ok: boolean;
  /** Sealed events checked. */
  checked: number;
  /** Events not sealed yet (written since the job last ran). */
  unsealed: number;
  head: ChainHead;
  /** The first break, if any: everything after it is unproven. */
  broken?: ChainBreak;
  /** An anchor given to check: whether the chain still holds it. */
  anchor?: { seq: number; hash: string; found: boolean };
}

const PAGE = 2000;

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
export async function verifyAudit(db: Db, anchor?: ChainHead): Promise<Verification> {
  return inSnapshot(db, (trx) => verifyChain(trx, anchor));
}

async function verifyChain(db: Executor, anchor?: ChainHead): Promise<Verification> {
  const head = await chainHead(db);
  const unsealed = Number(
    (
      await db
        .selectFrom('audit_events')
        .select((eb) => eb.fn.countAll<number | string>().as('n'))
        .where('seq', 'is', null)
        .executeTakeFirstOrThrow()
    ).n,
  );
  let expectedSeq = 1;
  let previous = GENESIS_HASH;
  let anchorFound = false;
  let broken: ChainBreak | undefined;
  // Every numbered row from the lowest number, not from 1: a row numbered below 1 or past the head is
  // one the sealer never wrote, and would otherwise be shown by the Audit Log and its export unchecked.
  walk: for (let after: number | undefined; ; ) {
    let page = db.selectFrom('audit_events').selectAll().where('seq', 'is not', null);
    if (after !== undefined) page = page.where('seq', '>', after);
    const events = await page.orderBy('seq').limit(PAGE).execute();
    for (const event of events) {
      const seq = Number(event.seq);
      if (seq < 1 || seq > head.seq) {
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
      const hash = chainHash(previous, seq, event);
      if (hash !== event.hash) {
        broken = { seq, eventId: event.id, reason: `event ${seq} has been altered since it was sealed` };
        break walk;
      }
      if (anchor && seq === anchor.seq && hash === anchor.hash) anchorFound = true;
      previous = hash;
      expectedSeq += 1;
    }
    if (events.length < PAGE) break;
    after = expectedSeq - 1;
  }
  const checked = expectedSeq - 1;
  // No row lies past the head (checked above), so the walk can only end short of it or at it.
  if (!broken && checked < head.seq) {
    broken = {
      seq: checked + 1,
      reason: `the chain ends at event ${checked}, but ${head.seq} were sealed: the last ones have been deleted`,
    };
  } else if (!broken && previous !== head.hash) {
    broken = {
      seq: head.seq,
      reason: 'the chain does not end where its head says: the head has been altered',
    };
  }
  return {
    ok: !broken && (!anchor || anchorFound),
    checked,
    unsealed,
    head,
    ...(broken ? { broken } : {}),
    ...(anchor ? { anchor: { ...anchor, found: anchorFound } } : {}),
  };
}
