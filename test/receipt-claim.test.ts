import { readdirSync } from 'node:fs';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { queryRows } from '../src/db/client.js';
import { claimDueReceipts } from '../src/payments/receipts.js';
import { member, startTestApp, type TestApp } from './helpers/app.js';

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(() => t.close());

it('claims due receipts through their index, in any plan, however many charges await none', async () => {
  const db = t.database.db;
  const buyer = await member(t.app);
  // 20,000 charges that need no receipt (pending, failed), 20,000 already sent, and 60 due.
  await db.execute(sql`
    insert into charges (user_id, product, amount, currency, status, idempotency_key, paid_at, created_at, updated_at, receipt_sent_at)
    select ${buyer.id}, 'billboard', 4900, 'usd',
      case when g <= 20000 then (case when g % 2 = 0 then 'pending' else 'failed' end) else 'succeeded' end,
      'bulk-' || g,
      case when g > 20000 then now() end, now(), now(),
      case when g > 20000 and g <= 40000 then now() end
    from generate_series(1, 40060) g`);
  await db.execute(sql`analyze charges`);

  const plan = async () =>
    (await queryRows<{ 'QUERY PLAN': string }>(db, sql`explain ${claimDueReceipts(db, t.clock.now()).getSQL()}`)).map((r) => r['QUERY PLAN']).join('\n');
  const custom = await plan();
  // A prepared statement's generic plan (PGlite's worker prepares every statement) must not scan
  // either: EXPLAIN with bound values plans for those values, so the statement is prepared by name.
  const generic = await db.transaction(async (tx) => {
    await tx.execute(sql.raw(`prepare receipt_claim_probe as ${claimDueReceipts(db, t.clock.now()).toSQL().sql}`));
    await tx.execute(sql`set local plan_cache_mode = force_generic_plan`);
    // A utility statement takes no bound parameters: the values are written into it.
    const rows = await queryRows<{ 'QUERY PLAN': string }>(tx, `explain execute receipt_claim_probe('${t.clock.now().toISOString()}'::timestamptz, 50)`);
    await tx.execute(sql`deallocate receipt_claim_probe`);
    return rows.map((r) => r['QUERY PLAN']).join('\n');
  });
  for (const claim of [custom, generic]) {
    expect(claim).toContain('charges_receipt_due_idx');
    expect(claim).toMatch(/InitPlan/);
    expect(claim).not.toMatch(/Seq Scan on charges|Nested Loop/);
  }

  const receipts = () => readdirSync(t.mailDir).filter((f) => f.startsWith('receipt-')).length;
  await t.app.payments.mailer!.sendDue(t.clock.now());
  expect(receipts()).toBe(60);
  await t.app.payments.mailer!.sendDue(t.clock.now());
  expect(receipts()).toBe(60);
  const [left] = await queryRows<{ n: number }>(db, `select count(*)::int as n from charges where status = 'succeeded' and receipt_sent_at is null`);
  expect(left!.n).toBe(0);
});
