// Scratch audit (to be deleted): a PostgreSQL error raised while a CTF's pupils are recorded is logged
// with its `detail`, which PostgreSQL fills with the failing row's values: the pupil's name, UPN and
// date of birth. The fault is made with a CHECK constraint on the test's own schema, standing for any
// constraint or NOT NULL violation PostgreSQL reports with "Failing row contains (...)".
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { after, before, test } from 'node:test';
import pg from 'pg';
import { createApp } from '../../src/app.ts';
import { loadConfig } from '../../src/config.ts';
import { makeUpn } from '../../src/ctf/upn.ts';
import { buildDeps } from '../../src/deps.ts';
import { createLogger } from '../../src/platform/logger.ts';
import { MasterKey } from '../../src/platform/storage/envelope.ts';
import { ctfBetween } from '../fixtures/ctf/generate.ts';
import { asMigration, createTestDatabase, POSTGRES_URL, type TestDatabase } from '../support/databases.ts';
import { makeLa, makeSchool, makeUser } from '../support/factories.ts';
import { Agent } from '../support/web.ts';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

let database: TestDatabase;
const lines: string[] = [];
const sink = new Writable({
  write(chunk, _encoding, done) {
    lines.push(String(chunk));
    done();
  },
});

before(async () => {
  database = await createTestDatabase('postgres');
});
after(async () => {
  await database.drop();
});

test('a database error while a CTF is recorded puts no pupil data in the log [postgres]', async () => {
  const config = loadConfig({
    S2S_ENV: 'test',
    FILE_STORE_DIR: mkdtempSync(join(tmpdir(), 's2s-scratch-files-')),
    MASTER_KEY: MasterKey.generate().toBase64(),
  });
  const deps = await buildDeps(config, { db: database.db, logger: createLogger('info', sink) });
  const app = await createApp(deps);
  const la = await makeLa(database.db);
  const otherLa = await makeLa(database.db);
  const school = await makeSchool(database.db, la.number);
  const dest = await makeSchool(database.db, otherLa.number);
  const user = await makeUser(database.db, 'school', { laNumber: la.number, establishmentNumber: school.number });

  // The fault: any row-level constraint PostgreSQL reports with the failing row.
  const client = new pg.Client({ connectionString: POSTGRES_URL });
  await client.connect();
  await asMigration(
    client,
    `alter table ${database.schema}.transfer_pupils add constraint scratch_fault check (surname <> 'Quenby-Aldous')`,
  );
  await client.end();

  const upn = makeUpn(la.number, school.number.slice(3), '15', '042');
  const agent = new Agent(app);
  assert.equal((await agent.signIn(user.username)).statusCode, 302);
  await agent.get('/upload/ctf');
  const response = await agent.postMultipart('/upload/ctf', [
    {
      filename: `${school.number}_CTF_${dest.number}_001.XML`,
      content: ctfBetween(school.number, dest.number, [
        { upn, surname: 'Quenby-Aldous', forename: 'Philippa', dob: '2015-03-17', sex: 'F' },
      ]),
    },
  ]);
  await app.close();
  assert.equal(response.statusCode, 200);
  const log = lines.join('');
  assert.match(log, /an upload failed/, 'the failure is logged');
  const failure = lines.find((line) => line.includes('an upload failed')) ?? '';
  console.log(failure);
  assert.doesNotMatch(log, /Quenby-Aldous/, 'no surname');
  assert.doesNotMatch(log, /Philippa/, 'no forename');
  assert.doesNotMatch(log, new RegExp(upn), 'no UPN');
  assert.doesNotMatch(log, /2015-03-17/, 'no date of birth');
});
