import type Stripe from 'stripe';
import { invalidRequest, missingParam } from '../errors.js';
import { list } from '../http/lists.js';
import { type Ctx, type Resource, route } from '../http/router.js';
import { checkMinimumAmount, MAXIMUM_AMOUNT, newMetadata } from '../limits.js';
import type { RequestInfo, Store } from '../store.js';
import { customers } from './customers.js';
import { cancelPaymentIntent, confirmPaymentIntent, createPaymentIntent, paymentIntents } from './payment_intents.js';
import { attach, paymentMethods, resolvePaymentMethod } from './payment_methods.js';
import { createSpec, type LineItemParams, listFilters, MAX_CLIENT_REFERENCE_ID, newLineItems } from './checkout_session_params.js';

export const checkoutSessions = (store: Store) => store.collection<Stripe.Checkout.Session>('checkoutSessions');
/** A session's line items by session id: listed through the session, never by their own id. */
const lineItems = (store: Store) => store.internal<Stripe.LineItem[]>('checkoutLineItems');

/** Stripe's bounds on `expires_at`: "anywhere from 30 minutes to 24 hours after Checkout Session creation". */
export const SESSION_MIN_LIFETIME_SECONDS = 30 * 60;
export const SESSION_MAX_LIFETIME_SECONDS = 24 * 3600;

export function createCheckoutSession(store: Store, params: Record<string, unknown>): Stripe.Checkout.Session {
  // Everything is checked before anything is written: a refused request leaves nothing behind.
  if (params.mode === undefined) throw missingParam('mode');
  if (params.mode !== 'payment') throw invalidRequest(`mode=${params.mode} is not emulated by the local Stripe; only payment mode is.`, { param: 'mode' });
  if (params.success_url === undefined) throw missingParam('success_url');
  const meta = newMetadata(params.metadata);
  const intentData = (params.payment_intent_data ?? {}) as { metadata?: Record<string, string>; description?: string; receipt_email?: string; setup_future_usage?: string };
  newMetadata(intentData.metadata);
  const customer = params.customer as string | undefined;
  if (customer) store.referenced(customers(store), 'customer', customer, 'customer');
  if (customer && params.customer_email !== undefined) {
    throw invalidRequest('You may only specify one of these parameters: customer, customer_email.', { code: 'parameters_exclusive', param: 'customer_email' });
  }
  const reference = params.client_reference_id as string | undefined;
  if (reference !== undefined && reference.length > MAX_CLIENT_REFERENCE_ID) {
    throw invalidRequest(`client_reference_id can have up to ${MAX_CLIENT_REFERENCE_ID} characters; it has ${reference.length}.`, { param: 'client_reference_id' });
  }
  const savedOptions = params.saved_payment_method_options as { allow_redisplay_filters?: string[]; payment_method_save?: 'enabled' | 'disabled' } | undefined;
  const filters = savedOptions?.allow_redisplay_filters;
  const badFilter = filters?.findIndex((f) => !['always', 'limited', 'unspecified'].includes(f)) ?? -1;
  if (badFilter >= 0) throw invalidRequest(`Invalid saved_payment_method_options[allow_redisplay_filters][${badFilter}]: must be one of always, limited, unspecified`, { param: `saved_payment_method_options[allow_redisplay_filters][${badFilter}]` });
  const created = store.now();
  const expiresAt = (params.expires_at as number | undefined) ?? created + SESSION_MAX_LIFETIME_SECONDS;
  if (expiresAt < created + SESSION_MIN_LIFETIME_SECONDS || expiresAt > created + SESSION_MAX_LIFETIME_SECONDS) {
    throw invalidRequest('The `expires_at` timestamp must be at least 30 minutes and at most 24 hours after Checkout Session creation.', { param: 'expires_at' });
  }
  const items = newLineItems(store, params.line_items as LineItemParams[] | undefined);
  const currency = items[0]!.currency;
  const total = items.reduce((sum, item) => sum + item.amount_total, 0);
  checkMinimumAmount(total, currency, "The Checkout Session's total amount due", 'line_items');
  if (total > MAXIMUM_AMOUNT) throw invalidRequest("The Checkout Session's total amount due must be no more than $999,999.99", { code: 'amount_too_large', param: 'line_items' });

  const id = store.newId('cs_test');
  const session = {
    id,
    object: 'checkout.session',
    adaptive_pricing: null,
    after_expiration: null,
    allow_promotion_codes: null,
    allowed_payment_method_types: null,
    amount_subtotal: total,
    amount_total: total,
    automatic_tax: { enabled: false, liability: null, provider: null, status: null },
    billing_address_collection: null,
    cancel_url: (params.cancel_url as string | undefined) ?? null,
    client_reference_id: reference ?? null,
    client_secret: null,
    collected_information: null,
    consent: null,
    consent_collection: null,
    created,
    currency,
    currency_conversion: null,
    custom_fields: [],
    custom_text: { after_submit: null, shipping_address: null, submit: null, terms_of_service_acceptance: null },
    customer: customer ?? null,
    customer_account: null,
    customer_creation: customer ? null : 'if_required',
    customer_details: null,
    customer_email: (params.customer_email as string | undefined) ?? null,
    discounts: [],
    expires_at: expiresAt,
    integration_identifier: null,
    invoice: null,
    invoice_creation: null,
    livemode: false,
    locale: null,
    managed_payments: null,
    metadata: meta,
    mode: 'payment',
    origin_context: null,
    payment_intent: null,
    payment_link: null,
    payment_method_collection: 'if_required',
    payment_method_configuration_details: null,
    payment_method_options: {},
    payment_method_types: ['card'],
    payment_status: 'unpaid',
    permissions: null,
    recovered_from: null,
    saved_payment_method_options: customer ? { allow_redisplay_filters: (filters ?? ['always']) as Stripe.Checkout.Session.SavedPaymentMethodOptions.AllowRedisplayFilter[], payment_method_remove: null, payment_method_save: savedOptions?.payment_method_save ?? null } : null,
    setup_intent: null,
    shipping_address_collection: null,
    shipping_cost: null,
    shipping_options: [],
    status: 'open',
    submit_type: null,
    subscription: null,
    success_url: params.success_url as string,
    total_details: { amount_discount: 0, amount_shipping: 0, amount_tax: 0 },
    ui_mode: 'hosted_page',
    url: `${store.baseUrl()}/c/pay/${id}`,
    wallet_options: null,
  } as Stripe.Checkout.Session;
  checkoutSessions(store).set(id, session);
  lineItems(store).set(id, items);
  intentDataOf(store).set(id, { ...intentData, metadata: intentData.metadata ?? {} });
  return session;
}

/** `payment_intent_data` of each session, for the PaymentIntent made when the buyer pays. */
const intentDataOf = (store: Store) =>
  store.internal<{ metadata: Record<string, string>; description?: string; receipt_email?: string; setup_future_usage?: string }>('checkoutIntentData');

export function sessionLineItems(store: Store, id: string): Stripe.LineItem[] {
  return lineItems(store).get(id) ?? [];
}

/** The customer's cards the hosted page offers: those whose `allow_redisplay` the session's filters let through. */
export function redisplayedCards(store: Store, session: Stripe.Checkout.Session): Stripe.PaymentMethod[] {
  const filters: string[] = session.saved_payment_method_options?.allow_redisplay_filters ?? [];
  if (!session.customer) return [];
  return [...paymentMethods(store).values()]
    .filter((pm) => pm.customer === session.customer && pm.type === 'card' && filters.includes(pm.allow_redisplay ?? 'unspecified'))
    .sort((a, b) => b.created - a.created || store.order(b.id) - store.order(a.id));
}

/** Expires an open session, cancelling the PaymentIntent a buyer started on it. */
function expire(store: Store, session: Stripe.Checkout.Session, request: RequestInfo | null): Stripe.Checkout.Session {
  const pi = session.payment_intent ? paymentIntents(store).get(session.payment_intent as string) : undefined;
  if (pi && pi.status !== 'succeeded' && pi.status !== 'canceled') cancelPaymentIntent(store, pi.id, { cancellation_reason: 'abandoned' }, request);
  session.status = 'expired';
  store.emit('checkout.session.expired', session, request);
  return session;
}

/** What Stripe does when a session's `expires_at` passes: it expires, once. */
export function expireDueSessions(store: Store): void {
  const now = store.now();
  for (const session of checkoutSessions(store).values()) {
    if (session.status === 'open' && session.expires_at <= now) expire(store, session, null);
  }
}

/** The session in the URL, after any due expiry. */
export function sessionFor(store: Store, id: string): Stripe.Checkout.Session {
  expireDueSessions(store);
  return store.get(checkoutSessions(store), 'checkout.session', id, 'session');
}

export function expireCheckoutSession(store: Store, id: string, request: RequestInfo): Stripe.Checkout.Session {
  const session = sessionFor(store, id);
  if (session.status !== 'open') {
    throw invalidRequest(`This Checkout Session is ${session.status}; only a Checkout Session with a status of open can be expired.`);
  }
  return expire(store, session, request);
}

/** Where the buyer returns after 3-D Secure: the hosted page, which then sends them on. */
const pageUrl = (store: Store, session: Stripe.Checkout.Session) => `${store.baseUrl()}/c/pay/${session.id}`;

/**
 * Sessions whose buyer ticked "Save this card": the card is saved to the session's customer when the
 * payment succeeds, with `allow_redisplay: always`, so later sessions offer it ("When a customer
 * saves their payment method, Checkout sets allow_redisplay to always",
 * https://docs.stripe.com/payments/checkout/save-during-payment).
 */
const savingCard = (store: Store) => store.internal<true>('checkoutSavingCard');

/**
 * Whether the page offers saving the card: only when the session enables it
 * (`saved_payment_method_options.payment_method_save`, "Disabled by default") and has a customer to
 * save it to (https://docs.stripe.com/api/checkout/sessions/create#create_checkout_session-saved_payment_method_options-payment_method_save).
 */
export const offersSavingCard = (session: Stripe.Checkout.Session) => Boolean(session.customer) && session.saved_payment_method_options?.payment_method_save === 'enabled';

/**
 * The buyer pays on the hosted page with a card (a new one's PaymentMethod, or one of their saved
 * ones the page offers): the session's PaymentIntent is made on the first attempt (amount, currency, customer and
 * `payment_intent_data` from the session) and confirmed. A decline throws the card error and leaves
 * the session open; 3-D Secure leaves it open with the PaymentIntent `requires_action`; success
 * completes it (see completeOnPayment).
 */
export function payCheckoutSession(
  store: Store,
  id: string,
  paymentMethodId: string,
  request: RequestInfo,
  saveCard = false,
): { session: Stripe.Checkout.Session; paymentIntent: Stripe.PaymentIntent } {
  const session = sessionFor(store, id);
  if (session.status !== 'open') {
    throw invalidRequest(`This Checkout Session is ${session.status} and can no longer be paid.`);
  }
  if (saveCard && !offersSavingCard(session)) {
    throw invalidRequest('This Checkout Session does not offer saving the payment method: saved_payment_method_options[payment_method_save] is not enabled, or it has no customer.', { param: 'save_payment_method' });
  }
  const pm = resolvePaymentMethod(store, paymentMethodId);
  if (pm.customer && pm.customer !== session.customer) {
    throw invalidRequest('The provided PaymentMethod belongs to a Customer that is different from the one on this Checkout Session.', { param: 'payment_method' });
  }
  // A saved card is one the page offers: its allow_redisplay passes the session's filters.
  if (pm.customer && !redisplayedCards(store, session).some((card) => card.id === pm.id)) {
    throw invalidRequest(
      `This Checkout Session does not offer the saved PaymentMethod ${pm.id}: its allow_redisplay (${pm.allow_redisplay}) is not among the session's saved_payment_method_options[allow_redisplay_filters].`,
      { param: 'payment_method' },
    );
  }
  let pi = session.payment_intent ? paymentIntents(store).get(session.payment_intent as string) : undefined;
  if (!pi) {
    const data = intentDataOf(store).get(id) ?? { metadata: {} };
    pi = createPaymentIntent(
      store,
      {
        amount: session.amount_total,
        currency: session.currency,
        ...(session.customer ? { customer: session.customer } : {}),
        metadata: data.metadata,
        ...(data.description ? { description: data.description } : {}),
        ...(data.receipt_email ? { receipt_email: data.receipt_email } : {}),
        ...(data.setup_future_usage ? { setup_future_usage: data.setup_future_usage } : {}),
        allowed_payment_method_types: ['card'],
      },
      request,
    );
    session.payment_intent = pi.id;
  }
  if (saveCard) savingCard(store).set(id, true);
  else savingCard(store).delete(id);
  const confirmed = confirmPaymentIntent(store, pi, { payment_method: pm.id, return_url: pageUrl(store, session) }, request);
  return { session, paymentIntent: confirmed };
}

/** A session completes when its PaymentIntent succeeds, wherever that happens (the page, 3-D Secure, the control API). */
function completeOnPayment(store: Store, event: Stripe.Event): void {
  if (event.type !== 'payment_intent.succeeded') return;
  const pi = event.data.object as Stripe.PaymentIntent;
  const session = [...checkoutSessions(store).values()].find((s) => s.payment_intent === pi.id && s.status === 'open');
  if (!session) return;
  const customer = session.customer ? customers(store).get(session.customer as string) : undefined;
  const pm = paymentMethods(store).get(pi.payment_method as string);
  session.status = 'complete';
  session.payment_status = 'paid';
  const request = event.request?.id ? { id: event.request.id, idempotencyKey: event.request.idempotency_key ?? null } : null;
  if (pm && savingCard(store).get(session.id) && session.customer) {
    attach(store, pm, session.customer as string, request);
    pm.allow_redisplay = 'always';
  }
  session.customer_details = {
    address: null,
    business_name: null,
    email: customer?.email ?? session.customer_email ?? pm?.billing_details.email ?? null,
    individual_name: null,
    name: customer?.name ?? pm?.billing_details.name ?? null,
    phone: null,
    tax_exempt: 'none',
    tax_ids: [],
  };
  store.emit('checkout.session.completed', session, request);
}

/** The session as retrieved: `expand[]=line_items` includes the first page of its line items, as at Stripe. */
function retrieved(c: Ctx): Stripe.Checkout.Session {
  const session = sessionFor(c.store, c.path.id!);
  const expand = (c.params.expand as string[] | undefined) ?? [];
  if (!expand.includes('line_items')) return session;
  const items = sessionLineItems(c.store, session.id);
  return { ...session, line_items: { object: 'list', data: items.slice(0, 10), has_more: items.length > 10, url: `/v1/checkout/sessions/${session.id}/line_items` } };
}

export const checkoutSessionResource: Resource = {
  expandable: { object: 'checkout.session', fields: ['customer', 'invoice', 'line_items', 'payment_intent', 'payment_link', 'setup_intent', 'subscription'] },
  attach: (store) => {
    store.onClockAdvance(() => expireDueSessions(store));
    store.onEvent((event) => completeOnPayment(store, event));
  },
  routes: [
    route('POST', '/v1/checkout/sessions', { spec: createSpec, handler: (c) => createCheckoutSession(c.store, c.params) }),
    route('GET', '/v1/checkout/sessions', {
      spec: listFilters,
      handler: (c) => {
        expireDueSessions(c.store);
        const p = c.params as { customer?: string; payment_intent?: string; status?: string; customer_details?: { email?: string } };
        return list(
          c.store,
          checkoutSessions(c.store).values(),
          c.params,
          '/v1/checkout/sessions',
          (s) =>
            (!p.customer || s.customer === p.customer) &&
            (!p.payment_intent || s.payment_intent === p.payment_intent) &&
            (!p.status || s.status === p.status) &&
            (!p.customer_details?.email || s.customer_details?.email === p.customer_details.email),
        );
      },
    }),
    route('GET', '/v1/checkout/sessions/:id', { spec: { expand: 'array' }, handler: retrieved }),
    route('POST', '/v1/checkout/sessions/:id/expire', { spec: { expand: 'array' }, handler: (c) => expireCheckoutSession(c.store, c.path.id!, c.request) }),
    route('GET', '/v1/checkout/sessions/:id/line_items', {
      spec: { limit: 'integer', starting_after: 'string', ending_before: 'string', expand: 'array' },
      handler: (c) => {
        const session = sessionFor(c.store, c.path.id!);
        return list(c.store, sessionLineItems(c.store, session.id), c.params, `/v1/checkout/sessions/${session.id}/line_items`, () => true, 'given');
      },
    }),
  ],
};
