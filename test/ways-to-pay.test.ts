import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { charges, users } from '../src/db/schema.js';
import { Catalog, type Product } from '../src/payments/catalog.js';
import { Checkout } from '../src/payments/checkout.js';
import { memberPayer } from '../src/payments/payer.js';
import { hostedPage } from '../src/payments/ways-to-pay/hosted-page.js';
import { waysToPay } from '../src/payments/ways-to-pay/index.js';
import { paymentElement } from '../src/payments/ways-to-pay/payment-element.js';
import { savedCard } from '../src/payments/ways-to-pay/saved-card.js';
import type { Purchase, WayToPay } from '../src/payments/ways-to-pay/way.js';
import { type Member, member, startTestApp, type TestApp, TEST_PUBLIC_URL } from './helpers/app.js';

/** Test-only: a product with no subject and no fields. */
const thing: Product = {
  id: 'way_thing',
  name: 'A thing',
  description: 'Bought to see which way paid.',
  amount: 700,
  currency: 'usd',
  fields: z.object({}).strict(),
  formFields: [],
  async authorize() {},
  async fulfil() {
    return {};
  },
  async reverse() {},
  async restore() {},
  async receiptLines(_db, rows) {
    return rows.map(() => []);
  },
};

/**
 * Test-only: a prepaid balance that is always empty. It calls no provider: it refuses through the
 * core, which must still write the row first and fail it forward.
 */
const emptyBalance: WayToPay = {
  id: 'balance',
  request: { schema: z.object({ product: z.string(), balance: z.string().regex(/^bal_/) }), keys: ['product', 'balance'] },
  sourceField: 'balance',
  madeBy: () => false,
  start: (core, purchase) => core.reject(purchase.charge, purchase.actor, 'balance_too_low', 'Your balance is too low.'),
  confirm: (core, charge) => core.current(charge.id),
};

let t: TestApp;
let buyer: Member;
beforeAll(async () => {
  t = await startTestApp();
  buyer = await member(t.app);
});
afterAll(async () => t.close());

/** A checkout over the given ways, each start recorded (way and source) before the way runs. */
function checkoutWith(ways: WayToPay[]) {
  const started: Array<{ way: string; source?: string }> = [];
  const recorded = ways.map((way) => ({
    ...way,
    start: (core: Parameters<WayToPay['start']>[0], purchase: Purchase) => {
      started.push({ way: way.id, source: purchase.source });
      return way.start(core, purchase);
    },
  }));
  const checkout = new Checkout({ db: t.database.db, clock: t.clock, catalog: new Catalog([thing]), stripe: t.app.payments.stripe, publicUrl: TEST_PUBLIC_URL }, recorded);
  return { checkout, started };
}

const buy = async (checkout: Checkout, body: Record<string, unknown>, key: string, wayId?: string) => {
  const [user] = await t.database.db.select().from(users).where(eq(users.id, buyer.id));
  return checkout.create(user!, memberPayer(user!), body, key, wayId);
};

describe('the ways to pay', () => {
  it('are the three registered, each named by what chooses it', () => {
    expect(waysToPay).toEqual([savedCard, paymentElement, hostedPage]);
    expect(waysToPay.map((way) => way.sourceField)).toEqual(['payment_method', 'confirmation_token', undefined]);
  });

  it("dispatch a purchase by the request's source: a saved card to the saved card, a token to the Payment Element", async () => {
    const { checkout, started } = checkoutWith([...waysToPay]);
    const paid = await buy(checkout, { product: 'way_thing', payment_method: 'pm_card_visa' }, 'ways-card-1');
    expect(paid).toMatchObject({ kind: 'paid', charge: { status: 'succeeded', amount: 700 } });
    expect(started).toEqual([{ way: 'payment_method', source: 'pm_card_visa' }]);
    const token = await t.app.payments.stripe.client.testHelpers.confirmationTokens.create({ payment_method: 'pm_card_visa' });
    const byToken = await buy(checkout, { product: 'way_thing', confirmation_token: token.id }, 'ways-token-1');
    expect(byToken).toMatchObject({ kind: 'paid', charge: { status: 'succeeded' } });
    expect(started).toEqual([
      { way: 'payment_method', source: 'pm_card_visa' },
      { way: 'confirmation_token', source: token.id },
    ]);
    // Both paid, so each asked Stripe in its own words: Stripe refuses a token given as a card, and a card as a token.
    expect(new Set([paid.charge.paymentIntentId, byToken.charge.paymentIntentId]).size).toBe(2);
  });

  it('answer a request naming none with the first way that takes a source, whose request says what is missing', async () => {
    const { checkout, started } = checkoutWith([...waysToPay]);
    await expect(buy(checkout, { product: 'way_thing' }, 'ways-none-1')).rejects.toMatchObject({ status: 400, fields: { payment_method: expect.any(String), confirmation_token: expect.any(String) } });
    expect(started).toEqual([]);
  });

  it('run a way the route names, and no other', async () => {
    const { checkout, started } = checkoutWith([...waysToPay]);
    const opened = await buy(checkout, { product: 'way_thing' }, 'ways-hosted-1', hostedPage.id);
    expect(opened).toMatchObject({ kind: 'redirect', url: expect.stringMatching(/^http/) });
    expect(started).toEqual([{ way: 'hosted_page', source: undefined }]);
    await expect(buy(checkout, { product: 'way_thing' }, 'ways-hosted-2', 'nowhere')).rejects.toThrow(/no way to pay nowhere/);
  });

  it('take a way added by one entry, one that calls no provider: our row is written and failed forward', async () => {
    const { checkout, started } = checkoutWith([...waysToPay, emptyBalance]);
    const before = t.stripe.emulator.paymentIntents.size;
    const refused = await buy(checkout, { product: 'way_thing', balance: 'bal_empty' }, 'ways-balance-1');
    expect(refused).toMatchObject({ kind: 'declined', reason: 'balance_too_low', message: 'Your balance is too low.' });
    expect(started).toEqual([{ way: 'balance', source: 'bal_empty' }]);
    const [row] = await t.database.db.select().from(charges).where(eq(charges.id, refused.charge.id));
    expect(row).toMatchObject({ status: 'failed', failureCode: 'balance_too_low', amount: 700, paymentIntentId: null });
    expect(t.stripe.emulator.paymentIntents.size).toBe(before);
    // Not offered, it is not chosen: the same body then falls to the saved card's request, which refuses it.
    await expect(buy(checkoutWith([...waysToPay]).checkout, { product: 'way_thing', balance: 'bal_empty' }, 'ways-balance-2')).rejects.toMatchObject({ status: 400 });
  });
});
