import { sql } from 'drizzle-orm';
import { boolean, index, pgTable, text, timestamp } from 'drizzle-orm/pg-core';
import { buyerColumn, purchaseColumns } from '../purchase-columns.js';

/** What the billboard product bought: a sidebar ad for a week. */
export const billboards = pgTable(
  'billboards',
  {
    ...purchaseColumns(),
    userId: buyerColumn(),
    headline: text('headline').notNull(),
    linkUrl: text('link_url').notNull(),
    imageUrl: text('image_url'),
    startsAt: timestamp('starts_at', { withTimezone: true }).notNull(),
    endsAt: timestamp('ends_at', { withTimezone: true }).notNull(),
    active: boolean('active').notNull().default(true),
  },
  (t) => [index('billboards_live_idx').on(t.endsAt).where(sql`${t.active}`)],
);
export type Billboard = typeof billboards.$inferSelect;
