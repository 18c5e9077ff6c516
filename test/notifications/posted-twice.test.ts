// The operator's Run now posted twice (a double click, Back and Run now, a browser resending; at once, on
// one app node or two): the job runs once, audited once, and the second answer says it ran (or is running)
// already, where it ran the job a second time (a second weekly reminder to every school). Send again
// posted twice puts the emails back in the queue once (its update is made only while they have failed) and
// now audits it once, where the second post recorded a second event of sending again, of no emails. Send
// again of a failure the page showed, which was sent again and failed again before the post arrived (the
// same form posted twice around the sender's next attempt, or another operator's Send again), leaves the
// new failure and says so, where it queued the email again one more time than asked. Send all failed emails
// again says as failed again only emails the page showed, where it counted every email failed as it
// answered: one that first failed after the page was shown (sent again by someone else, and failed again;
// or, on PostgreSQL, failing between its update and its count) too. And it puts back only the failures the
// page showed, where it put back an email waiting to be sent as the page was shown that failed after it;
// nor does it count one that failed after the page was shown, was sent again by someone else and failed
// again (decision 63).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { LightMyRequestResponse } from 'fastify';
import { emailContext } from '../../src/jobs.ts';
import { deliverDue } from '../../src/notifications/delivery.ts';
import { enqueueNotification, getNotification } from '../../src/notifications/outbox.ts';
import type { Db } from '../../src/platform/db/schema.ts';
import { MasterKey } from '../../src/platform/storage/envelope.ts';
import {
  describeEachEngine,
  firstHeldThenAnother,
  holdingAfterInsertInto,
  holdingAfterUpdateOf,
  type TestDatabase,
  twiceAtOnce,
} from '../support/databases.ts';
import { makeLa, makeUser } from '../support/factories.ts';
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
      // The second's answer as its browser shows it next, with its own message.
      const [, second] = answers;
      assert.ok(second);
      agent.adopt(second);
      const flash = await agent.get('/admin/jobs');
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

  /**
   * A failed email in the outbox. `unwritable`: its facts lack what its template needs, so each attempt of
   * the sender fails it again (failed; sent to an LA that has an address); otherwise its recipient (school
   * 9999999) has no address (no-address). Written `at` (now by the machine's clock, when not given).
   */
  async function failedEmail(db: Db, unwritable = false, at = new Date()): Promise<string> {
    const key = `posted-twice-${Math.random()}`;
    await enqueueNotification(db, {
      at,
      template: 'new-message',
      recipientKind: unwritable ? 'la' : 'school',
      recipient: unwritable ? (await makeLa(db)).number : '9999999',
      payload: (unwritable ? {} : { fromName: 'Testshire LA', sentAt: '2026-11-20T09:00:00.000Z' }) as never,
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

  /**
   * The sender's run (deliverDue, as the send-notifications job makes it): the email sent again fails
   * again, its recipient (school 9999999) having no address in the directory.
   */
  async function senderRuns(t: TestApp): Promise<void> {
    await deliverDue({
      db: t.deps.db,
      mailer: t.deps.mailer,
      clock: t.clock,
      logger: t.deps.logger,
      email: emailContext(t.deps.config),
      owner: 'test-sender',
    });
  }

  async function statusOf(db: Db, id: string) {
    const row = await getNotification(db, id);
    return { status: row?.status, queuedAt: row?.queued_at };
  }

  /** The hidden fields of the list's form of chosen emails (of its Send again forms, the one with boxes). */
  function choiceFormFields(html: string): Record<string, string[]> {
    const form = html
      .split('<form ')
      .map((part) => `<form ${part}`)
      .find(
        (part) =>
          part.startsWith('<form method="post" action="/admin/notifications/send-again"') &&
          part.includes('type="checkbox"'),
      );
    assert.ok(form, 'the form of chosen emails');
    return hiddenFields(form, '/admin/notifications/send-again');
  }

  const SENT_AGAIN_ALREADY =
    /No emails were put back in the queue: they had been sent again already, after this page was shown, and failed again since\. To send them once more, open the page again and press Send again\./;

  test('Send again of an email that failed again, sent again by someone else, before the post arrived: not put back again; the answer says so', async () => {
    const t = await createTestApp(database().db);
    try {
      const id = await failedEmail(database().db);
      const agent = await signedIn(t);
      const other = await signedIn(t);
      const page = `/admin/notifications/${id}`;
      const form = { ...hiddenFields((await agent.get(page)).body, '/admin/notifications/send-again') };
      // Another operator sends it again meanwhile, and it fails again.
      t.clock.advanceMinutes(1);
      await other.post('/admin/notifications/send-again', {
        ...hiddenFields((await other.get(page)).body, '/admin/notifications/send-again'),
      });
      await senderRuns(t);
      const failedAgain = await statusOf(database().db, id);
      assert.equal(failedAgain.status, 'no-address');
      t.clock.advanceMinutes(1);
      const answer = await agent.post('/admin/notifications/send-again', form);
      assert.equal(answer.statusCode, 303);
      assert.equal(answer.headers.location, page);
      assert.match(textOf((await agent.get(page)).body), SENT_AGAIN_ALREADY);
      assert.deepEqual(await statusOf(database().db, id), failedAgain, 'left failed, not queued again');
      assert.equal(await sentAgainEvents(database().db, id), 1);
    } finally {
      await t.app.close();
    }
  });

  test('Send again of chosen emails posted twice around another failure: put back once; the second says so', async () => {
    const t = await createTestApp(database().db);
    try {
      const id = await failedEmail(database().db);
      const agent = await signedIn(t);
      const list = '/admin/notifications?status=failed';
      const form = { ...choiceFormFields((await agent.get(list)).body), ids: [id] };
      assert.equal((await agent.post('/admin/notifications/send-again', form)).statusCode, 303);
      await senderRuns(t);
      const failedAgain = await statusOf(database().db, id);
      assert.equal(failedAgain.status, 'no-address');
      t.clock.advanceMinutes(1);
      const again = await agent.post('/admin/notifications/send-again', form);
      assert.equal(again.statusCode, 303);
      assert.match(textOf((await agent.get(list)).body), SENT_AGAIN_ALREADY);
      assert.deepEqual(await statusOf(database().db, id), failedAgain, 'left failed, not queued again');
      assert.equal(await sentAgainEvents(database().db, id), 1);
    } finally {
      await t.app.close();
    }
  });

  test('Send all failed emails again posted twice around another failure: put back once; the second says so', async () => {
    const t = await createTestApp(database().db);
    try {
      // Of this suite's database, whose other tests leave failed emails: each is put back by the first post.
      // Written before the page is shown (by the app's clock), as an email on it was.
      const id = await failedEmail(database().db, true, t.clock.now());
      const agent = await signedIn(t);
      const page = await agent.get('/admin/notifications');
      const form = { ...hiddenFields(page.body, '/admin/notifications/send-again'), all: 'failed' };
      assert.equal((await agent.post('/admin/notifications/send-again', form)).statusCode, 303);
      // The email put back fails again (and every other queued one of the suite).
      await senderRuns(t);
      assert.equal((await statusOf(database().db, id)).status, 'failed');
      t.clock.advanceMinutes(1);
      const again = await agent.post('/admin/notifications/send-again', form);
      assert.equal(again.statusCode, 303);
      assert.match(textOf((await agent.get('/admin/notifications')).body), SENT_AGAIN_ALREADY);
      assert.equal((await statusOf(database().db, id)).status, 'failed', 'left failed, not queued again');
    } finally {
      await t.app.close();
    }
  });

  test('Send again of two chosen emails, one sent again and failed again since the page: the other is put back, and the answer says which', async () => {
    const t = await createTestApp(database().db);
    try {
      const one = await failedEmail(database().db);
      const two = await failedEmail(database().db);
      const agent = await signedIn(t);
      const other = await signedIn(t);
      const list = '/admin/notifications?status=failed';
      const form = { ...choiceFormFields((await agent.get(list)).body), ids: [one, two] };
      // Another operator sends the first again meanwhile, and it fails again.
      await other.post('/admin/notifications/send-again', {
        ...choiceFormFields((await other.get(list)).body),
        ids: [one],
      });
      await senderRuns(t);
      const failedAgain = await statusOf(database().db, one);
      assert.equal(failedAgain.status, 'no-address');
      assert.ok(failedAgain.queuedAt, 'sent again by the other');
      t.clock.advanceMinutes(1);
      assert.equal((await agent.post('/admin/notifications/send-again', form)).statusCode, 303);
      assert.match(
        textOf((await agent.get(list)).body),
        /1 email will be sent again\. 1 other email had been sent again already, after this page was shown, and failed again since: it was left as it is\. To send it once more, open the page again and press Send again\./,
      );
      assert.deepEqual(await statusOf(database().db, one), failedAgain, 'left failed, not queued again');
      assert.equal((await statusOf(database().db, two)).status, 'pending');
    } finally {
      await t.app.close();
    }
  });

  test('Send all failed emails again: an email that first failed after the page was shown (sent again by someone else since, and failed again) is not said to be one the page showed', async () => {
    const t = await createTestApp(database().db);
    try {
      // A day on from the suite's other tests, whose failed emails this Send all puts back.
      t.clock.advanceMinutes(24 * 60);
      const agent = await signedIn(t);
      const other = await signedIn(t);
      const shown = hiddenFields(
        (await agent.get('/admin/notifications')).body,
        '/admin/notifications/send-again',
      );
      const form = { ...shown, all: 'failed' };
      // After the page was shown, a new email fails; another operator sends it again, and it fails again.
      t.clock.advanceMinutes(1);
      const id = await failedEmail(database().db, true, t.clock.now());
      const page = `/admin/notifications/${id}`;
      await other.post('/admin/notifications/send-again', {
        ...hiddenFields((await other.get(page)).body, '/admin/notifications/send-again'),
      });
      await senderRuns(t);
      const failedAgain = await statusOf(database().db, id);
      assert.equal(failedAgain.status, 'failed');
      t.clock.advanceMinutes(1);
      assert.equal((await agent.post('/admin/notifications/send-again', form)).statusCode, 303);
      const said = textOf((await agent.get('/admin/notifications')).body);
      assert.doesNotMatch(said, /failed again since/);
      assert.match(
        said,
        /(emails? will be sent again|No emails were put back in the queue: they had been sent again already\.)/,
      );
      assert.deepEqual(await statusOf(database().db, id), failedAgain, 'left failed, not queued again');
    } finally {
      await t.app.close();
    }
  });

  test('Send all failed emails again while another email fails (between its update and its count, on PostgreSQL): that one is not said to be one the page showed', async () => {
    // Held once its update has put the failed emails back, inside its transaction.
    const hold = holdingAfterUpdateOf(database().db, 'notification_outbox');
    const t = await createTestApp(hold.db);
    try {
      t.clock.advanceMinutes(2 * 24 * 60);
      const agent = await signedIn(t);
      // Waiting to be sent as the page is shown; it fails while the Send all is held.
      const key = `posted-twice-${Math.random()}`;
      await enqueueNotification(database().db, {
        at: t.clock.now(),
        template: 'new-message',
        recipientKind: 'la',
        recipient: (await makeLa(database().db)).number,
        payload: {} as never,
        dedupeKey: key,
      });
      await failedEmail(database().db, true, t.clock.now());
      const shown = hiddenFields(
        (await agent.get('/admin/notifications')).body,
        '/admin/notifications/send-again',
      );
      t.clock.advanceMinutes(1);
      const [answer] = await firstHeldThenAnother(
        database(),
        hold,
        () => agent.post('/admin/notifications/send-again', { ...shown, all: 'failed' }),
        async () => {
          await database()
            .db.updateTable('notification_outbox')
            .set({ status: 'failed', attempts: 4, last_error: '550 mailbox unavailable' })
            .where('dedupe_key', '=', key)
            .execute();
          return undefined;
        },
      );
      assert.equal(answer?.statusCode, 303);
      const said = textOf((await agent.get('/admin/notifications')).body);
      assert.match(said, /emails? will be sent again\./);
      assert.doesNotMatch(said, /failed again since/);
    } finally {
      await t.app.close();
    }
  });
  /**
   * An email its sender fails (its facts lack what its template needs; to an LA that has an address), written
   * `at` by the app's clock: waiting to be sent until the sender's next run (senderRuns).
   */
  async function failingEmail(t: TestApp): Promise<string> {
    const key = `posted-twice-${Math.random()}`;
    await enqueueNotification(t.deps.db, {
      at: t.clock.now(),
      template: 'new-message',
      recipientKind: 'la',
      recipient: (await makeLa(t.deps.db)).number,
      payload: {} as never,
      dedupeKey: key,
    });
    const row = await t.deps.db
      .selectFrom('notification_outbox')
      .select('id')
      .where('dedupe_key', '=', key)
      .executeTakeFirstOrThrow();
    return row.id;
  }

  /** The page's Send all failed emails again form (shown only while some email has failed). */
  function sendAllForm(html: string): Record<string, string | string[]> {
    const fields = hiddenFields(html, '/admin/notifications/send-again');
    assert.ok(fields.shownAt, 'the page has its Send all failed emails again');
    return { ...fields, all: 'failed' };
  }

  /** Another operator's Send again of the email, from its own page. */
  async function sentAgainBy(operator: Agent, id: string): Promise<void> {
    const page = `/admin/notifications/${id}`;
    const answer = await operator.post('/admin/notifications/send-again', {
      ...hiddenFields((await operator.get(page)).body, '/admin/notifications/send-again'),
    });
    assert.equal(answer.statusCode, 303);
  }

  test('Send all failed emails again puts back only the failures its page showed: not an email waiting to be sent as the page was shown (written before it, or sent again before it) that failed after it', async () => {
    const t = await createTestApp(database().db);
    try {
      // Days on from the suite's other tests, whose failed emails this Send all puts back.
      t.clock.advanceMinutes(3 * 24 * 60);
      const agent = await signedIn(t);
      const other = await signedIn(t);
      const shown = await failingEmail(t);
      const againBefore = await failingEmail(t);
      await senderRuns(t);
      assert.equal((await statusOf(database().db, shown)).status, 'failed');
      t.clock.advanceMinutes(1);
      // Waiting as the page is shown: one written before it, one sent again before it.
      const waiting = await failingEmail(t);
      await sentAgainBy(other, againBefore);
      t.clock.advanceMinutes(1);
      const page = await agent.get('/admin/notifications');
      const form = sendAllForm(page.body);
      t.clock.advanceMinutes(1);
      // Both fail after the page was shown.
      await senderRuns(t);
      const failedAfter = [
        await statusOf(database().db, waiting),
        await statusOf(database().db, againBefore),
      ];
      assert.deepEqual(
        failedAfter.map((s) => s.status),
        ['failed', 'failed'],
      );
      t.clock.advanceMinutes(1);
      assert.equal((await agent.post('/admin/notifications/send-again', form)).statusCode, 303);
      assert.equal((await statusOf(database().db, shown)).status, 'pending', 'the failure shown is put back');
      assert.deepEqual(
        [await statusOf(database().db, waiting), await statusOf(database().db, againBefore)],
        failedAfter,
        'the failures after the page was shown are left as they are',
      );
      const said = textOf((await agent.get('/admin/notifications')).body);
      assert.match(said, /emails? will be sent again\./);
      assert.doesNotMatch(said, /failed again since/);
    } finally {
      await t.app.close();
    }
  });

  test('Send all failed emails again: an email waiting to be sent as the page was shown (written before it) that failed after it, was sent again by someone else and failed again, is not said to be one the page showed', async () => {
    const t = await createTestApp(database().db);
    try {
      t.clock.advanceMinutes(4 * 24 * 60);
      const agent = await signedIn(t);
      const other = await signedIn(t);
      // The page shows a failure (so it has its Send all), and one email waiting to be sent.
      const shown = await failingEmail(t);
      await senderRuns(t);
      const waiting = await failingEmail(t);
      t.clock.advanceMinutes(1);
      const page = await agent.get('/admin/notifications');
      const form = sendAllForm(page.body);
      t.clock.advanceMinutes(1);
      await senderRuns(t);
      assert.equal((await statusOf(database().db, waiting)).status, 'failed', 'first failed after the page');
      t.clock.advanceMinutes(1);
      await sentAgainBy(other, waiting);
      await senderRuns(t);
      const failedAgain = await statusOf(database().db, waiting);
      assert.equal(failedAgain.status, 'failed', 'and failed again');
      t.clock.advanceMinutes(1);
      assert.equal((await agent.post('/admin/notifications/send-again', form)).statusCode, 303);
      assert.equal((await statusOf(database().db, shown)).status, 'pending', 'the failure shown is put back');
      const said = textOf((await agent.get('/admin/notifications')).body);
      assert.match(said, /emails? will be sent again\./);
      assert.doesNotMatch(said, /failed again since/);
      assert.deepEqual(await statusOf(database().db, waiting), failedAgain, 'left failed, not queued again');
    } finally {
      await t.app.close();
    }
  });

  test('Send all failed emails again: a failure the page showed, sent again by someone else since and failed again, is left, and said to be so', async () => {
    const t = await createTestApp(database().db);
    try {
      t.clock.advanceMinutes(5 * 24 * 60);
      const agent = await signedIn(t);
      const other = await signedIn(t);
      const shown = await failingEmail(t);
      await senderRuns(t);
      t.clock.advanceMinutes(1);
      const page = await agent.get('/admin/notifications');
      const form = sendAllForm(page.body);
      t.clock.advanceMinutes(1);
      await sentAgainBy(other, shown);
      await senderRuns(t);
      const failedAgain = await statusOf(database().db, shown);
      assert.equal(failedAgain.status, 'failed');
      t.clock.advanceMinutes(1);
      assert.equal((await agent.post('/admin/notifications/send-again', form)).statusCode, 303);
      assert.match(
        textOf((await agent.get('/admin/notifications')).body),
        /1 other email had been sent again already, after this page was shown, and failed again since: it was left as it is\./,
      );
      assert.deepEqual(await statusOf(database().db, shown), failedAgain, 'left failed, not queued again');
    } finally {
      await t.app.close();
    }
  });
  test('Send all failed emails again while another operator sends again an email that failed after its page was shown, and it fails again (between its update and its count, on PostgreSQL): that one is not said to be one the page showed', async () => {
    // The admin's node, its Send all held once its update has put the failed emails back, inside its
    // transaction; the other operator and the sender on another node (on SQLite, of this process's one
    // connection: its writes wait for the held transaction's end, as another process's would).
    const hold = holdingAfterUpdateOf(database().db, 'notification_outbox');
    const t = await createTestApp(hold.db);
    const node = await createTestApp(database().db);
    const advance = (minutes: number) => {
      t.clock.advanceMinutes(minutes);
      node.clock.advanceMinutes(minutes);
    };
    try {
      advance(6 * 24 * 60);
      const agent = await signedIn(t);
      const other = await signedIn(node);
      await failingEmail(node);
      await senderRuns(node);
      const waiting = await failingEmail(node);
      advance(1);
      const form = sendAllForm((await agent.get('/admin/notifications')).body);
      advance(1);
      await senderRuns(node);
      assert.equal((await statusOf(database().db, waiting)).status, 'failed', 'failed after the page');
      advance(1);
      const [answer] = await firstHeldThenAnother(
        database(),
        hold,
        () => agent.post('/admin/notifications/send-again', form),
        async () => {
          await sentAgainBy(other, waiting);
          await senderRuns(node);
          return undefined;
        },
      );
      assert.equal(answer?.statusCode, 303);
      assert.equal((await statusOf(database().db, waiting)).status, 'failed', 'sent again, and failed again');
      const said = textOf((await agent.get('/admin/notifications')).body);
      assert.match(said, /emails? will be sent again\./);
      assert.doesNotMatch(said, /failed again since/);
    } finally {
      await t.app.close();
      await node.app.close();
    }
  });
});
