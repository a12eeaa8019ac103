/** The card element's formatting, apart from the DOM so that it can be tested on its own. */

export type CardField = 'number' | 'expiry' | 'cvc';
export const digitsOf = (s: string) => s.replace(/\D/g, '');

/**
 * What Stripe's Card Element shows as the customer types: the number in groups (4-6-5 for American
 * Express, 4-4-4-4 otherwise), the expiry as `MM / YY` (a first digit above 1 is a month: `4` →
 * `04 / `), the CVC as digits. Deleting leaves the separator out, so backspace is not stuck on it.
 */
export function formatCardField(field: CardField, value: string, deleting = false): string {
  const d = digitsOf(value);
  if (field === 'number') {
    const groups = /^3[47]/.test(d) ? [4, 6, 5] : [4, 4, 4, 4, 3];
    const parts: string[] = [];
    let at = 0;
    for (const size of groups) {
      if (at >= Math.min(d.length, 19)) break;
      parts.push(d.slice(at, at + size));
      at += size;
    }
    return parts.join(' ');
  }
  if (field === 'expiry') {
    const e = d.length === 1 && d > '1' ? `0${d}` : d.slice(0, 4);
    if (e.length < 2 || (e.length === 2 && deleting)) return e;
    return `${e.slice(0, 2)} / ${e.slice(2)}`;
  }
  return d.slice(0, 4);
}

/** Luhn check, as Stripe.js checks a number before sending it. */
export function luhn(number: string): boolean {
  let sum = 0;
  for (let i = 0; i < number.length; i++) {
    let d = Number(number[number.length - 1 - i]);
    if (i % 2 === 1) d = d * 2 > 9 ? d * 2 - 9 : d * 2;
    sum += d;
  }
  return sum % 10 === 0;
}
