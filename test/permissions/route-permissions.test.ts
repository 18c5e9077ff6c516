// The permission matrix: every page route, for every role, against its own organisation's records and
// another organisation's. Routes come from the app's own route table, so a new route is covered the
// moment it is registered (and a new kind of URL parameter fails here until it is given fixtures).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { can, ROLES, type Role, scopeOf } from '../../src/auth/permissions.ts';
import type { RouteInfo } from '../../src/auth/web.ts';
import type { Db } from '../../src/platform/db/schema.ts';
import { createTestDatabase, type TestDatabase } from '../support/databases.ts';
import { makeLa, makeSchool, makeUser } from '../support/factories.ts';
import { Agent, createTestApp, type TestApp } from '../support/web.ts';

/** For each URL parameter: a record the actor's organisation owns, and one of another LA. */
interface ParamValues {
  own: string;
  other: string;
}

async function fixturesFor(db: Db, role: Role) {
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
  const params: Record<string, ParamValues> = {
    id: { own: colleague.id, other: stranger.id },
    number: { own: school.number, other: otherSchool.number },
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
    const { actor, params } = await fixturesFor(database.db, 'national_admin');
    const agent = new Agent(t.app);
    await agent.signIn(actor.username);
    const before = await database.db.selectFrom('audit_events').select('id').execute();
    for (const route of t.app.routeTable.filter((r) => r.method === 'POST')) {
      const url = fill(route.url, params, 'own');
      const response = await agent.post(url, {}, { csrf: false });
      assert.equal(response.statusCode, 403, `POST ${url}`);
      assert.match(response.body, /The form has expired/, `POST ${url}`);
    }
    const afterwards = await database.db.selectFrom('audit_events').select('id').execute();
    assert.equal(afterwards.length, before.length, 'no audit event: nothing was changed');
  });

  for (const role of ROLES) {
    test(`role ${role}`, async () => {
      const { actor, params } = await fixturesFor(database.db, role);
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
