import { createHash } from 'node:crypto';
import type Stripe from 'stripe';
import { brandOf, type CardBehaviour, cardByMagicId, cardByNumber, luhnValid } from '../cards.js';
import { cardError, invalidRequest, resourceMissing } from '../errors.js';
import { type Resource, route } from '../http/router.js';
import { newMetadata } from '../limits.js';
import { metadata } from '../params.js';
import type { RequestInfo, Store } from '../store.js';
import { customers } from './customers.js';

export const paymentMethods = (store: Store) => store.collection<Stripe.PaymentMethod>('paymentMethods');

/** Internal facts about a PaymentMethod that Stripe keeps to itself. */
interface CardState {
  behaviour: CardBehaviour;
}
const cardState = (store: Store) => store.internal<CardState>('cardState');

/** What the test card behind a PaymentMethod does when charged. */
export function behaviourOf(store: Store, pmId: string): CardBehaviour {
  return cardState(store).get(pmId)?.behaviour ?? { kind: 'succeed' };
}

/** Stripe's answer to a card number sent with a secret key by an account without raw card data access. */
const RAW_CARD_DATA_REFUSED =
  'Sending credit card numbers directly to the Stripe API is generally unsafe. We suggest you use test tokens that map to the test card you are using, see https://stripe.com/docs/testing. To enable raw card data APIs in test mode, see https://support.stripe.com/questions/enabling-access-to-raw-card-data-apis.';

/** A card as sent (number, expiry) and what it does when charged; Stripe keeps the number to itself. */
export interface CardDetails {
  number: string;
  expMonth: number;
  expYear: number;
  behaviour: CardBehaviour;
}

/** `publishable`: made by Stripe.js, where card numbers belong. */
export function createPaymentMethod(store: Store, params: Record<string, unknown>, publishable: boolean): Stripe.PaymentMethod {
  const card = cardDetails(store, params, publishable);
  return newCardPaymentMethod(store, card, params);
}

/**
 * Checks `type=card` and its `card[…]` (number, expiry, CVC, or a test token) as Stripe does when
 * a PaymentMethod is made from them; `prefix` goes before the names in errors (`payment_method_data`).
 */
export function cardDetails(store: Store, params: Record<string, unknown>, publishable: boolean, prefix = ''): CardDetails {
  // `card[number]` → `payment_method_data[card][number]`
  const name = (field: string) => (prefix ? `${prefix}[${field.includes('[') ? field.replace('[', '][') : `${field}]`}` : field);
  if (params.type !== 'card') throw invalidRequest('Only card PaymentMethods are supported here.', { param: name('type') });
  const card = params.card as Record<string, string> | undefined;
  if (!card) throw invalidRequest(`Missing required param: ${name('card')}.`, { code: 'parameter_missing', param: name('card') });
  if (card.number !== undefined && !publishable && !store.allowsRawCardData) throw invalidRequest(RAW_CARD_DATA_REFUSED);
  newMetadata(params.metadata);
  if (card.token) {
    const known = cardByMagicId.get(card.token.replace(/^tok_/, 'pm_card_'));
    if (!known) throw resourceMissing('token', card.token, name('card[token]'));
    return { number: known.number, expMonth: 12, expYear: nextYear(store.now()), behaviour: known.behaviour };
  }
  const number = (card.number ?? '').replace(/\s+/g, '');
  if (!number) throw invalidRequest(`Missing required param: ${name('card[number]')}.`, { code: 'parameter_missing', param: name('card[number]') });
  if (!/^\d{12,19}$/.test(number) || !luhnValid(number)) {
    throw cardError('incorrect_number', undefined, 'Your card number is incorrect.', { param: name('card[number]') });
  }
  const expMonth = Number(card.exp_month);
  const expYear = normaliseYear(Number(card.exp_year));
  if (!Number.isInteger(expMonth) || expMonth < 1 || expMonth > 12) {
    throw cardError('invalid_expiry_month', undefined, "Your card's expiration month is invalid.", { param: name('card[exp_month]') });
  }
  const nowDate = new Date(store.now() * 1000);
  if (!Number.isInteger(expYear) || expYear < nowDate.getUTCFullYear() || expYear > nowDate.getUTCFullYear() + 50) {
    throw cardError('invalid_expiry_year', undefined, "Your card's expiration year is invalid.", { param: name('card[exp_year]') });
  }
  if (expYear === nowDate.getUTCFullYear() && expMonth < nowDate.getUTCMonth() + 1) {
    throw cardError('invalid_expiry_month', undefined, "Your card's expiration month is invalid.", { param: name('card[exp_month]') });
  }
  if (card.cvc !== undefined && !/^\d{3,4}$/.test(card.cvc)) {
    throw cardError('invalid_cvc', undefined, "Your card's security code is invalid.", { param: name('card[cvc]') });
  }
  return { number, expMonth, expYear, behaviour: cardByNumber.get(number)?.behaviour ?? { kind: 'succeed' } };
}

/** A card PaymentMethod (params: its `billing_details` and `metadata`). */
export function newCardPaymentMethod(store: Store, details: CardDetails, params: Record<string, unknown>): Stripe.PaymentMethod {
  const pm: Stripe.PaymentMethod = {
    id: store.newId('pm'),
    object: 'payment_method',
    allow_redisplay: (params.allow_redisplay as Stripe.PaymentMethod.AllowRedisplay | undefined) ?? 'unspecified',
    billing_details: billingDetails(params),
    card: cardFields(details),
    created: store.now(),
    customer: null,
    customer_account: null,
    livemode: false,
    metadata: (params.metadata as Record<string, string>) ?? {},
    type: 'card',
  };
  paymentMethods(store).set(pm.id, pm);
  cardState(store).set(pm.id, { behaviour: details.behaviour });
  return pm;
}

/** `billing_details` as sent (`name`, `email`, `phone`). */
export function billingDetails(params: Record<string, unknown>): Stripe.PaymentMethod.BillingDetails {
  const billing = (params.billing_details ?? {}) as Record<string, string>;
  return { address: null, email: billing.email ?? null, name: billing.name ?? null, phone: billing.phone ?? null, tax_id: null };
}

/** What a PaymentMethod shows of a card: brand, last four digits, expiry, a fingerprint of the number. */
export function cardFields({ number, expMonth, expYear }: CardDetails): Stripe.PaymentMethod.Card {
  const brand = brandOf(number);
  return {
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
  };
}

/**
 * From now on the card is charged as the test card with this number is: a saved card that starts
 * to be declined (funds run out, the bank blocks it), which Stripe's API has no way to ask for.
 */
export function chargeCardAs(store: Store, pmId: string, number: string): Stripe.PaymentMethod {
  const pm = store.get(paymentMethods(store), 'PaymentMethod', pmId, 'payment_method');
  const card = cardByNumber.get(number);
  if (!card) throw invalidRequest(`No test card with the number ${number}.`, { param: 'number' });
  cardState(store).set(pm.id, { behaviour: card.behaviour });
  return pm;
}

/** A PaymentMethod named in the request body; a magic test id (pm_card_visa, …) makes a fresh one, as Stripe does. */
export function resolvePaymentMethod(store: Store, id: string, param = 'payment_method'): Stripe.PaymentMethod {
  return magicPaymentMethod(store, id) ?? store.referenced(paymentMethods(store), 'PaymentMethod', id, param);
}

/** The PaymentMethod named in the URL (404 when unknown); a magic test id makes a fresh one. */
function paymentMethodInUrl(store: Store, id: string): Stripe.PaymentMethod {
  return magicPaymentMethod(store, id) ?? store.get(paymentMethods(store), 'PaymentMethod', id);
}

function magicPaymentMethod(store: Store, id: string): Stripe.PaymentMethod | undefined {
  const magic = cardByMagicId.get(id);
  return magic && newCardPaymentMethod(store, { number: magic.number, expMonth: 12, expYear: nextYear(store.now()), behaviour: magic.behaviour }, {});
}

export function attach(store: Store, pm: Stripe.PaymentMethod, customerId: string, request: RequestInfo | null): Stripe.PaymentMethod {
  if (pm.customer === customerId) return pm;
  if (pm.customer) {
    throw invalidRequest('The payment method you provided has already been attached to a customer.', {
      code: 'payment_method_unexpected_state',
    });
  }
  const behaviour = behaviourOf(store, pm.id);
  if (behaviour.kind === 'decline' && !behaviour.attachable) {
    throw cardError(behaviour.code, behaviour.declineCode, behaviour.message, { payment_method: pm });
  }
  pm.customer = customerId;
  store.emit('payment_method.attached', pm, request);
  return pm;
}

export function detach(store: Store, pmId: string, request: RequestInfo): Stripe.PaymentMethod {
  const pm = store.get(paymentMethods(store), 'PaymentMethod', pmId);
  if (!pm.customer) {
    throw invalidRequest(`The payment method ${pmId} is not attached to a customer`, { code: 'payment_method_unexpected_state' });
  }
  const customer = customers(store).get(pm.customer as string);
  if (customer?.invoice_settings.default_payment_method === pmId) customer.invoice_settings.default_payment_method = null;
  const previous = { customer: pm.customer };
  pm.customer = null;
  store.emit('payment_method.detached', pm, request, previous);
  return pm;
}

const nextYear = (now: number) => new Date(now * 1000).getUTCFullYear() + 1;
const normaliseYear = (y: number) => (y < 100 ? 2000 + y : y);

export const paymentMethodResource: Resource = {
  expandable: { object: 'payment_method', fields: ['customer'] },
  routes: [
    route('POST', '/v1/payment_methods', {
      publishable: true,
      spec: {
        type: 'string',
        card: { number: 'string', exp_month: 'string', exp_year: 'string', cvc: 'string', token: 'string' },
        billing_details: { name: 'string', email: 'string', phone: 'string', address: 'hash' },
        metadata,
        expand: 'array',
      },
      required: ['type'],
      handler: (c) => createPaymentMethod(c.store, c.params, c.publishable),
    }),
    route('GET', '/v1/payment_methods/:id', { handler: (c) => c.store.get(paymentMethods(c.store), 'PaymentMethod', c.path.id!) }),
    route('POST', '/v1/payment_methods/:id/attach', {
      spec: { customer: 'string', expand: 'array' },
      required: ['customer'],
      handler: (c) => {
        const customer = c.store.referenced(customers(c.store), 'customer', c.params.customer as string, 'customer');
        return attach(c.store, paymentMethodInUrl(c.store, c.path.id!), customer.id, c.request);
      },
    }),
    route('POST', '/v1/payment_methods/:id/detach', { handler: (c) => detach(c.store, c.path.id!, c.request) }),
  ],
};
