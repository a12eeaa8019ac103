import { sql } from 'drizzle-orm';
import { check, index, integer, pgTable, primaryKey, text, timestamp } from 'drizzle-orm/pg-core';
import { charges, users } from './schema.js';

/**
 * The core's renewal tables, shared by every product that declares a period (products/renewal.ts):
 * a subject is the product's own id for what is renewed (an article, a billboard), so it has no
 * foreign key; the primary key (product, subject_id, period_end) makes each step once per period.
 */
export const renewalReminders = pgTable(
  'renewal_reminders',
  {
    product: text('product').notNull(),
    subjectId: integer('subject_id').notNull(),
    /** The end of the period the reminder is about. */
    periodEnd: timestamp('period_end', { withTimezone: true }).notNull(),
    sentAt: timestamp('sent_at', { withTimezone: true }).notNull(),
  },
  (t) => [primaryKey({ columns: [t.product, t.subjectId, t.periodEnd] })],
);

/** `stopped`: the buyer turned auto-renew off for this period (renewal-switch.ts); the claim then finds the key taken. */
export const renewalOutcomes = ['pending', 'renewed', 'authentication_required', 'declined', 'no_card', 'not_allowed', 'stopped'] as const;
export type RenewalOutcome = (typeof renewalOutcomes)[number];

/** One off-session renewal per (product, subject, period end): its charge is keyed by the same triple. */
export const renewals = pgTable(
  'renewals',
  {
    product: text('product').notNull(),
    subjectId: integer('subject_id').notNull(),
    /** The end of the period being renewed. */
    periodEnd: timestamp('period_end', { withTimezone: true }).notNull(),
    userId: integer('user_id')
      .notNull()
      .references(() => users.id),
    chargeId: integer('charge_id').references(() => charges.id),
    outcome: text('outcome', { enum: renewalOutcomes }).notNull().default('pending'),
    failureMessage: text('failure_message'),
    /** While pending, the process working on it holds it until then; a crashed one's is taken over after. */
    leaseUntil: timestamp('lease_until', { withTimezone: true }).notNull(),
    /** Set when the buyer was e-mailed that the renewal did not go through (at most once). */
    notifiedAt: timestamp('notified_at', { withTimezone: true }),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    finishedAt: timestamp('finished_at', { withTimezone: true }),
  },
  (t) => [
    primaryKey({ columns: [t.product, t.subjectId, t.periodEnd] }),
    index('renewals_created_idx').on(t.createdAt.desc()),
    check('renewals_outcome_known', sql.raw(`outcome in (${renewalOutcomes.map((s) => `'${s}'`).join(', ')})`)),
  ],
);
export type Renewal = typeof renewals.$inferSelect;
