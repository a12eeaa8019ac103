import { fileURLToPath } from 'node:url';
import { sql } from 'drizzle-orm';
import { articles, charges } from '../../db/schema.js';
import { autoRenewChosen } from '../renewal.js';
import type { ProductPlugin } from '../slots.js';
import { FEATURED_ARTICLE_PRODUCT, featuredArticleProduct, featuredNow } from './product.js';
import { featuredArticles } from './schema.js';

/** The featured article: pinned at the top of the home page; its author is offered it on the article's page. */
export const featuredArticle: ProductPlugin = {
  migrations: fileURLToPath(new URL('./migrations', import.meta.url)),
  product: featuredArticleProduct,
  // The featured article is the subject: its period ends with its latest feature, and the purchase that
  // bought that one (with `auto_renew: true`) decides whether it is bought again, queued after it.
  renewal: {
    key: 'featured',
    words: { noun: 'featured article', place: 'the top of the home page', period: 'week' },
    subjects: sql`select distinct on (${featuredArticles.articleId}) ${featuredArticles.articleId} as subject_id, ${articles.userId} as user_id,
      ${featuredArticles.articleId} as purchase_subject, ${charges.productData} as fields, ${featuredArticles.endsAt} as period_end,
      ${autoRenewChosen} as auto_renew, ${articles.published} as live, ${articles.title} as title
      from ${featuredArticles} join ${charges} on ${charges.id} = ${featuredArticles.chargeId} join ${articles} on ${articles.id} = ${featuredArticles.articleId}
      where ${featuredArticles.active} order by ${featuredArticles.articleId}, ${featuredArticles.endsAt} desc`,
    paidBy: (articleId) => sql`${charges.articleId} = ${articleId}`,
  },
  draws: {
    async 'home.top'(db, now) {
      const pinned = await featuredNow(db, now);
      return { value: pinned.map((p) => p.articleId), expiresAt: pinned.reduce<Date | null>((m, p) => (m === null || p.endsAt < m ? p.endsAt : m), null) };
    },
    'article.page': {
      actions: (ctx, a) =>
        ctx.user?.id === a.userId && a.published ? (
          <>
            {' · '}
            <a href={`/charges/new?product=${FEATURED_ARTICLE_PRODUCT}&article_id=${a.id}`}>Feature it on the home page</a>
          </>
        ) : null,
    },
  },
};
