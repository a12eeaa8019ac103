import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { WEEK_MS } from '../../period.js';
import { computePaidWindow, isPaid } from '../paid-window.js';
import { REMINDER_LEAD_MS, RENEWAL_GRACE_MS, RENEWAL_LEAD_MS, upkeepDue } from '../upkeep-rule.js';

const MINUTE = 60_000;
const base = Date.UTC(2026, 0, 1);
const instant = fc.integer({ min: 0, max: 365 * 24 * 60 }).map((m) => new Date(base + m * MINUTE));
const listing = fc.record({
  jobListing: fc.boolean(),
  published: fc.boolean(),
  autoRenew: fc.boolean(),
  paidUntil: fc.option(instant, { nil: null }),
});
const live = { jobListing: true, published: true };

describe('when a reminder or a renewal is due', () => {
  it('is never for a listing that is not a live job listing, nor for one never paid', () => {
    fc.assert(
      fc.property(listing, instant, (l, now) => {
        const due = upkeepDue(l, now);
        if (!l.jobListing || !l.published || l.paidUntil === null) expect(due).toEqual({ reminder: false, renewal: false });
      }),
    );
  });

  it('reminds exactly in the last day of a paid week, while it is still paid', () => {
    fc.assert(
      fc.property(fc.boolean(), instant, fc.integer({ min: -3 * 24 * 60, max: 3 * 24 * 60 }), (autoRenew, paidUntil, minutesBefore) => {
        const now = new Date(paidUntil.getTime() - minutesBefore * MINUTE);
        const { reminder } = upkeepDue({ ...live, autoRenew, paidUntil }, now);
        expect(reminder).toBe(minutesBefore > 0 && minutesBefore * MINUTE <= REMINDER_LEAD_MS);
        if (reminder) expect(isPaid(paidUntil, now)).toBe(true);
      }),
    );
  });

  it('renews only with auto-renew on, from the last hour of the week to a day after it ended', () => {
    fc.assert(
      fc.property(fc.boolean(), instant, fc.integer({ min: -3 * 24 * 60, max: 3 * 24 * 60 }), (autoRenew, paidUntil, minutesBefore) => {
        const now = new Date(paidUntil.getTime() - minutesBefore * MINUTE);
        const { renewal } = upkeepDue({ ...live, autoRenew, paidUntil }, now);
        const offset = minutesBefore * MINUTE;
        expect(renewal).toBe(autoRenew && offset <= RENEWAL_LEAD_MS && -offset < RENEWAL_GRACE_MS);
      }),
    );
  });

  it('with an upkeep at least hourly, renews before the listing lapses and reminds before that', () => {
    fc.assert(
      fc.property(instant, fc.integer({ min: 1, max: 60 }), fc.integer({ min: 0, max: 59 }), (paidUntil, everyMinutes, phase) => {
        const l = { ...live, autoRenew: true, paidUntil };
        const runs = Array.from({ length: 8 * 24 * 60 / everyMinutes }, (_, i) => new Date(paidUntil.getTime() - 7 * 24 * 60 * MINUTE + (i * everyMinutes + (phase % everyMinutes)) * MINUTE));
        const firstRenewal = runs.find((now) => upkeepDue(l, now).renewal);
        const firstReminder = runs.find((now) => upkeepDue(l, now).reminder);
        expect(firstRenewal).toBeDefined();
        expect(isPaid(paidUntil, firstRenewal!)).toBe(true);
        expect(firstReminder!.getTime()).toBeLessThanOrEqual(firstRenewal!.getTime());
      }),
    );
  });

  it('is not due again once the renewal has paid for the next week: once per week', () => {
    fc.assert(
      fc.property(instant, fc.integer({ min: -RENEWAL_GRACE_MS / MINUTE + 1, max: RENEWAL_LEAD_MS / MINUTE }), (paidUntil, minutesBefore) => {
        const now = new Date(paidUntil.getTime() - minutesBefore * MINUTE);
        const before = { ...live, autoRenew: true, paidUntil };
        expect(upkeepDue(before, now).renewal).toBe(true);
        const next = computePaidWindow([{ status: 'succeeded', paidAt: new Date(paidUntil.getTime() - WEEK_MS) }, { status: 'succeeded', paidAt: now }]);
        const after = upkeepDue({ ...before, paidUntil: next.paidUntil }, now);
        expect(after).toEqual({ reminder: false, renewal: false });
        expect(next.paidUntil!.getTime()).toBe(Math.max(now.getTime(), paidUntil.getTime()) + WEEK_MS);
      }),
    );
  });
});
