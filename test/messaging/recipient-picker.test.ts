// The recipient lists of Send Message and Message Address Groups (LA notes §6.4-6.5) on both engines:
// each button of the picker, what it refuses and why, the limit, removal, and keys a tampered form
// carries.
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { applyPickerAction, type PickerForm } from '../../src/messaging/recipient-picker.ts';
import type { Db, EstablishmentRow, LocalAuthorityRow } from '../../src/platform/db/schema.ts';
import { message, textIn } from '../../src/platform/i18n/catalogue.ts';
import { describeEachEngine } from '../support/databases.ts';
import { makeLa, makeSchool, makeUser } from '../support/factories.ts';

describeEachEngine('recipient picker', (database) => {
  let db: Db;
  let la: LocalAuthorityRow;
  let unstaffed: LocalAuthorityRow;
  let alder: EstablishmentRow;
  let birch: EstablishmentRow;
  let closed: EstablishmentRow;
  let paper: EstablishmentRow;

  before(async () => {
    db = database().db;
    la = await makeLa(db, { name: 'Pickshire' });
    unstaffed = await makeLa(db, { name: 'Emptyshire' });
    // Made out of name order: the school list is by name.
    birch = await makeSchool(db, la.number, { name: 'Birch Primary School' });
    alder = await makeSchool(db, la.number, { name: 'Alder Primary School' });
    closed = await makeSchool(db, la.number, { name: 'Closed Academy', status: 'closed' });
    paper = await makeSchool(db, la.number, { name: 'Paper School', uses_s2s: 0 });
    await makeUser(db, 'la_user', { laNumber: la.number });
    await makeUser(db, 'la_lost_pupil', { laNumber: la.number });
    // Neither a deleted LA user nor a school's user makes an LA type reachable.
    await makeUser(db, 'la_admissions', { laNumber: la.number }, { deleted_at: '2026-11-01T10:00:00.000Z' });
    const shut = await makeSchool(db, unstaffed.number, { name: 'Shut School', status: 'closed' });
    await makeUser(db, 'school', { laNumber: unstaffed.number, establishmentNumber: shut.number });
  });

  const pick = (form: Partial<PickerForm> & { action: string }, limit = 10) =>
    applyPickerAction(
      db,
      { recipients: [], ...form },
      {
        limit,
        tooMany: message('messaging.send.too-many-recipients', { max: limit }),
      },
    );
  const keys = (state: { recipients: { key: string }[] }) => state.recipients.map((r) => r.key);
  /** Field errors as the API gives them: the field and the English message (pages use their keys). */
  const plain = (errors: { field: string; message: string }[]) =>
    errors.map(({ field, message }) => ({ field, message }));
  const fields = (state: { errors: { field: string }[] }) => state.errors.map((e) => e.field);

  test('add-la-users adds the type of user of the LA, once, labelled as the LA notes do', async () => {
    const state = await pick({ action: 'add-la-users', la: la.number, userType: 'la_user' });
    assert.deepEqual(state.errors, []);
    assert.equal(state.schoolList, null);
    assert.deepEqual(keys(state), [`la:${la.number}:la_user`]);
    const [chosen] = state.recipients;
    assert.ok(chosen);
    assert.equal(textIn('en', chosen.label), `${la.number} Pickshire - LEA User`);
    assert.equal(textIn('cy', chosen.label), `${la.number} Pickshire - Defnyddiwr AALl`);
    assert.equal(state.recipients[0]?.problem, null);

    const twice = await pick({
      action: 'add-la-users',
      recipients: keys(state),
      la: la.number,
      userType: 'la_user',
    });
    assert.deepEqual(twice.errors, []);
    assert.deepEqual(keys(twice), [`la:${la.number}:la_user`]);

    const both = await pick({
      action: 'add-la-users',
      recipients: keys(state),
      la: la.number,
      userType: 'la_lost_pupil',
    });
    assert.deepEqual(keys(both), [`la:${la.number}:la_user`, `la:${la.number}:la_lost_pupil`]);
  });

  test('add-la-users asks for the LA and the type of user', async () => {
    const none = await pick({ action: 'add-la-users' });
    assert.deepEqual(fields(none), ['la', 'userType']);
    assert.deepEqual(
      none.errors.map((e) => e.message),
      ['Select an LA', 'Select the type of user'],
    );
    const notAType = await pick({ action: 'add-la-users', la: la.number, userType: 'school' });
    assert.deepEqual(fields(notAType), ['userType']);
    assert.deepEqual(keys(notAType), []);
  });

  test('add-la-users refuses an LA type with no users (deleted ones do not count) and an unknown LA', async () => {
    const empty = await pick({ action: 'add-la-users', la: unstaffed.number, userType: 'la_user' });
    assert.deepEqual(keys(empty), []);
    assert.deepEqual(plain(empty.errors), [
      {
        field: 'la',
        message: `${unstaffed.number} Emptyshire has no LEA User on s2s: choose another type of user`,
      },
    ]);
    const deleted = await pick({ action: 'add-la-users', la: la.number, userType: 'la_admissions' });
    assert.deepEqual(keys(deleted), []);
    assert.match(deleted.errors[0]?.message ?? '', /has no LEA Admissions User on s2s/);

    const unknown = await pick({ action: 'add-la-users', la: '999', userType: 'la_user' });
    assert.deepEqual(keys(unknown), []);
    assert.deepEqual(plain(unknown.errors), [{ field: 'la', message: 'There is no LA 999 on s2s' }]);
  });

  test("populate lists the LA's open schools that use s2s, by name", async () => {
    const state = await pick({
      action: 'populate',
      schoolLa: la.number,
      recipients: [`la:${la.number}:la_user`],
    });
    assert.deepEqual(state.errors, []);
    assert.deepEqual(state.schoolList, [
      {
        value: `school:${alder.number}`,
        text: `${la.number} ${alder.number.slice(3)} - Alder Primary School`,
      },
      {
        value: `school:${birch.number}`,
        text: `${la.number} ${birch.number.slice(3)} - Birch Primary School`,
      },
    ]);
    assert.deepEqual(keys(state), [`la:${la.number}:la_user`], 'the list is unchanged');

    const unchosen = await pick({ action: 'populate' });
    assert.deepEqual(plain(unchosen.errors), [{ field: 'schoolLa', message: "Select the school's LA" }]);
    assert.equal(unchosen.schoolList, null);

    const noSchools = await pick({ action: 'populate', schoolLa: unstaffed.number });
    assert.deepEqual(noSchools.schoolList, []);
    assert.deepEqual(plain(noSchools.errors), [
      { field: 'schoolLa', message: 'This LA has no open schools that use s2s' },
    ]);
  });

  test('add-schools adds the ticked schools of the list, and only schools the list offers', async () => {
    const state = await pick({
      action: 'add-schools',
      schoolLa: la.number,
      schools: [`school:${birch.number}`, `school:${alder.number}`],
    });
    assert.deepEqual(state.errors, []);
    assert.deepEqual(keys(state), [`school:${birch.number}`, `school:${alder.number}`]);
    assert.equal(state.schoolList?.length, 2, 'the list stays open for more');

    const unticked = await pick({ action: 'add-schools', schoolLa: la.number });
    assert.deepEqual(fields(unticked), ['schools']);
    assert.match(unticked.errors[0]?.message ?? '', /Select one or more schools from the list/);

    // A closed school, one not on s2s, or a school of another LA is not on the list: not added.
    const offList = await pick({
      action: 'add-schools',
      schoolLa: la.number,
      schools: [`school:${closed.number}`, `school:${paper.number}`, 'school:9990001'],
    });
    assert.deepEqual(keys(offList), []);
    assert.deepEqual(fields(offList), ['schools']);

    const noLa = await pick({ action: 'add-schools', schools: [`school:${alder.number}`] });
    assert.deepEqual(fields(noLa), ['schoolLa']);
    assert.deepEqual(keys(noLa), []);
  });

  test('add-school-number adds a school by its LA and school numbers', async () => {
    const state = await pick({
      action: 'add-school-number',
      laNo: ` ${alder.number.slice(0, 3)} `,
      schoolNo: alder.number.slice(3),
    });
    assert.deepEqual(state.errors, []);
    assert.deepEqual(keys(state), [`school:${alder.number}`]);
    assert.equal(state.recipients[0]?.label, `${la.number} ${alder.number.slice(3)} - Alder Primary School`);
    assert.equal(state.recipients[0]?.establishmentNumber, alder.number);
    assert.equal(state.recipients[0]?.laNumber, la.number);
  });

  test('add-school-number checks the numbers, and refuses an unknown or closed school or one not on s2s', async () => {
    const malformed = await pick({ action: 'add-school-number', laNo: '91', schoolNo: '12a4' });
    assert.deepEqual(fields(malformed), ['laNo', 'schoolNo']);
    const blank = await pick({ action: 'add-school-number' });
    assert.deepEqual(fields(blank), ['laNo', 'schoolNo']);

    const by = (school: string) => ({
      action: 'add-school-number',
      laNo: school.slice(0, 3),
      schoolNo: school.slice(3),
    });
    const unknown = await pick(by('9990001'));
    assert.deepEqual(plain(unknown.errors), [
      { field: 'laNo', message: 'There is no school 999 0001 on s2s: check the LA and school numbers' },
    ]);
    const shut = await pick(by(closed.number));
    assert.deepEqual(plain(shut.errors), [
      { field: 'laNo', message: `${la.number} ${closed.number.slice(3)} - Closed Academy is closed` },
    ]);
    const offline = await pick(by(paper.number));
    assert.deepEqual(plain(offline.errors), [
      {
        field: 'laNo',
        message: `${la.number} ${paper.number.slice(3)} - Paper School does not use s2s: contact the school another way`,
      },
    ]);
    for (const state of [unknown, shut, offline]) assert.deepEqual(keys(state), []);
  });

  test('the list holds up to the limit: an addition past it is refused whole', async () => {
    const two = [`school:${alder.number}`, `la:${la.number}:la_user`];
    const full = await pick(
      { action: 'add-school-number', recipients: two, laNo: la.number, schoolNo: birch.number.slice(3) },
      2,
    );
    assert.deepEqual(keys(full), two);
    assert.deepEqual(plain(full.errors), [
      {
        field: 'laNo',
        message: 'A message can go to up to 2 recipients: remove some, or send to an address group instead',
      },
    ]);

    // One place left, two schools ticked: neither is added.
    const batch = await pick(
      {
        action: 'add-schools',
        recipients: [`la:${la.number}:la_user`],
        schoolLa: la.number,
        schools: [`school:${alder.number}`, `school:${birch.number}`],
      },
      2,
    );
    assert.deepEqual(keys(batch), [`la:${la.number}:la_user`]);
    assert.deepEqual(fields(batch), ['schools']);

    // One already chosen does not count twice.
    const again = await pick(
      { action: 'add-schools', recipients: two, schoolLa: la.number, schools: [`school:${alder.number}`] },
      2,
    );
    assert.deepEqual(again.errors, []);
    assert.deepEqual(keys(again), two);

    // A tampered key or a repeat in what the form carries takes no place.
    const padded = await pick(
      {
        action: 'add-school-number',
        recipients: [`la:${la.number}:la_user`, 'school:12', `la:${la.number}:la_user`],
        laNo: la.number,
        schoolNo: birch.number.slice(3),
      },
      2,
    );
    assert.deepEqual(padded.errors, []);
    assert.deepEqual(keys(padded), [`la:${la.number}:la_user`, `school:${birch.number}`]);
  });

  test('an LA that is not three digits (a tampered form) is asked for again', async () => {
    const users = await pick({ action: 'add-la-users', la: 'abc', userType: 'la_user' });
    assert.deepEqual(plain(users.errors), [{ field: 'la', message: 'Select an LA' }]);
    const schools = await pick({ action: 'populate', schoolLa: '9x' });
    assert.deepEqual(fields(schools), ['schoolLa']);
  });

  test('remove:<mailbox> takes it off the list; removing one not on it changes nothing', async () => {
    const chosen = [`school:${alder.number}`, `la:${la.number}:la_user`, `school:${birch.number}`];
    const removed = await pick({ action: `remove:la:${la.number}:la_user`, recipients: chosen });
    assert.deepEqual(removed.errors, []);
    assert.deepEqual(keys(removed), [`school:${alder.number}`, `school:${birch.number}`]);
    const absent = await pick({ action: 'remove:school:9990001', recipients: chosen });
    assert.deepEqual(keys(absent), chosen);
    const unknownAction = await pick({ action: 'frobnicate', recipients: chosen });
    assert.deepEqual(unknownAction.errors, []);
    assert.deepEqual(keys(unknownAction), chosen);
  });

  test('keys that name no mailbox (a tampered form) are dropped; duplicates are shown once', async () => {
    const state = await pick({
      action: 'remove:nothing',
      recipients: [
        `school:${alder.number}`,
        'school:12',
        'la:916:root',
        'la:9160:la_user',
        '<script>',
        '',
        `school:${alder.number}`,
      ],
    });
    assert.deepEqual(keys(state), [`school:${alder.number}`]);
  });

  test('a chosen mailbox a message can no longer reach stays on the list with its problem', async () => {
    // A school closed, or an LA whose last LEA User left, since the group was made.
    const state = await pick({
      action: 'remove:nothing',
      recipients: [`school:${closed.number}`, `la:${unstaffed.number}:la_user`, `school:${birch.number}`],
    });
    assert.deepEqual(state.errors, []);
    assert.deepEqual(
      state.recipients.map((r) => [r.key, r.problem]),
      [
        [`school:${closed.number}`, `${la.number} ${closed.number.slice(3)} - Closed Academy is closed`],
        [
          `la:${unstaffed.number}:la_user`,
          `${unstaffed.number} Emptyshire has no LEA User on s2s: choose another type of user`,
        ],
        [`school:${birch.number}`, null],
      ],
    );
  });
});
