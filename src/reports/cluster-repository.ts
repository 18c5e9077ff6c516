// LEA Cluster Report (LA notes §7.3): the CTFs sent from one LA's schools (or the LA) to another's schools
// (or the LA), counted by the pair of LAs, with their pupil records.
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

/** Every pair of LAs with at least one CTF between them, by sending LA then receiving LA. */
export async function clusterPairs(db: Executor, query: ClusterQuery): Promise<ClusterPair[]> {
  if (query.las !== null && query.las.length === 0) return [];
  let q = db
    .selectFrom('transfers')
    .select((eb) => [
      'source_la',
      'dest_la',
      eb.fn.countAll<string | number>().as('files'),
      eb.fn.sum<string | number>('pupil_count').as('pupils'),
    ])
    .where('category', '=', 'ctf')
    .where('dest_kind', 'in', ['school', 'la'])
    .where('dest_la', 'is not', null)
    .where('uploaded_at', '<', query.until);
  if (query.since) q = q.where('uploaded_at', '>=', query.since);
  if (query.las) q = q.where('source_la', 'in', query.las).where('dest_la', 'in', query.las);
  const rows = await q.groupBy(['source_la', 'dest_la']).orderBy('source_la').orderBy('dest_la').execute();
  return rows.map((row) => ({
    fromLa: row.source_la,
    toLa: row.dest_la as string,
    files: toCount(row.files),
    pupils: toCount(row.pupils),
  }));
}
