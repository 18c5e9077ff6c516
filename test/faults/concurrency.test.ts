// Two people at once (issue 12.4), on both engines: two users of the receiving school accept the same
// file at the same moment, or one accepts while another rejects. Exactly one change is made: one
// "collected" (or "rejected") audit record and one email to the sender, never two, and never both
// outcomes. (Two job workers sending one weekly reminder: test/notifications/reminder-workers.test.ts.)
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ManualClock } from '../../src/platform/clock.ts';
import { createLogger } from '../../src/platform/logger.ts';
import { DownloadService } from '../../src/transfers/download-service.ts';
import { getTransfer } from '../../src/transfers/repository.ts';
import { describeEachEngine } from '../support/databases.ts';
import { makeLa, makeSchool, makeUser } from '../support/factories.ts';
import { actorOf, makeFileStores, makeTransfer, readAll, school } from '../support/transfers.ts';

describeEachEngine('two users at once', (database) => {
  const stores = makeFileStores();
  const clock = new ManualClock('2026-11-23T09:00:00.000Z');
  // Two services, as two requests (or two app processes) would each have.
  const service = () =>
    new DownloadService({ db: database().db, files: stores.files, clock, logger: createLogger('silent') });

  async function downloadedFile() {
    const db = database().db;
    const laA = await makeLa(db);
    const receiving = await makeSchool(db, laA.number);
    const sending = await makeSchool(db, (await makeLa(db)).number);
    const first = actorOf(await makeUser(db, 'school', { establishmentNumber: receiving.number }));
    const second = actorOf(await makeUser(db, 'school', { establishmentNumber: receiving.number }));
    const sent = await makeTransfer(db, stores.files, {
      from: school(sending.number),
      to: school(receiving.number),
    });
    const download = await service().download(first, 'ctf', [sent.row.id], 'download');
    await readAll(download.stream);
    return { db, first, second, id: sent.row.id };
  }

  async function eventsOf(id: string) {
    const db = database().db;
    const audit = await db.selectFrom('audit_events').select('action').where('subject_id', '=', id).execute();
    const emails = await db
      .selectFrom('notification_outbox')
      .select('template')
      .where('payload', 'like', `%${(await getTransfer(db, id))?.filename}%`)
      .execute();
    return { actions: audit.map((a) => a.action), templates: emails.map((e) => e.template) };
  }

  test('two users accept the same file at once: one is recorded, both are told it is collected', async () => {
    const { first, second, id } = await downloadedFile();
    const outcomes = await Promise.all([
      service().collect(first, 'ctf', [id]),
      service().collect(second, 'ctf', [id]),
    ]);
    for (const outcome of outcomes)
      assert.deepEqual(
        outcome.collected.map((f) => f.id),
        [id],
      );
    const { actions, templates } = await eventsOf(id);
    assert.equal(actions.filter((a) => a === 'file-collected').length, 1, actions.join(', '));
    assert.equal(templates.filter((t) => t === 'file-downloaded').length, 1, templates.join(', '));
  });

  test('one accepts while another rejects: exactly one of them happens', async () => {
    const { first, second, id } = await downloadedFile();
    const [accepted, rejected] = await Promise.allSettled([
      service().collect(first, 'ctf', [id]),
      service().reject(second, 'ctf', id, 'Not our pupil'),
    ]);
    const row = await getTransfer(database().db, id);
    const { actions } = await eventsOf(id);
    const decisions = actions.filter((a) => a === 'file-collected' || a === 'file-rejected');
    assert.equal(decisions.length, 1, actions.join(', '));
    if (row?.status === 'collected') {
      assert.deepEqual(decisions, ['file-collected']);
      assert.equal(rejected.status, 'rejected', 'the rejection is refused, with its reason');
    } else {
      assert.equal(row?.status, 'rejected');
      assert.deepEqual(decisions, ['file-rejected']);
      assert.ok(accepted.status === 'fulfilled' && accepted.value.collected.length === 0);
    }
  });
});
