import { and, desc, eq, isNull } from 'drizzle-orm';
import { z } from 'zod';
import type { Db, Executor } from '../db/client.js';
import { type Organization, organizations } from '../db/organization-schema.js';
import { type User, users } from '../db/schema.js';
import { PERMISSION_NOTE_MAX, type PermissionRequest, permissionRequestStatuses, permissionRequests } from '../db/permission-schema.js';
import { audit, userActor } from '../audit/log.js';
import { timestamp } from '../http/api.js';
import { ApiError, notFound } from '../http/errors.js';
import type { Mailer } from '../mail/mailer.js';

export const permissionRequestInput = z.object({
  note: z
    .string({ error: 'Say in a few words what you will post.' })
    .trim()
    .min(1, 'Say in a few words what you will post.')
    .max(PERMISSION_NOTE_MAX, `At most ${PERMISSION_NOTE_MAX} characters.`),
});
export const decisionInput = z.object({ decision: z.enum(['approve', 'decline'], { error: 'Choose approve or decline.' }) });
export type Decision = z.infer<typeof decisionInput>['decision'];

export const permissionRequestSchema = z.object({
  id: z.number().int(),
  user_id: z.number().int(),
  note: z.string(),
  status: z.enum(permissionRequestStatuses),
  created_at: timestamp,
  decided_at: timestamp.nullable(),
  organization: z
    .object({ slug: z.string(), name: z.string() })
    .nullable()
    .meta({ description: 'The organization one of its admins (`user_id`) asked for; null when the member asked for themselves.' }),
});
/** The organization a request is for, as shown with it. */
export type RequestOrganization = Pick<Organization, 'id' | 'slug' | 'name'>;
export const permissionRequestJson = (r: PermissionRequest, organization?: RequestOrganization | null): z.output<typeof permissionRequestSchema> => ({
  id: r.id,
  user_id: r.userId,
  organization: organization ? { slug: organization.slug, name: organization.name } : null,
  note: r.note,
  status: r.status,
  created_at: r.createdAt,
  decided_at: r.decidedAt,
});

/**
 * A member asks for the permission to post jobs. One pending request per member, enforced by a
 * partial unique index: a second (or a concurrent one) is a 409 and writes nothing.
 */
export async function requestPermission(db: Db, user: User, note: string, now: Date): Promise<PermissionRequest> {
  if (user.admin || user.canPostJobs) throw new ApiError(409, 'already_allowed', 'You can already post job listings.');
  return db.transaction(async (tx) => {
    const [created] = await tx.insert(permissionRequests).values({ userId: user.id, note, createdAt: now }).onConflictDoNothing().returning();
    if (!created) throw new ApiError(409, 'request_pending', 'You already asked; an admin will answer your request soon.');
    await audit(tx, { actor: userActor(user.id), action: 'permission.requested', subjectType: 'permission_request', subjectId: created.id, after: { note } }, now);
    return created;
  });
}

/**
 * One of its admins asks for an organization's permission to post jobs (the caller checks that they
 * are one). One pending request per organization, enforced by a partial unique index: a second is a
 * 409 and writes nothing, as is a request for an organization already allowed.
 */
export async function requestOrganizationPermission(db: Db, admin: User, organization: Organization, note: string, now: Date): Promise<PermissionRequest> {
  return db.transaction(async (tx) => {
    // Locked as a grant locks it: a request is stored before a grant (which closes it) or sees it.
    const [current] = await tx.select({ canPostJobs: organizations.canPostJobs }).from(organizations).where(eq(organizations.id, organization.id)).for('update');
    if (!current) throw notFound('No such organization.');
    if (current.canPostJobs) throw new ApiError(409, 'already_allowed', `${organization.name} can already post job listings.`);
    const [created] = await tx.insert(permissionRequests).values({ userId: admin.id, organizationId: organization.id, note, createdAt: now }).onConflictDoNothing().returning();
    if (!created) throw new ApiError(409, 'request_pending', `Someone already asked for ${organization.name}; a site admin will answer soon.`);
    await audit(
      tx,
      { actor: userActor(admin.id), action: 'permission.requested', subjectType: 'permission_request', subjectId: created.id, after: { note, organization_id: organization.id } },
      now,
    );
    return created;
  });
}

const latestFirst = [desc(permissionRequests.createdAt), desc(permissionRequests.id)] as const;

/** The member's latest request for themselves, if any (the Write page says where it stands). */
export async function latestRequest(db: Db, userId: number): Promise<PermissionRequest | undefined> {
  const [row] = await db
    .select()
    .from(permissionRequests)
    .where(and(eq(permissionRequests.userId, userId), isNull(permissionRequests.organizationId)))
    .orderBy(...latestFirst)
    .limit(1);
  return row;
}

/** The organization's latest request, if any (its page says where it stands). */
export async function latestOrganizationRequest(db: Db, organizationId: number): Promise<PermissionRequest | undefined> {
  const [row] = await db.select().from(permissionRequests).where(eq(permissionRequests.organizationId, organizationId)).orderBy(...latestFirst).limit(1);
  return row;
}

export interface PendingRequest {
  request: PermissionRequest;
  user: Pick<User, 'id' | 'username' | 'email' | 'canPostJobs'>;
  /** The organization asked for, or null for the member's own request. */
  organization: RequestOrganization | null;
}

/** Pending requests, oldest first: the order an admin should answer them in. */
export async function pendingRequests(db: Db): Promise<PendingRequest[]> {
  return db
    .select({
      request: permissionRequests,
      user: { id: users.id, username: users.username, email: users.email, canPostJobs: users.canPostJobs },
      organization: { id: organizations.id, slug: organizations.slug, name: organizations.name },
    })
    .from(permissionRequests)
    .innerJoin(users, eq(users.id, permissionRequests.userId))
    .leftJoin(organizations, eq(organizations.id, permissionRequests.organizationId))
    .where(eq(permissionRequests.status, 'pending'))
    .orderBy(permissionRequests.createdAt, permissionRequests.id);
}

/**
 * Sets can_post_jobs, audit-logged when it changes; granting also closes the member's pending
 * request for themselves, so it does not wait for an answer already given.
 */
export async function applyCanPostJobs(tx: Executor, actorId: number, userId: number, canPostJobs: boolean, now: Date): Promise<User> {
  const [before] = await tx.select({ canPostJobs: users.canPostJobs }).from(users).where(eq(users.id, userId)).for('update');
  if (!before) throw notFound('No such user.');
  const [user] = await tx.update(users).set({ canPostJobs }).where(eq(users.id, userId)).returning();
  if (before.canPostJobs !== canPostJobs) {
    await audit(tx, { actor: userActor(actorId), action: canPostJobs ? 'permission.granted' : 'permission.revoked', subjectType: 'user', subjectId: userId, before: { can_post_jobs: before.canPostJobs }, after: { can_post_jobs: canPostJobs } }, now);
  }
  if (canPostJobs) {
    await tx
      .update(permissionRequests)
      .set({ status: 'approved', decidedBy: actorId, decidedAt: now })
      .where(and(eq(permissionRequests.userId, userId), isNull(permissionRequests.organizationId), eq(permissionRequests.status, 'pending')));
  }
  return user!;
}

/**
 * Sets an organization's can_post_jobs, audit-logged when it changes; granting also closes its
 * pending request. The organization's row is locked first; 404 when there is none.
 */
export async function applyOrganizationCanPostJobs(tx: Executor, actorId: number, organizationId: number, canPostJobs: boolean, now: Date): Promise<Organization> {
  const [before] = await tx.select({ canPostJobs: organizations.canPostJobs }).from(organizations).where(eq(organizations.id, organizationId)).for('update');
  if (!before) throw notFound('No such organization.');
  const [after] = await tx.update(organizations).set({ canPostJobs }).where(eq(organizations.id, organizationId)).returning();
  if (before.canPostJobs !== canPostJobs) {
    await audit(
      tx,
      { actor: userActor(actorId), action: canPostJobs ? 'permission.granted' : 'permission.revoked', subjectType: 'organization', subjectId: organizationId, before: { can_post_jobs: before.canPostJobs }, after: { can_post_jobs: canPostJobs } },
      now,
    );
  }
  if (canPostJobs) {
    await tx
      .update(permissionRequests)
      .set({ status: 'approved', decidedBy: actorId, decidedAt: now })
      .where(and(eq(permissionRequests.organizationId, organizationId), eq(permissionRequests.status, 'pending')));
  }
  return after!;
}

const decided = { approve: 'approved', decline: 'declined' } as const;

/**
 * An admin's answer. The same answer twice is harmless (nothing changes, no second e-mail); the
 * other answer to a request already decided is a 409. Approval sets can_post_jobs (the member's, or
 * the organization's when the request is for one) in the same transaction, both audit-logged.
 */
export async function decidePermissionRequest(
  db: Db,
  admin: User,
  id: number,
  decision: Decision,
  now: Date,
): Promise<{ request: PermissionRequest; user: User; organization: RequestOrganization | null; changed: boolean }> {
  return db.transaction(async (tx) => {
    const [current] = await tx.select().from(permissionRequests).where(eq(permissionRequests.id, id)).for('update');
    if (!current) throw notFound('No such permission request.');
    const [member] = await tx.select().from(users).where(eq(users.id, current.userId));
    const [organization = null] = current.organizationId
      ? await tx.select({ id: organizations.id, slug: organizations.slug, name: organizations.name }).from(organizations).where(eq(organizations.id, current.organizationId))
      : [];
    const status = decided[decision];
    if (current.status !== 'pending') {
      if (current.status === status) return { request: current, user: member!, organization, changed: false };
      throw new ApiError(409, 'already_decided', `This request was already ${current.status}.`);
    }
    const [request] = await tx.update(permissionRequests).set({ status, decidedBy: admin.id, decidedAt: now }).where(eq(permissionRequests.id, id)).returning();
    await audit(
      tx,
      { actor: userActor(admin.id), action: `permission_request.${status}`, subjectType: 'permission_request', subjectId: id, before: { status: 'pending' }, after: { status, user_id: current.userId, organization_id: current.organizationId } },
      now,
    );
    let user = member!;
    if (decision === 'approve' && organization) await applyOrganizationCanPostJobs(tx, admin.id, organization.id, true, now);
    else if (decision === 'approve') user = await applyCanPostJobs(tx, admin.id, current.userId, true, now);
    return { request: request!, user, organization, changed: true };
  });
}

/** Tells the member who asked the answer (naming the organization when they asked for one), through the same mail path as receipts. */
export async function mailDecision(mailer: Mailer, request: PermissionRequest, user: Pick<User, 'email' | 'username'>, organization: RequestOrganization | null = null): Promise<void> {
  const approved = request.status === 'approved';
  const base = mailer.settings.baseUrl ?? '';
  const write = `${base}/articles/new`;
  const mail = organization
    ? {
        subject: approved ? `${organization.name} can now post job listings on DevBoard` : `Your request for ${organization.name} to post job listings on DevBoard`,
        text: approved
          ? [`Hello ${user.username},`, `An admin approved your request: ${organization.name}'s members can now post job listings on its behalf.`, `Write one here, tick "This is a job listing", and post it for ${organization.name}:`, write]
          : [`Hello ${user.username},`, `An admin declined your request for ${organization.name} to post job listings for now.`, 'You can ask again with more detail on its page:', `${base}/organizations/${organization.slug}`],
      }
    : {
        subject: approved ? 'You can now post job listings on DevBoard' : 'Your request to post job listings on DevBoard',
        text: approved
          ? [`Hello ${user.username},`, 'An admin approved your request: you can now post job listings.', `Write one here, tick "This is a job listing", and pay to list it on /jobs:`, write]
          : [`Hello ${user.username},`, 'An admin declined your request to post job listings for now.', 'You can still write articles, and ask again with more detail on the Write page:', write],
      };
  await mailer.send(
    {
      from: mailer.settings.from ?? 'DevBoard <accounts@devboard.local>',
      to: user.email,
      subject: mail.subject,
      text: mail.text.join('\n'),
    },
    `permission-request-${request.id}-${request.status}`,
  );
}
