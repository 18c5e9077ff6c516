// Issue 4, "Authorisation tests: every other demo organisation gets 404/403 for every file action".
//
// On a fresh database with the demo data, demo-school-a (9165402) uploads a CTF for demo-school-b
// (8171234) through the Upload page. Then every demo account asks for every file action on that
// transfer, and only its two ends may act:
//   - every route in the app's route table whose URL names a transfer (:transferId, addressed to the
//     actor; :sentTransferId, sent by the actor), GET and POST;
//   - the Download actions that take the transfer as `file` in the query or the form (confirm, check,
//     file, previous), in every category.
// Every other account gets 403 or 404 for all of them, the receiving end gets them for the sender's
// actions, and the sending end for the recipient's. The transfer, its pupils, its audit trail and the
// outbox are unchanged afterwards, and both ends can still open it (so the refusals are not just a
// wrong id).
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { LightMyRequestResponse } from 'fastify';
import type { RouteInfo } from '../../src/auth/web.ts';
import { makeUpn } from '../../src/ctf/upn.ts';
import { DEMO_ACCOUNTS, DEMO_PASSWORD, seedDemoData } from '../../src/demo/seed.ts';
import type { Db } from '../../src/platform/db/schema.ts';
import { ctfXml } from '../fixtures/ctf/generate.ts';
import { describeEachEngine } from '../support/databases.ts';
import { Agent, createTestApp, type TestApp } from '../support/web.ts';

const SENDER = 'demo-school-a';
const RECIPIENT = 'demo-school-b';
const FILENAME = '9165402_CTF_8171234_001.XML';

/**
 * Whose action a file route is: the recipient's, the sender's, or the LA's of the recipient (LA notes
 * §5.3: delete or forward files its schools have not collected). The destination here is a school of
 * LA 817, which has no demo LA account, so no demo account may use the LA's actions on this file.
 */
type End = 'recipient' | 'sender' | 'recipient-la' | 'lost-pupils-la' | 'forwarding-la';

/**
 * The URL parameters that name a transfer, and whose action each route is. A new parameter naming a
 * transfer fails the test until it is added here, so a new file action cannot go unchecked.
 */
const TRANSFER_PARAMS: Record<string, End> = {
  transferId: 'recipient',
  sentTransferId: 'sender',
  laTransferId: 'recipient-la',
  // Search for Lost Pupil names a record by its file's id: a CTF between two schools is no record of
  // the Lost Pupils Database, so no demo account (not even the Lost Pupil ones) may act on it there.
  lostPupilId: 'lost-pupils-la',
  // Forwarded files rejected names a copy an LA forwarded that its school rejected: this transfer was
  // uploaded, not forwarded, so no demo account may act on it there.
  rejectedTransferId: 'forwarding-la',
};

/**
 * Parameters that name something else (users, schools; emails in the outbox and scheduled jobs, on the
 * national administrator's pages; possible sightings of lost pupils, on Lost Pupil Matches), whatever
 * the routes under them.
 */
// Messages, templates, groups and data collections are not transfers: their own route tests refuse other
// organisations.
const OTHER_PARAMS = new Set([
  'id',
  'number',
  'notificationId',
  'jobName',
  'matchId',
  'messageId',
  'sentMessageId',
  'templateId',
  'groupId',
  'collectionId',
  'returnId',
]);

/**
 * Download actions that take the transfer as `file` in the query (GET) or the form (POST). (GET
 * /download/<type>/previous is the list of files to download again: it takes no file.)
 */
const FILE_ACTION = {
  GET: /^\/download\/[a-z]+\/(confirm|check|file)$/,
  POST: /^\/download\/[a-z]+\/(confirm|check|previous)$/,
};

interface FileAction {
  method: 'GET' | 'POST';
  url: string;
  /** The form posted (POST only). */
  form: Record<string, string>;
  /** Whose action it is: the other end must be refused it too. */
  end: End;
  route: string;
}

function paramsOf(url: string): string[] {
  return [...url.matchAll(/:(\w+)/g)].map((m) => m[1] as string);
}

/** Every file action on the transfer, from the app's own route table. */
function fileActions(routes: readonly RouteInfo[], transferId: string): FileAction[] {
  const actions: FileAction[] = [];
  for (const route of routes) {
    const name = `${route.method} ${route.url}`;
    const params = paramsOf(route.url);
    const unknown = params.filter((p) => !(p in TRANSFER_PARAMS) && !OTHER_PARAMS.has(p));
    assert.deepEqual(unknown, [], `${name}: classify its URL parameters in demo-authorisation.test.ts`);
    const named = params.filter((p) => p in TRANSFER_PARAMS);
    if (named.length > 0) {
      const end = TRANSFER_PARAMS[named[0] as string] as End;
      const url = route.url.replace(/:(\w+)/g, (_m, p: string) => (p in TRANSFER_PARAMS ? transferId : p));
      // Each form is one the page would send, so only who asks can refuse it.
      const form: Record<string, string> = url.endsWith('/reject')
        ? { reason: 'This pupil has not joined us.' }
        : url.startsWith('/lost-pupils/')
          ? { attest: 'yes', answer: 'yes', school: '9164001', confirm: 'yes' }
          : url.endsWith('/forward')
            ? { school: '9164001', confirm: 'yes' }
            : {};
      actions.push({ method: route.method, url, form, end, route: name });
    } else if (FILE_ACTION[route.method].test(route.url)) {
      const query = new URLSearchParams({ file: transferId });
      if (route.url.endsWith('/confirm')) query.set('action', 'accept');
      if (route.url.endsWith('/check') || route.url.endsWith('/file')) query.set('ticket', 'not-a-ticket');
      if (route.method === 'GET') {
        actions.push({
          method: 'GET',
          url: `${route.url}?${query}`,
          form: {},
          end: 'recipient',
          route: name,
        });
        if (route.url.endsWith('/confirm')) {
          const reject = `${route.url}?${new URLSearchParams({ file: transferId, action: 'reject' })}`;
          actions.push({ method: 'GET', url: reject, form: {}, end: 'recipient', route: name });
        }
      } else {
        const form: Record<string, string> = { file: transferId };
        if (route.url.endsWith('/check')) form.answer = 'yes';
        actions.push({ method: 'POST', url: route.url, form, end: 'recipient', route: name });
      }
    }
  }
  return actions;
}

/** The CTF the sender's MIS would write: two pupils, the header agreeing with the name. */
function ctf(): string {
  return ctfXml(
    {
      style: 'new',
      version: '25.0',
      dateTime: '2026-11-20T10:30:00',
      qualifier: 'full',
      supplier: 'Fictional MIS 7.2',
      source: { lea: '916', estab: '5402', name: 'Cotswold Edge Primary School' },
      destination: { lea: '817', estab: '1234' },
    },
    [
      {
        upn: makeUpn('916', '5402', '19', '051'),
        surname: 'Pryce',
        forename: 'Ella',
        dob: '2016-05-04',
        sex: 'F',
      },
      {
        upn: makeUpn('916', '5402', '19', '052'),
        surname: 'Nash',
        forename: 'Owen',
        dob: '2015-12-01',
        sex: 'M',
      },
    ],
  );
}

/** Everything the transfer is: its row, its pupils, its audit trail and the emails about it. */
async function snapshot(db: Db, transferId: string) {
  const [transfer, pupils, audit, outbox] = await Promise.all([
    db.selectFrom('transfers').selectAll().where('id', '=', transferId).executeTakeFirstOrThrow(),
    db
      .selectFrom('transfer_pupils')
      .selectAll()
      .where('transfer_id', '=', transferId)
      .orderBy('position')
      .execute(),
    db
      .selectFrom('audit_events')
      .select(['id', 'action'])
      .where('subject_id', '=', transferId)
      .orderBy('id')
      .execute(),
    db.selectFrom('notification_outbox').select('id').orderBy('id').execute(),
  ]);
  return { transfer, pupils, audit, outbox };
}

describeEachEngine('demo organisations: only the two ends of a transfer may act on it', (database) => {
  let t: TestApp;
  let db: Db;
  let transferId: string;
  const agents = new Map<string, Agent>();

  before(async () => {
    db = database().db;
    t = await createTestApp(db);
    assert.ok(await seedDemoData(db, t.clock), 'the demo data is loaded into the empty database');
    for (const account of DEMO_ACCOUNTS) {
      const agent = new Agent(t.app);
      const signedIn = await agent.signIn(account.username, DEMO_PASSWORD);
      assert.equal(signedIn.headers.location, '/', `${account.username} signs in`);
      agents.set(account.username, agent);
    }
    const sender = agents.get(SENDER) as Agent;
    await sender.get('/upload/ctf');
    const upload = await sender.postMultipart('/upload/ctf', [{ filename: FILENAME, content: ctf() }]);
    assert.equal(upload.statusCode, 200);
    assert.match(upload.body, /The file was uploaded/);
    const row = await db
      .selectFrom('transfers')
      .select(['id', 'status', 'pupil_count'])
      .where('filename', '=', FILENAME)
      .executeTakeFirstOrThrow();
    assert.deepEqual([row.status, row.pupil_count], ['available', 2]);
    transferId = row.id;
  });
  after(async () => {
    await t.app.close();
  });

  /** Both ends can open the transfer: the id is right, so a refusal is a refusal. */
  async function assertBothEndsSeeIt() {
    const recipient = await (agents.get(RECIPIENT) as Agent).get(`/download/ctf/files/${transferId}`);
    assert.equal(recipient.statusCode, 200, 'the recipient opens the file');
    assert.match(recipient.body, /Pryce, Ella/);
    const sender = await (agents.get(SENDER) as Agent).get(`/sent/files/${transferId}`);
    assert.equal(sender.statusCode, 200, 'the sender opens the file');
    assert.match(sender.body, /Nash, Owen/);
  }

  test('every other demo account, and each end for the other end’s actions, gets 403 or 404', async () => {
    await assertBothEndsSeeIt();
    const before = await snapshot(db, transferId);
    const actions = fileActions(t.app.routeTable, transferId);
    const routes = new Set(actions.map((a) => a.route));
    for (const expected of [
      'GET /download/ctf/files/:transferId',
      'POST /download/ctf/files/:transferId/reject',
      'GET /sent/files/:sentTransferId',
      'POST /sent/files/:sentTransferId/remove',
      'POST /download/ctf/confirm',
      'GET /download/ctf/file',
      'GET /lost-pupils/search/:lostPupilId/file',
      'POST /lost-pupils/search/:lostPupilId/forward',
    ]) {
      assert.ok(routes.has(expected), `${expected} is one of the file actions walked`);
    }
    // GETs first, then the posts: a post that wrongly succeeded would change what later GETs see.
    actions.sort((a, b) => Number(a.method === 'POST') - Number(b.method === 'POST'));

    const problems: string[] = [];
    let requests = 0;
    for (const account of DEMO_ACCOUNTS) {
      const agent = agents.get(account.username) as Agent;
      for (const action of actions) {
        if (account.username === RECIPIENT && action.end === 'recipient') continue;
        if (account.username === SENDER && action.end === 'sender') continue;
        requests += 1;
        const response = await send(agent, action);
        const refused = response.statusCode === 403 || response.statusCode === 404;
        if (!refused) {
          problems.push(
            `${account.username} (${account.role}): ${action.method} ${action.url} answered ${response.statusCode}${response.headers.location ? ` -> ${response.headers.location}` : ''}`,
          );
        } else if (/The form has expired/.test(response.body)) {
          problems.push(`${account.username}: ${action.method} ${action.url} was refused for its CSRF token`);
        }
      }
    }
    assert.deepEqual(problems, []);
    assert.ok(requests > DEMO_ACCOUNTS.length * 20, `${requests} requests made`);

    assert.deepEqual(await snapshot(db, transferId), before, 'the transfer is unchanged');
    await assertBothEndsSeeIt();
  });

  /**
   * Sends one action as the agent. A download link without a valid ticket is sent back to be confirmed
   * before the file is looked at (whoever asks, whatever the id): that one redirect is followed, and
   * the confirmation must be refused.
   */
  async function send(agent: Agent, action: FileAction): Promise<LightMyRequestResponse> {
    // A post carries the token of the agent's last page: the cookie's secret makes every token of the
    // session valid, and a refusal for the token is caught as a problem of its own.
    if (action.method === 'POST') return agent.post(action.url, action.form);
    const response = await agent.get(action.url);
    const location = String(response.headers.location ?? '');
    if (response.statusCode === 302 && /^\/download\/[a-z]+\/file\?/.test(action.url)) {
      assert.match(location, /^\/download\/[a-z]+\/confirm\?/, `${action.url} is sent to be confirmed`);
      return agent.get(location);
    }
    return response;
  }
});
