import { and, eq, isNull } from 'drizzle-orm';
import Stripe from 'stripe';
import { z } from 'zod';
import { type Charge, charges } from '../../db/schema.js';
import { type MismatchReason, recordMismatch } from '../mismatches.js';
import { needsSavedCard } from '../catalog.js';
import type { Payer } from '../payer.js';
import { settleFromIntent } from '../settle.js';
import { intentPredecessors } from '../state.js';
import { isProviderUnavailable, isRequestInProgress } from '../stripe.js';
import { SUBJECT_FIELD, subjectIdSchema } from '../subject.js';
import { retrieveIntent, type SyncDeps } from '../sync.js';
import { moveCharge } from '../transition.js';
import { intentMetadata } from './payment-intent.js';
import type { WayCore, WayToPay } from './way.js';

/**
 * Stripe-hosted Checkout: our row first, then a Checkout Session for the catalog's price. The return
 * page, the checkout.session.* webhooks and reconcile all settle through syncCheckoutSession, which
 * re-reads the session and its PaymentIntent from Stripe and hands the intent to settleFromIntent:
 * whichever arrives first fulfils, once.
 */

const sessionKeys = ['product', SUBJECT_FIELD] as const;
const sessionRequest = z.object({
  product: z.string().min(1, 'Choose a product.').max(60),
  [SUBJECT_FIELD]: subjectIdSchema.optional(),
});

/**
 * Stripe refuses an expires_at less than 30 minutes after it creates the session. expires_at is
 * rounded down to the minute (below) and the request may wait at Stripe or be retried by the SDK, so
 * five minutes more than that keep every try of the request valid.
 */
const SESSION_LIFETIME_SECONDS = 35 * 60;
/** How far Stripe's clock and ours may disagree when looking for a session made for a row. */
const CLOCK_MARGIN_SECONDS = 24 * 3600;

/** Stripe's hosted page: the buyer pays on a Checkout Session's page and comes back to us. */
export const hostedPage: WayToPay = {
  id: 'hosted_page',
  request: { schema: sessionRequest, keys: sessionKeys, flow: { flow: 'hosted_page' } },
  madeBy: (charge) => charge.checkoutSessionId !== null,

  /** The session for our row, stored on it: the buyer pays at its `url`. */
  async start(core, { charge, payer }) {
    try {
      const session = await openSession(core, charge, payer);
      if (!session) return { kind: 'in_progress', charge };
      const [stored] = await core.deps.db
        .update(charges)
        .set({ checkoutSessionId: session.id, updatedAt: core.deps.clock.now() })
        .where(and(eq(charges.id, charge.id), isNull(charges.checkoutSessionId)))
        .returning();
      const current = stored ?? (await core.current(charge.id)).charge;
      if (session.status !== 'open' || !session.url) return core.current(charge.id);
      return { kind: 'redirect', charge: current, url: session.url };
    } catch (error) {
      // The row stays pending: the same Idempotency-Key asks again, and Stripe's key makes it one session.
      if (isRequestInProgress(error)) return { kind: 'in_progress', charge };
      if (isProviderUnavailable(error)) return { kind: 'unavailable', charge, message: 'try again; you have not been charged.' };
      throw error;
    }
  },

  /** The return page's re-read: Stripe out of reach leaves the row for the webhook or reconcile. */
  async confirm(core, charge, actor) {
    try {
      await syncCheckoutSession(core.deps, charge.checkoutSessionId!, actor);
    } catch (error) {
      if (!isProviderUnavailable(error)) throw error;
      return { kind: 'unavailable', charge, message: 'try again; you have not been charged.' };
    }
    return core.current(charge.id);
  },

  /**
   * The buyer left Stripe's page by its cancel link: the session is ended at Stripe, so it can no
   * longer be paid, then re-read like any other, which cancels the row at once (or settles it, when
   * it was paid before the link was followed). Stripe out of reach leaves the row to the session's
   * expiry, which cancels it the same way.
   */
  async cancel(core, charge, actor) {
    try {
      await core.deps.stripe.client.checkout.sessions.expire(charge.checkoutSessionId!);
    } catch (error) {
      if (isProviderUnavailable(error)) return;
      // Already complete or expired: Stripe refuses to end it again, and the re-read says how it ended.
      if (!(error instanceof Stripe.errors.StripeInvalidRequestError)) throw error;
    }
    await hostedPage.confirm(core, charge, actor);
  },
};

/** The row's session: made once under a key derived from the row; undefined while an earlier try is still being answered. */
async function openSession(core: WayCore, charge: Charge, payer: Payer): Promise<Stripe.Checkout.Session | undefined> {
  const { stripe, catalog } = core.deps;
  if (charge.checkoutSessionId) return stripe.client.checkout.sessions.retrieve(charge.checkoutSessionId);
  const product = catalog.get(charge.product);
  const customer = await payer.customerFor(core.deps.db, stripe.client);
  const returnUrl = core.returnUrl(charge.id);
  // Stripe's clock decides expiry, so the wall clock (not the app's injectable one) sets it; rounded
  // to the minute so a retry within the minute sends the same parameters under the same key.
  const expiresAt = Math.floor(Date.now() / 60_000) * 60 + SESSION_LIFETIME_SECONDS;
  try {
    return await stripe.client.checkout.sessions.create(
      {
        mode: 'payment',
        line_items: [{ quantity: 1, price_data: { currency: charge.currency, unit_amount: charge.amount, product_data: { name: product.name } } }],
        customer,
        // The buyer's saved cards, however they were saved (Stripe shows only 'always' by default),
        // and a "save this card" box, so a card used here is offered again.
        saved_payment_method_options: { allow_redisplay_filters: ['always', 'limited', 'unspecified'], payment_method_save: 'enabled' },
        client_reference_id: String(charge.id),
        metadata: { charge_id: String(charge.id) },
        payment_intent_data: {
          description: product.name,
          metadata: intentMetadata(charge),
          // A box ticked for auto-renewal: the card typed on Stripe's page is kept for the renewals.
          ...(needsSavedCard(product, charge.productData as Record<string, unknown>) ? { setup_future_usage: 'off_session' as const } : {}),
        },
        success_url: returnUrl,
        cancel_url: `${core.deps.publicUrl}/charges/${charge.id}/cancel`,
        expires_at: expiresAt,
      },
      { idempotencyKey: `checkout-session-${charge.id}` },
    );
  } catch (error) {
    // An earlier try, in another minute, made the session and its answer was lost: Stripe refuses
    // the key with another expires_at, and the row's session is the one made then. None to be seen
    // yet: that try is still being answered.
    if (!(error instanceof Stripe.errors.StripeIdempotencyError)) throw error;
    return sessionMadeFor(core, charge, customer);
  }
}

/** The session Stripe made for this row (its client_reference_id), among the customer's since the row was written. */
async function sessionMadeFor(core: WayCore, charge: Charge, customer: string): Promise<Stripe.Checkout.Session | undefined> {
  const created = { gte: Math.floor(charge.createdAt.getTime() / 1000) - CLOCK_MARGIN_SECONDS };
  for await (const session of core.deps.stripe.client.checkout.sessions.list({ customer, created, limit: 100 })) {
    if (session.client_reference_id === String(charge.id)) return session;
  }
  return undefined;
}

/** The row a session was made for: stored on it when the session was created. */
async function chargeForSession(deps: SyncDeps, session: Stripe.Checkout.Session): Promise<Charge | undefined> {
  const [row] = await deps.db.select().from(charges).where(eq(charges.checkoutSessionId, session.id));
  return row;
}

/** What a session sync did to its row: `changed` when the row moved, `mismatch` when nothing could be fulfilled. */
export interface SessionSync {
  charge?: Charge;
  changed: boolean;
  mismatch?: MismatchReason;
}

/**
 * Brings a session's row in line with Stripe: the session and its PaymentIntent are re-read, the
 * intent settles the row (settle's guard checks it carries the row's nonce and its price), and a
 * session that expired unpaid cancels the row. Safe to call any number of times, in any order.
 */
export async function syncCheckoutSession(deps: SyncDeps, sessionId: string, actor: string): Promise<SessionSync> {
  const session = await deps.stripe.client.checkout.sessions.retrieve(sessionId);
  const charge = await chargeForSession(deps, session);
  if (!charge) return { changed: false };
  const intentId = typeof session.payment_intent === 'string' ? session.payment_intent : session.payment_intent?.id;
  if (intentId) {
    const pi = await retrieveIntent(deps, intentId);
    if (session.amount_total !== charge.amount || session.currency !== charge.currency) {
      // The session itself is not for our price: whatever its intent says, nothing is fulfilled.
      const mismatch = session.amount_total !== charge.amount ? 'amount' : 'currency';
      await recordMismatch(deps.db, pi, mismatch, { chargeId: charge.id, amount: charge.amount, currency: charge.currency }, deps.clock.now());
      return { charge, changed: false, mismatch };
    }
    const settled = await settleFromIntent(deps, charge.id, pi, actor);
    if (settled.charge.status === 'succeeded') deps.afterSettle?.();
    if (settled.moved) deps.afterSessionOutcome?.(settled.charge);
    if (session.status !== 'expired' || settled.charge.status !== 'pending') {
      return { charge: settled.charge, changed: settled.charge.status !== charge.status, mismatch: settled.mismatch };
    }
  }
  if (session.status !== 'expired') return { charge, changed: false };
  const canceled = await cancelUnpaid(deps, charge, actor);
  return { charge: canceled, changed: canceled.status !== charge.status };
}

/** An expired session bought nothing: its row is canceled (forward only; a paid row stays paid). */
async function cancelUnpaid(deps: SyncDeps, charge: Charge, actor: string): Promise<Charge> {
  const after = { checkout_session: charge.checkoutSessionId, reason: 'expired' };
  const canceled = await moveCharge(deps.db, charge.id, { to: 'canceled', from: intentPredecessors('canceled'), set: { stripeClientSecret: null }, at: deps.clock.now(), actor, after });
  if (!canceled) return (await deps.db.select().from(charges).where(eq(charges.id, charge.id)))[0]!;
  deps.afterSessionOutcome?.(canceled);
  return canceled;
}
