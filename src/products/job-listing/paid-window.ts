import type { ChargeStatus } from '../../db/schema.js';

import { WEEK_MS } from '../durations.js';

/** Charge states that still buy time: a partial refund keeps the week (docs/payments.md). */
export const PAYING_STATUSES: readonly ChargeStatus[] = ['succeeded', 'partially_refunded'];

export interface PaidWindow {
  paidUntil: Date | null;
  bumpedAt: Date | null;
}

/**
 * The paid window of a listing, derived from its charges: each paying charge buys one week,
 * starting at the later of its payment time and the end of the previous paid week, so paying
 * early never loses time. bumpedAt is the latest paying charge.
 */
export function computePaidWindow(
  charges: ReadonlyArray<{ status: ChargeStatus; paidAt: Date | null }>,
  weekMs: number = WEEK_MS,
): PaidWindow {
  const times = charges
    .filter((c) => c.paidAt && PAYING_STATUSES.includes(c.status))
    .map((c) => c.paidAt!.getTime())
    .sort((a, b) => a - b);
  let end: number | null = null;
  for (const t of times) end = Math.max(t, end ?? t) + weekMs;
  const last = times.at(-1);
  return {
    paidUntil: end === null ? null : new Date(end),
    bumpedAt: last === undefined ? null : new Date(last),
  };
}

export const isPaid = (paidUntil: Date | null, now: Date): boolean =>
  paidUntil !== null && paidUntil.getTime() > now.getTime();
