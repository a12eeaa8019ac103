import { and, eq, gt, sql } from 'drizzle-orm';
import { z } from 'zod';
import type { Clock } from '../clock.js';
import type { Db, Executor } from '../db/client.js';
import { prepared } from '../db/prepared.js';
import { apiTokens, sessions, type User, users } from '../db/schema.js';
import { audit, userActor } from '../finance/audit.js';
import { ApiError, notFound } from '../http/errors.js';
import { dummyHash, hashPassword, verifyPassword } from './passwords.js';
import { hashSecret, newSecret } from './tokens.js';

export const SESSION_TTL_MS = 30 * 24 * 3600 * 1000;

export const signupInput = z.object({
  username: z
    .string()
    .trim()
    .min(2, 'At least 2 characters.')
    .max(30, 'At most 30 characters.')
    .regex(/^[a-zA-Z0-9_]+$/, 'Letters, digits and underscores only.'),
  email: z.string().trim().toLowerCase().max(254).email('Not a valid e-mail address.'),
  password: z.string().min(8, 'At least 8 characters.').max(200, 'At most 200 characters.'),
});
export type SignupInput = z.infer<typeof signupInput>;

export const loginInput = z.object({
  email: z.string().trim().toLowerCase().max(254).email('Not a valid e-mail address.'),
  password: z.string().min(1, 'Required.').max(200),
});

export interface PublicUser {
  id: number;
  username: string;
  email: string;
  admin: boolean;
  can_post_jobs: boolean;
}

export const publicUser = (u: User): PublicUser => ({
  id: u.id,
  username: u.username,
  email: u.email,
  admin: u.admin,
  can_post_jobs: u.canPostJobs,
});

export async function createUser(
  db: Executor,
  input: SignupInput,
  flags: { admin?: boolean; canPostJobs?: boolean } = {},
): Promise<User> {
  const passwordHash = await hashPassword(input.password);
  const [user] = await db
    .insert(users)
    .values({
      username: input.username,
      email: input.email,
      passwordHash,
      admin: flags.admin ?? false,
      canPostJobs: flags.canPostJobs ?? false,
    })
    .onConflictDoNothing()
    .returning();
  if (user) return user;
  // Usernames are public; whether an e-mail is registered is said only when it alone is in the way.
  const [usernameTaken] = await db
    .select({ id: users.id })
    .from(users)
    .where(sql`lower(${users.username}) = lower(${input.username})`);
  const field = usernameTaken ? 'username' : 'email';
  throw new ApiError(409, 'already_exists', `That ${field} is already taken.`, { [field]: 'Already taken.' });
}

/** Returns the user for a correct e-mail and password; one error for both wrong cases. */
export async function authenticate(db: Db, email: string, password: string): Promise<User> {
  const [user] = await db.select().from(users).where(eq(users.email, email.toLowerCase()));
  const ok = await verifyPassword(user?.passwordHash ?? (await dummyHash), password);
  if (!user || !ok) throw new ApiError(401, 'invalid_credentials', 'Wrong e-mail or password.');
  return user;
}

export async function createSession(db: Db, userId: number, clock: Clock): Promise<string> {
  const { secret, hash } = newSecret();
  await db.insert(sessions).values({
    idHash: hash,
    userId,
    expiresAt: new Date(clock.now().getTime() + SESSION_TTL_MS),
  });
  return secret;
}

export async function userForSession(db: Db, secret: string, clock: Clock): Promise<User | undefined> {
  const [row] = await db
    .select({ user: users })
    .from(sessions)
    .innerJoin(users, eq(users.id, sessions.userId))
    .where(and(eq(sessions.idHash, hashSecret(secret)), gt(sessions.expiresAt, clock.now())));
  return row?.user;
}

export async function deleteSession(db: Db, secret: string): Promise<void> {
  await db.delete(sessions).where(eq(sessions.idHash, hashSecret(secret)));
}

/** Creates a personal API token; the secret is returned once and only its hash is kept. */
export async function createApiToken(db: Db, userId: number): Promise<string> {
  const { secret, hash } = newSecret('dvb_');
  await db.insert(apiTokens).values({ userId, tokenHash: hash });
  return secret;
}

const tokenOwner = prepared((db) =>
  db
    .select({ user: users, tokenId: apiTokens.id, lastUsedAt: apiTokens.lastUsedAt })
    .from(apiTokens)
    .innerJoin(users, eq(users.id, apiTokens.userId))
    .where(eq(apiTokens.tokenHash, sql.placeholder('hash')))
    .prepare('token_owner'),
);

export async function userForToken(db: Db, secret: string, clock: Clock): Promise<User | undefined> {
  const [row] = await tokenOwner(db).execute({ hash: hashSecret(secret) });
  if (!row) return undefined;
  // Touch last_used_at at most hourly: a write on every API call would cost more than it tells.
  const now = clock.now();
  if (!row.lastUsedAt || now.getTime() - row.lastUsedAt.getTime() > 3600_000) {
    await db.update(apiTokens).set({ lastUsedAt: now }).where(eq(apiTokens.id, row.tokenId));
  }
  return row.user;
}

export async function setCanPostJobs(db: Db, actor: User, userId: number, canPostJobs: boolean, now: Date): Promise<User> {
  return db.transaction(async (tx) => {
    const [before] = await tx.select({ canPostJobs: users.canPostJobs }).from(users).where(eq(users.id, userId)).for('update');
    if (!before) throw notFound('No such user.');
    const [user] = await tx.update(users).set({ canPostJobs }).where(eq(users.id, userId)).returning();
    if (before.canPostJobs !== canPostJobs) {
      await audit(tx, { actor: userActor(actor.id), action: canPostJobs ? 'permission.granted' : 'permission.revoked', subjectType: 'user', subjectId: userId, before: { can_post_jobs: before.canPostJobs }, after: { can_post_jobs: canPostJobs } }, now);
    }
    return user!;
  });
}

export async function listUsers(db: Db): Promise<User[]> {
  return db.select().from(users).orderBy(users.id);
}

export async function findUserByEmail(db: Db, email: string): Promise<User | undefined> {
  const [user] = await db.select().from(users).where(eq(users.email, email.toLowerCase()));
  return user;
}
