import type Stripe from 'stripe';
import { invalidRequest } from '../errors.js';
import { type Ctx, type Resource, route } from '../http/router.js';
import { metadata, type Spec } from '../params.js';
import type { Store } from '../store.js';
import { type CardDetails, billingDetails, cardDetails, cardFields, newCardPaymentMethod, paymentMethods, resolvePaymentMethod } from './payment_methods.js';

export const confirmationTokens = (store: Store) => store.collection<Stripe.ConfirmationToken>('confirmationTokens');

/** What a token stands for, which Stripe keeps to itself: the card as typed, or an existing PaymentMethod. */
interface TokenState {
  card?: CardDetails;
  /** The `payment_method_data` the card came with (billing details, metadata, allow_redisplay). */
  data?: Record<string, unknown>;
  paymentMethod?: string;
}
const tokenState = (store: Store) => store.internal<TokenState>('confirmationTokenState');

/** How long a token may be used, from its creation. Its `expires_at` says when; after it, confirming with it is refused. */
export const CONFIRMATION_TOKEN_LIFETIME_SECONDS = 12 * 3600;

const setupFutureUsage = { enum: ['off_session', 'on_session'] } as const;

/** What Stripe.js sends for the Payment Element's card form. */
const stripeJsSpec: Spec = {
  payment_method_data: {
    type: 'string',
    card: { number: 'string', exp_month: 'string', exp_year: 'string', cvc: 'string', token: 'string' },
    billing_details: { name: 'string', email: 'string', phone: 'string', address: 'hash' },
    allow_redisplay: { enum: ['always', 'limited', 'unspecified'] },
    metadata,
  },
  return_url: 'url',
  setup_future_usage: setupFutureUsage,
  expand: 'array',
};

/** The test helper: a token for an existing PaymentMethod (or a `pm_card_*` test id). */
const testHelperSpec: Spec = {
  payment_method: 'string',
  return_url: 'url',
  setup_future_usage: setupFutureUsage,
  expand: 'array',
};

function newToken(store: Store, preview: Stripe.ConfirmationToken.PaymentMethodPreview, params: Record<string, unknown>): Stripe.ConfirmationToken {
  const created = store.now();
  return {
    id: store.newId('ctoken'),
    object: 'confirmation_token',
    created,
    expires_at: created + CONFIRMATION_TOKEN_LIFETIME_SECONDS,
    livemode: false,
    mandate_data: null,
    metadata: null,
    payment_intent: null,
    payment_method_options: { card: { cvc_token: null } },
    payment_method_preview: preview,
    return_url: (params.return_url as string | undefined) ?? null,
    setup_future_usage: (params.setup_future_usage as Stripe.ConfirmationToken.SetupFutureUsage | undefined) ?? null,
    setup_intent: null,
    shipping: null,
    use_stripe_sdk: true,
  };
}

/** Stripe.js's `createConfirmationToken`: the card as typed, checked as a PaymentMethod's would be, none made yet. */
function createFromStripeJs(c: Ctx): Stripe.ConfirmationToken {
  if (!c.publishable) {
    throw invalidRequest(
      'ConfirmationTokens are created by Stripe.js with your publishable key. To create one on your server for tests, use POST /v1/test_helpers/confirmation_tokens.',
    );
  }
  const data = c.params.payment_method_data as Record<string, unknown> | undefined;
  if (!data) throw invalidRequest('Missing required param: payment_method_data.', { code: 'parameter_missing', param: 'payment_method_data' });
  const card = cardDetails(c.store, data, true, 'payment_method_data');
  const preview: Stripe.ConfirmationToken.PaymentMethodPreview = {
    allow_redisplay: (data.allow_redisplay as Stripe.ConfirmationToken.PaymentMethodPreview.AllowRedisplay | undefined) ?? 'unspecified',
    billing_details: billingDetails(data),
    card: cardFields(card) as Stripe.ConfirmationToken.PaymentMethodPreview.Card,
    customer: null,
    customer_account: null,
    type: 'card',
  };
  const token = newToken(c.store, preview, c.params);
  confirmationTokens(c.store).set(token.id, token);
  tokenState(c.store).set(token.id, { card, data });
  return token;
}

/** `stripe.testHelpers.confirmationTokens.create({payment_method})`: a token for a PaymentMethod that exists. */
function createForTests(c: Ctx): Stripe.ConfirmationToken {
  const pm = resolvePaymentMethod(c.store, c.params.payment_method as string);
  const preview: Stripe.ConfirmationToken.PaymentMethodPreview = {
    allow_redisplay: pm.allow_redisplay ?? 'unspecified',
    billing_details: structuredClone(pm.billing_details),
    card: structuredClone(pm.card) as Stripe.ConfirmationToken.PaymentMethodPreview.Card,
    customer: pm.customer,
    customer_account: null,
    type: 'card',
  };
  const token = newToken(c.store, preview, c.params);
  confirmationTokens(c.store).set(token.id, token);
  tokenState(c.store).set(token.id, { paymentMethod: pm.id });
  return token;
}

/** The token named by `confirmation_token`, if it can still confirm an intent (checks only, changes nothing). */
export function usableConfirmationToken(store: Store, id: string): Stripe.ConfirmationToken {
  const token = store.referenced(confirmationTokens(store), 'confirmation_token', id, 'confirmation_token');
  if (token.payment_intent || token.setup_intent) {
    throw invalidRequest(`ConfirmationToken ${id} has already been used to confirm ${token.payment_intent ?? token.setup_intent}; a ConfirmationToken can be used only once. Create a new one.`, {
      param: 'confirmation_token',
    });
  }
  if (token.expires_at !== null && token.expires_at <= store.now()) {
    throw invalidRequest(`ConfirmationToken ${id} expired at ${token.expires_at}; create a new one.`, { param: 'confirmation_token' });
  }
  return token;
}

/** The PaymentMethod a token stands for, without making it: only a saved one exists already. */
export function tokenPaymentMethod(store: Store, token: Stripe.ConfirmationToken): Stripe.PaymentMethod | null {
  const saved = tokenState(store).get(token.id)?.paymentMethod;
  return saved ? store.get(paymentMethods(store), 'PaymentMethod', saved) : null;
}

/** Uses the token up for this PaymentIntent and answers the PaymentMethod it stands for, made now from the card as typed. */
export function redeemConfirmationToken(store: Store, token: Stripe.ConfirmationToken, pi: Stripe.PaymentIntent): Stripe.PaymentMethod {
  const state = tokenState(store).get(token.id) ?? {};
  const pm = tokenPaymentMethod(store, token) ?? newCardPaymentMethod(store, state.card!, state.data ?? {});
  token.payment_intent = pi.id;
  return pm;
}

export const confirmationTokenResource: Resource = {
  routes: [
    route('POST', '/v1/confirmation_tokens', { publishable: true, spec: stripeJsSpec, handler: createFromStripeJs }),
    route('GET', '/v1/confirmation_tokens/:id', { handler: (c) => c.store.get(confirmationTokens(c.store), 'confirmation_token', c.path.id!, 'confirmation_token') }),
    route('POST', '/v1/test_helpers/confirmation_tokens', { spec: testHelperSpec, required: ['payment_method'], handler: createForTests }),
  ],
};
