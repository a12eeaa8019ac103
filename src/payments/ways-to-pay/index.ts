import { hostedPage } from './hosted-page.js';
import { paymentElement } from './payment-element.js';
import { savedCard } from './saved-card.js';
import type { WayToPay } from './way.js';

/** Every way to pay, one entry each. The first with a source field answers a request that names none. */
export const waysToPay: readonly WayToPay[] = [savedCard, paymentElement, hostedPage];
