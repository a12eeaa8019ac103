import { type SQL, sql } from 'drizzle-orm';
import type { ChargeStatus } from '../db/schema.js';

/** Charge states that still buy time: a partial refund keeps the period (docs/payments.md). */
export const PAYING_STATUSES: readonly ChargeStatus[] = ['succeeded', 'partially_refunded'];

/** How long what the products sell lasts: one definition, shared by every product sold by the week. */
export const WEEK_MS = 7 * 24 * 3600 * 1000;

/** The three operations the rule needs, on instants in milliseconds or on SQL timestamptz expressions. */
interface Instants<T> {
  greatest(a: T, b: T): T;
  coalesce(a: T | null, b: T): T;
  plus(a: T, ms: number): T;
}

/**
 * The rule, written once for both interpretations below so that TypeScript and SQL cannot drift:
 * a payment buys one period starting at the later of its time and the current end, so paying early
 * never loses time and paying after the end starts afresh.
 */
const extendRule = <T>(on: Instants<T>, ms: number, paidAt: T, currentEnd: T | null): T =>
  on.plus(on.greatest(paidAt, on.coalesce(currentEnd, paidAt)), ms);

const inMs: Instants<number> = {
  greatest: Math.max,
  coalesce: (a, b) => a ?? b,
  plus: (a, ms) => a + ms,
};

// The length is added in milliseconds, never as days: an interval of days follows the session's time zone.
const inSql: Instants<SQL> = {
  greatest: (a, b) => sql`greatest(${a}, ${b})`,
  coalesce: (a, b) => sql`coalesce(${a}, ${b})`,
  plus: (a, ms) => sql`${a} + ${ms}::float8 * interval '1 millisecond'`,
};

export interface Period {
  readonly ms: number;
  /** The end of the period bought at `paidAt` when the current one ends at `currentEnd` (null: none). */
  extend(paidAt: Date, currentEnd?: Date | null): Date;
  /** The end after one purchase at each of `paidAts`, in any order; null with none. */
  endAfter(paidAts: readonly Date[]): Date | null;
  /** `extend` as a SQL expression over two timestamptz expressions (`currentEnd` may be null). */
  extendSql(paidAt: SQL, currentEnd: SQL): SQL;
}

export function period(ms: number): Period {
  return {
    ms,
    extend: (paidAt, currentEnd = null) => new Date(extendRule(inMs, ms, paidAt.getTime(), currentEnd?.getTime() ?? null)),
    endAfter(paidAts) {
      const times = paidAts.map((d) => d.getTime()).sort((a, b) => a - b);
      const end = times.reduce<number | null>((current, t) => extendRule(inMs, ms, t, current), null);
      return end === null ? null : new Date(end);
    },
    extendSql: (paidAt, currentEnd) => extendRule(inSql, ms, paidAt, currentEnd),
  };
}

export const WEEK = period(WEEK_MS);
