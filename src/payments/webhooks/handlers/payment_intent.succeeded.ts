import type { EventHandler } from './types.js';
import { onPaymentIntentEvent } from '../payment-intent-events.js';

/** The payment went through (often already settled by checkout; essential when the buyer left mid-3-D Secure). */
export const paymentIntentSucceeded: EventHandler = onPaymentIntentEvent;
