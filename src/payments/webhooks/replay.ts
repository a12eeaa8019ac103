import { and, gt, inArray, isNotNull, or, sql } from 'drizzle-orm';
import type { Db } from '../../db/client.js';
import { stripeEvents } from '../../db/schema.js';
import { requeueEvents, type WebhookWorker } from './inbox.js';

export const replaySelection = (options: { failed?: boolean; ids?: string[] }): { failed: true } | { ids: string[] } =>
  options.ids?.length ? { ids: options.ids } : { failed: true };

export interface ReplayResult {
  replayed: number;
  handled: number;
  /** Failed again: still in the inbox, due for a retry with backoff. */
  failing: number;
}

/**
 * Puts stored events back in the inbox and processes them now, telling progress (events attempted
 * out of those requeued) while the worker runs.
 */
export async function replayEvents(
  db: Db,
  worker: WebhookWorker,
  now: Date,
  selection: { failed: true } | { ids: string[] },
  onProgress?: (done: number, total: number) => void,
): Promise<ReplayResult> {
  const ids = await requeueEvents(db, now, selection);
  const count = async () => {
    if (ids.length === 0) return { handled: 0, attempted: 0 };
    const [row] = await db
      .select({
        handled: sql<number>`count(*) filter (where ${stripeEvents.processedAt} is not null)::int`,
        attempted: sql<number>`count(*)::int`,
      })
      .from(stripeEvents)
      .where(and(inArray(stripeEvents.id, ids), or(isNotNull(stripeEvents.processedAt), gt(stripeEvents.attempts, 0))));
    return row ?? { handled: 0, attempted: 0 };
  };
  onProgress?.(0, ids.length);
  const poll = onProgress ? setInterval(() => void count().then((c) => onProgress(c.attempted, ids.length), () => {}), 250) : undefined;
  try {
    await worker.kick();
  } finally {
    clearInterval(poll);
  }
  const { handled, attempted } = await count();
  onProgress?.(attempted, ids.length);
  return { replayed: ids.length, handled, failing: ids.length - handled };
}
