import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { chargeStatuses } from '../src/db/schema.js';
import { WEEK_MS } from '../src/products/durations.js';
import { computePaidWindow, extendPaidWindow, isPaid } from '../src/products/job-listing/paid-window.js';

const T0 = Date.parse('2026-01-01T00:00:00Z');
const charge = fc.record({
  status: fc.constantFrom(...chargeStatuses),
  paidAt: fc.option(fc.integer({ min: 0, max: 60 * WEEK_MS }).map((ms) => new Date(T0 + ms)), { nil: null }),
});
const paying = fc.record({
  status: fc.constantFrom('succeeded' as const, 'partially_refunded' as const),
  paidAt: fc.integer({ min: 0, max: 60 * WEEK_MS }).map((ms) => new Date(T0 + ms)),
});

describe('computePaidWindow', () => {
  it('is null with no paying charge', () => {
    expect(computePaidWindow([])).toEqual({ paidUntil: null, bumpedAt: null });
    expect(computePaidWindow([{ status: 'refunded', paidAt: new Date(T0) }, { status: 'failed', paidAt: null }])).toEqual({
      paidUntil: null,
      bumpedAt: null,
    });
  });

  it('buys exactly one week, and is no longer paid at the boundary', () => {
    const w = computePaidWindow([{ status: 'succeeded', paidAt: new Date(T0) }]);
    expect(w.paidUntil!.getTime()).toBe(T0 + WEEK_MS);
    expect(isPaid(w.paidUntil, new Date(T0 + WEEK_MS - 1))).toBe(true);
    expect(isPaid(w.paidUntil, new Date(T0 + WEEK_MS))).toBe(false);
  });

  it('extends from the end of the current week when paying early, and from now when expired', () => {
    const early = computePaidWindow([
      { status: 'succeeded', paidAt: new Date(T0) },
      { status: 'succeeded', paidAt: new Date(T0 + 2 * 24 * 3600e3) },
    ]);
    expect(early.paidUntil!.getTime()).toBe(T0 + 2 * WEEK_MS);
    expect(early.bumpedAt!.getTime()).toBe(T0 + 2 * 24 * 3600e3);
    const late = computePaidWindow([
      { status: 'succeeded', paidAt: new Date(T0) },
      { status: 'succeeded', paidAt: new Date(T0 + 3 * WEEK_MS) },
    ]);
    expect(late.paidUntil!.getTime()).toBe(T0 + 4 * WEEK_MS);
  });

  it('is monotone: adding a charge never shortens the window', () => {
    fc.assert(
      fc.property(fc.array(charge, { maxLength: 12 }), charge, (charges, extra) => {
        const before = computePaidWindow(charges).paidUntil?.getTime() ?? 0;
        const after = computePaidWindow([...charges, extra]).paidUntil?.getTime() ?? 0;
        expect(after).toBeGreaterThanOrEqual(before);
      }),
    );
  });

  it('never loses paid time: from any payment on, every later payment is a full week', () => {
    fc.assert(
      fc.property(fc.array(paying, { minLength: 1, maxLength: 12 }), (charges) => {
        const until = computePaidWindow(charges).paidUntil!.getTime();
        for (const c of charges) {
          const fromThenOn = charges.filter((o) => o.paidAt.getTime() >= c.paidAt.getTime()).length;
          expect(until).toBeGreaterThanOrEqual(c.paidAt.getTime() + fromThenOn * WEEK_MS);
        }
        expect(until).toBeLessThanOrEqual(Math.max(...charges.map((c) => c.paidAt.getTime())) + charges.length * WEEK_MS);
      }),
    );
  });

  it('ignores refunded, disputed, failed and pending charges, and does not depend on order', () => {
    fc.assert(
      fc.property(fc.array(charge, { maxLength: 12 }), (charges) => {
        const onlyPaying = charges.filter((c) => c.status === 'succeeded' || c.status === 'partially_refunded');
        expect(computePaidWindow(charges)).toEqual(computePaidWindow(onlyPaying));
        expect(computePaidWindow([...charges].reverse())).toEqual(computePaidWindow(charges));
      }),
    );
  });

  it('bumps to the latest paying charge', () => {
    fc.assert(
      fc.property(fc.array(paying, { minLength: 1, maxLength: 12 }), (charges) => {
        const latest = Math.max(...charges.map((c) => c.paidAt.getTime()));
        expect(computePaidWindow(charges).bumpedAt!.getTime()).toBe(latest);
      }),
    );
  });
});

describe('extendPaidWindow', () => {
  it('equals the window recomputed from every charge when the new payment is the latest', () => {
    fc.assert(
      fc.property(fc.array(charge, { maxLength: 12 }), fc.integer({ min: 0, max: 61 * WEEK_MS }), (charges, offset) => {
        const stored = computePaidWindow(charges);
        const paidAt = new Date(Math.max(T0 + offset, stored.bumpedAt?.getTime() ?? 0));
        expect(extendPaidWindow(stored, paidAt)).toEqual(computePaidWindow([...charges, { status: 'succeeded', paidAt }]));
      }),
    );
  });

  it('declines (null) when a paying charge is later than the new one, so the caller recomputes', () => {
    fc.assert(
      fc.property(fc.array(paying, { minLength: 1, maxLength: 12 }), fc.integer({ min: 1, max: WEEK_MS }), (charges, before) => {
        const stored = computePaidWindow(charges);
        expect(extendPaidWindow(stored, new Date(stored.bumpedAt!.getTime() - before))).toBeNull();
      }),
    );
  });
});
