import { randomUUID } from 'node:crypto';
import { and, eq, isNotNull, lt, notInArray, sql } from 'drizzle-orm';
import Stripe from 'stripe';
import { z } from 'zod';
import type { Executor } from '../db/client.js';
import { type Charge, charges, type Refund, refunds, type User } from '../db/schema.js';
import { audit, userActor } from '../audit/log.js';
import { notFound, parseInput } from '../http/errors.js';
import { timestamp } from '../http/api.js';
import { idempotencyKeySchema } from './checkout-request.js';
import type { RefundRefusal } from './catalog.js';
import { reverseOnce } from './settle.js';
import { FAILED_REFUND_STATUSES, REFUNDABLE_STATUSES } from './state.js';
import { isProviderUnavailable, isRequestInProgress } from './stripe.js';
import { type SyncDeps, syncChargeRefunds } from './sync.js';
import { moveCharge } from './transition.js';
import type { WayToPay } from './ways-to-pay/way.js';

/** The reasons Stripe accepts for a refund, with the words the console shows for each. */
export const REFUND_REASONS = { requested_by_customer: 'Requested by customer', duplicate: 'Duplicate', fraudulent: 'Fraudulent' } as const;
export const refundReason = z.enum(Object.keys(REFUND_REASONS) as [keyof typeof REFUND_REASONS, ...(keyof typeof REFUND_REASONS)[]]);

export const refundInput = z
  .object({
    amount: z.number().int().positive().max(99_999_999).optional(),
    reason: refundReason.optional(),
  })
  .strict();

export const refundSchema = z.object({
  id: z.number().int(),
  charge_id: z.number().int(),
  stripe_refund_id: z.string().nullable(),
  amount: z.number().int().meta({ description: 'In minor units (cents).' }),
  currency: z.string(),
  reason: z.string().nullable(),
  status: z.string().meta({ description: 'Stripe’s: `pending`, `succeeded`, `failed`…' }),
  requested_by: z.number().int().nullable(),
  created_at: timestamp,
});
export const refundJson = (r: Refund): z.output<typeof refundSchema> => ({
  id: r.id,
  charge_id: r.chargeId,
  stripe_refund_id: r.stripeRefundId,
  amount: r.amount,
  currency: r.currency,
  reason: r.reason,
  status: r.status,
  requested_by: r.requestedBy,
  created_at: r.createdAt,
});

/**
 * What a refund request came to; the routes say it in HTTP (http-answers.ts). `submitted` is a refund
 * sent to Stripe now (or given back by a prepaid way), `already_submitted` a repeat of one made (or
 * refused) before.
 */
export type RefundOutcome =
  | { kind: 'submitted' | 'already_submitted'; refund: Refund; charge: Charge }
  | { kind: 'idempotency_conflict' }
  | { kind: 'not_refundable'; charge: Charge }
  /** More than is left: `remaining` is what can still be refunded. */
  | { kind: 'too_much'; remaining: number; currency: string }
  /** A charge paid from a prepaid balance is refunded whole (`remaining`) or not at all. */
  | { kind: 'whole_only'; remaining: number; currency: string }
  /** The product refused it before Stripe was called (what it sold was used up): nothing was written. */
  | { kind: 'refused_by_product'; refusal: RefundRefusal }
  /** Stripe was out of reach, or still busy with this refund: the same key again sends it, once. */
  | { kind: 'unavailable' | 'in_progress'; refund: Refund }
  /** Stripe refused it (its code and words); the refund row is failed. */
  | { kind: 'refused'; refund: Refund; code: string | undefined; message: string };

/** What refunding needs: Stripe's side (sync.ts), and the ways to pay, for a charge a prepaid balance paid. */
export interface RefundDeps extends SyncDeps {
  ways: readonly WayToPay[];
}

/** Thrown inside the transaction that writes a refund row, to undo it with the reason. */
/** The money of the charge's refunds that have not failed: confirmed by Stripe, or asked and still on their way. */
async function refundsNotFailed(tx: Executor, chargeId: number): Promise<number> {
  const [row] = await tx
    .select({ sum: sql<string>`coalesce(sum(${refunds.amount}), 0)` })
    .from(refunds)
    .where(and(eq(refunds.chargeId, chargeId), notInArray(refunds.status, [...FAILED_REFUND_STATUSES])));
  return Number(row!.sum);
}

class Undone extends Error {
  constructor(readonly outcome: RefundOutcome) {
    super(outcome.kind);
  }
}

/**
 * Refunds a charge from our side (console or API). The refund row is written first under the
 * caller's idempotency key, in one transaction with the charge's row locked and with what the product
 * takes back for it (`Product.refunded`, which may refuse: then nothing is written); Stripe is then
 * called with a key derived from the row, and the charge is brought up to date by the same function
 * the charge.refunded webhook uses, so a console refund reverses the purchase exactly as a Dashboard
 * refund does. A charge no provider paid is given back by the way that paid it (`WayToPay.refund`),
 * whole, in that same transaction. A double click refunds once.
 */
export async function refundCharge(deps: RefundDeps, actor: User, chargeId: number, body: unknown, idempotencyKey: string | undefined): Promise<RefundOutcome> {
  const input = parseInput(refundInput, body);
  const key = idempotencyKey === undefined ? randomUUID() : parseInput(idempotencyKeySchema, idempotencyKey);
  const [charge] = await deps.db.select().from(charges).where(eq(charges.id, chargeId));
  if (!charge) throw notFound('No such charge.');
  const scopedKey = `${actor.id}:${key}`;
  const [existing] = await deps.db.select().from(refunds).where(eq(refunds.idempotencyKey, scopedKey));
  if (existing) {
    if (existing.chargeId !== chargeId || (input.amount !== undefined && input.amount !== existing.amount)) return { kind: 'idempotency_conflict' };
    // Only a row still waiting for Stripe's answer is sent again.
    if (existing.status !== 'requested') {
      // A repeat, perhaps while the first request is still bringing the charge up to date: the answer
      // is the charge as Stripe has it now, brought up to date here too (the sync is idempotent).
      const synced = existing.stripeRefundId && charge.stripeLatestCharge ? (await syncChargeRefunds(deps, charge.stripeLatestCharge, userActor(actor.id))).charge : undefined;
      return { kind: 'already_submitted', refund: existing, charge: synced ?? charge };
    }
    return submitRefund(deps, userActor(actor.id), charge, existing);
  }
  if (!REFUNDABLE_STATUSES.includes(charge.status)) return { kind: 'not_refundable', charge };
  const prepaid = !charge.paymentIntentId;
  const now = deps.clock.now();
  let amount = input.amount ?? 0;
  let outcome: RefundOutcome | { kind: 'requested'; row: Refund } | undefined;
  try {
    outcome = await deps.db.transaction(async (tx) => {
      const [locked] = await tx.select().from(charges).where(eq(charges.id, chargeId)).for('update');
      // The same key, written while this waited for the lock: its answer, read again.
      const [meanwhile] = await tx.select({ id: refunds.id }).from(refunds).where(eq(refunds.idempotencyKey, scopedKey));
      if (meanwhile) return undefined;
      // What is left to refund, under the charge's lock: less every refund asked and not failed, not only
      // what Stripe has confirmed, so that two refunds with different keys cannot both take the rest.
      const remaining = locked!.amount - (await refundsNotFailed(tx, chargeId));
      amount = input.amount ?? remaining;
      if (prepaid && amount !== remaining) throw new Undone({ kind: 'whole_only', remaining, currency: locked!.currency });
      if (amount > remaining || amount <= 0) throw new Undone({ kind: 'too_much', remaining: Math.max(remaining, 0), currency: locked!.currency });
      const values = { chargeId, amount, currency: locked!.currency, reason: input.reason ?? null, requestedBy: actor.id, idempotencyKey: scopedKey, createdAt: now, updatedAt: now };
      // A prepaid balance's refund is made here and now: no provider is asked.
      const [row] = await tx
        .insert(refunds)
        .values({ ...values, status: prepaid ? 'succeeded' : 'requested' })
        .onConflictDoNothing()
        .returning();
      // The same key, written meanwhile: its answer, read again.
      if (!row) return undefined;
      if (!REFUNDABLE_STATUSES.includes(locked!.status)) throw new Undone({ kind: 'not_refundable', charge: locked! });
      await audit(tx, { actor: userActor(actor.id), action: 'refund.requested', subjectType: 'charge', subjectId: chargeId, after: { refund_id: row.id, amount, reason: input.reason ?? null } }, now);
      if (prepaid) return { kind: 'submitted', refund: row, charge: await refundPrepaid(deps, tx, locked!, row, userActor(actor.id), now) } as const;
      const refusal = await deps.catalog.find(charge.product)?.refunded?.(tx, locked!, row, now, true);
      if (refusal) throw new Undone({ kind: 'refused_by_product', refusal });
      return { kind: 'requested', row } as const;
    });
  } catch (error) {
    if (!(error instanceof Undone)) throw error;
    if (error.outcome.kind === 'refused_by_product') {
      const { code, details } = error.outcome.refusal;
      await audit(deps.db, { actor: userActor(actor.id), action: 'refund.refused', subjectType: 'charge', subjectId: chargeId, after: { amount, code, ...details } }, now);
    }
    return error.outcome;
  }
  if (!outcome) return refundCharge(deps, actor, chargeId, body, idempotencyKey);
  return outcome.kind === 'requested' ? submitRefund(deps, userActor(actor.id), charge, outcome.row) : outcome;
}

/**
 * A charge no provider paid, refunded whole: the way that paid it gives the payment back (none did:
 * not refundable), the row moves to refunded through transition.ts, and the product is reversed once,
 * as a full card refund reverses it. Inside the transaction that wrote the refund row.
 */
async function refundPrepaid(deps: RefundDeps, tx: Executor, charge: Charge, row: Refund, actor: string, now: Date): Promise<Charge> {
  let given = false;
  for (const way of deps.ways) if (!given && way.refund) given = await way.refund(tx, charge, row, now);
  if (!given) throw new Undone({ kind: 'not_refundable', charge });
  const moved = await moveCharge(tx, charge.id, {
    to: 'refunded',
    set: { amountRefunded: charge.amount },
    at: now,
    actor,
    before: { status: charge.status },
    after: { status: 'refunded', amount_refunded: charge.amount, refund_id: row.id },
  });
  if (!moved) throw new Error(`charge ${charge.id} did not move to refunded under its lock`);
  await reverseOnce(tx, deps.catalog, moved, now);
  return moved;
}

async function submitRefund(deps: SyncDeps, actor: string, charge: Charge, row: Refund): Promise<RefundOutcome> {
  let stripeRefund: Stripe.Refund;
  try {
    stripeRefund = await deps.stripe.client.refunds.create(
      {
        payment_intent: charge.paymentIntentId!,
        amount: row.amount,
        ...(row.reason ? { reason: row.reason as Stripe.RefundCreateParams.Reason } : {}),
        metadata: { refund_id: String(row.id), charge_id: String(charge.id) },
      },
      { idempotencyKey: `refund-${row.id}` },
    );
  } catch (error) {
    // The refund row stays pending: the same request again re-sends it under the same key.
    if (isRequestInProgress(error)) return { kind: 'in_progress', refund: row };
    if (isProviderUnavailable(error)) return { kind: 'unavailable', refund: row };
    if (error instanceof Stripe.errors.StripeInvalidRequestError) {
      // Failed, with what the product took back for it given back, together.
      const now = deps.clock.now();
      const failed = await deps.db.transaction(async (tx) => {
        // The charge first, as every refund's transaction takes its locks (charge, refund, balance): no deadlock with a sync.
        await tx.select({ id: charges.id }).from(charges).where(eq(charges.id, charge.id)).for('update');
        const [updated] = await tx.update(refunds).set({ status: 'failed', updatedAt: now }).where(eq(refunds.id, row.id)).returning();
        await deps.catalog.find(charge.product)?.refundFailed?.(tx, charge, updated!, now);
        return updated!;
      });
      return { kind: 'refused', refund: failed, code: error.code, message: error.message };
    }
    throw error;
  }
  await deps.db.update(refunds).set({ stripeRefundId: stripeRefund.id, status: stripeRefund.status ?? 'pending', updatedAt: deps.clock.now() }).where(eq(refunds.id, row.id));
  const synced = await syncChargeRefunds(deps, stripeRefund.charge as string, actor);
  const [refund] = await deps.db.select().from(refunds).where(eq(refunds.id, row.id));
  return { kind: 'submitted', refund: refund!, charge: synced.charge ?? charge };
}

/**
 * Refund rows still waiting for Stripe's answer since before `before` (Stripe was out of reach and
 * nobody sent the request again): each is sent again under its own key, so its money goes back once,
 * or, refused, the row fails and gives back what it took. Reconcile runs it; at most 100 a run.
 */
export async function resendWaitingRefunds(deps: SyncDeps, before: Date): Promise<Array<{ refund: Refund; outcome: RefundOutcome['kind'] }>> {
  const waiting = await deps.db
    .select({ refund: refunds, charge: charges })
    .from(refunds)
    .innerJoin(charges, eq(charges.id, refunds.chargeId))
    .where(and(eq(refunds.status, 'requested'), lt(refunds.createdAt, before), isNotNull(charges.paymentIntentId)))
    .orderBy(refunds.id)
    .limit(100);
  const sent = [];
  for (const { refund, charge } of waiting) sent.push({ refund, outcome: (await submitRefund(deps, 'reconcile', charge, refund)).kind });
  return sent;
}
