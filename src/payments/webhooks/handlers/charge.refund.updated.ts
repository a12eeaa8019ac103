import type Stripe from 'stripe';
import { idOf } from '../../settle.js';
import { syncChargeRefunds } from '../../sync.js';
import type { EventHandler } from './types.js';

/** A refund changed status (pending → succeeded, or failed): re-read its charge's refunds. */
export const chargeRefundUpdated: EventHandler = async (deps, event) => {
  const refund = await deps.stripe.client.refunds.retrieve((event.data.object as Stripe.Refund).id);
  const charge = idOf(refund.charge);
  if (charge) await syncChargeRefunds(deps, charge, 'stripe');
};
