import { and, eq, gte } from 'drizzle-orm';
import type { Executor } from '../../db/client.js';
import { newsletterSlots } from './schema.js';

/** How many free weeks the checkout offers. */
export const WEEKS_OFFERED = 8;

const DAY_MS = 24 * 3600 * 1000;

/** A date as the column stores it: 'YYYY-MM-DD' (UTC). */
const isoDay = (d: Date) => d.toISOString().slice(0, 10);

/** The first Monday (UTC) after `now`'s day: this week's issue is already being written. */
export function firstOpenWeek(now: Date): string {
  const today = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate());
  return isoDay(new Date(today + ((8 - now.getUTCDay()) % 7 || 7) * DAY_MS));
}

/** This week's Monday (UTC): the issue going out now still shows as upcoming. */
export function currentWeek(now: Date): string {
  const today = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate());
  return isoDay(new Date(today - ((now.getUTCDay() + 6) % 7) * DAY_MS));
}

const plusWeeks = (week: string, n: number) => isoDay(new Date(Date.parse(`${week}T00:00:00Z`) + n * 7 * DAY_MS));

/** The first `n` Mondays from `from` (a Monday) that no sponsor holds. */
export async function freeWeeks(db: Executor, from: string, n: number): Promise<string[]> {
  const held = await db
    .select({ week: newsletterSlots.weekStart })
    .from(newsletterSlots)
    .where(and(eq(newsletterSlots.active, true), gte(newsletterSlots.weekStart, from)));
  const taken = new Set(held.map((r) => r.week));
  const free: string[] = [];
  // Ends: at most taken.size weeks are skipped.
  for (let i = 0; free.length < n; i++) if (!taken.has(plusWeeks(from, i))) free.push(plusWeeks(from, i));
  return free;
}

/** A week for people: "Mon 9 Mar 2026". */
export const weekLabel = (week: string) =>
  new Date(`${week}T00:00:00Z`).toLocaleDateString('en-GB', { weekday: 'short', day: 'numeric', month: 'short', year: 'numeric', timeZone: 'UTC' }).replace(',', '');
