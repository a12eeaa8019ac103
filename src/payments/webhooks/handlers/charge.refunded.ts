import type Stripe from 'stripe';
import { syncChargeRefunds } from '../../sync.js';
import type { EventHandler } from './types.js';

/** A refund from anywhere (our console, the API, the Stripe Dashboard): re-read the charge and its refunds. */
export const chargeRefunded: EventHandler = async (deps, event) => {
  await syncChargeRefunds(deps, (event.data.object as Stripe.Charge).id, 'stripe');
};
