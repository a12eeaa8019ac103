import { eq, isNull, type SQL, sql } from 'drizzle-orm';
import type { PgColumn, PgTable } from 'drizzle-orm/pg-core';
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
 * A payer whose Stripe customer key is a column of its own row (a member's, an organization's). Two
 * first payments racing make one customer: the idempotency key is derived from the row's id, so
 * Stripe returns the same customer to both, and the conditional update stores it once. `row` is
 * kept in step.
 */
export function rowPayer(spec: {
  kind: Payer['kind'];
  row: { id: number; stripeCustomerKey: string | null };
  /** The row's table, its id column and its customer key column. */
  table: PgTable;
  idColumn: PgColumn;
  keyColumn: PgColumn;
  /** What the customer is created with (name, e-mail, address…). */
  customer: () => Stripe.CustomerCreateParams;
}): Payer {
  const { kind, row, table, idColumn, keyColumn } = spec;
  const storeKey = (db: Db, key: string | null, where: SQL) => db.execute(sql`update ${table} set ${sql.identifier(keyColumn.name)} = ${key} where ${idColumn} = ${row.id} and ${where}`);
  return {
    kind,
    id: row.id,
    knownCustomer: () => row.stripeCustomerKey,
    async customerFor(db, stripe, replacing) {
      if (row.stripeCustomerKey) return row.stripeCustomerKey;
      // A replacement for a customer deleted at Stripe needs its own key, or Stripe would replay the old one.
      const key = replacing ? `customer-for-${kind === 'member' ? 'user' : kind}-${row.id}-replacing-${replacing}` : `customer-for-${kind === 'member' ? 'user' : kind}-${row.id}`;
      const customer = await stripe.customers.create(spec.customer(), { idempotencyKey: key });
      await storeKey(db, customer.id, isNull(keyColumn));
      const [stored] = await db.select({ key: keyColumn }).from(table).where(eq(idColumn, row.id));
      row.stripeCustomerKey = stored!.key as string;
      return row.stripeCustomerKey;
    },
    async forgetCustomer(db) {
      const old = row.stripeCustomerKey;
      if (!old) return undefined;
      await storeKey(db, null, eq(keyColumn, old));
      row.stripeCustomerKey = null;
      return old;
    },
  };
}

/** A member paying for themself, with their customer in users.stripe_customer_key. */
export const memberPayer = (user: User): Payer =>
  rowPayer({
    kind: 'member',
    row: user,
    table: users,
    idColumn: users.id,
    keyColumn: users.stripeCustomerKey,
    customer: () => ({ email: user.email, name: user.username, metadata: { user_id: String(user.id) } }),
  });
