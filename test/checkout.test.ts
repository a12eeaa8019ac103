import { beforeAll, describe, expect, it } from 'vitest';
import { queryRows } from '../src/db/client.js';
import { products } from '../src/products/index.js';
import { WEEK_MS } from '../src/products/period.js';
import { type Member, member, grantJobs, json, START, secondInstance, settleWebhooks, type TestApp } from './helpers/app.js';
import { FormClient } from './helpers/browser-form.js';
import { checkoutSuite } from './helpers/checkout.js';

// Paying through the API: the catalog, a job listing paid, its failures and 3-D Secure, the billboard.
// The checkout pages and who may buy what are in checkout-pages-and-access.test.ts.
const { s, newKey, listing, pay, jobIds, count } = checkoutSuite();
let t: TestApp;
let boss: Member;
let poster: Member;
beforeAll(() => {
  ({ t, boss, poster } = s);
});

describe('catalog', () => {
  it('lists products with server-side prices', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/api/v1/products' });
    const listed = json(res).products as Array<{ id: string }>;
    // Every registered product, in the registry's order; a product added later tests its own entry.
    expect(listed.map((p) => p.id)).toEqual(products.map((p) => p.id));
    expect(listed.map((p) => p.id).slice(0, 3)).toEqual(['job_listing', 'billboard', 'featured_article']);
    expect(listed).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ id: 'job_listing', amount: 2500, currency: 'usd', requires: ['article_id'] }),
        expect.objectContaining({ id: 'billboard', amount: 4900, currency: 'usd', requires: ['headline', 'link_url'] }),
        expect.objectContaining({ id: 'featured_article', amount: 1500, currency: 'usd', requires: ['article_id'] }),
        // Shown at one credit's price: a purchase costs the quote for its quantity.
        expect.objectContaining({ id: 'credit_pack', amount: 2500, currency: 'usd', requires: ['quantity'] }),
      ]),
    );
  });
});

describe('paying for a job listing', () => {
  it('succeeds with a new card, maps the customer, fulfils once and lists the job for a week', async () => {
    t.clock.set(START);
    const a = await listing();
    expect(await jobIds()).not.toContain(a.id);
    const res = await pay(poster, { product: 'job_listing', article_id: a.id, payment_method: 'pm_card_visa' });
    expect(res.statusCode).toBe(201);
    const charge = json(res).charge;
    expect(charge).toMatchObject({
      status: 'succeeded',
      product: 'job_listing',
      article_id: a.id,
      amount: 2500,
      currency: 'usd',
      card_brand: 'visa',
      card_last4: '4242',
      failure_code: null,
      amount_refunded: 0,
      paid_at: START.toISOString(),
      paid_until: new Date(START.getTime() + WEEK_MS).toISOString(),
    });
    expect(charge.stripe_charge_key).toMatch(/^pi_/);
    expect(await jobIds()).toContain(a.id);
    const [row] = await queryRows<{ stripe_customer_key: string }>(t.database.db, `select stripe_customer_key from users where id = ${poster.id}`);
    expect(row!.stripe_customer_key).toMatch(/^cus_/);
    expect(await count(`fulfilments where charge_id = ${charge.id}`)).toBe(1);
    const [stored] = await queryRows<{ stripe_latest_charge: string }>(t.database.db, `select stripe_latest_charge from charges where id = ${charge.id}`);
    expect(stored!.stripe_latest_charge).toMatch(/^ch_/);
    // The PaymentIntent carries our row's id, so reconcile can find the row from Stripe's side.
    const pi = t.stripe.emulator.paymentIntents.get(charge.stripe_charge_key)!;
    expect(pi.metadata).toMatchObject({ charge_id: String(charge.id), product: 'job_listing', article_id: String(a.id) });
  });

  it('replays the first answer for the same key without calling Stripe again', async () => {
    const a = await listing();
    const key = newKey();
    // Webhooks are held so that only the checkout path's own Stripe calls are counted.
    t.stripe.setDeliveryFaults({ hold: true });
    const first = await pay(poster, { product: 'job_listing', article_id: a.id, payment_method: 'pm_card_visa' }, key);
    const calls = t.stripe.requestCount();
    const second = await pay(poster, { product: 'job_listing', article_id: a.id, payment_method: 'pm_card_visa' }, key);
    expect(second.statusCode).toBe(first.statusCode);
    expect(second.json()).toEqual(first.json());
    expect(t.stripe.requestCount()).toBe(calls);
    const conflict = await pay(poster, { product: 'job_listing', article_id: a.id, payment_method: 'pm_card_mastercard' }, key);
    expect(conflict.statusCode).toBe(409);
    t.stripe.setDeliveryFaults({});
    t.stripe.webhooks.release();
  });

  it('makes one PaymentIntent and one row from 20 concurrent requests with one key', async () => {
    const a = await listing();
    const key = newKey();
    const before = t.stripe.emulator.paymentIntents.size;
    const results = await Promise.all(
      Array.from({ length: 20 }, () => pay(poster, { product: 'job_listing', article_id: a.id, payment_method: 'pm_card_visa' }, key)),
    );
    expect(new Set(results.map((r) => r.statusCode))).toEqual(new Set([201]));
    expect(new Set(results.map((r) => json(r).charge.id)).size).toBe(1);
    expect(t.stripe.emulator.paymentIntents.size).toBe(before + 1);
    expect(await count(`charges where article_id = ${a.id}`)).toBe(1);
    expect(await count(`fulfilments f join charges c on c.id = f.charge_id where c.article_id = ${a.id}`)).toBe(1);
  });

  it('saves the card, pays again with it in one Stripe call, and bumps the listing a week further', async () => {
    t.clock.set(new Date(START.getTime() + 5 * WEEK_MS));
    const buyer = await member(t.app);
    await grantJobs(t, boss, buyer.id);
    const a = await listing(buyer);
    const other = await listing(buyer);
    const first = await pay(buyer, { product: 'job_listing', article_id: a.id, payment_method: 'pm_card_mastercard', save_card: true });
    expect(first.statusCode).toBe(201);
    const cards = json(await t.app.inject({ method: 'GET', url: '/api/v1/payment_methods', headers: buyer.auth })).payment_methods;
    expect(cards).toEqual([{ id: expect.stringMatching(/^pm_/), brand: 'mastercard', last4: '4444', exp_month: 12, exp_year: expect.any(Number) }]);

    t.clock.advance(24 * 3600e3);
    await pay(buyer, { product: 'job_listing', article_id: other.id, payment_method: cards[0].id });
    expect((await jobIds()).indexOf(other.id)).toBeLessThan((await jobIds()).indexOf(a.id));

    t.clock.advance(24 * 3600e3);
    await settleWebhooks(t);
    t.stripe.setDeliveryFaults({ hold: true });
    t.stripe.requestCounts.clear();
    const again = await pay(buyer, { product: 'job_listing', article_id: a.id, payment_method: cards[0].id });
    expect(again.statusCode).toBe(201);
    expect(t.stripe.requestCount()).toBe(1);
    expect(t.stripe.requestCount('POST /v1/payment_intents')).toBe(1);
    t.stripe.setDeliveryFaults({});
    t.stripe.webhooks.release();
    expect(json(again).charge.paid_until).toBe(new Date(START.getTime() + 7 * WEEK_MS).toISOString());
    const ids = await jobIds();
    expect(ids.indexOf(a.id)).toBeLessThan(ids.indexOf(other.id));
  });

  it('makes an expired listing live for a week from the new payment', async () => {
    t.clock.set(new Date(START.getTime() + 10 * WEEK_MS));
    const a = await listing();
    await pay(poster, { product: 'job_listing', article_id: a.id, payment_method: 'pm_card_visa' });
    t.clock.advance(2 * WEEK_MS);
    expect(await jobIds()).not.toContain(a.id);
    const res = await pay(poster, { product: 'job_listing', article_id: a.id, payment_method: 'pm_card_visa' });
    expect(json(res).charge.paid_until).toBe(new Date(t.clock.now().getTime() + WEEK_MS).toISOString());
    expect(await jobIds()).toContain(a.id);
  });

  it('recomputes the window from every charge when a payment settles after a later one', async () => {
    const t0 = new Date(START.getTime() + 20 * WEEK_MS);
    const a = await listing();
    t.clock.set(new Date(t0.getTime() + 24 * 3600e3));
    await pay(poster, { product: 'job_listing', article_id: a.id, payment_method: 'pm_card_visa' });
    // A payment stamped a day earlier settles second (as when two settle concurrently).
    t.clock.set(t0);
    const late = await pay(poster, { product: 'job_listing', article_id: a.id, payment_method: 'pm_card_visa' });
    // Extending from the stored window would give t0 + 1 day + 2 weeks; the charges give t0 + 2 weeks.
    expect(json(late).charge.paid_until).toBe(new Date(t0.getTime() + 2 * WEEK_MS).toISOString());
    const [row] = await queryRows<{ bumped_at: Date | string }>(t.database.db, `select bumped_at from articles where id = ${a.id}`);
    expect(new Date(row!.bumped_at).toISOString()).toBe(new Date(t0.getTime() + 24 * 3600e3).toISOString());
  });

  it('publishes a draft listing when it is paid (Publish and pay)', async () => {
    const draft = await listing(poster, false);
    await pay(poster, { product: 'job_listing', article_id: draft.id, payment_method: 'pm_card_visa' });
    const article = json(await t.app.inject({ method: 'GET', url: `/api/v1/articles/${draft.id}` })).article;
    expect(article.published).toBe(true);
    expect(await jobIds()).toContain(draft.id);
  });
});

describe('failures', () => {
  it('records a decline with Stripe message and fulfils nothing', async () => {
    const a = await listing();
    const res = await pay(poster, { product: 'job_listing', article_id: a.id, payment_method: 'pm_card_visa_chargeDeclinedInsufficientFunds' });
    expect(res.statusCode).toBe(402);
    expect(json(res).error).toEqual({ code: 'card_declined', decline_code: 'insufficient_funds', message: 'Your card has insufficient funds.' });
    expect(json(res).charge).toMatchObject({ status: 'failed', failure_code: 'card_declined', failure_message: 'Your card has insufficient funds.', paid_at: null });
    expect(await jobIds()).not.toContain(a.id);
    expect(await count(`fulfilments f join charges c on c.id = f.charge_id where c.article_id = ${a.id}`)).toBe(0);
    // A new attempt (new key) with another card works.
    const retry = await pay(poster, { product: 'job_listing', article_id: a.id, payment_method: 'pm_card_visa' });
    expect(retry.statusCode).toBe(201);
  });

  it.each([
    ['pm_card_chargeDeclinedExpiredCard', 'expired_card'],
    ['pm_card_chargeDeclinedIncorrectCvc', 'incorrect_cvc'],
    ['pm_card_chargeDeclinedProcessingError', 'processing_error'],
    ['pm_card_radarBlock', 'card_declined'],
  ])('fails %s with %s', async (pm, code) => {
    const a = await listing();
    const res = await pay(poster, { product: 'job_listing', article_id: a.id, payment_method: pm });
    expect(res.statusCode).toBe(402);
    expect(json(res).error.code).toBe(code);
  });

  it('says the provider is unreachable, keeps the row pending, and settles it on retry with the same key', async () => {
    const a = await listing();
    const key = newKey();
    t.stripe.injectFault({ kind: '500', when: 'before', path: '/v1/payment_intents', count: 10 });
    const res = await pay(poster, { product: 'job_listing', article_id: a.id, payment_method: 'pm_card_visa' }, key);
    expect(res.statusCode).toBe(503);
    expect(json(res).error.message).toBe('We could not reach our payment provider; you have not been charged twice — try again.');
    expect(json(res).charge.status).toBe('pending');
    t.stripe.clearFaults();
    const retry = await pay(poster, { product: 'job_listing', article_id: a.id, payment_method: 'pm_card_visa' }, key);
    expect(retry.statusCode).toBe(201);
    expect(json(retry).charge.id).toBe(json(res).charge.id);
    expect(await count(`charges where article_id = ${a.id}`)).toBe(1);
  });

  it("answers the row as it stands when another instance's call with the same key is still at Stripe (409), and settles once", async () => {
    const second = await secondInstance(t);
    try {
      const a = await listing();
      const key = newKey();
      const body = { product: 'job_listing', article_id: a.id, payment_method: 'pm_card_visa' };
      // The first instance's create-and-confirm is held at Stripe long enough for every retry of the second's.
      t.stripe.injectFault({ kind: 'slow', when: 'before', delayMs: 6_000, path: '/v1/payment_intents', method: 'POST', count: 1 });
      const first = pay(poster, body, key);
      while (t.stripe.requestCount('POST /v1/payment_intents') === 0) await new Promise((r) => setTimeout(r, 20));
      const meanwhile = await second.app.inject({ method: 'POST', url: '/api/v1/charges', headers: { ...poster.auth, 'idempotency-key': key }, payload: body });
      expect(meanwhile.statusCode, meanwhile.body).toBe(202);
      expect(json(meanwhile).charge).toMatchObject({ status: 'pending' });
      const done = await first;
      expect(done.statusCode).toBe(201);
      const again = await second.app.inject({ method: 'POST', url: '/api/v1/charges', headers: { ...poster.auth, 'idempotency-key': key }, payload: body });
      expect(again.statusCode).toBe(201);
      expect(json(again).charge.id).toBe(json(done).charge.id);
      expect(await count(`charges where article_id = ${a.id}`)).toBe(1);
      // Stripe answered the second call 409 rather than making a second PaymentIntent.
      const intents = [...t.stripe.emulator.paymentIntents.values()].filter((pi) => pi.metadata.charge_id === String(json(done).charge.id));
      expect(intents).toHaveLength(1);
      expect(await count(`fulfilments f join charges c on c.id = f.charge_id where c.article_id = ${a.id}`)).toBe(1);
    } finally {
      await second.close();
    }
  });

  it('processes the payment_intent.succeeded that arrives while its checkout is still settling without re-reading the intent', async () => {
    const a = await listing();
    // Stripe charges and sends the event, and its answer is held back: the SDK's retry gets it later.
    t.stripe.injectFault({ kind: 'timeout', when: 'after', timeoutMs: 300, path: '/v1/payment_intents', method: 'POST' });
    const rereads = () => t.stripe.requestCount('GET /v1/payment_intents/:id');
    const before = rereads();
    const paid = pay(poster, { product: 'job_listing', article_id: a.id, payment_method: 'pm_card_visa' });
    const row = async () => (await queryRows<{ id: number; status: string }>(t.database.db, `select id, status from charges where article_id = ${a.id}`))[0];
    while (!(await count(`stripe_events where type = 'payment_intent.succeeded' and payload->'data'->'object'->'metadata'->>'article_id' = '${a.id}'`))) {
      await new Promise((r) => setTimeout(r, 20));
    }
    expect((await row())!.status).toBe('pending');
    await t.app.payments.worker.kick();
    const res = await paid;
    expect(res.statusCode).toBe(201);
    expect(rereads()).toBe(before);
    expect(await count(`stripe_events where type = 'payment_intent.succeeded' and payload->'data'->'object'->'metadata'->>'article_id' = '${a.id}' and outcome = 'handled'`)).toBe(1);
    expect(await count(`fulfilments where charge_id = ${(await row())!.id}`)).toBe(1);
  });

  it('survives a response lost after Stripe charged: one PaymentIntent, settled', async () => {
    const a = await listing();
    const before = t.stripe.emulator.paymentIntents.size;
    t.stripe.injectFault({ kind: 'reset', when: 'after', path: '/v1/payment_intents' });
    const res = await pay(poster, { product: 'job_listing', article_id: a.id, payment_method: 'pm_card_visa' });
    expect(res.statusCode).toBe(201);
    expect(t.stripe.emulator.paymentIntents.size).toBe(before + 1);
  });
});

describe('3-D Secure', () => {
  it('asks for authentication, then settles from Stripe after it completes', async () => {
    const a = await listing();
    const res = await pay(poster, { product: 'job_listing', article_id: a.id, payment_method: 'pm_card_authenticationRequired' });
    expect(res.statusCode).toBe(202);
    const charge = json(res).charge;
    expect(charge.status).toBe('requires_action');
    expect(charge.client_secret).toMatch(/^pi_.+_secret_/);
    // Confirming before authentication changes nothing.
    const early = await t.app.inject({ method: 'POST', url: `/api/v1/charges/${charge.id}/confirm`, headers: poster.auth });
    expect(early.statusCode).toBe(202);
    t.stripe.emulator.authenticate(charge.stripe_charge_key, 'complete', { id: 'req_test', idempotencyKey: null });
    const done = await t.app.inject({ method: 'POST', url: `/api/v1/charges/${charge.id}/confirm`, headers: poster.auth });
    expect(done.statusCode).toBe(201);
    expect(json(done).charge).toMatchObject({ status: 'succeeded', card_last4: '3184' });
    expect(await jobIds()).toContain(a.id);
  });

  it('answers 503 with the charge unchanged when Stripe cannot be reached after authentication', async () => {
    const a = await listing();
    const charge = json(await pay(poster, { product: 'job_listing', article_id: a.id, payment_method: 'pm_card_authenticationRequired' })).charge;
    t.stripe.emulator.authenticate(charge.stripe_charge_key, 'complete', { id: 'req_test', idempotencyKey: null });
    // More failures than the SDK's retries: the re-read cannot happen now.
    t.stripe.injectFault({ kind: '500', when: 'before', path: `/v1/payment_intents/${charge.stripe_charge_key}`, count: 10 });
    const down = await t.app.inject({ method: 'POST', url: `/api/v1/charges/${charge.id}/confirm`, headers: poster.auth });
    expect(down.statusCode).toBe(503);
    expect(json(down).error.code).toBe('payment_provider_unavailable');
    expect(json(down).charge).toMatchObject({ id: charge.id, status: 'requires_action' });
    t.stripe.clearFaults();
    const done = await t.app.inject({ method: 'POST', url: `/api/v1/charges/${charge.id}/confirm`, headers: poster.auth });
    expect(done.statusCode).toBe(201);
    expect(json(done).charge.status).toBe('succeeded');
  });

  it('creates the PaymentIntent as Stripe requires since 2023-08-16, and the return page re-reads it from Stripe', async () => {
    const a = await listing();
    const charge = json(await pay(poster, { product: 'job_listing', article_id: a.id, payment_method: 'pm_card_authenticationRequired' })).charge;
    // Automatic payment methods confirmed on-session need a return_url (Stripe's changelog, 2023-08-16).
    const intent = t.stripe.emulator.paymentIntents.get(charge.stripe_charge_key)!;
    expect(intent.automatic_payment_methods).toMatchObject({ enabled: true });
    expect(intent.next_action?.type).toBe('use_stripe_sdk');
    const browser = new FormClient(t.app);
    await browser.submit('/login', '/login', { email: poster.email, password: poster.password });
    t.stripe.emulator.authenticate(charge.stripe_charge_key, 'complete', { id: 'req_test', idempotencyKey: null });
    // The query string Stripe appends is not evidence: the verdict comes from re-reading the intent.
    const back = await browser.get(`/charges/${charge.id}/return?payment_intent=${charge.stripe_charge_key}&redirect_status=failed`);
    expect(back.statusCode).toBe(303);
    expect(back.headers.location).toBe(`/charges/${charge.id}`);
    const row = json(await t.app.inject({ method: 'GET', url: `/api/v1/charges/${charge.id}`, headers: poster.auth })).charge;
    expect(row.status).toBe('succeeded');
    expect(await jobIds()).toContain(a.id);
    // Someone else's return link reveals nothing and settles nothing.
    const stranger = await member(t.app);
    const other = new FormClient(t.app);
    await other.submit('/login', '/login', { email: stranger.email, password: stranger.password });
    expect((await other.get(`/charges/${charge.id}/return`)).statusCode).toBe(404);
  });

  it('fails when authentication fails', async () => {
    const a = await listing();
    const charge = json(await pay(poster, { product: 'job_listing', article_id: a.id, payment_method: 'pm_card_authenticationRequired' })).charge;
    t.stripe.emulator.authenticate(charge.stripe_charge_key, 'fail', { id: 'req_test', idempotencyKey: null });
    const done = await t.app.inject({ method: 'POST', url: `/api/v1/charges/${charge.id}/confirm`, headers: poster.auth });
    expect(done.statusCode).toBe(402);
    expect(json(done).error.code).toBe('payment_intent_authentication_failure');
    expect(await jobIds()).not.toContain(a.id);
  });
});

describe('billboard, the second product', () => {
  it('sells a week of sidebar ad through the same flow', async () => {
    t.clock.set(new Date(START.getTime() + 40 * WEEK_MS));
    const advertiser = await member(t.app);
    const res = await pay(advertiser, {
      product: 'billboard',
      payment_method: 'pm_card_amex',
      headline: 'Ship faster with Acme CI',
      link_url: 'https://acme.example/ci',
      image_url: 'https://acme.example/ci.png',
    });
    expect(res.statusCode).toBe(201);
    expect(json(res).charge).toMatchObject({ product: 'billboard', amount: 4900, article_id: null, card_brand: 'amex' });
    const jobs = await t.app.inject({ method: 'GET', url: '/jobs' });
    expect(jobs.body).toContain('Ship faster with Acme CI');
    expect((await t.app.inject({ method: 'GET', url: '/' })).body).toContain('Ship faster with Acme CI');
    t.clock.advance(WEEK_MS);
    expect((await t.app.inject({ method: 'GET', url: '/jobs' })).body).not.toContain('Ship faster with Acme CI');
  });
});

describe('a customer deleted at Stripe', () => {
  it('is replaced by a new one on the next payment', async () => {
    const a = await listing();
    await pay(poster, { product: 'job_listing', article_id: a.id, payment_method: 'pm_card_visa' });
    const [before] = await queryRows<{ key: string }>(t.database.db, `select stripe_customer_key as key from users where id = ${poster.id}`);
    t.stripe.emulator.deleteCustomer(before!.key, { id: 'req_t', idempotencyKey: null });
    const res = await pay(poster, { product: 'job_listing', article_id: a.id, payment_method: 'pm_card_visa' });
    expect(res.statusCode).toBe(201);
    const [after] = await queryRows<{ key: string }>(t.database.db, `select stripe_customer_key as key from users where id = ${poster.id}`);
    expect(after!.key).toMatch(/^cus_/);
    expect(after!.key).not.toBe(before!.key);
  });
});
