// Migration 040 (decision 38): lost pupil files their own LA forwarded, marked collected at the forward by
// the previous version, are kept again while the copy waits, and after a rejection the record is lost
// again; nothing else changes. On both engines, over more than one batch.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import type { NewLostPupil } from '../../src/lost-pupils/repository.ts';
import { migrateToLatest } from '../../src/platform/db/database.ts';
import type { Db, TransferStatus } from '../../src/platform/db/schema.ts';
import { createTestDatabase, ENGINES, type TestDatabase } from '../support/databases.ts';
import { insertLostPupilsWithFiles } from '../support/lost-pupils.ts';

const UPLOADED = '2026-11-20T10:00:00.000Z';
const FORWARDED = '2026-11-25T10:00:00.000Z';
const UPLOADING_LA = '916';

function record(): NewLostPupil {
  const id = randomUUID();
  return {
    id,
    transfer_id: id,
    reason: 'destination-unknown',
    upn: null,
    former_upn: null,
    surname: 'Kept',
    former_surname: null,
    forename: 'Sam',
    middle_names: null,
    date_of_birth: '2014-05-17',
    gender: 'F',
    town: 'Bath',
    source_la: UPLOADING_LA,
    source_school: '9165402',
    uploaded_at: UPLOADED,
    leaves_school_on: '2030-06-28',
  };
}

/** A copy of `original` forwarded by `la` to its school 9163001, as forward-service.ts makes it. */
function copyOf(original: string, status: TransferStatus, la = UPLOADING_LA, id = randomUUID()) {
  return {
    id,
    filename: `${la}LLLL_CTF_${la}3001_001.XML`,
    category: 'ctf',
    kind: 'ctf',
    type_code: 'CTF',
    source_la: la,
    dest_kind: 'school' as const,
    dest_la: la,
    dest_school: `${la}3001`,
    uploaded_by: randomUUID(),
    uploaded_at: FORWARDED,
    size: 100,
    sha256: 'ab'.repeat(32),
    pupil_count: 1,
    status,
    storage_key: status === 'collected' || status === 'available' ? `blob-${id}` : null,
    rejected_at: status === 'rejected' ? '2026-11-26T10:00:00.000Z' : null,
    collected_at: status === 'collected' ? '2026-11-26T10:00:00.000Z' : null,
    forwarded_from: original,
    forwarding_la: la,
  };
}

async function insertAll(db: Db, rows: ReturnType<typeof copyOf>[]): Promise<void> {
  for (let start = 0; start < rows.length; start += 200) {
    await db
      .insertInto('transfers')
      .values(rows.slice(start, start + 200))
      .execute();
  }
}

for (const engine of ENGINES) {
  describe(`migration 040 keeps lost pupil files their own LA forwarded while the copy waits [${engine}]`, () => {
    let database: TestDatabase;
    before(async () => {
      database = await createTestDatabase(engine, '039-audit-chain-breaks');
    });
    after(async () => {
      await database.drop();
    });

    test('waiting copies keep their file, rejected ones make the record lost again; everything else stays', async () => {
      const { db } = database;
      // More files than a batch (1,000) whose copy waits, and one of each other case.
      const waiting = Array.from({ length: 1050 }, record);
      const cases = {
        pendingScan: record(),
        rejected: record(),
        removed: record(),
        rejectedFoundLater: record(),
        rejectedForwardedOn: record(),
        collected: record(),
        purged: record(),
        otherLa: record(),
        notForwarded: record(),
      };
      await insertLostPupilsWithFiles(db, [...waiting, ...Object.values(cases)], UPLOADED);
      const all = [...waiting, ...Object.values(cases)].map((r) => r.id);
      // As the previous version left them: collected at the forward, content held, the record found.
      for (let start = 0; start < all.length; start += 500) {
        const ids = all.slice(start, start + 500);
        await db
          .updateTable('transfers')
          .set({ status: 'collected', collected_at: FORWARDED, storage_key: 'held' })
          .where('id', 'in', ids)
          .execute();
        await db
          .updateTable('lost_pupils')
          .set({ status: 'found', found_at: '2026-11-25T10:00:00.004Z', found_by_la: UPLOADING_LA })
          .where('id', 'in', ids)
          .execute();
      }
      await db
        .updateTable('transfers')
        .set({ storage_key: null, purged_at: '2026-12-02T10:00:00.000Z' })
        .where('id', '=', cases.purged.id)
        .execute();
      await db
        .updateTable('lost_pupils')
        .set({ found_at: '2026-11-27T10:00:00.000Z', found_by_la: '817' })
        .where('id', '=', cases.rejectedFoundLater.id)
        .execute();
      const forwardedOn = copyOf(cases.rejectedForwardedOn.id, 'rejected');
      await insertAll(db, [
        ...waiting.map((r) => copyOf(r.id, 'available')),
        copyOf(cases.pendingScan.id, 'pending-scan'),
        copyOf(cases.rejected.id, 'rejected'),
        copyOf(cases.removed.id, 'removed'),
        copyOf(cases.rejectedFoundLater.id, 'rejected'),
        forwardedOn,
        copyOf(forwardedOn.id, 'available'),
        copyOf(cases.collected.id, 'collected'),
        copyOf(cases.purged.id, 'available'),
        copyOf(cases.otherLa.id, 'available', '817'),
      ]);

      await migrateToLatest(db, database.schema);

      const files = new Map(
        (
          await db
            .selectFrom('transfers')
            .select(['id', 'status', 'collected_at', 'storage_key'])
            .where('dest_kind', '=', 'lost-pupils')
            .execute()
        ).map((row) => [row.id, row]),
      );
      const records = new Map(
        (await db.selectFrom('lost_pupils').select(['id', 'status', 'found_by_la']).execute()).map((row) => [
          row.id,
          row,
        ]),
      );
      const kept = (id: string) => [
        files.get(id)?.status,
        files.get(id)?.collected_at,
        files.get(id)?.storage_key,
      ];
      const notKept = waiting.filter((r) => kept(r.id).join() !== ['available', null, 'held'].join());
      assert.deepEqual(notKept, [], 'every file whose copy waits is kept, content and all');
      assert.ok(
        waiting.every((r) => records.get(r.id)?.status === 'found'),
        'found: the school has the file waiting',
      );
      assert.deepEqual(kept(cases.pendingScan.id), ['available', null, 'held']);
      assert.deepEqual(kept(cases.rejected.id), ['available', null, 'held']);
      assert.deepEqual(
        [records.get(cases.rejected.id)?.status, records.get(cases.rejected.id)?.found_by_la],
        ['lost', null],
        'lost again',
      );
      assert.deepEqual(kept(cases.removed.id), ['available', null, 'held']);
      assert.equal(records.get(cases.removed.id)?.status, 'lost', 'removed by its LA: lost again');
      assert.deepEqual(kept(cases.rejectedFoundLater.id), ['available', null, 'held']);
      assert.equal(records.get(cases.rejectedFoundLater.id)?.status, 'found', 'a later finding stands');
      for (const unchanged of ['rejectedForwardedOn', 'collected', 'otherLa', 'notForwarded'] as const) {
        assert.deepEqual(kept(cases[unchanged].id), ['collected', FORWARDED, 'held'], unchanged);
        assert.equal(records.get(cases[unchanged].id)?.status, 'found', unchanged);
      }
      assert.deepEqual(kept(cases.purged.id), ['collected', FORWARDED, null], 'its content is gone already');
    });
  });
}
