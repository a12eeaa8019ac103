import type { EventHandler } from './types.js';
import { onPaymentIntentEvent } from '../payment-intent-events.js';

/** The PaymentIntent was canceled at Stripe: an unpaid charge becomes canceled. */
export const paymentIntentCanceled: EventHandler = onPaymentIntentEvent;
