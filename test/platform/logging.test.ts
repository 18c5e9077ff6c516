import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { after, before, test } from 'node:test';
import { createApp } from '../../src/app.ts';
import { loadConfig } from '../../src/config.ts';
import { buildDeps } from '../../src/deps.ts';
import { createLogger } from '../../src/platform/logger.ts';
import { MasterKey } from '../../src/platform/storage/envelope.ts';
import { createTestDatabase, type TestDatabase } from '../support/databases.ts';
import { makeLa, makeUser, TEST_PASSWORD } from '../support/factories.ts';
import { Agent } from '../support/web.ts';

let database: TestDatabase;
const lines: string[] = [];
const sink = new Writable({
  write(chunk, _encoding, done) {
    lines.push(String(chunk));
    done();
  },
});

before(async () => {
  database = await createTestDatabase('sqlite');
});
after(async () => {
  await database.drop();
});

test('request logs name the path and status but never query strings, passwords or cookies', async () => {
  const config = loadConfig({
    S2S_ENV: 'test',
    FILE_STORE_DIR: `${database.url.replace('sqlite:', '')}-files`,
    MASTER_KEY: MasterKey.generate().toBase64(),
  });
  const deps = await buildDeps(config, { db: database.db, logger: createLogger('info', sink) });
  const app = await createApp(deps);
  const la = await makeLa(database.db);
  const user = await makeUser(database.db, 'la_user', { laNumber: la.number });
  const agent = new Agent(app);
  await agent.signIn(user.username);
  await agent.get('/establishments?name=Harris%20James&town=Bristol');
  await app.close();

  const log = lines.join('');
  assert.match(log, /"path":"\/sign-in"/, 'requests are logged');
  assert.match(log, /"status":302/);
  assert.doesNotMatch(log, /Harris/, 'no query string');
  assert.doesNotMatch(log, new RegExp(TEST_PASSWORD), 'no password');
  assert.doesNotMatch(log, /s2s_session=/, 'no session cookie');
});
