import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import { before, test } from 'node:test';
import { recordAudit } from '../../src/audit/repository.ts';
import type { Actor } from '../../src/auth/actor.ts';
import type { Role } from '../../src/auth/permissions.ts';
import { DataCollectionsService } from '../../src/collect/collections-service.ts';
import { CensusReturnsService } from '../../src/collect/returns-service.ts';
import { DirectoryService, describeAuditDetail, type NewSchoolInput } from '../../src/directory/service.ts';
import { ManualClock } from '../../src/platform/clock.ts';
import { Forbidden, Invalid, NotFound } from '../../src/platform/errors.ts';
import { autumnCensusForm, censusFilename, censusReturnXml } from '../support/census.ts';
import { describeEachEngine } from '../support/databases.ts';
import { makeLa, makeSchool, makeUser } from '../support/factories.ts';
import {
  actorOf,
  la as laParty,
  makeFileStores,
  makeTransfer,
  school as schoolParty,
} from '../support/transfers.ts';

function actor(role: Role, laNumber: string | null = null): Actor {
  return {
    userId: randomUUID(),
    username: `${role}-${randomUUID().slice(0, 6)}`,
    role,
    laNumber,
    establishmentNumber: null,
  };
}

function newSchool(number: string, overrides: Partial<NewSchoolInput> = {}): NewSchoolInput {
  return {
    number,
    name: 'Hillside Primary School',
    town: 'Gloucester',
    postcode: 'gl1  2tg',
    phase: 'Primary',
    type: 'Community school',
    email: 'office@hillside.example.sch.uk',
    telephone: '01452 425000',
    usesS2s: true,
    active: true,
    ...overrides,
  };
}

/** The Invalid a promise rejects with, for asserting on its field errors. */
async function invalid(promise: Promise<unknown>): Promise<Invalid> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof Invalid) return error;
    throw error;
  }
  assert.fail('expected the change to be refused');
}

describeEachEngine('directory service', (database) => {
  let clock: ManualClock;
  let directory: DirectoryService;
  before(() => {
    clock = new ManualClock('2026-11-23T09:00:00.000Z');
    directory = new DirectoryService(database().db, clock);
  });

  async function auditOf(organisation: string) {
    return database()
      .db.selectFrom('audit_events')
      .selectAll()
      .where('organisation', '=', organisation)
      .orderBy('occurred_at')
      .execute();
  }

  test('a DBA adds a school to their LA, with its audit record', async () => {
    const la = await makeLa(database().db);
    const dba = actor('la_dba', la.number);
    const school = await directory.addSchool(dba, la.number, newSchool(`${la.number}5402`));
    assert.equal(school.number, `${la.number}5402`);
    assert.equal(school.la_number, la.number);
    assert.equal(school.postcode, 'GL1 2TG', 'the postcode is tidied');
    assert.equal(school.status, 'open');

    const stored = await database()
      .db.selectFrom('establishments')
      .selectAll()
      .where('number', '=', school.number)
      .executeTakeFirstOrThrow();
    assert.equal(stored.name_search, 'hillside primary school');
    assert.equal(stored.created_at, '2026-11-23T09:00:00.000Z');
    const audit = await auditOf(school.number);
    assert.equal(audit.length, 1);
    assert.equal(audit[0]?.action, 'school-added');
    assert.equal(audit[0]?.actor_username, dba.username);
    assert.equal(audit[0]?.occurred_at, '2026-11-23T09:00:00.000Z');
  });

  test('the DfE number must be 7 digits starting with the LA number, and unique', async () => {
    const la = await makeLa(database().db);
    const other = await makeLa(database().db);
    const dba = actor('la_dba', la.number);

    const wrongLa = await invalid(directory.addSchool(dba, la.number, newSchool(`${other.number}5402`)));
    assert.deepEqual(
      wrongLa.errors.map((e) => e.field),
      ['number'],
    );
    assert.match(wrongLa.message, new RegExp(`must start with the LA number ${la.number}`));
    const short = await invalid(directory.addSchool(dba, la.number, newSchool(`${la.number}54`)));
    assert.match(short.message, /must be 7 digits/);

    const existing = await makeSchool(database().db, la.number, { name: 'Already Here School' });
    const duplicate = await invalid(directory.addSchool(dba, la.number, newSchool(existing.number)));
    assert.equal(duplicate.errors[0]?.field, 'number');
    assert.match(
      duplicate.message,
      new RegExp(`School ${existing.number} already exists: Already Here School`),
    );
    assert.equal((await auditOf(existing.number)).length, 0, 'nothing recorded for a refused change');
  });

  test('webmail addresses, bad telephone numbers and missing answers are refused, field by field', async () => {
    const la = await makeLa(database().db);
    const dba = actor('la_dba', la.number);
    const number = `${la.number}6001`;
    const refused = await invalid(
      directory.addSchool(
        dba,
        la.number,
        newSchool(number, {
          name: '  ',
          email: 'head@hotmail.co.uk',
          telephone: '12345',
          postcode: 'not a postcode',
          active: undefined,
        }),
      ),
    );
    assert.deepEqual(
      refused.errors.map((e) => e.field),
      ['name', 'postcode', 'email', 'telephone', 'active'],
    );
    assert.match(refused.message, /free webmail services \(hotmail\.co\.uk\) are not allowed/);
    assert.match(refused.message, /Enter a UK telephone number/);
    const row = await database()
      .db.selectFrom('establishments')
      .select('number')
      .where('number', '=', number)
      .executeTakeFirst();
    assert.equal(row, undefined);
  });

  test('updating a school records which fields changed; the account can be made inactive', async () => {
    const la = await makeLa(database().db);
    const school = await makeSchool(database().db, la.number, { name: 'Old Name School', town: 'Stroud' });
    const dba = actor('la_dba', la.number);
    clock.advanceMinutes(5);
    const { school: updated, changed } = await directory.updateSchool(dba, school.number, {
      name: 'New Name School',
      town: 'Stroud',
      postcode: school.postcode ?? '',
      phase: school.phase ?? '',
      type: school.type ?? '',
      email: 'admin@newname.example.sch.uk',
      telephone: school.telephone ?? '',
      usesS2s: true,
      active: false,
    });
    assert.deepEqual(changed, ['name', 'email', 'active']);
    assert.equal(updated.active, 0);

    const stored = await database()
      .db.selectFrom('establishments')
      .selectAll()
      .where('number', '=', school.number)
      .executeTakeFirstOrThrow();
    assert.equal(stored.name, 'New Name School');
    assert.equal(stored.name_search, 'new name school');
    assert.equal(stored.active, 0);
    assert.equal(stored.updated_at, clock.now().toISOString());
    const audit = await auditOf(school.number);
    assert.equal(audit.length, 1);
    assert.equal(audit[0]?.action, 'school-updated');
    // What each field was and became, so that the log can say what a change did (an active school made
    // inactive and active again is two different events).
    assert.equal(
      describeAuditDetail(audit[0]?.detail ?? null),
      'fields: name, email, active; changes: name "Old Name School" → "New Name School", ' +
        'email "office@test.example.sch.uk" → "admin@newname.example.sch.uk", active yes → no',
    );

    const again = await directory.updateSchool(dba, school.number, {
      name: 'New Name School',
      town: 'Stroud',
      postcode: school.postcode ?? '',
      phase: school.phase ?? '',
      type: school.type ?? '',
      email: 'admin@newname.example.sch.uk',
      telephone: school.telephone ?? '',
      usesS2s: true,
      active: false,
    });
    assert.deepEqual(again.changed, []);
    assert.equal((await auditOf(school.number)).length, 1, 'no audit record when nothing changed');
  });

  test('a school with user accounts cannot be deleted; without them it can', async () => {
    const la = await makeLa(database().db);
    const dba = actor('la_dba', la.number);
    const school = await makeSchool(database().db, la.number);
    const user = await makeUser(database().db, 'school', {
      laNumber: la.number,
      establishmentNumber: school.number,
    });
    const refused = await invalid(directory.deleteSchool(dba, school.number));
    assert.equal(refused.errors[0]?.field, 'users');
    assert.match(refused.message, /still has 1 user account: delete its users first, in User Maintenance/);
    assert.ok(await directory.school(dba, school.number), 'the school is still there');

    // Once its only user is deleted (the row stays, the username reserved), the school can go.
    await database()
      .db.updateTable('users')
      .set({ deleted_at: clock.now().toISOString() })
      .where('id', '=', user.id)
      .execute();
    const deleted = await directory.deleteSchool(dba, school.number);
    assert.equal(deleted.number, school.number);
    await assert.rejects(directory.school(dba, school.number), NotFound);
    const audit = await auditOf(school.number);
    assert.deepEqual(
      audit.map((e) => e.action),
      ['school-deleted'],
    );
    const formerUser = await database()
      .db.selectFrom('users')
      .selectAll()
      .where('id', '=', user.id)
      .executeTakeFirstOrThrow();
    assert.equal(formerUser.username, user.username, 'the deleted account keeps its username');
  });

  test('a school COLLECT holds census returns from cannot be deleted: it is made inactive instead', async () => {
    const db = database().db;
    const la = await makeLa(db);
    const dba = actor('la_dba', la.number);
    const school = await makeSchool(db, la.number);
    const collectClock = new ManualClock('2026-10-02T09:00:00.000Z');
    const admin = actorOf(await makeUser(db, 'national_admin'));
    const collectionId = await new DataCollectionsService({ db, clock: collectClock }).create(
      admin,
      autumnCensusForm([la.number], { name: `School Census 2026 Autumn ${la.number}` }),
    );
    const schoolUser = await makeUser(db, 'school', {
      laNumber: la.number,
      establishmentNumber: school.number,
    });
    const loaded = await new CensusReturnsService({
      db,
      files: makeFileStores().files,
      clock: collectClock,
    }).load(
      actorOf(schoolUser),
      collectionId,
      censusFilename(school.number),
      Readable.from([Buffer.from(censusReturnXml({ school: school.number, year: 2026 }))]),
      false,
    );
    assert.equal(loaded.status, 'loaded');
    await db
      .updateTable('users')
      .set({ deleted_at: clock.now().toISOString() })
      .where('id', '=', schoolUser.id)
      .execute();

    const refused = await invalid(directory.deleteSchool(dba, school.number));
    assert.deepEqual(
      refused.errors.map((e) => e.field),
      ['returns'],
    );
    assert.match(refused.message, /COLLECT holds 1 census return from it: make the school inactive instead/);
    assert.ok(await directory.school(dba, school.number), 'the school is still there');
  });

  test('a school with files waiting for it cannot be deleted until they are forwarded, deleted or collected', async () => {
    const db = database().db;
    const { files } = makeFileStores();
    const la = await makeLa(db);
    const dba = actor('la_dba', la.number);
    const school = await makeSchool(db, la.number, { name: 'Closing School' });
    const sender = await makeSchool(db, la.number);
    const to = schoolParty(school.number);
    const ctfs = await Promise.all([
      makeTransfer(db, files, { from: laParty(la.number), to }),
      makeTransfer(db, files, { from: schoolParty(sender.number), to }),
      makeTransfer(db, files, {
        from: schoolParty(sender.number),
        to,
        overrides: { status: 'pending-scan' },
      }),
    ]);
    const generic = await makeTransfer(db, files, {
      from: schoolParty(sender.number),
      to,
      category: 'generic',
    });
    // Files no longer on their way do not count, nor files the school sent.
    await makeTransfer(db, files, {
      from: schoolParty(sender.number),
      to,
      overrides: { status: 'collected' },
    });
    await makeTransfer(db, files, { from: schoolParty(sender.number), to, overrides: { status: 'removed' } });
    await makeTransfer(db, files, { from: to, to: schoolParty(sender.number) });

    assert.deepEqual((await directory.schoolToDelete(dba, school.number)).waiting, { ctfs: 3, others: 1 });
    const refused = await invalid(directory.deleteSchool(dba, school.number));
    assert.deepEqual(
      refused.errors.map((e) => e.field),
      ['files', 'files'],
    );
    assert.match(
      refused.message,
      /Closing School \(\d{7}\) cannot be deleted because 3 CTFs are still waiting for it: forward them to the right school, or delete them, in Delete files not collected by schools/,
    );
    assert.match(
      refused.message,
      /1 file that is not a CTF is still waiting for it: ask its sender to remove it/,
    );
    assert.ok(await directory.school(dba, school.number), 'the school is still there');

    // The CTFs dealt with (forwarded, deleted, collected), the other file still holds the school.
    const [forwarded, collected, deleted] = ctfs;
    const settle = (id: string, status: 'removed' | 'collected') =>
      db.updateTable('transfers').set({ status }).where('id', '=', id).execute();
    await settle(forwarded.row.id, 'removed');
    await settle(collected.row.id, 'collected');
    await settle(deleted.row.id, 'removed');
    const stillRefused = await invalid(directory.deleteSchool(dba, school.number));
    assert.deepEqual(
      stillRefused.errors.map((e) => e.field),
      ['files'],
    );
    assert.match(stillRefused.message, /1 file that is not a CTF/);

    await settle(generic.row.id, 'removed');
    assert.equal((await directory.deleteSchool(dba, school.number)).number, school.number);
  });

  test("a DBA cannot see or change another LA's schools, and a view-only DBA cannot change any", async () => {
    const db = database().db;
    const own = await makeLa(db);
    const other = await makeLa(db);
    const foreign = await makeSchool(db, other.number);
    const ownSchool = await makeSchool(db, own.number);
    const dba = actor('la_dba', own.number);

    await assert.rejects(directory.school(dba, foreign.number), NotFound);
    await assert.rejects(directory.schoolToDelete(dba, foreign.number), NotFound);
    await assert.rejects(directory.deleteSchool(dba, foreign.number), NotFound);
    await assert.rejects(
      directory.updateSchool(dba, foreign.number, { ...newSchool(foreign.number), name: 'Taken Over' }),
      NotFound,
    );
    await assert.rejects(directory.schoolsOf(dba, other.number), NotFound);
    await assert.rejects(directory.addSchool(dba, other.number, newSchool(`${other.number}7001`)), NotFound);
    await assert.rejects(directory.school(dba, '9999999'), NotFound);
    await assert.rejects(directory.school(dba, 'not-a-number'), NotFound);
    await assert.rejects(directory.updateLaDetails(dba, other.number, laInput()), NotFound);
    assert.equal((await directory.school(actor('national_admin'), foreign.number)).number, foreign.number);

    const viewOnly = actor('la_dba_view', own.number);
    assert.equal((await directory.school(viewOnly, ownSchool.number)).number, ownSchool.number);
    assert.equal((await directory.schoolsOf(viewOnly, own.number)).schools.length, 1);
    await assert.rejects(
      directory.addSchool(viewOnly, own.number, newSchool(`${own.number}7002`)),
      Forbidden,
    );
    await assert.rejects(
      directory.updateSchool(viewOnly, ownSchool.number, newSchool(ownSchool.number)),
      Forbidden,
    );
    await assert.rejects(directory.deleteSchool(viewOnly, ownSchool.number), Forbidden);
    await assert.rejects(directory.updateLaDetails(viewOnly, own.number, laInput()), Forbidden);
    await assert.rejects(directory.schoolsOf(actor('la_user', own.number), own.number), Forbidden);

    const unchanged = await db
      .selectFrom('establishments')
      .select('name')
      .where('number', '=', foreign.number)
      .executeTakeFirstOrThrow();
    assert.equal(unchanged.name, foreign.name);
  });

  test('a national administrator manages the schools of any LA', async () => {
    const la = await makeLa(database().db, { country: 'Wales' });
    const admin = actor('national_admin');
    const school = await directory.addSchool(admin, la.number, newSchool(`${la.number}2001`));
    assert.equal(school.la_number, la.number);
    assert.equal((await directory.schoolsOf(admin, la.number)).schools.length, 1);
    assert.ok((await directory.localAuthorities(admin)).some((l) => l.number === la.number));
    assert.deepEqual(
      (await directory.localAuthorities(actor('la_dba', la.number))).map((l) => l.number),
      [la.number],
    );
  });

  function laInput(overrides: Partial<Parameters<DirectoryService['updateLaDetails']>[2]> = {}) {
    return {
      contactName: 'Common Transfer Team',
      email: 'ctf@testshire.example.gov.uk',
      telephone: '029 2000 0681',
      address: 'County Hall,\nAtlantic Wharf\n\nCardiff CF10 4UW',
      ...overrides,
    };
  }

  test('a DBA updates the LA details; the change is audited against the LA', async () => {
    const la = await makeLa(database().db, { address: null });
    const dba = actor('la_dba', la.number);
    const refused = await invalid(
      directory.updateLaDetails(dba, la.number, laInput({ email: 'team@gmail.com', telephone: 'call us' })),
    );
    assert.deepEqual(
      refused.errors.map((e) => e.field),
      ['email', 'telephone'],
    );

    const { la: updated, changed } = await directory.updateLaDetails(dba, la.number, laInput());
    assert.deepEqual(changed, ['contact_name', 'email', 'telephone', 'address']);
    assert.equal(updated.address, 'County Hall, Atlantic Wharf, Cardiff CF10 4UW');
    const stored = await database()
      .db.selectFrom('local_authorities')
      .selectAll()
      .where('number', '=', la.number)
      .executeTakeFirstOrThrow();
    assert.equal(stored.contact_name, 'Common Transfer Team');
    assert.equal(stored.updated_at, clock.now().toISOString());
    const audit = await auditOf(la.number);
    assert.equal(audit.length, 1);
    assert.equal(audit[0]?.action, 'la-details-updated');
    assert.equal(audit[0]?.subject_id, la.number);
    assert.equal(
      describeAuditDetail(audit[0]?.detail ?? null),
      'fields: contact name, email, telephone, address; changes: contact name "Test Contact" → ' +
        '"Common Transfer Team", email "contact@testshire.example.gov.uk" → "ctf@testshire.example.gov.uk", ' +
        'telephone "01234 567890" → "029 2000 0681", address none → "County Hall, Atlantic Wharf, Cardiff CF10 4UW"',
    );
    // The Contacts page and the sign-in page send people to their LA: it keeps a way to be reached.
    const unreachable = await invalid(
      directory.updateLaDetails(
        dba,
        la.number,
        laInput({ contactName: '', email: '', telephone: '', address: '' }),
      ),
    );
    assert.deepEqual(
      unreachable.errors.map((e) => `${e.field}: ${e.message}`),
      [
        'email: Enter an email address or a telephone number: the Contacts page gives them to your schools and users',
      ],
    );
    await directory.updateLaDetails(dba, la.number, laInput({ email: '' }));
    await directory.updateLaDetails(
      dba,
      la.number,
      laInput({ email: 'ctf@testshire.example.gov.uk', telephone: '' }),
    );
  });

  test('the finder matches part of the name and the town in any case, closed and Welsh schools included', async () => {
    const db = database().db;
    const england = await makeLa(db);
    const wales = await makeLa(db, { country: 'Wales', name: 'Cardiff' });
    const token = `Qx${england.number}`;
    const wanted = await makeSchool(db, england.number, {
      name: `St Mary and St ${token}ina School`,
      town: 'Bristol',
    });
    await makeSchool(db, england.number, { name: `St ${token}ina Academy`, town: 'Bath' });
    const closed = await makeSchool(db, england.number, {
      name: `Old ${token}ina School`,
      town: 'North Bristol',
      status: 'closed',
    });
    const welsh = await makeSchool(db, wales.number, { name: `Ysgol ${token}ina`, town: 'Bristol' });

    const found = await directory.find({ name: ` ${token.toUpperCase()}INA `, town: 'bRiStOl' });
    assert.deepEqual(
      found.schools.map((s) => s.number).sort(),
      [wanted.number, closed.number, welsh.number].sort(),
    );
    assert.equal(found.more, false);
    const fromWales = found.schools.find((s) => s.number === welsh.number);
    assert.equal(fromWales?.country, 'Wales');
    assert.equal(fromWales?.la_name, 'Cardiff');

    const byTownOnly = await directory.find({ name: '', town: 'north bristol' });
    assert.ok(byTownOnly.schools.some((s) => s.number === closed.number));

    const empty = await invalid(directory.find({ name: '  ', town: '' }));
    assert.equal(empty.errors[0]?.field, 'name');
  });

  test('the finder leaves punctuation out of names, towns and searches alike', async () => {
    const db = database().db;
    const la = await makeLa(db);
    const token = `Pm${la.number}`;
    const handbook = await makeSchool(db, la.number, {
      name: `St. Mary and St. ${token}a School`,
      town: 'Stratford-upon-Avon',
    });
    const possessive = await makeSchool(db, la.number, { name: `St ${token}a’s C.E. Primary`, town: 'Bath' });
    const found = async (name: string, town = '') =>
      (await directory.find({ name, town })).schools.map((s) => s.number).sort();
    const both = [handbook.number, possessive.number].sort();

    assert.deepEqual(await found(`St. ${token}a`), both);
    assert.deepEqual(await found(`st ${token}a`), both);
    assert.deepEqual(await found(`${token}a's`), both);
    assert.deepEqual(await found(`St ${token}a’s`), both);
    assert.deepEqual(await found(`${token}a CE`), [possessive.number]);
    assert.deepEqual(await found(`${token}a, c.e.`), [possessive.number]);
    assert.deepEqual(await found(token, 'Stratford upon Avon'), [handbook.number]);
    assert.deepEqual(await found(token, 'stratford-upon-avon'), [handbook.number]);

    // Punctuation alone is no search.
    const nothing = await invalid(directory.find({ name: ' . ', town: '-' }));
    assert.equal(nothing.errors[0]?.field, 'name');
  });

  test('the finder reads Ł, Ø, Æ, Þ... as the letters typed for them, as the Lost Pupils search does', async () => {
    const db = database().db;
    const la = await makeLa(db);
    const token = `Zk${la.number}`;
    const lodz = await makeSchool(db, la.number, { name: `Szkoła ${token} Łódź`, town: 'Łódź' });
    const oresund = await makeSchool(db, la.number, { name: `Øresund ${token} Skole`, town: 'Malmö' });
    const thors = await makeSchool(db, la.number, { name: `Þórshöfn ${token} Kjær`, town: 'Færøerne' });
    const found = async (name: string, town = '') =>
      (await directory.find({ name, town })).schools.map((s) => s.number);

    assert.deepEqual(await found(`${token} Lodz`), [lodz.number]);
    assert.deepEqual(await found(`${token} Łódź`), [lodz.number], 'typed as written');
    assert.deepEqual(await found(token, 'LODZ'), [lodz.number]);
    assert.deepEqual(await found(`Oresund ${token}`), [oresund.number]);
    assert.deepEqual(await found(`Thorshofn ${token} Kjaer`), [thors.number]);
    assert.deepEqual(await found(token, 'Faeroerne'), [thors.number]);
  });

  test('a % or _ in a search is never a wildcard', async () => {
    const db = database().db;
    const la = await makeLa(db);
    const percent = await makeSchool(db, la.number, { name: `Full 100% Zp${la.number} School` });
    await makeSchool(db, la.number, { name: `Full 1000 Zp${la.number} School` });
    const underscore = await makeSchool(db, la.number, { name: `Zu${la.number}_a School` });
    await makeSchool(db, la.number, { name: `Zu${la.number}xa School` });

    const byPercent = await directory.find({ name: `100% zp${la.number}`, town: '' });
    assert.deepEqual(
      byPercent.schools.map((s) => s.number),
      [percent.number],
    );
    const byUnderscore = await directory.find({ name: `zu${la.number}_a`, town: '' });
    assert.deepEqual(
      byUnderscore.schools.map((s) => s.number),
      [underscore.number],
    );
  });

  test('the finder shows at most 100 schools and says when there are more', async () => {
    const db = database().db;
    const la = await makeLa(db);
    const town = `Manytown${la.number}`;
    for (let i = 0; i < 100; i += 1) await makeSchool(db, la.number, { town });
    const exactly = await directory.find({ name: '', town });
    assert.equal(exactly.schools.length, 100);
    assert.equal(exactly.more, false);

    await makeSchool(db, la.number, { town });
    const capped = await directory.find({ name: '', town });
    assert.equal(capped.schools.length, 100);
    assert.equal(capped.more, true);
  });

  test("the audit log shows an LA's DBA its own LA and schools, newest first, 50 a page", async () => {
    const db = database().db;
    const own = await makeLa(db);
    const other = await makeLa(db);
    const school = await makeSchool(db, own.number);
    const base = new Date('2027-01-01T00:00:00.000Z').getTime();
    for (let i = 0; i < 55; i += 1) {
      await recordAudit(db, {
        at: new Date(base + i * 60_000),
        actorUsername: 'someone',
        organisation: i % 2 === 0 ? own.number : school.number,
        action: 'sign-in',
      });
    }
    await recordAudit(db, {
      at: new Date(base + 100 * 60_000),
      actorUsername: 'elsewhere',
      organisation: other.number,
      action: 'school-updated',
      subjectType: 'school',
      subjectId: `${other.number}0001`,
      detail: { fields: ['name', 'uses_s2s'] },
    });

    const dba = actor('la_dba', own.number);
    const first = await directory.auditLog(dba, 1);
    assert.equal(first.lines.length, 50);
    assert.equal(first.hasNext, true);
    assert.equal(first.lines[0]?.at, new Date(base + 54 * 60_000).toISOString(), 'newest first');
    assert.equal(first.lines[0]?.action, 'Signed in');
    assert.ok(first.lines.every((l) => l.organisation === own.number || l.organisation === school.number));
    const second = await directory.auditLog(dba, 2);
    assert.equal(second.lines.length, 5);
    assert.equal(second.hasNext, false);

    const national = await directory.auditLog(actor('national_admin'), 1);
    const foreign = national.lines.find((l) => l.who === 'elsewhere');
    assert.equal(foreign?.action, 'School updated');
    assert.equal(foreign?.subject, `school ${other.number}0001`);
    assert.equal(foreign?.details, 'fields: name, uses s2s');

    await assert.rejects(directory.auditLog(actor('la_dba_view', own.number), 1), Forbidden);
  });
});
