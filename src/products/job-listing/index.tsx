import { fileURLToPath } from 'node:url';
import { formatMoney } from '../../format.js';
import type { ProductPlugin } from '../slots.js';
import { AutoRenewNotice, ListingState, NotLiveNotice, PaidState } from './draw.js';
import { isLive, liveArticle, liveJobListing } from './live.js';
import { isPaid } from './paid-window.js';
import { jobListingProduct } from './product.js';
import { JOB_LISTING_PRODUCT, recomputePaidWindow } from './recompute.js';
import { sql } from 'drizzle-orm';
import { articles, charges } from '../../db/schema.js';
import { setAutoRenew } from './auto-renew.js';

/**
 * The job listing: the article a paid week makes public on /jobs. It sets the rules of which articles
 * are live, draws the listing's state for its author, and is reminded and renewed by the week.
 */
export const jobListing: ProductPlugin = {
  migrations: fileURLToPath(new URL('./migrations', import.meta.url)),
  product: jobListingProduct,
  listing: {
    product: JOB_LISTING_PRODUCT,
    isLive,
    isPaid,
    liveArticle,
    liveListing: liveJobListing,
    // The seed's rule: before an article is saved, its paid state is brought up to date from its charges.
    beforeSave: recomputePaidWindow,
    setAutoRenew,
    autoRenewNotice(title, on, catalog) {
      const product = catalog.get(JOB_LISTING_PRODUCT);
      return <AutoRenewNotice title={title} on={on} price={formatMoney(product.amount, product.currency)} />;
    },
  },
  draws: {
    'article.page': {
      notice: (ctx, article) => <NotLiveNotice ctx={ctx} article={article} />,
      badges: (ctx, article) => (ctx.user?.id === article.userId ? <PaidState article={article} now={ctx.now} /> : null),
    },
    'article.state': (ctx, article, place) => <ListingState ctx={ctx} article={article} place={place} />,
  },
  // Reminded and renewed by the week, keyed by the article; its author's switch is articles.auto_renew.
  renewal: {
    key: 'listing',
    words: { noun: 'job listing', place: '/jobs', period: 'week' },
    subjects: sql`select ${articles.id} as subject_id, ${articles.userId} as user_id, ${articles.id} as purchase_subject, null::jsonb as fields,
      ${articles.paidUntil} as period_end, ${articles.autoRenew} as auto_renew, ${articles.published} as live, ${articles.title} as title
      from ${articles} where ${articles.jobListing} and ${articles.paidUntil} is not null`,
    paidBy: (articleId) => sql`${charges.articleId} = ${articleId}`,
    offSwitch: '/dashboard',
    setAutoRenew,
  },
};
