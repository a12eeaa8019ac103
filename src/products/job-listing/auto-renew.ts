import { eq } from 'drizzle-orm';
import type { Db } from '../../db/client.js';
import { articles, type User } from '../../db/schema.js';
import { audit, userActor } from '../../audit/log.js';
import { ApiError, notFound } from '../../http/errors.js';

/** A listing's auto-renew switch, for its author (an admin does not decide to charge someone's card). */
export async function setAutoRenew(db: Db, user: User, articleId: number, enabled: boolean, now: Date): Promise<{ id: number; title: string; autoRenew: boolean }> {
  const [article] = await db.select({ userId: articles.userId, jobListing: articles.jobListing, title: articles.title }).from(articles).where(eq(articles.id, articleId));
  if (!article || article.userId !== user.id) throw notFound('No such job listing of yours.');
  if (!article.jobListing) {
    throw new ApiError(422, 'not_a_job_listing', 'Only job listings renew. Mark this article as a job listing first.', { enabled: 'Not a job listing.' });
  }
  await db.transaction(async (tx) => {
    await tx.update(articles).set({ autoRenew: enabled }).where(eq(articles.id, articleId));
    await audit(tx, { actor: userActor(user.id), action: enabled ? 'listing.auto_renew_on' : 'listing.auto_renew_off', subjectType: 'article', subjectId: articleId }, now);
  });
  return { id: articleId, title: article.title, autoRenew: enabled };
}
