import { randomBytes } from 'node:crypto';
import { eq } from 'drizzle-orm';
import type { Db } from '../db/client.js';
import { users } from '../db/schema.js';
import { createUser, findUserByEmail } from './service.js';

export interface BootstrapResult {
  email: string;
  /** Set only when a demo admin was just created with a generated password. */
  generatedPassword?: string;
}

/**
 * Makes sure an admin exists: the one named by ADMIN_EMAIL/ADMIN_PASSWORD, or else (embedded
 * default only) a demo admin with a generated password that the caller prints once.
 */
export async function ensureAdmin(
  db: Db,
  configured: { email: string; password: string } | undefined,
  allowDemo: boolean,
): Promise<BootstrapResult | undefined> {
  if (configured) {
    const existing = await findUserByEmail(db, configured.email);
    if (existing) {
      if (!existing.admin) await db.update(users).set({ admin: true }).where(eq(users.id, existing.id));
      return { email: existing.email };
    }
    await createUser(db, { username: 'admin', email: configured.email, password: configured.password }, { admin: true, canPostJobs: true });
    return { email: configured.email };
  }
  const [anyAdmin] = await db.select({ email: users.email }).from(users).where(eq(users.admin, true)).limit(1);
  if (anyAdmin || !allowDemo) return anyAdmin;
  const password = randomBytes(9).toString('base64url');
  const email = 'admin@devboard.local';
  await createUser(db, { username: 'admin', email, password }, { admin: true, canPostJobs: true });
  return { email, generatedPassword: password };
}
