import { and, eq, type SQL, sql } from 'drizzle-orm';
import type { Executor } from '../../db/client.js';
import { prepared } from '../../db/prepared.js';
import { articles, charges } from '../../db/schema.js';
import { listingsChanged } from '../../cache.js';
import { WEEK } from '../period.js';
import { computePaidWindow, type PaidWindow } from './paid-window.js';

export const JOB_LISTING_PRODUCT = 'job_listing';

const p = sql.placeholder;
const byId = eq(articles.id, p('id'));
const at = (name: string) => sql`${p(name)}::timestamptz`;
// The row lock serialises every change to one listing's window; the charges are read in a statement
// after it, so they include what a transaction that held the lock before us committed.
const lockListing = prepared((db) =>
  db.select({ paidUntil: articles.paidUntil, bumpedAt: articles.bumpedAt }).from(articles).where(byId).for('update').prepare('job_listing_lock'),
);
const listingCharges = prepared((db) =>
  db
    .select({ status: charges.status, paidAt: charges.paidAt })
    .from(charges)
    .where(and(eq(charges.articleId, p('id')), eq(charges.product, JOB_LISTING_PRODUCT)))
    .prepare('job_listing_charges'),
);
const storeWindow = prepared((db) =>
  db.update(articles).set({ paidUntil: at('paidUntil'), bumpedAt: at('bumpedAt') }).where(byId).prepare('job_listing_store_window'),
);
// Paying makes a listing live: a draft is published in the same write.
const storeWindowPublished = prepared((db) =>
  db
    .update(articles)
    .set({ paidUntil: at('paidUntil'), bumpedAt: at('bumpedAt'), published: true, publishedAt: sql`coalesce(${articles.publishedAt}, ${at('publishAt')})` })
    .where(byId)
    .prepare('job_listing_store_window_published'),
);

/**
 * Recomputes an article's paid window from all its job-listing charges and stores it. Call inside
 * the transaction that changed a charge (refund, dispute) or saved the article.
 */
export async function recomputePaidWindow(tx: Executor, articleId: number): Promise<PaidWindow> {
  await lockListing(tx).execute({ id: articleId });
  const window = computePaidWindow(await listingCharges(tx).execute({ id: articleId }));
  await storeWindow(tx).execute({ id: articleId, ...window });
  listingsChanged();
  return window;
}

/**
 * The latest payment's week, in one statement that takes the row lock itself: the WEEK period's rule
 * (as computePaidWindow applies it) from the stored window, and the listing is published. Nothing
 * changes, and no row comes back, when a paying charge later than this one is already counted
 * (bumped_at is the latest paying charge).
 */
const extendWindowPublished = prepared((db) =>
  db
    .update(articles)
    .set({
      paidUntil: WEEK.extendSql(at('paidAt'), sql`${articles.paidUntil}`),
      bumpedAt: at('paidAt'),
      published: true,
      publishedAt: sql`coalesce(${articles.publishedAt}, ${at('paidAt')})`,
    })
    .where(and(byId, sql`(${articles.bumpedAt} is null or ${articles.bumpedAt} <= ${at('paidAt')})`))
    .returning({ paidUntil: articles.paidUntil, bumpedAt: articles.bumpedAt })
    .prepare('job_listing_extend_window_published'),
);

/**
 * extendWindowPublished as the step of the statement that settles the charge (FulfilStep): the
 * same update for the charge in `paid`, returning no row when a later payment is already counted.
 */
export function extendWindowStep(paid: SQL): SQL {
  return sql`update ${articles} set
      paid_until = ${WEEK.extendSql(sql`paid.paid_at`, sql`${articles}.paid_until`)},
      bumped_at = paid.paid_at,
      published = true,
      published_at = coalesce(${articles}.published_at, paid.paid_at)
    from ${paid} as paid
    where ${articles}.id = paid.article_id and (${articles}.bumped_at is null or ${articles}.bumped_at <= paid.paid_at)
    returning ${articles}.paid_until`;
}

/**
 * Applies one more paying charge (paid at `paidAt`) to its listing and publishes it, inside the
 * settling transaction. The stored window always equals the one computed from the charges, so
 * the usual case, the latest payment, extends it without reading the listing's charges; a payment
 * that lands after a later one recomputes.
 */
export async function applyPayment(tx: Executor, articleId: number, paidAt: Date): Promise<PaidWindow> {
  const [extended] = await extendWindowPublished(tx).execute({ id: articleId, paidAt });
  let window: PaidWindow | undefined = extended;
  if (!window) {
    await lockListing(tx).execute({ id: articleId });
    window = computePaidWindow(await listingCharges(tx).execute({ id: articleId }));
    await storeWindowPublished(tx).execute({ id: articleId, ...window, publishAt: paidAt });
  }
  listingsChanged();
  return window;
}
