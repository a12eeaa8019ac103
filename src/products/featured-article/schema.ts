import { boolean, index, integer, pgTable, timestamp } from 'drizzle-orm/pg-core';
import { articles, charges } from '../../db/schema.js';

/** What the featured-article product bought: an article pinned at the top of the home page for a week. */
export const featuredArticles = pgTable(
  'featured_articles',
  {
    id: integer('id').primaryKey().generatedAlwaysAsIdentity(),
    chargeId: integer('charge_id')
      .notNull()
      .unique()
      .references(() => charges.id),
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
