/**
 * What credits are worth in money, first in, first out: a pure function of one account's ledger in
 * order (no database, no clock), so that finance's numbers follow from the rule alone.
 *
 * Credits come in **lots**: a purchase is a lot of its credits worth the money paid for it (its average
 * price per credit is amount ÷ quantity), a grant a lot worth nothing. Taking k credits of a lot of c
 * credits worth v takes floor(k × v ÷ c) of its money (all of what is left when k = c), so a lot's
 * money is never split into fractions and a lot taken whole gives exactly what was paid for it.
 *
 * - a **spend** takes the oldest credits first: their money is recognised revenue (`spent`);
 * - a **revocation** or **expiry** takes the oldest credits too: their money is recognised as forfeited
 *   (`forfeited`, breakage: paid for, never to be used);
 * - a **removal** by a refund or a dispute of a purchase takes that purchase's own credits first (they
 *   are what was refunded), then the oldest others; their money leaves the liability (`removed`),
 *   while the money the buyer got back is `refunded`. The two differ by less than a credit's price
 *   per refund when the credits come from the refunded purchase (removed credits are floor(refund ×
 *   quantity ÷ amount)); the difference (`removed − refunded`) is shown beside the revenue;
 * - credits **given back** (a week paid with credits refunded, a dispute won) come back as a new lot
 *   worth, pro rata, what their taking was worth, which reverses that revenue or removal.
 *
 * What is always true (test/credit-fifo.test.ts): every amount is a non-negative integer; the
 * liability is the money of the credits still held, and
 * paid = spent + forfeited + removed + liability, so paid − refunded = spent + forfeited +
 * (removed − refunded) + liability; a purchase's own credits taken whole are worth what was paid.
 */

/** One change of an account's credits, as valuation reads it. `charge` names the purchase or the charge the credits paid. */
export type CreditMove =
  | { kind: 'purchase'; credits: number; paid: number; charge: number }
  | { kind: 'grant'; credits: number }
  | { kind: 'spend'; credits: number; charge?: number }
  | { kind: 'forfeit'; credits: number }
  | { kind: 'remove'; credits: number; charge?: number }
  | { kind: 'back'; credits: number; charge?: number }
  | { kind: 'refunded'; money: number; charge: number };

/** Running totals in minor units (credits counts credits). */
export interface CreditValues {
  paid: number;
  refunded: number;
  spent: number;
  forfeited: number;
  removed: number;
  liability: number;
  credits: number;
}

export const emptyValues = (): CreditValues => ({ paid: 0, refunded: 0, spent: 0, forfeited: 0, removed: 0, liability: 0, credits: 0 });

interface Lot {
  /** The purchase it came from (for a refund's own credits); none for a grant. */
  charge?: number;
  credits: number;
  money: number;
}

/** Takes k of c credits worth v: floor(k × v ÷ c), all of v when k = c (BigInt: no rounding for any size). */
const share = (k: number, c: number, v: number) => (k >= c ? v : Number((BigInt(k) * BigInt(v)) / BigInt(c)));

const wholeCount = (n: number, what: string) => {
  if (!Number.isSafeInteger(n) || n < 0) throw new Error(`credit valuation: ${what} must be a non-negative integer, not ${n}`);
};

/** One account's book: apply its moves in ledger order; `values` are the totals so far. */
export class CreditBook {
  private readonly lots: Lot[] = [];
  /** What each charge's taking took (credits and money), so that credits given back come back at that value. */
  private readonly taken = new Map<number, Lot>();
  readonly values: CreditValues = emptyValues();

  /** Applies a move; returns what it did to the totals (the same fields, as differences). */
  apply(move: CreditMove): CreditValues {
    const before = { ...this.values };
    if (move.kind === 'refunded') {
      wholeCount(move.money, 'money refunded');
      this.values.refunded += move.money;
    } else {
      wholeCount(move.credits, 'credits');
      this.move(move);
    }
    const diff = emptyValues();
    for (const key of Object.keys(diff) as Array<keyof CreditValues>) diff[key] = this.values[key] - before[key];
    return diff;
  }

  private move(move: Exclude<CreditMove, { kind: 'refunded' }>) {
    const v = this.values;
    switch (move.kind) {
      case 'purchase':
        wholeCount(move.paid, 'money paid');
        this.add({ charge: move.charge, credits: move.credits, money: move.paid });
        v.paid += move.paid;
        return;
      case 'grant':
        this.add({ credits: move.credits, money: 0 });
        return;
      case 'spend':
        v.spent += this.take(move.credits, undefined, move.charge);
        return;
      case 'forfeit':
        v.forfeited += this.take(move.credits);
        return;
      case 'remove':
        v.removed += this.take(move.credits, move.charge, move.charge);
        return;
      case 'back': {
        const record = move.charge === undefined ? undefined : this.taken.get(move.charge);
        const credits = Math.min(move.credits, record?.credits ?? 0);
        const money = record ? share(credits, record.credits, record.money) : 0;
        if (record) {
          record.credits -= credits;
          record.money -= money;
        }
        // A spend given back reverses its revenue; a purchase's removal given back (a dispute won), the removal.
        if (move.charge !== undefined && this.isPurchase(move.charge)) v.removed -= money;
        else v.spent -= money;
        this.add({ ...(move.charge !== undefined && this.isPurchase(move.charge) ? { charge: move.charge } : {}), credits: move.credits, money });
        return;
      }
    }
  }

  private readonly purchases = new Set<number>();
  private isPurchase(charge: number) {
    return this.purchases.has(charge);
  }

  private add(lot: Lot) {
    if (lot.charge !== undefined) this.purchases.add(lot.charge);
    if (lot.credits === 0) return;
    this.lots.push(lot);
    this.values.credits += lot.credits;
    this.values.liability += lot.money;
  }

  /** Takes credits (the lot of `first` first, then the oldest), returns their money; records it under `record`. */
  private take(credits: number, first?: number, record?: number): number {
    if (credits > this.values.credits) throw new Error(`credit valuation: ${credits} credits taken from a balance of ${this.values.credits}`);
    let left = credits;
    let money = 0;
    const order = first === undefined ? this.lots : [...this.lots.filter((l) => l.charge === first), ...this.lots.filter((l) => l.charge !== first)];
    for (const lot of order) {
      if (left === 0) break;
      const k = Math.min(left, lot.credits);
      const m = share(k, lot.credits, lot.money);
      lot.credits -= k;
      lot.money -= m;
      left -= k;
      money += m;
    }
    for (let i = this.lots.length - 1; i >= 0; i--) if (this.lots[i]!.credits === 0) this.lots.splice(i, 1);
    this.values.credits -= credits;
    this.values.liability -= money;
    if (record !== undefined) {
      const before = this.taken.get(record) ?? { credits: 0, money: 0 };
      this.taken.set(record, { credits: before.credits + credits, money: before.money + money });
    }
    return money;
  }
}

/** The totals of one account's moves, in order. */
export function valueCredits(moves: Iterable<CreditMove>): CreditValues {
  const book = new CreditBook();
  for (const move of moves) book.apply(move);
  return { ...book.values };
}
