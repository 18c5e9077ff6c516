// Search for Lost Pupil and what an LA does with a record (service.ts), on both engines. The search is
// national, and tests share a database: each test makes records with names, towns and dates no other
// test uses, and judges a search by the records it made.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Actor } from '../../src/auth/actor.ts';
import type { Role } from '../../src/auth/permissions.ts';
import { makeUpn } from '../../src/ctf/upn.ts';
import { whatNeedsAttention } from '../../src/home/service.ts';
import { LostPupilReviewService, REVIEW_PATH } from '../../src/lost-pupils/review-service.ts';
import {
  EMPTY_SEARCH,
  LostPupilService,
  readCriteria,
  type SearchForm,
  type SearchOutcome,
  SHOWN,
} from '../../src/lost-pupils/service.ts';
import { ManualClock } from '../../src/platform/clock.ts';
import type { Db } from '../../src/platform/db/schema.ts';
import { Forbidden, Invalid, NotFound } from '../../src/platform/errors.ts';
import { translateMessage } from '../../src/platform/i18n/catalogue.ts';
import { createLogger } from '../../src/platform/logger.ts';
import { DEFAULT_SORT } from '../../src/transfers/download-listing.ts';
import { DownloadService } from '../../src/transfers/download-service.ts';
import { DownloadTickets } from '../../src/transfers/download-tickets.ts';
import { purgeExpiredContent } from '../../src/transfers/jobs.ts';
import { getTransfer, pupilsOf } from '../../src/transfers/repository.ts';
import { SENT_FILTERS, SentService } from '../../src/transfers/sent-service.ts';
import { describeEachEngine } from '../support/databases.ts';
import { makeLa, makeSchool, makeUser } from '../support/factories.ts';
import { signal } from '../support/signals.ts';
import { actorOf, makeFileStores, purgeCaughtAt, readAll } from '../support/transfers.ts';
import { makeLostPupil, OTHER_ROLES, organisationFor, uniqueName } from './support.ts';

const search = (fields: Partial<SearchForm>): SearchForm => ({ ...EMPTY_SEARCH, ...fields });

/** Makes `count` records, some at a time. */
async function makeMany(count: number, make: (i: number) => Promise<unknown>): Promise<void> {
  for (let start = 0; start < count; start += 20) {
    const batch = Array.from({ length: Math.min(20, count - start) }, (_, k) => make(start + k));
    await Promise.all(batch);
  }
}

function invalidFields(fn: () => unknown): { field: string; message: string }[] {
  try {
    fn();
  } catch (error) {
    assert.ok(error instanceof Invalid, String(error));
    // Each error also names its message's key in the catalogue (pages show it in the reader's language).
    return error.errors.map(({ field, message }) => ({ field, message }));
  }
  assert.fail('expected Invalid');
}

describe('the search form', () => {
  test('needs at least one detail of the pupil; sort order and Surname begins do not count', () => {
    const errors = invalidFields(() => readCriteria(search({ surnameBegins: true, sort: 'town' })));
    assert.deepEqual(
      errors.map((e) => e.field),
      ['upn'],
    );
    assert.match(
      errors[0]?.message ?? '',
      /Enter at least one of the UPN, surname, forename, town, date of birth or gender/,
    );
    assert.doesNotThrow(() => readCriteria(search({ gender: 'F' })));
  });

  test('each part of the date of birth is optional, and each is checked', () => {
    assert.deepEqual(
      (({ birthDay, birthMonth, birthYear }) => [birthDay, birthMonth, birthYear])(
        readCriteria(search({ dobYear: '2015' })),
      ),
      [null, null, 2015],
    );
    assert.deepEqual(
      (({ birthDay, birthMonth, birthYear }) => [birthDay, birthMonth, birthYear])(
        readCriteria(search({ dobDay: ' 7 ', dobMonth: '03' })),
      ),
      [7, 3, null],
    );
    const cases: [Partial<SearchForm>, string, RegExp][] = [
      [{ dobDay: '32' }, 'dob-day', /day of the date of birth must be a number from 1 to 31/],
      [{ dobDay: '0' }, 'dob-day', /from 1 to 31/],
      [{ dobDay: 'first' }, 'dob-day', /from 1 to 31/],
      [{ dobMonth: '13' }, 'dob-month', /month of the date of birth must be a number from 1 to 12/],
      [{ dobMonth: 'Maybe' }, 'dob-month', /from 1 to 12, or its name/],
      [{ dobYear: '15' }, 'dob-year', /year of the date of birth must include 4 numbers/],
      [{ dobYear: '20155' }, 'dob-year', /4 numbers/],
      [{ dobYear: '1899' }, 'dob-year', /year of the date of birth must be from 1900 to 2999/],
      [{ dobDay: '32', dobMonth: '13' }, 'dob-day', /The date of birth must be a real date, like 1 9 2026/],
      [{ dobDay: '30', dobMonth: '2' }, 'dob-day', /must be a real date: February has no day 30/],
      [{ dobDay: '29', dobMonth: '2', dobYear: '2015' }, 'dob-day', /real date/],
      [{ dobDay: '31', dobMonth: '4' }, 'dob-day', /real date/],
    ];
    for (const [fields, field, message] of cases) {
      const errors = invalidFields(() => readCriteria(search(fields)));
      assert.deepEqual(
        errors.map((e) => e.field),
        [field],
        JSON.stringify(fields),
      );
      assert.match(errors[0]?.message ?? '', message, JSON.stringify(fields));
    }
    // 29 February is a real date in a leap year, or with no year given.
    assert.doesNotThrow(() => readCriteria(search({ dobDay: '29', dobMonth: '2', dobYear: '2016' })));
    assert.doesNotThrow(() => readCriteria(search({ dobDay: '29', dobMonth: '2' })));
    // A month may be given by its name, in English or Welsh.
    assert.equal(readCriteria(search({ dobMonth: 'May' })).birthMonth, 5);
    assert.equal(readCriteria(search({ dobMonth: 'Rhagfyr' })).birthMonth, 12);
  });

  test('a UPN is 13 letters and digits; names need letters; gender is F or M', () => {
    assert.equal(readCriteria(search({ upn: ' a123 4567 89012 ' })).upn, 'A123456789012');
    const upn = invalidFields(() => readCriteria(search({ upn: 'A12345678901' })));
    assert.equal(upn[0]?.field, 'upn');
    assert.match(
      upn[0]?.message ?? '',
      /13 letters and digits, like A823456789012 \(you entered 12 characters\)/,
    );
    assert.equal(invalidFields(() => readCriteria(search({ upn: 'A12345678901-' })))[0]?.field, 'upn');
    const surname = invalidFields(() => readCriteria(search({ surname: '123' })));
    assert.deepEqual(surname, [{ field: 'surname', message: 'Enter the surname in letters' }]);
    assert.equal(invalidFields(() => readCriteria(search({ town: '!!' })))[0]?.field, 'town');
    assert.match(
      invalidFields(() => readCriteria(search({ forename: 'x'.repeat(101) })))[0]?.message ?? '',
      /Forename must be 100 characters or fewer/,
    );
    assert.equal(readCriteria(search({ gender: 'f' })).gender, 'F');
    assert.deepEqual(
      invalidFields(() => readCriteria(search({ gender: 'X' }))),
      [{ field: 'gender', message: 'Select Female or Male as the gender, or Any' }],
    );
  });

  test('every problem is reported at once, each on its field; the date of birth has one', () => {
    const errors = invalidFields(() =>
      readCriteria(search({ upn: 'short', dobDay: '40', dobMonth: '0', dobYear: '1', gender: 'Q' })),
    );
    // The year without 4 numbers comes first (GOV.UK: incomplete before impossible).
    assert.deepEqual(errors.map((e) => e.field).sort(), ['dob-year', 'gender', 'upn']);
  });

  test('the sort order is one of the list, with its natural direction unless told', () => {
    assert.deepEqual(
      (({ sort, order }) => [sort, order])(readCriteria(search({ surname: 'Jones', sort: 'dob' }))),
      ['dob', 'ascending'],
    );
    assert.deepEqual(
      (({ sort, order }) => [sort, order])(readCriteria(search({ surname: 'Jones', sort: 'uploaded' }))),
      ['uploaded', 'descending'],
    );
    assert.deepEqual(
      (({ sort, order }) => [sort, order])(
        readCriteria(search({ surname: 'Jones', sort: 'nonsense', order: 'descending' })),
      ),
      ['surname', 'descending'],
    );
  });
});

/** What the home page asks of `actor` (src/home/service.ts), as it would for them signed in. */
function homeItemsOf(db: Db, actor: Actor, at: Date) {
  return whatNeedsAttention(
    db,
    {
      ...actor,
      fullName: '',
      roleLabel: '',
      organisationName: '',
      mustChangePassword: false,
      mustSetUpTwoFactor: false,
      lastSignedInAt: null,
      language: 'en',
    },
    at,
  );
}
describeEachEngine('Search for Lost Pupil', (database) => {
  const { files } = makeFileStores();
  const clock = new ManualClock('2026-11-23T09:00:00.000Z');
  const service = () =>
    new LostPupilService({
      db: database().db,
      files,
      clock,
      logger: createLogger('silent'),
      tickets: new DownloadTickets('a test secret'),
    });
  const db = () => database().db;

  /** A clock 8 days after the tests' own: past the 7 days a collected file is kept. */
  const eightDaysOn = () => new ManualClock(new Date(clock.now().getTime() + 8 * 86_400_000).toISOString());

  /** An LA with a school, and a user of `role` in it. */
  async function laWith(role: Role) {
    const la = await makeLa(db());
    const school = await makeSchool(db(), la.number);
    const user = await makeUser(db(), role, { laNumber: la.number });
    return { la, school, actor: actorOf(user), user };
  }
  async function uploader() {
    const la = await makeLa(db(), { name: 'Uploadshire' });
    return makeSchool(db(), la.number, { name: 'Lost Pupils Primary School' });
  }
  const ids = (outcome: SearchOutcome) => outcome.results.map((r) => r.id);
  /** The records of `made` a search found, by their names in `made`. */
  const foundOf = (outcome: SearchOutcome, made: Record<string, { id: string }>) =>
    Object.entries(made)
      .filter(([, record]) => ids(outcome).includes(record.id))
      .map(([name]) => name)
      .sort();

  test('"Smith" finds Smyth and Smithe by sound, but not with Surname begins, which finds Smithson', async () => {
    const { actor } = await laWith('la_lost_pupil');
    const from = (await uploader()).number;
    const made = {
      Smith: await makeLostPupil(db(), files, { from, pupil: { surname: 'Smith' } }),
      Smyth: await makeLostPupil(db(), files, { from, pupil: { surname: 'Smyth' } }),
      Smithe: await makeLostPupil(db(), files, { from, pupil: { surname: 'Smithe' } }),
      Smithson: await makeLostPupil(db(), files, { from, pupil: { surname: 'Smithson' } }),
      Jones: await makeLostPupil(db(), files, { from, pupil: { surname: 'Jones' } }),
    };
    const soundalike = await service().search(actor, search({ surname: 'Smith' }));
    assert.deepEqual(foundOf(soundalike, made), ['Smith', 'Smithe', 'Smyth']);
    const begins = await service().search(actor, search({ surname: 'Smith', surnameBegins: true }));
    assert.deepEqual(foundOf(begins, made), ['Smith', 'Smithe', 'Smithson']);
    // Case, spaces and punctuation do not matter to either.
    const typed = await service().search(actor, search({ surname: ' smyth ' }));
    assert.deepEqual(foundOf(typed, made), ['Smith', 'Smithe', 'Smyth']);
  });

  test('a name with letters that have no accent to take off (Ł, Ø, Æ) is found typed without them, and with them', async () => {
    const { actor } = await laWith('la_lost_pupil');
    const from = (await uploader()).number;
    const made = {
      walesa: await makeLostPupil(db(), files, { from, pupil: { surname: 'Wałęsa', forename: 'Søren' } }),
      kjaer: await makeLostPupil(db(), files, { from, pupil: { surname: 'Kjær', forename: 'Æsa' } }),
      // Typed into the school's system without the letters, and searched with them.
      plain: await makeLostPupil(db(), files, { from, pupil: { surname: 'Walesa', forename: 'Soren' } }),
    };
    const found = async (fields: Partial<SearchForm>) =>
      foundOf(await service().search(actor, search(fields)), made);

    for (const surname of ['Walesa', 'Wałęsa']) {
      assert.deepEqual(
        await found({ surname, surnameBegins: true }),
        ['plain', 'walesa'],
        `${surname} begins`,
      );
      assert.deepEqual(await found({ surname }), ['plain', 'walesa'], `${surname} sounds like`);
    }
    assert.deepEqual(await found({ forename: 'Soren' }), ['plain', 'walesa']);
    assert.deepEqual(await found({ forename: 'Søren' }), ['plain', 'walesa']);
    assert.deepEqual(await found({ surname: 'Kjaer', surnameBegins: true }), ['kjaer']);
    assert.deepEqual(await found({ forename: 'Aesa' }), ['kjaer']);
  });

  test('a name with Latin Extended-B letters (Ș, Ə, ǲ, ƒ, Ȝ) is found typed in plain letters, and as written', async () => {
    const { actor } = await laWith('la_lost_pupil');
    const from = (await uploader()).number;
    const made = {
      stefan: await makeLostPupil(db(), files, { from, pupil: { surname: 'Țurcanu', forename: 'Ștefan' } }),
      aliyev: await makeLostPupil(db(), files, { from, pupil: { surname: 'Əliyev', forename: 'Ƒatima' } }),
      dzafic: await makeLostPupil(db(), files, { from, pupil: { surname: 'ǲafić', forename: 'Ȝvonne' } }),
    };
    const found = async (fields: Partial<SearchForm>) =>
      foundOf(await service().search(actor, search(fields)), made);
    for (const [surname, which] of [
      ['Turcanu', 'stefan'],
      ['Aliyev', 'aliyev'],
      ['Əliyev', 'aliyev'],
      ['Dzafic', 'dzafic'],
      ['ǲafić', 'dzafic'],
    ] as const) {
      assert.deepEqual(await found({ surname, surnameBegins: true }), [which], `${surname} begins`);
      assert.deepEqual(await found({ surname }), [which], `${surname} sounds like`);
    }
    assert.deepEqual(await found({ surname: 'Turcanu', forename: 'Stefan' }), ['stefan']);
    assert.deepEqual(await found({ surname: 'Aliyev', forename: 'Fatima' }), ['aliyev']);
    assert.deepEqual(await found({ surname: 'Dzafic', forename: 'Yvonne' }), ['dzafic']);
  });

  test('a UPN whose check letter is wrong is searched for, and said not to be a valid UPN', async () => {
    const { actor } = await laWith('la_lost_pupil');
    // A UPN no other test uses, its check letter changed.
    const valid = makeUpn(
      actor.laNumber ?? '',
      String(Math.floor(Math.random() * 10_000)).padStart(4, '0'),
      '19',
      String(Math.floor(Math.random() * 1000)).padStart(3, '0'),
    );
    const letter = valid[0] === 'A' ? 'B' : 'A';
    const mistyped = `${letter}${valid.slice(1)}`;
    const made = await makeLostPupil(db(), files, {
      from: (await uploader()).number,
      pupil: { upn: mistyped, surname: uniqueName('Wrong') },
    });
    const wrong = await service().search(actor, search({ upn: ` ${mistyped.toLowerCase()} ` }));
    // Still searched: a record may have been sent with the UPN as mistyped.
    assert.deepEqual(ids(wrong), [made.id]);
    assert.equal(
      wrong.upnWarning,
      `${mistyped} is not a valid UPN. The check letter (character 1) should be ${valid[0]}, not ${letter}: a character has probably been mistyped, so check the UPN against the pupil's records. Records that hold it as typed are still found.`,
    );
    assert.match(
      translateMessage('cy', wrong.upnWarningMessage ?? { key: 'none' }),
      new RegExp(`^Nid yw ${mistyped} yn UPN dilys\\. Dylai’r llythyren wirio`),
    );
    const right = await service().search(actor, search({ upn: valid }));
    assert.deepEqual([ids(right), right.upnWarning, right.upnWarningMessage], [[], null, null]);
    const byName = await service().search(actor, search({ surname: 'Smith' }));
    assert.equal(byName.upnWarning, null);
  });

  test('each field alone finds its records', async () => {
    const { actor } = await laWith('la_lost_pupil_transfer');
    const from = (await uploader()).number;
    const [surname, forename, town] = [uniqueName('Sur'), uniqueName('Fore'), uniqueName('Town')];
    const target = await makeLostPupil(db(), files, {
      from,
      pupil: {
        upn: 'K916540219041',
        formerUpn: 'B801345618014',
        surname,
        formerSurname: `${surname}former`,
        forename,
        dateOfBirth: '1991-02-14',
        gender: 'M',
        town,
      },
    });
    const other = await makeLostPupil(db(), files, {
      from,
      // Its surname begins with another sound (K, not S), so no soundalike key of the two can match.
      pupil: { surname: uniqueName('Kor'), forename: 'Zed', dateOfBirth: '1991-07-14', gender: 'F' },
    });
    const only = async (fields: Partial<SearchForm>) => ids(await service().search(actor, search(fields)));

    assert.deepEqual(await only({ upn: 'K916540219041' }), [target.id], 'UPN');
    assert.deepEqual(await only({ upn: 'b801345618014' }), [target.id], 'former UPN');
    // (A soundalike search of a made-up name may also find another test's made-up name.)
    const soundalike = await only({ surname });
    assert.ok(soundalike.includes(target.id) && !soundalike.includes(other.id), 'surname, soundalike');
    assert.deepEqual(await only({ surname: surname.slice(0, 6), surnameBegins: true }), [target.id]);
    assert.deepEqual(
      await only({ surname: `${surname}former`, surnameBegins: true }),
      [target.id],
      'former surname',
    );
    assert.deepEqual(await only({ forename: forename.slice(0, 7) }), [target.id], 'forename begins');
    assert.deepEqual(await only({ town: town.toLowerCase() }), [target.id], 'town');
    const year = await only({ dobYear: '1991' });
    assert.ok(year.includes(target.id) && year.includes(other.id), 'year');
    const month = await only({ dobMonth: '2', dobYear: '1991' });
    assert.ok(month.includes(target.id) && !month.includes(other.id), 'month and year');
    const day = await only({ dobDay: '14' });
    assert.ok(day.includes(target.id) && day.includes(other.id), 'day alone');
    const males = await service().search(actor, search({ gender: 'M' }));
    assert.ok(
      males.results.every((r) => r.gender === 'Male'),
      'gender alone: males only',
    );
    assert.ok(!ids(males).includes(other.id));
  });

  test('fields combine: every one given must match', async () => {
    const { actor } = await laWith('la_lost_pupil');
    const from = (await uploader()).number;
    const surname = uniqueName('Comb');
    const town = uniqueName('Town');
    const base = { surname, forename: 'Harriet', dateOfBirth: '1993-05-09', gender: 'F', town };
    const made = {
      target: await makeLostPupil(db(), files, { from, pupil: base }),
      otherForename: await makeLostPupil(db(), files, { from, pupil: { ...base, forename: 'Olivia' } }),
      otherDay: await makeLostPupil(db(), files, { from, pupil: { ...base, dateOfBirth: '1993-05-10' } }),
      otherGender: await makeLostPupil(db(), files, { from, pupil: { ...base, gender: 'M' } }),
      otherTown: await makeLostPupil(db(), files, { from, pupil: { ...base, town: uniqueName('Else') } }),
    };
    const all = {
      surname,
      forename: 'har',
      dobDay: '9',
      dobMonth: '5',
      dobYear: '1993',
      gender: 'F',
      town: town.slice(0, 5),
    };
    assert.deepEqual(foundOf(await service().search(actor, search(all)), made), ['target']);
    assert.deepEqual(foundOf(await service().search(actor, search({ surname, dobDay: '9' })), made), [
      'otherForename',
      'otherGender',
      'otherTown',
      'target',
    ]);
    assert.deepEqual(foundOf(await service().search(actor, search({ surname, gender: 'M' })), made), [
      'otherGender',
    ]);
    assert.deepEqual(foundOf(await service().search(actor, search({ town, forename: 'Olivia' })), made), [
      'otherForename',
    ]);
    assert.deepEqual(
      foundOf(await service().search(actor, search({ ...all, surname: 'Smith' })), made),
      [],
      'a surname that sounds different finds none of them',
    );
  });

  test('results are sorted by the chosen order, either way', async () => {
    const { actor } = await laWith('la_lost_pupil');
    const from = (await uploader()).number;
    const surname = uniqueName('Sort');
    const a = await makeLostPupil(db(), files, {
      from,
      pupil: { surname: `${surname}b`, forename: 'Cara', dateOfBirth: '2012-01-05', town: 'Bath' },
      uploadedAt: '2026-10-01T09:00:00.000Z',
    });
    const b = await makeLostPupil(db(), files, {
      from,
      pupil: { surname: `${surname}a`, forename: 'Bea', dateOfBirth: null, town: 'Cheltenham' },
      uploadedAt: '2026-10-03T09:00:00.000Z',
    });
    const c = await makeLostPupil(db(), files, {
      from,
      pupil: { surname: `${surname}c`, forename: 'Abi', dateOfBirth: '2011-06-30', town: 'Avon' },
      uploadedAt: '2026-10-02T09:00:00.000Z',
    });
    const sorted = async (sort: string, order = '') =>
      ids(await service().search(actor, search({ surname, surnameBegins: true, sort, order })));
    assert.deepEqual(await sorted('surname'), [b.id, a.id, c.id]);
    assert.deepEqual(await sorted('surname', 'descending'), [c.id, a.id, b.id]);
    assert.deepEqual(await sorted('forename'), [c.id, b.id, a.id]);
    assert.deepEqual(await sorted('dob'), [c.id, a.id, b.id], 'no date of birth last');
    assert.deepEqual(await sorted('town'), [c.id, a.id, b.id]);
    assert.deepEqual(await sorted('uploaded'), [b.id, c.id, a.id], 'newest first');
    assert.deepEqual(await sorted('uploaded', 'ascending'), [a.id, c.id, b.id]);
  });

  test(`at most ${SHOWN} are shown; more asks for the date of birth, forename or town`, async () => {
    const { actor } = await laWith('la_lost_pupil');
    const from = (await uploader()).number;
    const surname = uniqueName('Many');
    await makeMany(SHOWN + 2, (i) =>
      makeLostPupil(db(), files, {
        from,
        pupil: { surname, forename: `F${String.fromCharCode(97 + (i % 26))}`, dateOfBirth: null },
      }),
    );
    const many = await service().search(actor, search({ surname, surnameBegins: true }));
    assert.equal(many.results.length, SHOWN);
    assert.equal(many.more, true);
    assert.match(
      many.narrow ?? '',
      new RegExp(
        `More than ${SHOWN} records match this search, so only ${SHOWN} of them are shown .* Add the date of birth, the forename or the town to narrow the search\\.`,
      ),
    );
    const fewer = await service().search(actor, search({ surname, surnameBegins: true, forename: 'Fa' }));
    assert.equal(fewer.more, false);
    assert.equal(fewer.narrow, null);
    assert.equal(fewer.results.length, 4, 'Fa: the 1st, 27th, 53rd and 79th');
    // Exactly SHOWN is not "more".
    const town = uniqueName('Hundred');
    await makeMany(SHOWN, () =>
      makeLostPupil(db(), files, { from, pupil: { surname: 'Hundred', town, dateOfBirth: null } }),
    );
    const hundred = await service().search(actor, search({ town }));
    assert.deepEqual([hundred.results.length, hundred.more], [SHOWN, false]);
  });

  test('found records are shown with who found them and when; removed ones are not', async () => {
    const finder = await laWith('la_lost_pupil');
    const other = await laWith('la_lost_pupil');
    const from = (await uploader()).number;
    const surname = uniqueName('Found');
    const lost = await makeLostPupil(db(), files, { from, pupil: { surname, forename: 'Lost' } });
    const found = await makeLostPupil(db(), files, { from, pupil: { surname, forename: 'Found' } });
    const removed = await makeLostPupil(db(), files, { from, pupil: { surname, forename: 'Removed' } });
    await db()
      .updateTable('lost_pupils')
      .set({ status: 'removed', removed_at: '2026-11-21T09:00:00.000Z' })
      .where('id', '=', removed.id)
      .execute();
    // The finder downloads the file and says it was downloaded correctly.
    const { ticket } = await service().attestDownload(finder.actor, found.id, true);
    await readAll((await service().download(finder.actor, found.id, ticket)).stream);
    clock.advanceMinutes(5);
    await service().confirmFound(finder.actor, found.id);

    const outcome = await service().search(other.actor, search({ surname, surnameBegins: true }));
    assert.deepEqual(ids(outcome).sort(), [lost.id, found.id].sort());
    const row = outcome.results.find((r) => r.id === found.id);
    assert.equal(row?.status, 'found');
    assert.deepEqual(row?.found?.la, { number: finder.la.number, name: `Testshire (${finder.la.number})` });
    assert.equal(row?.found?.at, '2026-11-23T09:05:00.000Z');
    const record = await service().record(other.actor, found.id);
    assert.equal(record.found?.by, `Test Person (${finder.user.username})`);
    assert.equal(outcome.results.find((r) => r.id === lost.id)?.found, null);
    await assert.rejects(service().record(other.actor, removed.id), NotFound);
  });

  test("a record shows the handbook's additional details", async () => {
    const { actor } = await laWith('la_lost_pupil');
    const from = await uploader();
    const made = await makeLostPupil(db(), files, {
      from: from.number,
      reason: 'left-maintained-sector',
      pupil: {
        upn: 'A916540219001',
        formerUpn: 'B801345618014',
        surname: 'Ashworth',
        formerSurname: 'Price',
        forename: 'Imogen',
        middleNames: 'Clare Rose',
        dateOfBirth: '2016-03-02',
        gender: 'F',
        town: 'Stroud',
      },
      uploadedAt: '2026-11-02T14:30:00.000Z',
    });
    const record = await service().record(actor, made.id);
    assert.deepEqual(
      {
        la: record.la,
        school: record.school,
        uploadedAt: record.uploadedAt,
        formerUpn: record.formerUpn,
        formerSurname: record.formerSurname,
        middleNames: record.middleNames,
        reasonText: record.reasonText,
        filename: record.filename,
        status: record.status,
        canDownload: record.canDownload,
        canForward: record.canForward,
      },
      {
        la: { number: from.la_number, name: `Uploadshire (${from.la_number})` },
        school: { number: from.number, name: 'Lost Pupils Primary School' },
        uploadedAt: '2026-11-02T14:30:00.000Z',
        formerUpn: 'B801345618014',
        formerSurname: 'Price',
        middleNames: 'Clare Rose',
        reasonText: 'Left the maintained sector (MMMMMMMM)',
        filename: made.transfer.filename,
        status: 'lost',
        canDownload: true,
        canForward: false,
      },
    );
    await assert.rejects(service().record(actor, 'not-an-id'), NotFound);
    await assert.rejects(service().record(actor, '3f1c0a0e-1111-4222-8333-944455556666'), NotFound);
  });

  test('school users and the other LA roles are refused every action, whatever the record', async () => {
    const from = (await uploader()).number;
    const made = await makeLostPupil(db(), files, { from, pupil: { surname: 'Refused' } });
    const { actor: lostPupil } = await laWith('la_lost_pupil');
    const { ticket } = await service().attestDownload(lostPupil, made.id, true);
    const la = await makeLa(db());
    const school = await makeSchool(db(), la.number);
    const actors: Actor[] = [];
    for (const role of OTHER_ROLES) {
      actors.push(actorOf(await makeUser(db(), role, organisationFor(role, school))));
    }
    for (const actor of actors) {
      const s = service();
      const input = { school: school.number, attested: true };
      for (const [name, attempt] of [
        ['search', () => s.search(actor, search({ surname: 'Refused' }))],
        ['record', () => s.record(actor, made.id)],
        ['attestDownload', () => s.attestDownload(actor, made.id, true)],
        ['download', () => s.download(actor, made.id, ticket)],
        ['confirmFound', () => s.confirmFound(actor, made.id)],
        ['forwardPlan', () => s.forwardPlan(actor, made.id, input)],
        ['forward', () => s.forward(actor, made.id, input)],
      ] as const) {
        await assert.rejects(attempt(), Forbidden, `${actor.role}: ${name}`);
      }
    }
    // The Lost Pupil role searches and downloads, but does not forward.
    await assert.rejects(
      service().forwardPlan(lostPupil, made.id, { school: school.number, attested: true }),
      Forbidden,
    );
    const transfer = await getTransfer(db(), made.id);
    assert.equal(transfer?.last_downloaded_at, null, 'nothing was downloaded');
  });

  test('the download needs the attestation, sends the very bytes uploaded, and is audited', async () => {
    const { actor, la } = await laWith('la_lost_pupil');
    const from = (await uploader()).number;
    const content = `<?xml version="1.0"?><CTfile><Header/><Pupil>${uniqueName()}</Pupil></CTfile>\n`;
    const made = await makeLostPupil(db(), files, { from, content, pupil: { surname: 'Attested' } });

    await assert.rejects(service().attestDownload(actor, made.id, false), (error: unknown) => {
      assert.ok(error instanceof Invalid);
      assert.deepEqual(error.errors, [
        {
          field: 'attest',
          message:
            'Confirm that you have taken reasonable steps to ensure that the pupil is on roll at a school in your LEA',
          key: 'lost-pupils.attest.required',
        },
      ]);
      return true;
    });
    // Without the ticket the attestation earns, there is no download.
    await assert.rejects(service().download(actor, made.id, 'not-a-ticket'), Forbidden);
    // Nor with another user's ticket.
    const { actor: colleague } = await laWith('la_lost_pupil');
    const colleagues = await service().attestDownload(colleague, made.id, true);
    await assert.rejects(service().download(actor, made.id, colleagues.ticket), Forbidden);
    // "Yes" before any download is refused.
    await assert.rejects(service().confirmFound(actor, made.id), (error: unknown) => {
      assert.ok(error instanceof Invalid);
      assert.equal(error.errors[0]?.field, 'answer');
      return true;
    });

    const { ticket } = await service().attestDownload(actor, made.id, true);
    const download = await service().download(actor, made.id, ticket);
    assert.equal(download.filename, made.transfer.filename);
    assert.equal(download.size, Buffer.byteLength(content));
    assert.ok((await readAll(download.stream)).equals(Buffer.from(content)), 'byte-identical');

    const audit = await db()
      .selectFrom('audit_events')
      .selectAll()
      .where('subject_id', '=', made.id)
      .where('action', '=', 'lost-pupil-downloaded')
      .execute();
    assert.equal(audit.length, 1);
    assert.equal(audit[0]?.organisation, la.number);
    assert.equal(audit[0]?.subject_type, 'lost-pupil');
    assert.doesNotMatch(audit[0]?.detail ?? '', /Attested/, 'no pupil names in the audit');
    const transfer = await getTransfer(db(), made.id);
    assert.equal(transfer?.downloaded_by, actor.userId);
    assert.equal(transfer?.status, 'available', 'a download alone changes nothing else');
    const record = await service().record(actor, made.id);
    assert.equal(record.status, 'lost');
  });

  test('a file that fails its SHA-256 check breaks the download off', async () => {
    const { actor } = await laWith('la_lost_pupil');
    const made = await makeLostPupil(db(), files, { from: (await uploader()).number });
    await db()
      .updateTable('transfers')
      .set({ sha256: 'f'.repeat(64) })
      .where('id', '=', made.id)
      .execute();
    const { ticket } = await service().attestDownload(actor, made.id, true);
    const download = await service().download(actor, made.id, ticket);
    await assert.rejects(readAll(download.stream));
  });

  test('"Was the file downloaded correctly?" Yes marks the record found by the LA and user', async () => {
    const { actor, la } = await laWith('la_lost_pupil');
    const made = await makeLostPupil(db(), files, { from: (await uploader()).number });
    const { ticket } = await service().attestDownload(actor, made.id, true);
    await readAll((await service().download(actor, made.id, ticket)).stream);
    clock.advanceMinutes(2);
    const record = await service().confirmFound(actor, made.id);
    assert.equal(record.status, 'found');
    const row = await db()
      .selectFrom('lost_pupils')
      .selectAll()
      .where('id', '=', made.id)
      .executeTakeFirstOrThrow();
    assert.deepEqual(
      [row.status, row.found_at, row.found_by_la, row.found_by],
      ['found', clock.now().toISOString(), la.number, actor.userId],
    );
    const audit = await db()
      .selectFrom('audit_events')
      .select(['action', 'detail'])
      .where('subject_id', '=', made.id)
      .where('action', '=', 'lost-pupil-found')
      .execute();
    assert.equal(audit.length, 1);
    assert.match(audit[0]?.detail ?? '', /"how":"downloaded"/);
    // The file stays in the database, for the next LA.
    assert.equal((await getTransfer(db(), made.id))?.status, 'available');
  });

  test('"Yes" after someone else downloaded the file too (another LA, then a colleague) is taken: each found it by their own download; one who has not downloaded it is refused', async () => {
    const first = await laWith('la_lost_pupil');
    const second = await laWith('la_lost_pupil');
    const colleague = actorOf(await makeUser(db(), 'la_lost_pupil', { laNumber: first.la.number }));
    const made = await makeLostPupil(db(), files, { from: (await uploader()).number });
    const downloadAs = async (actor: Actor) => {
      const { ticket } = await service().attestDownload(actor, made.id, true);
      await readAll((await service().download(actor, made.id, ticket)).stream);
      clock.advanceMinutes(1);
    };
    await downloadAs(first.actor);
    await downloadAs(second.actor);
    await assert.rejects(service().confirmFound(colleague, made.id), (error: unknown) => {
      assert.ok(error instanceof Invalid);
      assert.match(error.errors[0]?.message ?? '', /You have not downloaded this file yet/);
      return true;
    });
    const foundBy = async () =>
      await db()
        .selectFrom('lost_pupils')
        .select(['found_by_la', 'found_by'])
        .where('id', '=', made.id)
        .executeTakeFirstOrThrow();
    assert.equal((await service().confirmFound(first.actor, made.id)).status, 'found');
    assert.deepEqual(await foundBy(), { found_by_la: first.la.number, found_by: first.actor.userId });
    await downloadAs(colleague);
    assert.equal((await service().confirmFound(second.actor, made.id)).status, 'found');
    assert.deepEqual(await foundBy(), { found_by_la: second.la.number, found_by: second.actor.userId });
  });

  test('"Yes" by another LA tells the LA that uploaded the record, which LA found it, on its home page and in its review; its own LA is not told', async () => {
    const { actor, la } = await laWith('la_lost_pupil');
    const from = await uploader();
    const surname = uniqueName('Found');
    const made = await makeLostPupil(db(), files, { from: from.number, pupil: { surname } });
    const own = actorOf(await makeUser(db(), 'la_lost_pupil', { laNumber: from.la_number }));
    const foundEmails = () =>
      db()
        .selectFrom('notification_outbox')
        .select(['recipient_kind', 'recipient', 'payload', 'created_at'])
        .where('template', '=', 'lost-pupil-found')
        .where('payload', 'like', `%${made.transfer.filename}%`)
        .execute();
    const homeFound = async () =>
      (await homeItemsOf(db(), own, clock.now()))
        .filter((item) => item.href === REVIEW_PATH)
        .map((item) => translateMessage('en', item.text));
    assert.deepEqual(await homeFound(), []);

    const { ticket } = await service().attestDownload(actor, made.id, true);
    await readAll((await service().download(actor, made.id, ticket)).stream);
    assert.deepEqual(await foundEmails(), [], 'a download alone finds nobody');
    clock.advanceMinutes(1);
    await service().confirmFound(actor, made.id);

    // The LA that uploaded it (its lost-pupil user has no address of its own: the LA's) is told, as of a
    // forward, with file names and organisations only.
    const told = await foundEmails();
    assert.deepEqual(
      told.map((e) => [e.recipient_kind, e.recipient, e.created_at]),
      [['la', from.la_number, clock.now().toISOString()]],
    );
    const payload = JSON.parse(told[0]?.payload ?? '{}');
    assert.deepEqual(
      [payload.foundByCode, payload.foundAt, payload.uploadedByCode, payload.lostFilename, payload.path],
      [`${la.number}LLLL`, clock.now().toISOString(), from.number, made.transfer.filename, REVIEW_PATH],
    );
    assert.doesNotMatch(told[0]?.payload ?? '', new RegExp(surname));
    assert.deepEqual(await homeFound(), [
      "1 lost pupil record uploaded by your LA's schools was found by another LA, which downloaded its file: close your case and remove it from the Lost Pupils Database.",
    ]);
    const reviews = new LostPupilReviewService({ db: db(), files, clock, logger: createLogger('silent') });
    const listed = (await reviews.due(own)).foundNotDue.records.find((r) => r.id === made.id);
    assert.deepEqual(listed?.foundBy, {
      la: `Testshire (${la.number})`,
      at: clock.now().toISOString(),
      ownLa: false,
    });

    // The same LA's answer again (a colleague's) tells nobody again.
    const colleague = actorOf(await makeUser(db(), 'la_lost_pupil', { laNumber: la.number }));
    const second = await service().attestDownload(colleague, made.id, true);
    await readAll((await service().download(colleague, made.id, second.ticket)).stream);
    await service().confirmFound(colleague, made.id);
    assert.equal((await foundEmails()).length, 1);

    // Removed, it is counted no more.
    await reviews.remove(own, [made.id], 'destination-known');
    assert.deepEqual(await homeFound(), []);

    // The LA that uploaded it finding it itself tells nobody.
    const mine = await makeLostPupil(db(), files, { from: from.number });
    const ownTicket = await service().attestDownload(own, mine.id, true);
    await readAll((await service().download(own, mine.id, ownTicket.ticket)).stream);
    await service().confirmFound(own, mine.id);
    const ownTold = await db()
      .selectFrom('notification_outbox')
      .select('id')
      .where('template', '=', 'lost-pupil-found')
      .where('payload', 'like', `%${mine.transfer.filename}%`)
      .execute();
    assert.deepEqual(ownTold, []);
    assert.deepEqual(await homeFound(), []);
    const ownListed = (await reviews.due(own)).foundNotDue.records.find((r) => r.id === mine.id);
    assert.equal(ownListed?.foundBy?.ownLa, true);
  });

  test("forward to school: a new CTF in the LA's name for a school of the LA, which the school downloads; another LA's file stays", async () => {
    const { actor, la, school } = await laWith('la_lost_pupil_transfer');
    const from = await uploader();
    const content = `<?xml version="1.0"?><CTfile><Pupil>${uniqueName()}</Pupil></CTfile>\n`;
    const made = await makeLostPupil(db(), files, {
      from: from.number,
      content,
      pupil: { surname: 'Forwarded', upn: 'A916540219002' },
    });
    const input = { school: school.number, attested: true };

    // The attestation and a school are both needed, and reported together.
    await assert.rejects(
      service().forwardPlan(actor, made.id, { school: '', attested: false }),
      (error: unknown) => {
        assert.ok(error instanceof Invalid);
        assert.deepEqual(
          error.errors.map((e) => e.field),
          ['school', 'attest'],
        );
        return true;
      },
    );
    // Only a school of the actor's LA.
    const elsewhere = await makeSchool(db(), (await makeLa(db())).number);
    await assert.rejects(
      service().forwardPlan(actor, made.id, { school: elsewhere.number, attested: true }),
      (error: unknown) => {
        assert.ok(error instanceof Invalid);
        assert.match(error.errors[0]?.message ?? '', new RegExp(`is not a school of LA ${la.number}`));
        return true;
      },
    );

    // Renamed as the handbook's way renames it, to be sent by the LA: 9165402_CTF_XXXXXXXX_003.XML ->
    // 916LLLL_CTF_9163001_003.XML (LA notes §4.2).
    const { plan } = await service().forwardPlan(actor, made.id, input);
    const expected = made.transfer.filename
      .replace(from.number, `${la.number}LLLL`)
      .replace('XXXXXXXX', school.number);
    assert.equal(plan.filename, expected);
    assert.equal(plan.destination.code, school.number);
    assert.equal(plan.source.code, `${la.number}LLLL`, 'the LA sends it');

    const { record, result } = await service().forward(actor, made.id, input);
    assert.equal(record.status, 'found');
    assert.equal(record.found?.la.number, la.number);
    assert.equal(result.forwarded.filename, expected);
    assert.equal(result.forwarded.dest_school, school.number);
    assert.deepEqual(
      [result.forwarded.source_la, result.forwarded.source_school, result.forwarded.source_inbox],
      [la.number, null, null],
    );
    // The record is another LA's (decision 36): its file stays as it was, content and all, for that LA.
    assert.equal(result.original.status, 'available');
    assert.ok(result.original.storage_key, 'its content is kept');
    assert.equal((await pupilsOf(db(), result.forwarded.id))[0]?.upn, 'A916540219002');
    // The school is told a file is waiting; the LA, as its sender, that it was sent.
    const emails = await db()
      .selectFrom('notification_outbox')
      .select(['template', 'recipient_kind', 'recipient', 'payload'])
      .where('payload', 'like', `%${result.forwarded.id}%`)
      .orderBy('template')
      .execute();
    assert.deepEqual(
      emails.map((e) => [e.template, e.recipient_kind, e.recipient]),
      [
        ['ctf-uploaded', 'school', school.number],
        ['upload-confirmed', 'la', la.number],
      ],
    );
    // The school's email says the original was sent to the Lost Pupils Database, not to the LA.
    assert.equal(JSON.parse(emails[0]?.payload ?? '{}').forwardedFromLostPupils, true);
    // The Lost Pupils Database is for LAs: the school that sent the pupil there is not shown where they
    // went, and cannot remove the new file; the LA follows it under View / Remove Files.
    const sent = new SentService({ db: db(), files, clock, logger: createLogger('silent') });
    const fromUser = actorOf(
      await makeUser(db(), 'school', { laNumber: from.number.slice(0, 3), establishmentNumber: from.number }),
    );
    for (const filter of SENT_FILTERS) {
      const theirs = await sent.sent(fromUser, filter, DEFAULT_SORT);
      assert.ok(!theirs.some((f) => f.id === result.forwarded.id), `not among the school's ${filter}`);
    }
    await assert.rejects(sent.remove(fromUser, result.forwarded.id), NotFound);
    const ours = await sent.sent(actor, 'collection', DEFAULT_SORT);
    assert.deepEqual(
      ours.filter((f) => f.id === result.forwarded.id).map((f) => f.filename),
      [expected],
    );

    // The school sees it in Download CTF Files, and downloads the very bytes uploaded.
    const schoolUser = actorOf(
      await makeUser(db(), 'school', { laNumber: la.number, establishmentNumber: school.number }),
    );
    const downloads = new DownloadService({ db: db(), files, clock, logger: createLogger('silent') });
    const waiting = await downloads.available(schoolUser, 'ctf', DEFAULT_SORT);
    assert.deepEqual(
      waiting.map((f) => f.filename),
      [expected],
    );
    const got = await downloads.download(schoolUser, 'ctf', [result.forwarded.id], 'download');
    assert.ok((await readAll(got.stream)).equals(Buffer.from(content)));
    // "Was the file downloaded correctly?" Yes: its sender, the LA, is told, once, as the LA that forwarded it.
    await downloads.collect(schoolUser, 'ctf', [result.forwarded.id]);
    const told = await db()
      .selectFrom('notification_outbox')
      .select(['template', 'recipient_kind', 'recipient'])
      .where('template', 'in', ['file-downloaded', 'forwarded-file-downloaded'])
      .where('payload', 'like', `%${expected}%`)
      .execute();
    assert.deepEqual(
      told.map((e) => [e.template, e.recipient_kind, e.recipient]),
      [['forwarded-file-downloaded', 'la', la.number]],
    );

    const found = await db()
      .selectFrom('audit_events')
      .select('detail')
      .where('subject_id', '=', made.id)
      .where('action', '=', 'lost-pupil-found')
      .executeTakeFirstOrThrow();
    assert.match(found.detail ?? '', /"how":"forwarded"/);
    assert.match(found.detail ?? '', new RegExp(expected));

    // Once forwarded it cannot be forwarded again.
    await assert.rejects(service().forwardPlan(actor, made.id, input), (error: unknown) => {
      assert.ok(error instanceof Invalid);
      assert.match(error.errors[0]?.message ?? '', /already been forwarded/);
      return true;
    });
    const again = await service().record(actor, made.id);
    assert.deepEqual(
      [again.file.state, again.canForward, again.canDownload],
      ['forwarded-kept', false, true],
    );
  });

  test('a file forwarded by another LA stays, shown as forwarded, and its LA is told to close its case and remove it', async () => {
    const { actor, la, school } = await laWith('la_lost_pupil_transfer');
    const from = await uploader();
    const surname = uniqueName('Kept');
    const made = await makeLostPupil(db(), files, { from: from.number, pupil: { surname } });
    const forwardedAt = clock.now().toISOString();
    const { result } = await service().forward(actor, made.id, { school: school.number, attested: true });

    // The LA that uploaded it (here with no lost-pupil users of its own: the LA's address) is emailed,
    // with file names and organisations only.
    const told = await db()
      .selectFrom('notification_outbox')
      .select(['recipient_kind', 'recipient', 'payload'])
      .where('template', '=', 'lost-pupil-forwarded')
      .where('payload', 'like', `%${made.transfer.filename}%`)
      .execute();
    assert.deepEqual(
      told.map((e) => [e.recipient_kind, e.recipient]),
      [['la', from.la_number]],
    );
    const payload = JSON.parse(told[0]?.payload ?? '{}');
    assert.deepEqual(
      [payload.forwardedByCode, payload.schoolCode, payload.uploadedByCode, payload.path],
      [`${la.number}LLLL`, school.number, from.number, '/lost-pupils/review'],
    );
    assert.doesNotMatch(told[0]?.payload ?? '', new RegExp(surname));

    // Every LA's search shows where the file went.
    const other = await laWith('la_lost_pupil');
    const outcome = await service().search(other.actor, search({ surname, surnameBegins: true }));
    const forwarded = {
      at: forwardedAt,
      school: { number: school.number, name: school.name },
      la: { number: la.number, name: `Testshire (${la.number})` },
      state: 'waiting',
      rejectedAt: null,
    };
    assert.deepEqual(outcome.results.find((r) => r.id === made.id)?.forwarded, forwarded);
    const record = await service().record(other.actor, made.id);
    assert.deepEqual(record.forwarded, forwarded);
    assert.deepEqual(
      [record.file.state, record.file.changedAt, record.canDownload],
      ['forwarded-kept', forwardedAt, true],
    );

    // The school that uploaded it no longer removes it (View / Remove Files): its LA does.
    const uploadingSchool = actorOf(
      await makeUser(db(), 'school', { laNumber: from.la_number, establishmentNumber: from.number }),
    );
    const sent = new SentService({ db: db(), files, clock, logger: createLogger('silent') });
    await assert.rejects(sent.remove(uploadingSchool, made.id), (error: unknown) => {
      assert.ok(error instanceof Invalid);
      assert.match(error.errors[0]?.message ?? '', /has been forwarded from the Lost Pupils Database/);
      return true;
    });
    assert.equal((await getTransfer(db(), made.id))?.status, 'available');

    // The purge job keeps it past the 7 days a collected file is kept.
    await purgeExpiredContent(db(), files, eightDaysOn());
    const kept = await getTransfer(db(), made.id);
    assert.deepEqual([kept?.status, Boolean(kept?.storage_key), kept?.purged_at], ['available', true, null]);
    assert.equal((await service().record(other.actor, made.id)).canDownload, true);

    // Its LA sees it in its review, where it is removed with its content once the school collected it,
    // and on its home page from then.
    const own = actorOf(await makeUser(db(), 'la_lost_pupil', { laNumber: from.la_number }));
    const home = async () =>
      (await homeItemsOf(db(), own, clock.now()))
        .filter((item) => item.href === REVIEW_PATH)
        .map((item) => translateMessage('en', item.text));
    const reviews = new LostPupilReviewService({ db: db(), files, clock, logger: createLogger('silent') });
    const listed = (await reviews.due(own)).foundNotDue.records.find((r) => r.id === made.id);
    assert.deepEqual([listed?.forwarded, listed?.copyWaiting], [forwarded, true]);
    // Not while the copy waits at the school (decision 38): a rejection would make the pupil lost again.
    assert.deepEqual(await home(), [], 'nothing to remove yet');
    await assert.rejects(reviews.remove(own, [made.id], 'destination-known'), Invalid);
    assert.equal((await getTransfer(db(), made.id))?.status, 'available');
    const collectedEmails = () =>
      db()
        .selectFrom('notification_outbox')
        .select(['recipient_kind', 'recipient', 'payload'])
        .where('template', '=', 'lost-pupil-forwarded-collected')
        .where('payload', 'like', `%${made.transfer.filename}%`)
        .execute();
    assert.deepEqual(await collectedEmails(), [], 'not while the copy waits');
    clock.advanceMinutes(5);
    await (await schoolDesk(school)).collect(result.forwarded.id);
    assert.deepEqual(await home(), [
      "1 lost pupil record uploaded by your LA's schools was forwarded to a school by another LA: close your case and remove it from the Lost Pupils Database.",
    ]);
    // Told once the school has collected it, in the collection's transaction, as it was of the forward:
    // the case can be closed and the record removed now.
    const collectedTold = await collectedEmails();
    assert.deepEqual(
      collectedTold.map((e) => [e.recipient_kind, e.recipient]),
      [['la', from.la_number]],
    );
    const collectedPayload = JSON.parse(collectedTold[0]?.payload ?? '{}');
    assert.deepEqual(
      [
        collectedPayload.forwardedByCode,
        collectedPayload.schoolCode,
        collectedPayload.uploadedByCode,
        collectedPayload.collectedAt,
        collectedPayload.path,
      ],
      [`${la.number}LLLL`, school.number, from.number, clock.now().toISOString(), '/lost-pupils/review'],
    );
    assert.doesNotMatch(collectedTold[0]?.payload ?? '', new RegExp(surname));
    await reviews.remove(own, [made.id], 'destination-known');
    const removed = await getTransfer(db(), made.id);
    assert.deepEqual([removed?.status, removed?.storage_key], ['removed', null]);
    assert.equal(result.forwarded.forwarded_from, made.id);
  });

  /** A user of the school, and the school's Download CTF Files. */
  async function schoolDesk(school: { number: string; la_number: string }, at: ManualClock = clock) {
    const user = actorOf(
      await makeUser(db(), 'school', { laNumber: school.la_number, establishmentNumber: school.number }),
    );
    const downloads = new DownloadService({ db: db(), files, clock: at, logger: createLogger('silent') });
    return {
      collect: async (id: string) => {
        await downloads.download(user, 'ctf', [id], 'download');
        return downloads.collect(user, 'ctf', [id]);
      },
      reject: (id: string) => downloads.reject(user, 'ctf', id, 'No such pupil on roll here'),
    };
  }

  test('a file forwarded by the LA that uploaded it stays while the copy waits, and is collected when the school collects the copy, its content deleted 7 days later', async () => {
    const { actor, la, school } = await laWith('la_lost_pupil_transfer');
    const made = await makeLostPupil(db(), files, { from: school.number });
    const { result, record } = await service().forward(actor, made.id, {
      school: school.number,
      attested: true,
    });
    // Waiting at the school: the file stays as it was, content and all, past the 7 days.
    assert.deepEqual([result.original.status, Boolean(result.original.storage_key)], ['available', true]);
    assert.deepEqual(
      [record.status, record.file.state, record.forwarded?.la.number, record.forwarded?.state],
      ['found', 'forwarded-waiting', la.number, 'waiting'],
    );
    assert.deepEqual([record.canForward, record.canDownload], [false, true]);
    const told = await db()
      .selectFrom('notification_outbox')
      .select('id')
      .where('template', '=', 'lost-pupil-forwarded')
      .where('payload', 'like', `%${made.transfer.filename}%`)
      .execute();
    assert.deepEqual(told, [], 'the LA forwarded it itself');
    await purgeExpiredContent(db(), files, eightDaysOn());
    assert.ok((await getTransfer(db(), made.id))?.storage_key, 'kept while the copy waits');

    // The school collects the copy, 8 days on: the file is collected then, and purged 7 days after that.
    const later = eightDaysOn();
    await (await schoolDesk(school, later)).collect(result.forwarded.id);
    const toldOfCollection = await db()
      .selectFrom('notification_outbox')
      .select('id')
      .where('template', '=', 'lost-pupil-forwarded-collected')
      .where('payload', 'like', `%${made.transfer.filename}%`)
      .execute();
    assert.deepEqual(toldOfCollection, [], 'the LA forwarded it itself: it knows');
    const collected = await getTransfer(db(), made.id);
    assert.deepEqual([collected?.status, collected?.collected_at], ['collected', later.now().toISOString()]);
    const audited = await db()
      .selectFrom('audit_events')
      .select('detail')
      .where('subject_id', '=', made.id)
      .where('action', '=', 'file-collected')
      .execute();
    assert.equal(audited.length, 1);
    assert.match(audited[0]?.detail ?? '', new RegExp(result.forwarded.id));
    const shown = await service().record(actor, made.id);
    assert.deepEqual(
      [shown.status, shown.file.state, shown.forwarded?.state],
      ['found', 'forwarded', 'collected'],
    );
    await purgeExpiredContent(
      db(),
      files,
      new ManualClock(new Date(later.now().getTime() + 6 * 86_400_000).toISOString()),
    );
    assert.ok((await getTransfer(db(), made.id))?.storage_key, 'kept for the 7 days after');
    await purgeExpiredContent(
      db(),
      files,
      new ManualClock(new Date(later.now().getTime() + 8 * 86_400_000).toISOString()),
    );
    assert.equal((await getTransfer(db(), made.id))?.storage_key, null);
    assert.equal((await service().record(actor, made.id)).file.state, 'forwarded-purged');
  });

  test('a forwarded file collected by its school can be downloaded until the time its record gives, and not after, purge job or not', async () => {
    const { actor, school } = await laWith('la_lost_pupil_transfer');
    const made = await makeLostPupil(db(), files, { from: school.number });
    const { result } = await service().forward(actor, made.id, { school: school.number, attested: true });
    const later = eightDaysOn();
    await (await schoolDesk(school, later)).collect(result.forwarded.id);
    const collectedAt = later.now().getTime();
    const at = (days: number, minutes = 0) =>
      new ManualClock(new Date(collectedAt + days * 86_400_000 + minutes * 60_000).toISOString());
    const serviceAt = (when: ManualClock) =>
      new LostPupilService({
        db: db(),
        files,
        clock: when,
        logger: createLogger('silent'),
        tickets: new DownloadTickets('a test secret'),
      });
    const kept = (await serviceAt(at(0)).record(actor, made.id)).file;
    assert.deepEqual(
      [kept.state, kept.keptUntil],
      ['forwarded', new Date(collectedAt + 7 * 86_400_000).toISOString()],
    );

    // Another LA downloads it 6 days on: the purge job keeps its content 7 days from that download, and
    // its record says so (it said 7 days from the collection).
    const { actor: other } = await laWith('la_lost_pupil');
    const sixDays = serviceAt(at(6));
    const { ticket } = await sixDays.attestDownload(other, made.id, true);
    (await sixDays.download(other, made.id, ticket)).stream.resume();
    const until = new Date(collectedAt + 13 * 86_400_000).toISOString();
    assert.equal((await serviceAt(at(6)).record(actor, made.id)).file.keptUntil, until);
    await purgeExpiredContent(db(), files, at(13, -1));
    assert.ok((await getTransfer(db(), made.id))?.storage_key, 'kept until then');
    assert.equal((await serviceAt(at(13, -1)).record(other, made.id)).canDownload, true);

    // At that time, before the purge job has run: no longer offered, and a download is refused.
    const due = serviceAt(at(13));
    const record = await due.record(other, made.id);
    assert.deepEqual([record.file.state, record.canDownload], ['forwarded-purged', false]);
    const { ticket: late } = await serviceAt(at(13, -1)).attestDownload(other, made.id, true);
    await assert.rejects(due.download(other, made.id, late), (error: unknown) => {
      assert.ok(error instanceof Invalid, String(error));
      assert.match(error.errors[0]?.message ?? '', /is no longer held here/);
      return true;
    });
  });

  for (const deleted of [false, true]) {
    test(`a forwarded file downloaded as the purge job deletes its content, 7 days after the school collected the copy (${deleted ? 'deleted' : 'not yet deleted'}): refused, saying so`, async () => {
      const { actor, school } = await laWith('la_lost_pupil_transfer');
      const made = await makeLostPupil(db(), files, { from: school.number });
      const { result } = await service().forward(actor, made.id, { school: school.number, attested: true });
      const later = eightDaysOn();
      await (await schoolDesk(school, later)).collect(result.forwarded.id);
      // Another LA downloads the file a minute before its 7 days end; the purge job runs a minute later,
      // after the download's checks and before it opens the content: it has recorded that it lets the
      // content go, and deleted it (`deleted`) or not yet.
      const { actor: other } = await laWith('la_lost_pupil');
      const at = new ManualClock(new Date(later.now().getTime() + 7 * 86_400_000 - 60_000).toISOString());
      let purge: { finish(): Promise<unknown> } | undefined;
      const racing = new LostPupilService({
        db: db(),
        files: {
          get: async (ref) => {
            at.advanceMinutes(1);
            purge = await purgeCaughtAt(db(), files, at, made.transfer.storage_key as string, deleted);
            return files.get(ref);
          },
          put: files.put.bind(files),
          remove: files.remove.bind(files),
        },
        clock: at,
        logger: createLogger('silent'),
        tickets: new DownloadTickets('a test secret'),
      });
      const { ticket } = await racing.attestDownload(other, made.id, true);
      try {
        await assert.rejects(racing.download(other, made.id, ticket), (error: unknown) => {
          assert.ok(error instanceof Invalid, String(error));
          assert.deepEqual(
            error.errors.map((e) => [e.field, e.message]),
            [
              [
                'attest',
                'This file was forwarded to a school and is no longer held here: ask the LA that found the pupil',
              ],
            ],
          );
          return true;
        });
      } finally {
        await purge?.finish();
      }
      const transfer = await getTransfer(db(), made.id);
      assert.deepEqual([transfer?.status, transfer?.storage_key], ['collected', null]);
      assert.notEqual(transfer?.downloaded_by, other.userId, 'no download recorded');
    });
  }

  test('two first downloads at once by two LAs, the later recorded last: the first download stays the earlier', async () => {
    const { school } = await laWith('la_lost_pupil');
    const made = await makeLostPupil(db(), files, { from: school.number });
    const { actor: first } = await laWith('la_lost_pupil');
    const { actor: second } = await laWith('la_lost_pupil');
    // Both have read the file as never downloaded when the earlier records its download; the later (a
    // minute on) records its own after that.
    const earlier = new ManualClock(clock.now().toISOString());
    const later = new ManualClock(clock.now().toISOString());
    later.advanceMinutes(1);
    const { fired: laterAtItsOpening, fire: laterOpened } = signal();
    const { fired: laterMayRecord, fire: earlierRecorded } = signal();
    const racing = (at: ManualClock, opening: () => Promise<void>) =>
      new LostPupilService({
        db: db(),
        files: {
          get: async (ref) => {
            await opening();
            return files.get(ref);
          },
          put: files.put.bind(files),
          remove: files.remove.bind(files),
        },
        clock: at,
        logger: createLogger('silent'),
        tickets: new DownloadTickets('a test secret'),
      });
    const laterService = racing(later, async () => {
      laterOpened();
      await laterMayRecord;
    });
    const { ticket: laterTicket } = await laterService.attestDownload(second, made.id, true);
    let laterDownload: ReturnType<LostPupilService['download']> | undefined;
    const earlierService = racing(earlier, async () => {
      laterDownload = laterService.download(second, made.id, laterTicket);
      await laterAtItsOpening;
    });
    const { ticket } = await earlierService.attestDownload(first, made.id, true);
    await readAll((await earlierService.download(first, made.id, ticket)).stream);
    earlierRecorded();
    await readAll((await (laterDownload as ReturnType<LostPupilService['download']>)).stream);
    const transfer = await getTransfer(db(), made.id);
    assert.equal(
      transfer?.first_downloaded_at,
      earlier.now().toISOString(),
      'the first download, the earlier',
    );
    assert.equal(transfer?.last_downloaded_at, later.now().toISOString());
    assert.equal(transfer?.downloaded_by, second.userId);
  });

  test("a file forwarded by its own LA that the school rejects is kept past the rejected copy's purge, and the record is lost again, to forward again", async () => {
    const { actor, la, school } = await laWith('la_lost_pupil_transfer');
    const second = await makeSchool(db(), la.number);
    const surname = uniqueName('Rejected');
    const made = await makeLostPupil(db(), files, { from: school.number, pupil: { surname } });
    const input = { school: school.number, attested: true };
    const { result } = await service().forward(actor, made.id, input);
    await (await schoolDesk(school)).reject(result.forwarded.id);

    // In the rejection's own transaction: lost again, audited, and the LA told where to forward it from.
    const lost = await service().record(actor, made.id);
    assert.deepEqual(
      [lost.status, lost.found, lost.file.state, lost.canForward, lost.canDownload],
      ['lost', null, 'available', true, true],
    );
    assert.deepEqual(
      [lost.forwarded?.state, lost.forwarded?.rejectedAt, lost.forwarded?.school.number],
      ['rejected', clock.now().toISOString(), school.number],
    );
    const audits = await db()
      .selectFrom('audit_events')
      .select(['action', 'detail'])
      .where('subject_id', '=', made.id)
      .where('action', '=', 'lost-pupil-lost-again')
      .execute();
    assert.equal(audits.length, 1);
    assert.match(audits[0]?.detail ?? '', new RegExp(result.forwarded.id));
    const emails = await db()
      .selectFrom('notification_outbox')
      .select(['template', 'recipient', 'payload'])
      .where('template', 'in', ['forwarded-file-rejected', 'lost-pupil-lost-again'])
      .where('payload', 'like', `%${result.forwarded.filename}%`)
      .execute();
    assert.deepEqual(
      emails.map((e) => [e.template, e.recipient]),
      [['forwarded-file-rejected', la.number]],
      'the LA forwarded its own record: one email',
    );
    assert.match(emails[0]?.payload ?? '', new RegExp(`/lost-pupils/search/${made.id}`));
    const searched = await service().search(actor, search({ surname, surnameBegins: true }));
    assert.deepEqual(
      searched.results.map((r) => [r.id, r.status, r.forwarded?.state]),
      [[made.id, 'lost', 'rejected']],
    );

    // 8 days on the rejected copy's content is purged; the lost pupil file's is not.
    await purgeExpiredContent(db(), files, eightDaysOn());
    assert.equal((await getTransfer(db(), result.forwarded.id))?.storage_key, null);
    const original = await getTransfer(db(), made.id);
    assert.deepEqual([original?.status, Boolean(original?.storage_key)], ['available', true]);

    // Forwarded again, to the school the pupil is at: a copy of the very bytes uploaded.
    const again = await service().forward(actor, made.id, { school: second.number, attested: true });
    assert.deepEqual(
      [again.record.status, again.record.file.state, again.record.forwarded?.school.number],
      ['found', 'forwarded-waiting', second.number],
    );
    const desk = await schoolDesk(second);
    await desk.collect(again.result.forwarded.id);
    assert.equal((await getTransfer(db(), made.id))?.status, 'collected');
  });

  test('when the school rejects a file another LA forwarded, the record is lost again and the LA that uploaded it is told not to close its case', async () => {
    const { actor, la, school } = await laWith('la_lost_pupil_transfer');
    const from = await uploader();
    const made = await makeLostPupil(db(), files, { from: from.number });
    const { result } = await service().forward(actor, made.id, { school: school.number, attested: true });
    await (await schoolDesk(school)).reject(result.forwarded.id);

    const record = await service().record(actor, made.id);
    assert.deepEqual([record.status, record.file.state, record.canForward], ['lost', 'available', true]);
    const told = await db()
      .selectFrom('notification_outbox')
      .select(['template', 'recipient_kind', 'recipient', 'payload'])
      .where('template', 'in', ['forwarded-file-rejected', 'lost-pupil-lost-again'])
      .where('payload', 'like', `%${result.forwarded.filename}%`)
      .orderBy('template')
      .execute();
    const lostAgain = await db()
      .selectFrom('notification_outbox')
      .select(['recipient_kind', 'recipient', 'payload'])
      .where('template', '=', 'lost-pupil-lost-again')
      .where('payload', 'like', `%${made.transfer.filename}%`)
      .execute();
    assert.deepEqual(
      [...told, ...lostAgain].map((e) => [e.recipient_kind, e.recipient]),
      [
        ['la', la.number],
        ['la', from.la_number],
      ],
    );
    const payload = JSON.parse(lostAgain[0]?.payload ?? '{}');
    assert.deepEqual(
      [payload.schoolCode, payload.forwardedByCode, payload.path],
      [school.number, `${la.number}LLLL`, `/lost-pupils/search/${made.id}`],
    );
    // Not counted on its home page as a record to close and remove.
    const own = actorOf(await makeUser(db(), 'la_lost_pupil', { laNumber: from.la_number }));
    const home = await homeItemsOf(db(), own, clock.now());
    assert.deepEqual(
      home.filter((item) => item.href === REVIEW_PATH),
      [],
    );
  });

  test('a finding after the forward stands when the school rejects the forwarded file', async () => {
    const { actor, school } = await laWith('la_lost_pupil_transfer');
    const made = await makeLostPupil(db(), files, { from: school.number });
    const { result } = await service().forward(actor, made.id, { school: school.number, attested: true });
    // Another LA downloads the file later and says the pupil is on roll at one of its schools.
    const other = await laWith('la_lost_pupil');
    const later = new ManualClock(new Date(clock.now().getTime() + 3_600_000).toISOString());
    const theirs = new LostPupilService({
      db: db(),
      files,
      clock: later,
      logger: createLogger('silent'),
      tickets: new DownloadTickets('a test secret'),
    });
    const { ticket } = await theirs.attestDownload(other.actor, made.id, true);
    await readAll((await theirs.download(other.actor, made.id, ticket)).stream);
    await theirs.confirmFound(other.actor, made.id);
    await (await schoolDesk(school, later)).reject(result.forwarded.id);
    const record = await service().record(actor, made.id);
    assert.deepEqual([record.status, record.found?.la.number], ['found', other.la.number]);
  });

  test('a forwarded file the LA removes before the school collects it leaves the pupil lost again, to forward again', async () => {
    const { actor, la, school } = await laWith('la_lost_pupil_transfer');
    const second = await makeSchool(db(), la.number);
    const made = await makeLostPupil(db(), files, { from: school.number });
    const { result } = await service().forward(actor, made.id, { school: school.number, attested: true });
    // The LA is the copy's sender: it removes it under View / Remove Files.
    const sent = new SentService({ db: db(), files, clock, logger: createLogger('silent') });
    await sent.remove(actor, result.forwarded.id);
    const record = await service().record(actor, made.id);
    assert.deepEqual(
      [record.status, record.file.state, record.forwarded?.state, record.canForward],
      ['lost', 'available', 'removed', true],
    );
    const audited = await db()
      .selectFrom('audit_events')
      .select('detail')
      .where('subject_id', '=', made.id)
      .where('action', '=', 'lost-pupil-lost-again')
      .execute();
    assert.match(audited[0]?.detail ?? '', /"how":"removed"/);
    const again = await service().forward(actor, made.id, { school: second.number, attested: true });
    assert.deepEqual(
      [again.record.status, again.record.file.state, again.record.forwarded?.school.number],
      ['found', 'forwarded-waiting', second.number],
    );
  });

  test('a forwarded copy the virus scan quarantined is shown as removed and the file is forwarded again', async () => {
    const { actor, la, school } = await laWith('la_lost_pupil_transfer');
    const second = await makeSchool(db(), la.number);
    const made = await makeLostPupil(db(), files, { from: school.number });
    const { result } = await service().forward(actor, made.id, { school: school.number, attested: true });
    // Copies are made from files already scanned, so only a hand-made change (or a future rescan) gets
    // here: the record offers Forward, and the forward-once guard must agree (COPY_GONE).
    await db()
      .updateTable('transfers')
      .set({ status: 'quarantined', scanned_at: clock.now().toISOString() })
      .where('id', '=', result.forwarded.id)
      .execute();
    const record = await service().record(actor, made.id);
    assert.deepEqual(
      [record.file.state, record.forwarded?.state, record.canForward],
      ['available', 'removed', true],
    );
    const again = await service().forward(actor, made.id, { school: second.number, attested: true });
    assert.deepEqual(
      [again.record.file.state, again.record.forwarded?.school.number],
      ['forwarded-waiting', second.number],
    );
  });

  test('after a rejection the file is forwarded again once, even by two forwards at the same moment', async () => {
    const { actor, la, school } = await laWith('la_lost_pupil_transfer');
    const [second, third] = [await makeSchool(db(), la.number), await makeSchool(db(), la.number)];
    const made = await makeLostPupil(db(), files, { from: school.number });
    const { result } = await service().forward(actor, made.id, { school: school.number, attested: true });
    // While the copy waits, another forward is refused.
    await assert.rejects(
      service().forward(actor, made.id, { school: second.number, attested: true }),
      (error: unknown) =>
        error instanceof Invalid && /already been forwarded/.test(error.errors[0]?.message ?? ''),
    );
    await (await schoolDesk(school)).reject(result.forwarded.id);
    const outcomes = await Promise.allSettled(
      [second, third].map((to) => service().forward(actor, made.id, { school: to.number, attested: true })),
    );
    assert.deepEqual(outcomes.map((o) => o.status).sort(), ['fulfilled', 'rejected']);
    const copies = await db()
      .selectFrom('transfers')
      .select('status')
      .where('forwarded_from', '=', made.id)
      .execute();
    assert.deepEqual(copies.map((c) => c.status).sort(), ['available', 'rejected']);
  });

  test('a file another LA is responsible for is forwarded once, even by two forwards at the same moment', async () => {
    const { actor, la, school } = await laWith('la_lost_pupil_transfer');
    const second = await makeSchool(db(), la.number);
    const made = await makeLostPupil(db(), files, { from: (await uploader()).number });
    const outcomes = await Promise.allSettled(
      [school, second].map((to) => service().forward(actor, made.id, { school: to.number, attested: true })),
    );
    assert.deepEqual(outcomes.map((o) => o.status).sort(), ['fulfilled', 'rejected']);
    const refused = outcomes.find((o) => o.status === 'rejected');
    assert.ok(refused?.reason instanceof Invalid, String(refused?.reason));
    const copies = await db()
      .selectFrom('transfers')
      .select('id')
      .where('forwarded_from', '=', made.id)
      .execute();
    assert.equal(copies.length, 1);
  });

  test("a file its school removes between the download's checks and its opening: refused, not the error page", async () => {
    const { actor } = await laWith('la_lost_pupil');
    const from = (await uploader()).number;
    const made = await makeLostPupil(db(), files, { from });
    const sender = actorOf(await makeUser(db(), 'school', { establishmentNumber: from }));
    const { ticket } = await service().attestDownload(actor, made.id, true);
    // The download has read the file as held; the school's removal (View / Remove Files) then ends, its
    // content deleted, before the download opens the content.
    const racing = new LostPupilService({
      db: db(),
      files: {
        get: async (ref) => {
          await new SentService({ db: db(), files, clock, logger: createLogger('silent') }).remove(
            sender,
            made.id,
          );
          return files.get(ref);
        },
        put: files.put.bind(files),
        remove: files.remove.bind(files),
      },
      clock,
      logger: createLogger('silent'),
      tickets: new DownloadTickets('a test secret'),
    });
    await assert.rejects(racing.download(actor, made.id, ticket), (error: unknown) => {
      assert.ok(error instanceof Invalid, String(error));
      assert.deepEqual(
        error.errors.map((e) => [e.field, e.message]),
        [['attest', `${made.transfer.filename} has just changed: look at it again`]],
      );
      return true;
    });
    const transfer = await getTransfer(db(), made.id);
    assert.equal(transfer?.status, 'removed');
    assert.equal(transfer?.storage_key, null, 'its content is gone, and its row says so');
    assert.equal(transfer?.last_downloaded_at, null, 'no download recorded');
  });

  test('a file its school removed cannot be downloaded or forwarded', async () => {
    const { actor, school } = await laWith('la_lost_pupil_transfer');
    const made = await makeLostPupil(db(), files, { from: (await uploader()).number });
    await db()
      .updateTable('transfers')
      .set({ status: 'removed', removed_at: '2026-11-22T09:00:00.000Z', storage_key: null })
      .where('id', '=', made.id)
      .execute();
    const record = await service().record(actor, made.id);
    assert.deepEqual(
      [record.file.state, record.canDownload, record.canForward],
      ['removed-by-sender', false, false],
    );
    await assert.rejects(service().attestDownload(actor, made.id, true), Invalid);
    await assert.rejects(
      service().forwardPlan(actor, made.id, { school: school.number, attested: true }),
      Invalid,
    );
  });
});
