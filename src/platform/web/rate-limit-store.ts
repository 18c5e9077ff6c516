// A store for @fastify/rate-limit that keeps its counters in the database, so every app process counts
// against the same budget (the plugin's own store is a map in each process: with two processes behind a
// load balancer a token would get twice its limit). Fixed windows: a key's requests are counted per
// window of `timeWindow` milliseconds from the epoch (e.g. each clock minute), with one atomic upsert
// per request. A window's rows are deleted once it has ended, when the next window's first request
// arrives (once per key and window: no job needed, and the table holds little more than the windows
// in use).
import type { FastifyRateLimitStore, FastifyRateLimitStoreCtor } from '@fastify/rate-limit';
import type { Clock } from '../clock.ts';
import type { Db } from '../db/schema.ts';

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

/** The store class @fastify/rate-limit builds (it calls `new store(options)`), bound to a database. */
export function databaseRateLimitStore(db: Db, clock: Clock): FastifyRateLimitStoreCtor {
  class DatabaseRateLimitStore implements FastifyRateLimitStore {
    incr(key: string, callback: (error: Error | null, result?: WindowCount) => void, timeWindow: number) {
      countRequest(db, key, clock.now(), timeWindow).then(
        (result) => callback(null, result),
        (error: Error) => callback(error),
      );
    }
    child(): FastifyRateLimitStore {
      return new DatabaseRateLimitStore();
    }
  }
  return DatabaseRateLimitStore;
}
