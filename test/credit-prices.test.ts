import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CREDIT_PRICES, type CreditPrices, creditPrices, MAX_CREDITS_PER_PURCHASE, pricesJson, quote } from '../src/credits/prices.js';
import { products } from '../src/products/index.js';

const quantity = fc.integer({ min: 1, max: MAX_CREDITS_PER_PURCHASE });

/** Any valid price list: increasing bounds, unit amounts that never rise. */
const priceList: fc.Arbitrary<CreditPrices> = fc
  .tuple(fc.uniqueArray(fc.integer({ min: 1, max: 200 }), { maxLength: 5 }), fc.array(fc.integer({ min: 1, max: 5000 }), { minLength: 6, maxLength: 6 }))
  .map(([bounds, amounts]) => {
    const upTos = [...bounds].sort((a, b) => a - b);
    const units = [...amounts].sort((a, b) => b - a);
    return creditPrices({
      currency: 'usd',
      tiers: [...upTos.map((upTo, i) => ({ upTo, unitAmount: units[i]! })), { upTo: null, unitAmount: units[upTos.length]! }],
      products: {},
    });
  });

describe('credit prices', () => {
  it('prices 10 credits tier by tier: 4 × 2500 + 5 × 2250 + 1 × 2000 = 23250', () => {
    expect(quote(10)).toEqual({
      quantity: 10,
      amount: 23250,
      currency: 'usd',
      lines: [
        { quantity: 4, unit_amount: 2500, amount: 10000 },
        { quantity: 5, unit_amount: 2250, amount: 11250 },
        { quantity: 1, unit_amount: 2000, amount: 2000 },
      ],
    });
  });

  it.each([
    [1, 2500],
    [4, 10000],
    [5, 12250],
    [9, 21250],
    [24, 51250],
    [25, 53000],
    [1000, 51250 + 976 * 1750],
  ])('charges %i credits %i at the tier boundaries', (n, amount) => {
    expect(quote(n).amount).toBe(amount);
  });

  it('a total is the sum of its lines, and the lines count every credit once', () => {
    fc.assert(
      fc.property(priceList, quantity, (prices, n) => {
        const q = quote(n, prices);
        expect(q.amount).toBe(q.lines.reduce((sum, l) => sum + l.amount, 0));
        expect(q.lines.reduce((sum, l) => sum + l.quantity, 0)).toBe(n);
        for (const line of q.lines) {
          expect(line.amount).toBe(line.quantity * line.unit_amount);
          expect(Number.isSafeInteger(line.amount) && line.quantity > 0).toBe(true);
        }
      }),
    );
  });

  it('one more credit always costs more', () => {
    fc.assert(
      fc.property(priceList, quantity, (prices, n) => {
        expect(quote(n + 1, prices).amount).toBeGreaterThan(quote(n, prices).amount);
      }),
    );
  });

  it('the average price per credit never rises with the quantity', () => {
    fc.assert(
      fc.property(priceList, quantity, quantity, (prices, a, b) => {
        const [small, large] = a <= b ? [a, b] : [b, a];
        // amount(large)/large <= amount(small)/small, compared in integers
        expect(quote(large, prices).amount * small).toBeLessThanOrEqual(quote(small, prices).amount * large);
      }),
    );
  });

  it('refuses a repeated or unsorted tier, a closed last tier, an open middle one, a rising or fractional price', () => {
    const base = CREDIT_PRICES.tiers;
    const bad: Array<[string, CreditPrices['tiers']]> = [
      ['repeated bound (if n < 10 … elsif n < 10)', [{ upTo: 9, unitAmount: 2500 }, { upTo: 9, unitAmount: 2250 }, { upTo: null, unitAmount: 2000 }]],
      ['unsorted', [{ upTo: 9, unitAmount: 2500 }, { upTo: 4, unitAmount: 2250 }, { upTo: null, unitAmount: 2000 }]],
      ['closed last tier', [{ upTo: 4, unitAmount: 2500 }, { upTo: 9, unitAmount: 2250 }]],
      ['open middle tier', [{ upTo: null, unitAmount: 2500 }, { upTo: null, unitAmount: 2250 }]],
      ['rising price', [{ upTo: 4, unitAmount: 2500 }, { upTo: null, unitAmount: 2600 }]],
      ['fractional price', [{ upTo: 4, unitAmount: 22.5 }, { upTo: null, unitAmount: 20 }]],
      ['no tiers', []],
    ];
    for (const [name, tiers] of bad) expect(() => creditPrices({ ...CREDIT_PRICES, tiers }), name).toThrow(/credit prices/);
    expect(() => creditPrices({ ...CREDIT_PRICES, tiers: base, products: { billboard: 1.5 } })).toThrow(/billboard/);
  });

  it('quotes only a positive whole number of credits', () => {
    for (const n of [0, -1, 1.5, Number.NaN]) expect(() => quote(n)).toThrow(/credit quote/);
  });

  it('prices a week of registered products only, and shows the list as the API does', () => {
    const ids = products.map((p) => p.id);
    for (const product of Object.keys(CREDIT_PRICES.products)) expect(ids).toContain(product);
    expect(pricesJson()).toEqual({
      currency: 'usd',
      tiers: [
        { up_to: 4, unit_amount: 2500 },
        { up_to: 9, unit_amount: 2250 },
        { up_to: 24, unit_amount: 2000 },
        { up_to: null, unit_amount: 1750 },
      ],
      products: [
        { product: 'job_listing', credits: 1 },
        { product: 'billboard', credits: 2 },
        { product: 'featured_article', credits: 1 },
      ],
    });
  });
});
