import { type SQL, sql } from 'drizzle-orm';
import { type AnyPgColumn as AnyColumn, check, index, integer, pgTable, text, timestamp, uniqueIndex } from 'drizzle-orm/pg-core';
import { charges, refunds, users } from '../db/schema.js';
import { organizations } from '../organizations/schema.js';

/**
 * Whose credits: a member's own, or an organization's (exactly one of the two). `balance` is the sum
 * of the account's entries, kept in the same statement as each entry is written; the check keeps it
 * from ever going negative, and the row is what concurrent spends queue on.
 */
export const creditAccounts = pgTable(
  'credit_accounts',
  {
    id: integer('id').primaryKey().generatedAlwaysAsIdentity(),
    userId: integer('user_id')
      .unique()
      .references(() => users.id),
    organizationId: integer('organization_id')
      .unique()
      .references(() => organizations.id),
    balance: integer('balance').notNull().default(0),
  },
  (t) => [
    check('credit_accounts_one_owner', sql`(${t.userId} is null) <> (${t.organizationId} is null)`),
    check('credit_accounts_balance_not_negative', sql`${t.balance} >= 0`),
  ],
);

export const creditReasons = ['purchase', 'spend', 'refund', 'dispute', 'grant', 'revoke', 'expire'] as const;
export type CreditReason = (typeof creditReasons)[number];

/**
 * The ledger: append-only, one row per change of a balance. A purchase's credits are granted once
 * per charge, a spend is made once per charge it pays, and a refund row takes credits back once and
 * gives them back once (unique indexes); an admin's grant or revocation carries a note.
 */
export const creditEntries = pgTable(
  'credit_entries',
  {
    id: integer('id').primaryKey().generatedAlwaysAsIdentity(),
    accountId: integer('account_id')
      .notNull()
      .references(() => creditAccounts.id),
    change: integer('change').notNull(),
    reason: text('reason', { enum: creditReasons }).notNull(),
    /** The purchase's charge (purchase, refund, dispute) or the charge the credits paid (spend). */
    chargeId: integer('charge_id').references(() => charges.id),
    /**
     * The refund row a `refund` entry belongs to: the credits a refund of a purchase took back (negative),
     * the credits given back when that refund failed, or the credits a refunded spend returned (positive).
     */
    refundId: integer('refund_id').references(() => refunds.id),
    note: text('note'),
    /** Who made the change: the buyer, the spender, the admin. */
    byUserId: integer('by_user_id').references(() => users.id),
    at: timestamp('at', { withTimezone: true }).notNull(),
  },
  (t) => [
    index('credit_entries_account_idx').on(t.accountId, t.id),
    uniqueIndex('credit_entries_purchase_once_idx').on(t.chargeId).where(sql`${t.reason} = 'purchase'`),
    uniqueIndex('credit_entries_spend_once_idx').on(t.chargeId).where(sql`${t.reason} = 'spend'`),
    // Per refund row, credits are taken back once and given back once.
    uniqueIndex('credit_entries_refund_taken_once_idx').on(t.refundId).where(sql`${t.reason} = 'refund' and ${t.change} < 0`),
    uniqueIndex('credit_entries_refund_given_once_idx').on(t.refundId).where(sql`${t.reason} = 'refund' and ${t.change} > 0`),
    check('credit_entries_change_nonzero', sql`${t.change} <> 0`),
    check('credit_entries_reason_known', sql.raw(`reason in (${creditReasons.map((r) => `'${r}'`).join(', ')})`)),
    check('credit_entries_charge_needed', sql`${t.reason} not in ('purchase', 'spend') or ${t.chargeId} is not null`),
    check('credit_entries_note_needed', sql`${t.reason} not in ('grant', 'revoke') or (${t.note} is not null and ${t.byUserId} is not null)`),
    check('credit_entries_sign', sql`(${t.reason} in ('purchase', 'grant') and ${t.change} > 0) or (${t.reason} in ('spend', 'revoke', 'expire') and ${t.change} < 0) or ${t.reason} in ('refund', 'dispute')`),
  ],
);

export type CreditEntry = typeof creditEntries.$inferSelect;

/** True for the charge whose id is `chargeId` when it was paid with credits: its spend entry names it. */
export const paidWithCredits = (chargeId: SQL | AnyColumn) => sql`exists (select 1 from credit_entries ce where ce.reason = 'spend' and ce.charge_id = ${chargeId})`;
