// The Lost Pupils Database's SQL. Records are written in the upload's transaction (ingest.ts) and never
// deleted: a removal is a status, kept for the reports and the audit log.
import { type ExpressionBuilder, type Insertable, sql } from 'kysely';
import type {
  Database,
  Executor,
  LostPupilKeyTable,
  LostPupilRow,
  LostPupilTable,
  TransferRow,
} from '../platform/db/schema.ts';
import { COPY_GONE } from '../transfers/download-repository.ts';
import { MAX_LETTERS, nameLetters, soundalikeKeys } from './phonetics.ts';

export type NewLostPupil = Omit<
  LostPupilTable,
  | 'surname_letters'
  | 'former_surname_letters'
  | 'forename_letters'
  | 'town_letters'
  | 'birth_year'
  | 'birth_month'
  | 'birth_day'
  | 'status'
  | 'found_at'
  | 'found_by_la'
  | 'found_by'
  | 'removed_at'
  | 'removed_by'
  | 'removal_reason'
>;

/** Rows per INSERT: well under SQLite's 32,766 bound parameters (a record has 30 columns). */
const RECORDS_PER_INSERT = 500;
const KEYS_PER_INSERT = 2000;

/** What a record's search fields are worked out from: its names and date of birth. */
export type SearchedDetails = Pick<
  NewLostPupil,
  'id' | 'surname' | 'former_surname' | 'forename' | 'town' | 'date_of_birth'
>;

/** The keys a record is searched by: soundalike keys and letters of its surname and former surname. */
function recordKeys(record: SearchedDetails): string[] {
  const keys = new Set([...soundalikeKeys(record.surname), ...soundalikeKeys(record.former_surname)]);
  for (const name of [record.surname, record.former_surname]) {
    const letters = nameLetters(name ?? '');
    if (letters) keys.add(lettersKey(letters));
  }
  return [...keys];
}

/** Writes a record and its keys (soundalike keys and letters of its surname and former surname). */
export async function insertLostPupil(db: Executor, record: NewLostPupil): Promise<void> {
  await insertLostPupils(db, [record]);
}

/** What a record is searched by, worked out from its names and date of birth: its letters and key rows. */
function searchFields(record: SearchedDetails) {
  const [year, month, day] = (record.date_of_birth ?? '').split('-').map(Number);
  const letters = {
    surname_letters: nameLetters(record.surname ?? ''),
    former_surname_letters: nameLetters(record.former_surname ?? ''),
    forename_letters: nameLetters(record.forename ?? ''),
    town_letters: nameLetters(record.town ?? ''),
  };
  const born = { birth_year: year || null, birth_month: month || null, birth_day: day || null };
  const keys: Insertable<LostPupilKeyTable>[] = recordKeys(record).map((key) => ({
    key,
    lost_pupil_id: record.id,
    ...born,
    forename_letters: letters.forename_letters,
    town_letters: letters.town_letters,
  }));
  return { letters, born, keys };
}

async function insertKeys(db: Executor, keys: readonly Insertable<LostPupilKeyTable>[]): Promise<void> {
  for (let i = 0; i < keys.length; i += KEYS_PER_INSERT) {
    await db
      .insertInto('lost_pupil_keys')
      .values(keys.slice(i, i + KEYS_PER_INSERT))
      .execute();
  }
}

/** Writes records and their keys, several to a statement (bulk loads; the caller holds a transaction). */
export async function insertLostPupils(db: Executor, records: readonly NewLostPupil[]): Promise<void> {
  const rows: Insertable<LostPupilTable>[] = [];
  const keys: Insertable<LostPupilKeyTable>[] = [];
  for (const record of records) {
    const { letters, born, keys: searchKeys } = searchFields(record);
    rows.push({ ...record, ...letters, ...born, status: 'lost' });
    keys.push(...searchKeys);
  }
  for (let i = 0; i < rows.length; i += RECORDS_PER_INSERT) {
    await db
      .insertInto('lost_pupils')
      .values(rows.slice(i, i + RECORDS_PER_INSERT))
      .execute();
  }
  await insertKeys(db, keys);
}

const LETTERS_COLUMNS = [
  'surname_letters',
  'former_surname_letters',
  'forename_letters',
  'town_letters',
] as const;
type LettersColumn = (typeof LETTERS_COLUMNS)[number];

/**
 * Writes again what records are searched by, for those whose letters worked out from their names now are
 * not the letters stored (migrations 031 and 037, when nameLetters came to spell out Ł, Ø, Æ..., then Ə, ƒ,
 * ǲ...). Their keys first,
 * then their letters: a record whose keys were written but not its letters (the process stopped between
 * the two) is rewritten whole when this runs again.
 */
export async function rewriteSearchFields(
  db: Executor,
  records: readonly (SearchedDetails & Pick<LostPupilTable, LettersColumn>)[],
): Promise<void> {
  const changed = records
    .map((record) => ({ stored: record, ...searchFields(record) }))
    .filter(({ stored, letters }) => LETTERS_COLUMNS.some((column) => letters[column] !== stored[column]));
  if (changed.length === 0) return;
  const ids = changed.map(({ stored }) => stored.id);
  await db.deleteFrom('lost_pupil_keys').where('lost_pupil_id', 'in', ids).execute();
  await insertKeys(
    db,
    changed.flatMap(({ keys }) => keys),
  );
  // Each record's letters by its id, in one statement.
  const byId = (column: LettersColumn) =>
    sql<string>`case ${sql.ref('id')} ${sql.join(
      changed.map(({ stored, letters }) => sql`when ${stored.id} then ${letters[column]}`),
      sql` `,
    )} end`;
  await db
    .updateTable('lost_pupils')
    .set({
      surname_letters: byId('surname_letters'),
      former_surname_letters: byId('former_surname_letters'),
      forename_letters: byId('forename_letters'),
      town_letters: byId('town_letters'),
    })
    .where('id', 'in', ids)
    .execute();
}

export interface LostPupilQuery {
  /** Matches the UPN or the former UPN. */
  upn?: string;
  surname?: string;
  /** Ticked: the surname (or former surname) begins with the text; unticked: sounds alike. */
  surnameBegins?: boolean;
  /** The forename begins with it (letters only). */
  forename?: string;
  /** The town begins with it (letters only). */
  town?: string;
  birthDay?: number;
  birthMonth?: number;
  birthYear?: number;
  gender?: 'M' | 'F';
  statuses: readonly LostPupilRow['status'][];
}

/** The key of a surname's (or former surname's) letters: 'sn:SMITH'. Soundalike keys are 'dm:' and 'sx:'. */
const LETTERS = 'sn:';
/** The key of a surname's letters (nameLetters), or of either end of a range of them. */
export function lettersKey(letters: string): string {
  return `${LETTERS}${letters}`;
}
/**
 * "Surname Begins" with a forename walks the distinct surnames in the range when there are at most this
 * many, and otherwise the distinct forenames with the forename's letters (searchLostPupils).
 */
export const SURNAMES_TO_WALK = 50;

/**
 * The texts that begin with `prefix`, as a closed range: from the prefix itself to the prefix followed
 * by Zs up to the longest name. The values are upper-case A-Z, which every collation orders
 * alphabetically (a bound such as 'SMI[' relies on ASCII order, which PostgreSQL's collation may not
 * follow).
 */
function prefixBounds(prefix: string): [string, string] {
  return [prefix, prefix + 'Z'.repeat(Math.max(0, MAX_LETTERS - prefix.length))];
}

/**
 * The columns a search returns: what the results list shows and sorts by (one record's other details are
 * read when it is chosen: getLostPupil). All of them are in the index lost_pupils_listed, with the
 * columns the search also checks on the record, so a record found through its keys is read from that
 * index alone: one seek, rather than a seek of its id and another of its row.
 */
export const LISTED_COLUMNS = [
  'id',
  'surname',
  'forename',
  'middle_names',
  'upn',
  'date_of_birth',
  'gender',
  'town',
  'source_la',
  'source_school',
  'uploaded_at',
  'status',
  'found_at',
  'found_by_la',
] as const;
export type ListedLostPupil = Pick<LostPupilRow, (typeof LISTED_COLUMNS)[number]>;
const LISTED = LISTED_COLUMNS.map((column) => `p.${column}` as const);

type Searched = Database & { p: LostPupilTable; k: LostPupilKeyTable };
type RecordExpression = ExpressionBuilder<Searched, 'p'>;
type KeyExpression = ExpressionBuilder<Searched, 'k'>;

const prefixOf = (
  eb: RecordExpression,
  column: 'p.surname_letters' | 'p.former_surname_letters' | 'p.forename_letters' | 'p.town_letters',
  text: string,
) => {
  const [low, high] = prefixBounds(nameLetters(text));
  return eb.and([eb(column, '>=', low), eb(column, '<=', high)]);
};

/**
 * Records matching every field given, at most `limit` of them, in no particular order: the caller sorts
 * them, and asks for one more than it shows to know whether there are more (a search that matches more
 * is narrowed, not paged: the query stays an index lookup however large the database grows).
 *
 * How each search stays bounded (plans and numbers: docs/benchmarks.md, "Lost Pupils Database search"):
 * - a UPN: the UPN and former UPN indexes, a handful of rows;
 * - a surname: its keys in lost_pupil_keys, each row carrying the record's date of birth, forename and
 *   town, so with any of them the index seeks straight to the matching rows. Soundalike: one query per
 *   key of the name, read in turn until `limit` records are found. "Surname Begins": the range of 'sn:'
 *   keys in order; with a date of birth, forename or town, a walk from one distinct surname in the range
 *   to the next, seeking within each (not a scan of every Smith), or, with a forename only and more than
 *   SURNAMES_TO_WALK surnames in the range, a walk over the forenames with its letters, seeking the
 *   surnames' range within each. Each key row is joined to its record (read from lost_pupils_listed
 *   alone) for the rest (status, gender), and each record is counted once, so no more rows are read than
 *   the limit needs;
 * - otherwise (a date of birth, a town): the lost_pupils indexes, (birth date, town) first.
 */
export async function searchLostPupils(
  db: Executor,
  query: LostPupilQuery,
  limit: number,
): Promise<ListedLostPupil[]> {
  if (limit <= 0 || query.statuses.length === 0) return [];
  const upn = query.upn?.toUpperCase();
  // Soundex keys first: Soundex is the broader match (sx:S530 is Smith, Smyth, Schmidt and Sandy), so a
  // record found under a Double Metaphone key after it has mostly been found already, and is left out
  // by a probe of its keys rather than read again (see below).
  const soundalike =
    query.surname && !query.surnameBegins
      ? soundalikeKeys(query.surname).sort(
          (a, b) => Number(!a.startsWith('sx:')) - Number(!b.startsWith('sx:')),
        )
      : undefined;
  if (soundalike?.length === 0) return [];
  const surnamePrefix = query.surname && query.surnameBegins ? nameLetters(query.surname) : undefined;

  /** Conditions on the record itself; the surname's only when the search is not driven by the keys. */
  const onRecord = (eb: RecordExpression, surnameToo: boolean) => {
    const terms = [eb('p.status', 'in', query.statuses)];
    if (upn) terms.push(eb.or([eb('p.upn', '=', upn), eb('p.former_upn', '=', upn)]));
    if (surnameToo && soundalike) {
      terms.push(
        eb.exists(
          eb
            .selectFrom('lost_pupil_keys as k')
            .select('k.key')
            .whereRef('k.lost_pupil_id', '=', 'p.id')
            .where('k.key', 'in', soundalike),
        ),
      );
    }
    if (surnameToo && surnamePrefix !== undefined) {
      terms.push(
        eb.or([
          prefixOf(eb, 'p.surname_letters', surnamePrefix),
          prefixOf(eb, 'p.former_surname_letters', surnamePrefix),
        ]),
      );
    }
    if (surnameToo) {
      if (query.forename) terms.push(prefixOf(eb, 'p.forename_letters', query.forename));
      if (query.town) terms.push(prefixOf(eb, 'p.town_letters', query.town));
      if (query.birthYear) terms.push(eb('p.birth_year', '=', query.birthYear));
      if (query.birthMonth) terms.push(eb('p.birth_month', '=', query.birthMonth));
      if (query.birthDay) terms.push(eb('p.birth_day', '=', query.birthDay));
    }
    if (query.gender) terms.push(eb('p.gender', '=', query.gender));
    return eb.and(terms);
  };

  // A UPN, or no surname: one query on the record's own indexes.
  if (upn || (!soundalike && surnamePrefix === undefined)) {
    return db
      .selectFrom('lost_pupils as p')
      .select(LISTED)
      .where((eb) => onRecord(eb, true))
      .limit(limit)
      .execute();
  }

  /** The date of birth, forename and town, on the key rows: the columns after the key in their indexes. */
  const onKey = (eb: KeyExpression) => {
    const terms = [];
    if (query.birthYear) terms.push(eb('k.birth_year', '=', query.birthYear));
    if (query.birthMonth) terms.push(eb('k.birth_month', '=', query.birthMonth));
    if (query.birthDay) terms.push(eb('k.birth_day', '=', query.birthDay));
    for (const [column, text] of [
      ['k.forename_letters', query.forename],
      ['k.town_letters', query.town],
    ] as const) {
      if (!text) continue;
      const [low, high] = prefixBounds(nameLetters(text));
      terms.push(eb(column, '>=', low), eb(column, '<=', high));
    }
    return eb.and(terms);
  };
  const narrowed = Boolean(
    query.forename || query.town || query.birthYear || query.birthMonth || query.birthDay,
  );

  const [low, high] = prefixBounds(surnamePrefix ?? '');
  /** Key rows matching the other fields, joined to their records. */
  const keyRows = () =>
    db
      .selectFrom('lost_pupil_keys as k')
      .innerJoin('lost_pupils as p', 'p.id', 'k.lost_pupil_id')
      .select(LISTED)
      .where(onKey)
      .where((eb) => onRecord(eb, false));
  /**
   * A record has two keys in a range of surnames when its surname and former surname are both in it:
   * only the surname's is kept (a former surname's key row counts when the surname is not in the range).
   */
  const onceInRange = (eb: RecordExpression & KeyExpression) =>
    eb.or([
      eb(eb.fn('substr', ['k.key', sql.lit(LETTERS.length + 1)]), '=', eb.ref('p.surname_letters')),
      eb('p.surname_letters', '<', low),
      eb('p.surname_letters', '>', high),
    ]);

  // Each record once (below), so the first `limit` rows are `limit` different records.
  if (soundalike) {
    // One query per key, read one after the other until `limit` records are found (UNION ALL under a
    // LIMIT is read lazily on both engines); each has its own LIMIT, so that PostgreSQL plans it for
    // the first rows rather than all of them (without one it chose a parallel scan of every Jones).
    // A record with several of the keys (Smith has dm:SM0, dm:XMT and sx:S530) is counted under the
    // first: under the others, a probe of its own keys (lost_pupil_keys_pk) leaves it out. The probe is
    // a scalar subquery, which both engines run per row, rather than NOT EXISTS, which PostgreSQL may
    // turn into a hash anti-join over every row of the earlier keys.
    return soundalike
      .map((key, i) =>
        db
          .selectFrom(
            keyRows()
              .where('k.key', '=', key)
              .$if(i > 0, (q) =>
                q.where(
                  (eb) =>
                    eb
                      .selectFrom('lost_pupil_keys as seen')
                      .select('seen.key')
                      .whereRef('seen.lost_pupil_id', '=', 'k.lost_pupil_id')
                      .where('seen.key', 'in', soundalike.slice(0, i))
                      .limit(1),
                  'is',
                  null,
                ),
              )
              .limit(limit)
              .as(`by_key_${i}`),
          )
          .selectAll(),
      )
      .reduce((all, next) => all.unionAll(next))
      .limit(limit)
      .execute();
  }
  if (!narrowed) {
    // "Surname Begins" alone: the range of keys, in order.
    return keyRows()
      .where('k.key', '>=', lettersKey(low))
      .where('k.key', '<=', lettersKey(high))
      .where(onceInRange)
      .limit(limit)
      .execute();
  }
  // "Surname Begins" with a date of birth, forename or town: a walk over distinct names, each step one
  // seek (the first value after the last one found), and for each name a seek of the rows that match
  // the rest, rather than a scan of every key in the range. SQLite reads the walk as a co-routine kept as
  // the outer loop by CROSS JOIN below, and PostgreSQL reads a recursive query on demand, so it stops
  // when `limit` records are found. Each step also carries the bounds of the surnames' keys: a join on
  // them can only be a seek for each step, where with the bounds written as values PostgreSQL may read
  // the whole range of surnames and hash it (its estimate of a range inside one bucket of its statistics
  // can be a hundred times too small).
  const keyBound = (bound: string) => sql<string>`cast(${lettersKey(bound)} as varchar(104))`;
  const walk = (column: 'key' | 'forename_letters', from: string, to: string) =>
    db.withRecursive('walk(value, low, high)', (qc) =>
      qc
        .selectNoFrom((eb) => [
          eb
            .selectFrom('lost_pupil_keys as k')
            .select(`k.${column}`)
            .where(`k.${column}`, '>=', from)
            .where(`k.${column}`, '<=', to)
            .orderBy(`k.${column}`)
            .limit(1)
            .as('value'),
          keyBound(low).as('low'),
          keyBound(high).as('high'),
        ])
        .unionAll(
          qc
            .selectFrom('walk')
            .select((eb) => [
              eb
                .selectFrom('lost_pupil_keys as k')
                .select(`k.${column}`)
                .whereRef(`k.${column}`, '>', 'walk.value')
                .where(`k.${column}`, '<=', to)
                .orderBy(`k.${column}`)
                .limit(1)
                .as('value'),
              'walk.low',
              'walk.high',
            ])
            .where('walk.value', 'is not', null),
        ),
    );
  const surnames = () => walk('key', lettersKey(low), lettersKey(high));
  // Which names to walk, when a forename is the only other field: the distinct surnames in the range,
  // each followed by a seek of the forename within it; or, when the range holds more than
  // SURNAMES_TO_WALK surnames (three letters of a common beginning, at a million records, can hold a
  // thousand), the distinct forenames with the forename's letters, each followed by a seek of the
  // surnames' range within it (lost_pupil_keys_by_forename). Counting the first surnames costs at most
  // SURNAMES_TO_WALK + 1 seeks.
  const forenameOnly =
    query.forename && !(query.town || query.birthYear || query.birthMonth || query.birthDay);
  const manySurnames =
    forenameOnly &&
    Number(
      (
        await surnames()
          .selectFrom((qb) =>
            qb
              .selectFrom('walk')
              .select('walk.value')
              .where('walk.value', 'is not', null)
              .limit(SURNAMES_TO_WALK + 1)
              .as('first'),
          )
          .select((eb) => eb.fn.countAll<number | string>().as('count'))
          .executeTakeFirst()
      )?.count ?? 0,
    ) > SURNAMES_TO_WALK;
  const [forenameLow, forenameHigh] = prefixBounds(nameLetters(query.forename ?? ''));
  const found = manySurnames
    ? walk('forename_letters', forenameLow, forenameHigh)
        .selectFrom('walk')
        .crossJoin('lost_pupil_keys as k')
        .whereRef('k.forename_letters', '=', 'walk.value')
        .whereRef('k.key', '>=', 'walk.low')
        .whereRef('k.key', '<=', 'walk.high')
    : surnames()
        .selectFrom('walk')
        .crossJoin('lost_pupil_keys as k')
        .whereRef('k.key', '=', 'walk.value')
        .where(onKey);
  return found
    .crossJoin('lost_pupils as p')
    .select(LISTED)
    .whereRef('p.id', '=', 'k.lost_pupil_id')
    .where((eb) => onRecord(eb, false))
    .where(onceInRange)
    .limit(limit)
    .execute();
}

/** Records `userId`'s download of the record's file at `at`: their latest, kept beside any other user's. */
export async function recordLostPupilDownload(
  db: Executor,
  lostPupilId: string,
  userId: string,
  at: string,
): Promise<void> {
  await db
    .insertInto('lost_pupil_downloads')
    .values({ lost_pupil_id: lostPupilId, user_id: userId, downloaded_at: at })
    .onConflict((conflict) =>
      conflict.columns(['lost_pupil_id', 'user_id']).doUpdateSet({ downloaded_at: at }),
    )
    .execute();
}

/** Whether `userId` has downloaded the record's file (recordLostPupilDownload). */
export async function hasDownloadedLostPupil(
  db: Executor,
  lostPupilId: string,
  userId: string,
): Promise<boolean> {
  const row = await db
    .selectFrom('lost_pupil_downloads')
    .select('user_id')
    .where('lost_pupil_id', '=', lostPupilId)
    .where('user_id', '=', userId)
    .executeTakeFirst();
  return row !== undefined;
}

export async function getLostPupil(db: Executor, id: string): Promise<LostPupilRow | undefined> {
  return db.selectFrom('lost_pupils').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function getLostPupilByTransfer(
  db: Executor,
  transferId: string,
): Promise<LostPupilRow | undefined> {
  return db.selectFrom('lost_pupils').selectAll().where('transfer_id', '=', transferId).executeTakeFirst();
}

/** Where a record's file was forwarded (forward-service.ts): the copy made for the school. */
export interface ForwardedCopy {
  /** When it was forwarded (the copy's upload). */
  at: string;
  /** The school it was forwarded to. */
  school: string;
  /** The LA that forwarded it. */
  la: string;
  /**
   * What became of the copy: waiting for the school ('available'), collected, rejected or removed. A copy
   * gone (COPY_GONE: rejected, removed or quarantined) means the file is forwarded again (decision 38).
   */
  status: TransferRow['status'];
  /** When the school rejected it, if it did. */
  rejectedAt: string | null;
}

/**
 * The forward of each of these records' files that has one, by the file's id (a record's id is its
 * file's): the one whose copy is on its way, else the latest. A file is forwarded once, unless its school
 * rejected the copy or its LA removed it: then again (decision 38). The forwarding LA is the one the copy
 * records (forwarding_la, migration 038), else its sender's: a copy made by a node of the version before
 * that migration is sent in the forwarding LA's name (decision 33).
 */
export async function forwardsOf(
  db: Executor,
  transferIds: readonly string[],
): Promise<Map<string, ForwardedCopy>> {
  const forwards = new Map<string, ForwardedCopy>();
  if (transferIds.length === 0) return forwards;
  const rows = await db
    .selectFrom('transfers as c')
    .select([
      'c.forwarded_from',
      'c.uploaded_at',
      'c.dest_school',
      'c.source_la',
      'c.forwarding_la',
      'c.status',
      'c.rejected_at',
    ])
    .where('c.forwarded_from', 'in', [...new Set(transferIds)])
    .orderBy('c.uploaded_at')
    .orderBy('c.id')
    .execute();
  for (const row of rows) {
    if (!row.forwarded_from || !row.dest_school) continue;
    // The one copy on its way (waiting or collected), if there is one (only one can be:
    // forward-service.ts); else the latest.
    const earlier = forwards.get(row.forwarded_from);
    if (earlier && !COPY_GONE.includes(earlier.status) && COPY_GONE.includes(row.status)) continue;
    forwards.set(row.forwarded_from, {
      at: row.uploaded_at,
      school: row.dest_school,
      la: row.forwarding_la ?? row.source_la,
      status: row.status,
      rejectedAt: row.rejected_at,
    });
  }
  return forwards;
}

/**
 * The copy of this file the user forwarded, while it is on its way (waiting for the school, or collected):
 * a second forward by the same user is the same form (or API request) sent again, or at once after the
 * other. Undefined when there is none.
 */
export async function copyForwardedBy(
  db: Executor,
  transferId: string,
  userId: string,
): Promise<TransferRow | undefined> {
  return db
    .selectFrom('transfers')
    .selectAll()
    .where('forwarded_from', '=', transferId)
    .where('uploaded_by', '=', userId)
    .where('status', 'not in', [...COPY_GONE])
    .executeTakeFirst();
}

/**
 * How many of an LA's records still in the database were forwarded to a school by another LA, their
 * files kept for the LA to remove (decision 36), once the school has collected the copy: before, the LA
 * cannot remove them (review-service.ts), and a rejection makes the pupil lost again (decision 38). The
 * LA's own forwards keep the file too, until the school collects it: those are not counted.
 */
export async function countForwardedByOthers(db: Executor, laNumber: string): Promise<number> {
  const row = await db
    .selectFrom('lost_pupils as lp')
    .innerJoin('transfers as o', 'o.id', 'lp.transfer_id')
    .select((eb) => eb.fn.countAll().as('n'))
    .where('lp.source_la', '=', laNumber)
    .where('lp.status', '=', 'found')
    .where('o.status', '=', 'available')
    .where((eb) =>
      eb.exists(
        eb
          .selectFrom('transfers as c')
          .select('c.id')
          .whereRef('c.forwarded_from', '=', 'o.id')
          .where('c.status', '=', 'collected')
          .where((copy) => copy(copy.fn.coalesce('c.forwarding_la', 'c.source_la'), '!=', laNumber)),
      ),
    )
    .executeTakeFirst();
  return Number(row?.n ?? 0);
}

/**
 * How many of an LA's records still in the database another LA found by downloading the file and saying
 * it was downloaded correctly (decision 71), for the LA to close its case and remove: found by another
 * LA, the file still in the database, and no copy of it forwarded that waits at a school or was collected
 * (those are a forward's, counted by countForwardedByOthers once collected, and not before).
 */
export async function countFoundByOthers(db: Executor, laNumber: string): Promise<number> {
  const row = await db
    .selectFrom('lost_pupils as lp')
    .innerJoin('transfers as o', 'o.id', 'lp.transfer_id')
    .select((eb) => eb.fn.countAll().as('n'))
    .where('lp.source_la', '=', laNumber)
    .where('lp.status', '=', 'found')
    .where('lp.found_by_la', '!=', laNumber)
    .where('o.status', '=', 'available')
    .where((eb) =>
      eb.not(
        eb.exists(
          eb
            .selectFrom('transfers as c')
            .select('c.id')
            .whereRef('c.forwarded_from', '=', 'o.id')
            .where('c.status', 'in', ['available', 'pending-scan', 'collected']),
        ),
      ),
    )
    .executeTakeFirst();
  return Number(row?.n ?? 0);
}
