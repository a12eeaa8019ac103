import { and, eq, isNull, lt, sql } from 'drizzle-orm';
import type Stripe from 'stripe';
import { charges, disputes, reconcileRuns, refunds } from '../db/schema.js';
import { audit } from '../finance/audit.js';
import { idOf } from './settle.js';
import { SETTLED_STATUSES, statusFromIntent } from './state.js';
import { chargeForIntent, retrieveIntent, type SyncDeps, syncChargeRefunds, syncDispute, syncPaymentIntent } from './sync.js';

export interface Finding {
  kind:
    | 'missing_row'
    | 'status_mismatch'
    | 'refund_mismatch'
    | 'missing_refund'
    | 'dispute_mismatch'
    | 'fee_missing'
    | 'stale_pending'
    | 'unknown_payment_intent'
    | 'payment_mismatch';
  stripe_id?: string;
  charge_id?: number;
  detail: string;
  action: 'repaired' | 'reported';
}

export interface ReconcileReport {
  run_id: number;
  since: string;
  scanned: { payment_intents: number; refunds: number; disputes: number; pending_rows: number };
  findings: Finding[];
  repaired: number;
}

export interface ReconcileOptions {
  since: Date;
  /** A pending row older than this with no PaymentIntent at Stripe never reached Stripe. */
  staleAfterMs?: number;
  trigger?: string;
  onProgress?: (scanned: number, phase: string) => void;
}

/**
 * Compares Stripe's PaymentIntents, refunds and disputes since a date with our rows, repairs what
 * it can through the same sync functions webhooks use, and reports the rest. Running it twice in a
 * row finds nothing the second time.
 */
export async function reconcile(deps: SyncDeps, options: ReconcileOptions): Promise<ReconcileReport> {
  const { db, stripe, clock } = deps;
  const started = clock.now();
  const [run] = await db.insert(reconcileRuns).values({ startedAt: started, since: options.since, trigger: options.trigger ?? 'manual' }).returning();
  const findings: Finding[] = [];
  const scanned = { payment_intents: 0, refunds: 0, disputes: 0, pending_rows: 0 };
  const created = { gte: Math.floor(options.since.getTime() / 1000) };
  const seenIntents = new Set<string>();
  let progress = 0;
  const tick = (phase: string) => options.onProgress?.(++progress, phase);
  const mismatched = (pi: Stripe.PaymentIntent, result: { charge?: { id: number }; mismatch?: string }) =>
    findings.push({
      kind: 'payment_mismatch',
      stripe_id: pi.id,
      ...(result.charge ? { charge_id: result.charge.id } : Number(pi.metadata?.charge_id) > 0 ? { charge_id: Number(pi.metadata.charge_id) } : {}),
      detail: `${pi.status} PaymentIntent for ${pi.amount} ${pi.currency} is not ours for this sale (${result.mismatch}); nothing fulfilled`,
      action: 'reported',
    });
  const repaired = async (finding: Omit<Finding, 'action'>) => {
    findings.push({ ...finding, action: 'repaired' });
    await audit(db, { actor: 'reconcile', action: `reconcile.${finding.kind}`, subjectType: 'charge', subjectId: finding.charge_id ?? finding.stripe_id ?? '?', after: { detail: finding.detail, stripe_id: finding.stripe_id } }, clock.now());
  };

  for await (const pi of stripe.client.paymentIntents.list({ created, limit: 100, expand: ['data.latest_charge'] })) {
    scanned.payment_intents++;
    seenIntents.add(pi.id);
    tick('payment intents');
    const row = await chargeForIntent(deps, pi);
    if (!row) {
      if (pi.status !== 'succeeded') continue; // nothing was paid; nothing to account for
      const fresh = await retrieveIntent(deps, pi.id);
      const result = await syncPaymentIntent(deps, fresh, 'reconcile');
      if (result.mismatch) mismatched(fresh, result);
      else if (result.charge) await repaired({ kind: 'missing_row', stripe_id: pi.id, charge_id: result.charge.id, detail: `succeeded PaymentIntent had no row; created charge #${result.charge.id}` });
      else findings.push({ kind: 'unknown_payment_intent', stripe_id: pi.id, detail: 'succeeded PaymentIntent without our metadata', action: 'reported' });
      continue;
    }
    const target = statusFromIntent(pi);
    if (!SETTLED_STATUSES.includes(row.status) && row.status !== target) {
      const fresh = await retrieveIntent(deps, pi.id);
      const result = await syncPaymentIntent(deps, fresh, 'reconcile');
      if (result.mismatch) mismatched(fresh, result);
      else if (result.changed) {
        await repaired({ kind: 'status_mismatch', stripe_id: pi.id, charge_id: row.id, detail: `${row.status} → ${result.charge?.status} (Stripe: ${pi.status})` });
      }
    }
    const latest = typeof pi.latest_charge === 'object' ? pi.latest_charge : null;
    if (latest && latest.amount_refunded !== row.amountRefunded && SETTLED_STATUSES.includes(row.status)) {
      await syncChargeRefunds(deps, latest.id, 'reconcile');
      await repaired({ kind: 'refund_mismatch', stripe_id: latest.id, charge_id: row.id, detail: `amount_refunded ${row.amountRefunded} → ${latest.amount_refunded}` });
    }
    if (latest && row.stripeFee === null && latest.balance_transaction && SETTLED_STATUSES.includes(row.status)) {
      const txn = await stripe.client.balanceTransactions.retrieve(idOf(latest.balance_transaction as string | Stripe.BalanceTransaction)!);
      await db.update(charges).set({ stripeFee: txn.fee, stripeBalanceTransaction: txn.id }).where(and(eq(charges.id, row.id), isNull(charges.stripeFee)));
      await repaired({ kind: 'fee_missing', stripe_id: txn.id, charge_id: row.id, detail: `fee ${txn.fee} recorded` });
    }
  }

  for await (const refund of stripe.client.refunds.list({ created, limit: 100 })) {
    scanned.refunds++;
    tick('refunds');
    const [known] = await db.select().from(refunds).where(eq(refunds.stripeRefundId, refund.id));
    if (known && known.status === refund.status) continue;
    const chargeId = idOf(refund.charge);
    if (!chargeId) continue;
    const result = await syncChargeRefunds(deps, chargeId, 'reconcile');
    if (result.charge) {
      await repaired({
        kind: 'missing_refund',
        stripe_id: refund.id,
        charge_id: result.charge.id,
        detail: known ? `refund status ${known.status} → ${refund.status}` : `refund of ${refund.amount} recorded`,
      });
    }
  }

  for await (const dispute of stripe.client.disputes.list({ created, limit: 100 })) {
    scanned.disputes++;
    tick('disputes');
    const [known] = await db.select().from(disputes).where(eq(disputes.stripeDisputeId, dispute.id));
    if (known && known.status === dispute.status) continue;
    const result = await syncDispute(deps, dispute.id, 'reconcile');
    if (result.charge) {
      await repaired({ kind: 'dispute_mismatch', stripe_id: dispute.id, charge_id: result.charge.id, detail: `dispute ${known?.status ?? 'unknown'} → ${dispute.status}` });
    }
  }

  // Rows still pending: settle from Stripe, or close those that never reached Stripe.
  const staleBefore = new Date(clock.now().getTime() - (options.staleAfterMs ?? 15 * 60_000));
  const pending = await db
    .select()
    .from(charges)
    .where(and(sql`${charges.status} in ('pending', 'requires_action', 'processing')`, lt(charges.createdAt, staleBefore)));
  for (const row of pending) {
    scanned.pending_rows++;
    tick('pending charges');
    if (row.stripeChargeKey && !seenIntents.has(row.stripeChargeKey)) {
      const fresh = await retrieveIntent(deps, row.stripeChargeKey);
      const result = await syncPaymentIntent(deps, fresh, 'reconcile');
      if (result.mismatch) mismatched(fresh, result);
      else if (result.changed) await repaired({ kind: 'status_mismatch', stripe_id: row.stripeChargeKey, charge_id: row.id, detail: `${row.status} → ${result.charge?.status}` });
    } else if (!row.stripeChargeKey && row.status === 'pending' && row.createdAt >= options.since) {
      // Created inside the scanned window, yet no PaymentIntent carries its id: it never reached Stripe.
      const [closed] = await db
        .update(charges)
        .set({ status: 'canceled', failureCode: 'abandoned', failureMessage: 'The payment never reached Stripe.', updatedAt: clock.now() })
        .where(and(eq(charges.id, row.id), eq(charges.status, 'pending'), isNull(charges.stripeChargeKey)))
        .returning();
      if (closed) await repaired({ kind: 'stale_pending', charge_id: row.id, detail: 'pending with no PaymentIntent at Stripe; canceled' });
    }
  }

  const report: ReconcileReport = {
    run_id: run!.id,
    since: options.since.toISOString(),
    scanned,
    findings,
    repaired: findings.filter((f) => f.action === 'repaired').length,
  };
  await db.update(reconcileRuns).set({ finishedAt: clock.now(), report: report as unknown as Record<string, unknown> }).where(eq(reconcileRuns.id, run!.id));
  return report;
}
