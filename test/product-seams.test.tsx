import { eq } from 'drizzle-orm';
import { renderToString } from 'preact-render-to-string';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { users } from '../src/db/schema.js';
import { ApiError } from '../src/http/errors.js';
import { Catalog, fieldChoices, type Product, productJson } from '../src/payments/catalog.js';
import { Checkout } from '../src/payments/checkout.js';
import { baseKeys, chargeRequest } from '../src/payments/checkout-request.js';
import { CheckoutForm } from '../src/payments/pages.js';
import { registered } from '../src/products/index.js';
import type { ProductPlugin } from '../src/products/slots.js';
import { type Member, member, startTestApp, type TestApp, TEST_PUBLIC_URL } from './helpers/app.js';

/** What the test-only product offers now: the test takes a day away to play "taken meanwhile". */
let free = ['mon', 'tue'];

/** Test-only: a purchase of one day among those still free, and a page of its own. */
const pick: Product = {
  id: 'seam_pick',
  name: 'A day',
  description: 'One day, chosen among the free ones.',
  amount: 500,
  currency: 'usd',
  fields: z.object({ day: z.string().min(1, 'Choose a day.').max(20, 'At most 20 characters.') }).strict(),
  formFields: [
    { name: 'day', label: 'Day', inputMode: 'select', required: true, options: async () => free.map((d) => ({ value: d, label: `Day ${d}` })), unavailable: 'That day is taken now; choose another.' },
  ],
  async authorize() {},
  async fulfil() {
    return {};
  },
  async reverse() {},
  async restore() {},
  async receiptLines(_db, charges) {
    return charges.map(() => []);
  },
};
const plugin: ProductPlugin = {
  product: pick,
  routes: async (app) => {
    app.get('/seam-days', async () => ({ free }));
  },
};

let t: TestApp;
let buyer: Member;
beforeAll(async () => {
  registered.push(plugin);
  t = await startTestApp();
  buyer = await member(t.app);
});
afterAll(async () => {
  registered.splice(registered.indexOf(plugin), 1);
  await t.close();
});

describe('a product may own routes', () => {
  it('is served by the app from its plugin', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/seam-days' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ free: ['mon', 'tue'] });
  });
});

describe('a select field: a choice among options computed when asked', () => {
  it('is required by the API like any field', () => {
    expect(productJson(pick).requires).toEqual(['day']);
  });

  it('is drawn as a <select> of the options now, keeping the typed value and its error beside it', async () => {
    const ctx = { user: null, csrf: 'x', now: new Date() };
    const choices = await fieldChoices(t.database.db, pick, new Date());
    const html = renderToString(
      <CheckoutForm ctx={ctx} product={pick} cards={[]} idempotencyKey="k" publishableKey="pk" choices={choices} values={{ day: 'tue' }} fieldErrors={{ day: 'That day is taken now; choose another.' }} />,
    );
    expect(html).toMatch(/<select id="field-day" name="day" data-product-field="true" required aria-invalid="true" aria-describedby="error-day">/);
    expect(html).toContain('<option value="mon">Day mon</option>');
    expect(html).toContain('<option value="tue" selected>Day tue</option>');
    expect(html).toContain('<span class="field-error" id="error-day" role="alert">That day is taken now; choose another.</span>');
  });

  it('refuses at purchase a value no longer offered, before any row; a repeat of a purchase that took it finds its own', async () => {
    const checkout = new Checkout({ db: t.database.db, clock: t.clock, catalog: new Catalog([pick]), stripe: t.app.payments.stripe, publicUrl: TEST_PUBLIC_URL });
    const [user] = await t.database.db.select().from(users).where(eq(users.id, buyer.id));
    const buy = (day: string, key: string) => checkout.recordPurchase(user!, { product: 'seam_pick', payment_method: 'pm_card_visa', day }, key, chargeRequest, baseKeys);

    const refused = await buy('sun', 'seam-key-1').catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(ApiError);
    expect(refused).toMatchObject({ status: 400, fields: { day: 'That day is taken now; choose another.' } });

    const first = await buy('mon', 'seam-key-2');
    expect(first.created).toBe(true);
    free = ['tue'];
    const repeat = await buy('mon', 'seam-key-2');
    expect(repeat).toMatchObject({ created: false, charge: { id: first.charge.id } });
    await expect(buy('mon', 'seam-key-3')).rejects.toMatchObject({ status: 400, fields: { day: 'That day is taken now; choose another.' } });
  });
});
