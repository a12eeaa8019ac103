import type { Executor } from '../../src/db/client.js';
import { type ChargeStatus, charges } from '../../src/db/schema.js';
import { recomputePaidWindow } from '../../src/products/job-listing/recompute.js';

let seq = 0;

/**
 * Records a job-listing charge row directly and recomputes the article's window, as the
 * checkout will. Used by tests of the paid window that do not exercise Stripe.
 */
export async function recordListingCharge(
  db: Executor,
  opts: { userId: number; articleId: number; paidAt: Date; status?: ChargeStatus },
) {
  await db.insert(charges).values({
    userId: opts.userId,
    articleId: opts.articleId,
    product: 'job_listing',
    amount: 2500,
    currency: 'usd',
    status: opts.status ?? 'succeeded',
    idempotencyKey: `test-${++seq}`,
    paidAt: opts.paidAt,
  });
  return recomputePaidWindow(db, opts.articleId);
}
