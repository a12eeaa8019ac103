import { baseKeys, chargeRequest } from '../checkout-request.js';
import { confirmIntent, madeByIntent, startIntent } from './payment-intent.js';
import type { WayToPay } from './way.js';

/** Stripe's Payment Element: the browser sends a ConfirmationToken (ctoken_…) for a card typed into it. */
export const paymentElement: WayToPay = {
  id: 'confirmation_token',
  request: { schema: chargeRequest, keys: baseKeys },
  sourceField: 'confirmation_token',
  madeBy: madeByIntent,
  start: (core, purchase) =>
    startIntent(core, purchase, {
      params: (token) => ({ confirmation_token: token }),
      // Used, expired or unknown: the buyer fills the form in again, and nothing was charged.
      refused: { param: 'confirmation_token', code: 'confirmation_token_invalid', message: 'The card details expired or were already used. Enter them again.' },
    }),
  confirm: confirmIntent,
};
