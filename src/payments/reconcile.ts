import { and, asc, eq, gt, gte, inArray, isNotNull, isNull, lt, not, or, sql } from 'drizzle-orm';
import Stripe from 'stripe';
import { type Charge, charges, disputes, reconcileRuns, refunds } from '../db/schema.js';
import { audit } from '../audit/log.js';
import { syncCheckoutSession } from './ways-to-pay/hosted-page.js';
import { idOf } from './settle.js';
import { SETTLED_STATUSES, statusFromIntent, statusFromRefunds } from './state.js';
import { INTENT_EXPAND } from './stripe.js';
import { chargeForIntent, retrieveIntent, type SyncDeps, syncChargeRefunds, syncDispute, syncPaymentIntent } from './sync.js';
import type { Finding, ReconcileReport } from './reconcile-report.js';
import { moveCharge } from './transition.js';

export { type Finding, type FindingDirection, type ReconcileReport, reconcileHeadline, reconcileReportSchema } from './reconcile-report.js';

export interface ReconcileOptions {
  since: Date;
  /** A pending row older than this with no PaymentIntent at Stripe never reached Stripe. */
  staleAfterMs?: number;
  trigger?: string;
  /** Told after each object; `total` is known for our own rows only (Stripe's lists have no count). */
  onProgress?: (progress: { phase: string; done: number; total?: number }) => void;
}

/**
 * Our row is written before its PaymentIntent is created, so a row created at or after `since` has its
 * PaymentIntent in Stripe's list from `since` on; the margin covers clocks that disagree.
 */
const STRIPE_LIST_MARGIN_MS = 24 * 3600_000;
/** Rows of ours compared with Stripe at a time, so memory does not grow with the window. */
const ROW_PAGE = 500;
/** Individual look-ups for our rows missing from Stripe's list: enough to tell a few strays from another account. */
const MAX_LOOKUPS = 20;

/**
 * Which charge ids Stripe's list matched: one bit per id, so a window of a million charges costs
 * 125 kB instead of a set of objects.
 */
class ChargeIdSet {
  private bits = new Uint32Array(1024);

  add(id: number): void {
    const word = id >>> 5;
    if (word >= this.bits.length) {
      const grown = new Uint32Array(Math.max(word + 1, this.bits.length * 2));
      grown.set(this.bits);
      this.bits = grown;
    }
    this.bits[word]! |= 1 << (id & 31);
  }

  has(id: number): boolean {
    const word = id >>> 5;
    return word < this.bits.length && (this.bits[word]! & (1 << (id & 31))) !== 0;
  }
}

/**
 * Compares Stripe with our database in both directions: Stripe's PaymentIntents, refunds and disputes
 * since a date against our rows (repairing what it can through the same sync functions webhooks use),
 * then every paying row of ours created since that date against what Stripe's list held for it. A
 * paid row Stripe does not know, or knows with another amount, currency or state, is reported, never
 * passed over. Running it twice in a row repairs nothing the second time.
 */
export async function reconcile(deps: SyncDeps, options: ReconcileOptions): Promise<ReconcileReport> {
  const [row] = await deps.db
    .insert(reconcileRuns)
    .values({ startedAt: deps.clock.now(), since: options.since, trigger: options.trigger ?? 'manual' })
    .returning();
  const run = new ReconcileRun(deps, options, row!.id);
  await run.stripeCheckoutSessions();
  await run.checkoutSessions();
  await run.stripePaymentIntents();
  await run.stripeRefunds();
  await run.stripeDisputes();
  await run.ourPaidRows();
  await run.stalePending();
  await run.ledgers();
  const report = run.report();
  await deps.db.update(reconcileRuns).set({ finishedAt: deps.clock.now(), report: report as unknown as Record<string, unknown> }).where(eq(reconcileRuns.id, row!.id));
  return report;
}

/** One run's state and its phases, in the order reconcile() calls them. */
class ReconcileRun {
  private readonly findings: Finding[] = [];
  private readonly scanned = { checkout_sessions: 0, payment_intents: 0, refunds: 0, disputes: 0, pending_rows: 0, our_paid_rows: 0, ledger_rows: 0 };
  /** Sessions the pass over Stripe's list has synced already. */
  private readonly syncedSessions = new Set<string>();
  /** Our rows Stripe's list (or a look-up) has accounted for. */
  private readonly matched = new ChargeIdSet();
  private unknownAtStripe = 0;
  private readonly created: { gte: number };

  constructor(
    private readonly deps: SyncDeps,
    private readonly options: ReconcileOptions,
    private readonly runId: number,
  ) {
    this.created = { gte: Math.floor(options.since.getTime() / 1000) };
  }

  private progress(phase: string, done: number, total?: number) {
    this.options.onProgress?.({ phase, done, total });
  }

  private reported(finding: Omit<Finding, 'action'>) {
    this.findings.push({ ...finding, action: 'reported' });
  }

  private async repaired(finding: Omit<Finding, 'action'>) {
    this.findings.push({ ...finding, action: 'repaired' });
    const after = { detail: finding.detail, stripe_id: finding.stripe_id };
    await audit(this.deps.db, { actor: 'reconcile', action: `reconcile.${finding.kind}`, subjectType: 'charge', subjectId: finding.charge_id ?? finding.stripe_id ?? '?', after }, this.deps.clock.now());
  }

  private mismatched(pi: Stripe.PaymentIntent, result: { charge?: { id: number }; mismatch?: string }) {
    const chargeId = result.charge?.id ?? (Number(pi.metadata?.charge_id) > 0 ? Number(pi.metadata.charge_id) : undefined);
    this.reported({
      direction: 'stripe_to_ours',
      kind: 'payment_mismatch',
      stripe_id: pi.id,
      ...(chargeId ? { charge_id: chargeId } : {}),
      detail: `${pi.status} PaymentIntent for ${pi.amount} ${pi.currency} is not ours for this sale (${result.mismatch}); nothing fulfilled`,
    });
  }

  /** Settles a row from a fresh read of its PaymentIntent; what changed is a repair, a foreign intent a finding. */
  private async resync(row: Charge, paymentIntentId: string, detail: (to: string | undefined) => string) {
    const fresh = await retrieveIntent(this.deps, paymentIntentId);
    const result = await syncPaymentIntent(this.deps, fresh, 'reconcile');
    if (result.mismatch) this.mismatched(fresh, result);
    else if (result.changed) {
      await this.repaired({ direction: 'stripe_to_ours', kind: 'status_mismatch', stripe_id: paymentIntentId, charge_id: row.id, detail: detail(result.charge?.status) });
    }
    return result.charge ?? row;
  }

  /** Our row against its PaymentIntent (its latest charge expanded): repairs forward, reports the rest. */
  private async compare(row: Charge, pi: Stripe.PaymentIntent) {
    this.matched.add(row.id);
    const ours = { direction: 'ours_to_stripe' as const, stripe_id: pi.id, charge_id: row.id };
    if (pi.amount !== row.amount) this.reported({ ...ours, kind: 'amount_mismatch', detail: `we have ${row.amount} ${row.currency}, Stripe ${pi.amount} ${pi.currency}` });
    if (pi.currency !== row.currency) this.reported({ ...ours, kind: 'currency_mismatch', detail: `we have ${row.currency}, Stripe ${pi.currency}` });
    let current = row;
    if (!SETTLED_STATUSES.includes(row.status) && row.status !== statusFromIntent(pi)) {
      current = await this.resync(row, pi.id, (to) => `${row.status} → ${to} (Stripe: ${pi.status})`);
    }
    if (!SETTLED_STATUSES.includes(current.status)) return;
    if (pi.status !== 'succeeded') {
      // Money we count as taken that Stripe never took (or gave back another way): only a person can say why.
      this.reported({ ...ours, kind: 'state_mismatch', detail: `we have ${current.status}, Stripe's PaymentIntent is ${pi.status}` });
      return;
    }
    const latest = typeof pi.latest_charge === 'object' ? pi.latest_charge : null;
    if (latest) await this.compareLatestCharge(row, current, latest);
  }

  /** Refunds, disputes and the fee of a paid row, against the PaymentIntent's latest charge. */
  private async compareLatestCharge(row: Charge, current: Charge, latest: Stripe.Charge) {
    if (latest.amount_refunded !== current.amountRefunded) {
      const result = await syncChargeRefunds(this.deps, latest.id, 'reconcile');
      await this.repaired({ direction: 'stripe_to_ours', kind: 'refund_mismatch', stripe_id: latest.id, charge_id: row.id, detail: `amount_refunded ${current.amountRefunded} → ${latest.amount_refunded}` });
      current = result.charge ?? current;
    }
    const refundState = statusFromRefunds(current.amount, latest.amount_refunded);
    if (current.status === 'disputed' ? !latest.disputed : refundState !== current.status && !latest.disputed) {
      const theirs = current.status === 'disputed' ? 'not disputed' : `${refundState} (${latest.amount_refunded} refunded)`;
      this.reported({ direction: 'ours_to_stripe', stripe_id: latest.id, charge_id: row.id, kind: 'state_mismatch', detail: `we have ${current.status}, Stripe's charge is ${theirs}` });
    }
    if (current.stripeFee === null && latest.balance_transaction) {
      const txn = await this.deps.stripe.client.balanceTransactions.retrieve(idOf(latest.balance_transaction as string | Stripe.BalanceTransaction)!);
      await this.deps.db.update(charges).set({ stripeFee: txn.fee, stripeBalanceTransaction: txn.id }).where(and(eq(charges.id, row.id), isNull(charges.stripeFee)));
      await this.repaired({ direction: 'stripe_to_ours', kind: 'fee_missing', stripe_id: txn.id, charge_id: row.id, detail: `fee ${txn.fee} recorded` });
    }
  }

  /** Stripe → ours. The list starts a margin before `since` so that it holds the PaymentIntent of every row of ours in the window. */
  async stripePaymentIntents() {
    const listed = { gte: Math.floor((this.options.since.getTime() - STRIPE_LIST_MARGIN_MS) / 1000) };
    for await (const pi of this.deps.stripe.client.paymentIntents.list({ created: listed, limit: 100, expand: ['data.latest_charge'] })) {
      this.progress('Stripe payment intents', ++this.scanned.payment_intents);
      const row = await chargeForIntent(this.deps, pi);
      if (row) await this.compare(row, pi);
      else if (pi.status === 'succeeded') await this.paidWithoutRow(pi); // otherwise nothing was paid: nothing to account for
    }
  }

  /** A succeeded PaymentIntent with no row of ours: recreate the row from its metadata, or report it. */
  private async paidWithoutRow(pi: Stripe.PaymentIntent) {
    const fresh = await retrieveIntent(this.deps, pi.id);
    const result = await syncPaymentIntent(this.deps, fresh, 'reconcile');
    if (result.mismatch) this.mismatched(fresh, result);
    else if (result.charge) {
      this.matched.add(result.charge.id);
      await this.repaired({ direction: 'stripe_to_ours', kind: 'missing_row', stripe_id: pi.id, charge_id: result.charge.id, detail: `succeeded PaymentIntent had no row; created charge #${result.charge.id}` });
    } else this.reported({ direction: 'stripe_to_ours', kind: 'unknown_payment_intent', stripe_id: pi.id, detail: 'succeeded PaymentIntent without our metadata' });
  }

  async stripeRefunds() {
    for await (const refund of this.deps.stripe.client.refunds.list({ created: this.created, limit: 100 })) {
      this.progress('Stripe refunds', ++this.scanned.refunds);
      const [known] = await this.deps.db.select().from(refunds).where(eq(refunds.stripeRefundId, refund.id));
      if (known && known.status === refund.status) continue;
      const chargeId = idOf(refund.charge);
      if (!chargeId) continue;
      const result = await syncChargeRefunds(this.deps, chargeId, 'reconcile');
      if (!result.charge) continue;
      const detail = known ? `refund status ${known.status} → ${refund.status}` : `refund of ${refund.amount} recorded`;
      await this.repaired({ direction: 'stripe_to_ours', kind: 'missing_refund', stripe_id: refund.id, charge_id: result.charge.id, detail });
    }
  }

  async stripeDisputes() {
    for await (const dispute of this.deps.stripe.client.disputes.list({ created: this.created, limit: 100 })) {
      this.progress('Stripe disputes', ++this.scanned.disputes);
      const [known] = await this.deps.db.select().from(disputes).where(eq(disputes.stripeDisputeId, dispute.id));
      if (known && known.status === dispute.status) continue;
      const result = await syncDispute(this.deps, dispute.id, 'reconcile');
      if (!result.charge) continue;
      await this.repaired({ direction: 'stripe_to_ours', kind: 'dispute_mismatch', stripe_id: dispute.id, charge_id: result.charge.id, detail: `dispute ${known?.status ?? 'unknown'} → ${dispute.status}` });
    }
  }

  /** Ours → Stripe: every paying row created in the window, a page at a time, must have been matched above (but those paid from a product's ledger: see ledgers()). */
  async ourPaidRows() {
    const fromLedgers = this.deps.catalog.list().flatMap((p) => (p.ledgerCheck?.paidFromLedger ? [p.ledgerCheck.paidFromLedger] : []));
    const paying = and(inArray(charges.status, [...SETTLED_STATUSES]), gte(charges.createdAt, this.options.since), fromLedgers.length > 0 ? not(or(...fromLedgers)!) : undefined);
    const [{ total } = { total: 0 }] = await this.deps.db.select({ total: sql<number>`count(*)::int` }).from(charges).where(paying);
    let lookups = 0;
    let cursor = 0;
    for (;;) {
      const page = await this.deps.db.select().from(charges).where(and(paying, gt(charges.id, cursor))).orderBy(asc(charges.id)).limit(ROW_PAGE);
      if (page.length === 0) break;
      cursor = page[page.length - 1]!.id;
      for (const row of page) {
        this.progress('our paid charges', ++this.scanned.our_paid_rows, total);
        if (this.matched.has(row.id)) continue;
        // Not in the list: ask for it by id, a bounded number of times (another account answers 404 to all).
        const found = row.paymentIntentId && lookups++ < MAX_LOOKUPS ? await lookupIntent(this.deps, row.paymentIntentId) : undefined;
        if (found) await this.compare(row, found);
        else this.unknown(row, found);
      }
    }
  }

  private unknown(row: Charge, found: null | undefined) {
    this.unknownAtStripe++;
    const what = `${row.status} charge of ${row.amount} ${row.currency}`;
    this.reported({
      direction: 'ours_to_stripe',
      kind: 'unknown_at_stripe',
      ...(row.paymentIntentId ? { stripe_id: row.paymentIntentId } : {}),
      charge_id: row.id,
      detail: !row.paymentIntentId
        ? `${what} has no PaymentIntent id`
        : `${what}: ${found === null ? 'Stripe answers that no such PaymentIntent exists' : "not in Stripe's list of PaymentIntents for the window"}`,
    });
  }

  /** Unsettled rows created before the stale threshold; `session` picks those paid on Stripe's checkout page, or the others. */
  private async unsettledRows(session: boolean) {
    const staleBefore = new Date(this.deps.clock.now().getTime() - (this.options.staleAfterMs ?? 15 * 60_000));
    return this.deps.db
      .select()
      .from(charges)
      .where(
        and(
          inArray(charges.status, ['pending', 'requires_action', 'processing']),
          lt(charges.createdAt, staleBefore),
          session ? isNotNull(charges.checkoutSessionId) : isNull(charges.checkoutSessionId),
        ),
      );
  }

  /**
   * Stripe → ours for Stripe's checkout page: every session in the window that is over (complete or
   * expired) whose row is not, whatever the row's age, goes through the same sync as the
   * checkout.session.* webhooks, so a session paid or expired whose events never came (or whose
   * event died with the worker handling it) settles or cancels its row. First, so that the session's
   * own price check settles such a row before its PaymentIntent is compared.
   */
  async stripeCheckoutSessions() {
    const listed = { gte: Math.floor((this.options.since.getTime() - STRIPE_LIST_MARGIN_MS) / 1000) };
    for await (const session of this.deps.stripe.client.checkout.sessions.list({ created: listed, limit: 100 })) {
      this.progress('Stripe checkout sessions', ++this.scanned.checkout_sessions);
      if (session.status === 'open') continue;
      const [row] = await this.deps.db.select().from(charges).where(eq(charges.checkoutSessionId, session.id));
      if (!row || SETTLED_STATUSES.includes(row.status) || row.status === 'canceled') continue;
      this.syncedSessions.add(session.id);
      await this.syncSessionRow(row, session.id);
    }
  }

  /**
   * Old rows paid (or not) on Stripe's checkout page that the list above did not settle: a session
   * Stripe does not know, or one still open (left alone: the buyer may still pay).
   */
  async checkoutSessions() {
    const pending = (await this.unsettledRows(true)).filter((row) => !this.syncedSessions.has(row.checkoutSessionId!));
    for (const row of pending) {
      this.progress('old checkout sessions', ++this.scanned.pending_rows, pending.length);
      await this.syncSessionRow(row, row.checkoutSessionId!);
    }
  }

  private async syncSessionRow(row: Charge, sessionId: string) {
    const result = await lookupSession(this.deps, sessionId);
    if (result === null) {
      this.reported({ direction: 'ours_to_stripe', kind: 'unknown_at_stripe', stripe_id: sessionId, charge_id: row.id, detail: `${row.status} charge: Stripe answers that no such Checkout Session exists` });
    } else if (result.mismatch) {
      this.reported({ direction: 'stripe_to_ours', kind: 'session_mismatch', stripe_id: sessionId, charge_id: row.id, detail: `Checkout Session is not for this sale (${result.mismatch}); nothing fulfilled` });
    } else if (result.changed) {
      await this.repaired({ direction: 'stripe_to_ours', kind: 'status_mismatch', stripe_id: sessionId, charge_id: row.id, detail: `${row.status} → ${result.charge?.status} (Checkout Session)` });
    }
  }

  /** Rows still pending: settle from Stripe, or close those that never reached Stripe. */
  async stalePending() {
    const { db, clock } = this.deps;
    const pending = await this.unsettledRows(false);
    for (const row of pending) {
      this.progress('old pending charges', ++this.scanned.pending_rows, pending.length);
      if (row.paymentIntentId && !this.matched.has(row.id)) {
        await this.resync(row, row.paymentIntentId, (to) => `${row.status} → ${to}`);
      } else if (!row.paymentIntentId && row.status === 'pending' && row.createdAt >= this.options.since) {
        // Created inside the scanned window, yet no PaymentIntent carries its id: it never reached Stripe.
        const closed = await moveCharge(db, row.id, {
          to: 'canceled',
          from: ['pending'],
          where: isNull(charges.paymentIntentId),
          set: { failureCode: 'abandoned', failureMessage: 'The payment never reached Stripe.' },
          at: clock.now(),
          actor: 'reconcile',
          after: { reason: 'abandoned' },
        });
        if (closed) await this.repaired({ direction: 'ours_to_stripe', kind: 'stale_pending', charge_id: row.id, detail: 'pending with no PaymentIntent at Stripe; canceled' });
      }
    }
  }

  /** Each product's ledger against the charges, now that they agree with Stripe: differences are reported, never repaired. */
  async ledgers() {
    for (const product of this.deps.catalog.list()) {
      if (!product.ledgerCheck) continue;
      this.progress(`${product.name}: ledger`, this.scanned.ledger_rows);
      const { findings, scanned } = await product.ledgerCheck.check(this.deps.db, this.options.since);
      this.scanned.ledger_rows += scanned;
      for (const f of findings) this.reported({ direction: 'ledgers', kind: 'ledger_mismatch', ...f });
    }
  }

  report(): ReconcileReport {
    return {
      run_id: this.runId,
      since: this.options.since.toISOString(),
      scanned: this.scanned,
      findings: this.findings,
      repaired: this.findings.filter((f) => f.action === 'repaired').length,
      reported: this.findings.filter((f) => f.action === 'reported').length,
      wrong_account_suspected: this.unknownAtStripe > 0 && this.unknownAtStripe * 2 > this.scanned.our_paid_rows,
    };
  }
}

/** A PaymentIntent by id; null when Stripe has none with that id. */
async function lookupIntent(deps: SyncDeps, id: string): Promise<Stripe.PaymentIntent | null> {
  try {
    return await deps.stripe.client.paymentIntents.retrieve(id, { expand: INTENT_EXPAND });
  } catch (error) {
    if (error instanceof Stripe.errors.StripeInvalidRequestError && error.code === 'resource_missing') return null;
    throw error;
  }
}

/** A session synced by id; null when Stripe has none with that id. */
async function lookupSession(deps: SyncDeps, id: string) {
  try {
    return await syncCheckoutSession(deps, id, 'reconcile');
  } catch (error) {
    if (error instanceof Stripe.errors.StripeInvalidRequestError && error.code === 'resource_missing') return null;
    throw error;
  }
}
