// What a form makes, made once however often the form is posted (a double click, Back and the button
// again, a browser resending, two requests at once on one node or two): the new row takes the id the
// form's page gave it (formId in platform/web/form-values.ts), so a second post meets its own row; each
// of several things one form makes, an id made from the form's (formPartId). Decisions 50-52.
import { createHash, randomUUID } from 'node:crypto';
import type { InsertResult } from 'kysely';

/**
 * Inserts a row with the id `formId` through `insert` (false when a row with that id is there already:
 * its insert does nothing on the conflict, and on PostgreSQL first waits for a transaction inserting the
 * same id at once). When the id is taken, `mine` finds the row the same form made (the actor's own), and
 * that is `already`. A row of someone else's with that id, as only a hand-made form could give, leaves
 * this one a new id; so does a form without an id.
 */
export async function insertOnce<Earlier>(
  formId: string | undefined,
  insert: (id: string) => Promise<boolean>,
  mine: (id: string) => Promise<Earlier | undefined>,
): Promise<{ id: string } | { already: Earlier }> {
  if (formId !== undefined) {
    if (await insert(formId)) return { id: formId };
    const earlier = await mine(formId);
    if (earlier !== undefined) return { already: earlier };
  }
  const id = randomUUID();
  if (!(await insert(id))) throw new Error(`A row with a new id (${id}) was not written`);
  return { id };
}

/**
 * The id of one of several things a form makes, named by `key` (a file of a zip, by its name), made from
 * the form's id (formId): the same each time the form is posted, another for another key or form. A
 * UUID (RFC 9562 version 8: the form's id and the key hashed with SHA-256).
 */
export function formPartId(formId: string, key: string): string {
  const hex = createHash('sha256').update(`${formId}\n${key}`).digest('hex');
  const variant = ((Number.parseInt(hex.charAt(16), 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-8${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/** How many rows an insert wrote: with ON CONFLICT DO NOTHING, 0 when it met the conflict. */
export function rowsInserted(result: InsertResult): number {
  // Both engines' drivers say; were one not to, guessing either way would be wrong.
  if (result.numInsertedOrUpdatedRows === undefined) {
    throw new Error('The database did not say how many rows the insert wrote');
  }
  return Number(result.numInsertedOrUpdatedRows);
}
