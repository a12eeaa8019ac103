import { and, eq, isNull } from 'drizzle-orm';
import type Stripe from 'stripe';
import type { Db } from '../db/client.js';
import { type User, users } from '../db/schema.js';

/**
 * The user's Stripe customer, created on their first payment. Two first payments racing make
 * one customer: the idempotency key is derived from the user id, so Stripe returns the same
 * customer to both, and the conditional update stores it once.
 */
export async function ensureCustomer(db: Db, stripe: Stripe, user: User, replacing?: string): Promise<string> {
  if (user.stripeCustomerKey) return user.stripeCustomerKey;
  // A replacement for a customer deleted at Stripe needs its own key, or Stripe would replay the old one.
  const key = replacing ? `customer-for-user-${user.id}-replacing-${replacing}` : `customer-for-user-${user.id}`;
  const customer = await stripe.customers.create(
    { email: user.email, name: user.username, metadata: { user_id: String(user.id) } },
    { idempotencyKey: key },
  );
  await db
    .update(users)
    .set({ stripeCustomerKey: customer.id })
    .where(and(eq(users.id, user.id), isNull(users.stripeCustomerKey)));
  const [row] = await db.select({ key: users.stripeCustomerKey }).from(users).where(eq(users.id, user.id));
  user.stripeCustomerKey = row!.key;
  return row!.key!;
}

/** Drops a mapping to a customer Stripe no longer has (only if it is still the one we knew). */
export async function forgetCustomer(db: Db, user: User): Promise<string | undefined> {
  const old = user.stripeCustomerKey;
  if (!old) return undefined;
  await db
    .update(users)
    .set({ stripeCustomerKey: null })
    .where(and(eq(users.id, user.id), eq(users.stripeCustomerKey, old)));
  user.stripeCustomerKey = null;
  return old;
}
