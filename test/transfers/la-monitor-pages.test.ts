// The LA monitoring lists read a page at a time: the database sorts and pages by file name and by upload
// time, and every page is still exactly what the lists showed when every file of the tab was read and
// sorted in memory (download-listing.ts, sortListings), ties included. The names and times are chosen to
// tell the orders apart: names that differ only in case, `_` and `.` beside digits and letters (a
// locale's collation puts punctuation first, or ignores it), and many files uploaded at the same instant.
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import type { KyselyPlugin } from 'kysely';
import pg from 'pg';
import type { Db, TransferRow } from '../../src/platform/db/schema.ts';
import { createLogger } from '../../src/platform/logger.ts';
import type { Sort, SortKey } from '../../src/transfers/download-listing.ts';
import { laCtfPageQuery } from '../../src/transfers/download-repository.ts';
import {
  LA_TABS,
  type LaCtfTab,
  LaMonitorService,
  MONITOR_PAGE_SIZE,
} from '../../src/transfers/la-monitor-service.ts';
import {
  allVisible,
  asMigration,
  describeEachEngine,
  POSTGRES_URL,
  queryPlan,
  readsIndexAlone,
} from '../support/databases.ts';
import { makeLa, makeSchool, makeUser } from '../support/factories.ts';
import { actorOf, la, makeFileStores, makeTransfer, type Sender, school } from '../support/transfers.ts';

const COLLECTED = { status: 'collected', collected_at: '2026-11-21T09:00:00.000Z' } as const;

/** The characters of CTF names (filenames.ts), in both cases: `.` < digits < upper case < `_` < lower case. */
const NAME_CHARACTERS = ['0', '9', 'a', 'A', 'b', 'B', 'z', 'Z', '_', '.'];

/** A fixed sequence of pseudo-random numbers (the same files on every run). */
function numbers(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1_103_515_245 + 12_345) % 2_147_483_648;
    return state / 2_147_483_648;
  };
}

interface Made {
  id: string;
  filename: string;
  uploadedAt: string;
  /** The English names of both ends, as the lists sort them, and their codes. */
  source: { name: string; code: string };
  destination: { name: string; code: string };
}

const byCharacter = (x: string, y: string) => (x < y ? -1 : x > y ? 1 : 0);
const byName = new Intl.Collator('en-GB', { sensitivity: 'base' });
const byParty = (x: Made['source'], y: Made['source']) =>
  byName.compare(x.name, y.name) || byName.compare(x.code, y.code);

/**
 * The order the lists have always had, written out here rather than taken from the code under test: by
 * the column (file names by their upper case, character by character), ties oldest first, then by id.
 */
function expectedOrder(files: readonly Made[], sort: Sort): string[] {
  const sign = sort.order === 'ascending' ? 1 : -1;
  const column: Record<SortKey, (a: Made, b: Made) => number> = {
    file: (a, b) => byCharacter(a.filename.toUpperCase(), b.filename.toUpperCase()),
    uploaded: (a, b) => byCharacter(a.uploadedAt, b.uploadedAt),
    source: (a, b) => byParty(a.source, b.source),
    destination: (a, b) => byParty(a.destination, b.destination),
  };
  return [...files]
    .sort(
      (a, b) =>
        sign * column[sort.key](a, b) || byCharacter(a.uploadedAt, b.uploadedAt) || byCharacter(a.id, b.id),
    )
    .map((file) => file.id);
}

const SORTS: Sort[] = (['file', 'uploaded', 'source', 'destination'] as const).flatMap((key) => [
  { key, order: 'ascending' as const },
  { key, order: 'descending' as const },
]);

/** `db`, counting the rows its queries return. */
function countingRows(db: Db): { db: Db; read: () => number } {
  let rows = 0;
  const plugin: KyselyPlugin = {
    transformQuery: ({ node }) => node,
    async transformResult({ result }) {
      rows += result.rows.length;
      return result;
    },
  };
  return { db: db.withPlugin(plugin), read: () => rows };
}

describeEachEngine('LA monitoring lists, a page at a time', (database) => {
  const stores = makeFileStores();
  const clock = { now: () => new Date('2026-11-23T09:00:00.000Z') };
  const service = (db: Db = database().db) =>
    new LaMonitorService({ db, files: stores.files, clock, logger: createLogger('silent') });

  // A PostgreSQL server's databases are often made with the locale's collation (en_GB.UTF-8), where
  // punctuation sorts before digits and case is a tie-break: the lists' columns get such a collation here,
  // so that an ORDER BY relying on the database's collation gives another order than the lists'.
  before(async () => {
    const { engine, schema } = database();
    if (engine !== 'postgres') return;
    const client = new pg.Client({ connectionString: POSTGRES_URL });
    await client.connect();
    try {
      await asMigration(
        client,
        `alter table ${schema}.transfers
           alter column filename type varchar(120) collate "en-GB-x-icu",
           alter column uploaded_at type varchar(30) collate "en-GB-x-icu"`,
      );
    } finally {
      await client.end();
    }
  });

  /** LA A's collected CTFs, in every tab, in numbers that fill several pages, and the files around them. */
  async function crowdedTabs() {
    const db = database().db;
    const laA = await makeLa(db, { name: 'Ayshire' });
    const laB = await makeLa(db, { name: 'beeshire' });
    const ends = {
      a: [
        { sender: la(laA.number), name: 'Ayshire LA', code: `${laA.number}LLLL` },
        ...(await Promise.all(
          ['zeta Primary', 'Alpha Primary', 'alpha Junior'].map(async (name) => {
            const { number } = await makeSchool(db, laA.number, { name });
            return { sender: school(number), name, code: number };
          }),
        )),
      ],
      b: [
        { sender: la(laB.number), name: 'beeshire LA', code: `${laB.number}LLLL` },
        ...(await Promise.all(
          ['Beta Primary', 'beta Academy'].map(async (name) => {
            const { number } = await makeSchool(db, laB.number, { name });
            return { sender: school(number), name, code: number };
          }),
        )),
      ],
    };
    const random = numbers(916);
    const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)] as T;
    // Fourteen instants for hundreds of files: most files share their upload time with others.
    const instants = Array.from({ length: 14 }, (_, i) =>
      new Date(Date.UTC(2026, 9, 1 + (i % 7), 9 + i)).toISOString(),
    );
    const name = () =>
      `${Array.from({ length: 2 + Math.floor(random() * 4) }, () => pick(NAME_CHARACTERS)).join('')}.XML`;
    const made: Record<LaCtfTab, Made[]> = { within: [], incoming: [], outgoing: [] };
    /** A CTF; listed in `tab` (null: in none of LA A's collected tabs). */
    const make = async (
      tab: LaCtfTab | null,
      from: (typeof ends.a)[number],
      to: (typeof ends.a)[number] | null,
      overrides: Partial<TransferRow> = COLLECTED,
    ) => {
      const lost = to === null;
      const { row } = await makeTransfer(db, stores.files, {
        from: from.sender,
        to: to?.sender ?? (la(laB.number) as Sender),
        pupils: [],
        filename: name(),
        uploadedAt: pick(instants),
        overrides: lost
          ? {
              ...overrides,
              dest_kind: 'lost-pupils',
              dest_la: null,
              dest_school: null,
              lost_reason: 'destination-unknown',
            }
          : overrides,
      });
      const destination = to ?? { name: 'Lost pupils database (destination unknown)', code: 'XXXXXXXX' };
      if (tab) {
        made[tab].push({
          id: row.id,
          filename: row.filename,
          uploadedAt: row.uploaded_at,
          source: { name: from.name, code: from.code },
          destination: { name: destination.name, code: destination.code },
        });
      }
    };
    for (let i = 0; i < 2 * MONITOR_PAGE_SIZE + 37; i += 1) await make('within', pick(ends.a), pick(ends.a));
    for (let i = 0; i < MONITOR_PAGE_SIZE + 11; i += 1) await make('incoming', pick(ends.b), pick(ends.a));
    for (let i = 0; i < MONITOR_PAGE_SIZE + 3; i += 1) await make('outgoing', pick(ends.a), pick(ends.b));
    for (let i = 0; i < 7; i += 1) await make('outgoing', pick(ends.a), null);
    // In none of LA A's collected tabs: waiting, rejected, another LA's own.
    await make(null, pick(ends.a), pick(ends.a), { status: 'available' });
    await make(null, pick(ends.b), pick(ends.a), {
      status: 'rejected',
      rejected_at: '2026-11-22T09:00:00.000Z',
    });
    await make(null, pick(ends.b), pick(ends.b));
    const user = actorOf(await makeUser(db, 'la_user', { laNumber: laA.number }));
    return { db, laA, made, user };
  }

  test('every page of every tab, for every column and order, is the page the whole sorted tab gives', async () => {
    const { made, user } = await crowdedTabs();
    for (const tab of LA_TABS) {
      const files = made[tab];
      const pageCount = Math.ceil(files.length / MONITOR_PAGE_SIZE);
      assert.ok(pageCount >= 2, `${tab}: several pages`);
      for (const sort of SORTS) {
        const shown: string[] = [];
        for (let n = 1; n <= pageCount; n += 1) {
          const page = await service().monitor(user, tab, 'collected', sort, n);
          assert.equal(page.page, n);
          assert.equal(page.total, files.length, `${tab} total`);
          assert.equal(page.pageCount, pageCount, `${tab} pages`);
          shown.push(...page.items.map((file) => file.id));
        }
        assert.deepEqual(shown, expectedOrder(files, sort), `${tab} by ${sort.key}, ${sort.order}`);
        const past = await service().monitor(user, tab, 'collected', sort, pageCount + 3);
        assert.equal(past.page, pageCount, 'past the end: the last page');
        assert.deepEqual(
          past.items.map((file) => file.id),
          shown.slice((pageCount - 1) * MONITOR_PAGE_SIZE),
        );
      }
    }
  });

  test('a page sorted by file name or upload time reads the rows of a page, not of the whole tab', async () => {
    const { made, user } = await crowdedTabs();
    assert.ok(made.within.length > 2 * MONITOR_PAGE_SIZE);
    for (const sort of SORTS.filter((s) => s.key === 'file' || s.key === 'uploaded')) {
      const counting = countingRows(database().db);
      const page = await service(counting.db).monitor(user, 'within', 'collected', sort, 2);
      assert.equal(page.items.length, MONITOR_PAGE_SIZE);
      // The count, the page's ids, its rows and the names of its schools and LAs.
      assert.ok(counting.read() <= 2 * MONITOR_PAGE_SIZE + 10, `${sort.key}: ${counting.read()} rows read`);
    }
  });

  test("a page is read from the tab's index alone, in its order by upload time", async () => {
    const { engine } = database();
    const { db, laA } = await crowdedTabs();
    await allVisible(db, engine, 'transfers');
    const index: Record<LaCtfTab, string> = {
      // Both ends in the LA: by either.
      within: 'transfers_la_ctfs_(to|from)',
      incoming: 'transfers_la_ctfs_to',
      outgoing: 'transfers_la_ctfs_from',
    };
    for (const tab of LA_TABS) {
      for (const sort of SORTS.filter((s) => s.key === 'file' || s.key === 'uploaded')) {
        const query = laCtfPageQuery(
          db,
          laA.number,
          { tab, status: 'collected', lostPupils: true },
          { key: sort.key as 'file' | 'uploaded', order: sort.order },
          { limit: MONITOR_PAGE_SIZE, offset: MONITOR_PAGE_SIZE },
        ).compile();
        const plan = await queryPlan(db, engine, query);
        assert.match(plan, readsIndexAlone(engine, index[tab]), `${tab} ${sort.key}\n${plan}`);
        if (sort.key === 'uploaded' && sort.order === 'ascending') {
          assert.doesNotMatch(plan, /TEMP B-TREE|Sort/, `${tab}: in the index's order\n${plan}`);
        }
        if (sort.key === 'uploaded' && engine === 'sqlite') {
          // Descending, the files of one instant are put in order of id; never the whole tab. (PostgreSQL
          // does so too on a large tab, an Incremental Sort: sorting this small one whole costs it less.)
          assert.doesNotMatch(plan, /USE TEMP B-TREE FOR ORDER BY/, `${tab} ${sort.order}\n${plan}`);
        }
      }
    }
  });
});
