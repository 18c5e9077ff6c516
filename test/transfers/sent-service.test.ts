import assert from 'node:assert/strict';
import { beforeEach, test } from 'node:test';
import type { Role } from '../../src/auth/permissions.ts';
import { ManualClock } from '../../src/platform/clock.ts';
import { createDatabase, migrateToLatest } from '../../src/platform/db/database.ts';
import type { Db, TransferRow } from '../../src/platform/db/schema.ts';
import { Invalid, NotFound } from '../../src/platform/errors.ts';
import { fieldErrorIn } from '../../src/platform/i18n/catalogue.ts';
import { createLogger } from '../../src/platform/logger.ts';
import { DEFAULT_SORT } from '../../src/transfers/download-listing.ts';
import { purgeCandidates } from '../../src/transfers/download-repository.ts';
import { DownloadService } from '../../src/transfers/download-service.ts';
import {
  contentDue,
  ORPHAN_GRACE_HOURS,
  purgeExpiredContent,
  sweepOrphanFiles,
} from '../../src/transfers/jobs.ts';
import { LaMonitorService } from '../../src/transfers/la-monitor-service.ts';
import { getTransfer, pupilsOf } from '../../src/transfers/repository.ts';
import { SentService } from '../../src/transfers/sent-service.ts';
import {
  createTestDatabase,
  describeEachEngine,
  ENGINES,
  holdingAfterSelectFrom,
  withTestAuditKeys,
} from '../support/databases.ts';
import { makeLa, makeSchool, makeUser } from '../support/factories.ts';
import {
  actorOf,
  la,
  laInbox,
  makeFileStores,
  makeTransfer,
  pupil,
  readAll,
  school,
} from '../support/transfers.ts';

const DAY = 24 * 60;

describeEachEngine('View / Remove Files and the purge job', (database) => {
  const stores = makeFileStores();
  let clock = new ManualClock('2026-11-23T09:00:00.000Z');
  beforeEach(() => {
    clock = new ManualClock('2026-11-23T09:00:00.000Z');
  });
  const deps = () => ({ db: database().db, files: stores.files, clock, logger: createLogger('silent') });
  const sentService = () => new SentService(deps());
  const downloads = () => new DownloadService(deps());

  async function world() {
    const db = database().db;
    const laA = await makeLa(db);
    const laB = await makeLa(db);
    const sending = await makeSchool(db, laA.number, { name: 'Sending Primary' });
    const receiving = await makeSchool(db, laB.number, { name: 'Receiving Primary' });
    const other = await makeSchool(db, laA.number, { name: 'Other Primary' });
    const user = async (role: Role, org: { laNumber?: string; establishmentNumber?: string }) =>
      actorOf(await makeUser(db, role, org));
    return {
      db,
      laA,
      laB,
      sending,
      receiving,
      other,
      sender: await user('school', { establishmentNumber: sending.number }),
      receiver: await user('school', { establishmentNumber: receiving.number }),
      otherSchool: await user('school', { establishmentNumber: other.number }),
      laUser: await user('la_user', { laNumber: laA.number }),
    };
  }

  async function actions(db: Db, id: string) {
    const rows = await db.selectFrom('audit_events').selectAll().where('subject_id', '=', id).execute();
    return rows.map((row) => row.action).sort();
  }

  test('the sender sees its files by state: for collection, rejected and collected', async () => {
    const w = await world();
    const waiting = await makeTransfer(w.db, stores.files, {
      from: school(w.sending.number),
      to: school(w.receiving.number),
    });
    const rejected = await makeTransfer(w.db, stores.files, {
      from: school(w.sending.number),
      to: school(w.receiving.number),
      overrides: { status: 'rejected', rejected_at: '2026-11-22T09:00:00.000Z', reject_reason: 'Not ours' },
    });
    const collected = await makeTransfer(w.db, stores.files, {
      from: school(w.sending.number),
      to: la(w.laB.number),
      overrides: { status: 'collected', collected_at: '2026-11-22T09:00:00.000Z' },
    });
    await makeTransfer(w.db, stores.files, {
      from: school(w.sending.number),
      to: school(w.receiving.number),
      overrides: { status: 'removed' },
    });
    // Sent by others: not listed.
    await makeTransfer(w.db, stores.files, { from: school(w.other.number), to: school(w.receiving.number) });
    await makeTransfer(w.db, stores.files, { from: la(w.laA.number), to: school(w.receiving.number) });

    const ids = async (filter: 'collection' | 'rejected' | 'collected') =>
      (await sentService().sent(w.sender, filter, DEFAULT_SORT)).map((f) => f.id);
    assert.deepEqual(await ids('collection'), [waiting.row.id]);
    assert.deepEqual(await ids('rejected'), [rejected.row.id]);
    assert.deepEqual(await ids('collected'), [collected.row.id]);
    const [listed] = await sentService().sent(w.sender, 'rejected', DEFAULT_SORT);
    assert.equal(listed?.party.name, 'Receiving Primary');
    assert.equal(listed?.rejectReason, 'Not ours');
    const [toLa] = await sentService().sent(w.sender, 'collected', DEFAULT_SORT);
    assert.equal(toLa?.party.code, `${w.laB.number}LLLL`);
    // The LA sees what the LA sent, not what its schools sent.
    assert.equal((await sentService().sent(w.laUser, 'collection', DEFAULT_SORT)).length, 1);
  });

  test('a file waiting for collection is removed at once: gone for the recipient, content deleted', async () => {
    const w = await world();
    const sent = await makeTransfer(w.db, stores.files, {
      from: school(w.sending.number),
      to: school(w.receiving.number),
      pupils: [pupil('Brown', { forename: 'Amanda' })],
    });
    const found = await sentService().file(w.sender, sent.row.id);
    assert.equal(found.canRemove, true);
    assert.equal(found.pupils[0]?.name, 'Brown, Amanda');
    const key = sent.row.storage_key as string;
    assert.equal(await stores.raw.exists(key), true);

    clock.advanceMinutes(30);
    const removed = await sentService().remove(w.sender, sent.row.id);
    assert.equal(removed.status, 'removed');
    const row = await getTransfer(w.db, sent.row.id);
    assert.equal(row?.status, 'removed');
    assert.equal(row?.removed_by, w.sender.userId);
    assert.equal(row?.removed_at, '2026-11-23T09:30:00.000Z');
    assert.equal(row?.purged_at, '2026-11-23T09:30:00.000Z');
    assert.equal(row?.storage_key, null);
    assert.equal(row?.wrapped_key, null);
    assert.equal(await stores.raw.exists(key), false, 'the content is deleted');
    assert.deepEqual(await pupilsOf(w.db, sent.row.id), [], "and its pupils' details with it");
    assert.deepEqual(await actions(w.db, sent.row.id), ['file-purged', 'file-removed']);

    assert.deepEqual(await downloads().available(w.receiver, 'ctf', DEFAULT_SORT), []);
    await assert.rejects(downloads().file(w.receiver, sent.row.id), NotFound);
    await assert.rejects(downloads().download(w.receiver, 'ctf', [sent.row.id], 'download'), NotFound);
    // And it has left the sender's lists; removing it again says so and changes nothing; a colleague is
    // told it has been removed.
    assert.deepEqual(await sentService().sent(w.sender, 'collection', DEFAULT_SORT), []);
    const again = await sentService().remove(w.sender, sent.row.id);
    assert.deepEqual([again.id, again.status, again.already], [sent.row.id, 'removed', true]);
    assert.deepEqual(await actions(w.db, sent.row.id), ['file-purged', 'file-removed']);
    const colleague = actorOf(await makeUser(w.db, 'school', { establishmentNumber: w.sending.number }));
    await assert.rejects(sentService().remove(colleague, sent.row.id), Invalid);
    await assert.rejects(sentService().file(w.sender, sent.row.id), NotFound);
  });

  test('a file removed by someone else as its sender removes it: the sender is told it was removed, not that it was collected', async () => {
    const w = await world();
    const destinationLa = actorOf(await makeUser(w.db, 'la_user', { laNumber: w.laB.number }));
    const colleague = actorOf(await makeUser(w.db, 'school', { establishmentNumber: w.sending.number }));
    const { url, schema } = database();
    // Another server's connection to the same database: the other removal is not held with this one's.
    const other = withTestAuditKeys(createDatabase(url, schema ? { schema } : {}));
    try {
      const removed = (filename: string) => [
        `${filename} has been removed and is no longer available`,
        `Mae ${filename} wedi’i thynnu ac nid yw ar gael mwyach`,
      ];
      for (const [first, told] of [
        // The destination's LA deletes it (Delete files not collected by schools).
        [
          (id: string) =>
            new LaMonitorService({ ...deps(), db: other }).remove(destinationLa, id).then(() => undefined),
          removed,
        ],
        // A colleague at the sending school removes it too (two people at one list).
        [
          (id: string) =>
            new SentService({ ...deps(), db: other }).remove(colleague, id).then(() => undefined),
          removed,
        ],
        // Its recipient, who had downloaded it, says it was downloaded correctly.
        [
          (id: string) =>
            new DownloadService({ ...deps(), db: other })
              .collect(w.receiver, 'ctf', [id])
              .then(() => undefined),
          (filename: string) => [
            `${filename} has just been collected by its recipient: it cannot be removed`,
            `Mae ${filename} newydd gael ei chasglu gan ei derbynnydd: ni ellir ei thynnu`,
          ],
        ],
      ] as const) {
        const sent = await makeTransfer(w.db, stores.files, {
          from: school(w.sending.number),
          to: school(w.receiving.number),
        });
        await readAll((await downloads().download(w.receiver, 'ctf', [sent.row.id], 'download')).stream);
        // The sender's removal has read the file as waiting; the other removal ends before it records.
        let armed = true;
        const held = holdingAfterSelectFrom(w.db, 'transfers', () => armed);
        const removing = new SentService({ ...deps(), db: held.db }).remove(w.sender, sent.row.id);
        const settled = removing.then(
          () => undefined,
          () => undefined,
        );
        await held.reached;
        armed = false;
        try {
          await first(sent.row.id);
        } finally {
          held.release();
          await settled;
        }
        await assert.rejects(removing, (error: unknown) => {
          assert.ok(error instanceof Invalid, String(error));
          assert.deepEqual(
            error.errors.map((e) => [e.field, fieldErrorIn('en', e), fieldErrorIn('cy', e)]),
            [['remove', ...told(sent.row.filename)]],
          );
          return true;
        });
        const row = await getTransfer(w.db, sent.row.id);
        if (told === removed) assert.deepEqual([row?.status, row?.storage_key], ['removed', null]);
        else assert.equal(row?.status, 'collected');
      }
    } finally {
      await other.destroy();
    }
  });

  test('a rejected file can be removed; a collected one cannot', async () => {
    const w = await world();
    const sent = await makeTransfer(w.db, stores.files, {
      from: school(w.sending.number),
      to: school(w.receiving.number),
    });
    await downloads().reject(w.receiver, 'ctf', sent.row.id, 'Not ours');
    await sentService().remove(w.sender, sent.row.id);
    assert.equal((await getTransfer(w.db, sent.row.id))?.status, 'removed');

    const taken = await makeTransfer(w.db, stores.files, {
      from: school(w.sending.number),
      to: school(w.receiving.number),
    });
    await readAll((await downloads().download(w.receiver, 'ctf', [taken.row.id], 'download')).stream);
    await downloads().collect(w.receiver, 'ctf', [taken.row.id]);
    assert.equal((await sentService().file(w.sender, taken.row.id)).canRemove, false);
    await assert.rejects(sentService().remove(w.sender, taken.row.id), (error: unknown) => {
      assert.ok(error instanceof Invalid);
      assert.match(error.message, /has been collected/);
      return true;
    });
    const row = await getTransfer(w.db, taken.row.id);
    assert.equal(row?.status, 'collected');
    assert.ok(row?.storage_key && (await stores.raw.exists(row.storage_key)), 'the content is still there');
  });

  test("another organisation's file is not found for viewing or removing, the recipient's included", async () => {
    const w = await world();
    const sent = await makeTransfer(w.db, stores.files, {
      from: school(w.sending.number),
      to: school(w.receiving.number),
    });
    for (const actor of [w.receiver, w.otherSchool, w.laUser]) {
      await assert.rejects(sentService().file(actor, sent.row.id), NotFound);
      await assert.rejects(sentService().remove(actor, sent.row.id), NotFound);
    }
    // A role that may not send the file's type cannot reach it either (LA notes §5.5).
    const generic = await makeTransfer(w.db, stores.files, {
      from: la(w.laA.number),
      to: school(w.receiving.number),
      category: 'generic',
    });
    const dba = actorOf(await makeUser(w.db, 'la_dba', { laNumber: w.laA.number }));
    await assert.rejects(sentService().file(dba, generic.row.id), NotFound);
    assert.equal((await sentService().file(w.laUser, generic.row.id)).canRemove, true);
    const plasc = actorOf(await makeUser(w.db, 'la_plasc', { laNumber: w.laA.number }));
    await assert.rejects(
      sentService().file(plasc, generic.row.id),
      NotFound,
      'sent by the LA, not its PLASC inbox',
    );
    const fromInbox = await makeTransfer(w.db, stores.files, {
      from: laInbox(w.laA.number, 'PLAS'),
      to: school(w.receiving.number),
      category: 'generic',
    });
    assert.equal((await sentService().file(plasc, fromInbox.row.id)).file.id, fromInbox.row.id);
    assert.equal((await getTransfer(w.db, sent.row.id))?.status, 'available');
  });

  test('purge: collected content goes 7 days after the last download, rejected 7 days after rejection', async () => {
    const w = await world();
    const collected = await makeTransfer(w.db, stores.files, {
      from: school(w.sending.number),
      to: school(w.receiving.number),
    });
    const rejected = await makeTransfer(w.db, stores.files, {
      from: school(w.sending.number),
      to: school(w.receiving.number),
    });
    const waiting = await makeTransfer(w.db, stores.files, {
      from: school(w.sending.number),
      to: school(w.receiving.number),
    });
    await readAll((await downloads().download(w.receiver, 'ctf', [collected.row.id], 'download')).stream);
    await downloads().collect(w.receiver, 'ctf', [collected.row.id]);
    clock.advanceMinutes(DAY);
    await downloads().reject(w.receiver, 'ctf', rejected.row.id, 'Not ours');

    // Other tests' files share this database: the checks are about this test's files.
    const held = async (id: string) => (await getTransfer(w.db, id))?.storage_key != null;
    clock.advanceMinutes(5 * DAY); // day 6
    assert.equal((await purgeExpiredContent(w.db, stores.files, clock)).failed, 0);
    assert.equal(await held(collected.row.id), true);
    assert.equal(await held(rejected.row.id), true);
    assert.equal((await pupilsOf(w.db, collected.row.id)).length, 2, 'day 6: the pupils are there');
    assert.equal((await downloads().previouslyDownloaded(w.receiver, 'ctf', DEFAULT_SORT)).length, 1);
    const again = await downloads().download(w.receiver, 'ctf', [collected.row.id], 'again');
    assert.ok((await readAll(again.stream)).equals(collected.content), 'day 6: downloaded again');

    clock.advanceMinutes(8 * DAY); // 8 days after that download, 8 after the rejection
    assert.deepEqual(await downloads().previouslyDownloaded(w.receiver, 'ctf', DEFAULT_SORT), []);
    const result = await purgeExpiredContent(w.db, stores.files, clock);
    assert.equal(result.failed, 0);
    assert.ok(result.purged >= 2);
    for (const file of [collected, rejected]) {
      const row = await getTransfer(w.db, file.row.id);
      assert.equal(row?.storage_key, null);
      assert.equal(row?.wrapped_key, null);
      assert.equal(row?.purged_at, clock.now().toISOString());
      assert.equal(row?.filename, file.row.filename, 'the metadata stays');
      assert.equal(row?.pupil_count, 2, 'the number of pupils stays, for the reports');
      assert.equal(await stores.raw.exists(file.row.storage_key as string), false);
      assert.ok((await actions(w.db, file.row.id)).includes('file-purged'));
      // The pupils' details (read from the content) go with it; the sender's page says so.
      assert.deepEqual(await pupilsOf(w.db, file.row.id), []);
      const shown = await sentService().file(w.sender, file.row.id);
      assert.deepEqual([shown.pupils, shown.file.purgedAt], [[], clock.now().toISOString()]);
    }
    await assert.rejects(downloads().download(w.receiver, 'ctf', [collected.row.id], 'again'), Invalid);
    // A file waiting to be collected is never purged, however old.
    const stillWaiting = await getTransfer(w.db, waiting.row.id);
    assert.equal(stillWaiting?.status, 'available');
    assert.ok(stillWaiting?.storage_key && (await stores.raw.exists(stillWaiting.storage_key)));
    assert.equal((await pupilsOf(w.db, waiting.row.id)).length, 2);
    // Running again finds nothing more.
    assert.deepEqual(await purgeExpiredContent(w.db, stores.files, clock), { purged: 0, failed: 0 });
    assert.equal(await held(waiting.row.id), true);
  });

  test('contentDue says of a file read what the purge job finds: due or not, at each edge', async () => {
    const w = await world();
    const now = clock.now();
    const ago = (minutes: number) => new Date(now.getTime() - minutes * 60_000).toISOString();
    const edge = ago(7 * DAY);
    const justIn = ago(7 * DAY - 1);
    const cases: [string, Partial<TransferRow>, boolean, boolean?][] = [
      ['waiting, however old', { status: 'available', last_downloaded_at: ago(30 * DAY) }, false],
      ['waiting for its scan', { status: 'pending-scan' }, false],
      [
        'collected, last downloaded 7 days ago',
        { status: 'collected', last_downloaded_at: edge, collected_at: edge },
        true,
      ],
      [
        'collected, last downloaded a minute later',
        { status: 'collected', last_downloaded_at: justIn, collected_at: edge },
        false,
      ],
      // Said to be downloaded correctly days after the download: it can no longer be downloaded again,
      // so its content goes with its 7 days.
      [
        'collected later than its last download',
        { status: 'collected', last_downloaded_at: edge, collected_at: justIn },
        true,
      ],
      [
        'forwarded (and so collected) later than its last download',
        { status: 'collected', last_downloaded_at: ago(30 * DAY), collected_at: justIn },
        false,
        true,
      ],
      [
        'forwarded 7 days ago, downloaded before',
        { status: 'collected', last_downloaded_at: ago(30 * DAY), collected_at: edge },
        true,
        true,
      ],
      ['collected, never downloaded, 7 days ago', { status: 'collected', collected_at: edge }, true],
      ['collected, never downloaded, a minute later', { status: 'collected', collected_at: justIn }, false],
      ['collected with no dates', { status: 'collected' }, false],
      ['rejected 7 days ago', { status: 'rejected', rejected_at: edge }, true],
      ['rejected a minute later', { status: 'rejected', rejected_at: justIn }, false],
      ['removed', { status: 'removed', removed_at: now.toISOString() }, true],
      ['quarantined', { status: 'quarantined' }, true],
    ];
    const files = [];
    for (const [name, overrides, due, forwarded = false] of cases) {
      const file = await makeTransfer(w.db, stores.files, {
        from: school(w.sending.number),
        to: school(w.receiving.number),
        overrides,
      });
      if (forwarded) {
        await makeTransfer(w.db, stores.files, {
          from: school(w.sending.number),
          to: school(w.other.number),
          overrides: { forwarded_from: file.row.id },
        });
      }
      files.push({ name, row: file.row, due, forwarded });
    }
    const cutoffs = { collectedBefore: edge, rejectedBefore: edge };
    const found = new Set((await purgeCandidates(w.db, cutoffs, '', 1_000_000)).map((file) => file.id));
    for (const file of files) {
      assert.equal(found.has(file.row.id), file.due, `the purge job, ${file.name}`);
      assert.equal(contentDue(file.row, now, file), file.due, `contentDue, ${file.name}`);
    }
  });

  test('a removal whose deletion fails is recorded all the same, and the purge job keeps going when one fails; the sweep of unreferenced files deletes what they left', async () => {
    const w = await world();
    const sent = await makeTransfer(w.db, stores.files, {
      from: school(w.sending.number),
      to: school(w.receiving.number),
    });
    const rejected = await makeTransfer(w.db, stores.files, {
      from: school(w.sending.number),
      to: school(w.receiving.number),
    });
    await downloads().reject(w.receiver, 'ctf', rejected.row.id, 'Not ours');
    const failing = {
      remove: async () => {
        throw new Error('store unreachable');
      },
    };
    await new SentService({ ...deps(), files: failing }).remove(w.sender, sent.row.id);
    // The content's key is forgotten first, so what stays on the store can no longer be read; no row
    // names it.
    const letGo = async (file: typeof sent) => {
      const row = await getTransfer(w.db, file.row.id);
      assert.deepEqual([row?.storage_key, row?.wrapped_key], [null, null]);
      assert.ok(row?.purged_at);
      assert.deepEqual(await pupilsOf(w.db, file.row.id), []);
      assert.equal(await stores.raw.exists(file.row.storage_key as string), true, 'the deletion failed');
    };
    assert.equal((await getTransfer(w.db, sent.row.id))?.status, 'removed');
    await letGo(sent);

    clock.advanceMinutes(8 * DAY); // the rejected file is due
    const failed = await purgeExpiredContent(w.db, failing, clock);
    assert.ok(failed.failed >= 1);
    await letGo(rejected);
    assert.equal(
      (
        await purgeCandidates(
          w.db,
          { collectedBefore: '', rejectedBefore: clock.now().toISOString() },
          '',
          1e6,
        )
      ).filter((file) => [sent.row.id, rejected.row.id].includes(file.id)).length,
      0,
      'nothing left for the purge job',
    );

    // The daily sweep, once the stored files are a day old (by the store's own clock).
    const sweepClock = new ManualClock(new Date(Date.now() + (ORPHAN_GRACE_HOURS + 1) * 3_600_000));
    await sweepOrphanFiles(w.db, stores.raw, sweepClock);
    for (const file of [sent, rejected]) {
      assert.equal(await stores.raw.exists(file.row.storage_key as string), false);
    }
  });
});

for (const engine of ENGINES) {
  test(`migration 021 deletes the pupils' details of files purged before it, and keeps those of files still held [${engine}]`, async () => {
    const database = await createTestDatabase(engine, '020-job-indexes');
    try {
      const { db } = database;
      const { files } = makeFileStores();
      const laA = await makeLa(db);
      const from = await makeSchool(db, laA.number);
      const to = await makeSchool(db, laA.number);
      const [purged, held] = [
        await makeTransfer(db, files, { from: school(from.number), to: school(to.number) }),
        await makeTransfer(db, files, { from: school(from.number), to: school(to.number) }),
      ];
      // As the purge left a file before: content and keys gone, its pupils kept.
      await db
        .updateTable('transfers')
        .set({
          status: 'collected',
          storage_key: null,
          wrapped_key: null,
          purged_at: '2026-01-05T09:00:00.000Z',
        })
        .where('id', '=', purged.row.id)
        .execute();
      assert.equal((await pupilsOf(db, purged.row.id)).length, 2);

      await migrateToLatest(db, database.schema);
      assert.deepEqual(await pupilsOf(db, purged.row.id), []);
      assert.equal((await getTransfer(db, purged.row.id))?.pupil_count, 2);
      assert.equal((await pupilsOf(db, held.row.id)).length, 2);
    } finally {
      await database.drop();
    }
  });
}
