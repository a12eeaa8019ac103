import type { Resource } from '../http/router.js';
import { balanceTransactionResource } from './balance_transactions.js';
import { chargeResource } from './charges.js';
import { checkoutSessionResource } from './checkout_sessions.js';
import { confirmationTokenResource } from './confirmation_tokens.js';
import { customerResource } from './customers.js';
import { disputeResource } from './disputes.js';
import { eventResource } from './events.js';
import { paymentIntentResource } from './payment_intents.js';
import { paymentMethodResource } from './payment_methods.js';
import { refundResource } from './refunds.js';
import { webhookEndpointResource } from './webhook_endpoints.js';

/** Every emulated resource, in the order of Stripe's API reference. */
export const resources: Resource[] = [
  balanceTransactionResource,
  chargeResource,
  checkoutSessionResource,
  confirmationTokenResource,
  customerResource,
  disputeResource,
  eventResource,
  paymentIntentResource,
  paymentMethodResource,
  refundResource,
  webhookEndpointResource,
];
