// PostgreSQL going away mid-traffic (issue 12.4), as a server restart looks to s2s: every connection
// of its pool is terminated by the server, idle ones and ones in the middle of a request. No process
// stops (a broken idle connection would otherwise stop Node on the pool's 'error' event); requests
// caught by it fail with the service's error page, never a stack trace; the next ones succeed, without
// restarting s2s. Terminating the connections (pg_terminate_backend) is what a restart does to them,
// without stopping the server the other tests share.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { createTestDatabase, POSTGRES_URL, type TestDatabase } from '../support/databases.ts';
import { makeLa, makeUser } from '../support/factories.ts';
import { Agent, createTestApp, type TestApp } from '../support/web.ts';

describe('PostgreSQL connections lost mid-traffic', () => {
  let database: TestDatabase;
  let t: TestApp;
  before(async () => {
    database = await createTestDatabase('postgres');
    t = await createTestApp(database.db);
  });
  after(async () => {
    await t.app.close();
    await database.drop();
  });

  async function terminateConnections(): Promise<number> {
    const admin = new pg.Client({ connectionString: POSTGRES_URL });
    await admin.connect();
    try {
      const result = await admin.query(
        'select pg_terminate_backend(pid) from pg_stat_activity where application_name = $1',
        [`s2s ${database.schema}`],
      );
      return result.rowCount ?? 0;
    } finally {
      await admin.end();
    }
  }

  /**
   * Waits until the terminated server processes have exited, so their connections are closed (a fixed
   * pause was a guess that a busy machine could miss), then lets the pool hear of it.
   */
  async function connectionsGone(): Promise<void> {
    const admin = new pg.Client({ connectionString: POSTGRES_URL });
    await admin.connect();
    try {
      for (;;) {
        const result = await admin.query('select 1 from pg_stat_activity where application_name = $1', [
          `s2s ${database.schema}`,
        ]);
        if (result.rowCount === 0) break;
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    } finally {
      await admin.end();
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }

  test('requests caught by it fail cleanly, and s2s recovers by itself', async () => {
    const la = await makeLa(database.db);
    const user = await makeUser(database.db, 'la_user', { laNumber: la.number });
    const agent = new Agent(t.app);
    assert.equal((await agent.signIn(user.username)).statusCode, 302);
    const home = () => agent.get('/');
    // Fill the pool with connections, then kill them while idle.
    for (const response of await Promise.all(Array.from({ length: 10 }, home)))
      assert.equal(response.statusCode, 200);
    assert.ok((await terminateConnections()) > 0, 'the pool had connections to lose');
    await connectionsGone();
    for (const response of await Promise.all(Array.from({ length: 5 }, home))) {
      assert.equal(response.statusCode, 200, 'new connections replace the lost idle ones');
    }

    // Now while requests are running.
    const traffic = Array.from({ length: 30 }, home);
    await terminateConnections();
    const responses = await Promise.all(traffic);
    for (const response of responses) {
      assert.ok([200, 500, 503].includes(response.statusCode), `status ${response.statusCode}`);
      assert.doesNotMatch(response.body, /\n\s+at \S+ \(/, 'no stack trace');
      if (response.statusCode !== 200)
        assert.match(response.body, /Sorry, there is a problem with the service|try again/i);
    }
    for (let i = 0; i < 5; i += 1)
      assert.equal((await home()).statusCode, 200, 'recovered without a restart');
  });
});
