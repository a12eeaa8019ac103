import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { queryRows } from '../src/db/client.js';
import { admin, grantJobs, json, type Member, member, startTestApp, type TestApp } from './helpers/app.js';

/** POST /api/v1/charges with the Payment Element's ConfirmationToken in place of a saved card. */
let t: TestApp;
let poster: Member;

beforeAll(async () => {
  t = await startTestApp();
  const boss = await admin(t);
  poster = await member(t.app);
  await grantJobs(t, boss, poster.id);
});
afterAll(() => t.close());
beforeEach(() => t.stripe.clearFaults());

let seq = 0;
const newKey = () => `ctoken-key-${++seq}-${Math.random().toString(36).slice(2)}`;

async function listing() {
  const res = await t.app.inject({
    method: 'POST',
    url: '/api/v1/articles',
    headers: poster.auth,
    payload: { title: `Token job ${++seq}`, body_markdown: 'We are hiring.', job_listing: true, published: true },
  });
  return json(res).article.id as number;
}

/** What the browser's createConfirmationToken would send, made server-side with Stripe's test helper. */
const tokenFor = async (paymentMethod: string) => (await t.app.payments.stripe.client.testHelpers.confirmationTokens.create({ payment_method: paymentMethod })).id;

const pay = (payload: Record<string, unknown>, key = newKey()) =>
  t.app.inject({ method: 'POST', url: '/api/v1/charges', headers: { ...poster.auth, 'idempotency-key': key }, payload });

const count = async (sql: string) => (await queryRows<{ n: number }>(t.database.db, `select count(*)::int as n from ${sql}`))[0]!.n;

describe('paying with a confirmation_token', () => {
  it('charges a new card: 201, the catalog price on a PaymentIntent naming our row, and one fulfilment', async () => {
    const article = await listing();
    const res = await pay({ product: 'job_listing', article_id: article, confirmation_token: await tokenFor('pm_card_visa') });
    expect(res.statusCode).toBe(201);
    const charge = json(res).charge;
    expect(charge).toMatchObject({ status: 'succeeded', amount: 2500, currency: 'usd', card_brand: 'visa', card_last4: '4242' });
    const pi = t.stripe.emulator.paymentIntents.get(charge.payment_intent)!;
    expect(pi).toMatchObject({ amount: 2500, currency: 'usd', metadata: expect.objectContaining({ charge_id: String(charge.id) }) });
    expect(await count(`fulfilments where charge_id = ${charge.id}`)).toBe(1);
  });

  it('saves the card when asked, so it is listed for the next purchase', async () => {
    const article = await listing();
    const res = await pay({ product: 'job_listing', article_id: article, confirmation_token: await tokenFor('pm_card_mastercard'), save_card: true });
    expect(res.statusCode).toBe(201);
    const cards = json(await t.app.inject({ method: 'GET', url: '/api/v1/payment_methods', headers: poster.auth })).payment_methods;
    expect(cards.map((c: { last4: string }) => c.last4)).toContain('4444');
  });

  it('answers 402 for a declined card, and the row says failed', async () => {
    const article = await listing();
    const res = await pay({ product: 'job_listing', article_id: article, confirmation_token: await tokenFor('pm_card_chargeDeclinedInsufficientFunds') });
    expect(res.statusCode).toBe(402);
    expect(json(res).error).toMatchObject({ code: 'card_declined', decline_code: 'insufficient_funds' });
    expect(json(res).charge.status).toBe('failed');
    expect(await count(`fulfilments where charge_id = ${json(res).charge.id}`)).toBe(0);
  });

  it('answers 202 with a client_secret for 3-D Secure, then settles on confirm', async () => {
    const article = await listing();
    const res = await pay({ product: 'job_listing', article_id: article, confirmation_token: await tokenFor('pm_card_authenticationRequired') });
    expect(res.statusCode).toBe(202);
    const charge = json(res).charge;
    expect(charge.client_secret).toMatch(/^pi_.+_secret_/);
    t.stripe.emulator.authenticate(charge.payment_intent, 'complete', { id: 'req_test', idempotencyKey: null });
    const done = await t.app.inject({ method: 'POST', url: `/api/v1/charges/${charge.id}/confirm`, headers: poster.auth });
    expect(done.statusCode).toBe(201);
    expect(json(done).charge).toMatchObject({ status: 'succeeded', card_last4: '3184' });
    expect(await count(`fulfilments where charge_id = ${charge.id}`)).toBe(1);
  });

  it('replays the first answer for a repeat of the key, and refuses the key for the other source (409)', async () => {
    const article = await listing();
    const key = newKey();
    const body = { product: 'job_listing', article_id: article, confirmation_token: await tokenFor('pm_card_visa') };
    const first = await pay(body, key);
    const again = await pay(body, key);
    expect(again.statusCode).toBe(first.statusCode);
    expect(again.json()).toEqual(first.json());
    const other = await pay({ product: 'job_listing', article_id: article, payment_method: 'pm_card_visa' }, key);
    expect(other.statusCode).toBe(409);
    expect(json(other).error.code).toBe('idempotency_key_reused');
  });

  it('fails a used token with a clear message, charging nothing', async () => {
    const token = await tokenFor('pm_card_visa');
    expect((await pay({ product: 'job_listing', article_id: await listing(), confirmation_token: token })).statusCode).toBe(201);
    const reused = await pay({ product: 'job_listing', article_id: await listing(), confirmation_token: token });
    expect(reused.statusCode).toBe(402);
    expect(json(reused).error.code).toBe('confirmation_token_invalid');
    expect(json(reused).charge.status).toBe('failed');
  });
});

describe('exactly one of payment_method and confirmation_token', () => {
  it('refuses both, and neither, with a field error and no row', async () => {
    const article = await listing();
    const before = await count('charges');
    const both = await pay({ product: 'job_listing', article_id: article, payment_method: 'pm_card_visa', confirmation_token: await tokenFor('pm_card_visa') });
    expect(both.statusCode).toBe(400);
    expect(json(both).error.fields).toMatchObject({ confirmation_token: 'Send payment_method or confirmation_token, not both.' });
    const neither = await pay({ product: 'job_listing', article_id: article });
    expect(neither.statusCode).toBe(400);
    expect(json(neither).error.fields.payment_method).toMatch(/^Required/);
    const malformed = await pay({ product: 'job_listing', article_id: article, confirmation_token: 'pm_card_visa' });
    expect(malformed.statusCode).toBe(400);
    expect(json(malformed).error.fields).toMatchObject({ confirmation_token: 'A ConfirmationToken id (ctoken_…).' });
    expect(await count('charges')).toBe(before);
  });
});
