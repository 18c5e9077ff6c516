// Who a notification goes to, from the directory: a school's or an LA's address (School Maintenance,
// LEA details), or a user's own (falling back to their organisation's: many school users share the
// school office's address). And in which language (decision 30): a user's own choice (users.language);
// a school's or an LA's mailbox in Wales, Welsh then English; in England, English.
import type { Executor, NotificationOutboxTable } from '../platform/db/schema.ts';
import { DEFAULT_LANGUAGE, isLanguage } from '../platform/i18n/catalogue.ts';
import type { EmailLanguage } from './email.ts';

export interface Recipient {
  /** The address, or null when the directory has none. */
  address: string | null;
  /** Who it is, for the administrators' page and the report to the LA: "8171234 Ashby Meadow Primary". */
  name: string;
  /** The LA whose administrator looks after the recipient's details. */
  laNumber: string | null;
  language: EmailLanguage;
}

/** An organisation's mailbox is written to in Welsh and English when its LA is in Wales. */
async function mailboxLanguage(db: Executor, laNumber: string | null): Promise<EmailLanguage> {
  if (!laNumber) return DEFAULT_LANGUAGE;
  const row = await db
    .selectFrom('local_authorities')
    .select('country')
    .where('number', '=', laNumber)
    .executeTakeFirst();
  return row?.country === 'Wales' ? 'bilingual' : DEFAULT_LANGUAGE;
}

async function school(db: Executor, number: string): Promise<Recipient> {
  const row = await db
    .selectFrom('establishments')
    .select(['name', 'email', 'la_number'])
    .where('number', '=', number)
    .executeTakeFirst();
  const laNumber = row?.la_number ?? number.slice(0, 3);
  return {
    address: row?.email || null,
    name: `${number} ${row?.name ?? '(not in the directory)'}`,
    laNumber,
    language: await mailboxLanguage(db, laNumber),
  };
}

async function la(db: Executor, number: string): Promise<Recipient> {
  const row = await db
    .selectFrom('local_authorities')
    .select(['name', 'email', 'country'])
    .where('number', '=', number)
    .executeTakeFirst();
  return {
    address: row?.email || null,
    name: `${number} ${row?.name ?? '(not in the directory)'} LA`,
    laNumber: number,
    language: row?.country === 'Wales' ? 'bilingual' : DEFAULT_LANGUAGE,
  };
}

/**
 * The address a `user-at` notification goes to: its payload's `address` (decision 78: an email address
 * changed is told to the old address and the new, whatever the account's is when it is sent).
 */
function pinnedAddress(payload: string | undefined): string | null {
  if (!payload) return null;
  try {
    const facts = JSON.parse(payload) as { address?: unknown };
    return typeof facts.address === 'string' && facts.address.trim() ? facts.address.trim() : null;
  } catch {
    return null;
  }
}

/** Who a notification goes to; `payload` (the row's) is read for a `user-at` recipient's address. */
export async function resolveRecipient(
  db: Executor,
  kind: NotificationOutboxTable['recipient_kind'],
  id: string,
  payload?: string,
): Promise<Recipient> {
  if (kind === 'school') return school(db, id);
  if (kind === 'la') return la(db, id);
  const user = await db
    .selectFrom('users')
    .select(['username', 'email', 'establishment_number', 'la_number', 'deleted_at', 'language'])
    .where('id', '=', id)
    .executeTakeFirst();
  if (!user || user.deleted_at) {
    return { address: null, name: 'a user who no longer exists', laNumber: null, language: DEFAULT_LANGUAGE };
  }
  if (kind === 'user-at') {
    const address = pinnedAddress(payload);
    return {
      address,
      name: `user ${user.username} at ${address ?? 'an address not recorded'}`,
      laNumber: user.la_number,
      language: isLanguage(user.language) ? user.language : DEFAULT_LANGUAGE,
    };
  }
  const organisation = user.establishment_number
    ? await school(db, user.establishment_number)
    : user.la_number
      ? await la(db, user.la_number)
      : null;
  return {
    address: user.email || organisation?.address || null,
    name: `user ${user.username}`,
    laNumber: organisation?.laNumber ?? user.la_number,
    // The user's own choice, even when the email goes to their organisation's address.
    language: isLanguage(user.language) ? user.language : DEFAULT_LANGUAGE,
  };
}

/**
 * Whom to write to for some users of an LA: each user with an address of their own, and the LA's address
 * once for all those without one (written to each, they fell back to the LA's shared address, which got
 * the same email once per user).
 */
export function usersOrTheirLa(
  users: readonly { id: string; email: string | null }[],
  laNumber: string,
): { recipientKind: 'user' | 'la'; recipient: string }[] {
  const own = users.filter((user) => user.email);
  const targets: { recipientKind: 'user' | 'la'; recipient: string }[] = own.map((user) => ({
    recipientKind: 'user',
    recipient: user.id,
  }));
  if (own.length < users.length) targets.push({ recipientKind: 'la', recipient: laNumber });
  return targets;
}
