import { fileURLToPath } from 'node:url';
import { formatMoney } from '../../format.js';
import type { ProductPlugin } from '../slots.js';
import { AutoRenewNotice, ListingState, NotLiveNotice, PaidState } from './draw.js';
import { isLive, liveArticle, liveJobListing } from './live.js';
import { isPaid } from './paid-window.js';
import { jobListingProduct } from './product.js';
import { JOB_LISTING_PRODUCT, recomputePaidWindow } from './recompute.js';
import { renewalsView } from './renewals-page.js';
import { listingUpkeep, setAutoRenew } from './upkeep.js';

/**
 * The job listing: the article a paid week makes public on /jobs. It sets the rules of which articles
 * are live, draws the listing's state for its author, and keeps listings reminded and renewed.
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
  schedules: [
    {
      name: 'listing-upkeep',
      intervalMs: (config) => config.listingUpkeepIntervalMinutes * 60_000,
      async run({ db, catalog, checkout, stripe, mailer, log }, now) {
        const onError = (err: unknown, renewal: { articleId: number }) =>
          log.warn({ err, article: renewal.articleId }, 'listing renewal failed; it is tried again after its lease');
        const report = await listingUpkeep({ db, catalog, checkout, stripe, mailer, onError }, now);
        return report.reminders + report.notices + Object.keys(report.renewals).length > 0 ? report : undefined;
      },
    },
  ],
  admin: [renewalsView],
};
