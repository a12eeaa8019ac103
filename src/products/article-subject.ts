import { eq, inArray, type SQL, sql } from 'drizzle-orm';
import type { Db } from '../db/client.js';
import { prepared } from '../db/prepared.js';
import { articles, type Charge, type User } from '../db/schema.js';
import { forbidden, notFound } from '../http/errors.js';
import type { SubjectKind } from '../payments/subject.js';
import { isLive } from './job-listing/live.js';

/** The subject of products bought for an article (its `subject`): charges store its id in charges.article_id. */
export const articleSubject: SubjectKind = {
  name: 'article',
  async title(db, id) {
    const [row] = await db.select({ title: articles.title }).from(articles).where(eq(articles.id, id));
    return row?.title;
  },
  href: (id) => `/articles/${id}`,
};

/** For products bought for an article: each charge's article title (`purchaseTitles`). */
export async function purchasedArticleTitles(db: Db, charges: Charge[]): Promise<Array<string | undefined>> {
  const ids = [...new Set(charges.flatMap((c) => (c.articleId === null ? [] : [c.articleId])))];
  if (ids.length === 0) return charges.map(() => undefined);
  const titles = new Map((await db.select({ id: articles.id, title: articles.title }).from(articles).where(inArray(articles.id, ids))).map((a) => [a.id, a.title]));
  return charges.map((c) => (c.articleId === null ? undefined : titles.get(c.articleId)));
}

const articleForCheckout = prepared((db) =>
  db
    .select({ userId: articles.userId, published: articles.published, jobListing: articles.jobListing, paidUntil: articles.paidUntil })
    .from(articles)
    .where(eq(articles.id, sql.placeholder('id')))
    .prepare('article_for_checkout'),
);

/**
 * buyersOwnArticle's passing case, as a condition (AuthorizeStep): the article exists, its author
 * is the buyer, and `also` (over `articles`) holds.
 */
export const buyersOwnArticleSql = (articleId: SQL, userId: SQL, also: SQL): SQL =>
  sql`exists (select 1 from ${articles} where ${articles.id} = ${articleId} and ${articles.userId} = ${userId} and ${also})`;

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
