import { desc, sql } from 'drizzle-orm';
import type Stripe from 'stripe';
import { z } from 'zod';
import type { Db, Executor } from '../db/client.js';
import { timestamp } from '../http/api.js';
import { type Charge, type PaymentMismatch, paymentMismatches } from '../db/schema.js';
import { audit } from '../audit/log.js';

/**
 * Why a PaymentIntent may not settle a charge: it is not the one we created for the row (another
 * intent that only names it in its metadata), or it is not for the amount and currency we sold.
 */
export type MismatchReason = 'not_our_intent' | 'amount' | 'currency';

/** What we expected: the row the intent names, or the catalog's price when there is no row. */
export interface Expected {
  chargeId?: number;
  amount: number;
  currency: string;
}

/**
 * Null when this intent may settle this row: its id is the one stored, or none is stored yet and it
 * is ours (Stripe's answer to our create call, or it carries the row's nonce); and the price matches.
 */
export function intentMismatch(
  row: Pick<Charge, 'paymentIntentId' | 'intentNonce' | 'amount' | 'currency'>,
  pi: Stripe.PaymentIntent,
  fromCreate = false,
): MismatchReason | null {
  const ours = row.paymentIntentId
    ? row.paymentIntentId === pi.id
    : fromCreate || (row.intentNonce !== null && pi.metadata?.charge_nonce === row.intentNonce);
  if (!ours) return 'not_our_intent';
  if (pi.amount !== row.amount) return 'amount';
  if (pi.currency !== row.currency) return 'currency';
  return null;
}

/**
 * Records a mismatch durably, once per PaymentIntent (a later sighting updates what Stripe says of
 * it), with an audit entry the first time. Nothing is fulfilled: an admin decides (refund at Stripe).
 */
export async function recordMismatch(db: Executor, pi: Stripe.PaymentIntent, reason: MismatchReason, expected: Expected, now: Date): Promise<void> {
  const [row] = await db
    .insert(paymentMismatches)
    .values({
      stripePaymentIntent: pi.id,
      chargeId: expected.chargeId ?? null,
      reason,
      amount: pi.amount,
      currency: pi.currency,
      expectedAmount: expected.amount,
      expectedCurrency: expected.currency,
      intentStatus: pi.status,
      metadata: pi.metadata ?? {},
      detectedAt: now,
      lastSeenAt: now,
    })
    .onConflictDoUpdate({
      target: paymentMismatches.stripePaymentIntent,
      set: { intentStatus: pi.status, amount: pi.amount, currency: pi.currency, lastSeenAt: now },
    })
    // xmax = 0 only on a freshly inserted row.
    .returning({ inserted: sql<boolean>`(xmax = 0)` });
  if (!row?.inserted) return;
  await audit(
    db,
    {
      actor: 'system',
      action: 'payment.mismatch',
      subjectType: expected.chargeId ? 'charge' : 'payment_intent',
      subjectId: expected.chargeId ?? pi.id,
      after: { payment_intent: pi.id, reason, amount: pi.amount, currency: pi.currency, expected_amount: expected.amount, expected_currency: expected.currency, status: pi.status },
    },
    now,
  );
}

export const listMismatches = (db: Db, limit = 200): Promise<PaymentMismatch[]> =>
  db.select().from(paymentMismatches).orderBy(desc(paymentMismatches.detectedAt), desc(paymentMismatches.id)).limit(limit);

export const mismatchSchema = z.object({
  id: z.number().int(),
  payment_intent: z.string(),
  charge_id: z.number().int().nullable(),
  reason: z.string().meta({ description: '`not_our_intent`, `amount` or `currency`.' }),
  amount: z.number().int(),
  currency: z.string(),
  expected_amount: z.number().int().nullable(),
  expected_currency: z.string().nullable(),
  intent_status: z.string(),
  metadata: z.record(z.string(), z.string()),
  detected_at: timestamp,
  last_seen_at: timestamp,
});
export const mismatchJson = (m: PaymentMismatch): z.output<typeof mismatchSchema> => ({
  id: m.id,
  payment_intent: m.stripePaymentIntent,
  charge_id: m.chargeId,
  reason: m.reason,
  amount: m.amount,
  currency: m.currency,
  expected_amount: m.expectedAmount,
  expected_currency: m.expectedCurrency,
  intent_status: m.intentStatus,
  metadata: m.metadata,
  detected_at: m.detectedAt,
  last_seen_at: m.lastSeenAt,
});
