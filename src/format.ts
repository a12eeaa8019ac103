/** How money and times read on every page, receipt and e-mail: one definition each. */

/** Minor units to text: `$25.00`, or `25.00 EUR` for other currencies. */
export const formatMoney = (amount: number, currency: string) =>
  `${currency === 'usd' ? '$' : ''}${(amount / 100).toFixed(2)}${currency === 'usd' ? '' : ` ${currency.toUpperCase()}`}`;

/** A moment in UTC to the minute: `2026-11-30 10:54 UTC`. */
export const formatUtc = (d: Date) => `${d.toISOString().replace('T', ' ').slice(0, 16)} UTC`;
