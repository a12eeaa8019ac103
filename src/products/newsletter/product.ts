import { and, eq, inArray, notExists, sql } from 'drizzle-orm';
import { alias } from 'drizzle-orm/pg-core';
import { z } from 'zod';
import type { Executor } from '../../db/client.js';
import type { Charge } from '../../db/schema.js';
import type { Product } from '../../payments/catalog.js';
import { type NewsletterSlot, newsletterSlots } from './schema.js';
import { firstOpenWeek, freeWeeks, WEEKS_OFFERED, weekLabel } from './weeks.js';

export const NEWSLETTER_PRODUCT = 'newsletter_slot';

const week = (charge: Charge) => (charge.productData as { week: string }).week;
const other = alias(newsletterSlots, 'other');

/** The charges' slots, by charge id (one read for a batch). */
async function slotsOf(db: Executor, charges: Charge[]): Promise<Map<number, NewsletterSlot>> {
  const rows = await db.select().from(newsletterSlots).where(inArray(newsletterSlots.chargeId, charges.map((c) => c.id)));
  return new Map(rows.map((s) => [s.chargeId, s]));
}

/**
 * Gives the charge a week: the one chosen, or, when another sponsor's payment took it after this one
 * was checked out (two buyers of one week at once), the next free week after it. The buyer paid for a
 * week, not a date; the receipt says which week it became. Never two sponsors on one week: the unique
 * index on the active rows' week decides, each insert waiting on a concurrent one for the same week.
 */
async function takeWeek(tx: Executor, charge: Charge, now: Date): Promise<string> {
  const chosen = week(charge);
  const open = firstOpenWeek(now);
  // A payment settled late (after its week began) moves on too.
  let candidate = chosen;
  if (candidate < open) candidate = open;
  for (;;) {
    const [row] = await tx
      .insert(newsletterSlots)
      .values({ chargeId: charge.id, userId: charge.userId, weekStart: candidate, chosenWeek: chosen })
      .onConflictDoNothing({ target: newsletterSlots.weekStart, where: sql`${newsletterSlots.active}` })
      .returning({ week: newsletterSlots.weekStart });
    if (row) return row.week;
    candidate = (await freeWeeks(tx, candidate, 1))[0]!;
  }
}

/** A sponsored newsletter issue: subject-less, one week chosen at checkout among the free ones. */
export const newsletterProduct: Product = {
  id: NEWSLETTER_PRODUCT,
  name: 'Sponsored newsletter slot',
  description: 'Your sponsorship in one weekly newsletter issue: choose the week among the free ones.',
  amount: 9900,
  currency: 'usd',
  fields: z
    .object({ week: z.string({ error: 'Choose a week.' }).regex(/^\d{4}-\d{2}-\d{2}$/, 'Choose a week from the list.') })
    .strict(),
  formFields: [
    {
      name: 'week',
      label: 'Week (issues go out on Mondays, UTC)',
      inputMode: 'select',
      required: true,
      options: async (db, now) => (await freeWeeks(db, firstOpenWeek(now), WEEKS_OFFERED)).map((w) => ({ value: w, label: `Week of ${weekLabel(w)}` })),
      unavailable: `That week is not free: choose one of the next ${WEEKS_OFFERED} free weeks.`,
    },
  ],

  async authorize() {
    // Any signed-in member may sponsor an issue.
  },
  async fulfil(tx, charge, now) {
    return { newsletter_week: await takeWeek(tx, charge, now) };
  },
  async chargeExtras(db, charge) {
    const [slot] = await db.select().from(newsletterSlots).where(and(eq(newsletterSlots.chargeId, charge.id), eq(newsletterSlots.active, true)));
    return { newsletter_week: slot?.weekStart ?? null };
  },
  async reverse(tx, charge) {
    await tx.update(newsletterSlots).set({ active: false }).where(eq(newsletterSlots.chargeId, charge.id));
  },
  // The week comes back only if nobody bought it meanwhile; otherwise the slot stays freed.
  async restore(tx, charge) {
    await tx
      .update(newsletterSlots)
      .set({ active: true })
      .where(
        and(
          eq(newsletterSlots.chargeId, charge.id),
          notExists(tx.select({ id: other.id }).from(other).where(and(eq(other.weekStart, newsletterSlots.weekStart), eq(other.active, true)))),
        ),
      );
  },
  async purchaseTitles(db, charges) {
    const slots = await slotsOf(db, charges);
    return charges.map((charge) => `Week of ${weekLabel(slots.get(charge.id)?.weekStart ?? week(charge))}`);
  },
  async receiptLines(db, charges) {
    const slots = await slotsOf(db, charges);
    return charges.map((charge) => {
      const slot = slots.get(charge.id);
      if (!slot) return [];
      return [
        `Newsletter sponsor: the issue of the week of ${weekLabel(slot.weekStart)}`,
        ...(slot.chosenWeek !== slot.weekStart ? [`The week of ${weekLabel(slot.chosenWeek)} went to another sponsor before your payment went through: yours is the next free week.`] : []),
        ...(slot.active ? [] : ['Not sponsoring: the week is free again.']),
      ];
    });
  },
};
