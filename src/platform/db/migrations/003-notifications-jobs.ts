import type { Kysely } from 'kysely';

// Delivery of the notification outbox (who it went to, what the mail server answered, which process is
// sending it now) and the scheduled jobs' runs: one row per job and scheduled time, so that with several
// app processes on one database a due job runs once (the unique index decides who runs it).
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('notification_outbox').addColumn('to_address', 'varchar(320)').execute();
  await db.schema.alterTable('notification_outbox').addColumn('subject', 'varchar(200)').execute();
  await db.schema.alterTable('notification_outbox').addColumn('server_response', 'varchar(1000)').execute();
  await db.schema.alterTable('notification_outbox').addColumn('lease_owner', 'varchar(80)').execute();
  await db.schema.alterTable('notification_outbox').addColumn('lease_until', 'varchar(30)').execute();
  await db.schema.alterTable('notification_outbox').addColumn('dedupe_key', 'varchar(200)').execute();
  await db.schema
    .createIndex('notification_outbox_dedupe')
    .on('notification_outbox')
    .column('dedupe_key')
    .unique()
    .execute();
  await db.schema
    .createIndex('notification_outbox_recipient')
    .on('notification_outbox')
    .columns(['recipient_kind', 'recipient', 'status'])
    .execute();

  await db.schema
    .createTable('job_runs')
    .addColumn('id', 'varchar(36)', (c) => c.primaryKey())
    .addColumn('job', 'varchar(40)', (c) => c.notNull())
    .addColumn('slot', 'varchar(80)', (c) => c.notNull())
    .addColumn('trigger', 'varchar(10)', (c) => c.notNull())
    .addColumn('owner', 'varchar(80)', (c) => c.notNull())
    .addColumn('started_at', 'varchar(30)', (c) => c.notNull())
    .addColumn('lease_until', 'varchar(30)', (c) => c.notNull())
    .addColumn('finished_at', 'varchar(30)')
    .addColumn('status', 'varchar(10)', (c) => c.notNull())
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(1))
    .addColumn('summary', 'varchar(1000)')
    .addColumn('error', 'varchar(1000)')
    .execute();
  await db.schema.createIndex('job_runs_slot').on('job_runs').columns(['job', 'slot']).unique().execute();
  await db.schema.createIndex('job_runs_started').on('job_runs').column('started_at').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('job_runs').execute();
  await db.schema.dropIndex('notification_outbox_recipient').execute();
  await db.schema.dropIndex('notification_outbox_dedupe').execute();
  for (const column of [
    'dedupe_key',
    'lease_until',
    'lease_owner',
    'server_response',
    'subject',
    'to_address',
  ]) {
    await db.schema.alterTable('notification_outbox').dropColumn(column).execute();
  }
}
