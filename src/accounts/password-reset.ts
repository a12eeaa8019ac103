import { and, eq, gt, isNull } from 'drizzle-orm';
import type { FastifyBaseLogger } from 'fastify';
import { z } from 'zod';
import type { Clock } from '../clock.js';
import type { Db } from '../db/client.js';
import { passwordResets, type User, users } from '../db/schema.js';
import { audit, userActor } from '../audit/log.js';
import { ApiError } from '../http/errors.js';
import type { Mailer } from '../mail/mailer.js';
import { hashPassword } from './passwords.js';
import { endCredentials, findUserByEmail, newPasswordSchema } from './service.js';
import { hashSecret, newSecret } from './tokens.js';

export const RESET_TTL_MS = 3600_000;
/** One e-mail per account per minute at most, however often the form is sent. */
const RESEND_AFTER_MS = 60_000;

export const resetRequestInput = z.object({ email: z.string().trim().toLowerCase().max(254).email('Not a valid e-mail address.') });
/** The secret in a reset link: 32 random bytes, base64url. */
export const resetTokenParam = z.object({ token: z.string().regex(/^[A-Za-z0-9_-]{43}$/, 'Not a reset link.') });
export const resetInput = z.object({
  new_password: newPasswordSchema,
  /** Also revoke every API token (a reset may follow a compromise). */
  revoke_tokens: z.boolean().default(false),
});

const invalidLink = () => new ApiError(400, 'reset_link_invalid', 'This reset link has expired or was already used. Ask for a new one.');

/**
 * Password reset by e-mail: a single-use link that expires after an hour, of which only the hash is
 * kept. A request answers the same whether or not the address has an account: the work (and its
 * timing) happens after the answer.
 */
export class PasswordResets {
  private pending = new Set<Promise<void>>();

  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
    private readonly mailer: Mailer | undefined,
    private readonly log: FastifyBaseLogger,
  ) {}

  request(email: string): void {
    const work = this.send(email)
      .catch((err) => this.log.warn({ err }, 'password reset e-mail failed'))
      .finally(() => this.pending.delete(work));
    this.pending.add(work);
  }

  /** Resolves when every request made so far has been handled (the app waits for this before it closes). */
  async idle(): Promise<void> {
    while (this.pending.size > 0) await Promise.all(this.pending);
  }

  private async send(email: string): Promise<void> {
    const user = await findUserByEmail(this.db, email);
    if (!user) return;
    if (!this.mailer) {
      this.log.warn('password reset asked for, but no mail is configured');
      return;
    }
    const now = this.clock.now();
    const [recent] = await this.db
      .select({ id: passwordResets.id })
      .from(passwordResets)
      .where(and(eq(passwordResets.userId, user.id), isNull(passwordResets.usedAt), gt(passwordResets.createdAt, new Date(now.getTime() - RESEND_AFTER_MS))));
    if (recent) return;
    const { secret, hash } = newSecret();
    const [reset] = await this.db
      .insert(passwordResets)
      .values({ userId: user.id, tokenHash: hash, expiresAt: new Date(now.getTime() + RESET_TTL_MS), createdAt: now })
      .returning();
    const link = `${this.mailer.settings.baseUrl ?? ''}/password-reset/${secret}`;
    await this.mailer.send(
      {
        from: this.mailer.settings.from ?? 'DevBoard <accounts@devboard.local>',
        to: user.email,
        subject: 'Reset your DevBoard password',
        text: [
          `Someone (we hope you) asked to reset the password of the DevBoard account ${user.username}.`,
          `Choose a new password here within the next hour; the link works once:`,
          link,
          'If you did not ask for this, ignore this e-mail: your password stays as it is.',
        ].join('\n'),
      },
      `password-reset-${reset!.id}`,
    );
  }

  /** The account a live link belongs to, or a 400. */
  async check(token: string): Promise<User> {
    const [row] = await this.db
      .select({ user: users })
      .from(passwordResets)
      .innerJoin(users, eq(users.id, passwordResets.userId))
      .where(and(eq(passwordResets.tokenHash, hashSecret(token)), isNull(passwordResets.usedAt), gt(passwordResets.expiresAt, this.clock.now())));
    if (!row) throw invalidLink();
    return row.user;
  }

  /**
   * Sets the new password and uses the link up, in one transaction: of two concurrent uses one
   * wins. Every session ends, and so does the login throttle; tokens are revoked if asked.
   */
  async complete(token: string, input: z.infer<typeof resetInput>): Promise<User> {
    await this.check(token);
    const passwordHash = await hashPassword(input.new_password);
    const now = this.clock.now();
    return this.db.transaction(async (tx) => {
      const [used] = await tx
        .update(passwordResets)
        .set({ usedAt: now })
        .where(and(eq(passwordResets.tokenHash, hashSecret(token)), isNull(passwordResets.usedAt), gt(passwordResets.expiresAt, now)))
        .returning({ userId: passwordResets.userId });
      if (!used) throw invalidLink();
      const [user] = await tx.update(users).set({ passwordHash, failedLogins: 0, failedLoginsSince: null }).where(eq(users.id, used.userId)).returning();
      await endCredentials(tx, used.userId, { revokeTokens: input.revoke_tokens }, now);
      await audit(tx, { actor: userActor(used.userId), action: 'password.reset', subjectType: 'user', subjectId: used.userId, after: { tokens_revoked: input.revoke_tokens } }, now);
      return user!;
    });
  }
}
