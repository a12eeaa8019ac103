import type Stripe from 'stripe';
import { syncDispute } from '../../sync.js';
import type { EventHandler } from './types.js';

/** A buyer disputed: the charge becomes disputed and its purchase is suspended. */
export const chargeDisputeCreated: EventHandler = async (deps, event) => {
  await syncDispute(deps, (event.data.object as Stripe.Dispute).id, 'stripe');
};
