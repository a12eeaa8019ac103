import type Stripe from 'stripe';
import { balanceTransactions } from './resources/balance_transactions.js';
import { charges } from './resources/charges.js';
import { checkoutSessions, expireDueSessions, payCheckoutSession } from './resources/checkout_sessions.js';
import { confirmationTokens } from './resources/confirmation_tokens.js';
import { customers, deleteCustomer } from './resources/customers.js';
import { closeDispute, disputes, openDispute } from './resources/disputes.js';
import { resources } from './resources/index.js';
import { authenticate, paymentIntents } from './resources/payment_intents.js';
import { chargeCardAs, paymentMethods } from './resources/payment_methods.js';
import { refunds } from './resources/refunds.js';
import { type RequestInfo, Store, type StoreOptions } from './store.js';

/**
 * The store with every resource wired to it, and direct handles for tests and the control API:
 * the objects by resource, and what happens outside the API (3-D Secure, disputes).
 */
export class Emulator extends Store {
  constructor(options: StoreOptions = {}) {
    super(options);
    for (const resource of resources) resource.attach?.(this);
  }

  get customers(): Map<string, Stripe.Customer> {
    return customers(this);
  }
  get paymentMethods(): Map<string, Stripe.PaymentMethod> {
    return paymentMethods(this);
  }
  get paymentIntents(): Map<string, Stripe.PaymentIntent> {
    return paymentIntents(this);
  }
  get charges(): Map<string, Stripe.Charge> {
    return charges(this);
  }
  get refunds(): Map<string, Stripe.Refund> {
    return refunds(this);
  }
  get disputes(): Map<string, Stripe.Dispute> {
    return disputes(this);
  }
  get balanceTransactions(): Map<string, Stripe.BalanceTransaction> {
    return balanceTransactions(this);
  }
  get confirmationTokens(): Map<string, Stripe.ConfirmationToken> {
    return confirmationTokens(this);
  }
  get checkoutSessions(): Map<string, Stripe.Checkout.Session> {
    return checkoutSessions(this);
  }

  /** The buyer pays a Checkout Session on its hosted page with this PaymentMethod. */
  payCheckoutSession(id: string, paymentMethod: string, request: RequestInfo, saveCard = false): { session: Stripe.Checkout.Session; paymentIntent: Stripe.PaymentIntent } {
    return payCheckoutSession(this, id, paymentMethod, request, saveCard);
  }

  /** Expires the open sessions whose `expires_at` has passed. */
  expireDueCheckoutSessions(): void {
    expireDueSessions(this);
  }

  /** The customer's click on the 3-D Secure page. */
  authenticate(piId: string, outcome: 'complete' | 'fail', request: RequestInfo): Stripe.PaymentIntent {
    return authenticate(this, piId, outcome, request);
  }

  /** The cardholder disputes a charge with their bank. */
  openDispute(chargeId: string, params: { reason?: string; amount?: number }, request: RequestInfo | null): Stripe.Dispute {
    return openDispute(this, chargeId, params, request);
  }

  /** The bank decides a dispute. */
  closeDispute(id: string, outcome: 'won' | 'lost', request: RequestInfo | null): Stripe.Dispute {
    return closeDispute(this, id, outcome, request);
  }

  /** The card's bank starts answering as this test card's does (e.g. a saved card now declined). */
  chargeCardAs(pmId: string, number: string): Stripe.PaymentMethod {
    return chargeCardAs(this, pmId, number);
  }

  deleteCustomer(id: string, request: RequestInfo): Stripe.DeletedCustomer {
    return deleteCustomer(this, id, request);
  }
}
