import { and, desc, eq, gt, isNull, ne, or, sql } from 'drizzle-orm';
import { z } from 'zod';
import type { Clock } from '../clock.js';
import type { Db, Executor } from '../db/client.js';
import { prepared } from '../db/prepared.js';
import { type ApiToken, apiTokens, passwordResets, sessions, type User, users } from '../db/schema.js';
import { audit, userActor } from '../audit/log.js';
import { timestamp } from '../http/api.js';
import { ApiError, notFound } from '../http/errors.js';
import { dummyHash, hashPassword, verifyPassword } from './passwords.js';
import { applyCanPostJobs } from './permission-requests.js';
import { hashSecret, newSecret } from './tokens.js';

export const SESSION_TTL_MS = 30 * 24 * 3600 * 1000;

export const newPasswordSchema = z.string().min(8, 'At least 8 characters.').max(200, 'At most 200 characters.');

export const signupInput = z.object({
  username: z
    .string()
    .trim()
    .min(2, 'At least 2 characters.')
    .max(30, 'At most 30 characters.')
    .regex(/^[a-zA-Z0-9_]+$/, 'Letters, digits and underscores only.'),
  email: z.string().trim().toLowerCase().max(254).email('Not a valid e-mail address.'),
  password: newPasswordSchema,
});
export type SignupInput = z.infer<typeof signupInput>;

export const loginInput = z.object({
  email: z.string().trim().toLowerCase().max(254).email('Not a valid e-mail address.'),
  password: z.string().min(1, 'Enter your password.').max(200),
});

/** A member as the API shows them (to themselves and to admins). */
export const publicUserSchema = z.object({
  id: z.number().int(),
  username: z.string(),
  email: z.string(),
  admin: z.boolean(),
  can_post_jobs: z.boolean().meta({ description: 'May publish job listings (an admin grants it).' }),
});
export type PublicUser = z.output<typeof publicUserSchema>;

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

/** The per-account login throttle: this many attempts without a success within the window lock it. */
export const LOGIN_FAILURES_MAX = 10;
export const LOGIN_WINDOW_MS = 15 * 60_000;

/**
 * Returns the user for a correct e-mail and password; one error for both wrong cases. Each attempt
 * on an account is counted before the password is checked (atomically, so concurrent guesses cannot
 * overshoot) and a success clears the count. Attempts refused while locked are not counted, so a
 * lock ends at most LOGIN_WINDOW_MS after its first failure; a password reset clears it at once.
 */
export async function authenticate(db: Db, email: string, password: string, now: Date): Promise<User> {
  const [user] = await db.select().from(users).where(eq(users.email, email.toLowerCase()));
  if (!user) {
    await verifyPassword(await dummyHash, password);
    throw new ApiError(401, 'invalid_credentials', 'Wrong e-mail or password.');
  }
  await countPasswordAttempt(db, user.id, now);
  if (!(await verifyPassword(user.passwordHash, password))) throw new ApiError(401, 'invalid_credentials', 'Wrong e-mail or password.');
  await db.update(users).set({ failedLogins: 0, failedLoginsSince: null }).where(eq(users.id, user.id));
  return user;
}

/**
 * Counts a password attempt against the account, or refuses it (429) while the account is locked:
 * one statement, so concurrent guesses cannot overshoot. Logins and password changes share it.
 */
async function countPasswordAttempt(db: Db, userId: number, now: Date): Promise<void> {
  const windowStart = new Date(now.getTime() - LOGIN_WINDOW_MS);
  const fresh = sql`(${users.failedLoginsSince} is null or ${users.failedLoginsSince} <= ${windowStart})`;
  const [counted] = await db
    .update(users)
    .set({
      failedLogins: sql`case when ${fresh} then 1 else ${users.failedLogins} + 1 end`,
      failedLoginsSince: sql`case when ${fresh} then ${now}::timestamptz else ${users.failedLoginsSince} end`,
    })
    .where(and(eq(users.id, userId), or(fresh, sql`${users.failedLogins} < ${LOGIN_FAILURES_MAX}`)))
    .returning({ id: users.id });
  if (!counted) {
    throw new ApiError(429, 'account_locked', 'Too many failed logins for this account. Try again in 15 minutes, or reset your password by e-mail.');
  }
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

export const tokenOptions = z.object({
  name: z.string().trim().min(1, 'Enter a name for the token.').max(60, 'At most 60 characters.').default('API token'),
  /** Absent: valid until revoked. */
  expires_in_days: z.number().int('Whole days.').min(1, 'At least 1 day.').max(3650, 'At most 3650 days.').optional(),
});
export const tokenRequest = loginInput.extend(tokenOptions.shape);

/** Creates a personal API token; the secret is returned once and only its hash is kept. */
export async function createApiToken(db: Db, userId: number, options: z.infer<typeof tokenOptions>, now: Date): Promise<{ secret: string; token: ApiToken }> {
  const { secret, hash } = newSecret('dvb_');
  const expiresAt = options.expires_in_days ? new Date(now.getTime() + options.expires_in_days * 24 * 3600_000) : null;
  const [token] = await db.insert(apiTokens).values({ userId, tokenHash: hash, name: options.name, expiresAt, createdAt: now }).returning();
  return { secret, token: token! };
}

/** What may be shown of a token: never its secret (only its hash is kept anyway). */
export const tokenSchema = z.object({
  id: z.number().int(),
  name: z.string(),
  created_at: timestamp,
  last_used_at: timestamp.nullable(),
  expires_at: timestamp.nullable().meta({ description: 'Null: valid until revoked.' }),
});
export const tokenJson = (t: ApiToken): z.output<typeof tokenSchema> => ({ id: t.id, name: t.name, created_at: t.createdAt, last_used_at: t.lastUsedAt, expires_at: t.expiresAt });

export const listApiTokens = (db: Db, userId: number): Promise<ApiToken[]> =>
  db.select().from(apiTokens).where(eq(apiTokens.userId, userId)).orderBy(desc(apiTokens.id));

/** Revokes one of the user's tokens; another user's token is a 404, like one that does not exist. */
export async function revokeApiToken(db: Db, userId: number, tokenId: number, now: Date): Promise<void> {
  const [gone] = await db.delete(apiTokens).where(and(eq(apiTokens.id, tokenId), eq(apiTokens.userId, userId))).returning();
  if (!gone) throw notFound('No such token.');
  await audit(db, { actor: userActor(userId), action: 'token.revoked', subjectType: 'user', subjectId: userId, after: { token: gone.id, name: gone.name } }, now);
}

const tokenOwner = prepared((db) =>
  db
    .select({ user: users, tokenId: apiTokens.id, lastUsedAt: apiTokens.lastUsedAt })
    .from(apiTokens)
    .innerJoin(users, eq(users.id, apiTokens.userId))
    .where(
      and(
        eq(apiTokens.tokenHash, sql.placeholder('hash')),
        or(isNull(apiTokens.expiresAt), gt(apiTokens.expiresAt, sql`${sql.placeholder('now')}::timestamptz`)),
      ),
    )
    .prepare('token_owner'),
);

/** Last use is recorded at most this often: a write on every API call would cost more than it tells. */
const LAST_USE_RESOLUTION_MS = 60_000;

export async function userForToken(db: Db, secret: string, clock: Clock): Promise<{ user: User; tokenId: number } | undefined> {
  const now = clock.now();
  const [row] = await tokenOwner(db).execute({ hash: hashSecret(secret), now });
  if (!row) return undefined;
  if (!row.lastUsedAt || now.getTime() - row.lastUsedAt.getTime() >= LAST_USE_RESOLUTION_MS) {
    await db.update(apiTokens).set({ lastUsedAt: now }).where(eq(apiTokens.id, row.tokenId));
  }
  return { user: row.user, tokenId: row.tokenId };
}

export const passwordChangeInput = z.object({
  current_password: z.string({ error: 'Enter your current password.' }).min(1, 'Enter your current password.').max(200),
  new_password: newPasswordSchema,
  /** Also revoke the API tokens (the one making the request, if any, is kept). */
  revoke_tokens: z.boolean().default(false),
});

/** What survives a password change: the session or token the member is using to make it. */
export interface CurrentCredential {
  sessionHash?: string;
  tokenId?: number;
}

/**
 * Sets a new password when the current one is given, ends every other session of the member, and
 * revokes their API tokens if they ask to; pending reset links stop working; the throttle is cleared.
 */
export async function changePassword(db: Db, user: User, input: z.infer<typeof passwordChangeInput>, current: CurrentCredential, now: Date): Promise<void> {
  // Guesses at the current password (from a stolen session, say) count like failed logins.
  await countPasswordAttempt(db, user.id, now);
  if (!(await verifyPassword(user.passwordHash, input.current_password))) {
    throw new ApiError(400, 'validation_failed', 'Some fields are invalid.', { current_password: 'Not your current password.' });
  }
  const passwordHash = await hashPassword(input.new_password);
  await db.transaction(async (tx) => {
    await tx.update(users).set({ passwordHash, failedLogins: 0, failedLoginsSince: null }).where(eq(users.id, user.id));
    await endCredentials(tx, user.id, { ...current, revokeTokens: input.revoke_tokens }, now);
    await audit(tx, { actor: userActor(user.id), action: 'password.changed', subjectType: 'user', subjectId: user.id, after: { tokens_revoked: input.revoke_tokens } }, now);
  });
}

/** Ends the user's sessions (but the current one), pending reset links and, if asked, tokens (but the current one). */
export async function endCredentials(tx: Executor, userId: number, keep: CurrentCredential & { revokeTokens: boolean }, now: Date): Promise<void> {
  await tx.delete(sessions).where(and(eq(sessions.userId, userId), keep.sessionHash ? ne(sessions.idHash, keep.sessionHash) : undefined));
  await tx.update(passwordResets).set({ usedAt: now }).where(and(eq(passwordResets.userId, userId), isNull(passwordResets.usedAt)));
  if (keep.revokeTokens) await tx.delete(apiTokens).where(and(eq(apiTokens.userId, userId), keep.tokenId ? ne(apiTokens.id, keep.tokenId) : undefined));
}

export async function setCanPostJobs(db: Db, actor: User, userId: number, canPostJobs: boolean, now: Date): Promise<User> {
  return db.transaction((tx) => applyCanPostJobs(tx, actor.id, userId, canPostJobs, now));
}

export async function listUsers(db: Db): Promise<User[]> {
  return db.select().from(users).orderBy(users.id);
}

export async function findUserByEmail(db: Db, email: string): Promise<User | undefined> {
  const [user] = await db.select().from(users).where(eq(users.email, email.toLowerCase()));
  return user;
}
