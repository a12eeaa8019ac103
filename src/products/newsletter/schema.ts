import { sql } from 'drizzle-orm';
import { boolean, date, pgTable, uniqueIndex } from 'drizzle-orm/pg-core';
import { buyerColumn, purchaseColumns } from '../purchase-columns.js';

/** What the newsletter slot bought: one sponsored weekly issue, its week starting on a Monday (UTC). */
export const newsletterSlots = pgTable(
  'newsletter_slots',
  {
    ...purchaseColumns(),
    userId: buyerColumn(),
    /** The week sponsored: its Monday, 'YYYY-MM-DD'. */
    weekStart: date('week_start').notNull(),
    /** The week the buyer chose, when another sponsor's payment took it first. */
    chosenWeek: date('chosen_week').notNull(),
    /** False once refunded or disputed: the week is free again, and the row stays for the admin's view. */
    active: boolean('active').notNull().default(true),
  },
  // One sponsor per week, enforced by the database; a refunded slot no longer holds its week.
  (t) => [uniqueIndex('newsletter_slots_week_idx').on(t.weekStart).where(sql`${t.active}`)],
);
export type NewsletterSlot = typeof newsletterSlots.$inferSelect;
