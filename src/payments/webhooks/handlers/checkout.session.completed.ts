import { onCheckoutSessionEvent } from '../checkout-session-events.js';
import type { EventHandler } from './types.js';

/** The buyer paid on Stripe's page (or a delayed payment method started). */
export const checkoutSessionCompleted: EventHandler = onCheckoutSessionEvent;
