import type { Charge } from '../db/schema.js';
import type { ChargeExtras } from './catalog.js';

/**
 * What a checkout came to, in the payment's words; the routes say it in HTTP (http-answers.ts).
 * Every outcome carries our row as it stands, so a repeat of the request gets the same one.
 */
export type CheckoutOutcome =
  | { kind: 'paid'; charge: Charge; extras?: ChargeExtras }
  /** No verdict yet: the webhook, a retry with the same key or reconcile settles it. */
  | { kind: 'processing'; charge: Charge; extras?: ChargeExtras }
  /** The buyer must act in the browser (3-D Secure) with this secret, then confirm. */
  | { kind: 'requires_action'; charge: Charge; extras?: ChargeExtras; clientSecret: string | null }
  /** Nothing was taken: `reason` is the failure code (a decline, a refused card or token); `details` go beside the error (the first answer only). */
  | { kind: 'declined'; charge: Charge; extras?: ChargeExtras; reason: string; declineCode: string | null; message: string; details?: Record<string, unknown> }
  | { kind: 'canceled'; charge: Charge; extras?: ChargeExtras }
  /** The buyer pays on a page of the provider's, at `url`. */
  | { kind: 'redirect'; charge: Charge; url: string }
  /** The provider could not be reached; `message` says what did not happen. The same key again is safe. */
  | { kind: 'unavailable'; charge: Charge; message: string }
  /** The provider is still working on this row's request (another process or a double click). */
  | { kind: 'in_progress'; charge: Charge };

/** The outcome a row's state stands for: the same for the first request and every repeat. */
export function outcomeOf(charge: Charge, extras?: ChargeExtras): CheckoutOutcome {
  switch (charge.status) {
    case 'succeeded':
    case 'partially_refunded':
    case 'refunded':
    case 'disputed':
      return { kind: 'paid', charge, extras };
    case 'requires_action':
      return { kind: 'requires_action', charge, extras, clientSecret: charge.stripeClientSecret };
    case 'failed':
      return { kind: 'declined', charge, extras, reason: charge.failureCode ?? 'card_declined', declineCode: charge.declineCode, message: charge.failureMessage ?? 'The payment failed.' };
    case 'canceled':
      return { kind: 'canceled', charge, extras };
    default:
      return { kind: 'processing', charge, extras };
  }
}
