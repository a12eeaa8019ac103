import Stripe from 'stripe';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type LocalStripe, startLocalStripe } from '../index.js';
import { apiError, cardOnly } from './helpers.js';

/** Rules of Stripe's HTTP layer, each as docs/local-stripe.md cites it. */
let local: LocalStripe;
let stripe: Stripe;

beforeAll(async () => {
  local = await startLocalStripe({ deterministic: true });
  stripe = new Stripe(local.secretKey, { host: '127.0.0.1', port: local.port, protocol: 'http', maxNetworkRetries: 0 });
});
afterAll(() => local.close());
beforeEach(() => local.reset());

const client = (options: Stripe.StripeConfig = {}) => new Stripe(local.secretKey, { host: '127.0.0.1', port: local.port, protocol: 'http', ...options });

describe('idempotency', () => {
  const params = { amount: 2500, currency: 'usd', payment_method: 'pm_card_visa', automatic_payment_methods: cardOnly, confirm: true };

  it('answers a second request while the first with its key is in flight with 409, then replays it', async () => {
    local.injectFault({ kind: 'slow', when: 'before', delayMs: 300, path: '/v1/payment_intents' });
    const first = stripe.paymentIntents.create(params, { idempotencyKey: 'in-flight' });
    await new Promise((resolve) => setTimeout(resolve, 50));
    const second = await apiError(stripe.paymentIntents.create(params, { idempotencyKey: 'in-flight' }));
    const created = await first;
    // This SDK raises a 409 as a StripeAPIError; the body's type says what it is.
    expect(second.statusCode).toBe(409);
    expect((second.raw as { type?: string }).type).toBe('idempotency_error');
    expect(second.message).toMatch(
      /^There is currently another in-progress request using this Idempotent Key \(that probably means you submitted twice, and the other request is still going through\): in-flight\. Please try again later\.$/,
    );
    expect(local.emulator.paymentIntents.size).toBe(1);
    expect(created.lastResponse.headers['idempotent-replayed']).toBeUndefined();

    const replay = await stripe.paymentIntents.create(params, { idempotencyKey: 'in-flight' });
    expect(replay.id).toBe(created.id);
    expect(replay.lastResponse.headers['idempotent-replayed']).toBe('true');
    expect(replay.lastResponse.headers['original-request']).toBe(created.lastResponse.requestId);
    expect(replay.lastResponse.requestId).not.toBe(created.lastResponse.requestId);
  });

  it('lets the SDK ride out the 409 by retrying, ending with one object', async () => {
    local.injectFault({ kind: 'slow', when: 'before', delayMs: 200, path: '/v1/payment_intents' });
    const retrying = client({ maxNetworkRetries: 3 });
    const results = await Promise.all([0, 1, 2].map(() => retrying.paymentIntents.create(params, { idempotencyKey: 'retried' })));
    expect(new Set(results.map((r) => r.id)).size).toBe(1);
    expect(local.emulator.paymentIntents.size).toBe(1);
    expect(results.filter((r) => r.lastResponse.headers['idempotent-replayed'] === 'true')).toHaveLength(2);
  });
});

describe('API versions', () => {
  it('echoes the version asked for, and refuses one it does not know', async () => {
    const pinned = await stripe.customers.create({});
    expect(pinned.lastResponse.headers['stripe-version']).toBe(Stripe.API_VERSION);
    const older = await client({ apiVersion: '2024-06-20' as Stripe.LatestApiVersion }).customers.create({});
    expect(older.lastResponse.headers['stripe-version']).toBe('2024-06-20');
    const unknown = await apiError(client({ apiVersion: '2099-01-01' as Stripe.LatestApiVersion }).customers.create({}));
    expect(unknown).toMatchObject({ statusCode: 400, type: 'StripeInvalidRequestError', message: 'Invalid Stripe API version: 2099-01-01' });
    expect(local.emulator.customers.size).toBe(2);
  });
});

describe('errors', () => {
  it('name their request log page, whatever refused them', async () => {
    const missing = await apiError(stripe.customers.retrieve('cus_missing'));
    expect(missing.raw).toMatchObject({ request_log_url: `https://dashboard.stripe.com/test/logs/${missing.requestId}?t=${local.emulator.now()}` });
    local.injectFault({ kind: '500', when: 'before', path: '/v1/customers' });
    const failed = await apiError(stripe.customers.list());
    expect((failed.raw as { request_log_url?: string }).request_log_url).toContain(failed.requestId!);
    for (const res of [
      await fetch(`${local.url}/v1/customers`, { headers: { authorization: 'Bearer sk_test_not_ours_at_all' } }),
      await fetch(`${local.url}/v1/nothing`, { headers: { authorization: `Bearer ${local.secretKey}` } }),
    ]) {
      const body = await res.json();
      expect(body.error.request_log_url).toBe(`https://dashboard.stripe.com/test/logs/${res.headers.get('request-id')}?t=${local.emulator.now()}`);
    }
  });
});

describe('faults', () => {
  it('tries each rated fault in turn: one that spares a request does not shield it from the next', async () => {
    local.injectFault({ kind: '500', when: 'before', rate: 0, path: '/v1/' });
    local.injectFault({ kind: '429', when: 'before', rate: 1, path: '/v1/customers' });
    expect(await apiError(stripe.customers.create({}))).toMatchObject({ statusCode: 429, type: 'StripeRateLimitError' });
    expect(local.emulator.customers.size).toBe(0);
    // A path the second fault does not match meets only the first, which spares it.
    await expect(stripe.paymentIntents.list()).resolves.toMatchObject({ object: 'list' });
  });
});

describe('expand', () => {
  it('expands what Stripe expands and answers other fields as Stripe does', async () => {
    const customer = await stripe.customers.create({});
    const pm = await stripe.paymentMethods.attach('pm_card_visa', { customer: customer.id });
    await stripe.customers.update(customer.id, { invoice_settings: { default_payment_method: pm.id } });
    const pi = await stripe.paymentIntents.create({ amount: 2500, currency: 'usd', customer: customer.id, payment_method: pm.id, automatic_payment_methods: cardOnly, confirm: true });

    const expanded = await stripe.paymentIntents.retrieve(pi.id, { expand: ['latest_charge.balance_transaction', 'customer'] });
    expect((expanded.latest_charge as Stripe.Charge).object).toBe('charge');
    expect(((expanded.latest_charge as Stripe.Charge).balance_transaction as Stripe.BalanceTransaction).object).toBe('balance_transaction');
    expect((expanded.customer as Stripe.Customer).id).toBe(customer.id);
    const nested = (await stripe.customers.retrieve(customer.id, { expand: ['invoice_settings.default_payment_method'] })) as Stripe.Customer;
    expect((nested.invoice_settings.default_payment_method as Stripe.PaymentMethod).id).toBe(pm.id);
    const listed = await stripe.charges.list({ expand: ['data.payment_intent'] });
    expect((listed.data[0]!.payment_intent as Stripe.PaymentIntent).id).toBe(pi.id);

    const plain = await apiError(stripe.paymentIntents.retrieve(pi.id, { expand: ['metadata'] }));
    expect(plain).toMatchObject({ statusCode: 400, type: 'StripeInvalidRequestError', message: 'This property cannot be expanded (metadata).' });
    const unknownField = await apiError(stripe.paymentIntents.retrieve(pi.id, { expand: ['latest_charge.colour'] }));
    expect(unknownField.message).toBe('This property cannot be expanded (colour).');
    const onList = await apiError(stripe.charges.list({ expand: ['payment_intent'] }));
    expect(onList.message).toBe("This property cannot be expanded (payment_intent). You may want to try expanding 'data.payment_intent' instead.");
  });
});

describe('list filters', () => {
  it('takes created as a unix time as well as a range', async () => {
    const first = await stripe.customers.create({ description: 'first' });
    local.emulator.advanceClock(60);
    const second = await stripe.customers.create({ description: 'second' });
    expect((await stripe.customers.list({ created: first.created })).data.map((c) => c.id)).toEqual([first.id]);
    expect((await stripe.customers.list({ created: { gte: second.created } })).data.map((c) => c.id)).toEqual([second.id]);
    expect((await stripe.customers.list({ created: { lt: second.created } })).data.map((c) => c.id)).toEqual([first.id]);
    const bad = await fetch(`${local.url}/v1/customers?created=yesterday`, { headers: { authorization: `Bearer ${local.secretKey}` } });
    expect(bad.status).toBe(400);
    expect((await bad.json()).error).toMatchObject({ code: 'parameter_invalid_integer', param: 'created' });
  });
});
