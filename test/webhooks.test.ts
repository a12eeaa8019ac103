import type Stripe from 'stripe';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../src/app.js';
import { queryRows } from '../src/db/client.js';
import { createStripeGateway } from '../src/payments/stripe.js';
import { json, type Member, settleWebhooks, startTestApp, TEST_PUBLIC_URL, TEST_WEBHOOK_SECRET, type TestApp } from './helpers/app.js';
import { webhooksSuite } from './helpers/webhooks.js';

// The webhook endpoint, and refunds and disputes arriving by webhook. Exactly-once processing,
// failed events and reconcile are in webhooks-delivery-and-reconcile.test.ts.
const { s, listing, pay, jobIds, chargeRow, countEvents, signed } = webhooksSuite();
let t: TestApp;
let boss: Member;
let poster: Member;
let sdk: Stripe;
beforeAll(() => {
  ({ t, boss, poster, sdk } = s);
});

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
