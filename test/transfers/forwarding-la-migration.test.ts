import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { migrateToLatest } from '../../src/platform/db/database.ts';
import { createTestDatabase, ENGINES, type TestDatabase } from '../support/databases.ts';
import { makeLa, makeSchool, makeUser } from '../support/factories.ts';

for (const engine of ENGINES) {
  describe(`migration 038 stores on each forwarded copy the LA that forwarded it [${engine}]`, () => {
    let database: TestDatabase;
    before(async () => {
      database = await createTestDatabase(engine, '036-keyed-audit-chain');
    });
    after(async () => {
      await database.drop();
    });

    test("an LA user's copies get the user's LA, over more than one batch; a school user's and uploads get none", async () => {
      const { db } = database;
      const laA = await makeLa(db);
      const laB = await makeLa(db);
      const school = await makeSchool(db, laA.number);
      const userA = await makeUser(db, 'la_user', { laNumber: laA.number });
      const userB = await makeUser(db, 'la_lost_pupil_transfer', { laNumber: laB.number });
      const schoolUser = await makeUser(db, 'school', {
        laNumber: laA.number,
        establishmentNumber: school.number,
      });
      // A transfer as the previous version stored it: no forwarding_la column yet.
      const row = (n: number, uploadedBy: string, forwardedFrom: string | null) => ({
        id: randomUUID(),
        filename: `${school.number}_CTF_${laA.number}LLLL_${String(n % 1000).padStart(3, '0')}.XML`,
        category: 'ctf',
        kind: 'ctf',
        type_code: 'CTF',
        source_la: laA.number,
        source_school: school.number,
        dest_kind: 'school' as const,
        dest_la: laA.number,
        dest_school: school.number,
        uploaded_by: uploadedBy,
        uploaded_at: '2026-11-20T10:00:00.000Z',
        size: 1,
        sha256: 'ab'.repeat(32),
        pupil_count: 1,
        status: 'rejected' as const,
        rejected_at: '2026-11-21T10:00:00.000Z',
        forwarded_from: forwardedFrom,
      });
      const original = row(0, userA.id, null);
      await db.insertInto('transfers').values(original).execute();
      // More copies than a batch (1,000), in no order of id, by LA users of two LAs and by a school user.
      const uploaders = [userA.id, userB.id, userA.id, schoolUser.id];
      const copies = Array.from({ length: 1100 }, (_, i) =>
        row(i + 1, uploaders[i % uploaders.length] as string, original.id),
      );
      for (let start = 0; start < copies.length; start += 50) {
        await db
          .insertInto('transfers')
          .values(copies.slice(start, start + 50))
          .execute();
      }

      await migrateToLatest(db, database.schema);

      const stored = new Map(
        (await db.selectFrom('transfers').select(['id', 'forwarding_la']).execute()).map((r) => [
          r.id,
          r.forwarding_la,
        ]),
      );
      const expected = new Map<string, string | null>([
        [userA.id, laA.number],
        [userB.id, laB.number],
        [schoolUser.id, null],
      ]);
      const wrong = copies.filter((copy) => stored.get(copy.id) !== expected.get(copy.uploaded_by));
      assert.deepEqual(wrong, [], 'each copy has its forwarder’s LA, or none for a school user');
      assert.equal(stored.get(original.id), null, 'an upload is no copy');
    });
  });
}
