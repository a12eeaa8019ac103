import { eq } from 'drizzle-orm';
import { z } from 'zod';
import type { Executor } from '../../db/client.js';
import type { Charge } from '../../db/schema.js';
import { formatMoney } from '../../format.js';
import type { Product } from '../../payments/catalog.js';
import { type CreditOwner, grantPurchase } from '../../credits/ledger.js';
import { CREDIT_PRICES, MAX_CREDITS_PER_PURCHASE, quote } from '../../credits/prices.js';
import { creditsLedgerCheck } from '../../credits/reconcile.js';
import { adminMembership } from '../../organizations/service.js';
import { organizations } from '../../organizations/schema.js';
import { freezeForDispute, giveBackForFailedRefund, releaseAfterDispute, takeBackForRefund } from './refunds.js';

export const CREDIT_PACK_PRODUCT = 'credit_pack';

/** What a purchase of credits carries: how many, and for which organization (its slug) when not for the buyer. */
export const creditPackFields = z
  .object({
    // Coerced: the checkout form sends it as text.
    quantity: z.coerce.number({ error: 'How many credits?' }).int('A whole number of credits.').min(1).max(MAX_CREDITS_PER_PURCHASE),
    organization: z.string().min(2).max(40).optional(),
  })
  .strict();
type CreditPackFields = z.infer<typeof creditPackFields>;

const packOf = (charge: Charge) => charge.productData as CreditPackFields;

/** The charge's extras: how many credits, and for which organization. */
function extrasOf(charge: Charge) {
  const { quantity, organization } = packOf(charge);
  return { credits: quantity, ...(organization ? { organization } : {}) };
}

/** Whose balance a purchase's credits go to: the organization it names (looked up by slug), else the buyer's own. */
async function ownerOf(ex: Executor, charge: Charge): Promise<CreditOwner> {
  const { organization } = packOf(charge);
  if (!organization) return { userId: charge.userId };
  const [org] = await ex.select({ id: organizations.id }).from(organizations).where(eq(organizations.slug, organization));
  if (!org) throw new Error(`credits: charge ${charge.id} names organization ${organization}, which is gone`);
  return { organizationId: org.id };
}

/** A quote's lines with the positions of the credits each covers (the first tier's are 1 to its quantity). */
function tierLines(lines: ReturnType<typeof quote>['lines']) {
  let before = 0;
  return lines.map((line) => {
    const first = before + 1;
    before += line.quantity;
    return { first, last: before, line };
  });
}

/**
 * Prepaid credits, priced by the graduated tiers of src/credits/prices.ts (the server's quote, never
 * the client's): granted once, when the charge settles, to the buyer or to the organization an admin
 * bought them for; taken back by its refunds and frozen by its disputes (refunds.ts).
 */
export const creditPackProduct: Product = {
  id: CREDIT_PACK_PRODUCT,
  name: 'Credits',
  description: 'Prepaid credits, cheaper in bulk: one credit is a week of a job listing. Spend them instead of paying by card.',
  // What the catalog shows: one credit; a purchase costs the quote for its quantity.
  amount: quote(1).amount,
  currency: CREDIT_PRICES.currency,
  fields: creditPackFields,
  formFields: [
    { name: 'quantity', label: `Credits (1 to ${MAX_CREDITS_PER_PURCHASE})`, inputMode: 'text', required: true },
    { name: 'organization', label: 'For the organization (its address, when you are one of its admins)', inputMode: 'text', required: false },
  ],
  price: (fields) => quote((fields as CreditPackFields).quantity).amount,
  // Reconcile checks the credits ledger against these purchases (and the charges paid with credits).
  ledgerCheck: creditsLedgerCheck(CREDIT_PACK_PRODUCT),

  // Anyone buys credits for themself; only an organization's admins for it (404 for others than its members).
  async authorize(db, user, _subjectId, _now, fields) {
    const organization = (fields as CreditPackFields | undefined)?.organization;
    if (organization) await adminMembership(db, user, organization);
  },

  async fulfil(tx, charge, now) {
    await grantPurchase(tx, await ownerOf(tx, charge), { chargeId: charge.id, credits: packOf(charge).quantity, byUserId: charge.userId, at: charge.paidAt ?? now });
    return extrasOf(charge);
  },
  async chargeExtras(_db, charge) {
    return extrasOf(charge);
  },
  // Each refund takes back the credits its money paid for (refunds.ts), refused when they were spent.
  async refunded(tx, charge, refund, now, asked) {
    return takeBackForRefund(tx, await ownerOf(tx, charge), charge, packOf(charge).quantity, refund, now, asked);
  },
  async refundFailed(tx, charge, refund, now) {
    await giveBackForFailedRefund(tx, await ownerOf(tx, charge), charge, refund, now);
  },
  // A dispute freezes the credits it holds the money of; a full refund's credits were taken back by its refund rows.
  async reverse(tx, charge, now) {
    if (charge.status === 'disputed') await freezeForDispute(tx, await ownerOf(tx, charge), charge, packOf(charge).quantity, now);
  },
  // A dispute won releases them.
  async restore(tx, charge, now) {
    await releaseAfterDispute(tx, await ownerOf(tx, charge), charge, now);
  },
  async purchaseTitles(_db, charges) {
    return charges.map((charge) => `${packOf(charge).quantity} credits${packOf(charge).organization ? ` for ${packOf(charge).organization}` : ''}`);
  },
  async receiptLines(_db, charges) {
    return charges.map((charge) => {
      const { quantity, organization } = packOf(charge);
      const { lines, currency } = quote(quantity);
      return [
        `${quantity} credits${organization ? ` for the organization ${organization}` : ''}`,
        // Each tier it reached: which credits, how many, at what price each (graduated, as quoted).
        ...tierLines(lines).map(({ first, last, line }) => `Credits ${first}–${last} at ${formatMoney(line.unit_amount, currency)} each: ${line.quantity} × ${formatMoney(line.unit_amount, currency)} = ${formatMoney(line.amount, currency)}`),
      ];
    });
  },
};
