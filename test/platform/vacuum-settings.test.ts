// The tables the LA's reports read from their indexes alone (decisions 44 and 45) are vacuumed sooner on
// PostgreSQL (migration 048): its index-only reads go to the table for any page written since the last
// vacuum, and by default a national-size table waits months for one. (SQLite has no visibility map.)
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { sql } from 'kysely';
import { createTestDatabase } from '../support/databases.ts';

test('transfers, lost pupils and message copies are vacuumed once a hundredth of their rows are new [postgres]', async () => {
  const database = await createTestDatabase('postgres');
  try {
    const { rows } = await sql<{ relname: string; reloptions: string[] | null }>`
      select relname, reloptions from pg_class
      where relnamespace = ${database.schema}::regnamespace and relkind = 'r'
        and relname in ('transfers', 'lost_pupils', 'message_recipients', 'messages')
      order by relname`.execute(database.db);
    assert.deepEqual(
      rows.map((row) => [row.relname, [...(row.reloptions ?? [])].sort()]),
      [
        [
          'lost_pupils',
          ['autovacuum_vacuum_insert_scale_factor=0.01', 'autovacuum_vacuum_scale_factor=0.02'],
        ],
        [
          'message_recipients',
          ['autovacuum_vacuum_insert_scale_factor=0.01', 'autovacuum_vacuum_scale_factor=0.02'],
        ],
        ['messages', []],
        ['transfers', ['autovacuum_vacuum_insert_scale_factor=0.01', 'autovacuum_vacuum_scale_factor=0.02']],
      ],
    );
  } finally {
    await database.drop();
  }
});
