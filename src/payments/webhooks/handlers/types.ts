import type Stripe from 'stripe';
import type { Charge } from '../../../db/schema.js';
import type { SyncDeps } from '../../sync.js';

/**
 * What the worker read once for a whole batch of events: our charges for the batch's
 * PaymentIntents, as they were when it was claimed. A handler may use it only to skip work; a stale
 * row can cost a needless re-read from Stripe, never a wrong change (changes go through guarded
 * transitions on fresh rows).
 */
export interface BatchContext {
  chargesByIntent: Map<string, Charge>;
}

/** One handler per Stripe event type; it re-reads the object from Stripe before changing anything. */
export type EventHandler = (deps: SyncDeps, event: Stripe.Event, batch?: BatchContext) => Promise<void>;
