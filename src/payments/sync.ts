import { and, eq, getTableColumns, or, sql } from 'drizzle-orm';
import type Stripe from 'stripe';
import { prepared } from '../db/prepared.js';
import { type Charge, type ChargeStatus, charges, disputes, refunds } from '../db/schema.js';
import { audit } from '../audit/log.js';
import { intentMismatch, type MismatchReason, recordMismatch } from './mismatches.js';
import { type SettleDeps, idOf, restoreOnce, reverseOnce, settleFromIntent } from './settle.js';
import { CLOSED_DISPUTE_STATUSES, FAILED_REFUND_STATUSES, SETTLED_STATUSES, canTransition, disputeHoldsMoney, statusFromRefunds } from './state.js';
import { INTENT_EXPAND, type StripeGateway } from './stripe.js';
import { moveCharge } from './transition.js';
import { SUBJECT_COLUMN, SUBJECT_FIELD } from './subject.js';

/**
 * Bringing our rows in line with Stripe's objects, as just re-read from Stripe. Webhook handlers,
 * reconcile and our own refund button all come through these functions, so each effect is applied
 * by whichever path arrives first, and only once.
 */
export interface SyncDeps extends SettleDeps {
  stripe: StripeGateway;
  afterSettle?: () => void;
  /** A hosted checkout's row moved to how its session ended (paid, failed, canceled), once per move. */
  afterSessionOutcome?: (charge: Charge) => void;
  /**
   * This process's own checkout of a charge while it is still calling Stripe and settling
   * (Checkout.settling): Stripe sends the event before it answers the call that caused it.
   */
  settling?: (chargeId: number) => Promise<unknown> | undefined;
}


const chargeByIntent = prepared((db) => db.select().from(charges).where(eq(charges.paymentIntentId, sql.placeholder('intent'))).prepare('charge_by_intent'));

/**
 * Our charge for a PaymentIntent: by its id, or, while the row has none stored yet, by the
 * charge_id in its metadata when the rest of the metadata (and the row's nonce) agree with the row.
 */
export async function chargeForIntent(deps: SyncDeps, pi: Pick<Stripe.PaymentIntent, 'id' | 'metadata'>): Promise<Charge | undefined> {
  const [byKey] = await chargeByIntent(deps.db).execute({ intent: pi.id });
  if (byKey) return byKey;
  const row = await namedCharge(deps, pi);
  return row &&
    row.userId === Number(pi.metadata.user_id) &&
    row.product === pi.metadata.product &&
    !row.paymentIntentId &&
    row.intentNonce !== null &&
    row.intentNonce === pi.metadata.charge_nonce
    ? row
    : undefined;
}

/** The row the intent's metadata names, whether or not the intent is its. */
async function namedCharge(deps: SyncDeps, pi: Pick<Stripe.PaymentIntent, 'metadata'>): Promise<Charge | undefined> {
  const rowId = Number(pi.metadata?.charge_id);
  if (!Number.isInteger(rowId) || rowId <= 0 || rowId > 2147483647) return undefined;
  const [row] = await deps.db.select().from(charges).where(eq(charges.id, rowId));
  return row;
}

/**
 * A PaymentIntent that carries our metadata but has no row (we always write the row first, so this
 * means a row lost with a restored database, or a payment made outside checkout): the row is
 * created from the metadata so that the money is accounted for, provided the intent is for the
 * product's price. An intent naming a row we have, which is not that row's, is a mismatch.
 */
async function adoptIntent(deps: SyncDeps, pi: Stripe.PaymentIntent): Promise<{ charge?: Charge; mismatch?: MismatchReason }> {
  const now = deps.clock.now();
  const named = await namedCharge(deps, pi);
  if (named) {
    const reason = intentMismatch(named, pi) ?? 'not_our_intent';
    await recordMismatch(deps.db, pi, reason, { chargeId: named.id, amount: named.amount, currency: named.currency }, now);
    return { mismatch: reason };
  }
  const userId = Number(pi.metadata?.user_id);
  const product = pi.metadata?.product ? deps.catalog.find(pi.metadata.product) : undefined;
  if (!Number.isInteger(userId) || userId <= 0 || userId > 2147483647 || !product) return {};
  // A product whose purchase needs fields of its own (a quantity, a headline) cannot be
  // rebuilt from the metadata: left to an operator (reconcile reports the intent), never fulfilled blind.
  if (!product.fields.safeParse({}).success) return {};
  if (pi.amount !== product.amount || pi.currency !== product.currency) {
    const reason = pi.amount !== product.amount ? 'amount' : 'currency';
    await recordMismatch(deps.db, pi, reason, { amount: product.amount, currency: product.currency }, now);
    return { mismatch: reason };
  }
  const subjectId = pi.metadata[SUBJECT_FIELD] ? Number(pi.metadata[SUBJECT_FIELD]) : null;
  const [row] = await deps.db
    .insert(charges)
    .values({
      userId,
      [SUBJECT_COLUMN]: subjectId,
      product: product.id,
      amount: pi.amount,
      currency: pi.currency,
      status: 'pending',
      idempotencyKey: `stripe:${pi.id}`,
      paymentIntentId: pi.id,
      createdAt: now,
      updatedAt: now,
    })
    .onConflictDoNothing()
    .returning();
  if (row) {
    await audit(deps.db, { actor: 'reconcile', action: 'charge.adopted', subjectType: 'charge', subjectId: row.id, after: { payment_intent: pi.id } }, now);
  }
  return { charge: row ?? (await chargeForIntent(deps, pi)) };
}

export interface IntentSync {
  charge?: Charge;
  adopted: boolean;
  changed: boolean;
  /** The intent was not ours, or not for the price: recorded, nothing fulfilled. */
  mismatch?: MismatchReason;
}

/** Moves our charge to where the PaymentIntent is (forward only), creating the row if it is missing. */
export async function syncPaymentIntent(deps: SyncDeps, pi: Stripe.PaymentIntent, actor: string): Promise<IntentSync> {
  let charge = await chargeForIntent(deps, pi);
  let adopted = false;
  if (!charge) {
    const adoption = await adoptIntent(deps, pi);
    if (!adoption.charge) return { adopted: false, changed: false, mismatch: adoption.mismatch };
    charge = adoption.charge;
    adopted = true;
  }
  const before = charge.status;
  const { charge: after, mismatch } = await settleFromIntent(deps, charge.id, pi, actor);
  return { charge: after, adopted, changed: adopted || after.status !== before, mismatch };
}

export async function retrieveIntent(deps: SyncDeps, id: string): Promise<Stripe.PaymentIntent> {
  return deps.stripe.client.paymentIntents.retrieve(id, { expand: INTENT_EXPAND });
}

/** Our charge for a Stripe Charge (ch_…), through its PaymentIntent. */
async function chargeForStripeCharge(deps: SyncDeps, stripeCharge: Stripe.Charge): Promise<Charge | undefined> {
  const pi = idOf(stripeCharge.payment_intent);
  const [row] = await deps.db
    .select()
    .from(charges)
    .where(or(eq(charges.stripeLatestCharge, stripeCharge.id), pi ? eq(charges.paymentIntentId, pi) : undefined));
  if (row) return row;
  if (!pi) return undefined;
  return (await syncPaymentIntent(deps, await retrieveIntent(deps, pi), 'reconcile')).charge;
}

/**
 * Records every refund of a Stripe Charge and moves our charge forward: a partial refund keeps the
 * purchase (partially_refunded), a full one reverses it once. A refund first seen here (made in
 * Stripe's Dashboard) is shown to the product once (`Product.refunded`, the insert deciding); one that
 * failed is shown to it as failed (`Product.refundFailed`, once by its own keys).
 */
export async function syncChargeRefunds(deps: SyncDeps, stripeChargeId: string, actor: string): Promise<{ charge?: Charge; newRefunds: number }> {
  const stripeCharge = await deps.stripe.client.charges.retrieve(stripeChargeId);
  let charge = await chargeForStripeCharge(deps, stripeCharge);
  if (!charge) return { newRefunds: 0 };
  // A refund seen before the payment it refunds was settled here (its event late or reordered): settle
  // it first from the intent, so the product fulfils before any refund of it takes back.
  if (!SETTLED_STATUSES.includes(charge.status) && charge.paymentIntentId) {
    charge = (await syncPaymentIntent(deps, await retrieveIntent(deps, charge.paymentIntentId), actor)).charge ?? charge;
  }
  const list: Stripe.Refund[] = [];
  for await (const refund of deps.stripe.client.refunds.list({ charge: stripeChargeId, limit: 100 })) list.push(refund);
  const now = deps.clock.now();
  return deps.db.transaction(async (tx) => {
    const [current] = await tx.select().from(charges).where(eq(charges.id, charge.id)).for('update');
    let newRefunds = 0;
    const product = deps.catalog.find(charge.product);
    for (const r of list) {
      const ourId = Number(r.metadata?.refund_id);
      const [claimed] =
        Number.isInteger(ourId) && ourId > 0
          ? await tx
              .update(refunds)
              .set({ stripeRefundId: r.id, status: r.status ?? 'pending', updatedAt: now })
              .where(and(eq(refunds.id, ourId), eq(refunds.chargeId, charge.id)))
              .returning()
          : [];
      const [recorded] = claimed
        ? [{ ...claimed, inserted: false }]
        : await tx
            .insert(refunds)
            .values({
              chargeId: charge.id,
              stripeRefundId: r.id,
              amount: r.amount,
              currency: r.currency,
              reason: r.reason,
              status: r.status ?? 'pending',
              createdAt: now,
              updatedAt: now,
            })
            .onConflictDoUpdate({ target: refunds.stripeRefundId, set: { status: r.status ?? 'pending', updatedAt: now } })
            // xmax = 0 only on a freshly inserted row: tells a new refund from an update of a known one.
            .returning({ ...getTableColumns(refunds), inserted: sql<boolean>`(xmax = 0)` });
      const { inserted, ...row } = recorded!;
      const failed = FAILED_REFUND_STATUSES.includes(row.status);
      if (inserted) {
        newRefunds++;
        await audit(tx, { actor, action: 'refund.recorded', subjectType: 'charge', subjectId: charge.id, after: { refund: r.id, amount: r.amount, status: r.status } }, now);
        // Made at Stripe, not asked of us: the money has gone, so the product takes back what it can.
        if (!failed) await product?.refunded?.(tx, current!, row, now, false);
      }
      if (failed) await product?.refundFailed?.(tx, current!, row, now);
    }
    const before = current!.status;
    let target: ChargeStatus = before;
    if (before === 'succeeded' || before === 'partially_refunded') {
      const candidate = statusFromRefunds(current!.amount, stripeCharge.amount_refunded);
      if (canTransition(before, candidate)) target = candidate;
    }
    const amountRefunded = Math.min(stripeCharge.amount_refunded, current!.amount);
    const moved =
      target !== before
        ? await moveCharge(tx, charge.id, { to: target, set: { amountRefunded }, at: now, actor, before: { status: before }, after: { status: target, amount_refunded: stripeCharge.amount_refunded } })
        : undefined;
    const [updated] = moved ? [moved] : await tx.update(charges).set({ amountRefunded, updatedAt: now }).where(eq(charges.id, charge.id)).returning();
    if (moved?.status === 'refunded') await reverseOnce(tx, deps.catalog, moved, now);
    return { charge: updated!, newRefunds };
  });
}

/**
 * A dispute, as Stripe has it now: open or lost → the charge is disputed and its purchase reversed;
 * won → the charge is restored and so is the purchase. Whichever event arrives first, the state
 * converges on Stripe's.
 */
export async function syncDispute(deps: SyncDeps, disputeId: string, actor: string): Promise<{ charge?: Charge }> {
  const dispute = await deps.stripe.client.disputes.retrieve(disputeId);
  const stripeCharge = await deps.stripe.client.charges.retrieve(idOf(dispute.charge)!);
  const charge = await chargeForStripeCharge(deps, stripeCharge);
  if (!charge) return {};
  const now = deps.clock.now();
  const closed = CLOSED_DISPUTE_STATUSES.includes(dispute.status);
  return deps.db.transaction(async (tx) => {
    const [current] = await tx.select().from(charges).where(eq(charges.id, charge.id)).for('update');
    const values = {
      chargeId: charge.id,
      stripeDisputeId: dispute.id,
      amount: dispute.amount,
      currency: dispute.currency,
      reason: dispute.reason,
      status: dispute.status,
      evidenceDueBy: dispute.evidence_details?.due_by ? new Date(dispute.evidence_details.due_by * 1000) : null,
      closedAt: closed ? now : null,
      updatedAt: now,
    };
    const [existing] = await tx.select().from(disputes).where(eq(disputes.stripeDisputeId, dispute.id));
    if (!existing) {
      await tx.insert(disputes).values({ ...values, createdAt: now });
      await audit(tx, { actor, action: 'dispute.opened', subjectType: 'charge', subjectId: charge.id, after: { dispute: dispute.id, reason: dispute.reason, amount: dispute.amount } }, now);
    } else if (existing.status !== dispute.status) {
      await tx.update(disputes).set({ status: values.status, closedAt: existing.closedAt ?? values.closedAt, updatedAt: now }).where(eq(disputes.id, existing.id));
      if (closed) {
        await audit(tx, { actor, action: 'dispute.closed', subjectType: 'charge', subjectId: charge.id, before: { status: existing.status }, after: { dispute: dispute.id, status: dispute.status } }, now);
      }
    }
    const before = current!.status;
    let target: ChargeStatus = before;
    if (disputeHoldsMoney(dispute.status)) {
      if (canTransition(before, 'disputed')) target = 'disputed';
    } else if (before === 'disputed') {
      target = current!.amountRefunded > 0 ? 'partially_refunded' : 'succeeded';
    }
    if (target === before) return { charge: current };
    // The row is locked and the target allowed: the guard passes; undefined only satisfies the types.
    const updated = await moveCharge(tx, charge.id, { to: target, at: now, actor, before: { status: before }, after: { status: target, dispute: dispute.id } });
    if (!updated) return { charge: current };
    if (target === 'disputed') await reverseOnce(tx, deps.catalog, updated, now);
    else await restoreOnce(tx, deps.catalog, updated, now);
    return { charge: updated };
  });
}
