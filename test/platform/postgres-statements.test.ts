// PostgreSQL runs s2s's parameterised statements as named prepared statements, kept per connection
// (prepared-statements.ts): prepared once, run again by name; never a statement without parameters or
// with a long list of them; no more than the limit per connection; and a table changed under a kept
// statement (a migration by another node) costs no query outside a transaction and one transaction of
// the pool inside one, the pool naming no more statements from then on.
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { after, before, test } from 'node:test';
import { Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import {
  MAX_PREPARED_PARAMETERS,
  PREPARED_PER_CONNECTION,
  preparingPool,
} from '../../src/platform/db/prepared-statements.ts';
import { asMigration, createTestDatabase, POSTGRES_URL } from '../support/databases.ts';

interface Tables {
  t: { a: number; b?: string };
}

const schema = `t_${randomBytes(6).toString('hex')}`;
let admin: pg.Client;

before(async () => {
  admin = new pg.Client({ connectionString: POSTGRES_URL });
  await admin.connect();
  await admin.query(`create schema ${schema}`);
  await admin.query(`create table ${schema}.t (a integer)`);
  await admin.query(`insert into ${schema}.t (a) values (1), (2)`);
});

after(async () => {
  await asMigration(admin, `drop schema ${schema} cascade`);
  await admin.end();
});

/** A database of one connection (so every query is on it), and what that connection has prepared. */
function oneConnection() {
  const pool = new pg.Pool({ connectionString: POSTGRES_URL, max: 1, options: `-c search_path=${schema}` });
  const db = new Kysely<Tables>({ dialect: new PostgresDialect({ pool: preparingPool(pool) }) });
  const prepared = async () => {
    const { rows } = await sql<{
      statement: string;
    }>`select statement from pg_prepared_statements order by prepare_time`.execute(db);
    return rows.map((row) => row.statement);
  };
  return { db, prepared };
}

test('a statement with parameters is prepared once and run again by name; one without is not', async () => {
  const { db, prepared } = oneConnection();
  try {
    const above = (n: number) => db.selectFrom('t').select('a').where('a', '>', n).orderBy('a').execute();
    assert.deepEqual(await above(0), [{ a: 1 }, { a: 2 }]);
    assert.deepEqual(await above(1), [{ a: 2 }]);
    await db.selectFrom('t').select('a').execute();
    const statements = await prepared();
    assert.equal(statements.length, 1, statements.join('\n'));
    assert.match(statements[0] as string, /where "a" > \$1/);
  } finally {
    await db.destroy();
  }
});

test('a long list of values runs unnamed', async () => {
  const { db, prepared } = oneConnection();
  try {
    const values = Array.from({ length: MAX_PREPARED_PARAMETERS + 1 }, (_, n) => n);
    const rows = await db.selectFrom('t').select('a').where('a', 'in', values).orderBy('a').execute();
    assert.deepEqual(rows, [{ a: 1 }, { a: 2 }]);
    await db.selectFrom('t').select('a').where('a', 'in', values.slice(0, MAX_PREPARED_PARAMETERS)).execute();
    assert.equal((await prepared()).length, 1, 'only the list within the limit');
  } finally {
    await db.destroy();
  }
});

test('a connection keeps no more than the limit, and runs the rest unnamed', async () => {
  const { db, prepared } = oneConnection();
  try {
    for (let n = 0; n <= PREPARED_PER_CONNECTION; n += 1) {
      const rows = await sql<{ a: number }>`select a from t where a = ${2} and ${n} >= 0`.execute(db);
      assert.deepEqual(rows.rows, [{ a: 2 }]);
      // Each text differs (the number is written into it), as different queries' texts do.
      await sql`select a from t where a = ${1} and ${sql.raw(String(n))} >= 0`.execute(db);
    }
    assert.equal((await prepared()).length, PREPARED_PER_CONNECTION);
  } finally {
    await db.destroy();
  }
});

test('a table changed under a kept statement: run again outside a transaction, refused once inside one', async () => {
  const { db, prepared } = oneConnection();
  const all = (executor: Kysely<Tables>) =>
    executor.selectFrom('t').selectAll().where('a', '>', 0).orderBy('a').execute();
  try {
    assert.deepEqual(await all(db), [{ a: 1 }, { a: 2 }]);
    // Another node's migration.
    await asMigration(admin, `alter table ${schema}.t add column b text default 'x'`);
    assert.deepEqual(await all(db), [
      { a: 1, b: 'x' },
      { a: 2, b: 'x' },
    ]);
    await asMigration(admin, `alter table ${schema}.t drop column b`);
    // The connection now names nothing, so the next transaction runs as it would without kept statements.
    await db.transaction().execute(async (trx) => assert.deepEqual(await all(trx), [{ a: 1 }, { a: 2 }]));
    assert.equal((await prepared()).length, 1, 'the statement kept before the change, unused since');
  } finally {
    await db.destroy();
  }
  const second = oneConnection();
  try {
    assert.deepEqual(await all(second.db), [{ a: 1 }, { a: 2 }]);
    await asMigration(admin, `alter table ${schema}.t add column b text default 'y'`);
    await assert.rejects(
      second.db.transaction().execute((trx) => all(trx)),
      /cached plan must not change result type/,
    );
    await second.db.transaction().execute(async (trx) =>
      assert.deepEqual(await all(trx), [
        { a: 1, b: 'y' },
        { a: 2, b: 'y' },
      ]),
    );
  } finally {
    await second.db.destroy();
    await asMigration(admin, `alter table ${schema}.t drop column b`);
  }
});

test('after `s2s migrate` adds a column, a node of the previous version fails one transaction, not one a connection', async () => {
  const database = await createTestDatabase('postgres');
  const migrator = new pg.Client({ connectionString: POSTGRES_URL });
  await migrator.connect();
  try {
    const { db } = database;
    const id = randomUUID();
    const readInTransaction = () =>
      db.transaction().execute((tx) => tx.selectFrom('transfers').selectAll().where('id', '=', id).execute());
    const threeAtOnce = () => Promise.all([1, 2, 3].map(readInTransaction));
    // Three of the pool's connections, each with the read prepared.
    await threeAtOnce();
    await asMigration(
      migrator,
      `alter table ${database.schema}.transfers add column added_by_next_release text`,
    );
    // The first transaction to run the read on the new table fails (rolled back, as any failed request)...
    await assert.rejects(readInTransaction(), /cached plan must not change result type/);
    // ...and from then on the pool names no statement: the other connections run the read unnamed.
    await assert.doesNotReject(threeAtOnce());
  } finally {
    await migrator.end();
    await database.drop();
  }
});
