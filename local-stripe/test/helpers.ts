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
