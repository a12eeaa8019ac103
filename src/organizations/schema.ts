import { sql } from 'drizzle-orm';
import { boolean, check, index, integer, jsonb, pgTable, primaryKey, text, timestamp, uniqueIndex } from 'drizzle-orm/pg-core';
import { users } from '../db/schema.js';

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

export const organizationRoles = ['admin', 'member'] as const;
export type OrganizationRole = (typeof organizationRoles)[number];

/** Who belongs to an organization, once each, as an admin (manages it, pays for it) or a member. */
export const organizationMembers = pgTable(
  'organization_members',
  {
    organizationId: integer('organization_id')
      .notNull()
      .references(() => organizations.id),
    userId: integer('user_id')
      .notNull()
      .references(() => users.id),
    role: text('role', { enum: organizationRoles }).notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    primaryKey({ columns: [t.organizationId, t.userId] }),
    index('organization_members_user_idx').on(t.userId),
    check('organization_members_role_known', sql.raw(`role in (${organizationRoles.map((r) => `'${r}'`).join(', ')})`)),
  ],
);

export type Organization = typeof organizations.$inferSelect;
