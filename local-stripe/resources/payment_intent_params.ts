/**
 * What the PaymentIntent endpoints accept (Stripe's parameters, each rule citing Stripe's docs where
 * it refuses something): the specs, and the checks on how a payment method is chosen.
 */
import type Stripe from 'stripe';
import { invalidRequest } from '../errors.js';
import { metadata, type Spec } from '../params.js';
import type { Store } from '../store.js';
import { usableConfirmationToken } from './confirmation_tokens.js';

const setupFutureUsage = { enum: ['off_session', 'on_session', ''] } as const;

export const createSpec: Spec = {
  amount: 'integer',
  currency: 'string',
  customer: 'string',
  payment_method: 'string',
  confirmation_token: 'string',
  // Refused with Stripe's own code (see refuseRemovedParameters), so it must get past the unknown-parameter check.
  payment_method_types: 'array',
  allowed_payment_method_types: 'array',
  automatic_payment_methods: { enabled: 'boolean', allow_redirects: { enum: ['always', 'never'] } },
  confirm: 'boolean',
  capture_method: { enum: ['automatic', 'automatic_async'] },
  setup_future_usage: setupFutureUsage,
  off_session: 'string',
  metadata,
  description: 'string',
  receipt_email: 'string',
  statement_descriptor: 'string',
  statement_descriptor_suffix: 'string',
  return_url: 'url',
  use_stripe_sdk: 'boolean',
  error_on_requires_action: 'boolean',
  expand: 'array',
};

export const updateSpec: Spec = {
  amount: 'integer',
  currency: 'string',
  customer: 'string',
  description: 'string',
  metadata,
  payment_method: 'string',
  receipt_email: 'string',
  setup_future_usage: setupFutureUsage,
  payment_method_types: 'array',
  expand: 'array',
};

export const confirmSpec: Spec = {
  payment_method: 'string',
  confirmation_token: 'string',
  payment_method_types: 'array',
  return_url: 'url',
  setup_future_usage: setupFutureUsage,
  off_session: 'string',
  receipt_email: 'string',
  use_stripe_sdk: 'boolean',
  error_on_requires_action: 'boolean',
  client_secret: 'string',
  expand: 'array',
};

/** What Stripe answers an on-session confirmation without a return_url under automatic payment methods. */
export const RETURN_URL_REQUIRED =
  'A `return_url` must be specified because this Payment Intent is configured to automatically accept the payment methods enabled in the Dashboard, some of which may require a full page redirect to succeed. If you do not want to accept redirect-based payment methods, set `automatic_payment_methods[enabled]` to `true` and `automatic_payment_methods[allow_redirects]` to `never` when creating Setup Intents and Payment Intents.';

/** Since API version 2026-09-30.endive, `payment_method_types` is read-only (changelog "Removes the payment method types parameter"). */
export function refuseRemovedParameters(params: Record<string, unknown>): void {
  if (params.payment_method_types !== undefined) {
    throw invalidRequest(
      'The `payment_method_types` parameter is no longer supported on this API version. Use `allowed_payment_method_types`, `excluded_payment_method_types` or dynamic payment methods instead.',
      { code: 'payment_method_types_no_longer_supported', param: 'payment_method_types' },
    );
  }
}

export type PaymentMethodChoice = Pick<Stripe.PaymentIntent, 'allowed_payment_method_types' | 'automatic_payment_methods' | 'payment_method_types'>;

/**
 * Which payment methods the intent accepts: the listed `allowed_payment_method_types` (cards are the
 * only ones here), or else automatic payment methods, on by default since API version 2023-08-16.
 */
export function paymentMethodChoice(params: Record<string, unknown>): PaymentMethodChoice {
  const allowed = params.allowed_payment_method_types as Stripe.PaymentIntent.AllowedPaymentMethodType[] | undefined;
  const automatic = params.automatic_payment_methods as Stripe.PaymentIntent.AutomaticPaymentMethods | undefined;
  if (allowed && automatic) {
    throw invalidRequest('You may only specify one of these parameters: allowed_payment_method_types, automatic_payment_methods.', {
      code: 'parameters_exclusive',
      param: 'automatic_payment_methods',
    });
  }
  if (allowed) return { allowed_payment_method_types: allowed, automatic_payment_methods: null, payment_method_types: allowed.filter((t) => t === 'card') };
  return {
    allowed_payment_method_types: null,
    automatic_payment_methods: { enabled: automatic?.enabled ?? true, ...(automatic?.allow_redirects ? { allow_redirects: automatic.allow_redirects } : {}) },
    payment_method_types: ['card'],
  };
}

/**
 * The ConfirmationToken a request names, checked (not yet used up). A request may also name a
 * `payment_method`: "If the provided ConfirmationToken contains properties that are also being
 * provided in this request, such as payment_method, then the values in this request will take
 * precedence" (https://docs.stripe.com/api/payment_intents/create#create_payment_intent-confirmation_token).
 */
export function requestedToken(store: Store, params: Record<string, unknown>): Stripe.ConfirmationToken | null {
  if (params.confirmation_token === undefined) return null;
  return usableConfirmationToken(store, params.confirmation_token as string);
}

export const isOffSession = (params: Record<string, unknown>) => ['true', 'one_off', 'recurring', true].includes(params.off_session as string | boolean);

/** Automatic payment methods may redirect the buyer, so an on-session confirmation must say where to return. */
export function requireReturnUrl(choice: PaymentMethodChoice, params: Record<string, unknown>): void {
  const automatic = choice.automatic_payment_methods;
  if (automatic?.enabled && automatic.allow_redirects !== 'never' && !isOffSession(params) && !params.return_url) {
    throw invalidRequest(RETURN_URL_REQUIRED);
  }
}
