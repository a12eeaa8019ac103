import { sql } from 'drizzle-orm';
import { check, index, integer, pgTable, primaryKey, text, timestamp } from 'drizzle-orm/pg-core';
import { renewalOutcomes } from '../../db/renewal-schema.js';
import { articles, charges, users } from '../../db/schema.js';

// Both tables are kept, unused, since the core's 0013_renewals copied their rows into renewal_reminders
// and renewals (products/renewal.ts), which every renewable product shares; a later migration drops them.

/**
 * The reminder e-mailed the day before a listing's paid week ends: the primary key (one row per
 * listing and paid_until) makes it at most one per paid week, whichever process sends it.
 */
export const listingReminders = pgTable(
  'listing_reminders',
  {
    articleId: integer('article_id')
      .notNull()
      .references(() => articles.id),
    paidUntil: timestamp('paid_until', { withTimezone: true }).notNull(),
    sentAt: timestamp('sent_at', { withTimezone: true }).notNull(),
  },
  (t) => [primaryKey({ columns: [t.articleId, t.paidUntil] })],
);

/**
 * One auto-renewal per listing and paid week (the primary key): the off-session charge made for it
 * is keyed by the same pair, so the week is renewed at most once however many processes try.
 */
export const listingRenewals = pgTable(
  'listing_renewals',
  {
    articleId: integer('article_id')
      .notNull()
      .references(() => articles.id),
    /** The end of the paid week being renewed. */
    paidUntil: timestamp('paid_until', { withTimezone: true }).notNull(),
    userId: integer('user_id')
      .notNull()
      .references(() => users.id),
    chargeId: integer('charge_id').references(() => charges.id),
    outcome: text('outcome', { enum: renewalOutcomes }).notNull().default('pending'),
    failureMessage: text('failure_message'),
    /** While pending, the process working on it holds it until then; a crashed one's is taken over after. */
    leaseUntil: timestamp('lease_until', { withTimezone: true }).notNull(),
    /** Set when the poster was e-mailed that the renewal did not go through (at most once). */
    notifiedAt: timestamp('notified_at', { withTimezone: true }),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    finishedAt: timestamp('finished_at', { withTimezone: true }),
  },
  (t) => [
    primaryKey({ columns: [t.articleId, t.paidUntil] }),
    index('listing_renewals_created_idx').on(t.createdAt.desc()),
    check('listing_renewals_outcome_known', sql.raw(`outcome in (${renewalOutcomes.map((s) => `'${s}'`).join(', ')})`)),
  ],
);
