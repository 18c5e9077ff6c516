import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { test } from 'node:test';
import {
  getLostPupil,
  insertLostPupil,
  insertLostPupils,
  type LostPupilQuery,
  type NewLostPupil,
  SURNAMES_TO_WALK,
  searchLostPupils,
} from '../../src/lost-pupils/repository.ts';
import type { Db, LostPupilRow } from '../../src/platform/db/schema.ts';
import { describeEachEngine } from '../support/databases.ts';
import { lostPupilFileRow } from '../support/lost-pupils.ts';

const AT = '2026-11-23T10:00:00.000Z';

/** The file a record belongs to (lost_pupils.transfer_id must name one). */
async function transferFor(db: Db, id: string): Promise<void> {
  await db.insertInto('transfers').values(lostPupilFileRow(id, AT)).execute();
}

type Fields = Partial<NewLostPupil> & { status?: LostPupilRow['status'] };

function newRecord(fields: Fields): NewLostPupil {
  const id = fields.id ?? randomUUID();
  const { status: _status, ...rest } = fields;
  return {
    id,
    transfer_id: id,
    reason: 'destination-unknown',
    upn: null,
    former_upn: null,
    surname: null,
    former_surname: null,
    forename: 'Alex',
    middle_names: null,
    date_of_birth: '2014-02-03',
    gender: 'F',
    town: 'Gloucester',
    source_la: '916',
    source_school: '9165402',
    uploaded_at: AT,
    leaves_school_on: '2030-06-28',
    ...rest,
  };
}

/** Writes a record (and its file) and returns its id. */
async function add(db: Db, fields: Fields): Promise<string> {
  const record = newRecord(fields);
  await transferFor(db, record.id);
  await insertLostPupil(db, record);
  if (fields.status && fields.status !== 'lost') {
    await db.updateTable('lost_pupils').set({ status: fields.status }).where('id', '=', record.id).execute();
  }
  return record.id;
}

const LOST = ['lost'] as const;
const ANY = ['lost', 'found', 'removed'] as const;

/** Every test writes its own records; a search may also find other tests', so answers are compared on ours. */
async function search(
  db: Db,
  mine: Record<string, string>,
  query: Omit<LostPupilQuery, 'statuses'> & { statuses?: LostPupilQuery['statuses'] },
  limit = 101,
): Promise<string[]> {
  const names = new Map(Object.entries(mine).map(([name, id]) => [id, name]));
  const rows = await searchLostPupils(db, { statuses: LOST, ...query }, limit);
  return rows
    .map((row) => names.get(row.id))
    .filter((name): name is string => name !== undefined)
    .sort();
}

/**
 * A name no other test uses: random consonants (their soundalike keys differ too), letters only. Its
 * Soundex code (4 characters) may still, rarely, be another test's: the tests allow for other records.
 */
function uniqueSurname(): string {
  const letters = randomUUID()
    .replace(/-/g, '')
    .slice(0, 10)
    .replace(/./g, (hex) => 'BCDFGJKLMNPRSTVZ'.charAt(Number.parseInt(hex, 16)).toLowerCase());
  return `Q${letters.replace(/(..)/g, '$1a')}`;
}

describeEachEngine('Lost Pupils Database search', (database) => {
  test('a soundalike surname finds Smyth and Smithe; "Surname Begins" finds Smithson instead', async () => {
    const { db } = database();
    const forename = uniqueSurname();
    const mine = {
      smith: await add(db, { surname: 'Smith', forename }),
      smyth: await add(db, { surname: 'Smyth', forename }),
      smithe: await add(db, { surname: 'Smithe', forename }),
      smithson: await add(db, { surname: 'Smithson', forename }),
      jones: await add(db, { surname: 'Jones', forename }),
      smart: await add(db, { surname: 'Smart', forename }),
    };
    assert.deepEqual(await search(db, mine, { surname: 'Smith' }), ['smith', 'smithe', 'smyth']);
    assert.deepEqual(await search(db, mine, { surname: 'smyth' }), ['smith', 'smithe', 'smyth']);
    assert.deepEqual(await search(db, mine, { surname: 'Smith', surnameBegins: true }), [
      'smith',
      'smithe',
      'smithson',
    ]);
    assert.deepEqual(await search(db, mine, { surname: 'Smi', surnameBegins: true }), [
      'smith',
      'smithe',
      'smithson',
    ]);
    assert.deepEqual(await search(db, mine, { surname: 'Sm', surnameBegins: true }), [
      'smart',
      'smith',
      'smithe',
      'smithson',
      'smyth',
    ]);
    // The same searches narrowed by the forename take the other way through the keys.
    assert.deepEqual(await search(db, mine, { surname: 'Smith', forename }), ['smith', 'smithe', 'smyth']);
    assert.deepEqual(await search(db, mine, { surname: 'Smi', surnameBegins: true, forename }), [
      'smith',
      'smithe',
      'smithson',
    ]);
  });

  test('a name of 100 characters that upper-casing lengthens (ß -> SS) is stored, and found by its beginning', async () => {
    const { db } = database();
    const surname = `${uniqueSurname()}${'ß'.repeat(100)}`.slice(0, 100);
    const mine = { long: await add(db, { surname, forename: 'ﬃ'.repeat(100), town: 'ﬃ'.repeat(100) }) };
    const row = await db
      .selectFrom('lost_pupils')
      .select(['surname_letters', 'forename_letters'])
      .where('id', '=', mine.long)
      .executeTakeFirstOrThrow();
    assert.equal(row.surname_letters.length, 100);
    assert.equal(row.forename_letters, 'FFI'.repeat(34).slice(0, 100));
    assert.deepEqual(await search(db, mine, { surname: surname.slice(0, 20), surnameBegins: true }), [
      'long',
    ]);
    assert.deepEqual(await search(db, mine, { surname, surnameBegins: true }), ['long']);
  });

  test('"Surname Begins" compares letters only and stops at the end of the prefix', async () => {
    const { db } = database();
    const forename = uniqueSurname();
    const mine = {
      obrien: await add(db, { surname: "O'Brien", forename }),
      obrian: await add(db, { surname: 'Obrian', forename }),
      nunez: await add(db, { surname: 'Núñez', forename }),
      numan: await add(db, { surname: 'Numan', forename }),
      // Just after the range of "Obr", and its last name.
      obs: await add(db, { surname: 'Obs', forename }),
      obrzzz: await add(db, { surname: 'Obrzzz', forename }),
    };
    for (const narrowed of [{}, { forename }]) {
      assert.deepEqual(await search(db, mine, { surname: "o'br", surnameBegins: true, ...narrowed }), [
        'obrian',
        'obrien',
        'obrzzz',
      ]);
      assert.deepEqual(await search(db, mine, { surname: 'NUÑ', surnameBegins: true, ...narrowed }), [
        'nunez',
      ]);
      assert.deepEqual(await search(db, mine, { surname: 'Nu', surnameBegins: true, ...narrowed }), [
        'numan',
        'nunez',
      ]);
    }
  });

  test('the former surname is searched as well as the surname, soundalike and by its beginning', async () => {
    const { db } = database();
    const forename = uniqueSurname();
    const mine = {
      married: await add(db, { surname: 'Patel', former_surname: 'Thompson', forename }),
      other: await add(db, { surname: 'Patel', forename }),
    };
    assert.deepEqual(await search(db, mine, { surname: 'Thomson' }), ['married']);
    assert.deepEqual(await search(db, mine, { surname: 'Thom', surnameBegins: true }), ['married']);
    assert.deepEqual(await search(db, mine, { surname: 'Thom', surnameBegins: true, forename }), ['married']);
    assert.deepEqual(await search(db, mine, { surname: 'Tomson', birthYear: 2014 }), ['married']);
    assert.deepEqual(await search(db, mine, { surname: 'Patel', forename }), ['married', 'other']);
  });

  test('a UPN matches the UPN or the former UPN, in either case', async () => {
    const { db } = database();
    const mine = {
      current: await add(db, { upn: 'A916540212001', surname: 'Evans' }),
      former: await add(db, { upn: 'B916540212002', former_upn: 'A916540212001', surname: 'Evans' }),
      other: await add(db, { upn: 'C916540212003', surname: 'Evans' }),
    };
    assert.deepEqual(await search(db, mine, { upn: 'A916540212001' }), ['current', 'former']);
    assert.deepEqual(await search(db, mine, { upn: 'a916540212001' }), ['current', 'former']);
    assert.deepEqual(await search(db, mine, { upn: 'C916540212003' }), ['other']);
    assert.deepEqual(await search(db, mine, { upn: 'A916540212001', surname: 'Evans' }), [
      'current',
      'former',
    ]);
    assert.deepEqual(await search(db, mine, { upn: 'A916540212001', surname: 'Jones' }), []);
    assert.deepEqual(
      await search(db, mine, { upn: 'A916540212001', surname: 'Eva', surnameBegins: true, forename: 'al' }),
      ['current', 'former'],
    );
    assert.deepEqual(await search(db, mine, { upn: 'Z999999999999' }), []);
  });

  test('forename, town, day, month and year of birth and gender each narrow on their own', async () => {
    const { db } = database();
    const town = uniqueSurname();
    const mine = {
      jack: await add(db, {
        surname: 'Walker',
        forename: 'Jack',
        gender: 'M',
        town,
        date_of_birth: '2012-05-03',
      }),
      james: await add(db, {
        surname: 'Walker',
        forename: 'James',
        gender: 'M',
        town: `${town} Hill`,
        date_of_birth: '2012-06-03',
      }),
      ajay: await add(db, {
        surname: 'Walker',
        forename: 'Ajay',
        gender: 'M',
        town: `Little ${town}`,
        date_of_birth: '2013-05-04',
      }),
      jade: await add(db, {
        surname: 'Walker',
        forename: 'Jade',
        gender: 'F',
        town,
        date_of_birth: '2013-06-04',
      }),
    };
    const all = { town: town.slice(0, 4) };
    assert.deepEqual(await search(db, mine, all), ['jack', 'jade', 'james']);
    assert.deepEqual(await search(db, mine, { ...all, forename: 'ja' }), ['jack', 'jade', 'james']);
    assert.deepEqual(await search(db, mine, { ...all, forename: 'Jam' }), ['james']);
    assert.deepEqual(await search(db, mine, { town: `Little ${town}` }), ['ajay']);
    assert.deepEqual(await search(db, mine, { town: `${town}Hi` }), ['james']);
    assert.deepEqual(await search(db, mine, { ...all, birthYear: 2012 }), ['jack', 'james']);
    assert.deepEqual(await search(db, mine, { ...all, birthMonth: 6 }), ['jade', 'james']);
    assert.deepEqual(await search(db, mine, { ...all, birthDay: 3 }), ['jack', 'james']);
    assert.deepEqual(await search(db, mine, { ...all, gender: 'F' }), ['jade']);
    assert.deepEqual(await search(db, mine, { ...all, gender: 'M' }), ['jack', 'james']);
    assert.deepEqual(
      await search(db, mine, { town: town.slice(0, 4), birthYear: 2012, birthMonth: 5, birthDay: 3 }),
      ['jack'],
    );
  });

  test('with a surname, every other field narrows the search, alone and together', async () => {
    const { db } = database();
    const surname = uniqueSurname();
    const mine = {
      a: await add(db, {
        surname,
        forename: 'Jack',
        gender: 'M',
        town: 'Bristol',
        date_of_birth: '2012-05-03',
      }),
      b: await add(db, { surname, forename: 'Jack', gender: 'M', town: 'Bath', date_of_birth: '2012-05-04' }),
      c: await add(db, {
        surname,
        forename: 'Jill',
        gender: 'F',
        town: 'Bristol',
        date_of_birth: '2012-05-03',
      }),
      d: await add(db, { surname, forename: 'Jill', gender: 'F', town: 'Bath', date_of_birth: '2011-05-03' }),
      e: await add(db, {
        surname,
        forename: 'Omar',
        gender: 'M',
        town: 'Bristol',
        date_of_birth: '2012-07-03',
      }),
    };
    const dob = { birthYear: 2012, birthMonth: 5, birthDay: 3 };
    for (const [how, named] of [
      ['soundalike', { surname }],
      ['begins', { surname: surname.slice(0, 5), surnameBegins: true }],
      ['begins, whole', { surname, surnameBegins: true }],
    ] as const) {
      const expect = async (query: Omit<LostPupilQuery, 'statuses' | 'surname'>, names: string[]) =>
        assert.deepEqual(
          await search(db, mine, { ...named, ...query }),
          names,
          `${how} ${JSON.stringify(query)}`,
        );
      await expect({}, ['a', 'b', 'c', 'd', 'e']);
      await expect({ forename: 'J' }, ['a', 'b', 'c', 'd']);
      await expect({ forename: 'jil' }, ['c', 'd']);
      await expect({ town: 'Bri' }, ['a', 'c', 'e']);
      await expect({ birthYear: 2012 }, ['a', 'b', 'c', 'e']);
      await expect({ birthMonth: 5 }, ['a', 'b', 'c', 'd']);
      await expect({ birthDay: 3 }, ['a', 'c', 'd', 'e']);
      await expect(dob, ['a', 'c']);
      await expect({ gender: 'F' }, ['c', 'd']);
      await expect({ forename: 'J', gender: 'F' }, ['c', 'd']);
      await expect({ ...dob, forename: 'Ja' }, ['a']);
      await expect({ ...dob, gender: 'F' }, ['c']);
      await expect({ forename: 'J', town: 'Bath' }, ['b', 'd']);
      await expect({ forename: 'J', town: 'Bath', birthYear: 2011 }, ['d']);
      await expect({ ...dob, forename: 'Jack', town: 'Bristol', gender: 'M' }, ['a']);
      await expect({ ...dob, forename: 'Jack', town: 'Bath' }, []);
    }
  });

  test('"Surname Begins" with a forename finds the same records when the range holds many surnames as few', async () => {
    const { db } = database();
    const prefix = uniqueSurname();
    // More distinct surnames with this beginning than the search walks one by one (it then walks the
    // forenames instead); those beginning `${prefix}b` are few (it walks them).
    const letter = (n: number) => String.fromCharCode(97 + (n % 26));
    const nameOf = (i: number) => `${prefix}${'bcd'[i % 3]}${letter(Math.floor(i / 26))}${letter(i)}`;
    const surnames = Array.from({ length: SURNAMES_TO_WALK + 10 }, (_, i) => nameOf(i));
    const forenames = ['Jack', 'Jill', 'Omar', 'Jo'];
    const statuses = ['lost', 'lost', 'found', 'lost', 'removed'] as const;
    const records: (Fields & { id: string })[] = surnames.map((surname, i) => ({
      id: randomUUID(),
      surname,
      forename: forenames[i % forenames.length] ?? null,
      gender: i % 2 === 0 ? 'F' : 'M',
      status: statuses[i % statuses.length],
    }));
    // Found by the former surname only, and (surname and former surname both in the range) once.
    records.push(
      {
        id: randomUUID(),
        surname: uniqueSurname(),
        former_surname: `${prefix}b0`,
        forename: 'Jack',
        gender: 'F',
      },
      {
        id: randomUUID(),
        surname: `${prefix}b1`,
        former_surname: `${prefix}c2`,
        forename: 'Jill',
        gender: 'M',
      },
    );
    // Just outside the range, on either side, with the same forenames.
    for (const surname of [prefix.slice(0, -1), `${prefix.slice(0, -1)}b`]) {
      for (const forename of forenames) records.push({ id: randomUUID(), surname, forename, gender: 'F' });
    }
    for (const record of records) await add(db, record);
    const mine = Object.fromEntries(records.map((record) => [record.id, record.id]));
    for (const beginning of [prefix, `${prefix}b`, nameOf(3)]) {
      for (const forename of ['J', 'Jil', 'Jo', 'Omar', 'X']) {
        for (const other of [{}, { gender: 'F' as const }, { statuses: ['lost', 'found'] as const }]) {
          const query = { surname: beginning, surnameBegins: true, forename, ...other };
          const wanted = records
            .filter(
              (r) =>
                [r.surname, r.former_surname].some((name) =>
                  name?.toUpperCase().startsWith(beginning.toUpperCase()),
                ) &&
                r.forename?.toUpperCase().startsWith(forename.toUpperCase()) &&
                (!('gender' in other) || r.gender === other.gender) &&
                (('statuses' in other ? other.statuses : LOST) as readonly string[]).includes(
                  r.status ?? 'lost',
                ),
            )
            .map((r) => r.id)
            .sort();
          assert.deepEqual(await search(db, mine, query), wanted, JSON.stringify(query));
          const some = await search(db, mine, query, 3);
          assert.equal(some.length, Math.min(3, wanted.length), `limit 3: ${JSON.stringify(query)}`);
        }
      }
    }
  });

  test('only records with the statuses asked for are found', async () => {
    const { db } = database();
    const surname = uniqueSurname();
    const mine = {
      lost: await add(db, { surname, upn: 'D916540212004' }),
      found: await add(db, { surname, status: 'found', upn: 'D916540212004' }),
      removed: await add(db, { surname, status: 'removed', upn: 'D916540212004' }),
    };
    for (const named of [
      { surname },
      { surname: surname.slice(0, 4), surnameBegins: true },
      { upn: 'D916540212004' },
    ]) {
      assert.deepEqual(await search(db, mine, named), ['lost']);
      assert.deepEqual(await search(db, mine, { ...named, statuses: ['lost', 'found'] }), ['found', 'lost']);
      assert.deepEqual(await search(db, mine, { ...named, statuses: ['removed'] }), ['removed']);
      assert.deepEqual(await search(db, mine, { ...named, statuses: ANY }), ['found', 'lost', 'removed']);
      assert.deepEqual(await search(db, mine, { ...named, statuses: [] }), []);
    }
  });

  test('a record matching several keys is returned once, and the limit still gives that many records', async () => {
    const { db } = database();
    const surname = uniqueSurname();
    // Each record's surname and former surname share every soundalike key, and both begin the same way.
    const ids: Record<string, string> = {};
    for (const n of [1, 2, 3, 4, 5]) {
      ids[`r${n}`] = await add(db, { surname, former_surname: `${surname}e` });
    }
    for (const query of [
      { surname },
      { surname, forename: 'Al' },
      { surname, birthYear: 2014 },
      { surname, town: 'Glouc' },
      { surname: surname.slice(0, 6), surnameBegins: true },
      { surname: surname.slice(0, 6), surnameBegins: true, forename: 'Al' },
      { surname: surname.slice(0, 6), surnameBegins: true, town: 'gloucester' },
      { surname: surname.slice(0, 6), surnameBegins: true, birthYear: 2014, birthMonth: 2, birthDay: 3 },
    ]) {
      // All that match (ours, and any other test's that happen to match too), each once.
      const all = await searchLostPupils(db, { statuses: LOST, ...query }, 1000);
      const allIds = new Set(all.map((row) => row.id));
      assert.equal(allIds.size, all.length, `no repeats: ${JSON.stringify(query)}`);
      assert.ok(
        Object.values(ids).every((id) => allIds.has(id)),
        JSON.stringify(query),
      );
      for (const limit of [1, 3, 5, all.length, all.length + 1]) {
        const found = (await searchLostPupils(db, { statuses: LOST, ...query }, limit)).map((row) => row.id);
        const label = `${JSON.stringify(query)} limit ${limit}`;
        assert.equal(found.length, Math.min(limit, all.length), label);
        assert.equal(new Set(found).size, found.length, `no repeats: ${label}`);
        assert.ok(
          found.every((id) => allIds.has(id)),
          `only records that match: ${label}`,
        );
      }
    }
  });

  test('when the first key rows found repeat a record, the limit still counts different records', async () => {
    const { db } = database();
    // A's id sorts first, so A comes first under each key it has. Thompson's keys are sx:T512, sx:T525,
    // dm:TMPSN and dm:TMSN; Thomson's only sx:T525 and dm:TMSN. Whichever order they are read in, A is
    // the only record of the first key read (T512 or TMPSN) and the first of another. Reading as many
    // key rows as the limit would give A twice and one other record.
    const first = `00000000-0000-4000-8000-${randomUUID().slice(-12)}`;
    const born = { date_of_birth: '1999-01-01' };
    const sounds = {
      a: await add(db, { id: first, surname: 'Thompson', ...born }),
      b: await add(db, { surname: 'Thomson', ...born }),
      c: await add(db, { surname: 'Thomson', ...born }),
    };
    const dob = { birthYear: 1999, birthMonth: 1, birthDay: 1 };
    assert.deepEqual(await search(db, sounds, { surname: 'Thompson', ...dob }, 3), ['a', 'b', 'c']);
    assert.equal((await search(db, sounds, { surname: 'Thompson', ...dob }, 2)).length, 2);
    // The same for "Surname Begins": A's surname and former surname begin the same way.
    const surname = uniqueSurname();
    const second = `00000000-0000-4000-8000-${randomUUID().slice(-12)}`;
    const begins = {
      a: await add(db, { id: second, surname: `${surname}a`, former_surname: `${surname}b` }),
      b: await add(db, { surname: `${surname}b` }),
      c: await add(db, { surname: `${surname}b` }),
    };
    for (const narrowed of [{}, { forename: 'Alex' }, { birthYear: 2014 }]) {
      assert.deepEqual(
        await search(db, begins, { surname, surnameBegins: true, ...narrowed }, 3),
        ['a', 'b', 'c'],
        JSON.stringify(narrowed),
      );
    }
  });

  test('the limit is respected when more records match', async () => {
    const { db } = database();
    const town = uniqueSurname();
    const records = Array.from({ length: 12 }, (_, i) =>
      newRecord({ surname: 'Price', town, date_of_birth: `2010-01-${String(i + 1).padStart(2, '0')}` }),
    );
    for (const record of records) await transferFor(db, record.id);
    await insertLostPupils(db, records);
    const ids = Object.fromEntries(records.map((r, i) => [`r${i}`, r.id]));
    assert.equal((await search(db, ids, { town })).length, 12);
    assert.equal((await searchLostPupils(db, { statuses: LOST, town }, 5)).length, 5);
    assert.equal((await searchLostPupils(db, { statuses: LOST, town, birthYear: 2010 }, 11)).length, 11);
    assert.equal((await searchLostPupils(db, { statuses: LOST, town }, 0)).length, 0);
    assert.equal((await searchLostPupils(db, { statuses: LOST, surname: 'Price' }, 7)).length, 7);
    const some = await searchLostPupils(db, { statuses: LOST, surname: 'Pri', surnameBegins: true }, 4);
    assert.equal(some.length, 4);
  });

  test('a surname with no letters finds nothing by sound; every record can be listed with no fields', async () => {
    const { db } = database();
    const id = await add(db, { surname: 'Lee' });
    assert.deepEqual(await searchLostPupils(db, { statuses: LOST, surname: "-'" }, 101), []);
    const everything = await searchLostPupils(db, { statuses: ANY }, 10_000);
    assert.ok(everything.some((row) => row.id === id));
    assert.equal(new Set(everything.map((row) => row.id)).size, everything.length);
  });

  test('a record is written with its letters, birth date parts and status, and read back whole', async () => {
    const { db } = database();
    const surname = uniqueSurname();
    const id = await add(db, {
      surname: `${surname}-Núñez`,
      former_surname: "O'Brien",
      forename: 'Zoë',
      town: 'Milton Keynes',
      date_of_birth: '2011-12-25',
      upn: 'E916540212005',
    });
    const [found] = await searchLostPupils(db, { statuses: LOST, upn: 'E916540212005' }, 101);
    assert.equal(found?.id, id);
    const row = await getLostPupil(db, id);
    assert.equal(row?.surname_letters, `${surname.toUpperCase()}NUNEZ`);
    assert.equal(row?.former_surname_letters, 'OBRIEN');
    assert.equal(row?.forename_letters, 'ZOE');
    assert.equal(row?.town_letters, 'MILTONKEYNES');
    assert.deepEqual([row?.birth_year, row?.birth_month, row?.birth_day], [2011, 12, 25]);
    assert.equal(row?.status, 'lost');
    // Each part of the double-barrelled name is a key, as is the former surname.
    assert.deepEqual(await search(db, { row: id }, { surname: 'Nunes' }), ['row']);
    assert.deepEqual(await search(db, { row: id }, { surname: 'OBrian', forename: 'zo' }), ['row']);
  });
});
