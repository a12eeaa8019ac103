import type Stripe from 'stripe';
import { sql } from 'drizzle-orm';
import { beforeAll, describe, expect, it } from 'vitest';
import { queryRows } from '../src/db/client.js';
import { reconcile } from '../src/payments/reconcile.js';
import { json, type Member, settleWebhooks, secondInstance, type TestApp } from './helpers/app.js';
import { webhooksSuite } from './helpers/webhooks.js';

// Exactly-once processing whatever the deliveries do, failed events and replay, and reconcile. The
// webhook endpoint, refunds and disputes are in webhooks.test.ts.
const { s, listing, pay, jobIds, chargeRow, fulfilments, signed, abandonedThreeDSecure } = webhooksSuite();
let t: TestApp;
let boss: Member;
let poster: Member;
let sdk: Stripe;
beforeAll(() => {
  ({ t, boss, poster, sdk } = s);
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
