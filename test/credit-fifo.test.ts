import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CreditBook, type CreditMove, type CreditValues, valueCredits } from '../src/credits/fifo.js';
import { quote } from '../src/credits/prices.js';

/** An abstract step, made valid against the book as it stands (a taking never exceeds the balance). */
type Step = { op: 'purchase' | 'grant' | 'spend' | 'forfeit' | 'remove' | 'back' | 'refunded'; n: number; pick: number };

const steps = fc.array(
  fc.record({
    op: fc.constantFrom<Step['op']>('purchase', 'purchase', 'grant', 'spend', 'spend', 'forfeit', 'remove', 'back', 'refunded'),
    n: fc.integer({ min: 1, max: 60 }),
    pick: fc.nat(),
  }),
  { maxLength: 60 },
);

/** Turns steps into a valid ledger: spends, forfeits and removals within the balance; refunds within what was paid. */
function movesOf(list: Step[]): CreditMove[] {
  const moves: CreditMove[] = [];
  let balance = 0;
  let next = 1;
  const purchases: Array<{ charge: number; paid: number; refunded: number }> = [];
  const takings: Array<{ charge: number; credits: number }> = [];
  for (const { op, n, pick } of list) {
    const charge = next++;
    if (op === 'purchase') {
      const paid = quote(n).amount;
      moves.push({ kind: 'purchase', credits: n, paid, charge });
      purchases.push({ charge, paid, refunded: 0 });
      balance += n;
    } else if (op === 'grant') {
      moves.push({ kind: 'grant', credits: n });
      balance += n;
    } else if (op === 'refunded' && purchases.length > 0) {
      const p = purchases[pick % purchases.length]!;
      const money = Math.min(p.paid - p.refunded, n * 1000);
      if (money > 0) moves.push({ kind: 'refunded', money, charge: p.charge });
      p.refunded += money;
    } else if (op === 'back' && takings.length > 0) {
      const t = takings[pick % takings.length]!;
      const credits = Math.min(t.credits, n);
      if (credits > 0) moves.push({ kind: 'back', credits, charge: t.charge });
      t.credits -= credits;
      balance += credits;
    } else if ((op === 'spend' || op === 'forfeit' || op === 'remove') && balance > 0) {
      const credits = Math.min(balance, n);
      balance -= credits;
      if (op === 'spend') {
        moves.push({ kind: 'spend', credits, charge });
        takings.push({ charge, credits });
      } else if (op === 'forfeit') moves.push({ kind: 'forfeit', credits });
      else {
        const from = purchases.length > 0 ? purchases[pick % purchases.length]!.charge : charge;
        moves.push({ kind: 'remove', credits, charge: from });
        takings.push({ charge: from, credits });
      }
    }
  }
  return moves;
}

const conserved = (v: CreditValues) => v.spent + v.forfeited + v.removed + v.liability;

describe('valueCredits: first in, first out', () => {
  it('keeps every total a non-negative integer, and paid = spent + forfeited + removed + liability after every move', () => {
    fc.assert(
      fc.property(steps, (list) => {
        const book = new CreditBook();
        for (const move of movesOf(list)) {
          book.apply(move);
          for (const value of Object.values(book.values)) {
            expect(Number.isSafeInteger(value)).toBe(true);
            expect(value).toBeGreaterThanOrEqual(0);
          }
          expect(conserved(book.values)).toBe(book.values.paid);
          // Net of refunds: what was kept is what was recognised, what is owed, and the removal difference.
          const v = book.values;
          expect(v.paid - v.refunded).toBe(v.spent + v.forfeited + (v.removed - v.refunded) + v.liability);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('keeps the credits held equal to the sum of the changes', () => {
    fc.assert(
      fc.property(steps, (list) => {
        const moves = movesOf(list);
        const sum = moves.reduce((s, m) => s + (m.kind === 'refunded' ? 0 : ['purchase', 'grant', 'back'].includes(m.kind) ? m.credits : -m.credits), 0);
        expect(valueCredits(moves).credits).toBe(sum);
      }),
    );
  });

  it('recognises exactly what was paid when every purchased credit is spent, and nothing for granted ones', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 300 }), { minLength: 1, maxLength: 8 }), fc.nat({ max: 50 }), (quantities, granted) => {
        const moves: CreditMove[] = quantities.map((q, i) => ({ kind: 'purchase', credits: q, paid: quote(q).amount, charge: i + 1 }));
        if (granted > 0) moves.splice(1, 0, { kind: 'grant', credits: granted });
        const total = quantities.reduce((s, q) => s + q, 0) + granted;
        const v = valueCredits([...moves, { kind: 'spend', credits: total }]);
        expect(v.spent).toBe(quantities.reduce((s, q) => s + quote(q).amount, 0));
        expect([v.liability, v.credits]).toEqual([0, 0]);
      }),
    );
  });

  it('spends the oldest credits first, at their purchase’s average price', () => {
    // 10 credits for 23250 (2325 each), then 4 for 10000 (2500 each).
    const moves: CreditMove[] = [
      { kind: 'purchase', credits: 10, paid: 23250, charge: 1 },
      { kind: 'purchase', credits: 4, paid: 10000, charge: 2 },
    ];
    expect(valueCredits([...moves, { kind: 'spend', credits: 3 }])).toMatchObject({ spent: 6975, liability: 23250 - 6975 + 10000 });
    // Across the two lots: 10 of the first, 2 of the second.
    expect(valueCredits([...moves, { kind: 'spend', credits: 12 }])).toMatchObject({ spent: 23250 + 5000, liability: 5000, credits: 2 });
    // A grant before a purchase is spent first, and is worth nothing.
    expect(valueCredits([{ kind: 'grant', credits: 2 }, ...moves, { kind: 'spend', credits: 3 }])).toMatchObject({ spent: 2325, forfeited: 0 });
  });

  it("takes a refunded purchase's own credits first, and gives a spend's credits back at what they were spent at", () => {
    const moves: CreditMove[] = [
      { kind: 'purchase', credits: 10, paid: 23250, charge: 1 },
      { kind: 'purchase', credits: 4, paid: 10000, charge: 2 },
      { kind: 'spend', credits: 1, charge: 3 },
      { kind: 'refunded', money: 10000, charge: 2 },
      { kind: 'remove', credits: 4, charge: 2 },
    ];
    expect(valueCredits(moves)).toMatchObject({ paid: 33250, refunded: 10000, spent: 2325, removed: 10000, liability: 23250 - 2325, credits: 9 });
    const back = valueCredits([...moves, { kind: 'back', credits: 1, charge: 3 }]);
    expect(back).toMatchObject({ spent: 0, liability: 23250, credits: 10 });
  });

  it('refuses a ledger that takes more credits than it holds', () => {
    expect(() => valueCredits([{ kind: 'grant', credits: 1 }, { kind: 'spend', credits: 2 }])).toThrow(/2 credits taken from a balance of 1/);
  });
});
