import { randomUUID } from 'node:crypto';
import { eq } from 'drizzle-orm';
import Stripe from 'stripe';
import { z } from 'zod';
import { type Charge, charges, type Refund, refunds, type User } from '../db/schema.js';
import { audit, userActor } from '../audit/log.js';
import { notFound, parseInput } from '../http/errors.js';
import { timestamp } from '../http/api.js';
import { idempotencyKeySchema } from './checkout-request.js';
import { REFUNDABLE_STATUSES } from './state.js';
import { isProviderUnavailable, isRequestInProgress } from './stripe.js';
import { type SyncDeps, syncChargeRefunds } from './sync.js';

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
 * sent to Stripe now, `already_submitted` a repeat of one sent (or refused) before.
 */
export type RefundOutcome =
  | { kind: 'submitted' | 'already_submitted'; refund: Refund; charge: Charge }
  | { kind: 'idempotency_conflict' }
  | { kind: 'not_refundable'; charge: Charge }
  /** More than is left: `remaining` is what can still be refunded. */
  | { kind: 'too_much'; remaining: number; currency: string }
  /** Stripe was out of reach, or still busy with this refund: the same key again sends it, once. */
  | { kind: 'unavailable' | 'in_progress'; refund: Refund }
  /** Stripe refused it (its code and words); the refund row is failed. */
  | { kind: 'refused'; refund: Refund; code: string | undefined; message: string };

/**
 * Refunds a charge from our side (console or API). The refund row is written first under the
 * caller's idempotency key, Stripe is called with a key derived from the row, and the charge is then
 * brought up to date by the same function the charge.refunded webhook uses, so a console refund
 * reverses the purchase exactly as a Dashboard refund does. A double click refunds once.
 */
export async function refundCharge(deps: SyncDeps, actor: User, chargeId: number, body: unknown, idempotencyKey: string | undefined): Promise<RefundOutcome> {
  const input = parseInput(refundInput, body);
  const key = idempotencyKey === undefined ? randomUUID() : parseInput(idempotencyKeySchema, idempotencyKey);
  const [charge] = await deps.db.select().from(charges).where(eq(charges.id, chargeId));
  if (!charge) throw notFound('No such charge.');
  const scopedKey = `${actor.id}:${key}`;
  const [existing] = await deps.db.select().from(refunds).where(eq(refunds.idempotencyKey, scopedKey));
  if (existing) {
    if (existing.chargeId !== chargeId || (input.amount !== undefined && input.amount !== existing.amount)) return { kind: 'idempotency_conflict' };
    if (existing.stripeRefundId || existing.status === 'failed') return { kind: 'already_submitted', refund: existing, charge };
    return submitRefund(deps, actor, charge, existing);
  }
  if (!charge.paymentIntentId || !REFUNDABLE_STATUSES.includes(charge.status)) return { kind: 'not_refundable', charge };
  const remaining = charge.amount - charge.amountRefunded;
  const amount = input.amount ?? remaining;
  if (amount > remaining) return { kind: 'too_much', remaining, currency: charge.currency };
  const now = deps.clock.now();
  const [row] = await deps.db
    .insert(refunds)
    .values({
      chargeId,
      amount,
      currency: charge.currency,
      reason: input.reason ?? null,
      status: 'requested',
      requestedBy: actor.id,
      idempotencyKey: scopedKey,
      createdAt: now,
      updatedAt: now,
    })
    .onConflictDoNothing()
    .returning();
  if (!row) return refundCharge(deps, actor, chargeId, body, idempotencyKey);
  await audit(deps.db, { actor: userActor(actor.id), action: 'refund.requested', subjectType: 'charge', subjectId: chargeId, after: { refund_id: row.id, amount, reason: input.reason ?? null } }, now);
  return submitRefund(deps, actor, charge, row);
}

async function submitRefund(deps: SyncDeps, actor: User, charge: Charge, row: Refund): Promise<RefundOutcome> {
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
      const [failed] = await deps.db.update(refunds).set({ status: 'failed', updatedAt: deps.clock.now() }).where(eq(refunds.id, row.id)).returning();
      return { kind: 'refused', refund: failed!, code: error.code, message: error.message };
    }
    throw error;
  }
  await deps.db.update(refunds).set({ stripeRefundId: stripeRefund.id, status: stripeRefund.status ?? 'pending', updatedAt: deps.clock.now() }).where(eq(refunds.id, row.id));
  const synced = await syncChargeRefunds(deps, stripeRefund.charge as string, userActor(actor.id));
  const [refund] = await deps.db.select().from(refunds).where(eq(refunds.id, row.id));
  return { kind: 'submitted', refund: refund!, charge: synced.charge ?? charge };
}
