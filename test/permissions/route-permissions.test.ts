// The permission matrix: every page route, for every role, against its own organisation's records and
// another organisation's. Routes come from the app's own route table, so a new route is covered the
// moment it is registered (and a new kind of URL parameter fails here until it is given fixtures).
// With the same fixtures: every form refuses a post without its CSRF token, and every page takes odd
// values in its address (a page number past any list, a sort no link holds) without an error.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { can, ROLES, type Role, scopeOf } from '../../src/auth/permissions.ts';
import type { RouteInfo } from '../../src/auth/web.ts';
import { CensusReturnsService } from '../../src/collect/returns-service.ts';
import { matchLostPupils } from '../../src/lost-pupils/matching.ts';
import { insertGroup } from '../../src/messaging/group-repository.ts';
import { enqueueNotification } from '../../src/notifications/outbox.ts';
import { ManualClock } from '../../src/platform/clock.ts';
import type { Db, UserRow } from '../../src/platform/db/schema.ts';
import { createLogger } from '../../src/platform/logger.ts';
import type { EncryptedFileStore } from '../../src/platform/storage/encrypted-store.ts';
import { CATEGORIES, downloadCapability, uploadCapability } from '../../src/transfers/categories.ts';
import { DownloadService } from '../../src/transfers/download-service.ts';
import { LaMonitorService } from '../../src/transfers/la-monitor-service.ts';
import { actorParty } from '../../src/transfers/parties.ts';
import { censusFilename, censusReturnXml, liveCollection } from '../support/census.ts';
import { createTestDatabase, type TestDatabase } from '../support/databases.ts';
import { makeLa, makeSchool, makeUser } from '../support/factories.ts';
import { makeLostPupil } from '../support/lost-pupils.ts';
import { mailboxOfUser, makeMessage } from '../support/messages.ts';
import { actorOf, makeTransfer, school as schoolParty } from '../support/transfers.ts';
import { Agent, createTestApp, type TestApp } from '../support/web.ts';

/** For each URL parameter: a record the actor's organisation owns, and one of another LA. */
interface ParamValues {
  own: string;
  other: string;
}

/**
 * Transfers: one addressed to the actor's organisation (:transferId) and one it sent (:sentTransferId),
 * each in the first category the role may download or send; "other" is between two schools of another
 * LA. Roles that neither send nor receive get that other transfer as their "own" too (the permission
 * table refuses them before it matters).
 */
async function transferFixtures(
  db: Db,
  files: EncryptedFileStore,
  actor: UserRow,
  otherSchools: [string, string],
): Promise<{ incoming: string; sent: string; other: string }> {
  const stranger = schoolParty(otherSchools[0]);
  const other = await makeTransfer(db, files, { from: stranger, to: schoolParty(otherSchools[1]) });
  const role = actor.role as Role;
  const own = actorParty({
    userId: actor.id,
    username: actor.username,
    role,
    laNumber: actor.la_number,
    establishmentNumber: actor.establishment_number,
  });
  if (!own) return { incoming: other.row.id, sent: other.row.id, other: other.row.id };
  const receives = CATEGORIES.find((c) => can(role, downloadCapability(c))) ?? 'ctf';
  const sends = CATEGORIES.find((c) => can(role, uploadCapability(c))) ?? 'ctf';
  const incoming = await makeTransfer(db, files, { from: stranger, to: own, category: receives });
  const sent = await makeTransfer(db, files, { from: own, to: stranger, category: sends });
  return { incoming: incoming.row.id, sent: sent.row.id, other: other.row.id };
}

async function fixturesFor(db: Db, role: Role, files: EncryptedFileStore) {
  const la = await makeLa(db);
  const otherLa = await makeLa(db);
  const school = await makeSchool(db, la.number);
  const otherSchool = await makeSchool(db, otherLa.number);
  const scope = scopeOf(role);
  const actor = await makeUser(db, role, {
    laNumber: scope === 'national' ? null : la.number,
    establishmentNumber: scope === 'school' ? school.number : null,
  });
  const colleague = await makeUser(db, 'la_user', { laNumber: la.number });
  const stranger = await makeUser(db, 'la_user', { laNumber: otherLa.number });
  const thirdSchool = await makeSchool(db, otherLa.number);
  const transfers = await transferFixtures(db, files, actor, [otherSchool.number, thirdSchool.number]);
  // A CTF waiting for a school of the actor's LA (the LA's CTF views act on these); "other" waits for a
  // school of another LA.
  const waitingInLa = await makeTransfer(db, files, {
    from: schoolParty(otherSchool.number),
    to: schoolParty(school.number),
  });
  // Emails in the outbox: to the actor's school and to a school of another LA (only the national
  // administrator sees the outbox, which holds every LA's mail).
  const notification = async (recipient: string) => {
    const id = randomUUID();
    await enqueueNotification(db, {
      at: new Date(),
      template: 'new-message',
      recipientKind: 'school',
      recipient,
      payload: { fromName: 'A test LA', sentAt: '2026-11-23T10:00:00.000Z' },
      dedupeKey: id,
    });
    const row = await db
      .selectFrom('notification_outbox')
      .select('id')
      .where('dedupe_key', '=', id)
      .executeTakeFirstOrThrow();
    return row.id;
  };
  const lostPupilMatch = async (sentBy: string) => {
    const upn = `Z${randomUUID().replace(/\D/g, '').padEnd(12, '0').slice(0, 12)}`;
    const { record } = await makeLostPupil(db, files, { from: schoolParty(sentBy), pupil: { upn } });
    const seenAt = { la: la.number, school: school.number, name: school.name, code: school.number };
    const pupil = { upn, formerUpn: null, surname: null, forename: null, dateOfBirth: null };
    const file = { transferId: waitingInLa.row.id, filename: waitingInLa.row.filename, kind: 'CTF' as const };
    await matchLostPupils(db, { ...file, seenAt, at: new Date() }, [pupil]);
    const row = await db
      .selectFrom('lost_pupil_matches')
      .select('id')
      .where('lost_pupil_id', '=', record.id)
      .executeTakeFirstOrThrow();
    return row.id;
  };
  // Message templates: one the actor wrote for themselves; "other", one a user of another LA wrote for
  // themselves (nobody else sees it).
  const messageTemplate = async (author: UserRow) => {
    const id = randomUUID();
    const at = new Date().toISOString();
    await db
      .insertInto('message_templates')
      .values({
        id,
        name: 'A template',
        description: 'For the matrix',
        body: 'Text',
        owner_kind: 'user',
        owner_la: null,
        created_by: author.id,
        created_at: at,
        updated_at: at,
      })
      .execute();
    return id;
  };
  // Message address groups: one the actor made, holding the school of their LA; "other", one a user of
  // another LA made (a group is its owner's alone).
  const messageGroup = async (owner: UserRow) => {
    const id = randomUUID();
    const at = new Date().toISOString();
    await insertGroup(db, {
      id,
      ownerUserId: owner.id,
      name: 'A group',
      at,
      members: [`school:${school.number}`],
    });
    return id;
  };
  // Data collections: a live one the schools of the actor's LA take part in; "other", one only another
  // LA's schools take part in.
  const dataCollection = (laNumber: string) => liveCollection(db, colleague, [laNumber]);
  // Census returns: one of the actor's LA's school, loaded by the school, submitted and approved, so that
  // the school, its LA and the collector may each open it; "other", the same of another LA's school.
  const censusReturn = async (laNumber: string, schoolNumber: string) => {
    const collectionId = await dataCollection(laNumber);
    const agent = await makeUser(db, 'la_user', { laNumber });
    const source = await makeUser(db, 'school', { laNumber, establishmentNumber: schoolNumber });
    const returns = new CensusReturnsService({ db, files, clock: new ManualClock() });
    const details = await returns.open(actorOf(source), collectionId);
    const xml = Buffer.from(censusReturnXml({ school: schoolNumber, year: 2026 }));
    const loaded = await returns.loadFile(actorOf(source), details, censusFilename(schoolNumber), xml, false);
    if (loaded.status !== 'loaded') throw new Error(`fixture return refused: ${loaded.reasons.join(' ')}`);
    await returns.submit(actorOf(source), loaded.returnId, true);
    await returns.approve(actorOf(agent), loaded.returnId);
    return loaded.returnId;
  };
  // A CTF an LA user forwarded that its school rejected: by a colleague of the actor (own) or by a user
  // of another LA (other). The LA's notice opens these.
  const rejectedForward = async (
    forwarder: UserRow,
    sender: string,
    laNumber: string,
    misaddressedTo: string,
  ) => {
    const deps = { db, files, clock: new ManualClock(), logger: createLogger('silent') };
    const rightSchool = await makeSchool(db, laNumber);
    const original = await makeTransfer(db, files, {
      from: schoolParty(sender),
      to: schoolParty(misaddressedTo),
    });
    const { forwarded } = await new LaMonitorService(deps).forward(
      actorOf(forwarder),
      original.row.id,
      rightSchool.number,
    );
    const rejecter = await makeUser(db, 'school', { laNumber, establishmentNumber: rightSchool.number });
    await new DownloadService(deps).reject(actorOf(rejecter), 'ctf', forwarded.id, 'Not our pupil');
    return forwarded.id;
  };
  const hasMailbox = can(role, 'messages.use');
  const strangers = await makeMessage(db, stranger, [`la:${otherLa.number}:la_user`]);
  const params: Record<string, ParamValues> = {
    id: { own: colleague.id, other: stranger.id },
    number: { own: school.number, other: otherSchool.number },
    transferId: { own: transfers.incoming, other: transfers.other },
    sentTransferId: { own: transfers.sent, other: transfers.other },
    laTransferId: { own: waitingInLa.row.id, other: transfers.other },
    rejectedTransferId: {
      own: await rejectedForward(colleague, otherSchool.number, la.number, school.number),
      other: await rejectedForward(stranger, school.number, otherLa.number, otherSchool.number),
    },
    notificationId: { own: await notification(school.number), other: await notification(otherSchool.number) },
    // Jobs belong to no organisation; purge-files is safe to run at any time.
    jobName: { own: 'purge-files', other: 'purge-files' },
    // The Lost Pupils Database is national: a Lost Pupil user opens a record a school of another LA
    // uploaded. "Other" is a file that is not in the database (a CTF between two schools): not found.
    lostPupilId: {
      own: (await makeLostPupil(db, files, { from: schoolParty(otherSchool.number) })).record.id,
      other: transfers.other,
    },
    // Possible sightings of lost pupils sent by a school of the actor's LA, and of another LA.
    matchId: { own: await lostPupilMatch(school.number), other: await lostPupilMatch(otherSchool.number) },
    templateId: { own: await messageTemplate(actor), other: await messageTemplate(stranger) },
    groupId: { own: await messageGroup(actor), other: await messageGroup(stranger) },
    collectionId: { own: await dataCollection(la.number), other: await dataCollection(otherLa.number) },
    returnId: {
      own: await censusReturn(la.number, school.number),
      other: await censusReturn(otherLa.number, otherSchool.number),
    },
    // Messages: one waiting in the actor's mailbox and one the actor sent; "other", between two mailboxes
    // of another LA. Roles without a mailbox get the other ones (the permission table refuses them).
    messageId: {
      own: hasMailbox ? await makeMessage(db, stranger, [mailboxOfUser(actor)]) : strangers,
      other: strangers,
    },
    sentMessageId: {
      own: hasMailbox ? await makeMessage(db, actor, [mailboxOfUser(stranger)]) : strangers,
      other: strangers,
    },
  };
  return { actor, params };
}

function fill(url: string, params: Record<string, ParamValues>, which: keyof ParamValues): string {
  return url.replace(/:(\w+)/g, (_match, name: string) => {
    const values = params[name];
    if (!values)
      throw new Error(`The permission matrix has no fixtures for the URL parameter :${name} in ${url}`);
    return values[which];
  });
}

const hasParams = (route: RouteInfo) => route.url.includes(':');

/** GETs first, state changes after, signing out last: the actor stays signed in throughout. */
function walkOrder(routes: RouteInfo[]): RouteInfo[] {
  const rank = (r: RouteInfo) =>
    r.url === '/sign-out' && r.method === 'POST' ? 2 : r.method === 'GET' ? 0 : 1;
  return [...routes].sort((a, b) => rank(a) - rank(b));
}

describe('permission matrix: every route x every role x own and other organisation', () => {
  let database: TestDatabase;
  let t: TestApp;
  before(async () => {
    database = await createTestDatabase('sqlite');
    t = await createTestApp(database.db);
  });
  after(async () => {
    await t.app.close();
    await database.drop();
  });

  /**
   * A role that may use the route: the national administrator where it can, or with `organisation` the
   * first role of a school or an LA that can (a national role is asked first to choose an LA on some pages).
   */
  const userRole = (route: RouteInfo, organisation = false): Role => {
    const access = route.access;
    if (access === 'public' || (!organisation && can('national_admin', access))) return 'national_admin';
    const role = ROLES.find((r) => can(r, access));
    assert.ok(role, `some role may use ${route.method} ${route.url}`);
    return role;
  };

  /** For each role userRole gives the routes (`organisation` passed on), a user signed in with the fixtures of their organisation. */
  async function usersOfEach(routes: RouteInfo[], organisation = false) {
    const users = new Map<Role, { agent: Agent; params: Record<string, ParamValues> }>();
    for (const role of new Set(routes.map((route) => userRole(route, organisation)))) {
      const { actor, params } = await fixturesFor(database.db, role, t.deps.files);
      const agent = new Agent(t.app);
      await agent.signIn(actor.username);
      users.set(role, { agent, params });
    }
    return users;
  }

  test('the route table covers the pages of this issue', () => {
    const urls = t.app.routeTable.map((r) => `${r.method} ${r.url}`);
    for (const expected of [
      'GET /',
      'GET /sign-in',
      'POST /sign-in',
      'GET /change-password',
      'GET /contacts',
    ]) {
      assert.ok(urls.includes(expected), `${expected} is registered`);
    }
  });

  test('a signed-out visitor is sent to sign in by every non-public route', async () => {
    const agent = new Agent(t.app);
    await agent.get('/sign-in');
    for (const route of t.app.routeTable.filter((r) => r.access !== 'public')) {
      const url = route.url.replace(/:(\w+)/g, 'x');
      const response = route.method === 'GET' ? await agent.get(url) : await agent.post(url, {});
      assert.equal(response.statusCode, 302, `${route.method} ${url}`);
      assert.equal(response.headers.location, '/sign-in', `${route.method} ${url}`);
    }
  });

  test('a user who must change an issued password can reach nothing else', async () => {
    const la = await makeLa(database.db);
    const user = await makeUser(database.db, 'la_dba', { laNumber: la.number }, { must_change_password: 1 });
    const agent = new Agent(t.app);
    await agent.signIn(user.username);
    for (const route of t.app.routeTable.filter((r) => r.access !== 'public' && r.method === 'GET')) {
      if (['/change-password', '/sign-out'].includes(route.url)) continue;
      const response = await agent.get(route.url.replace(/:(\w+)/g, 'x'));
      assert.equal(response.headers.location, '/change-password', `GET ${route.url}`);
    }
  });

  test('every form post without its CSRF token is refused and changes nothing', async () => {
    // Each post is sent by a role that may use its route (the national administrator where it can),
    // so that the missing token is the only thing that can refuse it.
    const posts = t.app.routeTable.filter((r) => r.method === 'POST');
    const senders = await usersOfEach(posts);
    const before = await database.db.selectFrom('audit_events').select('id').execute();
    for (const route of posts) {
      const sender = senders.get(userRole(route));
      assert.ok(sender);
      const url = fill(route.url, sender.params, 'own');
      const response = await sender.agent.post(url, {}, { csrf: false });
      assert.equal(response.statusCode, 403, `POST ${url}`);
      assert.match(response.body, /The form has expired/, `POST ${url}`);
    }
    const afterwards = await database.db.selectFrom('audit_events').select('id').execute();
    assert.equal(afterwards.length, before.length, 'no audit event: nothing was changed');
  });

  test('every page takes any page number, sort or filter in its address without an error', async () => {
    // Numbers past any list (one whose window began beyond a 64-bit integer was a database error), and
    // values no link of the service holds: each page shows something, redirects or says what is wrong.
    const long = 'x'.repeat(1000);
    const queries = [
      ...['99999999999999999999999', '180143985094819841', '-1', 'x'].map((page) => `page=${page}`),
      ['sort', 'order', 'tab', 'show', 'la', 'status', 'type'].map((name) => `${name}=${long}`).join('&'),
      'page=1&page=2&sort=file&sort=source&order=descending&order=ascending',
    ];
    const gets = t.app.routeTable.filter((r) => r.method === 'GET' && r.access !== 'public');
    const users = await usersOfEach(gets, true);
    const problems: string[] = [];
    for (const route of gets) {
      const user = users.get(userRole(route, true));
      assert.ok(user);
      const url = fill(route.url, user.params, 'own');
      for (const query of queries) {
        const response = await user.agent.get(`${url}?${query}`);
        if (response.statusCode >= 500)
          problems.push(`GET ${url}?${query.slice(0, 60)} answered ${response.statusCode}`);
      }
    }
    assert.deepEqual(problems, []);
  });

  for (const role of ROLES) {
    test(`role ${role}`, async () => {
      const { actor, params } = await fixturesFor(database.db, role, t.deps.files);
      const agent = new Agent(t.app);
      const signedIn = await agent.signIn(actor.username);
      assert.equal(signedIn.headers.location, '/', 'signs in');
      const problems: string[] = [];
      const expect = (ok: boolean, route: RouteInfo, url: string, status: number, wanted: string) => {
        if (!ok)
          problems.push(`${route.method} ${url} (${route.access}) answered ${status}, expected ${wanted}`);
      };

      for (const route of walkOrder(t.app.routeTable)) {
        if (route.access === 'public') continue;
        const allowed = can(role, route.access);
        const send = async (url: string) => {
          if (route.method === 'GET') return agent.get(url);
          await agent.get('/'); // a fresh CSRF token from a page the actor can open
          return agent.post(url, {});
        };

        const ownUrl = fill(route.url, params, 'own');
        const own = await send(ownUrl);
        if (!allowed) {
          expect(own.statusCode === 403, route, ownUrl, own.statusCode, '403');
        } else if (route.method === 'GET') {
          // A page may first ask a national role to choose an LA: a redirect, but never to sign in.
          const redirect = own.statusCode === 302 ? String(own.headers.location) : '';
          const opened =
            own.statusCode === 200 || (redirect !== '' && !/^\/(sign-in|change-password)/.test(redirect));
          expect(opened, route, ownUrl, own.statusCode, '200 (or a redirect within the service)');
        } else {
          expect(own.statusCode < 500 && own.statusCode !== 403, route, ownUrl, own.statusCode, 'no refusal');
        }

        // National roles have no "other organisation": they act for every LA.
        if (hasParams(route) && scopeOf(role) !== 'national') {
          const otherUrl = fill(route.url, params, 'other');
          const other = await send(otherUrl);
          expect(
            other.statusCode === 403 || other.statusCode === 404,
            route,
            otherUrl,
            other.statusCode,
            '403 or 404 (another organisation)',
          );
        }
      }
      assert.deepEqual(problems, []);
    });
  }
});
