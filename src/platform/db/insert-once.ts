// What a form makes, made once however often the form is posted (a double click, Back and the button
// again, a browser resending, two requests at once on one node or two): the new row takes the id the
// form's page gave it (formId in platform/web/form-values.ts), so a second post meets its own row.
// Decisions 50-52.
import { randomUUID } from 'node:crypto';
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

/** How many rows an insert wrote: with ON CONFLICT DO NOTHING, 0 when it met the conflict. */
export function rowsInserted(result: InsertResult): number {
  // Both engines' drivers say; were one not to, guessing either way would be wrong.
  if (result.numInsertedOrUpdatedRows === undefined) {
    throw new Error('The database did not say how many rows the insert wrote');
  }
  return Number(result.numInsertedOrUpdatedRows);
}
