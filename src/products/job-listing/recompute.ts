import { and, eq, sql } from 'drizzle-orm';
import type { Executor } from '../../db/client.js';
import { articles, charges } from '../../db/schema.js';
import { listingsChanged } from '../../cache.js';
import { computePaidWindow, type PaidWindow } from './paid-window.js';

export const JOB_LISTING_PRODUCT = 'job_listing';

/**
 * Recomputes an article's paid window from its job-listing charges and stores it.
 * Call inside the transaction that changed a charge or saves the article; the row lock
 * serialises concurrent recomputations of one article, and the charges are read in a statement
 * after it, so they include what a transaction that held the lock before us committed.
 * With `publishAt`, a draft is published in the same write (paying makes a listing live).
 */
export async function recomputePaidWindow(tx: Executor, articleId: number, options: { publishAt?: Date } = {}): Promise<PaidWindow> {
  const [locked] = await tx.select({ published: articles.published }).from(articles).where(eq(articles.id, articleId)).for('update');
  const rows = await tx
    .select({ status: charges.status, paidAt: charges.paidAt })
    .from(charges)
    .where(and(eq(charges.articleId, articleId), eq(charges.product, JOB_LISTING_PRODUCT)));
  const window = computePaidWindow(rows);
  const publish = options.publishAt && locked && !locked.published ? { published: true, publishedAt: sql`coalesce(${articles.publishedAt}, ${options.publishAt.toISOString()}::timestamptz)` } : {};
  await tx
    .update(articles)
    .set({ ...window, ...publish })
    .where(eq(articles.id, articleId));
  listingsChanged();
  return window;
}
