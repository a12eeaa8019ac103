import { and, eq } from 'drizzle-orm';
import type { Executor } from '../../db/client.js';
import { articles, charges } from '../../db/schema.js';
import { listingsChanged } from '../../cache.js';
import { computePaidWindow, type PaidWindow } from './paid-window.js';

export const JOB_LISTING_PRODUCT = 'job_listing';

/**
 * Recomputes an article's paid window from its job-listing charges and stores it.
 * Call inside the transaction that changed a charge or saves the article; the row lock
 * serialises concurrent recomputations of one article.
 */
export async function recomputePaidWindow(tx: Executor, articleId: number): Promise<PaidWindow> {
  await tx.select({ id: articles.id }).from(articles).where(eq(articles.id, articleId)).for('update');
  const rows = await tx
    .select({ status: charges.status, paidAt: charges.paidAt })
    .from(charges)
    .where(and(eq(charges.articleId, articleId), eq(charges.product, JOB_LISTING_PRODUCT)));
  const window = computePaidWindow(rows);
  await tx.update(articles).set(window).where(eq(articles.id, articleId));
  listingsChanged();
  return window;
}
