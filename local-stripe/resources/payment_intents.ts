import { randomUUID } from 'node:crypto';
import type Stripe from 'stripe';
import { cardError, invalidRequest, resourceMissing, unexpectedState } from '../errors.js';
import { list } from '../http/lists.js';
import { type Ctx, type Resource, route } from '../http/router.js';
import { checkCurrency, checkMinimumAmount, MAXIMUM_AMOUNT, newMetadata, updatedMetadata } from '../limits.js';
import { listSpec, } from '../params.js';
import { randomToken } from '../random.js';
import type { RequestInfo, Store } from '../store.js';
import { type ChargeFailure, newCharge } from './charges.js';
import { redeemConfirmationToken, tokenPaymentMethod, } from './confirmation_tokens.js';
import { customers } from './customers.js';
import { openDispute } from './disputes.js';
import { attach, behaviourOf, paymentMethods, resolvePaymentMethod } from './payment_methods.js';
import { createSpec, updateSpec, confirmSpec, isOffSession, refuseRemovedParameters, paymentMethodChoice, requestedToken, requireReturnUrl } from './payment_intent_params.js';

export const paymentIntents = (store: Store) => store.collection<Stripe.PaymentIntent>('paymentIntents');


export function createPaymentIntent(store: Store, params: Record<string, unknown>, request: RequestInfo): Stripe.PaymentIntent {
  refuseRemovedParameters(params);
  const amount = params.amount as number;
  const currency = checkCurrency(params.currency as string);
  checkMinimumAmount(amount, currency);
  if (amount > MAXIMUM_AMOUNT) {
    throw invalidRequest('Amount must be no more than $999,999.99', { code: 'amount_too_large', param: 'amount' });
  }
  const metadata = newMetadata(params.metadata);
  const choice = paymentMethodChoice(params);
  const token = requestedToken(store, params);
  if (token && params.confirm !== true) {
    throw invalidRequest('A confirmation_token can only be used to create a PaymentIntent with confirm=true.', { param: 'confirmation_token' });
  }
  if (params.confirm === true) requireReturnUrl(choice, { ...params, return_url: params.return_url ?? token?.return_url ?? undefined });
  const customer = params.customer as string | undefined;
  if (customer) store.referenced(customers(store), 'customer', customer, 'customer');
  const pm = params.payment_method ? resolvePaymentMethod(store, params.payment_method as string) : null;
  if (pm) checkPaymentMethodOwner(pm, customer ?? null);
  const tokenPm = token && !pm && tokenPaymentMethod(store, token);
  if (tokenPm) checkPaymentMethodOwner(tokenPm, customer ?? null);
  const id = store.newId('pi');
  const pi: Stripe.PaymentIntent = {
    id,
    object: 'payment_intent',
    allowed_payment_method_types: choice.allowed_payment_method_types,
    amount,
    amount_capturable: 0,
    amount_details: { tip: {} },
    amount_received: 0,
    application: null,
    application_fee_amount: null,
    automatic_payment_methods: choice.automatic_payment_methods,
    canceled_at: null,
    cancellation_reason: null,
    capture_method: 'automatic',
    client_secret: `${id}_secret_${randomToken(16)}`,
    confirmation_method: 'automatic',
    created: store.now(),
    currency,
    customer: customer ?? null,
    customer_account: null,
    description: (params.description as string) ?? null,
    excluded_payment_method_types: null,
    last_payment_error: null,
    latest_charge: null,
    livemode: false,
    managed_payments: null,
    metadata,
    next_action: null,
    on_behalf_of: null,
    payment_method: pm?.id ?? null,
    payment_method_configuration_details: null,
    payment_method_options: { card: { installments: null, mandate_options: null, network: null, request_three_d_secure: 'automatic' } },
    payment_method_types: choice.payment_method_types,
    payment_record: null,
    processing: null,
    receipt_email: (params.receipt_email as string) ?? null,
    review: null,
    setup_future_usage: (params.setup_future_usage as Stripe.PaymentIntent.SetupFutureUsage) ?? null,
    shipping: null,
    source: null,
    statement_descriptor: (params.statement_descriptor as string) ?? null,
    statement_descriptor_suffix: (params.statement_descriptor_suffix as string) ?? null,
    status: pm ? 'requires_confirmation' : 'requires_payment_method',
    transfer_data: null,
    transfer_group: null,
  };
  paymentIntents(store).set(id, pi);
  store.emit('payment_intent.created', pi, request);
  if (params.confirm === true) {
    return confirmPaymentIntent(
      store,
      pi,
      { off_session: params.off_session, return_url: params.return_url, use_stripe_sdk: params.use_stripe_sdk, confirmation_token: params.confirmation_token, payment_method: pm?.id },
      request,
    );
  }
  return pi;
}

function checkPaymentMethodOwner(pm: Stripe.PaymentMethod, customer: string | null) {
  if (pm.customer && pm.customer !== customer) {
    throw invalidRequest(`The provided PaymentMethod belongs to a Customer that is different from the one on this PaymentIntent.`, {
      param: 'payment_method',
    });
  }
}

export function updatePaymentIntent(store: Store, id: string, params: Record<string, unknown>): Stripe.PaymentIntent {
  const pi = store.get(paymentIntents(store), 'payment_intent', id, 'intent');
  if (pi.status === 'succeeded' || pi.status === 'canceled' || pi.status === 'processing') {
    throw unexpectedState(`You cannot update this PaymentIntent because it has a status of ${pi.status}.`, { payment_intent: pi });
  }
  // Everything is checked before anything is written: a refused update changes nothing.
  refuseRemovedParameters(params);
  const amount = (params.amount as number | undefined) ?? pi.amount;
  const currency = params.currency === undefined ? pi.currency : checkCurrency(params.currency as string);
  checkMinimumAmount(amount, currency);
  const metadata = params.metadata === undefined ? pi.metadata : updatedMetadata(pi.metadata, params.metadata as Record<string, string>);
  const customer = params.customer === undefined ? (pi.customer as string | null) : store.referenced(customers(store), 'customer', params.customer as string, 'customer').id;
  const pm = params.payment_method === undefined ? undefined : resolvePaymentMethod(store, params.payment_method as string);
  if (pm) checkPaymentMethodOwner(pm, customer);
  pi.amount = amount;
  pi.currency = currency;
  pi.metadata = metadata;
  pi.customer = customer;
  if (params.description !== undefined) pi.description = (params.description as string) || null;
  if (params.receipt_email !== undefined) pi.receipt_email = (params.receipt_email as string) || null;
  if (params.setup_future_usage !== undefined) pi.setup_future_usage = (params.setup_future_usage as Stripe.PaymentIntent.SetupFutureUsage) || null;
  if (pm) {
    pi.payment_method = pm.id;
    pi.status = 'requires_confirmation';
  }
  return pi;
}

export function confirmPaymentIntent(store: Store, pi: Stripe.PaymentIntent, sent: Record<string, unknown>, request: RequestInfo): Stripe.PaymentIntent {
  if (!['requires_payment_method', 'requires_confirmation', 'requires_action'].includes(pi.status)) {
    throw unexpectedState(
      `You cannot confirm this PaymentIntent because it has a status of ${pi.status}. Only a PaymentIntent with one of the following statuses may be confirmed: requires_confirmation, requires_payment_method, requires_action.`,
      { payment_intent: pi },
    );
  }
  refuseRemovedParameters(sent);
  const token = requestedToken(store, sent);
  // What the request leaves out, the token supplies (its return_url, setup_future_usage, use_stripe_sdk).
  const params = token ? { ...sent, return_url: sent.return_url ?? token.return_url ?? undefined, use_stripe_sdk: sent.use_stripe_sdk ?? token.use_stripe_sdk } : sent;
  requireReturnUrl(pi, params);
  if (params.payment_method) {
    const pm = resolvePaymentMethod(store, params.payment_method as string);
    checkPaymentMethodOwner(pm, pi.customer as string | null);
    pi.payment_method = pm.id;
  }
  if (token && params.payment_method) {
    // The request's card wins; the token is used up all the same.
    token.payment_intent = pi.id;
  } else if (token) {
    const saved = tokenPaymentMethod(store, token);
    if (saved) checkPaymentMethodOwner(saved, pi.customer as string | null);
    pi.payment_method = redeemConfirmationToken(store, token, pi).id;
    if (params.setup_future_usage === undefined && token.setup_future_usage) pi.setup_future_usage = token.setup_future_usage as Stripe.PaymentIntent.SetupFutureUsage;
  }
  if (params.setup_future_usage !== undefined) {
    pi.setup_future_usage = (params.setup_future_usage as Stripe.PaymentIntent.SetupFutureUsage) || null;
  }
  if (params.receipt_email !== undefined) pi.receipt_email = params.receipt_email as string;
  if (!pi.payment_method) {
    throw unexpectedState(
      "You cannot confirm this PaymentIntent because it's missing a payment method. To confirm the PaymentIntent with a card, please provide a payment_method.",
      { payment_intent: pi },
    );
  }
  const pmId = pi.payment_method as string;
  const pm = store.get(paymentMethods(store), 'PaymentMethod', pmId, 'payment_method');
  const behaviour = behaviourOf(store, pmId);
  const offSession = isOffSession(params);
  pi.last_payment_error = null;

  if (behaviour.kind === 'require3ds') {
    const setUp = !behaviour.always && pm.customer !== null && pm.customer === pi.customer;
    if (!setUp) {
      if (offSession) {
        return decline(
          store,
          pi,
          pm,
          { code: 'authentication_required', declineCode: 'authentication_required', message: 'Your card was declined. This transaction requires authentication.' },
          request,
        );
      }
      const authUrl = `${store.baseUrl()}/authenticate/${pi.id}?client_secret=${encodeURIComponent(pi.client_secret!)}`;
      const returnUrl = params.return_url as string | undefined;
      pi.status = 'requires_action';
      // Stripe.js handles the action in the page when asked to (use_stripe_sdk); otherwise the buyer is redirected.
      pi.next_action = returnUrl && params.use_stripe_sdk !== true
        ? { type: 'redirect_to_url', redirect_to_url: { url: `${authUrl}&return_url=${encodeURIComponent(returnUrl)}`, return_url: returnUrl } }
        : { type: 'use_stripe_sdk', use_stripe_sdk: { type: 'three_d_secure_redirect', stripe_js: authUrl, source: pm.id } };
      store.emit('payment_intent.requires_action', pi, request);
      return pi;
    }
  }
  if (behaviour.kind === 'decline') {
    return decline(store, pi, pm, behaviour, request);
  }
  return succeed(store, pi, pm, request);
}

/** Completes or fails a pending 3-D Secure authentication (the authentication page's buttons). */
export function authenticate(store: Store, piId: string, outcome: 'complete' | 'fail', request: RequestInfo): Stripe.PaymentIntent {
  const pi = store.get(paymentIntents(store), 'payment_intent', piId, 'intent');
  if (pi.status !== 'requires_action') {
    throw unexpectedState(`This PaymentIntent is not awaiting authentication (status ${pi.status}).`);
  }
  const pm = store.get(paymentMethods(store), 'PaymentMethod', pi.payment_method as string);
  pi.next_action = null;
  if (outcome === 'complete') return succeed(store, pi, pm, request, challengeCompleted());
  pi.status = 'requires_payment_method';
  pi.last_payment_error = {
    type: 'invalid_request_error',
    code: 'payment_intent_authentication_failure',
    doc_url: 'https://stripe.com/docs/error-codes/payment-intent-authentication-failure',
    message: 'We are unable to authenticate your payment method. Please choose a different payment method and try again.',
    payment_method: pm,
  };
  pi.payment_method = null;
  store.emit('payment_intent.payment_failed', pi, request);
  return pi;
}

/** Records the failed charge and answers the decline as a 402 card error, as Stripe does. */
function decline(store: Store, pi: Stripe.PaymentIntent, pm: Stripe.PaymentMethod, failure: ChargeFailure, request: RequestInfo): never {
  const charge = newCharge(store, pi, pm, 'failed', failure);
  pi.latest_charge = charge.id;
  pi.status = 'requires_payment_method';
  pi.next_action = null;
  pi.last_payment_error = {
    type: 'card_error',
    charge: charge.id,
    code: failure.code,
    decline_code: failure.declineCode,
    doc_url: `https://stripe.com/docs/error-codes/${failure.code.replace(/_/g, '-')}`,
    message: failure.message,
    payment_method: pm,
  };
  pi.payment_method = null;
  store.emit('charge.failed', charge, request);
  store.emit('payment_intent.payment_failed', pi, request);
  throw cardError(failure.code, failure.declineCode, failure.message, {
    charge: charge.id,
    payment_intent: structuredClone(pi),
    payment_method: pm,
  });
}

/** What the charge records of a 3-D Secure challenge the cardholder completed. */
const challengeCompleted = (): Stripe.Charge.PaymentMethodDetails.Card.ThreeDSecure => ({
  authentication_flow: 'challenge',
  electronic_commerce_indicator: '05',
  exemption_indicator: null,
  result: 'authenticated',
  result_reason: null,
  transaction_id: randomUUID(),
  version: '2.2.0',
});

function succeed(
  store: Store,
  pi: Stripe.PaymentIntent,
  pm: Stripe.PaymentMethod,
  request: RequestInfo,
  threeDSecure: Stripe.Charge.PaymentMethodDetails.Card.ThreeDSecure | null = null,
): Stripe.PaymentIntent {
  const charge = newCharge(store, pi, pm, 'succeeded', undefined, threeDSecure);
  pi.status = 'succeeded';
  pi.amount_received = pi.amount;
  pi.latest_charge = charge.id;
  pi.next_action = null;
  if (pi.setup_future_usage && pi.customer && pm.customer !== pi.customer) {
    attach(store, pm, pi.customer as string, request);
  }
  store.emit('charge.succeeded', charge, request);
  store.emit('payment_intent.succeeded', pi, request);
  if (behaviourOf(store, pm.id).kind === 'dispute') openDispute(store, charge.id, {}, request);
  return pi;
}

export function cancelPaymentIntent(store: Store, id: string, params: Record<string, unknown>, request: RequestInfo | null): Stripe.PaymentIntent {
  const pi = store.get(paymentIntents(store), 'payment_intent', id, 'intent');
  if (pi.status === 'succeeded' || pi.status === 'canceled') {
    throw unexpectedState(
      `You cannot cancel this PaymentIntent because it has a status of ${pi.status}. Only a PaymentIntent with one of the following statuses may be canceled: requires_payment_method, requires_capture, requires_confirmation, requires_action, processing.`,
      { payment_intent: pi },
    );
  }
  pi.status = 'canceled';
  pi.canceled_at = store.now();
  pi.next_action = null;
  pi.cancellation_reason = (params.cancellation_reason as Stripe.PaymentIntent.CancellationReason) ?? null;
  store.emit('payment_intent.canceled', pi, request);
  return pi;
}

/** The PaymentIntent in the URL; Stripe.js (publishable key) must also present its client secret. */
function intentFor(c: Ctx): Stripe.PaymentIntent {
  const pi = c.store.get(paymentIntents(c.store), 'payment_intent', c.path.id!, 'intent');
  if (c.publishable && c.params.client_secret !== pi.client_secret) {
    throw resourceMissing('payment_intent', c.path.id!, 'intent');
  }
  return pi;
}

export const paymentIntentResource: Resource = {
  expandable: { object: 'payment_intent', fields: ['application', 'customer', 'invoice', 'latest_charge', 'on_behalf_of', 'payment_method', 'review'] },
  routes: [
    route('POST', '/v1/payment_intents', { spec: createSpec, required: ['amount', 'currency'], handler: (c) => createPaymentIntent(c.store, c.params, c.request) }),
    route('GET', '/v1/payment_intents', {
      spec: { ...listSpec, customer: 'string' },
      handler: (c) => list(c.store, paymentIntents(c.store).values(), c.params, '/v1/payment_intents', (pi) => !c.params.customer || pi.customer === c.params.customer),
    }),
    route('GET', '/v1/payment_intents/:id', { publishable: true, spec: { client_secret: 'string', expand: 'array' }, handler: intentFor }),
    route('POST', '/v1/payment_intents/:id', { spec: updateSpec, handler: (c) => updatePaymentIntent(c.store, c.path.id!, c.params) }),
    route('POST', '/v1/payment_intents/:id/confirm', {
      publishable: true,
      spec: confirmSpec,
      handler: (c) => confirmPaymentIntent(c.store, intentFor(c), c.params, c.request),
    }),
    route('POST', '/v1/payment_intents/:id/cancel', {
      spec: { cancellation_reason: { enum: ['duplicate', 'fraudulent', 'requested_by_customer', 'abandoned'] }, expand: 'array' },
      handler: (c) => cancelPaymentIntent(c.store, c.path.id!, c.params, c.request),
    }),
  ],
};
