import Stripe from 'stripe';
import { afterAll, beforeAll, beforeEach, expect } from 'vitest';
import { type LocalStripe, type LocalStripeOptions, startLocalStripe } from '../index.js';

/**
 * Automatic payment methods without redirects: a server-confirmed card payment that Stripe accepts
 * with no `return_url` (changelog 2023-08-16). Tests that are not about redirects use it.
 */
export const cardOnly = { enabled: true, allow_redirects: 'never' } as const;

/** The control API takes the secret key, like the API. */
export const controlHeaders = (local: LocalStripe) => ({ authorization: `Bearer ${local.secretKey}` });

/** The error a call is refused with; the test fails if it succeeds or throws something else. */
async function refusedWith<T extends Stripe.errors.StripeError>(promise: Promise<unknown>, type: new (...args: never[]) => T): Promise<T> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(type);
  return error as T;
}

export const apiError = (promise: Promise<unknown>) => refusedWith(promise, Stripe.errors.StripeError);
export const cardError = (promise: Promise<unknown>) => refusedWith(promise, Stripe.errors.StripeCardError);

/**
 * A local Stripe for one test file (deterministic unless told otherwise), reset before each test,
 * and the SDK on its secret key without retries: read `env.local` and `env.stripe` inside tests.
 */
export function localStripeForTests(options: LocalStripeOptions = { deterministic: true }): { local: LocalStripe; stripe: Stripe } {
  const env = {} as { local: LocalStripe; stripe: Stripe };
  beforeAll(async () => {
    env.local = await startLocalStripe(options);
    env.stripe = new Stripe(env.local.secretKey, { host: '127.0.0.1', port: env.local.port, protocol: 'http', maxNetworkRetries: 0 });
  });
  afterAll(() => env.local.close());
  beforeEach(() => env.local.reset());
  return env;
}

/**
 * The SDK tests' local Stripe, for one test file: deterministic, webhooks retried quickly and at
 * most three times, reset before each test; the SDK on its secret key (with the SDK's retries) and
 * Stripe.js's client on its publishable key. Read `env.local`, `env.stripe` and `env.browser` inside
 * tests. `pay` is a card form's payment: automatic payment methods without redirects, so no
 * return_url is needed.
 */
export function sdkSuite() {
  const env = {} as { local: LocalStripe; stripe: Stripe; browser: Stripe };
  beforeAll(async () => {
    env.local = await startLocalStripe({ deterministic: true, webhookRetryBaseMs: 20, webhookMaxAttempts: 3 });
    env.stripe = new Stripe(env.local.secretKey, { host: '127.0.0.1', port: env.local.port, protocol: 'http', maxNetworkRetries: 2 });
    env.browser = new Stripe(env.local.publishableKey, { host: '127.0.0.1', port: env.local.port, protocol: 'http' });
  });
  afterAll(() => env.local.close());
  beforeEach(() => env.local.reset());
  const pay = (payment_method: string, extra: Partial<Stripe.PaymentIntentCreateParams> = {}) =>
    env.stripe.paymentIntents.create({ amount: 2500, currency: 'usd', payment_method, confirm: true, automatic_payment_methods: cardOnly, ...extra });
  return { env, pay };
}
