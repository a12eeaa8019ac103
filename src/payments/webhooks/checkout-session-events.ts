import type Stripe from 'stripe';
import { syncCheckoutSession } from '../ways-to-pay/hosted-page.js';
import type { SyncDeps } from '../sync.js';

/** Shared by the checkout.session.* handlers: the session is re-read from Stripe, never taken from the event. */
export async function onCheckoutSessionEvent(deps: SyncDeps, event: Stripe.Event): Promise<void> {
  await syncCheckoutSession(deps, (event.data.object as Stripe.Checkout.Session).id, 'stripe');
}
