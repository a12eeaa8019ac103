import { baseKeys, chargeRequest } from '../checkout-request.js';
import { confirmIntent, madeByIntent, startIntent } from './payment-intent.js';
import type { WayToPay } from './way.js';

/** A card the payer saved at Stripe (pm_…), chosen at checkout or charged off-session for a renewal. */
export const savedCard: WayToPay = {
  id: 'payment_method',
  request: { schema: chargeRequest, keys: baseKeys },
  sourceField: 'payment_method',
  madeBy: madeByIntent,
  start: (core, purchase) =>
    startIntent(core, purchase, {
      params: (card) => ({ payment_method: card }),
      // A card that is not this payer's (another customer's, or unknown): nothing was charged.
      refused: { param: 'payment_method', code: 'payment_method_invalid', message: 'That card cannot be used. Choose another card.' },
    }),
  confirm: confirmIntent,
};
