import { and, eq, isNull } from 'drizzle-orm';
import type Stripe from 'stripe';
import type { Db } from '../db/client.js';
import { type User, users } from '../db/schema.js';

/**
 * The user's Stripe customer, created on their first payment. Two first payments racing make
 * one customer: the idempotency key is derived from the user id, so Stripe returns the same
 * customer to both, and the conditional update stores it once.
 */
export async function ensureCustomer(db: Db, stripe: Stripe, user: User): Promise<string> {
  if (user.stripeCustomerKey) return user.stripeCustomerKey;
  const customer = await stripe.customers.create(
    { email: user.email, name: user.username, metadata: { user_id: String(user.id) } },
    { idempotencyKey: `customer-for-user-${user.id}` },
  );
  await db
    .update(users)
    .set({ stripeCustomerKey: customer.id })
    .where(and(eq(users.id, user.id), isNull(users.stripeCustomerKey)));
  const [row] = await db.select({ key: users.stripeCustomerKey }).from(users).where(eq(users.id, user.id));
  user.stripeCustomerKey = row!.key;
  return row!.key!;
}
