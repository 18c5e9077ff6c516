import type { Kysely } from 'kysely';

// Indexes for work that reads a table by time or state rather than by key: the hourly sweep of expired
// sessions (auth/session-sweep.ts: by last activity and by absolute expiry) and the Lost Pupils reports
// over a period of uploads (reports/cluster-repository.ts).
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.createIndex('sessions_last_seen').on('sessions').column('last_seen_at').execute();
  await db.schema.createIndex('sessions_expires').on('sessions').column('expires_at').execute();
  await db.schema.createIndex('lost_pupils_uploaded').on('lost_pupils').column('uploaded_at').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const index of ['sessions_last_seen', 'sessions_expires', 'lost_pupils_uploaded']) {
    await db.schema.dropIndex(index).execute();
  }
}
