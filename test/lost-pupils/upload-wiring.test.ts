// The Lost Pupils Database as uploads feed it: a CTF sent to XXXXXXXX or MMMMMMMM is recorded with its
// pupil's details, and later CTFs and census returns holding that pupil are matched with it, all in the
// upload's transaction.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { Db, EstablishmentRow } from '../../src/platform/db/schema.ts';
import { ctfBetween, type FixturePupil, syntheticPupil } from '../fixtures/ctf/generate.ts';
import { describeEachEngine } from '../support/databases.ts';
import { makeLa, makeSchool, makeUser } from '../support/factories.ts';
import { Agent, createTestApp, type TestApp } from '../support/web.ts';

const CENSUS = readFileSync(join(import.meta.dirname, '..', 'fixtures', 'census', 'valid-autumn.xml'));

describeEachEngine('uploads feeding the Lost Pupils Database', (database) => {
  let t: TestApp;
  let db: Db;
  let leaving: EstablishmentRow;
  let arriving: EstablishmentRow;
  let censusSchool: EstablishmentRow;

  before(async () => {
    db = database().db;
    t = await createTestApp(db);
    const la = await makeLa(db);
    const otherLa = await makeLa(db);
    leaving = await makeSchool(db, la.number, { name: 'Leaving Primary School' });
    arriving = await makeSchool(db, otherLa.number, { name: 'Arriving Primary School' });
    // The census fixture's school and LA (916 4001).
    if (
      !(await db
        .selectFrom('local_authorities')
        .select('number')
        .where('number', '=', '916')
        .executeTakeFirst())
    ) {
      await makeLa(db, { number: '916', name: 'Gloucestershire' });
    }
    censusSchool = await makeSchool(db, '916', { number: '9164001', name: 'Census Fixture School' });
  });
  after(async () => {
    await t.app.close();
  });

  async function upload(
    school: EstablishmentRow,
    filename: string,
    content: string | Buffer,
    page = '/upload/ctf',
  ) {
    const user = await makeUser(db, 'school', { establishmentNumber: school.number });
    const agent = new Agent(t.app);
    assert.equal((await agent.signIn(user.username)).statusCode, 302);
    await agent.get(page);
    const response = await agent.postMultipart(page, [{ filename, content }]);
    assert.equal(response.statusCode, 200);
    const transfer = await db
      .selectFrom('transfers')
      .selectAll()
      .where('filename', '=', filename)
      .executeTakeFirst();
    assert.ok(
      transfer,
      `${filename} was accepted: ${response.body
        .replace(/<[^>]+>/g, ' ')
        .replace(/\s+/g, ' ')
        .slice(0, 3000)}`,
    );
    return transfer;
  }

  test('a CTF sent to XXXXXXXX enters the database with its pupil; a later CTF holding the pupil is a match', async () => {
    const pupil = {
      ...syntheticPupil(3, { lea: leaving.la_number, estab: leaving.number.slice(3) }),
      town: 'Stroud',
    };
    const lostFile = `${leaving.number}_CTF_XXXXXXXX_001.XML`;
    const lost = await upload(leaving, lostFile, ctfBetween(leaving.number, 'XXXXXXXX', [pupil]));
    const record = await db
      .selectFrom('lost_pupils')
      .selectAll()
      .where('transfer_id', '=', lost.id)
      .executeTakeFirstOrThrow();
    assert.deepEqual(
      [
        record.reason,
        record.upn,
        record.surname,
        record.forename,
        record.date_of_birth,
        record.town,
        record.source_school,
        record.status,
      ],
      [
        'destination-unknown',
        pupil.upn,
        pupil.surname,
        pupil.forename,
        pupil.dob,
        'Stroud',
        leaving.number,
        'lost',
      ],
    );
    const keys = await db
      .selectFrom('lost_pupil_keys')
      .select('key')
      .where('lost_pupil_id', '=', record.id)
      .execute();
    assert.ok(keys.length > 0, 'soundalike keys are stored');

    // The same pupil, months later, in a CTF from elsewhere to a school in another LA.
    const other = await makeSchool(db, leaving.la_number);
    const arrival = await upload(
      other,
      `${other.number}_CTF_${arriving.number}_001.XML`,
      ctfBetween(other.number, arriving.number, [
        pupil,
        syntheticPupil(4, { lea: other.la_number, estab: other.number.slice(3) }),
      ]),
    );
    const matches = await db
      .selectFrom('lost_pupil_matches')
      .selectAll()
      .where('transfer_id', '=', arrival.id)
      .execute();
    assert.deepEqual(
      matches.map((m) => [m.lost_pupil_id, m.matched_on, m.seen_at_school]),
      [[record.id, 'upn', arriving.number]],
    );
  });

  test('a CTF to MMMMMMMM is recorded as left the maintained sector; a census return holding the pupil is a match', async () => {
    // Amira Khan, on roll in the census fixture, left another school for the independent sector.
    const pupil: FixturePupil = {
      upn: 'Q916201119004',
      surname: 'Khan',
      forename: 'Amira',
      dob: '2014-03-12',
      sex: 'F',
    };
    const lost = await upload(
      leaving,
      `${leaving.number}_CTF_MMMMMMMM_002.XML`,
      ctfBetween(leaving.number, 'MMMMMMMM', [pupil]),
    );
    const record = await db
      .selectFrom('lost_pupils')
      .selectAll()
      .where('transfer_id', '=', lost.id)
      .executeTakeFirstOrThrow();
    assert.equal(record.reason, 'left-maintained-sector');
    const census = await upload(censusSchool, '9164001_SC3_916LL25_001.XML', CENSUS, '/upload/plasc');
    const matches = await db
      .selectFrom('lost_pupil_matches')
      .selectAll()
      .where('transfer_id', '=', census.id)
      .execute();
    assert.deepEqual(
      matches.map((m) => [m.lost_pupil_id, m.matched_on, m.seen_at_school]),
      [[record.id, 'upn', '9164001']],
    );
  });

  test('a lost-pupil file the school removes as sent in error leaves the database with it', async () => {
    const pupil = syntheticPupil(7, { lea: leaving.la_number, estab: leaving.number.slice(3) });
    const filename = `${leaving.number}_CTF_XXXXXXXX_009.XML`;
    const user = await makeUser(db, 'school', { establishmentNumber: leaving.number });
    const agent = new Agent(t.app);
    assert.equal((await agent.signIn(user.username)).statusCode, 302);
    await agent.get('/upload/ctf');
    await agent.postMultipart('/upload/ctf', [
      { filename, content: ctfBetween(leaving.number, 'XXXXXXXX', [pupil]) },
    ]);
    const lost = await db
      .selectFrom('transfers')
      .selectAll()
      .where('filename', '=', filename)
      .executeTakeFirstOrThrow();
    const removed = await agent.post(
      `/sent/files/${lost.id}/remove`,
      {},
      { formPage: `/sent/files/${lost.id}/remove` },
    );
    assert.equal(removed.statusCode, 302);
    const record = await db
      .selectFrom('lost_pupils')
      .selectAll()
      .where('transfer_id', '=', lost.id)
      .executeTakeFirstOrThrow();
    assert.equal(record.status, 'removed');
    assert.equal(record.removed_by, user.id);
  });
});
