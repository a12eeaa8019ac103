import { invalidRequest } from './errors.js';
import { mergeMetadata } from './params.js';

/**
 * Stripe's documented limits on what a request may carry: presentment currencies and their minimum
 * charge amounts (docs.stripe.com/currencies) and metadata's size (docs.stripe.com/metadata).
 */

/** Stripe's presentment currencies, in the order its "Invalid currency" error lists them. */
export const CURRENCIES = [
  'usd', 'aed', 'afn', 'all', 'amd', 'ang', 'aoa', 'ars', 'aud', 'awg', 'azn', 'bam', 'bbd', 'bdt', 'bgn', 'bif',
  'bmd', 'bnd', 'bob', 'brl', 'bsd', 'bwp', 'byn', 'bzd', 'cad', 'cdf', 'chf', 'clp', 'cny', 'cop', 'crc', 'cve',
  'czk', 'djf', 'dkk', 'dop', 'dzd', 'egp', 'etb', 'eur', 'fjd', 'fkp', 'gbp', 'gel', 'gip', 'gmd', 'gnf', 'gtq',
  'gyd', 'hkd', 'hnl', 'htg', 'huf', 'idr', 'ils', 'inr', 'isk', 'jmd', 'jpy', 'kes', 'kgs', 'khr', 'kmf', 'krw',
  'kyd', 'kzt', 'lak', 'lbp', 'lkr', 'lrd', 'lsl', 'mad', 'mdl', 'mga', 'mkd', 'mmk', 'mnt', 'mop', 'mur', 'mvr',
  'mwk', 'mxn', 'myr', 'mzn', 'nad', 'ngn', 'nio', 'nok', 'npr', 'nzd', 'pab', 'pen', 'pgk', 'php', 'pkr', 'pln',
  'pyg', 'qar', 'ron', 'rsd', 'rub', 'rwf', 'sar', 'sbd', 'scr', 'sek', 'sgd', 'shp', 'sle', 'sos', 'srd', 'std',
  'szl', 'thb', 'tjs', 'top', 'try', 'ttd', 'twd', 'tzs', 'uah', 'ugx', 'uyu', 'uzs', 'vnd', 'vuv', 'wst', 'xaf',
  'xcd', 'xof', 'xpf', 'yer', 'zar', 'zmw',
] as const;
const supported = new Set<string>(CURRENCIES);

/** Currencies whose amounts are in whole units (docs.stripe.com/currencies#zero-decimal). */
const ZERO_DECIMAL = new Set(['bif', 'clp', 'djf', 'gnf', 'jpy', 'kmf', 'krw', 'mga', 'pyg', 'rwf', 'ugx', 'vnd', 'vuv', 'xaf', 'xof', 'xpf']);

/**
 * Minimum charge amounts in minor units, from Stripe's table of them; other currencies must convert
 * to at least $0.50, which needs exchange rates the local Stripe does not have (not emulated).
 */
const MINIMUM: Record<string, { amount: number; symbol: string }> = {
  usd: { amount: 50, symbol: '$' },
  aed: { amount: 200, symbol: '' },
  aud: { amount: 50, symbol: '$' },
  bgn: { amount: 100, symbol: '' },
  brl: { amount: 50, symbol: 'R$' },
  cad: { amount: 50, symbol: '$' },
  chf: { amount: 50, symbol: '' },
  czk: { amount: 1500, symbol: '' },
  dkk: { amount: 250, symbol: '' },
  eur: { amount: 50, symbol: '€' },
  gbp: { amount: 30, symbol: '£' },
  hkd: { amount: 400, symbol: '$' },
  huf: { amount: 17500, symbol: '' },
  inr: { amount: 50, symbol: '₹' },
  jpy: { amount: 50, symbol: '¥' },
  mxn: { amount: 1000, symbol: '$' },
  myr: { amount: 200, symbol: '' },
  nok: { amount: 300, symbol: '' },
  nzd: { amount: 50, symbol: '$' },
  pln: { amount: 200, symbol: '' },
  ron: { amount: 200, symbol: '' },
  sek: { amount: 300, symbol: '' },
  sgd: { amount: 50, symbol: '$' },
  thb: { amount: 1000, symbol: '' },
};

/** The currency as Stripe stores it (lowercase), or Stripe's 400 for one it does not support. */
export function checkCurrency(raw: string, param = 'currency'): string {
  const currency = raw.toLowerCase();
  if (!supported.has(currency)) {
    throw invalidRequest(`Invalid currency: ${currency}. Stripe currently supports these currencies: ${CURRENCIES.join(', ')}`, { param });
  }
  return currency;
}

/**
 * Stripe's 400 `amount_too_small`, worded as Stripe words it ("Amount must be at least $0.50 usd");
 * `what` names the amount in other contexts ("The Checkout Session's total amount due").
 */
export function checkMinimumAmount(amount: number, currency: string, what = 'Amount', param = 'amount'): void {
  const minimum = MINIMUM[currency];
  if (!minimum || amount >= minimum.amount) return;
  const units = isZeroDecimal(currency) ? String(minimum.amount) : (minimum.amount / 100).toFixed(2);
  throw invalidRequest(`${what} must be at least ${minimum.symbol}${units} ${currency}`, {
    code: 'amount_too_small',
    doc_url: 'https://stripe.com/docs/error-codes/amount-too-small',
    param,
  });
}

/** The largest amount Stripe charges (eight digits in minor units, "$999,999.99"). */
export const MAXIMUM_AMOUNT = 99_999_999;

export const isZeroDecimal = (currency: string) => ZERO_DECIMAL.has(currency);

/** An amount for people to read: "25.00 USD", "500 JPY". */
export function formatAmount(amount: number, currency: string): string {
  return `${isZeroDecimal(currency) ? String(amount) : (amount / 100).toFixed(2)} ${currency.toUpperCase()}`;
}

const METADATA_MAX_KEYS = 50;
const METADATA_MAX_KEY_LENGTH = 40;
const METADATA_MAX_VALUE_LENGTH = 500;

/** A new object's metadata, within Stripe's limits. */
export function newMetadata(sent: unknown): Record<string, string> {
  const metadata = (sent as Record<string, string> | undefined) ?? {};
  checkMetadata(metadata, metadata);
  return metadata;
}

/** An update's metadata merged into the object's (an empty value removes a key), within Stripe's limits. */
export function updatedMetadata(current: Record<string, string>, sent: Record<string, string>): Record<string, string> {
  const merged = mergeMetadata(current, sent);
  checkMetadata(sent, merged);
  return merged;
}

/** Refuses each key and value as sent, and the total once merged. */
function checkMetadata(sent: Record<string, string>, merged: Record<string, string>): void {
  for (const [key, value] of Object.entries(sent)) {
    if (key.length > METADATA_MAX_KEY_LENGTH) {
      throw invalidRequest(`Metadata keys can have up to ${METADATA_MAX_KEY_LENGTH} characters; '${key}' has ${key.length}.`, { param: `metadata[${key}]` });
    }
    if (value.length > METADATA_MAX_VALUE_LENGTH) {
      throw invalidRequest(`Metadata values can have up to ${METADATA_MAX_VALUE_LENGTH} characters; the value of '${key}' has ${value.length}.`, {
        param: `metadata[${key}]`,
      });
    }
  }
  if (Object.keys(merged).length > METADATA_MAX_KEYS) {
    throw invalidRequest(`Metadata can have up to ${METADATA_MAX_KEYS} keys; this object would have ${Object.keys(merged).length}.`, { param: 'metadata' });
  }
}
