import { and, eq, isNull } from 'drizzle-orm';
import type { Payer } from '../payments/payer.js';
import { type Organization, organizations } from './schema.js';

/**
 * An organization paying, with its own Stripe customer in organizations.stripe_customer_key, named
 * after its legal name. As for a member, two first payments racing make one customer: the
 * idempotency key is derived from the organization's id and the conditional update stores it once.
 */
export function organizationPayer(organization: Organization): Payer {
  return {
    kind: 'organization',
    id: organization.id,
    knownCustomer: () => organization.stripeCustomerKey,
    async customerFor(db, stripe, replacing) {
      if (organization.stripeCustomerKey) return organization.stripeCustomerKey;
      const key = replacing ? `customer-for-organization-${organization.id}-replacing-${replacing}` : `customer-for-organization-${organization.id}`;
      const customer = await stripe.customers.create(
        { name: organization.legalName ?? organization.name, metadata: { organization_id: String(organization.id), organization_slug: organization.slug } },
        { idempotencyKey: key },
      );
      await db
        .update(organizations)
        .set({ stripeCustomerKey: customer.id })
        .where(and(eq(organizations.id, organization.id), isNull(organizations.stripeCustomerKey)));
      const [row] = await db.select({ key: organizations.stripeCustomerKey }).from(organizations).where(eq(organizations.id, organization.id));
      organization.stripeCustomerKey = row!.key;
      return row!.key!;
    },
    async forgetCustomer(db) {
      const old = organization.stripeCustomerKey;
      if (!old) return undefined;
      await db
        .update(organizations)
        .set({ stripeCustomerKey: null })
        .where(and(eq(organizations.id, organization.id), eq(organizations.stripeCustomerKey, old)));
      organization.stripeCustomerKey = null;
      return old;
    },
  };
}
