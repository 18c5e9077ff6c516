// The demo data offers the handbook's uses of messaging as templates for everyone.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { seedDemoData } from '../../src/demo/seed.ts';
import { visibleTemplates } from '../../src/messaging/template-repository.ts';
import { ManualClock } from '../../src/platform/clock.ts';
import { createTestDatabase } from '../support/databases.ts';
import { actorOf } from '../support/messages.ts';

test('every demo account that uses messages sees the three demo templates, owned by "All"', async () => {
  const database = await createTestDatabase('sqlite');
  try {
    assert.equal(await seedDemoData(database.db, new ManualClock()), true);
    const users = await database.db
      .selectFrom('users')
      .selectAll()
      .where('username', 'in', ['demo-school-a', 'demo-la-user', 'demo-la-lost'])
      .execute();
    assert.equal(users.length, 3);
    for (const user of users) {
      const templates = await visibleTemplates(database.db, actorOf(user));
      assert.deepEqual(
        templates.map((t) => [t.name, t.owner_kind]),
        [
          ['CTF received', 'national'],
          ['CTF Request', 'national'],
          ['Pupil moving', 'national'],
        ],
        user.username,
      );
    }
  } finally {
    await database.drop();
  }
});
