/**
 * The audit log, on the ground floor: every room appends who did what to which money or permission, in
 * the caller's transaction; the table refuses updates and deletes.
 */
import type { Executor } from '../db/client.js';
import { auditLog } from '../db/schema.js';

export interface AuditEntry {
  /** user:<id>, stripe, reconcile or system. */
  actor: string;
  action: string;
  subjectType: string;
  subjectId: string | number;
  before?: unknown;
  after?: unknown;
}

export const userActor = (userId: number) => `user:${userId}`;

/** Appends to the audit log, inside the caller's transaction so the entry and the change commit together. */
export async function audit(tx: Executor, entry: AuditEntry, at: Date): Promise<void> {
  await tx.insert(auditLog).values({
    at,
    actor: entry.actor,
    action: entry.action,
    subjectType: entry.subjectType,
    subjectId: String(entry.subjectId),
    before: entry.before ?? null,
    after: entry.after ?? null,
  });
}
