import { type Kysely, sql } from 'kysely';

// Single sign-on with OpenID Connect (issue 10): the provider's identity (issuer + subject) linked to an
// s2s account, found by that pair at every later sign-in. An account has at most one identity per
// provider. Sessions remember how they were signed in, and whether the provider did a second factor.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('oidc_identities')
    .addColumn('id', 'varchar(36)', (c) => c.primaryKey())
    .addColumn('issuer', 'varchar(500)', (c) => c.notNull())
    .addColumn('subject', 'varchar(255)', (c) => c.notNull())
    .addColumn('user_id', 'varchar(36)', (c) => c.notNull().references('users.id').onDelete('cascade'))
    // The verified email address the first sign-in was matched by (null when an administrator linked it).
    .addColumn('linked_email', 'varchar(320)')
    .addColumn('linked_at', 'varchar(30)', (c) => c.notNull())
    .addColumn('last_used_at', 'varchar(30)')
    .addUniqueConstraint('oidc_identities_issuer_subject', ['issuer', 'subject'])
    .addUniqueConstraint('oidc_identities_user_issuer', ['user_id', 'issuer'])
    .execute();

  // A first sign-in looks an account up by email address, whatever its case.
  await db.schema
    .createIndex('users_email_case_insensitive')
    .on('users')
    .expression(sql`lower(email)`)
    .execute();

  // 'password' or 'oidc'; and 1 when the provider said it used more than one factor (amr or acr), which
  // then stands for s2s's own two-factor step for that session.
  await db.schema
    .alterTable('sessions')
    .addColumn('sign_in_method', 'varchar(20)', (c) => c.notNull().defaultTo('password'))
    .execute();
  await db.schema
    .alterTable('sessions')
    .addColumn('provider_mfa', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('sessions').dropColumn('provider_mfa').execute();
  await db.schema.alterTable('sessions').dropColumn('sign_in_method').execute();
  await db.schema.dropIndex('users_email_case_insensitive').execute();
  await db.schema.dropTable('oidc_identities').execute();
}
