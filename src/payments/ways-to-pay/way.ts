import type Stripe from 'stripe';
import type { z } from 'zod';
import type { Executor } from '../../db/client.js';
import type { Charge, Refund, User } from '../../db/schema.js';
import type { CheckoutDeps } from '../checkout.js';
import type { CheckoutOutcome } from '../outcome.js';
import type { Payer } from '../payer.js';
import type { PrepaidPayment } from '../settle.js';

/**
 * A way to pay: how the money for a row is asked for, how the buyer's return is read, how an attempt
 * is ended. The core (checkout.ts) owns the rest, for every way: the request is parsed and authorised,
 * our row is written first under the buyer's idempotency key, one attempt runs per row at a time, and
 * the row is settled once (settle.ts) and moved only by transition.ts. A way is one module in this
 * folder and one line in index.ts. Nothing here assumes Stripe: a way that takes no provider's money
 * (a prepaid balance) implements the same three steps with the core's help it needs.
 */
export interface WayToPay {
  /** Its name: the metrics' `way` label, and what a route names it by. */
  readonly id: string;
  /** What the buyer sends for a purchase this way, beyond the product's own fields. */
  readonly request: WayRequest;
  /**
   * The request field that carries this way's source (a token, a card) and so chooses it among the ways
   * of the same request; none for a way a route names.
   */
  readonly sourceField?: string;
  /** Whether this way made the row's payment: the buyer's return and cancel are routed by it. */
  madeBy(charge: Charge): boolean;
  /** Asks for the money for our pending row (written by the core); called again for a row still pending. */
  start(core: WayCore, purchase: Purchase): Promise<CheckoutOutcome>;
  /** The buyer is back (after 3-D Secure, or from the provider's page): the verdict is re-read, never taken from the browser. */
  confirm(core: WayCore, charge: Charge, actor: string): Promise<CheckoutOutcome>;
  /** The buyer gave up on a row not yet paid: the attempt is ended, and the row moves as the provider says. */
  cancel?(core: WayCore, charge: Charge, actor: string): Promise<void>;
  /**
   * Optional, for a way that takes no provider's money (a prepaid balance): gives a row's whole payment
   * back where this way took it from, inside the transaction that writes the refund row (the charge's
   * row locked; the refund core then moves it to refunded and reverses the product). Once per refund
   * row, the database deciding. False when this way did not pay the row.
   */
  refund?(tx: Executor, charge: Charge, refund: Refund, now: Date): Promise<boolean>;
  /**
   * Optional: what this way offers the buyer on the checkout page for one product (and subject), beside
   * the card's choices: each a button that sends the purchase with the choice's fields (e.g. whose
   * balance pays). The purchase is then checked by the way as any request is.
   */
  choices?(deps: CheckoutDeps, buyer: User, product: string, subjectId: number | undefined): Promise<WayChoice[]>;
}

/** One choice a way offers at checkout: what its button says, and the request fields it sends. */
export interface WayChoice {
  label: string;
  fields: Record<string, string>;
}

/** The fields of a request for one way: their schema, their names, and what else its fingerprint covers. */
export interface WayRequest {
  schema: z.ZodType<{ product: string; save_card?: boolean } & Record<string, unknown>>;
  keys: readonly string[];
  /** Part of the request's fingerprint, so a key used for one way cannot start another. */
  flow?: Record<string, unknown>;
}

/** One attempt to pay a row, as the core hands it to a way. */
export interface Purchase {
  /** Our row, written before any call: its id keys every call to the provider. */
  charge: Charge;
  payer: Payer;
  /** Who buys (charges.user_id). */
  buyer: User;
  /** Who acts, for the audit log: the buyer, or `system` off-session. */
  actor: string;
  /** The value of the way's source field, when it has one. */
  source?: string;
  /** The way's own request fields as parsed (its `request.schema`), e.g. whose balance pays. */
  request: Record<string, unknown>;
  saveCard: boolean;
  /** Nobody at the keyboard (a renewal): nothing can be asked of the buyer. */
  offSession: boolean;
}

/** What the core lends a way: its dependencies and the shared steps that end an attempt. */
export interface WayCore {
  deps: CheckoutDeps;
  /** Where the provider sends the buyer back to after a redirect. */
  returnUrl(chargeId: number): string;
  /** Settles the row from the PaymentIntent Stripe holds for it (once, guarded by settle.ts); `fromCreate`: Stripe's answer to our create call, whose success e-mails due receipts. */
  settleFromIntent(chargeId: number, intent: Stripe.PaymentIntent, actor: string, fromCreate?: boolean): Promise<CheckoutOutcome>;
  /**
   * Settles the row with no provider (a prepaid balance): `pay` takes what the row costs inside the
   * transaction that moves it to succeeded and fulfils the product once; when `pay` refuses, the row
   * fails with its reason and nothing else changes.
   */
  settleWithoutIntent(charge: Charge, actor: string, pay: PrepaidPayment): Promise<CheckoutOutcome>;
  /** Refused before any money moved: a pending row fails with our reason. */
  reject(charge: Charge, actor: string, code: string, message: string): Promise<CheckoutOutcome>;
  /**
   * Runs an attempt that settles the row as the one attempt for it in this process: concurrent
   * repeats share it, and the webhook worker waits for it before settling the row itself.
   */
  once(chargeId: number, attempt: () => Promise<CheckoutOutcome>): Promise<CheckoutOutcome>;
  /** The row as it stands now. */
  current(chargeId: number): Promise<CheckoutOutcome>;
}
