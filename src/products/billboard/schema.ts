import { sql } from 'drizzle-orm';
import { boolean, index, integer, pgTable, text, timestamp } from 'drizzle-orm/pg-core';
import { charges, users } from '../../db/schema.js';

/** What the billboard product bought: a sidebar ad for a week. */
export const billboards = pgTable(
  'billboards',
  {
    id: integer('id').primaryKey().generatedAlwaysAsIdentity(),
    chargeId: integer('charge_id')
      .notNull()
      .unique()
      .references(() => charges.id),
    userId: integer('user_id')
      .notNull()
      .references(() => users.id),
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
