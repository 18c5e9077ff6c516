// Issue 4, point 7: every upload, refusal, download, re-download, collection, rejection, removal and
// forward of a file, the Lost Pupils Database's downloads, findings, forwards, losses again, closed
// matches and removals, the purge of a file's content, and a census return's load, submission and
// approval, are audited in the transaction of the change itself (decision 22: "an event exists
// if and only if the change happened"). Here the database refuses the one audit event (a real trigger on
// audit_events, test/support/audit.ts) and each change must be refused with it: nothing changed, no email.
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { test } from 'node:test';
import type { AuditAction } from '../../src/audit/repository.ts';
import type { Role } from '../../src/auth/permissions.ts';
import { CensusReturnsService } from '../../src/collect/returns-service.ts';
import { MatchesService } from '../../src/lost-pupils/matches-service.ts';
import { LostPupilReviewService } from '../../src/lost-pupils/review-service.ts';
import { LostPupilService } from '../../src/lost-pupils/service.ts';
import { ManualClock } from '../../src/platform/clock.ts';
import { createLogger } from '../../src/platform/logger.ts';
import { DownloadService } from '../../src/transfers/download-service.ts';
import { DownloadTickets } from '../../src/transfers/download-tickets.ts';
import { purgeExpiredContent } from '../../src/transfers/jobs.ts';
import { LaMonitorService } from '../../src/transfers/la-monitor-service.ts';
import { getTransfer, pupilsOf } from '../../src/transfers/repository.ts';
import { SentService } from '../../src/transfers/sent-service.ts';
import { UploadService } from '../../src/transfers/upload-service.ts';
import { ctfBetween, syntheticPupil } from '../fixtures/ctf/generate.ts';
import { refuseAuditEvents, refuseInserts } from '../support/audit.ts';
import { censusFilename, censusReturnXml, liveCollection } from '../support/census.ts';
import { describeEachEngine } from '../support/databases.ts';
import { makeLa, makeSchool, makeUser } from '../support/factories.ts';
import { makeLostPupil, seenInCtf } from '../support/lost-pupils.ts';
import { actorOf, makeFileStores, makeTransfer, school } from '../support/transfers.ts';

describeEachEngine('A change to a file is refused when its audit event is', (database) => {
  const stores = makeFileStores();
  const clock = new ManualClock('2026-11-23T09:00:00.000Z');
  const db = () => database().db;
  const deps = () => ({ db: db(), files: stores.files, clock, logger: createLogger('silent') });
  const downloads = () => new DownloadService(deps());
  const lostPupils = () => new LostPupilService({ ...deps(), tickets: new DownloadTickets('a test secret') });

  /** `change` rejected with the database's refusal of its `action` event; the trigger dropped after. */
  async function refusedWithAudit(action: AuditAction, change: () => Promise<unknown>): Promise<void> {
    const allow = await refuseAuditEvents(database(), action);
    try {
      await assert.rejects(change(), new RegExp(`audit_events ${action} refused by a test trigger`));
    } finally {
      await allow();
    }
  }

  async function outbox(): Promise<string[]> {
    const rows = await db().selectFrom('notification_outbox').select('id').orderBy('id').execute();
    return rows.map((row) => row.id);
  }

  async function lostPupilStatus(id: string): Promise<string> {
    const row = await db()
      .selectFrom('lost_pupils')
      .select('status')
      .where('id', '=', id)
      .executeTakeFirstOrThrow();
    return row.status;
  }

  async function auditCount(): Promise<number> {
    const row = await db()
      .selectFrom('audit_events')
      .select((eb) => eb.fn.countAll().as('n'))
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }

  /** A file's row, its pupils, the outbox and the audit trail, to compare before and after. */
  async function snapshot(transferId?: string) {
    return {
      transfer: transferId ? await getTransfer(db(), transferId) : undefined,
      pupils: transferId ? (await pupilsOf(db(), transferId)).length : 0,
      transfers: Number(
        (
          await db()
            .selectFrom('transfers')
            .select((eb) => eb.fn.countAll().as('n'))
            .executeTakeFirstOrThrow()
        ).n,
      ),
      outbox: await outbox(),
      audit: await auditCount(),
    };
  }

  async function world() {
    const laA = await makeLa(db());
    const laB = await makeLa(db());
    const a1 = await makeSchool(db(), laA.number);
    const a2 = await makeSchool(db(), laA.number);
    const b1 = await makeSchool(db(), laB.number);
    const user = async (role: Role, org: { laNumber?: string; establishmentNumber?: string }) =>
      actorOf(await makeUser(db(), role, org));
    return {
      laA,
      a1,
      a2,
      b1,
      sender: await user('school', { establishmentNumber: b1.number }),
      receiver: await user('school', { establishmentNumber: a1.number }),
      laUser: await user('la_user', { laNumber: laA.number }),
      lostPupilUser: await user('la_lost_pupil_transfer', { laNumber: laA.number }),
    };
  }

  /** A CTF from b1 waiting for a1. */
  async function waiting(w: Awaited<ReturnType<typeof world>>) {
    return (
      await makeTransfer(db(), stores.files, {
        from: school(w.b1.number),
        to: school(w.a1.number),
        uploadedBy: w.sender.userId,
      })
    ).row;
  }

  test('an upload: no file, no pupils, no email', async () => {
    const w = await world();
    const name = `${w.b1.number}_CTF_${w.a1.number}_001.XML`;
    const content = ctfBetween(w.b1.number, w.a1.number, [
      syntheticPupil(0, { lea: w.b1.number.slice(0, 3), estab: w.b1.number.slice(3) }, false),
    ]);
    const uploads = new UploadService(deps());
    const upload = () => uploads.upload(w.sender, 'ctf', name, Readable.from([Buffer.from(content)]));
    const before = await snapshot();
    await refusedWithAudit('file-uploaded', upload);
    assert.deepEqual(await snapshot(), before);
    // The same upload, its event allowed, is recorded with it.
    assert.equal((await upload()).status, 'accepted');
    assert.equal((await snapshot()).transfers, before.transfers + 1);
  });

  test("an upload refused by the checks: the refusal's email is not written without its audit event", async () => {
    const w = await world();
    const refuse = () =>
      new UploadService(deps()).upload(w.sender, 'generic', 'not a name.zip', Readable.from(['x']));
    const before = await snapshot();
    await refusedWithAudit('upload-refused', refuse);
    assert.deepEqual(await snapshot(), before);
    // And the other way round: no audit event of a refusal whose email could not be written.
    const allow = await refuseInserts(database(), 'notification_outbox', 'template', 'upload-refused');
    try {
      await assert.rejects(refuse(), /notification_outbox upload-refused refused by a test trigger/);
    } finally {
      await allow();
    }
    assert.deepEqual(await snapshot(), before);
    assert.equal((await refuse()).status, 'refused');
    const after = await snapshot();
    assert.deepEqual([after.outbox.length, after.audit], [before.outbox.length + 1, before.audit + 1]);
  });

  test('a download and a download again: not recorded as downloaded', async () => {
    const w = await world();
    const file = await waiting(w);
    const before = await snapshot(file.id);
    await refusedWithAudit('file-downloaded', () =>
      downloads().download(w.receiver, 'ctf', [file.id], 'download'),
    );
    assert.deepEqual(await snapshot(file.id), before);

    const collected = await waiting(w);
    await db()
      .updateTable('transfers')
      .set({
        status: 'collected',
        collected_at: '2026-11-22T09:00:00.000Z',
        first_downloaded_at: '2026-11-22T08:00:00.000Z',
        last_downloaded_at: '2026-11-22T08:00:00.000Z',
      })
      .where('id', '=', collected.id)
      .execute();
    const again = await snapshot(collected.id);
    await refusedWithAudit('file-redownloaded', () =>
      downloads().download(w.receiver, 'ctf', [collected.id], 'again'),
    );
    assert.deepEqual(await snapshot(collected.id), again);
  });

  test('a collection and a rejection: the file still waits, its sender is not emailed', async () => {
    const w = await world();
    const file = await waiting(w);
    const download = await downloads().download(w.receiver, 'ctf', [file.id], 'download');
    download.stream.destroy();
    const before = await snapshot(file.id);
    await refusedWithAudit('file-collected', () => downloads().collect(w.receiver, 'ctf', [file.id]));
    assert.deepEqual(await snapshot(file.id), before);
    await refusedWithAudit('file-rejected', () => downloads().reject(w.receiver, 'ctf', file.id, 'Not ours'));
    assert.deepEqual(await snapshot(file.id), before);
    assert.equal(before.transfer?.status, 'available');
  });

  test("a removal by its sender and by the destination's LA: the file and its content stay", async () => {
    const w = await world();
    const file = await waiting(w);
    const before = await snapshot(file.id);
    await refusedWithAudit('file-removed', () => new SentService(deps()).remove(w.sender, file.id));
    assert.deepEqual(await snapshot(file.id), before);
    await refusedWithAudit('file-removed', () => new LaMonitorService(deps()).remove(w.laUser, file.id));
    assert.deepEqual(await snapshot(file.id), before);
    assert.equal(await stores.raw.exists(file.storage_key as string), true, 'its content is kept');
  });

  test("the LA's forward to another school: no copy, the original still waits", async () => {
    const w = await world();
    const file = await waiting(w);
    const before = await snapshot(file.id);
    await refusedWithAudit('file-forwarded', () =>
      new LaMonitorService(deps()).forward(w.laUser, file.id, w.a2.number),
    );
    assert.deepEqual(await snapshot(file.id), before);
  });

  test("a lost pupil's forward, and the loss again when the school rejects the copy", async () => {
    const w = await world();
    const lost = await makeLostPupil(db(), stores.files, { from: school(w.a1.number) });
    const input = { school: w.a2.number, attested: true };
    const before = await snapshot(lost.record.id);
    // The record found in the forward's transaction: neither the copy nor the finding without its event.
    await refusedWithAudit('lost-pupil-found', () =>
      lostPupils().forward(w.lostPupilUser, lost.record.id, input),
    );
    assert.deepEqual(await snapshot(lost.record.id), before);
    assert.equal(await lostPupilStatus(lost.record.id), 'lost');

    const { result } = await lostPupils().forward(w.lostPupilUser, lost.record.id, input);
    const atSchool = actorOf(await makeUser(db(), 'school', { establishmentNumber: w.a2.number }));
    const copy = await snapshot(result.forwarded.id);
    await refusedWithAudit('lost-pupil-lost-again', () =>
      downloads().reject(atSchool, 'ctf', result.forwarded.id, 'No such pupil on roll here'),
    );
    assert.deepEqual(await snapshot(result.forwarded.id), copy, 'the copy still waits, unrejected');
    assert.equal(await lostPupilStatus(lost.record.id), 'found');
  });

  test("a lost pupil's download and its confirmation: not recorded as downloaded, not found", async () => {
    const w = await world();
    const lost = await makeLostPupil(db(), stores.files, { from: school(w.a1.number) });
    const id = lost.record.id;
    const { ticket } = await lostPupils().attestDownload(w.lostPupilUser, id, true);
    const before = await snapshot(id);
    await refusedWithAudit('lost-pupil-downloaded', () => lostPupils().download(w.lostPupilUser, id, ticket));
    assert.deepEqual(await snapshot(id), before);

    (await lostPupils().download(w.lostPupilUser, id, ticket)).stream.destroy();
    const downloaded = await snapshot(id);
    await refusedWithAudit('lost-pupil-found', () => lostPupils().confirmFound(w.lostPupilUser, id));
    assert.deepEqual([await snapshot(id), await lostPupilStatus(id)], [downloaded, 'lost']);
  });

  test('a match closed as found: the case stays open, the record lost', async () => {
    const w = await world();
    const upn = 'W123456789012';
    const lost = await makeLostPupil(db(), stores.files, {
      from: school(w.a1.number),
      pupil: { upn, surname: 'Wren', forename: 'Robin', dateOfBirth: '2014-02-03' },
    });
    await seenInCtf(db(), stores.files, {
      upn,
      from: school(w.b1.number),
      arrival: w.a2,
      at: clock.now(),
    });
    const match = await db()
      .selectFrom('lost_pupil_matches')
      .selectAll()
      .where('lost_pupil_id', '=', lost.record.id)
      .executeTakeFirstOrThrow();
    const state = async () => ({
      match: (
        await db()
          .selectFrom('lost_pupil_matches')
          .select('status')
          .where('id', '=', match.id)
          .executeTakeFirstOrThrow()
      ).status,
      record: await lostPupilStatus(lost.record.id),
      ...(await snapshot(lost.record.id)),
    });
    const before = await state();
    await refusedWithAudit('lost-pupil-match-closed', () =>
      new MatchesService(deps()).close(w.lostPupilUser, match.id, 'found'),
    );
    assert.deepEqual(await state(), before);
    assert.deepEqual([before.match, before.record], ['open', 'lost']);
  });

  test("a lost pupil record's removal by its LA: the record and its file stay", async () => {
    const w = await world();
    const lost = await makeLostPupil(db(), stores.files, { from: school(w.a1.number) });
    await db().updateTable('lost_pupils').set({ status: 'found' }).where('id', '=', lost.record.id).execute();
    const reviews = new LostPupilReviewService(deps());
    const before = await snapshot(lost.record.id);
    await refusedWithAudit('lost-pupil-removed', () =>
      reviews.remove(w.lostPupilUser, [lost.record.id], 'destination-known'),
    );
    assert.deepEqual(await snapshot(lost.record.id), before);
    assert.equal(await lostPupilStatus(lost.record.id), 'found');
  });

  test('the purge job: a file whose purge is not audited is not marked purged, and is purged next run', async () => {
    const w = await world();
    const file = await waiting(w);
    await db()
      .updateTable('transfers')
      .set({ status: 'rejected', rejected_at: '2026-10-01T09:00:00.000Z' })
      .where('id', '=', file.id)
      .execute();
    const before = await snapshot(file.id);
    const allow = await refuseAuditEvents(database(), 'file-purged');
    try {
      const run = await purgeExpiredContent(db(), stores.files, clock, createLogger('silent'));
      assert.ok(run.failed >= 1, 'counted as failed, to be tried again');
    } finally {
      await allow();
    }
    assert.deepEqual(await snapshot(file.id), before, 'still holding its content key and pupils');
    await purgeExpiredContent(db(), stores.files, clock);
    const purged = await getTransfer(db(), file.id);
    assert.deepEqual([purged?.storage_key, (await pupilsOf(db(), file.id)).length], [null, 0]);
  });
  test("a census return's load, submission and approval: no version, no change of status, no email", async () => {
    const w = await world();
    const returns = new CensusReturnsService(deps());
    const admin = await makeUser(db(), 'national_admin');
    const collectionId = await liveCollection(db(), admin, [w.laA.number]);
    const load = () =>
      returns.load(
        w.receiver,
        collectionId,
        censusFilename(w.a1.number),
        Readable.from([Buffer.from(censusReturnXml({ school: w.a1.number, year: 2026 }))]),
        false,
      );
    const versions = async () =>
      db()
        .selectFrom('census_returns')
        .select(['id', 'status'])
        .where('collection_id', '=', collectionId)
        .execute();
    const before = await snapshot();
    await refusedWithAudit('census-return-loaded', load);
    assert.deepEqual([await snapshot(), await versions()], [before, []]);

    const loaded = await load();
    assert.equal(loaded.status, 'loaded');
    const id = (loaded as { returnId: string }).returnId;
    const asLoaded = [await snapshot(), await versions()];
    await refusedWithAudit('census-return-submitted', () => returns.submit(w.receiver, id, true));
    assert.deepEqual([await snapshot(), await versions()], asLoaded);

    await returns.submit(w.receiver, id, true);
    const asSubmitted = [await snapshot(), await versions()];
    await refusedWithAudit('census-return-approved', () => returns.approve(w.laUser, id));
    assert.deepEqual([await snapshot(), await versions()], asSubmitted);
    assert.equal((await versions())[0]?.status, 'submitted');
  });
});
