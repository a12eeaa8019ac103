import type Stripe from 'stripe';
import { invalidRequest } from '../errors.js';
import { list } from '../http/lists.js';
import { type Resource, route } from '../http/router.js';
import { listSpec } from '../params.js';
import type { RequestInfo, Store } from '../store.js';
import { newBalanceTransaction } from './balance_transactions.js';
import { charges } from './charges.js';

export const DISPUTE_FEE = 1500;

export const disputes = (store: Store) => store.collection<Stripe.Dispute>('disputes');

/** A chargeback on a charge (the dispute test card, or the control API on any charge). */
export function openDispute(store: Store, chargeId: string, params: { reason?: string; amount?: number }, request: RequestInfo | null): Stripe.Dispute {
  const charge = store.get(charges(store), 'charge', chargeId, 'charge');
  if (charge.status !== 'succeeded') throw invalidRequest(`Charge ${chargeId} has not succeeded and cannot be disputed.`);
  if (charge.disputed) throw invalidRequest(`Charge ${chargeId} is already disputed.`);
  const amount = params.amount ?? charge.amount - charge.amount_refunded;
  const id = store.newId('dp');
  const txn = newBalanceTransaction(store, -amount, charge.currency, DISPUTE_FEE, 'adjustment', id, `Chargeback withdrawal for ${chargeId}`);
  const dispute: Stripe.Dispute = {
    id,
    object: 'dispute',
    amount,
    balance_transactions: [txn],
    charge: chargeId,
    created: store.now(),
    currency: charge.currency,
    enhanced_eligibility_types: [],
    evidence: emptyEvidence(),
    evidence_details: {
      due_by: store.now() + 7 * 86400,
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
  disputes(store).set(id, dispute);
  charge.disputed = true;
  store.emit('charge.dispute.created', dispute, request);
  store.emit('charge.dispute.funds_withdrawn', dispute, request);
  return dispute;
}

export function closeDispute(store: Store, id: string, outcome: 'won' | 'lost', request: RequestInfo | null): Stripe.Dispute {
  const dispute = store.get(disputes(store), 'dispute', id);
  if (dispute.status === 'won' || dispute.status === 'lost') {
    throw invalidRequest(`This dispute is already closed.`, { code: 'dispute_already_closed' });
  }
  const previous = { status: dispute.status };
  dispute.status = outcome;
  if (outcome === 'won') {
    const charge = charges(store).get(dispute.charge as string)!;
    dispute.balance_transactions.push(
      newBalanceTransaction(store, dispute.amount, dispute.currency, -DISPUTE_FEE, 'adjustment', id, `Chargeback reversal for ${charge.id}`),
    );
    store.emit('charge.dispute.funds_reinstated', dispute, request);
  }
  store.emit('charge.dispute.closed', dispute, request, previous);
  return dispute;
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

export const disputeResource: Resource = {
  expandable: { object: 'dispute', fields: ['charge', 'payment_intent'] },
  routes: [
    route('GET', '/v1/disputes', {
      spec: { ...listSpec, charge: 'string', payment_intent: 'string' },
      handler: (c) =>
        list(
          c.store,
          disputes(c.store).values(),
          c.params,
          '/v1/disputes',
          (d) => (!c.params.charge || d.charge === c.params.charge) && (!c.params.payment_intent || d.payment_intent === c.params.payment_intent),
        ),
    }),
    route('GET', '/v1/disputes/:id', { handler: (c) => c.store.get(disputes(c.store), 'dispute', c.path.id!) }),
    // Accepting a dispute closes it as lost.
    route('POST', '/v1/disputes/:id/close', { handler: (c) => closeDispute(c.store, c.path.id!, 'lost', c.request) }),
  ],
};
