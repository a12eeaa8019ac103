import type { ChargeStatus } from '../../db/schema.js';

import { PAYING_STATUSES, WEEK } from '../period.js';

export interface PaidWindow {
  paidUntil: Date | null;
  bumpedAt: Date | null;
}

/**
 * The paid window of a listing, derived from its charges: each paying charge buys one week (the
 * WEEK period's rule, src/products/period.ts). bumpedAt is the latest paying charge.
 */
export function computePaidWindow(charges: ReadonlyArray<{ status: ChargeStatus; paidAt: Date | null }>): PaidWindow {
  const paidAts = charges.filter((c) => c.paidAt && PAYING_STATUSES.includes(c.status)).map((c) => c.paidAt!);
  const times = paidAts.map((d) => d.getTime());
  return { paidUntil: WEEK.endAfter(paidAts), bumpedAt: times.length ? new Date(Math.max(...times)) : null };
}

export const isPaid = (paidUntil: Date | null, now: Date): boolean =>
  paidUntil !== null && paidUntil.getTime() > now.getTime();
