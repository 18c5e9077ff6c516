// Migration 051: a user's Message Address Groups are unique by name whatever its case, in the database
// too (the service compared without case, the unique constraint with it), on both engines. Groups stored
// before it whose names differ only in case keep the first's name; each later one is renamed with a
// number, " (2)", " (3)"..., the first free one, cut to fit 60 characters.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { insertGroup } from '../../src/messaging/group-repository.ts';
import { migrateToLatest } from '../../src/platform/db/database.ts';
import type { Db } from '../../src/platform/db/schema.ts';
import { createTestDatabase, ENGINES, type TestDatabase } from '../support/databases.ts';
import { makeLa, makeUser } from '../support/factories.ts';

async function group(db: Db, owner: string, name: string, at: string, members: string[] = []) {
  const id = randomUUID();
  await db
    .insertInto('message_groups')
    .values({ id, owner_user_id: owner, name, created_at: at, updated_at: at })
    .execute();
  if (members.length > 0) {
    await db
      .insertInto('message_group_members')
      .values(members.map((mailbox) => ({ group_id: id, mailbox })))
      .execute();
  }
  return id;
}

async function namesOf(db: Db, owner: string): Promise<Record<string, string>> {
  const rows = await db
    .selectFrom('message_groups')
    .select(['id', 'name'])
    .where('owner_user_id', '=', owner)
    .execute();
  return Object.fromEntries(rows.map((r) => [r.id, r.name]));
}

const LONG = `${'x'.repeat(58)}AB`;

for (const engine of ENGINES) {
  describe(`migration 051 makes group names unique whatever their case [${engine}]`, () => {
    let database: TestDatabase;
    before(async () => {
      database = await createTestDatabase(engine, '050-lost-pupils-uploaded-covering');
    });
    after(async () => {
      await database.drop();
    });

    test('groups whose names differ only in case: the first keeps its name, the later ones are numbered; then no such name can be stored', async () => {
      const { db } = database;
      const la = await makeLa(db);
      const one = await makeUser(db, 'la_user', { laNumber: la.number });
      const other = await makeUser(db, 'la_user', { laNumber: la.number });
      const first = await group(db, one.id, 'Year 7', '2026-11-01T09:00:00.000Z', ['school:9165402']);
      const second = await group(db, one.id, 'year 7', '2026-11-02T09:00:00.000Z', ['school:9165403']);
      const third = await group(db, one.id, 'YEAR 7', '2026-11-03T09:00:00.000Z');
      // Made before the others: its name is taken, so the renamed ones skip it.
      const numbered = await group(db, one.id, 'year 7 (2)', '2026-10-01T09:00:00.000Z');
      const heads = await group(db, one.id, 'Heads', '2026-11-01T09:00:00.000Z');
      const long = await group(db, one.id, LONG, '2026-11-01T09:00:00.000Z');
      const longLater = await group(db, one.id, LONG.toLowerCase(), '2026-11-04T09:00:00.000Z');
      const another = await group(db, other.id, 'YEAR 7', '2026-11-01T09:00:00.000Z');

      await migrateToLatest(db, database.schema);

      assert.deepEqual(await namesOf(db, one.id), {
        [first]: 'Year 7',
        [second]: 'year 7 (3)',
        [third]: 'YEAR 7 (4)',
        [numbered]: 'year 7 (2)',
        [heads]: 'Heads',
        [long]: LONG,
        [longLater]: `${'x'.repeat(56)} (2)`,
      });
      assert.deepEqual(
        await namesOf(db, other.id),
        { [another]: 'YEAR 7' },
        "another user's group is not theirs",
      );
      const members = await db
        .selectFrom('message_group_members')
        .select('mailbox')
        .where('group_id', '=', second)
        .execute();
      assert.deepEqual(
        members.map((m) => m.mailbox),
        ['school:9165403'],
        'a renamed group keeps its members',
      );

      // The database itself now refuses a name differing only in case (a path not through the service, or
      // a node not serialising with this one), and takes another.
      await assert.rejects(group(db, one.id, 'yEaR 7', '2026-11-05T09:00:00.000Z'));
      await assert.rejects(group(db, other.id, 'Year 7', '2026-11-05T09:00:00.000Z'));
      await group(db, one.id, 'Year 8', '2026-11-05T09:00:00.000Z');
      // An insert of the repository meeting it says so (false: the service answers that the name is
      // taken), rather than failing.
      const at = '2026-11-06T09:00:00.000Z';
      assert.equal(
        await insertGroup(db, { id: randomUUID(), ownerUserId: one.id, name: 'HEADS', at, members: [] }),
        false,
      );
      assert.equal(
        await insertGroup(db, {
          id: randomUUID(),
          ownerUserId: one.id,
          name: 'Heads of year',
          at,
          members: [],
        }),
        true,
      );
    });
  });
}
