import Stripe from 'stripe';
import { expect } from 'vitest';
import type { LocalStripe } from '../index.js';

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
