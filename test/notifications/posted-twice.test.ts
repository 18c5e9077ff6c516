// The operator's Run now posted twice (a double click, Back and Run now, a browser resending; at once, on
// one app node or two): the job runs once, audited once, and the second answer says it ran (or is running)
// already, where it ran the job a second time (a second weekly reminder to every school). Send again
// posted twice puts the emails back in the queue once (its update is made only while they have failed) and
// now audits it once, where the second post recorded a second event of sending again, of no emails.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { LightMyRequestResponse } from 'fastify';
import { enqueueNotification } from '../../src/notifications/outbox.ts';
import type { Db } from '../../src/platform/db/schema.ts';
import { MasterKey } from '../../src/platform/storage/envelope.ts';
import {
  describeEachEngine,
  holdingAfterInsertInto,
  type TestDatabase,
  twiceAtOnce,
} from '../support/databases.ts';
import { makeUser } from '../support/factories.ts';
import { Agent, anotherNode, createTestApp, hiddenFields, type TestApp, textOf } from '../support/web.ts';

const RUN = '/admin/jobs/purge-files/run';

async function signedIn(t: TestApp): Promise<Agent> {
  const user = await makeUser(t.deps.db, 'national_admin', { laNumber: null });
  const agent = new Agent(t.app);
  assert.equal((await agent.signIn(user.username)).statusCode, 302);
  return agent;
}

/** How many manual runs of purge-files there are, and audit events of runs by hand. */
async function runsByHand(db: Db) {
  const runs = await db
    .selectFrom('job_runs')
    .select('id')
    .where('job', '=', 'purge-files')
    .where('trigger', '=', 'manual')
    .execute();
  const audits = await db
    .selectFrom('audit_events')
    .select('id')
    .where('action', '=', 'job-run-by-hand')
    .execute();
  return { runs: runs.length, audits: audits.length };
}

/** What the requests in `made` added to runsByHand. */
async function added(db: Db, made: () => Promise<void>) {
  const before = await runsByHand(db);
  await made();
  const after = await runsByHand(db);
  return { runs: after.runs - before.runs, audits: after.audits - before.audits };
}

describeEachEngine('Run now and Send again posted twice', (database: () => TestDatabase) => {
  test('posted again: the job runs once, and the second answer says it ran already', async () => {
    const t = await createTestApp(database().db);
    try {
      const agent = await signedIn(t);
      const form = hiddenFields((await agent.get('/admin/jobs')).body, RUN);
      let again: LightMyRequestResponse | undefined;
      const made = await added(database().db, async () => {
        assert.equal((await agent.post(RUN, form)).statusCode, 303);
        await agent.get('/admin/jobs');
        again = await agent.post(RUN, form);
      });
      assert.equal(again?.statusCode, 303);
      assert.equal(again?.headers.location, '/admin/jobs');
      assert.match(
        textOf((await agent.get('/admin/jobs')).body),
        /purge-files ran already, when you first pressed Run now: .+ It was not run again\. To run it again, press Run now once more\./,
      );
      assert.deepEqual(made, { runs: 1, audits: 1 });
    } finally {
      await t.app.close();
    }
  });

  test('posted twice at once, on two app nodes: the job runs once; the second says it is running', async () => {
    const hold = holdingAfterInsertInto(database().db, 'job_runs');
    // Two nodes of one service: one master key (so one cookie secret), one database.
    const env = { MASTER_KEY: MasterKey.generate().toBase64() };
    const t = await createTestApp(hold.db, env);
    const other = await anotherNode(database(), env);
    try {
      const agent = await signedIn(t);
      const form = hiddenFields((await agent.get('/admin/jobs')).body, RUN);
      let answers: LightMyRequestResponse[] = [];
      const made = await added(database().db, async () => {
        let posts = 0;
        answers = await twiceAtOnce(database(), hold, () => {
          posts += 1;
          return agent.post(RUN, form, posts === 1 ? {} : { node: other.app });
        });
      });
      assert.deepEqual(
        answers.map((a) => a.statusCode),
        [303, 303],
      );
      // The second's answer as its browser shows it next: its flash cookie before the session's.
      const cookie = [
        ...(answers[1]?.cookies ?? []).map((c) => `${c.name}=${encodeURIComponent(c.value)}`),
        agent.session().cookie,
      ].join('; ');
      const flash = await t.app.inject({ method: 'GET', url: '/admin/jobs', headers: { cookie } });
      assert.match(
        textOf(flash.body),
        /purge-files is running already: it started when you first pressed Run now, and was not started again\./,
      );
      assert.deepEqual(made, { runs: 1, audits: 1 });
    } finally {
      await t.app.close();
      await other.close();
    }
  });

  /** A failed email in the outbox. */
  async function failedEmail(db: Db): Promise<string> {
    const key = `posted-twice-${Math.random()}`;
    await enqueueNotification(db, {
      at: new Date(),
      template: 'new-message',
      recipientKind: 'school',
      recipient: '9999999',
      payload: { fromName: 'Testshire LA', sentAt: '2026-11-20T09:00:00.000Z' } as never,
      dedupeKey: key,
    });
    await db
      .updateTable('notification_outbox')
      .set({ status: 'failed', attempts: 4, last_error: '550 mailbox unavailable' })
      .where('dedupe_key', '=', key)
      .execute();
    const row = await db
      .selectFrom('notification_outbox')
      .select('id')
      .where('dedupe_key', '=', key)
      .executeTakeFirstOrThrow();
    return row.id;
  }

  async function sentAgainEvents(db: Db, id: string): Promise<number> {
    const rows = await db
      .selectFrom('audit_events')
      .select('detail')
      .where('action', '=', 'emails-sent-again')
      .execute();
    return rows.filter((r) => r.detail?.includes(id)).length;
  }

  test('Send again posted again: queued once, audited once', async () => {
    const t = await createTestApp(database().db);
    try {
      const id = await failedEmail(database().db);
      const agent = await signedIn(t);
      await agent.get('/admin/notifications?status=failed');
      const form = { ids: [id], status: ['failed'] };
      assert.equal((await agent.post('/admin/notifications/send-again', form)).statusCode, 303);
      assert.equal((await agent.post('/admin/notifications/send-again', form)).statusCode, 303);
      assert.equal(await sentAgainEvents(database().db, id), 1);
    } finally {
      await t.app.close();
    }
  });

  test('Send again posted twice at once: audited once', async () => {
    const env = { MASTER_KEY: MasterKey.generate().toBase64() };
    // Signed in on one node; the posts go to another whose first audit event is held.
    const t = await createTestApp(database().db, env);
    const hold = holdingAfterInsertInto(database().db, 'audit_events');
    const held = await createTestApp(hold.db, env);
    try {
      const id = await failedEmail(database().db);
      const agent = await signedIn(t);
      await agent.get('/admin/notifications?status=failed');
      const form = { ids: [id], status: ['failed'] };
      const answers = await twiceAtOnce(database(), hold, () =>
        agent.post('/admin/notifications/send-again', form, { node: held.app }),
      );
      assert.deepEqual(
        answers.map((a) => a.statusCode),
        [303, 303],
      );
      assert.equal(await sentAgainEvents(database().db, id), 1);
    } finally {
      await t.app.close();
      await held.app.close();
    }
  });
});
