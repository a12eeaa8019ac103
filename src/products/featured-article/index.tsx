import { fileURLToPath } from 'node:url';
import type { ProductPlugin } from '../slots.js';
import { FEATURED_ARTICLE_PRODUCT, featuredArticleProduct, featuredNow } from './product.js';

/** The featured article: pinned at the top of the home page; its author is offered it on the article's page. */
export const featuredArticle: ProductPlugin = {
  migrations: fileURLToPath(new URL('./migrations', import.meta.url)),
  product: featuredArticleProduct,
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
