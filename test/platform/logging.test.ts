import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { after, before, test } from 'node:test';
import { sql } from 'kysely';
import pg from 'pg';
import { createApp } from '../../src/app.ts';
import { loadConfig } from '../../src/config.ts';
import { buildDeps } from '../../src/deps.ts';
import { createLogger } from '../../src/platform/logger.ts';
import { MasterKey } from '../../src/platform/storage/envelope.ts';
import { asMigration, createTestDatabase, POSTGRES_URL, type TestDatabase } from '../support/databases.ts';
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

/** Lines written by a fresh logger while `write` runs. */
function logOf(write: (logger: ReturnType<typeof createLogger>) => void): string {
  const written: string[] = [];
  const logger = createLogger(
    'info',
    new Writable({
      write(chunk, _encoding, done) {
        written.push(String(chunk));
        done();
      },
    }),
  );
  write(logger);
  return written.join('');
}

test('a logged error keeps its message, code and names but not the values a database error carries', () => {
  // What pg's DatabaseError holds for a refused row.
  const refused = Object.assign(
    new Error('new row for relation "transfer_pupils" violates check constraint "c"'),
    {
      code: '23514',
      table: 'transfer_pupils',
      constraint: 'c',
      schema: 'public',
      detail: 'Failing row contains (A123456789012, Harrison, Jameson, 2012-03-04).',
      where: 'SQL statement "insert ... Harrison"',
      hint: 'Harrison',
      internalQuery: 'select Harrison',
      parameters: ['Harrison'],
      somethingElse: 'Harrison',
    },
  );
  const log = logOf((logger) => {
    logger.error({ err: refused }, 'an upload failed');
    logger.error({ error: new Error('the upload failed', { cause: refused }) }, 'wrapped');
    logger.error(refused);
    logger.error({ err: new AggregateError([refused], 'several') }, 'aggregate');
  });
  assert.doesNotMatch(log, /Harrison|A123456789012/);
  for (const line of log.trim().split('\n')) {
    assert.match(
      line,
      /"message":"new row for relation .*violates check constraint/,
      'the message, in every form',
    );
    assert.match(line, /"code":"23514"/);
  }
  assert.match(log, /"table":"transfer_pupils"/);
  assert.match(log, /"constraint":"c"/);
  assert.match(log, /"stack":"Error: new row/);
  assert.match(log, /"error":\{"type":"Error","message":"the upload failed"/);
});

test('a real PostgreSQL error about a pupil row is logged without the row', async () => {
  const database = await createTestDatabase('postgres');
  try {
    const admin = new pg.Client({ connectionString: POSTGRES_URL });
    await admin.connect();
    await asMigration(
      admin,
      `create table ${database.schema}.pupil_names (surname text unique check (surname <> 'Zebedee'))`,
    );
    await admin.end();
    await sql`insert into pupil_names values ('Harrison')`.execute(database.db);
    const failures: unknown[] = [];
    for (const surname of ['Harrison', 'Zebedee']) {
      await sql`insert into pupil_names values (${surname})`
        .execute(database.db)
        .catch((error) => failures.push(error));
    }
    assert.match(String((failures[0] as { detail: string }).detail), /Harrison/, 'the error holds the value');
    const log = logOf((logger) => {
      for (const error of failures) logger.error({ err: error }, 'an upload failed');
    });
    assert.doesNotMatch(log, /Harrison|Zebedee/);
    assert.match(log, /"code":"23505".*duplicate key value violates unique constraint/);
    assert.match(log, /"code":"23514".*violates check constraint/);
  } finally {
    await database.drop();
  }
});
