import { createHash, randomBytes } from 'node:crypto';
import { randomToken } from './random.js';
import type Stripe from 'stripe';
import { brandOf, type CardBehaviour, cardByMagicId, cardByNumber, luhnValid } from './cards.js';
import { invalidRequest, resourceMissing, StripeApiError, unexpectedState } from './errors.js';

/** Stripe's standard US card pricing, used for every balance transaction's fee. */
export const cardFee = (amount: number) => Math.round(amount * 0.029) + 30;
export const DISPUTE_FEE = 1500;
const API_VERSION = '2026-10-28.endive';

export interface EmulatorOptions {
  /** Seeded ids and a clock that moves only when advanced. */
  deterministic?: boolean;
  seed?: number;
  /** Unix seconds the emulated clock starts at (deterministic mode). */
  startTime?: number;
  /** Base URL the server is reachable at, for receipt and authentication links. */
  baseUrl?: () => string;
  /**
   * How many events are kept, newest first (Stripe keeps 30 days of them). Bounded so a long soak
   * or a dev server running for weeks does not grow its memory and state file without end.
   */
  maxEvents?: number;
}

export interface RequestInfo {
  id: string;
  idempotencyKey: string | null;
}

type Listener = (event: Stripe.Event) => void;

/** Internal facts about a PaymentMethod that Stripe keeps to itself. */
interface CardState {
  behaviour: CardBehaviour;
}

/**
 * The state and rules of the local Stripe: every object, its state machine and the events each
 * transition records. Transport (auth, idempotency, faults) lives in server.ts.
 */
export class Emulator {
  readonly customers = new Map<string, Stripe.Customer>();
  readonly paymentMethods = new Map<string, Stripe.PaymentMethod>();
  readonly paymentIntents = new Map<string, Stripe.PaymentIntent>();
  readonly charges = new Map<string, Stripe.Charge>();
  readonly refunds = new Map<string, Stripe.Refund>();
  readonly disputes = new Map<string, Stripe.Dispute>();
  readonly balanceTransactions = new Map<string, Stripe.BalanceTransaction>();
  readonly events = new Map<string, Stripe.Event>();
  private readonly cardState = new Map<string, CardState>();
  /** Insertion sequence per id: lists sort newest first by (created, sequence) as Stripe does. */
  private readonly sequence = new Map<string, number>();
  private listeners: Listener[] = [];
  private counter = 0;
  private offsetSeconds = 0;
  private idSeed: string;

  constructor(private readonly options: EmulatorOptions = {}) {
    this.idSeed = (options.seed ?? 42).toString(36);
  }

  onEvent(listener: Listener): () => void {
    this.listeners.push(listener);
    return () => {
      this.listeners = this.listeners.filter((l) => l !== listener);
    };
  }

  /** The stores that make up the state (everything but listeners). */
  private stores(): Record<string, Map<string, unknown>> {
    return {
      customers: this.customers,
      paymentMethods: this.paymentMethods,
      paymentIntents: this.paymentIntents,
      charges: this.charges,
      refunds: this.refunds,
      disputes: this.disputes,
      balanceTransactions: this.balanceTransactions,
      events: this.events,
      cardState: this.cardState,
      sequence: this.sequence,
    };
  }

  /** The state as JSON: the local Stripe can outlive its process. */
  snapshot(): string {
    return JSON.stringify({
      version: 1,
      counter: this.counter,
      offsetSeconds: this.offsetSeconds,
      maps: Object.fromEntries(Object.entries(this.stores()).map(([k, m]) => [k, [...m]])),
    });
  }

  restore(json: string): void {
    const data = JSON.parse(json) as { version: number; counter: number; offsetSeconds: number; maps: Record<string, Array<[string, unknown]>> };
    if (data.version !== 1) return;
    this.reset();
    this.counter = data.counter;
    this.offsetSeconds = data.offsetSeconds;
    const targets = this.stores();
    for (const [name, entries] of Object.entries(data.maps)) {
      const target = targets[name];
      if (target) for (const [k, v] of entries) target.set(k, v);
    }
  }

  reset(): void {
    for (const store of Object.values(this.stores())) store.clear();
    this.counter = 0;
    this.offsetSeconds = 0;
  }

  // ---- clock and ids ----

  now(): number {
    const base = this.options.deterministic ? (this.options.startTime ?? 1_767_225_600) : Math.floor(Date.now() / 1000);
    return base + this.offsetSeconds;
  }

  /** Moves the emulated clock; things that happen "some time later" at Stripe happen now. */
  advanceClock(seconds: number): void {
    this.offsetSeconds += seconds;
    this.settleRefunds();
  }

  newId(prefix: string): string {
    this.counter++;
    const tail = this.options.deterministic
      ? createHash('sha256').update(`${this.idSeed}:${prefix}:${this.counter}`).digest('base64url').replace(/[-_]/g, 'x').slice(0, 24)
      : randomToken(24);
    const id = `${prefix}_${tail}`;
    this.sequence.set(id, this.counter);
    return id;
  }

  order(id: string): number {
    return this.sequence.get(id) ?? 0;
  }

  private baseUrl(): string {
    return this.options.baseUrl?.() ?? 'http://127.0.0.1:12111';
  }

  // ---- events ----

  private emit(
    type: string,
    object: { id?: string; object?: string },
    request: RequestInfo | null,
    previous?: Record<string, unknown>,
  ): Stripe.Event {
    const event = {
      id: this.newId('evt'),
      object: 'event',
      api_version: API_VERSION,
      created: this.now(),
      data: { object: structuredClone(object), ...(previous ? { previous_attributes: previous } : {}) },
      livemode: false,
      pending_webhooks: 0,
      request: request ? { id: request.id, idempotency_key: request.idempotencyKey } : { id: null, idempotency_key: null },
      type,
    } as unknown as Stripe.Event;
    this.events.set(event.id, event);
    // A Map iterates in insertion order: the first key is the oldest event.
    if (this.events.size > (this.options.maxEvents ?? 10_000)) {
      const oldest = this.events.keys().next().value!;
      this.events.delete(oldest);
      this.sequence.delete(oldest);
    }
    for (const listener of this.listeners) listener(event);
    return event;
  }

  // ---- lookups ----

  get<T>(map: Map<string, T>, kind: string, id: string, param = 'id'): T {
    const found = map.get(id);
    if (!found) throw resourceMissing(kind, id, param);
    return found;
  }

  /** Any object by id, for `expand[]`. */
  byId(id: string): unknown {
    const prefix = id.split('_')[0];
    const map = {
      cus: this.customers,
      pm: this.paymentMethods,
      pi: this.paymentIntents,
      ch: this.charges,
      re: this.refunds,
      dp: this.disputes,
      txn: this.balanceTransactions,
      evt: this.events,
    }[prefix ?? ''] as Map<string, unknown> | undefined;
    return map?.get(id);
  }

  // ---- customers ----

  createCustomer(params: Record<string, unknown>, request: RequestInfo): Stripe.Customer {
    const customer: Stripe.Customer = {
      id: this.newId('cus'),
      object: 'customer',
      address: null,
      balance: 0,
      created: this.now(),
      currency: null,
      default_source: null,
      delinquent: false,
      description: (params.description as string) ?? null,
      discount: null,
      email: (params.email as string) ?? null,
      invoice_prefix: randomBytes(4).toString('hex').toUpperCase(),
      invoice_settings: { custom_fields: null, default_payment_method: null, footer: null, rendering_options: null },
      livemode: false,
      metadata: (params.metadata as Record<string, string>) ?? {},
      name: (params.name as string) ?? null,
      next_invoice_sequence: 1,
      phone: null,
      preferred_locales: [],
      shipping: null,
      tax_exempt: 'none',
      test_clock: null,
    };
    if (params.payment_method) {
      this.attach(params.payment_method as string, customer.id, request, false);
    }
    const defaultPm = (params.invoice_settings as { default_payment_method?: string } | undefined)?.default_payment_method;
    this.customers.set(customer.id, customer);
    if (defaultPm) this.setDefaultPaymentMethod(customer, defaultPm);
    this.emit('customer.created', customer, request);
    return customer;
  }

  private setDefaultPaymentMethod(customer: Stripe.Customer, pmId: string) {
    if (pmId === '') {
      customer.invoice_settings.default_payment_method = null;
      return;
    }
    const pm = this.paymentMethods.get(pmId);
    if (!pm || pm.customer !== customer.id) {
      throw invalidRequest(
        `The customer does not have a payment method with the ID ${pmId}. The payment method must be attached to the customer.`,
        { code: 'resource_missing', param: 'invoice_settings[default_payment_method]' },
      );
    }
    customer.invoice_settings.default_payment_method = pmId;
  }

  updateCustomer(id: string, params: Record<string, unknown>, request: RequestInfo): Stripe.Customer {
    const customer = this.get(this.customers, 'customer', id);
    const previous: Record<string, unknown> = {};
    for (const key of ['email', 'name', 'description'] as const) {
      if (params[key] !== undefined) {
        previous[key] = customer[key];
        customer[key] = (params[key] as string) || null;
      }
    }
    if (params.metadata) {
      previous.metadata = { ...customer.metadata };
      customer.metadata = mergeMetadata(customer.metadata, params.metadata as Record<string, string>);
    }
    const settings = params.invoice_settings as { default_payment_method?: string } | undefined;
    if (settings?.default_payment_method !== undefined) {
      previous.invoice_settings = { ...customer.invoice_settings };
      this.setDefaultPaymentMethod(customer, settings.default_payment_method);
    }
    this.emit('customer.updated', customer, request, previous);
    return customer;
  }

  deleteCustomer(id: string, request: RequestInfo): Stripe.DeletedCustomer {
    const customer = this.get(this.customers, 'customer', id);
    for (const pm of this.paymentMethods.values()) if (pm.customer === id) pm.customer = null;
    this.customers.delete(id);
    this.emit('customer.deleted', customer, request);
    return { id, object: 'customer', deleted: true };
  }

  // ---- payment methods ----

  createPaymentMethod(params: Record<string, unknown>): Stripe.PaymentMethod {
    if (params.type !== 'card') throw invalidRequest('Only card PaymentMethods are supported here.', { param: 'type' });
    const card = params.card as Record<string, string> | undefined;
    if (!card) throw invalidRequest('Missing required param: card.', { code: 'parameter_missing', param: 'card' });
    if (card.token) {
      const known = cardByMagicId.get(card.token.replace(/^tok_/, 'pm_card_'));
      if (!known) throw resourceMissing('token', card.token, 'card[token]');
      return this.newCardPaymentMethod(known.number, 12, nextYear(this.now()), known.behaviour, params);
    }
    const number = (card.number ?? '').replace(/\s+/g, '');
    if (!number) throw invalidRequest('Missing required param: card[number].', { code: 'parameter_missing', param: 'card[number]' });
    if (!/^\d{12,19}$/.test(number) || !luhnValid(number)) {
      throw cardError('incorrect_number', undefined, 'Your card number is incorrect.', { param: 'card[number]' });
    }
    const expMonth = Number(card.exp_month);
    const expYear = normaliseYear(Number(card.exp_year));
    if (!Number.isInteger(expMonth) || expMonth < 1 || expMonth > 12) {
      throw cardError('invalid_expiry_month', undefined, "Your card's expiration month is invalid.", { param: 'card[exp_month]' });
    }
    const nowDate = new Date(this.now() * 1000);
    if (!Number.isInteger(expYear) || expYear < nowDate.getUTCFullYear() || expYear > nowDate.getUTCFullYear() + 50) {
      throw cardError('invalid_expiry_year', undefined, "Your card's expiration year is invalid.", { param: 'card[exp_year]' });
    }
    if (expYear === nowDate.getUTCFullYear() && expMonth < nowDate.getUTCMonth() + 1) {
      throw cardError('invalid_expiry_month', undefined, "Your card's expiration month is invalid.", { param: 'card[exp_month]' });
    }
    if (card.cvc !== undefined && !/^\d{3,4}$/.test(card.cvc)) {
      throw cardError('invalid_cvc', undefined, "Your card's security code is invalid.", { param: 'card[cvc]' });
    }
    const behaviour = cardByNumber.get(number)?.behaviour ?? { kind: 'succeed' };
    return this.newCardPaymentMethod(number, expMonth, expYear, behaviour, params);
  }

  private newCardPaymentMethod(
    number: string,
    expMonth: number,
    expYear: number,
    behaviour: CardBehaviour,
    params: Record<string, unknown>,
  ): Stripe.PaymentMethod {
    const brand = brandOf(number);
    const billing = (params.billing_details ?? {}) as Record<string, string>;
    const pm: Stripe.PaymentMethod = {
      id: this.newId('pm'),
      object: 'payment_method',
      allow_redisplay: 'unspecified',
      billing_details: {
        address: null,
        email: billing.email ?? null,
        name: billing.name ?? null,
        phone: billing.phone ?? null,
        tax_id: null,
      },
      card: {
        brand,
        checks: { address_line1_check: null, address_postal_code_check: null, cvc_check: 'unchecked' },
        country: 'US',
        display_brand: brand,
        exp_month: expMonth,
        exp_year: expYear,
        fingerprint: createHash('sha256').update(`fp:${number}`).digest('base64url').slice(0, 16),
        funding: 'credit',
        generated_from: null,
        last4: number.slice(-4),
        networks: { available: [brand], preferred: null },
        regulated_status: 'unregulated',
        three_d_secure_usage: { supported: true },
        wallet: null,
      },
      created: this.now(),
      customer: null,
      customer_account: null,
      livemode: false,
      metadata: (params.metadata as Record<string, string>) ?? {},
      type: 'card',
    };
    this.paymentMethods.set(pm.id, pm);
    this.cardState.set(pm.id, { behaviour });
    return pm;
  }

  /** A PaymentMethod by id; a magic test id (pm_card_visa, …) makes a fresh one, as Stripe does. */
  resolvePaymentMethod(id: string, param = 'payment_method'): Stripe.PaymentMethod {
    const magic = cardByMagicId.get(id);
    if (magic) return this.newCardPaymentMethod(magic.number, 12, nextYear(this.now()), magic.behaviour, {});
    return this.get(this.paymentMethods, 'PaymentMethod', id, param);
  }

  behaviourOf(pmId: string): CardBehaviour {
    return this.cardState.get(pmId)?.behaviour ?? { kind: 'succeed' };
  }

  attach(pmId: string, customerId: string, request: RequestInfo, emitCustomerCheck = true): Stripe.PaymentMethod {
    if (emitCustomerCheck) this.get(this.customers, 'customer', customerId, 'customer');
    const pm = this.resolvePaymentMethod(pmId, 'payment_method');
    if (pm.customer === customerId) return pm;
    if (pm.customer) {
      throw invalidRequest('The payment method you provided has already been attached to a customer.', {
        code: 'payment_method_unexpected_state',
      });
    }
    const behaviour = this.behaviourOf(pm.id);
    if (behaviour.kind === 'decline' && !behaviour.attachable) {
      throw cardError(behaviour.code, behaviour.declineCode, behaviour.message, { payment_method: pm });
    }
    pm.customer = customerId;
    this.emit('payment_method.attached', pm, request);
    return pm;
  }

  detach(pmId: string, request: RequestInfo): Stripe.PaymentMethod {
    const pm = this.get(this.paymentMethods, 'PaymentMethod', pmId);
    if (!pm.customer) {
      throw invalidRequest(`The payment method ${pmId} is not attached to a customer`, { code: 'payment_method_unexpected_state' });
    }
    const customer = this.customers.get(pm.customer as string);
    if (customer?.invoice_settings.default_payment_method === pmId) customer.invoice_settings.default_payment_method = null;
    const previous = { customer: pm.customer };
    pm.customer = null;
    this.emit('payment_method.detached', pm, request, previous);
    return pm;
  }

  // ---- payment intents ----

  createPaymentIntent(params: Record<string, unknown>, request: RequestInfo): Stripe.PaymentIntent {
    const amount = params.amount as number;
    const currency = (params.currency as string).toLowerCase();
    if (amount < 50) {
      throw invalidRequest(`Amount must be at least 50 cents`, { code: 'amount_too_small', param: 'amount' });
    }
    if (amount > 99_999_999) {
      throw invalidRequest('Amount must be no more than $999,999.99', { code: 'amount_too_large', param: 'amount' });
    }
    const customer = params.customer as string | undefined;
    if (customer) this.get(this.customers, 'customer', customer, 'customer');
    const pm = params.payment_method ? this.resolvePaymentMethod(params.payment_method as string) : null;
    if (pm) this.checkPaymentMethodOwner(pm, customer ?? null);
    const id = this.newId('pi');
    const pi: Stripe.PaymentIntent = {
      id,
      object: 'payment_intent',
      allowed_payment_method_types: null,
      amount,
      amount_capturable: 0,
      amount_details: { tip: {} },
      amount_received: 0,
      application: null,
      application_fee_amount: null,
      automatic_payment_methods: null,
      canceled_at: null,
      cancellation_reason: null,
      capture_method: 'automatic',
      client_secret: `${id}_secret_${randomToken(16)}`,
      confirmation_method: 'automatic',
      created: this.now(),
      currency,
      customer: customer ?? null,
      customer_account: null,
      description: (params.description as string) ?? null,
      excluded_payment_method_types: null,
      last_payment_error: null,
      latest_charge: null,
      livemode: false,
      managed_payments: null,
      metadata: (params.metadata as Record<string, string>) ?? {},
      next_action: null,
      on_behalf_of: null,
      payment_method: pm?.id ?? null,
      payment_method_configuration_details: null,
      payment_method_options: { card: { installments: null, mandate_options: null, network: null, request_three_d_secure: 'automatic' } },
      payment_method_types: (params.payment_method_types as string[]) ?? ['card'],
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
    this.paymentIntents.set(id, pi);
    this.emit('payment_intent.created', pi, request);
    if (params.confirm === true) {
      return this.confirm(pi, { off_session: params.off_session, return_url: params.return_url }, request);
    }
    return pi;
  }

  private checkPaymentMethodOwner(pm: Stripe.PaymentMethod, customer: string | null) {
    if (pm.customer && pm.customer !== customer) {
      throw invalidRequest(
        `The provided PaymentMethod belongs to a Customer that is different from the one on this PaymentIntent.`,
        { param: 'payment_method' },
      );
    }
  }

  updatePaymentIntent(id: string, params: Record<string, unknown>): Stripe.PaymentIntent {
    const pi = this.get(this.paymentIntents, 'payment_intent', id, 'intent');
    if (pi.status === 'succeeded' || pi.status === 'canceled' || pi.status === 'processing') {
      throw unexpectedState(`You cannot update this PaymentIntent because it has a status of ${pi.status}.`, { payment_intent: pi });
    }
    if (params.amount !== undefined) pi.amount = params.amount as number;
    if (params.currency !== undefined) pi.currency = (params.currency as string).toLowerCase();
    if (params.description !== undefined) pi.description = (params.description as string) || null;
    if (params.receipt_email !== undefined) pi.receipt_email = (params.receipt_email as string) || null;
    if (params.metadata !== undefined) pi.metadata = mergeMetadata(pi.metadata, params.metadata as Record<string, string>);
    if (params.setup_future_usage !== undefined) pi.setup_future_usage = (params.setup_future_usage as Stripe.PaymentIntent.SetupFutureUsage) || null;
    if (params.customer !== undefined) {
      this.get(this.customers, 'customer', params.customer as string, 'customer');
      pi.customer = params.customer as string;
    }
    if (params.payment_method !== undefined) {
      const pm = this.resolvePaymentMethod(params.payment_method as string);
      this.checkPaymentMethodOwner(pm, pi.customer as string | null);
      pi.payment_method = pm.id;
      pi.status = 'requires_confirmation';
    }
    return pi;
  }

  confirm(pi: Stripe.PaymentIntent, params: Record<string, unknown>, request: RequestInfo): Stripe.PaymentIntent {
    if (!['requires_payment_method', 'requires_confirmation', 'requires_action'].includes(pi.status)) {
      throw unexpectedState(
        `You cannot confirm this PaymentIntent because it has a status of ${pi.status}. Only a PaymentIntent with one of the following statuses may be confirmed: requires_confirmation, requires_payment_method, requires_action.`,
        { payment_intent: pi },
      );
    }
    if (params.payment_method) {
      const pm = this.resolvePaymentMethod(params.payment_method as string);
      this.checkPaymentMethodOwner(pm, pi.customer as string | null);
      pi.payment_method = pm.id;
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
    const pm = this.get(this.paymentMethods, 'PaymentMethod', pmId, 'payment_method');
    const behaviour = this.behaviourOf(pmId);
    const offSession = params.off_session === true || params.off_session === 'true' || params.off_session === 'one_off' || params.off_session === 'recurring';
    pi.last_payment_error = null;

    if (behaviour.kind === 'require3ds') {
      const setUp = !behaviour.always && pm.customer !== null && pm.customer === pi.customer;
      if (!setUp) {
        if (offSession) {
          return this.decline(pi, pm, { code: 'authentication_required', declineCode: 'authentication_required', message: 'Your card was declined. This transaction requires authentication.' }, request, true);
        }
        const authUrl = `${this.baseUrl()}/authenticate/${pi.id}?client_secret=${encodeURIComponent(pi.client_secret!)}`;
        const returnUrl = params.return_url as string | undefined;
        pi.status = 'requires_action';
        pi.next_action = returnUrl
          ? { type: 'redirect_to_url', redirect_to_url: { url: `${authUrl}&return_url=${encodeURIComponent(returnUrl)}`, return_url: returnUrl } }
          : { type: 'use_stripe_sdk', use_stripe_sdk: { type: 'three_d_secure_redirect', stripe_js: authUrl, source: pm.id } };
        this.emit('payment_intent.requires_action', pi, request);
        return pi;
      }
    }
    if (behaviour.kind === 'decline') {
      return this.decline(pi, pm, behaviour, request, true);
    }
    return this.succeed(pi, pm, request);
  }

  /** Completes or fails a pending 3-D Secure authentication (the authentication page's buttons). */
  authenticate(piId: string, outcome: 'complete' | 'fail', request: RequestInfo): Stripe.PaymentIntent {
    const pi = this.get(this.paymentIntents, 'payment_intent', piId, 'intent');
    if (pi.status !== 'requires_action') {
      throw unexpectedState(`This PaymentIntent is not awaiting authentication (status ${pi.status}).`);
    }
    const pm = this.get(this.paymentMethods, 'PaymentMethod', pi.payment_method as string);
    pi.next_action = null;
    if (outcome === 'complete') return this.succeed(pi, pm, request);
    pi.status = 'requires_payment_method';
    pi.last_payment_error = {
      type: 'invalid_request_error',
      code: 'payment_intent_authentication_failure',
      doc_url: 'https://stripe.com/docs/error-codes/payment-intent-authentication-failure',
      message:
        'We are unable to authenticate your payment method. Please choose a different payment method and try again.',
      payment_method: pm,
    };
    pi.payment_method = null;
    this.emit('payment_intent.payment_failed', pi, request);
    return pi;
  }

  private decline(
    pi: Stripe.PaymentIntent,
    pm: Stripe.PaymentMethod,
    failure: { code: string; declineCode?: string; message: string; outcome?: 'blocked' },
    request: RequestInfo,
    raise: boolean,
  ): never | Stripe.PaymentIntent {
    const charge = this.newCharge(pi, pm, 'failed', failure);
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
    this.emit('charge.failed', charge, request);
    this.emit('payment_intent.payment_failed', pi, request);
    if (!raise) return pi;
    throw cardError(failure.code, failure.declineCode, failure.message, {
      charge: charge.id,
      payment_intent: structuredClone(pi),
      payment_method: pm,
    });
  }

  private succeed(pi: Stripe.PaymentIntent, pm: Stripe.PaymentMethod, request: RequestInfo): Stripe.PaymentIntent {
    const charge = this.newCharge(pi, pm, 'succeeded');
    pi.status = 'succeeded';
    pi.amount_received = pi.amount;
    pi.latest_charge = charge.id;
    pi.next_action = null;
    if (pi.setup_future_usage && pi.customer && pm.customer !== pi.customer) {
      this.attach(pm.id, pi.customer as string, request, false);
    }
    this.emit('charge.succeeded', charge, request);
    this.emit('payment_intent.succeeded', pi, request);
    if (this.behaviourOf(pm.id).kind === 'dispute') this.openDispute(charge.id, {}, request);
    return pi;
  }

  private newCharge(
    pi: Stripe.PaymentIntent,
    pm: Stripe.PaymentMethod,
    status: 'succeeded' | 'failed',
    failure?: { code: string; declineCode?: string; message: string; outcome?: 'blocked' },
  ): Stripe.Charge {
    const id = this.newId('ch');
    const card = pm.card!;
    let balanceTransaction: string | null = null;
    if (status === 'succeeded') {
      balanceTransaction = this.newBalanceTransaction(pi.amount, pi.currency, cardFee(pi.amount), 'charge', id, 'Payment').id;
    }
    const charge: Stripe.Charge = {
      id,
      object: 'charge',
      amount: pi.amount,
      amount_captured: status === 'succeeded' ? pi.amount : 0,
      amount_refunded: 0,
      application: null,
      application_fee: null,
      application_fee_amount: null,
      balance_transaction: balanceTransaction,
      billing_details: { ...pm.billing_details },
      calculated_statement_descriptor: 'DEVBOARD',
      captured: status === 'succeeded',
      created: this.now(),
      currency: pi.currency,
      customer: pi.customer as string | null,
      description: pi.description,
      disputed: false,
      failure_balance_transaction: null,
      failure_code: failure?.code ?? null,
      failure_message: failure?.message ?? null,
      fraud_details: {},
      livemode: false,
      metadata: { ...pi.metadata },
      on_behalf_of: null,
      outcome: failure
        ? {
            advice_code: null,
            network_advice_code: null,
            network_decline_code: null,
            network_status: failure.outcome === 'blocked' ? 'not_sent_to_network' : 'declined_by_network',
            reason: failure.declineCode ?? failure.code,
            risk_level: failure.outcome === 'blocked' ? 'highest' : 'normal',
            seller_message: failure.outcome === 'blocked' ? 'Stripe blocked this payment as too risky.' : 'The bank did not return any further details with this decline.',
            type: failure.outcome === 'blocked' ? 'blocked' : 'issuer_declined',
          }
        : {
            advice_code: null,
            network_advice_code: null,
            network_decline_code: null,
            network_status: 'approved_by_network',
            reason: null,
            risk_level: 'normal',
            seller_message: 'Payment complete.',
            type: 'authorized',
          },
      paid: status === 'succeeded',
      payment_intent: pi.id,
      payment_method: pm.id,
      payment_method_details: {
        type: 'card',
        card: {
          amount_authorized: status === 'succeeded' ? pi.amount : null,
          authorization_code: status === 'succeeded' ? '123456' : null,
          brand: card.brand,
          checks: card.checks,
          country: card.country,
          electronic_commerce_indicator: null,
          exp_month: card.exp_month,
          exp_year: card.exp_year,
          fingerprint: card.fingerprint,
          funding: card.funding,
          installments: null,
          last4: card.last4,
          mandate: null,
          network: card.brand,
          network_transaction_id: null,
          regulated_status: 'unregulated',
          three_d_secure: null,
          transaction_link_id: null,
          wallet: null,
        },
      },
      receipt_email: pi.receipt_email,
      receipt_number: null,
      receipt_url: `${this.baseUrl()}/receipts/${id}`,
      refunded: false,
      review: null,
      shipping: null,
      source: null,
      source_transfer: null,
      statement_descriptor: null,
      statement_descriptor_suffix: null,
      status,
      transfer_data: null,
      transfer_group: null,
    };
    this.charges.set(id, charge);
    return charge;
  }

  cancelPaymentIntent(id: string, params: Record<string, unknown>, request: RequestInfo): Stripe.PaymentIntent {
    const pi = this.get(this.paymentIntents, 'payment_intent', id, 'intent');
    if (pi.status === 'succeeded' || pi.status === 'canceled') {
      throw unexpectedState(
        `You cannot cancel this PaymentIntent because it has a status of ${pi.status}. Only a PaymentIntent with one of the following statuses may be canceled: requires_payment_method, requires_capture, requires_confirmation, requires_action, processing.`,
        { payment_intent: pi },
      );
    }
    pi.status = 'canceled';
    pi.canceled_at = this.now();
    pi.next_action = null;
    pi.cancellation_reason = (params.cancellation_reason as Stripe.PaymentIntent.CancellationReason) ?? null;
    this.emit('payment_intent.canceled', pi, request);
    return pi;
  }

  // ---- balance transactions ----

  private newBalanceTransaction(
    amount: number,
    currency: string,
    fee: number,
    type: Stripe.BalanceTransaction.Type,
    source: string,
    description: string,
  ): Stripe.BalanceTransaction {
    const created = this.now();
    const txn: Stripe.BalanceTransaction = {
      id: this.newId('txn'),
      object: 'balance_transaction',
      amount,
      available_on: created + 2 * 86400,
      balance_type: 'payments',
      created,
      currency,
      description,
      exchange_rate: null,
      fee,
      fee_details: fee
        ? [{ amount: fee, application: null, currency, description: type === 'adjustment' ? 'Dispute fee' : 'Stripe processing fees', type: 'stripe_fee' }]
        : [],
      net: amount - fee,
      reporting_category: type === 'charge' ? 'charge' : type === 'refund' ? 'refund' : 'dispute',
      source,
      status: 'pending',
      type,
    };
    this.balanceTransactions.set(txn.id, txn);
    return txn;
  }

  // ---- refunds ----

  createRefund(params: Record<string, unknown>, request: RequestInfo): Stripe.Refund {
    let charge: Stripe.Charge;
    if (params.charge) {
      charge = this.get(this.charges, 'charge', params.charge as string, 'charge');
    } else if (params.payment_intent) {
      const pi = this.get(this.paymentIntents, 'payment_intent', params.payment_intent as string, 'payment_intent');
      if (pi.status !== 'succeeded' || !pi.latest_charge) {
        throw invalidRequest(`This PaymentIntent (${pi.id}) does not have a successful charge to refund.`, {
          code: 'charge_not_refundable',
          param: 'payment_intent',
        });
      }
      charge = this.get(this.charges, 'charge', pi.latest_charge as string);
    } else {
      throw invalidRequest('One of the following params should be provided for this request: payment_intent or charge.', {
        code: 'parameter_missing',
      });
    }
    if (charge.status !== 'succeeded') {
      throw invalidRequest(`Charge ${charge.id} cannot be refunded because it has not succeeded.`, { code: 'charge_not_refundable' });
    }
    const dispute = [...this.disputes.values()].find((d) => d.charge === charge.id && d.status !== 'won');
    if (dispute) {
      throw invalidRequest(`Charge ${charge.id} has been charged back; cannot issue a refund.`, { code: 'charge_disputed' });
    }
    const remaining = charge.amount - charge.amount_refunded;
    if (remaining === 0) {
      throw invalidRequest(`Charge ${charge.id} has already been refunded.`, { code: 'charge_already_refunded' });
    }
    const amount = (params.amount as number | undefined) ?? remaining;
    if (amount <= 0) throw invalidRequest('Invalid positive integer', { code: 'parameter_invalid_integer', param: 'amount' });
    if (amount > remaining) {
      throw invalidRequest(
        `Refund amount (${formatMoney(amount, charge.currency)}) is greater than unrefunded amount on charge (${formatMoney(remaining, charge.currency)})`,
        { code: 'amount_too_large', param: 'amount' },
      );
    }
    const behaviour = this.behaviourOf(charge.payment_method as string);
    const id = this.newId('re');
    const txn = this.newBalanceTransaction(-amount, charge.currency, 0, 'refund', id, 'REFUND FOR CHARGE');
    const refund: Stripe.Refund = {
      id,
      object: 'refund',
      amount,
      balance_transaction: txn.id,
      charge: charge.id,
      created: this.now(),
      currency: charge.currency,
      customer: charge.customer as string | null,
      customer_account: null,
      destination_details: { type: 'card', card: { reference_status: 'pending', reference_type: 'acquirer_reference_number', type: 'refund' } },
      metadata: (params.metadata as Record<string, string>) ?? {},
      payment_intent: charge.payment_intent as string,
      payment_method: charge.payment_method,
      reason: (params.reason as Stripe.Refund.Reason) ?? null,
      receipt_number: null,
      source_transfer_reversal: null,
      status: behaviour.kind === 'refundPending' ? 'pending' : 'succeeded',
      transfer_reversal: null,
    };
    this.refunds.set(id, refund);
    const previous = { amount_refunded: charge.amount_refunded, refunded: charge.refunded };
    charge.amount_refunded += amount;
    charge.refunded = charge.amount_refunded === charge.amount;
    this.emit('refund.created', refund, request);
    this.emit('charge.refunded', charge, request, previous);
    return refund;
  }

  /** What Stripe does "some time later": pending refunds succeed, refund-fail cards' refunds fail. */
  settleRefunds(): void {
    for (const refund of this.refunds.values()) {
      const behaviour = this.behaviourOf(refund.payment_method as string);
      if (refund.status === 'pending' && behaviour.kind === 'refundPending') {
        refund.status = 'succeeded';
        this.emit('charge.refund.updated', refund, null, { status: 'pending' });
        this.emit('refund.updated', refund, null, { status: 'pending' });
      } else if (refund.status === 'succeeded' && behaviour.kind === 'refundFail' && !refund.failure_reason) {
        refund.status = 'failed';
        refund.failure_reason = 'expired_or_canceled_card';
        const charge = this.charges.get(refund.charge as string)!;
        charge.amount_refunded -= refund.amount;
        charge.refunded = false;
        refund.failure_balance_transaction = this.newBalanceTransaction(refund.amount, refund.currency, 0, 'refund_failure', refund.id, 'REFUND FAILURE').id;
        this.emit('charge.refund.updated', refund, null, { status: 'succeeded' });
        this.emit('refund.failed', refund, null, { status: 'succeeded' });
      }
    }
  }

  // ---- disputes ----

  openDispute(chargeId: string, params: { reason?: string; amount?: number }, request: RequestInfo | null): Stripe.Dispute {
    const charge = this.get(this.charges, 'charge', chargeId, 'charge');
    if (charge.status !== 'succeeded') throw invalidRequest(`Charge ${chargeId} has not succeeded and cannot be disputed.`);
    if (charge.disputed) throw invalidRequest(`Charge ${chargeId} is already disputed.`);
    const amount = params.amount ?? charge.amount - charge.amount_refunded;
    const id = this.newId('dp');
    const txn = this.newBalanceTransaction(-amount, charge.currency, DISPUTE_FEE, 'adjustment', id, `Chargeback withdrawal for ${chargeId}`);
    const dispute: Stripe.Dispute = {
      id,
      object: 'dispute',
      amount,
      balance_transactions: [txn],
      charge: chargeId,
      created: this.now(),
      currency: charge.currency,
      enhanced_eligibility_types: [],
      evidence: emptyEvidence(),
      evidence_details: {
        due_by: this.now() + 7 * 86400,
        enhanced_eligibility: {},
        has_evidence: false,
        past_due: false,
        submission_count: 0,
        submission_method: null as unknown as Stripe.Dispute.EvidenceDetails.SubmissionMethod,
      },
      intended_submission_method: null,
      is_charge_refundable: false,
      livemode: false,
      metadata: {},
      payment_intent: charge.payment_intent as string,
      reason: params.reason ?? 'fraudulent',
      status: 'needs_response',
    };
    this.disputes.set(id, dispute);
    charge.disputed = true;
    this.emit('charge.dispute.created', dispute, request);
    this.emit('charge.dispute.funds_withdrawn', dispute, request);
    return dispute;
  }

  closeDispute(id: string, outcome: 'won' | 'lost', request: RequestInfo | null): Stripe.Dispute {
    const dispute = this.get(this.disputes, 'dispute', id);
    if (dispute.status === 'won' || dispute.status === 'lost') {
      throw invalidRequest(`This dispute is already closed.`, { code: 'dispute_already_closed' });
    }
    const previous = { status: dispute.status };
    dispute.status = outcome;
    if (outcome === 'won') {
      const charge = this.charges.get(dispute.charge as string)!;
      dispute.balance_transactions.push(
        this.newBalanceTransaction(dispute.amount, dispute.currency, -DISPUTE_FEE, 'adjustment', id, `Chargeback reversal for ${charge.id}`),
      );
      this.emit('charge.dispute.funds_reinstated', dispute, request);
    }
    this.emit('charge.dispute.closed', dispute, request, previous);
    return dispute;
  }
}

export function cardError(
  code: string,
  declineCode: string | undefined,
  message: string,
  extra: Record<string, unknown> = {},
): StripeApiError {
  return new StripeApiError(402, {
    type: 'card_error',
    code,
    ...(declineCode ? { decline_code: declineCode } : {}),
    doc_url: `https://stripe.com/docs/error-codes/${code.replace(/_/g, '-')}`,
    message,
    ...extra,
  });
}

function mergeMetadata(current: Record<string, string>, update: Record<string, string>): Record<string, string> {
  const merged = { ...current };
  for (const [k, v] of Object.entries(update)) {
    if (v === '') delete merged[k];
    else merged[k] = v;
  }
  return merged;
}

const nextYear = (now: number) => new Date(now * 1000).getUTCFullYear() + 1;
const normaliseYear = (y: number) => (y < 100 ? 2000 + y : y);

function formatMoney(amount: number, currency: string): string {
  return `${currency === 'usd' ? '$' : ''}${(amount / 100).toFixed(2)}${currency === 'usd' ? '' : ` ${currency}`}`;
}

function emptyEvidence(): Stripe.Dispute.Evidence {
  const keys = [
    'access_activity_log',
    'billing_address',
    'cancellation_policy',
    'cancellation_policy_disclosure',
    'cancellation_rebuttal',
    'customer_communication',
    'customer_email_address',
    'customer_name',
    'customer_purchase_ip',
    'customer_signature',
    'duplicate_charge_documentation',
    'duplicate_charge_explanation',
    'duplicate_charge_id',
    'product_description',
    'receipt',
    'refund_policy',
    'refund_policy_disclosure',
    'refund_refusal_explanation',
    'service_date',
    'service_documentation',
    'shipping_address',
    'shipping_carrier',
    'shipping_date',
    'shipping_documentation',
    'shipping_tracking_number',
    'uncategorized_file',
    'uncategorized_text',
  ] as const;
  const evidence = Object.fromEntries(keys.map((k) => [k, null])) as Record<(typeof keys)[number], null>;
  return { ...evidence, enhanced_evidence: {} };
}
