import { chargeDisputeClosed } from './charge.dispute.closed.js';
import { chargeDisputeCreated } from './charge.dispute.created.js';
import { chargeRefundUpdated } from './charge.refund.updated.js';
import { chargeRefunded } from './charge.refunded.js';
import { checkoutSessionAsyncPaymentFailed } from './checkout.session.async_payment_failed.js';
import { checkoutSessionAsyncPaymentSucceeded } from './checkout.session.async_payment_succeeded.js';
import { checkoutSessionCompleted } from './checkout.session.completed.js';
import { checkoutSessionExpired } from './checkout.session.expired.js';
import { paymentIntentCanceled } from './payment_intent.canceled.js';
import { paymentIntentPaymentFailed } from './payment_intent.payment_failed.js';
import { paymentIntentRequiresAction } from './payment_intent.requires_action.js';
import { paymentIntentSucceeded } from './payment_intent.succeeded.js';
import type { EventHandler } from './types.js';

/** Event types we act on; every other verified event is stored and marked ignored. */
export const handlers: Record<string, EventHandler> = {
  'payment_intent.succeeded': paymentIntentSucceeded,
  'payment_intent.payment_failed': paymentIntentPaymentFailed,
  'payment_intent.canceled': paymentIntentCanceled,
  'payment_intent.requires_action': paymentIntentRequiresAction,
  'charge.refunded': chargeRefunded,
  'charge.refund.updated': chargeRefundUpdated,
  'charge.dispute.created': chargeDisputeCreated,
  'charge.dispute.closed': chargeDisputeClosed,
  'checkout.session.completed': checkoutSessionCompleted,
  'checkout.session.async_payment_succeeded': checkoutSessionAsyncPaymentSucceeded,
  'checkout.session.async_payment_failed': checkoutSessionAsyncPaymentFailed,
  'checkout.session.expired': checkoutSessionExpired,
};
