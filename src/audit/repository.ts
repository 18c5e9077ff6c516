import { randomUUID } from 'node:crypto';
import { type ExpressionBuilder, sql } from 'kysely';
import { rowsInserted } from '../platform/db/insert-once.ts';
import type { AuditEventRow, Database, Executor } from '../platform/db/schema.ts';
import { eventMacColumns } from './chain.ts';
import { auditKeysOf } from './keys.ts';

export interface AuditEvent {
  at: Date;
  actorUserId?: string | null;
  actorUsername?: string | null;
  /** The organisation acted for or upon: an LA number, an establishment number, or null (national). */
  organisation?: string | null;
  action: AuditAction;
  subjectType?: string;
  subjectId?: string;
  /** Facts about the change; never passwords or pupil data. */
  detail?: Record<string, unknown>;
  /**
   * The event's id, when the change is one a form makes once (the form's id, made as its page was
   * drawn): the same form posted again finds the event. A new one otherwise.
   */
  id?: string;
}

export type AuditAction =
  | 'sign-in'
  | 'sign-in-failed'
  | 'sign-out'
  | 'password-changed'
  | 'password-reset'
  | 'two-factor-enrolled'
  | 'two-factor-turned-off'
  | 'two-factor-reset'
  | 'sign-in-pause-lifted'
  | 'recovery-code-used'
  | 'recovery-codes-replaced'
  | 'oidc-linked'
  | 'oidc-unlinked'
  | 'user-added'
  | 'user-role-changed'
  | 'user-details-changed'
  | 'user-deleted'
  | 'school-added'
  | 'school-updated'
  | 'school-deleted'
  | 'la-details-updated'
  | 'establishments-imported'
  | 'file-uploaded'
  | 'upload-refused'
  | 'file-downloaded'
  | 'file-collected'
  | 'file-rejected'
  | 'file-redownloaded'
  | 'file-removed'
  | 'file-forwarded'
  | 'file-purged'
  | 'file-scanned'
  | 'file-quarantined'
  | 'lost-pupil-removed'
  | 'lost-pupil-downloaded'
  | 'lost-pupil-found'
  | 'lost-pupil-lost-again'
  | 'lost-pupil-match-closed'
  | 'message-sent'
  | 'message-replied'
  | 'message-deleted'
  | 'emails-sent-again'
  | 'job-run-by-hand'
  | 'message-template-added'
  | 'message-template-updated'
  | 'message-template-copied'
  | 'message-template-deleted'
  | 'message-group-added'
  | 'message-group-updated'
  | 'message-group-deleted'
  | 'data-collection-added'
  | 'data-collection-updated'
  | 'data-collection-closed'
  | 'data-collection-reopened'
  | 'census-return-loaded'
  | 'census-return-refused'
  | 'census-query-answered'
  | 'census-return-submitted'
  | 'census-return-note-added'
  | 'census-return-returned'
  | 'census-return-approved'
  | 'token-created'
  | 'token-revoked'
  | 'master-key-rotated'
  | 'audit-break-accepted';

/**
 * Append-only: there is deliberately no update or delete here. The event gets its MAC under the audit
 * key the database handle carries (keys.ts, withAuditKeys: every way into s2s gives it). A handle
 * without it is refused before anything is written: its event would have no MAC, and be sealed marked
 * as unproven, exactly as one inserted by someone without the key. Computing the MAC takes no lock: it
 * is a hash of the event alone.
 */
export async function recordAudit(db: Executor, event: AuditEvent): Promise<void> {
  const row = auditRow(event);
  await db
    .insertInto('audit_events')
    .values({ ...row, ...eventMacColumns(auditKeysOf(db), row) })
    .execute();
}

/**
 * Records the event unless one with its id is there already (then false, and nothing is written): for an
 * event that is itself what a form does once, such as a refusal (the id made from the form's id and what
 * was refused). An event with that id written at once waits for the other's insert on PostgreSQL (its
 * primary key), then inserts nothing.
 */
export async function recordAuditOnce(db: Executor, event: AuditEvent & { id: string }): Promise<boolean> {
  const row = auditRow(event);
  const result = await db
    .insertInto('audit_events')
    .values({ ...row, ...eventMacColumns(auditKeysOf(db), row) })
    .onConflict((oc) => oc.column('id').doNothing())
    .executeTakeFirst();
  return rowsInserted(result) > 0;
}

function auditRow(event: AuditEvent) {
  return {
    id: event.id ?? randomUUID(),
    occurred_at: event.at.toISOString(),
    actor_user_id: event.actorUserId ?? null,
    actor_username: event.actorUsername ?? null,
    organisation: event.organisation ?? null,
    action: event.action,
    subject_type: event.subjectType ?? null,
    subject_id: event.subjectId ?? null,
    detail: event.detail ? JSON.stringify(event.detail) : null,
  };
}

/**
 * Whether the user did `action` to the subject at or after `since`, as the audit trail records it: read
 * along the organisation's events from then (the index audit_events_organisation), so the same form
 * posted again can be told it was done already, rather than that what it names does not exist.
 */
export async function didSince(
  db: Executor,
  done: {
    organisation: string | null;
    actorUserId: string;
    action: AuditAction;
    subjectId: string;
    since: Date;
  },
): Promise<boolean> {
  const found = await db
    .selectFrom('audit_events')
    .select('id')
    .where((eb) =>
      done.organisation === null
        ? eb('organisation', 'is', null)
        : eb('organisation', '=', done.organisation),
    )
    .where('occurred_at', '>=', done.since.toISOString())
    .where('action', '=', done.action)
    .where('subject_id', '=', done.subjectId)
    .where('actor_user_id', '=', done.actorUserId)
    .executeTakeFirst();
  return found !== undefined;
}

/** What a DBA looks for in the Audit Log: each given narrows it; none given is every event. */
export interface AuditFilter {
  /** Who did it, whatever the case (the index audit_events_actor_username, migration 055). */
  username?: string;
  action?: string;
  /** ISO instants: at or after `since`, before `until`. */
  since?: string | null;
  until?: string | null;
}

export interface AuditQuery {
  /** Only events of this LA and its schools; all when absent. */
  laNumber?: string;
  filter?: AuditFilter;
  limit: number;
  offset: number;
}

/** A page of the events in scope that match the filter, newest first. */
export function auditPageQuery(db: Executor, query: AuditQuery) {
  let q = db.selectFrom('audit_events').selectAll();
  if (query.laNumber) q = q.where(ofLa(query.laNumber));
  if (query.filter && isFiltered(query.filter)) q = q.where(matching(query.filter));
  return q.orderBy('occurred_at', 'desc').orderBy('id').limit(query.limit).offset(query.offset);
}

export async function listAudit(db: Executor, query: AuditQuery): Promise<AuditEventRow[]> {
  return auditPageQuery(db, query).execute();
}

/** Whether the filter narrows the events at all. */
export function isFiltered(filter: AuditFilter): boolean {
  return Object.values(filter).some((value) => value);
}

/** The events the filter matches. */
export function matching(filter: AuditFilter) {
  return (eb: ExpressionBuilder<Database, 'audit_events'>) => {
    const conditions = [];
    if (filter.username) {
      conditions.push(eb(eb.fn('lower', ['actor_username']), '=', filter.username.toLowerCase()));
    }
    if (filter.action) conditions.push(eb('action', '=', filter.action));
    if (filter.since) conditions.push(eb('occurred_at', '>=', filter.since));
    if (filter.until) conditions.push(eb('occurred_at', '<', filter.until));
    return eb.and(conditions);
  };
}

/**
 * The LA an event's organisation belongs to, the expression the indexes audit_events_la and
 * audit_events_la_action (migration 056) are made on, word for word (SQLite uses an expression index only
 * for the same expression): an LA's number is three characters, an establishment number the LA's and
 * four more; anything else (none, for national events) belongs to no LA.
 */
const LA_OF_ORGANISATION = sql<
  string | null
>`(case when length(organisation) in (3, 7) then substr(organisation, 1, 3) end)`;

/**
 * Events of the LA and of its schools (an establishment number is the LA number and four digits): read
 * through the LA's index entries, newest first, so a page stops at the page. The same events as the
 * LA's number or `LIKE` its number and four characters (test/audit/filters.test.ts): one equality, which
 * the planner estimates as the LA's share, rather than a second condition it would take as narrowing
 * further. A number that is not three digits (`s2s audit export --la` takes any) is compared as before.
 */
export function ofLa(laNumber: string) {
  return (eb: ExpressionBuilder<Database, 'audit_events'>) =>
    /^\d{3}$/.test(laNumber)
      ? eb(LA_OF_ORGANISATION, '=', laNumber)
      : eb.or([eb('organisation', '=', laNumber), eb('organisation', 'like', `${laNumber}____`)]);
}
