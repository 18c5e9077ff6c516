// Every table the migrations create, in foreign-key order: a table refers only to tables before it (or,
// for transfers.forwarded_from, to itself), so a restore inserts them in this order and never breaks a
// reference. The `satisfies` below makes a table added to schema.ts without a place here a type error,
// and test/backup/tables.test.ts checks the order against the foreign keys the migrations declare.
import type { Database } from '../platform/db/schema.ts';

export interface TableSpec {
  /** The primary key's columns: a backup reads the table in this order, a page at a time. */
  key: readonly string[];
  /** A column referring to this same table's (single-column) key: restored once every row is in. */
  selfReference?: string;
  /** The table has `storage_key` (a stored file, encrypted) and `master_key_id` columns. */
  files?: true;
  /** The table has a `master_key_id` column (something sealed under the master key). */
  sealed?: true;
  /**
   * The rows of another table that hold details read from a row's stored file, and are deleted with its
   * content when it is purged (transfers/download-repository.ts, markPurged): `column` names this
   * table's key. A backup that finds a file purged while it ran leaves them out with the content.
   */
  purgedWith?: { table: string; column: string };
}

export const TABLES = {
  local_authorities: { key: ['number'] },
  establishments: { key: ['number'] },
  establishment_import_rows: { key: ['import_id', 'number'] },
  users: { key: ['id'] },
  sessions: { key: ['id'] },
  sign_in_attempts: { key: ['id'] },
  two_factor_secrets: { key: ['user_id'], sealed: true },
  two_factor_recovery_codes: { key: ['id'] },
  api_tokens: { key: ['id'] },
  oidc_identities: { key: ['id'] },
  audit_events: { key: ['id'] },
  audit_chain_head: { key: ['id'] },
  audit_chain_breaks: { key: ['id'] },
  transfers: {
    key: ['id'],
    selfReference: 'forwarded_from',
    files: true,
    sealed: true,
    purgedWith: { table: 'transfer_pupils', column: 'transfer_id' },
  },
  transfer_pupils: { key: ['transfer_id', 'position'] },
  notification_outbox: { key: ['id'] },
  job_runs: { key: ['id'] },
  lost_pupils: { key: ['id'] },
  lost_pupil_keys: { key: ['lost_pupil_id', 'key'] },
  lost_pupil_downloads: { key: ['lost_pupil_id', 'user_id'] },
  messages: { key: ['id'] },
  message_recipients: { key: ['message_id', 'mailbox'] },
  message_templates: { key: ['id'] },
  message_groups: { key: ['id'] },
  message_group_members: { key: ['group_id', 'mailbox'] },
  data_collections: { key: ['id'] },
  data_collection_las: { key: ['collection_id', 'la_number'] },
  census_returns: { key: ['id'], files: true, sealed: true },
  census_return_findings: { key: ['id'] },
  census_return_events: { key: ['id'] },
  lost_pupil_matches: { key: ['id'] },
  rate_limits: { key: ['key', 'window_start'] },
} as const satisfies Record<keyof Database, TableSpec>;

export type TableName = keyof typeof TABLES;

/** The tables in foreign-key order. */
export const TABLE_ORDER = Object.keys(TABLES) as TableName[];

export function isTableName(name: string): name is TableName {
  return Object.hasOwn(TABLES, name);
}

export function specOf(table: TableName): TableSpec {
  return TABLES[table];
}
