import { sql } from 'drizzle-orm';
import { afterAll, beforeAll } from 'vitest';
import { admin, grantJobs, type Member, member, startTestApp, type TestApp } from './app.js';

/**
 * The finance tests' app, for one test file: an admin (`boss`), a buyer allowed to post jobs
 * (`buyer`), another member (`other`) and the fixture charges of January 2025; and `get`, a GET as
 * the admin unless told otherwise. Read `s.t`, `s.boss`, `s.buyer` and `s.other` inside tests.
 */
export function financeSuite() {
  const s = {} as { t: TestApp; boss: Member; buyer: Member; other: Member };

  /** Fixture charges in January 2025 with hand-computed totals (in the tests). */
  async function insertFixtures() {
    const { t, buyer, other } = s;
    const rows: Array<[number, string, string, number, number, number | null]> = [
      // user, currency, status, amount, refunded, fee
      [buyer.id, 'usd', 'succeeded', 2500, 0, 103],
      [buyer.id, 'usd', 'partially_refunded', 2500, 1000, 103],
      [other.id, 'usd', 'refunded', 4900, 4900, 172],
      [other.id, 'usd', 'disputed', 2500, 0, 103],
      [buyer.id, 'usd', 'failed', 2500, 0, null],
      [buyer.id, 'usd', 'pending', 2500, 0, null],
      [other.id, 'eur', 'succeeded', 1999, 0, 88],
    ];
    let day = 1;
    for (const [userId, currency, status, amount, refunded, fee] of rows) {
      const at = `2025-01-${String(day++).padStart(2, '0')}T12:00:00Z`;
      const paid = ['succeeded', 'partially_refunded', 'refunded', 'disputed'].includes(status) ? at : null;
      await t.database.db.execute(sql`
        insert into charges (user_id, product, amount, currency, status, amount_refunded, stripe_fee, idempotency_key, paid_at, created_at, updated_at)
        values (${userId}, ${currency === 'usd' ? 'job_listing' : 'billboard'}, ${amount}, ${currency}, ${status}, ${refunded}, ${fee},
                ${`fixture-${day}`}, ${paid}::timestamptz, ${at}::timestamptz, ${at}::timestamptz)`);
    }
  }

  beforeAll(async () => {
    s.t = await startTestApp();
    s.boss = await admin(s.t);
    s.buyer = await member(s.t.app);
    s.other = await member(s.t.app);
    await grantJobs(s.t, s.boss, s.buyer.id);
    await insertFixtures();
  });
  afterAll(() => s.t.close());

  const get = (url: string, who: Member = s.boss) => s.t.app.inject({ method: 'GET', url, headers: who.auth });

  return { s, get };
}
