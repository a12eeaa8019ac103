import type Stripe from 'stripe';
import { chargeForIntent, retrieveIntent, type SyncDeps, syncPaymentIntent } from '../sync.js';
import { SETTLED_STATUSES, statusFromIntent } from '../state.js';
import type { BatchContext } from './handlers/types.js';

/**
 * Shared by the four payment_intent.* handlers. The event's snapshot is used only to skip work
 * when our row is already where the snapshot would take it; any change is made from a fresh read.
 */
export async function onPaymentIntentEvent(deps: SyncDeps, event: Stripe.Event, batch?: BatchContext): Promise<void> {
  const snapshot = event.data.object as Stripe.PaymentIntent;
  const charge = batch?.chargesByIntent.get(snapshot.id) ?? (await chargeForIntent(deps, snapshot));
  if (charge && (SETTLED_STATUSES.includes(charge.status) || charge.status === statusFromIntent(snapshot))) return;
  await syncPaymentIntent(deps, await retrieveIntent(deps, snapshot.id), 'stripe');
}
