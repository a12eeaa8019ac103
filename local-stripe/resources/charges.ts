import type Stripe from 'stripe';
import { list } from '../http/lists.js';
import { type Resource, route } from '../http/router.js';
import { listSpec } from '../params.js';
import type { Store } from '../store.js';
import { cardFee, newBalanceTransaction } from './balance_transactions.js';

export const charges = (store: Store) => store.collection<Stripe.Charge>('charges');

export interface ChargeFailure {
  code: string;
  declineCode?: string;
  message: string;
  outcome?: 'blocked';
}

/** The charge a PaymentIntent's confirmation makes, with its balance transaction when it succeeds. */
export function newCharge(
  store: Store,
  pi: Stripe.PaymentIntent,
  pm: Stripe.PaymentMethod,
  status: 'succeeded' | 'failed',
  failure?: ChargeFailure,
  threeDSecure: Stripe.Charge.PaymentMethodDetails.Card.ThreeDSecure | null = null,
): Stripe.Charge {
  const id = store.newId('ch');
  const card = pm.card!;
  let balanceTransaction: string | null = null;
  if (status === 'succeeded') {
    balanceTransaction = newBalanceTransaction(store, pi.amount, pi.currency, cardFee(pi.amount), 'charge', id, 'Payment').id;
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
    created: store.now(),
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
        three_d_secure: threeDSecure,
        transaction_link_id: null,
        wallet: null,
      },
    },
    receipt_email: pi.receipt_email,
    receipt_number: null,
    receipt_url: `${store.baseUrl()}/receipts/${id}`,
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
  charges(store).set(id, charge);
  return charge;
}

export const chargeResource: Resource = {
  expandable: { object: 'charge', fields: ['application', 'application_fee', 'balance_transaction', 'customer', 'failure_balance_transaction', 'invoice', 'on_behalf_of', 'payment_intent', 'review', 'source_transfer', 'transfer'] },
  routes: [
    route('GET', '/v1/charges', {
      spec: { ...listSpec, customer: 'string', payment_intent: 'string' },
      handler: (c) =>
        list(
          c.store,
          charges(c.store).values(),
          c.params,
          '/v1/charges',
          (ch) => (!c.params.customer || ch.customer === c.params.customer) && (!c.params.payment_intent || ch.payment_intent === c.params.payment_intent),
        ),
    }),
    route('GET', '/v1/charges/:id', { handler: (c) => c.store.get(charges(c.store), 'charge', c.path.id!) }),
  ],
};
