import Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalStripe, startLocalStripe } from '../server.js';
import { apiError } from './helpers.js';

let local: LocalStripe;
let stripe: Stripe;

beforeAll(async () => {
  local = await startLocalStripe({ deterministic: true });
  stripe = new Stripe(local.secretKey, { host: '127.0.0.1', port: local.port, protocol: 'http' });
});
afterAll(() => local.close());

describe("a customer's billing details", () => {
  it('keeps an address, every part present, and unsets it with an empty string', async () => {
    const customer = await stripe.customers.create({ name: 'Acme GmbH', address: { line1: 'Hauptstr. 1', city: 'Berlin', postal_code: '10115', country: 'DE' } });
    expect(customer.address).toEqual({ line1: 'Hauptstr. 1', line2: null, city: 'Berlin', postal_code: '10115', state: null, country: 'DE' });
    const moved = await stripe.customers.update(customer.id, { address: { line1: 'Ring 2', country: 'AT' } });
    expect(moved.address).toMatchObject({ line1: 'Ring 2', city: null, country: 'AT' });
    expect((await stripe.customers.update(customer.id, { address: '' })).address).toBeNull();
    expect((await apiError(stripe.customers.update(customer.id, { address: { line1: 'x', planet: 'Mars' } as never }))).param).toBe('address[planet]');
  });

  it('adds, lists, retrieves and deletes tax ids; EU VAT numbers await verification', async () => {
    const customer = await stripe.customers.create({ name: 'Acme', tax_id_data: [{ type: 'eu_vat', value: 'DE123456789' }] });
    const first = (await stripe.customers.listTaxIds(customer.id)).data;
    expect(first).toEqual([expect.objectContaining({ object: 'tax_id', type: 'eu_vat', value: 'DE123456789', country: 'DE', customer: customer.id, verification: expect.objectContaining({ status: 'pending' }) })]);
    const ein = await stripe.customers.createTaxId(customer.id, { type: 'us_ein', value: '12-3456789' });
    expect(ein).toMatchObject({ country: 'US', verification: { status: 'unavailable' } });
    expect(await stripe.customers.retrieveTaxId(customer.id, ein.id)).toMatchObject({ id: ein.id });
    expect(await stripe.customers.deleteTaxId(customer.id, first[0]!.id)).toEqual({ id: first[0]!.id, object: 'tax_id', deleted: true });
    expect((await stripe.customers.listTaxIds(customer.id)).data.map((t) => t.id)).toEqual([ein.id]);
    expect((await apiError(stripe.customers.retrieveTaxId(customer.id, first[0]!.id))).statusCode).toBe(404);
    const other = await stripe.customers.create({ name: 'Other' });
    expect((await apiError(stripe.customers.deleteTaxId(other.id, ein.id))).statusCode).toBe(404);
    expect((await apiError(stripe.customers.createTaxId('cus_nope', { type: 'us_ein', value: '12-3456789' }))).statusCode).toBe(404);
  });

  it('refuses a value Stripe would refuse, and types whose format it does not know, writing nothing', async () => {
    const customer = await stripe.customers.create({ name: 'Acme' });
    for (const [type, value] of [
      ['eu_vat', '123456789'],
      ['eu_vat', 'US123456789'],
      ['gb_vat', 'GB12345'],
      ['us_ein', '123456789'],
    ] as const) {
      const error = await apiError(stripe.customers.createTaxId(customer.id, { type, value }));
      expect(error, `${type} ${value}`).toMatchObject({ statusCode: 400, code: 'tax_id_invalid', param: 'value', message: `Invalid value for ${type}.` });
    }
    expect((await apiError(stripe.customers.createTaxId(customer.id, { type: 'br_cnpj', value: '01.234.456/5432-10' }))).param).toBe('type');
    const refused = await apiError(stripe.customers.create({ name: 'Bad', tax_id_data: [{ type: 'eu_vat', value: 'nope' }] }));
    expect(refused).toMatchObject({ code: 'tax_id_invalid', param: 'tax_id_data[0][value]' });
    expect((await stripe.customers.listTaxIds(customer.id)).data).toEqual([]);
    expect((await stripe.customers.list({ limit: 100 })).data.some((c) => c.name === 'Bad')).toBe(false);
  });
});
