// Delete CTF files Audit Trail: the audit records of the CTFs an LA deleted or forwarded from "Delete files
// not collected by schools" (LA notes §5.3; transfers/la-monitor-service.ts), or forwarded on once their
// school rejected them, with the files they were about.
import type { Executor, TransferRow } from '../platform/db/schema.ts';

export interface LaFileAction {
  /** The audit record's time: when the file was deleted or forwarded. */
  at: string;
  action: 'file-removed' | 'file-forwarded';
  /** The LA that acted: the audit record's organisation. */
  laNumber: string;
  username: string | null;
  /** The audit record's detail (JSON), as written. */
  detail: string | null;
  file: TransferRow;
}

export interface LaFileActionQuery {
  /** The LA, or null for every LA (each LA's own actions on files addressed to it). */
  laNumber: string | null;
  since: string | null;
  until: string;
}

/**
 * The LA's own deletions and forwards of CTFs addressed to its schools or to itself, or of the copies it
 * forwarded (with no LA, every LA's), oldest first: audit records made by the LA's users (organisation =
 * the LA's number; a school's organisation is its 7-digit number) about a CTF whose destination is in
 * the LA, or a copy the LA forwarded (forwarding_la): a copy that a school of another LA rejected is
 * the forwarding LA's to forward on (docs/decisions.md, 37). The caller tells an LA's deletion from the
 * LA withdrawing a file it sent, and a forwarded original from the copy, by the detail.
 */
export async function laFileActions(db: Executor, query: LaFileActionQuery): Promise<LaFileAction[]> {
  let q = db
    .selectFrom('audit_events')
    .innerJoin('transfers', 'transfers.id', 'audit_events.subject_id')
    .selectAll('transfers')
    .select([
      'audit_events.occurred_at as action_at',
      'audit_events.action as action_name',
      'audit_events.actor_username as action_username',
      'audit_events.detail as action_detail',
      'audit_events.id as action_id',
      'audit_events.organisation as action_organisation',
    ])
    .where('audit_events.action', 'in', ['file-removed', 'file-forwarded'])
    .where('audit_events.subject_type', '=', 'transfer')
    .where('transfers.category', '=', 'ctf')
    .where('transfers.dest_kind', 'in', ['school', 'la'])
    .where('audit_events.occurred_at', '<', query.until);
  const laNumber = query.laNumber;
  q =
    laNumber === null
      ? q.where((eb) =>
          eb.or([
            eb('audit_events.organisation', '=', eb.ref('transfers.dest_la')),
            eb('audit_events.organisation', '=', eb.ref('transfers.forwarding_la')),
          ]),
        )
      : q
          .where('audit_events.organisation', '=', laNumber)
          .where((eb) =>
            eb.or([eb('transfers.dest_la', '=', laNumber), eb('transfers.forwarding_la', '=', laNumber)]),
          );
  if (query.since) q = q.where('audit_events.occurred_at', '>=', query.since);
  const rows = await q.orderBy('audit_events.occurred_at').orderBy('audit_events.id').execute();
  return rows.map(
    ({
      action_at,
      action_name,
      action_username,
      action_detail,
      action_organisation,
      action_id: _id,
      ...file
    }) => ({
      at: action_at,
      action: action_name as LaFileAction['action'],
      laNumber: action_organisation ?? '',
      username: action_username,
      detail: action_detail,
      file,
    }),
  );
}
