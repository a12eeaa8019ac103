import { and, eq, isNull } from 'drizzle-orm';
import type Stripe from 'stripe';
import type { Db } from '../db/client.js';
import { type User, users } from '../db/schema.js';

/**
 * Who pays for a purchase, and the Stripe customer its cards and payments belong to. Checkout,
 * hosted sessions, saved cards and renewals ask the payer, never a user's column, so another kind
 * of payer (an organization) is another implementation of this.
 */
export interface Payer {
  kind: 'member' | 'organization';
  id: number;
  /** Its Stripe customer if it has one already (no call to Stripe). */
  knownCustomer(): string | null;
  /** Its Stripe customer, created on its first payment; `replacing` one Stripe no longer has. */
  customerFor(db: Db, stripe: Stripe, replacing?: string): Promise<string>;
  /** Drops its mapping to a customer Stripe no longer has (only if it is still the one we knew); returns it. */
  forgetCustomer(db: Db): Promise<string | undefined>;
}

/**
 * A member paying for themself, with their customer in users.stripe_customer_key. Two first payments
 * racing make one customer: the idempotency key is derived from the user id, so Stripe returns the
 * same customer to both, and the conditional update stores it once. The user object is kept in step.
 */
export function memberPayer(user: User): Payer {
  return {
    kind: 'member',
    id: user.id,
    knownCustomer: () => user.stripeCustomerKey,
    async customerFor(db, stripe, replacing) {
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
    },
    async forgetCustomer(db) {
      const old = user.stripeCustomerKey;
      if (!old) return undefined;
      await db
        .update(users)
        .set({ stripeCustomerKey: null })
        .where(and(eq(users.id, user.id), eq(users.stripeCustomerKey, old)));
      user.stripeCustomerKey = null;
      return old;
    },
  };
}
