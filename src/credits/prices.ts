/**
 * credits: prepaid credits, bought by card (cheaper in bulk) and spent on a week of a product. This
 * file is their one price list: graduated tiers, as Stripe's `tiers_mode: 'graduated'` (each credit
 * is priced by the tier its position falls in), and what a week of each product costs in credits.
 * Amounts are integers in minor units of `currency`.
 */
import { unprocessable } from '../http/errors.js';

/** One tier: credits up to `upTo` (counted from the first credit bought; null on the last tier) cost `unitAmount` each. */
export interface Tier {
  upTo: number | null;
  unitAmount: number;
}

export interface CreditPrices {
  currency: string;
  tiers: Tier[];
  /** Credits a week of each product costs, by product id. */
  products: Record<string, number>;
}

export interface QuoteLine {
  quantity: number;
  unit_amount: number;
  amount: number;
}

export interface Quote {
  quantity: number;
  amount: number;
  currency: string;
  lines: QuoteLine[];
}

/** The most credits one purchase (or quote) may be for. */
export const MAX_CREDITS_PER_PURCHASE = 1000;

/** The quantity of a purchase or quote, or a 422 naming `quantity`: a whole number from 1 to MAX_CREDITS_PER_PURCHASE. */
export function creditQuantity(quantity: unknown): number {
  if (!Number.isInteger(quantity) || (quantity as number) < 1 || (quantity as number) > MAX_CREDITS_PER_PURCHASE) {
    throw unprocessable('quantity', `A whole number of credits from 1 to ${MAX_CREDITS_PER_PURCHASE}.`);
  }
  return quantity as number;
}

const positiveInteger = (n: unknown): n is number => Number.isSafeInteger(n) && (n as number) > 0;

/**
 * The price list, or an error naming what is wrong with it: tiers in increasing `upTo`, each bound
 * used once (a repeated bound is a tier that can never be charged), only the last open-ended, unit
 * amounts positive integers that never rise (a bigger purchase never costs more per credit), and
 * each product's cost a positive whole number of credits.
 */
export function creditPrices(prices: CreditPrices): CreditPrices {
  const { currency, tiers, products } = prices;
  if (!/^[a-z]{3}$/.test(currency)) throw new Error(`credit prices: bad currency ${JSON.stringify(currency)}`);
  if (tiers.length === 0) throw new Error('credit prices: no tiers');
  tiers.forEach((tier, i) => {
    const last = i === tiers.length - 1;
    if (!positiveInteger(tier.unitAmount)) throw new Error(`credit prices: tier ${i + 1} has a unit amount that is not a positive integer`);
    if (last ? tier.upTo !== null : !positiveInteger(tier.upTo)) {
      throw new Error(`credit prices: tier ${i + 1} ${last ? 'is the last and must be open-ended (upTo null)' : 'needs a positive whole upTo'}`);
    }
    const previous = tiers[i - 1];
    if (previous && tier.upTo !== null && tier.upTo <= previous.upTo!) {
      throw new Error(`credit prices: tier ${i + 1} ends at ${tier.upTo}, not after tier ${i} (${previous.upTo}): tiers must be in increasing order, each bound once`);
    }
    if (previous && tier.unitAmount > previous.unitAmount) throw new Error(`credit prices: tier ${i + 1} costs more per credit than tier ${i}`);
  });
  for (const [product, credits] of Object.entries(products)) {
    if (!positiveInteger(credits)) throw new Error(`credit prices: a week of ${product} must cost a positive whole number of credits`);
  }
  return prices;
}

/** The price list (USD): 25.00 each for the first 4 credits, 22.50 for the next 5, 20.00 for the next 15, then 17.50. */
export const CREDIT_PRICES: CreditPrices = creditPrices({
  currency: 'usd',
  tiers: [
    { upTo: 4, unitAmount: 2500 },
    { upTo: 9, unitAmount: 2250 },
    { upTo: 24, unitAmount: 2000 },
    { upTo: null, unitAmount: 1750 },
  ],
  products: { job_listing: 1, billboard: 2, featured_article: 1 },
});

/** What `quantity` credits cost, tier by tier (a line per tier it reaches). `quantity` is a positive integer. */
export function quote(quantity: number, prices: CreditPrices = CREDIT_PRICES): Quote {
  if (!positiveInteger(quantity)) throw new Error(`credit quote: ${quantity} is not a positive whole number of credits`);
  const lines: QuoteLine[] = [];
  let from = 0;
  for (const tier of prices.tiers) {
    if (from >= quantity) break;
    const upTo = tier.upTo === null ? quantity : Math.min(tier.upTo, quantity);
    lines.push({ quantity: upTo - from, unit_amount: tier.unitAmount, amount: (upTo - from) * tier.unitAmount });
    from = upTo;
  }
  return { quantity, amount: lines.reduce((sum, line) => sum + line.amount, 0), currency: prices.currency, lines };
}

/** The price list as the API shows it. */
export const pricesJson = (prices: CreditPrices = CREDIT_PRICES) => ({
  currency: prices.currency,
  tiers: prices.tiers.map((t) => ({ up_to: t.upTo, unit_amount: t.unitAmount })),
  products: Object.entries(prices.products).map(([product, credits]) => ({ product, credits })),
});
