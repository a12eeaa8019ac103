import type { EventHandler } from './types.js';
import { onPaymentIntentEvent } from '../payment-intent-events.js';

/** A decline or a failed 3-D Secure: the charge becomes failed (unless it already succeeded). */
export const paymentIntentPaymentFailed: EventHandler = onPaymentIntentEvent;
