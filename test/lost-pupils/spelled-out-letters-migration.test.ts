// Migration 031: the records stored while nameLetters dropped Ł, Ø, Æ... get the letters and keys a
// record gets now, and are found by their names typed in plain letters.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { nameLetters } from '../../src/lost-pupils/phonetics.ts';
import { type NewLostPupil, searchLostPupils } from '../../src/lost-pupils/repository.ts';
import { migrateToLatest } from '../../src/platform/db/database.ts';
import { SPELLED_OUT_LETTERS } from '../../src/platform/db/migrations/031-spelled-out-name-letters.ts';
import { SPELLED_OUT as SPELLED_OUT_NOW } from '../../src/platform/letters.ts';
import { createTestDatabase, ENGINES, type TestDatabase } from '../support/databases.ts';
import { insertLostPupilsWithFiles, searchKeysOf } from '../support/lost-pupils.ts';

/** nameLetters as it was before: what decomposing leaves of A-Z, the rest dropped. */
const lettersBefore = (name: string) =>
  name
    .normalize('NFD')
    .replace(/\p{M}/gu, '')
    .toUpperCase()
    .replace(/[^A-Z]/g, '');

test('the migration looks for every character whose letters changed', () => {
  // Spelled out since by migration 037 (Latin Extended-B), which reads every record beyond ASCII.
  const since = SPELLED_OUT_NOW.filter((letter) => !SPELLED_OUT_LETTERS.includes(letter));
  const bySince = (letter: string) => since.includes(letter.normalize('NFD').replace(/\p{M}/gu, ''));
  // The Basic Multilingual Plane: no character beyond it changed (all of Unicode was checked once).
  for (let code = 0; code <= 0xffff; code++) {
    const letter = String.fromCodePoint(code);
    if (nameLetters(letter) !== lettersBefore(letter)) {
      assert.ok(
        SPELLED_OUT_LETTERS.includes(letter) || (code > 0x7f && bySince(letter)),
        `U+${code.toString(16)} ${letter} is spelled out now: records stored before need a migration`,
      );
    }
  }
});

const AT = '2026-11-23T10:00:00.000Z';
const SPELLED_OUT = new RegExp(`[${SPELLED_OUT_LETTERS.join('')}]`, 'gu');
/** A name as the previous version read it: without the letters it dropped. */
const asBefore = (name: string | null) => name?.replace(SPELLED_OUT, '') ?? null;

function record(
  i: number,
  names: Pick<NewLostPupil, 'surname' | 'former_surname' | 'forename' | 'town'>,
  id = randomUUID(),
): NewLostPupil {
  return {
    id,
    transfer_id: id,
    reason: 'destination-unknown',
    upn: null,
    former_upn: null,
    middle_names: null,
    date_of_birth: `2012-0${(i % 9) + 1}-1${i % 10}`,
    gender: 'F',
    source_la: '916',
    source_school: '9165402',
    uploaded_at: AT,
    leaves_school_on: '2028-06-30',
    ...names,
  };
}

/** The names a record is given: every other one with letters the previous version dropped. */
function namesOf(i: number) {
  if (i % 2 === 1) return { surname: 'Smith', former_surname: null, forename: 'Alex', town: 'Gloucester' };
  const pick = <T>(list: T[]) => list[i % list.length] as T;
  return {
    surname: pick(['Wałęsa', 'Kjær', 'Ødegård', 'Þórsdóttir', 'Đorđević', 'Ǿrsted']),
    former_surname: pick([null, 'Łukasiewicz', null]),
    forename: pick(['Søren', 'Æsa', 'Łucja', 'Guðrún']),
    town: pick(['Łódź', 'Ærøskøbing', 'Gloucester']),
  };
}

for (const engine of ENGINES) {
  describe(`migration 031 spells out the letters of names stored without them [${engine}]`, () => {
    let database: TestDatabase;
    before(async () => {
      database = await createTestDatabase(engine, '030-accent-free-search');
    });
    after(async () => {
      await database.drop();
    });

    test('each record, past a batch, gets the letters and keys a record gets now, and is found by them', async () => {
      const { db } = database;
      // More records with such letters than a batch (500), stored as the previous version stored them:
      // their letters and keys worked out without those letters, their names as written.
      const records = Array.from({ length: 1203 }, (_, i) => record(i, namesOf(i)));
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
        for (const r of records.filter((_, i) => i % 2 === 0)) {
          await trx
            .updateTable('lost_pupils')
            .set({ surname: r.surname, former_surname: r.former_surname, forename: r.forename, town: r.town })
            .where('id', '=', r.id)
            .execute();
        }
      });
      // A record with no such letter is not read: letters stored wrong some other way stay as they are.
      const plain = record(1, namesOf(1));
      await insertLostPupilsWithFiles(db, [plain], AT);
      await db
        .updateTable('lost_pupils')
        .set({ town_letters: 'UNTOUCHED' })
        .where('id', '=', plain.id)
        .execute();
      const walesa = records.filter((r) => r.surname === 'Wałęsa').map((r) => r.id);
      const findWalesa = async () =>
        (await searchLostPupils(db, { statuses: ['lost'], surname: 'Walesa', surnameBegins: true }, 10_000))
          .map((row) => row.id)
          .sort();
      assert.deepEqual(await findWalesa(), [], 'stored as WAESA');

      await migrateToLatest(db, database.schema);

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

      const untouched = await db
        .selectFrom('lost_pupils')
        .select('town_letters')
        .where('id', '=', plain.id)
        .executeTakeFirstOrThrow();
      assert.equal(untouched.town_letters, 'UNTOUCHED');

      assert.deepEqual(await findWalesa(), [...walesa].sort(), 'Surname Begins');
      const heard = await searchLostPupils(db, { statuses: ['lost'], surname: 'Walesa' }, 10_000);
      assert.ok(
        walesa.every((id) => heard.some((row) => row.id === id)),
        'sounds like',
      );
      const soren = records.filter((r) => r.forename === 'Søren').map((r) => r.id);
      const byForename = await searchLostPupils(
        db,
        { statuses: ['lost'], surname: 'Wal', surnameBegins: true, forename: 'Soren' },
        10_000,
      );
      assert.deepEqual(
        byForename.map((row) => row.id).sort(),
        walesa.filter((id) => soren.includes(id)).sort(),
        'forename, on the keys',
      );
      const formerly = await searchLostPupils(
        db,
        { statuses: ['lost'], surname: 'Lukasiewicz', surnameBegins: true },
        10_000,
      );
      assert.equal(formerly.length, records.filter((r) => r.former_surname === 'Łukasiewicz').length);

      // The same names written now, to compare keys with.
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
