// Data collections (census guide, "My Data Collections"): the collector or the national administrator sets
// one up (name, term, year, census day, open and due dates, the LAs whose schools take part) and closes
// it; each school (source), LA (agent) and the collector sees the collections it has a part in.
import { recordAudit } from '../audit/repository.ts';
import type { Actor } from '../auth/actor.ts';
import { can, scopeOf } from '../auth/permissions.ts';
import type { OrganisationName } from '../directory/organisation-names.ts';
import { getEstablishment, getLocalAuthority, listLocalAuthorities } from '../directory/repository.ts';
import type { Clock } from '../platform/clock.ts';
import { readDateInput } from '../platform/date-boxes.ts';
import { DAY_MS, londonDate } from '../platform/dates.ts';
import { insertOnce } from '../platform/db/insert-once.ts';
import type { DataCollectionRow, Db, Executor } from '../platform/db/schema.ts';
import { type FieldError, Forbidden, Invalid, NotFound } from '../platform/errors.ts';
import { dateParam, keyedError, message } from '../platform/i18n/catalogue.ts';
import { type WindowPage, windowPage } from '../platform/paging.ts';
import { isTerm, referenceDateMismatch, TERM_KEYS, TERM_NAMES, type Term } from './census-dates.ts';
import { TERM_OF_TYPE_CODE } from './census-filename.ts';
import {
  collectionLas,
  findCollection,
  insertCollection,
  lasWithReturns,
  laTakesPart,
  listCollections,
  listCollectionsOfLa,
  lockCollection,
  openCollectionsOfLa,
  setCollectionClosed,
  updateCollection,
} from './collections-repository.ts';

export const COLLECTIONS_PER_PAGE = 20;
const NAME_MAX = 100;

export type CollectionStatus = 'Not yet open' | 'Live' | 'Closed';
/** The census guide's words for the three parts in a collection. */
export type CollectRole = 'Source' | 'Agent' | 'Collector';

export interface CollectionForm {
  name?: string;
  term?: string;
  year?: string;
  referenceDay?: string;
  referenceMonth?: string;
  referenceYear?: string;
  openDay?: string;
  openMonth?: string;
  openYear?: string;
  dueDay?: string;
  dueMonth?: string;
  dueYear?: string;
  /** 'all' for every LA's schools; anything else means the LAs in `las`. */
  scope?: string;
  las?: string[];
}

export interface CollectionInput {
  name: string;
  term: Term;
  year: string;
  referenceDate: string;
  openDate: string;
  dueDate: string;
  allLas: boolean;
  las: string[];
}

export interface MyCollection {
  id: string;
  name: string;
  role: CollectRole;
  /** The school's or LA's name as the directory has it; the DfE's in the reader's language. */
  organisation: OrganisationName;
  status: CollectionStatus;
  dueDate: string;
  /** Days from today (London) to the due date; negative when overdue. */
  daysDue: number;
}

export interface CollectionDetails {
  collection: DataCollectionRow;
  status: CollectionStatus;
  daysDue: number;
  /** The LAs taking part; empty with allLas. */
  las: string[];
}

export function collectionStatus(collection: DataCollectionRow, today: string): CollectionStatus {
  if (collection.closed_at) return 'Closed';
  return today < collection.open_date ? 'Not yet open' : 'Live';
}

export function daysBetween(from: string, to: string): number {
  return Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / DAY_MS);
}

/** The role an actor plays in collections, from the permission table; null when it has none. */
export function collectRoleOf(actor: Pick<Actor, 'role'>): CollectRole | null {
  if (!can(actor.role, 'collect.use')) return null;
  if (can(actor.role, 'collect.agent')) return 'Agent';
  const scope = scopeOf(actor.role);
  if (scope === 'school') return 'Source';
  return scope === 'national' ? 'Collector' : null;
}

export interface CollectionsDeps {
  db: Db;
  clock: Clock;
}

export class DataCollectionsService {
  constructor(private readonly deps: CollectionsDeps) {}

  private today(): string {
    return londonDate(this.deps.clock.now());
  }

  /** My Data Collections: the collections the actor's organisation has a part in, a page at a time. */
  async myCollections(actor: Actor, page: number): Promise<WindowPage<MyCollection>> {
    const role = collectRoleOf(actor);
    if (role === null)
      throw new Forbidden('You do not take part in data collections', 'collect.forbidden.not-taking-part');
    const { db } = this.deps;
    const la = role === 'Source' ? actor.establishmentNumber?.slice(0, 3) : actor.laNumber;
    let organisation: OrganisationName = message('auth.organisation.dfe');
    if (role === 'Source' && actor.establishmentNumber) {
      const school = await getEstablishment(db, actor.establishmentNumber);
      organisation = school?.name ?? actor.establishmentNumber;
    } else if (role === 'Agent' && actor.laNumber) {
      organisation = (await getLocalAuthority(db, actor.laNumber))?.name ?? actor.laNumber;
    }
    const {
      rows,
      total,
      pages,
      page: current,
    } = await windowPage(page, COLLECTIONS_PER_PAGE, (window) =>
      role === 'Collector' ? listCollections(db, window) : listCollectionsOfLa(db, la ?? '', window),
    );
    const today = this.today();
    return {
      rows: rows.map((c) => ({
        id: c.id,
        name: c.name,
        role,
        organisation,
        status: collectionStatus(c, today),
        dueDate: c.due_date,
        daysDue: daysBetween(today, c.due_date),
      })),
      total,
      pages,
      page: current,
    };
  }

  /**
   * One collection, for an actor with a part in it: the school's LA or the actor's LA must take part,
   * or the actor is the collector. NotFound otherwise, so a collection of others is not even confirmed.
   */
  async open(actor: Actor, id: string): Promise<CollectionDetails> {
    const { db } = this.deps;
    const collection = await findCollection(db, id);
    if (!collection) throw new NotFound(message('collect.not-found.collection'));
    const role = collectRoleOf(actor);
    const la = role === 'Source' ? actor.establishmentNumber?.slice(0, 3) : actor.laNumber;
    const allowed =
      role === 'Collector' ||
      can(actor.role, 'collect.manage') ||
      (role !== null && la != null && (await laTakesPart(db, collection, la)));
    if (!allowed) throw new NotFound(message('collect.not-found.collection'));
    return this.details(collection);
  }

  private async details(collection: DataCollectionRow): Promise<CollectionDetails> {
    const today = this.today();
    return {
      collection,
      status: collectionStatus(collection, today),
      daysDue: daysBetween(today, collection.due_date),
      las: collection.all_las === 1 ? [] : await collectionLas(this.deps.db, collection.id),
    };
  }

  /** Manage Data Collections: every collection. */
  async list(actor: Actor, page: number) {
    this.mustManage(actor);
    const {
      rows,
      total,
      pages,
      page: current,
    } = await windowPage(page, COLLECTIONS_PER_PAGE, (window) => listCollections(this.deps.db, window));
    return {
      // With the LAs taking part: the page shows them.
      rows: await Promise.all(rows.map((c) => this.details(c))),
      total,
      pages,
      page: current,
    };
  }

  async get(actor: Actor, id: string): Promise<CollectionDetails> {
    this.mustManage(actor);
    const collection = await findCollection(this.deps.db, id);
    if (!collection) throw new NotFound(message('collect.not-found.collection'));
    return this.details(collection);
  }

  /** Reads the form: the collection to save, or Invalid with every problem. */
  async read(form: CollectionForm): Promise<CollectionInput> {
    const errors: FieldError[] = [];
    const name = (form.name ?? '').trim();
    if (name === '') errors.push(keyedError('name', 'collect.form.error.name'));
    else if (name.length > NAME_MAX)
      errors.push(keyedError('name', 'collect.form.error.name-too-long', { max: NAME_MAX }));
    const term = form.term ?? '';
    if (!isTerm(term)) errors.push(keyedError('term', 'collect.form.error.term'));
    const year = (form.year ?? '').trim();
    if (!/^\d{4}$/.test(year)) errors.push(keyedError('year', 'collect.form.error.year'));
    else if (!/^20\d\d$/.test(year)) {
      errors.push(keyedError('year', 'collect.form.error.year-range', { min: 2000, max: 2099 }));
    }
    const referenceDate = readDateInput(
      'reference',
      message('collect.form.date.census-day'),
      [form.referenceDay, form.referenceMonth, form.referenceYear],
      errors,
    );
    if (referenceDate === null && !errors.some((e) => e.field.startsWith('reference')))
      errors.push(keyedError('reference-day', 'collect.form.error.census-day'));
    if (referenceDate && isTerm(term) && /^20\d\d$/.test(year)) {
      const date = dateParam(referenceDate);
      const mismatch = referenceDateMismatch(referenceDate, term, year);
      if (mismatch === 'term') {
        errors.push(
          keyedError('reference-day', 'collect.form.error.census-day-term', {
            date,
            term: message(TERM_KEYS[term]),
          }),
        );
      } else if (mismatch === 'year') {
        errors.push(keyedError('reference-day', 'collect.form.error.census-day-year', { date, year }));
      }
    }
    const openDate = readDateInput(
      'open',
      message('collect.form.date.open'),
      [form.openDay, form.openMonth, form.openYear],
      errors,
    );
    if (openDate === null && !errors.some((e) => e.field.startsWith('open')))
      errors.push(keyedError('open-day', 'collect.form.error.open-date'));
    const dueDate = readDateInput(
      'due',
      message('collect.form.date.due'),
      [form.dueDay, form.dueMonth, form.dueYear],
      errors,
    );
    if (dueDate === null && !errors.some((e) => e.field.startsWith('due')))
      errors.push(keyedError('due-day', 'collect.form.error.due-date'));
    if (openDate && dueDate && dueDate < openDate)
      errors.push(keyedError('due-day', 'collect.form.error.due-before-open'));
    const allLas = form.scope === 'all';
    const known = new Set((await listLocalAuthorities(this.deps.db)).map((la) => la.number));
    const las = allLas ? [] : [...new Set(form.las ?? [])];
    if (!allLas && las.length === 0) errors.push(keyedError('scope', 'collect.form.error.scope'));
    if (las.some((la) => !known.has(la))) errors.push(keyedError('las', 'collect.form.error.las'));
    if (errors.length > 0 || !isTerm(term) || !referenceDate || !openDate || !dueDate)
      throw new Invalid(errors);
    return { name, term, year, referenceDate, openDate, dueDate, allLas, las: las.sort() };
  }

  /**
   * Sets up a collection; its id. With `formId` (the id of the form that asks), once only: the same form
   * posted again, one after the other or at once (its insert waiting for the first's), gets the collection
   * set up the first time as `already`, and nothing is set up or audited again.
   */
  async create(actor: Actor, form: CollectionForm): Promise<string>;
  async create(
    actor: Actor,
    form: CollectionForm,
    formId: string | undefined,
  ): Promise<string | { already: DataCollectionRow }>;
  async create(
    actor: Actor,
    form: CollectionForm,
    formId?: string,
  ): Promise<string | { already: DataCollectionRow }> {
    this.mustManage(actor);
    const earlier = formId ? await this.setUpAlready(this.deps.db, actor, formId) : undefined;
    if (earlier) return { already: earlier };
    const input = await this.read(form);
    const at = this.deps.clock.now();
    const row = {
      name: input.name,
      term: input.term,
      year: input.year,
      reference_date: input.referenceDate,
      open_date: input.openDate,
      due_date: input.dueDate,
      all_las: input.allLas ? 1 : 0,
      created_by: actor.userId,
      created_at: at.toISOString(),
    };
    return this.deps.db.transaction().execute(async (tx) => {
      const inserted = await insertOnce(
        formId,
        (id) => insertCollection(tx, { ...row, id }, input.las),
        (id) => this.setUpAlready(tx, actor, id),
      );
      if ('already' in inserted) return inserted;
      await this.audit(tx, actor, at, 'data-collection-added', inserted.id, describe(input));
      return inserted.id;
    });
  }

  /** The collection the actor set up with the form `formId`; undefined if none (or another's). */
  private async setUpAlready(
    db: Executor,
    actor: Actor,
    formId: string,
  ): Promise<DataCollectionRow | undefined> {
    const collection = await findCollection(db, formId);
    return collection?.created_by === actor.userId ? collection : undefined;
  }

  /**
   * Saves a change of a collection. The same change again (the form posted again, or at once: this one
   * waits for the first's to commit, then reads it) changes nothing and is not audited again.
   */
  async update(actor: Actor, id: string, form: CollectionForm): Promise<void> {
    const { collection } = await this.get(actor, id);
    const input = await this.read(form);
    const at = this.deps.clock.now();
    await this.deps.db.transaction().execute(async (tx) => {
      await lockCollection(tx, id);
      const saved = (await findCollection(tx, id)) ?? collection;
      const las = saved.all_las === 1 ? [] : await collectionLas(tx, id);
      if (isSaved(saved, las, input)) return;
      await this.keepsItsReturns(tx, saved, input);
      await updateCollection(
        tx,
        collection.id,
        {
          name: input.name,
          term: input.term,
          year: input.year,
          reference_date: input.referenceDate,
          open_date: input.openDate,
          due_date: input.dueDate,
          all_las: input.allLas ? 1 : 0,
          updated_at: at.toISOString(),
        },
        input.las,
      );
      await this.audit(tx, actor, at, 'data-collection-updated', id, describe(input));
    });
  }

  /**
   * Closes a collection (no more returns are loaded or submitted) or opens it again. The update waits for
   * any load that has read the collection open to commit (findCollectionHeld), so none is recorded after.
   * Closed (or opened) `already`, by the same form posted again or at once, or by someone else: nothing
   * changes and nothing is audited again.
   */
  async setClosed(
    actor: Actor,
    id: string,
    closed: boolean,
  ): Promise<{ collection: DataCollectionRow; already: boolean }> {
    const { collection } = await this.get(actor, id);
    if ((collection.closed_at !== null) === closed) return { collection, already: true };
    const at = this.deps.clock.now();
    const changed = await this.deps.db.transaction().execute(async (tx) => {
      if (!(await setCollectionClosed(tx, id, closed ? at.toISOString() : null, at.toISOString())))
        return false;
      await this.audit(tx, actor, at, closed ? 'data-collection-closed' : 'data-collection-reopened', id, {
        name: collection.name,
      });
      return true;
    });
    return { collection, already: !changed };
  }

  /**
   * Once returns are loaded, a change must not take them from their collection: its census (term, year,
   * census day), which each return was checked against when loaded, stays; and so does every LA whose
   * schools loaded returns, whose school and LA would otherwise lose sight of them (census guide: both
   * keep access to their census data). Its name and dates may change, and LAs be added.
   */
  private async keepsItsReturns(
    tx: Executor,
    saved: DataCollectionRow,
    input: CollectionInput,
  ): Promise<void> {
    const loaded = await lasWithReturns(tx, saved.id);
    if (loaded.length === 0) return;
    const errors: FieldError[] = [];
    const changed = saved.term !== input.term ? 'term' : saved.year !== input.year ? 'year' : undefined;
    if (changed || saved.reference_date !== input.referenceDate) {
      errors.push(keyedError(changed ?? 'reference-day', 'collect.form.error.census-fixed'));
    }
    const kept = new Set(input.las);
    const dropped = input.allLas ? [] : loaded.filter((la) => !kept.has(la));
    if (dropped.length > 0) {
      const names = await Promise.all(
        dropped.map(async (la) => `${la} ${(await getLocalAuthority(tx, la))?.name ?? ''}`.trim()),
      );
      errors.push(keyedError('las', 'collect.form.error.las-with-returns', { las: names.join(', ') }));
    }
    if (errors.length > 0) throw new Invalid(errors);
  }

  private mustManage(actor: Actor): void {
    if (!can(actor.role, 'collect.manage'))
      throw new Forbidden('You cannot manage data collections', 'collect.forbidden.cannot-manage');
  }

  private async audit(
    tx: Parameters<typeof recordAudit>[0],
    actor: Actor,
    at: Date,
    action:
      | 'data-collection-added'
      | 'data-collection-updated'
      | 'data-collection-closed'
      | 'data-collection-reopened',
    id: string,
    detail: Record<string, unknown>,
  ): Promise<void> {
    await recordAudit(tx, {
      at,
      actorUserId: actor.userId,
      actorUsername: actor.username,
      organisation: null,
      action,
      subjectType: 'data-collection',
      subjectId: id,
      detail,
    });
  }
}

/**
 * The Live collection a school's termly census return belongs to (the name's SC1/SC2/SC3 and census year
 * yy, the school's LA taking part): where the school loads it, Upload Return from File. Null when there
 * is none. Uploads ask (through a function app.ts builds) when a school sends a return as a file to its
 * LA instead, which does not put it in COLLECT.
 */
export async function liveCollectionOfReturn(
  db: Executor,
  clock: Clock,
  file: { school: string; typeCode: string; censusYear: string },
): Promise<DataCollectionRow | null> {
  const term = TERM_OF_TYPE_CODE[file.typeCode];
  if (term === undefined) return null;
  const [first] = await openCollectionsOfLa(db, file.school.slice(0, 3), {
    term,
    year: `20${file.censusYear}`,
    today: londonDate(clock.now()),
  });
  return first ?? null;
}

/** Whether the collection as saved (with its LAs) is what `input` asks for. */
function isSaved(collection: DataCollectionRow, las: string[], input: CollectionInput): boolean {
  return (
    collection.name === input.name &&
    collection.term === input.term &&
    collection.year === input.year &&
    collection.reference_date === input.referenceDate &&
    collection.open_date === input.openDate &&
    collection.due_date === input.dueDate &&
    (collection.all_las === 1) === input.allLas &&
    las.join(',') === input.las.join(',')
  );
}

function describe(input: CollectionInput): Record<string, unknown> {
  return {
    name: input.name,
    term: TERM_NAMES[input.term],
    year: input.year,
    referenceDate: input.referenceDate,
    openDate: input.openDate,
    dueDate: input.dueDate,
    las: input.allLas ? 'all' : input.las,
  };
}
