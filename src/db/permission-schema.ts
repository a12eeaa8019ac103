import { sql } from 'drizzle-orm';
import { check, index, integer, pgTable, text, timestamp, uniqueIndex } from 'drizzle-orm/pg-core';
import { organizations } from './organization-schema.js';
import { users } from './schema.js';

/**
 * A request for the permission to post job listings: a member's for themselves (organization_id
 * null), or an organization admin's for the organization. At most one pending per member for
 * themselves, and one pending per organization.
 */
export const permissionRequestStatuses = ['pending', 'approved', 'declined'] as const;
export type PermissionRequestStatus = (typeof permissionRequestStatuses)[number];
export const PERMISSION_NOTE_MAX = 500;

export const permissionRequests = pgTable(
  'permission_requests',
  {
    id: integer('id').primaryKey().generatedAlwaysAsIdentity(),
    userId: integer('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    /** The organization asked for by one of its admins (user_id); null when the member asks for themselves. */
    organizationId: integer('organization_id').references(() => organizations.id, { onDelete: 'cascade' }),
    /** What the member says they will post, for the admin who decides. */
    note: text('note').notNull(),
    status: text('status', { enum: permissionRequestStatuses }).notNull().default('pending'),
    decidedBy: integer('decided_by').references(() => users.id),
    decidedAt: timestamp('decided_at', { withTimezone: true }),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex('permission_requests_one_pending_idx').on(t.userId).where(sql`${t.status} = 'pending' and ${t.organizationId} is null`),
    uniqueIndex('permission_requests_one_pending_organization_idx').on(t.organizationId).where(sql`${t.status} = 'pending' and ${t.organizationId} is not null`),
    index('permission_requests_user_idx').on(t.userId, t.createdAt.desc()),
    index('permission_requests_pending_idx').on(t.createdAt).where(sql`${t.status} = 'pending'`),
    check('permission_requests_status_known', sql.raw(`status in (${permissionRequestStatuses.map((s) => `'${s}'`).join(', ')})`)),
    check('permission_requests_note_length', sql.raw(`char_length(note) between 1 and ${PERMISSION_NOTE_MAX}`)),
    check('permission_requests_decided', sql.raw(`(status = 'pending') = (decided_at is null)`)),
  ],
);

export type PermissionRequest = typeof permissionRequests.$inferSelect;
