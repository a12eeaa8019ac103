/**
 * What `POST /v1/checkout/sessions` accepts (Stripe's parameters and limits, each refusal as Stripe
 * words it), and the line items it records from `line_items[].price_data`.
 */
import type Stripe from 'stripe';
import { invalidRequest, missingParam } from '../errors.js';
import { checkCurrency, } from '../limits.js';
import { listSpec, metadata, type Spec } from '../params.js';
import type { Store } from '../store.js';

export const MAX_LINE_ITEMS = 100;
export const MAX_CLIENT_REFERENCE_ID = 200;

export const lineItemSpec: Spec = {
  price_data: {
    currency: 'string',
    unit_amount: 'integer',
    product_data: { name: 'string', description: 'string', metadata },
  },
  quantity: 'integer',
};

export const createSpec: Spec = {
  mode: { enum: ['payment', 'setup', 'subscription'] },
  ui_mode: { enum: ['hosted_page'] },
  line_items: { items: lineItemSpec, max: MAX_LINE_ITEMS },
  customer: 'string',
  customer_email: 'string',
  client_reference_id: 'string',
  payment_intent_data: {
    metadata,
    description: 'string',
    receipt_email: 'string',
    setup_future_usage: { enum: ['off_session', 'on_session'] },
  },
  saved_payment_method_options: { allow_redisplay_filters: 'array', payment_method_save: { enum: ['enabled', 'disabled'] } },
  success_url: 'url',
  cancel_url: 'url',
  expires_at: 'integer',
  metadata,
  expand: 'array',
};

export const listFilters: Spec = {
  ...listSpec,
  customer: 'string',
  payment_intent: 'string',
  status: { enum: ['open', 'complete', 'expired'] },
  customer_details: { email: 'string' },
};

export type LineItemParams = { price_data?: { currency?: string; unit_amount?: number; product_data?: { name?: string; description?: string } }; quantity?: number };

/** The line items as Stripe records them (a one-time Price made from each `price_data`), checked first. */
export function newLineItems(store: Store, sent: LineItemParams[] | undefined): Stripe.LineItem[] {
  if (!sent || sent.length === 0) throw invalidRequest('line_items is required in payment mode.', { code: 'parameter_missing', param: 'line_items' });
  const items = sent.map((item, i) => {
    const param = `line_items[${i}]`;
    const data = item.price_data;
    if (!data) throw missingParam(`${param}[price_data]`);
    if (data.currency === undefined) throw missingParam(`${param}[price_data][currency]`);
    const currency = checkCurrency(data.currency, `${param}[price_data][currency]`);
    if (data.unit_amount === undefined) throw missingParam(`${param}[price_data][unit_amount]`);
    if (data.unit_amount < 0) throw invalidRequest('This value must be greater than or equal to 0.', { param: `${param}[price_data][unit_amount]` });
    const name = data.product_data?.name;
    if (!name) throw missingParam(`${param}[price_data][product_data][name]`);
    if (item.quantity === undefined) throw missingParam(`${param}[quantity]`);
    if (item.quantity < 1) throw invalidRequest('This value must be greater than or equal to 1.', { param: `${param}[quantity]` });
    return { currency, unitAmount: data.unit_amount, name, description: data.product_data?.description, quantity: item.quantity };
  });
  const currency = items[0]!.currency;
  const other = items.findIndex((item) => item.currency !== currency);
  if (other >= 0) throw invalidRequest('All line items must use the same currency.', { param: `line_items[${other}][price_data][currency]` });
  const created = store.now();
  return items.map((item) => {
    const amount = item.unitAmount * item.quantity;
    return {
      id: store.newId('li'),
      object: 'item',
      adjustable_quantity: null,
      amount_discount: 0,
      amount_subtotal: amount,
      amount_tax: 0,
      amount_total: amount,
      currency: item.currency,
      description: item.name,
      metadata: {},
      price: {
        id: store.newId('price'),
        object: 'price',
        // A price made from `price_data` is for this session only.
        active: false,
        billing_scheme: 'per_unit',
        created,
        currency: item.currency,
        custom_unit_amount: null,
        livemode: false,
        lookup_key: null,
        metadata: {},
        nickname: null,
        product: store.newId('prod'),
        recurring: null,
        tax_behavior: 'unspecified',
        tiers_mode: null,
        transform_quantity: null,
        type: 'one_time',
        unit_amount: item.unitAmount,
        unit_amount_decimal: String(item.unitAmount),
      } as unknown as Stripe.Price, // unit_amount_decimal is a decimal string on the wire
      quantity: item.quantity,
    };
  });
}
