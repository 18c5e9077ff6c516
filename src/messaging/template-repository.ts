// The SQL of Message Templates (handbook §11, LA notes §6.7). A template belongs to its author alone
// ('user'), to an LA ('la': its users and its schools' users), or to everyone ("All", 'national').
// The Send Message screen picks from `visibleTemplates` and opens one with `findVisibleTemplate`.
import type { Transaction } from 'kysely';
import type { Actor } from '../auth/actor.ts';
import { serialiseOn } from '../platform/db/database.ts';
import { rowsInserted } from '../platform/db/insert-once.ts';
import type { Database, Executor, MessageTemplateRow } from '../platform/db/schema.ts';
import { laOfMailbox, mailboxOf } from './mailboxes.ts';

export type { MessageTemplateRow };

/** The LA whose templates the actor sees: their own, or their school's; null for national roles. */
export function templateLaOf(actor: Pick<Actor, 'role' | 'laNumber' | 'establishmentNumber'>): string | null {
  const mailbox = mailboxOf(actor);
  return mailbox ? laOfMailbox(mailbox) : null;
}

const byName = new Intl.Collator('en', { sensitivity: 'base', numeric: true });

/**
 * Alphabetical by name, then by id: the same order on both engines (their collations differ on case
 * and punctuation), as users read a list of names.
 */
function inNameOrder(rows: MessageTemplateRow[]): MessageTemplateRow[] {
  return rows.sort((a, b) => byName.compare(a.name, b.name) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

function visibleTo(db: Executor, actor: Actor) {
  const la = templateLaOf(actor);
  return db
    .selectFrom('message_templates')
    .selectAll()
    .where((eb) =>
      eb.or([
        eb('owner_kind', '=', 'national'),
        ...(la ? [eb.and([eb('owner_kind', '=', 'la'), eb('owner_la', '=', la)])] : []),
        eb.and([eb('owner_kind', '=', 'user'), eb('created_by', '=', actor.userId)]),
      ]),
    );
}

/** The templates the actor may see and use: national ones, their LA's, and their own; by name. */
export async function visibleTemplates(db: Executor, actor: Actor): Promise<MessageTemplateRow[]> {
  return inNameOrder(await visibleTo(db, actor).execute());
}

/** One template, if the actor may see it; undefined for another organisation's or another user's. */
export async function findVisibleTemplate(
  db: Executor,
  actor: Actor,
  id: string,
): Promise<MessageTemplateRow | undefined> {
  return visibleTo(db, actor).where('id', '=', id).executeTakeFirst();
}

/**
 * The templates the actor created and still sees, whoever they are shared with; by name. (An LA template
 * stays with the LA: its author, moved to another LA, no longer sees or changes it.)
 */
export async function templatesCreatedBy(db: Executor, actor: Actor): Promise<MessageTemplateRow[]> {
  return inNameOrder(await visibleTo(db, actor).where('created_by', '=', actor.userId).execute());
}

/**
 * Saves a new template; false, and nothing saved, when one with its id exists already: the template its
 * form made before (the id is the form's, posted again or at once, this insert having waited for the
 * other's on PostgreSQL).
 */
export async function insertTemplate(db: Executor, template: MessageTemplateRow): Promise<boolean> {
  const inserted = await db
    .insertInto('message_templates')
    .values(template)
    .onConflict((conflict) => conflict.column('id').doNothing())
    .executeTakeFirst();
  return rowsInserted(inserted) === 1;
}

/**
 * Makes the changes of one template (update, delete) run one after another from here to the end of `tx`:
 * the template read next is as the last change left it, so the same form posted twice at once changes
 * and audits it once.
 */
export async function serialiseTemplateChanges(tx: Transaction<Database>, id: string): Promise<void> {
  await serialiseOn(tx, `message-template:${id}`);
}

/** Whether a template with this id exists, whoever created it. */
export async function templateExists(db: Executor, id: string): Promise<boolean> {
  const found = await db.selectFrom('message_templates').select('id').where('id', '=', id).executeTakeFirst();
  return found !== undefined;
}

/** The template with this id, if the user created it; undefined for anyone else's or none. */
export async function findTemplateCreatedBy(
  db: Executor,
  id: string,
  createdBy: string,
): Promise<MessageTemplateRow | undefined> {
  return db
    .selectFrom('message_templates')
    .selectAll()
    .where('id', '=', id)
    .where('created_by', '=', createdBy)
    .executeTakeFirst();
}

export interface TemplateChange {
  name: string;
  description: string;
  body: string;
  /** ISO instant. */
  updatedAt: string;
}

/** Changes a template its author created; false when there is no such template of theirs. */
export async function updateTemplate(
  db: Executor,
  id: string,
  createdBy: string,
  change: TemplateChange,
): Promise<boolean> {
  const result = await db
    .updateTable('message_templates')
    .set({
      name: change.name,
      description: change.description,
      body: change.body,
      updated_at: change.updatedAt,
    })
    .where('id', '=', id)
    .where('created_by', '=', createdBy)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

/** Deletes a template its author created; false when there is no such template of theirs. */
export async function deleteTemplate(db: Executor, id: string, createdBy: string): Promise<boolean> {
  const result = await db
    .deleteFrom('message_templates')
    .where('id', '=', id)
    .where('created_by', '=', createdBy)
    .executeTakeFirst();
  return Number(result.numDeletedRows) === 1;
}
