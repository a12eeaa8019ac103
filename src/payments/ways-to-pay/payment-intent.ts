import Stripe from 'stripe';
import type { Charge } from '../../db/schema.js';
import type { CheckoutOutcome } from '../outcome.js';
import { INTENT_EXPAND, isProviderUnavailable, isRequestInProgress } from '../stripe.js';
import { SUBJECT_FIELD, subjectOf } from '../subject.js';
import type { Purchase, WayCore } from './way.js';

/** What every PaymentIntent for a row carries: settle and reconcile recognise our intents by it. */
export function intentMetadata(charge: Charge): Record<string, string> {
  return {
    charge_id: String(charge.id),
    user_id: String(charge.userId),
    product: charge.product,
    ...(subjectOf(charge) ? { [SUBJECT_FIELD]: String(subjectOf(charge)) } : {}),
    ...(charge.intentNonce ? { charge_nonce: charge.intentNonce } : {}),
  };
}

/** How a way that confirms a PaymentIntent on our server gives it its source, and what Stripe's refusal of that source means. */
export interface IntentSource {
  params(source: string): Pick<Stripe.PaymentIntentCreateParams, 'confirmation_token' | 'payment_method'>;
  /** The request parameter naming the source, and the row's failure when Stripe refuses it (nothing was charged). */
  refused: { param: string; code: string; message: string };
}

/** A row with no PaymentIntent is never one of these ways' rows: the hosted page's rows carry a session. */
export const madeByIntent = (charge: Charge) => charge.checkoutSessionId === null;

/**
 * Creates and confirms the row's PaymentIntent under a key derived from the row, then settles the row
 * from Stripe's answer. Finalized on the server (docs.stripe.com/payments/finalize-payments-on-the-server).
 * One attempt per row in this process: Stripe's events for it wait for the settling.
 */
export function startIntent(core: WayCore, purchase: Purchase, way: IntentSource): Promise<CheckoutOutcome> {
  return core.once(purchase.charge.id, () => createIntent(core, purchase, way));
}

async function createIntent(core: WayCore, purchase: Purchase, way: IntentSource, replacing?: string): Promise<CheckoutOutcome> {
  const { deps } = core;
  const { charge, payer, actor, offSession } = purchase;
  try {
    const customer = await payer.customerFor(deps.db, deps.stripe.client, replacing);
    const intent = await deps.stripe.client.paymentIntents.create(
      {
        amount: charge.amount,
        currency: charge.currency,
        customer,
        ...way.params(purchase.source!),
        confirm: true,
        // Automatic payment methods, as Stripe defaults since 2023-08-16, with a return_url for any method
        // that redirects, and next actions (3-D Secure) handed to Stripe.js's handleNextAction. Off-session
        // nobody can be redirected or authenticate: Stripe declines what would need it
        // (authentication_required) and needs no return_url.
        automatic_payment_methods: { enabled: true },
        ...(offSession ? { off_session: true } : { return_url: core.returnUrl(charge.id), use_stripe_sdk: true }),
        ...(purchase.saveCard ? { setup_future_usage: 'off_session' as const } : {}),
        description: deps.catalog.get(charge.product).name,
        metadata: intentMetadata(charge),
        expand: INTENT_EXPAND,
      },
      { idempotencyKey: `charge-${charge.id}` },
    );
    return await core.settleFromIntent(charge.id, intent, actor, true);
  } catch (error) {
    if (error instanceof Stripe.errors.StripeCardError && error.payment_intent) {
      return core.settleFromIntent(charge.id, error.payment_intent, actor, true);
    }
    if (error instanceof Stripe.errors.StripeInvalidRequestError && error.param === 'customer' && error.code === 'resource_missing' && !replacing) {
      // Off-session, the saved card went with the deleted customer: nothing to charge.
      if (offSession) return core.reject(charge, actor, 'payment_method_invalid', 'The saved card is no longer available.');
      // The customer was deleted at Stripe: forget the mapping, make a new customer, try once more.
      const old = await payer.forgetCustomer(deps.db);
      return createIntent(core, purchase, way, old ?? 'none');
    }
    if (error instanceof Stripe.errors.StripeInvalidRequestError && error.param === way.refused.param) {
      return core.reject(charge, actor, way.refused.code, way.refused.message);
    }
    // Another process is calling Stripe with this charge's key right now (the SDK already retried
    // the 409 with backoff): that call settles the row; answer with the row as it stands.
    if (isRequestInProgress(error)) return core.current(charge.id);
    // The row stays pending: a retry with the same key, the webhook or reconcile settles it.
    if (isProviderUnavailable(error)) return { kind: 'unavailable', charge, message: 'you have not been charged twice — try again.' };
    throw error;
  }
}

/** After 3-D Secure in the browser: the PaymentIntent is re-read from Stripe, never the browser's word. */
export async function confirmIntent(core: WayCore, charge: Charge, actor: string): Promise<CheckoutOutcome> {
  if (!charge.paymentIntentId) return core.current(charge.id);
  let intent: Stripe.PaymentIntent;
  try {
    intent = await core.deps.stripe.client.paymentIntents.retrieve(charge.paymentIntentId, { expand: INTENT_EXPAND });
  } catch (error) {
    // Nothing changes without Stripe's word: the buyer confirms again, or the webhook or reconcile settles it.
    if (isProviderUnavailable(error)) return { kind: 'unavailable', charge, message: 'you have not been charged twice — try again.' };
    throw error;
  }
  return core.settleFromIntent(charge.id, intent, actor);
}
