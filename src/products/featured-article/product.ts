import { and, desc, eq, gt, inArray, lte, max } from 'drizzle-orm';
import { z } from 'zod';
import { listingsChanged } from '../../cache.js';
import type { Db, Executor } from '../../db/client.js';
import { articles } from '../../db/schema.js';
import { featuredArticles } from './schema.js';
import { formatUtc } from '../../format.js';
import { ApiError } from '../../http/errors.js';
import type { Product } from '../../payments/catalog.js';
import { articleSubject, buyersOwnArticle, buyersOwnArticleSql, purchasedArticleTitles } from '../article-subject.js';
import { WEEK } from '../period.js';
import { autoRenewField } from '../renewal.js';
import { isLive, liveArticle } from '../job-listing/live.js';

export const FEATURED_ARTICLE_PRODUCT = 'featured_article';

/** The end of the article's latest live feature, if any: a second purchase queues its week after it. */
async function featuredUntil(db: Executor, articleId: number, now: Date): Promise<Date | null> {
  const [row] = await db
    .select({ until: max(featuredArticles.endsAt) })
    .from(featuredArticles)
    .where(and(eq(featuredArticles.articleId, articleId), eq(featuredArticles.active, true), gt(featuredArticles.endsAt, now)));
  return row?.until ?? null;
}

/**
 * One week pinned at the top of the home page for one of the buyer's published articles. Added
 * as a module here with no change to the payments core: the proof that the core is generic.
 */
export const featuredArticleProduct: Product = {
  id: FEATURED_ARTICLE_PRODUCT,
  name: 'Featured article — one week at the top of the home page',
  description: 'Your article is pinned at the top of the home page for one week. Buying again adds a week after the current one.',
  amount: 1500,
  currency: 'usd',
  subject: articleSubject,
  /** `auto_renew: true` (the form's box) opts in to off-session renewal each week with the card paid with (products/renewal.ts). */
  fields: z.object({ auto_renew: z.boolean().optional() }).strict(),
  formFields: [autoRenewField('week')],
  purchaseTitles: purchasedArticleTitles,

  async authorize(db, user, articleId, now) {
    const article = await buyersOwnArticle(db, user, articleId!, now, 'You can only feature your own articles.');
    if (!article.published) {
      throw new ApiError(422, 'not_published', 'Publish the article before featuring it.', { article_id: 'Publish the article first.' });
    }
    // An unpaid job listing is on no public list: featuring it would show it for less than a listing's price.
    if (!isLive(article, now)) {
      throw new ApiError(422, 'not_live', 'Pay for the job listing before featuring it.', { article_id: 'Pay for this job listing first.' });
    }
  },
  // The above passes: the buyer's own article, live (published, and paid when a job listing).
  authorizeStep: { sql: (articleId, userId, now) => buyersOwnArticleSql(articleId, userId, liveArticle(now)) },
  async fulfil(tx, charge, now) {
    listingsChanged();
    const from = charge.paidAt ?? now;
    const endsAt = WEEK.extend(from, await featuredUntil(tx, charge.articleId!, from));
    const [row] = await tx
      .insert(featuredArticles)
      .values({ chargeId: charge.id, articleId: charge.articleId!, startsAt: new Date(endsAt.getTime() - WEEK.ms), endsAt })
      .onConflictDoNothing()
      .returning({ endsAt: featuredArticles.endsAt });
    return row ? { featured_until: row.endsAt } : undefined;
  },
  async reverse(tx, charge) {
    listingsChanged();
    await tx.update(featuredArticles).set({ active: false }).where(eq(featuredArticles.chargeId, charge.id));
  },
  async restore(tx, charge) {
    listingsChanged();
    await tx.update(featuredArticles).set({ active: true }).where(eq(featuredArticles.chargeId, charge.id));
  },
  async receiptLines(db, charges, now) {
    const rows = await db
      .select({ chargeId: featuredArticles.chargeId, title: articles.title, startsAt: featuredArticles.startsAt, endsAt: featuredArticles.endsAt, active: featuredArticles.active })
      .from(featuredArticles)
      .innerJoin(articles, eq(articles.id, featuredArticles.articleId))
      .where(inArray(featuredArticles.chargeId, charges.map((c) => c.id)));
    const byCharge = new Map(rows.map((r) => [r.chargeId, r]));
    return charges.map((charge) => {
      const row = byCharge.get(charge.id);
      if (!row) return [];
      const state = !row.active || row.endsAt <= now ? 'Not featured now.' : row.startsAt > now ? `Featured from ${formatUtc(row.startsAt)} until ${formatUtc(row.endsAt)}` : `Featured on the home page until ${formatUtc(row.endsAt)}`;
      return [`Featured article: ${row.title}`, state];
    });
  },
  async chargeExtras(db, charge) {
    const [row] = await db.select({ endsAt: featuredArticles.endsAt }).from(featuredArticles).where(eq(featuredArticles.chargeId, charge.id));
    return { featured_until: row?.endsAt ?? null };
  },
};

/** The articles featured now, the most recently started first (the home page shows them on top). */
export async function featuredNow(db: Db, now: Date, limit = 3): Promise<{ articleId: number; endsAt: Date }[]> {
  const live = and(eq(featuredArticles.active, true), lte(featuredArticles.startsAt, now), gt(featuredArticles.endsAt, now));
  const rows = await db
    .select({ articleId: featuredArticles.articleId, endsAt: max(featuredArticles.endsAt) })
    .from(featuredArticles)
    .where(live)
    .groupBy(featuredArticles.articleId)
    .orderBy(desc(max(featuredArticles.startsAt)))
    .limit(limit);
  return rows.map((r) => ({ articleId: r.articleId, endsAt: r.endsAt! }));
}
