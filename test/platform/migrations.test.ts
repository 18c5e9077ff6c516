// Bringing the schema up to date at every start (`s2s serve`, `s2s migrate`) when the database may be
// ahead of this version: the previous version rolled back onto a schema a newer one migrated (migrations
// only add, so it runs on it) starts with a warning; a database that lacks some of this version's
// migrations and holds others it does not know is refused, and nothing is migrated.
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { test } from 'node:test';
import { sql } from 'kysely';
import { loadConfig } from '../../src/config.ts';
import { buildDeps } from '../../src/deps.ts';
import { appliedMigrations, MIGRATION_NAMES, migrateToLatest } from '../../src/platform/db/database.ts';
import type { Db } from '../../src/platform/db/schema.ts';
import { createLogger } from '../../src/platform/logger.ts';
import { MasterKey } from '../../src/platform/storage/envelope.ts';
import { createTestDatabase, describeEachEngine, ENGINES } from '../support/databases.ts';

/** A name sorting after any real migration: one a newer release ran. */
const NEXT_RELEASE = '999-next-release';

async function runByNewerRelease(db: Db): Promise<void> {
  await sql`insert into kysely_migration (name, timestamp)
    values (${NEXT_RELEASE}, ${new Date().toISOString()})`.execute(db);
}

describeEachEngine('rolling back onto a newer schema', (database) => {
  test('a node of this version starts on a database a newer version has migrated, and says so', async () => {
    const { db, schema } = database();
    await runByNewerRelease(db);
    assert.deepEqual(await migrateToLatest(db, schema), { unknown: [NEXT_RELEASE] });
    assert.deepEqual(await appliedMigrations(db, schema), [...MIGRATION_NAMES]);
  });
});

test('`s2s serve` starts on such a database with a warning naming the newer migrations', async () => {
  const database = await createTestDatabase('sqlite');
  const lines: string[] = [];
  const log = new Writable({
    write(chunk, _encoding, done) {
      lines.push(String(chunk));
      done();
    },
  });
  try {
    await runByNewerRelease(database.db);
    const config = loadConfig({
      S2S_ENV: 'test',
      FILE_STORE_DIR: `${database.url.replace('sqlite:', '')}-files`,
      MASTER_KEY: MasterKey.generate().toBase64(),
    });
    await buildDeps(config, { db: database.db, logger: createLogger('warn', log) });
    assert.match(
      lines.join(''),
      new RegExp(`the database is ahead of this version: it has run ${NEXT_RELEASE}`),
    );
  } finally {
    await database.drop();
  }
});

for (const engine of ENGINES) {
  test(`a database missing one of this version's migrations and holding one it does not know is refused, unchanged [${engine}]`, async () => {
    const last = MIGRATION_NAMES.at(-1) as string;
    const database = await createTestDatabase(engine, MIGRATION_NAMES.at(-2));
    try {
      const { db, schema } = database;
      await runByNewerRelease(db);
      await assert.rejects(
        migrateToLatest(db, schema),
        new RegExp(
          `does not know the migration ${NEXT_RELEASE}.*has not run ${last}.*Nothing was migrated`,
          's',
        ),
      );
      assert.equal((await appliedMigrations(db, schema)).includes(last), false);
    } finally {
      await database.drop();
    }
  });
}
