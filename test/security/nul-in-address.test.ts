// An address whose id holds the null character (/dba/users/%00, typed or altered by hand) names nothing:
// every page and form and every API operation with an id in its address answers not found. PostgreSQL
// refuses the character in text, so these were the server-error page there (43 routes, found by sending
// odd values to every route); the forms' and queries' text was already refused with a message.
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { can, ROLES, type Role, scopeOf } from '../../src/auth/permissions.ts';
import type { UserRow } from '../../src/platform/db/schema.ts';
import { makeToken } from '../api/support.ts';
import { describeEachEngine } from '../support/databases.ts';
import { makeLa, makeSchool, makeUser } from '../support/factories.ts';
import { Agent, createTestApp, type TestApp } from '../support/web.ts';

const withNul = (url: string) => url.replace(/:(\w+)/g, '%00');

describeEachEngine('an id holding the null character in an address', (database) => {
  let t: TestApp;
  const users = new Map<Role, UserRow>();
  before(async () => {
    const { db } = database();
    t = await createTestApp(db);
    const la = await makeLa(db);
    const school = await makeSchool(db, la.number);
    for (const role of ROLES) {
      const scope = scopeOf(role);
      users.set(
        role,
        await makeUser(db, role, {
          laNumber: scope === 'national' ? null : la.number,
          establishmentNumber: scope === 'school' ? school.number : null,
        }),
      );
    }
  });

  test('every page and form with an id in its address: not found', async () => {
    const agents = new Map<Role, Agent>();
    const agentOf = async (role: Role) => {
      let agent = agents.get(role);
      if (!agent) {
        agent = new Agent(t.app);
        const user = users.get(role);
        assert.ok(user);
        assert.equal((await agent.signIn(user.username)).statusCode, 302, `${role} signs in`);
        agents.set(role, agent);
      }
      return agent;
    };
    const routes = t.app.routeTable.filter((route) => route.url.includes(':') && route.access !== 'public');
    assert.ok(routes.length > 40, 'the routes with an id in their address');
    const problems: string[] = [];
    for (const route of routes) {
      const access = route.access;
      const role = access === 'public' ? undefined : ROLES.find((r) => can(r, access));
      assert.ok(role, `some role may use ${route.method} ${route.url}`);
      const agent = await agentOf(role);
      const url = withNul(route.url);
      if (route.method !== 'GET') await agent.get('/'); // a fresh CSRF token
      const response = route.method === 'GET' ? await agent.get(url) : await agent.post(url, {});
      if (response.statusCode !== 404 || !/not found|Page not found/i.test(response.body)) {
        problems.push(`${route.method} ${url} as ${role} answered ${response.statusCode}`);
      }
    }
    assert.deepEqual(problems, []);
  });

  test('every API operation with an id in its address: not found, as a problem', async () => {
    const { db } = database();
    // A token of every role the API serves, with the widest scope the role may give it.
    const tokens: string[] = [];
    for (const user of users.values()) {
      for (const scope of ['admin', 'transfer', 'read'] as const) {
        const token = await makeToken(db, user, scope).catch(() => undefined);
        if (token) {
          tokens.push(token);
          break;
        }
      }
    }
    const routes = t.app.apiRouteTable.filter((route) => route.url.includes(':'));
    assert.ok(routes.length > 5, 'the operations with an id in their address');
    const problems: string[] = [];
    for (const route of routes) {
      const answers: number[] = [];
      for (const token of tokens) {
        const send = (contentType: string, payload: string) =>
          t.app.inject({
            method: route.method as 'GET' | 'POST' | 'DELETE',
            url: withNul(route.url),
            headers: {
              authorization: `Bearer ${token}`,
              ...(route.method === 'POST' ? { 'content-type': contentType } : {}),
            },
            ...(route.method === 'POST' ? { payload } : {}),
          });
        let response = await send('application/json', '{}');
        // An operation that takes files refuses any other body before reading it: sent an empty form.
        if (response.statusCode === 415)
          response = await send('multipart/form-data; boundary=b', '--b--\r\n');
        answers.push(response.statusCode);
        if (response.statusCode === 404) {
          assert.match(String(response.headers['content-type']), /^application\/problem\+json/);
        }
      }
      // Each token may use the operation (not found) or not (forbidden, or its scope too narrow).
      if (!answers.includes(404) || answers.some((status) => status !== 404 && status !== 403)) {
        problems.push(`${route.method} ${route.url}: ${answers.join(' ')}`);
      }
    }
    assert.deepEqual(problems, []);
  });
});
