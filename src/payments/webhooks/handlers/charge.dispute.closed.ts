import type Stripe from 'stripe';
import { syncDispute } from '../../sync.js';
import type { EventHandler } from './types.js';

/** A dispute ended: won restores the purchase, lost leaves it reversed. */
export const chargeDisputeClosed: EventHandler = async (deps, event) => {
  await syncDispute(deps, (event.data.object as Stripe.Dispute).id, 'stripe');
};
