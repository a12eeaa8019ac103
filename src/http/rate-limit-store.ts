import type { FastifyRateLimitStore, FastifyRateLimitStoreCtor } from '@fastify/rate-limit';
import { lt, sql } from 'drizzle-orm';
import type { Clock } from '../clock.js';
import type { Db } from '../db/client.js';
import { rateLimitHits } from '../db/schema.js';

type IncrCallback = Parameters<FastifyRateLimitStore['incr']>[1];

/**
 * @fastify/rate-limit's counters in the database, so that every instance counts against one limit:
 * its default store is a map in each process, which N instances behind a round-robin proxy turn into
 * N times the limit. A fixed window per route and key (client address or member), counted in one
 * upsert: the first hit of a window starts it, later ones add to it. It costs one small write per
 * limited request; only writes and logins are limited, and they write anyway.
 */
export function sharedRateLimitStore(db: Db, clock: Clock): FastifyRateLimitStoreCtor {
  const store = (scope: string): FastifyRateLimitStore => ({
    incr(key: string, callback: IncrCallback, timeWindow: number) {
      countHit(db, `${scope} ${key}`, clock.now(), timeWindow).then((result) => callback(null, result), (error: Error) => callback(error));
    },
    // The plugin makes a child per limited route: each route counts on its own, as with the default store.
    child(routeOptions) {
      const route = (routeOptions as { routeInfo?: { method?: string | string[]; url?: string } }).routeInfo;
      return store(`${[route?.method ?? ''].flat().join(',')} ${route?.url ?? ''}`);
    },
  });
  return function SharedRateLimitStore() {
    return store('');
  } as unknown as FastifyRateLimitStoreCtor;
}

async function countHit(db: Db, key: string, now: Date, windowMs: number): Promise<{ current: number; ttl: number }> {
  const expired = sql`${rateLimitHits.resetsAt} <= ${now.toISOString()}::timestamptz`;
  const [row] = await db
    .insert(rateLimitHits)
    .values({ key, hits: 1, resetsAt: new Date(now.getTime() + windowMs) })
    .onConflictDoUpdate({
      target: rateLimitHits.key,
      set: {
        hits: sql`case when ${expired} then 1 else ${rateLimitHits.hits} + 1 end`,
        resetsAt: sql`case when ${expired} then excluded.resets_at else ${rateLimitHits.resetsAt} end`,
      },
    })
    .returning({ hits: rateLimitHits.hits, resetsAt: rateLimitHits.resetsAt });
  return { current: row!.hits, ttl: Math.max(0, row!.resetsAt.getTime() - now.getTime()) };
}

/** Deletes the counters whose window has ended (a periodic task: clients seen once leave a row each). */
export async function sweepRateLimits(db: Db, now: Date): Promise<number> {
  const deleted = await db.delete(rateLimitHits).where(lt(rateLimitHits.resetsAt, now)).returning({ key: rateLimitHits.key });
  return deleted.length;
}
