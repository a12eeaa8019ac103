import { and, eq } from 'drizzle-orm';
import { articles } from '../db/schema.js';
import { organizationMembers, organizations } from '../organizations/schema.js';
import type { WayChoice, WayToPay } from '../payments/ways-to-pay/way.js';
import { creditBalance } from './ledger.js';
import { CREDIT_PRICES } from './prices.js';

const creditsWord = (n: number) => `${n} credit${n === 1 ? '' : 's'}`;

/**
 * Paying with credits as the checkout page offers it, for a product a week of which has a price in
 * credits: the buyer's own balance, and the balance of the organization the purchase's subject is
 * posted on behalf of, when the buyer is one of its members. Each is shown with its balance, also when
 * it is short (the purchase then answers why). Nothing is offered for a product without a credit price.
 */
export const creditChoices: NonNullable<WayToPay['choices']> = async (deps, buyer, product, subjectId) => {
  const credits = CREDIT_PRICES.products[product];
  if (!credits) return [];
  const own = await creditBalance(deps.db, { userId: buyer.id });
  const choices: WayChoice[] = [{ label: `Pay with ${creditsWord(credits)} (your balance ${own})`, fields: { pay_with: 'credits' } }];
  if (subjectId === undefined) return choices;
  const [behalf] = await deps.db
    .select({ id: organizations.id, slug: organizations.slug, name: organizations.name })
    .from(articles)
    .innerJoin(organizations, eq(organizations.id, articles.organizationId))
    .innerJoin(organizationMembers, and(eq(organizationMembers.organizationId, organizations.id), eq(organizationMembers.userId, buyer.id)))
    .where(eq(articles.id, subjectId));
  if (behalf) {
    const balance = await creditBalance(deps.db, { organizationId: behalf.id });
    choices.push({ label: `Pay with ${creditsWord(credits)} of ${behalf.name} (its balance ${balance})`, fields: { pay_with: 'credits', organization: behalf.slug } });
  }
  return choices;
};
