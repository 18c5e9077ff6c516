import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { migrateToLatest } from '../../src/platform/db/database.ts';
import { createTestDatabase, ENGINES, type TestDatabase } from '../support/databases.ts';
import { makeLa, makeSchool, makeUser } from '../support/factories.ts';

for (const engine of ENGINES) {
  describe(`migration 044 gives each copy of a message its message's delivery and time [${engine}]`, () => {
    let database: TestDatabase;
    before(async () => {
      database = await createTestDatabase(engine, '043-transfers-la-uploaded');
    });
    after(async () => {
      await database.drop();
    });

    test('every copy, of messages and of emails, gets its own message’s; none is left without', async () => {
      const { db } = database;
      const la = await makeLa(db);
      const school = await makeSchool(db, la.number);
      const sender = await makeUser(db, 'la_user', { laNumber: la.number });
      // Messages and copies as the previous version stored them: no delivery or time on a copy.
      const messages = Array.from({ length: 30 }, (_, i) => ({
        id: randomUUID(),
        sender_user_id: sender.id,
        sender_mailbox: `la:${la.number}:la_user`,
        sender_label: `${la.number} - LEA User`,
        description: `Message ${i}`,
        body: 'Some text',
        delivery: i % 3 === 0 ? ('email' as const) : ('message' as const),
        in_reply_to: null,
        sent_at: new Date(Date.UTC(2026, 10, 1 + (i % 28), 9, i)).toISOString(),
      }));
      await db.insertInto('messages').values(messages).execute();
      const copies = messages.flatMap((m) =>
        [
          { mailbox: `school:${school.number}`, establishment_number: school.number },
          { mailbox: `la:${la.number}:la_user`, establishment_number: null },
        ].map((box) => ({ message_id: m.id, label: box.mailbox, la_number: la.number, ...box })),
      );
      await db.insertInto('message_recipients').values(copies).execute();

      await migrateToLatest(db, database.schema);

      const stored = await db
        .selectFrom('message_recipients as r')
        .innerJoin('messages as m', 'm.id', 'r.message_id')
        .select(['r.delivery', 'r.sent_at', 'm.delivery as messageDelivery', 'm.sent_at as messageSentAt'])
        .execute();
      assert.equal(stored.length, copies.length);
      const wrong = stored.filter((r) => r.delivery !== r.messageDelivery || r.sent_at !== r.messageSentAt);
      assert.deepEqual(wrong, [], 'each copy has its message’s delivery and time');
    });
  });
}
