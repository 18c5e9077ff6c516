// Migration 037: the Lost Pupils Database records and schools stored while the searches dropped (or kept
// as written) the letters of Latin Extended-B with no accent to take off get what a record or school gets
// now, and are found by their names typed in plain letters: "Aliyev" finds "Əliyev".
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { nameLetters } from '../../src/lost-pupils/phonetics.ts';
import { type NewLostPupil, searchLostPupils } from '../../src/lost-pupils/repository.ts';
import { migrateToLatest } from '../../src/platform/db/database.ts';
import { searchText } from '../../src/platform/db/text-search.ts';
import { createTestDatabase, ENGINES, type TestDatabase } from '../support/databases.ts';
import { insertLostPupilsWithFiles, searchKeysOf } from '../support/lost-pupils.ts';

const AT = '2026-12-05T10:00:00.000Z';
/** The letters these tests' names hold that the previous version dropped. */
const NEW_LETTERS = /[ƏəƑƒǲǅǆȜȝƁɓƊɗ]/gu;
/** A name as the previous version read it: without those letters. */
const asBefore = (name: string | null) => name?.replace(NEW_LETTERS, '') ?? null;

function record(i: number, names: Pick<NewLostPupil, 'surname' | 'former_surname' | 'forename' | 'town'>) {
  const id = randomUUID();
  return {
    id,
    transfer_id: id,
    reason: 'destination-unknown',
    upn: null,
    former_upn: null,
    middle_names: null,
    date_of_birth: `2013-0${(i % 9) + 1}-1${i % 10}`,
    gender: 'M',
    source_la: '916',
    source_school: '9165402',
    uploaded_at: AT,
    leaves_school_on: '2029-06-29',
    ...names,
  } satisfies NewLostPupil;
}

/** Every third record with a name the previous version read without some of its letters. */
function namesOf(i: number) {
  if (i % 3 !== 0) return { surname: 'Popescu', former_surname: null, forename: 'Ștefan', town: 'Bath' };
  const pick = <T>(list: T[]) => list[i % list.length] as T;
  return {
    surname: pick(['Əliyev', 'Məmmədov', 'ǲafić', 'Ɓello']),
    former_surname: pick([null, 'Ɗanjuma']),
    forename: pick(['Ƒatima', 'ǅemal', 'Ȝvonne']),
    town: pick(['Bakı', 'Gəncə', 'Bath']),
  };
}

for (const engine of ENGINES) {
  describe(`migration 037 spells out the letters of Latin Extended-B [${engine}]`, () => {
    let database: TestDatabase;
    before(async () => {
      database = await createTestDatabase(engine, '036-keyed-audit-chain');
    });
    after(async () => {
      await database.drop();
    });

    test('each record past a batch gets the letters and keys a record gets now, and is found by them; so does each school', async () => {
      const { db } = database;
      // Schools as the previous version stored their search text: those letters kept as written.
      const school = (number: string, name: string, town: string) => ({
        number,
        la_number: '916',
        name,
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
        .insertInto('local_authorities')
        .values({ number: '916', name: 'Testshire', country: 'England', updated_at: '2026-11-01T09:00:00Z' })
        .execute();
      await db
        .insertInto('establishments')
        .values([school('9163701', 'Məktəb Əli', 'Gəncə'), school('9163702', 'Hillside School', 'Bath')])
        .execute();
      // More records beyond ASCII than a batch (500: Ștefan is beyond ASCII too), stored as the previous
      // version stored them: letters and keys worked out without the new letters, names as written.
      const records = Array.from({ length: 1300 }, (_, i) => record(i, namesOf(i)));
      await insertLostPupilsWithFiles(
        db,
        records.map((r) => ({
          ...r,
          surname: asBefore(r.surname),
          former_surname: asBefore(r.former_surname),
          forename: asBefore(r.forename),
          town: asBefore(r.town),
        })),
        AT,
      );
      await db.transaction().execute(async (trx) => {
        for (const r of records.filter((_, i) => i % 3 === 0)) {
          await trx
            .updateTable('lost_pupils')
            .set({ surname: r.surname, former_surname: r.former_surname, forename: r.forename, town: r.town })
            .where('id', '=', r.id)
            .execute();
        }
      });
      const aliyev = records.filter((r) => r.surname === 'Əliyev').map((r) => r.id);
      const find = async (surname: string, surnameBegins: boolean) =>
        (await searchLostPupils(db, { statuses: ['lost'], surname, surnameBegins }, 10_000)).map(
          (row) => row.id,
        );
      assert.deepEqual(await find('Aliyev', true), [], 'stored as LIYEV');

      await migrateToLatest(db, database.schema);

      const schools = await db
        .selectFrom('establishments')
        .select(['number', 'name_search', 'town_search', 'updated_at'])
        .where('number', 'in', ['9163701', '9163702'])
        .orderBy('number')
        .execute();
      assert.deepEqual(
        schools.map((row) => [row.number, row.name_search, row.town_search, row.updated_at]),
        [
          ['9163701', searchText('Məktəb Əli'), 'ganca', '2026-11-01T09:00:00Z'],
          ['9163702', 'hillside school', 'bath', '2026-11-01T09:00:00Z'],
        ],
      );
      assert.equal(searchText('Məktəb Əli'), 'maktab ali');

      const stored = await db
        .selectFrom('lost_pupils')
        .selectAll()
        .where(
          'id',
          'in',
          records.map((r) => r.id),
        )
        .execute();
      assert.equal(stored.length, records.length);
      for (const row of stored) {
        assert.equal(row.surname_letters, nameLetters(row.surname ?? ''), row.surname ?? '');
        assert.equal(row.former_surname_letters, nameLetters(row.former_surname ?? ''));
        assert.equal(row.forename_letters, nameLetters(row.forename ?? ''), row.forename ?? '');
        assert.equal(row.town_letters, nameLetters(row.town ?? ''), row.town ?? '');
      }
      assert.deepEqual((await find('Aliyev', true)).sort(), [...aliyev].sort(), 'Surname Begins');
      const heard = await find('Aliyev', false);
      assert.ok(
        aliyev.every((id) => heard.includes(id)),
        'sounds like',
      );
      const danjuma = await find('Danjuma', true);
      assert.equal(danjuma.length, records.filter((r) => r.former_surname === 'Ɗanjuma').length, 'former');
      const dzemal = await searchLostPupils(
        db,
        { statuses: ['lost'], surname: 'Mammadov', surnameBegins: true, forename: 'Dzemal' },
        10_000,
      );
      assert.deepEqual(
        dzemal.map((row) => row.id).sort(),
        records
          .filter((r) => r.surname === 'Məmmədov' && r.forename === 'ǅemal')
          .map((r) => r.id)
          .sort(),
        'forename, on the keys',
      );

      // Their keys are those of the same names written now.
      const fresh = records.slice(0, 12).map((r, i) =>
        record(i, {
          surname: r.surname,
          former_surname: r.former_surname,
          forename: r.forename,
          town: r.town,
        }),
      );
      await insertLostPupilsWithFiles(db, fresh, AT);
      for (const [i, now] of fresh.entries()) {
        assert.deepEqual(
          await searchKeysOf(db, records[i]?.id ?? ''),
          await searchKeysOf(db, now.id),
          `record ${i}'s keys`,
        );
      }
    });
  });
}
