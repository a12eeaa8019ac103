import Stripe from 'stripe';
import { describe, expect, it } from 'vitest';
import { CONFIRMATION_TOKEN_LIFETIME_SECONDS } from '../resources/confirmation_tokens.js';
import { apiError, cardError, cardOnly, localStripeForTests } from './helpers.js';

/** ConfirmationTokens (the Payment Element's deferred-intent flow) and PaymentIntents confirmed with them. */
const env = localStripeForTests();

const nextYear = () => new Date(env.local.emulator.now() * 1000).getUTCFullYear() + 1;

/** What Stripe.js's createConfirmationToken sends: the card as typed, with the publishable key as `key`. */
async function tokenFromStripeJs(number: string, extra: Record<string, string> = {}, key = env.local.publishableKey) {
  const body = new URLSearchParams({
    key,
    'payment_method_data[type]': 'card',
    'payment_method_data[card][number]': number,
    'payment_method_data[card][exp_month]': '12',
    'payment_method_data[card][exp_year]': String(nextYear()),
    'payment_method_data[card][cvc]': '123',
    'payment_method_data[billing_details][name]': 'Ada Buyer',
    ...extra,
  });
  const res = await fetch(`${env.local.url}/v1/confirmation_tokens`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body });
  return { status: res.status, body: (await res.json()) as Stripe.ConfirmationToken & { error?: Record<string, string> } };
}

const payWithToken = (confirmation_token: string, extra: Partial<Stripe.PaymentIntentCreateParams> = {}) =>
  env.stripe.paymentIntents.create({ amount: 2500, currency: 'usd', confirm: true, confirmation_token, automatic_payment_methods: cardOnly, ...extra });

describe('creating ConfirmationTokens', () => {
  it('from Stripe.js with the publishable key: a preview of the card, no PaymentMethod yet, retrievable with the secret key', async () => {
    const pmsBefore = env.local.emulator.paymentMethods.size;
    const { status, body } = await tokenFromStripeJs('4242 4242 4242 4242', { return_url: 'https://shop.example.test/return', setup_future_usage: 'off_session' });
    expect(status).toBe(200);
    expect(body).toMatchObject({
      object: 'confirmation_token',
      payment_intent: null,
      return_url: 'https://shop.example.test/return',
      setup_future_usage: 'off_session',
      use_stripe_sdk: true,
      payment_method_preview: { type: 'card', card: { brand: 'visa', last4: '4242', exp_month: 12 }, billing_details: { name: 'Ada Buyer' }, customer: null },
    });
    expect(body.id).toMatch(/^ctoken_/);
    expect(body.expires_at).toBe(body.created + CONFIRMATION_TOKEN_LIFETIME_SECONDS);
    expect(env.local.emulator.paymentMethods.size).toBe(pmsBefore);
    const retrieved = await env.stripe.confirmationTokens.retrieve(body.id);
    expect(retrieved.payment_method_preview?.card?.last4).toBe('4242');
  });

  it('checks the card as Stripe.js would: incorrect number, bad expiry, each with its param', async () => {
    const wrong = await tokenFromStripeJs('4242424242424241');
    expect(wrong.status).toBe(402);
    expect(wrong.body.error).toMatchObject({ type: 'card_error', code: 'incorrect_number', param: 'payment_method_data[card][number]' });
    const expired = await tokenFromStripeJs('4242424242424242', { 'payment_method_data[card][exp_year]': '2001' });
    expect(expired.body.error).toMatchObject({ code: 'invalid_expiry_year', param: 'payment_method_data[card][exp_year]' });
  });

  it('refuses the wrong key type: Stripe.js’s route with the secret key, retrieve and the test helper with the publishable key', async () => {
    const withSecret = await apiError(
      env.stripe.rawRequest('POST', '/v1/confirmation_tokens', { payment_method_data: { type: 'card', card: { token: 'tok_visa' } } } as unknown as Record<string, unknown>),
    );
    expect(withSecret).toMatchObject({ statusCode: 400, type: 'StripeInvalidRequestError' });
    expect(env.local.emulator.confirmationTokens.size).toBe(0);
    const { body } = await tokenFromStripeJs('4242424242424242');
    const browser = new Stripe(env.local.publishableKey, { host: '127.0.0.1', port: env.local.port, protocol: 'http', maxNetworkRetries: 0 });
    expect(await apiError(browser.confirmationTokens.retrieve(body.id))).toMatchObject({ statusCode: 401 });
    expect(await apiError(browser.testHelpers.confirmationTokens.create({ payment_method: 'pm_card_visa' }))).toMatchObject({ statusCode: 401 });
    expect((await tokenFromStripeJs('4242424242424242', {}, 'pk_test_not_ours_at_all')).status).toBe(401);
  });

  it('server-side for tests with testHelpers.confirmationTokens.create({payment_method})', async () => {
    const token = await env.stripe.testHelpers.confirmationTokens.create({ payment_method: 'pm_card_mastercard' });
    expect(token).toMatchObject({ object: 'confirmation_token', payment_method_preview: { type: 'card', card: { brand: 'mastercard', last4: '4444' } } });
    expect(await apiError(env.stripe.testHelpers.confirmationTokens.create({}))).toMatchObject({ statusCode: 400, code: 'parameter_missing', param: 'payment_method' });
    expect(await apiError(env.stripe.confirmationTokens.retrieve('ctoken_nope'))).toMatchObject({ statusCode: 404, code: 'resource_missing' });
  });
});

describe('PaymentIntents confirmed with a ConfirmationToken', () => {
  it('makes the PaymentMethod from the token, records the token as used, and charges it', async () => {
    const { body: token } = await tokenFromStripeJs('4242424242424242');
    const pi = await payWithToken(token.id, { expand: ['payment_method'] });
    expect(pi.status).toBe('succeeded');
    const pm = pi.payment_method as Stripe.PaymentMethod;
    expect(pm.card).toMatchObject({ last4: '4242', brand: 'visa' });
    expect(pm.billing_details.name).toBe('Ada Buyer');
    expect((await env.stripe.confirmationTokens.retrieve(token.id)).payment_intent).toBe(pi.id);
  });

  it('confirms an existing PaymentIntent with a token too', async () => {
    const created = await env.stripe.paymentIntents.create({ amount: 1200, currency: 'eur', automatic_payment_methods: cardOnly });
    const token = await env.stripe.testHelpers.confirmationTokens.create({ payment_method: 'pm_card_visa' });
    const confirmed = await env.stripe.paymentIntents.confirm(created.id, { confirmation_token: token.id });
    expect(confirmed).toMatchObject({ status: 'succeeded', amount_received: 1200 });
  });

  it('declines test cards as today, and the token stays used', async () => {
    const { body: token } = await tokenFromStripeJs('4000000000009995');
    const error = await cardError(payWithToken(token.id));
    expect(error).toMatchObject({ statusCode: 402, code: 'card_declined', decline_code: 'insufficient_funds' });
    const reuse = await apiError(payWithToken(token.id));
    expect(reuse).toMatchObject({ statusCode: 400, type: 'StripeInvalidRequestError', param: 'confirmation_token' });
  });

  it('hands 3-D Secure to Stripe.js (use_stripe_sdk), and completes after authentication', async () => {
    const { body: token } = await tokenFromStripeJs('4000002760003184', { return_url: 'https://shop.example.test/return' });
    const pi = await env.stripe.paymentIntents.create({ amount: 2500, currency: 'usd', confirm: true, confirmation_token: token.id });
    expect(pi.status).toBe('requires_action');
    expect(pi.next_action?.type).toBe('use_stripe_sdk');
    env.local.emulator.authenticate(pi.id, 'complete', { id: 'req_test', idempotencyKey: null });
    expect((await env.stripe.paymentIntents.retrieve(pi.id)).status).toBe('succeeded');
  });

  it('takes the return_url from the token, so automatic payment methods need none in the request', async () => {
    const { body: token } = await tokenFromStripeJs('4242424242424242', { return_url: 'https://shop.example.test/return' });
    const pi = await env.stripe.paymentIntents.create({ amount: 2500, currency: 'usd', confirm: true, confirmation_token: token.id });
    expect(pi.status).toBe('succeeded');
    const { body: bare } = await tokenFromStripeJs('4242424242424242');
    const refused = await apiError(env.stripe.paymentIntents.create({ amount: 2500, currency: 'usd', confirm: true, confirmation_token: bare.id }));
    expect(refused.message).toMatch(/^A `return_url` must be specified/);
  });

  it('saves the card to the customer with the token’s setup_future_usage', async () => {
    const customer = await env.stripe.customers.create({});
    const { body: token } = await tokenFromStripeJs('4242424242424242', { setup_future_usage: 'off_session' });
    const pi = await payWithToken(token.id, { customer: customer.id });
    expect(pi.setup_future_usage).toBe('off_session');
    const cards = await env.stripe.customers.listPaymentMethods(customer.id);
    expect(cards.data.map((pm) => pm.id)).toEqual([pi.payment_method]);
  });

  it('takes the request’s payment_method over the token’s card when both are sent, and uses the token up', async () => {
    const { body: token } = await tokenFromStripeJs('4242424242424242');
    const pi = await payWithToken(token.id, { payment_method: 'pm_card_mastercard', expand: ['payment_method'] });
    expect(pi.status).toBe('succeeded');
    expect((pi.payment_method as Stripe.PaymentMethod).card?.brand).toBe('mastercard');
    expect((await env.stripe.confirmationTokens.retrieve(token.id)).payment_intent).toBe(pi.id);
    const { body: second } = await tokenFromStripeJs('4242424242424242');
    const created = await env.stripe.paymentIntents.create({ amount: 1200, currency: 'usd', automatic_payment_methods: cardOnly });
    const confirmed = await env.stripe.paymentIntents.confirm(created.id, { confirmation_token: second.id, payment_method: 'pm_card_mastercard', expand: ['payment_method'] });
    expect((confirmed.payment_method as Stripe.PaymentMethod).card?.brand).toBe('mastercard');
  });

  it('refuses an expired token, a token without confirm, and another customer’s saved card', async () => {
    const { body: token } = await tokenFromStripeJs('4242424242424242');
    const unconfirmed = await apiError(env.stripe.paymentIntents.create({ amount: 2500, currency: 'usd', confirmation_token: token.id }));
    expect(unconfirmed).toMatchObject({ statusCode: 400, param: 'confirmation_token' });
    const unknown = await apiError(payWithToken('ctoken_nope'));
    expect(unknown).toMatchObject({ statusCode: 400, code: 'resource_missing', param: 'confirmation_token' });
    expect(env.local.emulator.paymentIntents.size).toBe(0);
    expect((await env.stripe.confirmationTokens.retrieve(token.id)).payment_intent).toBeNull();

    env.local.emulator.advanceClock(CONFIRMATION_TOKEN_LIFETIME_SECONDS);
    const expired = await apiError(payWithToken(token.id));
    expect(expired).toMatchObject({ statusCode: 400, param: 'confirmation_token' });
    expect(expired.message).toMatch(/expired/);

    const owner = await env.stripe.customers.create({});
    const saved = await env.stripe.paymentMethods.attach('pm_card_visa', { customer: owner.id });
    const other = await env.stripe.customers.create({});
    const savedToken = await env.stripe.testHelpers.confirmationTokens.create({ payment_method: saved.id });
    expect(await apiError(payWithToken(savedToken.id, { customer: other.id }))).toMatchObject({ statusCode: 400, param: 'payment_method' });
    expect((await payWithToken(savedToken.id, { customer: owner.id })).status).toBe('succeeded');
  });
});
