import { onCheckoutSessionEvent } from '../checkout-session-events.js';
import type { EventHandler } from './types.js';

/** A delayed payment method failed. */
export const checkoutSessionAsyncPaymentFailed: EventHandler = onCheckoutSessionEvent;
