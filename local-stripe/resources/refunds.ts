import type Stripe from 'stripe';
import { invalidRequest } from '../errors.js';
import { list } from '../http/lists.js';
import { type Resource, route } from '../http/router.js';
import { newMetadata } from '../limits.js';
import { listSpec, metadata } from '../params.js';
import type { RequestInfo, Store } from '../store.js';
import { newBalanceTransaction } from './balance_transactions.js';
import { charges } from './charges.js';
import { disputes } from './disputes.js';
import { paymentIntents } from './payment_intents.js';
import { behaviourOf } from './payment_methods.js';

export const refunds = (store: Store) => store.collection<Stripe.Refund>('refunds');

export function createRefund(store: Store, params: Record<string, unknown>, request: RequestInfo): Stripe.Refund {
  const metadata = newMetadata(params.metadata);
  let charge: Stripe.Charge;
  if (params.charge) {
    charge = store.referenced(charges(store), 'charge', params.charge as string, 'charge');
  } else if (params.payment_intent) {
    const pi = store.referenced(paymentIntents(store), 'payment_intent', params.payment_intent as string, 'payment_intent');
    if (pi.status !== 'succeeded' || !pi.latest_charge) {
      throw invalidRequest(`This PaymentIntent (${pi.id}) does not have a successful charge to refund.`, {
        code: 'charge_not_refundable',
        param: 'payment_intent',
      });
    }
    charge = store.get(charges(store), 'charge', pi.latest_charge as string);
  } else {
    throw invalidRequest('One of the following params should be provided for this request: payment_intent or charge.', {
      code: 'parameter_missing',
    });
  }
  if (charge.status !== 'succeeded') {
    throw invalidRequest(`Charge ${charge.id} cannot be refunded because it has not succeeded.`, { code: 'charge_not_refundable' });
  }
  const dispute = [...disputes(store).values()].find((d) => d.charge === charge.id && d.status !== 'won');
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
  const behaviour = behaviourOf(store, charge.payment_method as string);
  const id = store.newId('re');
  const txn = newBalanceTransaction(store, -amount, charge.currency, 0, 'refund', id, 'REFUND FOR CHARGE');
  const refund: Stripe.Refund = {
    id,
    object: 'refund',
    amount,
    balance_transaction: txn.id,
    charge: charge.id,
    created: store.now(),
    currency: charge.currency,
    customer: charge.customer as string | null,
    customer_account: null,
    destination_details: { type: 'card', card: { reference_status: 'pending', reference_type: 'acquirer_reference_number', type: 'refund' } },
    metadata,
    payment_intent: charge.payment_intent as string,
    payment_method: charge.payment_method,
    reason: (params.reason as Stripe.Refund.Reason) ?? null,
    receipt_number: null,
    source_transfer_reversal: null,
    status: behaviour.kind === 'refundPending' ? 'pending' : 'succeeded',
    transfer_reversal: null,
  };
  refunds(store).set(id, refund);
  const previous = { amount_refunded: charge.amount_refunded, refunded: charge.refunded };
  charge.amount_refunded += amount;
  charge.refunded = charge.amount_refunded === charge.amount;
  store.emit('refund.created', refund, request);
  store.emit('charge.refunded', charge, request, previous);
  return refund;
}

/** What Stripe does "some time later": pending refunds succeed, refund-fail cards' refunds fail. */
function settleRefunds(store: Store): void {
  for (const refund of refunds(store).values()) {
    const behaviour = behaviourOf(store, refund.payment_method as string);
    if (refund.status === 'pending' && behaviour.kind === 'refundPending') {
      refund.status = 'succeeded';
      store.emit('charge.refund.updated', refund, null, { status: 'pending' });
      store.emit('refund.updated', refund, null, { status: 'pending' });
    } else if (refund.status === 'succeeded' && behaviour.kind === 'refundFail' && !refund.failure_reason) {
      refund.status = 'failed';
      refund.failure_reason = 'expired_or_canceled_card';
      const charge = charges(store).get(refund.charge as string)!;
      charge.amount_refunded -= refund.amount;
      charge.refunded = false;
      refund.failure_balance_transaction = newBalanceTransaction(store, refund.amount, refund.currency, 0, 'refund_failure', refund.id, 'REFUND FAILURE').id;
      store.emit('charge.refund.updated', refund, null, { status: 'succeeded' });
      store.emit('refund.failed', refund, null, { status: 'succeeded' });
    }
  }
}

function formatMoney(amount: number, currency: string): string {
  return `${currency === 'usd' ? '$' : ''}${(amount / 100).toFixed(2)}${currency === 'usd' ? '' : ` ${currency}`}`;
}

export const refundResource: Resource = {
  expandable: { object: 'refund', fields: ['balance_transaction', 'charge', 'failure_balance_transaction', 'payment_intent', 'source_transfer_reversal', 'transfer_reversal'] },
  attach: (store) => store.onClockAdvance(() => settleRefunds(store)),
  routes: [
    route('POST', '/v1/refunds', {
      spec: { charge: 'string', payment_intent: 'string', amount: 'integer', reason: { enum: ['duplicate', 'fraudulent', 'requested_by_customer'] }, metadata, expand: 'array' },
      handler: (c) => createRefund(c.store, c.params, c.request),
    }),
    route('GET', '/v1/refunds', {
      spec: { ...listSpec, charge: 'string', payment_intent: 'string' },
      handler: (c) =>
        list(
          c.store,
          refunds(c.store).values(),
          c.params,
          '/v1/refunds',
          (re) => (!c.params.charge || re.charge === c.params.charge) && (!c.params.payment_intent || re.payment_intent === c.params.payment_intent),
        ),
    }),
    route('GET', '/v1/refunds/:id', { handler: (c) => c.store.get(refunds(c.store), 'refund', c.path.id!) }),
  ],
};
