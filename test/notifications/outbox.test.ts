import assert from 'node:assert/strict';
import { test } from 'node:test';
import { dueNotifications, enqueueNotification } from '../../src/notifications/outbox.ts';
import { describeEachEngine } from '../support/databases.ts';

describeEachEngine('notification outbox', (database) => {
  test('a notification written with its event is due from its creation time, in order', async () => {
    const { db } = database();
    const at = new Date('2026-11-23T10:00:00.000Z');
    await db.transaction().execute(async (tx) => {
      await enqueueNotification(tx, {
        at,
        template: 'ctf-uploaded',
        recipientKind: 'school',
        recipient: '8171234',
        payload: { filename: '9165402_CTF_8171234_003.XML', from: 'Cotswold Edge Primary School' },
      });
      await enqueueNotification(tx, {
        at: new Date('2026-11-23T10:00:01.000Z'),
        template: 'upload-confirmed',
        recipientKind: 'school',
        recipient: '9165402',
        payload: { filename: '9165402_CTF_8171234_003.XML' },
      });
    });
    assert.equal((await dueNotifications(db, new Date('2026-11-23T09:59:59.000Z'), 10)).length, 0);
    const due = await dueNotifications(db, new Date('2026-11-23T10:00:05.000Z'), 10);
    assert.deepEqual(
      due.map((n) => [n.template, n.recipient, n.status]),
      [
        ['ctf-uploaded', '8171234', 'pending'],
        ['upload-confirmed', '9165402', 'pending'],
      ],
    );
    assert.deepEqual(JSON.parse(due[0]?.payload ?? '{}'), {
      filename: '9165402_CTF_8171234_003.XML',
      from: 'Cotswold Edge Primary School',
    });
  });

  test('a rolled-back event leaves no notification', async () => {
    const { db } = database();
    await assert.rejects(
      db.transaction().execute(async (tx) => {
        await enqueueNotification(tx, {
          at: new Date('2026-11-24T10:00:00.000Z'),
          template: 'ctf-uploaded',
          recipientKind: 'school',
          recipient: '8170001',
          payload: { filename: 'x' },
        });
        throw new Error('the upload failed after the notification was written');
      }),
    );
    const due = await dueNotifications(db, new Date('2026-11-25T00:00:00.000Z'), 100);
    assert.equal(due.filter((n) => n.recipient === '8170001').length, 0);
  });
});
