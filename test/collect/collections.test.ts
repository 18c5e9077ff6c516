// Data collections (census guide, "My Data Collections"): the form's rules, setting a collection up,
// changing, closing and opening it again (each audited), and who sees which collection with which role,
// organisation, status and days due; on both engines. And the demo data's School Census.
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import type { Actor } from '../../src/auth/actor.ts';
import {
  COLLECTIONS_PER_PAGE,
  type CollectionForm,
  DataCollectionsService,
} from '../../src/collect/collections-service.ts';
import { seedDemoData } from '../../src/demo/seed.ts';
import { ManualClock } from '../../src/platform/clock.ts';
import type { Db, EstablishmentRow, LocalAuthorityRow } from '../../src/platform/db/schema.ts';
import { type FieldError, Forbidden, Invalid, NotFound } from '../../src/platform/errors.ts';
import { message } from '../../src/platform/i18n/catalogue.ts';
import { autumnCensusForm } from '../support/census.ts';
import { createTestDatabase, describeEachEngine } from '../support/databases.ts';
import { makeLa, makeSchool, makeUser } from '../support/factories.ts';
import { actorOf } from '../support/messages.ts';

/** The problems the service finds in a form, as "field: message". */
async function problems(service: DataCollectionsService, form: CollectionForm): Promise<string[]> {
  const error = await service.read(form).then(
    () => assert.fail('the form was accepted'),
    (e: unknown) => e,
  );
  assert.ok(error instanceof Invalid, String(error));
  return error.errors.map((e: FieldError) => `${e.field}: ${e.message}`);
}

async function auditOf(db: Db, id: string) {
  const rows = await db
    .selectFrom('audit_events')
    .select(['action', 'actor_user_id', 'occurred_at', 'detail'])
    .where('subject_type', '=', 'data-collection')
    .where('subject_id', '=', id)
    .orderBy('occurred_at')
    .execute();
  return rows.map((row) => ({ ...row, detail: JSON.parse(row.detail ?? 'null') }));
}

describeEachEngine('DataCollectionsService', (database) => {
  let db: Db;
  let clock: ManualClock;
  let service: DataCollectionsService;
  let la: LocalAuthorityRow;
  let otherLa: LocalAuthorityRow;
  let school: EstablishmentRow;
  let collector: Actor;

  before(async () => {
    db = database().db;
    clock = new ManualClock('2026-11-23T09:00:00.000Z');
    service = new DataCollectionsService({ db, clock });
    la = await makeLa(db, { name: 'Ashire' });
    otherLa = await makeLa(db, { name: 'Bshire' });
    school = await makeSchool(db, la.number, { name: 'Ashire Primary School' });
    collector = actorOf(await makeUser(db, 'dfe_collector'));
  });

  const actor = async (role: Actor['role'], org: { laNumber?: string; establishmentNumber?: string } = {}) =>
    actorOf(await makeUser(db, role, org));

  test('read() asks for every field it lacks, each against its field', async () => {
    assert.deepEqual(await problems(service, {}), [
      'name: Enter a name, like School Census 2026 Autumn',
      'term: Choose the term: autumn, spring or summer',
      'year: Enter the year as 4 digits, like 2026',
      'reference-day: Enter the census day',
      'open-day: Enter the date returns can be loaded from',
      'due-day: Enter the date returns are due',
      'scope: Choose the LAs whose schools take part, or all LAs',
    ]);
  });

  test('read() refuses a name too long, a year not of 4 digits, and a term it does not know', async () => {
    assert.deepEqual(
      await problems(
        service,
        autumnCensusForm([la.number], { name: 'x'.repeat(101), year: '26', term: 'WIN' }),
      ),
      [
        'name: The name must be 100 characters or fewer',
        'term: Choose the term: autumn, spring or summer',
        'year: Enter the year as 4 digits, like 2026',
      ],
    );
    // Four digits, but not a year a collection can be of: the range is said.
    for (const year of ['1999', '2200']) {
      assert.deepEqual(await problems(service, autumnCensusForm([la.number], { year })), [
        'year: The year must be from 2000 to 2099',
      ]);
    }
    const longest = await service.read(autumnCensusForm([la.number], { name: ` ${'x'.repeat(100)} ` }));
    assert.equal(longest.name, 'x'.repeat(100));
  });

  test('read() names the box of a date to correct: a missing part, or a date that does not exist', async () => {
    assert.deepEqual(
      await problems(
        service,
        autumnCensusForm([la.number], { referenceMonth: '', openDay: '31', openMonth: '9', dueYear: 'next' }),
      ),
      [
        'reference-month: The census day must include a month',
        'open-day: The open date must be a real date: that month has no day 31',
        'due-year: The year of the due date must include 4 numbers',
      ],
    );
  });

  test('read() refuses a census day outside the term or the year, and a due date before the open date', async () => {
    assert.deepEqual(await problems(service, autumnCensusForm([la.number], { referenceMonth: '12' })), [
      'reference-day: The census day 1 December 2026 is not in the autumn term.',
    ]);
    const spring = await service.read(
      autumnCensusForm([la.number], {
        term: 'SPR',
        year: '2027',
        referenceDay: '21',
        referenceMonth: '1',
        referenceYear: '2027',
      }),
    );
    assert.equal(spring.referenceDate, '2027-01-21', 'a spring census day in January is fine');
    assert.deepEqual(await problems(service, autumnCensusForm([la.number], { referenceYear: '2025' })), [
      'reference-day: The census day 1 October 2025 is not in the collection year 2026.',
    ]);
    assert.deepEqual(
      await problems(service, autumnCensusForm([la.number], { dueDay: '31', dueMonth: '8' })),
      ['due-day: The due date must be on or after the open date'],
    );
  });

  test('read() wants the LAs chosen to be LAs it knows; with all LAs it keeps none', async () => {
    assert.deepEqual(await problems(service, autumnCensusForm([])), [
      'scope: Choose the LAs whose schools take part, or all LAs',
    ]);
    assert.deepEqual(await problems(service, autumnCensusForm([la.number, '000'])), [
      'las: Choose LAs from the list',
    ]);
    const chosen = await service.read(autumnCensusForm([otherLa.number, la.number, otherLa.number]));
    assert.deepEqual(chosen, {
      name: 'School Census 2026 Autumn',
      term: 'AUT',
      year: '2026',
      referenceDate: '2026-10-01',
      openDate: '2026-09-01',
      dueDate: '2026-12-18',
      allLas: false,
      las: [la.number, otherLa.number].sort(),
    });
    const all = await service.read(autumnCensusForm([la.number], { scope: 'all' }));
    assert.equal(all.allLas, true);
    assert.deepEqual(all.las, []);
  });

  test('set up, changed, closed and opened again: each change stored and audited with who and when', async () => {
    const id = await service.create(collector, autumnCensusForm([la.number]));
    const created = await service.get(collector, id);
    assert.equal(created.collection.name, 'School Census 2026 Autumn');
    assert.equal(created.collection.term, 'AUT');
    assert.equal(created.collection.reference_date, '2026-10-01');
    assert.equal(created.collection.created_by, collector.userId);
    assert.equal(created.collection.created_at, clock.now().toISOString());
    assert.deepEqual(created.las, [la.number]);
    assert.equal(created.status, 'Live');

    clock.advanceMinutes(60);
    await service.update(
      collector,
      id,
      autumnCensusForm([otherLa.number], {
        name: 'School Census 2026 Autumn (late)',
        dueDay: '8',
        dueMonth: '1',
        dueYear: '2027',
      }),
    );
    const updated = await service.get(collector, id);
    assert.equal(updated.collection.name, 'School Census 2026 Autumn (late)');
    assert.equal(updated.collection.due_date, '2027-01-08');
    assert.equal(updated.collection.updated_at, clock.now().toISOString());
    assert.deepEqual(updated.las, [otherLa.number]);

    clock.advanceMinutes(60);
    await service.setClosed(collector, id, true);
    const closed = await service.get(collector, id);
    assert.equal(closed.collection.closed_at, clock.now().toISOString());
    assert.equal(closed.status, 'Closed');
    await service.setClosed(collector, id, true); // already closed: nothing to record

    clock.advanceMinutes(60);
    await service.setClosed(collector, id, false);
    const reopened = await service.get(collector, id);
    assert.equal(reopened.collection.closed_at, null);
    assert.equal(reopened.status, 'Live');

    const audit = await auditOf(db, id);
    assert.deepEqual(
      audit.map((a) => [a.action, a.actor_user_id, a.occurred_at]),
      [
        ['data-collection-added', collector.userId, '2026-11-23T09:00:00.000Z'],
        ['data-collection-updated', collector.userId, '2026-11-23T10:00:00.000Z'],
        ['data-collection-closed', collector.userId, '2026-11-23T11:00:00.000Z'],
        ['data-collection-reopened', collector.userId, '2026-11-23T12:00:00.000Z'],
      ],
    );
    assert.deepEqual(audit[0]?.detail, {
      name: 'School Census 2026 Autumn',
      term: 'autumn',
      year: '2026',
      referenceDate: '2026-10-01',
      openDate: '2026-09-01',
      dueDate: '2026-12-18',
      las: [la.number],
    });
    assert.deepEqual(audit[2]?.detail, { name: 'School Census 2026 Autumn (late)' });
  });

  test('the national administrator manages collections too; schools and LAs may not', async () => {
    const admin = await actor('national_admin');
    const id = await service.create(
      admin,
      autumnCensusForm([la.number], { name: 'Set up by the administrator' }),
    );
    assert.equal((await service.get(admin, id)).collection.created_by, admin.userId);
    const schoolUser = await actor('school', { laNumber: la.number, establishmentNumber: school.number });
    const laUser = await actor('la_dba', { laNumber: la.number });
    for (const refused of [schoolUser, laUser]) {
      await assert.rejects(service.create(refused, autumnCensusForm([la.number])), Forbidden);
      await assert.rejects(service.update(refused, id, autumnCensusForm([la.number])), Forbidden);
      await assert.rejects(service.setClosed(refused, id, true), Forbidden);
      await assert.rejects(service.list(refused, 1), Forbidden);
    }
    await assert.rejects(service.get(admin, 'no-such-collection'), NotFound);
    await assert.rejects(
      service.update(admin, 'no-such-collection', autumnCensusForm([la.number])),
      NotFound,
    );
    // The administrator takes no part in collections: no My Data Collections.
    await assert.rejects(service.myCollections(admin, 1), Forbidden);
  });

  test('My Data Collections: the school as Source, its LA as Agent, the DfE as Collector', async () => {
    const id = await service.create(collector, autumnCensusForm([la.number], { name: 'Census for Ashire' }));
    const expected = { id, name: 'Census for Ashire', status: 'Live', dueDate: '2026-12-18', daysDue: 25 };

    const schoolUser = await actor('school', { laNumber: la.number, establishmentNumber: school.number });
    const fromSchool = await service.myCollections(schoolUser, 1);
    assert.deepEqual(
      fromSchool.rows.find((row) => row.id === id),
      { ...expected, role: 'Source', organisation: 'Ashire Primary School' },
    );

    for (const role of ['la_dba', 'la_user', 'la_plasc'] as const) {
      const agent = await actor(role, { laNumber: la.number });
      const fromLa = await service.myCollections(agent, 1);
      assert.deepEqual(
        fromLa.rows.find((row) => row.id === id),
        { ...expected, role: 'Agent', organisation: 'Ashire' },
        role,
      );
    }

    const fromCollector = await service.myCollections(collector, 1);
    assert.deepEqual(
      fromCollector.rows.find((row) => row.id === id),
      { ...expected, role: 'Collector', organisation: message('auth.organisation.dfe') },
    );

    // Each of them may open it.
    for (const who of [schoolUser, collector]) assert.equal((await service.open(who, id)).collection.id, id);
  });

  test('a school, or an LA, whose LA does not take part sees nothing, and cannot open the collection', async () => {
    const id = await service.create(collector, autumnCensusForm([la.number], { name: 'Only for Ashire' }));
    const elsewhere = await makeLa(db, { name: 'Cshire' });
    const elsewhereSchool = await makeSchool(db, elsewhere.number);
    const schoolUser = await actor('school', {
      laNumber: elsewhere.number,
      establishmentNumber: elsewhereSchool.number,
    });
    const laUser = await actor('la_user', { laNumber: elsewhere.number });
    for (const stranger of [schoolUser, laUser]) {
      assert.deepEqual(await service.myCollections(stranger, 1), { rows: [], total: 0, pages: 1, page: 1 });
      await assert.rejects(service.open(stranger, id), NotFound);
    }
    // An LA role that takes no part in census returns has no My Data Collections at all.
    await assert.rejects(
      service.myCollections(await actor('la_school', { laNumber: la.number }), 1),
      Forbidden,
    );
  });

  test('the status is Not yet open before the open date, Live from it, Closed once closed', async () => {
    const later = await service.create(
      collector,
      autumnCensusForm([otherLa.number], {
        name: 'Spring census',
        term: 'SPR',
        year: '2027',
        referenceDay: '21',
        referenceMonth: '1',
        referenceYear: '2027',
        openDay: '4',
        openMonth: '1',
        openYear: '2027',
        dueDay: '5',
        dueMonth: '2',
        dueYear: '2027',
      }),
    );
    const agent = await actor('la_user', { laNumber: otherLa.number });
    const statusOf = async () => (await service.myCollections(agent, 1)).rows.find((row) => row.id === later);
    assert.equal((await statusOf())?.status, 'Not yet open');

    const fromJanuary = new DataCollectionsService({
      db,
      clock: new ManualClock('2027-01-04T00:30:00.000Z'),
    });
    assert.equal(
      (await fromJanuary.myCollections(agent, 1)).rows.find((row) => row.id === later)?.status,
      'Live',
    );

    await service.setClosed(collector, later, true);
    assert.equal((await statusOf())?.status, 'Closed');
  });

  test('Days Due counts London days to the due date, and is negative once it is overdue', async () => {
    const id = await service.create(collector, autumnCensusForm([la.number], { name: 'Due soon' }));
    const schoolUser = await actor('school', { laNumber: la.number, establishmentNumber: school.number });
    const daysDueOn = async (at: string) => {
      const onThatDay = new DataCollectionsService({ db, clock: new ManualClock(at) });
      return (await onThatDay.myCollections(schoolUser, 1)).rows.find((row) => row.id === id)?.daysDue;
    };
    assert.equal(await daysDueOn('2026-12-17T12:00:00.000Z'), 1);
    assert.equal(await daysDueOn('2026-12-18T23:59:00.000Z'), 0);
    assert.equal(await daysDueOn('2026-12-21T09:00:00.000Z'), -3);
    // 11:30pm on 17 June UTC is already 18 June in London (BST): the London day counts.
    await service.update(
      collector,
      id,
      autumnCensusForm([la.number], { name: 'Due soon', dueDay: '20', dueMonth: '6', dueYear: '2027' }),
    );
    assert.equal(await daysDueOn('2027-06-17T23:30:00.000Z'), 2);
  });
});

describeEachEngine('DataCollectionsService: pages of collections', (database) => {
  let db: Db;
  let service: DataCollectionsService;
  let collector: Actor;

  before(async () => {
    db = database().db;
    service = new DataCollectionsService({ db, clock: new ManualClock('2026-11-23T09:00:00.000Z') });
    collector = actorOf(await makeUser(db, 'dfe_collector'));
  });

  test(`${COLLECTIONS_PER_PAGE} a page, the latest due first; a page past the end shows the last`, async () => {
    const la = await makeLa(db);
    const school = await makeSchool(db, la.number);
    // Due on 1 to 21 December: the 21st first.
    for (let day = 1; day <= 21; day += 1) {
      await service.create(
        collector,
        autumnCensusForm([la.number], { name: `Census ${day}`, dueDay: String(day) }),
      );
    }
    const schoolUser = actorOf(
      await makeUser(db, 'school', { laNumber: la.number, establishmentNumber: school.number }),
    );
    for (const who of [collector, schoolUser]) {
      const first = await service.myCollections(who, 1);
      assert.equal(first.total, 21);
      assert.equal(first.pages, 2);
      assert.equal(first.page, 1);
      assert.equal(first.rows.length, 20);
      assert.equal(first.rows[0]?.name, 'Census 21');
      const second = await service.myCollections(who, 2);
      assert.deepEqual(
        second.rows.map((row) => row.name),
        ['Census 1'],
      );
      assert.equal((await service.myCollections(who, 9)).page, 2);
      assert.equal((await service.myCollections(who, 0)).page, 1);
    }
    const managed = await service.list(collector, 2);
    assert.deepEqual(
      managed.rows.map((row) => [row.collection.name, row.status, row.las]),
      [['Census 1', 'Live', [la.number]]],
    );
    assert.equal(managed.pages, 2);
  });

  test("a collection of every LA's schools reaches a school of any LA", async () => {
    const id = await service.create(collector, autumnCensusForm([], { name: 'Everyone', scope: 'all' }));
    const la = await makeLa(db);
    const school = await makeSchool(db, la.number);
    const schoolUser = actorOf(
      await makeUser(db, 'school', { laNumber: la.number, establishmentNumber: school.number }),
    );
    const mine = await service.myCollections(schoolUser, 1);
    assert.deepEqual(
      mine.rows.map((row) => row.name),
      ['Everyone'],
    );
    const details = await service.open(schoolUser, id);
    assert.equal(details.collection.all_las, 1);
    assert.deepEqual(details.las, []);
  });
});

test('the demo data has a live School Census of LA 916, due in the future whenever it is loaded', async () => {
  for (const [loadedAt, due, daysDue] of [
    ['2026-09-10T08:00:00.000Z', '2026-12-18', 99],
    ['2026-12-02T08:00:00.000Z', '2027-01-01', 30],
  ] as const) {
    const database = await createTestDatabase('sqlite');
    try {
      const clock = new ManualClock(loadedAt);
      assert.equal(await seedDemoData(database.db, clock), true);
      const users = await database.db.selectFrom('users').selectAll().execute();
      const demo = (username: string) => {
        const user = users.find((u) => u.username === username);
        assert.ok(user, username);
        return actorOf(user);
      };
      const service = new DataCollectionsService({ db: database.db, clock });
      const seen = async (username: string) =>
        (await service.myCollections(demo(username), 1)).rows.map((row) => ({ ...row, id: undefined }));
      const census = {
        id: undefined,
        name: 'School Census 2026 Autumn',
        status: 'Live',
        dueDate: due,
        daysDue,
      };
      assert.deepEqual(await seen('demo-school-a'), [
        { ...census, role: 'Source', organisation: 'Cotswold Edge Primary School' },
      ]);
      assert.deepEqual(await seen('demo-la-user'), [
        { ...census, role: 'Agent', organisation: 'Gloucestershire' },
      ]);
      assert.deepEqual(await seen('demo-collector'), [
        { ...census, role: 'Collector', organisation: message('auth.organisation.dfe') },
      ]);
      assert.deepEqual(await seen('demo-school-b'), [], 'LA 817 does not take part');
      const [row] = await database.db.selectFrom('data_collections').selectAll().execute();
      assert.equal(row?.created_by, demo('demo-collector').userId);
      assert.deepEqual(
        [row?.term, row?.year, row?.reference_date, row?.open_date],
        ['AUT', '2026', '2026-10-01', '2026-09-01'],
      );
    } finally {
      await database.drop();
    }
  }
});
