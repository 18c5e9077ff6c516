import { type Kysely, sql } from 'kysely';

// Schema builder only: the same statements run on SQLite and PostgreSQL.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('local_authorities')
    .addColumn('number', 'varchar(3)', (c) => c.primaryKey())
    .addColumn('name', 'varchar(200)', (c) => c.notNull())
    .addColumn('country', 'varchar(10)', (c) => c.notNull())
    .addColumn('contact_name', 'varchar(200)')
    .addColumn('email', 'varchar(320)')
    .addColumn('telephone', 'varchar(40)')
    .addColumn('address', 'varchar(500)')
    .addColumn('updated_at', 'varchar(30)', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('establishments')
    .addColumn('number', 'varchar(7)', (c) => c.primaryKey())
    .addColumn('la_number', 'varchar(3)', (c) => c.notNull().references('local_authorities.number'))
    .addColumn('name', 'varchar(200)', (c) => c.notNull())
    .addColumn('name_search', 'varchar(200)', (c) => c.notNull())
    .addColumn('town', 'varchar(100)')
    .addColumn('town_search', 'varchar(100)', (c) => c.notNull())
    .addColumn('postcode', 'varchar(10)')
    .addColumn('phase', 'varchar(60)')
    .addColumn('type', 'varchar(120)')
    .addColumn('status', 'varchar(10)', (c) => c.notNull())
    .addColumn('urn', 'varchar(10)')
    .addColumn('uses_s2s', 'integer', (c) => c.notNull().defaultTo(1))
    .addColumn('active', 'integer', (c) => c.notNull().defaultTo(1))
    .addColumn('email', 'varchar(320)')
    .addColumn('telephone', 'varchar(40)')
    .addColumn('opened_on', 'varchar(10)')
    .addColumn('closed_on', 'varchar(10)')
    .addColumn('created_at', 'varchar(30)', (c) => c.notNull())
    .addColumn('updated_at', 'varchar(30)', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('establishments_la').on('establishments').column('la_number').execute();
  await db.schema.createIndex('establishments_town').on('establishments').column('town_search').execute();
  await db.schema.createIndex('establishments_urn').on('establishments').column('urn').execute();

  await db.schema
    .createTable('users')
    .addColumn('id', 'varchar(36)', (c) => c.primaryKey())
    .addColumn('username', 'varchar(64)', (c) => c.notNull().unique())
    .addColumn('password_hash', 'varchar(200)', (c) => c.notNull())
    .addColumn('role', 'varchar(40)', (c) => c.notNull())
    .addColumn('la_number', 'varchar(3)', (c) => c.references('local_authorities.number'))
    .addColumn('establishment_number', 'varchar(7)', (c) => c.references('establishments.number'))
    .addColumn('full_name', 'varchar(200)', (c) => c.notNull())
    .addColumn('email', 'varchar(320)')
    .addColumn('telephone', 'varchar(40)')
    .addColumn('must_change_password', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('created_at', 'varchar(30)', (c) => c.notNull())
    .addColumn('updated_at', 'varchar(30)', (c) => c.notNull())
    .addColumn('password_changed_at', 'varchar(30)', (c) => c.notNull())
    .addColumn('last_signed_in_at', 'varchar(30)')
    .addColumn('deleted_at', 'varchar(30)')
    .execute();
  // Usernames are case-sensitive at sign-in, but two that differ only in case would confuse people.
  await db.schema
    .createIndex('users_username_case_insensitive')
    .on('users')
    .unique()
    .expression(sql`lower(username)`)
    .execute();
  await db.schema.createIndex('users_la').on('users').column('la_number').execute();
  await db.schema.createIndex('users_establishment').on('users').column('establishment_number').execute();

  await db.schema
    .createTable('sessions')
    .addColumn('id', 'varchar(64)', (c) => c.primaryKey())
    .addColumn('user_id', 'varchar(36)', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('created_at', 'varchar(30)', (c) => c.notNull())
    .addColumn('last_seen_at', 'varchar(30)', (c) => c.notNull())
    .addColumn('expires_at', 'varchar(30)', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('sessions_user').on('sessions').column('user_id').execute();

  await db.schema
    .createTable('sign_in_attempts')
    .addColumn('id', 'varchar(36)', (c) => c.primaryKey())
    .addColumn('username', 'varchar(64)', (c) => c.notNull())
    .addColumn('address', 'varchar(64)', (c) => c.notNull())
    .addColumn('attempted_at', 'varchar(30)', (c) => c.notNull())
    .addColumn('succeeded', 'integer', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('sign_in_attempts_username')
    .on('sign_in_attempts')
    .columns(['username', 'attempted_at'])
    .execute();
  await db.schema
    .createIndex('sign_in_attempts_address')
    .on('sign_in_attempts')
    .columns(['address', 'attempted_at'])
    .execute();

  await db.schema
    .createTable('audit_events')
    .addColumn('id', 'varchar(36)', (c) => c.primaryKey())
    .addColumn('occurred_at', 'varchar(30)', (c) => c.notNull())
    .addColumn('actor_user_id', 'varchar(36)')
    .addColumn('actor_username', 'varchar(64)')
    .addColumn('organisation', 'varchar(10)')
    .addColumn('action', 'varchar(60)', (c) => c.notNull())
    .addColumn('subject_type', 'varchar(40)')
    .addColumn('subject_id', 'varchar(64)')
    .addColumn('detail', 'text')
    .execute();
  await db.schema.createIndex('audit_events_time').on('audit_events').column('occurred_at').execute();
  await db.schema
    .createIndex('audit_events_organisation')
    .on('audit_events')
    .columns(['organisation', 'occurred_at'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const table of [
    'audit_events',
    'sign_in_attempts',
    'sessions',
    'users',
    'establishments',
    'local_authorities',
  ]) {
    await db.schema.dropTable(table).execute();
  }
}
