// Which LA a report covers: an LA role's own, whatever the form says, or the one the national
// administrator chose, or for the national administrator every LA ("All LAs"). Every LA-level report asks
// this the same way.
import type { Actor } from '../auth/actor.ts';
import { scopeOf } from '../auth/permissions.ts';
import { laChoices } from '../directory/repository.ts';
import type { Executor } from '../platform/db/schema.ts';
import { type FieldError, Forbidden } from '../platform/errors.ts';
import { keyedError, type Message, message } from '../platform/i18n/catalogue.ts';

/** The form's `la` value for All LAs, which only the national administrator may choose. */
export const ALL_LAS = 'all';

/** Whose report it is, in words, when it covers every LA. */
export const EVERY_LA: Message = message('reports.subject.every-la');

/** Whose report it is: the LA's name and number ("Ashire (916)", the same in every language), or a text. */
export type Subject = string | Message;

export interface ReportLa {
  number: string;
  name: string;
}

/** The LAs the national administrator chooses from; none for an LA role, whose report is its own LA's. */
export async function laPicker(db: Executor, actor: Actor): Promise<{ value: string; text: string }[]> {
  return actor.role === 'national_admin' ? laChoices(db) : [];
}

/**
 * The LA, or null with a field error when the national administrator chose none (`noChoice` says what to
 * do) or one that does not exist. Forbidden for a role that belongs to no LA.
 */
export async function reportLa(
  db: Executor,
  actor: Actor,
  chosen: string | undefined,
  errors: FieldError[],
  noChoice: 'reports.errors.select-la' | 'reports.errors.select-la-or-all' = 'reports.errors.select-la',
): Promise<ReportLa | null> {
  let number: string;
  if (actor.role === 'national_admin') {
    const value = chosen?.trim() ?? '';
    if (!/^\d{3}$/.test(value)) {
      errors.push(keyedError('la', noChoice));
      return null;
    }
    number = value;
  } else {
    if (scopeOf(actor.role) !== 'la' || !actor.laNumber) throw new Forbidden();
    number = actor.laNumber;
  }
  const la = await db
    .selectFrom('local_authorities')
    .select(['number', 'name'])
    .where('number', '=', number)
    .executeTakeFirst();
  if (!la) {
    if (actor.role !== 'national_admin') throw new Forbidden();
    errors.push(keyedError('la', 'reports.errors.no-such-la', { number }));
    return null;
  }
  return la;
}

/**
 * As reportLa, for the reports that can cover every LA: ALL_LAS when the national administrator chose All
 * LAs. Any other role still gets its own LA, whatever the form says ('all' included).
 */
export async function reportLaOrAll(
  db: Executor,
  actor: Actor,
  chosen: string | undefined,
  errors: FieldError[],
): Promise<ReportLa | typeof ALL_LAS | null> {
  if (actor.role === 'national_admin' && chosen?.trim() === ALL_LAS) return ALL_LAS;
  return reportLa(db, actor, chosen, errors, 'reports.errors.select-la-or-all');
}
