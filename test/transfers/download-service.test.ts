import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { beforeEach, test } from 'node:test';
import type { Actor } from '../../src/auth/actor.ts';
import type { Role } from '../../src/auth/permissions.ts';
import { ManualClock } from '../../src/platform/clock.ts';
import type { Db } from '../../src/platform/db/schema.ts';
import { Invalid, NotFound } from '../../src/platform/errors.ts';
import { fieldErrorIn, message, textIn } from '../../src/platform/i18n/catalogue.ts';
import { createLogger } from '../../src/platform/logger.ts';
import { TamperedFileError } from '../../src/platform/storage/envelope.ts';
import { DEFAULT_SORT } from '../../src/transfers/download-listing.ts';
import { DownloadService } from '../../src/transfers/download-service.ts';
import { purgeExpiredContent } from '../../src/transfers/jobs.ts';
import { LaMonitorService } from '../../src/transfers/la-monitor-service.ts';
import { getTransfer, pupilsOf } from '../../src/transfers/repository.ts';
import { SentService } from '../../src/transfers/sent-service.ts';
import { anotherProcessDb, describeEachEngine, holdingAfterSelectFrom } from '../support/databases.ts';
import { makeLa, makeSchool, makeUser } from '../support/factories.ts';
import { signal } from '../support/signals.ts';
import {
  actorOf,
  la,
  laInbox,
  makeFileStores,
  makeTransfer,
  pupil,
  purgeCaughtAt,
  readAll,
  readZip,
  school,
} from '../support/transfers.ts';

const DAY = 24 * 60;

describeEachEngine('download service', (database) => {
  const stores = makeFileStores();
  const logLines: string[] = [];
  // A fresh clock for each test: the 7-day rules are tested by moving it.
  let clock = new ManualClock('2026-11-23T09:00:00.000Z');
  beforeEach(() => {
    clock = new ManualClock('2026-11-23T09:00:00.000Z');
  });
  const service = () =>
    new DownloadService({
      db: database().db,
      files: stores.files,
      clock,
      logger: createLogger('info', { write: (line: string) => void logLines.push(line) }),
    });

  /** Two schools in one LA and one in another, with a user of each and of the first LA. */
  async function world() {
    const db = database().db;
    const laA = await makeLa(db);
    const laB = await makeLa(db);
    const receiving = await makeSchool(db, laA.number, { name: 'Receiving Primary' });
    const sending = await makeSchool(db, laB.number, { name: 'Sending Primary' });
    const other = await makeSchool(db, laA.number, { name: 'Other Primary' });
    const user = async (role: Role, org: { laNumber?: string; establishmentNumber?: string }) =>
      actorOf(await makeUser(db, role, org));
    return {
      db,
      laA,
      laB,
      receiving,
      sending,
      other,
      receiver: await user('school', { establishmentNumber: receiving.number }),
      sender: await user('school', { establishmentNumber: sending.number }),
      otherSchool: await user('school', { establishmentNumber: other.number }),
      laUser: await user('la_user', { laNumber: laA.number }),
    };
  }

  async function outbox(db: Db, template: string) {
    return db.selectFrom('notification_outbox').selectAll().where('template', '=', template).execute();
  }

  async function auditOf(db: Db, id: string) {
    const rows = await db
      .selectFrom('audit_events')
      .selectAll()
      .where('subject_id', '=', id)
      .orderBy('occurred_at')
      .execute();
    return rows.map((row) => row.action);
  }

  async function downloadBytes(actor: Actor, category: 'ctf' | 'generic', ids: string[], again = false) {
    const download = await service().download(actor, category, ids, again ? 'again' : 'download');
    return { download, bytes: await readAll(download.stream) };
  }

  test('the list holds only the available files addressed to the organisation, in the sort asked for', async () => {
    const w = await world();
    const first = await makeTransfer(w.db, stores.files, {
      from: school(w.sending.number),
      to: school(w.receiving.number),
      uploadedAt: '2026-11-21T10:00:00.000Z',
    });
    const second = await makeTransfer(w.db, stores.files, {
      from: la(w.laB.number),
      to: school(w.receiving.number),
      uploadedAt: '2026-11-20T10:00:00.000Z',
    });
    // Not in the list: another school's, a generic file (another list), a collected one, one for the LA.
    const forOther = await makeTransfer(w.db, stores.files, {
      from: school(w.sending.number),
      to: school(w.other.number),
    });
    await makeTransfer(w.db, stores.files, {
      from: school(w.sending.number),
      to: school(w.receiving.number),
      category: 'generic',
    });
    await makeTransfer(w.db, stores.files, {
      from: school(w.sending.number),
      to: school(w.receiving.number),
      overrides: { status: 'collected', collected_at: '2026-11-22T10:00:00.000Z' },
    });
    const forLa = await makeTransfer(w.db, stores.files, {
      from: school(w.sending.number),
      to: la(w.laA.number),
    });

    const listed = await service().available(w.receiver, 'ctf', DEFAULT_SORT);
    assert.deepEqual(
      listed.map((f) => f.id),
      [second.row.id, first.row.id],
      'oldest first by default',
    );
    assert.equal(listed[1]?.party.name, 'Sending Primary');
    assert.deepEqual(listed[0]?.party.name, message('directory.name.la', { name: 'Testshire' }));
    assert.equal(listed[0]?.party.code, `${w.laB.number}LLLL`);
    const byFile = await service().available(w.receiver, 'ctf', { key: 'file', order: 'descending' });
    assert.deepEqual(
      byFile.map((f) => f.filename),
      [first.row.filename, second.row.filename].sort().reverse(),
    );
    const bySource = await service().available(w.receiver, 'ctf', { key: 'source', order: 'ascending' });
    assert.deepEqual(
      bySource.map((f) => textIn('en', f.party.name)),
      ['Sending Primary', 'Testshire LA'].sort(),
    );

    // The LA of the receiving school sees its own files only, not its schools'.
    assert.deepEqual(
      (await service().available(w.laUser, 'ctf', DEFAULT_SORT)).map((f) => f.id),
      [forLa.row.id],
    );
    assert.deepEqual(
      (await service().available(w.otherSchool, 'ctf', DEFAULT_SORT)).map((f) => f.id),
      [forOther.row.id],
    );
    assert.deepEqual(
      await service().available(w.sender, 'ctf', DEFAULT_SORT),
      [],
      'senders do not see them here',
    );
  });

  test('accept, download and Yes: the bytes are the same, the file is collected and the sender told', async () => {
    const w = await world();
    const content = randomBytes(200 * 1024); // several encrypted segments
    const sent = await makeTransfer(w.db, stores.files, {
      from: school(w.sending.number),
      to: school(w.receiving.number),
      content,
      pupils: [pupil('Harris', { forename: 'James', date_of_birth: '1995-08-22' })],
    });
    const found = await service().file(w.receiver, sent.row.id);
    assert.deepEqual(found.pupils, [
      {
        upn: found.pupils[0]?.upn ?? null,
        dateOfBirth: '1995-08-22',
        name: 'Harris, James',
        nameGiven: true,
      },
    ]);

    const { download, bytes } = await downloadBytes(w.receiver, 'ctf', [sent.row.id]);
    assert.ok(bytes.equals(content), 'byte-identical');
    assert.equal(download.filename, sent.row.filename);
    assert.equal(download.size, content.length);
    assert.equal(download.contentType, 'application/octet-stream');

    let row = await getTransfer(w.db, sent.row.id);
    assert.equal(row?.status, 'available', 'a download alone does not collect');
    assert.equal(row?.first_downloaded_at, '2026-11-23T09:00:00.000Z');
    assert.equal(row?.last_downloaded_at, '2026-11-23T09:00:00.000Z');
    assert.equal(row?.downloaded_by, w.receiver.userId);
    assert.equal(
      (await outbox(w.db, 'file-downloaded')).filter((n) => n.payload.includes(sent.row.filename)).length,
      0,
    );

    clock.advanceMinutes(5);
    const outcome = await service().collect(w.receiver, 'ctf', [sent.row.id]);
    assert.deepEqual(
      outcome.collected.map((f) => f.id),
      [sent.row.id],
    );
    row = await getTransfer(w.db, sent.row.id);
    assert.equal(row?.status, 'collected');
    assert.equal(row?.collected_at, '2026-11-23T09:05:00.000Z');
    assert.equal(row?.first_downloaded_at, '2026-11-23T09:00:00.000Z');

    const emails = (await outbox(w.db, 'file-downloaded')).filter((n) =>
      n.payload.includes(sent.row.filename),
    );
    assert.equal(emails.length, 1);
    assert.equal(emails[0]?.recipient_kind, 'school');
    assert.equal(emails[0]?.recipient, w.sending.number);
    const payload = JSON.parse(emails[0]?.payload ?? '{}');
    assert.equal(payload.collectedBy, 'Receiving Primary');
    assert.doesNotMatch(emails[0]?.payload ?? '', /Harris/, 'no pupil data in the email facts');
    assert.deepEqual(await auditOf(w.db, sent.row.id), ['file-downloaded', 'file-collected']);

    assert.deepEqual(await service().available(w.receiver, 'ctf', DEFAULT_SORT), []);
    // Yes again (a second tab, say) changes nothing more.
    await service().collect(w.receiver, 'ctf', [sent.row.id]);
    assert.equal(
      (await outbox(w.db, 'file-downloaded')).filter((n) => n.payload.includes(sent.row.filename)).length,
      1,
    );
    // And it cannot be downloaded as new.
    await assert.rejects(service().download(w.receiver, 'ctf', [sent.row.id], 'download'), Invalid);
  });

  test('No keeps the file available; Yes before any download is refused', async () => {
    const w = await world();
    const sent = await makeTransfer(w.db, stores.files, {
      from: school(w.sending.number),
      to: school(w.receiving.number),
    });
    await assert.rejects(service().collect(w.receiver, 'ctf', [sent.row.id]), (error: unknown) => {
      assert.ok(error instanceof Invalid);
      assert.match(error.message, /has not been downloaded yet/);
      return true;
    });
    await downloadBytes(w.receiver, 'ctf', [sent.row.id]);
    // "No" is no change at all: it is still in the list, and can be downloaded again.
    const listed = await service().available(w.receiver, 'ctf', DEFAULT_SORT);
    assert.deepEqual(
      listed.map((f) => f.id),
      [sent.row.id],
    );
    clock.advanceMinutes(1);
    await downloadBytes(w.receiver, 'ctf', [sent.row.id]);
    const row = await getTransfer(w.db, sent.row.id);
    assert.equal(row?.status, 'available');
    assert.notEqual(row?.first_downloaded_at, row?.last_downloaded_at);
    assert.deepEqual(await auditOf(w.db, sent.row.id), ['file-downloaded', 'file-downloaded']);
  });

  test('reject needs a reason of at most 500 characters; the sender is told the reason', async () => {
    const w = await world();
    const sent = await makeTransfer(w.db, stores.files, {
      from: la(w.laB.number),
      to: school(w.receiving.number),
    });
    for (const reason of ['', '   ', 'x'.repeat(501)]) {
      await assert.rejects(service().reject(w.receiver, 'ctf', sent.row.id, reason), (error: unknown) => {
        assert.ok(error instanceof Invalid);
        assert.equal(error.errors[0]?.field, 'reason');
        return true;
      });
    }
    assert.equal((await getTransfer(w.db, sent.row.id))?.status, 'available');

    const reason = 'This pupil has not joined our school';
    const rejected = await service().reject(w.receiver, 'ctf', sent.row.id, `  ${reason} `);
    assert.equal(rejected.status, 'rejected');
    const row = await getTransfer(w.db, sent.row.id);
    assert.equal(row?.status, 'rejected');
    assert.equal(row?.reject_reason, reason);
    assert.equal(row?.rejected_by, w.receiver.userId);
    const emails = (await outbox(w.db, 'file-rejected')).filter((n) => n.payload.includes(sent.row.filename));
    assert.equal(emails.length, 1);
    assert.equal(emails[0]?.recipient_kind, 'la', 'an LA sender is told at its LA address');
    assert.equal(emails[0]?.recipient, w.laB.number);
    assert.equal(JSON.parse(emails[0]?.payload ?? '{}').reason, reason);
    assert.deepEqual(await auditOf(w.db, sent.row.id), ['file-rejected']);

    assert.deepEqual(await service().available(w.receiver, 'ctf', DEFAULT_SORT), []);
    await assert.rejects(service().download(w.receiver, 'ctf', [sent.row.id], 'download'), Invalid);
    // Rejected again by its rejecter (the form posted again): nothing changes, nor is the sender told again.
    const again = await service().reject(w.receiver, 'ctf', sent.row.id, 'again');
    assert.deepEqual([again.already, again.rejectReason], [true, reason]);
    assert.deepEqual(await auditOf(w.db, sent.row.id), ['file-rejected']);
    assert.equal(
      (await outbox(w.db, 'file-rejected')).filter((n) => n.payload.includes(sent.row.filename)).length,
      1,
    );
    // By a colleague: refused, saying it has been rejected.
    const colleague = actorOf(await makeUser(w.db, 'school', { establishmentNumber: w.receiving.number }));
    await assert.rejects(service().reject(colleague, 'ctf', sent.row.id, 'again'), Invalid);
  });

  test('a tampered stored file breaks the download off, and the log names the file by id only', async () => {
    const w = await world();
    const sent = await makeTransfer(w.db, stores.files, {
      from: school(w.sending.number),
      to: school(w.receiving.number),
      pupils: [pupil('Tamperedsurname')],
    });
    const key = sent.row.storage_key as string;
    const stored = await readAll(await stores.raw.get(key));
    stored[stored.length - 20] = (stored[stored.length - 20] ?? 0) ^ 0xff;
    await stores.raw.put(key, Readable.from([stored]));

    logLines.length = 0;
    const download = await service().download(w.receiver, 'ctf', [sent.row.id], 'download');
    await assert.rejects(readAll(download.stream), TamperedFileError);
    const logged = logLines.join('\n');
    assert.match(logged, new RegExp(sent.row.id));
    assert.doesNotMatch(logged, /Tamperedsurname/);
    assert.doesNotMatch(logged, new RegExp(sent.row.filename));
  });

  test("a file its LA deletes while the school's download starts: refused, in the reader's language", async () => {
    const w = await world();
    const sent = await makeTransfer(w.db, stores.files, {
      from: school(w.sending.number),
      to: school(w.receiving.number),
    });
    // The LA deletes the file (Delete files not collected by schools) after the download's checks
    // passed, while the school's download opens the stored file.
    const racing = new DownloadService({
      db: w.db,
      files: {
        open: async (ref) => {
          const opened = await stores.files.open(ref);
          await new LaMonitorService({
            db: w.db,
            files: stores.files,
            clock,
            logger: createLogger('silent'),
          }).remove(w.laUser, sent.row.id);
          return opened;
        },
      },
      clock,
      logger: createLogger('silent'),
    });
    await assert.rejects(racing.download(w.receiver, 'ctf', [sent.row.id], 'download'), (error: unknown) => {
      assert.ok(error instanceof Invalid);
      const [problem] = error.errors;
      assert.ok(problem);
      assert.equal(problem.field, 'file');
      assert.equal(
        fieldErrorIn('en', problem),
        `${sent.row.filename} has been removed and is no longer available`,
      );
      assert.equal(
        fieldErrorIn('cy', problem),
        `Mae ${sent.row.filename} wedi’i thynnu ac nid yw ar gael mwyach`,
      );
      return true;
    });
    const row = await getTransfer(w.db, sent.row.id);
    assert.equal(row?.status, 'removed');
    assert.equal(row?.last_downloaded_at, null, 'no download recorded');
    assert.deepEqual(await auditOf(w.db, sent.row.id), ['file-removed', 'file-purged']);
  });

  test("a file its sender removes between the download's checks and its opening: refused, not the error page", async () => {
    const w = await world();
    const sent = await makeTransfer(w.db, stores.files, {
      from: school(w.sending.number),
      to: school(w.receiving.number),
    });
    // The download has read the file as waiting; its sender's removal (View / Remove Files) then ends,
    // content deleted, before the download opens the content.
    const racing = new DownloadService({
      db: w.db,
      files: {
        open: async (ref) => {
          await new SentService({
            db: w.db,
            files: stores.files,
            clock,
            logger: createLogger('silent'),
          }).remove(w.sender, sent.row.id);
          return stores.files.open(ref);
        },
      },
      clock,
      logger: createLogger('silent'),
    });
    await assert.rejects(racing.download(w.receiver, 'ctf', [sent.row.id], 'download'), (error: unknown) => {
      assert.ok(error instanceof Invalid, String(error));
      const [problem] = error.errors;
      assert.ok(problem);
      assert.equal(problem.field, 'file');
      assert.equal(
        fieldErrorIn('en', problem),
        `${sent.row.filename} has been removed and is no longer available`,
      );
      return true;
    });
    const row = await getTransfer(w.db, sent.row.id);
    assert.equal(row?.status, 'removed');
    assert.equal(row?.storage_key, null, 'its content is gone, and its row says so');
    assert.equal(row?.last_downloaded_at, null, 'no download recorded');
    assert.deepEqual(await auditOf(w.db, sent.row.id), ['file-removed', 'file-purged']);
  });

  for (const deleted of [false, true]) {
    test(`a file downloaded again while the purge job deletes its content, at the end of its 7 days (${deleted ? 'deleted' : 'not yet deleted'}): refused, not the error page`, async () => {
      const w = await world();
      const sent = await makeTransfer(w.db, stores.files, {
        from: school(w.sending.number),
        to: school(w.receiving.number),
      });
      await downloadBytes(w.receiver, 'ctf', [sent.row.id]);
      await service().collect(w.receiver, 'ctf', [sent.row.id]);
      clock.advanceMinutes(7 * DAY - 1); // a minute of the 7 days left as the download's checks pass
      // The purge job runs a minute later, the 7 days over, after the download's checks and before it
      // opens the content: it has recorded that it lets the content go, and deleted it (`deleted`) or
      // not yet.
      let purge: { finish(): Promise<unknown> } | undefined;
      const racing = new DownloadService({
        db: w.db,
        files: {
          open: async (ref) => {
            clock.advanceMinutes(1);
            purge = await purgeCaughtAt(w.db, stores.files, clock, sent.row.storage_key as string, deleted);
            return stores.files.open(ref);
          },
        },
        clock,
        logger: createLogger('silent'),
      });
      await assert.rejects(racing.download(w.receiver, 'ctf', [sent.row.id], 'again'), (error: unknown) => {
        assert.ok(error instanceof Invalid, String(error));
        assert.match(error.message, /can no longer be downloaded again/);
        return true;
      });
      await purge?.finish();
      const row = await getTransfer(w.db, sent.row.id);
      assert.equal(row?.storage_key, null);
      assert.ok(row?.purged_at);
      assert.equal(
        row?.last_downloaded_at,
        sent.row.last_downloaded_at ?? row?.first_downloaded_at,
        'no download recorded',
      );
      assert.deepEqual(await auditOf(w.db, sent.row.id), [
        'file-downloaded',
        'file-collected',
        'file-purged',
      ]);
    });
  }

  for (const recordedLast of ['later', 'earlier'] as const) {
    test(`two first downloads at once, the ${recordedLast} recorded last: the first download stays the earlier, the last the later`, async () => {
      const w = await world();
      const colleague = actorOf(await makeUser(w.db, 'school', { establishmentNumber: w.receiving.number }));
      const sent = await makeTransfer(w.db, stores.files, {
        from: school(w.sending.number),
        to: school(w.receiving.number),
      });
      // Both have read the file as never downloaded when the one recorded first records its download; the
      // other records its own after that. The receiver's is the earlier, the colleague's a minute on.
      const earlier = new ManualClock(clock.now().toISOString());
      const later = new ManualClock(clock.now().toISOString());
      later.advanceMinutes(1);
      const [first, last] =
        recordedLast === 'later'
          ? [
              { actor: w.receiver, clock: earlier },
              { actor: colleague, clock: later },
            ]
          : [
              { actor: colleague, clock: later },
              { actor: w.receiver, clock: earlier },
            ];
      const { fired: lastAtItsOpening, fire: lastOpened } = signal();
      const { fired: lastMayRecord, fire: firstRecorded } = signal();
      const lastService = new DownloadService({
        db: w.db,
        files: {
          open: async (ref) => {
            lastOpened();
            await lastMayRecord;
            return stores.files.open(ref);
          },
        },
        clock: last.clock,
        logger: createLogger('silent'),
      });
      let lastDownload: ReturnType<DownloadService['download']> | undefined;
      const firstService = new DownloadService({
        db: w.db,
        files: {
          open: async (ref) => {
            lastDownload = lastService.download(last.actor, 'ctf', [sent.row.id], 'download');
            await lastAtItsOpening;
            return stores.files.open(ref);
          },
        },
        clock: first.clock,
        logger: createLogger('silent'),
      });
      await readAll((await firstService.download(first.actor, 'ctf', [sent.row.id], 'download')).stream);
      firstRecorded();
      await readAll((await (lastDownload as ReturnType<DownloadService['download']>)).stream);
      const row = await getTransfer(w.db, sent.row.id);
      assert.equal(row?.first_downloaded_at, earlier.now().toISOString(), 'the first download, the earlier');
      assert.equal(row?.last_downloaded_at, later.now().toISOString(), 'the last download, the later');
      assert.equal(row?.downloaded_by, colleague.userId, 'by whom the later was');
    });
  }

  test('a file downloaded again at the end of its 7 days while the purge job, having found it due, comes to it: its content kept 7 days more', async () => {
    const w = await world();
    const sent = await makeTransfer(w.db, stores.files, {
      from: school(w.sending.number),
      to: school(w.receiving.number),
    });
    await downloadBytes(w.receiver, 'ctf', [sent.row.id]);
    await service().collect(w.receiver, 'ctf', [sent.row.id]);
    // The purge job runs a minute after the 7 days end and finds the file due; before it comes to the
    // file, a download again started a minute before they ended records itself.
    const purgeClock = new ManualClock(clock.now().toISOString());
    purgeClock.advanceMinutes(7 * DAY + 1);
    clock.advanceMinutes(7 * DAY - 1);
    // The job runs on another node: its own connection, held after it has read the files due.
    const node = anotherProcessDb(database());
    try {
      let armed = true;
      const held = holdingAfterSelectFrom(node, 'transfers', () => armed);
      const purge = purgeExpiredContent(held.db, stores.files, purgeClock);
      await held.reached;
      armed = false;
      const { bytes } = await downloadBytes(w.receiver, 'ctf', [sent.row.id], true);
      assert.ok(bytes.equals(sent.content));
      held.release();
      await purge;
    } finally {
      await node.destroy();
    }
    const row = await getTransfer(w.db, sent.row.id);
    assert.equal(row?.last_downloaded_at, clock.now().toISOString());
    assert.equal(row?.purged_at, null, 'not purged: downloaded again within its 7 days');
    assert.equal(row?.storage_key, sent.row.storage_key);
    assert.ok(await stores.raw.exists(sent.row.storage_key as string), 'its content is kept');
    // Still downloadable again, 6 days on.
    clock.advanceMinutes(6 * DAY);
    assert.ok((await downloadBytes(w.receiver, 'ctf', [sent.row.id], true)).bytes.equals(sent.content));
  });

  test('a file said to be downloaded correctly days after its download: its content and pupils go when it can no longer be downloaded again', async () => {
    const w = await world();
    const sent = await makeTransfer(w.db, stores.files, {
      from: school(w.sending.number),
      to: school(w.receiving.number),
    });
    await downloadBytes(w.receiver, 'ctf', [sent.row.id]);
    clock.advanceMinutes(3 * DAY);
    await service().collect(w.receiver, 'ctf', [sent.row.id]);
    // 7 days and 5 minutes after the download (4 after the Yes): the download again is refused...
    clock.advanceMinutes(4 * DAY + 5);
    const refused = await service()
      .download(w.receiver, 'ctf', [sent.row.id], 'again')
      .then(
        () => 'downloaded',
        (error: unknown) => error,
      );
    assert.ok(refused instanceof Invalid);
    assert.deepEqual(
      refused.errors.map((error) => error.key),
      ['transfer.download.too-late-again'],
    );
    // ...so the purge job lets its content and its pupils' details go now, not 7 days after the Yes.
    assert.deepEqual(await purgeExpiredContent(w.db, stores.files, clock), { purged: 1, failed: 0 });
    const row = await getTransfer(w.db, sent.row.id);
    assert.equal(row?.purged_at, clock.now().toISOString());
    assert.equal(row?.storage_key, null);
    assert.equal(await stores.raw.exists(sent.row.storage_key as string), false);
    assert.deepEqual(await pupilsOf(w.db, sent.row.id), []);
  });

  test('several files come as one zip holding each file byte for byte; generic files one at a time', async () => {
    const w = await world();
    const a = await makeTransfer(w.db, stores.files, {
      from: school(w.sending.number),
      to: school(w.receiving.number),
    });
    const b = await makeTransfer(w.db, stores.files, {
      from: school(w.sending.number),
      to: school(w.receiving.number),
      content: randomBytes(150 * 1024),
    });
    const { download, bytes } = await downloadBytes(w.receiver, 'ctf', [a.row.id, b.row.id]);
    assert.equal(download.contentType, 'application/zip');
    assert.match(download.filename, /^s2s-ctf-files-\d{8}-\d{4}\.zip$/);
    const entries = readZip(bytes);
    assert.deepEqual([...entries.keys()].sort(), [a.row.filename, b.row.filename].sort());
    assert.ok(entries.get(a.row.filename)?.equals(a.content));
    assert.ok(entries.get(b.row.filename)?.equals(b.content));

    const g1 = await makeTransfer(w.db, stores.files, {
      from: school(w.sending.number),
      to: school(w.receiving.number),
      category: 'generic',
    });
    const g2 = await makeTransfer(w.db, stores.files, {
      from: school(w.sending.number),
      to: school(w.receiving.number),
      category: 'generic',
    });
    await assert.rejects(
      service().download(w.receiver, 'generic', [g1.row.id, g2.row.id], 'download'),
      (error: unknown) => {
        assert.ok(error instanceof Invalid);
        assert.match(error.message, /one at a time/);
        return true;
      },
    );
    // A file cannot be fetched under another type's list.
    await assert.rejects(service().download(w.receiver, 'generic', [a.row.id], 'download'), NotFound);
  });

  /** Two CTFs waiting for the receiving school, for a zip. */
  async function twoWaiting(w: Awaited<ReturnType<typeof world>>) {
    const files = [];
    for (const size of [40 * 1024, 1_500_000]) {
      files.push(
        await makeTransfer(w.db, stores.files, {
          from: school(w.sending.number),
          to: school(w.receiving.number),
          content: randomBytes(size),
        }),
      );
    }
    return files as [(typeof files)[0], (typeof files)[0]];
  }

  test('a zip whose second file its sender removes once the download is recorded, before the zip comes to it: the zip is whole all the same', async () => {
    const w = await world();
    const [a, b] = await twoWaiting(w);
    const download = await service().download(w.receiver, 'ctf', [a.row.id, b.row.id], 'download');
    // Removed (its content deleted) after the download was recorded and before a byte of the zip is read.
    await new SentService({ db: w.db, files: stores.files, clock, logger: createLogger('silent') }).remove(
      w.sender,
      b.row.id,
    );
    assert.equal(await stores.raw.exists(b.row.storage_key as string), false, 'its content is deleted');
    const entries = readZip(await readAll(download.stream));
    assert.ok(entries.get(a.row.filename)?.equals(a.content));
    assert.ok(entries.get(b.row.filename)?.equals(b.content), 'the removed file is in the zip, whole');
  });

  test('a zip one of whose files its sender removes while the download opens them: refused before any byte, nothing recorded', async () => {
    const w = await world();
    const [a, b] = await twoWaiting(w);
    // The sender removes the second file (its content deleted) as the download opens the first.
    let removed = false;
    const removing = async () => {
      if (removed) return;
      removed = true;
      await new SentService({ db: w.db, files: stores.files, clock, logger: createLogger('silent') }).remove(
        w.sender,
        b.row.id,
      );
    };
    const racing = new DownloadService({
      db: w.db,
      files: {
        open: async (ref) => {
          const opened = await stores.files.open(ref);
          await removing();
          return opened;
        },
      },
      clock,
      logger: createLogger('silent'),
    });
    let bytes: Buffer | undefined;
    await assert.rejects(
      (async () => {
        const download = await racing.download(w.receiver, 'ctf', [a.row.id, b.row.id], 'download');
        bytes = await readAll(download.stream);
      })(),
      (error: unknown) => {
        assert.ok(error instanceof Invalid, String(error));
        assert.deepEqual(
          error.errors.map((problem) => [
            problem.field,
            fieldErrorIn('en', problem),
            fieldErrorIn('cy', problem),
          ]),
          [
            [
              'file',
              `${b.row.filename} has been removed and is no longer available`,
              `Mae ${b.row.filename} wedi’i thynnu ac nid yw ar gael mwyach`,
            ],
          ],
        );
        return true;
      },
    );
    assert.equal(bytes, undefined, 'no byte sent');
    for (const file of [a, b]) {
      assert.equal((await getTransfer(w.db, file.row.id))?.last_downloaded_at, null, 'no download recorded');
      assert.deepEqual(
        (await auditOf(w.db, file.row.id)).filter((action) => action === 'file-downloaded'),
        [],
      );
    }
  });

  test('generic files are collected without emailing the sender', async () => {
    const w = await world();
    const sent = await makeTransfer(w.db, stores.files, {
      from: school(w.sending.number),
      to: school(w.receiving.number),
      category: 'generic',
    });
    const { bytes } = await downloadBytes(w.receiver, 'generic', [sent.row.id]);
    assert.ok(bytes.equals(sent.content));
    await service().collect(w.receiver, 'generic', [sent.row.id]);
    assert.equal((await getTransfer(w.db, sent.row.id))?.status, 'collected');
    const all = await w.db.selectFrom('notification_outbox').select('payload').execute();
    assert.equal(all.filter((n) => n.payload.includes(sent.row.filename)).length, 0);
  });

  test('LA inboxes: the PLASC role collects census returns (LEALLyy) and what is sent to LEAPLAS; other LA roles do not see the inbox', async () => {
    const w = await world();
    const plasc = actorOf(await makeUser(w.db, 'la_plasc', { laNumber: w.laA.number }));
    const census = await makeTransfer(w.db, stores.files, {
      from: school(w.receiving.number),
      to: la(w.laA.number),
      category: 'plasc',
    });
    const toInbox = await makeTransfer(w.db, stores.files, {
      from: school(w.receiving.number),
      to: laInbox(w.laA.number, 'PLAS'),
      category: 'generic',
    });
    assert.deepEqual(
      (await service().available(plasc, 'plasc', DEFAULT_SORT)).map((f) => f.id),
      [census.row.id],
    );
    assert.deepEqual(
      (await service().available(plasc, 'generic', DEFAULT_SORT)).map((f) => f.id),
      [toInbox.row.id],
    );
    // LEA Users may download PLASC files too (LA notes §1.6), but not the PLASC inbox's own files.
    assert.deepEqual(
      (await service().available(w.laUser, 'plasc', DEFAULT_SORT)).map((f) => f.id),
      [census.row.id],
    );
    assert.deepEqual(await service().available(w.laUser, 'generic', DEFAULT_SORT), []);
    await assert.rejects(service().file(w.laUser, toInbox.row.id), NotFound);
  });

  test('every action on a file addressed elsewhere is "not found", whoever asks', async () => {
    const w = await world();
    const elsewhere = await makeTransfer(w.db, stores.files, {
      from: school(w.sending.number),
      to: school(w.other.number),
    });
    // The sender, a school of the same LA, and the LA of the destination school: none is its recipient.
    for (const actor of [w.sender, w.receiver, w.laUser]) {
      const id = elsewhere.row.id;
      await assert.rejects(service().file(actor, id), NotFound);
      await assert.rejects(service().chosen(actor, 'ctf', [id]), NotFound);
      await assert.rejects(service().selection(actor, 'ctf', [id], 'download'), NotFound);
      await assert.rejects(service().download(actor, 'ctf', [id], 'download'), NotFound);
      await assert.rejects(service().download(actor, 'ctf', [id], 'again'), NotFound);
      await assert.rejects(service().collect(actor, 'ctf', [id]), NotFound);
      await assert.rejects(service().reject(actor, 'ctf', id, 'Not ours'), NotFound);
    }
    // Mixed in with the actor's own file, it still fails the whole request.
    const own = await makeTransfer(w.db, stores.files, {
      from: school(w.sending.number),
      to: school(w.receiving.number),
    });
    await assert.rejects(
      service().download(w.receiver, 'ctf', [own.row.id, elsewhere.row.id], 'download'),
      NotFound,
    );
    assert.equal((await getTransfer(w.db, own.row.id))?.last_downloaded_at, null, 'nothing was recorded');
    // A role without the type's capability cannot reach a file addressed to its organisation either.
    const lostPupil = actorOf(await makeUser(w.db, 'la_lost_pupil', { laNumber: w.laA.number }));
    const forLa = await makeTransfer(w.db, stores.files, {
      from: school(w.sending.number),
      to: la(w.laA.number),
    });
    await assert.rejects(service().file(lostPupil, forLa.row.id), NotFound);
    await assert.rejects(service().file(w.receiver, 'not-a-uuid'), NotFound);
    assert.equal((await getTransfer(w.db, elsewhere.row.id))?.status, 'available');
  });

  test('download again: listed for 7 days after the last download, each download restarting the 7 days', async () => {
    const w = await world();
    const sent = await makeTransfer(w.db, stores.files, {
      from: school(w.sending.number),
      to: school(w.receiving.number),
    });
    await assert.rejects(service().download(w.receiver, 'ctf', [sent.row.id], 'again'), Invalid);
    await downloadBytes(w.receiver, 'ctf', [sent.row.id]);
    await service().collect(w.receiver, 'ctf', [sent.row.id]);

    clock.advanceMinutes(6 * DAY);
    const listed = await service().previouslyDownloaded(w.receiver, 'ctf', DEFAULT_SORT);
    assert.deepEqual(
      listed.map((f) => f.id),
      [sent.row.id],
    );
    const { bytes } = await downloadBytes(w.receiver, 'ctf', [sent.row.id], true);
    assert.ok(bytes.equals(sent.content));
    assert.deepEqual(await auditOf(w.db, sent.row.id), [
      'file-downloaded',
      'file-collected',
      'file-redownloaded',
    ]);
    const row = await getTransfer(w.db, sent.row.id);
    assert.equal(row?.status, 'collected');
    assert.equal(row?.last_downloaded_at, clock.now().toISOString());

    clock.advanceMinutes(6 * DAY); // 12 days after the first download, 6 after the last
    assert.equal((await service().previouslyDownloaded(w.receiver, 'ctf', DEFAULT_SORT)).length, 1);
    clock.advanceMinutes(2 * DAY); // 8 days after the last
    assert.deepEqual(await service().previouslyDownloaded(w.receiver, 'ctf', DEFAULT_SORT), []);
    await assert.rejects(service().download(w.receiver, 'ctf', [sent.row.id], 'again'), (error: unknown) => {
      assert.ok(error instanceof Invalid);
      assert.match(error.message, /can no longer be downloaded again/);
      return true;
    });
  });
});
