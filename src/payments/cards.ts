import { z } from 'zod';
import Stripe from 'stripe';
import type { Db } from '../db/client.js';
import type { User } from '../db/schema.js';
import { audit, userActor } from '../audit/log.js';
import { notFound } from '../http/errors.js';
import { memberPayer, type Payer } from './payer.js';
import { isProviderUnavailable, providerUnavailable, type StripeGateway } from './stripe.js';

/** Rethrows, as our one "provider unavailable" answer when Stripe could not be reached. */
const unlessUnavailable = (message: string) => (error: unknown): never => {
  throw isProviderUnavailable(error) ? providerUnavailable(message) : error;
};

export const savedCardSchema = z.object({
  id: z.string().meta({ description: 'The PaymentMethod id (pm_…): send it as `payment_method` to pay with this card.' }),
  brand: z.string(),
  last4: z.string(),
  exp_month: z.number().int(),
  exp_year: z.number().int(),
});
export type SavedCard = z.output<typeof savedCardSchema>;

/** A member's own saved cards (see listPayerCards). */
export const listCards = (stripe: StripeGateway, user: User): Promise<SavedCard[]> => listPayerCards(stripe, memberPayer(user));

/**
 * Saved cards live at Stripe, not in our database (the design note's wish): they are listed from
 * the payer's Stripe customer, newest first, in one API call.
 */
export async function listPayerCards(stripe: StripeGateway, payer: Payer): Promise<SavedCard[]> {
  const customer = payer.knownCustomer();
  if (!customer) return [];
  const list = await stripe.client.customers
    .listPaymentMethods(customer, { type: 'card', limit: 100 })
    .catch(unlessUnavailable('your saved cards could not be listed — try again.'));
  return list.data.map((pm) => ({
    id: pm.id,
    brand: pm.card?.brand ?? 'card',
    last4: pm.card?.last4 ?? '????',
    exp_month: pm.card?.exp_month ?? 0,
    exp_year: pm.card?.exp_year ?? 0,
  }));
}

/** Detaches a saved card, after checking at Stripe that it is this buyer's; anyone else's is 404. */
export async function removeCard(
  db: Db,
  now: Date,
  stripe: StripeGateway,
  user: User,
  paymentMethodId: string,
): Promise<Stripe.PaymentMethod> {
  const customer = memberPayer(user).knownCustomer();
  if (!customer || !/^pm_[A-Za-z0-9_]+$/.test(paymentMethodId)) throw notFound('No such card.');
  let pm: Stripe.PaymentMethod;
  try {
    pm = await stripe.client.paymentMethods.retrieve(paymentMethodId);
  } catch (error) {
    if (error instanceof Stripe.errors.StripeInvalidRequestError && error.statusCode === 404) throw notFound('No such card.');
    return unlessUnavailable('the card was not removed — try again.')(error);
  }
  const owner = typeof pm.customer === 'string' ? pm.customer : pm.customer?.id;
  if (owner !== customer) throw notFound('No such card.');
  const detached = await stripe.client.paymentMethods.detach(paymentMethodId).catch(unlessUnavailable('the card was not removed — try again.'));
  await audit(db, { actor: userActor(user.id), action: 'card.removed', subjectType: 'user', subjectId: user.id, before: { payment_method: pm.id, brand: pm.card?.brand, last4: pm.card?.last4 } }, now);
  return detached;
}

/**
 * The card a payment was made with, if it is still saved to this customer (what an off-session
 * charge may use again); null when it was removed or never saved. One Stripe call.
 */
export async function savedCardOfPayment(stripe: StripeGateway, paymentIntentId: string, customer: string): Promise<string | null> {
  const pi = await stripe.client.paymentIntents.retrieve(paymentIntentId, { expand: ['payment_method'] });
  const pm = typeof pi.payment_method === 'object' ? pi.payment_method : null;
  const owner = typeof pm?.customer === 'string' ? pm.customer : pm?.customer?.id;
  return pm && owner === customer ? pm.id : null;
}
