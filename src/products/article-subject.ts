import { eq, sql } from 'drizzle-orm';
import type { Db } from '../db/client.js';
import { prepared } from '../db/prepared.js';
import { articles, type User } from '../db/schema.js';
import { forbidden, notFound } from '../http/errors.js';
import { isLive } from './job-listing/live.js';

/** For products bought for an article: its title, shown at checkout as what the purchase is for. */
export async function articleTitle(db: Db, id: number): Promise<string | undefined> {
  const [row] = await db.select({ title: articles.title }).from(articles).where(eq(articles.id, id));
  return row?.title;
}

const articleForCheckout = prepared((db) =>
  db
    .select({ userId: articles.userId, published: articles.published, jobListing: articles.jobListing, paidUntil: articles.paidUntil })
    .from(articles)
    .where(eq(articles.id, sql.placeholder('id')))
    .prepare('article_for_checkout'),
);

/**
 * The article a purchase is for, when the buyer is its author: someone else's article that is not
 * live (a draft, an unpaid job listing) is 404 (it does not exist for them), someone else's live
 * article 403 with `notYours`.
 */
export async function buyersOwnArticle(db: Db, user: User, articleId: number, now: Date, notYours: string) {
  const [article] = await articleForCheckout(db).execute({ id: articleId });
  if (!article || (!isLive(article, now) && article.userId !== user.id && !user.admin)) throw notFound('No such article.');
  if (article.userId !== user.id) throw forbidden(notYours);
  return article;
}
