import { and, desc, eq, gt, inArray, lte } from 'drizzle-orm';
import { z } from 'zod';
import { listingsChanged } from '../../cache.js';
import type { Db } from '../../db/client.js';
import { type Billboard, billboards } from './schema.js';
import { formatUtc } from '../../format.js';
import type { Product } from '../../payments/catalog.js';
import { WEEK } from '../period.js';
import { autoRenewField } from '../renewal.js';

const webUrl = z
  .string()
  .trim()
  .max(500)
  .url('Enter a full web address, like https://example.com.')
  .refine((u) => /^https?:\/\//i.test(u), 'Only http:// or https:// addresses.');

/**
 * A sidebar ad for one week: proof that the payments core sells things that are not articles.
 * The buyer supplies a headline, a link and optionally an image URL.
 */
export const billboardProduct: Product = {
  id: 'billboard',
  name: 'Billboard — one week in the sidebar',
  description: 'A sidebar ad with your headline, link and image on /jobs and the home page for one week.',
  amount: 4900,
  currency: 'usd',
  fields: z
    .object({
      headline: z.string().trim().min(1, 'Enter a headline.').min(3, 'At least 3 characters.').max(80, 'At most 80 characters.'),
      link_url: webUrl,
      image_url: webUrl.refine((u) => u.startsWith('https://'), 'Images must be https://.').optional(),
      /** Opts in to off-session renewal each week with the card paid with (products/renewal.ts); the form's box. */
      auto_renew: z.boolean().optional(),
    })
    .strict(),
  formFields: [
    { name: 'headline', label: 'Headline', inputMode: 'text', required: true },
    { name: 'link_url', label: 'Link (https://…)', inputMode: 'url', required: true },
    { name: 'image_url', label: 'Image URL (https://…, optional)', inputMode: 'url', required: false },
    autoRenewField('week'),
  ],

  async authorize() {
    // Any signed-in member may advertise.
  },
  async fulfil(tx, charge, now) {
    listingsChanged();
    const data = charge.productData as { headline: string; link_url: string; image_url?: string; renews?: number };
    // A renewal's week starts where the renewed billboard's ends: paying in its last hour loses no time.
    const [renewed] = data.renews ? await tx.select({ endsAt: billboards.endsAt }).from(billboards).where(eq(billboards.id, data.renews)) : [];
    const endsAt = WEEK.extend(now, renewed?.endsAt);
    await tx
      .insert(billboards)
      .values({
        chargeId: charge.id,
        userId: charge.userId,
        headline: data.headline,
        linkUrl: data.link_url,
        imageUrl: data.image_url ?? null,
        startsAt: new Date(endsAt.getTime() - WEEK.ms),
        endsAt,
      })
      .onConflictDoNothing();
    return {}; // a billboard adds nothing to its charge's JSON
  },
  async reverse(tx, charge) {
    listingsChanged();
    await tx.update(billboards).set({ active: false }).where(eq(billboards.chargeId, charge.id));
  },
  async restore(tx, charge) {
    listingsChanged();
    await tx.update(billboards).set({ active: true }).where(eq(billboards.chargeId, charge.id));
  },
  // The headline is the charge's own data: no read.
  async purchaseTitles(_db, charges) {
    return charges.map((charge) => (charge.productData as { headline?: string }).headline);
  },
  async receiptLines(db, charges, now) {
    const boards = new Map((await db.select().from(billboards).where(inArray(billboards.chargeId, charges.map((c) => c.id)))).map((b) => [b.chargeId, b]));
    return charges.map((charge) => {
      const board = boards.get(charge.id);
      if (!board) return [];
      const live = board.active && board.endsAt > now;
      return [`Billboard: ${board.headline}`, live ? `In the sidebar until ${formatUtc(board.endsAt)}` : 'Not showing now.'];
    });
  },
};

/** Billboards showing now (a renewal's waits for its week), newest first. */
export async function liveBillboards(db: Db, now: Date, limit = 3): Promise<Billboard[]> {
  return db
    .select()
    .from(billboards)
    .where(and(eq(billboards.active, true), lte(billboards.startsAt, now), gt(billboards.endsAt, now)))
    .orderBy(desc(billboards.startsAt))
    .limit(limit);
}
