import Stripe from 'stripe';
import { ApiError } from '../http/errors.js';
import { type Payer, rowPayer } from '../payments/payer.js';
import { isProviderUnavailable, providerUnavailable } from '../payments/stripe.js';
import { type BillingAddress, type Organization, organizations } from './schema.js';

/** The address as Stripe takes it (every part a string); '' unsets it. */
const stripeAddress = (address: BillingAddress | null): Stripe.AddressParam | '' =>
  address ? { line1: address.line1 ?? '', line2: address.line2 ?? '', city: address.city ?? '', postal_code: address.postal_code ?? '', state: address.state ?? '', country: address.country } : '';

/** The name on its receipts and at Stripe: its legal name when it has one. */
const billingName = (organization: Organization) => organization.legalName ?? organization.name;

/**
 * An organization paying, with its own Stripe customer in organizations.stripe_customer_key, named
 * after its legal name. As for a member, two first payments racing make one customer: the
 * idempotency key is derived from the organization's id and the conditional update stores it once.
 */
export const organizationPayer = (organization: Organization): Payer =>
  rowPayer({
    kind: 'organization',
    row: organization,
    table: organizations,
    idColumn: organizations.id,
    keyColumn: organizations.stripeCustomerKey,
    customer: () => ({
      name: billingName(organization),
      ...(organization.address ? { address: stripeAddress(organization.address) } : {}),
      ...(organization.taxId ? { tax_id_data: [organization.taxId as Stripe.CustomerCreateParams.TaxIdDatum] } : {}),
      metadata: { organization_id: String(organization.id), organization_slug: organization.slug },
    }),
  });

/**
 * Copies the organization's billing details to its Stripe customer: name, address and its one tax id
 * (the new one is added before any other is deleted, so a value Stripe refuses changes nothing
 * there). A value Stripe refuses is a 400 naming the field; Stripe unreachable, a 503.
 */
export async function keepBillingAtStripe(stripe: Stripe, customer: string, organization: Organization): Promise<void> {
  try {
    await stripe.customers.update(customer, { name: billingName(organization), address: stripeAddress(organization.address) });
    const existing = (await stripe.customers.listTaxIds(customer, { limit: 100 })).data;
    const wanted = organization.taxId;
    const same = (t: Stripe.TaxId) => wanted !== null && t.type === wanted.type && t.value === wanted.value;
    if (wanted && !existing.some(same)) await stripe.customers.createTaxId(customer, wanted as Stripe.TaxIdCreateParams);
    for (const old of existing.filter((t) => !same(t))) await stripe.customers.deleteTaxId(customer, old.id);
  } catch (error) {
    if (isProviderUnavailable(error)) throw providerUnavailable('the billing details were not changed — try again.');
    if (error instanceof Stripe.errors.StripeInvalidRequestError && error.param && /^(type|value)$|^address/.test(error.param)) {
      const field = error.param.startsWith('address') ? error.param.replace(/^address\[(\w+)\]$/, 'address.$1') : `tax_id.${error.param}`;
      throw new ApiError(400, 'validation_failed', 'Some fields are invalid.', { [field]: `Stripe refused it: ${error.message}` });
    }
    throw error;
  }
}
