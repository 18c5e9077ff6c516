// The SQL of the administrators' Notifications page that the outbox itself does not hold: who the
// recipients of a page of notifications are, by name, in one query per kind of recipient.
import type { Executor, NotificationOutboxTable } from '../platform/db/schema.ts';

export type RecipientKind = NotificationOutboxTable['recipient_kind'];

/** The key of a recipient in the map recipientNames returns. */
export function recipientKey(kind: RecipientKind, id: string): string {
  return `${kind}:${id}`;
}

/**
 * The names of the schools and LAs, and the usernames of the users, that these notifications go to.
 * A recipient no longer in the directory is missing from the map.
 */
export async function recipientNames(
  db: Executor,
  recipients: readonly { recipient_kind: RecipientKind; recipient: string }[],
): Promise<Map<string, string>> {
  const ids = (kind: RecipientKind) => [
    ...new Set(recipients.filter((r) => r.recipient_kind === kind).map((r) => r.recipient)),
  ];
  const schools = ids('school');
  const las = ids('la');
  const users = ids('user');
  const names = new Map<string, string>();
  if (schools.length > 0) {
    const rows = await db
      .selectFrom('establishments')
      .select(['number', 'name'])
      .where('number', 'in', schools)
      .execute();
    for (const row of rows) names.set(recipientKey('school', row.number), row.name);
  }
  if (las.length > 0) {
    const rows = await db
      .selectFrom('local_authorities')
      .select(['number', 'name'])
      .where('number', 'in', las)
      .execute();
    for (const row of rows) names.set(recipientKey('la', row.number), row.name);
  }
  // A user at an address given (decision 78): by username too.
  const pinned = ids('user-at');
  const userIds = [...new Set([...users, ...pinned])];
  if (userIds.length > 0) {
    const rows = await db.selectFrom('users').select(['id', 'username']).where('id', 'in', userIds).execute();
    for (const row of rows) {
      if (users.includes(row.id)) names.set(recipientKey('user', row.id), row.username);
      if (pinned.includes(row.id)) names.set(recipientKey('user-at', row.id), row.username);
    }
  }
  return names;
}
