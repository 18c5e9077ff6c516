// A store for @fastify/rate-limit that keeps its counters in the database (platform/rate-limits.ts), so
// every app process counts against the same budget (the plugin's own store is a map in each process: with
// two processes behind a load balancer a token would get twice its limit).
import type { FastifyRateLimitStore, FastifyRateLimitStoreCtor } from '@fastify/rate-limit';
import type { Clock } from '../clock.ts';
import type { Db } from '../db/schema.ts';
import { countRequest, type WindowCount } from '../rate-limits.ts';

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
