import { onCheckoutSessionEvent } from '../checkout-session-events.js';
import type { EventHandler } from './types.js';

/** A delayed payment method's money arrived. */
export const checkoutSessionAsyncPaymentSucceeded: EventHandler = onCheckoutSessionEvent;
