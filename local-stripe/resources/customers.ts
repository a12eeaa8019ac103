import { randomBytes } from 'node:crypto';
import type Stripe from 'stripe';
import { invalidRequest } from '../errors.js';
import { list } from '../http/lists.js';
import { type Resource, route } from '../http/router.js';
import { newMetadata, updatedMetadata } from '../limits.js';
import { listSpec, metadata, type Spec } from '../params.js';
import type { RequestInfo, Store } from '../store.js';
import { attach, paymentMethods, resolvePaymentMethod } from './payment_methods.js';
import { checkTaxId, createTaxId, taxIdDataSpec, taxIdRoutes } from './tax_ids.js';

export const customers = (store: Store) => store.collection<Stripe.Customer>('customers');
/** What retrieving a deleted customer answers, as Stripe keeps it. */
const deletedCustomers = (store: Store) => store.collection<Stripe.DeletedCustomer>('deletedCustomers');

const addressSpec: Spec = { city: 'string', country: 'string', line1: 'string', line2: 'string', postal_code: 'string', state: 'string' };

const customerSpec: Spec = {
  email: 'string',
  name: 'string',
  address: { emptyable: addressSpec },
  description: 'string',
  phone: 'string',
  metadata,
  payment_method: 'string',
  invoice_settings: { default_payment_method: 'string' },
  expand: 'array',
};

/** A customer's address as Stripe keeps it: every part present, null when not given. */
const customerAddress = (address: Record<string, string> | null): Stripe.Address | null =>
  address && {
    city: address.city || null,
    country: address.country || null,
    line1: address.line1 || null,
    line2: address.line2 || null,
    postal_code: address.postal_code || null,
    state: address.state || null,
  };

export function createCustomer(store: Store, params: Record<string, unknown>, request: RequestInfo): Stripe.Customer {
  // Everything is checked before anything is written: a refused request leaves nothing behind.
  const metadata = newMetadata(params.metadata);
  const taxIdData = ((params.tax_id_data as Array<Record<string, unknown>> | undefined) ?? []).map((data, i) => checkTaxId(data, (name) => `tax_id_data[${i}][${name}]`));
  const paymentMethod = params.payment_method ? resolvePaymentMethod(store, params.payment_method as string) : null;
  const id = store.newId('cus');
  const defaultPm = (params.invoice_settings as { default_payment_method?: string } | undefined)?.default_payment_method;
  const defaultPaymentMethod = defaultPm === undefined ? null : checkDefaultPaymentMethod(store, id, defaultPm, paymentMethod?.id);
  const customer: Stripe.Customer = {
    id,
    object: 'customer',
    address: customerAddress((params.address as Record<string, string> | null | undefined) ?? null),
    balance: 0,
    created: store.now(),
    currency: null,
    default_source: null,
    delinquent: false,
    description: (params.description as string) ?? null,
    discount: null,
    email: (params.email as string) ?? null,
    invoice_prefix: randomBytes(4).toString('hex').toUpperCase(),
    invoice_settings: { custom_fields: null, default_payment_method: defaultPaymentMethod, footer: null, rendering_options: null },
    livemode: false,
    metadata,
    name: (params.name as string) ?? null,
    next_invoice_sequence: 1,
    phone: null,
    preferred_locales: [],
    shipping: null,
    tax_exempt: 'none',
    test_clock: null,
  };
  if (paymentMethod) attach(store, paymentMethod, customer.id, request);
  customers(store).set(customer.id, customer);
  store.emit('customer.created', customer, request);
  for (const checked of taxIdData) createTaxId(store, customer.id, checked, request);
  return customer;
}

/** A default payment method must be attached to the customer (or be attached by this request); '' clears it. */
function checkDefaultPaymentMethod(store: Store, customerId: string, pmId: string, attaching?: string): string | null {
  if (pmId === '') return null;
  const pm = paymentMethods(store).get(pmId);
  if (pmId !== attaching && (!pm || pm.customer !== customerId)) {
    throw invalidRequest(
      `The customer does not have a payment method with the ID ${pmId}. The payment method must be attached to the customer.`,
      { code: 'resource_missing', param: 'invoice_settings[default_payment_method]' },
    );
  }
  return pmId;
}

export function updateCustomer(store: Store, id: string, params: Record<string, unknown>, request: RequestInfo): Stripe.Customer {
  const customer = store.get(customers(store), 'customer', id);
  const metadata = params.metadata ? updatedMetadata(customer.metadata, params.metadata as Record<string, string>) : undefined;
  const settings = params.invoice_settings as { default_payment_method?: string } | undefined;
  const defaultPm = settings?.default_payment_method === undefined ? undefined : checkDefaultPaymentMethod(store, id, settings.default_payment_method);
  const previous: Record<string, unknown> = {};
  for (const key of ['email', 'name', 'description'] as const) {
    if (params[key] !== undefined) {
      previous[key] = customer[key];
      customer[key] = (params[key] as string) || null;
    }
  }
  if (params.address !== undefined) {
    previous.address = customer.address;
    customer.address = customerAddress(params.address as Record<string, string> | null);
  }
  if (metadata) {
    previous.metadata = customer.metadata;
    customer.metadata = metadata;
  }
  if (defaultPm !== undefined) {
    previous.invoice_settings = { ...customer.invoice_settings };
    customer.invoice_settings.default_payment_method = defaultPm;
  }
  store.emit('customer.updated', customer, request, previous);
  return customer;
}

export function deleteCustomer(store: Store, id: string, request: RequestInfo): Stripe.DeletedCustomer {
  const customer = store.get(customers(store), 'customer', id);
  for (const pm of paymentMethods(store).values()) if (pm.customer === id) pm.customer = null;
  customers(store).delete(id);
  const deleted: Stripe.DeletedCustomer = { id, object: 'customer', deleted: true };
  deletedCustomers(store).set(id, deleted);
  store.emit('customer.deleted', customer, request);
  return deleted;
}

export const customerResource: Resource = {
  expandable: { object: 'customer', fields: ['default_source', 'test_clock'] },
  routes: [
    ...taxIdRoutes((store, id) => store.get(customers(store), 'customer', id, 'customer')),
    route('POST', '/v1/customers', { spec: { ...customerSpec, tax_id_data: { items: taxIdDataSpec, max: 25 } }, handler: (c) => createCustomer(c.store, c.params, c.request) }),
    route('GET', '/v1/customers', {
      spec: { ...listSpec, email: 'string' },
      handler: (c) => list(c.store, customers(c.store).values(), c.params, '/v1/customers', (x) => !c.params.email || x.email === c.params.email),
    }),
    route('GET', '/v1/customers/:id', {
      handler: (c) => deletedCustomers(c.store).get(c.path.id!) ?? c.store.get(customers(c.store), 'customer', c.path.id!),
    }),
    route('POST', '/v1/customers/:id', { spec: customerSpec, handler: (c) => updateCustomer(c.store, c.path.id!, c.params, c.request) }),
    route('DELETE', '/v1/customers/:id', { handler: (c) => deleteCustomer(c.store, c.path.id!, c.request) }),
    route('GET', '/v1/customers/:id/payment_methods', {
      spec: { ...listSpec, type: 'string', allow_redisplay: 'string' },
      handler: (c) => {
        c.store.get(customers(c.store), 'customer', c.path.id!, 'customer');
        return list(
          c.store,
          paymentMethods(c.store).values(),
          c.params,
          `/v1/customers/${c.path.id}/payment_methods`,
          (pm) => pm.customer === c.path.id && (!c.params.type || pm.type === c.params.type),
        );
      },
    }),
  ],
};
