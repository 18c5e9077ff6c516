// The transfers' forms posted twice: one after the other (a double click, Back and the button again, a
// browser or a program sending a request again) and at once (two requests racing, on two app nodes). The
// second changes nothing (no second audit event, no second email to the sender) and says what the first
// did, rather than an error page or "not found" for the file the user has just rejected or removed.
//
// At once: the first post holds after reading the file (as waiting), and the second, on another node
// (its own connection to the database), runs to its end; then the first goes on, from what it read.
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { LightMyRequestResponse } from 'fastify';
import type { Role } from '../../src/auth/permissions.ts';
import type { Db } from '../../src/platform/db/schema.ts';
import { createLogger } from '../../src/platform/logger.ts';
import { MasterKey } from '../../src/platform/storage/envelope.ts';
import { DownloadService } from '../../src/transfers/download-service.ts';
import { LaMonitorService } from '../../src/transfers/la-monitor-service.ts';
import { getTransfer } from '../../src/transfers/repository.ts';
import { api, makeToken } from '../api/support.ts';
import {
  describeEachEngine,
  holdingAfterSelectFrom,
  type TestDatabase,
  twiceAtOnce,
} from '../support/databases.ts';
import { makeLa, makeSchool, makeUser } from '../support/factories.ts';
import { actorOf, makeTransfer, readAll, school } from '../support/transfers.ts';
import { Agent, anotherNode, createTestApp, type TestApp, textOf } from '../support/web.ts';

/** How many times each of `actions` was audited for the file, and its emails of `templates`. */
async function doneTimes(db: Db, id: string, filename: string, actions: string[], templates: string[]) {
  const audited = await db
    .selectFrom('audit_events')
    .select('action')
    .where('subject_id', '=', id)
    .where('action', 'in', actions)
    .execute();
  const emails =
    templates.length === 0
      ? []
      : await db
          .selectFrom('notification_outbox')
          .select('template')
          .where('template', 'in', templates)
          .where('payload', 'like', `%${filename}%`)
          .execute();
  return { audited: audited.length, emails: emails.length };
}

describeEachEngine('transfer forms posted twice', (database: () => TestDatabase) => {
  /**
   * Two app nodes on one database, sharing the file store: `held`'s reads of transfers are held once
   * armed (its first), `other` has a connection of its own. Each a signed-in user's browser.
   */
  async function twoNodes() {
    let armed = false;
    const hold = holdingAfterSelectFrom(database().db, 'transfers', () => armed);
    const env = {
      FILE_STORE_DIR: mkdtempSync(join(tmpdir(), 's2s-files-')),
      MASTER_KEY: MasterKey.generate().toBase64(),
    };
    const held = await createTestApp(hold.db, env);
    const other = await anotherNode(database(), env);
    return {
      held,
      other,
      hold,
      arm: () => {
        armed = true;
      },
      /** The same request on each node at once: the held node's first, its answer first. */
      atOnce: (
        onHeld: () => Promise<LightMyRequestResponse>,
        onOther: () => Promise<LightMyRequestResponse>,
      ) => {
        let made = 0;
        armed = true;
        return twiceAtOnce(
          database(),
          hold,
          () => (made++ === 0 ? onHeld() : onOther()),
          () => {
            armed = false;
          },
        );
      },
      close: async () => {
        await held.app.close();
        await other.close();
      },
    };
  }

  async function world() {
    const db = database().db;
    const laA = await makeLa(db, { name: 'Ayshire' });
    const laB = await makeLa(db, { name: 'Beeshire' });
    const receiving = await makeSchool(db, laA.number, { name: 'Receiving Primary' });
    const sending = await makeSchool(db, laB.number, { name: 'Sending Primary' });
    return { db, laA, laB, receiving, sending };
  }

  /** The same user signed in on each app given (a browser each). */
  async function signedIn(
    apps: TestApp[],
    role: Role,
    org: { laNumber?: string; establishmentNumber?: string },
  ) {
    const user = await makeUser(database().db, role, org);
    const agents: Agent[] = [];
    for (const t of apps) {
      const agent = new Agent(t.app);
      assert.equal((await agent.signIn(user.username)).statusCode, 302, 'signed in');
      agents.push(agent);
    }
    return { user, agents };
  }

  const flashOf = async (agent: Agent, url: string) => textOf((await agent.get(url)).body);

  test('Reject posted again: rejected once, the sender emailed once, and the second answer says it was rejected already', async () => {
    const n = await twoNodes();
    try {
      const w = await world();
      const sent = await makeTransfer(w.db, n.held.deps.files, {
        from: school(w.sending.number),
        to: school(w.receiving.number),
      });
      const {
        agents: [agent],
      } = await signedIn([n.held], 'school', { establishmentNumber: w.receiving.number });
      const a = agent as Agent;
      const url = `/download/ctf/files/${sent.row.id}/reject`;
      await a.get(url);
      const first = await a.post(url, { reason: 'Pupil not known here' });
      assert.equal(first.statusCode, 302);
      await a.get('/download/ctf');
      const again = await a.post(url, { reason: 'Pupil not known here' });
      assert.equal(again.statusCode, 302, textOf(again.body));
      assert.equal(again.headers.location, '/download/ctf');
      assert.match(
        await flashOf(a, '/download/ctf'),
        new RegExp(
          `You have already rejected ${sent.row.filename}\\. Sending Primary will be sent an email with your reason\\.`,
        ),
      );
      const row = await getTransfer(w.db, sent.row.id);
      assert.deepEqual([row?.status, row?.reject_reason], ['rejected', 'Pupil not known here']);
      assert.deepEqual(
        await doneTimes(w.db, sent.row.id, sent.row.filename, ['file-rejected'], ['file-rejected']),
        { audited: 1, emails: 1 },
      );
    } finally {
      await n.close();
    }
  });

  test('Reject posted twice at once, on two app nodes: rejected once, and both answers say it is rejected', async () => {
    const n = await twoNodes();
    try {
      const w = await world();
      const sent = await makeTransfer(w.db, n.held.deps.files, {
        from: school(w.sending.number),
        to: school(w.receiving.number),
      });
      const { agents } = await signedIn([n.held, n.other], 'school', {
        establishmentNumber: w.receiving.number,
      });
      const [onHeld, onOther] = agents as [Agent, Agent];
      const url = `/download/ctf/files/${sent.row.id}/reject`;
      await onHeld.get(url);
      await onOther.get(url);
      const answers = await n.atOnce(
        () => onHeld.post(url, { reason: 'Pupil not known here' }),
        () => onOther.post(url, { reason: 'Pupil not known here' }),
      );
      assert.deepEqual(
        answers.map((answer) => [answer.statusCode, answer.headers.location]),
        [
          [302, '/download/ctf'],
          [302, '/download/ctf'],
        ],
      );
      assert.match(
        await flashOf(onHeld, '/download/ctf'),
        new RegExp(`You have already rejected ${sent.row.filename}\\.`),
      );
      assert.match(
        await flashOf(onOther, '/download/ctf'),
        new RegExp(`${sent.row.filename} has been rejected\\.`),
      );
      assert.deepEqual(
        await doneTimes(w.db, sent.row.id, sent.row.filename, ['file-rejected'], ['file-rejected']),
        { audited: 1, emails: 1 },
      );
    } finally {
      await n.close();
    }
  });

  for (const atOnce of [false, true]) {
    test(`Reject posted by two colleagues ${atOnce ? 'at once, on two app nodes' : 'one after the other'}: rejected once, with the first's reason, and the other lands on the list told a colleague rejected it`, async () => {
      const n = await twoNodes();
      try {
        const w = await world();
        const sent = await makeTransfer(w.db, n.held.deps.files, {
          from: school(w.sending.number),
          to: school(w.receiving.number),
        });
        const org = { establishmentNumber: w.receiving.number };
        const {
          agents: [onHeld],
        } = await signedIn([n.held], 'school', org);
        const {
          user: colleague,
          agents: [onOther],
        } = await signedIn([n.other], 'school', org);
        const [told, first] = [onHeld as Agent, onOther as Agent];
        const url = `/download/ctf/files/${sent.row.id}/reject`;
        await told.get(url);
        await first.get(url);
        // The held node's answer first: the one told.
        const [answer, firstAnswer] = atOnce
          ? await n.atOnce(
              () => told.post(url, { reason: 'Not on our roll' }),
              () => first.post(url, { reason: 'Pupil not known here' }),
            )
          : await (async () => {
              const done = await first.post(url, { reason: 'Pupil not known here' });
              return [await told.post(url, { reason: 'Not on our roll' }), done];
            })();
        assert.deepEqual(
          [firstAnswer.statusCode, firstAnswer.headers.location],
          [302, '/download/ctf'],
          'the colleague rejected it',
        );
        assert.deepEqual(
          [answer.statusCode, answer.headers.location],
          [302, '/download/ctf'],
          textOf(answer.body),
        );
        const said = await flashOf(told, '/download/ctf');
        assert.match(
          said,
          new RegExp(
            `${sent.row.filename} has already been rejected by a colleague, so it was not rejected again\\. Sending Primary will be sent an email with their reason, not yours\\.`,
          ),
        );
        assert.doesNotMatch(said, /You have already/);
        const row = await getTransfer(w.db, sent.row.id);
        assert.deepEqual(
          [row?.status, row?.rejected_by, row?.reject_reason],
          ['rejected', colleague.id, 'Pupil not known here'],
        );
        assert.deepEqual(
          await doneTimes(w.db, sent.row.id, sent.row.filename, ['file-rejected'], ['file-rejected']),
          { audited: 1, emails: 1 },
        );
        if (!atOnce) {
          // In Welsh, and the API's answer to a colleague's program stays a refusal (422).
          assert.equal((await told.get('/?lang=cy')).statusCode, 302, 'in Welsh');
          await told.get(url);
          const inWelsh = await told.post(url, { reason: 'Dim yn ein hysgol' });
          assert.equal(inWelsh.headers.location, '/download/ctf');
          assert.match(
            await flashOf(told, '/download/ctf'),
            new RegExp(
              `Mae cydweithiwr eisoes wedi gwrthod ${sent.row.filename}, felly ni chafodd ei gwrthod eto\\. Bydd Sending Primary yn cael e-bost gyda’u rheswm nhw, nid eich un chi\\.`,
            ),
          );
          const byProgram = await api(n.held.app, {
            method: 'POST',
            url: `/api/v1/files/${sent.row.id}/reject`,
            token: await makeToken(w.db, await makeUser(w.db, 'school', org)),
            json: { reason: 'Not ours' },
          });
          assert.equal(byProgram.statusCode, 422, byProgram.body);
          assert.equal(byProgram.json().detail, `${sent.row.filename} has been rejected.`);
        }
      } finally {
        await n.close();
      }
    });
  }

  test('Reject and Yes ("downloaded correctly") at once, on two app nodes: the file is one or the other, with its one email', async () => {
    const n = await twoNodes();
    try {
      const w = await world();
      const sent = await makeTransfer(w.db, n.held.deps.files, {
        from: school(w.sending.number),
        to: school(w.receiving.number),
      });
      const { user, agents } = await signedIn([n.held, n.other], 'school', {
        establishmentNumber: w.receiving.number,
      });
      const [onHeld, onOther] = agents as [Agent, Agent];
      const downloads = new DownloadService({
        db: w.db,
        files: n.held.deps.files,
        clock: n.held.clock,
        logger: createLogger('silent'),
      });
      await readAll((await downloads.download(actorOf(user), 'ctf', [sent.row.id], 'download')).stream);
      const url = `/download/ctf/files/${sent.row.id}/reject`;
      await onHeld.get(url);
      await onOther.get('/download/ctf');
      const answers = await n.atOnce(
        () => onHeld.post(url, { reason: 'Pupil not known here' }),
        () => onOther.post('/download/ctf/check', { file: sent.row.id, answer: 'yes' }),
      );
      assert.equal(answers[1].statusCode, 302);
      assert.equal(answers[0].statusCode, 400, 'the reject is refused, the file collected');
      assert.match(textOf(answers[0].body), new RegExp(`${sent.row.filename} has already been collected`));
      const row = await getTransfer(w.db, sent.row.id);
      assert.deepEqual([row?.status, row?.rejected_at ?? null], ['collected', null]);
      assert.deepEqual(
        await doneTimes(
          w.db,
          sent.row.id,
          sent.row.filename,
          ['file-rejected', 'file-collected'],
          ['file-rejected', 'file-downloaded'],
        ),
        { audited: 1, emails: 1 },
      );
    } finally {
      await n.close();
    }
  });

  test('Yes ("downloaded correctly") posted again and at once: collected once, the sender emailed once', async () => {
    const n = await twoNodes();
    try {
      const w = await world();
      const { user, agents } = await signedIn([n.held, n.other], 'school', {
        establishmentNumber: w.receiving.number,
      });
      const [onHeld, onOther] = agents as [Agent, Agent];
      const downloads = new DownloadService({
        db: w.db,
        files: n.held.deps.files,
        clock: n.held.clock,
        logger: createLogger('silent'),
      });
      for (const atOnce of [false, true]) {
        const sent = await makeTransfer(w.db, n.held.deps.files, {
          from: school(w.sending.number),
          to: school(w.receiving.number),
        });
        await readAll((await downloads.download(actorOf(user), 'ctf', [sent.row.id], 'download')).stream);
        await onHeld.get('/download/ctf');
        await onOther.get('/download/ctf');
        const yes = (agent: Agent) => () =>
          agent.post('/download/ctf/check', { file: sent.row.id, answer: 'yes' });
        const answers = atOnce
          ? await n.atOnce(yes(onHeld), yes(onOther))
          : [await yes(onHeld)(), await yes(onHeld)()];
        assert.deepEqual(
          answers.map((answer) => [answer.statusCode, answer.headers.location]),
          [
            [302, '/download/ctf'],
            [302, '/download/ctf'],
          ],
        );
        assert.match(await flashOf(onHeld, '/download/ctf'), new RegExp(`${sent.row.filename}`));
        assert.equal((await getTransfer(w.db, sent.row.id))?.status, 'collected');
        assert.deepEqual(
          await doneTimes(w.db, sent.row.id, sent.row.filename, ['file-collected'], ['file-downloaded']),
          { audited: 1, emails: 1 },
          atOnce ? 'at once' : 'one after the other',
        );
      }
    } finally {
      await n.close();
    }
  });

  test('Yes ("downloaded correctly"), then Back and No: the file stays collected, and the answer says so rather than that it is still waiting', async () => {
    const n = await twoNodes();
    try {
      const w = await world();
      const {
        user,
        agents: [agent],
      } = await signedIn([n.held], 'school', { establishmentNumber: w.receiving.number });
      const a = agent as Agent;
      const downloads = new DownloadService({
        db: w.db,
        files: n.held.deps.files,
        clock: n.held.clock,
        logger: createLogger('silent'),
      });
      const [collected, waiting] = [
        await makeTransfer(w.db, n.held.deps.files, {
          from: school(w.sending.number),
          to: school(w.receiving.number),
        }),
        await makeTransfer(w.db, n.held.deps.files, {
          from: school(w.sending.number),
          to: school(w.receiving.number),
        }),
      ];
      for (const sent of [collected, waiting]) {
        await readAll((await downloads.download(actorOf(user), 'ctf', [sent.row.id], 'download')).stream);
      }
      await a.get('/download/ctf');
      await a.post('/download/ctf/check', { file: collected.row.id, answer: 'yes' });
      await a.get('/download/ctf');
      const no = await a.post('/download/ctf/check', { file: collected.row.id, answer: 'no' });
      assert.equal(no.headers.location, '/download/ctf');
      const said = await flashOf(a, '/download/ctf');
      assert.match(
        said,
        new RegExp(
          `${collected.row.filename} has already been collected\\. You can download it again for 7 days from Previously Downloaded CTF Files\\.`,
        ),
      );
      assert.doesNotMatch(said, /still waiting/);
      assert.equal((await getTransfer(w.db, collected.row.id))?.status, 'collected');
      // Both at once, one collected and one not: each as it is.
      const both = await a.post('/download/ctf/check', {
        file: [collected.row.id, waiting.row.id],
        answer: 'no',
      });
      assert.equal(both.headers.location, '/download/ctf');
      const each = await flashOf(a, '/download/ctf');
      assert.match(each, new RegExp(`${waiting.row.filename} is still waiting for you`));
      assert.match(each, new RegExp(`${collected.row.filename} has already been collected`));
      assert.equal((await getTransfer(w.db, waiting.row.id))?.status, 'available');
    } finally {
      await n.close();
    }
  });

  test('Accept\'s Yes posted again once the file is collected (Back after "Yes, it was"): refused, saying where to download it again', async () => {
    const n = await twoNodes();
    try {
      const w = await world();
      const {
        agents: [agent],
      } = await signedIn([n.held], 'school', { establishmentNumber: w.receiving.number });
      const a = agent as Agent;
      const sent = await makeTransfer(w.db, n.held.deps.files, {
        from: school(w.sending.number),
        to: school(w.receiving.number),
      });
      const confirmPage = `/download/ctf/confirm?action=accept&file=${sent.row.id}`;
      await a.get(confirmPage);
      const yes = await a.post('/download/ctf/confirm', { file: sent.row.id });
      assert.equal(yes.statusCode, 303);
      const check = await a.get(String(yes.headers.location));
      const link = /url=([^"]+)"/.exec(check.body)?.[1]?.replace(/&amp;/g, '&');
      assert.ok(link);
      assert.equal((await a.get(link)).statusCode, 200, 'downloaded');
      await a.post('/download/ctf/check', { file: sent.row.id, answer: 'yes' });
      await a.get(confirmPage);
      const again = await a.post('/download/ctf/confirm', { file: sent.row.id });
      assert.equal(again.statusCode, 400);
      assert.match(
        textOf(again.body),
        new RegExp(
          `There is a problem ${sent.row.filename} has already been collected\\. You can download it again from Previously Downloaded CTF Files for 7 days after its last download`,
        ),
      );
      assert.equal((await a.get(`${confirmPage}&lang=cy`)).statusCode, 302, 'in Welsh');
      await a.get(confirmPage);
      assert.match(
        textOf((await a.post('/download/ctf/confirm', { file: sent.row.id })).body),
        new RegExp(
          `Mae ${sent.row.filename} eisoes wedi’i chasglu\\. Gallwch ei lawrlwytho eto o’r dudalen Ffeiliau CTF a Lawrlwythwyd yn Flaenorol am 7 diwrnod ar ôl iddi gael ei lawrlwytho ddiwethaf`,
        ),
      );
      assert.equal((await getTransfer(w.db, sent.row.id))?.status, 'collected');
    } finally {
      await n.close();
    }
  });

  test('Remove (View / Remove Files) posted again and at once: removed once, and the second answer says it was removed already', async () => {
    const n = await twoNodes();
    try {
      const w = await world();
      const { agents } = await signedIn([n.held, n.other], 'school', {
        establishmentNumber: w.sending.number,
      });
      const [onHeld, onOther] = agents as [Agent, Agent];
      for (const atOnce of [false, true]) {
        const sent = await makeTransfer(w.db, n.held.deps.files, {
          from: school(w.sending.number),
          to: school(w.receiving.number),
        });
        const url = `/sent/files/${sent.row.id}/remove`;
        await onHeld.get(url);
        await onOther.get(url);
        const remove = (agent: Agent) => () => agent.post(url, {});
        const answers = atOnce
          ? await n.atOnce(remove(onHeld), remove(onOther))
          : [await remove(onHeld)(), await remove(onHeld)()];
        assert.deepEqual(
          answers.map((answer) => [answer.statusCode, answer.headers.location]),
          [
            [302, '/sent'],
            [302, '/sent'],
          ],
          atOnce ? 'at once' : 'one after the other',
        );
        assert.match(
          await flashOf(onHeld, '/sent'),
          new RegExp(
            `You have already removed ${sent.row.filename}\\. Receiving Primary can no longer see or download it\\.`,
          ),
        );
        const row = await getTransfer(w.db, sent.row.id);
        assert.deepEqual([row?.status, row?.storage_key], ['removed', null]);
        assert.deepEqual(
          await doneTimes(w.db, sent.row.id, sent.row.filename, ['file-removed', 'file-purged'], []),
          { audited: 2, emails: 0 },
        );
      }
    } finally {
      await n.close();
    }
  });

  test('Delete (files not collected by schools) posted again and at once: deleted once, the sender emailed once, and the second answer says it was deleted already', async () => {
    const n = await twoNodes();
    try {
      const w = await world();
      const { agents } = await signedIn([n.held, n.other], 'la_user', { laNumber: w.laA.number });
      const [onHeld, onOther] = agents as [Agent, Agent];
      for (const atOnce of [false, true]) {
        const sent = await makeTransfer(w.db, n.held.deps.files, {
          from: school(w.sending.number),
          to: school(w.receiving.number),
        });
        const url = `/download/ctf/uncollected/${sent.row.id}/delete`;
        await onHeld.get(url);
        await onOther.get(url);
        const remove = (agent: Agent) => () => agent.post(url, {});
        const answers = atOnce
          ? await n.atOnce(remove(onHeld), remove(onOther))
          : [await remove(onHeld)(), await remove(onHeld)()];
        assert.deepEqual(
          answers.map((answer) => [answer.statusCode, answer.headers.location]),
          [
            [303, '/download/ctf/uncollected'],
            [303, '/download/ctf/uncollected'],
          ],
          atOnce ? 'at once' : 'one after the other',
        );
        assert.match(
          await flashOf(onHeld, '/download/ctf/uncollected'),
          new RegExp(
            `You have already deleted ${sent.row.filename}\\. Receiving Primary can no longer see or download it, and Sending Primary will be sent an email to say your LA deleted it\\.`,
          ),
        );
        const row = await getTransfer(w.db, sent.row.id);
        assert.deepEqual([row?.status, row?.storage_key], ['removed', null]);
        assert.deepEqual(
          await doneTimes(w.db, sent.row.id, sent.row.filename, ['file-removed'], ['file-removed']),
          { audited: 1, emails: 1 },
        );
      }
    } finally {
      await n.close();
    }
  });

  for (const [form, atOnce] of [
    ['Remove (View / Remove Files)', true],
    ['Delete (files not collected by schools)', true],
    ['Remove (View / Remove Files)', false],
    ['Delete (files not collected by schools)', false],
  ] as const) {
    test(`${form} posted ${atOnce ? 'at once, on two app nodes,' : 'one after the other'} by two colleagues: removed once, and the other told it has been removed, not "not found"`, async () => {
      const n = await twoNodes();
      try {
        const w = await world();
        const sending = form.startsWith('Remove');
        const org = sending ? { establishmentNumber: w.sending.number } : { laNumber: w.laA.number };
        const role: Role = sending ? 'school' : 'la_user';
        const {
          agents: [onHeld],
        } = await signedIn([n.held], role, org);
        const {
          agents: [onOther],
        } = await signedIn([n.other], role, org);
        const sent = await makeTransfer(w.db, n.held.deps.files, {
          from: school(w.sending.number),
          to: school(w.receiving.number),
        });
        const url = sending
          ? `/sent/files/${sent.row.id}/remove`
          : `/download/ctf/uncollected/${sent.row.id}/delete`;
        const list = sending ? '/sent' : '/download/ctf/uncollected';
        await (onHeld as Agent).get(url);
        await (onOther as Agent).get(url);
        // The held node's answer first: the one told.
        const answers = atOnce
          ? await n.atOnce(
              () => (onHeld as Agent).post(url, {}),
              () => (onOther as Agent).post(url, {}),
            )
          : await (async () => {
              const first = await (onOther as Agent).post(url, {});
              return [await (onHeld as Agent).post(url, {}), first];
            })();
        assert.deepEqual(
          answers.map((answer) => answer.headers.location),
          [list, list],
          String(answers.map((answer) => answer.statusCode)),
        );
        const said = await flashOf(onHeld as Agent, list);
        assert.match(said, new RegExp(`${sent.row.filename} has been removed and is no longer available\\.`));
        assert.doesNotMatch(said, /You have already/);
        assert.deepEqual(
          await doneTimes(w.db, sent.row.id, sent.row.filename, ['file-removed'], ['file-removed']),
          { audited: 1, emails: sending ? 0 : 1 },
        );
      } finally {
        await n.close();
      }
    });
  }

  test("the LA's Delete at once with the school's Yes, on two app nodes: the file stays collected, and the Delete page says the school collected it", async () => {
    const n = await twoNodes();
    try {
      const w = await world();
      const {
        agents: [officer],
      } = await signedIn([n.held], 'la_user', { laNumber: w.laA.number });
      const {
        user,
        agents: [receiver],
      } = await signedIn([n.other], 'school', { establishmentNumber: w.receiving.number });
      const sent = await makeTransfer(w.db, n.held.deps.files, {
        from: school(w.sending.number),
        to: school(w.receiving.number),
      });
      const downloads = new DownloadService({
        db: w.db,
        files: n.held.deps.files,
        clock: n.held.clock,
        logger: createLogger('silent'),
      });
      await readAll((await downloads.download(actorOf(user), 'ctf', [sent.row.id], 'download')).stream);
      const url = `/download/ctf/uncollected/${sent.row.id}/delete`;
      await (officer as Agent).get(url);
      await (receiver as Agent).get('/download/ctf');
      const [deleted, collected] = await n.atOnce(
        () => (officer as Agent).post(url, {}),
        () => (receiver as Agent).post('/download/ctf/check', { file: sent.row.id, answer: 'yes' }),
      );
      assert.equal(collected.statusCode, 302);
      assert.equal(deleted.statusCode, 400);
      assert.match(
        textOf(deleted.body),
        new RegExp(
          `${sent.row.filename} has already been collected by its school, so it can no longer be deleted`,
        ),
      );
      assert.equal((await getTransfer(w.db, sent.row.id))?.status, 'collected');
      assert.deepEqual(
        await doneTimes(w.db, sent.row.id, sent.row.filename, ['file-removed'], ['file-removed']),
        { audited: 0, emails: 0 },
      );
    } finally {
      await n.close();
    }
  });

  test("the sender's Remove at once with the destination's Reject, on two app nodes: removed as the rejected file it had become, and its audit says it was rejected, not waiting", async () => {
    const n = await twoNodes();
    try {
      const w = await world();
      const {
        agents: [sender],
      } = await signedIn([n.held], 'school', { establishmentNumber: w.sending.number });
      const {
        agents: [receiver],
      } = await signedIn([n.other], 'school', { establishmentNumber: w.receiving.number });
      const sent = await makeTransfer(w.db, n.held.deps.files, {
        from: school(w.sending.number),
        to: school(w.receiving.number),
      });
      const removeUrl = `/sent/files/${sent.row.id}/remove`;
      const rejectUrl = `/download/ctf/files/${sent.row.id}/reject`;
      await (sender as Agent).get(removeUrl);
      await (receiver as Agent).get(rejectUrl);
      // The Remove reads the file as waiting and holds; the Reject commits; then the Remove goes on.
      const [removed, rejected] = await n.atOnce(
        () => (sender as Agent).post(removeUrl, {}),
        () => (receiver as Agent).post(rejectUrl, { reason: 'Pupil not known here' }),
      );
      assert.deepEqual(
        [removed, rejected].map((answer) => [answer.statusCode, answer.headers.location]),
        [
          [302, '/sent'],
          [302, '/download/ctf'],
        ],
      );
      assert.equal((await getTransfer(w.db, sent.row.id))?.status, 'removed');
      const events = await w.db
        .selectFrom('audit_events')
        .select(['action', 'detail'])
        .where('subject_id', '=', sent.row.id)
        .where('action', 'in', ['file-rejected', 'file-removed'])
        .orderBy('action')
        .execute();
      assert.deepEqual(
        events.map((event) => [event.action, JSON.parse(event.detail ?? '{}').previousStatus]),
        [
          ['file-rejected', undefined],
          ['file-removed', 'rejected'],
        ],
      );
      assert.deepEqual(
        await doneTimes(
          w.db,
          sent.row.id,
          sent.row.filename,
          ['file-rejected'],
          ['file-rejected', 'waiting-file-removed'],
        ),
        { audited: 1, emails: 1 },
        'the sender is told of the rejection; the school that rejected it is not told of its removal',
      );
    } finally {
      await n.close();
    }
  });

  for (const [form, atOnce] of [
    ['Delete', false],
    ['Delete', true],
    ['Forward', false],
    ['Forward', true],
  ] as const) {
    test(`the LA's ${form} posted ${atOnce ? 'at once with' : 'after'} the school's Reject${atOnce ? ', on two app nodes' : ''}: nothing done, and the list says the file has been rejected, not "not found"`, async () => {
      const n = await twoNodes();
      try {
        const w = await world();
        const a2 = await makeSchool(w.db, w.laA.number, { name: 'A Two Primary' });
        const {
          agents: [officer],
        } = await signedIn([n.held], 'la_user', { laNumber: w.laA.number });
        const {
          agents: [receiver],
        } = await signedIn([n.other], 'school', { establishmentNumber: w.receiving.number });
        const sent = await makeTransfer(w.db, n.held.deps.files, {
          from: school(w.sending.number),
          to: school(w.receiving.number),
        });
        const list = '/download/ctf/uncollected';
        const url = `${list}/${sent.row.id}/${form.toLowerCase()}`;
        const rejectUrl = `/download/ctf/files/${sent.row.id}/reject`;
        await (officer as Agent).get(url);
        await (receiver as Agent).get(rejectUrl);
        const post = () =>
          (officer as Agent).post(url, form === 'Forward' ? { school: a2.number, confirm: 'yes' } : {});
        const reject = () => (receiver as Agent).post(rejectUrl, { reason: 'Pupil not known here' });
        const [posted, rejected] = atOnce
          ? await n.atOnce(post, reject)
          : await (async () => {
              const first = await reject();
              return [await post(), first];
            })();
        assert.equal(rejected.statusCode, 302);
        assert.deepEqual([posted.statusCode, posted.headers.location], [303, list], textOf(posted.body));
        const said = await flashOf(officer as Agent, list);
        assert.match(said, new RegExp(`${sent.row.filename} has been rejected`));
        assert.equal((await getTransfer(w.db, sent.row.id))?.status, 'rejected');
        assert.deepEqual(
          await doneTimes(w.db, sent.row.id, sent.row.filename, ['file-removed', 'file-forwarded'], []),
          { audited: 0, emails: 0 },
        );
        const copies = await w.db
          .selectFrom('transfers')
          .select('id')
          .where('forwarded_from', '=', sent.row.id)
          .execute();
        assert.equal(copies.length, 0, 'no copy');
      } finally {
        await n.close();
      }
    });
  }

  for (const rejectedCopy of [false, true]) {
    test(`Forward confirmed twice at once, on two app nodes (${rejectedCopy ? 'a rejected copy, forwarded on' : 'a waiting file'}): forwarded once, and the other answer says where it went`, async () => {
      const n = await twoNodes();
      try {
        const w = await world();
        const a2 = await makeSchool(w.db, w.laA.number, { name: 'A Two Primary' });
        const { user, agents } = await signedIn([n.held, n.other], 'la_user', { laNumber: w.laA.number });
        const [onHeld, onOther] = agents as [Agent, Agent];
        const waiting = await makeTransfer(w.db, n.held.deps.files, {
          from: school(w.sending.number),
          to: school(w.receiving.number),
        });
        let [url, id, to, done] = [
          `/download/ctf/uncollected/${waiting.row.id}/forward`,
          waiting.row.id,
          a2.number,
          '/download/ctf/uncollected',
        ];
        if (rejectedCopy) {
          // A copy the LA forwarded that its school rejected, to forward on.
          const { forwarded } = await new LaMonitorService(n.held.deps).forward(actorOf(user), id, a2.number);
          const rejecter = await makeUser(w.db, 'school', { establishmentNumber: a2.number });
          await new DownloadService(n.held.deps).reject(actorOf(rejecter), 'ctf', forwarded.id, 'Not ours');
          [url, id, to, done] = [
            `/download/ctf/monitor/rejected/${forwarded.id}/forward`,
            forwarded.id,
            w.receiving.number,
            '/download/ctf/monitor',
          ];
        }
        await onHeld.get(url);
        await onOther.get(url);
        const confirm = (agent: Agent) => () => agent.post(url, { school: to, confirm: 'yes' });
        const answers = await n.atOnce(confirm(onHeld), confirm(onOther));
        assert.deepEqual(
          answers.map((answer) => [answer.statusCode, answer.headers.location]),
          [
            [409, undefined],
            [303, done],
          ],
        );
        assert.match(textOf(answers[0].body), /has already been forwarded/);
        const copies = await w.db
          .selectFrom('transfers')
          .select('id')
          .where('forwarded_from', '=', id)
          .execute();
        assert.equal(copies.length, 1, 'one copy');
      } finally {
        await n.close();
      }
    });
  }

  test('in Welsh: the second post of Reject, Remove and Delete says it was done already', async () => {
    const n = await twoNodes();
    try {
      const w = await world();
      const welsh = async (role: Role, org: { laNumber?: string; establishmentNumber?: string }) => {
        const {
          agents: [agent],
        } = await signedIn([n.held], role, org);
        assert.equal((await (agent as Agent).get('/?lang=cy')).statusCode, 302, 'in Welsh');
        return agent as Agent;
      };
      const transfer = (overrides = {}) =>
        makeTransfer(w.db, n.held.deps.files, {
          from: school(w.sending.number),
          to: school(w.receiving.number),
          overrides,
        });
      const twice = async (agent: Agent, url: string, form: Record<string, string>, list: string) => {
        await agent.get(url);
        await agent.post(url, form);
        await agent.get(list);
        const again = await agent.post(url, form);
        assert.equal(again.headers.location, list);
        return flashOf(agent, list);
      };

      const recipient = await welsh('school', { establishmentNumber: w.receiving.number });
      const rejected = await transfer();
      assert.match(
        await twice(
          recipient,
          `/download/ctf/files/${rejected.row.id}/reject`,
          { reason: 'Dim yn ein hysgol' },
          '/download/ctf',
        ),
        new RegExp(
          `Rydych chi eisoes wedi gwrthod ${rejected.row.filename}. Bydd Sending Primary yn cael e-bost gyda’ch rheswm.`,
        ),
      );

      const sender = await welsh('school', { establishmentNumber: w.sending.number });
      const removed = await transfer();
      assert.match(
        await twice(sender, `/sent/files/${removed.row.id}/remove`, {}, '/sent'),
        new RegExp(
          `Rydych chi eisoes wedi tynnu ${removed.row.filename}. Ni all Receiving Primary ei gweld na’i lawrlwytho mwyach.`,
        ),
      );
      const lost = await transfer({
        dest_kind: 'lost-pupils',
        dest_la: null,
        dest_school: null,
        lost_reason: 'destination-unknown',
      });
      assert.match(
        await twice(sender, `/sent/files/${lost.row.id}/remove`, {}, '/sent?show=lost-pupils'),
        new RegExp(
          `Rydych chi eisoes wedi tynnu ${lost.row.filename}, a chofnod y disgybl gyda hi: ni all awdurdodau lleol ddod o hyd i’r disgybl yn y Gronfa Ddata Disgyblion Coll mwyach.`,
        ),
      );

      const officer = await welsh('la_user', { laNumber: w.laA.number });
      const deleted = await transfer();
      assert.match(
        await twice(
          officer,
          `/download/ctf/uncollected/${deleted.row.id}/delete`,
          {},
          '/download/ctf/uncollected',
        ),
        new RegExp(
          `Rydych chi eisoes wedi dileu ${deleted.row.filename}. Ni all Receiving Primary ei gweld na’i lawrlwytho mwyach, a bydd Sending Primary yn cael e-bost i ddweud bod eich awdurdod lleol wedi’i dileu.`,
        ),
      );
    } finally {
      await n.close();
    }
  });

  test('the API: reject and remove sent again answer as the first did, and change nothing', async () => {
    const n = await twoNodes();
    try {
      const w = await world();
      const sent = await makeTransfer(w.db, n.held.deps.files, {
        from: school(w.sending.number),
        to: school(w.receiving.number),
      });
      const recipient = await makeUser(w.db, 'school', { establishmentNumber: w.receiving.number });
      const sender = await makeUser(w.db, 'school', { establishmentNumber: w.sending.number });
      const recipientToken = await makeToken(w.db, recipient);
      const senderToken = await makeToken(w.db, sender);
      const reject = () =>
        api(n.held.app, {
          method: 'POST',
          url: `/api/v1/files/${sent.row.id}/reject`,
          token: recipientToken,
          json: { reason: 'Pupil not known here' },
        });
      const first = await reject();
      const again = await reject();
      assert.deepEqual([first.statusCode, again.statusCode], [200, 200], again.body);
      assert.deepEqual(again.json(), first.json());
      const remove = () =>
        api(n.held.app, { method: 'DELETE', url: `/api/v1/files/${sent.row.id}`, token: senderToken });
      const removed = await remove();
      const removedAgain = await remove();
      assert.deepEqual([removed.statusCode, removedAgain.statusCode], [200, 200], removedAgain.body);
      assert.deepEqual([removedAgain.json().id, removedAgain.json().status], [removed.json().id, 'removed']);
      // A colleague's program is told it has been removed.
      const colleague = await makeUser(w.db, 'school', { establishmentNumber: w.sending.number });
      const byColleague = await api(n.held.app, {
        method: 'DELETE',
        url: `/api/v1/files/${sent.row.id}`,
        token: await makeToken(w.db, colleague),
      });
      assert.equal(byColleague.statusCode, 422, byColleague.body);
      assert.equal(
        byColleague.json().detail,
        `${sent.row.filename} has been removed and is no longer available.`,
      );
      assert.deepEqual(
        await doneTimes(
          w.db,
          sent.row.id,
          sent.row.filename,
          ['file-rejected', 'file-removed'],
          ['file-rejected'],
        ),
        { audited: 2, emails: 1 },
      );
    } finally {
      await n.close();
    }
  });
});
