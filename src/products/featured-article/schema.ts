import { boolean, index, integer, pgTable, timestamp } from 'drizzle-orm/pg-core';
import { articles } from '../../db/schema.js';
import { purchaseColumns } from '../purchase-columns.js';

/** What the featured-article product bought: an article pinned at the top of the home page for a week. */
export const featuredArticles = pgTable(
  'featured_articles',
  {
    ...purchaseColumns(),
    articleId: integer('article_id')
      .notNull()
      .references(() => articles.id),
    startsAt: timestamp('starts_at', { withTimezone: true }).notNull(),
    endsAt: timestamp('ends_at', { withTimezone: true }).notNull(),
    active: boolean('active').notNull().default(true),
  },
  (t) => [index('featured_articles_live').on(t.active, t.endsAt)],
);
export type FeaturedArticle = typeof featuredArticles.$inferSelect;
