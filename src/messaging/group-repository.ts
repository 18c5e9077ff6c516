// The SQL of Message Address Groups (handbook §11 "Create Groups"): a named list of mailboxes
// (mailboxes.ts) that its owner sends a message to in one go. A group belongs to the user who made it
// and nobody else sees it, so every lookup here is by owner as well as by id.
//
// Each function takes an Executor, so group-service.ts writes a group, its members and its audit
// record in one transaction; Send Message reads groups through groupsOwnedBy and groupMemberKeys.
import type { Transaction } from 'kysely';
import { serialiseOn } from '../platform/db/database.ts';
import { rowsInserted } from '../platform/db/insert-once.ts';
import type { Database, Executor, MessageGroupRow } from '../platform/db/schema.ts';

/** Names as people read them: case and accents aside, then exactly, so both engines agree. */
const byName = new Intl.Collator('en-GB', { sensitivity: 'base', numeric: true });
/** Two names that differ only in case are the same name. */
const sameName = new Intl.Collator('en-GB', { sensitivity: 'accent' });

/** The user's groups, by name, each with how many members it has. */
export async function groupsOwnedBy(
  db: Executor,
  userId: string,
): Promise<(MessageGroupRow & { members: number })[]> {
  const rows = await db
    .selectFrom('message_groups as g')
    .leftJoin('message_group_members as m', 'm.group_id', 'g.id')
    .select(['g.id', 'g.owner_user_id', 'g.name', 'g.created_at', 'g.updated_at'])
    .select((eb) => eb.fn.count<number | string | bigint>('m.mailbox').as('members'))
    .where('g.owner_user_id', '=', userId)
    .groupBy(['g.id', 'g.owner_user_id', 'g.name', 'g.created_at', 'g.updated_at'])
    .execute();
  return rows
    .map((row) => ({ ...row, members: Number(row.members) }))
    .sort(
      (a, b) =>
        byName.compare(a.name, b.name) ||
        (a.name < b.name ? -1 : a.name > b.name ? 1 : 0) ||
        (a.id < b.id ? -1 : 1),
    );
}

/** The mailbox keys of a group's members ('school:9165402', 'la:916:la_user'), in key order. */
export async function groupMemberKeys(db: Executor, groupId: string): Promise<string[]> {
  const rows = await db
    .selectFrom('message_group_members')
    .select('mailbox')
    .where('group_id', '=', groupId)
    .orderBy('mailbox')
    .execute();
  return rows.map((row) => row.mailbox);
}

/**
 * Makes the user's changes of their groups (add, update, delete) run one after another from here to the
 * end of `tx`: a name looked for as free stays free until this one is saved, and a group read is as the
 * last change left it. Two posts at once (the same form twice, or two renames to one name) then see each
 * other's work, as one after the other, rather than meet at the unique name as an error.
 */
export async function serialiseGroupChanges(tx: Transaction<Database>, ownerUserId: string): Promise<void> {
  await serialiseOn(tx, `message-groups:${ownerUserId}`);
}

/** Whether a group with this id exists, whoever owns it. */
export async function groupExists(db: Executor, groupId: string): Promise<boolean> {
  const found = await db
    .selectFrom('message_groups')
    .select('id')
    .where('id', '=', groupId)
    .executeTakeFirst();
  return found !== undefined;
}

/** The group, when it belongs to the user; undefined for another user's group or none. */
export async function findOwnedGroup(
  db: Executor,
  groupId: string,
  userId: string,
): Promise<MessageGroupRow | undefined> {
  return db
    .selectFrom('message_groups')
    .selectAll()
    .where('id', '=', groupId)
    .where('owner_user_id', '=', userId)
    .executeTakeFirst();
}

/**
 * The user's other group with this name, compared without regard to case ("Year 7 LAs" and "year 7
 * las" would look the same in Send Message's list). Compared here, not in SQL: the engines lower-case
 * letters beyond ASCII differently, and a user has few groups.
 */
export async function findGroupNamed(
  db: Executor,
  userId: string,
  name: string,
  exceptGroupId?: string,
): Promise<MessageGroupRow | undefined> {
  const rows = await db
    .selectFrom('message_groups')
    .selectAll()
    .where('owner_user_id', '=', userId)
    .execute();
  return rows.find((row) => row.id !== exceptGroupId && sameName.compare(row.name, name) === 0);
}

export interface NewGroup {
  id: string;
  ownerUserId: string;
  name: string;
  /** ISO instant. */
  at: string;
  members: readonly string[];
}

/**
 * Saves a new group with its members; false, and nothing saved, when the user has a group of that name
 * already, whatever its case (the unique index of migration 051): one saved since it was looked for (the
 * same form posted twice at once), whose insert this one waited for on PostgreSQL.
 */
export async function insertGroup(db: Executor, group: NewGroup): Promise<boolean> {
  const inserted = await db
    .insertInto('message_groups')
    .values({
      id: group.id,
      owner_user_id: group.ownerUserId,
      name: group.name,
      created_at: group.at,
      updated_at: group.at,
    })
    // No target: the name's conflict may be with either unique index, (owner, name) or (owner, lower(name)).
    .onConflict((conflict) => conflict.doNothing())
    .executeTakeFirst();
  if (rowsInserted(inserted) !== 1) return false;
  await insertMembers(db, group.id, group.members);
  return true;
}

/**
 * Renames the user's group and replaces its members. False when the group is not the user's (or has
 * gone), and then nothing changes.
 */
export async function updateGroup(
  db: Executor,
  change: { id: string; ownerUserId: string; name: string; at: string; members: readonly string[] },
): Promise<boolean> {
  const updated = await db
    .updateTable('message_groups')
    .set({ name: change.name, updated_at: change.at })
    .where('id', '=', change.id)
    .where('owner_user_id', '=', change.ownerUserId)
    .executeTakeFirst();
  if (Number(updated.numUpdatedRows) !== 1) return false;
  await db.deleteFrom('message_group_members').where('group_id', '=', change.id).execute();
  await insertMembers(db, change.id, change.members);
  return true;
}

/** Deletes the user's group and its members; false when it is not the user's (or has gone). */
export async function deleteGroup(db: Executor, groupId: string, ownerUserId: string): Promise<boolean> {
  const owned = await findOwnedGroup(db, groupId, ownerUserId);
  if (!owned) return false;
  // The foreign key cascades too; the members are deleted first so nothing depends on it.
  await db.deleteFrom('message_group_members').where('group_id', '=', groupId).execute();
  const deleted = await db
    .deleteFrom('message_groups')
    .where('id', '=', groupId)
    .where('owner_user_id', '=', ownerUserId)
    .executeTakeFirst();
  return Number(deleted.numDeletedRows) === 1;
}

async function insertMembers(db: Executor, groupId: string, members: readonly string[]): Promise<void> {
  const unique = [...new Set(members)];
  if (unique.length === 0) return;
  await db
    .insertInto('message_group_members')
    .values(unique.map((mailbox) => ({ group_id: groupId, mailbox })))
    .execute();
}
