import { eq, type SQL, sql } from 'drizzle-orm';
import { z } from 'zod';
import { prepared } from '../../db/prepared.js';
import { queryRows } from '../../db/client.js';
import { articles, users } from '../../db/schema.js';
import { organizations } from '../../db/organization-schema.js';
import { organizationMembers } from '../../organizations/schema.js';
import { ApiError, forbidden } from '../../http/errors.js';
import type { Product } from '../../payments/catalog.js';
import { articleSubject, buyersOwnArticle, buyersOwnArticleSql, purchasedArticleTitles } from '../article-subject.js';
import { isPaid } from './paid-window.js';
import { applyPayment, extendWindowStep, JOB_LISTING_PRODUCT, recomputePaidWindow } from './recompute.js';
import { listingsChanged } from '../../cache.js';
import { formatUtc } from '../../format.js';

const byId = eq(articles.id, sql.placeholder('id'));
const listingsForReceipts = prepared((db) =>
  db
    .select({ id: articles.id, title: articles.title, paidUntil: articles.paidUntil })
    .from(articles)
    .where(sql`${articles.id} = any(${sql.placeholder('ids')}::int[])`)
    .prepare('job_listings_for_receipts'),
);
const listingWindow = prepared((db) => db.select({ paidUntil: articles.paidUntil }).from(articles).where(byId).prepare('job_listing_window'));


/** One week on /jobs for a job listing; paying again extends it and bumps it to the top. */
/**
 * The buyer may post jobs: by their own permission, or as a member of the organization the listing is
 * posted on behalf of, when that organization may (as posting it allowed).
 */
const mayPostJobs = (articleId: SQL, userId: SQL) => sql`(exists (select 1 from ${users} where ${users.id} = ${userId} and (${users.canPostJobs} or ${users.admin}))
  or exists (select 1 from ${articles} a join ${organizations} o on o.id = a.organization_id join ${organizationMembers} m on m.organization_id = o.id
    where a.id = ${articleId} and o.can_post_jobs and m.user_id = ${userId}))`;

export const jobListingProduct: Product = {
  id: JOB_LISTING_PRODUCT,
  name: 'Job listing — one week on /jobs',
  description: 'Your job listing appears on /jobs for one week. Paying again adds a week and bumps it to the top.',
  amount: 2500,
  currency: 'usd',
  subject: articleSubject,
  fields: z.object({}).strict(),
  formFields: [],
  purchaseTitles: purchasedArticleTitles,

  async authorize(db, user, articleId, now) {
    const article = await buyersOwnArticle(db, user, articleId!, now, 'You can only pay for your own job listings.');
    if (!(await queryRows<{ ok: boolean }>(db, sql`select ${mayPostJobs(sql`${articleId}`, sql`${user.id}`)} as ok`))[0]!.ok) {
      throw forbidden('Only members with permission to post jobs, or members of an organization allowed to post them, can pay for job listings. Ask an admin for access.');
    }
    if (!article.jobListing) {
      throw new ApiError(422, 'not_a_job_listing', 'This article is not a job listing. Mark it as one before paying.', {
        article_id: 'Not a job listing.',
      });
    }
  },
  // The above passes: the buyer's own job listing, and the buyer (or the organization it is posted for) may post jobs.
  authorizeStep: {
    sql: (articleId, userId) => sql`${buyersOwnArticleSql(articleId, userId, sql`${articles.jobListing}`)} and ${mayPostJobs(articleId, userId)}`,
  },

  // Paying makes the listing live: it is published if it was a draft, and its window extended.
  async fulfil(tx, charge, now) {
    const window = await applyPayment(tx, charge.articleId!, charge.paidAt ?? now);
    return { paid_until: window.paidUntil };
  },
  // The usual case of the above, in the settling statement: the latest payment extends the window.
  fulfilStep: {
    sql: extendWindowStep,
    applied(row) {
      listingsChanged();
      return { paid_until: new Date(row.paid_until as string) };
    },
  },
  async reverse(tx, charge) {
    await recomputePaidWindow(tx, charge.articleId!);
  },
  async restore(tx, charge) {
    await recomputePaidWindow(tx, charge.articleId!);
  },

  async receiptLines(db, charges, now) {
    const listings = new Map((await listingsForReceipts(db).execute({ ids: charges.map((c) => c.articleId!) })).map((a) => [a.id, a]));
    return charges.map((charge) => {
      const article = listings.get(charge.articleId!);
      if (!article) return [];
      return [`Listing: ${article.title}`, isPaid(article.paidUntil, now) ? `Live on /jobs until ${formatUtc(article.paidUntil!)}` : 'Not live on /jobs now.'];
    });
  },

  async chargeExtras(db, charge) {
    const [article] = await listingWindow(db).execute({ id: charge.articleId! });
    return { paid_until: article?.paidUntil ?? null };
  },
};
