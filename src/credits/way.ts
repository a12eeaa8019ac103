import { z } from 'zod';
import { membership } from '../organizations/service.js';
import { SUBJECT_FIELD, subjectIdSchema } from '../payments/subject.js';
import type { WayToPay } from '../payments/ways-to-pay/way.js';
import { creditChoices } from './choices.js';
import { type CreditOwner, spendCredits } from './ledger.js';
import { CREDIT_PRICES } from './prices.js';

const spendRequest = z.object({
  product: z.string().min(1, 'Choose a product.').max(60),
  [SUBJECT_FIELD]: subjectIdSchema.optional(),
  pay_with: z.literal('credits'),
  organization: z.string().min(2).max(40).optional(),
});

/**
 * Paying with credits: `POST /api/v1/charges` with `pay_with: 'credits'` (and `organization` to spend an
 * organization's, as any of its members). No provider is called: the core writes the row as for a card,
 * then, in one transaction, the credits a week of the product costs (prices.ts) are spent (refused when
 * the balance is short: 402 insufficient_credits with the balance), the row moves to succeeded and the
 * product is fulfilled. The row keeps the product's price in money; its spend entry in the ledger names it.
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
      owner = { organizationId: found.organization.id };
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
};
