import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import Stripe from 'stripe';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type LocalStripe, startLocalStripe } from '../server.js';
import { apiError, cardError, cardOnly, controlHeaders } from './helpers.js';

/**
 * Test mode's strictness, rule by rule, through the official SDK. Each rule's source in Stripe's docs
 * is listed in docs/local-stripe.md.
 */

let local: LocalStripe;
let stripe: Stripe;
let browser: Stripe;

beforeAll(async () => {
  local = await startLocalStripe({ deterministic: true, webhookRetryBaseMs: 20, webhookMaxAttempts: 2 });
  const options = { host: '127.0.0.1', port: local.port, protocol: 'http' as const, maxNetworkRetries: 0 };
  stripe = new Stripe(local.secretKey, options);
  browser = new Stripe(local.publishableKey, options);
});
afterAll(() => local.close());
beforeEach(() => local.reset());

const RETURN_URL_REQUIRED =
  'A `return_url` must be specified because this Payment Intent is configured to automatically accept the payment methods enabled in the Dashboard, some of which may require a full page redirect to succeed. If you do not want to accept redirect-based payment methods, set `automatic_payment_methods[enabled]` to `true` and `automatic_payment_methods[allow_redirects]` to `never` when creating Setup Intents and Payment Intents.';

describe('automatic payment methods (API 2023-08-16 and later)', () => {
  it('are enabled by default, and confirming on-session then needs a return_url', async () => {
    const created = await stripe.paymentIntents.create({ amount: 2500, currency: 'usd' });
    expect(created.automatic_payment_methods).toEqual({ enabled: true });
    expect(created.payment_method_types).toEqual(['card']);

    const before = local.emulator.paymentIntents.size;
    const refused = await apiError(stripe.paymentIntents.create({ amount: 2500, currency: 'usd', payment_method: 'pm_card_visa', confirm: true }));
    expect(refused).toMatchObject({ statusCode: 400, type: 'StripeInvalidRequestError', message: RETURN_URL_REQUIRED });
    expect(local.emulator.paymentIntents.size).toBe(before);
    const confirmRefused = await apiError(stripe.paymentIntents.confirm(created.id, { payment_method: 'pm_card_visa' }));
    expect(confirmRefused.message).toBe(RETURN_URL_REQUIRED);
    expect((await stripe.paymentIntents.retrieve(created.id)).status).toBe('requires_payment_method');

    const withReturn = await stripe.paymentIntents.confirm(created.id, { payment_method: 'pm_card_visa', return_url: 'https://app.example.test/return' });
    expect(withReturn.status).toBe('succeeded');
  });

  it('need no return_url with allow_redirects never, off-session, or an allowed list of card only', async () => {
    const never = await stripe.paymentIntents.create({ amount: 2500, currency: 'usd', payment_method: 'pm_card_visa', confirm: true, automatic_payment_methods: cardOnly });
    expect(never).toMatchObject({ status: 'succeeded', automatic_payment_methods: cardOnly });

    const customer = await stripe.customers.create({});
    const saved = await stripe.paymentMethods.attach('pm_card_visa', { customer: customer.id });
    const offSession = await stripe.paymentIntents.create({ amount: 2500, currency: 'usd', customer: customer.id, payment_method: saved.id, confirm: true, off_session: true });
    expect(offSession.status).toBe('succeeded');

    const allowed = await stripe.paymentIntents.create({ amount: 2500, currency: 'usd', payment_method: 'pm_card_visa', confirm: true, allowed_payment_method_types: ['card'] });
    expect(allowed).toMatchObject({ status: 'succeeded', automatic_payment_methods: null, allowed_payment_method_types: ['card'], payment_method_types: ['card'] });
    const exclusive = await apiError(stripe.paymentIntents.create({ amount: 2500, currency: 'usd', allowed_payment_method_types: ['card'], automatic_payment_methods: { enabled: true } }));
    expect(exclusive).toMatchObject({ statusCode: 400, code: 'parameters_exclusive' });
  });

  it('refuses payment_method_types, which the pinned API version no longer takes', async () => {
    const params = { amount: 2500, currency: 'usd', payment_method_types: ['card'] } as unknown as Stripe.PaymentIntentCreateParams;
    const error = await apiError(stripe.paymentIntents.create(params));
    expect(error).toMatchObject({ statusCode: 400, code: 'payment_method_types_no_longer_supported', param: 'payment_method_types' });
  });

  it('hands 3-D Secure to Stripe.js as use_stripe_sdk when asked, even with a return_url', async () => {
    const pi = await stripe.paymentIntents.create({
      amount: 2500,
      currency: 'usd',
      payment_method: 'pm_card_authenticationRequired',
      confirm: true,
      return_url: 'https://app.example.test/return',
      use_stripe_sdk: true,
    });
    expect(pi.status).toBe('requires_action');
    expect(pi.next_action?.type).toBe('use_stripe_sdk');
    const redirect = await stripe.paymentIntents.create({ amount: 2500, currency: 'usd', payment_method: 'pm_card_authenticationRequired', confirm: true, return_url: 'https://app.example.test/return' });
    expect(redirect.next_action?.type).toBe('redirect_to_url');
  });
});

describe('references in the request body', () => {
  it('answer 400 resource_missing with the param for an unknown id; 404 is for the URL’s object', async () => {
    const cases: Array<[Promise<unknown>, string, string]> = [
      [stripe.paymentIntents.create({ amount: 2500, currency: 'usd', customer: 'cus_nope', automatic_payment_methods: cardOnly }), 'customer', "No such customer: 'cus_nope'"],
      [stripe.paymentIntents.create({ amount: 2500, currency: 'usd', payment_method: 'pm_nope', automatic_payment_methods: cardOnly }), 'payment_method', "No such PaymentMethod: 'pm_nope'"],
      [stripe.refunds.create({ charge: 'ch_nope' }), 'charge', "No such charge: 'ch_nope'"],
      [stripe.refunds.create({ payment_intent: 'pi_nope' }), 'payment_intent', "No such payment_intent: 'pi_nope'"],
      [stripe.customers.create({ payment_method: 'pm_nope' }), 'payment_method', "No such PaymentMethod: 'pm_nope'"],
    ];
    for (const [call, param, message] of cases) {
      expect(await apiError(call)).toMatchObject({ statusCode: 400, code: 'resource_missing', param, message });
    }
    const customer = await stripe.customers.create({});
    const attach = await apiError(stripe.paymentMethods.attach('pm_card_visa', { customer: 'cus_nope' }));
    expect(attach).toMatchObject({ statusCode: 400, code: 'resource_missing', param: 'customer' });
    const inUrl = await apiError(stripe.paymentIntents.retrieve('pi_nope'));
    expect(inUrl).toMatchObject({ statusCode: 404, code: 'resource_missing' });
    const attachUnknown = await apiError(stripe.paymentMethods.attach('pm_nope', { customer: customer.id }));
    expect(attachUnknown).toMatchObject({ statusCode: 404, code: 'resource_missing' });
  });

  it('treat a deleted customer as unknown', async () => {
    const customer = await stripe.customers.create({});
    await stripe.customers.del(customer.id);
    const error = await apiError(stripe.paymentIntents.create({ amount: 2500, currency: 'usd', customer: customer.id, automatic_payment_methods: cardOnly }));
    expect(error).toMatchObject({ statusCode: 400, code: 'resource_missing', param: 'customer' });
  });
});

describe('deleted customers', () => {
  it('retrieve as 200 {id, object, deleted: true}', async () => {
    const customer = await stripe.customers.create({ email: 'gone@example.test' });
    await stripe.customers.del(customer.id);
    expect(await stripe.customers.retrieve(customer.id)).toEqual({ id: customer.id, object: 'customer', deleted: true });
    expect((await stripe.customers.list()).data).toEqual([]);
    expect(await apiError(stripe.customers.update(customer.id, { name: 'x' }))).toMatchObject({ statusCode: 404, code: 'resource_missing' });
  });
});

describe('limits', () => {
  it('holds metadata to 50 keys, keys to 40 characters and values to 500', async () => {
    const many = Object.fromEntries(Array.from({ length: 51 }, (_, i) => [`k${i}`, 'v']));
    expect(await apiError(stripe.customers.create({ metadata: many }))).toMatchObject({ statusCode: 400, param: 'metadata' });
    const fifty = Object.fromEntries(Array.from({ length: 50 }, (_, i) => [`k${i}`, 'v']));
    expect(Object.keys((await stripe.customers.create({ metadata: fifty })).metadata)).toHaveLength(50);
    const longKey = 'k'.repeat(41);
    expect(await apiError(stripe.customers.create({ metadata: { [longKey]: 'v' } }))).toMatchObject({ statusCode: 400, param: `metadata[${longKey}]` });
    expect(await apiError(stripe.paymentIntents.create({ amount: 2500, currency: 'usd', metadata: { note: 'x'.repeat(501) } }))).toMatchObject({ statusCode: 400, param: 'metadata[note]' });
    expect((await stripe.customers.create({ metadata: { ['k'.repeat(40)]: 'x'.repeat(500) } })).metadata['k'.repeat(40)]).toHaveLength(500);
    const customer = await stripe.customers.create({ metadata: fifty });
    expect(await apiError(stripe.customers.update(customer.id, { metadata: { one_more: 'v' } }))).toMatchObject({ statusCode: 400, param: 'metadata' });
    expect(Object.keys((await stripe.customers.update(customer.id, { metadata: { k0: '', one_more: 'v' } })).metadata)).toHaveLength(50);
  });

  it('refuses currencies Stripe does not support and amounts below the minimum, in Stripe’s words', async () => {
    const currency = await apiError(stripe.paymentIntents.create({ amount: 2500, currency: 'xyz' }));
    expect(currency).toMatchObject({ statusCode: 400, param: 'currency' });
    expect(currency.message).toMatch(/^Invalid currency: xyz\. Stripe currently supports these currencies: usd, /);
    const small = await apiError(stripe.paymentIntents.create({ amount: 49, currency: 'usd' }));
    expect(small).toMatchObject({ statusCode: 400, code: 'amount_too_small', param: 'amount', message: 'Amount must be at least $0.50 usd' });
    expect(await apiError(stripe.paymentIntents.create({ amount: 29, currency: 'gbp' }))).toMatchObject({ message: 'Amount must be at least £0.30 gbp' });
    expect(await apiError(stripe.paymentIntents.create({ amount: 49, currency: 'jpy' }))).toMatchObject({ message: 'Amount must be at least ¥50 jpy' });
    expect((await stripe.paymentIntents.create({ amount: 50, currency: 'EUR' })).currency).toBe('eur');
  });
});

describe('raw card numbers', () => {
  it('are refused with a secret key, as in test mode by default, and accepted from Stripe.js’s publishable key', async () => {
    const card = { number: '4242424242424242', exp_month: 12, exp_year: new Date().getUTCFullYear() + 1, cvc: '123' };
    const error = await apiError(stripe.paymentMethods.create({ type: 'card', card }));
    expect(error).toMatchObject({ statusCode: 400, type: 'StripeInvalidRequestError' });
    expect(error.message).toMatch(/^Sending credit card numbers directly to the Stripe API is generally unsafe\./);
    expect((await browser.paymentMethods.create({ type: 'card', card })).card?.last4).toBe('4242');
    expect((await stripe.paymentMethods.create({ type: 'card', card: { token: 'tok_visa' } })).card?.last4).toBe('4242');
  });

  it('are accepted with a secret key when the account allows raw card data', async () => {
    const permissive = await startLocalStripe({ allowRawCardData: true });
    try {
      const sdk = new Stripe(permissive.secretKey, { host: '127.0.0.1', port: permissive.port, protocol: 'http' });
      const pm = await sdk.paymentMethods.create({ type: 'card', card: { number: '5555555555554444', exp_month: 12, exp_year: new Date().getUTCFullYear() + 1, cvc: '123' } });
      expect(pm.card?.brand).toBe('mastercard');
    } finally {
      await permissive.close();
    }
  });
});

describe('webhook endpoint API versions', () => {
  let receiver: Server;
  let url: string;
  const received: Stripe.Event[] = [];
  beforeAll(async () => {
    receiver = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        received.push(JSON.parse(Buffer.concat(chunks).toString('utf8')));
        res.end();
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
  });
  afterAll(() => new Promise((resolve) => receiver.close(resolve)));

  it('keeps the version an endpoint was created with, and its events carry it', async () => {
    const pinned = await stripe.webhookEndpoints.create({ url, enabled_events: ['customer.created'], api_version: '2025-10-29.clover' });
    expect(pinned.api_version).toBe('2025-10-29.clover');
    expect((await stripe.webhookEndpoints.retrieve(pinned.id)).api_version).toBe('2025-10-29.clover');
    const unpinned = await stripe.webhookEndpoints.create({ url: `${url}?default`, enabled_events: ['customer.created'] });
    expect(unpinned.api_version).toBeNull();
    await stripe.customers.create({});
    await local.webhooks.idle();
    expect(received.map((e) => e.api_version).sort()).toEqual(['2025-10-29.clover', Stripe.API_VERSION].sort());
    const bad = await apiError(stripe.webhookEndpoints.create({ url, enabled_events: ['*'], api_version: 'yesterday' as Stripe.WebhookEndpointCreateParams.ApiVersion }));
    expect(bad).toMatchObject({ statusCode: 400, param: 'api_version' });
  });
});

describe('3-D Secure on the charge', () => {
  it('records the authentication and its result on the charge', async () => {
    const pi = await stripe.paymentIntents.create({ amount: 2500, currency: 'usd', payment_method: 'pm_card_authenticationRequired', confirm: true, automatic_payment_methods: cardOnly });
    expect(pi.status).toBe('requires_action');
    await fetch(`${local.url}/_local/payment_intents/${pi.id}/authenticate`, { method: 'POST', headers: { authorization: `Bearer ${local.secretKey}` }, body: JSON.stringify({ outcome: 'complete' }) });
    const paid = await stripe.paymentIntents.retrieve(pi.id, { expand: ['latest_charge'] });
    const charge = paid.latest_charge as Stripe.Charge;
    expect(charge.payment_method_details?.card?.three_d_secure).toMatchObject({ result: 'authenticated', authentication_flow: 'challenge', version: '2.2.0' });
    const plain = await stripe.paymentIntents.create({ amount: 2500, currency: 'usd', payment_method: 'pm_card_visa', confirm: true, automatic_payment_methods: cardOnly, expand: ['latest_charge'] });
    expect((plain.latest_charge as Stripe.Charge).payment_method_details?.card?.three_d_secure).toBeNull();
  });
});

describe('off-session payments on saved cards', () => {
  /** A customer with the card saved by an on-session payment its holder authenticated (3-D Secure completed). */
  async function savedAfterAuthentication(card: string) {
    const customer = await stripe.customers.create({});
    const first = await stripe.paymentIntents.create({ amount: 2500, currency: 'usd', customer: customer.id, payment_method: card, confirm: true, automatic_payment_methods: cardOnly, setup_future_usage: 'off_session' });
    expect(first.status).toBe('requires_action');
    await fetch(`${local.url}/_local/payment_intents/${first.id}/authenticate`, { method: 'POST', headers: controlHeaders(local), body: JSON.stringify({ outcome: 'complete' }) });
    const saved = (await stripe.customers.listPaymentMethods(customer.id)).data[0]!;
    return { customer: customer.id, card: saved.id };
  }
  const offSession = (saved: { customer: string; card: string }) =>
    stripe.paymentIntents.create({ amount: 2500, currency: 'usd', customer: saved.customer, payment_method: saved.card, confirm: true, off_session: true });

  it('are declined authentication_required when the card always needs 3-D Secure, the intent back to requires_payment_method', async () => {
    const saved = await savedAfterAuthentication('pm_card_authenticationRequired');
    const error = await cardError(offSession(saved));
    expect(error).toMatchObject({ statusCode: 402, code: 'authentication_required', decline_code: 'authentication_required', message: 'Your card was declined. This transaction requires authentication.' });
    const pi = await stripe.paymentIntents.retrieve(error.payment_intent!.id);
    expect(pi.status).toBe('requires_payment_method');
    expect(pi.last_payment_error).toMatchObject({ code: 'authentication_required', decline_code: 'authentication_required' });
    const failed = await stripe.events.list({ type: 'payment_intent.payment_failed' });
    expect(failed.data.map((e) => (e.data.object as Stripe.PaymentIntent).id)).toContain(pi.id);
  });

  it('go through without authentication on a card that needs it only until it is set up', async () => {
    const saved = await savedAfterAuthentication('pm_card_authenticationRequiredOnSetup');
    expect((await offSession(saved)).status).toBe('succeeded');
  });

  it('are declined once the saved card is (POST /_local/payment_methods/:id/charge_as)', async () => {
    const customer = await stripe.customers.create({});
    const card = (await stripe.paymentMethods.attach('pm_card_visa', { customer: customer.id })).id;
    expect((await offSession({ customer: customer.id, card })).status).toBe('succeeded');
    const as = await fetch(`${local.url}/_local/payment_methods/${card}/charge_as`, { method: 'POST', headers: controlHeaders(local), body: JSON.stringify({ number: '4000000000009995' }) });
    expect(as.status).toBe(200);
    const error = await cardError(offSession({ customer: customer.id, card }));
    expect(error).toMatchObject({ code: 'card_declined', decline_code: 'insufficient_funds' });
    const unknown = await fetch(`${local.url}/_local/payment_methods/${card}/charge_as`, { method: 'POST', headers: controlHeaders(local), body: JSON.stringify({ number: '1234' }) });
    expect(unknown.status).toBe(400);
  });
});
