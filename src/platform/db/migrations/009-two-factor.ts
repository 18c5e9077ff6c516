import type { Kysely } from 'kysely';

// Two-factor sign-in (issue 10): a TOTP secret per user, encrypted at rest under its own data key wrapped
// by the master key (as stored files are), its single-use recovery codes (SHA-256 of 80-bit random codes),
// and sessions that have passed the password but not yet the second step.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('two_factor_secrets')
    .addColumn('user_id', 'varchar(36)', (c) => c.primaryKey().references('users.id').onDelete('cascade'))
    // base64 of nonce (12) + tag (16) + the AES-256-GCM-sealed base32 secret.
    .addColumn('secret_ciphertext', 'varchar(200)', (c) => c.notNull())
    .addColumn('wrapped_key', 'varchar(100)', (c) => c.notNull())
    .addColumn('master_key_id', 'varchar(16)', (c) => c.notNull())
    .addColumn('created_at', 'varchar(30)', (c) => c.notNull())
    // Null while the user is setting it up: the secret counts only once a code from it was entered.
    .addColumn('confirmed_at', 'varchar(30)')
    // The last TOTP time step accepted: a code of that step or an earlier one is refused (replay).
    .addColumn('last_used_step', 'integer')
    .execute();

  await db.schema
    .createTable('two_factor_recovery_codes')
    .addColumn('id', 'varchar(36)', (c) => c.primaryKey())
    .addColumn('user_id', 'varchar(36)', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('code_hash', 'varchar(64)', (c) => c.notNull())
    .addColumn('created_at', 'varchar(30)', (c) => c.notNull())
    .addColumn('used_at', 'varchar(30)')
    .execute();
  await db.schema
    .createIndex('two_factor_recovery_codes_user')
    .on('two_factor_recovery_codes')
    .unique()
    .columns(['user_id', 'code_hash'])
    .execute();

  // 1: the password was right, the second step is still to come; such a session opens no page.
  await db.schema
    .alterTable('sessions')
    .addColumn('pending_two_factor', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('sessions').dropColumn('pending_two_factor').execute();
  await db.schema.dropTable('two_factor_recovery_codes').execute();
  await db.schema.dropTable('two_factor_secrets').execute();
}
