import type { EventHandler } from './types.js';
import { onPaymentIntentEvent } from '../payment-intent-events.js';

/** 3-D Secure is needed: a pending charge waits for the buyer. */
export const paymentIntentRequiresAction: EventHandler = onPaymentIntentEvent;
