/** Stripe's test cards and what each does, keyed by card number and by magic PaymentMethod id. */

export type CardBehaviour =
  | { kind: 'succeed' }
  | { kind: 'decline'; code: string; declineCode?: string; message: string; attachable?: boolean; outcome?: 'blocked' }
  | { kind: 'require3ds'; always: boolean }
  | { kind: 'dispute' }
  | { kind: 'refundPending' }
  | { kind: 'refundFail' };

export interface TestCard {
  number: string;
  brand: 'visa' | 'mastercard' | 'amex';
  behaviour: CardBehaviour;
  /** Magic PaymentMethod ids that stand for this card. */
  ids: string[];
}

const DECLINED = 'Your card was declined.';

export const testCards: TestCard[] = [
  { number: '4242424242424242', brand: 'visa', behaviour: { kind: 'succeed' }, ids: ['pm_card_visa'] },
  { number: '5555555555554444', brand: 'mastercard', behaviour: { kind: 'succeed' }, ids: ['pm_card_mastercard'] },
  { number: '378282246310005', brand: 'amex', behaviour: { kind: 'succeed' }, ids: ['pm_card_amex'] },
  {
    number: '4000000000000002',
    brand: 'visa',
    behaviour: { kind: 'decline', code: 'card_declined', declineCode: 'generic_decline', message: DECLINED },
    ids: ['pm_card_visa_chargeDeclined', 'pm_card_chargeDeclined'],
  },
  {
    number: '4000000000009995',
    brand: 'visa',
    behaviour: { kind: 'decline', code: 'card_declined', declineCode: 'insufficient_funds', message: 'Your card has insufficient funds.' },
    ids: ['pm_card_visa_chargeDeclinedInsufficientFunds', 'pm_card_chargeDeclinedInsufficientFunds'],
  },
  {
    number: '4000000000009987',
    brand: 'visa',
    behaviour: { kind: 'decline', code: 'card_declined', declineCode: 'lost_card', message: DECLINED },
    ids: ['pm_card_visa_chargeDeclinedLostCard', 'pm_card_chargeDeclinedLostCard'],
  },
  {
    number: '4000000000009979',
    brand: 'visa',
    behaviour: { kind: 'decline', code: 'card_declined', declineCode: 'stolen_card', message: DECLINED },
    ids: ['pm_card_visa_chargeDeclinedStolenCard', 'pm_card_chargeDeclinedStolenCard'],
  },
  {
    number: '4000000000000069',
    brand: 'visa',
    behaviour: { kind: 'decline', code: 'expired_card', declineCode: 'expired_card', message: 'Your card has expired.' },
    ids: ['pm_card_chargeDeclinedExpiredCard'],
  },
  {
    number: '4000000000000127',
    brand: 'visa',
    behaviour: { kind: 'decline', code: 'incorrect_cvc', declineCode: 'incorrect_cvc', message: "Your card's security code is incorrect." },
    ids: ['pm_card_chargeDeclinedIncorrectCvc'],
  },
  {
    number: '4000000000000119',
    brand: 'visa',
    behaviour: {
      kind: 'decline',
      code: 'processing_error',
      declineCode: 'processing_error',
      message: 'An error occurred while processing your card. Try again in a little bit.',
    },
    ids: ['pm_card_chargeDeclinedProcessingError'],
  },
  {
    number: '4000000000000341',
    brand: 'visa',
    behaviour: { kind: 'decline', code: 'card_declined', declineCode: 'generic_decline', message: DECLINED, attachable: true },
    ids: ['pm_card_chargeCustomerFail'],
  },
  { number: '4000002760003184', brand: 'visa', behaviour: { kind: 'require3ds', always: true }, ids: ['pm_card_authenticationRequired'] },
  {
    number: '4000002500003155',
    brand: 'visa',
    behaviour: { kind: 'require3ds', always: false },
    ids: ['pm_card_authenticationRequiredOnSetup'],
  },
  {
    number: '4100000000000019',
    brand: 'visa',
    behaviour: { kind: 'decline', code: 'card_declined', declineCode: 'fraudulent', message: DECLINED, outcome: 'blocked' },
    ids: ['pm_card_radarBlock'],
  },
  { number: '4000000000007726', brand: 'visa', behaviour: { kind: 'refundPending' }, ids: ['pm_card_pendingRefund'] },
  { number: '4000000000005126', brand: 'visa', behaviour: { kind: 'refundFail' }, ids: ['pm_card_refundFail'] },
  { number: '4000000000000259', brand: 'visa', behaviour: { kind: 'dispute' }, ids: ['pm_card_createDispute'] },
];

export const cardByNumber = new Map(testCards.map((c) => [c.number, c]));
export const cardByMagicId = new Map(testCards.flatMap((c) => c.ids.map((id) => [id, c] as const)));

/** Luhn check: Stripe answers incorrect_number for numbers that fail it (e.g. 4242424242424241). */
export function luhnValid(number: string): boolean {
  let sum = 0;
  for (let i = 0; i < number.length; i++) {
    let d = Number(number[number.length - 1 - i]);
    if (i % 2 === 1) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return number.length >= 12 && sum % 10 === 0;
}

export function brandOf(number: string): 'visa' | 'mastercard' | 'amex' | 'unknown' {
  if (number.startsWith('4')) return 'visa';
  if (/^5[1-5]/.test(number) || /^2[2-7]/.test(number)) return 'mastercard';
  if (/^3[47]/.test(number)) return 'amex';
  return 'unknown';
}
