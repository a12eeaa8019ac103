import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stripeOperation } from '../src/operations/metrics.js';
import { admin, grantJobs, json, type Member, member, settleWebhooks, startTestApp, type TestApp } from './helpers/app.js';

let t: TestApp;
let boss: Member;
let poster: Member;

beforeAll(async () => {
  t = await startTestApp();
  boss = await admin(t);
  poster = await member(t.app);
  await grantJobs(t, boss, poster.id);
});
afterAll(() => t.close());

async function scrape(): Promise<string> {
  const res = await t.app.inject({ method: 'GET', url: '/metrics', headers: boss.auth });
  expect(res.statusCode).toBe(200);
  expect(res.headers['content-type']).toContain('text/plain');
  return res.body;
}

/** The value of one series, e.g. `devboard_checkouts_total{product="job_listing",outcome="succeeded"}`; 0 when absent. */
function value(text: string, series: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line ? Number(line.slice(series.length + 1)) : 0;
}

let seq = 0;
async function checkout(pm: string | { confirmation_token: string }) {
  const article = json(
    await t.app.inject({
      method: 'POST',
      url: '/api/v1/articles',
      headers: poster.auth,
      payload: { title: `Measured job ${++seq}`, body_markdown: 'x', job_listing: true, published: true },
    }),
  ).article as { id: number };
  return t.app.inject({
    method: 'POST',
    url: '/api/v1/charges',
    headers: { ...poster.auth, 'idempotency-key': `metrics-${seq}` },
    payload: { product: 'job_listing', article_id: article.id, ...(typeof pm === 'string' ? { payment_method: pm } : pm) },
  });
}

describe('GET /metrics', () => {
  it('is for admins with an API token only', async () => {
    expect((await t.app.inject({ method: 'GET', url: '/metrics' })).statusCode).toBe(401);
    expect((await t.app.inject({ method: 'GET', url: '/metrics', headers: { authorization: 'Bearer nope' } })).statusCode).toBe(401);
    expect((await t.app.inject({ method: 'GET', url: '/metrics', headers: poster.auth })).statusCode).toBe(403);
  });

  it('counts checkouts, Stripe requests, webhooks, fulfilments and refunds', async () => {
    const before = await scrape();
    const paid = await checkout('pm_card_visa');
    expect(paid.statusCode).toBe(201);
    expect((await checkout('pm_card_chargeDeclined')).statusCode).toBe(402);
    expect((await checkout('not a card')).statusCode).toBe(400);
    const token = await t.app.payments.stripe.client.testHelpers.confirmationTokens.create({ payment_method: 'pm_card_visa' });
    expect((await checkout({ confirmation_token: token.id })).statusCode).toBe(201);
    await settleWebhooks(t);
    const charge = json(paid).charge as { id: number };
    const refund = await t.app.inject({
      method: 'POST',
      url: `/api/v1/admin/charges/${charge.id}/refunds`,
      headers: { ...boss.auth, 'idempotency-key': 'metrics-refund' },
      payload: { amount: 2500 },
    });
    expect(refund.statusCode).toBeLessThan(300);
    await settleWebhooks(t);
    const after = await scrape();
    const delta = (series: string) => value(after, series) - value(before, series);

    expect(delta('devboard_checkouts_total{product="job_listing",way="payment_method",outcome="succeeded"}')).toBe(1);
    expect(delta('devboard_checkouts_total{product="job_listing",way="payment_method",outcome="failed"}')).toBe(1);
    expect(delta('devboard_checkouts_total{product="job_listing",way="payment_method",outcome="rejected"}')).toBe(1);
    expect(delta('devboard_checkouts_total{product="job_listing",way="confirmation_token",outcome="succeeded"}')).toBe(1);
    expect(delta('devboard_fulfilments_total{product="job_listing",action="fulfilled"}')).toBe(2);
    expect(delta('devboard_fulfilments_total{product="job_listing",action="reversed"}')).toBe(1);
    expect(delta('devboard_webhook_events_total{type="payment_intent.succeeded",outcome="handled"}')).toBe(2);
    expect(delta('devboard_webhook_events_total{type="charge.refunded",outcome="handled"}')).toBe(1);
    expect(delta('devboard_webhook_handler_failures_total{type="charge.refunded"}')).toBe(0);
    expect(delta('devboard_refunds{status="succeeded"}')).toBe(1);
    expect(delta('devboard_stripe_request_duration_seconds_count{operation="POST /v1/payment_intents",outcome="ok"}')).toBe(2);
    expect(delta('devboard_stripe_request_duration_seconds_count{operation="POST /v1/payment_intents",outcome="client_error"}')).toBe(1);
    expect(value(after, 'devboard_stripe_request_duration_seconds_count{operation="POST /v1/refunds",outcome="ok"}')).toBe(1);
    expect(value(after, 'devboard_webhook_inbox_depth')).toBe(0);
    expect(value(after, 'devboard_webhook_inbox_oldest_age_seconds')).toBe(0);
    expect(value(after, 'devboard_receipts_waiting')).toBe(0);
    expect(delta('devboard_http_responses_total{method="POST",route="/api/v1/charges",status="2xx"}')).toBe(2);
    expect(delta('devboard_http_responses_total{method="POST",route="/api/v1/charges",status="4xx"}')).toBe(2);
    // Node's own process metrics come along.
    expect(after).toMatch(/^process_cpu_user_seconds_total \d/m);
    expect(after).toMatch(/^nodejs_eventloop_lag_seconds \d/m);
  });

  it('shows the inbox backlog and a failing handler', async () => {
    const paid = await checkout('pm_card_visa');
    expect(paid.statusCode).toBe(201);
    // The refund's webhooks arrive while Stripe refuses the handler's re-reads: the handler fails, the events wait.
    const charge = json(paid).charge as { id: number; stripe_charge_key: string };
    await settleWebhooks(t);
    const before = await scrape();
    t.stripe.injectFault({ kind: '500', when: 'before', path: '/v1/charges/', rate: 1 });
    const sdkRefund = await t.app.payments.stripe.client.refunds.create({ payment_intent: charge.stripe_charge_key, amount: 500 });
    expect(sdkRefund.status).toBe('succeeded');
    await t.stripe.webhooks.idle();
    await t.app.payments.worker.kick();
    const during = await scrape();
    t.stripe.clearFaults();
    expect(value(during, 'devboard_webhook_inbox_depth')).toBeGreaterThanOrEqual(1);
    expect(value(during, 'devboard_webhook_inbox_failing')).toBeGreaterThanOrEqual(1);
    expect(value(during, 'devboard_webhook_inbox_oldest_age_seconds')).toBeGreaterThanOrEqual(0);
    const failures = (text: string) => value(text, 'devboard_webhook_handler_failures_total{type="charge.refunded"}');
    expect(failures(during) - failures(before)).toBeGreaterThanOrEqual(1);
    await t.app.inject({ method: 'POST', url: '/api/v1/admin/reconcile', headers: boss.auth, payload: {} });
    const reconciled = await scrape();
    expect(value(reconciled, 'devboard_reconcile_last_run_timestamp_seconds')).toBeGreaterThan(0);
    expect(reconciled).toMatch(/^devboard_reconcile_last_findings\{action="reported"\} \d/m);
  });

  it('names Stripe operations without ids', () => {
    expect(stripeOperation('post', '/v1/payment_intents/pi_3Abc123/confirm')).toBe('POST /v1/payment_intents/:id/confirm');
    expect(stripeOperation('GET', '/v1/customers/cus_9x/payment_methods?limit=100')).toBe('GET /v1/customers/:id/payment_methods');
  });
});

describe('GET /readyz', () => {
  it('is ready only while the webhook worker runs; /healthz stays liveness', async () => {
    const ready = () => t.app.inject({ method: 'GET', url: '/readyz' });
    // Tests drain the inbox by hand: the worker is not polling yet.
    let res = await ready();
    expect(res.statusCode).toBe(503);
    expect(json(res).checks).toEqual({ database: true, migrations: true, webhook_worker: false });
    t.app.payments.worker.start(60_000);
    res = await ready();
    expect(res.statusCode).toBe(200);
    expect(json(res)).toEqual({ status: 'ready', checks: { database: true, migrations: true, webhook_worker: true } });
    await t.app.payments.worker.stop();
    expect((await ready()).statusCode).toBe(503);
    expect((await t.app.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
  });
});
