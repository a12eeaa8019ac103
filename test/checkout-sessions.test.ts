import { beforeAll, describe, expect, it, vi } from 'vitest';
import { queryRows } from '../src/db/client.js';
import { FormClient } from './helpers/browser-form.js';
import { atStripe, json, type Member, member, settleWebhooks, type TestApp } from './helpers/app.js';
import { checkoutSessionsSuite } from './helpers/checkout-sessions.js';

/** Stripe-hosted Checkout: POST /api/v1/checkout_sessions, paid through the local Stripe's control API. */
// Opening, settling, canceling sessions, saving the card, the metrics and auto-renew. Reconcile and
// the checkout form's button are in checkout-sessions-reconcile-and-form.test.ts.
const { s, listing, openSession, payOnPage, row, fulfilments, buyerGet, returnPage, openedForListing } = checkoutSessionsSuite();
let t: TestApp;
let poster: Member;
let boss: Member;
beforeAll(() => {
  ({ t, poster, boss } = s);
});

describe('POST /api/v1/checkout_sessions', () => {
  it('answers 201 {charge, url}: our row first, a session for the catalog price naming the row', async () => {
    const res = await openSession({ product: 'job_listing', article_id: await listing() });
    expect(res.statusCode).toBe(201);
    const { charge, url } = json(res);
    expect(charge).toMatchObject({ status: 'pending', amount: 2500, currency: 'usd' });
    const stored = await row(charge.id);
    expect(stored.checkout_session_id).toMatch(/^cs_test_/);
    expect(url).toContain(`/c/pay/${stored.checkout_session_id}`);
    const session = t.stripe.emulator.checkoutSessions.get(stored.checkout_session_id)!;
    expect(session).toMatchObject({ mode: 'payment', amount_total: 2500, currency: 'usd', client_reference_id: String(charge.id), status: 'open' });
    expect(session.customer).toMatch(/^cus_/);
  });

  it('replays the same session for a repeat of the key, and refuses an unknown product with no row', async () => {
    const article = await listing();
    const first = await openSession({ product: 'job_listing', article_id: article }, 'hosted-repeat-key');
    const again = await openSession({ product: 'job_listing', article_id: article }, 'hosted-repeat-key');
    expect(json(again)).toEqual(json(first));
    const bad = await openSession({ product: 'nope' });
    expect(bad.statusCode).toBe(400);
  });

  it('a retry in a later minute finds the session Stripe made for the first try, whose answer was lost', async () => {
    const article = await listing();
    // Stripe makes the session, and every answer to it (the SDK's retries too) is lost: 503, try again.
    t.stripe.injectFault({ kind: '500', when: 'after', rate: 1, path: '/v1/checkout/sessions' });
    const lost = await openSession({ product: 'job_listing', article_id: article }, 'hosted-later-minute');
    t.stripe.clearFaults();
    expect(lost.statusCode).toBe(503);
    const chargeId = json(lost).charge.id as number;
    const made = [...t.stripe.emulator.checkoutSessions.values()].filter((s) => s.client_reference_id === String(chargeId));
    expect(made).toHaveLength(1);
    // The buyer tries again a minute later: expires_at comes out another minute, under the same key.
    vi.useFakeTimers({ toFake: ['Date'] });
    try {
      vi.setSystemTime(Date.now() + 60_000);
      const retry = await openSession({ product: 'job_listing', article_id: article }, 'hosted-later-minute');
      expect(retry.statusCode).toBe(201);
      expect(json(retry).url).toBe(made[0]!.url);
    } finally {
      vi.useRealTimers();
    }
    expect((await row(chargeId)).checkout_session_id).toBe(made[0]!.id);
    expect([...t.stripe.emulator.checkoutSessions.values()].filter((s) => s.client_reference_id === String(chargeId))).toHaveLength(1);
  });
});

describe('a session request that meets Stripe busy or slow', () => {
  it('answers 409 request_in_progress to a repeat of the key while the first is still at Stripe, then the session', async () => {
    const article = await listing();
    // The first request's session takes longer at Stripe than the SDK's retries of the repeat's 409.
    t.stripe.injectFault({ kind: 'slow', when: 'before', delayMs: 4000, path: '/v1/checkout/sessions', method: 'POST', count: 1 });
    const { answer: first } = await atStripe(t, 'POST /v1/checkout/sessions', () => openSession({ product: 'job_listing', article_id: article }, 'hosted-in-progress'));
    const repeat = await openSession({ product: 'job_listing', article_id: article }, 'hosted-in-progress');
    expect(repeat.statusCode).toBe(409);
    expect(json(repeat).error).toMatchObject({ code: 'request_in_progress', message: expect.stringContaining('same Idempotency-Key') });
    expect(json(repeat).charge).toMatchObject({ status: 'pending' });
    const made = await first;
    expect(made.statusCode).toBe(201);
    const again = await openSession({ product: 'job_listing', article_id: article }, 'hosted-in-progress');
    expect([again.statusCode, json(again).url]).toEqual([201, json(made).url]);
  });

  it('opens a session when the request reaches Stripe at the very end of a minute and takes seconds there', async () => {
    const article = await listing();
    vi.useFakeTimers({ toFake: ['Date'], shouldAdvanceTime: true });
    try {
      vi.setSystemTime(Math.floor(Date.now() / 60_000) * 60_000 + 59_500);
      t.stripe.injectFault({ kind: 'slow', when: 'before', delayMs: 2500, path: '/v1/checkout/sessions', method: 'POST', count: 1 });
      const res = await openSession({ product: 'job_listing', article_id: article });
      expect(res.statusCode).toBe(201);
      const session = t.stripe.emulator.checkoutSessions.get((await row(json(res).charge.id)).checkout_session_id)!;
      expect(session.expires_at - session.created).toBeGreaterThanOrEqual(30 * 60);
    } finally {
      t.stripe.clearFaults();
      vi.useRealTimers();
    }
  });
});

describe('settling a session', () => {
  it('paid on the page, then the return page and webhooks (twice) settle it once', async () => {
    const { charge } = json(await openSession({ product: 'job_listing', article_id: await listing() }));
    const sessionId = (await row(charge.id)).checkout_session_id;
    const paid = await payOnPage(sessionId);
    expect(paid.session.status).toBe('complete');
    expect(paid.payment_intent.metadata).toMatchObject({ charge_id: String(charge.id) });
    expect((await returnPage(charge.id)).statusCode).toBe(303);
    expect((await returnPage(charge.id)).statusCode).toBe(303);
    await settleWebhooks(t);
    expect(await row(charge.id)).toMatchObject({ status: 'succeeded', stripe_charge_key: paid.payment_intent.id });
    expect(await fulfilments(charge.id)).toBe(1);
  });

  it('fulfils nothing when the session was paid for another amount than our row', async () => {
    const { charge } = json(await openSession({ product: 'job_listing', article_id: await listing() }));
    const sessionId = (await row(charge.id)).checkout_session_id;
    t.stripe.emulator.checkoutSessions.get(sessionId)!.amount_total = 100;
    await payOnPage(sessionId);
    await returnPage(charge.id);
    await settleWebhooks(t);
    expect((await row(charge.id)).status).toBe('pending');
    expect(await fulfilments(charge.id)).toBe(0);
  });

  it('an expired session cancels the row and buys nothing', async () => {
    const { charge } = json(await openSession({ product: 'job_listing', article_id: await listing() }));
    const sessionId = (await row(charge.id)).checkout_session_id;
    await t.app.payments.stripe.client.checkout.sessions.expire(sessionId);
    await settleWebhooks(t);
    expect((await row(charge.id)).status).toBe('canceled');
    await returnPage(charge.id);
    expect((await row(charge.id)).status).toBe('canceled');
    expect(await fulfilments(charge.id)).toBe(0);
  });
});

describe("leaving Stripe's page by its cancel link", () => {
  it('ends the session at Stripe and cancels the row at once: "Canceled: nothing was charged", with a Try again button', async () => {
    const { charge, sessionId } = await openedForListing();
    const session = t.stripe.emulator.checkoutSessions.get(sessionId)!;
    expect(session.cancel_url).toBe(`${new URL(session.success_url!).origin}/charges/${charge.id}/cancel`);
    const back = await buyerGet(`/charges/${charge.id}/cancel`);
    expect([back.statusCode, back.headers.location]).toEqual([303, `/charges/${charge.id}`]);
    expect(session.status).toBe('expired');
    expect((await row(charge.id)).status).toBe('canceled');
    const page = await buyerGet(`/charges/${charge.id}`);
    expect(page.body).toContain('Canceled: nothing was charged.');
    expect(page.body).toMatch(/<a href="[^"]+" data-pay-again="true" class="button">Try again<\/a>/);
    await settleWebhooks(t);
    expect((await row(charge.id)).status).toBe('canceled');
    expect(await fulfilments(charge.id)).toBe(0);
  });

  it("keeps a session paid before the link was followed paid, and answers 404 for another member's charge", async () => {
    const { charge, sessionId } = await openedForListing();
    const stranger = new FormClient(t.app);
    const other = await member(t.app);
    await stranger.submit('/login', '/login', { email: other.email, password: other.password });
    expect((await stranger.get(`/charges/${charge.id}/cancel`)).statusCode).toBe(404);
    expect(t.stripe.emulator.checkoutSessions.get(sessionId)!.status).toBe('open');
    await payOnPage(sessionId);
    await returnPage(charge.id);
    expect((await buyerGet(`/charges/${charge.id}/cancel`)).statusCode).toBe(303);
    await settleWebhooks(t);
    expect((await row(charge.id)).status).toBe('succeeded');
    expect(await fulfilments(charge.id)).toBe(1);
  });
});

describe("saving the card on Stripe's page", () => {
  it('offers saving; a card saved there is in our saved cards and offered on the next page', async () => {
    const { charge, sessionId } = await openedForListing();
    expect(t.stripe.emulator.checkoutSessions.get(sessionId)!.saved_payment_method_options).toMatchObject({ payment_method_save: 'enabled' });
    const page = await fetch(t.stripe.emulator.checkoutSessions.get(sessionId)!.url!);
    expect(await page.text()).toContain('Save this card');
    const paid = await payOnPage(sessionId, 'pm_card_mastercard', true);
    expect(paid.session.status).toBe('complete');
    await returnPage(charge.id);
    const cards = json(await t.app.inject({ method: 'GET', url: '/api/v1/payment_methods', headers: poster.auth })).payment_methods as { id: string }[];
    expect(cards.map((c) => c.id)).toContain(paid.payment_intent.payment_method);
    const saved = t.stripe.emulator.paymentMethods.get(paid.payment_intent.payment_method as string)!;
    expect(saved.allow_redisplay).toBe('always');
    const next = json(await openSession({ product: 'job_listing', article_id: await listing() }));
    const nextPage = await (await fetch(next.url)).text();
    expect(nextPage).toContain(saved.id);
  });
});

describe('/metrics', () => {
  const scrape = async () => (await t.app.inject({ method: 'GET', url: '/metrics', headers: boss.auth })).body;
  const value = (text: string, outcome: string) => {
    const series = `devboard_checkouts_total{product="job_listing",way="hosted_page",outcome="${outcome}"} `;
    const line = text.split('\n').find((l) => l.startsWith(series));
    return line ? Number(line.slice(series.length)) : 0;
  };

  it('counts hosted checkouts by product, way and outcome: opened, then paid or canceled when they end', async () => {
    const before = await scrape();
    const paid = json(await openSession({ product: 'job_listing', article_id: await listing() })).charge;
    await payOnPage((await row(paid.id)).checkout_session_id);
    await returnPage(paid.id);
    const abandoned = json(await openSession({ product: 'job_listing', article_id: await listing() })).charge;
    await t.app.payments.stripe.client.checkout.sessions.expire((await row(abandoned.id)).checkout_session_id);
    await settleWebhooks(t);
    await returnPage(abandoned.id);
    const after = await scrape();
    const delta = (outcome: string) => value(after, outcome) - value(before, outcome);
    expect([delta('opened'), delta('succeeded'), delta('canceled')]).toEqual([2, 1, 1]);
  });
});

describe("the auto-renew box on Stripe's page", () => {
  it('arrives as a boolean from the hosted-page form and keeps the card typed there for the renewals', async () => {
    const fresh = await member(t.app);
    const browser = new FormClient(t.app);
    await browser.submit('/login', '/login', { email: fresh.email, password: fresh.password });
    const fields = { product: 'billboard', headline: 'Hosted renewing ad', link_url: 'https://ad.example', image_url: '', auto_renew: 'on', payment_method: 'new', idempotency_key: 'hosted-auto-renew' };
    const sent = await browser.submit('/charges/new?product=billboard', '/checkout_sessions', fields);
    expect(sent.statusCode).toBe(303);
    const [charge] = await queryRows<{ id: number; auto_renew: unknown; checkout_session_id: string }>(
      t.database.db,
      `select id, product_data->'auto_renew' as auto_renew, checkout_session_id from charges where user_id = ${fresh.id}`,
    );
    expect(charge!.auto_renew).toBe(true);
    // Paid on Stripe's page without its own "save" box: the session asked Stripe to keep the card.
    await payOnPage(charge!.checkout_session_id);
    await browser.get(`/charges/${charge!.id}/return`);
    expect((await row(charge!.id)).status).toBe('succeeded');
    expect(json(await t.app.inject({ method: 'GET', url: '/api/v1/payment_methods', headers: fresh.auth })).payment_methods).toHaveLength(1);
  });
});
