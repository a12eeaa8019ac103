/**
 * `stripe_to_ours`: an object at Stripe that our rows lack or lag behind. `ours_to_stripe`: a paying
 * row of ours that Stripe does not have, or has with another amount, currency or state. `ledgers`: a
 * product's ledger (a prepaid balance) that does not add up with the charges once they agree with Stripe.
 */
import { z } from 'zod';
export const findingSchema = z.object({
  kind: z.enum([
    'missing_row',
    'status_mismatch',
    'refund_mismatch',
    'missing_refund',
    'dispute_mismatch',
    'fee_missing',
    'stale_pending',
    'session_mismatch',
    'unknown_payment_intent',
    'payment_mismatch',
    'unknown_at_stripe',
    'amount_mismatch',
    'currency_mismatch',
    'state_mismatch',
    'ledger_mismatch',
  ]),
  direction: z.enum(['stripe_to_ours', 'ours_to_stripe', 'ledgers']),
  stripe_id: z.string().optional(),
  charge_id: z.number().int().optional(),
  detail: z.string(),
  action: z.enum(['repaired', 'reported']),
});
export type Finding = z.output<typeof findingSchema>;
export type FindingDirection = Finding['direction'];

export const reconcileReportSchema = z.object({
  run_id: z.number().int(),
  since: z.string().meta({ format: 'date-time' }),
  scanned: z.object({
    checkout_sessions: z.number().int(),
    payment_intents: z.number().int(),
    refunds: z.number().int(),
    disputes: z.number().int(),
    pending_rows: z.number().int(),
    our_paid_rows: z.number().int(),
    ledger_rows: z.number().int().meta({ description: 'Rows the products’ ledger checks read.' }),
  }),
  findings: z.array(findingSchema),
  repaired: z.number().int(),
  reported: z.number().int().meta({ description: 'Findings left for a person: money that does not agree and could not be repaired.' }),
  wrong_account_suspected: z
    .boolean()
    .meta({ description: 'Most of our paid rows in the window are unknown to Stripe: the keys almost certainly belong to another account (or mode).' }),
});
export type ReconcileReport = z.output<typeof reconcileReportSchema>;

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
