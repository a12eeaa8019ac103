import { beforeAll, describe, expect, it } from 'vitest';
import { atStripe, json, type Member, settleWebhooks, type TestApp } from './helpers/app.js';
import { FormClient } from './helpers/browser-form.js';
import { financeSuite } from './helpers/finance.js';

// Refunds from the console, and when Stripe cannot be reached. Totals, exports, the audit log and
// the pages are in finance.test.ts.
const { s, get } = financeSuite();
let t: TestApp;
let boss: Member;
let buyer: Member;
beforeAll(() => {
  ({ t, boss, buyer } = s);
});

describe('refunds from the console', () => {
  it('refunds once on a double submission of the confirmed form', async () => {
    const article = json(await t.app.inject({ method: 'POST', url: '/api/v1/articles', headers: buyer.auth, payload: { title: 'Refund me', body_markdown: 'x', job_listing: true, published: true } })).article;
    const charge = json(await t.app.inject({ method: 'POST', url: '/api/v1/charges', headers: buyer.auth, payload: { product: 'job_listing', article_id: article.id, payment_method: 'pm_card_visa' } })).charge;
    const browser = new FormClient(t.app);
    await browser.submit('/login', '/login', { email: boss.email, password: boss.password });
    const page = await browser.get(`/admin/finance/charges/${charge.id}`);
    expect(page.body).toContain('data-confirm="Refund {amount} USD of charge');
    // What the charge was for, named and linked through the product's subject kind.
    expect(page.body).toContain(`job_listing · <a href="/articles/${article.id}">Refund me</a>`);
    const key = page.body.match(/name="idempotency_key" value="([^"]+)"/)![1]!;
    const form = { idempotency_key: key, amount: '10.00', reason: 'requested_by_customer' };
    const [a, b] = await Promise.all([
      browser.submit(`/admin/finance/charges/${charge.id}`, `/admin/charges/${charge.id}/refunds`, form),
      browser.submit(`/admin/finance/charges/${charge.id}`, `/admin/charges/${charge.id}/refunds`, form),
    ]);
    expect([a.statusCode, b.statusCode]).toEqual([303, 303]);
    await settleWebhooks(t);
    const detail = json(await get(`/api/v1/admin/charges/${charge.id}`));
    expect(detail.refunds).toHaveLength(1);
    expect(detail.refunds[0]).toMatchObject({ amount: 1000, reason: 'requested_by_customer', requested_by: boss.id });
    expect(detail.charge).toMatchObject({ status: 'partially_refunded', amount_refunded: 1000 });
    expect(t.stripe.emulator.refunds.size).toBe(1);
    expect(detail.audit.map((e: { action: string }) => e.action)).toEqual(
      expect.arrayContaining(['charge.created', 'charge.succeeded', 'refund.requested', 'charge.partially_refunded']),
    );
  });
});

describe('when Stripe cannot be reached', () => {
  it('answers a refund 503 like a checkout, keeps the refund requested, and the same request again refunds once', async () => {
    const article = json(await t.app.inject({ method: 'POST', url: '/api/v1/articles', headers: buyer.auth, payload: { title: 'Refund while down', body_markdown: 'x', job_listing: true, published: true } })).article;
    const charge = json(await t.app.inject({ method: 'POST', url: '/api/v1/charges', headers: buyer.auth, payload: { product: 'job_listing', article_id: article.id, payment_method: 'pm_card_visa' } })).charge;
    const refund = () =>
      t.app.inject({ method: 'POST', url: `/api/v1/admin/charges/${charge.id}/refunds`, headers: { ...boss.auth, 'idempotency-key': `refund-while-down-${charge.id}` }, payload: { amount: 500 } });
    t.stripe.injectFault({ kind: '500', when: 'before', path: '/v1/refunds', count: 10 });
    const down = await refund();
    expect(down.statusCode).toBe(503);
    expect(json(down).error).toMatchObject({ code: 'payment_provider_unavailable', message: expect.stringContaining('try again') });
    expect(json(down).refund).toMatchObject({ amount: 500, status: 'requested', stripe_refund_id: null });
    t.stripe.clearFaults();
    const again = await refund();
    expect(again.statusCode).toBe(201);
    expect(json(again).refund).toMatchObject({ id: json(down).refund.id, amount: 500 });
    expect([...t.stripe.emulator.refunds.values()].filter((r) => r.payment_intent === charge.stripe_charge_key)).toHaveLength(1);
  });

  it('answers a repeat of a refund still at Stripe 409 request_in_progress, and refunds once', async () => {
    const article = json(await t.app.inject({ method: 'POST', url: '/api/v1/articles', headers: buyer.auth, payload: { title: 'Refund in progress', body_markdown: 'x', job_listing: true, published: true } })).article;
    const charge = json(await t.app.inject({ method: 'POST', url: '/api/v1/charges', headers: buyer.auth, payload: { product: 'job_listing', article_id: article.id, payment_method: 'pm_card_visa' } })).charge;
    const refund = () =>
      t.app.inject({ method: 'POST', url: `/api/v1/admin/charges/${charge.id}/refunds`, headers: { ...boss.auth, 'idempotency-key': `refund-in-progress-${charge.id}` }, payload: { amount: 500 } });
    t.stripe.injectFault({ kind: 'slow', when: 'before', delayMs: 4000, path: '/v1/refunds', method: 'POST', count: 1 });
    const { answer: first } = await atStripe(t, 'POST /v1/refunds', () => refund());
    const repeat = await refund();
    expect(repeat.statusCode).toBe(409);
    expect(json(repeat).error).toMatchObject({ code: 'request_in_progress', message: expect.stringContaining('same Idempotency-Key') });
    expect(json(repeat).refund).toMatchObject({ amount: 500, status: 'requested' });
    expect((await first).statusCode).toBe(201);
    expect((await refund()).statusCode).toBe(200);
    expect([...t.stripe.emulator.refunds.values()].filter((r) => r.payment_intent === charge.stripe_charge_key)).toHaveLength(1);
  });

  it('shows the refund form again with the same key while the first submission is still at Stripe', async () => {
    const article = json(await t.app.inject({ method: 'POST', url: '/api/v1/articles', headers: buyer.auth, payload: { title: 'Refund form in progress', body_markdown: 'x', job_listing: true, published: true } })).article;
    const charge = json(await t.app.inject({ method: 'POST', url: '/api/v1/charges', headers: buyer.auth, payload: { product: 'job_listing', article_id: article.id, payment_method: 'pm_card_visa' } })).charge;
    const browser = new FormClient(t.app);
    await browser.submit('/login', '/login', { email: boss.email, password: boss.password });
    const form = { idempotency_key: `refund-form-in-progress-${charge.id}`, amount: '5.00', reason: 'requested_by_customer' };
    const submit = () => browser.submit(`/admin/finance/charges/${charge.id}`, `/admin/charges/${charge.id}/refunds`, form);
    t.stripe.injectFault({ kind: 'slow', when: 'before', delayMs: 4000, path: '/v1/refunds', method: 'POST', count: 1 });
    const { answer: first } = await atStripe(t, 'POST /v1/refunds', () => submit());
    const repeat = await submit();
    expect(repeat.statusCode).toBe(409);
    expect(repeat.body).toContain('retry with the same Idempotency-Key');
    expect(repeat.body).toContain(`name="idempotency_key" value="${form.idempotency_key}"`);
    expect((await first).statusCode).toBe(303);
  });

  it('answers the saved-card list and card removal 503, not 500', async () => {
    t.stripe.injectFault({ kind: '500', when: 'before', path: '/v1/payment_methods', count: 20 });
    t.stripe.injectFault({ kind: '500', when: 'before', path: '/v1/customers', count: 20 });
    const list = await t.app.inject({ method: 'GET', url: '/api/v1/payment_methods', headers: buyer.auth });
    const remove = await t.app.inject({ method: 'DELETE', url: '/api/v1/payment_methods/pm_card_gone', headers: buyer.auth });
    t.stripe.clearFaults();
    expect([list.statusCode, json(list).error.code]).toEqual([503, 'payment_provider_unavailable']);
    expect([remove.statusCode, json(remove).error.code]).toEqual([503, 'payment_provider_unavailable']);
  });
});
