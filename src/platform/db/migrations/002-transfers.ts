import type { Kysely } from 'kysely';

// Transferred files, the pupils each CTF holds (shown before a file is accepted), and the outbox of
// notifications written in the same transaction as the events that cause them.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('transfers')
    .addColumn('id', 'varchar(36)', (c) => c.primaryKey())
    .addColumn('filename', 'varchar(120)', (c) => c.notNull())
    .addColumn('category', 'varchar(20)', (c) => c.notNull())
    .addColumn('kind', 'varchar(20)', (c) => c.notNull())
    .addColumn('type_code', 'varchar(3)')
    .addColumn('source_la', 'varchar(3)', (c) => c.notNull())
    .addColumn('source_school', 'varchar(7)')
    .addColumn('source_inbox', 'varchar(4)')
    .addColumn('dest_kind', 'varchar(12)', (c) => c.notNull())
    .addColumn('dest_la', 'varchar(3)')
    .addColumn('dest_school', 'varchar(7)')
    .addColumn('dest_inbox', 'varchar(4)')
    .addColumn('lost_reason', 'varchar(30)')
    .addColumn('uploaded_by', 'varchar(36)', (c) => c.notNull())
    .addColumn('uploaded_at', 'varchar(30)', (c) => c.notNull())
    .addColumn('size', 'integer', (c) => c.notNull())
    .addColumn('sha256', 'varchar(64)', (c) => c.notNull())
    .addColumn('storage_key', 'varchar(64)')
    .addColumn('wrapped_key', 'varchar(200)')
    .addColumn('master_key_id', 'varchar(16)')
    .addColumn('pupil_count', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('status', 'varchar(12)', (c) => c.notNull())
    .addColumn('first_downloaded_at', 'varchar(30)')
    .addColumn('last_downloaded_at', 'varchar(30)')
    .addColumn('downloaded_by', 'varchar(36)')
    .addColumn('collected_at', 'varchar(30)')
    .addColumn('rejected_at', 'varchar(30)')
    .addColumn('rejected_by', 'varchar(36)')
    .addColumn('reject_reason', 'varchar(500)')
    .addColumn('removed_at', 'varchar(30)')
    .addColumn('removed_by', 'varchar(36)')
    .addColumn('purged_at', 'varchar(30)')
    .addColumn('forwarded_from', 'varchar(36)', (c) => c.references('transfers.id'))
    .execute();
  await db.schema
    .createIndex('transfers_dest_school')
    .on('transfers')
    .columns(['dest_school', 'status'])
    .execute();
  await db.schema
    .createIndex('transfers_dest_la')
    .on('transfers')
    .columns(['dest_la', 'dest_kind', 'status'])
    .execute();
  await db.schema
    .createIndex('transfers_source_school')
    .on('transfers')
    .columns(['source_school', 'status'])
    .execute();
  await db.schema
    .createIndex('transfers_source_la')
    .on('transfers')
    .columns(['source_la', 'status'])
    .execute();
  await db.schema.createIndex('transfers_uploaded').on('transfers').column('uploaded_at').execute();
  await db.schema
    .createIndex('transfers_last_download')
    .on('transfers')
    .column('last_downloaded_at')
    .execute();

  await db.schema
    .createTable('transfer_pupils')
    .addColumn('transfer_id', 'varchar(36)', (c) =>
      c.notNull().references('transfers.id').onDelete('cascade'),
    )
    .addColumn('position', 'integer', (c) => c.notNull())
    .addColumn('upn', 'varchar(13)')
    .addColumn('former_upn', 'varchar(13)')
    .addColumn('surname', 'varchar(100)')
    .addColumn('former_surname', 'varchar(100)')
    .addColumn('forename', 'varchar(100)')
    .addColumn('middle_names', 'varchar(100)')
    .addColumn('date_of_birth', 'varchar(10)')
    .addColumn('sex', 'varchar(1)')
    .addPrimaryKeyConstraint('transfer_pupils_pk', ['transfer_id', 'position'])
    .execute();

  await db.schema
    .createTable('notification_outbox')
    .addColumn('id', 'varchar(36)', (c) => c.primaryKey())
    .addColumn('created_at', 'varchar(30)', (c) => c.notNull())
    .addColumn('template', 'varchar(40)', (c) => c.notNull())
    .addColumn('recipient_kind', 'varchar(10)', (c) => c.notNull())
    .addColumn('recipient', 'varchar(36)', (c) => c.notNull())
    .addColumn('payload', 'text', (c) => c.notNull())
    .addColumn('status', 'varchar(10)', (c) => c.notNull().defaultTo('pending'))
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('next_attempt_at', 'varchar(30)', (c) => c.notNull())
    .addColumn('last_error', 'varchar(1000)')
    .addColumn('sent_at', 'varchar(30)')
    .execute();
  await db.schema
    .createIndex('notification_outbox_due')
    .on('notification_outbox')
    .columns(['status', 'next_attempt_at'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('notification_outbox').execute();
  await db.schema.dropTable('transfer_pupils').execute();
  await db.schema.dropTable('transfers').execute();
}
