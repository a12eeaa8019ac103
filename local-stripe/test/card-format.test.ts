import { describe, expect, it } from 'vitest';
import { formatCardField } from '../stripe-js/card-format.js';

describe("the card element's formatting as the customer types", () => {
  it('groups card numbers as Stripe does: 4-4-4-4, and 4-6-5 for American Express', () => {
    expect(formatCardField('number', '4242424242424242')).toBe('4242 4242 4242 4242');
    expect(formatCardField('number', '42424')).toBe('4242 4');
    expect(formatCardField('number', '4242 4242-42x42')).toBe('4242 4242 4242');
    expect(formatCardField('number', '378282246310005')).toBe('3782 822463 10005');
    expect(formatCardField('number', '4'.repeat(25))).toBe('4444 4444 4444 4444 444');
  });

  it('writes the expiry as MM / YY', () => {
    expect(formatCardField('expiry', '1234')).toBe('12 / 34');
    expect(formatCardField('expiry', '12/34')).toBe('12 / 34');
    expect(formatCardField('expiry', '4')).toBe('04 / ');
    expect(formatCardField('expiry', '1')).toBe('1');
    expect(formatCardField('expiry', '12')).toBe('12 / ');
    // Backspace over the separator leaves the month.
    expect(formatCardField('expiry', '12 /', true)).toBe('12');
    expect(formatCardField('expiry', '123456')).toBe('12 / 34');
  });

  it('keeps the CVC to four digits', () => {
    expect(formatCardField('cvc', '12a34 5')).toBe('1234');
  });
});
