import { sql } from 'drizzle-orm';
import { check, index, integer, pgTable, primaryKey, text, timestamp } from 'drizzle-orm/pg-core';
import { users } from '../db/schema.js';
import { organizations } from '../db/organization-schema.js';

// The organizations table itself is in the core schema (src/db/organization-schema.ts), because articles posted on
// an organization's behalf reference it; its members and its rules live here.
export { type BillingAddress, type BillingTaxId, type Organization, organizations, SLUG_PATTERN } from '../db/organization-schema.js';

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

