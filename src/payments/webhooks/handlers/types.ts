import type Stripe from 'stripe';
import type { SyncDeps } from '../../sync.js';

/** One handler per Stripe event type; it re-reads the object from Stripe before changing anything. */
export type EventHandler = (deps: SyncDeps, event: Stripe.Event) => Promise<void>;
