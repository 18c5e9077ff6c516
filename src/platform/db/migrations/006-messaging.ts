import type { Kysely } from 'kysely';

// Secure messaging (handbook §11, LA notes §6). A message is addressed to mailboxes: a school
// ('school:9165402'), one type of user of an LA ('la:916:la_user'), or the national administrators
// ('national'). Everyone who reads a mailbox shares its copy: read by one is read for all, as the
// sender's "not yet read" count and the LA's message report count mailboxes, not people.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('messages')
    .addColumn('id', 'varchar(36)', (c) => c.primaryKey())
    .addColumn('sender_user_id', 'varchar(36)', (c) => c.notNull().references('users.id'))
    .addColumn('sender_mailbox', 'varchar(40)', (c) => c.notNull())
    .addColumn('sender_label', 'varchar(200)', (c) => c.notNull())
    .addColumn('description', 'varchar(100)', (c) => c.notNull())
    .addColumn('body', 'text', (c) => c.notNull())
    // 'message': read in s2s, the recipients told by email that it waits; 'email': sent as an email.
    .addColumn('delivery', 'varchar(10)', (c) => c.notNull())
    .addColumn('in_reply_to', 'varchar(36)')
    .addColumn('sent_at', 'varchar(30)', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('messages_sender')
    .on('messages')
    .columns(['sender_mailbox', 'sent_at'])
    .execute();

  await db.schema
    .createTable('message_recipients')
    .addColumn('message_id', 'varchar(36)', (c) => c.notNull().references('messages.id').onDelete('cascade'))
    .addColumn('mailbox', 'varchar(40)', (c) => c.notNull())
    .addColumn('label', 'varchar(200)', (c) => c.notNull())
    // The LA of the mailbox (its own, or its school's), for the LA's message report.
    .addColumn('la_number', 'varchar(3)')
    .addColumn('establishment_number', 'varchar(7)')
    .addColumn('read_at', 'varchar(30)')
    .addColumn('read_by', 'varchar(36)')
    // Gone from the mailbox: deleted by a reader, or expired (31 days unread, 14 days after reading).
    .addColumn('removed_at', 'varchar(30)')
    .addColumn('removed_reason', 'varchar(10)')
    .addPrimaryKeyConstraint('message_recipients_pk', ['message_id', 'mailbox'])
    .execute();
  await db.schema
    .createIndex('message_recipients_mailbox')
    .on('message_recipients')
    .columns(['mailbox', 'removed_at', 'read_at'])
    .execute();
  await db.schema
    .createIndex('message_recipients_la')
    .on('message_recipients')
    .columns(['la_number', 'establishment_number'])
    .execute();

  await db.schema
    .createTable('message_templates')
    .addColumn('id', 'varchar(36)', (c) => c.primaryKey())
    .addColumn('name', 'varchar(60)', (c) => c.notNull())
    .addColumn('description', 'varchar(100)', (c) => c.notNull())
    .addColumn('body', 'text', (c) => c.notNull())
    // 'user': its author's alone; 'la': the LA's users and schools; 'national': everyone ("All").
    .addColumn('owner_kind', 'varchar(10)', (c) => c.notNull())
    .addColumn('owner_la', 'varchar(3)')
    .addColumn('created_by', 'varchar(36)', (c) => c.notNull().references('users.id'))
    .addColumn('created_at', 'varchar(30)', (c) => c.notNull())
    .addColumn('updated_at', 'varchar(30)', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('message_templates_owner')
    .on('message_templates')
    .columns(['owner_kind', 'owner_la'])
    .execute();
  await db.schema
    .createIndex('message_templates_author')
    .on('message_templates')
    .column('created_by')
    .execute();

  await db.schema
    .createTable('message_groups')
    .addColumn('id', 'varchar(36)', (c) => c.primaryKey())
    .addColumn('owner_user_id', 'varchar(36)', (c) => c.notNull().references('users.id'))
    .addColumn('name', 'varchar(60)', (c) => c.notNull())
    .addColumn('created_at', 'varchar(30)', (c) => c.notNull())
    .addColumn('updated_at', 'varchar(30)', (c) => c.notNull())
    .addUniqueConstraint('message_groups_name', ['owner_user_id', 'name'])
    .execute();
  await db.schema
    .createTable('message_group_members')
    .addColumn('group_id', 'varchar(36)', (c) =>
      c.notNull().references('message_groups.id').onDelete('cascade'),
    )
    .addColumn('mailbox', 'varchar(40)', (c) => c.notNull())
    .addPrimaryKeyConstraint('message_group_members_pk', ['group_id', 'mailbox'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('message_group_members').execute();
  await db.schema.dropTable('message_groups').execute();
  await db.schema.dropTable('message_templates').execute();
  await db.schema.dropTable('message_recipients').execute();
  await db.schema.dropTable('messages').execute();
}
