// Counters in the database, shared by every app process: the REST API's request limits (the Fastify store
// in web/rate-limit-store.ts) and the emails a user sends as messages (messaging/service.ts). Fixed
// windows: a key's requests are counted per window of `windowMs` milliseconds from the epoch (e.g. each
// clock minute), with one atomic upsert per request. A window's rows are deleted once it has ended, when
// the next window's first request arrives (once per key and window: no job needed, and the table holds
// little more than the windows in use).
import type { Db, Executor } from './db/schema.ts';

export interface WindowCount {
  /** Requests counted in the window so far, this one included. */
  current: number;
  /** Milliseconds until the window ends. */
  ttl: number;
}

/** Counts one request of `key` in the window `now` falls in (and deletes ended windows at a new one). */
export async function countRequest(db: Db, key: string, now: Date, windowMs: number): Promise<WindowCount> {
  const start = Math.floor(now.getTime() / windowMs) * windowMs;
  const end = start + windowMs;
  const row = await db
    .insertInto('rate_limits')
    .values({
      key,
      window_start: new Date(start).toISOString(),
      expires_at: new Date(end).toISOString(),
      count: 1,
    })
    .onConflict((oc) =>
      oc.columns(['key', 'window_start']).doUpdateSet((eb) => ({ count: eb('rate_limits.count', '+', 1) })),
    )
    .returning('count')
    .executeTakeFirstOrThrow();
  if (row.count === 1) {
    await db.deleteFrom('rate_limits').where('expires_at', '<=', now.toISOString()).execute();
  }
  return { current: row.count, ttl: end - now.getTime() };
}

/** What taking `amount` from a key's window came to: taken or not, the count now, the window's time left. */
export interface WindowTake {
  taken: boolean;
  /** The window's count after this take (before it, when not taken). */
  current: number;
  /** Milliseconds until the window ends. */
  ttl: number;
}

/**
 * Counts `amount` more of `key` in the window `now` falls in, only if the window's count stays at most
 * `max`: all or nothing, in one atomic upsert (its update only where the count leaves room), so two
 * processes cannot both take the last of a window. In a transaction, the count is undone with it (on
 * PostgreSQL the row stays locked until then, so another take of the key waits for its outcome).
 * Ended windows of the key are deleted as a new one opens.
 */
export async function takeFromWindow(
  db: Executor,
  key: string,
  now: Date,
  windowMs: number,
  amount: number,
  max: number,
): Promise<WindowTake> {
  const start = Math.floor(now.getTime() / windowMs) * windowMs;
  const end = start + windowMs;
  const windowStart = new Date(start).toISOString();
  const ttl = end - now.getTime();
  const row =
    amount > max
      ? undefined
      : await db
          .insertInto('rate_limits')
          .values({ key, window_start: windowStart, expires_at: new Date(end).toISOString(), count: amount })
          .onConflict((oc) =>
            oc
              .columns(['key', 'window_start'])
              .doUpdateSet((eb) => ({ count: eb('rate_limits.count', '+', amount) }))
              .where('rate_limits.count', '<=', max - amount),
          )
          .returning('count')
          .executeTakeFirst();
  if (!row) {
    const held = await db
      .selectFrom('rate_limits')
      .select('count')
      .where('key', '=', key)
      .where('window_start', '=', windowStart)
      .executeTakeFirst();
    return { taken: false, current: held?.count ?? 0, ttl };
  }
  if (row.count === amount) {
    await db
      .deleteFrom('rate_limits')
      .where('key', '=', key)
      .where('expires_at', '<=', now.toISOString())
      .execute();
  }
  return { taken: true, current: row.count, ttl };
}
