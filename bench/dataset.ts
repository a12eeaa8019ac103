import { sql } from 'drizzle-orm';
import { type DatabaseOptions, openDatabase } from '../src/db/client.js';
import { progressBar } from '../src/operations/progress.js';
import { productMigrations } from '../src/products/index.js';

/**
 * Articles: one in ten a job listing, one in fifty live (paid until next week), so every /jobs page
 * is full at either size; the rest expired long ago. Charges: one paid job-listing charge per listing,
 * the rest spread over buyers and two years. Returns the seconds it took.
 */
export async function seed(dbOptions: DatabaseOptions, fromArticle: number, toArticle: number, charges: number): Promise<number> {
  const database = await openDatabase(dbOptions);
  await database.migrate(productMigrations);
  const db = database.db;
  const t0 = Date.now();
  // Four bulk statements; the bar's ETA comes from how long the first ones took.
  const bar = progressBar();
  const step = (done: number) => bar.update(`seeding ${toArticle - fromArticle + 1} articles, ${charges} charges`, done, 4);
  step(0);
  if (fromArticle === 1) {
    await db.execute(sql`insert into users (username, email, password_hash, can_post_jobs)
      select 'seed' || g, 'seed' || g || '@bench.test', 'x', true from generate_series(1, 1000) g`);
  }
  step(1);
  await db.execute(sql`
    insert into articles (user_id, title, body_markdown, body_html, tags, job_listing, published, published_at, paid_until, bumped_at, created_at, updated_at)
    select 1 + g % 1000, 'Article ' || g, 'Body ' || g, '<p>Body ' || g || ' with a few words of text for the excerpt.</p>', '{bench}',
      g % 10 = 0, true, now() - interval '30 days',
      case when g % 10 <> 0 then null
           when g % 50 = 0 then now() + interval '6 days' + (g || ' seconds')::interval
           else now() - interval '30 days' - (g || ' seconds')::interval end,
      case when g % 10 <> 0 then null
           when g % 50 = 0 then now() - interval '1 day' + (g || ' seconds')::interval
           else now() - interval '37 days' - (g || ' seconds')::interval end,
      now() - interval '30 days', now()
    from generate_series(${fromArticle}::int, ${toArticle}::int) g`);
  step(2);
  await db.execute(sql`
    insert into charges (user_id, article_id, product, amount, currency, status, stripe_charge_key, idempotency_key, paid_at, created_at, updated_at, stripe_fee, receipt_sent_at)
    select 1 + g % 1000, case when g % 3 = 0 then null else ${fromArticle}::int + (g * 7) % ${toArticle - fromArticle + 1}::int end,
      case when g % 3 = 0 then 'billboard' else 'job_listing' end, 2500, 'usd',
      case when g % 20 = 0 then 'failed' else 'succeeded' end, 'pi_seed_' || ${fromArticle}::int || '_' || g, 'seed-' || ${fromArticle}::int || '-' || g,
      now() - ((g % 730) || ' days')::interval, now() - ((g % 730) || ' days')::interval, now(), 103, now()
    from generate_series(1, ${charges}::int) g`);
  step(3);
  // Settle the tables now, so autovacuum and the checkpointer (flushing a million new rows) do not
  // compete with the measured window.
  await db.execute(sql`vacuum analyze`);
  if (database.driver === 'postgres') await db.execute(sql`checkpoint`);
  step(4);
  bar.stop();
  await database.close();
  return (Date.now() - t0) / 1000;
}
