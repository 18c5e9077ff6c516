// The SQL behind the weekly reminder and the report of missing email addresses (reminders.ts), and the
// home page's count of organisations that missed emails. Each function takes an Executor.
import type { ExpressionBuilder } from 'kysely';
import type { Database, Executor, TransferRow } from '../platform/db/schema.ts';

/**
 * Files a school, an LA or an LA inbox downloads: every destination but the Lost Pupils Database, whose
 * files wait there for a search, not for a download.
 */
const DOWNLOADED_DESTINATIONS = ['school', 'la', 'la-inbox'] as const;

function waitingBefore(uploadedBefore: string) {
  return (eb: ExpressionBuilder<Database, 'transfers'>) =>
    eb.and([
      eb('status', '=', 'available'),
      eb('dest_kind', 'in', DOWNLOADED_DESTINATIONS),
      eb('uploaded_at', '<', uploadedBefore),
    ]);
}

/** The LAs (numbers, in order) with files waiting at the LA, its inboxes or its schools. */
export async function lasWithFilesWaiting(db: Executor, uploadedBefore: string): Promise<string[]> {
  const rows = await db
    .selectFrom('transfers')
    .select('dest_la')
    .distinct()
    .where(waitingBefore(uploadedBefore))
    .where('dest_la', 'is not', null)
    .orderBy('dest_la')
    .execute();
  return rows.flatMap((row) => (row.dest_la ? [row.dest_la] : []));
}

/**
 * Files waiting to be collected, uploaded before an instant (ISO), at an LA itself (LLLL), its PLASC and
 * admissions inboxes and its schools; oldest upload first. Downloaded but not yet said to be downloaded
 * correctly is still waiting (last_downloaded_at tells those apart).
 */
export async function filesWaitingInLa(
  db: Executor,
  laNumber: string,
  uploadedBefore: string,
): Promise<TransferRow[]> {
  return db
    .selectFrom('transfers')
    .selectAll()
    .where('dest_la', '=', laNumber)
    .where(waitingBefore(uploadedBefore))
    .orderBy('uploaded_at')
    .orderBy('id')
    .execute();
}

/** An organisation some of whose notifications could not be sent: it has no email address. */
export interface OrganisationWithoutAddress {
  kind: 'school' | 'la';
  /** The establishment number, or the LA number for the LA itself. */
  number: string;
  /** Its name in the directory. */
  name: string;
  /** The LA whose administrator keeps its details. */
  laNumber: string;
  /** How many of its notifications (to it, or to its users) were not sent. */
  notifications: number;
}

export interface NoAddressQuery {
  /** Notifications attempted at or after this instant (ISO)... */
  since: string;
  /** ...and before this one (ISO), when given. */
  until?: string;
  /** Only the organisations of this LA. */
  laNumber?: string;
  /** Templates not to count. */
  excludeTemplates?: readonly string[];
}

type OutboxExpression = ExpressionBuilder<Database, 'notification_outbox'>;

/**
 * Organisations with notifications marked no-address in a period that still have no email address:
 * a school, or an LA itself, counting the notifications to it and to its users (a user with no address
 * of their own is written to at their organisation's; delivery.ts). Deleted users are left out: their
 * notifications fail because the user is gone, not for want of an address.
 *
 * The outbox keeps no time for a no-address outcome, so the period is of `next_attempt_at`: the time
 * the attempt that found no address was due (the delivery job runs every 20 seconds, and the address is
 * checked first, so it is the time of that attempt within seconds).
 *
 * LA first, then schools by number.
 */
export async function organisationsWithoutAddress(
  db: Executor,
  query: NoAddressQuery,
): Promise<OrganisationWithoutAddress[]> {
  const undelivered = (eb: OutboxExpression, kind: 'school' | 'la' | 'user') => {
    const conditions = [
      eb('notification_outbox.recipient_kind', '=', kind),
      eb('notification_outbox.status', '=', 'no-address'),
      eb('notification_outbox.next_attempt_at', '>=', query.since),
    ];
    if (query.until !== undefined)
      conditions.push(eb('notification_outbox.next_attempt_at', '<', query.until));
    if (query.excludeTemplates && query.excludeTemplates.length > 0) {
      conditions.push(eb('notification_outbox.template', 'not in', query.excludeTemplates));
    }
    return eb.and(conditions);
  };

  let toSchools = db
    .selectFrom('notification_outbox')
    .innerJoin('establishments', 'establishments.number', 'notification_outbox.recipient')
    .select((eb) => [
      'establishments.number as number',
      'establishments.name as name',
      'establishments.la_number as laNumber',
      eb.fn.countAll().as('n'),
    ])
    .where((eb) => undelivered(eb, 'school'))
    .where((eb) => eb.or([eb('establishments.email', 'is', null), eb('establishments.email', '=', '')]))
    .groupBy(['establishments.number', 'establishments.name', 'establishments.la_number']);
  let toSchoolUsers = db
    .selectFrom('notification_outbox')
    .innerJoin('users', 'users.id', 'notification_outbox.recipient')
    .innerJoin('establishments', 'establishments.number', 'users.establishment_number')
    .select((eb) => [
      'establishments.number as number',
      'establishments.name as name',
      'establishments.la_number as laNumber',
      eb.fn.countAll().as('n'),
    ])
    .where((eb) => undelivered(eb, 'user'))
    .where('users.deleted_at', 'is', null)
    .where((eb) => eb.or([eb('establishments.email', 'is', null), eb('establishments.email', '=', '')]))
    .groupBy(['establishments.number', 'establishments.name', 'establishments.la_number']);
  let toLas = db
    .selectFrom('notification_outbox')
    .innerJoin('local_authorities', 'local_authorities.number', 'notification_outbox.recipient')
    .select((eb) => [
      'local_authorities.number as number',
      'local_authorities.name as name',
      eb.fn.countAll().as('n'),
    ])
    .where((eb) => undelivered(eb, 'la'))
    .where((eb) => eb.or([eb('local_authorities.email', 'is', null), eb('local_authorities.email', '=', '')]))
    .groupBy(['local_authorities.number', 'local_authorities.name']);
  let toLaUsers = db
    .selectFrom('notification_outbox')
    .innerJoin('users', 'users.id', 'notification_outbox.recipient')
    .innerJoin('local_authorities', 'local_authorities.number', 'users.la_number')
    .select((eb) => [
      'local_authorities.number as number',
      'local_authorities.name as name',
      eb.fn.countAll().as('n'),
    ])
    .where((eb) => undelivered(eb, 'user'))
    .where('users.deleted_at', 'is', null)
    .where('users.establishment_number', 'is', null)
    .where((eb) => eb.or([eb('local_authorities.email', 'is', null), eb('local_authorities.email', '=', '')]))
    .groupBy(['local_authorities.number', 'local_authorities.name']);
  if (query.laNumber !== undefined) {
    toSchools = toSchools.where('establishments.la_number', '=', query.laNumber);
    toSchoolUsers = toSchoolUsers.where('establishments.la_number', '=', query.laNumber);
    toLas = toLas.where('local_authorities.number', '=', query.laNumber);
    toLaUsers = toLaUsers.where('local_authorities.number', '=', query.laNumber);
  }

  const found = new Map<string, OrganisationWithoutAddress>();
  const add = (organisation: Omit<OrganisationWithoutAddress, 'notifications'>, n: unknown) => {
    const key = `${organisation.kind}:${organisation.number}`;
    const existing = found.get(key);
    if (existing) existing.notifications += Number(n);
    else found.set(key, { ...organisation, notifications: Number(n) });
  };
  for (const row of [...(await toSchools.execute()), ...(await toSchoolUsers.execute())]) {
    add({ kind: 'school', number: row.number, name: row.name, laNumber: row.laNumber }, row.n);
  }
  for (const row of [...(await toLas.execute()), ...(await toLaUsers.execute())]) {
    add({ kind: 'la', number: row.number, name: row.name, laNumber: row.number }, row.n);
  }
  return [...found.values()].sort(
    (a, b) =>
      (a.kind === b.kind ? 0 : a.kind === 'la' ? -1 : 1) ||
      (a.number < b.number ? -1 : a.number > b.number ? 1 : 0),
  );
}

/** The names of LAs, by number (those not in the directory are left out). */
export async function laNames(db: Executor, numbers: readonly string[]): Promise<Map<string, string>> {
  if (numbers.length === 0) return new Map();
  const rows = await db
    .selectFrom('local_authorities')
    .select(['number', 'name'])
    .where('number', 'in', [...numbers])
    .execute();
  return new Map(rows.map((row) => [row.number, row.name]));
}
