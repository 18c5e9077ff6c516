// LEA Cluster Report (LA notes §7.3): the CTFs sent from one LA's schools (or the LA) to another's schools
// (or the LA), counted by the pair of LAs, with their pupil records.
//
// A CTF an LA forwarded (transfers/forward-service.ts) is a copy that keeps the school that made it as its
// source (a lost pupil's is sent in the forwarding LA's name). Counted as its own source says, it would
// count the same pupils twice between the same LAs (the original, sent to the LA or to the wrong school,
// is counted already). So each copy counts from where the file was when the LA forwarded it:
// - an original delivered to an LA (to one of its schools, or to the LA itself): from the LA that
//   forwarded it (forwarding_la; that LA, the only one that forwards what is addressed to it), and only
//   when the copy goes to another LA's school (a forward within the LA moves nothing between LAs). A copy
//   its school rejected that the LA forwards on (docs/decisions.md, 37) was with the forwarding LA too,
//   not with the school that rejected it: a copy rejected in another LA and forwarded back to one of
//   the LA's own schools moves nothing between LAs;
// - an original sent to the Lost Pupils Database, which is no LA: from the LA of the school that sent it
//   (the original is not counted, so the copy is the pupil's move between LAs; a copy its school rejected
//   and the one forwarded again from the database are two files, as a file a school rejects and its
//   sender sends again is: decision 38).
import { sql } from 'kysely';
import { toCount } from '../platform/db/database.ts';
import type { Executor } from '../platform/db/schema.ts';

export interface ClusterPair {
  fromLa: string;
  toLa: string;
  files: number;
  pupils: number;
}

export interface ClusterQuery {
  /** The LAs reported on (both ends must be one of them), or null for every LA. */
  las: string[] | null;
  /** Files uploaded at or after (when given), and before. */
  since: string | null;
  until: string;
}

/**
 * Whether the file (`table`: its name or alias) moved its pupils: not one quarantined (never offered), nor
 * one removed before it was collected (by its sender, sent in error, or by an LA's Delete), as General
 * Usage does not count them received (decision 65). An original removed because an LA forwarded it on is
 * counted, as above.
 */
function movedPupils(table: string) {
  const status = sql.ref<string>(`${table}.status`);
  return sql<boolean>`(${status} <> 'quarantined' and (${status} <> 'removed' or exists (
    select 1 from transfers onward where onward.forwarded_from = ${sql.ref(`${table}.id`)})))`;
}

/** Every pair of LAs with at least one CTF between them, by sending LA then receiving LA. */
export async function clusterPairs(db: Executor, query: ClusterQuery): Promise<ClusterPair[]> {
  if (query.las !== null && query.las.length === 0) return [];
  let sent = db
    .selectFrom('transfers')
    .select((eb) => [
      'source_la as from_la',
      'dest_la as to_la',
      eb.fn.countAll<string | number>().as('files'),
      eb.fn.sum<string | number>('pupil_count').as('pupils'),
    ])
    .where('category', '=', 'ctf')
    .where('dest_kind', 'in', ['school', 'la'])
    .where('dest_la', 'is not', null)
    .where('forwarded_from', 'is', null)
    .where(movedPupils('transfers'))
    .where('uploaded_at', '<', query.until);
  if (query.since) sent = sent.where('uploaded_at', '>=', query.since);
  if (query.las) sent = sent.where('source_la', 'in', query.las).where('dest_la', 'in', query.las);

  // The forwarded copies (a forward's time is its copy's upload time), with their originals.
  let copies = db
    .selectFrom('transfers as c')
    .innerJoin('transfers as o', 'o.id', 'c.forwarded_from')
    .where('c.category', '=', 'ctf')
    .where('c.dest_kind', 'in', ['school', 'la'])
    .where('c.dest_la', 'is not', null)
    .where('c.forwarded_from', 'is not', null)
    .where(movedPupils('c'))
    .where('c.uploaded_at', '<', query.until);
  if (query.since) copies = copies.where('c.uploaded_at', '>=', query.since);
  if (query.las) copies = copies.where('c.dest_la', 'in', query.las);
  // The forwarding LA; a copy made before forwarding_la was recorded has none, its original's LA for it.
  const forwardingLa = sql<string>`coalesce(c.forwarding_la, o.dest_la)`;
  let fromLa = copies
    .select((eb) => [
      forwardingLa.as('from_la'),
      'c.dest_la as to_la',
      eb.fn.countAll<string | number>().as('files'),
      eb.fn.sum<string | number>('c.pupil_count').as('pupils'),
    ])
    .where('o.dest_kind', 'in', ['school', 'la'])
    .where(forwardingLa, '<>', sql.ref<string>('c.dest_la'));
  if (query.las) fromLa = fromLa.where(forwardingLa, 'in', query.las);
  let fromLostPupils = copies
    .select((eb) => [
      'o.source_la as from_la',
      'c.dest_la as to_la',
      eb.fn.countAll<string | number>().as('files'),
      eb.fn.sum<string | number>('c.pupil_count').as('pupils'),
    ])
    .where('o.dest_kind', '=', 'lost-pupils');
  if (query.las) fromLostPupils = fromLostPupils.where('o.source_la', 'in', query.las);

  const counted = await Promise.all([
    sent.groupBy(['source_la', 'dest_la']).execute(),
    fromLa.groupBy([forwardingLa, 'c.dest_la']).execute(),
    fromLostPupils.groupBy(['o.source_la', 'c.dest_la']).execute(),
  ]);
  const pairs = new Map<string, ClusterPair>();
  for (const row of counted.flat()) {
    const fromLa = row.from_la as string;
    const toLa = row.to_la as string;
    const key = `${fromLa}-${toLa}`;
    const pair = pairs.get(key) ?? { fromLa, toLa, files: 0, pupils: 0 };
    pair.files += toCount(row.files);
    pair.pupils += toCount(row.pupils);
    pairs.set(key, pair);
  }
  return [...pairs.values()].sort((a, b) => a.fromLa.localeCompare(b.fromLa) || a.toLa.localeCompare(b.toLa));
}
