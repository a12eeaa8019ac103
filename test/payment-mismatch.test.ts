import Stripe from 'stripe';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { queryRows } from '../src/db/client.js';
import { reconcile } from '../src/payments/reconcile.js';
import { admin, grantJobs, json, type Member, member, settleWebhooks, startTestApp, type TestApp } from './helpers/app.js';
import { FormClient } from './helpers/browser-form.js';

/**
 * Someone who can create PaymentIntents on our Stripe account (a second app sharing it, a leaked
 * key) makes one that names our charge or product in its metadata, for less than we sell it for.
 */
let t: TestApp;
let boss: Member;
let poster: Member;
let sdk: Stripe;
let seq = 0;

beforeAll(async () => {
  t = await startTestApp();
  boss = await admin(t);
  poster = await member(t.app);
  await grantJobs(t, boss, poster.id);
  sdk = new Stripe(t.stripe.secretKey, { host: '127.0.0.1', port: t.stripe.port, protocol: 'http' });
});
afterAll(() => t.close());
beforeEach(() => t.stripe.clearFaults());

async function listing() {
  const res = await t.app.inject({
    method: 'POST',
    url: '/api/v1/articles',
    headers: poster.auth,
    payload: { title: `Mismatch job ${++seq}`, body_markdown: 'x', job_listing: true, published: true },
  });
  return json(res).article as { id: number };
}

/** A 25.00 listing charge left pending with no PaymentIntent id: Stripe was unreachable. */
async function pendingCharge(articleId: number) {
  t.stripe.injectFault({ kind: '500', when: 'before', path: '/v1/payment_intents', count: 10 });
  const res = await t.app.inject({
    method: 'POST',
    url: '/api/v1/charges',
    headers: { ...poster.auth, 'idempotency-key': `mismatch-${++seq}-${Date.now()}` },
    payload: { product: 'job_listing', article_id: articleId, payment_method: 'pm_card_visa' },
  });
  t.stripe.clearFaults();
  expect(res.statusCode).toBe(503);
  const charge = json(res).charge as { id: number; amount: number; status: string; stripe_charge_key: string | null };
  expect(charge).toMatchObject({ amount: 2500, status: 'pending', stripe_charge_key: null });
  return charge;
}

async function foreignIntent(amount: number, metadata: Record<string, string>) {
  const customer = await sdk.customers.create({});
  return sdk.paymentIntents.create({
    amount,
    currency: 'usd',
    customer: customer.id,
    payment_method: 'pm_card_visa',
    confirm: true,
    automatic_payment_methods: { enabled: true, allow_redirects: 'never' },
    metadata,
  });
}

const row = async (id: number) =>
  (await queryRows<{ status: string; stripe_charge_key: string | null }>(t.database.db, `select status, stripe_charge_key from charges where id = ${id}`))[0]!;
const fulfilled = async (id: number) => (await queryRows(t.database.db, `select 1 from fulfilments where charge_id = ${id}`)).length;
const jobIds = async () => json(await t.app.inject({ method: 'GET', url: '/api/v1/jobs' })).jobs.map((j: { id: number }) => j.id);
const mismatch = async (pi: string) =>
  (await queryRows<{ reason: string; charge_id: number | null; amount: string | number }>(t.database.db, `select reason, charge_id, amount from payment_mismatches where stripe_payment_intent = '${pi}'`))[0];

describe('a PaymentIntent that is not the one we created for a charge', () => {
  it('names a pending 25.00 charge but pays 0.50: the webhook, confirm and reconcile buy nothing, and it is recorded', async () => {
    const a = await listing();
    const charge = await pendingCharge(a.id);
    const pi = await foreignIntent(50, { charge_id: String(charge.id), user_id: String(poster.id), product: 'job_listing', article_id: String(a.id) });
    expect(pi.status).toBe('succeeded');
    await settleWebhooks(t);
    expect(await row(charge.id)).toEqual({ status: 'pending', stripe_charge_key: null });
    expect(await fulfilled(charge.id)).toBe(0);
    expect(await jobIds()).not.toContain(a.id);
    expect(await mismatch(pi.id)).toMatchObject({ reason: 'not_our_intent', charge_id: charge.id });

    const confirm = await t.app.inject({ method: 'POST', url: `/api/v1/charges/${charge.id}/confirm`, headers: poster.auth });
    expect(json(confirm).charge.status).toBe('pending');

    const deps = { db: t.database.db, clock: t.clock, catalog: t.app.payments.catalog, stripe: t.app.payments.stripe };
    const report = await reconcile(deps, { since: new Date(0), staleAfterMs: 24 * 3600_000 });
    expect(report.findings).toContainEqual(expect.objectContaining({ kind: 'payment_mismatch', stripe_id: pi.id, charge_id: charge.id, action: 'reported' }));
    expect(await row(charge.id)).toEqual({ status: 'pending', stripe_charge_key: null });
    expect(await fulfilled(charge.id)).toBe(0);
    expect(await jobIds()).not.toContain(a.id);

    const audit = await queryRows(t.database.db, `select 1 from audit_log where action = 'payment.mismatch' and subject_id = '${charge.id}'`);
    expect(audit).toHaveLength(1);
  });

  it('carries the charge nonce (copied from our own intent) but pays 0.50: refused for its amount', async () => {
    const a = await listing();
    const charge = await pendingCharge(a.id);
    const [{ intent_nonce }] = (await queryRows<{ intent_nonce: string }>(t.database.db, `select intent_nonce from charges where id = ${charge.id}`)) as [{ intent_nonce: string }];
    expect(intent_nonce).toMatch(/^[0-9a-f]{32}$/);
    const pi = await foreignIntent(50, { charge_id: String(charge.id), user_id: String(poster.id), product: 'job_listing', article_id: String(a.id), charge_nonce: intent_nonce });
    await settleWebhooks(t);
    expect(await row(charge.id)).toEqual({ status: 'pending', stripe_charge_key: null });
    expect(await fulfilled(charge.id)).toBe(0);
    expect(await mismatch(pi.id)).toMatchObject({ reason: 'amount', charge_id: charge.id, amount: expect.anything() });
    expect(Number((await mismatch(pi.id))!.amount)).toBe(50);
  });

  it('with the nonce and the full price it is ours (the crash window between Stripe and our commit): it settles once', async () => {
    const a = await listing();
    const charge = await pendingCharge(a.id);
    const [{ intent_nonce }] = (await queryRows<{ intent_nonce: string }>(t.database.db, `select intent_nonce from charges where id = ${charge.id}`)) as [{ intent_nonce: string }];
    const pi = await foreignIntent(2500, { charge_id: String(charge.id), user_id: String(poster.id), product: 'job_listing', article_id: String(a.id), charge_nonce: intent_nonce });
    await settleWebhooks(t);
    expect(await row(charge.id)).toEqual({ status: 'succeeded', stripe_charge_key: pi.id });
    expect(await fulfilled(charge.id)).toBe(1);
    expect(await jobIds()).toContain(a.id);
    expect(await mismatch(pi.id)).toBeUndefined();
  });

  it('names a product and article but no charge of ours, for 0.50: no row is adopted and nothing is bought', async () => {
    const a = await listing();
    const pi = await foreignIntent(50, { user_id: String(poster.id), product: 'job_listing', article_id: String(a.id) });
    await settleWebhooks(t);
    const deps = { db: t.database.db, clock: t.clock, catalog: t.app.payments.catalog, stripe: t.app.payments.stripe };
    const report = await reconcile(deps, { since: new Date(0), staleAfterMs: 24 * 3600_000 });
    expect(report.findings).toContainEqual(expect.objectContaining({ kind: 'payment_mismatch', stripe_id: pi.id, action: 'reported' }));
    expect(await queryRows(t.database.db, `select 1 from charges where stripe_charge_key = '${pi.id}' or article_id = ${a.id}`)).toHaveLength(0);
    expect(await jobIds()).not.toContain(a.id);
    expect(await mismatch(pi.id)).toMatchObject({ reason: 'amount', charge_id: null });
  });

  it('names a product whose purchase needs fields of its own (credits: how many), for its price: no row is adopted, no credit granted blind', async () => {
    const pi = await foreignIntent(2500, { user_id: String(poster.id), product: 'credit_pack' });
    await settleWebhooks(t);
    const deps = { db: t.database.db, clock: t.clock, catalog: t.app.payments.catalog, stripe: t.app.payments.stripe };
    await reconcile(deps, { since: new Date(0), staleAfterMs: 24 * 3600_000 });
    expect(await queryRows(t.database.db, `select 1 from charges where stripe_charge_key = '${pi.id}'`)).toHaveLength(0);
    expect(await queryRows(t.database.db, `select 1 from credit_entries e join credit_accounts a on a.id = e.account_id where a.user_id = ${poster.id}`)).toHaveLength(0);
  });

  it('names a charge that is already paid, with another intent: the row keeps its own intent', async () => {
    const a = await listing();
    const paid = json(
      await t.app.inject({
        method: 'POST',
        url: '/api/v1/charges',
        headers: { ...poster.auth, 'idempotency-key': `mismatch-paid-${++seq}` },
        payload: { product: 'job_listing', article_id: a.id, payment_method: 'pm_card_visa' },
      }),
    ).charge as { id: number; stripe_charge_key: string };
    const pi = await foreignIntent(2500, { charge_id: String(paid.id), user_id: String(poster.id), product: 'job_listing', article_id: String(a.id) });
    await settleWebhooks(t);
    expect(await row(paid.id)).toEqual({ status: 'succeeded', stripe_charge_key: paid.stripe_charge_key });
    expect(await fulfilled(paid.id)).toBe(1);
    expect(await mismatch(pi.id)).toMatchObject({ reason: 'not_our_intent', charge_id: paid.id });
  });

  it('is listed for admins in the console and the API', async () => {
    const api = await t.app.inject({ method: 'GET', url: '/api/v1/admin/payment-mismatches', headers: boss.auth });
    expect(api.statusCode).toBe(200);
    const listed = json(api).mismatches as Array<{ payment_intent: string; reason: string; amount: number; expected_amount: number }>;
    expect(listed.length).toBeGreaterThanOrEqual(4);
    expect(listed).toContainEqual(expect.objectContaining({ reason: 'amount', amount: 50, expected_amount: 2500 }));
    const browser = new FormClient(t.app);
    await browser.submit('/login', '/login', { email: boss.email, password: boss.password });
    const page = await browser.get('/admin/payment-mismatches');
    expect(page.statusCode).toBe(200);
    for (const m of listed) expect(page.body).toContain(m.payment_intent);
    expect(page.body).toContain('$0.50');
  });
});
