import type Stripe from 'stripe';
import { invalidRequest, missingParam, resourceMissing } from '../errors.js';
import { list } from '../http/lists.js';
import { type Route, route } from '../http/router.js';
import { listSpec } from '../params.js';
import type { RequestInfo, Store } from '../store.js';

/**
 * A customer's tax ids (https://docs.stripe.com/api/tax_ids, https://docs.stripe.com/billing/customer/tax-ids).
 * Stripe checks each value's format for its type ("Invalid value for eu_vat.", code tax_id_invalid)
 * and verifies EU and UK VAT numbers later (verification `pending`). The local Stripe knows the
 * formats of the types below only, from Stripe's table of examples, and refuses any other type
 * rather than accept a value Stripe would refuse.
 */
const EU_PREFIXES: Record<string, string> = Object.fromEntries(
  ['AT', 'BE', 'BG', 'CY', 'CZ', 'DE', 'DK', 'EE', 'ES', 'FI', 'FR', 'HR', 'HU', 'IE', 'IT', 'LT', 'LU', 'LV', 'MT', 'NL', 'PL', 'PT', 'RO', 'SE', 'SI', 'SK'].map((c) => [c, c]),
);
EU_PREFIXES.EL = 'GR';
EU_PREFIXES.XI = 'GB';

/** Each known type: the country a valid value belongs to (null: invalid), and whether Stripe verifies it. */
const FORMATS: Record<string, { country(value: string): string | null; verified: boolean }> = {
  eu_vat: { country: (v) => (/^[A-Z]{2}[0-9A-Z+*]{2,13}$/.test(v) ? (EU_PREFIXES[v.slice(0, 2)] ?? null) : null), verified: true },
  gb_vat: { country: (v) => (/^GB(\d{9}|\d{12})$/.test(v) ? 'GB' : null), verified: true },
  us_ein: { country: (v) => (/^\d{2}-\d{7}$/.test(v) ? 'US' : null), verified: false },
  ch_vat: { country: (v) => (/^CHE-\d{3}\.\d{3}\.\d{3} (MWST|TVA|IVA)$/.test(v) ? 'CH' : null), verified: false },
  au_abn: { country: (v) => (/^\d{11}$/.test(v) ? 'AU' : null), verified: false },
  ca_bn: { country: (v) => (/^\d{9}$/.test(v) ? 'CA' : null), verified: false },
};

export const taxIds = (store: Store) => store.collection<Stripe.TaxId>('taxIds');

export const taxIdDataSpec = { type: 'string', value: 'string' } as const;

/** The tax id a customer would get, or Stripe's error for its type or value; nothing is stored. */
export function checkTaxId(params: Record<string, unknown>, param = (name: string) => name): { type: string; value: string; country: string; verified: boolean } {
  const type = params.type as string | undefined;
  const value = params.value as string | undefined;
  if (!type) throw missingParam(param('type'));
  if (!value) throw missingParam(param('value'));
  const format = FORMATS[type];
  if (!format) {
    throw invalidRequest(`The local Stripe checks the tax id types ${Object.keys(FORMATS).join(', ')} only, not ${type}.`, { code: 'parameter_invalid_string', param: param('type') });
  }
  const country = format.country(value);
  if (!country) throw invalidRequest(`Invalid value for ${type}.`, { code: 'tax_id_invalid', param: param('value') });
  return { type, value, country, verified: format.verified };
}

export function createTaxId(store: Store, customer: string, checked: ReturnType<typeof checkTaxId>, request: RequestInfo): Stripe.TaxId {
  const taxId = {
    id: store.newId('txi'),
    object: 'tax_id',
    country: checked.country,
    created: store.now(),
    customer,
    customer_account: null,
    livemode: false,
    owner: { type: 'customer', customer, customer_account: null },
    type: checked.type as Stripe.TaxId.Type,
    value: checked.value,
    verification: checked.verified ? { status: 'pending', verified_address: null, verified_name: null } : { status: 'unavailable', verified_address: null, verified_name: null },
  } as Stripe.TaxId;
  taxIds(store).set(taxId.id, taxId);
  store.emit('customer.tax_id.created', taxId, request);
  return taxId;
}

const customerTaxId = (store: Store, customer: string, id: string): Stripe.TaxId => {
  const taxId = taxIds(store).get(id);
  if (!taxId || taxId.customer !== customer) throw resourceMissing('tax ID', id);
  return taxId;
};

/** The routes under a customer; `customerExists` throws Stripe's 404 for an unknown customer. */
export const taxIdRoutes = (customerExists: (store: Store, id: string) => void): Route[] => [
    route('POST', '/v1/customers/:id/tax_ids', {
      spec: { ...taxIdDataSpec, expand: 'array' },
      handler: (c) => {
        customerExists(c.store, c.path.id!);
        return createTaxId(c.store, c.path.id!, checkTaxId(c.params), c.request);
      },
    }),
    route('GET', '/v1/customers/:id/tax_ids', {
      spec: listSpec,
      handler: (c) => {
        customerExists(c.store, c.path.id!);
        return list(c.store, taxIds(c.store).values(), c.params, `/v1/customers/${c.path.id}/tax_ids`, (t) => t.customer === c.path.id);
      },
    }),
    route('GET', '/v1/customers/:id/tax_ids/:tax_id', {
      handler: (c) => {
        customerExists(c.store, c.path.id!);
        return customerTaxId(c.store, c.path.id!, c.path.tax_id!);
      },
    }),
    route('DELETE', '/v1/customers/:id/tax_ids/:tax_id', {
      handler: (c) => {
        customerExists(c.store, c.path.id!);
        const taxId = customerTaxId(c.store, c.path.id!, c.path.tax_id!);
        taxIds(c.store).delete(taxId.id);
        c.store.emit('customer.tax_id.deleted', taxId, c.request);
        return { id: taxId.id, object: 'tax_id', deleted: true };
      },
    }),
];
