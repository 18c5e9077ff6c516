import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { test } from 'node:test';
import type { Kysely } from 'kysely';
import { type IncomingFile, type IncomingPupil, matchLostPupils } from '../../src/lost-pupils/matching.ts';
import { migrateToLatest } from '../../src/platform/db/database.ts';
import { createTestDatabase, describeEachEngine, ENGINES } from '../support/databases.ts';
import { makeLa, makeSchool, makeUser } from '../support/factories.ts';
import { makeLostPupil } from '../support/lost-pupils.ts';
import { makeFileStores, makeTransfer, school } from '../support/transfers.ts';

const AT = new Date('2026-11-25T10:00:00.000Z');

const incomingPupil = (overrides: Partial<IncomingPupil>): IncomingPupil => ({
  upn: null,
  formerUpn: null,
  surname: 'Nobody',
  forename: 'Nemo',
  dateOfBirth: '2013-01-01',
  ...overrides,
});

describeEachEngine('matching incoming files with the Lost Pupils Database', (database) => {
  const { files } = makeFileStores();

  async function world() {
    const { db } = database();
    const homeLa = await makeLa(db, { name: 'Westshire' });
    const otherLa = await makeLa(db, { name: 'Eastshire' });
    const sender = await makeSchool(db, homeLa.number, { name: 'Hillside Primary School' });
    const newSchool = await makeSchool(db, otherLa.number, { name: 'Riverside Primary School' });
    const lostUser = await makeUser(
      db,
      'la_lost_pupil',
      { laNumber: homeLa.number },
      { email: 'lost@home.test' },
    );
    const transferUser = await makeUser(
      db,
      'la_lost_pupil_transfer',
      { laNumber: homeLa.number },
      { email: 'transfer@home.test' },
    );
    await makeUser(db, 'la_user', { laNumber: homeLa.number });
    const incoming = await makeTransfer(db, files, {
      from: school(sender.number),
      to: school(newSchool.number),
    });
    const file: IncomingFile = {
      transferId: incoming.row.id,
      filename: incoming.row.filename,
      kind: 'CTF',
      seenAt: { la: otherLa.number, school: newSchool.number, name: newSchool.name, code: newSchool.number },
      at: AT,
    };
    return { db, homeLa, otherLa, sender, newSchool, lostUser, transferUser, file };
  }

  const matchesOf = (w: Awaited<ReturnType<typeof world>>) =>
    w.db.selectFrom('lost_pupil_matches').selectAll().where('transfer_id', '=', w.file.transferId).execute();

  test('a pupil matches by UPN, by former UPN either way round, and by surname, forename and date of birth', async () => {
    const w = await world();
    const from = school(w.sender.number);
    const byUpn = await makeLostPupil(w.db, files, {
      from,
      pupil: { upn: 'A123456789012', surname: 'Archer' },
    });
    const byFormer = await makeLostPupil(w.db, files, {
      from,
      pupil: { upn: 'B123456789012', formerUpn: 'C123456789012', surname: 'Baker' },
    });
    const byTheirFormer = await makeLostPupil(w.db, files, {
      from,
      pupil: { upn: 'D123456789012', surname: 'Carter' },
    });
    const byName = await makeLostPupil(w.db, files, {
      from,
      pupil: { surname: "O'Neill", forename: 'Ciara', dateOfBirth: '2014-03-09' },
    });
    const byFormerSurname = await makeLostPupil(w.db, files, {
      from,
      pupil: { surname: 'Dunn', formerSurname: 'Evans', forename: 'Eli', dateOfBirth: '2012-12-12' },
    });
    // Near misses: another date of birth, another forename, a removed record.
    await makeLostPupil(w.db, files, {
      from,
      pupil: { surname: 'Fox', forename: 'Finn', dateOfBirth: '2014-03-10' },
    });
    await makeLostPupil(w.db, files, {
      from,
      pupil: { surname: 'Gray', forename: 'Gus', dateOfBirth: '2014-03-09' },
    });
    const removed = await makeLostPupil(w.db, files, { from, pupil: { upn: 'H123456789012' } });
    await w.db
      .updateTable('lost_pupils')
      .set({ status: 'removed' })
      .where('id', '=', removed.record.id)
      .execute();

    const count = await matchLostPupils(w.db, w.file, [
      incomingPupil({ upn: 'a123456789012' }),
      incomingPupil({ upn: 'C123456789012' }),
      incomingPupil({ upn: 'Z999999999999', formerUpn: 'D123456789012' }),
      incomingPupil({ surname: 'ONeill', forename: 'CIARA', dateOfBirth: '2014-03-09' }),
      incomingPupil({ surname: 'Evans', forename: 'Eli', dateOfBirth: '2012-12-12' }),
      incomingPupil({ surname: 'Fox', forename: 'Finn', dateOfBirth: '2014-03-11' }),
      incomingPupil({ surname: 'Gray', forename: 'Grace', dateOfBirth: '2014-03-09' }),
      incomingPupil({ upn: 'H123456789012' }),
    ]);
    assert.equal(count, 5);
    const matches = await matchesOf(w);
    const on = new Map(matches.map((m) => [m.lost_pupil_id, m.matched_on]));
    assert.deepEqual(
      [
        on.get(byUpn.record.id),
        on.get(byFormer.record.id),
        on.get(byTheirFormer.record.id),
        on.get(byName.record.id),
        on.get(byFormerSurname.record.id),
      ],
      ['upn', 'former-upn', 'former-upn', 'name-dob', 'name-dob'],
    );
    for (const match of matches) {
      assert.equal(match.status, 'open');
      assert.equal(match.seen_at_school, w.newSchool.number);
    }
    // Each match keeps the pupil as the file gives them, so that the LA can check it (decision 71).
    const seen = new Map(
      matches.map((m) => [
        m.lost_pupil_id,
        [m.seen_upn, m.seen_former_upn, m.seen_surname, m.seen_forename, m.seen_date_of_birth],
      ]),
    );
    assert.deepEqual(
      [
        seen.get(byUpn.record.id),
        seen.get(byFormer.record.id),
        seen.get(byTheirFormer.record.id),
        seen.get(byName.record.id),
        seen.get(byFormerSurname.record.id),
      ],
      [
        ['A123456789012', null, 'Nobody', 'Nemo', '2013-01-01'],
        ['C123456789012', null, 'Nobody', 'Nemo', '2013-01-01'],
        ['Z999999999999', 'D123456789012', 'Nobody', 'Nemo', '2013-01-01'],
        [null, null, 'ONeill', 'CIARA', '2014-03-09'],
        [null, null, 'Evans', 'Eli', '2012-12-12'],
      ],
    );
  });

  test('a pupil matches by name whether or not its letters are typed as Ł, Ø or Æ', async () => {
    const w = await world();
    const from = school(w.sender.number);
    const spelledWith = await makeLostPupil(w.db, files, {
      from,
      pupil: { surname: 'Wałęsa', forename: 'Søren', dateOfBirth: '2013-06-21' },
    });
    const spelledWithout = await makeLostPupil(w.db, files, {
      from,
      pupil: { surname: 'Kjaer', forename: 'Aesa', dateOfBirth: '2013-06-22' },
    });

    const count = await matchLostPupils(w.db, w.file, [
      incomingPupil({ surname: 'Walesa', forename: 'Soren', dateOfBirth: '2013-06-21' }),
      incomingPupil({ surname: 'Kjær', forename: 'Æsa', dateOfBirth: '2013-06-22' }),
    ]);
    assert.equal(count, 2);
    assert.deepEqual(
      (await matchesOf(w)).map((m) => [m.lost_pupil_id, m.matched_on]).sort(),
      [
        [spelledWith.record.id, 'name-dob'],
        [spelledWithout.record.id, 'name-dob'],
      ].sort(),
    );
  });

  test('only records still lost match by name, and a large file is matched in full', async () => {
    const w = await world();
    const from = school(w.sender.number);
    const found = await makeLostPupil(w.db, files, {
      from,
      pupil: { surname: 'Ives', forename: 'Ida', dateOfBirth: '2013-06-01' },
    });
    await w.db
      .updateTable('lost_pupils')
      .set({ status: 'found' })
      .where('id', '=', found.record.id)
      .execute();
    const early = await makeLostPupil(w.db, files, {
      from,
      pupil: { surname: 'Jarvis', forename: 'Jo', dateOfBirth: '2013-06-02' },
    });
    const late = await makeLostPupil(w.db, files, {
      from,
      pupil: { surname: 'Kerr', forename: 'Kit', upn: 'L123456789012', dateOfBirth: '2013-06-03' },
    });
    const last = await makeLostPupil(w.db, files, {
      from,
      pupil: { surname: 'Lowe', forename: 'Lu', dateOfBirth: '2013-06-04' },
    });
    // A secondary school's census return: more pupils than one statement asks about at a time.
    const others = Array.from({ length: 1500 }, (_, n) =>
      incomingPupil({ surname: `Other${n}`, upn: `Z${String(n).padStart(12, '0')}` }),
    );
    const count = await matchLostPupils(w.db, w.file, [
      incomingPupil({ surname: 'Ives', forename: 'Ida', dateOfBirth: '2013-06-01' }),
      incomingPupil({ surname: 'Jarvis', forename: 'Jo', dateOfBirth: '2013-06-02' }),
      ...others.slice(0, 700),
      incomingPupil({ upn: 'L123456789012' }),
      ...others.slice(700),
      incomingPupil({ surname: 'LOWE', forename: 'lu', dateOfBirth: '2013-06-04' }),
    ]);
    assert.equal(count, 3);
    const matches = await matchesOf(w);
    assert.deepEqual(
      new Map(matches.map((m) => [m.lost_pupil_id, m.matched_on])),
      new Map([
        [early.record.id, 'name-dob'],
        [late.record.id, 'upn'],
        [last.record.id, 'name-dob'],
      ]),
    );
  });

  test("each match emails the record's LA's lost-pupil users, without the pupil's details; a second look adds nothing", async () => {
    const w = await world();
    const lost = await makeLostPupil(w.db, files, {
      from: school(w.sender.number),
      pupil: { upn: 'K123456789012', surname: 'Quill', forename: 'Pip' },
    });
    assert.equal(await matchLostPupils(w.db, w.file, [incomingPupil({ upn: 'K123456789012' })]), 1);
    assert.equal(await matchLostPupils(w.db, w.file, [incomingPupil({ upn: 'K123456789012' })]), 0);
    const emails = await w.db
      .selectFrom('notification_outbox')
      .selectAll()
      .where('template', '=', 'lost-pupil-match')
      .where('recipient', 'in', [w.lostUser.id, w.transferUser.id])
      .execute();
    assert.deepEqual(emails.map((e) => e.recipient).sort(), [w.lostUser.id, w.transferUser.id].sort());
    for (const email of emails) {
      const payload = JSON.parse(email.payload) as Record<string, string>;
      assert.equal(payload.lostFilename, lost.transfer.row.filename);
      assert.equal(payload.seenAtCode, w.newSchool.number);
      assert.equal(payload.matchedOn, 'upn');
      assert.doesNotMatch(email.payload, /Quill|Pip|K123456789012/, 'no pupil details');
    }
  });

  test('with no lost-pupil users the LA itself is told', async () => {
    const { db } = database();
    const la = await makeLa(db);
    const sender = await makeSchool(db, la.number);
    await makeLostPupil(db, files, { from: school(sender.number), pupil: { upn: 'M123456789012' } });
    const incoming = await makeTransfer(db, files, {
      from: school(sender.number),
      to: school(sender.number),
    });
    await matchLostPupils(
      db,
      {
        transferId: incoming.row.id,
        filename: incoming.row.filename,
        kind: 'school census return',
        seenAt: { la: la.number, school: sender.number, name: sender.name, code: sender.number },
        at: AT,
      },
      [incomingPupil({ upn: 'M123456789012' })],
    );
    const emails = await db
      .selectFrom('notification_outbox')
      .select(['recipient_kind', 'recipient'])
      .where('template', '=', 'lost-pupil-match')
      .where('recipient', '=', la.number)
      .execute();
    assert.deepEqual(emails, [{ recipient_kind: 'la', recipient: la.number }]);
  });
});

for (const engine of ENGINES) {
  test(`matches recorded before census returns could be matched are kept, and each is seen in one place [${engine}]`, async () => {
    const database = await createTestDatabase(engine, '018-job-run-summary-message');
    try {
      const { db } = database;
      const { files } = makeFileStores();
      const la = await makeLa(db);
      const sender = await makeSchool(db, la.number);
      const lost = await makeLostPupil(db, files, {
        from: school(sender.number),
        pupil: { upn: 'N123456789012' },
      });
      // Seen at a school of another LA.
      const otherLa = await makeLa(db);
      const arrival = await makeSchool(db, otherLa.number);
      const incoming = await makeTransfer(db, files, {
        from: school(sender.number),
        to: school(arrival.number),
      });
      const before = {
        id: '6f1d3c2a-0b4e-4c1f-9a8d-2e7b5c6d4f30',
        lost_pupil_id: lost.record.id,
        transfer_id: incoming.row.id,
        matched_on: 'upn',
        seen_at_la: otherLa.number,
        seen_at_school: arrival.number,
        matched_at: AT.toISOString(),
        status: 'closed',
        closed_at: AT.toISOString(),
        closed_by: null,
        outcome: 'not-the-pupil',
      } as const;
      // The table as migration 005 made it: no census_return_id yet.
      await (db as unknown as Kysely<{ lost_pupil_matches: typeof before }>)
        .insertInto('lost_pupil_matches')
        .values(before)
        .execute();

      await migrateToLatest(db, database.schema);
      // And since migration 022, the record's LA (which the Lost Pupil Matches page lists by); since 053,
      // the pupil as the file gave them, not known for matches made before.
      assert.deepEqual(await db.selectFrom('lost_pupil_matches').selectAll().execute(), [
        {
          ...before,
          census_return_id: null,
          lost_la: la.number,
          seen_upn: null,
          seen_former_upn: null,
          seen_surname: null,
          seen_forename: null,
          seen_date_of_birth: null,
        },
      ]);
      // Seen in a file or in a census return, never in neither; once per record and file.
      const row = {
        ...before,
        matched_at: AT.toISOString(),
        status: 'open' as const,
        closed_at: null,
        outcome: null,
      };
      await assert.rejects(
        db
          .insertInto('lost_pupil_matches')
          .values({ ...row, id: randomUUID(), transfer_id: null, census_return_id: null })
          .execute(),
      );
      await assert.rejects(
        db
          .insertInto('lost_pupil_matches')
          .values({ ...row, id: randomUUID(), census_return_id: null })
          .execute(),
      );
    } finally {
      await database.drop();
    }
  });
}
