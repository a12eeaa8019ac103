import { onCheckoutSessionEvent } from '../checkout-session-events.js';
import type { EventHandler } from './types.js';

/** The session ended unpaid: the row is canceled and nothing is bought. */
export const checkoutSessionExpired: EventHandler = onCheckoutSessionEvent;
