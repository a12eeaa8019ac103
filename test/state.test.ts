import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { chargeStatuses } from '../src/db/schema.js';
import type Stripe from 'stripe';
import { CLOSED_DISPUTE_STATUSES, canTransition, disputeHoldsMoney, intentPredecessors, OPEN_DISPUTE_STATUSES, SETTLED_STATUSES, statusFromIntent, statusFromRefunds } from '../src/payments/state.js';

const status = fc.constantFrom(...chargeStatuses);
const rank = (s: string) => ({ pending: 0, requires_action: 1, processing: 2, failed: 3, canceled: 4, succeeded: 5, partially_refunded: 6, disputed: 6, refunded: 7 })[s]!;

describe('charge state machine', () => {
  it('only moves forward, except a won dispute back to what it was', () => {
    fc.assert(
      fc.property(status, status, (from, to) => {
        if (!canTransition(from, to)) return;
        const backFromDispute = from === 'disputed' && (to === 'succeeded' || to === 'partially_refunded');
        expect(backFromDispute || rank(to) > rank(from) || (from === 'partially_refunded' && to === 'disputed')).toBe(true);
      }),
    );
  });

  it('never takes money back out of a settled state on a PaymentIntent update', () => {
    for (const to of chargeStatuses) {
      for (const from of intentPredecessors(to)) expect(SETTLED_STATUSES).not.toContain(from);
    }
  });

  it('has no path from a terminal failure to anything but success (money taken wins)', () => {
    expect(chargeStatuses.filter((to) => canTransition('failed', to)).sort()).toEqual(['canceled', 'succeeded']);
    expect(chargeStatuses.filter((to) => canTransition('refunded', to))).toEqual([]);
  });

  it('any sequence of updates applied in any order ends in the same settled state', () => {
    // Applying the intent updates pending → requires_action → succeeded in any order, forward-only, ends succeeded.
    fc.assert(
      fc.property(fc.shuffledSubarray(['requires_action', 'succeeded', 'requires_action', 'succeeded'] as const, { minLength: 1 }), (updates) => {
        let s: (typeof chargeStatuses)[number] = 'pending';
        for (const u of updates) if (intentPredecessors(u).includes(s)) s = u;
        expect(s).toBe(updates.includes('succeeded') ? 'succeeded' : 'requires_action');
      }),
    );
  });

  it('maps PaymentIntent statuses', () => {
    expect(statusFromIntent({ status: 'succeeded', last_payment_error: null })).toBe('succeeded');
    expect(statusFromIntent({ status: 'requires_payment_method', last_payment_error: null })).toBe('pending');
    expect(statusFromIntent({ status: 'requires_payment_method', last_payment_error: { type: 'card_error' } })).toBe('failed');
    expect(statusFromIntent({ status: 'requires_action', last_payment_error: null })).toBe('requires_action');
    expect(statusFromIntent({ status: 'canceled', last_payment_error: null })).toBe('canceled');
  });

  it('derives the refund state from amounts, monotonically', () => {
    fc.assert(
      fc.property(fc.integer({ min: 50, max: 1_000_000 }), fc.integer({ min: 0, max: 1_000_000 }), fc.integer({ min: 0, max: 1_000_000 }), (amount, a, b) => {
        const [lo, hi] = [Math.min(a, b, amount), Math.min(Math.max(a, b), amount)];
        expect(rank(statusFromRefunds(amount, hi))).toBeGreaterThanOrEqual(rank(statusFromRefunds(amount, lo)));
        expect(statusFromRefunds(amount, amount)).toBe('refunded');
        if (lo > 0 && lo < amount) expect(statusFromRefunds(amount, lo)).toBe('partially_refunded');
      }),
    );
  });
});

describe('dispute statuses', () => {
  // Every status the pinned API version can send (Stripe.Dispute.Status), each either open or closed, never both.
  const all: Stripe.Dispute.Status[] = ['warning_needs_response', 'warning_under_review', 'warning_closed', 'needs_response', 'under_review', 'won', 'lost', 'prevented', 'appeal_needs_response', 'appeal_under_review'];
  it('are each open or closed, never both', () => {
    for (const status of all) expect(OPEN_DISPUTE_STATUSES.includes(status) !== CLOSED_DISPUTE_STATUSES.includes(status)).toBe(true);
  });
  it('hold the money while open and once lost or prevented; give it back when won or when an inquiry closes', () => {
    expect(all.filter(disputeHoldsMoney).sort()).toEqual([...OPEN_DISPUTE_STATUSES, 'lost', 'prevented'].sort());
  });
});
