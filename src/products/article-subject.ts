import { eq } from 'drizzle-orm';
import type { Db } from '../db/client.js';
import { articles } from '../db/schema.js';

/** For products bought for an article: its title, shown at checkout as what the purchase is for. */
export async function articleTitle(db: Db, id: number): Promise<string | undefined> {
  const [row] = await db.select({ title: articles.title }).from(articles).where(eq(articles.id, id));
  return row?.title;
}
