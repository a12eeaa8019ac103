import { eq } from 'drizzle-orm';
import { z } from 'zod';
import { articles, charges } from '../db/schema.js';
import { ApiError } from '../http/errors.js';
import { membership } from '../organizations/service.js';
import { SUBJECT_FIELD, subjectIdSchema, subjectOf } from '../payments/subject.js';
import type { WayCore, WayToPay } from '../payments/ways-to-pay/way.js';
import { creditChoices } from './choices.js';
import { type CreditOwner, refundSpend, spendCredits } from './ledger.js';
import { CREDIT_PRICES } from './prices.js';

const spendRequest = z.object({
  product: z.string().min(1, 'Choose a product.').max(60),
  [SUBJECT_FIELD]: subjectIdSchema.optional(),
  pay_with: z.literal('credits'),
  organization: z.string().min(2).max(40).optional(),
});

/** The organization a purchase's subject (an article) was posted on behalf of; null for none, or no subject. */
async function subjectOrganization(core: WayCore, subjectId: number | null): Promise<number | null> {
  if (subjectId === null) return null;
  const [article] = await core.deps.db.select({ organizationId: articles.organizationId }).from(articles).where(eq(articles.id, subjectId));
  return article?.organizationId ?? null;
}

const NOT_FOR_THIS = 'credits_not_for_this';
const NOT_FOR_THIS_MESSAGE = "An organization's credits pay only for listings posted on its behalf: pay with your own credits or by card.";

/**
 * Paying with credits: `POST /api/v1/charges` with `pay_with: 'credits'` (and `organization` to spend an
 * organization's, as any of its members, on what is posted on its behalf: its subject an article whose
 * organization it is; anything else, a listing of the member's own or a product with no subject, is
 * refused 403 `credits_not_for_this`, the row failed and no credit spent). No provider is called: the core writes the row as for a card,
 * then, in one transaction, the credits a week of the product costs (prices.ts) are spent (refused when
 * the balance is short: 402 insufficient_credits with the balance), the row moves to succeeded and the
 * product is fulfilled. The row keeps the product's price in money; its spend entry in the ledger names it.
 * Refunded (whole only), the credits go back to the balance that paid, as a `refund` entry.
 */
export const payWithCredits: WayToPay = {
  id: 'credits',
  request: { schema: spendRequest, keys: ['product', SUBJECT_FIELD, 'pay_with', 'organization'] },
  sourceField: 'pay_with',
  choices: creditChoices,
  // Its rows are settled when made: the return and cancel of a card's way find nothing to do.
  madeBy: () => false,
  async start(core, { charge, buyer, actor, request }) {
    const slug = request.organization as string | undefined;
    let owner: CreditOwner = { userId: buyer.id };
    if (slug) {
      // Not one of its members: the row fails, and the answer is the organization's 404.
      const found = await membership(core.deps.db, buyer, slug).catch(async (error: unknown) => {
        await core.reject(charge, actor, 'organization_not_found', 'No such organization.');
        throw error;
      });
      if ((await subjectOrganization(core, subjectOf(charge))) !== found.organization.id) {
        await core.reject(charge, actor, NOT_FOR_THIS, NOT_FOR_THIS_MESSAGE);
        throw new ApiError(403, NOT_FOR_THIS, NOT_FOR_THIS_MESSAGE);
      }
      owner = { organizationId: found.organization.id };
      // The organization pays: its receipt is made out to it, and finance counts the spend as its.
      await core.deps.db.update(charges).set({ payerOrganizationId: found.organization.id }).where(eq(charges.id, charge.id));
    }
    const credits = CREDIT_PRICES.products[charge.product];
    if (!credits) return core.reject(charge, actor, 'not_payable_with_credits', 'This cannot be paid with credits: pay by card.');
    return core.settleWithoutIntent(charge, actor, async (tx, row, now) => {
      const spent = await spendCredits(tx, owner, { chargeId: row.id, credits, byUserId: buyer.id, at: now });
      if (spent.outcome !== 'insufficient') return undefined;
      return {
        code: 'insufficient_credits',
        message: `This costs ${credits} credit${credits === 1 ? '' : 's'}; the balance is ${spent.balance}. Buy credits or pay by card.`,
        details: { balance: spent.balance, credits },
      };
    });
  },
  confirm: (core, charge) => core.current(charge.id),
  // A refund of a week paid with credits gives the credits back to whoever's balance paid it, not money.
  async refund(tx, charge, refund, now) {
    const given = await refundSpend(tx, { chargeId: charge.id, refundId: refund.id, byUserId: refund.requestedBy ?? undefined, at: now });
    return given !== undefined && given.outcome !== 'insufficient';
  },
};
