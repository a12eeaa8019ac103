/**
 * `stripe_to_ours`: an object at Stripe that our rows lack or lag behind. `ours_to_stripe`: a paying
 * row of ours that Stripe does not have, or has with another amount, currency or state.
 */
export type FindingDirection = 'stripe_to_ours' | 'ours_to_stripe';

export interface Finding {
  kind:
    | 'missing_row'
    | 'status_mismatch'
    | 'refund_mismatch'
    | 'missing_refund'
    | 'dispute_mismatch'
    | 'fee_missing'
    | 'stale_pending'
    | 'session_mismatch'
    | 'unknown_payment_intent'
    | 'payment_mismatch'
    | 'unknown_at_stripe'
    | 'amount_mismatch'
    | 'currency_mismatch'
    | 'state_mismatch';
  direction: FindingDirection;
  stripe_id?: string;
  charge_id?: number;
  detail: string;
  action: 'repaired' | 'reported';
}

export interface ReconcileReport {
  run_id: number;
  since: string;
  scanned: { checkout_sessions: number; payment_intents: number; refunds: number; disputes: number; pending_rows: number; our_paid_rows: number };
  findings: Finding[];
  repaired: number;
  /** Findings left for a person: money that does not agree and could not be repaired. */
  reported: number;
  /**
   * Most of our paid rows in the window are unknown to Stripe: the keys almost certainly belong to
   * another account (or mode) than the one that took the payments.
   */
  wrong_account_suspected: boolean;
}

/** What an operator reads first: whether the run's differences are strays or the wrong Stripe account. */
export function reconcileHeadline(report: Pick<ReconcileReport, 'findings' | 'reported' | 'wrong_account_suspected' | 'scanned'>): string {
  if (report.wrong_account_suspected) {
    const unknown = report.findings.filter((f) => f.kind === 'unknown_at_stripe').length;
    return `${unknown} of our ${report.scanned.our_paid_rows} paid charges are unknown to Stripe: the Stripe keys probably point at another account (or test mode instead of live).`;
  }
  if (report.reported > 0) return `${report.reported} difference(s) need a person: our database and Stripe disagree.`;
  if (report.findings.length > 0) return 'Every difference was repaired: our database now agrees with Stripe.';
  return 'No differences: our database agrees with Stripe in both directions.';
}
