import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { nameLetters } from '../../src/lost-pupils/phonetics.ts';
import { migrateToLatest } from '../../src/platform/db/database.ts';
import { searchText } from '../../src/platform/db/text-search.ts';
import { SPELLED_OUT } from '../../src/platform/letters.ts';
import { createTestDatabase, ENGINES, type TestDatabase } from '../support/databases.ts';

test('search text is lower-case, single-spaced and leaves punctuation out', () => {
  // The handbook's example (§7) and the ways it is typed.
  assert.equal(searchText('St. Mary and St. Martha School'), 'st mary and st martha school');
  assert.equal(searchText('St. Martha'), 'st martha');
  assert.equal(searchText("Martha's"), 'martha', 'a possessive is the word itself');
  assert.equal(
    searchText('St Martha’s C.E. (VA) Primary'),
    'st martha ce va primary',
    'curly apostrophe, C.E.',
  );
  assert.equal(searchText("O'Sullivan"), 'osullivan', 'an apostrophe inside a word joins it');
  assert.equal(searchText('Stratford-upon-Avon'), 'stratford upon avon');
  assert.equal(
    searchText('  Ysgol   Gymraeg, Bro Ŵyr '),
    'ysgol gymraeg bro wyr',
    'Welsh letters are kept, without their accents',
  );
  assert.equal(searchText('Bro Tâf'), searchText('Bro Taf'), 'accents typed or not');
  assert.equal(searchText('Ysgol Glan Ŷ Môr'), 'ysgol glan y mor');
  assert.equal(searchText('100% _a'), '100 a', 'no LIKE wildcard reaches the query');
  assert.equal(searchText(' . - '), '');
  assert.equal(searchText(null), '');
});

test('letters with no accent to take off are spelled out, as the Lost Pupils search spells them', () => {
  assert.equal(searchText('Łódź'), 'lodz');
  assert.equal(searchText('ŁÓDŹ'), 'lodz', 'capitals too');
  assert.equal(searchText('Øresund Skole'), 'oresund skole');
  assert.equal(searchText('Kjær Æble'), 'kjaer aeble');
  assert.equal(searchText('Þórshöfn'), 'thorshofn');
  assert.equal(searchText('Guðrún Đorđević'), 'gudrun dordevic');
  assert.equal(searchText('Straße'), 'strasse');
  assert.equal(searchText('Œuvre Ħamrun'), 'oeuvre hamrun');
  // Latin Extended-B: before, kept as written ("əli"), so typed in plain letters it was not found.
  assert.equal(searchText('Məktəb Əli Ƒord'), 'maktab ali ford');
  assert.equal(searchText('Ȝate Ɓauchi Ștefan'), 'yate bauchi stefan');
  // Every letter either search spells out, capital or small, the same way in both.
  const letters = [...SPELLED_OUT, ...'ǼǽǾǿǮǯ'];
  for (const letter of letters) {
    const inFinder = searchText(`a${letter}b`);
    assert.match(inFinder, /^a[a-z]+b$/, `${letter} in the finder: ${inFinder}`);
    assert.equal(inFinder.toUpperCase(), nameLetters(`a${letter}b`), letter);
  }
});

/** The text the search columns held before migration 024: lower-cased, single-spaced. */
const lowerCased = (value: string) => value.toLowerCase().replace(/\s+/g, ' ').trim();

for (const engine of ENGINES) {
  describe(`migration 024 recomputes the stored search text [${engine}]`, () => {
    let database: TestDatabase;
    before(async () => {
      database = await createTestDatabase(engine, '023-lost-pupils-due-by-la');
    });
    after(async () => {
      await database.drop();
    });

    test('every school, past a batch, gets the search text of its name and town', async () => {
      const { db } = database;
      await db
        .insertInto('local_authorities')
        .values({ number: '916', name: 'Testshire', country: 'England', updated_at: '2026-11-01T09:00:00Z' })
        .execute();
      // More schools than a batch (500), every other one with punctuation in its name.
      const schools = Array.from({ length: 1203 }, (_, i) => {
        const name = i % 2 === 0 ? `St. Martha’s C.E. School ${i}` : `Hillside School ${i}`;
        const town = i === 1202 ? null : 'Stratford-upon-Avon';
        return {
          number: `916${String(i).padStart(4, '0')}`,
          la_number: '916',
          name,
          name_search: lowerCased(name),
          town,
          town_search: lowerCased(town ?? ''),
          status: 'open' as const,
          uses_s2s: 1 as const,
          active: 1 as const,
          created_at: '2026-11-01T09:00:00Z',
          updated_at: '2026-11-01T09:00:00Z',
        };
      });
      for (let start = 0; start < schools.length; start += 200) {
        await db
          .insertInto('establishments')
          .values(schools.slice(start, start + 200))
          .execute();
      }

      await migrateToLatest(db, database.schema);

      const stored = await db
        .selectFrom('establishments')
        .select(['number', 'name', 'town', 'name_search', 'town_search', 'updated_at'])
        .orderBy('number')
        .execute();
      assert.equal(stored.length, schools.length);
      for (const school of stored) {
        assert.equal(school.name_search, searchText(school.name), school.number);
        assert.equal(school.town_search, searchText(school.town), school.number);
        assert.equal(school.updated_at, '2026-11-01T09:00:00Z', 'a school is not changed by it');
      }
      assert.equal(stored[0]?.name_search, 'st martha ce school 0');
      assert.equal(stored[1]?.name_search, 'hillside school 1');
      assert.equal(stored[1202]?.town_search, '');
      assert.equal(stored[1201]?.town_search, 'stratford upon avon');
    });
  });
}

for (const engine of ENGINES) {
  describe(`migration 030 takes the accents out of the stored search text [${engine}]`, () => {
    let database: TestDatabase;
    before(async () => {
      database = await createTestDatabase(engine, '029-outbox-queued-at');
    });
    after(async () => {
      await database.drop();
    });

    test('a Welsh school is found by its name typed without accents', async () => {
      const { db } = database;
      await db
        .insertInto('local_authorities')
        .values({ number: '681', name: 'Sir Gâr', country: 'Wales', updated_at: '2026-11-01T09:00:00Z' })
        .execute();
      const school = (number: string, name: string, town: string) => ({
        number,
        la_number: '681',
        name,
        // As the version before stored it: punctuation out, accents kept.
        name_search: name.toLowerCase(),
        town,
        town_search: town.toLowerCase(),
        status: 'open' as const,
        uses_s2s: 1 as const,
        active: 1 as const,
        created_at: '2026-11-01T09:00:00Z',
        updated_at: '2026-11-01T09:00:00Z',
      });
      await db
        .insertInto('establishments')
        .values([
          school('6812001', 'Ysgol Gymraeg Bro Tâf', 'Caerfyrddin'),
          school('6812002', 'Ysgol y Dderi', 'Llanybydder'),
        ])
        .execute();

      await migrateToLatest(db, database.schema);

      const stored = await db
        .selectFrom('establishments')
        .select(['number', 'name_search', 'town_search', 'updated_at'])
        .where('la_number', '=', '681')
        .orderBy('number')
        .execute();
      assert.deepEqual(
        stored.map((row) => [row.number, row.name_search, row.town_search, row.updated_at]),
        [
          ['6812001', 'ysgol gymraeg bro taf', 'caerfyrddin', '2026-11-01T09:00:00Z'],
          ['6812002', 'ysgol y dderi', 'llanybydder', '2026-11-01T09:00:00Z'],
        ],
      );
    });
  });
}

/** searchText as it was before migration 035: accents off, Ł, Ø, Æ... kept as letters. */
const accentFreeOnly = (value: string) =>
  value
    .normalize('NFKD')
    .replace(/\p{M}/gu, '')
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]+/gu, ' ')
    .trim();

for (const engine of ENGINES) {
  describe(`migration 035 spells out Ł, Ø, Æ... in the stored search text [${engine}]`, () => {
    let database: TestDatabase;
    before(async () => {
      database = await createTestDatabase(engine, '034-report-order-indexes');
    });
    after(async () => {
      await database.drop();
    });

    test('a school named with them is found by its name typed in plain letters; the others are left as they are', async () => {
      const { db } = database;
      await db
        .insertInto('local_authorities')
        .values({ number: '919', name: 'Testshire', country: 'England', updated_at: '2026-11-01T09:00:00Z' })
        .execute();
      const school = (number: string, name: string, town: string) => ({
        number,
        la_number: '919',
        name,
        name_search: accentFreeOnly(name),
        town,
        town_search: accentFreeOnly(town),
        status: 'open' as const,
        uses_s2s: 1 as const,
        active: 1 as const,
        created_at: '2026-11-01T09:00:00Z',
        updated_at: '2026-11-01T09:00:00Z',
      });
      // More schools than a batch (500), the ones with such letters among them, on either side of it.
      const plain = Array.from({ length: 700 }, (_, i) =>
        school(`919${String(i + 1000).padStart(4, '0')}`, `Hillside School ${i}`, 'Bath'),
      );
      await db
        .insertInto('establishments')
        .values([
          school('9190001', 'Szkoła Łódź', 'Łódź'),
          school('9190002', 'Øresund Skole', 'Malmö'),
          ...plain.slice(0, 350),
        ])
        .execute();
      await db
        .insertInto('establishments')
        .values([school('9199999', 'Þórshöfn Kjær School', 'Tórshavn'), ...plain.slice(350)])
        .execute();
      assert.equal(
        (
          await db
            .selectFrom('establishments')
            .select('name_search')
            .where('number', '=', '9190001')
            .executeTakeFirst()
        )?.name_search,
        'szkoła łodz',
        'as the previous version stored it',
      );

      await migrateToLatest(db, database.schema);

      const stored = await db
        .selectFrom('establishments')
        .select(['number', 'name', 'town', 'name_search', 'town_search', 'updated_at'])
        .where('la_number', '=', '919')
        .orderBy('number')
        .execute();
      assert.deepEqual(
        stored
          .filter((row) => !row.name.startsWith('Hillside'))
          .map((row) => [row.number, row.name_search, row.town_search, row.updated_at]),
        [
          ['9190001', 'szkola lodz', 'lodz', '2026-11-01T09:00:00Z'],
          ['9190002', 'oresund skole', 'malmo', '2026-11-01T09:00:00Z'],
          ['9199999', 'thorshofn kjaer school', 'torshavn', '2026-11-01T09:00:00Z'],
        ],
      );
      for (const row of stored) {
        assert.equal(row.name_search, searchText(row.name), row.number);
        assert.equal(row.town_search, searchText(row.town), row.number);
      }
    });
  });
}
