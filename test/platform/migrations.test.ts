// Bringing the schema up to date at every start (`s2s serve`, `s2s migrate`) when the database may be
// ahead of this version: the previous version rolled back onto a schema a newer one migrated (migrations
// only add, so it runs on it) starts with a warning; a database that lacks some of this version's
// migrations and holds others it does not know is refused, and nothing is migrated.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { test } from 'node:test';
import { sql } from 'kysely';
import pg from 'pg';
import { loadConfig } from '../../src/config.ts';
import { buildDeps } from '../../src/deps.ts';
import {
  appliedMigrations,
  createDatabase,
  MIGRATION_NAMES,
  migrateToLatest,
} from '../../src/platform/db/database.ts';
import { runMigrateCommand } from '../../src/platform/db/migrate-command.ts';
import type { Db } from '../../src/platform/db/schema.ts';
import { createLogger } from '../../src/platform/logger.ts';
import { MasterKey } from '../../src/platform/storage/envelope.ts';
import { runS2s, s2sEnv } from '../support/cli.ts';
import { createTestDatabase, describeEachEngine, ENGINES, POSTGRES_URL } from '../support/databases.ts';

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

  test('`s2s migrate` of this version says the database is at a newer schema, names both ends, and does nothing', async () => {
    const { db, schema } = database();
    await sql`insert into kysely_migration (name, timestamp)
      values (${'998-an-earlier-one'}, ${new Date().toISOString()})`.execute(db);
    const out: string[] = [];
    const err: string[] = [];
    const code = await runMigrateCommand(
      db,
      { out: (text) => out.push(text), err: (text) => err.push(text) },
      schema,
    );
    assert.equal(code, 0, 'a rollback runs it too, and must not stop on it');
    assert.deepEqual(err, []);
    assert.equal(
      out.join(''),
      `The database is at a newer schema than this version of s2s knows: it has run ${NEXT_RELEASE} ` +
        `(and 998-an-earlier-one), and the newest migration this version knows is ${MIGRATION_NAMES.at(-1)}. ` +
        'Nothing was done. This version runs on the newer schema (migrations only add), as after a ' +
        "rollback; to bring the schema up to date, run the newer version's s2s migrate.\n",
    );
    assert.deepEqual(await appliedMigrations(db, schema), [...MIGRATION_NAMES]);
  });
});

test('`s2s migrate` on a database a newer version has migrated does not say it is up to date', async () => {
  const dir = mkdtempSync(join(tmpdir(), 's2s-migrate-newer-'));
  try {
    const env = s2sEnv(dir);
    const first = runS2s(['migrate'], env);
    assert.equal(first.code, 0, first.stderr);
    assert.equal(first.stdout, 'The database schema is up to date.\n');
    const db = createDatabase(env.DATABASE_URL ?? '');
    try {
      await runByNewerRelease(db);
    } finally {
      await db.destroy();
    }
    const again = runS2s(['migrate'], env);
    assert.equal(again.code, 0, again.stderr);
    assert.doesNotMatch(again.stdout, /up to date\./);
    assert.match(
      again.stdout,
      new RegExp(
        `newer schema than this version of s2s knows: it has run ${NEXT_RELEASE}, and the newest migration this version knows is ${MIGRATION_NAMES.at(-1)}\\. Nothing was done\\.`,
      ),
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
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

test('reading which migrations have run does not fail while another session creates and drops schemas and columns', async () => {
  const database = await createTestDatabase('postgres');
  const other = new pg.Client({ connectionString: POSTGRES_URL });
  await other.connect();
  const churnSchema = `churn_${database.schema}`;
  let churning = true;
  // Another application's (or test's) schema changes, as fast as they go, without the migration lock.
  const churn = (async () => {
    while (churning) {
      await other.query(`create schema ${churnSchema}`);
      await other.query(`create table ${churnSchema}.t (id serial primary key, gone integer)`);
      await other.query(`alter table ${churnSchema}.t drop column gone`);
      await other.query(`drop schema ${churnSchema} cascade`);
    }
  })();
  try {
    for (let read = 0; read < 200; read += 1) {
      assert.deepEqual(await appliedMigrations(database.db, database.schema), [...MIGRATION_NAMES]);
    }
  } finally {
    churning = false;
    await churn;
    await other.end();
    await database.drop();
  }
});

for (const engine of ENGINES) {
  test(`a migration that fails part of the way leaves nothing of it, so the next run completes it [${engine}]`, async () => {
    // 052 adds two columns. With the second already there (as a disk filling up, a crash or a kill
    // between its statements would leave the first), its second statement fails: on SQLite its first
    // stayed, unrecorded, and every later run failed on it ("duplicate column name").
    const failing = '052-outbox-failed-at';
    const database = await createTestDatabase(engine, MIGRATION_NAMES[MIGRATION_NAMES.indexOf(failing) - 1]);
    try {
      const { db, schema } = database;
      const outbox = schema ? `${schema}.notification_outbox` : 'notification_outbox';
      await sql`alter table ${sql.table(outbox)} add column previous_failed_at varchar(30)`.execute(db);
      await assert.rejects(migrateToLatest(db, schema), /Database migration 052-outbox-failed-at failed/);
      const hasFailedAt = () =>
        sql`select failed_at from ${sql.table(outbox)} where 1 = 0`.execute(db).then(
          () => true,
          () => false,
        );
      assert.equal(await hasFailedAt(), false, 'its first statement was undone');
      assert.equal((await appliedMigrations(db, schema)).includes(failing), false);

      await sql`alter table ${sql.table(outbox)} drop column previous_failed_at`.execute(db);
      await migrateToLatest(db, schema);
      assert.ok(await hasFailedAt());
      assert.deepEqual(await appliedMigrations(db, schema), MIGRATION_NAMES);
    } finally {
      await database.drop();
    }
  });
}
