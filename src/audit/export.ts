// The audit trail as CSV, for the national administrator (all of it) and an LA's DBA (its LA and its
// schools), from the Audit Log page or `s2s audit export`. Each event comes with its place in the hash
// chain, so an exported line can be matched with what `s2s audit verify` proved. Rows are read a page
// at a time, so the whole national trail streams in constant memory.
import { keysetRows } from '../platform/db/keyset.ts';
import type { AuditEventRow, Executor } from '../platform/db/schema.ts';
import type { CsvValue } from '../reports/csv.ts';
import { type AuditFilter, isFiltered, matching, ofLa } from './repository.ts';

export const AUDIT_CSV_HEADER = [
  'Sequence',
  'Occurred (UTC)',
  'Actor username',
  'Actor user id',
  'Organisation',
  'Action',
  'Subject type',
  'Subject id',
  'Detail',
  'Previous hash',
  'Hash',
];

const PAGE = 1000;

export interface AuditExportScope {
  /** Only this LA's events and its schools'; everything when absent. */
  laNumber?: string;
}

function line(row: AuditEventRow): CsvValue[] {
  return [
    row.seq,
    row.occurred_at,
    row.actor_username,
    row.actor_user_id,
    row.organisation,
    row.action,
    row.subject_type,
    row.subject_id,
    row.detail,
    row.prev_hash,
    row.hash,
  ];
}

/**
 * Oldest first, by time then id (unsealed events have no sequence number yet); only those `filter`
 * matches when given (the Audit Log page's filters: its CSV holds what the page lists).
 */
export async function* auditCsvRows(
  db: Executor,
  scope: AuditExportScope,
  filter: AuditFilter = {},
): AsyncIterable<CsvValue[]> {
  const events = keysetRows(
    (after: { at: string; id: string } | null, limit) => {
      let query = db.selectFrom('audit_events').selectAll();
      if (scope.laNumber) query = query.where(ofLa(scope.laNumber));
      if (isFiltered(filter)) query = query.where(matching(filter));
      if (after) {
        const { at, id } = after;
        query = query.where((eb) =>
          eb.or([eb('occurred_at', '>', at), eb.and([eb('occurred_at', '=', at), eb('id', '>', id)])]),
        );
      }
      return query.orderBy('occurred_at').orderBy('id').limit(limit).execute();
    },
    (row) => ({ at: row.occurred_at, id: row.id }),
    PAGE,
  );
  for await (const row of events) yield line(row);
}

/** "audit-log-2026-12-02.csv", or "audit-log-916-2026-12-02.csv" for an LA's part. */
export function auditCsvFilename(scope: AuditExportScope, today: string): string {
  return scope.laNumber ? `audit-log-${scope.laNumber}-${today}.csv` : `audit-log-${today}.csv`;
}
