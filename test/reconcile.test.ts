import Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalStripe } from '../local-stripe/index.js';
import { queryRows } from '../src/db/client.js';
import { reconcile, reconcileHeadline } from '../src/payments/reconcile.js';
import { createStripeGateway } from '../src/payments/stripe.js';
import { FormClient } from './helpers/browser-form.js';
import { admin, grantJobs, json, type Member, member, settleWebhooks, startTestApp, type TestApp } from './helpers/app.js';

let t: TestApp;
let boss: Member;
let poster: Member;
let sdk: Stripe;

beforeAll(async () => {
  t = await startTestApp();
  boss = await admin(t);
  poster = await member(t.app);
  await grantJobs(t, boss, poster.id);
  sdk = new Stripe(t.stripe.secretKey, { host: '127.0.0.1', port: t.stripe.port, protocol: 'http' });
});
afterAll(() => t.close());

let seq = 0;
async function paidListing() {
  const article = json(
    await t.app.inject({
      method: 'POST',
      url: '/api/v1/articles',
      headers: poster.auth,
      payload: { title: `Reconciled job ${++seq}`, body_markdown: 'x', job_listing: true, published: true },
    }),
  ).article as { id: number };
  const res = await t.app.inject({
    method: 'POST',
    url: '/api/v1/charges',
    headers: { ...poster.auth, 'idempotency-key': `rc-${seq}-${Date.now()}` },
    payload: { product: 'job_listing', article_id: article.id, payment_method: 'pm_card_visa' },
  });
  expect(res.statusCode).toBe(201);
  return json(res).charge as { id: number; stripe_charge_key: string; amount: number };
}

/** A paid row written straight into our database: Stripe has never seen its PaymentIntent. */
async function paidRowStripeNeverSaw(status: string, intent: string | null) {
  const [row] = await queryRows<{ id: number }>(
    t.database.db,
    `insert into charges (user_id, product, amount, currency, status, amount_refunded, idempotency_key, stripe_charge_key, paid_at, created_at, updated_at)
     values (${poster.id}, 'job_listing', 2500, 'usd', '${status}', ${status === 'partially_refunded' ? 500 : status === 'refunded' ? 2500 : 0},
             'ghost-${++seq}', ${intent ? `'${intent}'` : 'null'}, '${t.clock.now().toISOString()}', '${t.clock.now().toISOString()}', now())
     returning id`,
  );
  return row!.id;
}

const deps = () => ({ db: t.database.db, clock: t.clock, catalog: t.app.payments.catalog, stripe: t.app.payments.stripe });
const since = () => new Date(t.clock.now().getTime() - 3600_000);

describe('reconcile, ours → Stripe', () => {
  it('agrees in both directions after real payments and a refund', async () => {
    const a = await paidListing();
    await paidListing();
    await sdk.refunds.create({ payment_intent: a.stripe_charge_key, amount: 500 });
    await settleWebhooks(t);
    const report = await reconcile(deps(), { since: since() });
    expect(report.findings).toEqual([]);
    expect(report.scanned.our_paid_rows).toBe(2);
    expect(report.wrong_account_suspected).toBe(false);
    expect(reconcileHeadline(report)).toBe('No differences: our database agrees with Stripe in both directions.');
  });

  it('reports every paid row Stripe does not know, and a mismatched amount, currency and state', async () => {
    const ghosts = [
      await paidRowStripeNeverSaw('succeeded', null),
      await paidRowStripeNeverSaw('refunded', 'pi_neverseen1'),
      await paidRowStripeNeverSaw('partially_refunded', 'pi_neverseen2'),
      await paidRowStripeNeverSaw('disputed', 'pi_neverseen3'),
    ];
    const tampered = await paidListing();
    await queryRows(t.database.db, `update charges set amount = 9900, currency = 'eur', status = 'refunded', amount_refunded = 9900 where id = ${tampered.id}`);

    const report = await reconcile(deps(), { since: since() });
    const unknown = report.findings.filter((f) => f.kind === 'unknown_at_stripe');
    expect(unknown.map((f) => f.charge_id).sort()).toEqual([...ghosts].sort());
    expect(unknown.every((f) => f.action === 'reported' && f.direction === 'ours_to_stripe')).toBe(true);
    expect(unknown.find((f) => f.charge_id === ghosts[1])?.detail).toContain('no such PaymentIntent');
    const onTampered = report.findings.filter((f) => f.charge_id === tampered.id).map((f) => f.kind).sort();
    // Stripe's refunds (none) are recorded; the state stays refunded, which only a person can undo.
    expect(onTampered).toEqual(['amount_mismatch', 'currency_mismatch', 'refund_mismatch', 'state_mismatch']);
    expect(report.reported).toBe(7);
    expect(report.scanned.our_paid_rows).toBe(7);
    // 4 of 7 paid rows unknown: most of them, so the keys are suspect.
    expect(report.wrong_account_suspected).toBe(true);
    expect(reconcileHeadline(report)).toContain('another account');

    // Reported, not repaired: the next run says the same, and the run is kept with its report.
    const again = await reconcile(deps(), { since: since() });
    expect(again.reported).toBe(7);
    const latest = json(await t.app.inject({ method: 'GET', url: '/api/v1/admin/reconcile/latest', headers: boss.auth })).run;
    expect(latest.report.reported).toBe(7);
    await queryRows(t.database.db, `delete from charges where id in (${ghosts.join(',')})`);
    await queryRows(t.database.db, `update charges set amount = 2500, currency = 'usd', status = 'succeeded', amount_refunded = 0 where id = ${tampered.id}`);
  });

  it("says the keys point at another account when they are another Stripe's", async () => {
    await paidListing();
    const other = await startLocalStripe();
    try {
      const elsewhere = createStripeGateway({ secretKey: other.secretKey, publishableKey: other.publishableKey, apiUrl: other.url, maxNetworkRetries: 0 });
      const report = await reconcile({ ...deps(), stripe: elsewhere }, { since: since() });
      expect(report.scanned.payment_intents).toBe(0);
      expect(report.scanned.our_paid_rows).toBeGreaterThanOrEqual(3);
      expect(report.findings.filter((f) => f.kind === 'unknown_at_stripe')).toHaveLength(report.scanned.our_paid_rows);
      expect(report.wrong_account_suspected).toBe(true);
      expect(reconcileHeadline(report)).toMatch(/^\d+ of our \d+ paid charges are unknown to Stripe: the Stripe keys probably point at another account/);
    } finally {
      await other.close();
    }
  });

  it('shows both directions and the history of runs on the console page', async () => {
    const browser = new FormClient(t.app);
    await browser.submit('/login', '/login', { email: boss.email, password: boss.password });
    const res = await browser.get('/admin/reconcile');
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain('Stripe → our database');
    expect(res.body).toContain('Our database → Stripe');
    expect(res.body).toContain('unknown_at_stripe');
    const runs = (await queryRows<{ n: number }>(t.database.db, 'select count(*)::int as n from reconcile_runs'))[0]!.n;
    expect(res.body.match(/<tr class="run">/g)?.length).toBe(Math.min(runs, 20));
  });
});
