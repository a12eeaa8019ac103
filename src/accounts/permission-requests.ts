import { and, desc, eq } from 'drizzle-orm';
import { z } from 'zod';
import type { Db, Executor } from '../db/client.js';
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
});
export const permissionRequestJson = (r: PermissionRequest): z.output<typeof permissionRequestSchema> => ({
  id: r.id,
  user_id: r.userId,
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

/** The member's latest request, if any (the Write page says where it stands). */
export async function latestRequest(db: Db, userId: number): Promise<PermissionRequest | undefined> {
  const [row] = await db.select().from(permissionRequests).where(eq(permissionRequests.userId, userId)).orderBy(desc(permissionRequests.createdAt), desc(permissionRequests.id)).limit(1);
  return row;
}

export interface PendingRequest {
  request: PermissionRequest;
  user: Pick<User, 'id' | 'username' | 'email' | 'canPostJobs'>;
}

/** Pending requests, oldest first: the order an admin should answer them in. */
export async function pendingRequests(db: Db): Promise<PendingRequest[]> {
  return db
    .select({ request: permissionRequests, user: { id: users.id, username: users.username, email: users.email, canPostJobs: users.canPostJobs } })
    .from(permissionRequests)
    .innerJoin(users, eq(users.id, permissionRequests.userId))
    .where(eq(permissionRequests.status, 'pending'))
    .orderBy(permissionRequests.createdAt, permissionRequests.id);
}

/**
 * Sets can_post_jobs, audit-logged when it changes; granting also closes the member's pending
 * request, so it does not wait for an answer already given.
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
      .where(and(eq(permissionRequests.userId, userId), eq(permissionRequests.status, 'pending')));
  }
  return user!;
}

const decided = { approve: 'approved', decline: 'declined' } as const;

/**
 * An admin's answer. The same answer twice is harmless (nothing changes, no second e-mail); the
 * other answer to a request already decided is a 409. Approval sets can_post_jobs in the same
 * transaction, both audit-logged.
 */
export async function decidePermissionRequest(
  db: Db,
  admin: User,
  id: number,
  decision: Decision,
  now: Date,
): Promise<{ request: PermissionRequest; user: User; changed: boolean }> {
  return db.transaction(async (tx) => {
    const [current] = await tx.select().from(permissionRequests).where(eq(permissionRequests.id, id)).for('update');
    if (!current) throw notFound('No such permission request.');
    const [member] = await tx.select().from(users).where(eq(users.id, current.userId));
    const status = decided[decision];
    if (current.status !== 'pending') {
      if (current.status === status) return { request: current, user: member!, changed: false };
      throw new ApiError(409, 'already_decided', `This request was already ${current.status}.`);
    }
    const [request] = await tx.update(permissionRequests).set({ status, decidedBy: admin.id, decidedAt: now }).where(eq(permissionRequests.id, id)).returning();
    await audit(tx, { actor: userActor(admin.id), action: `permission_request.${status}`, subjectType: 'permission_request', subjectId: id, before: { status: 'pending' }, after: { status, user_id: current.userId } }, now);
    const user = decision === 'approve' ? await applyCanPostJobs(tx, admin.id, current.userId, true, now) : member!;
    return { request: request!, user, changed: true };
  });
}

/** Tells the member the answer, through the same mail path as receipts. */
export async function mailDecision(mailer: Mailer, request: PermissionRequest, user: Pick<User, 'email' | 'username'>): Promise<void> {
  const approved = request.status === 'approved';
  const write = `${mailer.settings.baseUrl ?? ''}/articles/new`;
  await mailer.send(
    {
      from: mailer.settings.from ?? 'DevBoard <accounts@devboard.local>',
      to: user.email,
      subject: approved ? 'You can now post job listings on DevBoard' : 'Your request to post job listings on DevBoard',
      text: (approved
        ? [`Hello ${user.username},`, 'An admin approved your request: you can now post job listings.', `Write one here, tick "This is a job listing", and pay to list it on /jobs:`, write]
        : [`Hello ${user.username},`, 'An admin declined your request to post job listings for now.', 'You can still write articles, and ask again with more detail on the Write page:', write]
      ).join('\n'),
    },
    `permission-request-${request.id}-${request.status}`,
  );
}
