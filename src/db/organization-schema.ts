import { sql } from 'drizzle-orm';
import { boolean, check, integer, jsonb, pgTable, text, timestamp, uniqueIndex } from 'drizzle-orm/pg-core';

/** A postal address as Stripe keeps a customer's (every part optional but the country). */
export interface BillingAddress {
  line1?: string;
  line2?: string;
  city?: string;
  postal_code?: string;
  state?: string;
  country: string;
}

/** A tax id as Stripe keeps one on a customer: its type (eu_vat, gb_vat, us_ein, …) and value. */
export interface BillingTaxId {
  type: string;
  value: string;
}

export const SLUG_PATTERN = '^[a-z0-9-]{2,40}$';

/**
 * A company (a recruiter team) whose members share one card, one invoice address and one balance of
 * credits. Its billing details are also kept on its own Stripe customer (`stripe_customer_key`).
 * Its members and rules are in src/organizations/; the table is in the core schema, as articles reference it.
 */
export const organizations = pgTable(
  'organizations',
  {
    id: integer('id').primaryKey().generatedAlwaysAsIdentity(),
    slug: text('slug').notNull(),
    name: text('name').notNull(),
    legalName: text('legal_name'),
    address: jsonb('address').$type<BillingAddress>(),
    taxId: jsonb('tax_id').$type<BillingTaxId>(),
    stripeCustomerKey: text('stripe_customer_key').unique(),
    canPostJobs: boolean('can_post_jobs').notNull().default(false),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [uniqueIndex('organizations_slug_idx').on(t.slug), check('organizations_slug_form', sql.raw(`slug ~ '${SLUG_PATTERN}'`))],
);

export type Organization = typeof organizations.$inferSelect;
