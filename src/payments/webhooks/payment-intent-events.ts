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
  let charge = batch?.chargesByIntent.get(snapshot.id) ?? (await chargeForIntent(deps, snapshot));
  const settling = charge && charge.status === 'pending' ? deps.settling?.(charge.id) : undefined;
  if (settling) {
    // Our own checkout of the row is settling it from Stripe's answer: waiting for it (briefly, so
    // a call held up at Stripe does not hold up the inbox) spares a re-read of the intent that
    // would only race it. Whatever it came to, the row is read again and the event handled as usual.
    await Promise.race([settling.catch(() => undefined), new Promise((resolve) => setTimeout(resolve, SETTLING_WAIT_MS).unref())]);
    charge = await chargeForIntent(deps, snapshot);
  }
  if (charge && (SETTLED_STATUSES.includes(charge.status) || charge.status === statusFromIntent(snapshot))) return;
  await syncPaymentIntent(deps, await retrieveIntent(deps, snapshot.id), 'stripe');
}

/** How long an event waits for this process's own checkout of its charge. */
const SETTLING_WAIT_MS = 2_000;
