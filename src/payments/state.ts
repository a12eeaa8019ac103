import type Stripe from 'stripe';
import type { ChargeStatus } from '../db/schema.js';

/**
 * The charge state machine. A charge only moves forward: a late or reordered event can never
 * take a settled charge back. `failed` may still become `succeeded`, because a PaymentIntent that
 * Stripe reports succeeded is money taken, whatever we believed before.
 *
 *   pending → requires_action → processing → succeeded → partially_refunded → refunded
 *        \__________\_______________\______→ failed ↗ (succeeded)      ↘ disputed ↔ succeeded (won)
 *                                           → canceled
 */
const allowedFrom: Record<ChargeStatus, readonly ChargeStatus[]> = {
  pending: [],
  requires_action: ['pending'],
  processing: ['pending', 'requires_action'],
  failed: ['pending', 'requires_action', 'processing'],
  canceled: ['pending', 'requires_action', 'processing', 'failed'],
  succeeded: ['pending', 'requires_action', 'processing', 'failed', 'disputed'],
  partially_refunded: ['succeeded', 'disputed'],
  refunded: ['succeeded', 'partially_refunded', 'disputed'],
  disputed: ['succeeded', 'partially_refunded'],
};

export function canTransition(from: ChargeStatus, to: ChargeStatus): boolean {
  return allowedFrom[to].includes(from);
}

/** The states a charge may move to `to` from: the guard of every move (transition.ts). */
export function predecessors(to: ChargeStatus): readonly ChargeStatus[] {
  return allowedFrom[to];
}

/** States in which money has been taken; only refunds and disputes move a charge from these. */
export const SETTLED_STATUSES: readonly ChargeStatus[] = ['succeeded', 'partially_refunded', 'refunded', 'disputed'];

/** States a refund can start from: money taken and not all of it given back or held in a dispute. */
export const REFUNDABLE_STATUSES: readonly ChargeStatus[] = ['succeeded', 'partially_refunded'];

/** Refund statuses (Stripe's) in which no money went back: what a refund took back comes back. */
export const FAILED_REFUND_STATUSES: readonly string[] = ['failed', 'canceled'];

/** Dispute statuses still waiting for an outcome: the console lists these as open. */
export const OPEN_DISPUTE_STATUSES: readonly string[] = [
  'warning_needs_response',
  'warning_under_review',
  'needs_response',
  'under_review',
  'appeal_needs_response',
  'appeal_under_review',
];
/**
 * Dispute statuses that end it: won returns the money to us; lost, and prevented (the card network
 * refunded the cardholder before a chargeback was filed), do not; warning_closed ends an inquiry
 * that never became a chargeback.
 */
export const CLOSED_DISPUTE_STATUSES: readonly string[] = ['won', 'lost', 'prevented', 'warning_closed'];
/** Whether a dispute in this status holds the charge's money (open) or took it (lost, prevented). */
export const disputeHoldsMoney = (status: string) => OPEN_DISPUTE_STATUSES.includes(status) || status === 'lost' || status === 'prevented';

/** The states a PaymentIntent update may move a charge out of, towards `to`. */
export function intentPredecessors(to: ChargeStatus): ChargeStatus[] {
  return predecessors(to).filter((s) => !SETTLED_STATUSES.includes(s));
}

/** Where a PaymentIntent's status puts our charge, before refunds and disputes. */
export function statusFromIntent(pi: Pick<Stripe.PaymentIntent, 'status' | 'last_payment_error'>): ChargeStatus {
  switch (pi.status) {
    case 'succeeded':
      return 'succeeded';
    case 'requires_action':
      return 'requires_action';
    case 'processing':
      return 'processing';
    case 'canceled':
      return 'canceled';
    case 'requires_payment_method':
      return pi.last_payment_error ? 'failed' : 'pending';
    default:
      return 'pending';
  }
}

/** Where a succeeded charge stands after refunds: the amount refunded decides. */
export function statusFromRefunds(amount: number, amountRefunded: number): ChargeStatus {
  if (amountRefunded <= 0) return 'succeeded';
  return amountRefunded >= amount ? 'refunded' : 'partially_refunded';
}
