import { type Kysely, sql } from 'kysely';

// The DBA users list is read a page at a time in its order (accounts/repository.ts): national accounts
// (no LA) first, then by LA and username, deleted accounts left out. Without this index each page sorted
// every account of the country (about 20,000) to show 50. The expression is written as the list's ORDER BY
// writes it, which both engines must match; an LA's accounts are one range of it.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createIndex('users_list_order')
    .on('users')
    .expression(sql`coalesce(la_number, '')`)
    .column('username')
    .where(sql.ref('deleted_at'), 'is', null)
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('users_list_order').execute();
}
