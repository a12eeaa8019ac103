import { and, eq, inArray, isNull, isNotNull, sql } from 'drizzle-orm';
import type Stripe from 'stripe';
import type { Clock } from '../clock.js';
import type { Db, Executor } from '../db/client.js';
import { auditLog, type Charge, charges, fulfilments } from '../db/schema.js';
import type { Catalog, ChargeExtras } from './catalog.js';
import { intentPredecessors, statusFromIntent } from './state.js';

export interface SettleDeps {
  db: Db;
  catalog: Catalog;
  clock: Clock;
}

function cardOf(pi: Stripe.PaymentIntent): { brand: string | null; last4: string | null } {
  const charge = typeof pi.latest_charge === 'object' ? pi.latest_charge : null;
  const fromCharge = charge?.payment_method_details?.card;
  if (fromCharge) return { brand: fromCharge.brand, last4: fromCharge.last4 };
  const pm = typeof pi.payment_method === 'object' && pi.payment_method ? pi.payment_method : pi.last_payment_error?.payment_method;
  return { brand: pm?.card?.brand ?? null, last4: pm?.card?.last4 ?? null };
}

export const idOf = (v: string | { id: string } | null | undefined) => (v == null ? null : typeof v === 'string' ? v : v.id);

/** Stripe's fee, when the balance transaction came expanded with the charge. */
function feeOf(pi: Stripe.PaymentIntent): { stripeFee: number; stripeBalanceTransaction: string } | Record<string, never> {
  const charge = typeof pi.latest_charge === 'object' ? pi.latest_charge : null;
  const txn = charge && typeof charge.balance_transaction === 'object' ? charge.balance_transaction : null;
  return txn ? { stripeFee: txn.fee, stripeBalanceTransaction: txn.id } : {};
}

/** The charge after settling, with its extras when this settlement fulfilled it. */
export interface Settled {
  charge: Charge;
  extras?: ChargeExtras;
}

/**
 * Moves a charge to where its PaymentIntent (as just read from Stripe) says it is, forward only,
 * and fulfils the product in the same transaction when it succeeded. Checkout, webhooks and
 * reconcile all come through here, so whichever gets there first does the work, once.
 */
export async function settleFromIntent(deps: SettleDeps, chargeId: number, pi: Stripe.PaymentIntent, actor = 'system'): Promise<Settled> {
  const target = statusFromIntent(pi);
  const now = deps.clock.now();
  return deps.db.transaction(async (tx) => {
    const card = cardOf(pi);
    const failure = target === 'failed' ? pi.last_payment_error : null;
    // One statement moves the charge, appends its audit entry and, on success, claims the
    // fulfilment (the fulfilments primary key decides): all or nothing, in one round trip.
    const moved = tx.$with('moved').as(
      tx
        .update(charges)
        .set({
          status: target,
          stripeChargeKey: pi.id,
          stripeLatestCharge: idOf(pi.latest_charge),
          stripeClientSecret: target === 'requires_action' ? pi.client_secret : null,
          ...(card.brand ? { cardBrand: card.brand, cardLast4: card.last4 } : {}),
          ...(failure ? { failureCode: failure.code ?? 'payment_failed', declineCode: failure.decline_code ?? null, failureMessage: failure.message ?? null } : {}),
          ...(target === 'succeeded' ? { paidAt: now, failureCode: null, declineCode: null, failureMessage: null, ...feeOf(pi) } : {}),
          updatedAt: now,
        })
        .where(and(eq(charges.id, chargeId), inArray(charges.status, intentPredecessors(target))))
        .returning(),
    );
    const audited = tx.$with('audited', { id: sql<number>`id` }).as(sql`
      insert into ${auditLog} (at, actor, action, subject_type, subject_id, after)
      select ${now.toISOString()}::timestamptz, ${actor}, ${`charge.${target}`}, 'charge', id::text,
        jsonb_build_object('status', status, 'payment_intent', ${pi.id}::text, 'amount', amount, 'currency', currency)
      from moved returning id`);
    const claimed = tx.$with('claimed', { chargeId: sql<number>`charge_id` }).as(sql`
      insert into ${fulfilments} (charge_id, product, fulfilled_at)
      select id, product, ${now.toISOString()}::timestamptz from moved where status = 'succeeded'
      on conflict do nothing returning charge_id`);
    const [row] = await tx
      .with(moved, audited, claimed)
      .select({ charge: moved._.selectedFields, fulfil: sql<boolean>`exists (select 1 from ${claimed})`.mapWith(Boolean) })
      .from(moved);
    if (!row) {
      // Already there or beyond: record what we learned about the Stripe objects, change nothing else.
      const [current] = await tx
        .update(charges)
        .set({ stripeChargeKey: pi.id, stripeLatestCharge: idOf(pi.latest_charge) })
        .where(and(eq(charges.id, chargeId), isNull(charges.stripeLatestCharge)))
        .returning();
      return { charge: current ?? (await tx.select().from(charges).where(eq(charges.id, chargeId)))[0]! };
    }
    const charge = row.charge as Charge;
    const extras = row.fulfil ? await deps.catalog.get(charge.product).fulfil(tx, charge, now) : undefined;
    return { charge, extras: extras ?? undefined };
  });
}

/** Reverses a fulfilled charge's product once (full refund, dispute opened). */
export async function reverseOnce(tx: Executor, catalog: Catalog, charge: Charge, now: Date): Promise<boolean> {
  const [reversed] = await tx
    .update(fulfilments)
    .set({ reversedAt: now })
    .where(and(eq(fulfilments.chargeId, charge.id), isNull(fulfilments.reversedAt)))
    .returning();
  if (!reversed) return false;
  await catalog.get(charge.product).reverse(tx, charge, now);
  return true;
}

/** Restores a reversed fulfilment once (dispute won). */
export async function restoreOnce(tx: Executor, catalog: Catalog, charge: Charge, now: Date): Promise<boolean> {
  const [restored] = await tx
    .update(fulfilments)
    .set({ reversedAt: null })
    .where(and(eq(fulfilments.chargeId, charge.id), isNotNull(fulfilments.reversedAt)))
    .returning();
  if (!restored) return false;
  await catalog.get(charge.product).restore(tx, charge, now);
  return true;
}
