import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { listJobs } from '../src/articles/service.js';
import { queryRows } from '../src/db/client.js';
import { START, startTestApp, type TestApp } from './helpers/app.js';

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(() => t.close());

it('serves /jobs from its indexes with 100,000 articles, not a table scan', async () => {
  const db = t.database.db;
  await db.execute(sql`insert into users (username, email, password_hash) values ('bulk', 'bulk@example.test', 'x')`);
  // 100k articles: most plain, a tenth job listings of which most expired long ago and 50 live.
  await db.execute(sql`
    insert into articles (user_id, title, body_markdown, body_html, job_listing, published, published_at, paid_until, bumped_at)
    select (select id from users where username = 'bulk'), 'a' || g, 'b', '<p>b</p>', g % 10 = 0, true, now(),
      case when g % 10 <> 0 then null
           when g % 2000 = 0 then ${START}::timestamptz + interval '3 days'
           else ${START}::timestamptz - interval '30 days' - (g || ' minutes')::interval end,
      case when g % 10 <> 0 then null
           when g % 2000 = 0 then ${START}::timestamptz - interval '4 days' + (g || ' seconds')::interval
           else ${START}::timestamptz - interval '37 days' - (g || ' minutes')::interval end
    from generate_series(1, 100000) g`);
  await db.execute(sql`analyze articles`);

  const { jobs, total } = await listJobs(db, START, 1);
  expect(total).toBe(50);
  expect(jobs).toHaveLength(20);

  const explain = async (query: ReturnType<typeof sql>) =>
    (await queryRows<{ 'QUERY PLAN': string }>(db, sql`explain ${query}`)).map((r) => r['QUERY PLAN']).join('\n');
  const page = await explain(sql`
    select a.id from articles a join users u on u.id = a.user_id
    where a.published and a.job_listing and a.paid_until > ${START}
    order by a.bumped_at desc, a.id desc limit 20 offset 0`);
  const count = await explain(sql`select count(*) from articles a where a.published and a.job_listing and a.paid_until > ${START}`);
  for (const plan of [page, count]) {
    expect(plan).toMatch(/Index (Only )?Scan|Bitmap Index Scan/);
    expect(plan).toMatch(/articles_jobs_(paid_until|bumped)_idx/);
    expect(plan).not.toMatch(/Seq Scan on articles/);
  }
});
