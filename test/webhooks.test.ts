import Stripe from 'stripe';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { buildApp } from '../src/app.js';
import { queryRows } from '../src/db/client.js';
import { reconcile } from '../src/payments/reconcile.js';
import { createStripeGateway } from '../src/payments/stripe.js';
import {
  admin,
  grantJobs,
  json,
  type Member,
  member,
  settleWebhooks,
  secondInstance,
  startTestApp,
  TEST_PUBLIC_URL,
  TEST_WEBHOOK_SECRET,
  type TestApp,
} from './helpers/app.js';

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
beforeEach(async () => {
  t.stripe.setDeliveryFaults({});
  t.stripe.clearFaults();
  await settleWebhooks(t);
});

let seq = 0;
async function listing() {
  const res = await t.app.inject({
    method: 'POST',
    url: '/api/v1/articles',
    headers: poster.auth,
    payload: { title: `Webhook job ${++seq}`, body_markdown: 'x', job_listing: true, published: true },
  });
  return json(res).article as { id: number };
}
const pay = (articleId: number, pm = 'pm_card_visa') =>
  t.app.inject({
    method: 'POST',
    url: '/api/v1/charges',
    headers: { ...poster.auth, 'idempotency-key': `wh-${++seq}-${Date.now()}` },
    payload: { product: 'job_listing', article_id: articleId, payment_method: pm },
  });
const jobIds = async () => json(await t.app.inject({ method: 'GET', url: '/api/v1/jobs' })).jobs.map((j: { id: number }) => j.id);
const chargeRow = async (id: number) =>
  (await queryRows<{ status: string; amount_refunded: string | number }>(t.database.db, `select status, amount_refunded from charges where id = ${id}`))[0]!;
const fulfilments = async (id: number) => (await queryRows(t.database.db, `select 1 from fulfilments where charge_id = ${id}`)).length;
const countEvents = async () => (await queryRows<{ n: number }>(t.database.db, 'select count(*)::int as n from stripe_events'))[0]!.n;

function signed(payload: string, secret = TEST_WEBHOOK_SECRET, timestamp?: number) {
  return {
    'content-type': 'application/json',
    'stripe-signature': sdk.webhooks.generateTestHeaderString({ payload, secret, ...(timestamp ? { timestamp } : {}) }),
  };
}

/** A 3-D Secure payment the buyer completes at Stripe but never comes back from (tab closed). */
async function abandonedThreeDSecure(articleId: number) {
  const res = await pay(articleId, 'pm_card_authenticationRequired');
  const charge = json(res).charge;
  expect(charge.status).toBe('requires_action');
  return charge as { id: number; stripe_charge_key: string };
}

describe('POST /webhooks/stripe', () => {
  it('rejects missing, wrong, stale and malformed signatures and stores nothing', async () => {
    const before = await countEvents();
    const payload = JSON.stringify({ id: 'evt_test_bad', object: 'event', type: 'payment_intent.succeeded', data: { object: {} } });
    const cases = [
      { headers: { 'content-type': 'application/json' }, body: payload },
      { headers: signed(payload, 'whsec_wrong_secret'), body: payload },
      { headers: signed(payload, TEST_WEBHOOK_SECRET, Math.floor(Date.now() / 1000) - 600), body: payload },
      { headers: signed('{"id": "evt_x", "type":'), body: '{"id": "evt_x", "type":' },
      { headers: { ...signed(payload), 'stripe-signature': 't=1,v1=deadbeef' }, body: payload },
    ];
    for (const c of cases) {
      const res = await t.app.inject({ method: 'POST', url: '/webhooks/stripe', headers: c.headers, payload: c.body });
      expect(res.statusCode).toBe(400);
      expect(json(res).error.code).toMatch(/^signature_/);
    }
    expect(await countEvents()).toBe(before);
  });

  it('stores and ignores a verified event of a type we do not handle; a duplicate is a no-op', async () => {
    const payload = JSON.stringify({ id: 'evt_test_unknown_type', object: 'event', type: 'invoice.paid', data: { object: { id: 'in_1' } } });
    const first = await t.app.inject({ method: 'POST', url: '/webhooks/stripe', headers: signed(payload), payload });
    expect(json(first)).toEqual({ received: true, duplicate: false });
    const second = await t.app.inject({ method: 'POST', url: '/webhooks/stripe', headers: signed(payload), payload });
    expect(json(second)).toEqual({ received: true, duplicate: true });
    await t.app.payments.worker.kick();
    const [row] = await queryRows<{ outcome: string; processed_at: Date | null }>(t.database.db, `select outcome, processed_at from stripe_events where id = 'evt_test_unknown_type'`);
    expect(row!.outcome).toBe('ignored');
    expect(row!.processed_at).not.toBeNull();
  });

  it('stores deliveries that arrive together as received, and refuses only the one jsonb cannot hold', async () => {
    const before = await countEvents();
    // Key order and spacing as sent: the stored payload is the body itself, parsed once by the database.
    const bodies = [1, 2, 3].map((i) => `{"type": "invoice.paid", "id": "evt_test_batch_${i}", "object": "event", "data": {"object": {"id": "in_${i}"}}}`);
    // A lone surrogate escape: JSON.parse accepts it, PostgreSQL's jsonb does not.
    const bad = '{"id": "evt_test_batch_bad", "object": "event", "type": "invoice.paid", "data": {"object": {"id": "in_\\ud800"}}}';
    const send = (payload: string) => t.app.inject({ method: 'POST', url: '/webhooks/stripe', headers: signed(payload), payload });
    const responses = await Promise.all([send(bodies[0]!), send(bad), send(bodies[1]!), send(bodies[2]!), send(bodies[1]!)]);
    expect(responses.map((r) => r.statusCode)).toEqual([200, 400, 200, 200, 200]);
    expect(json(responses[1]!).error.code).toBe('event_invalid');
    expect(responses.filter((r) => r.statusCode === 200).map((r) => json(r).duplicate)).toEqual([false, false, false, true]);
    expect(await countEvents()).toBe(before + 3);
    const [row] = await queryRows<{ payload: { id: string; data: { object: { id: string } } } }>(t.database.db, `select payload from stripe_events where id = 'evt_test_batch_2'`);
    expect(row!.payload).toEqual({ type: 'invoice.paid', id: 'evt_test_batch_2', object: 'event', data: { object: { id: 'in_2' } } });
  });

  it('accepts any secret in the rotation list', async () => {
    const rotated = await startTestApp();
    try {
      // A second app sharing nothing but the rotation rule: old and new secrets both verify.
      const app = await buildApp({
        database: rotated.database,
        clock: rotated.clock,
        sessionSecret: 'x'.repeat(40),
        publicUrl: TEST_PUBLIC_URL,
        stripe: createStripeGateway({ secretKey: rotated.stripe.secretKey, publishableKey: rotated.stripe.publishableKey, apiUrl: rotated.stripe.url }),
        webhookSecrets: ['whsec_old_one', 'whsec_new_one'],
        rateLimits: false,
      });
      for (const [i, secret] of ['whsec_old_one', 'whsec_new_one'].entries()) {
        const payload = JSON.stringify({ id: `evt_rotation_${i}`, object: 'event', type: 'customer.created', data: { object: {} } });
        const res = await app.inject({ method: 'POST', url: '/webhooks/stripe', headers: signed(payload, secret), payload });
        expect(res.statusCode).toBe(200);
      }
      await app.close();
    } finally {
      await rotated.close();
    }
  });
});

describe('refunds', () => {
  it('a full refund made at Stripe takes the listing off /jobs within one delivery', async () => {
    const a = await listing();
    const charge = json(await pay(a.id)).charge;
    await settleWebhooks(t);
    expect(await jobIds()).toContain(a.id);
    const refund = await sdk.refunds.create({ payment_intent: charge.stripe_charge_key });
    await settleWebhooks(t);
    expect(await jobIds()).not.toContain(a.id);
    expect(await chargeRow(charge.id)).toMatchObject({ status: 'refunded' });
    expect(Number((await chargeRow(charge.id)).amount_refunded)).toBe(2500);
    const rows = await queryRows<{ stripe_refund_id: string; amount: number; requested_by: number | null; status: string }>(
      t.database.db,
      `select stripe_refund_id, amount::int, requested_by, status from refunds where charge_id = ${charge.id}`,
    );
    expect(rows).toEqual([{ stripe_refund_id: refund.id, amount: 2500, requested_by: null, status: 'succeeded' }]);
    expect((await t.app.inject({ method: 'GET', url: `/api/v1/articles/${a.id}` })).statusCode).toBe(404);
    const article = json(await t.app.inject({ method: 'GET', url: `/api/v1/articles/${a.id}`, headers: poster.auth })).article;
    expect(article).toMatchObject({ paid: false, live: false });
  });

  it('a partial refund keeps the listing and records the amount', async () => {
    const a = await listing();
    const charge = json(await pay(a.id)).charge;
    await sdk.refunds.create({ payment_intent: charge.stripe_charge_key, amount: 1000 });
    await settleWebhooks(t);
    expect(await chargeRow(charge.id)).toMatchObject({ status: 'partially_refunded' });
    expect(Number((await chargeRow(charge.id)).amount_refunded)).toBe(1000);
    expect(await jobIds()).toContain(a.id);
  });

  it('refunds from our API once per key, through the same path', async () => {
    const a = await listing();
    const charge = json(await pay(a.id)).charge;
    const refund = () =>
      t.app.inject({
        method: 'POST',
        url: `/api/v1/admin/charges/${charge.id}/refunds`,
        headers: { ...boss.auth, 'idempotency-key': `refund-key-${charge.id}` },
        payload: { reason: 'requested_by_customer' },
      });
    const [r1, r2] = await Promise.all([refund(), refund()]);
    expect([200, 201]).toContain(r1.statusCode);
    expect([200, 201]).toContain(r2.statusCode);
    expect(json(r2).refund.id).toBe(json(r1).refund.id);
    const refundsAtStripe = await sdk.refunds.list({ payment_intent: charge.stripe_charge_key });
    expect(refundsAtStripe.data).toHaveLength(1);
    expect(json(r1).charge.status).toBe('refunded');
    expect(await jobIds()).not.toContain(a.id);
    const third = await refund();
    expect(json(third).refund.id).toBe(json(r1).refund.id);
    const member403 = await t.app.inject({ method: 'POST', url: `/api/v1/admin/charges/${charge.id}/refunds`, headers: poster.auth, payload: {} });
    expect(member403.statusCode).toBe(403);
    const over = await t.app.inject({ method: 'POST', url: `/api/v1/admin/charges/${charge.id}/refunds`, headers: boss.auth, payload: { amount: 1 } });
    expect(over.statusCode).toBe(409);
  });
});

describe('disputes', () => {
  it('suspends the listing while disputed, restores it when won, keeps it off when lost', async () => {
    const won = await listing();
    const lost = await listing();
    const c1 = json(await pay(won.id)).charge;
    const c2 = json(await pay(lost.id)).charge;
    await settleWebhooks(t);
    const ch1 = t.stripe.emulator.paymentIntents.get(c1.stripe_charge_key)!.latest_charge as string;
    const ch2 = t.stripe.emulator.paymentIntents.get(c2.stripe_charge_key)!.latest_charge as string;
    const d1 = t.stripe.emulator.openDispute(ch1, {}, null);
    const d2 = t.stripe.emulator.openDispute(ch2, { reason: 'product_not_received' }, null);
    await settleWebhooks(t);
    expect(await chargeRow(c1.id)).toMatchObject({ status: 'disputed' });
    expect(await jobIds()).not.toContain(won.id);
    expect(await jobIds()).not.toContain(lost.id);
    const open = json(await t.app.inject({ method: 'GET', url: '/api/v1/admin/disputes', headers: boss.auth })).disputes;
    expect(open.map((d: { stripeDisputeId: string }) => d.stripeDisputeId)).toEqual(expect.arrayContaining([d1.id, d2.id]));
    const page = await t.app.inject({ method: 'GET', url: '/admin/disputes', headers: { cookie: '' } });
    expect(page.statusCode).toBe(302);

    t.stripe.emulator.closeDispute(d1.id, 'won', null);
    t.stripe.emulator.closeDispute(d2.id, 'lost', null);
    await settleWebhooks(t);
    expect(await chargeRow(c1.id)).toMatchObject({ status: 'succeeded' });
    expect(await chargeRow(c2.id)).toMatchObject({ status: 'disputed' });
    expect(await jobIds()).toContain(won.id);
    expect(await jobIds()).not.toContain(lost.id);
  });
});

describe('exactly once, whatever the deliveries do', () => {
  it('fulfils once when every webhook is delivered three times', async () => {
    t.stripe.setDeliveryFaults({ duplicates: 2 });
    const a = await listing();
    const charge = await abandonedThreeDSecure(a.id);
    t.stripe.emulator.authenticate(charge.stripe_charge_key, 'complete', { id: 'req_t', idempotencyKey: null });
    await settleWebhooks(t);
    expect(await chargeRow(charge.id)).toMatchObject({ status: 'succeeded' });
    expect(await fulfilments(charge.id)).toBe(1);
    expect(await jobIds()).toContain(a.id);
  });

  it('ends right when deliveries arrive in reverse order', async () => {
    t.stripe.setDeliveryFaults({ hold: true });
    const a = await listing();
    const charge = await abandonedThreeDSecure(a.id);
    t.stripe.emulator.authenticate(charge.stripe_charge_key, 'complete', { id: 'req_t', idempotencyKey: null });
    t.stripe.setDeliveryFaults({});
    expect(t.stripe.webhooks.release({ reverse: true })).toBeGreaterThan(2);
    await settleWebhooks(t);
    expect(await chargeRow(charge.id)).toMatchObject({ status: 'succeeded' });
    expect(await fulfilments(charge.id)).toBe(1);
  });

  it('changes nothing when webhooks arrive after the synchronous path settled', async () => {
    t.stripe.setDeliveryFaults({ hold: true });
    const a = await listing();
    const charge = json(await pay(a.id)).charge;
    const paidUntil = charge.paid_until;
    t.stripe.setDeliveryFaults({});
    t.stripe.webhooks.release();
    await settleWebhooks(t);
    expect(await fulfilments(charge.id)).toBe(1);
    const article = json(await t.app.inject({ method: 'GET', url: `/api/v1/articles/${a.id}` })).article;
    expect(article.paid_until).toBe(paidUntil);
  });

  it('is repaired by reconcile when webhooks never arrive; a second run finds nothing', async () => {
    t.stripe.setDeliveryFaults({ drop: true });
    const a = await listing();
    const charge = await abandonedThreeDSecure(a.id);
    t.stripe.emulator.authenticate(charge.stripe_charge_key, 'complete', { id: 'req_t', idempotencyKey: null });
    await settleWebhooks(t);
    expect(await chargeRow(charge.id)).toMatchObject({ status: 'requires_action' });
    const deps = { db: t.database.db, clock: t.clock, catalog: t.app.payments.catalog, stripe: t.app.payments.stripe };
    const since = new Date(Date.now() - 3600_000);
    const report = await reconcile(deps, { since });
    expect(report.findings).toContainEqual(expect.objectContaining({ kind: 'status_mismatch', charge_id: charge.id, action: 'repaired' }));
    expect(await chargeRow(charge.id)).toMatchObject({ status: 'succeeded' });
    expect(await fulfilments(charge.id)).toBe(1);
    expect(await jobIds()).toContain(a.id);
    const again = await reconcile(deps, { since });
    expect(again.findings).toEqual([]);
  });

  it('leases at most the batch size per claim, earliest due first, and never one event to two claims', async () => {
    await t.database.db.execute(
      sql.raw(`insert into stripe_events (id, type, payload, received_at, next_attempt_at)
        select 'evt_claim_' || g, 'invoice.paid', '{}'::jsonb, timestamptz '2000-01-01', timestamptz '2000-01-01' + g * interval '1 second'
        from generate_series(1, 12) g`),
    );
    const worker = t.app.payments.worker;
    const [first, second] = await Promise.all([worker.claim(3), worker.claim(3)]);
    const ids = [...first!, ...second!].map((e) => e.id);
    expect(first).toHaveLength(3);
    expect(second).toHaveLength(3);
    expect(new Set(ids).size).toBe(6);
    expect(ids.sort()).toEqual(['evt_claim_1', 'evt_claim_2', 'evt_claim_3', 'evt_claim_4', 'evt_claim_5', 'evt_claim_6']);
    const leased = await queryRows<{ id: string }>(t.database.db, `select id from stripe_events where id like 'evt_claim_%' and attempts = 1 order by id`);
    expect(leased.map((r) => r.id).sort()).toEqual(ids);
    await t.database.db.execute(sql.raw(`delete from stripe_events where id like 'evt_claim_%'`));
  });

  it('processes 50 concurrent deliveries of one event to two app instances once', async () => {
    t.stripe.setDeliveryFaults({ drop: true });
    const a = await listing();
    const charge = await abandonedThreeDSecure(a.id);
    t.stripe.emulator.authenticate(charge.stripe_charge_key, 'complete', { id: 'req_t', idempotencyKey: null });
    const event = [...t.stripe.emulator.events.values()].find(
      (e) => e.type === 'payment_intent.succeeded' && (e.data.object as Stripe.PaymentIntent).id === charge.stripe_charge_key,
    )!;
    const second = await secondInstance(t);
    const other = second.app;
    const payload = JSON.stringify(event);
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        (i % 2 ? other : t.app).inject({ method: 'POST', url: '/webhooks/stripe', headers: signed(payload), payload }),
      ),
    );
    expect(results.every((r) => r.statusCode === 200)).toBe(true);
    expect(results.filter((r) => json(r).duplicate === false)).toHaveLength(1);
    await Promise.all([t.app.payments.worker.idle(), other.payments.worker.idle()]);
    await Promise.all([t.app.payments.worker.kick(), other.payments.worker.kick()]);
    expect(await queryRows(t.database.db, `select 1 from stripe_events where id = '${event.id}'`)).toHaveLength(1);
    expect(await chargeRow(charge.id)).toMatchObject({ status: 'succeeded' });
    expect(await fulfilments(charge.id)).toBe(1);
    const audit = await queryRows(t.database.db, `select 1 from audit_log where subject_id = '${charge.id}' and action = 'charge.succeeded'`);
    expect(audit).toHaveLength(1);
    await second.close();
  });
});

describe('failed events and replay', () => {
  it('records the error, backs off, lists it for admins, and succeeds on retry', async () => {
    t.stripe.setDeliveryFaults({ drop: true });
    const a = await listing();
    const charge = await abandonedThreeDSecure(a.id);
    t.stripe.emulator.authenticate(charge.stripe_charge_key, 'complete', { id: 'req_t', idempotencyKey: null });
    const event = [...t.stripe.emulator.events.values()].find(
      (e) => e.type === 'payment_intent.succeeded' && (e.data.object as Stripe.PaymentIntent).id === charge.stripe_charge_key,
    )!;
    t.stripe.injectFault({ kind: '500', when: 'before', path: `/v1/payment_intents/${charge.stripe_charge_key}`, count: 50 });
    const payload = JSON.stringify(event);
    await t.app.inject({ method: 'POST', url: '/webhooks/stripe', headers: signed(payload), payload });
    await t.app.payments.worker.idle();
    const [row] = await queryRows<{ attempts: number; last_error: string; processed_at: Date | null; next_attempt_at: Date }>(
      t.database.db,
      `select attempts, last_error, processed_at, next_attempt_at from stripe_events where id = '${event.id}'`,
    );
    expect(row!.attempts).toBe(1);
    expect(row!.last_error).toMatch(/StripeAPIError/);
    expect(row!.processed_at).toBeNull();
    expect(new Date(row!.next_attempt_at).getTime()).toBeGreaterThan(t.clock.now().getTime());
    const failed = json(await t.app.inject({ method: 'GET', url: '/api/v1/admin/webhooks/failed', headers: boss.auth })).events;
    expect(failed.map((e: { id: string }) => e.id)).toContain(event.id);
    expect(await chargeRow(charge.id)).toMatchObject({ status: 'requires_action' });

    t.stripe.clearFaults();
    const retry = await t.app.inject({ method: 'POST', url: `/api/v1/admin/webhooks/${event.id}/retry`, headers: boss.auth });
    expect(retry.statusCode).toBe(200);
    await t.app.payments.worker.idle();
    expect(await chargeRow(charge.id)).toMatchObject({ status: 'succeeded' });
    expect(await fulfilments(charge.id)).toBe(1);
    const [after] = await queryRows<{ outcome: string; last_error: string | null; processed_at: Date | null }>(
      t.database.db,
      `select outcome, last_error, processed_at from stripe_events where id = '${event.id}'`,
    );
    expect(after).toMatchObject({ outcome: 'handled', last_error: null });
    expect(after!.processed_at).not.toBeNull();
    expect((await t.app.inject({ method: 'POST', url: '/api/v1/admin/webhooks/evt_nope/retry', headers: boss.auth })).statusCode).toBe(404);
  });
});

describe('reconcile', () => {
  it('adopts a paid PaymentIntent with our metadata but no row, records unknown refunds, closes stale pending rows', async () => {
    t.stripe.setDeliveryFaults({ drop: true });
    const deps = { db: t.database.db, clock: t.clock, catalog: t.app.payments.catalog, stripe: t.app.payments.stripe };
    const since = new Date(Date.now() - 3600_000);
    await reconcile(deps, { since });
    const a = await listing();
    const customer = await sdk.customers.create({});
    const orphan = await sdk.paymentIntents.create({
      amount: 2500,
      currency: 'usd',
      customer: customer.id,
      payment_method: 'pm_card_visa',
      confirm: true,
      automatic_payment_methods: { enabled: true, allow_redirects: 'never' },
      metadata: { user_id: String(poster.id), product: 'job_listing', article_id: String(a.id) },
    });
    const b = await listing();
    const paid = json(await pay(b.id)).charge;
    const refund = await sdk.refunds.create({ payment_intent: paid.stripe_charge_key, amount: 500 });
    await queryRows(
      t.database.db,
      `insert into charges (user_id, product, amount, currency, status, idempotency_key, created_at, updated_at)
       values (${poster.id}, 'job_listing', 2500, 'usd', 'pending', 'stale-${Date.now()}', '${new Date(t.clock.now().getTime() - 3600_000).toISOString()}', now())`,
    );
    const report = await reconcile(deps, { since: new Date(0) });
    const kinds = report.findings.map((f) => f.kind).sort();
    expect(kinds).toEqual(expect.arrayContaining(['missing_row', 'refund_mismatch', 'stale_pending']));
    const [adopted] = await queryRows<{ id: number; status: string }>(t.database.db, `select id, status from charges where stripe_charge_key = '${orphan.id}'`);
    expect(adopted!.status).toBe('succeeded');
    expect(await jobIds()).toContain(a.id);
    const refunds = await queryRows<{ stripe_refund_id: string }>(t.database.db, `select stripe_refund_id from refunds where charge_id = ${paid.id}`);
    expect(refunds.map((r) => r.stripe_refund_id)).toEqual([refund.id]);
    expect((await reconcile(deps, { since: new Date(0) })).findings).toEqual([]);
    const latest = json(await t.app.inject({ method: 'GET', url: '/api/v1/admin/reconcile/latest', headers: boss.auth })).run;
    expect(latest.report.findings).toEqual([]);
  });
});
