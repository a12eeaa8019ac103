import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { eq } from 'drizzle-orm';
import { persistentSecret } from '../config.js';
import type { Db } from '../db/client.js';
import { users } from '../db/schema.js';
import { verifyPassword } from './passwords.js';
import { createUser, findUserByEmail } from './service.js';

export const DEMO_ADMIN_EMAIL = 'admin@devboard.local';
/** The demo admin's generated password, kept in DATA_DIR (0600) so every start can show it. */
export const DEMO_ADMIN_PASSWORD_FILE = 'demo-admin-password';

export interface AdminCredentials {
  email: string;
  /** The demo admin's password, while it still opens the account. */
  password?: string;
  /** The demo admin's password was changed since it was generated: it is not shown. */
  passwordChanged?: boolean;
}

/**
 * Makes sure an admin exists: the one named by ADMIN_EMAIL/ADMIN_PASSWORD, or else (the embedded
 * default, given its DATA_DIR) a demo admin whose generated password is kept in DATA_DIR and shown
 * at every start until someone changes it.
 */
export async function ensureAdmin(db: Db, configured: { email: string; password: string } | undefined, demoDataDir: string | undefined): Promise<AdminCredentials | undefined> {
  if (configured) {
    const existing = await findUserByEmail(db, configured.email);
    if (existing) {
      if (!existing.admin) await db.update(users).set({ admin: true }).where(eq(users.id, existing.id));
      return { email: existing.email };
    }
    await createUser(db, { username: 'admin', email: configured.email, password: configured.password }, { admin: true, canPostJobs: true });
    return { email: configured.email };
  }
  const [anyAdmin] = await db.select({ email: users.email, passwordHash: users.passwordHash }).from(users).where(eq(users.admin, true)).limit(1);
  if (!demoDataDir) return anyAdmin && { email: anyAdmin.email };
  const demoPassword = () => persistentSecret(demoDataDir, DEMO_ADMIN_PASSWORD_FILE, () => randomBytes(9).toString('base64url'));
  if (!anyAdmin) {
    const password = demoPassword();
    await createUser(db, { username: 'admin', email: DEMO_ADMIN_EMAIL, password }, { admin: true, canPostJobs: true });
    return { email: DEMO_ADMIN_EMAIL, password };
  }
  if (anyAdmin.email !== DEMO_ADMIN_EMAIL || !existsSync(path.join(demoDataDir, DEMO_ADMIN_PASSWORD_FILE))) return { email: anyAdmin.email };
  const password = demoPassword();
  return (await verifyPassword(anyAdmin.passwordHash, password)) ? { email: anyAdmin.email, password } : { email: anyAdmin.email, passwordChanged: true };
}
