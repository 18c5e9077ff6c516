import type { Kysely } from 'kysely';

// Welsh language (issue 13): each user's choice of English ('en') or Welsh ('cy') for the pages, kept
// across sign-ins and browsers (platform/i18n, auth/web.ts). Everyone starts in English.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .alterTable('users')
    .addColumn('language', 'varchar(2)', (c) => c.notNull().defaultTo('en'))
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('users').dropColumn('language').execute();
}
